// The first page load in a fresh browser: every one must reach ready with a single navigation
// (a loan officer would otherwise see a blank page), and set up the panels imported after ready. Fresh browsers, several at once so that the
// machine is busy and each opens its six connections while the others load too; no retry.
// FIRST_LOADS (default 12) and FIRST_LOADS_AT_ONCE (default 3) set how many.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, launch, openPage } from './helpers.mjs';

const LOADS = Number(process.env.FIRST_LOADS ?? 12);
const AT_ONCE = Number(process.env.FIRST_LOADS_AT_ONCE ?? 3);
// A first load takes a few seconds even on a busy 2-core machine; a stalled one never ends.
const NAVIGATION_TIMEOUT = 30_000;

async function firstLoad(i) {
  const browser = await launch();
  try {
    const { page, problems } = await openPage(browser);
    const started = Date.now();
    try {
      await page.goto(BASE_URL, { waitUntil: 'domcontentloaded', timeout: NAVIGATION_TIMEOUT });
      await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
      const ms = Date.now() - started;
      // The panels the page imports right after ready arrive too.
      await page.waitForSelector('body[data-panels="ready"]', { timeout: 60_000 });
      return { i, ms, problems };
    } catch (e) {
      return { i, error: `${e.name}: ${e.message.split('\n')[0]}`, problems };
    }
  } finally {
    await browser.close();
  }
}

test(`${LOADS} fresh browsers (${AT_ONCE} at a time) each load the page with one navigation`, async () => {
  const results = [];
  for (let start = 0; start < LOADS; start += AT_ONCE) {
    const batch = [];
    for (let i = start; i < Math.min(LOADS, start + AT_ONCE); i++) batch.push(firstLoad(i));
    results.push(...(await Promise.all(batch)));
  }
  for (const r of results) {
    console.log(`# load ${r.i}: ${r.error ?? `ready in ${r.ms} ms`}`);
  }
  const failed = results.filter((r) => r.error);
  assert.deepEqual(failed.map((r) => `load ${r.i}: ${r.error}`), [], 'every first navigation reaches ready');
  const problems = results.flatMap((r) => r.problems.map((p) => `load ${r.i}: ${p}`));
  assert.deepEqual(problems, [], `no console errors, page errors, CSP violations or failed requests:\n${problems.join('\n')}`);
});
