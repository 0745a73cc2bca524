// The loan officer's page: starts the engine, loads the reference model, and keeps the panels in
// step: every edit of the form is scored in the engine Worker and shown in the result, the
// decision record and the mini result; a new model rebuilds the form and the model card; a
// language switch says everything again. Each panel is its own module; this one holds the
// applicant's session (the last valid result and what produced it).

import { Engine } from './engine.js';
import { registerOffline, cacheRestWhenIdle } from './offline.js';
import { ENGINE_INTEGRITY } from './pins.js';
import { $, show, notice, rerenderNotices, renderStaticTexts } from './dom.js';
import { t, lang, setLang, onLangChange, htmlLang } from './i18n.js';
import { ApplicantForm } from './form.js';
import { renderResult } from './result.js';
import { renderCard } from './model-card.js';
import { renderGovernance } from './governance.js';
import { renderRecord } from './record.js';
import { setUpUpload, loadReference } from './upload.js';
import { setUpBatch } from './batch.js';
import { DecisionPanel } from './decision.js';
import { buildRecord } from './decision-record.js';
import { renderNotice } from './notice.js';
import { loadDeployment } from './deployment.js';
import { RecoursePanel, lastRecourse } from './recourse.js';

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
let recourse;

/** The recourse options shown for exactly these values (none if the search has not answered). */
function recourseOptionsFor(values) {
  const last = lastRecourse();
  return last && last.values === values ? (last.result?.options ?? []) : [];
}
const form = new ApplicantForm(() => requestScore());

const decisions = new DecisionPanel({
  record: (decision) => buildRecord({
    model: state.model,
    result: state.result,
    values: state.resultValues,
    scoredAt: state.scoredAt,
    decision,
    recordedAt: new Date(),
    recourse: recourseOptionsFor(state.resultValues),
  }),
  printNotice: () => {
    renderNoticeNow();
    document.body.dataset.print = 'notice';
    window.print();
  },
});

const view = () => ({
  model: state.model,
  result: state.result,
  values: state.resultValues,
  stale: state.stale,
  delta: state.delta,
  scoredAt: state.scoredAt,
  decision: decisions.current,
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
const renderRecordNow = () => renderRecord(view());
const renderNoticeNow = () => renderNotice({ recorded: decisions.current, deployment: state.deployment, model: state.model });
/** The result panel and the decision panel that follows it (a new result drops a recorded decision). */
function renderResultNow() {
  renderResult(view());
  decisions.update({ model: state.model, result: state.result, stale: state.stale });
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
  recourse.update(view());
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
  renderGovernance($('governance'), state.model);
}

/** Loads model bytes into the engine; on success the page switches to it. */
async function loadModel(bytes, source) {
  const info = await engine.load(bytes);
  state.model = { ...info, source };
  resetApplicant();
  form.build(info.schema);
  recourse.setModel(state.model);
  recourse.update(view());
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
  recourse.update(view());
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
  $('print-btn').addEventListener('click', () => {
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
  if (!state.model) return;
  form.renderTexts();
  renderErrors();
  renderResultNow();
  renderModel();
  renderRecordNow();
  renderNoticeNow();
  recourse.renderTexts();
}

// ---------------------------------------------------------------- start

/** The engine the page asks for: `?engine=scalar|debug` and `?build=full` (for tests). */
function engineOptions() {
  const params = new URLSearchParams(location.search);
  return { engine: params.get('engine') ?? 'auto', build: params.get('build') ?? 'lite' };
}

async function start() {
  renderStatic();
  $('lang').addEventListener('change', (e) => setLang(e.target.value));
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
  setUpBatch(engine);
  // One click applies a recourse option: the what-if view then scores the changed applicant.
  recourse = new RecoursePanel({ engine, onApply: (values) => form.setValues(values) });
  engine.started.then((info) => {
    // The test-only debug engine (`?engine=debug`) is not pinned: say so on the page.
    if (!info.pinned) notice('engine-note', () => t('app.debug_engine', { file: info.file }));
  }, () => {});
  setStatus(() => t('app.loading'));
  setBusy(true);
  // Pinned like the model (js/pins.js), and fetched before ready: no request is made after that.
  const deployment = loadDeployment().then((d) => { state.deployment = d; });
  try {
    await loadReference(modelHost);
    setStatus('');
  } catch (err) {
    setStatus('');
    setAlert(engineFailed(err));
  } finally {
    setBusy(false);
  }
  await deployment;
  // Cache the app and the lite engine for offline use before saying ready; the full engine once
  // the page is idle (only the service worker fetches it: SECURITY.md, "Network").
  document.body.dataset.offline = await registerOffline(new URL('sw.js', document.baseURI));
  document.body.dataset.ready = 'true';
  performance.mark('credit-scorer:ready'); // for the tests and the benchmark
  if (document.body.dataset.offline === 'ready') document.body.dataset.offlineRest = await cacheRestWhenIdle();
}

start();
