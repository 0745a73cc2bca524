// Scoring a CSV file in the page: choose or drop a file, watch progress, cancel, download the
// scored file, read the summary (rows per band, a points histogram, drift). The engine Worker
// reads the file as a stream and answers the form's requests in between, so the form stays
// usable. Sizes are set through CSSOM (CSP-safe).

import { $, h, svg, safeColor, notice } from './dom.js';
import { t, loc, formatNumber, onLangChange } from './i18n.js';

const LISTED_LINES = 20;
/** The delimiters the core detects, by the key of their name in the translation table. */
const DELIMITER_NAMES = { ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'pipe' };
const METHOD_KEYS = {
  'exact Shapley': 'exact', 'exact TreeSHAP': 'treeshap', 'sampled Shapley (128 permutations)': 'sampled',
};
// While a file is being scored this session-only flag is set (no name, no data): if the page is
// reloaded or the tab dies meanwhile, the next page says that the file was not finished.
const RUNNING_KEY = 'credit-scorer.batch-running';
/** Error kinds of a Worker that stopped mid-file (a trap, out of memory, killed). */
const STOPPED = new Set(['worker_stopped', 'worker_error', 'helper_stopped', 'RuntimeError']);
/** Error kinds of a file that could not be read to its end as it was when chosen. */
const UNREADABLE = new Set(['file_unreadable', 'NotReadableError', 'NotFoundError']);
const ENCODING_NAMES = {
  'utf-8': 'UTF-8', gbk: 'GBK', gb18030: 'GB18030', big5: 'Big5', 'windows-1252': 'Windows-1252',
  'utf-16le': 'UTF-16LE', 'utf-16be': 'UTF-16BE',
};

let engine = null;
let run = null; // { file, started, rows, bytes, total, abort }
let last = null; // { summary, blob, name, seconds, workers } of the last finished run
let url = null; // object URL of the download

const n = (v) => formatNumber(v, { maximumFractionDigits: 0 });

function duration(seconds) {
  if (!Number.isFinite(seconds)) return '–';
  if (seconds < 60) return t('batch.seconds', { n: Math.max(0, Math.round(seconds)) });
  return t('batch.minutes', { m: Math.floor(seconds / 60), s: Math.round(seconds % 60) });
}

function setStatus(text) {
  $('batch-status').textContent = text;
}

/** Shows an error (a function of the current language, so a switch re-says it), or none. */
function showError(text) {
  notice('batch-error', text || '');
}

/** What the officer reads when a file could not be scored. */
function failureText(err, name) {
  if (STOPPED.has(err?.name) || err?.fatal) return () => t('batch.stopped', { name });
  if (UNREADABLE.has(err?.name)) return () => t('batch.unreadable', { name });
  return () => t('batch.failed', { name, message: err?.message ?? String(err) });
}

function remember(running) {
  try {
    if (running) sessionStorage.setItem(RUNNING_KEY, '1');
    else sessionStorage.removeItem(RUNNING_KEY);
  } catch {
    // Storage may be disabled: a reload then just shows an empty panel.
  }
}

/** The file given to the last page of this tab was not finished (reloaded, closed, crashed). */
function interrupted() {
  try {
    const was = sessionStorage.getItem(RUNNING_KEY) !== null;
    sessionStorage.removeItem(RUNNING_KEY);
    return was;
  } catch {
    return false;
  }
}

/** Forgets the last result: its download link goes, so no other file's output is offered. */
function forgetResult() {
  last = null;
  $('batch-result').hidden = true;
  const a = $('batch-download');
  a.removeAttribute('href');
  a.removeAttribute('download');
  if (url) URL.revokeObjectURL(url);
  url = null;
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
  forgetResult();
  const abort = new AbortController();
  run = { file, started: performance.now(), rows: 0, bytes: 0, total: file.size, abort };
  const onProgress = (p) => {
    if (!run) return;
    run.rows = p.rows;
    run.bytes = p.bytes;
    renderProgress();
  };
  $('batch-running').hidden = false;
  $('batch-file').disabled = true;
  document.body.dataset.batch = 'running';
  remember(true);
  renderProgress();
  try {
    const result = await engine.scoreFile(file, {
      reasons: $('batch-reasons').checked,
      contributions: $('batch-contributions').checked,
      encoding: $('batch-encoding').value,
      decimal: $('batch-decimal').value,
      onProgress,
      signal: abort.signal,
    });
    const seconds = (performance.now() - run.started) / 1000;
    last = { summary: result.summary, blob: result.blob, name: file.name, seconds, workers: result.workers ?? 1 };
    renderResult();
    document.body.dataset.batch = 'done';
  } catch (err) {
    document.body.dataset.batch = err?.name === 'cancelled' ? 'cancelled' : 'failed';
    if (err?.name === 'cancelled') setStatus(t('batch.cancelled', { rows: n(run.rows) }));
    else {
      setStatus('');
      showError(failureText(err, file.name));
    }
  } finally {
    remember(false);
    run = null;
    $('batch-running').hidden = true;
    $('batch-file').disabled = false;
    $('batch-file').value = '';
  }
}

function cancel() {
  run?.abort.abort();
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
  const row = (key, value, id) => counts.append(h('dt', {}, t(key)), h('dd', { id, 'data-value': value }, n(value)));
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
  $('batch-read-as').textContent = t('batch.read_as', {
    encoding: ENCODING_NAMES[s.encoding] ?? s.encoding,
    how: t(`batch.encoding_how.${s.encoding_how}`),
    delimiter: t(`batch.delimiter.${DELIMITER_NAMES[s.delimiter] ?? 'comma'}`),
    decimal: t(`batch.decimal.${s.decimal === ',' ? 'comma' : 'point'}`),
  });
  const model = $('batch-model');
  model.dataset.sha256 = s.model_sha256;
  model.textContent = t('batch.model', { sha: s.model_sha256 });
  // The core names the method in English; the page shows it in the interface's language.
  const method = $('batch-method');
  method.hidden = !s.reasons_method;
  method.textContent = s.reasons_method
    ? t('batch.method', { method: t(`batch.method.${METHOD_KEYS[s.reasons_method] ?? 'other'}`, { name: s.reasons_method }) })
    : '';
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
    const tr = h('tr', { 'data-feature': l.name, 'data-psi': l.psi ?? null, 'data-reading': l.reading || null },
      h('th', { scope: 'row' }, l.name === 'score' ? t('batch.score') : loc(l.label, l.name)));
    if (l.psi == null) {
      tr.append(h('td', { class: 'muted small', colSpan: 3 }, t('batch.drift_missing', { why: l.missing ?? '' })));
    } else {
      const bar = h('span', { class: `batch-bar__fill batch-drift--${l.reading}` });
      bar.style.width = `${(Math.min(l.psi, 0.5) / 0.5) * 100}%`;
      tr.append(
        h('td', { class: 'num' }, formatNumber(l.psi, { minimumFractionDigits: 3, maximumFractionDigits: 3 })),
        h('td', { class: `batch-reading batch-drift--${l.reading}` }, t(`batch.reading.${l.reading}`)),
        h('td', { class: 'batch-bar' }, bar),
      );
    }
    body.append(tr);
  }
}

function renderBands(s) {
  const body = $('batch-bands');
  body.replaceChildren();
  for (const b of s.bands) {
    const share = s.scored > 0 ? b.count / s.scored : 0;
    const bar = h('span', { class: 'batch-bar__fill' });
    bar.style.width = `${(share * 100).toFixed(1)}%`;
    const color = safeColor(b.color);
    if (color) bar.style.backgroundColor = color;
    body.append(h('tr', { 'data-band': b.id, 'data-count': b.count },
      h('th', { scope: 'row' }, `${b.id} · ${loc(b.label, b.id)}`),
      h('td', { class: 'num' }, n(b.count)),
      h('td', { class: 'batch-bar' }, bar,
        h('span', { class: 'batch-bar__text' }, formatNumber(share, { style: 'percent', maximumFractionDigits: 1 })))));
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
  const title = svg('title', {}, t('batch.hist_label', { min: n(min), max: n(max) }));
  chart.append(title);
  counts.forEach((c, i) => {
    const height = ((H - pad.t - pad.b) * c) / top;
    const lo = min + ((max - min) * i) / counts.length;
    const hi = min + ((max - min) * (i + 1)) / counts.length;
    chart.append(svg('rect', {
      x: pad.l + i * w + 1, y: H - pad.b - height, width: Math.max(1, w - 2), height, class: 'batch-hist__bar', 'data-count': c,
    }, svg('title', {}, `${n(lo)}–${n(hi)}: ${n(c)}`)));
  });
  chart.append(svg('line', { x1: pad.l, x2: W - pad.r, y1: H - pad.b, y2: H - pad.b, class: 'batch-hist__axis' }));
  for (const [x, v, anchor] of [[pad.l, min, 'start'], [W - pad.r, max, 'end']]) {
    chart.append(svg('text', { x, y: H - 6, 'text-anchor': anchor, class: 'batch-hist__label' }, n(v)));
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
  if (interrupted()) {
    document.body.dataset.batch = 'interrupted';
    showError(() => t('batch.interrupted'));
  }
}

