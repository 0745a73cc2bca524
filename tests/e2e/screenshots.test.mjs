// Screenshots of the main states in English and Chinese, wide and narrow, for review and the README.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, openPage, gotoReady, shot, fillApplicant, readResult, golden, goldenApplicant, WIDE, NARROW,
} from './helpers.mjs';

const g = golden();
const row = g.rows.find((r) => r.id.startsWith('test-') && r.pd > 0.5);

describe('screenshots', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  for (const [lang, locale] of [['en', 'en-US'], ['zh', 'zh-CN']]) {
    for (const [size, viewport] of [['wide', WIDE], ['narrow', NARROW]]) {
      test(`${lang} ${size}`, async () => {
        const { page, context, assertClean } = await openPage(browser, { viewport, locale });
        await gotoReady(page);
        assert.equal(await page.getAttribute('html', 'lang'), locale === 'zh-CN' ? 'zh-CN' : 'en');
        await shot(page, `${lang}-${size}-1-empty`, { fullPage: false });
        await fillApplicant(page, goldenApplicant(g, row));
        await readResult(page);
        await page.fill('#f-duration_months', '12');
        await page.waitForSelector('#delta:not([hidden])');
        await page.click('#all-contributions summary');
        await shot(page, `${lang}-${size}-2-result`);
        if (size === 'narrow') {
          await page.locator('#result').scrollIntoViewIfNeeded();
          await shot(page, `${lang}-${size}-3-result-viewport`, { fullPage: false });
        }
        await page.fill('#f-duration_months', '999');
        await page.press('#f-duration_months', 'Tab');
        await page.locator('#f-duration_months-error').waitFor({ state: 'visible' });
        await page.locator('#f-duration_months').scrollIntoViewIfNeeded();
        await shot(page, `${lang}-${size}-4-invalid`, { fullPage: false });
        // No horizontal scrolling at any width.
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 0, `no horizontal overflow (${overflow}px)`);
        assertClean(assert);
        await context.close();
      });
    }
  }
});
