// The engine build the page picks. Two engines, each as a SIMD and a scalar build: the lite one
// (no tract) by default, which runs the reference model; the full one (with tract) only once a
// model needs it, or from the start with `?build=full`. WebAssembly SIMD by default, the scalar
// builds with `?engine=scalar`; every build gives the golden PD, and all are the pinned release
// builds (no debug entry point).
//
// The service worker caches the lite build this browser runs (SIMD here) before the page is ready
// and the full SIMD build once it is idle, so a request log of the whole context holds those too;
// the builds the scoring worker itself runs are the engine requests that do not come from the
// service worker.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ROOT, launch, openPage, gotoReady, fillApplicant, readResult, golden, goldenApplicant, fixture, BASE_URL,
} from './helpers.mjs';

const CLI = process.env.CREDIT_SCORER_CLI
  ?? path.join(process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target'), 'debug', 'credit-scorer');
const g = golden();
const mlp = JSON.parse(readFileSync(fixture('models', 'mlp_dynamic.json'), 'utf8'));

const ENGINE_FILE = /^\/pkg\/(?:.+\/)?credit_scorer(?:_bg\.wasm|\.js)$/;
const LITE_TEXT = 'Direct evaluator, lite engine (reproduced the reference scores recorded in the model when loaded)';
const DIRECT_TEXT = 'Direct evaluator (agreed with tract on probe applicants when loaded)';
const files = (dir) => [`/pkg/${dir}credit_scorer.js`, `/pkg/${dir}credit_scorer_bg.wasm`];

/**
 * Records every engine file (wasm or glue) requested in `context`: `worker` holds the scoring
 * worker's requests (its fetch of the wasm, its import of the glue), `cache` the service worker's,
 * each as paths in the `phase` current when the request was made.
 */
function recordEngineRequests(context) {
  const log = { phase: 'loading', worker: {}, cache: {} };
  context.on('request', (r) => {
    const p = new URL(r.url()).pathname;
    if (!ENGINE_FILE.test(p)) return;
    const by = r.serviceWorker() ? log.cache : log.worker;
    (by[log.phase] ??= []).push(p);
  });
  log.of = (by, phase) => [...(log[by][phase] ?? [])].sort();
  return log;
}

/** What the scoring worker runs (its reply is caught on its way to the page). */
/** A fresh page at `url`, ready, with its Workers and engine requests recorded (phase 'ready'). */
async function openRecorded(browser, url) {
  const { page, context, assertClean } = await openPage(browser);
  const workers = [];
  page.on('worker', (w) => workers.push(w));
  const log = recordEngineRequests(context);
  await gotoReady(page, url);
  log.phase = 'ready';
  return { page, context, assertClean, workers, log };
}

async function capabilities(workers) {
  assert.equal(workers.length, 1, 'one scoring worker');
  // The test-only request type comes from js/worker/probe.js, loaded into the engine Worker.
  await workers[0].evaluate(() => import(new URL('probe.js', self.location.href)).then(() => undefined));
  return workers[0].evaluate(() => new Promise((resolve) => {
    const post = self.postMessage.bind(self);
    self.postMessage = (msg, ...rest) => {
      if (msg?.id === -2) { self.postMessage = post; resolve(msg.result); return undefined; }
      return post(msg, ...rest);
    };
    self.dispatchEvent(new MessageEvent('message', { data: { id: -2, type: 'capabilities' } }));
  }));
}

async function modelEngine(page) {
  return page.$eval('#model-engine', (el) => ({ engine: el.dataset.engine, build: el.dataset.build, text: el.textContent }));
}

async function scoresGolden(page, label) {
  const row = g.rows.find((r) => r.id.startsWith('test-'));
  await fillApplicant(page, goldenApplicant(g, row));
  const r = await readResult(page);
  assert.ok(Math.abs(r.pd - row.pd) < 1e-5, `${label}: PD ${r.pd} vs golden ${row.pd}`);
}

describe('engine build selection', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  for (const [name, query, dir, variant, build, text] of [
    ['lite SIMD by default', '', 'lite/simd/', 'simd', 'lite', LITE_TEXT],
    ['lite scalar with ?engine=scalar', '?engine=scalar', 'lite/', 'scalar', 'lite', LITE_TEXT],
    ['full SIMD with ?build=full', '?build=full', 'simd/', 'simd', 'full', DIRECT_TEXT],
    ['full scalar with ?build=full&engine=scalar', '?build=full&engine=scalar', '', 'scalar', 'full', DIRECT_TEXT],
  ]) {
    test(`${name}: the worker loads only that build, which scores the golden applicant`, async () => {
      const { page, context, assertClean, workers, log } = await openRecorded(browser, `${BASE_URL}${query}`);
      assert.deepEqual(log.of('worker', 'loading'), files(dir), `the worker fetched and imported only pkg/${dir}`);
      // The service worker requested builds too (which is why the filter above matters): the lite
      // SIMD one before ready, the full SIMD one once the page is idle, never a scalar build.
      const bySw = [...log.of('cache', 'loading'), ...log.of('cache', 'ready')];
      for (const f of files('lite/simd/')) assert.ok(log.of('cache', 'loading').includes(f), `${f} cached before ready`);
      for (const f of bySw) assert.ok([...files('lite/simd/'), ...files('simd/')].includes(f), `the service worker fetched ${f}`);

      assert.equal(await page.textContent('#model-sha'), g.model_sha256);
      assert.deepEqual(await modelEngine(page), { engine: 'direct', build, text }, 'the model card names the engine');
      await scoresGolden(page, name);
      assert.deepEqual(await capabilities(workers), { debugPanic: false, simd: variant === 'simd', variant, build },
        'the pinned release build runs');
      assert.equal(await page.locator('#engine-note').isHidden(), true, 'no test-engine note');
      assert.deepEqual(log.worker.ready ?? [], [], 'no engine request after ready');
      assertClean(assert);
      await context.close();
    });
  }

  for (const [query, variant, lite, full] of [['', 'simd', 'lite/simd/', 'simd/'], ['?engine=scalar', 'scalar', 'lite/', '']]) {
    test(`a model the lite engine defers loads the full ${variant} engine, then the reference model runs on lite again${query ? ` (${query})` : ''}`, async () => {
      const { page, context, assertClean, workers, log } = await openRecorded(browser, `${BASE_URL}${query}`);
      assert.deepEqual(log.of('worker', 'loading'), files(lite), 'only the lite engine before the upload');

      // A foreign model without reference scores: the lite engine refuses it as needing the full one.
      log.phase = 'foreign';
      await page.setInputFiles('#model-file', fixture('models', 'mlp_dynamic.onnx'));
      await page.waitForSelector('body[data-busy="false"]');
      await page.waitForFunction(() => !document.getElementById('model-status').hidden
        || !document.getElementById('model-error').hidden);
      assert.equal(await page.locator('#model-error').isHidden(), true, 'the model is accepted');
      assert.match(await page.textContent('#model-status'), /Loaded “mlp_dynamic\.onnx”/);
      assert.equal(await page.textContent('#model-sha'), mlp.model_sha256);
      assert.deepEqual(log.of('worker', 'foreign'), files(full), `the worker fetched the full ${variant} engine for it`);
      assert.deepEqual(await modelEngine(page), { engine: 'direct', build: 'full', text: DIRECT_TEXT },
        'a chain model on the full engine: direct, checked against tract');
      assert.deepEqual(await capabilities(workers), { debugPanic: false, simd: variant === 'simd', variant, build: 'full' });
      const sample = mlp.rows[0];
      await fillApplicant(page, Object.fromEntries(sample.x.map((v, i) => [`x${i}`, String(v)])));
      const r = await readResult(page);
      assert.ok(Math.abs(r.pd - sample.pd) < 1e-5, `mlp_dynamic: PD ${r.pd} vs golden ${sample.pd}`);

      // Back to the reference model: the lite engine (kept) takes it again; nothing is fetched.
      log.phase = 'reference';
      await page.click('#reference-btn');
      await page.waitForFunction(() => document.getElementById('f-checking_status'));
      await page.waitForSelector('body[data-busy="false"]');
      assert.equal(await page.textContent('#model-sha'), g.model_sha256);
      assert.deepEqual(await modelEngine(page), { engine: 'direct', build: 'lite', text: LITE_TEXT });
      assert.deepEqual(await capabilities(workers), { debugPanic: false, simd: variant === 'simd', variant, build: 'lite' });
      await scoresGolden(page, 'reference model after a foreign one');

      // And the foreign model once more: the full engine is kept, not fetched again.
      await page.setInputFiles('#model-file', fixture('models', 'mlp_dynamic.onnx'));
      await page.waitForSelector('#f-x0');
      await page.waitForSelector('body[data-busy="false"]');
      assert.equal(await page.getAttribute('#model-engine', 'data-build'), 'full');
      assert.deepEqual(log.worker.reference ?? [], [], 'no engine fetched again');
      assertClean(assert);
      await context.close();
    });
  }

  test('a bank\'s chain model given reference scores by `credit-scorer reference-scores` runs on the lite engine', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cs-reference-'));
    const file = path.join(dir, 'mlp_dynamic-lite.onnx');
    const said = execFileSync(CLI, ['reference-scores', '--model', fixture('models', 'mlp_dynamic.onnx'), '-o', file],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.equal(said, '', 'the report goes to stderr');
    const { page, context, assertClean, workers, log } = await openRecorded(browser, BASE_URL);
    log.phase = 'upload';
    await page.setInputFiles('#model-file', file);
    await page.waitForSelector('#f-x0');
    await page.waitForSelector('body[data-busy="false"]');
    assert.equal(await page.locator('#model-error').isHidden(), true, 'the model is accepted');
    assert.match(await page.textContent('#model-status'), /Loaded “mlp_dynamic-lite\.onnx”/);
    assert.deepEqual(await modelEngine(page), { engine: 'direct', build: 'lite', text: LITE_TEXT });
    assert.deepEqual(await capabilities(workers), { debugPanic: false, simd: true, variant: 'simd', build: 'lite' });
    assert.deepEqual(log.worker.upload ?? [], [], 'the full engine is never fetched');
    const sample = mlp.rows[3];
    await fillApplicant(page, Object.fromEntries(sample.x.map((v, i) => [`x${i}`, String(v)])));
    const r = await readResult(page);
    assert.ok(Math.abs(r.pd - sample.pd) < 1e-5, `mlp_dynamic on lite: PD ${r.pd} vs onnxruntime ${sample.pd}`);
    assertClean(assert);
    await context.close();
    rmSync(dir, { recursive: true });
  });
});
