// The officer's decision, the adverse-action notice and the decision record: decline an applicant
// with an override of the model's band, print the notice in English and Chinese, download the
// record and check its SHA-256 independently (npm `canonicalize`, the RFC 8785 authors' package,
// and node's crypto) and its contents against the page and the reference model's golden values.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import canonicalize from 'canonicalize';
import {
  ROOT, BASE_URL, SCREENSHOT_DIR, launch, openPage, gotoReady, shot, fillApplicant, readResult, waitForPointsChange, golden, goldenApplicant,
  embeddedSchema, REFERENCE_MODEL, expectedPoints,
} from './helpers.mjs';

const schema = embeddedSchema(REFERENCE_MODEL);
const g = golden();
const row = g.rows.find((r) => r.id.startsWith('test-') && r.pd > 0.5);
const deployment = JSON.parse(readFileSync(path.join(ROOT, 'www', 'deployment.json'), 'utf8'));
const OVERRIDE_REASON = 'Collateral not in the model: a fixed deposit of 5,000 pledged — 抵押定期存款';

/** Stubs window.print (headless Chromium has no print dialog) and counts the calls. */
async function stubPrint(page) {
  await page.evaluate(() => {
    window.__printed = 0;
    window.print = () => { window.__printed++; };
  });
}

const texts = (page, sel) => page.$$eval(sel, (els) => els.map((e) => e.textContent));

describe('decision, adverse-action notice and decision record', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  test('decline with an override, print the notice in English and Chinese, download and verify the record', async () => {
    const { page, context, assertClean } = await openPage(browser);
    const requests = [];
    let ready = false;
    // The page's own requests: the service worker's idle fetches of the app's pinned files after
    // ready (full engine, icons, the batch's Workers) are privacy.test.mjs's to check, and when
    // they start depends on the machine's load.
    context.on('request', (r) => { if (ready && !r.serviceWorker()) requests.push(r.url()); });
    await gotoReady(page);
    ready = true;

    assert.equal(await page.isVisible('#decision-form'), false, 'no decision before a result');
    const applicant = goldenApplicant(g, row);
    await fillApplicant(page, applicant);
    const r = await readResult(page);
    assert.equal(r.reasons.length, 4);
    // What would change the outcome: the options the page shows go into the record and the notice.
    await page.waitForSelector('#recourse[data-state="answer"]', { timeout: 30_000 });
    const shownOptions = await page.$$eval('#recourse-options > li', (lis) => lis.map((li) => ({
      pd: Number(li.dataset.pd), points: Number(li.dataset.points), band: li.dataset.band,
      changes: [...li.querySelectorAll('li[data-feature]')].map((c) => c.dataset.feature),
    })));
    assert.ok(shownOptions.length >= 1 && shownOptions.length <= 3, `options shown: ${shownOptions.length}`);
    await page.click('#all-contributions summary');
    const shownContributions = await page.$$eval('#contrib-body tr', (trs) => trs.map((tr) => ({
      feature: tr.dataset.feature, value: tr.querySelector('.contrib__value').textContent,
    })));

    // The form: an action is required; an override needs another band and a reason.
    await page.locator('#decision-form').waitFor({ state: 'visible' });
    assert.equal(await page.textContent('#decision-model-band'), r.band);
    await page.click('#decision-record-btn');
    await page.locator('#decision-action-error').waitFor({ state: 'visible' });
    await page.check('#action-decline');
    await page.check('#override');
    await page.click('#decision-record-btn');
    assert.equal(await page.isVisible('#override-band-error'), true, 'a band is required');
    assert.equal(await page.isVisible('#override-reason-error'), true, 'a reason is required');
    assert.equal(await page.getAttribute('#override-reason', 'aria-invalid'), 'true');
    assert.equal(await page.isVisible('#decision-done'), false, 'nothing recorded without a reason');
    await page.selectOption('#override-band', r.bandId);
    await page.fill('#override-reason', OVERRIDE_REASON);
    await page.click('#decision-record-btn');
    assert.equal(await page.isVisible('#override-band-error'), true, "the model's own band is not an override");
    const overrideBand = schema.bands.find((b) => b.id !== r.bandId && b.max_pd < 1);
    await page.selectOption('#override-band', overrideBand.id);
    await page.click('#decision-record-btn');
    await page.locator('#decision-done').waitFor({ state: 'visible' });
    const shownHash = await page.textContent('#decision-hash');
    assert.match(shownHash, /^[0-9a-f]{64}$/);
    assert.match(await page.textContent('#decision-summary'), /Decline/);
    assert.match(await page.textContent('#decision-override-summary'), new RegExp(`from ${r.bandId} .* to ${overrideBand.id} .*Collateral`));
    assert.equal(await page.isVisible('#notice-btn'), true, 'a decline has a notice');

    // The record: downloaded, hashed independently, and compared with what the page showed.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#record-download')]);
    assert.match(download.suggestedFilename(), /^decision-record-\d{8}T\d{6}Z-[0-9a-f]{12}\.json$/);
    const file = readFileSync(await download.path(), 'utf8');
    writeFileSync(path.join(SCREENSHOT_DIR, 'decision-record.json'), file); // kept beside the screenshots
    const saved = JSON.parse(file);
    const { record_sha256: claimed, ...record } = saved;
    const hash = createHash('sha256').update(canonicalize(record), 'utf8').digest('hex');
    assert.equal(hash, claimed, 'the record hash is the SHA-256 of its RFC 8785 form without the hash');
    assert.equal(claimed, shownHash, 'the page shows the hash of the file it gives');
    assert.equal(download.suggestedFilename().slice(-17, -5), claimed.slice(0, 12));

    assert.equal(record.format, 'credit-scorer-decision-record/1');
    assert.deepEqual(record.inputs, applicant, 'every input, as scored');
    assert.deepEqual(record.model, {
      name: schema.model.name, version: schema.model.version, sha256: g.model_sha256,
      engine: 'direct', build: 'lite', source: { kind: 'reference' },
    });
    const out = record.model_output;
    assert.equal(out.pd, r.pd, 'the PD the page shows (full precision)');
    assert.equal(out.points, r.points, 'the points the page shows (full precision)');
    assert.ok(Math.abs(out.pd - row.pd) < 1e-5, `PD ${out.pd} vs onnxruntime's ${row.pd}`);
    assert.ok(Math.abs(out.points - expectedPoints(schema.scaling, row.logit)) < 1e-3, 'points from the golden log-odds');
    assert.deepEqual(out.band, { id: r.bandId, label: schema.bands.find((b) => b.id === r.bandId).label });
    assert.deepEqual(out.points_range, { min: schema.scaling.min_points, max: schema.scaling.max_points });
    const reasonText = new Map(schema.features.map((f) => [f.name, f.reason]));
    assert.deepEqual(out.reasons.map((x) => x.feature), r.reasons.map((x) => x.feature), 'the four reasons, in order');
    for (const [i, x] of out.reasons.entries()) {
      assert.deepEqual(x.text, reasonText.get(x.feature));
      assert.equal(x.text.en, r.reasons[i].text);
      assert.equal(`${formatSigned(x.contribution)} pts`, r.reasons[i].value);
    }
    assert.deepEqual(out.contributions.map((c) => c.feature), schema.features.map((f) => f.name));
    for (const [i, c] of out.contributions.entries()) assert.equal(formatSigned(c.contribution), shownContributions[i].value);
    const sum = out.contributions.reduce((s, c) => s + c.contribution, 0);
    // Contributions are computed in f64 from the network's weights, the points are the model's
    // own f32 output: they agree to float32 rounding (docs/DECISION_RECORD.md).
    assert.ok(Math.abs(out.baseline_points + sum - out.points) < 1e-4, 'contributions add up to points − baseline');
    assert.equal(out.approximate, false);
    assert.deepEqual(record.recourse.map((o) => ({
      pd: o.pd, points: o.points, band: o.band.id, changes: o.changes.map((c) => c.feature),
    })), shownOptions, 'the recourse options the page showed, in order');
    assert.deepEqual(record.decision, {
      action: 'decline',
      counter_offer: null,
      band: { id: overrideBand.id, label: overrideBand.label },
      override: { model_band: out.band, band: { id: overrideBand.id, label: overrideBand.label }, reason: OVERRIDE_REASON },
    });
    const recordedAt = Date.parse(record.recorded_at);
    assert.ok(Date.parse(out.scored_at) <= recordedAt && recordedAt <= Date.now(), 'scored, then recorded, before now');

    // The notice, in English: the page's reasons, the score with its range and date, the key
    // factors, the placeholders of the shipped deployment file with their banner, the record hash.
    await stubPrint(page);
    await page.click('#notice-btn');
    assert.equal(await page.evaluate(() => window.__printed), 1);
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.isVisible('#adverse-notice'), true);
    assert.equal(await page.isVisible('#record'), false, 'the notice prints instead of the record');
    assert.equal(await page.isVisible('#applicant'), false);
    assert.equal(await page.textContent('#aa-title'), 'Statement of credit denial, termination or change');
    assert.equal(await page.textContent('#aa-action'), 'Your application for credit has been declined.');
    assert.deepEqual(await texts(page, '#aa-reasons li'), r.reasons.map((x) => x.text), 'the principal reasons as the page shows them');
    assert.deepEqual(await texts(page, '#aa-key-factors li'), out.reasons.map((x) => schema.features.find((f) => f.name === x.feature).label.en));
    assert.equal(await page.textContent('#aa-score'), `${r.pointsText} points`);
    assert.equal(await page.textContent('#aa-score-range'),
      `Scores range from a low of ${schema.scaling.min_points} to a high of ${schema.scaling.max_points}.`);
    const longDate = (iso, locale) => new Intl.DateTimeFormat(locale, { dateStyle: 'long' }).format(new Date(iso));
    assert.equal(await page.textContent('#aa-score-date'), longDate(out.scored_at, 'en'));
    assert.equal(await page.textContent('#aa-date'), longDate(record.recorded_at, 'en'));
    assert.equal(await page.textContent('#aa-record-sha'), claimed);
    assert.equal(await page.isVisible('#aa-recourse'), true, 'the recourse options are on the notice');
    assert.equal((await texts(page, '#aa-recourse li')).length, shownOptions.length);
    assert.equal(await page.textContent('#aa-creditor-name'), deployment.creditor.name.en);
    assert.equal(await page.textContent('#aa-ecoa'), deployment.ecoa_notice.en);
    assert.equal(await page.textContent('#aa-fcra'), deployment.fcra_notice.en);
    assert.equal(await page.isVisible('#aa-banner'), true, 'the shipped placeholders are announced');
    assert.match(await page.textContent('#aa-banner'), /deployment\.json has not been filled in \(creditor\.name, /);
    assert.equal((await page.textContent('#adverse-notice')).includes(OVERRIDE_REASON), false,
      "the officer's internal reason is not on the applicant's notice");
    await shot(page, 'en-print-notice');

    // In Chinese: the same notice, said again.
    await page.emulateMedia({ media: 'screen' });
    await page.selectOption('#lang', 'zh-CN');
    await page.click('#notice-btn');
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.textContent('#aa-title'), '拒绝、终止或变更信贷通知书');
    assert.deepEqual(await texts(page, '#aa-reasons li'), out.reasons.map((x) => x.text.zh));
    assert.deepEqual(await texts(page, '#aa-key-factors li'), out.reasons.map((x) => schema.features.find((f) => f.name === x.feature).label.zh));
    assert.equal(await page.textContent('#aa-creditor-name'), deployment.creditor.name.zh);
    assert.equal(await page.textContent('#aa-ecoa'), deployment.ecoa_notice.zh);
    assert.equal(await page.textContent('#aa-date'), longDate(record.recorded_at, 'zh-CN'));
    assert.equal(await page.textContent('#aa-record-sha'), claimed);
    assert.match(await page.textContent('#aa-banner'), /deployment\.json 尚未填写/);
    await shot(page, 'zh-print-notice');
    await page.emulateMedia({ media: 'screen' });
    await page.selectOption('#lang', 'en');

    // The record's printout carries the decision and the record hash.
    await page.click('#print-btn');
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.isVisible('#record'), true);
    assert.equal(await page.isVisible('#adverse-notice'), false);
    assert.match(await page.textContent('#record-decision'), new RegExp(`^Decline .*${claimed}.*from ${r.bandId} to ${overrideBand.id}`));
    await shot(page, 'en-print-record-decision');
    await page.emulateMedia({ media: 'screen' });

    // A new result voids the recorded decision (it was about another applicant's values).
    await page.fill('#f-duration_months', String(row.x[3] === 6 ? 12 : 6));
    await waitForPointsChange(page, r.points);
    await page.locator('#decision-form').waitFor({ state: 'visible' });
    assert.equal(await page.isVisible('#decision-done'), false);
    assert.equal(await page.isChecked('#action-decline'), false);

    // The page kept nothing and sent nothing: no request after ready but the record's own blob URL.
    assert.deepEqual(requests.filter((u) => !u.startsWith('blob:')), [], 'no request after ready');
    const stored = await page.evaluate(async () => {
      const cached = [];
      for (const name of await caches.keys()) {
        for (const req of await (await caches.open(name)).keys()) cached.push(new URL(req.url).pathname);
      }
      return {
        local: Object.keys(localStorage), session: Object.keys(sessionStorage),
        idb: (await indexedDB.databases?.())?.map((d) => d.name) ?? [], cached,
      };
    });
    const appFiles = new Set(['/', ...walk(path.join(ROOT, 'www')).map((f) => `/${f}`)]);
    assert.deepEqual(stored.cached.filter((p) => !appFiles.has(p)), [], 'the cache holds only the app\'s own files');
    assert.ok(stored.cached.includes('/deployment.json'), 'the deployment file is kept offline');
    assert.deepEqual({ ...stored, cached: [] }, { local: ['credit-scorer.lang'], session: [], idb: [], cached: [] });
    assertClean(assert);
    await context.close();
  });

  test('a counter-offer needs its terms and prints them; an approval has no notice', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await gotoReady(page);
    await fillApplicant(page, goldenApplicant(g, row));
    await readResult(page);
    await page.locator('#decision-form').waitFor({ state: 'visible' });
    await page.check('#action-counter_offer');
    await page.click('#decision-record-btn');
    await page.locator('#counter-offer-error').waitFor({ state: 'visible' });
    await page.fill('#counter-offer', 'A loan of 2,000 over 12 months.');
    await page.click('#decision-record-btn');
    await page.locator('#decision-done').waitFor({ state: 'visible' });
    await stubPrint(page);
    await page.click('#notice-btn');
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.textContent('#aa-title'), 'Notice of action taken, statement of reasons and counteroffer');
    assert.equal(await page.textContent('#aa-counter-offer'), 'A loan of 2,000 over 12 months.');
    await shot(page, 'en-print-notice-counter-offer');
    await page.emulateMedia({ media: 'screen' });

    await page.click('#decision-change');
    await page.check('#action-approve');
    await page.click('#decision-record-btn');
    await page.locator('#decision-done').waitFor({ state: 'visible' });
    assert.equal(await page.isVisible('#notice-btn'), false, 'an approval is not an adverse action');
    assert.equal(await page.isVisible('#notice-na'), true);
    assertClean(assert);
    await context.close();
  });

  test('a deployment file changed in transit is refused, and the notice says so', async () => {
    const { page, context, problems, assertClean } = await openPage(browser);
    await context.route(`${BASE_URL}deployment.json`, async (route) => {
      const changed = structuredClone(deployment);
      changed.creditor.name.en = 'Somebody Else Bank';
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(changed) });
    });
    await gotoReady(page);
    await fillApplicant(page, goldenApplicant(g, row));
    await readResult(page);
    await page.check('#action-decline');
    await page.click('#decision-record-btn');
    await page.locator('#decision-done').waitFor({ state: 'visible' });
    await stubPrint(page);
    await page.click('#notice-btn');
    await page.emulateMedia({ media: 'print' });
    assert.match(await page.textContent('#aa-banner'), /^The deployment file could not be loaded \(deployment\.json: .*\): this notice has no creditor details\. Do not send it\.$/);
    assert.equal(await page.textContent('#aa-creditor-name'), '[missing]');
    assert.equal((await page.textContent('#adverse-notice')).includes('Somebody Else'), false);
    // The page fetches it after ready, through the service worker, whose fetch carries the
    // page's `integrity` and fails: the page sees the request refused (the integrity message is
    // the service worker's). That is the expected error.
    assert.ok(problems.some((p) => /deployment\.json/.test(p)), `the browser refused the file:\n${problems.join('\n')}`);
    // (Chromium's console line for that refused request names no file.)
    const integrity = problems.filter((p) => /integrity|digest|deployment\.json|^console error: Failed to load resource: net::ERR_FAILED$/i.test(p));
    problems.splice(0, problems.length, ...problems.filter((p) => !integrity.includes(p)));
    assertClean(assert);
    await context.close();
  });
});

/** Every file under `dir`, relative to it. */
function walk(dir, prefix = '') {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory()
    ? walk(path.join(dir, e.name), `${prefix}${e.name}/`)
    : [`${prefix}${e.name}`]));
}

/** A contribution as the page shows it: rounded, with a sign and a true minus. */
function formatSigned(v) {
  const n = Math.round(v);
  const s = new Intl.NumberFormat('en', { maximumFractionDigits: 0 }).format(Math.abs(n));
  return n > 0 ? `+${s}` : n < 0 ? `−${s}` : s;
}
