// Shared helpers for the end-to-end tests (not a test file itself).
// Run with BASE_URL (the served www/) and SCREENSHOT_DIR, as `cargo xtask test` does.

import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BASE_URL = process.env.BASE_URL ?? 'http://127.0.0.1:8080/';
export const ORIGIN = new URL(BASE_URL).origin;
export const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR ?? path.join(ROOT, 'target', 'screenshots');
mkdirSync(SCREENSHOT_DIR, { recursive: true });

export const WIDE = { width: 1280, height: 900 };
export const NARROW = { width: 390, height: 844 };

const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync',
];

export function fixture(...parts) {
  return path.join(ROOT, 'tests', 'fixtures', ...parts);
}

/** The golden rows recorded from the reference model (x in schema order, category codes). */
export function golden() {
  return JSON.parse(readFileSync(fixture('reference_golden.json'), 'utf8'));
}

/** Debian's Chromium, headless, with `extraArgs` after the usual arguments. */
export async function launch(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
}

/**
 * A fresh context and page that records every problem: console errors (page and workers),
 * uncaught exceptions, CSP violations (reported by an init script), failed requests.
 * Call `assertClean()` at the end of a test.
 */
export async function openPage(browser, { viewport = WIDE, locale = 'en-US', storage } = {}) {
  const context = await browser.newContext({ viewport, locale, storageState: storage });
  // A 2-core CI machine compiling the 7 MB engine in a fresh profile can be slow: generous
  // timeouts keep the tests about behaviour, not about the machine's load.
  context.setDefaultNavigationTimeout(120_000);
  context.setDefaultTimeout(60_000);
  const page = await context.newPage();
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
  await page.exposeBinding('__reportViolation', (_source, text) => problems.push(`CSP violation: ${text}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      // eslint-disable-next-line no-undef
      globalThis.__reportViolation?.(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  return {
    context,
    page,
    problems,
    assertClean(assert) {
      assert.deepEqual(problems, [], `no console errors, page errors or CSP violations:\n${problems.join('\n')}`);
    },
  };
}

/**
 * Opens the app and waits until the reference model is loaded and the panels imported after
 * ready are set up (decision, recourse, governance, batch: js/main.js); returns the navigation's
 * response. One navigation: a first load that stalls is a bug (tests/e2e/first-load.test.mjs),
 * not retried.
 */
export async function gotoReady(page, url = BASE_URL) {
  const response = await page.goto(url, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
  await panelsReady(page);
  return response;
}

/** Waits until the panels the page imports after ready are set up (after a reload too). */
export async function panelsReady(page) {
  await page.waitForSelector('body[data-panels="ready"]', { timeout: 60_000 });
}

export async function shot(page, name, opts = {}) {
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true, ...opts });
}

/** The schema the page is using (from the worker, through the page's own state in the DOM). */
export async function fieldNames(page) {
  return page.$$eval('#fields [data-field]', (els) => els.map((e) => e.dataset.field));
}

/** Fills the form: categories by code, numbers as text. Waits for the form to score. */
export async function fillApplicant(page, values) {
  for (const [name, value] of Object.entries(values)) {
    const sel = `#f-${name}`;
    const tag = await page.$eval(sel, (el) => el.tagName);
    if (tag === 'SELECT') await page.selectOption(sel, String(value));
    else await page.fill(sel, String(value));
  }
}

/** Waits until the result shows and returns what the page displays. */
export async function readResult(page) {
  await page.waitForSelector('#result-body:not([hidden])');
  return page.evaluate(() => ({
    pdText: document.getElementById('pd').textContent,
    pd: Number(document.getElementById('pd').dataset.value),
    pointsText: document.getElementById('points').textContent,
    points: Number(document.getElementById('points').dataset.value),
    band: document.getElementById('band').textContent,
    bandId: document.getElementById('band').dataset.band,
    reasons: [...document.querySelectorAll('#reasons li')].map((li) => ({
      feature: li.dataset.feature,
      text: li.querySelector('.reason__text').textContent,
      value: li.querySelector('.reason__value').textContent,
    })),
    stale: !document.getElementById('result-stale').hidden,
    delta: document.getElementById('delta').hidden ? null : Number(document.getElementById('delta').dataset.value),
  }));
}

/** Waits until the displayed points differ from `before`. */
export async function waitForPointsChange(page, before) {
  await page.waitForFunction(
    (b) => {
      const el = document.getElementById('points');
      return el && !document.getElementById('result-body').hidden && el.dataset.value !== String(b);
    },
    before,
    { timeout: 10_000 },
  );
}

/** A golden row as { field: value } for the form. */
export function goldenApplicant(g, row) {
  return Object.fromEntries(g.features.map((name, i) => [name, String(row.x[i])]));
}

/**
 * The `credit_scorer.schema` JSON embedded in an ONNX file's metadata_props, read straight from
 * the protobuf bytes (a StringStringEntryProto: field 1 the key, field 2 the value).
 */
export function embeddedSchema(file) {
  const bytes = readFileSync(file);
  const key = Buffer.from('credit_scorer.schema');
  const at = bytes.indexOf(key);
  if (at < 0) return null;
  let i = at + key.length;
  if (bytes[i] !== 0x12) throw new Error(`${file}: unexpected protobuf layout after the schema key`);
  i++;
  let len = 0;
  for (let shift = 0; ; shift += 7) {
    const b = bytes[i++];
    len += (b & 0x7f) * 2 ** shift;
    if (!(b & 0x80)) break;
  }
  return JSON.parse(bytes.subarray(i, i + len).toString('utf8'));
}

export const REFERENCE_MODEL = path.join(ROOT, 'www', 'models', 'german-credit-mlp.onnx');

/** Points for a log-odds of default under a schema's scaling, clamped as the engine does. */
export function expectedPoints(scaling, logit) {
  const factor = scaling.pdo / Math.LN2;
  const offset = scaling.base_points - factor * Math.log(scaling.base_odds);
  const p = offset - factor * logit;
  return Math.min(scaling.max_points, Math.max(scaling.min_points, p));
}

export function expectedBand(bands, pd) {
  return bands.find((b) => pd <= b.max_pd) ?? bands.at(-1);
}

/** The percentage shown on the page, parsed back to a number ("68.0%" or "68.0 %" -> 68). */
export function parsePercent(text) {
  const m = text.replace(/\s/g, '').match(/^(-?[\d.,]+)%$/);
  if (!m) throw new Error(`not a percentage: ${text}`);
  return Number(m[1].replace(/,/g, ''));
}

/**
 * The records of a CSV text without newlines inside fields, split at `delimiter` (quoted
 * delimiters and doubled quotes are handled; CRLF or LF line ends).
 */
export function csvRecords(text, delimiter = ',') {
  const lines = text.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');
  return lines.map((line) => {
    const out = [];
    let field = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (quoted) {
        if (ch === '"' && line[i + 1] === '"') { field += '"'; i++; } else if (ch === '"') quoted = false;
        else field += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === delimiter) { out.push(field); field = ''; } else field += ch;
    }
    out.push(field);
    return out;
  });
}

/**
 * Opens a host page of the embedding tests on the app's origin (its own CSP, not the app's):
 * `html` at /embed-host.html served with `csp`, `files` ({ name: { body, type } }) under
 * /embed-host/, and the fixture models under /embed-fixtures/. Returns what `openPage` does.
 */
export async function openHostPage(browser, { csp, html = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title></head><body></body></html>', files = {} }) {
  const opened = await openPage(browser);
  const host = new URL('embed-host.html', BASE_URL).href;
  await opened.page.route(host, (route) => route.fulfill({
    status: 200,
    headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp },
    body: html,
  }));
  await opened.page.route(new URL('embed-host/*', BASE_URL).href, (route) => {
    const name = path.basename(new URL(route.request().url()).pathname);
    const file = files[name];
    return file ? route.fulfill({ status: 200, headers: { 'content-type': file.type }, body: file.body }) : route.fulfill({ status: 404 });
  });
  await opened.page.route(new URL('embed-fixtures/*', BASE_URL).href, (route) => route.fulfill({
    status: 200,
    headers: { 'content-type': 'application/octet-stream' },
    body: readFileSync(fixture('models', path.basename(new URL(route.request().url()).pathname))),
  }));
  await opened.page.goto(host);
  return opened;
}

let axeScript;
/** axe-core's browser script (npm axe-core), read once. */
export function axeSource() {
  axeScript ??= readFileSync(path.join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  return axeScript;
}

/**
 * Runs in the page (every driver sends it as source text), once axe-core is there: the WCAG
 * 2.0/2.1 A and AA violations it finds now (in open shadow roots too), as
 * `rule (impact): selectors`.
 */
export async function wcagViolationsInPage() {
  const r = await window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    resultTypes: ['violations'],
  });
  return r.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/**
 * [`wcagViolationsInPage`] in a Playwright page. axe is evaluated by the test, not loaded by the
 * page: the page's CSP would rightly refuse it.
 */
export async function axeViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource());
  return page.evaluate(wcagViolationsInPage);
}
