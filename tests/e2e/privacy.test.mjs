// No data leaves the page: every request before ready is same-origin and one of the app's own
// files; none reaches the network after ready while scoring (single, what-if, own model: the full
// engine an own model needs comes from the service worker's cache); no sentinel value anywhere in
// a request; nothing stored but the language choice; the CSP is sent.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, openPage, gotoReady, shot, fillApplicant, readResult, golden, goldenApplicant, fixture, ORIGIN,
} from './helpers.mjs';

const g = golden();
const ALLOWED = new Set([
  '/', '/index.html', '/css/app.css', '/icon.svg',
  // The web app manifest and its icons (for installing the app).
  '/manifest.webmanifest', '/icons/icon-192.png', '/icons/icon-512.png', '/icons/maskable-512.png',
  '/js/main.js', '/js/engine.js', '/js/i18n.js', '/js/pins.js', '/js/batch.js', '/js/governance.js',
  '/js/channel.js', '/js/dom.js', '/js/form.js', '/js/model-card.js', '/js/offline.js', '/js/record.js', '/js/result.js',
  '/js/trusted.js', '/js/upload.js', '/js/decision.js', '/js/decision-record.js', '/js/notice.js', '/js/deployment.js',
  '/js/worker/engine-worker.js', '/js/worker/engine-loader.js', '/js/worker/file-batch.js', '/js/worker/helper-worker.js',
  '/models/german-credit-mlp.onnx',
  // The lender's deployment file (creditor and notice texts for the adverse-action notice).
  '/deployment.json',
  // The engines: lite (the reference model's) and full (an own model's), SIMD and scalar builds.
  '/pkg/lite/simd/credit_scorer.js', '/pkg/lite/simd/credit_scorer_bg.wasm',
  '/pkg/lite/credit_scorer.js', '/pkg/lite/credit_scorer_bg.wasm',
  '/pkg/simd/credit_scorer.js', '/pkg/simd/credit_scorer_bg.wasm',
  '/pkg/credit_scorer.js', '/pkg/credit_scorer_bg.wasm',
  // The offline service worker and its manifest; it caches the files above before ready.
  '/sw.js', '/pkg/sw-manifest.js',
]);

describe('privacy and security', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  test('no request leaves the page after it is ready, and none carries applicant data', async () => {
    const { page, context, assertClean } = await openPage(browser);
    const log = [];
    let ready = false;
    // The context sees requests from the page and from its worker.
    context.on('request', (r) => log.push({
      url: r.url(), method: r.method(), headers: r.headers(), body: r.postData() ?? '', afterReady: ready, request: r,
    }));
    page.on('websocket', (ws) => log.push({ url: ws.url(), method: 'WEBSOCKET', headers: {}, body: '', afterReady: ready }));

    // (gotoReady navigates again when a fresh Chromium's first navigation stalls; the abandoned
    // attempt's requests are the app's own files, before ready, and are checked like the others.)
    const response = await gotoReady(page);
    ready = true;

    const csp = response.headers()['content-security-policy'];
    for (const directive of ["default-src 'none'", "script-src 'self' 'wasm-unsafe-eval'", "connect-src 'self'",
      "worker-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
      "require-trusted-types-for 'script'", 'trusted-types credit-scorer']) {
      assert.ok(csp?.includes(directive), `CSP header has ${directive}`);
    }
    assert.ok(!/'unsafe-inline'|'unsafe-eval'/.test(csp), 'no unsafe-inline or unsafe-eval');
    assert.equal(response.headers()['x-content-type-options'], 'nosniff');
    const meta = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
    assert.equal(meta, csp.replace(" frame-ancestors 'none';", ''), 'the <meta> fallback equals the header minus frame-ancestors');

    // Distinctive values that must never appear in any request.
    const row = g.rows.find((r) => r.id.startsWith('test-'));
    const applicant = { ...goldenApplicant(g, row), duration_months: '47', credit_amount: '13579' };
    await fillApplicant(page, applicant);
    const first = await readResult(page);
    await page.fill('#f-duration_months', '13'); // what-if (another bin: the points move)
    await page.fill('#f-credit_amount', '12345');
    await page.waitForFunction((p) => document.getElementById('points').dataset.value !== String(p), first.points);
    await page.waitForFunction(() => !document.getElementById('result-stale').hidden || document.getElementById('f-credit_amount').value === '12345');
    await page.selectOption('#lang', 'zh-CN');
    await page.selectOption('#lang', 'en');
    await page.setInputFiles('#model-file', fixture('models', 'logreg.onnx'));
    await page.waitForSelector('#f-x0');
    await fillApplicant(page, Object.fromEntries(row.x.map((v, i) => [`x${i}`, i === 6 ? '24680' : String(v)])));
    await readResult(page);
    await shot(page, 'en-wide-privacy-own-model');

    // The recorder sees the worker's own fetches too (otherwise this test would prove little).
    const paths = new Set(log.map((r) => new URL(r.url).pathname));
    for (const p of ['/js/worker/engine-worker.js', '/pkg/lite/simd/credit_scorer.js', '/pkg/lite/simd/credit_scorer_bg.wasm', '/models/german-credit-mlp.onnx']) {
      assert.ok(paths.has(p), `request for ${p} recorded`);
    }
    // After ready, the only requests are the scoring worker's for the full engine the own model
    // needs (the lite engine defers it), and the service worker answers them from its cache:
    // nothing goes to the network, and the service worker itself fetches nothing.
    const after = log.filter((r) => r.afterReady);
    assert.deepEqual(after.map((r) => `${r.method} ${new URL(r.url).pathname}`).sort(),
      ['GET /pkg/simd/credit_scorer.js', 'GET /pkg/simd/credit_scorer_bg.wasm'], 'after ready: only the full engine');
    for (const r of after) {
      assert.equal(r.request.serviceWorker(), null, `${r.url} is the scoring worker's request`);
      const response = await r.request.response();
      assert.equal(response?.fromServiceWorker(), true, `${r.url} is answered from the service worker's cache`);
    }
    for (const r of log) {
      const u = new URL(r.url);
      assert.equal(u.origin, ORIGIN, `same origin: ${r.url}`);
      assert.ok(ALLOWED.has(u.pathname), `one of the app's own files: ${u.pathname}`);
      assert.equal(r.method, 'GET', `${r.url} is a GET`);
      assert.equal(u.search, '', `${r.url} has no query`);
      const all = `${r.url} ${JSON.stringify(r.headers)} ${r.body}`;
      for (const sentinel of ['13579', '12345', '24680']) assert.ok(!all.includes(sentinel), `${sentinel} not in ${r.url}`);
    }

    const stored = await page.evaluate(async () => ({
      local: Object.keys(localStorage),
      session: Object.keys(sessionStorage),
      cookie: document.cookie,
      idb: (await indexedDB.databases?.())?.map((d) => d.name) ?? [],
      caches: 'caches' in window ? await caches.keys() : [],
    }));
    // The one cache is the service worker's copy of the app's own files (nothing else in it).
    assert.equal(stored.caches.length, 1, `one cache: ${stored.caches}`);
    assert.match(stored.caches[0], /^credit-scorer-[0-9a-f]{16}$/);
    const cached = await page.evaluate(async (name) => (await (await caches.open(name)).keys()).map((r) => r.url), stored.caches[0]);
    for (const url of cached) {
      assert.equal(new URL(url).origin, ORIGIN, `cached ${url} is same-origin`);
      assert.ok(ALLOWED.has(new URL(url).pathname), `cached ${url} is one of the app's own files`);
    }
    assert.deepEqual({ ...stored, caches: [] }, { local: ['credit-scorer.lang'], session: [], cookie: '', idb: [], caches: [] });
    assertClean(assert);
    await context.close();
  });
});
