// The library (www/lib/credit-scorer.js) on a host page of its own with a strict CSP (no
// 'unsafe-eval', no blob: workers, Trusted Types enforced): two scorers with different models on
// one page, each scoring as onnxruntime did; typed errors; a file; close. And the typed example
// (tests/e2e/embed-types/) compiled with `tsc --noEmit`.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  ROOT, launch, openHostPage, golden, goldenApplicant, fixture, csvRecords,
} from './helpers.mjs';
import { HOST_CSP, twoScorersOnOnePage } from './embed-host.mjs';
import { REFERENCE_MODEL_INTEGRITY } from '../../www/js/pins.js';

const g = golden();
const logreg = JSON.parse(readFileSync(fixture('models', 'logreg.json'), 'utf8'));

const openHost = (browser) => openHostPage(browser, { csp: HOST_CSP });

describe('the library: createScorer()', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  test('the typed example compiles, and a wrong type does not', () => {
    const tsc = path.join(ROOT, 'node_modules', '.bin', 'tsc');
    execFileSync(tsc, ['--noEmit', '-p', path.join(ROOT, 'tests', 'e2e', 'embed-types')], { stdio: 'pipe' });
    // The declarations are not `any`: assigning a PD to a string is an error.
    let out = '';
    try {
      execFileSync(tsc, ['--noEmit', '--strict', '--target', 'ES2022', '--module', 'ES2022', '--moduleResolution', 'bundler',
        path.join(ROOT, 'tests', 'e2e', 'embed-types', 'wrong.ts')], { stdio: 'pipe' });
    } catch (err) {
      out = String(err.stdout);
    }
    assert.match(out, /wrong\.ts\(\d+,\d+\): error TS2322: Type 'number' is not assignable to type 'string'/);
  });

  test('two scorers with different models on one page, each with its own results', async () => {
    const { page, assertClean } = await openHost(browser);
    const row = g.rows[0];
    const out = await page.evaluate(twoScorersOnOnePage, { applicant: goldenApplicant(g, row), logregRow: logreg.rows[0] });
    assert.equal(out.ma.sha, g.model_sha256);
    assert.deepEqual(out.ma.features, g.features);
    assert.equal(out.ma.generic, false);
    assert.equal(out.ma.build, 'lite', 'the reference model runs on the lite engine');
    assert.equal(out.mb.sha, logreg.model_sha256);
    assert.equal(out.mb.build, 'full', 'the foreign model needs the full engine: a second engine in a second Worker');
    assert.equal(out.mb.k, logreg.k);
    assert.equal(out.mb.generic, true);
    assert.ok(Math.abs(out.ra.pd - row.pd) < 1e-5, `reference: ${out.ra.pd} vs onnxruntime ${row.pd}`);
    assert.ok(Math.abs(out.rb.pd - logreg.rows[0].pd) < 1e-5, `logreg: ${out.rb.pd} vs onnxruntime ${logreg.rows[0].pd}`);
    assert.equal(out.again, out.ra.pd);
    for (const r of [out.ra, out.rb]) {
      assert.equal(typeof r.points, 'number');
      assert.equal(typeof r.band.id, 'string');
      assert.equal(r.contributions.length, 10);
      assert.ok(r.reasons.length <= 4);
      assert.equal('errors' in r, false, 'a result has no errors field: invalid values reject');
    }
    // The contributions add up to the points above the baseline applicant (the engine's own sum).
    const sum = out.ra.contributions.reduce((s, c) => s + c.contribution, 0);
    assert.ok(Math.abs(out.ra.baseline_points + sum - out.ra.points) < 1e-3, `${out.ra.baseline_points} + ${sum} vs ${out.ra.points}`);
    assert.deepEqual(out.globals, [], 'the library adds no globals');
    assert.equal(out.schemaA, true);
    assertClean(assert);
  });

  test('typed errors: invalid values, a broken model, a changed model file, a closed scorer', async () => {
    const { page, problems, assertClean } = await openHost(browser);
    const applicant = goldenApplicant(g, g.rows[0]);
    const out = await page.evaluate(async (applicant) => {
      const { createScorer, ScorerError } = await import('/lib/credit-scorer.js');
      const { REFERENCE_MODEL_INTEGRITY } = await import('/js/pins.js');
      const s = createScorer({ assetsUrl: new URL('/pkg/', location.href) });
      const caught = async (p) => {
        try {
          await p;
          return null;
        } catch (e) {
          return { isScorerError: e instanceof ScorerError, kind: e.kind, field: e.field, message: e.message, errors: e.errors, detail: e.detail };
        }
      };
      const beforeLoad = await caught(s.score(applicant));
      await s.load(new URL('/models/german-credit-mlp.onnx', location.href), { integrity: REFERENCE_MODEL_INTEGRITY });
      const bad = { ...applicant, duration_months: 'twelve' };
      const invalid = await caught(s.score(bad));
      const validated = await s.validate(bad);
      const validOk = await s.validate(applicant);
      const broken = await caught(s.load(new Uint8Array([1, 2, 3, 4])));
      const changed = await caught(s.load(new URL('/models/german-credit-mlp.onnx', location.href), { integrity: `sha256-${'A'.repeat(43)}=` }));
      const stillScores = (await s.score(applicant)).pd;
      const withRecourse = await s.score(applicant, { recourse: true });
      s.close();
      const closed = await caught(s.score(applicant));
      return { beforeLoad, invalid, validated, validOk, broken, changed, stillScores, band: withRecourse.band.id, recourse: withRecourse.recourse, closed };
    }, applicant);
    assert.equal(out.beforeLoad.kind, 'no_model');
    assert.equal(out.invalid.isScorerError, true);
    assert.equal(out.invalid.kind, 'invalid');
    assert.equal(out.invalid.field, 'duration_months');
    assert.deepEqual(out.invalid.errors.map((e) => [e.field, e.code]), [['duration_months', 'not_a_number']]);
    assert.match(out.invalid.message, /^duration_months: /);
    assert.deepEqual(out.validated, out.invalid.errors, 'validate() gives the errors score() rejects with');
    assert.deepEqual(out.validOk, []);
    assert.equal(out.broken.kind, 'model_format');
    assert.equal(out.changed.kind, 'model_integrity');
    assert.equal(out.changed.detail, `expected sha256-${'A'.repeat(43)}=, the server sent ${REFERENCE_MODEL_INTEGRITY}`);
    assert.ok(Math.abs(out.stillScores - g.rows[0].pd) < 1e-5, 'the refused models left the loaded one in place');
    assert.equal(out.recourse.current_band, out.band, 'score(values, { recourse: true }) searches from the scored band');
    assert.equal(typeof out.recourse.target_band, 'string');
    assert.ok(Array.isArray(out.recourse.options));
    assert.equal(out.closed.kind, 'closed');
    // The browser's own report of the refused file is the one expected console error.
    const refused = problems.filter((p) => /german-credit-mlp\.onnx.*(integrity|SRI)/.test(p));
    assert.equal(refused.length, 2, problems.join('\n'));
    problems.splice(0, problems.length, ...problems.filter((p) => !refused.includes(p)));
    assertClean(assert);
  });

  test('scoreFile: the output and summary of a CSV, and a cancel', async () => {
    const { page, assertClean } = await openHost(browser);
    const rows = g.rows.slice(0, 20);
    const csv = [g.features.join(','), ...rows.map((r) => r.x.join(','))].join('\n') + '\n';
    const out = await page.evaluate(async (csv) => {
      const { createScorer } = await import('/lib/credit-scorer.js');
      const s = createScorer({ assetsUrl: new URL('/pkg/', location.href) });
      await s.load(new URL('/models/german-credit-mlp.onnx', location.href));
      const progress = [];
      const file = new File([csv], 'applicants.csv', { type: 'text/csv' });
      const { blob, summary } = await s.scoreFile(file, { onProgress: (p) => progress.push(p.rows) });
      const controller = new AbortController();
      controller.abort();
      let cancelled = null;
      try {
        await s.scoreFile(file, { signal: controller.signal });
      } catch (e) {
        cancelled = e.kind;
      }
      s.close();
      return { text: await blob.text(), summary, cancelled, progressed: progress.length > 0 };
    }, csv);
    assert.equal(out.summary.rows_in, rows.length);
    assert.equal(out.summary.scored, rows.length);
    assert.equal(out.summary.refused, 0);
    assert.equal(out.summary.model_sha256, g.model_sha256);
    const records = csvRecords(out.text);
    const pdAt = records[0].indexOf('pd');
    assert.ok(pdAt >= 0, `a pd column in ${records[0].join(',')}`);
    records.slice(1).forEach((rec, i) => {
      assert.ok(Math.abs(Number(rec[pdAt]) - rows[i].pd) < 1e-5, `row ${i}: ${rec[pdAt]} vs onnxruntime ${rows[i].pd}`);
    });
    assert.equal(out.cancelled, 'cancelled');
    assertClean(assert);
  });
});
