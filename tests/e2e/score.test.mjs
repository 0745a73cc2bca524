// Scoring an applicant: the displayed PD, points, band and reasons match the reference model's
// golden outputs; validation messages appear at their field; what-if re-scores without submit.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, openPage, gotoReady, shot, fillApplicant, readResult, waitForPointsChange, golden, goldenApplicant,
  embeddedSchema, REFERENCE_MODEL, expectedPoints, expectedBand, parsePercent,
} from './helpers.mjs';

const schema = embeddedSchema(REFERENCE_MODEL);
const g = golden();

describe('scoring an applicant', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  test('the form starts empty and is built from the schema', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await gotoReady(page);
    const fields = await page.$$eval('#fields [data-field]', (els) => els.map((e) => e.dataset.field));
    assert.deepEqual(fields, schema.features.map((f) => f.name));
    for (const f of schema.features) {
      const id = `#f-${f.name}`;
      assert.equal(await page.inputValue(id), '', `${f.name} starts empty`);
      assert.equal(await page.textContent(`label[for="f-${f.name}"]`), f.label.en);
      if (f.kind === 'categorical') {
        const options = await page.$$eval(`${id} option`, (os) => os.map((o) => o.value));
        assert.deepEqual(options, ['', ...f.categories.map((c) => String(c.code))], `${f.name}: a blank first option`);
      } else {
        const hint = await page.textContent(`#f-${f.name}-hint`);
        assert.match(hint, new RegExp(`${f.min}.*${Intl.NumberFormat('en').format(f.max)}`), `${f.name}: range shown`);
      }
    }
    assert.equal(await page.isVisible('#result-body'), false, 'no result before the form is complete');
    assert.match(await page.textContent('#model-sha'), /^[0-9a-f]{64}$/);
    await shot(page, 'en-wide-empty');
    assertClean(assert);
    await context.close();
  });

  test('a golden applicant shows the reference PD, points, band and four reasons', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await gotoReady(page);
    assert.equal(await page.textContent('#model-sha'), g.model_sha256, 'the golden fixture is for the model served');
    assert.equal(await page.getAttribute('#model-engine', 'data-engine'), 'direct', 'the reference model runs on the direct evaluator');
    // A row in the highest band, which has at least four adverse reasons.
    const row = g.rows.find((r) => r.id.startsWith('test-') && r.pd > 0.5);
    await fillApplicant(page, goldenApplicant(g, row));
    const r = await readResult(page);

    // PD: a percentage in 0–100, equal to the golden value at the displayed precision.
    const shown = parsePercent(r.pdText);
    assert.ok(shown >= 0 && shown <= 100, `PD ${r.pdText} is a percentage`);
    assert.equal(shown.toFixed(1), (row.pd * 100).toFixed(1), `displayed PD ${r.pdText} vs golden ${row.pd}`);
    assert.ok(Math.abs(r.pd - row.pd) < 1e-5, `PD ${r.pd} vs golden ${row.pd}`);

    const points = expectedPoints(schema.scaling, row.logit);
    assert.equal(Number(r.pointsText.replace(/,/g, '')), Math.round(points), 'points from the golden log-odds');

    const band = expectedBand(schema.bands, row.pd);
    assert.equal(r.bandId, band.id);
    assert.equal(r.band, `${band.id} · ${band.label.en}`);
    const bandColor = await page.$eval('#band', (el) => getComputedStyle(el).backgroundColor);
    const hex = band.color.match(/[0-9a-f]{2}/gi).map((x) => parseInt(x, 16));
    assert.equal(bandColor, `rgb(${hex.join(', ')})`, 'the band shows its colour');

    assert.equal(r.reasons.length, 4, 'four reasons');
    const reasonTexts = new Map(schema.features.map((f) => [f.name, f.reason.en]));
    const values = r.reasons.map((x) => Number(x.value.replace(/[^\d.]/g, '')) * (x.value.includes('−') ? -1 : 1));
    for (const [i, reason] of r.reasons.entries()) {
      assert.equal(reason.text, reasonTexts.get(reason.feature), 'reason text from the schema');
      assert.ok(values[i] <= 0, `reason ${i + 1} costs points: ${reason.value}`);
      if (i > 0) assert.ok(values[i - 1] <= values[i], 'ranked, most costly first');
    }
    assert.equal(await page.$$eval('#reasons .bar__fill', (els) => els.length), 4, 'a bar per reason');

    // The gauge marker sits at the points' place on the scale.
    const left = await page.$eval('#gauge-marker', (el) => parseFloat(el.style.left));
    const expectedLeft = ((points - schema.scaling.min_points) / (schema.scaling.max_points - schema.scaling.min_points)) * 100;
    assert.ok(Math.abs(left - expectedLeft) < 0.5, `gauge at ${left}% (expected ${expectedLeft}%)`);

    // All contributions: one row per feature, summing to points − baseline points.
    await page.click('#all-contributions summary');
    const rows = await page.$$eval('#contrib-body tr', (trs) => trs.map((tr) => tr.dataset.feature));
    assert.deepEqual(rows, schema.features.map((f) => f.name));
    await shot(page, 'en-wide-result');
    assertClean(assert);
    await context.close();
  });

  test('an invalid value shows its message at its field', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await gotoReady(page);
    await page.fill('#f-duration_months', '999');
    await page.press('#f-duration_months', 'Tab');
    const error = page.locator('#f-duration_months-error');
    await error.waitFor({ state: 'visible' });
    const text = await error.textContent();
    assert.match(text, /between 4 and 72 months/);
    assert.equal(await page.getAttribute('#f-duration_months', 'aria-invalid'), 'true');
    assert.match(await page.getAttribute('#f-duration_months', 'aria-describedby'), /f-duration_months-error/);
    // Only the field that was left shows an error; untouched empty fields stay quiet.
    assert.equal(await page.locator('.field__error:visible').count(), 1);

    await page.fill('#f-credit_amount', 'abc');
    await page.press('#f-credit_amount', 'Tab');
    await page.locator('#f-credit_amount-error').waitFor({ state: 'visible' });
    assert.match(await page.textContent('#f-credit_amount-error'), /not a number/);
    await shot(page, 'en-wide-field-error');

    // Submitting reveals every missing field and focuses the first invalid one.
    await page.click('#score-btn');
    await page.waitForFunction(() => document.querySelectorAll('[aria-invalid="true"]').length === 10);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'f-checking_status');
    assert.equal(await page.isVisible('#form-summary'), true);

    // Fixing the value clears the message.
    await page.fill('#f-duration_months', '24');
    await page.waitForFunction(() => document.getElementById('f-duration_months-error').hidden);
    assert.equal(await page.getAttribute('#f-duration_months', 'aria-invalid'), null);
    assertClean(assert);
    await context.close();
  });

  test('what-if: editing a field re-scores without submitting and shows the change', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await gotoReady(page);
    const row = g.rows.find((r) => r.id.startsWith('test-') && r.pd > 0.3 && r.x[3] > 12 && r.x[0] !== 0);
    await fillApplicant(page, goldenApplicant(g, row));
    const first = await readResult(page);

    // A shorter loan is less risky: the points go up, the delta says by how much.
    await page.fill('#f-duration_months', '6');
    await waitForPointsChange(page, first.points);
    const second = await readResult(page);
    assert.ok(second.points > first.points, `${second.points} > ${first.points}`);
    assert.equal(second.delta, Math.round(second.points) - Math.round(first.points));
    assert.match(await page.textContent('#delta'), /▲/);

    // A worse checking account: down.
    await page.selectOption('#f-checking_status', '0');
    await waitForPointsChange(page, second.points);
    const third = await readResult(page);
    assert.ok(third.points <= second.points);
    assert.equal(third.delta, Math.round(third.points) - Math.round(second.points));

    // An invalid edit keeps the last valid result, dimmed, and shows the error at once.
    await page.fill('#f-credit_amount', '5');
    await page.locator('#f-credit_amount-error').waitFor({ state: 'visible' });
    assert.equal((await readResult(page)).stale, true);
    assert.equal((await readResult(page)).points, third.points);
    await shot(page, 'en-wide-whatif-invalid');

    // Clear wipes every field and the result.
    await page.click('#clear-btn');
    await page.waitForSelector('#result-body', { state: 'hidden' });
    for (const f of schema.features) assert.equal(await page.inputValue(`#f-${f.name}`), '');
    assert.equal(await page.locator('.field__error:visible').count(), 0);
    assertClean(assert);
    await context.close();
  });
});
