// Model governance panel: discrimination (AUC, KS, Brier with intervals), calibration (reliability
// diagram), score distribution of goods and bads, the fair-lending check and what drift monitoring
// the model supports. Everything is read from the model card inside the model file; nothing is
// fetched. A model without these data gets a note naming the schema fields to add (docs/SCHEMA.md).
// The approval cut-off's points come from the engine (model.edgePoints), like every score's.

import { h as el, svg } from './dom.js';
import { t, has, formatNumber, formatPercent } from './i18n.js';

/** A text of this panel (its keys in js/i18n.js start with `gov.`). */
const tr = (key, vars) => t(`gov.${key}`, vars);

/** Text with `code` spans as <code> elements. */
function withCode(text) {
  return text.split('`').map((part, i) => (i % 2 ? el('code', {}, part) : part)).filter((p) => p !== '');
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
  // Points at the approval cut-off (a PD), from the engine's formula.
  const cutoff = model.edgePoints?.approval ?? null;
  const n = card.split?.test ?? card.calibration?.table?.reduce?.((s, r) => s + (isNum(r?.count) ? r.count : 0), 0);
  body.append(el('p', { class: 'panel__intro' }, isNum(n) && n > 0 ? tr('intro', { n: formatNumber(n) }) : tr('intro_unknown')));

  const grid = el('div', { class: 'governance__grid' });
  grid.append(
    block('perf', tr('perf'), performance(card)),
    block('calibration', tr('calibration'), calibration(card)),
    block('distribution', tr('distribution'), distribution(card, cutoff)),
  );
  body.append(grid);
  body.append(block('fair', tr('fair'), fairLending(card, schema, cutoff), 'governance__block--wide'));
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

function distribution(card, cut) {
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
  return has(`gov.g_${name}`) ? tr(`g_${name}`) : String(name);
}

function fairLending(card, schema, pts) {
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
  const explain = el('div', { class: 'gov-fair-explain' },
    el('p', { id: 'gov-fair-explain' }, tr('fair_explain', {
      cut: pct(cut), band: band?.id ?? '—', points: isNum(pts) ? formatNumber(Math.round(pts)) : '—',
    })),
    el('p', {}, tr('fair_air')));
  const bodies = [];
  for (const [attr, a] of attrs) {
    const label = has(`gov.attr_${attr}`) ? tr(`attr_${attr}`) : attr;
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
