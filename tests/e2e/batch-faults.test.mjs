// Faults while a file is being scored (issue 21 item 6): a helper Worker that stops or traps, a
// file cut short or rewritten on disk while it is read, an engine that runs out of memory, a page
// reloaded and a tab that crashes mid-file. Each ends with a message in the interface's language
// (English and Chinese), no download link (no partial file offered as complete, nor the previous
// file's), and a next file scored exactly as the command line scores it.
// The CLI is CREDIT_SCORER_CLI, else $CARGO_TARGET_DIR/debug/credit-scorer, else target/debug/….

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import {
  BASE_URL, ROOT, REFERENCE_MODEL, csvRecords, golden, gotoReady, launch, openPage,
} from './helpers.mjs';

const CLI = process.env.CREDIT_SCORER_CLI
  ?? path.join(process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target'), 'debug', 'credit-scorer');
// Long enough (several seconds on two cores) that a fault lands mid-run.
const LONG_ROWS = 400_000;
// The next file: large enough (about 8 MB) that helper Workers are ready before it is done.
const NEXT_ROWS = 150_000;
// The memory-limited engine: 20 MiB of wasm memory. The reference model scores a file in about
// 2 MB; a row carrying 15 MiB of free text in a column the model does not read took the engine
// Worker's memory to 98 MB without a limit (measured).
const WASM_PAGES = 320;

const MESSAGES = {
  stopped: {
    en: /^\S+\.csv was not scored to the end: the scoring engine stopped \(a Worker crashed or ran out of memory\)\. No output was kept\. Score the file again/,
    zh: /^\S+\.csv 未能评分完成：评分引擎已停止（某个 Worker 崩溃或内存不足）。未保留任何结果。/,
  },
  unreadable: {
    en: /^\S+\.csv could not be read to the end: it was changed, moved or deleted while it was being scored\. No output was kept\./,
    zh: /^无法读取完整的 \S+\.csv：文件在评分过程中被修改、移动或删除。未保留任何结果。/,
  },
  interrupted: {
    en: /^A file was being scored when this page was reloaded or closed; it was not finished and no output was kept\./,
    zh: /^此页面重新加载或关闭时有一个文件正在评分；该文件未完成，未保留任何结果。/,
  },
};

const g = golden();

/** A TCP port free on 127.0.0.1 right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** `rows` applicants from the golden rows, with a free-text column; `long` puts text in one row. */
function generate(rows, { long = 0 } = {}) {
  const lines = [`id,${g.features.join(',')},note`];
  for (let i = 0; i < rows; i++) {
    const note = long && i === Math.floor(rows / 2) ? 'x'.repeat(long) : (i % 13 === 0 ? '"a, b"' : '');
    lines.push(`r${i},${g.rows[i % g.rows.length].x.join(',')},${note}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Clicks the download link; the file's suggested name and text. */
async function playwrightDownload(page) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#batch-download')]);
  return { name: download.suggestedFilename(), text: readFileSync(await download.path(), 'utf8') };
}

/** Waits until the progress bar shows more than `rows` rows scored. */
async function waitForRows(page, rows) {
  await page.waitForFunction((r) => Number(document.getElementById('batch-progress').dataset.rows) > r, rows, { timeout: 60_000 });
}

/** No download is offered: the result is hidden and its link points nowhere. */
async function assertNothingOffered(page) {
  assert.equal(await page.isHidden('#batch-result'), true, 'no result shown');
  assert.equal(await page.getAttribute('#batch-download', 'href'), null, 'the download link points nowhere');
  assert.equal(await page.isHidden('#batch-running'), true, 'the run is over');
  assert.equal(await page.$eval('#batch-file', (e) => e.disabled), false, 'a new file can be chosen');
}

/**
 * The batch ended (`state`) with `kind`'s message in English and, after a language switch, in
 * Chinese, and nothing is offered in either language (a switch once re-showed the last result).
 */
async function assertEnded(page, state, kind) {
  await page.waitForFunction(() => document.body.dataset.batch && document.body.dataset.batch !== 'running', null, { timeout: 60_000 });
  assert.equal(await page.evaluate(() => document.body.dataset.batch), state, 'how the file ended');
  assert.match(await page.textContent('#batch-error'), MESSAGES[kind].en);
  assert.equal(await page.isVisible('#batch-error'), true);
  await assertNothingOffered(page);
  await page.selectOption('#lang', 'zh-CN');
  assert.match(await page.textContent('#batch-error'), MESSAGES[kind].zh);
  await assertNothingOffered(page);
  await page.selectOption('#lang', 'en');
  assert.match(await page.textContent('#batch-error'), MESSAGES[kind].en);
}

describe('faults while a file is being scored', () => {
  let browser;
  let dir;
  let longFile;
  let nextFile;
  let expected; // the CLI's records for nextFile

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'credit-scorer-faults-'));
    longFile = path.join(dir, 'long.csv');
    writeFileSync(longFile, generate(LONG_ROWS));
    nextFile = path.join(dir, 'next.csv');
    writeFileSync(nextFile, generate(NEXT_ROWS));
    expected = csvRecords(execFileSync(CLI, ['score', '--quiet', '--model', REFERENCE_MODEL, nextFile, '-o', '-'], { maxBuffer: 1 << 30 }).toString('utf8'));
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Scores the next file and checks every row against the CLI's (PD to 1e-6, as batch.test.mjs). */
  async function nextBatchMatchesCli(page, { helpers = false, download = playwrightDownload } = {}) {
    await page.setInputFiles('#batch-file', nextFile);
    await page.waitForSelector('body[data-batch="done"]', { timeout: 120_000 });
    assert.equal(await page.isHidden('#batch-error'), true, 'the last fault\'s message is gone');
    if (helpers) {
      const cores = await page.evaluate(() => navigator.hardwareConcurrency);
      assert.equal(await page.$eval('#batch-workers', (e) => Number(e.dataset.value)), Math.min(8, cores), 'helpers share the file again');
    }
    const { name, text } = await download(page);
    assert.equal(name, 'next-scored.csv');
    const got = csvRecords(text);
    assert.equal(got.length, NEXT_ROWS + 1, 'header + one line per row');
    assert.deepEqual(got[0], expected[0]);
    const col = Object.fromEntries(expected[0].map((h, i) => [h, i]));
    for (let i = 1; i < expected.length; i++) {
      const [p, c] = [got[i], expected[i]];
      assert.deepEqual(p.slice(0, col.pd), c.slice(0, col.pd), `line ${i + 1}: input columns`);
      assert.ok(Math.abs(Number(p[col.pd]) - Number(c[col.pd])) < 1e-6, `line ${i + 1}: pd ${p[col.pd]} vs ${c[col.pd]}`);
      assert.equal(p[col.band], c[col.band], `line ${i + 1}: band`);
    }
    assert.deepEqual(await page.evaluate(() => Object.keys(sessionStorage)), [], 'nothing left in session storage');
  }

  /** A page with its Workers recorded (the engine Worker first, then the batch's helpers). */
  async function openRecorded(b = browser) {
    const opened = await openPage(b);
    const workers = [];
    opened.page.on('worker', (w) => workers.push(w));
    await gotoReady(opened.page);
    return { ...opened, workers };
  }

  /** Starts the long file and returns its first helper Worker once it is scoring chunks. */
  async function startWithHelper(page, workers) {
    await page.setInputFiles('#batch-file', longFile);
    const deadline = Date.now() + 60_000;
    while (!workers.some((w) => w.url().endsWith('/helper-worker.js'))) {
      assert.ok(Date.now() < deadline, 'a helper Worker started');
      await new Promise((resolve) => { setTimeout(resolve, 20); });
    }
    await waitForRows(page, 20_000);
    assert.equal(await page.evaluate(() => document.body.dataset.batch), 'running');
    return workers.find((w) => w.url().endsWith('/helper-worker.js'));
  }

  test('a helper Worker that stops mid-file without a word', async () => {
    const { page, context, workers, assertClean } = await openRecorded();
    const helper = await startWithHelper(page, workers);
    // What a killed or vanished Worker looks like from outside: no error event, no reply.
    await helper.evaluate(() => self.close());
    await assertEnded(page, 'failed', 'stopped');
    await nextBatchMatchesCli(page, { helpers: true });
    assert.equal(await page.isHidden('#app-alert'), true, 'the engine Worker itself was not restarted');
    assert.equal(workers.filter((w) => w.url().endsWith('/engine-worker.js')).length, 1);
    assertClean(assert);
    await context.close();
  });

  test('a helper Worker that traps mid-file (as a wasm trap or allocation failure replies)', async () => {
    const { page, context, workers, assertClean } = await openRecorded();
    const helper = await startWithHelper(page, workers);
    await helper.evaluate(() => self.postMessage({ id: -1, ok: false, fatal: true, error: { name: 'RuntimeError', message: 'unreachable' } }));
    await assertEnded(page, 'failed', 'stopped');
    await nextBatchMatchesCli(page, { helpers: true });
    // A trap in a helper breaks that helper, not the engine Worker.
    assert.equal(await page.isHidden('#app-alert'), true, 'the engine Worker was not restarted');
    assert.equal(workers.filter((w) => w.url().endsWith('/engine-worker.js')).length, 1);
    assertClean(assert);
    await context.close();
  });

  for (const [how, change] of [
    ['cut short', (file) => truncateSync(file, 100_000)],
    ['rewritten in place', (file) => writeFileSync(file, generate(LONG_ROWS).replace(/^r/gm, 'x'))],
  ]) {
    test(`a file ${how} while it is read: refused, after a good file whose result then goes`, async () => {
      const { page, context, assertClean } = await openRecorded();
      await nextBatchMatchesCli(page);
      const file = path.join(dir, `changing-${how.replace(/\W/g, '-')}.csv`);
      writeFileSync(file, generate(LONG_ROWS));
      await page.setInputFiles('#batch-file', file);
      await waitForRows(page, 20_000);
      change(file);
      await assertEnded(page, 'failed', 'unreadable');
      await nextBatchMatchesCli(page);
      assertClean(assert);
      await context.close();
    });
  }

  test('a page reloaded mid-file says the file was not finished, offers nothing, and scores the next', async () => {
    const { page, context, assertClean } = await openRecorded();
    await page.setInputFiles('#batch-file', longFile);
    await waitForRows(page, 20_000);
    await page.reload({ waitUntil: 'domcontentloaded' });
    await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
    await assertEnded(page, 'interrupted', 'interrupted');
    assert.deepEqual(await page.evaluate(() => Object.keys(sessionStorage)), [], 'the flag is gone once said');
    await nextBatchMatchesCli(page);
    // A second reload has nothing to say.
    await page.reload({ waitUntil: 'domcontentloaded' });
    await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
    assert.equal(await page.isHidden('#batch-error'), true);
    await assertNothingOffered(page);
    assertClean(assert);
    await context.close();
  });

  test('a tab that crashes mid-file (as when it runs out of memory): reloaded, it says so', async () => {
    // Playwright gives up on a page whose renderer crashed: the tab is reloaded over the DevTools
    // protocol and then driven through a second connection, which sees it as a fresh page.
    const port = await freePort();
    const crashing = await launch([`--remote-debugging-port=${port}`]);
    let again = null;
    try {
      const { page, context } = await openRecorded(crashing);
      await page.setInputFiles('#batch-file', longFile);
      await waitForRows(page, 20_000);
      const crashed = new Promise((resolve) => { page.once('crash', resolve); });
      (await context.newCDPSession(page)).send('Page.crash').catch(() => {}); // no reply from a dead renderer
      await crashed;
      const cdp = await crashing.newBrowserCDPSession();
      const { targetInfos } = await cdp.send('Target.getTargets');
      const target = targetInfos.find((t) => t.type === 'page' && t.url.startsWith(BASE_URL));
      const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: target.targetId, flatten: false });
      await cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: 1, method: 'Page.reload', params: {} }) });
      // The second connection does not receive this context's downloads: the browser saves them here.
      const saved = mkdtempSync(path.join(dir, 'downloads-'));
      await cdp.send('Browser.setDownloadBehavior', {
        behavior: 'allow', downloadPath: saved, eventsEnabled: true, browserContextId: target.browserContextId,
      });
      const cdpDownload = async (p) => {
        let name = null;
        const done = new Promise((resolve, reject) => {
          cdp.on('Browser.downloadWillBegin', (e) => { name = e.suggestedFilename; });
          cdp.on('Browser.downloadProgress', (e) => {
            if (e.state === 'completed') resolve();
            if (e.state === 'canceled') reject(new Error('the download was cancelled'));
          });
        });
        await p.click('#batch-download');
        await done;
        return { name, text: readFileSync(path.join(saved, name), 'utf8') };
      };
      again = await chromium.connectOverCDP(`http://127.0.0.1:${port}`);
      const reloaded = again.contexts().flatMap((c) => c.pages()).find((p) => p.url().startsWith(BASE_URL));
      assert.ok(reloaded, 'the crashed tab is there again');
      reloaded.setDefaultTimeout(60_000);
      await reloaded.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
      await assertEnded(reloaded, 'interrupted', 'interrupted');
      await nextBatchMatchesCli(reloaded, { download: cdpDownload });
    } finally {
      await again?.close();
      await crashing.close();
    }
  });

  test('an engine that runs out of memory mid-file (memory-limited wasm)', async () => {
    const limited = await launch([`--js-flags=--wasm-max-mem-pages=${WASM_PAGES}`]);
    try {
      const big = path.join(dir, 'big.csv');
      writeFileSync(big, generate(2_000, { long: 15 << 20 }));
      const { page, context, problems } = await openRecorded(limited);
      await page.setInputFiles('#batch-file', big);
      await assertEnded(page, 'failed', 'stopped');
      // The row outgrows the engine Worker's memory while it is parsed, before any helper sees it:
      // its instance is broken by the trap, so the Worker is replaced and the model reloaded.
      await page.locator('#app-alert').waitFor({ state: 'visible' });
      assert.match(await page.textContent('#app-alert'), /crashed \(RuntimeError: .*\)\. It was restarted and the model reloaded/);
      await nextBatchMatchesCli(page);
      // The trap may be logged by the wasm glue; nothing else may be.
      assert.deepEqual(problems.filter((p) => !/unreachable|RuntimeError|memory/i.test(p)), []);
      await context.close();
    } finally {
      await limited.close();
    }
  });
});
