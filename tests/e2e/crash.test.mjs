// Crash recovery: a trap inside wasm leaves the instance broken, so the page replaces the
// worker, reloads the model, tells the user, and keeps scoring. The real panic comes from the
// unpinned debug engine (`?engine=debug`, www/pkg/debug/, built only by `cargo xtask test`); every
// other test runs the pinned release builds.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, openPage, gotoReady, shot, fillApplicant, readResult, waitForPointsChange, golden, goldenApplicant, BASE_URL,
} from './helpers.mjs';

const g = golden();
const row = g.rows.find((r) => r.id.startsWith('test-') && r.x[3] > 12);

/** Runs `fn` in the scoring worker's global scope (the newest worker). */
async function inWorker(page, workers, fn, arg) {
  const w = workers.at(-1);
  assert.ok(w, 'a scoring worker is running');
  return w.evaluate(fn, arg);
}

async function expectRecovered(page, workers, before) {
  await page.locator('#app-alert').waitFor({ state: 'visible' });
  assert.match(await page.textContent('#app-alert'), /crashed .*restarted and the model reloaded/);
  assert.equal(workers.length, before + 1, 'a new worker was started');
  // The page still scores: what-if on the new worker.
  const r0 = await readResult(page);
  await page.fill('#f-duration_months', '6');
  await waitForPointsChange(page, r0.points);
  const r1 = await readResult(page);
  assert.equal(r1.stale, false);
}

describe('crash recovery', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  test('a fatal reply from the worker restarts it and reloads the model', async () => {
    const { page, context, assertClean } = await openPage(browser);
    const workers = [];
    page.on('worker', (w) => workers.push(w));
    await gotoReady(page);
    await fillApplicant(page, goldenApplicant(g, row));
    await readResult(page);
    // What a wasm trap produces, sent by the worker itself.
    await inWorker(page, workers, () => self.postMessage({
      id: -1, ok: false, fatal: true, error: { name: 'RuntimeError', message: 'unreachable' },
    }));
    await expectRecovered(page, workers, 1);
    await shot(page, 'en-wide-crash-recovered');
    assertClean(assert);
    await context.close();
  });

  test('a real panic inside wasm (the debug engine) is recovered from', async (t) => {
    const served = (await fetch(new URL('pkg/debug/credit_scorer_bg.wasm', BASE_URL))).ok;
    if (!served) {
      // `cargo xtask test` builds it and sets REQUIRE_DEBUG_ENGINE; a deployment has none.
      assert.ok(!process.env.REQUIRE_DEBUG_ENGINE, 'the debug engine www/pkg/debug/ is served');
      t.skip('no debug engine is served here (www/pkg/debug/ is built by cargo xtask test only)');
      return;
    }
    const { page, context, problems, assertClean } = await openPage(browser);
    const workers = [];
    page.on('worker', (w) => workers.push(w));
    await gotoReady(page, `${BASE_URL}?engine=debug`);
    // The page says that it runs an unpinned test build.
    assert.match(await page.textContent('#engine-note'), /debug build pkg\/debug\/credit_scorer_bg\.wasm.*not pinned/);
    // The test-only request types (capabilities, debugPanic) come from js/worker/probe.js.
    await inWorker(page, workers, () => import(new URL('probe.js', self.location.href)).then(() => undefined));
    const caps = await inWorker(page, workers, () => new Promise((resolve) => {
      // The reply would go to the page (which ignores unknown ids): catch it on its way out.
      const post = self.postMessage.bind(self);
      self.postMessage = (msg, ...rest) => {
        if (msg?.id === -2) { self.postMessage = post; resolve(msg.result); return undefined; }
        return post(msg, ...rest);
      };
      self.dispatchEvent(new MessageEvent('message', { data: { id: -2, type: 'capabilities' } }));
    }));
    assert.equal(caps?.variant, 'debug', 'the debug engine runs');
    assert.equal(caps?.debugPanic, true, 'the debug engine exports debugPanic');
    await fillApplicant(page, goldenApplicant(g, row));
    await readResult(page);
    await inWorker(page, workers, () => {
      self.dispatchEvent(new MessageEvent('message', { data: { id: -3, type: 'debugPanic' } }));
    });
    await expectRecovered(page, workers, 1);
    assert.equal(await page.locator('#engine-note').isVisible(), true, 'the restarted worker runs the debug engine too');
    await shot(page, 'en-wide-debug-engine-crash-recovered');
    // The panic message may be logged by the wasm glue; nothing else may be.
    const unexpected = problems.filter((p) => !/panic|unreachable|RuntimeError/i.test(p));
    problems.length = 0;
    problems.push(...unexpected);
    assertClean(assert);
    await context.close();
  });
});
