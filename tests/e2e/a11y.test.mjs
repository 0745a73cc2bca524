// Accessibility in Chromium: axe-core (npm) finds no WCAG 2.0/2.1 A or AA violation in each main
// state of the page (the same audit runs in Firefox and WebKit, cross-browser-steps.mjs).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  NARROW, axeViolations, launch, openPage, gotoReady, fillApplicant, readResult, golden, goldenApplicant, fixture,
} from './helpers.mjs';

const g = golden();
const row = g.rows.find((r) => r.id.startsWith('test-') && r.pd > 0.5);

describe('accessibility (axe-core, Chromium)', () => {
  let browser;
  let dir;
  before(async () => {
    browser = await launch();
    dir = mkdtempSync(path.join(os.tmpdir(), 'credit-scorer-a11y-'));
  });
  after(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('every main state passes the WCAG 2.0/2.1 A and AA rules', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await gotoReady(page);
    const found = [];
    const check = async (state) => { for (const v of await axeViolations(page)) found.push(`${state}: ${v}`); };
    await check('empty form');
    await page.click('#score-btn');
    await page.waitForFunction(() => document.querySelectorAll('[aria-invalid="true"]').length > 0);
    await check('field errors');
    await fillApplicant(page, goldenApplicant(g, row));
    await readResult(page);
    await page.waitForSelector('#recourse[data-state="answer"]'); // a declined row: recourse options
    await page.click('#all-contributions summary');
    await check('result, all contributions, recourse options');
    await page.check('#override');
    await page.click('#decision-record-btn');
    await page.locator('#decision-action-error').waitFor({ state: 'visible' });
    await check('decision errors');
    await page.check('#action-decline');
    await page.selectOption('#override-band', 'D');
    await page.fill('#override-reason', 'Collateral not in the model.');
    await page.click('#decision-record-btn');
    await page.locator('#decision-done').waitFor({ state: 'visible' });
    await check('decision recorded');
    await page.fill('#f-duration_months', '999');
    await page.press('#f-duration_months', 'Tab');
    await page.locator('#f-duration_months-error').waitFor({ state: 'visible' });
    await check('stale result');
    await page.selectOption('#lang', 'zh-CN');
    await check('Chinese');
    await page.selectOption('#lang', 'en');
    const csv = path.join(dir, 'applicants.csv');
    writeFileSync(csv, [`id,${g.features.join(',')}`, ...g.rows.slice(0, 50).map((r) => `${r.id},${r.x.join(',')}`)].join('\n'));
    await page.setInputFiles('#batch-file', csv);
    await page.waitForSelector('body[data-batch="done"]');
    await check('batch summary');
    await page.setInputFiles('#model-file', fixture('hostile', 'random.onnx'));
    await page.locator('#model-error').waitFor({ state: 'visible' });
    await check('refused model');
    await page.setViewportSize(NARROW);
    await check('narrow screen');
    assert.deepEqual(found, [], `axe-core WCAG A/AA violations:\n${found.join('\n')}`);
    assertClean(assert);
    await context.close();
  });

  test('a wide model\'s form (sections, search) passes them too', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await gotoReady(page);
    const found = [];
    const check = async (state) => { for (const v of await axeViolations(page)) found.push(`${state}: ${v}`); };
    await page.setInputFiles('#model-file', fixture('wide', 'wide40.onnx'));
    await page.waitForSelector('details.section');
    await check('sections');
    await page.click('details[data-group="loan"] summary');
    await page.click('#score-btn');
    await page.waitForFunction(() => document.querySelectorAll('.section--invalid').length > 0);
    await check('sections with fields to correct');
    await page.fill('#field-search', 'months');
    await check('search matches');
    await page.fill('#field-search', 'zebra');
    await check('no match');
    await page.selectOption('#lang', 'zh-CN');
    await page.fill('#field-search', '逾期');
    await check('Chinese search');
    await page.setViewportSize(NARROW);
    await check('narrow screen');
    assert.deepEqual(found, [], `axe-core WCAG A/AA violations:\n${found.join('\n')}`);
    assertClean(assert);
    await context.close();
  });
});
