// Subresource Integrity: the served index.html pins every page module (import map `integrity` and
// the main script's `integrity`), the CSP allows that inline import map by its hash only,
// js/pins.js pins the reference model and all four engine builds (lite and full, SIMD and scalar;
// the worker fetches the wasm with `integrity`), and the browser refuses a module, a model, an
// engine or an import map that was changed, with a clear message instead of a hang: the engine
// the page starts with as the page's error, the full engine fetched later for a model that needs
// it as that model's refusal, the reference model staying in use. (What is not pinned, and why:
// SECURITY.md.)

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  launch, openPage, gotoReady, shot, fillApplicant, readResult, golden, goldenApplicant, fixture, BASE_URL,
} from './helpers.mjs';

// The pins in js/pins.js (ENGINE_INTEGRITY) and the files they pin.
const ENGINES = [
  ['scalar', 'pkg/credit_scorer_bg.wasm'], ['simd', 'pkg/simd/credit_scorer_bg.wasm'],
  ['liteScalar', 'pkg/lite/credit_scorer_bg.wasm'], ['liteSimd', 'pkg/lite/simd/credit_scorer_bg.wasm'],
];
const sri = (algo, bytes) => `${algo}-${createHash(algo).update(bytes).digest('base64')}`;

async function get(path) {
  const r = await fetch(new URL(path, BASE_URL));
  assert.equal(r.status, 200, `${path} is served`);
  return { headers: r.headers, bytes: Buffer.from(await r.arrayBuffer()) };
}

function importMap(html) {
  const m = html.match(/<script type="importmap">([^<]*)<\/script>/);
  assert.ok(m, 'index.html has an inline import map');
  return { text: m[1], map: JSON.parse(m[1]) };
}

const g = golden();

describe('subresource integrity', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  test('the served hashes match the served files', async () => {
    const index = await get('');
    const html = index.bytes.toString('utf8');
    const { text, map } = importMap(html);
    const pinned = Object.entries(map.integrity);
    assert.ok(pinned.length >= 3, 'the import map pins the page modules');
    for (const [url, hash] of pinned) {
      assert.match(hash, /^sha384-/);
      assert.equal(sri('sha384', (await get(url)).bytes), hash, `${url}: stale hash (run cargo xtask build)`);
    }
    const main = html.match(/<script type="module" src="js\/main\.js" integrity="([^"]+)"><\/script>/);
    assert.ok(main, 'the main script carries integrity');
    assert.equal(main[1], map.integrity['./js/main.js']);

    const hash = `'${sri('sha256', Buffer.from(text, 'utf8'))}'`;
    const header = index.headers.get('content-security-policy');
    const meta = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]+)">/)[1];
    for (const csp of [header, meta]) {
      const scriptSrc = csp.split(';').map((d) => d.trim()).find((d) => d.startsWith('script-src '));
      assert.equal(scriptSrc, `script-src 'self' 'wasm-unsafe-eval' ${hash}`, 'script-src allows exactly the import map');
    }

    const pins = (await get('js/pins.js')).bytes.toString('utf8');
    const model = (await get('models/german-credit-mlp.onnx')).bytes;
    assert.ok(pins.includes(`REFERENCE_MODEL_INTEGRITY = '${sri('sha256', model)}'`), 'js/pins.js pins the served model');
    const hex = createHash('sha256').update(model).digest('hex');
    assert.ok(pins.includes(`REFERENCE_MODEL_SHA256 = '${hex}'`));
    for (const [name, file] of ENGINES) {
      const wasm = (await get(file)).bytes;
      assert.ok(pins.includes(`  ${name}: '${sri('sha384', wasm)}', // ${file}`), `js/pins.js pins the served ${file}`);
    }
    const engineIntegrity = pins.match(/ENGINE_INTEGRITY = Object\.freeze\(\{([^}]*)\}\)/);
    assert.ok(engineIntegrity, 'js/pins.js has ENGINE_INTEGRITY');
    assert.deepEqual(engineIntegrity[1].match(/^ {2}\w+(?=:)/gm).map((k) => k.trim()).sort(), ENGINES.map(([n]) => n).sort(),
      'exactly the four engine builds are pinned');
    const lite = (await get('pkg/lite/simd/credit_scorer_bg.wasm')).bytes.length;
    const full = (await get('pkg/simd/credit_scorer_bg.wasm')).bytes.length;
    assert.ok(lite * 3 < full, `the lite engine (${lite} bytes) is much smaller than the full one (${full} bytes)`);

    // Every module the page itself loads is pinned, and the page shows the pinned model's hash.
    const { page, context, assertClean } = await openPage(browser);
    await gotoReady(page);
    const loaded = await page.evaluate(() => performance.getEntriesByType('resource')
      .map((e) => new URL(e.name)).filter((u) => u.origin === location.origin && u.pathname.endsWith('.js'))
      .map((u) => u.pathname));
    const keys = new Set(Object.keys(map.integrity).map((k) => new URL(k, BASE_URL).pathname));
    keys.add('/js/main.js');
    for (const p of loaded) {
      if (p.startsWith('/js/worker/') || p === '/sw.js' || p.startsWith('/pkg/')) continue; // not pinnable: SECURITY.md
      assert.ok(keys.has(p), `${p} is loaded by the page and pinned`);
    }
    assert.equal(await page.textContent('#model-sha'), hex);
    assertClean(assert);
    await context.close();
  });

  test('a changed module is refused', async () => {
    const { page, context, problems } = await openPage(browser);
    await context.route(`${BASE_URL}js/engine.js`, async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, body: `${await response.text()}\n// changed in transit\n` });
    });
    await page.goto(BASE_URL);
    await page.waitForTimeout(3000);
    assert.equal(await page.evaluate(() => document.body.dataset.ready), undefined, 'the app does not start');
    assert.ok(problems.some((p) => /integrity/i.test(p)), `the browser reports the integrity failure:\n${problems.join('\n')}`);
    await context.close();
  });

  // The panels' modules are imported after ready (js/main.js), through the service worker: the
  // import map's integrity pins a dynamic import as it pins a static one.
  test('a changed module imported after ready is refused; the page still scores', async () => {
    const { page, context, problems } = await openPage(browser);
    const served = { count: 0 };
    await context.route(`${BASE_URL}js/recourse.js`, async (route) => {
      const response = await route.fetch();
      served.count++;
      await route.fulfill({ response, body: `${await response.text()}\n// changed in transit\n` });
    });
    await page.goto(BASE_URL);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    await page.waitForSelector('body[data-panels]', { timeout: 60_000 });
    assert.ok(served.count >= 1, 'the changed js/recourse.js was served');
    assert.equal(await page.evaluate(() => document.body.dataset.panels), 'failed', 'the panels are not set up');
    assert.match(await page.textContent('#app-alert'), /Part of the page could not be loaded/);
    // (The service worker's fetch carries the import's integrity and fails: the page sees a
    // failed request; the integrity message is the service worker's.)
    assert.ok(problems.some((p) => /recourse\.js/.test(p)), `the browser refuses js/recourse.js:\n${problems.join('\n')}`);
    const row = g.rows.find((r) => r.id.startsWith('test-'));
    await fillApplicant(page, goldenApplicant(g, row));
    const result = await readResult(page);
    assert.ok(Math.abs(result.pd - row.pd) < 1e-5, `PD ${result.pd} vs golden ${row.pd}: scoring does not need the panel`);
    const cached = await page.evaluate(async () => {
      const out = [];
      for (const name of await caches.keys()) {
        for (const r of await (await caches.open(name)).keys()) out.push(new URL(r.url).pathname);
      }
      return out;
    });
    assert.ok(!cached.includes('/js/recourse.js'), 'the changed module is not kept for offline use');
    await context.close();
  });

  test('a changed model is refused', async () => {
    const { page, context, problems } = await openPage(browser);
    await context.route(`${BASE_URL}models/german-credit-mlp.onnx`, async (route) => {
      const response = await route.fetch();
      const body = await response.body();
      body[body.length - 1] ^= 1;
      await route.fulfill({ response, body });
    });
    await page.goto(BASE_URL);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    assert.equal(await page.locator('#app-alert').isVisible(), true, 'the page says the engine failed');
    assert.equal(await page.locator('#model-sha').count(), 0, 'no model is in use');
    assert.ok(problems.some((p) => /integrity|digest/i.test(p)), `the browser reports the integrity failure:\n${problems.join('\n')}`);
    await context.close();
  });

  /** Serves `file` with its last byte flipped; returns a counter of the times it was served. */
  async function tamper(context, file) {
    const served = { count: 0 };
    await context.route(`${BASE_URL}${file}`, async (route) => {
      const response = await route.fetch();
      const body = await response.body();
      body[body.length - 1] ^= 1;
      served.count++;
      await route.fulfill({ response, body });
    });
    return served;
  }

  // The engine each page starts with: refused, and the page says so instead of hanging.
  for (const [name, file, query] of [
    ['lite SIMD', 'pkg/lite/simd/credit_scorer_bg.wasm', ''],
    ['lite scalar', 'pkg/lite/credit_scorer_bg.wasm', '?engine=scalar'],
    ['full SIMD', 'pkg/simd/credit_scorer_bg.wasm', '?build=full'],
    ['full scalar', 'pkg/credit_scorer_bg.wasm', '?build=full&engine=scalar'],
  ]) {
    test(`a changed engine (${name}${query ? `, ${query}` : ', the default'}) is refused, with a clear message and no hang`, async () => {
      const { page, context } = await openPage(browser);
      // The worker's fetch of the wasm (the service worker is not installed yet in a new context).
      const served = await tamper(context, file);
      await page.goto(`${BASE_URL}${query}`);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
      assert.ok(served.count >= 1, `the tampered ${file} was served`);
      const alert = await page.textContent('#app-alert');
      assert.equal(await page.locator('#app-alert').isVisible(), true, 'the page says what failed');
      assert.match(alert, new RegExp(`engine was refused: ${file.replace(/[./]/g, '\\$&')} is not the build this page was published with`));
      assert.match(alert, /expected sha384-.*, the server sent sha384-/, 'the message names both hashes');
      assert.equal(await page.locator('#model-sha').count(), 0, 'no model is in use');
      assert.equal(await page.locator('#app-status').isHidden(), true, 'no loading message is left hanging');
      assert.equal(await page.locator('#form-actions').count(), 1);
      assert.equal(await page.locator('#form-actions').isHidden(), true, 'no buttons under an empty form');
      await shot(page, `en-wide-engine-refused-${name.toLowerCase().replace(' ', '-')}`);
      await context.close();
    });
  }

  // The full engine, fetched only when a model needs it: a changed copy refuses that model (with
  // the engine's file named) and leaves the reference model in use on the lite engine.
  test('a changed full engine is refused when a model needs it; the reference model stays in use', async () => {
    const { page, context } = await openPage(browser);
    const file = 'pkg/simd/credit_scorer_bg.wasm';
    const served = await tamper(context, file);
    await gotoReady(page);
    assert.equal(await page.locator('#app-alert').isHidden(), true, 'the lite engine starts: no error');
    assert.equal(await page.getAttribute('#model-engine', 'data-build'), 'lite');
    const cached = await page.evaluate(async (url) => {
      for (const name of await caches.keys()) if (await (await caches.open(name)).match(url)) return true;
      return false;
    }, new URL(file, BASE_URL).href);
    // The service worker's install fetches every file against the manifest's SHA-384 too: it
    // refuses the changed copy (and so installs nothing), and the scoring worker's later fetch
    // goes to the server.
    assert.equal(cached, false, 'the service worker did not cache the changed engine');
    const servedBefore = served.count;

    await page.setInputFiles('#model-file', fixture('models', 'mlp_dynamic.onnx'));
    await page.waitForSelector('body[data-busy="false"]');
    await page.waitForFunction(() => !document.getElementById('model-error').hidden);
    assert.ok(served.count > servedBefore, `the worker was served the tampered ${file}`);
    const err = await page.textContent('#model-error');
    assert.match(err, new RegExp(`^“mlp_dynamic\\.onnx” was refused: ${file.replace(/[./]/g, '\\$&')} does not match the engine build this page pins`));
    assert.match(err, /expected sha384-.*, the server sent sha384-.*; it was not run\./, 'the message names both hashes');
    assert.match(err, /The previous model is still in use\.$/);
    assert.equal(await page.locator('#app-alert').isHidden(), true, 'the page itself keeps working');
    assert.equal(await page.textContent('#model-sha'), g.model_sha256, 'the reference model stays in use');
    assert.equal(await page.getAttribute('#model-engine', 'data-build'), 'lite');
    const row = g.rows.find((r) => r.id.startsWith('test-'));
    await fillApplicant(page, goldenApplicant(g, row));
    const r = await readResult(page);
    assert.ok(Math.abs(r.pd - row.pd) < 1e-5, `the reference model still scores: PD ${r.pd} vs golden ${row.pd}`);
    await shot(page, 'en-wide-full-engine-refused');
    await page.selectOption('#lang', 'zh-CN');
    assert.match(await page.textContent('#model-error'),
      /^“mlp_dynamic\.onnx”被拒绝：它需要完整评分引擎，但服务器发送的副本不是本页面发布时的版本，因此未运行其中任何代码。详情（英文）：pkg\/simd\/credit_scorer_bg\.wasm does not match/);
    await page.selectOption('#lang', 'en');

    // Once the server sends the published build, the same model loads on the full engine.
    await context.unroute(`${BASE_URL}${file}`);
    await page.setInputFiles('#model-file', fixture('models', 'mlp_dynamic.onnx'));
    await page.waitForSelector('#f-x0');
    await page.waitForSelector('body[data-busy="false"]');
    assert.equal(await page.locator('#model-error').isHidden(), true, 'accepted this time');
    assert.equal(await page.getAttribute('#model-engine', 'data-build'), 'full');
    await context.close();
  });

  test('a changed import map is blocked by the CSP', async () => {
    const { page, context, problems } = await openPage(browser);
    await context.route(BASE_URL, async (route) => {
      const response = await route.fetch();
      const html = (await response.text()).replace(/("\.\/js\/engine\.js":")sha384-[^"]+/, '$1sha384-AAAA');
      await route.fulfill({ response, body: html });
    });
    await page.goto(BASE_URL);
    await page.waitForTimeout(3000);
    assert.ok(problems.some((p) => /CSP violation: script-src/.test(p)), `the inline import map is blocked:\n${problems.join('\n')}`);
    await context.close();
  });
});
