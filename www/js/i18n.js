// Every string the page shows, in English here (the governance and notice panels' in
// i18n-later.js, merged in once the page is ready) and Simplified Chinese in i18n-zh.js (imported
// when chosen, or once the page is ready), and the number and date formats of the current
// language. The language defaults to the browser's; the only thing ever stored is the user's choice. A string may have plural forms ({ one, other }), chosen by
// Intl.PluralRules from its `count`.

const STORAGE_KEY = 'credit-scorer.lang';

export const LANGS = {
  en: { html: 'en', schema: 'en', name: 'English' },
  'zh-CN': { html: 'zh-CN', schema: 'zh', name: '简体中文' },
};

const STRINGS = {
  en: {
    'app.title': 'Credit scorer',
    'app.tagline': 'Scores a loan applicant with a credit-risk model that runs entirely in this browser.',
    'app.privacy': 'Private by design: the model runs on this device. Nothing you type or load is sent anywhere.',
    'app.lang': 'Language',
    'app.loading': 'Loading the scoring engine and the model…',
    'app.engine_failed': 'The scoring engine could not start: {message}',
    'app.crashed': 'The scoring engine crashed ({message}). It was restarted and the model reloaded; please check the result again.',
    'app.engine_integrity': 'The scoring engine was refused: {file} is not the build this page was published with, so none of it was run. Reload the page; if this message stays, the site is serving a changed or incomplete copy of the app: tell whoever runs it. ({detail})',
    'app.debug_engine': 'Test engine: this page runs the debug build {file}, which is not pinned by Subresource Integrity. Do not use it for lending decisions.',
    'app.panels_failed': 'Part of the page could not be loaded ({message}). Scoring still works; reload the page for the rest.',
    'form.heading': 'Applicant',
    'form.intro': 'Fill in every field. The score updates as you type once all fields are valid.',
    'form.choose': '— Choose —',
    'form.range': 'Range {min}–{max} {unit}',
    'form.range_nounit': 'Range {min}–{max}',
    'form.any_number': 'Any number',
    'form.score': 'Score applicant',
    'form.clear': 'Clear',
    'form.print': 'Print decision record',
    'form.progress': '{done} of {total} fields complete',
    'form.search': 'Find a field',
    'form.search_placeholder': 'Type part of a label, e.g. income',
    'form.search_matches': { one: '{count} field matches.', other: '{count} fields match.' },
    'form.search_none': 'No field matches “{query}”. Press Escape or clear the search to see every field.',
    'form.section_count': '{done} of {total} filled',
    'form.section_invalid': { one: '{count} to correct', other: '{count} to correct' },
    'err.missing': 'Required.',
    'err.not_a_number': 'Enter a number.',
    'err.not_finite': 'Enter a finite number.',
    'err.out_of_range': 'Must be between {min} and {max} {unit}.',
    'err.out_of_range_min': 'Must be at least {min} {unit}.',
    'err.out_of_range_max': 'Must be at most {max} {unit}.',
    'err.unknown_category': 'Choose one of the listed options.',
    'err.unknown_field': 'This field is not part of the model.',
    'err.summary': {
      one: 'Please correct {count} field before a score can be shown.',
      other: 'Please correct {count} fields before a score can be shown.',
    },
    'result.heading': 'Result',
    'result.empty': 'The result appears here once every field is filled in.',
    'result.invalid': 'The inputs are not valid: the last valid result is shown dimmed.',
    'result.pd': 'Probability of default',
    'result.points': 'Score',
    'result.points_unit': 'points',
    'result.band': 'Risk band',
    'result.delta_up': '▲ {delta} points since the last change',
    'result.delta_down': '▼ {delta} points since the last change',
    'result.delta_same': 'No change since the last change',
    'result.scale': 'Score scale from {min} to {max} points',
    'result.reasons': 'Main reasons lowering the score',
    'result.no_reasons': 'No characteristic lowers the score against the most favourable applicant.',
    'result.all': 'All contributions',
    'result.feature': 'Characteristic',
    'result.value': 'Value',
    'result.contribution': 'Points',
    'result.baseline': 'Contributions are measured from the most favourable applicant ({points} points).',
    'result.baseline_generic': 'Contributions are measured from an applicant with every input at zero ({points} points).',
    'result.approximate': 'Contributions are estimated by sampling (this model has many inputs).',
    'result.pts': '{value} pts',
    // What would change the outcome (js/recourse.js).
    'recourse.heading': 'What would change the outcome',
    'recourse.intro': 'The fewest changes to what the applicant can act on that would bring the score into the target band. Only characteristics the model marks as changeable move, each only in its allowed direction; every combination of up to three is tried.',
    'recourse.target': 'Target band',
    'recourse.band_cutoff': '{band} (approval cut-off)',
    'recourse.choose_band': '— Choose a band —',
    'recourse.empty': 'Appears once the applicant has a valid result.',
    'recourse.no_target': 'This model names no approval cut-off: choose a target band.',
    'recourse.searching': 'Looking for changes that reach band {band}…',
    'recourse.already_met': 'Already met: the applicant is in band {band} or better, so no change is needed.',
    'recourse.found': {
      one: 'One way to reach band {band}:',
      other: '{count} ways to reach band {band}, fewest changes first:',
    },
    'recourse.proven_none': {
      one: 'No change of {count} characteristic reaches band {band}: every allowed change was tried.',
      other: 'No change of up to {count} characteristics reaches band {band}: every allowed combination was tried.',
    },
    'recourse.incomplete': {
      one: 'No change of {count} characteristic reaches band {band}; larger combinations were too many to try.',
      other: 'No change of up to {count} characteristics reaches band {band}; larger combinations were too many to try.',
    },
    'recourse.nothing_actionable': 'This model marks no characteristic as one the applicant can change, so no change is suggested.',
    'recourse.failed': 'The search for changes failed: {message}',
    'recourse.option': 'Option {n}',
    'recourse.changes': { one: '{count} change', other: '{count} changes' },
    'recourse.change': '{label}: {from} → {to}',
    'recourse.pd': 'PD {pd}',
    'recourse.points': '{points} points',
    'recourse.band': 'Band {band}',
    'recourse.apply': 'Apply',
    'model.heading': 'Model',
    'model.name': 'Model',
    'model.version': 'Version',
    'model.trained_on': 'Trained on',
    'model.dataset': 'Data set',
    'model.rows': '{rows} rows',
    'model.licence': 'Licence',
    'model.split': 'Test split',
    'model.metrics': 'Test metrics',
    'model.metric_ci': '{value} (95% CI {lo}–{hi})',
    'model.auc': 'AUC',
    'model.ks': 'KS',
    'model.gini': 'Gini',
    'model.brier': 'Brier score',
    'model.intended_use': 'Intended use',
    'model.limits': 'Limits',
    'model.excluded': 'Characteristics deliberately not used',
    'model.sha256': 'SHA-256 of the loaded file',
    'model.engine': 'Engine',
    'model.engine_direct': 'Direct evaluator (agreed with tract on probe applicants when loaded)',
    'model.engine_lite': 'Direct evaluator, lite engine (reproduced the reference scores recorded in the model when loaded)',
    'model.engine_tract': 'tract',
    'model.source': 'Source',
    'model.source_reference': 'Reference model shipped with this page',
    'model.source_file': 'Your file “{name}” (loaded in this browser, not uploaded)',
    'model.no_card': 'This model file carries no model card.',
    'model.generic_note': 'This model carries no schema: its inputs are shown as x0…x{last} without ranges, and explanations use a zero baseline (every input at 0), so read them with care.',
    'model.features': 'Inputs',
    'upload.heading': 'Load your own model',
    'upload.intro': 'Choose or drop an .onnx file. It is read and run in this browser and never uploaded.',
    'upload.choose': 'Model file (.onnx)',
    'upload.drop': 'Drop an .onnx file here',
    'upload.loading': 'Loading “{name}”…',
    'upload.loaded': 'Loaded “{name}”.',
    'upload.refused': '“{name}” was refused: {message} The previous model is still in use.',
    'upload.reference': 'Use the reference model again',
    'batch.heading': 'Score a file',
    'batch.intro': "Choose or drop a CSV file with one applicant per row and a header naming the model's columns. It is scored in this browser and never uploaded.",
    'batch.choose': 'Applicants file (.csv)',
    'batch.drop': 'Drop a .csv file here',
    'batch.reasons': 'Add the four main reasons to each row (slower)',
    'batch.contributions': 'Add every characteristic’s contribution in points to each row',
    'batch.encoding_label': 'Text encoding of the file',
    'batch.encoding.auto': 'Automatic (UTF-8, or as its byte-order mark says)',
    'batch.encoding.gbk': 'GBK (Excel in Simplified Chinese)',
    'batch.encoding.gb18030': 'GB18030',
    'batch.encoding.big5': 'Big5 (Traditional Chinese)',
    'batch.encoding.windows-1252': 'Windows-1252 (Excel in Western Europe)',
    'batch.encoding.utf-16le': 'UTF-16LE',
    'batch.encoding.utf-16be': 'UTF-16BE',
    'batch.encoding.utf-8': 'UTF-8',
    'batch.read_as': 'Read as {encoding} ({how}), columns separated by {delimiter}, numbers with a {decimal}.',
    'batch.encoding_how.bom': 'from its byte-order mark',
    'batch.encoding_how.chosen': 'as chosen',
    'batch.encoding_how.detected': 'detected',
    'batch.delimiter.comma': 'commas',
    'batch.delimiter.semicolon': 'semicolons',
    'batch.delimiter.tab': 'tabs',
    'batch.delimiter.pipe': 'vertical bars',
    'batch.decimal.point': 'decimal point',
    'batch.decimal.comma': 'decimal comma',
    'batch.decimal_label': 'Decimal separator of numbers',
    'batch.decimal_option.point': 'Point (1804.5)',
    'batch.decimal_option.comma': 'Comma (1804,5; columns then separated by ; tab or |)',
    'batch.method': 'Reasons: {method}, the same as for one applicant.',
    'batch.model': 'Scored with the model whose SHA-256 is {sha}.',
    'batch.method.exact': 'exact Shapley values against the baseline applicant',
    'batch.method.treeshap': 'exact TreeSHAP values against the baseline applicant',
    'batch.method.sampled': 'Shapley values estimated from 128 permutations',
    'batch.method.other': '{name}',
    'batch.cancel': 'Cancel',
    'batch.progress': '{rows} rows scored · {rate} rows/s · {percent}% · {left} left',
    'batch.seconds': '{n} s',
    'batch.minutes': '{m} min {s} s',
    'batch.done': '{rows} rows in {seconds} s ({rate} rows/s).',
    'batch.cancelled': 'Cancelled after {rows} rows; nothing was saved.',
    'batch.failed': '{name} could not be scored: {message}',
    'batch.stopped': '{name} was not scored to the end: the scoring engine stopped (a Worker crashed or ran out of memory). No output was kept. Score the file again; if it happens again, split the file or close other tabs.',
    'batch.unreadable': '{name} could not be read to the end: it was changed, moved or deleted while it was being scored. No output was kept. Choose the file again once it is complete.',
    'batch.interrupted': 'A file was being scored when this page was reloaded or closed; it was not finished and no output was kept. Choose the file again to score it.',
    'batch.download': 'Download {name}',
    'batch.rows_in': 'Rows read',
    'batch.scored': 'Scored',
    'batch.refused': 'Refused (reason in the error column)',
    'batch.blank': 'Blank lines skipped',
    'batch.workers': 'Workers (cores) used',
    'batch.refused_lines': 'Refused rows at lines {lines}.',
    'batch.ignored': 'Columns copied through, not used by the model: {columns}.',
    'batch.bands': 'Rows per risk band',
    'batch.histogram': 'Score distribution (points)',
    'batch.hist_label': 'Histogram of scored rows by points, from {min} to {max}',
    'batch.drift': 'Population stability (PSI)',
    'batch.drift_intro': 'Compares these applicants with the ones the model learned from: below 0.1 stable, 0.1 to 0.25 watch, above 0.25 investigate.',
    'batch.score': 'Score',
    'batch.reading.stable': 'Stable',
    'batch.reading.watch': 'Watch',
    'batch.reading.investigate': 'Investigate',
    'batch.drift_missing': 'Not computed: {why}',
    'upload.too_big': '“{name}” is larger than {limit} MB.',
    // Why a model was refused, by the engine's error kind; outside English the engine's own
    // (English) message follows as the detail.
    'upload.kind.model_format': 'It is not a readable ONNX model.',
    'upload.kind.model_too_large': 'It is larger than this page accepts, or would allocate too much.',
    'upload.kind.model_contract': 'It does not have the single input and the probability output a credit model needs.',
    'upload.kind.model_unsupported': 'It uses something this scorer does not run.',
    'upload.kind.model_invalid': 'Its weights or outputs are not valid numbers or probabilities.',
    'upload.kind.schema': 'The feature schema in its metadata is malformed or does not match the model.',
    'upload.kind.engine_unavailable': 'It needs the full scoring engine, which could not be downloaded.',
    'upload.kind.engine_integrity': 'It needs the full scoring engine, and the copy the server sent is not the build this page was published with; none of it was run.',
    'upload.kind.batch_running': 'A file is being scored with the current model.',
    'upload.detail': '{summary} Details: {message}',
    'record.heading': 'Credit decision record',
    'record.datetime': 'Date and time',
    'record.inputs': 'Applicant inputs',
    'record.result': 'Result',
    'record.reasons': 'Main reasons',
    'record.model': 'Model',
    'record.none': 'No valid result yet.',
    'record.decision': 'Decision',
    'record.officer': 'Officer and signature',
    // The officer's decision (js/decision.js).
    'decision.heading': "Officer's decision",
    'decision.intro': "Record what you decide for the result shown. The record keeps the model's output and your decision; this page never stores it: download it and file it.",
    'decision.need_result': 'Score an applicant to record a decision.',
    'decision.stale': 'The inputs are not valid: correct them before recording a decision.',
    'decision.action': 'Action taken',
    'decision.approve': 'Approve',
    'decision.decline': 'Decline',
    'decision.counter_offer': 'Counter-offer',
    'decision.terms': 'Terms offered instead',
    'decision.model_band': "Model's risk band",
    'decision.override': "Override the model's risk band",
    'decision.override_band': 'Risk band decided by the officer',
    'decision.override_reason': 'Reason for the override (required)',
    'decision.record': 'Record decision',
    'decision.change': 'Change the decision',
    'decision.err_action': 'Choose the action taken.',
    'decision.err_terms': 'Describe the terms offered.',
    'decision.err_band': "Choose a risk band other than the model's.",
    'decision.err_reason': 'Give the reason for the override.',
    'decision.recorded': 'Recorded {datetime}: {action}.',
    'decision.recorded_override': 'Risk band changed by the officer from {from} to {to}: {reason}',
    'decision.hash': 'SHA-256 of the record',
    'decision.print_notice': 'Print adverse-action notice',
    'decision.download': 'Download decision record (JSON)',
    'decision.no_notice': 'An adverse-action notice is printed for a decline or a counter-offer.',
    'decision.record_line': '{action} (recorded {datetime}; record SHA-256 {hash})',
    // The adverse-action notice (js/notice.js), after Regulation B's sample forms C-1 to C-5.
    'footer.text': 'Scores are estimates from a statistical model and are not a lending decision on their own.',
    // The governance panel (js/governance.js).
  },
};

function initialLang() {
  let stored = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage may be disabled; the browser's language still applies.
  }
  if (stored && stored in LANGS) return stored;
  const preferred = navigator.languages?.length ? navigator.languages : [navigator.language];
  for (const l of preferred) {
    if (typeof l === 'string' && l.toLowerCase().startsWith('zh')) return 'zh-CN';
    if (typeof l === 'string' && l.toLowerCase().startsWith('en')) return 'en';
  }
  return 'en';
}

// Only English is part of the first download; another language's table is imported when the
// page starts in it, when it is chosen, or once the page is ready (`loadLangs`).
const TABLES = { 'zh-CN': () => import('./i18n-zh.js') };

/** Imports `l`'s table if needed; false if it cannot be had (e.g. offline before it was cached). */
async function loadTable(l) {
  try {
    STRINGS[l] ??= (await TABLES[l]()).default;
    return true;
  } catch {
    return false;
  }
}

let current = initialLang();
if (!STRINGS[current] && !(await loadTable(current))) current = 'en';
const listeners = new Set();
let switching = 0;

/**
 * Imports the English strings of the panels imported after ready and every language's table
 * (once the page is ready: a language switch is then immediate).
 */
export async function loadLangs() {
  const [later] = await Promise.all([
    import('./i18n-later.js'),
    ...Object.entries(TABLES).map(async ([l, table]) => { STRINGS[l] ??= (await table()).default; }),
  ]);
  Object.assign(STRINGS.en, later.default);
}

/** The current UI language: 'en' or 'zh-CN'. */
export function lang() {
  return current;
}

/** The current language's tag for `<html lang>` and Intl. */
export function htmlLang() {
  return LANGS[current].html;
}

/**
 * Switches the language, remembers only that choice, and tells every listener (at once when its
 * table is here; resolves once switched, or not switched when its table cannot be had).
 */
export async function setLang(l) {
  if (!(l in LANGS)) return;
  const seq = ++switching;
  if (!STRINGS[l] && !(await loadTable(l))) return;
  if (seq !== switching || l === current) return; // another choice came meanwhile
  current = l;
  try {
    localStorage.setItem(STORAGE_KEY, l);
  } catch {
    // Not remembered; the page still switches.
  }
  for (const f of listeners) f(l);
}

export function onLangChange(f) {
  listeners.add(f);
}

/** The table's language for a language tag (`zh`, `zh-Hans`, `zh-CN` → 'zh-CN'; else 'en'). */
export function langOf(tag) {
  return String(tag ?? '').toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

/** Whether language `l`'s table is here (English always is; the others are imported). */
export function hasLang(l) {
  return l in LANGS && STRINGS[l] != null;
}

/** Imports language `l`'s table if it is not here yet; false if it cannot be had. */
export async function ensureLang(l) {
  return hasLang(l) || (l in LANGS && loadTable(l));
}

/**
 * Runs `render` in language `l` and returns its result: for a `<credit-score-form>` with its own
 * `lang` attribute (rendering is synchronous; nothing is stored, no listener is told). A language
 * whose table is not here yet renders in the current one: `ensureLang` first.
 */
export function inLang(l, render) {
  const previous = current;
  current = hasLang(l) ? l : previous;
  try {
    return render();
  } finally {
    current = previous;
  }
}

// Intl objects are costly to build and the page formats on every keystroke: one per language
// and option set.
const cache = new Map();
function cached(kind, opts, make) {
  const key = `${current}|${kind}|${JSON.stringify(opts)}`;
  let f = cache.get(key);
  if (!f) {
    f = make(LANGS[current].html, opts);
    cache.set(key, f);
  }
  return f;
}

/** Whether the table has `key` (in English at least). */
export function has(key) {
  return key in STRINGS.en;
}

/** A UI string with {placeholders} filled in; a plural string picks its form by `params.count`. */
export function t(key, params = {}) {
  let s = STRINGS[current][key] ?? STRINGS.en[key] ?? key;
  if (typeof s === 'object') {
    const form = cached('plural', {}, (l) => new Intl.PluralRules(l)).select(Number(params.count));
    s = s[form] ?? s.other;
  }
  return s.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

/** A schema text ({ en, zh }) in the current language, falling back to English, then anything. */
export function loc(obj, fallback = '') {
  if (obj == null) return fallback;
  if (typeof obj === 'string') return obj;
  const key = LANGS[current].schema;
  if (typeof obj[key] === 'string' && obj[key]) return obj[key];
  if (typeof obj.en === 'string' && obj.en) return obj.en;
  const any = Object.values(obj).find((v) => typeof v === 'string' && v);
  return any ?? fallback;
}

/** A localized list ({ en: [...], zh: [...] }) or plain array. */
export function locList(obj) {
  if (Array.isArray(obj)) return obj;
  if (obj == null || typeof obj !== 'object') return [];
  const key = LANGS[current].schema;
  const v = obj[key] ?? obj.en ?? Object.values(obj)[0];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

export function formatNumber(v, opts = {}) {
  return cached('number', opts, (l, o) => new Intl.NumberFormat(l, o)).format(v);
}

export function formatPercent(p, digits = 1) {
  return formatNumber(p, { style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function formatDateTime(d) {
  return cached('datetime', {}, (l) => new Intl.DateTimeFormat(l, { dateStyle: 'long', timeStyle: 'medium' })).format(d);
}

/** A date alone (the notice's dates). */
export function formatDate(d) {
  return cached('date', {}, (l) => new Intl.DateTimeFormat(l, { dateStyle: 'long' })).format(d);
}

/** Points as shown: whole numbers. */
export function formatPoints(v) {
  return formatNumber(Math.round(v), { maximumFractionDigits: 0 });
}

/** Points with a sign (a true minus sign), for contributions. */
export function formatSignedPoints(v) {
  const r = Math.round(v);
  const s = formatNumber(Math.abs(r), { maximumFractionDigits: 0 });
  return r > 0 ? `+${s}` : r < 0 ? `−${s}` : s;
}
