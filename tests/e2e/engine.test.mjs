// The engine build the page picks: WebAssembly SIMD where the browser has it (Chromium does), the
// scalar build with `?engine=scalar`; both give the golden PD, and both are the pinned release
// builds (no debug entry point). Requests are read before the page is ready, when only the worker
// loads the engine (the service worker caches both builds later).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, gotoReady, fillApplicant, readResult, golden, goldenApplicant, BASE_URL } from './helpers.mjs';

const g = golden();

describe('engine build selection', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  for (const [name, query, wanted, unwanted, variant] of [
    ['SIMD by default', '', '/pkg/simd/credit_scorer_bg.wasm', '/pkg/credit_scorer_bg.wasm', 'simd'],
    ['scalar with ?engine=scalar', '?engine=scalar', '/pkg/credit_scorer_bg.wasm', '/pkg/simd/credit_scorer_bg.wasm', 'scalar'],
  ]) {
    test(`${name}: loads that build and scores the golden applicant`, async () => {
      const { page, context, assertClean } = await openPage(browser);
      const workers = [];
      page.on('worker', (w) => workers.push(w));
      const beforeReady = [];
      let ready = false;
      context.on('request', (r) => {
        if (!ready) beforeReady.push(new URL(r.url()).pathname);
      });
      await gotoReady(page, `${BASE_URL}${query}`);
      ready = true;
      assert.ok(beforeReady.includes(wanted), `${wanted} loaded: ${beforeReady.join(' ')}`);
      // The service worker may precache the other build just before ready; the worker must not
      // have started from it, so the other build's glue must not have been imported by the worker.
      const otherGlue = unwanted.replace('_bg.wasm', '.js');
      const wantedGlue = wanted.replace('_bg.wasm', '.js');
      assert.ok(beforeReady.indexOf(wantedGlue) >= 0, `${wantedGlue} imported`);
      const firstOther = beforeReady.indexOf(otherGlue);
      assert.ok(firstOther < 0 || firstOther > beforeReady.indexOf(wanted), `${otherGlue} only fetched by the cache, after the engine loaded`);
      const row = g.rows.find((r) => r.id.startsWith('test-'));
      await fillApplicant(page, goldenApplicant(g, row));
      const r = await readResult(page);
      assert.ok(Math.abs(r.pd - row.pd) < 1e-5, `${name}: PD ${r.pd} vs golden ${row.pd}`);
      // Ask the worker what it runs (the reply is caught on its way to the page).
      const caps = await workers.at(-1).evaluate(() => new Promise((resolve) => {
        const post = self.postMessage.bind(self);
        self.postMessage = (msg, ...rest) => {
          if (msg?.id === -2) { self.postMessage = post; resolve(msg.result); return undefined; }
          return post(msg, ...rest);
        };
        self.dispatchEvent(new MessageEvent('message', { data: { id: -2, type: 'capabilities' } }));
      }));
      assert.deepEqual(caps, { debugPanic: false, simd: variant === 'simd', variant }, 'the pinned release build runs');
      assert.equal(await page.locator('#engine-note').isHidden(), true, 'no test-engine note');
      assertClean(assert);
      await context.close();
    });
  }
});
