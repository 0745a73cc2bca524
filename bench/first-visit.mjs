// A first visit, cold: what a browser with nothing cached downloads before the page is ready,
// and how long that takes, for the app (www/ as built) and for onnxruntime-web doing the same job
// (its wasm, its glue and the model, then one score: bench/bench.js `task=cold`). Started by
// `cargo xtask bench` (xtask/src/bench.rs), which serves both sites and passes:
//   APP_URL, ORT_URL  the served app and the served benchmark site with onnxruntime-web
//   OUT_DIR           where first-visit.json and first-visit.md go
//   REPS              fresh browsers per site (default 3)
// Every request goes through a counting reverse proxy here, so each byte the browser fetches from
// the network is seen (the page's, its Workers' and the service worker's; HTTP-cache and
// service-worker hits are not). Bytes are reported as brotli (quality 11) of each body, as a host
// that compresses would send them; the dev server itself sends them uncompressed.

import http from 'node:http';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';

const OUT_DIR = process.env.OUT_DIR;
const REPS = Number(process.env.REPS ?? 3);
const ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run'];
const log = (...a) => console.error('[first-visit]', ...a);
// The applicant onnxruntime-web scores: the first golden row (the model's inputs).
const ROW = JSON.parse(readFileSync('tests/fixtures/reference_golden.json', 'utf8')).rows[0].x.join(',');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

// Brotli sizes by content hash, kept between runs (onnxruntime-web's 14 MB wasm takes a while).
mkdirSync(OUT_DIR, { recursive: true });
const SIZES_FILE = path.join(OUT_DIR, 'brotli-sizes.json');
const brotliSizes = existsSync(SIZES_FILE) ? JSON.parse(readFileSync(SIZES_FILE, 'utf8')) : {};
function brotli(body) {
  if (body.length === 0) return 0;
  const key = createHash('sha256').update(body).digest('hex');
  brotliSizes[key] ??= zlib.brotliCompressSync(body, {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length },
  }).length;
  return brotliSizes[key];
}

/** A reverse proxy on 127.0.0.1 in front of `target` that logs every request and its body size. */
async function countingProxy(target) {
  const upstream = new URL(target);
  const entries = [];
  const server = http.createServer((req, res) => {
    const at = Date.now();
    const up = http.request({
      host: upstream.hostname, port: upstream.port, path: req.url, method: req.method,
      headers: { ...req.headers, host: upstream.host },
    }, (r) => {
      const chunks = [];
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => {
        const body = Buffer.concat(chunks);
        entries.push({ at, method: req.method, path: req.url, status: r.statusCode, raw: body.length, body });
        res.writeHead(r.statusCode, r.headers);
        res.end(body);
      });
    });
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, entries, close: () => server.close() };
}

function tally(entries) {
  const files = entries.map((e) => ({ path: e.path, status: e.status, raw: e.raw, brotli: brotli(e.body) }));
  return {
    requests: files.length,
    raw: files.reduce((s, f) => s + f.raw, 0),
    brotli: files.reduce((s, f) => s + f.brotli, 0),
    files,
  };
}

async function visit(siteUrl, run) {
  const proxy = await countingProxy(siteUrl);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (e) => log('page error:', e.message));
    const r = await run(page, proxy.url);
    await context.close();
    return { ...r, version: browser.version(), entries: proxy.entries };
  } finally {
    await browser.close();
    proxy.close();
  }
}

/** The app: navigation → ready (model loaded, offline cache installed), then idle caching. */
async function app() {
  return visit(process.env.APP_URL, async (page, url) => {
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 120_000 });
    await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
    const ready = await page.evaluate(() => {
      const m = performance.getEntriesByName('credit-scorer:ready')[0];
      return { ms: m.startTime, at: performance.timeOrigin + m.startTime };
    });
    await page.waitForSelector('body[data-offline-rest]', { timeout: 300_000 });
    const rest = await page.evaluate(() => document.body.dataset.offlineRest);
    return { readyMs: ready.ms, readyAt: ready.at, rest };
  });
}

/** onnxruntime-web: navigation → first score (its glue, its wasm, the model, one session run). */
async function ort() {
  return visit(process.env.ORT_URL, async (page, url) => {
    await page.goto(`${url}index.html?rt=ort&task=cold&row=${ROW}`, { waitUntil: 'load', timeout: 120_000 });
    const r = await page.evaluate(() => window.benchResult, null, { timeout: 300_000 });
    if (r?.error) throw new Error(r.error);
    return { readyMs: r.firstScoreMs, readyAt: Infinity, pd: r.pd };
  });
}

const results = { app: [], ort: [] };
for (let rep = 0; rep < REPS; rep++) {
  for (const [name, run] of [['app', app], ['ort', ort]]) {
    const v = await run();
    const before = tally(v.entries.filter((e) => e.at < v.readyAt));
    const after = tally(v.entries.filter((e) => e.at >= v.readyAt));
    results[name].push({ readyMs: v.readyMs, before, after, rest: v.rest, pd: v.pd, chromium: v.version });
    log(`${name} rep ${rep + 1}/${REPS}: ready in ${v.readyMs.toFixed(0)} ms, ${before.requests} requests, `
      + `${(before.brotli / 1e3).toFixed(1)} kB brotli before ready; after: ${after.requests} requests, ${(after.brotli / 1e3).toFixed(1)} kB`);
  }
}
writeFileSync(SIZES_FILE, JSON.stringify(brotliSizes));

const kB = (b) => `${(b / 1e3).toFixed(1)} kB`;
const summary = (rs) => {
  const last = rs.at(-1);
  return {
    readyMs: median(rs.map((r) => r.readyMs)),
    readyRuns: rs.map((r) => Math.round(r.readyMs)),
    before: { requests: last.before.requests, raw: last.before.raw, brotli: median(rs.map((r) => r.before.brotli)) },
    after: { requests: last.after.requests, raw: last.after.raw, brotli: median(rs.map((r) => r.after.brotli)) },
    filesBefore: last.before.files,
    filesAfter: last.after.files,
  };
};
const out = { when: new Date().toISOString(), chromium: results.app[0]?.chromium, reps: REPS, app: summary(results.app), ort: summary(results.ort) };
writeFileSync(path.join(OUT_DIR, 'first-visit.json'), JSON.stringify(out, null, 1));
const md = [
  `First visit, cold (a fresh Chromium ${out.chromium} per run, nothing cached), median of ${REPS} runs:`,
  '',
  '| | credit-scorer (www/) | onnxruntime-web |',
  '|---|---|---|',
  `| the job | navigation → ready (engine and model loaded, offline cache installed) | navigation → first score (glue, wasm, model, one run) |`,
  `| requests before that | ${out.app.before.requests} | ${out.ort.before.requests} |`,
  `| bytes before that, brotli | **${kB(out.app.before.brotli)}** | **${kB(out.ort.before.brotli)}** |`,
  `| bytes before that, uncompressed | ${kB(out.app.before.raw)} | ${kB(out.ort.before.raw)} |`,
  `| time | **${out.app.readyMs.toFixed(0)} ms** (runs: ${out.app.readyRuns.join(', ')}) | **${out.ort.readyMs.toFixed(0)} ms** (runs: ${out.ort.readyRuns.join(', ')}) |`,
  `| after that, while idle | ${out.app.after.requests} requests, ${kB(out.app.after.brotli)} brotli (the panels' modules the page imports after ready, and the service worker caching the full engine and the icons) | — |`,
  '',
].join('\n');
writeFileSync(path.join(OUT_DIR, 'first-visit.md'), md);
console.log(md);
for (const [name, s] of [['app', out.app], ['ort', out.ort]]) {
  console.log(`${name} before ready:\n${s.filesBefore.map((f) => `  ${f.status} ${f.path} ${f.raw} B raw, ${f.brotli} B brotli`).join('\n')}`);
}
