// Every string the page shows, in English here and Simplified Chinese in i18n-zh.js (imported
// when chosen, or once the page is ready), and the number and date formats of the current language. The language defaults to the browser's; the only thing ever
// stored is the user's choice. A string may have plural forms ({ one, other }), chosen by
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
    'batch.encoding_label': 'Text encoding of the file',
    'batch.encoding.auto': 'Automatic (UTF-8, or as its byte-order mark says)',
    'batch.encoding.gbk': 'GBK (Excel in Simplified Chinese)',
    'batch.encoding.gb18030': 'GB18030',
    'batch.encoding.big5': 'Big5 (Traditional Chinese)',
    'batch.encoding.windows-1252': 'Windows-1252 (Excel in Western Europe)',
    'batch.encoding.utf-16le': 'UTF-16LE',
    'batch.encoding.utf-16be': 'UTF-16BE',
    'batch.encoding.utf-8': 'UTF-8',
    'batch.read_as': 'Read as {encoding} ({how}), columns separated by {delimiter}.',
    'batch.encoding_how.bom': 'from its byte-order mark',
    'batch.encoding_how.chosen': 'as chosen',
    'batch.encoding_how.detected': 'detected',
    'batch.delimiter.comma': 'commas',
    'batch.delimiter.semicolon': 'semicolons',
    'batch.delimiter.tab': 'tabs',
    'batch.delimiter.pipe': 'vertical bars',
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
    'notice.placeholders': 'PLACEHOLDER TEXTS: the deployment file deployment.json has not been filled in ({fields}). Do not send this notice.',
    'notice.load_failed': 'The deployment file could not be loaded ({error}): this notice has no creditor details. Do not send it.',
    'notice.missing': '[missing]',
    'notice.title_denial': 'Statement of credit denial, termination or change',
    'notice.title_counter': 'Notice of action taken, statement of reasons and counteroffer',
    'notice.date': 'Date',
    'notice.applicant_name': "Applicant's name",
    'notice.applicant_address': "Applicant's address",
    'notice.credit': 'Description of account, transaction, or requested credit',
    'notice.action': 'Description of action taken',
    'notice.action_decline': 'Your application for credit has been declined.',
    'notice.action_counter': 'We are unable to offer you credit on the terms that you requested.',
    'notice.counter_terms': 'We can, however, offer you credit on the following terms:',
    'notice.counter_accept': 'If this offer is acceptable to you, please notify us at the address above.',
    'notice.part1': 'Part I — Principal reasons for credit denial, termination, or other action taken concerning credit',
    'notice.score_heading': 'Your credit score',
    'notice.score_intro': 'We used a credit score in making our credit decision. It was computed by our credit-risk model from the information in your application, and it can change when that information changes.',
    'notice.score': 'Your credit score',
    'notice.score_date': 'Date',
    'notice.score_range': 'Range',
    'notice.score_range_value': 'Scores range from a low of {min} to a high of {max}.',
    'notice.key_factors': 'Key factors that adversely affected your credit score:',
    'notice.recourse': 'What could change the outcome',
    'notice.recourse_intro': 'Changes to the information in your application with which our model would have given a better result:',
    'notice.part2': 'Part II — Disclosure of use of information obtained from an outside source',
    'notice.name': 'Name',
    'notice.address': 'Address',
    'notice.phone': 'Telephone number',
    'notice.ecoa': 'Notice',
    'notice.record_hash': 'SHA-256 of the decision record',
    'footer.text': 'Scores are estimates from a statistical model and are not a lending decision on their own.',
    // The governance panel (js/governance.js).
    'gov.heading': 'Model governance',
    'gov.intro': 'How well the model separates good from bad applicants, whether its probabilities can be taken at face value, and whether it treats groups alike. Computed by the training pipeline on the held-out test split ({n} applicants) and carried inside the model file.',
    'gov.intro_unknown': 'Figures the model file carries about its own quality and fairness.',
    'gov.perf': 'Discrimination and accuracy',
    'gov.auc': 'AUC',
    'gov.ks': 'KS',
    'gov.brier': 'Brier score',
    'gov.ci': '95% CI {lo}–{hi}',
    'gov.auc_help': 'Chance that a randomly chosen bad applicant gets a higher PD than a good one (0.5 = coin toss, 1 = perfect).',
    'gov.ks_help': 'Largest gap between the shares of bads and of goods caught by any PD cut-off (0 = none, 1 = perfect).',
    'gov.brier_help': 'Mean squared gap between the PD and what happened (0 = perfect; lower is better).',
    'gov.calibration': 'Calibration: predicted vs observed',
    'gov.calibration_help': 'Applicants sorted by PD into ten groups of equal size. A well-calibrated model has its points near the diagonal: a predicted 30% means about 30 in 100 default.',
    'gov.calibration_table': 'The ten groups as a table',
    'gov.predicted': 'Predicted PD (mean of the decile)',
    'gov.observed': 'Observed bad rate',
    'gov.decile': 'Decile',
    'gov.applicants': 'Applicants',
    'gov.pd_range': 'PD range',
    'gov.mean_pd': 'Mean PD',
    'gov.point_title': 'Decile {d}: predicted {p}, observed {o}, {n} applicants',
    'gov.reliability_label': 'Reliability diagram: observed bad rate against predicted PD for ten deciles',
    'gov.distribution': 'Score distribution of goods and bads',
    'gov.distribution_help': 'Test applicants per score range. The further apart the two groups, the better the score separates them. The dashed line is the approval cut-off.',
    'gov.goods': 'Goods (repaid)',
    'gov.bads': 'Bads (defaulted)',
    'gov.points': 'Score (points)',
    'gov.count': 'Applicants',
    'gov.cutoff': 'cut-off',
    'gov.dist_label': 'Histogram of test applicants by score, goods and bads side by side',
    'gov.bin_title': '{lo}–{hi} points: {g} goods, {b} bads',
    'gov.fair': 'Fair-lending check',
    'gov.fair_explain': 'Sex, age and foreign-worker status are never given to the model: the law forbids basing credit decisions on them. They were kept aside only to check, after the fact, whether the model’s decisions fall unevenly on these groups. An applicant is counted as approved when the PD is at most {cut} (band {band} or better, {points} points or more).',
    'gov.fair_air': 'Adverse-impact ratio = approval rate of the least-approved group ÷ that of the most-approved group. Below 0.8 fails the “four-fifths” rule of thumb and calls for a closer look; small groups make these figures uncertain.',
    'gov.group': 'Group',
    'gov.bad_rate': 'Observed bad rate',
    'gov.approval': 'Approval rate',
    'gov.air': 'Adverse-impact ratio',
    'gov.air_ok': 'meets four-fifths',
    'gov.air_fail': 'below four-fifths',
    'gov.lowest': 'lowest: {g}',
    'gov.attr_sex': 'Sex',
    'gov.attr_age': 'Age',
    'gov.attr_foreign_worker': 'Foreign worker',
    'gov.g_female': 'female',
    'gov.g_male': 'male',
    'gov.g_under_25': 'under 25',
    'gov.g_25_and_over': '25 and over',
    'gov.g_yes': 'yes',
    'gov.g_no': 'no',
    'gov.drift': 'Drift monitoring',
    'gov.drift_ok': 'The model carries the training share of every bin for {n} of {k} characteristics and a score reference: when a batch file is scored, the Population Stability Index (PSI) tells whether today’s applicants still look like the training ones (below 0.1 stable, 0.1–0.25 watch, above 0.25 investigate).',
    'gov.missing_title': 'Not available for this model',
    'gov.missing_intro': 'This model file carries no {what}. To show it, add these fields to the `credit_scorer.schema` JSON in the model’s metadata (see docs/SCHEMA.md):',
    'gov.what_perf': 'test metrics with confidence intervals',
    'gov.what_calibration': 'reliability table',
    'gov.what_distribution': 'score distribution of goods and bads',
    'gov.what_fair': 'fair-lending evaluation',
    'gov.what_drift': 'training distribution (needed for drift warnings)',
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

/** Imports every language's table (once the page is ready: a switch is then immediate). */
export async function loadLangs() {
  for (const l of Object.keys(TABLES)) {
    if (!STRINGS[l]) STRINGS[l] = (await TABLES[l]()).default;
  }
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
