// Offline: after one visit the service worker has cached the app, the lite engine and the model
// before ready, and the full engine once the page was idle, so with the network cut a reload still
// loads and scores an applicant and a CSV file, and an own model that needs the full engine loads
// too. When the browser asks to save data, only the modules the page loads after ready are cached
// while idle (no full engine), but a bank model that needed the full engine once still loads and
// scores offline (the full engine was cached when first used). The cache is versioned: a new
// deployment (a changed file and the pkg/sw-manifest.js its build writes) replaces the old cache
// entirely (its install copies the unchanged files, checked against the new pins, and caches the
// modules loaded after ready).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  launch, openPage, gotoReady, panelsReady, shot, fillApplicant, readResult, golden, goldenApplicant, fixture, ORIGIN,
} from './helpers.mjs';

const g = golden();
const mlp = JSON.parse(readFileSync(fixture('models', 'mlp_dynamic.json'), 'utf8'));
// Each engine build (Chromium here runs the SIMD ones), a wasm and its glue.
const build = (dir) => [`/pkg/${dir}credit_scorer.js`, `/pkg/${dir}credit_scorer_bg.wasm`];
const LITE = build('lite/simd/');
const FULL = build('simd/');
const SCALAR = [...build('lite/'), ...build('')];
// What the page imports after it is ready (js/main.js), and the batch's Worker scripts: cached
// once the page is idle, with save-data too (xtask/src/integrity/offline.rs, group `idle`).
const AFTER_READY = ['/js/decision.js', '/js/recourse.js', '/js/governance.js', '/js/batch.js', '/js/i18n-zh.js', '/js/i18n-later.js',
  '/deployment.json', '/js/worker/file-batch.js', '/js/worker/decode.js', '/js/worker/helper-worker.js'];

function manifestVersion(www) {
  return readFileSync(path.join(www, 'pkg', 'sw-manifest.js'), 'utf8').match(/VERSION = '([0-9a-f]+)'/)[1];
}

/**
 * Rewrites `www`'s pkg/sw-manifest.js for the files now on disk, as `cargo xtask build` does
 * (xtask/src/integrity/offline.rs): each file's SHA-384, and a VERSION from all of them. Returns VERSION.
 */
function rewriteManifest(www) {
  const file = path.join(www, 'pkg', 'sw-manifest.js');
  const text = readFileSync(file, 'utf8');
  const sri = (rel) => `sha384-${createHash('sha384').update(readFileSync(path.join(www, rel === './' ? 'index.html' : rel))).digest('base64')}`;
  let all = '';
  const updated = text.replace(/\{ path: '([^']+)', integrity: '[^']+', group: '([^']+)' \}/g, (_, rel, group) => {
    const hash = sri(rel);
    if (rel !== './') all += `${rel} ${hash}\n`;
    return `{ path: '${rel}', integrity: '${hash}', group: '${group}' }`;
  });
  const version = createHash('sha256').update(all).digest('hex').slice(0, 16);
  writeFileSync(file, updated.replace(/VERSION = '[0-9a-f]+'/, `VERSION = '${version}'`));
  return version;
}

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
    await page.waitForSelector('body[data-offline-rest]', { timeout: 120_000 });
    assert.equal(await page.evaluate(() => document.body.dataset.offlineRest), 'done', 'the full engine is cached once idle');

    const contents = await cacheContents(page);
    const names = Object.keys(contents);
    assert.equal(names.length, 1, `one cache: ${names}`);
    assert.match(names[0], /^credit-scorer-[0-9a-f]{16}$/);
    for (const p of ['/', '/index.html', '/js/main.js', '/js/worker/engine-worker.js', ...LITE, ...FULL, '/models/german-credit-mlp.onnx',
      '/css/app.css', '/icons/icon-512.png', ...AFTER_READY]) {
      assert.ok(contents[names[0]].includes(p), `${p} is cached`);
    }
    for (const p of SCALAR) assert.ok(!contents[names[0]].includes(p), `${p} (a build this browser does not run) is not cached`);

    await context.setOffline(true);
    const network = [];
    context.on('request', (r) => {
      if (!r.serviceWorker()) network.push(r.url());
    });
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    await panelsReady(page);
    assert.equal(await page.locator('#app-alert').isHidden(), true, 'no error shown offline');

    const row = g.rows.find((r) => r.id.startsWith('test-') && r.pd > 0.5);
    await fillApplicant(page, goldenApplicant(g, row));
    const result = await readResult(page);
    assert.ok(Math.abs(result.pd - row.pd) < 1e-5, `PD ${result.pd} offline vs golden ${row.pd}`);
    assert.equal(await page.textContent('#model-sha'), g.model_sha256, 'the cached model is the reference model');
    assert.equal(await page.getAttribute('#model-engine', 'data-build'), 'lite', 'on the lite engine');

    // A CSV is scored offline too (500 training-like applicants).
    await page.setInputFiles('#batch-file', fixture('governance', 'train_sample.csv'));
    await page.waitForSelector('body[data-batch="done"]', { timeout: 120_000 });
    assert.equal(await page.$eval('#batch-rows-in', (e) => Number(e.dataset.value)), 500, 'every row of the CSV accounted for');
    await shot(page, 'en-wide-offline');

    // An own model the lite engine defers: the full engine comes from the cache as well.
    await page.setInputFiles('#model-file', fixture('models', 'mlp_dynamic.onnx'));
    await page.waitForSelector('body[data-busy="false"]');
    await page.waitForFunction(() => !document.getElementById('model-status').hidden
      || !document.getElementById('model-error').hidden);
    assert.equal(await page.locator('#model-error').isHidden(), true, 'the own model loads offline');
    assert.equal(await page.textContent('#model-sha'), mlp.model_sha256);
    assert.equal(await page.getAttribute('#model-engine', 'data-build'), 'full', 'on the full engine');
    const sample = mlp.rows[0];
    await fillApplicant(page, Object.fromEntries(sample.x.map((v, i) => [`x${i}`, String(v)])));
    const own = await readResult(page);
    assert.ok(Math.abs(own.pd - sample.pd) < 1e-5, `own model PD ${own.pd} offline vs golden ${sample.pd}`);
    const fullEngine = network.map((u) => new URL(u).pathname).filter((p) => p.startsWith('/pkg/simd/'));
    assert.deepEqual(fullEngine.sort(), ['/pkg/simd/credit_scorer.js', '/pkg/simd/credit_scorer_bg.wasm'], 'the full engine was requested, offline');
    for (const url of network) assert.equal(new URL(url).origin, ORIGIN, `only the app's own files: ${url}`);
    assertClean(assert);
    await context.close();
  });

  test('saving data: no engine is cached while idle (the modules loaded after ready are), and a bank model used once works offline', async () => {
    const { page, context, assertClean } = await openPage(browser);
    // The browser asks to save data (navigator.connection.saveData), from the first navigation on.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setDataSaverOverride', { dataSaverEnabled: true });
    await gotoReady(page);
    assert.equal(await page.evaluate(() => navigator.connection.saveData), true);
    await page.waitForSelector('body[data-offline-rest]', { timeout: 60_000 });
    assert.equal(await page.evaluate(() => document.body.dataset.offlineRest), 'save-data', 'no engine cached while idle');
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    let [cached] = Object.values(await cacheContents(page));
    for (const p of LITE) assert.ok(cached.includes(p), `${p} is cached before ready`);
    for (const p of AFTER_READY) assert.ok(cached.includes(p), `${p} is cached once idle, with save-data too`);
    for (const p of [...FULL, ...SCALAR]) assert.ok(!cached.includes(p), `${p} is not cached`);

    // A bank model that needs the full engine, used once online: the engine is cached on first use.
    const loadOwn = async () => {
      await page.setInputFiles('#model-file', fixture('models', 'mlp_dynamic.onnx'));
      await page.waitForSelector('body[data-busy="false"]');
      await page.waitForFunction(() => !document.getElementById('model-status').hidden
        || !document.getElementById('model-error').hidden);
      assert.equal(await page.locator('#model-error').isHidden(), true, 'the own model loads');
      assert.equal(await page.textContent('#model-sha'), mlp.model_sha256);
      assert.equal(await page.getAttribute('#model-engine', 'data-build'), 'full', 'on the full engine');
      const sample = mlp.rows[1];
      await fillApplicant(page, Object.fromEntries(sample.x.map((v, i) => [`x${i}`, String(v)])));
      const own = await readResult(page);
      assert.ok(Math.abs(own.pd - sample.pd) < 1e-5, `own model PD ${own.pd} vs golden ${sample.pd}`);
    };
    await loadOwn();
    for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
      [cached] = Object.values(await cacheContents(page));
      if (FULL.every((p) => cached.includes(p))) break;
      await page.waitForTimeout(250);
    }
    for (const p of FULL) assert.ok(cached.includes(p), `${p} is cached once used`);
    for (const p of SCALAR) assert.ok(!cached.includes(p), `${p} is still not cached`);

    // Offline: reload, and the same bank model loads and scores again.
    await context.setOffline(true);
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    await panelsReady(page);
    assert.equal(await page.locator('#app-alert').isHidden(), true, 'no error shown offline');
    await loadOwn();
    await shot(page, 'en-wide-offline-save-data-own-model');
    assertClean(assert);
    await context.close();
  });

  // A new deployment, for real: `cargo xtask test` serves a copy of www/ on another port
  // (UPDATE_BASE_URL, its own origin and so its own service worker) from UPDATE_WWW, which this
  // test changes on disk as an upload of a new build would. Playwright's routes cannot stand in
  // for it: they do not see the browser's own service-worker update check.
  const update = process.env.UPDATE_BASE_URL && process.env.UPDATE_WWW;
  test('a new version replaces the old cache', {
    skip: !update && 'needs UPDATE_BASE_URL and UPDATE_WWW (a served copy of www/ to change; cargo xtask test sets them)',
  }, async () => {
    const base = process.env.UPDATE_BASE_URL;
    const www = process.env.UPDATE_WWW;
    const { page, context, assertClean } = await openPage(browser);
    await gotoReady(page, base);
    assert.equal(await page.evaluate(() => document.body.dataset.offline), 'ready');
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    const oldVersion = manifestVersion(www);
    assert.deepEqual(Object.keys(await cacheContents(page)), [`credit-scorer-${oldVersion}`], 'the first version is cached');

    // Deploy a new version: a changed style sheet, and the manifest a build writes for it.
    const marker = `\n/* deployment test ${process.pid} */\n:root { --deployment: "2"; }\n`;
    appendFileSync(path.join(www, 'css', 'app.css'), marker);
    const newVersion = rewriteManifest(www);
    assert.notEqual(newVersion, oldVersion);
    const newCache = `credit-scorer-${newVersion}`;

    // A navigation makes the browser check sw.js and its imported manifest for changes: the new
    // worker caches the new files (each against its SHA-384), takes over and deletes the old cache.
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    // (Polled from here: waitForFunction does not wait for an async predicate's promise. Only the
    // names: opening a cache the new worker is deleting would create it again.)
    for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
      const names = await page.evaluate(() => caches.keys());
      if (names.length === 1 && names[0] === newCache) break;
      await page.waitForTimeout(250);
    }
    const contents = await cacheContents(page);
    assert.deepEqual(Object.keys(contents), [newCache], `the old cache credit-scorer-${oldVersion} is gone`);
    for (const p of LITE) assert.ok(contents[newCache].includes(p), `the new cache holds the engine file ${p}`);
    // Installed with the modules the page loads after ready (unchanged ones carried over from the
    // old cache), so a reload offline right after the update has every panel.
    for (const p of AFTER_READY) assert.ok(contents[newCache].includes(p), `the new cache holds ${p}`);
    const cachedCss = await page.evaluate(async (name) => {
      const r = await (await caches.open(name)).match(new URL('css/app.css', location.href).href);
      return r.text();
    }, newCache);
    assert.ok(cachedCss.endsWith(marker), 'the new cache holds the new style sheet');

    // The next load runs the new version, from the new cache (so also without a network).
    await context.setOffline(true);
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    await panelsReady(page);
    const deployment = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--deployment').trim());
    assert.equal(deployment, '"2"', 'the page uses the new style sheet');
    assert.equal(await page.locator('#app-alert').isHidden(), true, 'no error shown');
    const row = g.rows.find((r) => r.id.startsWith('test-'));
    await fillApplicant(page, goldenApplicant(g, row));
    const result = await readResult(page);
    assert.ok(Math.abs(result.pd - row.pd) < 1e-5, 'the new version scores');
    assert.deepEqual(Object.keys(await cacheContents(page)), [newCache], 'still one cache');
    await shot(page, 'en-wide-offline-updated');
    assertClean(assert);
    await context.close();
  });
});
