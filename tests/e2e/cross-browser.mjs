// The cross-browser suite (not a test file itself): firefox.test.mjs and webkit.test.mjs each run
// it in one browser launch, one tab, step by step as a loan officer would: score a golden
// applicant, an invalid value, the language switch, the print view, a batch file and its
// download, a bank model that needs the full engine, a 40-characteristic model's form (sections,
// a field found by the search), then the network capture (every request the
// browser sent, through a logging proxy: after ready only pinned files the service worker caches,
// no applicant value anywhere), and an
// offline reload that still scores. Every step also asserts that the page recorded no CSP
// violation and no error. The page is driven through what a user sees: fields and controls are
// found by their label or their visible text.
//
// The step helpers both suites share are in cross-browser-steps.mjs; the embedding suite, which
// the same test files run after this one, is in cross-browser-embedding.mjs.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { installed, launchBrowser, startProxy } from './browsers.mjs';
import {
  BROWSER_OWN_HOSTS, assertAccessible, assertNoProblems, control, fillForm, g, labelsEn, logreg, schema,
  waitPd, waitResult,
} from './cross-browser-steps.mjs';
import {
  BASE_URL, ORIGIN, REFERENCE_MODEL, ROOT, expectedBand, expectedPoints, fixture, goldenApplicant,
  parsePercent,
} from './helpers.mjs';

const CLI = process.env.CREDIT_SCORER_CLI
  ?? path.join(process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target'), 'debug', 'credit-scorer');

// The app's own files, as on disk in www/ (the debug engine aside): the only requests the browser
// may send for the page (see SECURITY.md).
const APP_FILES = new Set(['/', ...readdirSync(path.join(ROOT, 'www'), { recursive: true })
  .map((f) => `/${f.split(path.sep).join('/')}`)
  .filter((f) => !f.startsWith('/pkg/debug/') && !f.endsWith('.d.ts'))]);
// Values typed into the form that must never appear in any request.
const SENTINELS = ['13579', '24680'];

/** Runs the whole-page suite in `name` ('firefox' or 'webkit'). */
export function wholePageSuite(name) {
  describe(`${name}: the whole page`, { skip: !installed(name) && `${name} is not installed` }, () => {
    let proxy;
    let d;
    let dir;
    const timings = {};
    const highRow = g.rows.find((r) => r.id.startsWith('test-') && r.pd > 0.5);

    before(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), `credit-scorer-${name}-`));
      proxy = await startProxy();
      const t0 = Date.now();
      d = await launchBrowser(name, { proxyPort: proxy.port });
      timings.launch = Date.now() - t0;
    });

    after(async () => {
      console.log(`# ${name} ${d?.version}: ${JSON.stringify(timings)} ms`);
      await d?.close();
      await proxy?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test('loads, and a golden applicant shows the reference PD, points, band and reasons', async (t) => {
      const t0 = Date.now();
      await d.goto(BASE_URL);
      await d.waitFor(() => document.body.dataset.ready === 'true', [], { timeout: 180_000, what: 'the page to be ready' });
      proxy.phase = 'ready';
      timings.ready = Date.now() - t0;
      await d.waitFor(() => document.body.dataset.panels === 'ready', [], { timeout: 60_000, what: 'the panels imported after ready' });
      const features = await d.evaluate(() => ({
        trustedTypes: typeof trustedTypes !== 'undefined',
        importMap: HTMLScriptElement.supports?.('importmap') ?? false,
        serviceWorker: navigator.serviceWorker?.controller ? 'controlling' : 'not controlling',
        offline: document.body.dataset.offline,
        engine: document.getElementById('model-engine')?.dataset.engine,
        build: document.getElementById('model-engine')?.dataset.build,
        cores: navigator.hardwareConcurrency,
      }));
      t.diagnostic(`${name} ${d.version}: ${JSON.stringify(features)}`);
      assert.equal(features.offline, 'ready', 'the offline cache is installed before ready');
      assert.equal(await d.evaluate(() => document.getElementById('model-sha').textContent), g.model_sha256);
      await d.screenshot('empty');
      await assertAccessible(d, 'empty form');

      await fillForm(d, goldenApplicant(g, highRow), labelsEn);
      const r = await waitPd(d, highRow.pd);
      assert.equal(parsePercent(r.pdText).toFixed(1), (highRow.pd * 100).toFixed(1), `displayed PD ${r.pdText}`);
      assert.ok(Math.abs(r.pd - highRow.pd) < 1e-5, `PD ${r.pd} vs onnxruntime's ${highRow.pd}`);
      assert.equal(Number(r.pointsText.replace(/,/g, '')), Math.round(expectedPoints(schema.scaling, highRow.logit)));
      const band = expectedBand(schema.bands, highRow.pd);
      assert.equal(r.band, `${band.id} · ${band.label.en}`);
      assert.equal(r.reasons.length, 4, 'four reasons');
      const reasonTexts = new Map(schema.features.map((f) => [f.name, f.reason.en]));
      for (const reason of r.reasons) {
        assert.equal(reason.text, reasonTexts.get(reason.feature));
        assert.match(reason.value, /^−\d/, `${reason.feature} costs points: ${reason.value}`);
      }
      await d.evaluate(() => { document.getElementById('all-contributions').open = true; });
      await d.screenshot('result');
      await assertAccessible(d, 'result, all contributions');
      await assertNoProblems(d, 'load and score');
    });

    test('an invalid value shows its message at its field, and fixing it re-scores', async () => {
      const sel = await control(d, labelsEn.duration_months);
      await d.type(sel, '999');
      await d.tab();
      const err = await d.waitFor((s) => {
        const input = document.querySelector(s);
        const e = document.getElementById(`${input.id}-error`);
        return e && !e.hidden ? { text: e.textContent, invalid: input.getAttribute('aria-invalid'), stale: !document.getElementById('result-stale').hidden } : null;
      }, [sel], { what: 'the field error' });
      assert.match(err.text, /between 4 and 72 months/);
      assert.equal(err.invalid, 'true');
      assert.equal(err.stale, true, 'the last valid result is shown as stale');
      await d.screenshot('field-error');
      await assertAccessible(d, 'field error');
      await d.type(sel, String(highRow.x[g.features.indexOf('duration_months')]));
      const r = await waitPd(d, highRow.pd);
      assert.ok(Math.abs(r.pd - highRow.pd) < 1e-5);
      await assertNoProblems(d, 'invalid value');
    });

    test('the language switch shows the page and the result in Chinese, and back', async () => {
      await d.choose(await control(d, 'Language'), 'zh-CN');
      await d.waitFor(() => document.documentElement.lang === 'zh-CN' && document.querySelector('h1').textContent === '信用评分');
      const labelsZh = Object.fromEntries(schema.features.map((f) => [f.name, f.label.zh]));
      for (const f of schema.features) await control(d, labelsZh[f.name]);
      const r = await waitResult(d);
      const band = schema.bands.find((b) => b.id === r.bandId);
      assert.equal(r.band, `${band.id} · ${band.label.zh}`);
      const reasonTexts = new Map(schema.features.map((f) => [f.name, f.reason.zh]));
      for (const reason of r.reasons) assert.equal(reason.text, reasonTexts.get(reason.feature));
      await d.screenshot('zh-result');
      await assertAccessible(d, 'Chinese');
      await d.choose(await control(d, '语言'), 'en');
      await d.waitFor(() => document.documentElement.lang === 'en' && document.querySelector('h1').textContent === 'Credit scorer');
      await assertNoProblems(d, 'language switch');
    });

    test('the print view shows the decision record and hides the form', async () => {
      const r = await waitResult(d);
      // No print dialog in an automated browser: window.print is counted instead.
      await d.evaluate(() => { window.__printed = 0; window.print = () => { window.__printed++; }; });
      await d.click(await control(d, 'Print decision record'));
      assert.equal(await d.evaluate(() => window.__printed), 1);
      // The print stylesheet applied on screen: every @media print rule switched to all media.
      const record = await d.evaluate(() => {
        for (const sheet of document.styleSheets) {
          for (const rule of sheet.cssRules) if (rule.media?.mediaText === 'print') rule.media.mediaText = 'all';
        }
        const shown = (id) => { const e = document.getElementById(id); return !!e && e.getClientRects().length > 0; };
        const text = (id) => document.getElementById(id)?.textContent;
        return {
          record: shown('record'), form: shown('applicant'), upload: shown('upload'),
          model: text('record-model'), sha: text('record-sha'), pd: text('record-pd'), band: text('record-band'),
          inputs: document.querySelectorAll('#record-inputs tr').length,
          reasons: document.querySelectorAll('#record-reasons li').length,
          datetime: text('record-datetime'),
        };
      });
      await d.screenshot('print');
      await d.evaluate(() => {
        for (const sheet of document.styleSheets) {
          for (const rule of sheet.cssRules) if (rule.media && rule.media.mediaText === 'all' && rule.cssRules) rule.media.mediaText = 'print';
        }
      });
      assert.deepEqual({ record: record.record, form: record.form, upload: record.upload }, { record: true, form: false, upload: false });
      assert.equal(record.model, schema.model.name);
      assert.equal(record.sha, g.model_sha256);
      assert.equal(record.pd, r.pdText);
      assert.equal(record.band, r.band);
      assert.equal(record.inputs, schema.features.length);
      assert.equal(record.reasons, r.reasons.length);
      assert.match(record.datetime, new RegExp(String(new Date().getFullYear())));
      await assertNoProblems(d, 'print view');
    });

    test('what would change the outcome, the officer\'s decline and the adverse-action notice', async () => {
      // The declined golden applicant of the first step is still in the form.
      const state = await d.waitFor(() => {
        const s = document.getElementById('recourse')?.dataset.state;
        return ['answer', 'none'].includes(s) ? s : null;
      }, [], { what: 'the recourse answer' });
      const options = await d.evaluate(() => [...document.querySelectorAll('#recourse-options > li')]
        .map((li) => ({ band: li.dataset.band, pd: Number(li.dataset.pd) })));
      if (state === 'answer') assert.ok(options.length >= 1 && options.length <= 3, `options: ${options.length}`);
      else assert.equal(options.length, 0);
      await d.screenshot('recourse');
      await assertAccessible(d, 'recourse');

      await d.click('#action-decline');
      await d.click('#decision-record-btn');
      const hash = await d.waitFor(() => {
        const done = document.getElementById('decision-done');
        return done && !done.hidden ? document.getElementById('decision-hash').textContent : null;
      }, [], { what: 'the recorded decision' });
      assert.match(hash, /^[0-9a-f]{64}$/, 'the record\'s SHA-256 (WebCrypto) is shown');

      await d.evaluate(() => { window.__printed = 0; window.print = () => { window.__printed++; }; });
      await d.click('#notice-btn');
      assert.equal(await d.evaluate(() => window.__printed), 1);
      const notice = await d.evaluate(() => {
        for (const sheet of document.styleSheets) {
          for (const rule of sheet.cssRules) if (rule.media?.mediaText === 'print') rule.media.mediaText = 'all';
        }
        const shown = (id) => { const e = document.getElementById(id); return !!e && e.getClientRects().length > 0; };
        return {
          notice: shown('adverse-notice'), record: shown('record'), form: shown('applicant'),
          reasons: document.querySelectorAll('#aa-reasons li').length,
          recourse: shown('aa-recourse') ? document.querySelectorAll('#aa-recourse li').length : 0,
          sha: document.getElementById('aa-record-sha')?.textContent,
        };
      });
      await d.screenshot('notice');
      await d.evaluate(() => {
        for (const sheet of document.styleSheets) {
          for (const rule of sheet.cssRules) if (rule.media && rule.media.mediaText === 'all' && rule.cssRules) rule.media.mediaText = 'print';
        }
        document.body.dispatchEvent(new Event('afterprint'));
        delete document.body.dataset.print;
      });
      assert.deepEqual(notice, { notice: true, record: false, form: false, reasons: 4, recourse: options.length, sha: hash });

      if (state === 'answer') {
        // One click applies the first option: the page then scores the changed applicant into
        // the band the option promised.
        await d.click('#recourse-options > li .recourse-option__apply');
        const r = await d.waitFor((band) => {
          const el = document.getElementById('band');
          return el?.dataset.band === band && document.body.dataset.busy !== 'true' ? Number(document.getElementById('pd').dataset.value) : null;
        }, [options[0].band], { what: `band ${options[0].band} after applying the option` });
        assert.ok(Math.abs(r - options[0].pd) < 1e-9, `PD ${r} as the option said (${options[0].pd})`);
      }
      await assertNoProblems(d, 'recourse, decision and notice');
    });

    test('a batch CSV file is scored in the page and downloads with the reference PDs', async () => {
      const rows = g.rows.slice(0, 200);
      const csv = [`id,${g.features.join(',')}`, ...rows.map((r) => `${r.id},${r.x.join(',')}`)].join('\n') + '\n';
      const input = path.join(dir, 'applicants.csv');
      writeFileSync(input, csv);
      const t0 = Date.now();
      await d.setFile(await control(d, 'Applicants file (.csv)'), input);
      await d.waitFor(() => document.body.dataset.batch === 'done', [], { timeout: 120_000, what: 'the batch to finish' });
      timings.batch = Date.now() - t0;
      const counts = await d.evaluate(() => Object.fromEntries(['batch-rows-in', 'batch-scored', 'batch-refused']
        .map((id) => [id, Number(document.getElementById(id)?.dataset.value)])));
      assert.deepEqual(counts, { 'batch-rows-in': rows.length, 'batch-scored': rows.length, 'batch-refused': 0 });
      await d.screenshot('batch');
      await assertAccessible(d, 'batch summary');
      await d.click(await control(d, 'Download applicants-scored.csv'));
      const file = await (async () => {
        for (let i = 0; i < 300; i++) {
          const done = d.downloads();
          if (done.length) return path.join(d.downloadDir, done[0]);
          await new Promise((res) => setTimeout(res, 100));
        }
        throw new Error(`${name}: nothing downloaded to ${d.downloadDir}`);
      })();
      await new Promise((res) => setTimeout(res, 300));
      const out = readFileSync(file, 'utf8').trimEnd().split(/\r?\n/).map((l) => l.split(','));
      const header = out[0];
      const pdAt = header.indexOf('pd');
      assert.ok(pdAt > 0, `a pd column: ${header}`);
      assert.equal(out.length - 1, rows.length);
      for (const [i, r] of rows.entries()) {
        assert.equal(out[i + 1][0], r.id);
        assert.ok(Math.abs(Number(out[i + 1][pdAt]) - r.pd) < 1e-5, `${r.id}: ${out[i + 1][pdAt]} vs onnxruntime's ${r.pd}`);
      }
      // The command line's output, when the CLI is built: the same rows and columns; as in
      // batch.test.mjs, the wasm and native builds may round a PD's last float bit differently.
      if (existsSync(CLI)) {
        const cliOut = path.join(dir, 'cli.csv');
        execFileSync(CLI, ['score', '--quiet', '--model', REFERENCE_MODEL, input, '-o', cliOut]);
        const cli = readFileSync(cliOut, 'utf8').trimEnd().split(/\r?\n/).map((l) => l.split(','));
        assert.deepEqual(out[0], cli[0], 'the CLI\'s header');
        assert.equal(out.length, cli.length);
        const col = Object.fromEntries(cli[0].map((h, i) => [h, i]));
        for (let i = 1; i < cli.length; i++) {
          const [p, c] = [out[i], cli[i]];
          assert.deepEqual(p.slice(0, col.pd), c.slice(0, col.pd), `line ${i + 1}: input columns`);
          assert.ok(Math.abs(Number(p[col.pd]) - Number(c[col.pd])) < 1e-6, `line ${i + 1}: pd ${p[col.pd]} vs ${c[col.pd]}`);
          assert.ok(Math.abs(Number(p[col.points]) - Number(c[col.points])) <= 0.1 + 1e-9, `line ${i + 1}: points`);
          assert.deepEqual(p.slice(col.band), c.slice(col.band), `line ${i + 1}: band, reasons and error`);
        }
      }
      await assertNoProblems(d, 'batch');
    });

    test('a bank model that needs the full engine loads and scores', async () => {
      // A broken file first: refused with a message, in an accessible alert.
      await d.setFile(await control(d, 'Model file (.onnx)'), fixture('hostile', 'random.onnx'));
      const refusal = await d.waitFor(() => { const e = document.getElementById('model-error'); return !e.hidden && e.textContent; },
        [], { what: 'the refusal' });
      assert.match(refusal, /“random\.onnx” was refused: .{10,}/);
      await assertAccessible(d, 'refused model');
      const t0 = Date.now();
      await d.setFile(await control(d, 'Model file (.onnx)'), fixture('models', 'logreg.onnx'));
      await d.waitFor(() => document.body.dataset.busy === 'false' && !document.getElementById('model-status').hidden
        && document.querySelector('[data-field="x0"]') !== null, [], { timeout: 180_000, what: 'the model to load' });
      timings.fullEngine = Date.now() - t0;
      const model = await d.evaluate(() => ({
        sha: document.getElementById('model-sha').textContent,
        build: document.getElementById('model-engine').dataset.build,
        labels: [...document.querySelectorAll('#fields [data-field]')].map((f) => [f.dataset.field, f.querySelector('label').textContent.trim()]),
      }));
      assert.equal(model.sha, logreg.model_sha256);
      assert.equal(model.build, 'full', 'the model runs on the full (tract) engine');
      const sample = logreg.rows[0];
      const labels = Object.fromEntries(model.labels);
      // A sentinel among the inputs: the network test below looks for it in every request.
      await fillForm(d, Object.fromEntries(sample.x.map((v, i) => [`x${i}`, String(v)])), labels);
      const r = await waitPd(d, sample.pd);
      assert.ok(Math.abs(r.pd - sample.pd) < 1e-5, `PD ${r.pd} vs onnxruntime's ${sample.pd}`);
      await d.type(await control(d, labels.x6), SENTINELS[1]);
      await d.waitFor((p) => { const e = document.getElementById('pd'); return e && Number(e.dataset.value) !== p; }, [r.pd]);
      await d.screenshot('bank-model');
      await assertAccessible(d, 'own model, generic form');
      await d.click(await control(d, 'Use the reference model again'));
      await d.waitFor(() => document.querySelector('[data-field="checking_status"]') !== null && document.body.dataset.busy === 'false');
      await assertNoProblems(d, 'bank model');
    });

    test('a 40-characteristic model: its form in sections, a field found by the search and filled', async () => {
      await d.setFile(await control(d, 'Model file (.onnx)'), fixture('wide', 'wide40.onnx'));
      await d.waitFor(() => document.body.dataset.busy === 'false'
        && document.querySelectorAll('#fields details.section [data-field]').length === 40, [], { timeout: 120_000, what: 'the wide model\'s form' });
      const titles = await d.evaluate(() => [...document.querySelectorAll('#fields .section__title')].map((e) => e.textContent));
      assert.deepEqual(titles, ['Personal details', 'Loan', 'Employment and income', 'Accounts at this bank', 'Credit bureau report']);
      await d.type(await control(d, 'Find a field'), 'bureau score');
      await d.waitFor((want) => JSON.stringify([...document.querySelectorAll('#fields [data-field]')]
        .filter((e) => !e.hidden && !e.closest('details[hidden]')).map((e) => e.dataset.field)) === want,
      [JSON.stringify(['bureau_score'])], { what: 'only the bureau score shown' });
      await d.type(await control(d, 'Bureau score'), '712');
      await d.waitFor(() => document.querySelector('details[data-group="bureau"]')?.dataset.done === '1', [],
        { what: 'the bureau section counting its filled field' });
      await assertAccessible(d, 'wide model, search');
      await d.screenshot('wide-model-search');
      await d.click(await control(d, 'Use the reference model again'));
      await d.waitFor(() => document.querySelector('[data-field="checking_status"]') !== null && document.body.dataset.busy === 'false');
      await assertNoProblems(d, 'wide model');
    });

    test('the network: only the app\'s own files, after ready only pinned files the service worker caches, no applicant value anywhere', async () => {
      // One more applicant with a sentinel amount, typed as a what-if.
      await fillForm(d, { ...goldenApplicant(g, highRow), credit_amount: SENTINELS[0] }, labelsEn);
      await waitResult(d);
      await new Promise((res) => setTimeout(res, 500));
      // Once the page was idle it asked the service worker to cache the full engine.
      assert.equal(await d.waitFor(() => document.body.dataset.offlineRest, [], { timeout: 120_000, what: 'the idle caching' }),
        'done', 'the service worker cached the rest once the page was idle');
      const own = proxy.log.filter((e) => !BROWSER_OWN_HOSTS.has(new URL(e.url.startsWith('http') ? e.url : `http://${e.url}`).hostname));
      const paths = new Set(own.map((e) => new URL(e.url).pathname));
      // The moment the page said it was ready, on the machine's clock (the proxy's too).
      const readyAt = await d.evaluate(() => performance.timeOrigin + performance.getEntriesByName('credit-scorer:ready')[0].startTime);
      // The files the service worker's manifest pins, and when it caches them (xtask/src/integrity/offline.rs).
      const groups = new Map([...readFileSync(path.join(ROOT, 'www', 'pkg', 'sw-manifest.js'), 'utf8')
        .matchAll(/path: '([^']+)', integrity: '[^']+', group: '([^']+)'/g)].map(([, p, grp]) => [new URL(p, `${ORIGIN}/`).pathname, grp]));
      // The proxy sees the Worker's and the service worker's requests too: the lite engine before
      // ready, the full one after (the service worker caches it once the page is idle).
      const simd = paths.has('/pkg/lite/simd/credit_scorer_bg.wasm'); // the build this browser runs
      const lite = simd ? '/pkg/lite/simd/' : '/pkg/lite/';
      const full = simd ? '/pkg/simd/' : '/pkg/';
      for (const p of ['/js/worker/engine-worker.js', '/sw.js', '/models/german-credit-mlp.onnx', `${lite}credit_scorer_bg.wasm`,
        `${full}credit_scorer_bg.wasm`]) {
        assert.ok(paths.has(p), `${p} seen by the proxy`);
      }
      for (const e of own) {
        const u = new URL(e.url);
        assert.equal(u.origin, ORIGIN, `same origin: ${e.method} ${e.url}`);
        assert.ok(APP_FILES.has(u.pathname), `one of the app's own files: ${u.pathname}`);
        assert.equal(e.method, 'GET', `${e.url} is a GET`);
        assert.equal(u.search, '', `${e.url} has no query`);
        assert.equal(e.body, '', `${e.url} has no body`);
        const all = `${e.url} ${JSON.stringify(e.headers)} ${e.body}`;
        for (const s of SENTINELS) assert.ok(!all.includes(s), `${s} not in ${e.url}`);
      }
      // A light first visit: no full engine and no other variant before ready.
      const before = own.filter((e) => e.at < readyAt).map((e) => new URL(e.url).pathname);
      for (const p of before) {
        assert.ok(!['simd', 'scalar', simd ? 'liteScalar' : 'liteSimd'].includes(groups.get(p)),
          `${p} is not fetched before ready`);
      }
      // After ready, only pinned files the service worker caches later reach the network: the
      // modules the page imports after ready, the full engine and the install icons (never what
      // was fetched before ready: the app, the model or the lite engine).
      const after = own.filter((e) => e.at >= readyAt).map((e) => new URL(e.url).pathname);
      for (const p of after) {
        assert.ok(['idle', 'simd', 'scalar', 'later'].includes(groups.get(p)), `after ready only the modules loaded after ready, the full engine or the icons: ${p}`);
      }
      await assertNoProblems(d, 'network');
    });

    test('offline: a reload with the network cut loads and scores', async () => {
      proxy.offline = true;
      proxy.phase = 'offline';
      try {
      await d.reload();
      await d.waitFor(() => document.body.dataset.ready === 'true', [], { timeout: 120_000, what: 'the page to be ready offline' });
      await d.waitFor(() => document.body.dataset.panels === 'ready', [], { timeout: 60_000, what: 'the panels imported after ready, offline' });
      assert.equal(await d.evaluate(() => document.getElementById('app-alert').hidden), true, 'no error shown offline');
      await fillForm(d, goldenApplicant(g, highRow), labelsEn);
      const r = await waitPd(d, highRow.pd);
      assert.ok(Math.abs(r.pd - highRow.pd) < 1e-5);
      await d.screenshot('offline-result');
      const reached = proxy.log.filter((e) => e.phase === 'offline' && !e.offline);
      assert.deepEqual(reached, [], 'nothing reached the network while offline');
      await assertNoProblems(d, 'offline');
      } finally {
        proxy.offline = false;
        proxy.phase = 'ready';
      }
    });

    test('a narrow screen (a phone) shows the whole form and result, accessibly', async () => {
      await d.resize(390, 844);
      await d.evaluate(() => window.scrollTo(0, 0));
      const r = await waitPd(d, highRow.pd);
      assert.ok(Math.abs(r.pd - highRow.pd) < 1e-5);
      const { overflow, wide } = await d.evaluate(() => {
        const width = document.documentElement.clientWidth;
        const wide = [...document.body.querySelectorAll('*')]
          .filter((e) => e.getClientRects().length && e.getBoundingClientRect().right > width + 0.5)
          .slice(-5).map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`);
        return { overflow: document.documentElement.scrollWidth - width, wide };
      });
      assert.ok(overflow <= 0, `no horizontal scrolling (${overflow} px too wide: ${wide.join(', ')})`);
      await d.screenshot('narrow');
      await assertAccessible(d, 'narrow screen');
      await d.resize(1280, 1600);
    });

    test('keyboard only: Tab, arrow keys and typing score an applicant, with a visible focus', async (t) => {
      // Headless Firefox's window never has the focus (document.hasFocus() is false, even with
      // focusmanager.testmode), so :focus-visible cannot match there: the focus ring is checked
      // where the document has the focus (WebKit under Xvfb; Chromium in keyboard.test.mjs).
      const focusShown = await d.evaluate(() => document.hasFocus());
      if (!focusShown) t.diagnostic(`${name}: the document never has the focus here; focus rings not checked`);
      await d.click(await control(d, 'Clear'));
      await d.waitFor(() => document.getElementById('result-body').hidden);
      const row = g.rows.find((r) => r.id.startsWith('test-'));
      const focused = () => d.evaluate(() => {
        const a = document.activeElement;
        return { label: a?.labels?.[0]?.textContent.trim() ?? a?.textContent.trim(), value: a?.value, outline: a && getComputedStyle(a).outlineStyle };
      });
      // Clear leaves the focus on the first field; Tab and Shift+Tab come back to it by keyboard
      // (browsers show the focus ring of :focus-visible once the keyboard is in use).
      await d.press('Tab');
      await d.press('Shift+Tab');
      for (const [i, f] of schema.features.entries()) {
        const now = await focused();
        assert.equal(now.label, f.label.en, 'fields are reached in schema order');
        if (f.kind === 'categorical') {
          // The blank option is first: ArrowDown (index + 1) times selects category `index`.
          const index = f.categories.findIndex((c) => c.code === row.x[i]);
          for (let n = 0; n <= index; n++) await d.press('ArrowDown');
          assert.equal((await focused()).value, String(row.x[i]), `${f.name} chosen with the arrow keys`);
        } else {
          await d.keys(String(row.x[i]));
        }
        if (focusShown) assert.notEqual((await focused()).outline, 'none', `${f.name} shows its focus`);
        await d.press('Tab');
      }
      assert.equal((await focused()).label, 'Score applicant');
      await d.press('Enter');
      const r = await waitPd(d, row.pd);
      assert.ok(Math.abs(r.pd - row.pd) < 1e-5, `${r.pd} vs ${row.pd}`);
      await d.screenshot('keyboard');
      await assertNoProblems(d, 'keyboard');
    });

    test('Trusted Types: the page\'s HTML and script URL sinks refuse plain strings', async () => {
      const before = (await d.allProblems()).length;
      const refused = await d.evaluate(() => {
        const attempts = {
          innerHTML: () => { document.createElement('div').innerHTML = '<img src=x>'; },
          scriptSrc: () => { document.createElement('script').src = 'js/evil.js'; },
          worker: () => new Worker('js/evil.js', { type: 'module' }),
        };
        return Object.entries(attempts).map(([sink, f]) => {
          try { f(); return `${sink}: allowed`; } catch (e) { return `${sink}: ${e.name}`; }
        });
      });
      assert.deepEqual(refused, ['innerHTML: TypeError', 'scriptSrc: TypeError', 'worker: TypeError']);
      const problems = (await d.allProblems()).slice(before);
      const violations = problems.filter((p) => /^CSP violation: require-trusted-types-for/.test(p));
      // (Firefox 153 reports each refusal twice.)
      assert.equal(new Set(violations).size, 3, `each refusal is reported as a CSP violation:\n${problems.join('\n')}`);
      assert.ok(problems.every((p) => /trusted-types|injection sink/.test(p)), `nothing else:\n${problems.join('\n')}`);
      // These were the test's own doing.
      d.problems.length = 0;
      await d.evaluate(() => { window.__problems.length = 0; });
    });

    test('integrity: a page module, one imported after ready or an engine changed in transit is refused (fresh profile)', async (t) => {
      const fresh = await launchBrowser(name, { proxyPort: proxy.port });
      try {
        proxy.phase = 'tamper';
        const append = (b) => Buffer.concat([b, Buffer.from('\n// changed in transit\n')]);
        // A module pinned only by the import map's integrity (main.js has its own attribute).
        proxy.tamper.set('/js/i18n.js', append);
        await fresh.goto(BASE_URL);
        const started = await fresh.waitFor(() => document.body.dataset.ready === 'true' || !document.getElementById('app-alert').hidden,
          [], { timeout: 15_000 }).catch(() => false);
        assert.equal(started, false, 'the app does not start with a changed module');
        assert.ok(proxy.log.some((e) => e.phase === 'tamper' && e.tampered), 'the changed module was served');
        proxy.tamper.clear();

        // An engine (both lite builds: whichever this browser runs): one byte flipped.
        const flip = (b) => { const c = Buffer.from(b); c[c.length >> 1] ^= 1; return c; };
        proxy.tamper.set('/pkg/lite/simd/credit_scorer_bg.wasm', flip);
        proxy.tamper.set('/pkg/lite/credit_scorer_bg.wasm', flip);
        await fresh.goto(BASE_URL);
        const alert = await fresh.waitFor(() => { const a = document.getElementById('app-alert'); return !a.hidden && a.textContent; },
          [], { timeout: 60_000, what: 'the engine refusal' });
        t.diagnostic(`${name}: ${alert.slice(0, 90)}…`);
        assert.match(alert, /engine was refused: pkg\/lite\/(simd\/)?credit_scorer_bg\.wasm is not the build this page was published with/);
        await fresh.screenshot('tampered-engine');
      } finally {
        proxy.tamper.clear();
        await fresh.close();
      }
      // A module the page imports after ready (js/main.js), pinned by the import map as well: the
      // page becomes ready and scores, the panels are not set up. (Another fresh profile: the one
      // above may hold the module in its HTTP cache.)
      const another = await launchBrowser(name, { proxyPort: proxy.port });
      try {
        proxy.phase = 'tamper-after-ready';
        proxy.tamper.set('/js/recourse.js', (b) => Buffer.concat([b, Buffer.from('\n// changed in transit\n')]));
        await another.goto(BASE_URL);
        await another.waitFor(() => document.body.dataset.ready === 'true', [], { timeout: 120_000, what: 'the page to be ready' });
        const panels = await another.waitFor(() => document.body.dataset.panels, [], { timeout: 60_000, what: 'the panels to be set up or refused' });
        assert.equal(panels, 'failed', 'the panels are not set up with a changed module');
        assert.ok(proxy.log.some((e) => e.phase === 'tamper-after-ready' && e.tampered), 'the changed module was served');
        const alert = await another.evaluate(() => document.getElementById('app-alert').textContent);
        assert.match(alert, /Part of the page could not be loaded/);
      } finally {
        proxy.tamper.clear();
        await another.close();
      }
    });
  });
}
