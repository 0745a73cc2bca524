// One attribution in every channel (issue 20): the 200 applicants of the held-out test split
// (tests/fixtures/governance/test_split.json, the rows tests/attribution.rs uses) typed into the
// page's form, scored by the page's batch panel with contributions, by `credit-scorer assess` and
// by `credit-scorer score --contributions` give the same four reasons in the same order and the
// same contributions to 1e-9 points. The page runs the reference model on the lite engine's
// direct evaluator (wasm), the CLI on the same evaluator natively. tests/attribution.rs checks
// the contributions themselves against brute force over every coalition.
// The CLI is CREDIT_SCORER_CLI, else $CARGO_TARGET_DIR/debug/credit-scorer, else target/debug/….

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ROOT, REFERENCE_MODEL, launch, openPage, gotoReady, fixture, csvRecords, embeddedSchema,
} from './helpers.mjs';

const CLI = process.env.CREDIT_SCORER_CLI
  ?? path.join(process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target'), 'debug', 'credit-scorer');
const TOLERANCE = 1e-9; // points
// The page batch gets the 200 rows repeated: a file over 2 MB, so that the page's helper Worker
// scores part of it too (js/worker/file-batch.js), with the contributions option passed on.
const REPEATS = 500;
const split = JSON.parse(readFileSync(fixture('governance', 'test_split.json'), 'utf8'));
const NAMES = split.features;
const CATEGORICAL = new Set(embeddedSchema(REFERENCE_MODEL).features.filter((f) => f.kind === 'categorical').map((f) => f.name));

/** Types an applicant into the form as an officer would: a choice per list, text per number. */
async function typeApplicant(page, values) {
  for (const [name, value] of Object.entries(values)) {
    if (CATEGORICAL.has(name)) await page.selectOption(`#f-${name}`, value);
    else await page.fill(`#f-${name}`, value);
  }
}

/** One applicant as { feature: value } (numbers as the CSV and the form get them). */
const applicant = (row) => Object.fromEntries(NAMES.map((name, i) => [name, String(row.x[i])]));

/** { reasons: [feature…], contributions: { feature: points } } from a scored CSV record. */
function fromRecord(header, record) {
  const col = Object.fromEntries(header.map((h, i) => [h, i]));
  assert.equal(record[col.error], '', `refused: ${record[col.error]}`);
  return {
    reasons: ['reason_1', 'reason_2', 'reason_3', 'reason_4'].map((c) => record[col[c]]).filter((r) => r !== ''),
    contributions: Object.fromEntries(NAMES.map((n) => [n, Number(record[col[`contribution_${n}`]])])),
  };
}

describe('one attribution in every channel', () => {
  let browser;
  let dir;
  let input;
  let repeated;
  let assess; // per applicant, from `credit-scorer assess`
  let cliBatch; // { header, records } from `credit-scorer score --contributions`

  before(async () => {
    assert.equal(split.rows.length, 200);
    dir = mkdtempSync(path.join(os.tmpdir(), 'credit-scorer-parity-'));
    input = path.join(dir, 'test-split.csv');
    const lines = split.rows.map((r) => r.x.map(String).join(','));
    writeFileSync(input, `${[NAMES.join(','), ...lines].join('\n')}\n`);
    repeated = path.join(dir, 'test-split-repeated.csv');
    writeFileSync(repeated, `${[NAMES.join(','), ...Array.from({ length: REPEATS }, () => lines).flat()].join('\n')}\n`);
    const out = path.join(dir, 'cli.csv');
    execFileSync(CLI, ['score', '--quiet', '--contributions', '--model', REFERENCE_MODEL, input, '-o', out]);
    const records = csvRecords(readFileSync(out, 'utf8'));
    cliBatch = { header: records[0], records: records.slice(1) };
    const file = path.join(dir, 'applicant.json');
    assess = split.rows.map((row) => {
      writeFileSync(file, JSON.stringify(Object.fromEntries(NAMES.map((n, i) => [n, row.x[i]]))));
      const a = JSON.parse(execFileSync(CLI, ['assess', '--no-recourse', '--model', REFERENCE_MODEL, file], { encoding: 'utf8' }));
      return {
        reasons: a.reasons.map((r) => r.feature),
        contributions: Object.fromEntries(a.contributions.map((c) => [c.feature, c.contribution])),
      };
    });
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Asserts that `channel` agrees with `assess` on every applicant; returns the largest difference. */
  function compare(name, channel) {
    assert.equal(channel.length, assess.length, `${name}: one result per applicant`);
    let worst = 0;
    let withFour = 0;
    for (const [i, want] of assess.entries()) {
      const got = channel[i];
      const id = split.rows[i].id;
      assert.deepEqual(got.reasons, want.reasons, `${name}, ${id}: the same reasons in the same order`);
      withFour += got.reasons.length === 4 ? 1 : 0;
      assert.deepEqual(Object.keys(got.contributions).sort(), [...NAMES].sort(), `${name}, ${id}: a contribution per feature`);
      for (const n of NAMES) {
        const d = Math.abs(got.contributions[n] - want.contributions[n]);
        assert.ok(Number.isFinite(got.contributions[n]), `${name}, ${id} ${n}: ${got.contributions[n]}`);
        assert.ok(d <= TOLERANCE, `${name}, ${id} ${n}: ${got.contributions[n]} vs assess ${want.contributions[n]}`);
        worst = Math.max(worst, d);
      }
    }
    // Not a comparison of empty lists: most declined-or-not applicants have four adverse reasons.
    assert.ok(withFour > assess.length / 4, `${name}: ${withFour} applicants with four reasons`);
    console.log(`${name} vs assess: largest contribution difference ${worst.toExponential(2)} points, reasons identical for ${assess.length} applicants`);
    return worst;
  }

  test('the CLI batch (`score --contributions`) agrees with `assess`', () => {
    assert.deepEqual(cliBatch.header, [...NAMES, 'pd', 'points', 'band', 'reason_1', 'reason_2', 'reason_3', 'reason_4', 'error',
      ...NAMES.map((n) => `contribution_${n}`)]);
    compare('CLI batch', cliBatch.records.map((r) => fromRecord(cliBatch.header, r)));
  });

  test('the page form, typed in, agrees with `assess`', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await gotoReady(page);
    assert.equal(await page.getAttribute('#model-engine', 'data-engine'), 'direct', 'the reference model runs on the direct evaluator');
    const started = Date.now();
    const shown = [];
    for (const row of split.rows) {
      // A cleared form shows no result until every field is valid: the first result after the
      // last field is this applicant's.
      if (await page.isVisible('#result-body')) {
        await page.click('#clear-btn');
        await page.waitForSelector('#result-body', { state: 'hidden' });
      }
      await typeApplicant(page, applicant(row));
      await page.waitForSelector('#result-body:not([hidden])');
      shown.push(await page.evaluate(() => ({
        reasons: [...document.querySelectorAll('#reasons li')].map((li) => li.dataset.feature),
        contributions: Object.fromEntries([...document.querySelectorAll('#contrib-body tr')]
          .map((tr) => [tr.dataset.feature, Number(tr.dataset.value)])),
        reasonValues: [...document.querySelectorAll('#reasons li')].map((li) => Number(li.dataset.value)),
      })));
      const last = shown.at(-1);
      // The reasons' figures are the same contributions.
      last.reasons.forEach((f, i) => assert.equal(last.reasonValues[i], last.contributions[f], `${row.id} reason ${f}`));
    }
    console.log(`page form: ${split.rows.length} applicants typed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    compare('page form', shown);
    assertClean(assert);
    await context.close();
  });

  test('the page batch with contributions agrees with `assess` and has the CLI batch\'s columns', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await gotoReady(page);
    await page.check('#batch-contributions');
    await page.setInputFiles('#batch-file', repeated);
    await page.waitForSelector('body[data-batch="done"]', { timeout: 300_000 });
    assert.match(await page.textContent('#batch-method'), /exact Shapley values/, 'the summary names the method');
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    assert.equal(await page.$eval('#batch-workers', (e) => Number(e.dataset.value)), Math.min(8, cores), 'helpers scored part of it');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#batch-download')]);
    const records = csvRecords(readFileSync(await download.path(), 'utf8'));
    assert.deepEqual(records[0], cliBatch.header, 'the same columns as `score --contributions`');
    assert.equal(records.length, split.rows.length * REPEATS + 1);
    const fromPage = records.slice(1).map((r) => fromRecord(records[0], r));
    compare('page batch', fromPage.slice(0, split.rows.length));
    // Every repeat against the CLI's batch: the same reasons, contributions to 1e-9.
    const cli = cliBatch.records.map((r) => fromRecord(cliBatch.header, r));
    let worst = 0;
    for (const [i, got] of fromPage.entries()) {
      const want = cli[i % cli.length];
      assert.deepEqual(got.reasons, want.reasons, `line ${i + 2}: reasons`);
      for (const n of NAMES) worst = Math.max(worst, Math.abs(got.contributions[n] - want.contributions[n]));
    }
    assert.ok(worst <= TOLERANCE, `page batch vs CLI batch: ${worst}`);
    console.log(`page batch (${fromPage.length} rows, ${cores > 1 ? 'with helper Workers' : 'one Worker'}) vs CLI batch: largest contribution difference ${worst.toExponential(2)} points`);

    // Without the option the file has no contribution columns (the default stays as it was).
    await page.uncheck('#batch-contributions');
    const firstHref = await page.getAttribute('#batch-download', 'href');
    await page.setInputFiles('#batch-file', input);
    // Done again: a new download (the first run's `done` is still on the body meanwhile).
    await page.waitForFunction((href) => document.body.dataset.batch === 'done'
      && document.getElementById('batch-download').getAttribute('href') !== href, firstHref, { timeout: 120_000 });
    const [plain] = await Promise.all([page.waitForEvent('download'), page.click('#batch-download')]);
    const plainHeader = csvRecords(readFileSync(await plain.path(), 'utf8'))[0];
    assert.deepEqual(plainHeader, cliBatch.header.slice(0, NAMES.length + 8));
    assertClean(assert);
    await context.close();
  });
});
