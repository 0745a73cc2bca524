// Batch scoring in the page: a generated 100,000-row CSV goes through the page with progress
// events, and the downloaded result is byte for byte the command line's output for the same file;
// a run can be cancelled mid-way and the page (form and batches) keeps working.
// The CLI is CREDIT_SCORER_CLI, else $CARGO_TARGET_DIR/debug/credit-scorer, else target/debug/….

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ROOT, REFERENCE_MODEL, launch, openPage, gotoReady, shot, golden, goldenApplicant,
  fillApplicant, readResult, csvRecords,
} from './helpers.mjs';

const ROWS = 100_000;
// The cancel test's file: long enough (about a second at ~800 k rows/s on two cores) that the
// click lands while it runs.
const CANCEL_ROWS = 1_000_000;
const CLI = process.env.CREDIT_SCORER_CLI
  ?? path.join(process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target'), 'debug', 'credit-scorer');

/** `rows` applicants from the golden rows; every 101st has a bad amount, a blank line every 10,000. */
function generate(rows) {
  const g = golden();
  const lines = [`id,${g.features.join(',')},note`];
  for (let i = 0; i < rows; i++) {
    const x = g.rows[i % g.rows.length].x.map(String);
    if (i % 101 === 7) x[6] = '12k';
    lines.push(`r${i},${x.join(',')},${i % 13 === 0 ? '"a, b"' : ''}`);
    if (i % 10_000 === 9_999) lines.push('');
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** The records of a CSV file's bytes. */
const rows = (bytes) => csvRecords(bytes.toString('utf8'));

/** Records the batch status line and the progress bar's row count as they change. */
async function watchProgress(page) {
  await page.evaluate(() => {
    window.__progress = [];
    const bar = document.getElementById('batch-progress');
    new MutationObserver(() => {
      window.__progress.push({ rows: Number(bar.dataset.rows), t: performance.now() });
    }).observe(bar, { attributes: true, attributeFilter: ['data-rows'] });
  });
}

describe('batch file scoring', () => {
  let browser;
  let dir;
  let input;
  let expected;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'credit-scorer-batch-'));
    input = path.join(dir, 'applicants.csv');
    writeFileSync(input, generate(ROWS));
    const output = path.join(dir, 'cli.csv');
    execFileSync(CLI, ['score', '--quiet', '--model', REFERENCE_MODEL, input, '-o', output]);
    expected = readFileSync(output);
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a 100,000-row file: progress, a usable form meanwhile, and the same output as the CLI', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await gotoReady(page);
    await watchProgress(page);
    const started = Date.now();
    await page.setInputFiles('#batch-file', input);
    await page.waitForSelector('body[data-batch="running"]');

    // The form answers while the file is being scored.
    const g = golden();
    await fillApplicant(page, goldenApplicant(g, g.rows[0]));
    const result = await readResult(page);
    assert.ok(Number.isFinite(result.points));

    await page.waitForSelector('body[data-batch="done"]', { timeout: 300_000 });
    const seconds = (Date.now() - started) / 1000;
    const progress = await page.evaluate(() => window.__progress);
    assert.ok(progress.length >= 2, `progress events: ${progress.length}`);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i].rows >= progress[i - 1].rows, 'rows only grow');
    assert.ok(progress.some((p) => p.rows > 0 && p.rows < ROWS), 'a progress event mid-way');

    const refused = Math.floor((ROWS - 8) / 101) + 1;
    const count = (id) => page.$eval(`#${id}`, (e) => Number(e.dataset.value));
    assert.equal(await count('batch-rows-in'), ROWS);
    assert.equal(await count('batch-refused'), refused);
    assert.equal(await count('batch-scored'), ROWS - refused);
    assert.equal(await count('batch-blank'), ROWS / 10_000);
    // A file this size is shared with helper Workers, one per further core: the output below
    // must still be the CLI's, row for row, in order.
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    assert.equal(await count('batch-workers'), Math.min(8, cores), `cores: ${cores}`);
    const bandTotal = await page.$$eval('#batch-bands tr', (rows) => rows.reduce((s, r) => s + Number(r.dataset.count), 0));
    assert.equal(bandTotal, ROWS - refused);
    const histTotal = await page.$$eval('#batch-hist rect', (rs) => rs.reduce((s, r) => s + Number(r.dataset.count), 0));
    assert.equal(histTotal, ROWS - refused);
    // PSI per characteristic and for the score (the file repeats the golden rows).
    const drift = await page.$$eval('#batch-drift tr', (rows) => rows.map((r) => ({ name: r.dataset.feature, psi: Number(r.dataset.psi), reading: r.dataset.reading })));
    assert.equal(drift.length, g.features.length + 1);
    assert.ok(drift.every((d) => Number.isFinite(d.psi) && ['stable', 'watch', 'investigate'].includes(d.reading)), JSON.stringify(drift));
    await shot(page, 'batch-summary');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#batch-download')]);
    assert.equal(download.suggestedFilename(), 'applicants-scored.csv');
    const got = readFileSync(await download.path());
    // The page runs the same core compiled to wasm; tract's wasm kernels may round the last bit
    // of a float differently (FACTS: outputs agree to 6e-8), so PDs are compared to 1e-6.
    const fromPage = rows(got);
    const cli = rows(expected);
    assert.equal(fromPage.length, ROWS + 1, 'header + one line per row');
    assert.equal(fromPage.length, cli.length);
    assert.deepEqual(fromPage[0], cli[0]);
    const col = Object.fromEntries(cli[0].map((h, i) => [h, i]));
    let reasonsDiffer = 0;
    for (let i = 1; i < cli.length; i++) {
      const [p, c] = [fromPage[i], cli[i]];
      assert.deepEqual(p.slice(0, col.pd), c.slice(0, col.pd), `line ${i + 1}: input columns`);
      assert.equal(p[col.error], c[col.error], `line ${i + 1}: error`);
      if (c[col.pd] === '') {
        assert.equal(p[col.pd], '', `line ${i + 1}: refused in both`);
        continue;
      }
      assert.ok(Math.abs(Number(p[col.pd]) - Number(c[col.pd])) < 1e-6, `line ${i + 1}: pd ${p[col.pd]} vs ${c[col.pd]}`);
      assert.ok(Math.abs(Number(p[col.points]) - Number(c[col.points])) <= 0.1 + 1e-9, `line ${i + 1}: points`);
      assert.equal(p[col.band], c[col.band], `line ${i + 1}: band`);
      if (p.slice(col.reason_1, col.error).join() !== c.slice(col.reason_1, col.error).join()) reasonsDiffer++;
    }
    assert.ok(reasonsDiffer <= ROWS / 1000, `reasons differ on ${reasonsDiffer} rows`);
    console.log(`page: ${ROWS} rows in ${seconds.toFixed(1)} s (${Math.round(ROWS / seconds)} rows/s end to end)`);
    assertClean(assert);
    await context.close();
  });

  test('cancel mid-way stops the run, and the page keeps scoring', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await gotoReady(page);
    await watchProgress(page);
    const long = path.join(dir, 'long.csv');
    writeFileSync(long, generate(CANCEL_ROWS));
    await page.setInputFiles('#batch-file', long);
    await page.waitForFunction(() => window.__progress.some((p) => p.rows > 0), null, { timeout: 60_000 });
    await page.click('#batch-cancel');
    await page.waitForSelector('body[data-batch="cancelled"]', { timeout: 30_000 });
    const status = await page.textContent('#batch-status');
    assert.match(status, /Cancelled after/);
    const rowsAtCancel = Math.max(...(await page.evaluate(() => window.__progress.map((p) => p.rows))));
    assert.ok(rowsAtCancel < CANCEL_ROWS, `stopped before the end (${rowsAtCancel} rows)`);
    assert.equal(await page.isHidden('#batch-result'), true, 'no result after a cancel');
    assert.equal(await page.isHidden('#batch-running'), true);

    // The same worker still scores the form and a new file.
    const g = golden();
    await fillApplicant(page, goldenApplicant(g, g.rows[1]));
    assert.ok(Number.isFinite((await readResult(page)).points));
    const small = path.join(dir, 'small.csv');
    writeFileSync(small, generate(50));
    await page.setInputFiles('#batch-file', small);
    await page.waitForSelector('body[data-batch="done"]', { timeout: 60_000 });
    assert.equal(await page.$eval('#batch-rows-in', (e) => Number(e.dataset.value)), 50);
    assertClean(assert);
    await context.close();
  });

  test('a file without the model\'s columns is refused with the missing ones named', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await gotoReady(page);
    const bad = path.join(dir, 'bad.csv');
    writeFileSync(bad, 'name,amount\nx,1\n');
    await page.setInputFiles('#batch-file', bad);
    await page.waitForSelector('body[data-batch="failed"]');
    const text = await page.textContent('#batch-error');
    assert.match(text, /missing `checking_status`/);
    assert.match(text, /`name`, `amount`/);
    assertClean(assert);
    await context.close();
  });
});
