// A model chosen while a file is being scored (issue 21 item 3): the engine refuses it with a
// message that says to wait or cancel, every output row comes from the model the batch started
// with (compared with the CLI on the same file), the summary names that model's SHA-256, and the
// other model loads once the file is done.
// The CLI is CREDIT_SCORER_CLI, else $CARGO_TARGET_DIR/debug/credit-scorer, else target/debug/….

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, REFERENCE_MODEL, fixture, golden, gotoReady, launch, openPage } from './helpers.mjs';

const CLI = process.env.CREDIT_SCORER_CLI
  ?? path.join(process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target'), 'debug', 'credit-scorer');
// Long enough (a few seconds with reasons on two cores) that the model change lands mid-run.
const ROWS = 200_000;

describe('a model chosen while a file is being scored', () => {
  let browser;
  let dir;
  let input;
  const g = golden();
  const logreg = JSON.parse(readFileSync(fixture('models', 'logreg.json'), 'utf8'));

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'credit-scorer-swap-'));
    input = path.join(dir, 'applicants.csv');
    const lines = [`id,${g.features.join(',')}`];
    for (let i = 0; i < ROWS; i++) lines.push(`r${i},${g.rows[i % g.rows.length].x.join(',')}`);
    writeFileSync(input, `${lines.join('\n')}\n`);
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('is refused until the file is done; the file is scored by one model, named in its summary', async () => {
    const { page, context } = await openPage(browser);
    await gotoReady(page);
    await page.evaluate(() => {
      window.__rows = 0;
      const bar = document.getElementById('batch-progress');
      new MutationObserver(() => { window.__rows = Number(bar.dataset.rows); })
        .observe(bar, { attributes: true, attributeFilter: ['data-rows'] });
    });
    await page.setInputFiles('#batch-file', input);
    await page.waitForFunction(() => window.__rows > 0, null, { timeout: 60_000 });

    // Another model chosen mid-run must not replace the one the file is being scored with.
    await page.setInputFiles('#model-file', fixture('models', 'logreg.onnx'));
    await page.waitForFunction(() => !document.getElementById('model-error').hidden, null, { timeout: 30_000 });
    const refused = await page.textContent('#model-error');
    assert.match(refused, /being scored with the current model; wait until it is done or cancel it/);
    assert.equal(await page.evaluate(() => document.body.dataset.batch), 'running', 'the refusal came mid-run');
    assert.equal(await page.textContent('#model-sha'), g.model_sha256, 'the reference model stays loaded');

    await page.waitForSelector('body[data-batch="done"]', { timeout: 300_000 });
    assert.equal(await page.getAttribute('#batch-model', 'data-sha256'), g.model_sha256);
    assert.match(await page.textContent('#batch-model'), new RegExp(g.model_sha256));

    // Every row as the CLI scores the file with the reference model (PD to 1e-6: wasm and native
    // may round the last bit apart).
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#batch-download')]);
    const got = readFileSync(await download.path(), 'utf8').trimEnd().split('\n');
    const want = execFileSync(CLI, ['score', '--quiet', '--model', REFERENCE_MODEL, input, '-o', '-'], { maxBuffer: 1 << 30 })
      .toString('utf8').trimEnd().split('\n');
    assert.equal(got.length, ROWS + 1);
    assert.equal(got.length, want.length);
    const pdAt = want[0].split(',').indexOf('pd');
    for (let i = 1; i < want.length; i++) {
      const [p, c] = [got[i].split(','), want[i].split(',')];
      assert.equal(p[0], c[0], `line ${i + 1}: id`);
      assert.ok(Math.abs(Number(p[pdAt]) - Number(c[pdAt])) < 1e-6, `line ${i + 1}: pd ${p[pdAt]} vs ${c[pdAt]}`);
    }

    // Once the file is done, the other model loads.
    await page.setInputFiles('#model-file', fixture('models', 'logreg.onnx'));
    await page.waitForFunction((sha) => document.getElementById('model-sha').textContent === sha, logreg.model_sha256, { timeout: 60_000 });
    await context.close();
  });
});
