// Offline: after one visit the service worker has cached the app, the wasm and the model, so with
// the network cut a reload still loads and scores an applicant and a CSV file. The cache is versioned: a new version (a
// changed pkg/sw-manifest.js) replaces the old cache entirely.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, openPage, gotoReady, shot, fillApplicant, readResult, golden, goldenApplicant, fixture, BASE_URL, ORIGIN,
} from './helpers.mjs';

const g = golden();

/** The cache names and the paths in each, as the page sees them. */
async function cacheContents(page) {
  return page.evaluate(async () => {
    const out = {};
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      out[name] = (await cache.keys()).map((r) => new URL(r.url).pathname).sort();
    }
    return out;
  });
}

describe('offline', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  test('after one visit the app reloads and scores with the network cut', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await gotoReady(page);
    assert.equal(await page.evaluate(() => document.body.dataset.offline), 'ready', 'the service worker is installed before ready');
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);

    const contents = await cacheContents(page);
    const names = Object.keys(contents);
    assert.equal(names.length, 1, `one cache: ${names}`);
    assert.match(names[0], /^credit-scorer-[0-9a-f]{16}$/);
    for (const p of ['/', '/index.html', '/js/main.js', '/js/worker.js', '/pkg/credit_scorer.js', '/pkg/simd/credit_scorer_bg.wasm',
      '/pkg/credit_scorer_bg.wasm', '/models/german-credit-mlp.onnx', '/css/app.css']) {
      assert.ok(contents[names[0]].includes(p), `${p} is cached`);
    }

    await context.setOffline(true);
    const network = [];
    context.on('request', (r) => {
      if (!r.serviceWorker()) network.push(r.url());
    });
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    assert.equal(await page.locator('#app-alert').isHidden(), true, 'no error shown offline');

    const row = g.rows.find((r) => r.id.startsWith('test-') && r.pd > 0.5);
    await fillApplicant(page, goldenApplicant(g, row));
    const result = await readResult(page);
    assert.ok(Math.abs(result.pd - row.pd) < 1e-5, `PD ${result.pd} offline vs golden ${row.pd}`);
    assert.equal(await page.textContent('#model-sha'), g.model_sha256, 'the cached model is the reference model');

    // A CSV is scored offline too (500 training-like applicants).
    await page.setInputFiles('#batch-file', fixture('governance', 'train_sample.csv'));
    await page.waitForSelector('body[data-batch="done"]', { timeout: 120_000 });
    assert.equal(await page.$eval('#batch-rows-in', (e) => Number(e.dataset.value)), 500, 'every row of the CSV accounted for');
    for (const url of network) assert.equal(new URL(url).origin, ORIGIN, `only the app's own files: ${url}`);
    await shot(page, 'en-wide-offline');
    assertClean(assert);
    await context.close();
  });

  // Not run yet: Playwright's routes do not see the browser's service worker update check, so a
  // "new version" cannot be published this way; it needs a second served copy of www/ with another
  // pkg/sw-manifest.js. The activate handler in sw.js is what deletes the old cache.
  test('a new version replaces the old cache', { skip: 'needs a second served www/ (see comment)' }, async () => {
    const { page, context, assertClean } = await openPage(browser);
    await gotoReady(page);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    const [oldName] = Object.keys(await cacheContents(page));

    // Publish a "new version": the same files under a new VERSION in the manifest.
    await context.route(`${BASE_URL}sw.js`, async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, body: `${await response.text()}\n// a new version\n` });
    });
    await context.route(`${BASE_URL}pkg/sw-manifest.js`, async (route) => {
      const response = await route.fetch();
      const body = (await response.text()).replace(/VERSION = '[0-9a-f]+'/, "VERSION = '00000000feedbeef'");
      await route.fulfill({ response, body });
    });
    const state = await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.getRegistration();
      await reg.update();
      const next = reg.installing ?? reg.waiting;
      if (next) {
        await new Promise((resolve) => {
          const check = () => (next.state === 'activated' || next.state === 'redundant') && resolve();
          next.addEventListener('statechange', check);
          check();
        });
      }
      return next?.state ?? 'no update';
    });
    assert.equal(state, 'activated', 'the new version installed and took over');
    await page.waitForFunction(async () => (await caches.keys()).length === 1);
    const names = Object.keys(await cacheContents(page));
    assert.deepEqual(names, ['credit-scorer-00000000feedbeef'], `the old cache ${oldName} is gone`);

    await page.reload();
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    const row = g.rows.find((r) => r.id.startsWith('test-'));
    await fillApplicant(page, goldenApplicant(g, row));
    const result = await readResult(page);
    assert.ok(Math.abs(result.pd - row.pd) < 1e-5, 'the new version scores');
    assertClean(assert);
    await context.close();
  });
});
