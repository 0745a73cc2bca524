// <credit-score-form> on a host page of its own (strict CSP, Trusted Types): submit with nothing
// filled, fill and score, an invalid value in what-if, a language switch, styling from outside
// (custom properties and ::part), a model that fails its integrity, and the events the host sees
// carrying the same objects as the library's calls.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, openHostPage, golden, goldenApplicant, embeddedSchema, REFERENCE_MODEL, shot,
} from './helpers.mjs';
import { REFERENCE_MODEL_INTEGRITY } from '../../www/js/pins.js';

const g = golden();
const schema = embeddedSchema(REFERENCE_MODEL);

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; worker-src 'self'; "
  + "object-src 'none'; base-uri 'none'; form-action 'none'; require-trusted-types-for 'script'; trusted-types credit-scorer";

const HOST_JS = `
import { ScorerError } from '/lib/credit-scorer.js';
import '/lib/credit-score-form.js';
globalThis.seen = [];
for (const type of ['score', 'invalid', 'error']) {
  document.addEventListener(type, (e) => {
    globalThis.seen.push({ type, target: e.target.id, scorerError: e.detail instanceof ScorerError, detail: e.detail });
  });
}
`;
const HOST_CSS = `
credit-score-form { --csf-accent: rgb(10, 20, 30); }
credit-score-form::part(input) { border-color: rgb(200, 0, 0); }
`;

function html(integrity) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title>
<link rel="stylesheet" href="/embed-host/host.css"><script type="module" src="/embed-host/host.js"></script></head>
<body><credit-score-form id="a" model="/models/german-credit-mlp.onnx" model-integrity="${integrity}" lang="en"></credit-score-form>
<credit-score-form id="b" model="/models/german-credit-mlp.onnx" model-integrity="sha256-${'A'.repeat(43)}=" lang="en"></credit-score-form></body></html>`;
}

/** The events seen so far, without the objects' prototypes (kind, field, errors kept). */
const seen = (page) => page.evaluate(() => globalThis.seen.map((e) => ({
  ...e, detail: e.scorerError ? { kind: e.detail.kind, field: e.detail.field, errors: e.detail.errors, message: e.detail.message } : e.detail,
})));

describe('<credit-score-form>', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  test('fill, score, invalid value, language switch, styling, and the events', async () => {
    const { page, problems, assertClean } = await openHostPage(browser, {
      csp: CSP,
      html: html(REFERENCE_MODEL_INTEGRITY),
      files: { 'host.js': { type: 'text/javascript', body: HOST_JS }, 'host.css': { type: 'text/css', body: HOST_CSS } },
    });
    await page.waitForSelector('credit-score-form#a[data-state="ready"]');

    // The element that refused its model says so, in an `error` event and on the page.
    await page.waitForFunction(() => globalThis.seen.some((e) => e.type === 'error'));
    const errors = (await seen(page)).filter((e) => e.type === 'error');
    assert.deepEqual(errors.map((e) => [e.target, e.scorerError, e.detail.kind]), [['b', true, 'model_integrity']]);
    assert.match(await page.textContent('#b >> #alert'), /^model_integrity: /);
    const refused = problems.filter((p) => /german-credit-mlp\.onnx.*(integrity|SRI)/.test(p));
    assert.equal(refused.length, 2, problems.join('\n'));
    problems.splice(0, problems.length, ...problems.filter((p) => !refused.includes(p)));

    // Submitting an empty form: every field is missing, the summary says how many.
    await page.click('#a >> #score-btn');
    await page.waitForFunction(() => globalThis.seen.some((e) => e.type === 'invalid'));
    let events = await seen(page);
    const missing = events.find((e) => e.type === 'invalid');
    assert.equal(missing.scorerError, true);
    assert.equal(missing.detail.kind, 'invalid');
    assert.deepEqual(missing.detail.errors.map((e) => e.code), g.features.map(() => 'missing'));
    assert.equal(missing.detail.field, g.features[0]);
    assert.equal(await page.textContent('#a >> #form-summary'), `Please correct ${g.features.length} fields before a score can be shown.`);

    // Fill and score: the `score` event carries what scorer.score() gives for the same values.
    const row = g.rows[0];
    const applicant = goldenApplicant(g, row);
    for (const [name, value] of Object.entries(applicant)) {
      const sel = `#a >> #f-${name}`;
      if (await page.$eval(sel, (el) => el.tagName) === 'SELECT') await page.selectOption(sel, value);
      else await page.fill(sel, value);
    }
    await page.waitForSelector('credit-score-form#a[data-state="scored"]');
    events = await seen(page);
    const scored = events.filter((e) => e.type === 'score');
    const last = scored.at(-1).detail;
    assert.ok(Math.abs(last.pd - row.pd) < 1e-5, `${last.pd} vs onnxruntime ${row.pd}`);
    const fromApi = await page.evaluate(async (values) => {
      const { createScorer } = await import('/lib/credit-scorer.js');
      const s = createScorer({ assetsUrl: new URL('/pkg/', location.href) });
      await s.load(new URL('/models/german-credit-mlp.onnx', location.href));
      const r = await s.score(values);
      s.close();
      return r;
    }, await page.$eval('#a', (el) => el.values));
    assert.deepEqual(last, fromApi, 'the event carries the object score() resolves with');
    assert.equal(await page.getAttribute('#a >> #pd', 'data-value'), String(last.pd));
    assert.equal(await page.textContent('#a >> #band'), `${last.band.id} · ${last.band.label.en}`);
    assert.equal(await page.locator('#a >> #reasons li').count(), last.reasons.length);
    await shot(page, 'embed-form-en');

    // What-if: a bad value shows its error as it is typed, the result dims, `invalid` fires.
    const invalidBefore = (await seen(page)).filter((e) => e.type === 'invalid').length;
    await page.fill('#a >> #f-duration_months', '4x');
    await page.waitForSelector('credit-score-form#a[data-state="stale"]');
    await page.waitForFunction((n) => globalThis.seen.filter((e) => e.type === 'invalid').length === n + 1, invalidBefore);
    const bad = (await seen(page)).filter((e) => e.type === 'invalid').at(-1);
    assert.deepEqual(bad.detail.errors.map((e) => [e.field, e.code]), [['duration_months', 'not_a_number']]);
    assert.equal(await page.textContent('#a >> #f-duration_months-error'), bad.detail.errors[0].message);
    assert.equal(await page.isVisible('#a >> #result-stale'), true);

    // Language: the element's own `lang` attribute; the host page stays English.
    await page.$eval('#a', (el) => el.setAttribute('lang', 'zh'));
    await page.waitForSelector('credit-score-form#a[data-lang="zh-CN"]'); // its table is imported on first use
    assert.equal(await page.textContent('#a >> #result-heading'), '结果');
    assert.equal(await page.textContent('#a >> #f-duration_months-error'), '请输入数字。');
    assert.equal(await page.textContent('#a >> #f-duration_months-label'), schema.features.find((f) => f.name === 'duration_months').label.zh);
    assert.equal(await page.textContent('#b >> #result-heading'), 'Result', 'the other element keeps its own language');
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    await shot(page, 'embed-form-zh');
    await page.fill('#a >> #f-duration_months', applicant.duration_months);
    await page.waitForSelector('credit-score-form#a[data-state="scored"]');
    assert.equal(await page.textContent('#a >> #f-duration_months-error'), '');
    await page.$eval('#a', (el) => el.setAttribute('lang', 'en'));
    assert.equal(await page.textContent('#a >> #result-heading'), 'Result');

    // Styled from outside: a custom property and ::part().
    assert.equal(await page.$eval('#a >> #score-btn', (el) => getComputedStyle(el).backgroundColor), 'rgb(10, 20, 30)');
    assert.equal(await page.$eval('#a >> #f-credit_amount', (el) => getComputedStyle(el).borderTopColor), 'rgb(200, 0, 0)');
    assertClean(assert);
  });

  test('the element itself needs no style-src: its styles are a constructed stylesheet', async () => {
    const noStyle = CSP.replace("style-src 'self'; ", '');
    assert.doesNotMatch(noStyle, /style-src/);
    const { page, assertClean } = await openHostPage(browser, {
      csp: noStyle,
      html: `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>Host</title><script type="module" src="/embed-host/host.js"></script></head>
<body><credit-score-form id="c" model="/models/german-credit-mlp.onnx"></credit-score-form></body></html>`,
      files: { 'host.js': { type: 'text/javascript', body: HOST_JS } },
    });
    await page.waitForSelector('credit-score-form#c[data-state="ready"]');
    // Without a lang attribute of its own, the element speaks its page's language.
    assert.equal(await page.textContent('#c >> #result-heading'), '结果');
    // Its own styles apply: the band chip is rounded, the fields are a grid.
    assert.equal(await page.$eval('#c >> #fields', (el) => getComputedStyle(el).display), 'grid');
    const row = g.rows[2];
    for (const [name, value] of Object.entries(goldenApplicant(g, row))) {
      const sel = `#c >> #f-${name}`;
      if (await page.$eval(sel, (el) => el.tagName) === 'SELECT') await page.selectOption(sel, value);
      else await page.fill(sel, value);
    }
    await page.waitForSelector('credit-score-form#c[data-state="scored"]');
    const scored = (await seen(page)).filter((e) => e.type === 'score');
    assert.equal(scored.length, 1);
    assert.ok(Math.abs(scored[0].detail.pd - row.pd) < 1e-5, `${scored[0].detail.pd} vs onnxruntime ${row.pd}`);
    assert.equal(await page.$eval('#c >> #band', (el) => getComputedStyle(el).borderTopLeftRadius), '999px');
    assertClean(assert);
  });
});
