// Files as a bank's branches save them, scored in the page's batch panel: GBK from Excel in
// Chinese (Chinese column and category labels) once the officer picks GBK, UTF-16 with a
// byte-order mark found by itself; each download equals the command line's output for the same
// file's UTF-8 twin, and a GBK file left on "Automatic" is refused with a message that says to
// pick its encoding. The summary says how the file was read.
// The CLI is CREDIT_SCORER_CLI, else $CARGO_TARGET_DIR/debug/credit-scorer, else target/debug/….

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, REFERENCE_MODEL, csvRecords, launch, openPage, gotoReady, shot } from './helpers.mjs';

const CLI = process.env.CREDIT_SCORER_CLI
  ?? path.join(process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target'), 'debug', 'credit-scorer');
const FIXTURES = path.join(ROOT, 'tests', 'fixtures', 'encodings');

/** The CLI's output for `file` (UTF-8), as records. */
function cliOutput(file) {
  const out = execFileSync(CLI, ['score', '--quiet', '--model', REFERENCE_MODEL, path.join(FIXTURES, file), '-o', '-']);
  return csvRecords(out.toString('utf8'));
}

/** Scores `file` in the page with `encoding` chosen; resolves with the page's status. */
async function scoreInPage(page, file, encoding) {
  await page.selectOption('#batch-encoding', encoding);
  await page.setInputFiles('#batch-file', path.join(FIXTURES, file));
  await page.waitForSelector('body[data-batch="done"], body[data-batch="failed"]', { timeout: 60_000 });
  return page.evaluate(() => document.body.dataset.batch);
}

/** The page's download, as records, compared with the CLI's: PDs to 1e-6 (wasm and native may
 * round the last bit apart), points to 0.1, everything else exact. */
async function assertSameAsCli(page, twin) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#batch-download')]);
  const got = csvRecords(readFileSync(await download.path()).toString('utf8'));
  const want = cliOutput(twin);
  assert.equal(got.length, want.length, 'rows');
  assert.deepEqual(got[0], want[0], 'header');
  const col = Object.fromEntries(want[0].map((h, i) => [h, i]));
  for (let i = 1; i < want.length; i++) {
    const [p, c] = [got[i], want[i]];
    assert.deepEqual(p.slice(0, col.pd), c.slice(0, col.pd), `line ${i + 1}: input cells as written`);
    assert.equal(p[col.error], c[col.error], `line ${i + 1}: error`);
    assert.notEqual(c[col.pd], '', `line ${i + 1} is scored by the CLI`);
    assert.ok(Math.abs(Number(p[col.pd]) - Number(c[col.pd])) < 1e-6, `line ${i + 1}: pd`);
    assert.ok(Math.abs(Number(p[col.points]) - Number(c[col.points])) <= 0.1 + 1e-9, `line ${i + 1}: points`);
    assert.equal(p[col.band], c[col.band], `line ${i + 1}: band`);
    assert.deepEqual(p.slice(col.reason_1, col.error), c.slice(col.reason_1, col.error), `line ${i + 1}: reasons`);
  }
  return got.length - 1;
}

describe('batch files in other encodings', () => {
  let browser;
  before(async () => { browser = await launch(); });
  after(async () => { await browser?.close(); });

  test('GBK with Chinese labels, once GBK is chosen, scores as its UTF-8 twin does on the CLI', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await gotoReady(page);
    assert.equal(await scoreInPage(page, 'gbk.csv', 'auto'), 'failed', 'GBK is not taken for UTF-8');
    assert.match(await page.textContent('#batch-error'), /not UTF-8 text; choose its encoding \(GBK/);

    assert.equal(await scoreInPage(page, 'gbk.csv', 'gbk'), 'done');
    const rows = await assertSameAsCli(page, 'gbk.utf8.csv');
    assert.equal(Number(await page.$eval('#batch-scored', (e) => e.dataset.value)), rows);
    assert.equal(await page.textContent('#batch-read-as'), 'Read as GBK (as chosen), columns separated by commas.');
    assert.match(await page.textContent('#batch-method'), /^Reasons: exact Shapley values/);
    await shot(page, 'batch-gbk');
    assertClean(assert);
    await context.close();
  });

  test('UTF-16 with a byte-order mark and tabs is found by itself', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await gotoReady(page);
    assert.equal(await scoreInPage(page, 'utf16le.csv', 'auto'), 'done');
    await assertSameAsCli(page, 'utf16le.utf8.csv');
    assert.equal(await page.textContent('#batch-read-as'), 'Read as UTF-16LE (from its byte-order mark), columns separated by tabs.');
    assertClean(assert);
    await context.close();
  });
});
