// Files as a bank's branches save them, scored in the page's batch panel: GBK from Excel in
// Chinese (Chinese column and category labels) once the officer picks GBK, UTF-16 with a
// byte-order mark found by itself; each download equals the command line's output for the same
// file's UTF-8 twin, and a GBK file left on "Automatic" is refused with a message that says to
// pick its encoding; a European branch's file (Windows-1252, `;`, decimal comma) once the
// officer picks its encoding and the decimal comma scores as the CLI scores the same file with
// `--encoding windows-1252 --decimal ,`. The summary says how the file was read.
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

/** The CLI's output for `file` (with `flags`), as records. */
function cliOutput(file, flags = []) {
  const out = execFileSync(CLI, ['score', '--quiet', ...flags, '--model', REFERENCE_MODEL, path.join(FIXTURES, file), '-o', '-']);
  return csvRecords(out.toString('utf8'));
}

/** Scores `file` in the page with `encoding` (and `decimal`) chosen; resolves with the page's status. */
async function scoreInPage(page, file, encoding, decimal = '.') {
  await page.selectOption('#batch-encoding', encoding);
  await page.selectOption('#batch-decimal', decimal);
  await page.setInputFiles('#batch-file', path.join(FIXTURES, file));
  await page.waitForSelector('body[data-batch="done"], body[data-batch="failed"]', { timeout: 60_000 });
  return page.evaluate(() => document.body.dataset.batch);
}

/** The page's download, as records, compared with the CLI's: PDs to 1e-6 (wasm and native may
 * round the last bit apart), points to 0.1, everything else exact. */
async function assertSameAsCli(page, twin, flags = []) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#batch-download')]);
  const got = csvRecords(readFileSync(await download.path()).toString('utf8'));
  const want = cliOutput(twin, flags);
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
    assert.equal(await page.textContent('#batch-read-as'), 'Read as GBK (as chosen), columns separated by commas, numbers with a decimal point.');
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
    assert.equal(await page.textContent('#batch-read-as'), 'Read as UTF-16LE (from its byte-order mark), columns separated by tabs, numbers with a decimal point.');
    assertClean(assert);
    await context.close();
  });

  test('Windows-1252 with semicolons and a decimal comma, once both are chosen, scores as the CLI with --decimal ,', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await gotoReady(page);
    // A decimal point: every row's `42,0` is refused, as the CLI refuses it without --decimal.
    assert.equal(await scoreInPage(page, 'windows1252.csv', 'windows-1252', '.'), 'done');
    assert.equal(Number(await page.$eval('#batch-scored', (e) => e.dataset.value)), 0);
    assert.equal(Number(await page.$eval('#batch-refused', (e) => e.dataset.value)), 12);
    assert.equal(await page.textContent('#batch-read-as'),
      'Read as Windows-1252 (as chosen), columns separated by semicolons, numbers with a decimal point.');

    assert.equal(await scoreInPage(page, 'windows1252.csv', 'windows-1252', ','), 'done');
    const rows = await assertSameAsCli(page, 'windows1252.csv', ['--encoding', 'windows-1252', '--decimal', ',']);
    assert.equal(rows, 12);
    assert.equal(Number(await page.$eval('#batch-scored', (e) => e.dataset.value)), rows);
    assert.equal(await page.textContent('#batch-read-as'),
      'Read as Windows-1252 (as chosen), columns separated by semicolons, numbers with a decimal comma.');
    // In Chinese too.
    await page.selectOption('#lang', 'zh-CN');
    assert.equal(await page.textContent('#batch-read-as'),
      '按 Windows-1252 读取（按所选），列分隔符：分号，小数分隔符：逗号。');
    await page.selectOption('#lang', 'en');
    // A decimal comma in a file whose columns are separated by commas cannot be read: refused
    // with the core's reason, as the CLI refuses it.
    assert.equal(await scoreInPage(page, 'gbk.utf8.csv', 'auto', ','), 'failed');
    assert.match(await page.textContent('#batch-error'), /separated by commas, so numbers cannot have a decimal comma/);
    assertClean(assert);
    await context.close();
  });
});
