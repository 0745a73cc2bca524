// Model governance panel: the model card's calibration, discrimination, score distribution and
// fair-lending figures are drawn on the page (SVG, no third-party script); a foreign model without
// them gets notes naming the schema fields to add.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, openPage, gotoReady, shot, fixture, embeddedSchema, REFERENCE_MODEL, NARROW, parsePercent,
} from './helpers.mjs';

const card = embeddedSchema(REFERENCE_MODEL).model_card;
const metrics = card.metrics.test[card.metrics.primary];

async function panelShot(page, name) {
  await page.locator('#governance').screenshot({ path: `${process.env.SCREENSHOT_DIR ?? '/tmp'}/${name}.png` });
}

describe('model governance panel', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  test('shows AUC, KS and Brier with intervals, the reliability diagram and the score distribution', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await gotoReady(page);
    await page.waitForSelector('#gov-reliability');
    for (const key of ['auc', 'ks', 'brier']) {
      const tile = page.locator(`#governance .gov-kpi[data-metric="${key}"]`);
      assert.equal(Number(await tile.getAttribute('data-value')), metrics[key].value, key);
      assert.equal(await tile.locator('.gov-kpi__value').textContent(), metrics[key].value.toFixed(3));
      const ci = await tile.locator('.gov-kpi__ci').textContent();
      assert.ok(ci.includes(metrics[key].ci95[0].toFixed(3)) && ci.includes(metrics[key].ci95[1].toFixed(3)), ci);
    }

    // reliability diagram: one point per decile, at the card's predicted and observed rates
    const points = await page.$$eval('#gov-reliability circle.gov-point', (cs) => cs.map((c) => ({
      decile: Number(c.dataset.decile), cx: Number(c.getAttribute('cx')), cy: Number(c.getAttribute('cy')),
      title: c.querySelector('title').textContent,
    })));
    const table = card.calibration.table;
    assert.equal(points.length, table.length);
    for (let i = 1; i < points.length; i++) {
      // x grows with the mean PD; y (SVG, downwards) falls when the observed rate rises
      assert.ok(points[i].cx >= points[i - 1].cx, 'deciles in PD order');
      const dy = table[i].observed_bad_rate - table[i - 1].observed_bad_rate;
      if (dy > 0) assert.ok(points[i].cy < points[i - 1].cy);
    }
    assert.match(points[0].title, /Decile 1: predicted 6\.0%, observed 0\.0%, 20 applicants/);
    const counts = await page.$$eval('#gov-reliability-table tbody tr', (rows) => rows.map((r) => r.children[1].textContent));
    assert.deepEqual(counts, table.map((r) => String(r.count)));
    const observed = await page.$$eval('#gov-reliability-table tbody tr', (rows) => rows.map((r) => r.children[4].textContent));
    assert.deepEqual(observed.map(parsePercent), table.map((r) => Math.round(r.observed_bad_rate * 1000) / 10));

    // score distribution: every test applicant is in a bar, goods and bads apart
    const bins = await page.$$eval('#gov-score-chart g.gov-bin', (gs) => gs.map((g) => ({
      good: Number(g.dataset.good), bad: Number(g.dataset.bad), rects: g.querySelectorAll('rect').length,
    })));
    const sum = (a) => a.reduce((s, v) => s + v, 0);
    assert.equal(sum(bins.map((b) => b.good)), sum(card.score_distribution.good));
    assert.equal(sum(bins.map((b) => b.bad)), sum(card.score_distribution.bad));
    assert.equal(sum(bins.map((b) => b.good + b.bad)), card.split.test);
    assert.ok(bins.every((b) => b.rects === 2));
    assert.equal(await page.locator('#gov-score-chart .gov-cutoff').count(), 1, 'approval cut-off drawn');
    assert.match(await page.textContent('#gov-drift-ok'), /10 of 10 characteristics/);
    assert.equal(await page.locator('#governance [data-missing]').count(), 0, 'nothing reported missing');

    await page.locator('#governance').scrollIntoViewIfNeeded();
    await panelShot(page, 'governance-panel-en');
    await shot(page, 'governance-page-en');
    assertClean(assert);
    await context.close();
  });

  test('fair-lending table: approval rates, adverse-impact ratio with the four-fifths reading, AUC per group', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await gotoReady(page);
    await page.waitForSelector('#gov-fair-table');
    const fl = card.fair_lending;
    for (const [attr, a] of Object.entries(fl.test)) {
      for (const g of a.groups) {
        const row = page.locator(`#gov-fair-table tr[data-attr="${attr}"][data-group="${g.group}"]`);
        const cells = await row.locator('td').allTextContents();
        assert.equal(cells[1], String(g.count), `${attr}/${g.group} count`);
        assert.equal(parsePercent(cells[3]), Math.round(g.approval_rate * 1000) / 10, `${attr}/${g.group} approval`);
        assert.equal(cells[4], g.auc.toFixed(3), `${attr}/${g.group} AUC`);
      }
      const air = page.locator(`#gov-fair-table tr.gov-air[data-attr="${attr}"]`);
      assert.equal(Number(await air.getAttribute('data-air')), a.adverse_impact_ratio);
      assert.equal(await air.locator('[data-four-fifths]').getAttribute('data-four-fifths'), a.four_fifths_ok ? 'ok' : 'fail');
    }
    const explain = await page.textContent('#gov-fair-explain');
    assert.match(explain, /never given to the model/);
    assert.match(explain, /at most 20\.0% \(band C or better, 527 points or more\)/);

    // the same panel in Chinese
    await page.selectOption('#lang', 'zh-CN');
    await page.waitForFunction(() => document.getElementById('governance-heading').textContent === '模型治理');
    assert.match(await page.textContent('#gov-fair-explain'), /从不作为模型输入/);
    assert.match(await page.textContent('#gov-fair-table'), /低于五分之四/);
    await page.locator('#gov-fair').scrollIntoViewIfNeeded();
    await panelShot(page, 'governance-panel-zh');
    assertClean(assert);
    await context.close();
  });

  test('narrow screen: the panel fits the width', async () => {
    const { page, context, assertClean } = await openPage(browser, { viewport: NARROW });
    await gotoReady(page);
    await page.waitForSelector('#gov-reliability');
    await panelShot(page, 'governance-panel-narrow');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px`);
    // the fair-lending table fits: the four-fifths readings are visible without scrolling it
    const hidden = await page.$eval('#gov-fair .gov-table-wrap', (w) => w.scrollWidth - w.clientWidth);
    assert.ok(hidden <= 0, `fair-lending table is ${hidden}px wider than the panel`);
    assertClean(assert);
    await context.close();
  });

  test('a foreign model without these data: each panel says what is missing and which fields to add', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await gotoReady(page);
    await page.setInputFiles('#model-file', fixture('models', 'logreg.onnx'));
    await page.waitForSelector('body[data-busy="false"]');
    await page.waitForFunction(() => !document.getElementById('model-status').hidden);
    await page.waitForSelector('#governance [data-missing="what_fair"]');
    const missing = await page.$$eval('#governance [data-missing]', (els) => Object.fromEntries(
      els.map((e) => [e.dataset.missing, e.textContent])));
    assert.deepEqual(Object.keys(missing).sort(),
      ['what_calibration', 'what_distribution', 'what_drift', 'what_fair', 'what_perf']);
    assert.match(missing.what_calibration, /model_card\.calibration\.table\[\]/);
    assert.match(missing.what_perf, /model_card\.metrics\.test\.<model>\.auc/);
    assert.match(missing.what_distribution, /model_card\.score_distribution\.edges/);
    assert.match(missing.what_fair, /model_card\.fair_lending\.approval_max_pd/);
    assert.match(missing.what_drift, /features\[\]\.train_share/);
    assert.match(missing.what_drift, /model_card\.score_share/);
    for (const text of Object.values(missing)) assert.match(text, /credit_scorer\.schema/);
    assert.equal(await page.locator('#gov-reliability, #gov-score-chart, #gov-fair-table').count(), 0);
    await page.locator('#governance').scrollIntoViewIfNeeded();
    await panelShot(page, 'governance-panel-foreign');
    assertClean(assert);
    await context.close();
  });
});
