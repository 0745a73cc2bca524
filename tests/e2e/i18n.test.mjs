// Languages: English and Simplified Chinese for every string, from the browser's language by
// default; a switch whose choice (and nothing else) is remembered.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, openPage, gotoReady, panelsReady, shot, fillApplicant, readResult, golden, goldenApplicant,
  embeddedSchema, REFERENCE_MODEL, NARROW,
} from './helpers.mjs';

const schema = embeddedSchema(REFERENCE_MODEL);
const g = golden();
const row = g.rows.find((r) => r.id.startsWith('test-') && r.pd > 0.5);

async function storageKeys(page) {
  return page.evaluate(() => ({ local: Object.keys(localStorage), session: Object.keys(sessionStorage), cookie: document.cookie }));
}

describe('languages', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  test('switching to Chinese and back; the choice is remembered after a reload', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await gotoReady(page);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    await fillApplicant(page, goldenApplicant(g, row));
    const en = await readResult(page);
    await page.fill('#f-duration_months', '999');
    await page.press('#f-duration_months', 'Tab');
    await page.locator('#f-duration_months-error').waitFor({ state: 'visible' });

    await page.selectOption('#lang', 'zh-CN');
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    assert.equal(await page.textContent('h1'), '信用评分');
    for (const f of schema.features) {
      assert.equal(await page.textContent(`label[for="f-${f.name}"]`), f.label.zh, `${f.name} label in Chinese`);
    }
    const firstCat = schema.features.find((f) => f.kind === 'categorical');
    assert.equal(
      await page.textContent(`#f-${firstCat.name} option[value="${firstCat.categories[0].code}"]`),
      firstCat.categories[0].label.zh,
    );
    // The field error is localized by its code, with the range from the schema.
    assert.match(await page.textContent('#f-duration_months-error'), /必须介于 4 与 72 个月之间/);
    // The last valid result and its reasons, in Chinese.
    const zh = await readResult(page);
    assert.equal(zh.points, en.points);
    const band = schema.bands.find((b) => b.id === zh.bandId);
    assert.equal(zh.band, `${band.id} · ${band.label.zh}`);
    const reasonTexts = new Map(schema.features.map((f) => [f.name, f.reason.zh]));
    for (const r of zh.reasons) assert.equal(r.text, reasonTexts.get(r.feature));
    assert.match(zh.reasons[0].value, /分$/);
    await page.fill('#f-duration_months', String(row.x[3]));
    await page.waitForFunction(() => document.getElementById('result-stale').hidden);
    await shot(page, 'zh-wide-result');

    // Only the choice is stored.
    assert.deepEqual(await storageKeys(page), { local: ['credit-scorer.lang'], session: [], cookie: '' });
    assert.equal(await page.evaluate(() => localStorage.getItem('credit-scorer.lang')), 'zh-CN');

    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    await panelsReady(page);
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    assert.equal(await page.inputValue('#lang'), 'zh-CN');
    assert.equal(await page.textContent(`label[for="f-${schema.features[0].name}"]`), schema.features[0].label.zh);

    await page.selectOption('#lang', 'en');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await page.textContent('h1'), 'Credit scorer');
    assert.equal(await page.textContent(`label[for="f-${schema.features[0].name}"]`), schema.features[0].label.en);
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    await panelsReady(page);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assertClean(assert);
    await context.close();
  });

  test('a Chinese browser gets Chinese by default', async () => {
    const { page, context, assertClean } = await openPage(browser, { locale: 'zh-CN', viewport: NARROW });
    await gotoReady(page);
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    assert.equal(await page.textContent('#score-btn'), '评分');
    assert.match(await page.textContent('#card'), /预期用途/);
    await shot(page, 'zh-narrow-empty');
    // Nothing is stored until the user chooses.
    assert.deepEqual(await storageKeys(page), { local: [], session: [], cookie: '' });
    assertClean(assert);
    await context.close();
  });
});
