// What the benchmark drivers (run.mjs, trees.mjs) share: Debian's Chromium, headless; a fresh
// page per measurement with the cache on or off; a page's `window.benchResult`.

import { chromium } from 'playwright-core';

const ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run'];

/** The median (the lower one of an even count). */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/**
 * Starts Chromium; `newPage({ cache })` opens a fresh context and page and gives
 * { context, page, cdp, requests } (the paths the context requests); page errors go to `log`.
 */
export async function launch(log) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  async function newPage({ cache }) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: !cache });
    page.on('pageerror', (e) => log('page error:', e.message));
    page.on('console', (m) => m.type() === 'error' && log('console:', m.text()));
    const requests = [];
    context.on('request', (r) => requests.push(new URL(r.url()).pathname));
    return { context, page, cdp, requests };
  }
  return { browser, newPage };
}

/** Loads `url` and waits up to `timeout` ms for its `window.benchResult`; throws its error. */
export async function result(page, url, timeout) {
  await page.goto(url, { waitUntil: 'load', timeout: 120_000 });
  const r = await page.evaluate(() => window.benchResult, null, { timeout });
  if (r?.error) throw new Error(`${url}: ${r.error}`);
  return r;
}
