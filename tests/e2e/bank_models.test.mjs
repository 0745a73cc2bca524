// A bank's own tree models (issue 19) in the page: uploaded with their schema and onnxruntime
// reference scores, they run on the lite engine's tree evaluator (the full engine is never
// fetched), score a test applicant as onnxruntime does, and give exact reasons (no
// "approximate" note) at 18 characteristics.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  launch, openPage, gotoReady, fillApplicant, readResult, fixture, BASE_URL,
} from './helpers.mjs';

const ENGINE_FILE = /^\/pkg\/(?:.+\/)?credit_scorer(?:_bg\.wasm|\.js)$/;

describe('bank tree models on the lite engine', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  for (const name of ['xgboost', 'lightgbm_zipmap', 'catboost', 'tree_ensemble_v5']) {
    test(`${name}: scored by the lite engine like onnxruntime, exact reasons, no full-engine fetch`, async () => {
      const f = JSON.parse(readFileSync(fixture('bank', `${name}.json`), 'utf8'));
      const { page, context, assertClean } = await openPage(browser);
      const engineRequests = [];
      let phase = 'loading';
      context.on('request', (r) => {
        const p = new URL(r.url()).pathname;
        if (ENGINE_FILE.test(p) && !r.serviceWorker()) engineRequests.push([phase, p]);
      });
      await gotoReady(page, BASE_URL);
      phase = 'upload';
      await page.setInputFiles('#model-file', fixture('bank', `${name}.onnx`));
      await page.waitForSelector('body[data-busy="false"]');
      await page.waitForFunction(() => !document.getElementById('model-status').hidden
        || !document.getElementById('model-error').hidden);
      assert.equal(await page.locator('#model-error').isHidden(), true,
        `the model is accepted: ${await page.textContent('#model-error')}`);
      assert.equal(await page.getAttribute('#model-engine', 'data-build'), 'lite');
      assert.deepEqual(engineRequests.filter(([p]) => p === 'upload'), [], 'no engine fetched for it');
      // A test applicant without missing values, by the schema's field order.
      const i = f.rows.findIndex((r) => !r.includes(null));
      const fields = await page.$$eval('#fields [data-field]', (els) => els.map((e) => e.dataset.field));
      assert.equal(fields.length, 18);
      await fillApplicant(page, Object.fromEntries(fields.map((n, j) => [n, String(f.rows[i][j])])));
      const r = await readResult(page);
      assert.ok(Math.abs(r.pd - f.pd[i]) < 1e-5, `${name}: PD ${r.pd} vs onnxruntime ${f.pd[i]}`);
      assert.ok(r.reasons.length > 0, 'reasons shown');
      assert.equal(await page.locator('#approx-note').isHidden(), true, 'exact reasons');
      assertClean(assert);
      await context.close();
    });
  }
});
