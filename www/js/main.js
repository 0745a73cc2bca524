// The loan officer's page: starts the engine, loads the reference model, and keeps the panels in
// step: every edit of the form is scored in the engine Worker and shown in the result, the
// decision record and the mini result; a new model rebuilds the form and the model card; a
// language switch says everything again. Each panel is its own module; this one holds the
// applicant's session (the last valid result and what produced it).
//
// Only what scoring an applicant needs is imported up front. The other panels (the officer's
// decision and its record, recourse, governance, the batch, the printed record and notice) are
// imported once the page is ready, so a first visit downloads less before it
// (docs/BENCHMARKS.md, "First visit"): the import map's `integrity` pins a dynamic import as it
// pins a static one, and the service worker answers and caches them (sw.js, group `idle`).
// Until they arrive, each panel shows the empty state it shows before a first result.

import { Engine } from './engine.js';
import { registerOffline, cacheRestWhenIdle } from './offline.js';
import { ENGINE_INTEGRITY } from './pins.js';
import { $, show, notice, rerenderNotices, renderStaticTexts } from './dom.js';
import { t, lang, setLang, onLangChange, htmlLang, loadLangs } from './i18n.js';
import { ApplicantForm } from './form.js';
import { renderResult } from './result.js';
import { renderCard } from './model-card.js';
import { setUpUpload, loadReference } from './upload.js';
import { defaultTarget, renderTargetSelect } from './recourse-target.js';

const state = {
  model: null, // { k, sha256, engine, build, schema, edgePoints, source: { kind: 'reference' } | { kind: 'file', name } }
  result: null, // last valid result
  resultValues: null, // the values that produced it
  resultSig: null,
  scoredAt: null,
  delta: null,
  stale: false,
  seq: 0,
  busy: false,
  deployment: null, // the lender's texts for the notice (js/deployment.js)
};

let engine;
/**
 * The panels imported after ready (`loadPanels`), once they are set up:
 * { decisions, recourse, lastRecourse, renderGovernance, renderRecord, renderNotice }.
 */
let panels = null;
let panelsLoading = null;

const form = new ApplicantForm(() => requestScore());

const view = () => ({
  model: state.model,
  result: state.result,
  values: state.resultValues,
  stale: state.stale,
  delta: state.delta,
  scoredAt: state.scoredAt,
  decision: panels?.decisions.current ?? null,
  form,
});

function setStatus(text) {
  notice('app-status', text);
}

function setAlert(text) {
  notice('app-alert', text);
}

/** What to tell the user when the engine (or the model) could not be started. */
function engineFailed(err) {
  const message = `${err?.name ?? 'Error'}: ${err?.message ?? err}`;
  // A wasm that does not match the pinned build (js/pins.js) was refused before it ran.
  if (err?.name === 'engine_integrity') {
    return () => t('app.engine_integrity', { file: err.file ?? '', detail: err.detail ?? err.message });
  }
  return () => t('app.engine_failed', { message });
}

function renderStatic() {
  document.documentElement.lang = htmlLang();
  document.title = t('app.title');
  renderStaticTexts();
  $('lang').value = lang();
}

const renderErrors = () => form.renderErrors(state.result !== null);
const renderRecordNow = () => panels?.renderRecord(view());
const renderNoticeNow = () => panels?.renderNotice({ recorded: panels.decisions.current, deployment: state.deployment, model: state.model });
/** The result panel and the decision panel that follows it (a new result drops a recorded decision). */
function renderResultNow() {
  renderResult(view());
  panels?.decisions.update({ model: state.model, result: state.result, stale: state.stale });
}
const updateRecourse = () => panels?.recourse.update(view());

/**
 * Until the panels' modules arrive: the decision and recourse panels as they look before a first
 * result (decision.js and recourse.js draw the same), so nothing moves when they take over.
 */
function renderPlaceholders() {
  if (panels) return;
  $('decision-empty').textContent = t('decision.need_result');
  show($('recourse'), (state.model?.schema?.bands ?? []).length > 0);
  renderTargetSelect(state.model, defaultTarget(state.model));
  $('recourse-status').textContent = t('recourse.empty');
}

/** The recourse options shown for exactly these values (none if the search has not answered). */
function recourseOptionsFor(values) {
  const last = panels?.lastRecourse();
  return last && last.values === values ? (last.result?.options ?? []) : [];
}

/**
 * Imports and sets up the panels scoring does not need (once; later calls wait for the same
 * import), then draws them for the page as it is. Sets `body[data-panels]` to 'ready' or
 * 'failed' (e.g. offline before the service worker had cached them: the page still scores).
 */
function loadPanels() {
  panelsLoading ??= (async () => {
    const [decision, decisionRecord, recourseModule, governance, record, noticeModule, batch, deployment] = await Promise.all([
      import('./decision.js'), import('./decision-record.js'), import('./recourse.js'), import('./governance.js'),
      import('./record.js'), import('./notice.js'), import('./batch.js'), import('./deployment.js'),
      loadLangs(),
    ]);
    const decisions = new decision.DecisionPanel({
      record: (recorded) => decisionRecord.buildRecord({
        model: state.model,
        result: state.result,
        values: state.resultValues,
        scoredAt: state.scoredAt,
        decision: recorded,
        recordedAt: new Date(),
        recourse: recourseOptionsFor(state.resultValues),
      }),
      printNotice: () => {
        renderNoticeNow();
        document.body.dataset.print = 'notice';
        window.print();
      },
    });
    batch.setUpBatch(engine);
    // One click applies a recourse option: the what-if view then scores the changed applicant.
    const recourse = new recourseModule.RecoursePanel({ engine, onApply: (values) => form.setValues(values) });
    // Pinned like the model (js/pins.js); the adverse-action notice prints its texts.
    state.deployment = await deployment.loadDeployment();
    panels = {
      decisions,
      recourse,
      lastRecourse: recourseModule.lastRecourse,
      renderGovernance: governance.renderGovernance,
      renderRecord: record.renderRecord,
      renderNotice: noticeModule.renderNotice,
    };
    if (state.model) { // (without one, e.g. a refused engine, they keep their empty state)
      recourse.setModel(state.model);
      renderModel();
      renderResultNow();
      renderRecordNow();
      updateRecourse();
    }
    document.body.dataset.panels = 'ready';
  })().catch((err) => {
    document.body.dataset.panels = 'failed';
    // (An alert already shown, e.g. the engine's failure, stays: it says more.)
    if ($('app-alert').hidden) setAlert(() => t('app.panels_failed', { message: `${err?.name ?? 'Error'}: ${err?.message ?? err}` }));
  });
  return panelsLoading;
}

// ---------------------------------------------------------------- scoring

async function requestScore() {
  if (!state.model || !engine) return;
  const values = form.values();
  const seq = ++state.seq;
  let res;
  try {
    res = await engine.score(values);
  } catch (err) {
    if (seq === state.seq && !err.fatal) setAlert(`${err.name}: ${err.message}`);
    return;
  }
  if (seq !== state.seq) return; // a newer edit is on its way
  applyResult(res, values);
}

function applyResult(res, values) {
  form.errors = res.errors ?? [];
  if (form.errors.length === 0 && res.pd != null) {
    const sig = JSON.stringify(values);
    if (sig !== state.resultSig) {
      state.delta = state.result ? Math.round(res.points) - Math.round(state.result.points) : null;
      state.result = res;
      state.resultValues = values;
      state.resultSig = sig;
      state.scoredAt = new Date();
    }
    state.stale = false;
  } else {
    state.stale = state.result !== null;
  }
  renderErrors();
  renderResultNow();
  renderRecordNow();
  updateRecourse();
}

// ---------------------------------------------------------------- the session

function resetApplicant() {
  state.seq++; // drop any answer still on its way
  form.reset();
  state.result = null;
  state.resultValues = null;
  state.resultSig = null;
  state.scoredAt = null;
  state.delta = null;
  state.stale = false;
}

function setBusy(busy) {
  state.busy = busy;
  document.body.dataset.busy = busy ? 'true' : 'false';
  $('model-file').disabled = busy;
  $('reference-btn').disabled = busy;
}

function renderModel() {
  renderCard(state.model);
  panels?.renderGovernance($('governance'), state.model);
}

/** Loads model bytes into the engine; on success the page switches to it. */
async function loadModel(bytes, source) {
  const info = await engine.load(bytes);
  state.model = { ...info, source };
  resetApplicant();
  form.build(info.schema);
  panels?.recourse.setModel(state.model);
  updateRecourse();
  renderPlaceholders();
  renderErrors();
  renderModel();
  renderResultNow();
  renderRecordNow();
  document.body.dataset.modelSha = info.sha256;
  show($('reference-btn'), source.kind === 'file');
  await requestScore(); // learns which fields are still missing (their errors stay quiet)
  return info;
}

const modelHost = { loadModel, isBusy: () => state.busy, setBusy };

function clearAll() {
  form.clear();
  resetApplicant();
  renderErrors();
  renderResultNow();
  renderRecordNow();
  updateRecourse();
  form.focusFirst();
}

function setUpForm() {
  $('applicant').addEventListener('submit', async (e) => {
    e.preventDefault();
    form.submitted = true;
    await requestScore();
    form.focusFirstInvalid();
  });
  $('clear-btn').addEventListener('click', clearAll);
  $('print-btn').addEventListener('click', async () => {
    await loadPanels(); // (at once when they are here, as they are soon after ready)
    renderRecordNow();
    delete document.body.dataset.print; // the record, not the notice
    window.print();
  });
  window.addEventListener('beforeprint', () => {
    renderRecordNow();
    renderNoticeNow();
  });
  window.addEventListener('afterprint', () => delete document.body.dataset.print);
}

function rerenderAll() {
  renderStatic();
  rerenderNotices();
  renderPlaceholders();
  if (!state.model) return;
  form.renderTexts();
  renderErrors();
  renderResultNow();
  renderModel();
  renderRecordNow();
  renderNoticeNow();
  panels?.recourse.renderTexts();
}

// ---------------------------------------------------------------- start

/** The engine the page asks for: `?engine=scalar|debug` and `?build=full` (for tests). */
function engineOptions() {
  const params = new URLSearchParams(location.search);
  return { engine: params.get('engine') ?? 'auto', build: params.get('build') ?? 'lite' };
}

async function start() {
  renderStatic();
  // (The select goes back if the language's table cannot be had: offline before it was cached.)
  $('lang').addEventListener('change', (e) => setLang(e.target.value).then(() => { $('lang').value = lang(); }));
  onLangChange(rerenderAll);
  setUpForm();
  setUpUpload(modelHost);
  engine = new Engine({
    assetsUrl: new URL('pkg/', document.baseURI),
    integrity: ENGINE_INTEGRITY,
    ...engineOptions(),
    onCrash: (err, reloadError) => {
      if (reloadError) {
        setAlert(engineFailed(reloadError));
        return;
      }
      setAlert(() => t('app.crashed', { message: `${err.name}: ${err.message}` }));
      requestScore();
    },
  });
  renderPlaceholders();
  engine.started.then((info) => {
    // The test-only debug engine (`?engine=debug`) is not pinned: say so on the page.
    if (!info.pinned) notice('engine-note', () => t('app.debug_engine', { file: info.file }));
  }, () => {});
  setStatus(() => t('app.loading'));
  setBusy(true);
  try {
    await loadReference(modelHost);
    setStatus('');
  } catch (err) {
    setStatus('');
    setAlert(engineFailed(err));
  } finally {
    setBusy(false);
  }
  // Cache what scoring needs and the lite engine for offline use before saying ready; the other
  // panels' modules and the full engine once the page is idle (through the service worker
  // alone: SECURITY.md, "Network").
  document.body.dataset.offline = await registerOffline(new URL('sw.js', document.baseURI));
  document.body.dataset.ready = 'true';
  performance.mark('credit-scorer:ready'); // for the tests and the benchmark
  const loaded = loadPanels();
  if (document.body.dataset.offline === 'ready') {
    await loaded; // the page's own imports are cached as they arrive, not fetched twice
    document.body.dataset.offlineRest = await cacheRestWhenIdle();
  }
}

start();
