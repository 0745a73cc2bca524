// The npm package: `cargo xtask pack` makes the tarball, `npm install` (offline) puts it into a
// scratch site, and a page there uses it through its own server, with one CSP for every file:
// the library with its defaults (the package's own engine builds and pins) and the element,
// each scoring as onnxruntime did; the package's `exports` and `types` resolve for tsc.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import {
  ROOT, REFERENCE_MODEL, launch, openPage, golden, goldenApplicant, shot,
} from './helpers.mjs';
import { REFERENCE_MODEL_INTEGRITY } from '../../www/js/pins.js';

const g = golden();
/** The package's version: the crate's. */
const VERSION = readFileSync(path.join(ROOT, 'Cargo.toml'), 'utf8').match(/^version = "(.+)"$/m)[1];
/**
 * One policy for every file the scratch site serves (README, "Embedding": a host that sends one
 * policy), with img-src for the example page's icon.
 */
const CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; connect-src 'self'; worker-src 'self'; "
  + "object-src 'none'; base-uri 'none'; form-action 'none'; require-trusted-types-for 'script'; trusted-types credit-scorer";
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.onnx': 'application/octet-stream', '.svg': 'image/svg+xml',
};

/** A static server for `dir` that sends `CSP` with every file. */
function serveDir(dir) {
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url, 'http://x').pathname).replace(/\/$/, '/index.html');
    const file = path.join(dir, path.normalize(rel));
    if (!file.startsWith(dir)) return res.writeHead(403).end();
    let body;
    try {
      body = readFileSync(file);
    } catch {
      return res.writeHead(404).end();
    }
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'content-security-policy': CSP,
      'cache-control': 'no-store',
    });
    return res.end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A lender's site</title>
<link rel="icon" href="icon.svg" type="image/svg+xml">
<script type="module" src="app.js"></script></head>
<body><credit-score-form id="form" model="models/german-credit-mlp.onnx" model-integrity="${REFERENCE_MODEL_INTEGRITY}"></credit-score-form></body></html>`;

const APP = String.raw`
import { createScorer } from './node_modules/credit-scorer/lib/credit-scorer.js';
import './node_modules/credit-scorer/lib/credit-score-form.js';

// The five lines of README's embedding example, with the package's defaults.
globalThis.api = (async (values) => {
  const scorer = createScorer();
  await scorer.load(new URL('models/german-credit-mlp.onnx', document.baseURI), { integrity: '${REFERENCE_MODEL_INTEGRITY}' });
  const result = await scorer.score(values);
  scorer.close();
  return result;
});
`;

const TYPED = `
import { createScorer, type ScoreResult } from 'credit-scorer';
import type { CreditScoreForm } from 'credit-scorer/form';
export async function use(form: CreditScoreForm): Promise<number> {
  const r: ScoreResult = await createScorer().score({ duration_months: 24 });
  form.addEventListener('score', (e) => e.detail.band.id);
  return r.points;
}
`;

describe('the npm package (cargo xtask pack)', () => {
  let browser;
  let dir;
  let server;
  let base;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'credit-scorer-package-'));
    const dist = path.join(dir, 'dist');
    execFileSync('cargo', ['xtask', 'pack', '--out', dist], { cwd: ROOT, stdio: 'pipe' });
    const site = path.join(dir, 'site');
    mkdirSync(path.join(site, 'models'), { recursive: true });
    writeFileSync(path.join(site, 'package.json'), JSON.stringify({ name: 'lender-site', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', path.join(dist, `credit-scorer-${VERSION}.tgz`)], { cwd: site, stdio: 'pipe' });
    copyFileSync(REFERENCE_MODEL, path.join(site, 'models', 'german-credit-mlp.onnx'));
    writeFileSync(path.join(site, 'index.html'), PAGE);
    writeFileSync(path.join(site, 'app.js'), APP);
    // The site's own icon: without one the browser asks for /favicon.ico (a 404 here).
    writeFileSync(path.join(site, 'icon.svg'), '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><rect width="8" height="8" fill="#333"/></svg>');
    writeFileSync(path.join(site, 'use.ts'), TYPED);
    writeFileSync(path.join(site, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'ES2022', moduleResolution: 'bundler', lib: ['ES2022', 'DOM'], strict: true, noEmit: true, types: [] },
      files: ['use.ts'],
    }));
    server = await serveDir(site);
    base = `http://127.0.0.1:${server.address().port}/`;
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('installed: package.json exports and types resolve for tsc', () => {
    const site = path.join(dir, 'site');
    const manifest = JSON.parse(readFileSync(path.join(site, 'node_modules', 'credit-scorer', 'package.json'), 'utf8'));
    assert.equal(manifest.types, './lib/credit-scorer.d.ts');
    assert.equal(manifest.exports['.'].default, './lib/credit-scorer.js');
    assert.equal(manifest.exports['./form'].default, './lib/credit-score-form.js');
    execFileSync(path.join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', site], { stdio: 'pipe' });
  });

  test('a page on its own server uses the installed package: library and element score', async () => {
    const { page, assertClean } = await openPage(browser);
    const requests = [];
    page.on('request', (r) => requests.push(new URL(r.url())));
    await page.goto(base);
    await page.waitForSelector('#form[data-state="ready"]');
    const row = g.rows[0];
    const api = await page.evaluate((values) => globalThis.api(values), goldenApplicant(g, row));
    assert.ok(Math.abs(api.pd - row.pd) < 1e-5, `library: ${api.pd} vs onnxruntime ${row.pd}`);
    for (const [name, value] of Object.entries(goldenApplicant(g, row))) {
      const sel = `#form >> #f-${name}`;
      if (await page.$eval(sel, (el) => el.tagName) === 'SELECT') await page.selectOption(sel, value);
      else await page.fill(sel, value);
    }
    await page.waitForSelector('#form[data-state="scored"]');
    const pd = Number(await page.getAttribute('#form >> #pd', 'data-value'));
    assert.equal(pd, api.pd, 'the element and the library give the same PD');
    await shot(page, 'embed-package');
    // Everything came from this site, the engines from the package (the lite build the reference model needs).
    assert.deepEqual([...new Set(requests.map((u) => u.origin))], [new URL(base).origin]);
    const paths = requests.map((u) => u.pathname);
    assert.ok(paths.some((p) => /^\/node_modules\/credit-scorer\/pkg\/lite\/(simd\/)?credit_scorer_bg\.wasm$/.test(p)), paths.join('\n'));
    assert.ok(paths.includes('/node_modules/credit-scorer/js/worker/engine-worker.js'));
    assertClean(assert);
  });

  test('the package\'s own example page works where it was installed', async () => {
    const { page, assertClean } = await openPage(browser);
    await page.goto(new URL('node_modules/credit-scorer/examples/', base).href);
    await page.waitForSelector('#self-check[data-state="ready"]');
    assertClean(assert);
  });
});
