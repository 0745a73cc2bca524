// The loan officer's page: builds the form from the model's schema, scores in a Worker on every
// edit, explains the result, shows the model card, loads other models, and prints a record.
// DOM is built with createElement/textContent only (the CSP enforces Trusted Types).

import { Engine, registerOffline } from './engine.js';
import { setUpBatch } from './batch.js';
import { renderGovernance } from './governance.js';
import { REFERENCE_MODEL_INTEGRITY } from './pins.js';
import {
  t, loc, locList, lang, setLang, onLangChange, htmlLang,
  formatNumber, formatPercent, formatDateTime,
} from './i18n.js';

const REFERENCE_MODEL = 'models/german-credit-mlp.onnx';
const MAX_MODEL_MB = 64;

const $ = (id) => document.getElementById(id);

/** createElement with attributes, properties and children (strings become text nodes). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const state = {
  model: null, // { k, sha256, schema, source: { kind: 'reference' } | { kind: 'file', name } }
  fields: new Map(), // feature name -> refs
  committed: new Set(), // fields the user has left after editing (their errors show)
  submitted: false,
  errors: [],
  result: null, // last valid result
  resultValues: null, // the values that produced it
  resultSig: null,
  scoredAt: null,
  delta: null,
  stale: false,
  seq: 0,
  busy: false,
};

let engine;

// ---------------------------------------------------------------- helpers

/** A colour from a model file is data: accept only plain CSS colours. */
function safeColor(c) {
  if (typeof c !== 'string') return null;
  const s = c.trim();
  if (!/^(#[0-9a-f]{3,8}|(rgb|rgba|hsl|hsla)\([0-9.,%\s/]+\)|[a-z]{3,20})$/i.test(s)) return null;
  return CSS.supports('color', s) ? s : null;
}

/** Black or white text, whichever reads better on `color`. */
function textOn(color) {
  const probe = h('span');
  probe.style.color = color;
  document.body.append(probe);
  const rgb = getComputedStyle(probe).color.match(/[\d.]+/g)?.map(Number) ?? [0, 0, 0];
  probe.remove();
  const lin = (v) => {
    const x = v / 255;
    return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
  };
  const lum = 0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2]);
  return lum > 0.3 ? '#111' : '#fff';
}

function pointsText(v) {
  return formatNumber(Math.round(v), { maximumFractionDigits: 0 });
}

function signedPoints(v) {
  const r = Math.round(v);
  const s = formatNumber(Math.abs(r), { maximumFractionDigits: 0 });
  return r > 0 ? `+${s}` : r < 0 ? `−${s}` : s;
}

/** Points for a PD under the schema's scaling (for placing band edges on the gauge). */
function pointsForPd(scaling, pd) {
  const factor = scaling.pdo / Math.LN2;
  const offset = scaling.base_points - factor * Math.log(scaling.base_odds);
  return offset + factor * Math.log((1 - pd) / pd);
}

function show(el, visible) {
  el.hidden = !visible;
}

// Notices keep how to say them, so a language switch re-says them in the new language.
const notices = new Map();

/** Shows `text` (a string, or a function returning one in the current language) in element `id`. */
function notice(id, text, extra) {
  const render = typeof text === 'function' ? text : () => text ?? '';
  notices.set(id, { render, extra });
  const el = $(id);
  el.textContent = render();
  show(el, !!el.textContent);
}

function rerenderNotices() {
  for (const [id, { render }] of notices) {
    const el = $(id);
    el.textContent = render();
    show(el, !!el.textContent);
  }
}

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

// ---------------------------------------------------------------- static texts

function renderStatic() {
  document.documentElement.lang = htmlLang();
  document.title = t('app.title');
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  $('lang').value = lang();
}

// ---------------------------------------------------------------- the form

function numericRange(f) {
  return { min: f.min ?? null, max: f.max ?? null, unit: loc(f.unit) };
}

function buildForm() {
  const container = $('fields');
  container.replaceChildren();
  // No buttons under an empty form: they appear with the first model's fields.
  show($('form-actions'), true);
  state.fields.clear();
  for (const f of state.model.schema.features) {
    const id = `f-${f.name}`;
    const label = h('label', { for: id, id: `${id}-label`, class: 'field__label' });
    const hint = h('p', { id: `${id}-hint`, class: 'field__hint' });
    const error = h('p', { id: `${id}-error`, class: 'field__error', hidden: true });
    let input;
    let unit = null;
    const options = [];
    if (f.kind === 'categorical') {
      const blank = h('option', { value: '' });
      input = h('select', { id, name: f.name }, blank);
      for (const c of f.categories) {
        const opt = h('option', { value: String(c.code) });
        options.push({ opt, cat: c });
        input.append(opt);
      }
      options.blank = blank;
    } else {
      input = h('input', {
        id, name: f.name, type: 'text', inputmode: 'decimal', autocomplete: 'off', spellcheck: 'false',
      });
      unit = h('span', { class: 'field__unit', id: `${id}-unit` });
    }
    input.setAttribute('aria-describedby', `${id}-hint`);
    const control = h('div', { class: 'field__control' }, input, unit);
    const wrap = h('div', { class: `field field--${f.kind}`, 'data-field': f.name }, label, control, hint, error);
    container.append(wrap);
    state.fields.set(f.name, { feature: f, wrap, label, input, unit, hint, error, options });

    input.addEventListener('input', () => onEdit(f.name, false));
    input.addEventListener('change', () => onEdit(f.name, true));
  }
  renderFormTexts();
}

function renderFormTexts() {
  for (const [, r] of state.fields) {
    const f = r.feature;
    const label = loc(f.label, f.name);
    // A generic schema's names (x0 … xk) are what its CSV columns and documentation use.
    r.label.textContent = state.model.schema.generic && label !== f.name ? `${label} (${f.name})` : label;
    const help = loc(f.help);
    let range = '';
    if (f.kind === 'numeric') {
      const { min, max, unit } = numericRange(f);
      r.unit.textContent = unit;
      show(r.unit, !!unit);
      if (min != null && max != null) {
        range = t(unit ? 'form.range' : 'form.range_nounit', { min: formatNumber(min), max: formatNumber(max), unit });
      } else if (state.model.schema.generic) {
        range = t('form.any_number');
      }
    } else {
      r.options.blank.textContent = t('form.choose');
      for (const { opt, cat } of r.options) opt.textContent = loc(cat.label, cat.value ?? String(cat.code));
    }
    r.hint.textContent = [help, range].filter(Boolean).join(' · ');
    show(r.hint, !!r.hint.textContent);
  }
  renderErrors();
}

function collectValues() {
  const values = {};
  for (const [name, r] of state.fields) values[name] = r.input.value;
  return values;
}

/** The field error in the current language (English: the engine's own message). */
function errorText(err) {
  const r = state.fields.get(err.field);
  if (lang() === 'en' && err.message) return err.message;
  const f = r?.feature;
  if (err.code === 'out_of_range' && f) {
    const { min, max, unit } = numericRange(f);
    const p = { min: min != null ? formatNumber(min) : '', max: max != null ? formatNumber(max) : '', unit };
    if (min != null && max != null) return t('err.out_of_range', p);
    if (min != null) return t('err.out_of_range_min', p);
    return t('err.out_of_range_max', p);
  }
  const key = `err.${err.code}`;
  const s = t(key);
  return s === key ? err.message : s;
}

function errorVisible(err) {
  if (state.submitted || state.committed.has(err.field)) return true;
  // Once there has been a valid result (what-if mode), problems show as they are typed.
  return state.result !== null && err.code !== 'missing';
}

function renderErrors() {
  const byField = new Map();
  for (const e of state.errors) if (!byField.has(e.field)) byField.set(e.field, e);
  let shown = 0;
  for (const [name, r] of state.fields) {
    const err = byField.get(name);
    const visible = !!err && errorVisible(err);
    r.error.textContent = visible ? errorText(err) : '';
    show(r.error, visible);
    r.wrap.classList.toggle('field--invalid', visible);
    if (visible) {
      shown++;
      r.input.setAttribute('aria-invalid', 'true');
      r.input.setAttribute('aria-describedby', `${r.input.id}-error ${r.input.id}-hint`);
    } else {
      r.input.removeAttribute('aria-invalid');
      r.input.setAttribute('aria-describedby', `${r.input.id}-hint`);
    }
  }
  const summary = $('form-summary');
  summary.textContent = state.submitted && shown ? t('err.summary', { count: shown }) : '';
  show(summary, !!summary.textContent);
}

function onEdit(name, committed) {
  if (committed) state.committed.add(name);
  requestScore();
}

// ---------------------------------------------------------------- scoring

async function requestScore() {
  if (!state.model || !engine) return;
  const values = collectValues();
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
  state.errors = res.errors ?? [];
  if (state.errors.length === 0 && res.pd != null) {
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
  renderResult();
  renderRecord();
}

function displayValue(name, raw) {
  const r = state.fields.get(name);
  if (!r || raw == null || raw === '') return '—';
  const f = r.feature;
  if (f.kind === 'categorical') {
    const c = f.categories.find((c) => String(c.code) === String(raw));
    return c ? loc(c.label, c.value ?? String(c.code)) : String(raw);
  }
  const n = Number(String(raw).trim());
  const unit = loc(f.unit);
  const s = Number.isFinite(n) ? formatNumber(n) : String(raw);
  return unit ? `${s} ${unit}` : s;
}

function renderResult() {
  const res = state.result;
  show($('result-empty'), !res);
  show($('mini-result'), !!res);
  show($('result-body'), !!res);
  show($('result-stale'), !!res && state.stale);
  $('result').classList.toggle('result--stale', !!res && state.stale);
  if (!res) {
    const total = state.fields.size;
    const invalid = new Set(state.errors.map((e) => e.field)).size;
    const done = total - invalid;
    $('result-empty').textContent = state.model
      ? `${t('result.empty')} ${t('form.progress', { done, total })}`
      : t('result.empty');
    return;
  }
  const schema = state.model.schema;

  // On a phone the result is below the form: a bar at the bottom keeps the score in sight.
  const mini = $('mini-result');
  mini.replaceChildren(
    h('strong', {}, formatPercent(res.pd, 1)),
    ` · ${pointsText(res.points)} ${t('result.points_unit')} · `,
    h('span', { class: 'mini-result__band' }, `${res.band?.id ?? '?'} · ${loc(res.band?.label, '')}`),
  );
  mini.setAttribute('aria-label', `${t('result.heading')}: ${mini.textContent}`);
  mini.classList.toggle('mini-result--stale', state.stale);

  const pd = $('pd');
  pd.textContent = formatPercent(res.pd, 1);
  pd.dataset.value = String(res.pd);
  $('pd-label').title = loc(schema.output?.meaning);
  const points = $('points');
  points.textContent = pointsText(res.points);
  points.dataset.value = String(res.points);

  const delta = $('delta');
  if (state.delta == null) {
    show(delta, false);
  } else {
    const d = state.delta;
    delta.textContent = d > 0 ? t('result.delta_up', { delta: formatNumber(d) })
      : d < 0 ? t('result.delta_down', { delta: formatNumber(-d) }) : t('result.delta_same');
    delta.className = `delta ${d > 0 ? 'delta--up' : d < 0 ? 'delta--down' : ''}`;
    delta.dataset.value = String(d);
    show(delta, true);
  }

  const band = $('band');
  const color = safeColor(res.band?.color) ?? '#555';
  band.textContent = `${res.band?.id ?? '?'} · ${loc(res.band?.label, '')}`;
  band.dataset.band = res.band?.id ?? '';
  band.style.backgroundColor = color;
  band.style.color = textOn(color);

  renderGauge(res, schema);
  renderReasons(res);
  renderContributions(res);

  const base = $('baseline-note');
  base.textContent = t(schema.generic ? 'result.baseline_generic' : 'result.baseline', {
    points: pointsText(res.baseline_points ?? 0),
  });
  show($('approx-note'), !!res.approximate);
}

function renderGauge(res, schema) {
  const { min_points: min, max_points: max } = schema.scaling;
  const span = max - min;
  const pos = (p) => Math.min(100, Math.max(0, ((p - min) / span) * 100));
  const track = $('gauge-track');
  track.replaceChildren();
  // Bands from the riskiest (low points, left) to the safest (high points, right).
  let right = 100;
  for (const b of schema.bands) {
    const left = b.max_pd >= 1 ? 0 : pos(pointsForPd(schema.scaling, b.max_pd));
    const seg = h('span', { class: 'gauge__segment', title: `${b.id} · ${loc(b.label)}` });
    seg.style.left = `${left}%`;
    seg.style.width = `${Math.max(0, right - left)}%`;
    seg.style.backgroundColor = safeColor(b.color) ?? '#999';
    track.append(seg);
    right = left;
  }
  const marker = $('gauge-marker');
  marker.style.left = `${pos(res.points)}%`;
  $('gauge-min').textContent = pointsText(min);
  $('gauge-max').textContent = pointsText(max);
  $('gauge').setAttribute(
    'aria-label',
    `${t('result.scale', { min: pointsText(min), max: pointsText(max) })}: ${pointsText(res.points)}`,
  );
}

function contributionBar(value, maxAbs) {
  const bar = h('span', { class: `bar ${value < 0 ? 'bar--neg' : 'bar--pos'}`, 'aria-hidden': 'true' });
  const fill = h('span', { class: 'bar__fill' });
  fill.style.width = `${maxAbs > 0 ? Math.max(2, (Math.abs(value) / maxAbs) * 100) : 0}%`;
  bar.append(fill);
  return bar;
}

function renderReasons(res) {
  const list = $('reasons');
  list.replaceChildren();
  const maxAbs = Math.max(0, ...res.reasons.map((r) => Math.abs(r.contribution)));
  for (const r of res.reasons) {
    list.append(h('li', { class: 'reason', 'data-feature': r.feature },
      h('span', { class: 'reason__text' }, loc(r.text, loc(r.label, r.feature))),
      contributionBar(r.contribution, maxAbs),
      h('span', { class: 'reason__value' }, t('result.pts', { value: signedPoints(r.contribution) })),
    ));
  }
  show(list, res.reasons.length > 0);
  show($('no-reasons'), res.reasons.length === 0);
}

function renderContributions(res) {
  const body = $('contrib-body');
  body.replaceChildren();
  const maxAbs = Math.max(0, ...res.contributions.map((c) => Math.abs(c.contribution)));
  for (const c of res.contributions) {
    body.append(h('tr', { 'data-feature': c.feature },
      h('th', { scope: 'row' }, loc(c.label, c.feature)),
      h('td', {}, displayValue(c.feature, state.resultValues?.[c.feature])),
      h('td', { class: 'num' }, h('span', { class: 'contrib-cell' },
        contributionBar(c.contribution, maxAbs),
        h('span', { class: 'contrib__value' }, signedPoints(c.contribution)))),
    ));
  }
}

// ---------------------------------------------------------------- model card

function metricValue(m) {
  if (m == null) return null;
  if (typeof m === 'number') return formatNumber(m, { maximumFractionDigits: 3 });
  if (typeof m.value === 'number') {
    const v = formatNumber(m.value, { minimumFractionDigits: 3, maximumFractionDigits: 3 });
    if (Array.isArray(m.ci95) && m.ci95.length === 2) {
      const [lo, hi] = m.ci95.map((x) => formatNumber(x, { minimumFractionDigits: 3, maximumFractionDigits: 3 }));
      return t('model.metric_ci', { value: v, lo, hi });
    }
    return v;
  }
  return null;
}

function cardRow(dl, label, ...content) {
  const items = content.flat().filter((c) => c != null && c !== '');
  if (!items.length) return;
  dl.append(h('div', { class: 'card-list__row' }, h('dt', {}, label), h('dd', {}, ...items)));
}

function renderCard() {
  const dl = $('card');
  dl.replaceChildren();
  const m = state.model;
  if (!m) return;
  const s = m.schema;
  const card = s.model_card && typeof s.model_card === 'object' ? s.model_card : null;

  cardRow(dl, t('model.name'), s.model?.name);
  cardRow(dl, t('model.version'), s.model?.version || card?.version);
  cardRow(dl, t('model.source'), m.source.kind === 'file'
    ? t('model.source_file', { name: m.source.name })
    : t('model.source_reference'));
  cardRow(dl, t('model.features'), String(m.k));
  if (card) {
    cardRow(dl, t('model.trained_on'), typeof card.trained_on === 'string' ? card.trained_on : null);
    const ds = card.dataset;
    if (ds && typeof ds === 'object') {
      const parts = [ds.name, ds.rows ? t('model.rows', { rows: formatNumber(ds.rows) }) : null].filter(Boolean).join(', ');
      cardRow(dl, t('model.dataset'), parts, ds.citation ? h('span', { class: 'muted block' }, ds.citation) : null);
    } else if (typeof ds === 'string') {
      cardRow(dl, t('model.dataset'), ds);
    }
    cardRow(dl, t('model.licence'), typeof card.licence === 'string' ? card.licence : ds?.licence);
    if (card.split && typeof card.split === 'object') {
      cardRow(dl, t('model.split'), card.split.method);
    }
    renderMetrics(dl, card.metrics);
    const use = loc(card.intended_use);
    cardRow(dl, t('model.intended_use'), use);
    const limits = locList(card.limits);
    if (limits.length) cardRow(dl, t('model.limits'), h('ul', {}, limits.map((l) => h('li', {}, String(l)))));
    const excluded = Array.isArray(card.excluded_characteristics) ? card.excluded_characteristics : [];
    if (excluded.length) {
      cardRow(dl, t('model.excluded'), h('ul', {}, excluded.map((x) => typeof x === 'string'
        ? h('li', {}, x)
        : h('li', {}, h('code', {}, String(x.source_column ?? '')), ': ', loc(x.reason)))));
    }
  } else {
    cardRow(dl, '', h('span', { class: 'muted' }, t('model.no_card')));
  }
  cardRow(dl, t('model.sha256'), h('code', { id: 'model-sha', class: 'hash' }, m.sha256));
  // The lite engine only ever runs the direct evaluator, checked against the model's reference scores.
  const engineText = m.build === 'lite' ? 'model.engine_lite' : `model.engine_${m.engine}`;
  cardRow(dl, t('model.engine'), h('span', { id: 'model-engine', 'data-engine': m.engine, 'data-build': m.build }, t(engineText)));

  const note = $('generic-note');
  note.textContent = s.generic ? t('model.generic_note', { last: m.k - 1 }) : '';
  show(note, !!s.generic);
  renderGovernance($('governance'), m);
}

function renderMetrics(dl, metrics) {
  if (!metrics || typeof metrics !== 'object') return;
  // Either { test: { <primary>: { auc, ks, … } }, primary } or a flat { auc, ks, … }.
  let set = metrics;
  if (metrics.test && typeof metrics.test === 'object') {
    const primary = metrics.primary && metrics.test[metrics.primary] ? metrics.primary : null;
    set = primary ? metrics.test[primary] : metrics.test;
  }
  const list = h('ul', { class: 'metrics' });
  for (const key of ['auc', 'ks', 'gini', 'brier']) {
    const v = metricValue(set?.[key]);
    if (v) list.append(h('li', { 'data-metric': key }, h('strong', {}, t(`model.${key}`)), ' ', v));
  }
  if (list.childElementCount) cardRow(dl, t('model.metrics'), list);
}

// ---------------------------------------------------------------- decision record (print)

function renderRecord() {
  const m = state.model;
  const meta = $('record-meta');
  meta.replaceChildren();
  if (!m) return;
  const row = (dl, label, value, id) => dl.append(h('div', {}, h('dt', {}, label), h('dd', { id }, value)));
  row(meta, t('record.model'), m.schema.model?.name ?? '', 'record-model');
  row(meta, t('model.version'), m.schema.model?.version || '—', 'record-version');
  row(meta, t('model.sha256'), m.sha256, 'record-sha');
  row(meta, t('model.source'), m.source.kind === 'file'
    ? t('model.source_file', { name: m.source.name }) : t('model.source_reference'), 'record-source');
  row(meta, t('record.datetime'), formatDateTime(state.scoredAt ?? new Date()), 'record-datetime');

  const inputs = $('record-inputs');
  inputs.replaceChildren();
  const values = state.result ? state.resultValues : collectValues();
  for (const [name, r] of state.fields) {
    inputs.append(h('tr', {}, h('th', { scope: 'row' }, loc(r.feature.label, name)),
      h('td', {}, displayValue(name, values?.[name]))));
  }
  const result = $('record-result');
  result.replaceChildren();
  const reasons = $('record-reasons');
  reasons.replaceChildren();
  const res = state.result;
  if (!res) {
    result.append(h('div', {}, h('dd', {}, t('record.none'))));
    return;
  }
  row(result, t('result.pd'), formatPercent(res.pd, 1), 'record-pd');
  row(result, t('result.points'), `${pointsText(res.points)} ${t('result.points_unit')}`, 'record-points');
  row(result, t('result.band'), `${res.band?.id ?? '?'} · ${loc(res.band?.label)}`, 'record-band');
  for (const r of res.reasons) {
    reasons.append(h('li', {}, `${loc(r.text, r.feature)} (${t('result.pts', { value: signedPoints(r.contribution) })})`));
  }
  if (!res.reasons.length) reasons.append(h('li', {}, t('result.no_reasons')));
}

// ---------------------------------------------------------------- loading models

function resetApplicant() {
  state.seq++; // drop any answer still on its way
  state.committed.clear();
  state.submitted = false;
  state.errors = [];
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

/** Loads model bytes into the engine; on success the page switches to it. */
async function loadModel(bytes, source) {
  const info = await engine.load(bytes);
  state.model = { ...info, source };
  resetApplicant();
  buildForm();
  renderCard();
  renderResult();
  renderRecord();
  document.body.dataset.modelSha = info.sha256;
  show($('reference-btn'), source.kind === 'file');
  await requestScore(); // learns which fields are still missing (their errors stay quiet)
  return info;
}

function modelStatus(text, error) {
  notice('model-status', error ? '' : text);
  notice('model-error', error ? text : '');
}

async function loadFile(file) {
  if (!file || state.busy) return;
  const name = file.name;
  if (file.size > MAX_MODEL_MB * 1024 * 1024) {
    modelStatus(() => t('upload.refused', { name, message: t('upload.too_big', { name, limit: MAX_MODEL_MB }) }), true);
    return;
  }
  setBusy(true);
  modelStatus(() => t('upload.loading', { name }), false);
  try {
    const bytes = await file.arrayBuffer();
    await loadModel(bytes, { kind: 'file', name });
    modelStatus(() => t('upload.loaded', { name }), false);
  } catch (err) {
    let message = err?.message ?? String(err);
    if (!/[.!?。]$/.test(message)) message += '.';
    // The engine words its errors in English; other languages get the kind's summary first.
    const kind = `upload.kind.${err?.name}`;
    const explained = () => (lang() === 'en' || t(kind) === kind ? message : t('upload.detail', { summary: t(kind), message }));
    modelStatus(() => t('upload.refused', { name, message: explained() }), true);
  } finally {
    setBusy(false);
    $('model-file').value = '';
  }
}

async function loadReference() {
  // The model's SHA-256 is pinned (js/pins.js, itself pinned by the import map in index.html).
  const response = await fetch(REFERENCE_MODEL, { integrity: REFERENCE_MODEL_INTEGRITY });
  if (!response.ok) throw new Error(`${REFERENCE_MODEL}: HTTP ${response.status}`);
  const bytes = await response.arrayBuffer();
  return loadModel(bytes, { kind: 'reference' });
}

function setUpUpload() {
  const input = $('model-file');
  input.addEventListener('change', () => loadFile(input.files?.[0]));
  const zone = $('drop-zone');
  const over = (e) => {
    if (![...(e.dataTransfer?.types ?? [])].includes('Files')) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    zone.classList.add('drop-zone--over');
  };
  // The whole page accepts a drop, so a missed target never makes the browser open the file.
  document.addEventListener('dragenter', over);
  document.addEventListener('dragover', over);
  document.addEventListener('dragleave', (e) => {
    if (e.relatedTarget == null) zone.classList.remove('drop-zone--over');
  });
  document.addEventListener('drop', (e) => {
    if (!e.dataTransfer?.files?.length) return;
    e.preventDefault();
    zone.classList.remove('drop-zone--over');
    loadFile(e.dataTransfer.files[0]);
  });
  $('reference-btn').addEventListener('click', async () => {
    if (state.busy) return;
    setBusy(true);
    try {
      await loadReference();
      modelStatus('', false);
    } catch (err) {
      modelStatus(err.message, true);
    } finally {
      setBusy(false);
    }
  });
}

// ---------------------------------------------------------------- start

function clearAll() {
  $('applicant').reset();
  resetApplicant();
  renderErrors();
  renderResult();
  renderRecord();
  const first = state.fields.values().next().value;
  first?.input.focus();
}

function setUpForm() {
  $('applicant').addEventListener('submit', async (e) => {
    e.preventDefault();
    state.submitted = true;
    await requestScore();
    const firstInvalid = state.errors.map((er) => state.fields.get(er.field)).find(Boolean);
    if (firstInvalid) firstInvalid.input.focus();
  });
  $('clear-btn').addEventListener('click', clearAll);
  $('print-btn').addEventListener('click', () => {
    renderRecord();
    window.print();
  });
  window.addEventListener('beforeprint', renderRecord);
}

function rerenderAll() {
  renderStatic();
  rerenderNotices();
  if (!state.model) return;
  renderFormTexts();
  renderResult();
  renderCard();
  renderRecord();
}

async function start() {
  renderStatic();
  $('lang').addEventListener('change', (e) => setLang(e.target.value));
  onLangChange(rerenderAll);
  setUpForm();
  setUpUpload();
  engine = new Engine((err, reloadError) => {
    if (reloadError) {
      setAlert(engineFailed(reloadError));
      return;
    }
    setAlert(() => t('app.crashed', { message: `${err.name}: ${err.message}` }));
    requestScore();
  });
  setUpBatch(engine);
  engine.started.then((info) => {
    // The test-only debug engine (`?engine=debug`) is not pinned: say so on the page.
    if (!info.pinned) notice('engine-note', () => t('app.debug_engine', { file: info.file }));
  }, () => {});
  setStatus(() => t('app.loading'));
  setBusy(true);
  try {
    await loadReference();
    setStatus('');
  } catch (err) {
    setStatus('');
    setAlert(engineFailed(err));
  } finally {
    setBusy(false);
  }
  // Cache the app for offline use before saying ready: no request is made after that.
  document.body.dataset.offline = await registerOffline();
  document.body.dataset.ready = 'true';
}

start();
