// Scoring a CSV file in the page: choose or drop a file, watch progress, cancel, download the
// scored file, read the summary (rows per band, a points histogram). The file is read as a stream
// by the scoring worker, which answers the form's requests in between, so the form stays usable.
// DOM is built with createElement/textContent only; sizes are set through CSSOM (CSP-safe).

import { t, loc, formatNumber, onLangChange } from './i18n.js';

const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';
const LISTED_LINES = 20;

let engine = null;
let run = null; // { token, file, started, rows, bytes, total }
let last = null; // { summary, blob, name, seconds } of the last finished run
let url = null; // object URL of the download

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}

function svg(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

const n = (v) => formatNumber(v, { maximumFractionDigits: 0 });

function duration(seconds) {
  if (!Number.isFinite(seconds)) return '–';
  if (seconds < 60) return t('batch.seconds', { n: Math.max(0, Math.round(seconds)) });
  return t('batch.minutes', { m: Math.floor(seconds / 60), s: Math.round(seconds % 60) });
}

function setStatus(text) {
  $('batch-status').textContent = text;
}

function showError(text) {
  const box = $('batch-error');
  box.textContent = text;
  box.hidden = !text;
}

function renderProgress() {
  if (!run) return;
  const elapsed = (performance.now() - run.started) / 1000;
  const share = run.total > 0 ? run.bytes / run.total : 0;
  const rate = elapsed > 0 ? run.rows / elapsed : 0;
  const left = share > 0 ? elapsed / share - elapsed : NaN;
  const bar = $('batch-progress');
  bar.value = share;
  bar.dataset.rows = String(run.rows);
  setStatus(t('batch.progress', {
    rows: n(run.rows), rate: n(rate), left: duration(left), percent: n(share * 100),
  }));
}

async function start(file) {
  if (!file || run || !engine) return;
  showError('');
  $('batch-result').hidden = true;
  const token = `${Date.now()}-${Math.random()}`;
  run = { token, file, started: performance.now(), rows: 0, bytes: 0, total: file.size };
  const onMessage = (e) => {
    const p = e.data?.batchProgress;
    if (!p || p.token !== token || !run) return;
    run.rows = p.rows;
    run.bytes = p.bytes;
    renderProgress();
  };
  const worker = engine.worker;
  worker.addEventListener('message', onMessage);
  $('batch-running').hidden = false;
  $('batch-file').disabled = true;
  document.body.dataset.batch = 'running';
  renderProgress();
  try {
    const result = await engine.request('batchFile', { file, token, reasons: $('batch-reasons').checked });
    const seconds = (performance.now() - run.started) / 1000;
    last = { summary: result.summary, blob: result.blob, name: file.name, seconds, workers: result.workers ?? 1 };
    renderResult();
    document.body.dataset.batch = 'done';
  } catch (err) {
    document.body.dataset.batch = err?.name === 'cancelled' ? 'cancelled' : 'failed';
    if (err?.name === 'cancelled') setStatus(t('batch.cancelled', { rows: n(run.rows) }));
    else showError(t('batch.failed', { name: file.name, message: err?.message ?? String(err) }));
  } finally {
    worker.removeEventListener('message', onMessage);
    run = null;
    $('batch-running').hidden = true;
    $('batch-file').disabled = false;
    $('batch-file').value = '';
  }
}

function cancel() {
  if (!run) return;
  engine.request('batchCancel', { token: run.token }).catch(() => {});
}

function scoredName(name) {
  const base = name.replace(/\.[^.]*$/, '') || 'scored';
  return `${base}-scored.csv`;
}

function renderResult() {
  if (!last) return;
  const { summary: s, blob, name, seconds, workers } = last;
  const box = $('batch-result');
  box.hidden = false;
  if (url) URL.revokeObjectURL(url);
  url = URL.createObjectURL(blob);
  const a = $('batch-download');
  a.href = url;
  a.download = scoredName(name);
  a.textContent = t('batch.download', { name: a.download });
  setStatus(t('batch.done', { rows: n(s.rows_in), seconds: formatNumber(seconds, { maximumFractionDigits: 1 }), rate: n(s.rows_in / Math.max(seconds, 1e-3)) }));

  const counts = $('batch-counts');
  counts.replaceChildren();
  const row = (key, value, id) => {
    const dt = el('dt', null, t(key));
    const dd = el('dd', null, n(value));
    dd.id = id;
    dd.dataset.value = String(value);
    counts.append(dt, dd);
  };
  row('batch.rows_in', s.rows_in, 'batch-rows-in');
  row('batch.scored', s.scored, 'batch-scored');
  row('batch.refused', s.refused, 'batch-refused');
  row('batch.blank', s.blank_lines, 'batch-blank');
  row('batch.workers', workers, 'batch-workers');

  const refused = $('batch-refused-lines');
  refused.hidden = s.refused === 0;
  if (s.refused > 0) {
    const lines = s.refused_lines.slice(0, LISTED_LINES).map(n).join(', ');
    refused.textContent = t('batch.refused_lines', { lines: s.refused > LISTED_LINES ? `${lines}, …` : lines });
  }
  const ignored = $('batch-ignored');
  ignored.hidden = s.ignored_columns.length === 0;
  ignored.textContent = t('batch.ignored', { columns: s.ignored_columns.join(', ') });

  renderBands(s);
  renderHistogram(s);
  renderDrift(s);
}

function renderDrift(s) {
  const body = $('batch-drift');
  body.replaceChildren();
  const lines = [...(s.drift?.characteristics ?? []), ...(s.drift?.score ? [s.drift.score] : [])];
  for (const l of lines) {
    const tr = el('tr');
    tr.dataset.feature = l.name;
    if (l.psi != null) tr.dataset.psi = String(l.psi);
    if (l.reading) tr.dataset.reading = l.reading;
    const name = el('th', null, l.name === 'score' ? t('batch.score') : loc(l.label, l.name));
    name.scope = 'row';
    tr.append(name);
    if (l.psi == null) {
      const td = el('td', 'muted small', t('batch.drift_missing', { why: l.missing ?? '' }));
      td.colSpan = 3;
      tr.append(td);
    } else {
      const bar = el('span', `batch-bar__fill batch-drift--${l.reading}`);
      bar.style.width = `${(Math.min(l.psi, 0.5) / 0.5) * 100}%`;
      const barCell = el('td', 'batch-bar');
      barCell.append(bar);
      tr.append(
        el('td', 'num', formatNumber(l.psi, { minimumFractionDigits: 3, maximumFractionDigits: 3 })),
        el('td', `batch-reading batch-drift--${l.reading}`, t(`batch.reading.${l.reading}`)),
        barCell,
      );
    }
    body.append(tr);
  }
}

function renderBands(s) {
  const body = $('batch-bands');
  body.replaceChildren();
  for (const b of s.bands) {
    const tr = el('tr');
    tr.dataset.band = b.id;
    tr.dataset.count = String(b.count);
    const share = s.scored > 0 ? b.count / s.scored : 0;
    const name = el('th', null, `${b.id} · ${loc(b.label, b.id)}`);
    name.scope = 'row';
    const count = el('td', 'num', n(b.count));
    const barCell = el('td', 'batch-bar');
    const bar = el('span', 'batch-bar__fill');
    bar.style.width = `${(share * 100).toFixed(1)}%`;
    if (typeof b.color === 'string' && CSS.supports('color', b.color)) bar.style.backgroundColor = b.color;
    barCell.append(bar, el('span', 'batch-bar__text', formatNumber(share, { style: 'percent', maximumFractionDigits: 1 })));
    tr.append(name, count, barCell);
    body.append(tr);
  }
}

function renderHistogram(s) {
  const { min, max, counts } = s.histogram;
  const box = $('batch-hist');
  box.replaceChildren();
  const W = 440;
  const H = 160;
  const pad = { l: 8, r: 8, t: 8, b: 22 };
  const top = Math.max(1, ...counts);
  const w = (W - pad.l - pad.r) / counts.length;
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', class: 'batch-hist__svg' });
  const title = svg('title', {});
  title.textContent = t('batch.hist_label', { min: n(min), max: n(max) });
  chart.append(title);
  counts.forEach((c, i) => {
    const h = ((H - pad.t - pad.b) * c) / top;
    const rect = svg('rect', {
      x: pad.l + i * w + 1, y: H - pad.b - h, width: Math.max(1, w - 2), height: h, class: 'batch-hist__bar',
    });
    rect.dataset.count = String(c);
    const tip = svg('title', {});
    const lo = min + ((max - min) * i) / counts.length;
    const hi = min + ((max - min) * (i + 1)) / counts.length;
    tip.textContent = `${n(lo)}–${n(hi)}: ${n(c)}`;
    rect.append(tip);
    chart.append(rect);
  });
  chart.append(svg('line', { x1: pad.l, x2: W - pad.r, y1: H - pad.b, y2: H - pad.b, class: 'batch-hist__axis' }));
  for (const [x, v, anchor] of [[pad.l, min, 'start'], [W - pad.r, max, 'end']]) {
    const label = svg('text', { x, y: H - 6, 'text-anchor': anchor, class: 'batch-hist__label' });
    label.textContent = n(v);
    chart.append(label);
  }
  box.append(chart);
  box.setAttribute('aria-label', title.textContent);
}

function rerender() {
  if (run) renderProgress();
  renderResult();
}

/**
 * Wires the batch panel to the page's engine.
 * @param {import('./engine.js').Engine} theEngine the scoring engine (shared with the form)
 */
export function setUpBatch(theEngine) {
  engine = theEngine;
  const input = $('batch-file');
  input.addEventListener('change', () => start(input.files?.[0]));
  $('batch-cancel').addEventListener('click', cancel);
  const zone = $('batch-drop');
  // A file dropped here is a batch, not a model: keep it from the page-wide model drop.
  zone.addEventListener('dragover', (e) => {
    if (![...(e.dataTransfer?.types ?? [])].includes('Files')) return;
    e.preventDefault();
    e.stopPropagation();
    e.dataTransfer.dropEffect = 'copy';
    zone.classList.add('drop-zone--over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('drop-zone--over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    e.stopPropagation();
    zone.classList.remove('drop-zone--over');
    start(e.dataTransfer?.files?.[0]);
  });
  onLangChange(rerender);
}

