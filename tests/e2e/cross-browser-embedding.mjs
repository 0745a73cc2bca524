// The cross-browser embedding suite (not a test file itself): firefox.test.mjs and
// webkit.test.mjs each run it after the whole-page suite (cross-browser.mjs), in a second launch
// (a fresh profile: no app service worker) of the same browser: the example lender page
// (www/examples/) under its own policy alone, its <credit-score-form> filled, scored as
// onnxruntime did, an invalid value, the language switch and the events the page hears, styled
// from outside; then the library's two scorers with different models on one strict host page.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { installed, launchBrowser, startProxy } from './browsers.mjs';
import {
  BROWSER_OWN_HOSTS, assertAccessible, assertNoProblems, g, labelsEn, logreg, schema,
} from './cross-browser-steps.mjs';
import {
  BASE_URL, ORIGIN, ROOT, expectedBand, expectedPoints, fixture, goldenApplicant, parsePercent,
} from './helpers.mjs';
import { HOST_CSP, twoScorersOnOnePage } from './embed-host.mjs';

const EXAMPLE = new URL('examples/', BASE_URL);
/** The example's own policy, from the `/examples/*` rule of www/_headers (README's for a host page). */
const EXAMPLE_POLICY = readFileSync(path.join(ROOT, 'www', '_headers'), 'utf8').split(/\n(?=\S)/)
  .find((r) => r.startsWith('/examples/*')).match(/Content-Security-Policy:\s*(.+)/)[1].trim();

/** What the example's <credit-score-form id="self-check"> shows now (null until it is scored). */
function readElementInPage() {
  const host = document.getElementById('self-check');
  const $ = (id) => host.shadowRoot.getElementById(id);
  if (host.dataset.state !== 'scored') return null;
  return {
    pd: Number($('pd').dataset.value),
    pdText: $('pd').textContent,
    points: Number($('points').dataset.value),
    pointsText: $('points').textContent,
    bandId: $('band').dataset.band,
    band: $('band').textContent,
    reasons: [...$('reasons').querySelectorAll('li')].map((li) => ({
      feature: li.dataset.feature, text: li.querySelector('.reason__text').textContent,
    })),
  };
}

/** The selector (`#self-check >>> #id`) of the element's control its label names. */
async function elementControl(d, text) {
  const sel = await d.evaluate((t) => {
    const root = document.getElementById('self-check').shadowRoot;
    const norm = (s) => s.replace(/\s+/g, ' ').trim();
    const label = [...root.querySelectorAll('label')].find((l) => norm(l.textContent) === t && l.htmlFor);
    const el = label ? root.getElementById(label.htmlFor)
      : [...root.querySelectorAll('button')].find((b) => norm(b.textContent).startsWith(t) && !b.hidden);
    return el?.id ? `#self-check >>> #${CSS.escape(el.id)}` : null;
  }, text);
  assert.ok(sel, `${d.name}: a control named “${text}” in <credit-score-form>`);
  return sel;
}

/** Waits until the element shows the result with `pd` (typing scores each prefix on the way). */
async function waitElementPd(d, pd) {
  const end = Date.now() + 30_000;
  for (;;) {
    const r = await d.waitFor(readElementInPage, [], { what: 'the element\'s result' });
    if (Math.abs(r.pd - pd) < 1e-5 || Date.now() > end) return r;
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** Runs the embedding suite in `name` ('firefox' or 'webkit'). */
export function embeddingSuite(name) {
  describe(`${name}: the embedding (example page, <credit-score-form>, two scorers)`, { skip: !installed(name) && `${name} is not installed` }, () => {
    let proxy;
    let d;
    const timings = {};
    const row = g.rows.find((r) => r.id.startsWith('test-') && r.pd > 0.5);
    const band = expectedBand(schema.bands, row.pd);
    const points = Math.round(expectedPoints(schema.scaling, row.logit));
    const CSP_REPORT = '/csp-report';
    const isReport = (e) => e.method === 'POST' && new URL(e.url).pathname === CSP_REPORT;
    /** The CSP violation reports the browser has sent so far (their bodies). */
    const cspReports = () => proxy.log.filter(isReport).map((e) => e.body);

    before(async () => {
      proxy = await startProxy();
      // The example under its own policy alone: what README tells a host page to send (the
      // served copy adds the app's `/*` policy on top), with a report-uri, so that the proxy
      // sees every violation, those during the load too (WebKit's listener comes after it).
      for (const p of ['/examples/', '/examples/index.html']) {
        proxy.headers.set(p, (h) => ({ ...h, 'content-security-policy': `${EXAMPLE_POLICY}; report-uri ${CSP_REPORT}` }));
      }
      proxy.serve.set(CSP_REPORT, { type: 'text/plain', body: '' });
      const t0 = Date.now();
      d = await launchBrowser(name, { proxyPort: proxy.port });
      timings.launch = Date.now() - t0;
    });

    after(async () => {
      console.log(`# ${name} ${d?.version}, embedding: ${JSON.stringify(timings)} ms`);
      await d?.close();
      await proxy?.close();
    });

    test('the example page: fill the element, score as onnxruntime did, styled from outside, under its own policy', async (t) => {
      const t0 = Date.now();
      proxy.phase = 'example';
      await d.goto(EXAMPLE.href);
      await d.watchProblems();
      await d.waitFor(() => document.getElementById('self-check')?.dataset.state === 'ready', [], { timeout: 180_000, what: 'the element to be ready' });
      timings.ready = Date.now() - t0;
      const page = proxy.log.find((e) => e.phase === 'example' && new URL(e.url).pathname === '/examples/');
      assert.equal(page?.status, 200, 'the example page was served through the proxy, under its own policy');
      assert.deepEqual(cspReports(), [], 'no CSP violation reported while the page loaded');
      const features = await d.evaluate(() => ({
        trustedTypes: typeof trustedTypes !== 'undefined',
        adoptedStyleSheets: 'adoptedStyleSheets' in ShadowRoot.prototype,
        part: CSS.supports('selector(::part(x))'),
      }));
      t.diagnostic(`${name} ${d.version}: ${JSON.stringify(features)}`);
      // What the host page hears, as any host would listen.
      await d.evaluate(() => {
        window.__events = [];
        for (const type of ['score', 'invalid', 'error']) {
          document.getElementById('self-check').addEventListener(type, (e) => window.__events.push({
            type, kind: e.detail?.kind ?? null, field: e.detail?.field ?? null, pd: e.detail?.pd ?? null,
            points: e.detail?.points ?? null, band: e.detail?.band?.id ?? null,
          }));
        }
      });
      // Two frames: WebKit's screenshot can otherwise show the page before the form is painted.
      await d.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      await d.screenshot('example-empty');

      const values = goldenApplicant(g, row);
      const kinds = new Map(schema.features.map((f) => [f.name, f.kind]));
      // Numbers typed first, then the choices, as fillForm does on the app.
      for (const [field, value] of Object.entries(values).sort(([a], [b]) => (kinds.get(a) === 'categorical') - (kinds.get(b) === 'categorical'))) {
        const sel = await elementControl(d, labelsEn[field]);
        if (kinds.get(field) === 'categorical') await d.choose(sel, value);
        else await d.type(sel, value);
      }
      const r = await waitElementPd(d, row.pd);
      assert.ok(Math.abs(r.pd - row.pd) < 1e-5, `PD ${r.pd} vs onnxruntime's ${row.pd}`);
      assert.equal(parsePercent(r.pdText).toFixed(1), (row.pd * 100).toFixed(1), `displayed PD ${r.pdText}`);
      assert.equal(Math.round(r.points), points);
      assert.equal(Number(r.pointsText.replace(/,/g, '')), points, `displayed points ${r.pointsText}`);
      assert.equal(r.bandId, band.id);
      assert.equal(r.band, `${band.id} · ${band.label.en}`);
      assert.equal(r.reasons.length, 4, 'four reasons');
      const reasonTexts = new Map(schema.features.map((f) => [f.name, f.reason.en]));
      for (const reason of r.reasons) assert.equal(reason.text, reasonTexts.get(reason.feature));
      // The host page heard the same result (the library's ScoreResult), and said so its own way.
      const heard = await d.waitFor((pd) => {
        const last = window.__events.filter((e) => e.type === 'score').at(-1);
        return last && Math.abs(last.pd - pd) < 1e-5 && document.getElementById('outcome').dataset.event === 'score'
          ? { last, outcome: document.getElementById('outcome').textContent } : null;
      }, [row.pd], { what: 'the score event' });
      assert.equal(heard.last.band, band.id);
      assert.equal(Math.round(heard.last.points), points);
      assert.equal(heard.outcome, `Indicative band ${band.id}: ${points} points.`);
      // Styled from outside: the page's --csf-accent and ::part() rules reach the shadow tree.
      const style = await d.evaluate(() => {
        const root = document.getElementById('self-check').shadowRoot;
        const cs = (id) => getComputedStyle(root.getElementById(id));
        return {
          button: cs('score-btn').backgroundColor, result: cs('result').backgroundColor,
          band: cs('band').fontFamily, font: cs('fields').fontFamily,
        };
      });
      assert.equal(style.button, 'rgb(15, 76, 58)', '--csf-accent styles the button');
      assert.equal(style.result, 'rgb(255, 255, 255)', '::part(result) styles the result panel');
      assert.match(style.band, /system-ui/, '::part(band) styles the band chip');
      assert.match(style.font, /Georgia/, '--csf-font reaches the fields');
      await d.screenshot('example-result');
      await assertAccessible(d, 'example page, scored');
      await assertNoProblems(d, 'example page, scored');
    });

    test('the example page: an invalid value fires `invalid`, the language switch says everything in Chinese', async () => {
      const amount = await elementControl(d, labelsEn.credit_amount);
      await d.type(amount, '-5');
      // The error of -5 itself (WebDriver's clear in WebKit first shows "is required").
      const err = await d.waitFor((message) => {
        const host = document.getElementById('self-check');
        const e = host.shadowRoot.getElementById('f-credit_amount-error');
        const last = window.__events.at(-1);
        return host.dataset.state === 'stale' && !e.hidden && new RegExp(message).test(e.textContent) && last?.type === 'invalid'
          && document.getElementById('outcome').dataset.event === 'invalid'
          ? { text: e.textContent, last, outcome: document.getElementById('outcome').textContent,
            invalid: host.shadowRoot.getElementById('f-credit_amount').getAttribute('aria-invalid') } : null;
      }, ['must be between 250 and 18424 DM'], { what: 'the field error of -5 and the invalid event' });
      assert.deepEqual({ kind: err.last.kind, field: err.last.field }, { kind: 'invalid', field: 'credit_amount' });
      assert.match(err.text, /must be between 250 and 18424 DM; got -5/);
      assert.equal(err.invalid, 'true');
      assert.equal(err.outcome, `Please check “${labelsEn.credit_amount}”.`, 'the page names the field by its label');
      await d.screenshot('example-invalid');
      await assertAccessible(d, 'example page, field error');

      await d.choose('#lang', 'zh');
      const zh = await d.waitFor(() => {
        const root = document.getElementById('self-check').shadowRoot;
        const text = (id) => root.getElementById(id).textContent;
        return text('result-heading') === '结果' ? {
          outcome: document.getElementById('outcome').textContent, error: text('f-credit_amount-error'),
          label: text('f-credit_amount-label'), button: text('score-btn'), title: document.getElementById('title').textContent,
        } : null;
      }, [], { what: 'the element in Chinese' });
      assert.equal(zh.outcome, `请检查“${schema.features.find((f) => f.name === 'credit_amount').label.zh}”。`);
      assert.equal(zh.title, '示例贷款机构：查看您的资格', 'the page\'s own header follows');
      assert.match(zh.error, /^(必须介于|不得小于)/);
      assert.equal(zh.label, schema.features.find((f) => f.name === 'credit_amount').label.zh);
      await assertAccessible(d, 'example page, field error in Chinese');
      await d.type(amount, String(row.x[g.features.indexOf('credit_amount')]));
      const r = await waitElementPd(d, row.pd);
      assert.ok(Math.abs(r.pd - row.pd) < 1e-5, `PD ${r.pd} vs onnxruntime's ${row.pd}`);
      assert.equal(r.band, `${band.id} · ${band.label.zh}`);
      const reasonTexts = new Map(schema.features.map((f) => [f.name, f.reason.zh]));
      for (const reason of r.reasons) assert.equal(reason.text, reasonTexts.get(reason.feature));
      const outcome = await d.waitFor(() => document.getElementById('outcome').dataset.event === 'score'
        && document.getElementById('outcome').textContent, [], { what: 'the outcome line' });
      assert.equal(outcome, `参考等级 ${band.id}：${points} 分。`);
      await d.screenshot('example-zh');
      await assertAccessible(d, 'example page, Chinese');
      // On a phone: the whole form and result, no sideways scrolling.
      await d.resize(390, 844);
      const overflow = await d.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(
        () => r({ by: document.documentElement.scrollWidth - document.documentElement.clientWidth })))));
      assert.ok(overflow.by <= 0, `no horizontal scrolling on a phone (${overflow.by} px too wide)`);
      await d.screenshot('example-narrow');
      await assertAccessible(d, 'example page, narrow screen');
      await d.resize(1280, 1600);
      await d.choose('#lang', 'en');
      await d.waitFor(() => document.getElementById('title').textContent === 'Example Lender: check your eligibility', [], { what: 'the English header' });
      // Only the page's own origin was asked for anything (the browser's own services aside).
      const example = proxy.log.filter((e) => e.phase === 'example'
        && !BROWSER_OWN_HOSTS.has(new URL(e.url.startsWith('http') ? e.url : `http://${e.url}`).hostname));
      assert.ok(example.length > 0);
      for (const e of example) assert.equal(new URL(e.url).origin, ORIGIN, `${e.method} ${e.url}`);
      await assertNoProblems(d, 'example page, invalid value and language switch');
      assert.deepEqual(cspReports(), [], 'no CSP violation reported');
      // The reports do arrive: a refused innerHTML (Trusted Types) is one.
      await d.evaluate(() => { try { document.createElement('div').innerHTML = '<b>x</b>'; } catch { /* refused */ } });
      for (let i = 0; i < 100 && cspReports().length === 0; i++) await new Promise((res) => setTimeout(res, 100));
      assert.match(cspReports().join('\n'), /trusted-types/, 'the policy reports its violations to the proxy');
      proxy.log = proxy.log.filter((e) => !isReport(e));
      d.problems.length = 0;
      await d.evaluate(() => { window.__problems.length = 0; });
    });

    test('two scorers with different models on one strict host page, each as onnxruntime scored', async () => {
      proxy.phase = 'host';
      proxy.serve.set('/embed-host.html', {
        type: 'text/html; charset=utf-8',
        // The page's own icon and img-src for it: else Firefox asks for /favicon.ico and reports
        // the refusal as a violation (the library itself needs no img-src).
        headers: { 'content-security-policy': `${HOST_CSP}; img-src 'self'; report-uri ${CSP_REPORT}` },
        body: '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title>'
          + '<link rel="icon" href="/icon.svg" type="image/svg+xml"></head><body></body></html>',
      });
      proxy.serve.set('/embed-fixtures/logreg.onnx', { type: 'application/octet-stream', body: readFileSync(fixture('models', 'logreg.onnx')) });
      try {
        await d.goto(new URL('embed-host.html', BASE_URL).href);
        await d.watchProblems();
        const t0 = Date.now();
        const out = await d.evaluate(twoScorersOnOnePage, { applicant: goldenApplicant(g, row), logregRow: logreg.rows[0] });
        timings.twoScorers = Date.now() - t0;
        assert.equal(out.ma.sha, g.model_sha256);
        assert.equal(out.ma.build, 'lite', 'the reference model runs on the lite engine');
        assert.ok(Math.abs(out.ra.pd - row.pd) < 1e-5, `reference: ${out.ra.pd} vs onnxruntime ${row.pd}`);
        assert.equal(Math.round(out.ra.points), points);
        assert.equal(out.ra.band.id, band.id);
        assert.equal(out.again, out.ra.pd);
        assert.equal(out.mb.sha, logreg.model_sha256);
        assert.equal(out.mb.build, 'full', 'the foreign model needs the full engine: a second engine in a second Worker');
        assert.ok(Math.abs(out.rb.pd - logreg.rows[0].pd) < 1e-5, `logreg: ${out.rb.pd} vs onnxruntime ${logreg.rows[0].pd}`);
        assert.equal(out.rb.contributions.length, logreg.rows[0].x.length);
        await assertNoProblems(d, 'two scorers');
        assert.deepEqual(cspReports(), [], 'no CSP violation reported');
      } finally {
        proxy.serve.delete('/embed-host.html');
        proxy.serve.delete('/embed-fixtures/logreg.onnx');
      }
    });
  });
}
