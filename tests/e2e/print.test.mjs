// The decision record: the print stylesheet shows inputs, result, reasons, model name, version,
// hash and date/time, and hides the interactive page.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, openPage, gotoReady, shot, fillApplicant, readResult, golden, goldenApplicant,
  embeddedSchema, REFERENCE_MODEL,
} from './helpers.mjs';

const schema = embeddedSchema(REFERENCE_MODEL);
const g = golden();
const row = g.rows.find((r) => r.id.startsWith('test-') && r.pd > 0.5);

describe('decision record', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  test('the print view shows the complete record', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await gotoReady(page);
    assert.equal(await page.isVisible('#record'), false, 'the record is for print only');
    await fillApplicant(page, goldenApplicant(g, row));
    const r = await readResult(page);
    // The button prints (window.print is stubbed: headless Chromium has no print dialog).
    await page.evaluate(() => {
      window.__printed = 0;
      window.print = () => { window.__printed++; };
    });
    await page.click('#print-btn');
    assert.equal(await page.evaluate(() => window.__printed), 1);

    await page.emulateMedia({ media: 'print' });
    for (const id of ['record', 'record-model', 'record-version', 'record-sha', 'record-datetime',
      'record-pd', 'record-points', 'record-band', 'record-inputs', 'record-reasons']) {
      assert.equal(await page.isVisible(`#${id}`), true, `#${id} is printed`);
    }
    assert.equal(await page.isVisible('#applicant'), false, 'the form itself is not printed');
    assert.equal(await page.isVisible('#upload'), false);

    assert.equal(await page.textContent('#record-model'), schema.model.name);
    assert.equal(await page.textContent('#record-version'), schema.model.version);
    assert.equal(await page.textContent('#record-sha'), g.model_sha256);
    const year = String(new Date().getFullYear());
    assert.match(await page.textContent('#record-datetime'), new RegExp(year));
    assert.equal(await page.textContent('#record-pd'), r.pdText);
    assert.match(await page.textContent('#record-points'), new RegExp(`^${r.pointsText} `));
    assert.equal(await page.textContent('#record-band'), r.band);

    const inputs = await page.$$eval('#record-inputs tr', (trs) => trs.map((tr) => [tr.cells[0]?.textContent ?? tr.querySelector('th').textContent, tr.querySelector('td').textContent]));
    assert.equal(inputs.length, schema.features.length);
    for (const [i, f] of schema.features.entries()) {
      assert.equal(inputs[i][0], f.label.en);
      if (f.kind === 'categorical') {
        assert.equal(inputs[i][1], f.categories.find((c) => c.code === row.x[i]).label.en);
      } else {
        assert.match(inputs[i][1], new RegExp(`^${Intl.NumberFormat('en').format(row.x[i])}`));
      }
    }
    const reasons = await page.$$eval('#record-reasons li', (lis) => lis.map((li) => li.textContent));
    assert.equal(reasons.length, r.reasons.length);
    for (const [i, reason] of r.reasons.entries()) assert.ok(reasons[i].startsWith(reason.text));

    await shot(page, 'en-print-record');
    await page.emulateMedia({ media: 'screen' });
    assert.equal(await page.isVisible('#record'), false);
    assertClean(assert);
    await context.close();
  });
});
