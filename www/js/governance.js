// Model governance panel: discrimination (AUC, KS, Brier with intervals), calibration (reliability
// diagram), score distribution of goods and bads, the fair-lending check and what drift monitoring
// the model supports. Everything is read from the model card inside the model file; nothing is
// fetched. A model without these data gets a note naming the schema fields to add (docs/SCHEMA.md).
// DOM and SVG are built with createElement/createElementNS and textContent only (CSP, Trusted Types).

import { loc, formatNumber, formatPercent } from './i18n.js';

const SVG = 'http://www.w3.org/2000/svg';

// Texts in both languages; `tr` picks the current one through i18n's `loc`.
const T = {
  heading: { en: 'Model governance', zh: '模型治理' },
  intro: {
    en: 'How well the model separates good from bad applicants, whether its probabilities can be taken at face value, and whether it treats groups alike. Computed by the training pipeline on the held-out test split ({n} applicants) and carried inside the model file.',
    zh: '模型区分好坏申请人的能力、其违约概率是否可信，以及对不同群体是否一视同仁。由训练流程在预留的测试集（{n} 名申请人）上计算，并随模型文件一同提供。',
  },
  intro_unknown: {
    en: 'Figures the model file carries about its own quality and fairness.',
    zh: '模型文件自带的质量与公平性数据。',
  },
  perf: { en: 'Discrimination and accuracy', zh: '区分能力与准确度' },
  auc: { en: 'AUC', zh: 'AUC' },
  ks: { en: 'KS', zh: 'KS' },
  brier: { en: 'Brier score', zh: 'Brier 分数' },
  ci: { en: '95% CI {lo}–{hi}', zh: '95% 置信区间 {lo}–{hi}' },
  auc_help: {
    en: 'Chance that a randomly chosen bad applicant gets a higher PD than a good one (0.5 = coin toss, 1 = perfect).',
    zh: '随机抽取一名违约申请人，其违约概率高于一名正常申请人的概率（0.5 相当于掷硬币，1 为完美）。',
  },
  ks_help: {
    en: 'Largest gap between the shares of bads and of goods caught by any PD cut-off (0 = none, 1 = perfect).',
    zh: '在任一违约概率阈值下，被识别的违约者比例与正常者比例之间的最大差距（0 为无区分，1 为完美）。',
  },
  brier_help: {
    en: 'Mean squared gap between the PD and what happened (0 = perfect; lower is better).',
    zh: '违约概率与实际结果之差的平方的平均值（0 为完美，越低越好）。',
  },
  calibration: { en: 'Calibration: predicted vs observed', zh: '校准：预测与实际' },
  calibration_help: {
    en: 'Applicants sorted by PD into ten groups of equal size. A well-calibrated model has its points near the diagonal: a predicted 30% means about 30 in 100 default.',
    zh: '按违约概率将申请人分为人数相同的十组。校准良好的模型，其各点靠近对角线：预测 30% 意味着每 100 人中约有 30 人违约。',
  },
  calibration_table: { en: 'The ten groups as a table', zh: '十个分组的数据表' },
  predicted: { en: 'Predicted PD (mean of the decile)', zh: '预测违约概率（组内平均）' },
  observed: { en: 'Observed bad rate', zh: '实际违约率' },
  decile: { en: 'Decile', zh: '十分位组' },
  applicants: { en: 'Applicants', zh: '申请人数' },
  pd_range: { en: 'PD range', zh: '违约概率范围' },
  mean_pd: { en: 'Mean PD', zh: '平均违约概率' },
  point_title: {
    en: 'Decile {d}: predicted {p}, observed {o}, {n} applicants',
    zh: '第 {d} 组：预测 {p}，实际 {o}，{n} 名申请人',
  },
  reliability_label: {
    en: 'Reliability diagram: observed bad rate against predicted PD for ten deciles',
    zh: '可靠性图：十个分位组的实际违约率与预测违约概率',
  },
  distribution: { en: 'Score distribution of goods and bads', zh: '正常与违约申请人的评分分布' },
  distribution_help: {
    en: 'Test applicants per score range. The further apart the two groups, the better the score separates them. The dashed line is the approval cut-off.',
    zh: '测试集申请人在各评分区间的人数。两组分得越开，评分的区分能力越强。虚线为批准分界。',
  },
  goods: { en: 'Goods (repaid)', zh: '正常（已还款）' },
  bads: { en: 'Bads (defaulted)', zh: '违约' },
  points: { en: 'Score (points)', zh: '评分（分）' },
  count: { en: 'Applicants', zh: '人数' },
  cutoff: { en: 'cut-off', zh: '分界' },
  dist_label: {
    en: 'Histogram of test applicants by score, goods and bads side by side',
    zh: '测试集申请人按评分的直方图，正常与违约并列',
  },
  bin_title: { en: '{lo}–{hi} points: {g} goods, {b} bads', zh: '{lo}–{hi} 分：正常 {g} 人，违约 {b} 人' },
  fair: { en: 'Fair-lending check', zh: '公平信贷检查' },
  fair_explain: {
    en: 'Sex, age and foreign-worker status are never given to the model: the law forbids basing credit decisions on them. They were kept aside only to check, after the fact, whether the model’s decisions fall unevenly on these groups. An applicant is counted as approved when the PD is at most {cut} (band {band} or better, {points} points or more).',
    zh: '性别、年龄和外籍劳工身份从不作为模型输入：法律禁止以此作出信贷决定。这些信息仅被单独保留，用于事后检查模型的决定是否对这些群体造成不均衡的影响。违约概率不高于 {cut}（{band} 档或更好，即 {points} 分及以上）时视为批准。',
  },
  fair_air: {
    en: 'Adverse-impact ratio = approval rate of the least-approved group ÷ that of the most-approved group. Below 0.8 fails the “four-fifths” rule of thumb and calls for a closer look; small groups make these figures uncertain.',
    zh: '不利影响比 = 批准率最低组的批准率 ÷ 批准率最高组的批准率。低于 0.8 即不符合“五分之四规则”，需要进一步审查；样本较小的组会使这些数字不确定。',
  },
  group: { en: 'Group', zh: '群组' },
  bad_rate: { en: 'Observed bad rate', zh: '实际违约率' },
  approval: { en: 'Approval rate', zh: '批准率' },
  air: { en: 'Adverse-impact ratio', zh: '不利影响比' },
  air_ok: { en: 'meets four-fifths', zh: '符合五分之四规则' },
  air_fail: { en: 'below four-fifths', zh: '低于五分之四' },
  lowest: { en: 'lowest: {g}', zh: '最低：{g}' },
  attr_sex: { en: 'Sex', zh: '性别' },
  attr_age: { en: 'Age', zh: '年龄' },
  attr_foreign_worker: { en: 'Foreign worker', zh: '外籍劳工' },
  g_female: { en: 'female', zh: '女性' },
  g_male: { en: 'male', zh: '男性' },
  g_under_25: { en: 'under 25', zh: '25 岁以下' },
  'g_25_and_over': { en: '25 and over', zh: '25 岁及以上' },
  g_yes: { en: 'yes', zh: '是' },
  g_no: { en: 'no', zh: '否' },
  drift: { en: 'Drift monitoring', zh: '漂移监测' },
  drift_ok: {
    en: 'The model carries the training share of every bin for {n} of {k} characteristics and a score reference: when a batch file is scored, the Population Stability Index (PSI) tells whether today’s applicants still look like the training ones (below 0.1 stable, 0.1–0.25 watch, above 0.25 investigate).',
    zh: '模型为 {k} 个特征中的 {n} 个提供了训练集各分箱占比，并提供评分参考分布：批量评分时，群体稳定性指数（PSI）会显示当前申请人是否仍与训练时相似（低于 0.1 稳定，0.1–0.25 需关注，高于 0.25 需调查）。',
  },
  missing_title: { en: 'Not available for this model', zh: '此模型不提供' },
  missing_intro: {
    en: 'This model file carries no {what}. To show it, add these fields to the `credit_scorer.schema` JSON in the model’s metadata (see docs/SCHEMA.md):',
    zh: '此模型文件不含{what}。如需显示，请在模型元数据的 `credit_scorer.schema` JSON 中加入以下字段（见 docs/SCHEMA.md）：',
  },
  what_perf: { en: 'test metrics with confidence intervals', zh: '带置信区间的测试指标' },
  what_calibration: { en: 'reliability table', zh: '可靠性表' },
  what_distribution: { en: 'score distribution of goods and bads', zh: '正常与违约申请人的评分分布' },
  what_fair: { en: 'fair-lending evaluation', zh: '公平信贷评估' },
  what_drift: { en: 'training distribution (needed for drift warnings)', zh: '训练集分布（漂移预警所需）' },
};

function tr(key, vars = {}) {
  const s = loc(T[key], key);
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

/** Text with `code` spans as <code> elements. */
function withCode(text) {
  return text.split('`').map((part, i) => (i % 2 ? el('code', {}, part) : part)).filter((p) => p !== '');
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function svg(tag, attrs = {}, ...children) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    e.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
const isObj = (v) => v != null && typeof v === 'object' && !Array.isArray(v);
const fixed = (v, d = 3) => formatNumber(v, { minimumFractionDigits: d, maximumFractionDigits: d });
const pct = (v) => formatPercent(v, 1);

/** Renders the whole panel for `model` ({ k, schema, … }) into `section` (replacing its content). */
export function renderGovernance(section, model) {
  if (!section) return;
  const heading = section.querySelector('h2');
  if (heading) heading.textContent = tr('heading');
  const body = section.querySelector('.governance__body') ?? section.appendChild(el('div', { class: 'governance__body' }));
  body.replaceChildren();
  if (!model) return;
  const schema = model.schema ?? {};
  const card = isObj(schema.model_card) ? schema.model_card : {};
  const n = card.split?.test ?? card.calibration?.table?.reduce?.((s, r) => s + (isNum(r?.count) ? r.count : 0), 0);
  body.append(el('p', { class: 'panel__intro' }, isNum(n) && n > 0 ? tr('intro', { n: formatNumber(n) }) : tr('intro_unknown')));

  const grid = el('div', { class: 'governance__grid' });
  grid.append(
    block('perf', tr('perf'), performance(card)),
    block('calibration', tr('calibration'), calibration(card)),
    block('distribution', tr('distribution'), distribution(card, schema)),
  );
  body.append(grid);
  body.append(block('fair', tr('fair'), fairLending(card, schema), 'governance__block--wide'));
  body.append(block('drift', tr('drift'), drift(card, schema, model.k), 'governance__block--wide'));
}

function block(id, title, content, extra = '') {
  return el('section', { class: `governance__block ${extra}`.trim(), id: `gov-${id}`, 'aria-labelledby': `gov-${id}-h` },
    el('h3', { id: `gov-${id}-h` }, title), content);
}

/** The "what is missing and how to add it" note. */
function missing(whatKey, fields) {
  return el('div', { class: 'gov-missing notice notice--warn', 'data-missing': whatKey },
    el('strong', {}, tr('missing_title')), ' ',
    withCode(tr('missing_intro', { what: tr(whatKey) })),
    el('ul', {}, fields.map(([path, desc]) => el('li', {}, el('code', {}, path), ' — ', withCode(desc)))));
}

// ---------------------------------------------------------------- discrimination

function metricSet(card) {
  const m = card.metrics;
  if (!isObj(m)) return null;
  let set = m;
  if (isObj(m.test)) set = (m.primary && isObj(m.test[m.primary])) ? m.test[m.primary] : m.test;
  return ['auc', 'ks', 'brier'].some((k) => isNum(set?.[k]?.value) || isNum(set?.[k])) ? set : null;
}

function performance(card) {
  const set = metricSet(card);
  if (!set) {
    return missing('what_perf', [
      ['model_card.metrics.test.<model>.auc', '{ "value": 0.80, "ci95": [0.73, 0.86] }'],
      ['model_card.metrics.test.<model>.ks', '{ "value", "ci95" }'],
      ['model_card.metrics.test.<model>.brier', '{ "value", "ci95" }'],
      ['model_card.metrics.primary', '"<model>"'],
    ]);
  }
  const tiles = el('div', { class: 'gov-kpis' });
  for (const key of ['auc', 'ks', 'brier']) {
    const m = set[key];
    const value = isNum(m) ? m : m?.value;
    if (!isNum(value)) continue;
    const ci = Array.isArray(m?.ci95) && m.ci95.length === 2 && m.ci95.every(isNum)
      ? tr('ci', { lo: fixed(m.ci95[0]), hi: fixed(m.ci95[1]) }) : null;
    tiles.append(el('div', { class: 'gov-kpi', 'data-metric': key, 'data-value': value },
      el('span', { class: 'gov-kpi__label' }, tr(key)),
      el('span', { class: 'gov-kpi__value' }, fixed(value)),
      ci ? el('span', { class: 'gov-kpi__ci' }, ci) : null,
      el('span', { class: 'gov-kpi__help' }, tr(`${key}_help`))));
  }
  return tiles;
}

// ---------------------------------------------------------------- calibration

function calibrationRows(card) {
  const rows = card.calibration?.table;
  if (!Array.isArray(rows) || !rows.length) return null;
  const ok = rows.every((r) => isNum(r?.mean_pd) && isNum(r?.observed_bad_rate) && isNum(r?.count));
  return ok ? rows : null;
}

function calibration(card) {
  const rows = calibrationRows(card);
  if (!rows) {
    return missing('what_calibration', [
      ['model_card.calibration.table[]', '{ "decile", "count", "min_pd", "max_pd", "mean_pd", "observed_bad_rate" } — ten groups of equal size, sorted by PD'],
    ]);
  }
  const W = 320; const H = 280; const L = 46; const R = 12; const TOP = 12; const B = 44;
  const top = Math.min(1, Math.ceil(Math.max(...rows.map((r) => Math.max(r.mean_pd, r.observed_bad_rate)), 0.1) * 10 + 0.0001) / 10);
  const x = (v) => L + (v / top) * (W - L - R);
  const y = (v) => H - B - (v / top) * (H - B - TOP);
  const g = svg('g');
  // grid and ticks every 0.1
  for (let v = 0; v <= top + 1e-9; v += top > 0.5 ? 0.2 : 0.1) {
    const vv = Math.round(v * 10) / 10;
    g.append(svg('line', { class: 'gov-grid', x1: L, x2: W - R, y1: y(vv), y2: y(vv) }));
    g.append(svg('text', { class: 'gov-tick', x: L - 6, y: y(vv) + 4, 'text-anchor': 'end' }, pct(vv).replace(/\.0(?=\D*$)/, '')));
    g.append(svg('text', { class: 'gov-tick', x: x(vv), y: H - B + 16, 'text-anchor': 'middle' }, pct(vv).replace(/\.0(?=\D*$)/, '')));
  }
  g.append(svg('line', { class: 'gov-axis', x1: L, x2: W - R, y1: H - B, y2: H - B }));
  g.append(svg('line', { class: 'gov-axis', x1: L, x2: L, y1: TOP, y2: H - B }));
  g.append(svg('line', { class: 'gov-diagonal', x1: x(0), y1: y(0), x2: x(top), y2: y(top) }));
  g.append(svg('polyline', { class: 'gov-line', points: rows.map((r) => `${x(r.mean_pd).toFixed(1)},${y(r.observed_bad_rate).toFixed(1)}`).join(' ') }));
  rows.forEach((r, i) => {
    const d = r.decile ?? i + 1;
    g.append(svg('circle', { class: 'gov-point', cx: x(r.mean_pd).toFixed(1), cy: y(r.observed_bad_rate).toFixed(1), r: 4.5, 'data-decile': d },
      svg('title', {}, tr('point_title', { d, p: pct(r.mean_pd), o: pct(r.observed_bad_rate), n: formatNumber(r.count) }))));
  });
  g.append(svg('text', { class: 'gov-axis-label', x: (L + W - R) / 2, y: H - 8, 'text-anchor': 'middle' }, tr('predicted')));
  g.append(svg('text', { class: 'gov-axis-label', x: 12, y: (TOP + H - B) / 2, 'text-anchor': 'middle', transform: `rotate(-90 12 ${(TOP + H - B) / 2})` }, tr('observed')));
  const chart = svg('svg', { class: 'gov-chart', id: 'gov-reliability', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': tr('reliability_label') }, g);

  const table = el('table', { class: 'gov-table', id: 'gov-reliability-table' },
    el('thead', {}, el('tr', {},
      el('th', { scope: 'col' }, tr('decile')), el('th', { scope: 'col', class: 'num' }, tr('applicants')),
      el('th', { scope: 'col', class: 'num' }, tr('pd_range')), el('th', { scope: 'col', class: 'num' }, tr('mean_pd')),
      el('th', { scope: 'col', class: 'num' }, tr('observed')))),
    el('tbody', {}, rows.map((r, i) => el('tr', { 'data-decile': r.decile ?? i + 1 },
      el('td', {}, String(r.decile ?? i + 1)),
      el('td', { class: 'num' }, formatNumber(r.count)),
      el('td', { class: 'num' }, isNum(r.min_pd) && isNum(r.max_pd) ? `${pct(r.min_pd)}–${pct(r.max_pd)}` : '—'),
      el('td', { class: 'num' }, pct(r.mean_pd)),
      el('td', { class: 'num' }, pct(r.observed_bad_rate))))));
  return el('div', {},
    el('p', { class: 'gov-help' }, tr('calibration_help')),
    el('figure', { class: 'gov-figure' }, chart),
    el('details', { class: 'gov-details' }, el('summary', {}, tr('calibration_table')), table));
}

// ---------------------------------------------------------------- score distribution

function pointsForPd(scaling, pd) {
  if (!isObj(scaling) || !isNum(pd) || pd <= 0 || pd >= 1) return null;
  const factor = scaling.pdo / Math.LN2;
  const offset = scaling.base_points - factor * Math.log(scaling.base_odds);
  return offset + factor * Math.log((1 - pd) / pd);
}

function distribution(card, schema) {
  const d = card.score_distribution;
  const edges = d?.edges; const good = d?.good; const bad = d?.bad;
  const valid = Array.isArray(edges) && Array.isArray(good) && Array.isArray(bad)
    && edges.length === good.length + 1 && good.length === bad.length && good.length > 0
    && [...edges, ...good, ...bad].every(isNum);
  if (!valid) {
    return missing('what_distribution', [
      ['model_card.score_distribution.edges', 'score bin edges in points, n + 1 numbers'],
      ['model_card.score_distribution.good', 'goods per bin (n counts)'],
      ['model_card.score_distribution.bad', 'bads per bin (n counts)'],
    ]);
  }
  // trim empty bins at both ends, keep one empty bin of margin
  const used = good.map((gv, i) => gv + bad[i] > 0);
  let first = Math.max(0, used.indexOf(true) - 1);
  let last = Math.min(good.length - 1, used.lastIndexOf(true) + 1);
  if (used.indexOf(true) < 0) { first = 0; last = good.length - 1; }
  const bins = [];
  for (let i = first; i <= last; i++) bins.push({ lo: edges[i], hi: edges[i + 1], g: good[i], b: bad[i] });
  const W = 360; const H = 290; const L = 40; const R = 10; const TOP = 40; const B = 44;
  const maxC = Math.max(1, ...bins.map((v) => Math.max(v.g, v.b)));
  const step = maxC > 40 ? 10 : maxC > 16 ? 5 : maxC > 8 ? 2 : 1;
  // Headroom above the tallest bar, so it does not meet the cut-off label.
  const topC = Math.ceil((maxC * 1.1) / step) * step;
  const lo = bins[0].lo; const hi = bins.at(-1).hi;
  const x = (v) => L + ((v - lo) / (hi - lo)) * (W - L - R);
  const y = (v) => H - B - (v / topC) * (H - B - TOP);
  const g = svg('g');
  for (let v = 0; v <= topC; v += step) {
    g.append(svg('line', { class: 'gov-grid', x1: L, x2: W - R, y1: y(v), y2: y(v) }));
    g.append(svg('text', { class: 'gov-tick', x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, formatNumber(v)));
  }
  const labelEvery = Math.ceil(bins.length / 8);
  bins.forEach((bin, i) => {
    const x0 = x(bin.lo); const w = x(bin.hi) - x0; const bw = Math.max(1, (w - 4) / 2);
    const grp = svg('g', { class: 'gov-bin', 'data-lo': bin.lo, 'data-good': bin.g, 'data-bad': bin.b },
      svg('title', {}, tr('bin_title', { lo: formatNumber(bin.lo), hi: formatNumber(bin.hi), g: bin.g, b: bin.b })),
      svg('rect', { class: 'gov-bar gov-bar--good', x: (x0 + 2).toFixed(1), y: y(bin.g).toFixed(1), width: bw.toFixed(1), height: (y(0) - y(bin.g)).toFixed(1) }),
      svg('rect', { class: 'gov-bar gov-bar--bad', x: (x0 + 2 + bw).toFixed(1), y: y(bin.b).toFixed(1), width: bw.toFixed(1), height: (y(0) - y(bin.b)).toFixed(1) }));
    g.append(grp);
    if (i % labelEvery === 0) g.append(svg('text', { class: 'gov-tick', x: x0, y: H - B + 16, 'text-anchor': 'middle' }, formatNumber(bin.lo)));
  });
  g.append(svg('text', { class: 'gov-tick', x: x(hi), y: H - B + 16, 'text-anchor': 'middle' }, formatNumber(hi)));
  g.append(svg('line', { class: 'gov-axis', x1: L, x2: W - R, y1: H - B, y2: H - B }));
  g.append(svg('line', { class: 'gov-axis', x1: L, x2: L, y1: TOP, y2: H - B }));
  const cutPd = card.fair_lending?.approval_max_pd;
  const cut = pointsForPd(schema.scaling, cutPd);
  if (isNum(cut) && cut > lo && cut < hi) {
    g.append(svg('line', { class: 'gov-cutoff', x1: x(cut).toFixed(1), x2: x(cut).toFixed(1), y1: TOP - 5, y2: H - B }));
    g.append(svg('text', { class: 'gov-cutoff-label', x: x(cut).toFixed(1), y: TOP - 8, 'text-anchor': 'middle' }, `${tr('cutoff')} ${formatNumber(Math.round(cut))}`));
  }
  g.append(svg('text', { class: 'gov-axis-label', x: (L + W - R) / 2, y: H - 8, 'text-anchor': 'middle' }, tr('points')));
  // legend
  g.append(svg('rect', { class: 'gov-bar--good', x: L + 4, y: 4, width: 10, height: 10 }));
  g.append(svg('text', { class: 'gov-legend', x: L + 18, y: 13 }, tr('goods')));
  g.append(svg('rect', { class: 'gov-bar--bad', x: L + 150, y: 4, width: 10, height: 10 }));
  g.append(svg('text', { class: 'gov-legend', x: L + 164, y: 13 }, tr('bads')));
  const chart = svg('svg', { class: 'gov-chart', id: 'gov-score-chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': tr('dist_label') }, g);
  return el('div', {}, el('p', { class: 'gov-help' }, tr('distribution_help')), el('figure', { class: 'gov-figure' }, chart));
}

// ---------------------------------------------------------------- fair lending

function groupLabel(name) {
  return T[`g_${name}`] ? tr(`g_${name}`) : String(name);
}

function fairLending(card, schema) {
  const fl = card.fair_lending;
  const rank = (k) => { const i = ['sex', 'age', 'foreign_worker'].indexOf(k); return i < 0 ? 99 : i; };
  const attrs = isObj(fl?.test)
    ? Object.entries(fl.test).filter(([, a]) => isObj(a) && Array.isArray(a.groups) && a.groups.length)
      .sort(([a], [b]) => rank(a) - rank(b))
    : [];
  if (!isObj(fl) || !isNum(fl.approval_max_pd) || !attrs.length) {
    return missing('what_fair', [
      ['model_card.fair_lending.approval_max_pd', 'the PD at or below which an applicant counts as approved'],
      ['model_card.fair_lending.test.<attribute>.groups[]', '{ "group", "count", "observed_bad_rate", "approval_rate", "auc" }'],
      ['model_card.fair_lending.test.<attribute>.adverse_impact_ratio', 'lowest ÷ highest group approval rate'],
      ['model_card.fair_lending.test.<attribute>.four_fifths_ok', 'true when the ratio is at least 0.8'],
      ['model_card.excluded_characteristics[]', '{ "source_column", "reason" } — the attributes kept out of the model'],
    ]);
  }
  const cut = fl.approval_max_pd;
  const band = Array.isArray(schema.bands) ? schema.bands.find((b) => b?.max_pd === cut) : null;
  const pts = pointsForPd(schema.scaling, cut);
  const explain = el('div', { class: 'gov-fair-explain' },
    el('p', { id: 'gov-fair-explain' }, tr('fair_explain', {
      cut: pct(cut), band: band?.id ?? '—', points: isNum(pts) ? formatNumber(Math.round(pts)) : '—',
    })),
    el('p', {}, tr('fair_air')));
  const bodies = [];
  for (const [attr, a] of attrs) {
    const label = T[`attr_${attr}`] ? tr(`attr_${attr}`) : attr;
    // one tbody per attribute, headed by its name (no rowspan column: the table stays narrow)
    const tbody = el('tbody', { 'data-attr': attr },
      el('tr', { class: 'gov-attr' }, el('th', { scope: 'rowgroup', colspan: 5, class: 'gov-attr__name' }, label)));
    bodies.push(tbody);
    a.groups.forEach((g) => {
      tbody.append(el('tr', { 'data-attr': attr, 'data-group': g.group },
        el('td', {}, groupLabel(g.group)),
        el('td', { class: 'num' }, isNum(g.count) ? formatNumber(g.count) : '—'),
        el('td', { class: 'num gov-col-bad' }, isNum(g.observed_bad_rate) ? pct(g.observed_bad_rate) : '—'),
        el('td', { class: 'num' }, isNum(g.approval_rate) ? el('span', { class: 'gov-rate' },
          el('span', { class: 'gov-rate__bar' }, rateBar(g.approval_rate)), pct(g.approval_rate)) : '—'),
        el('td', { class: 'num' }, isNum(g.auc) ? fixed(g.auc) : '—')));
    });
    const air = a.adverse_impact_ratio;
    const ok = typeof a.four_fifths_ok === 'boolean' ? a.four_fifths_ok : isNum(air) ? air >= 0.8 : null;
    tbody.append(el('tr', { class: 'gov-air', 'data-attr': attr, 'data-air': isNum(air) ? air : '' },
      el('td', {}, tr('air'), a.lowest_approval_group ? el('span', { class: 'muted small block' }, tr('lowest', { g: groupLabel(a.lowest_approval_group) })) : null),
      el('td', {}), el('td', { class: 'gov-col-bad' }),
      el('td', { class: 'num' }, el('strong', {}, isNum(air) ? fixed(air, 2) : '—')),
      el('td', {}, ok == null ? '' : el('span', { class: `gov-chip ${ok ? 'gov-chip--ok' : 'gov-chip--fail'}`, 'data-four-fifths': ok ? 'ok' : 'fail' }, tr(ok ? 'air_ok' : 'air_fail')))));
  }
  const table = el('table', { class: 'gov-table gov-fair-table', id: 'gov-fair-table' },
    el('thead', {}, el('tr', {},
      el('th', { scope: 'col' }, tr('group')),
      el('th', { scope: 'col', class: 'num' }, tr('applicants')), el('th', { scope: 'col', class: 'num gov-col-bad' }, tr('bad_rate')),
      el('th', { scope: 'col', class: 'num' }, tr('approval')), el('th', { scope: 'col', class: 'num' }, tr('auc')))),
    bodies);
  return el('div', {}, explain, el('div', { class: 'gov-table-wrap' }, table));
}

function rateBar(rate) {
  const s = svg('svg', { class: 'gov-ratebar', viewBox: '0 0 100 8', 'aria-hidden': 'true', preserveAspectRatio: 'none' },
    svg('rect', { class: 'gov-ratebar__track', x: 0, y: 0, width: 100, height: 8 }),
    svg('rect', { class: 'gov-ratebar__fill', x: 0, y: 0, width: (Math.max(0, Math.min(1, rate)) * 100).toFixed(1), height: 8 }));
  return s;
}

// ---------------------------------------------------------------- drift

function drift(card, schema, k) {
  const feats = Array.isArray(schema.features) ? schema.features : [];
  const withShare = feats.filter((f) => Array.isArray(f?.train_share)
    && (f.kind === 'categorical' || Array.isArray(f.cuts))).length;
  const score = isObj(card.score_share) || isObj(card.score_distribution);
  if (withShare === 0 || !score) {
    const fields = [];
    if (withShare === 0) {
      fields.push(['features[].train_share', 'share of training rows per category, or per bin of `cuts` (numeric)']);
      fields.push(['features[].cuts', 'bin edges of a numeric feature (bin i holds cuts[i-1] ≤ x < cuts[i])']);
    }
    if (!score) fields.push(['model_card.score_share', '{ "edges": [points…], "share": [training share per score bin] } (or `score_distribution`)']);
    return missing('what_drift', fields);
  }
  return el('p', { class: 'gov-help', id: 'gov-drift-ok' }, tr('drift_ok', { n: withShare, k: k ?? feats.length }));
}
