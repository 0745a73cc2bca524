// No data leaves the page: every request is a same-origin GET of one of the app's own files, with
// no query and no body; before ready only the app, the lite engine this browser runs and the model
// are downloaded (no full engine, no scalar build); after ready the only requests that reach the
// network are the service worker's, for files its manifest pins (the full engine, cached once the
// page is idle), and every request of the page and its Workers is answered by the service worker;
// no sentinel value anywhere in a request; nothing stored but the language choice; the CSP is sent.

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
  '/js/main.js', '/js/engine.js', '/js/i18n.js', '/js/i18n-zh.js', '/js/i18n-later.js', '/js/pins.js', '/js/batch.js', '/js/governance.js',
  '/js/channel.js', '/js/dom.js', '/js/form.js', '/js/model-card.js', '/js/offline.js', '/js/record.js', '/js/result.js',
  '/js/trusted.js', '/js/upload.js', '/js/decision.js', '/js/decision-record.js', '/js/notice.js', '/js/deployment.js', '/js/recourse.js', '/js/recourse-target.js',
  '/js/worker/engine-worker.js', '/js/worker/engine-loader.js', '/js/worker/file-batch.js', '/js/worker/decode.js', '/js/worker/helper-worker.js',
  '/models/german-credit-mlp.onnx',
  // The lender's deployment file (creditor and notice texts for the adverse-action notice).
  '/deployment.json',
  // The engines: lite (the reference model's) and full (an own model's), SIMD and scalar builds.
  '/pkg/lite/simd/credit_scorer.js', '/pkg/lite/simd/credit_scorer_bg.wasm',
  '/pkg/lite/credit_scorer.js', '/pkg/lite/credit_scorer_bg.wasm',
  '/pkg/simd/credit_scorer.js', '/pkg/simd/credit_scorer_bg.wasm',
  '/pkg/credit_scorer.js', '/pkg/credit_scorer_bg.wasm',
  // The offline service worker and its manifest; it caches the files above.
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

  test('after ready only the service worker fetches pinned files, and no request carries applicant data', async () => {
    const { page, context, assertClean } = await openPage(browser);
    const log = [];
    // The context sees requests from the page, its Workers and the service worker.
    context.on('request', (r) => log.push({
      url: r.url(), method: r.method(), headers: r.headers(), body: r.postData() ?? '', request: r, seen: Date.now(),
    }));
    page.on('websocket', (ws) => log.push({ url: ws.url(), method: 'WEBSOCKET', headers: {}, body: '', seen: Date.now() }));
    // The moment the page says it is ready, on the browser's clock (requests are timed on it too).
    await page.addInitScript(() => {
      new MutationObserver((_, observer) => {
        if (document.body?.dataset.ready === 'true') {
          globalThis.__readyAt = performance.timeOrigin + performance.now();
          observer.disconnect();
        }
      }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-ready'] });
    });

    const response = await gotoReady(page);
    // The rest of the app (the full engine) is cached once the page is idle.
    await page.waitForSelector('body[data-offline-rest]', { timeout: 120_000 });
    assert.equal(await page.evaluate(() => document.body.dataset.offlineRest), 'done', 'the full engine is cached after ready');
    const readyAt = await page.evaluate(() => globalThis.__readyAt);
    assert.ok(readyAt > 0, 'the moment of ready was recorded');

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

    // When each request started, on the browser's clock (known once it is answered); one still
    // unanswered, or never timed, counts as after ready.
    for (const r of log) {
      const answered = r.request ? await r.request.response() : null;
      r.fromServiceWorker = answered?.fromServiceWorker() ?? false;
      const start = r.request?.timing().startTime ?? -1;
      r.afterReady = !(start > 0 && start < readyAt);
      r.path = new URL(r.url).pathname;
      r.bySw = !!r.request?.serviceWorker();
    }
    // The recorder sees the Workers' and the service worker's own fetches too (otherwise this
    // test would prove little).
    const paths = new Set(log.map((r) => r.path));
    for (const p of ['/js/worker/engine-worker.js', '/pkg/lite/simd/credit_scorer.js', '/pkg/lite/simd/credit_scorer_bg.wasm', '/models/german-credit-mlp.onnx']) {
      assert.ok(paths.has(p), `request for ${p} recorded`);
    }
    // A light first visit: before ready, neither full engine nor any scalar build is requested.
    const before = log.filter((r) => !r.afterReady).map((r) => r.path);
    for (const p of before) {
      assert.ok(!/^\/pkg\/(simd\/|lite\/credit|credit)/.test(p), `${p} is not requested before ready`);
    }
    // After ready, the only requests that reach the network are the service worker's, for files
    // its manifest pins (here the full SIMD engine, cached while the page is idle); every request
    // of the page and its Workers (the full engine the own model needs) is answered by the
    // service worker.
    const pinned = new Set((await (await fetch(new URL('pkg/sw-manifest.js', `${ORIGIN}/`))).text())
      .match(/path: '[^']+'/g).map((m) => new URL(m.slice(7, -1), `${ORIGIN}/`).pathname));
    const after = log.filter((r) => r.afterReady);
    const bySw = after.filter((r) => r.bySw);
    assert.ok(bySw.some((r) => r.path === '/pkg/simd/credit_scorer_bg.wasm'), 'the service worker fetched the full engine after ready');
    for (const r of bySw) {
      assert.ok(pinned.has(r.path), `after ready the service worker fetches only pinned files: ${r.path}`);
      assert.ok(!r.path.startsWith('/pkg/') || r.path.startsWith('/pkg/simd/'), `only the engine this browser runs: ${r.path}`);
    }
    for (const r of after.filter((e) => !e.bySw)) {
      assert.equal(r.fromServiceWorker, true, `${r.method} ${r.url} after ready is answered by the service worker`);
    }
    for (const r of log) {
      const u = new URL(r.url);
      assert.equal(u.origin, ORIGIN, `same origin: ${r.url}`);
      assert.ok(ALLOWED.has(u.pathname), `one of the app's own files: ${u.pathname}`);
      assert.equal(r.method, 'GET', `${r.url} is a GET`);
      assert.equal(u.search, '', `${r.url} has no query`);
      assert.equal(r.body, '', `${r.url} has no body`);
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
      assert.ok(pinned.has(new URL(url).pathname), `cached ${url} is one of the app's pinned files`);
    }
    assert.deepEqual({ ...stored, caches: [] }, { local: ['credit-scorer.lang'], session: [], cookie: '', idb: [], caches: [] });
    assertClean(assert);
    await context.close();
  });
});
