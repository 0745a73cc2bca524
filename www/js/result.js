// The result panel: PD, points, band, the change since the last result, the gauge with the
// model's bands, the main reasons and every contribution; and the bar that keeps the score in
// sight on a phone. Points come from the engine, band edges included (one formula, in the core).

import { h, show, safeColor } from './dom.js';
import { t, loc, formatNumber, formatPercent, formatPoints, formatSignedPoints } from './i18n.js';

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
  // The text colour with the higher WCAG contrast ratio against the chip (#111 has luminance
  // 0.0056): a fixed luminance cut-off gave white on the reference model's amber band C (3.1:1).
  const onDark = 1.05 / (lum + 0.05);
  const onLight = (lum + 0.05) / (0.0056 + 0.05);
  return onLight >= onDark ? '#111' : '#fff';
}

/**
 * Shows the result panel.
 * @param {object} view
 * @param {object|null} view.model the loaded model ({ schema, edgePoints, … })
 * @param {object|null} view.result the last valid result
 * @param {object|null} view.values the values that produced it
 * @param {boolean} view.stale whether the current inputs are invalid (the result is dimmed)
 * @param {number|null} view.delta the change in points since the previous result
 * @param {import('./form.js').ApplicantForm} view.form the form (field count, errors, values)
 * @param {Document|ShadowRoot} [view.root] where the panel's elements are (a `<credit-score-form>`'s
 *   shadow root has the same ids)
 */
export function renderResult({ model, result: res, values, stale, delta, form, root = document }) {
  const $ = (id) => root.getElementById(id);
  show($('result-empty'), !res);
  show($('mini-result'), !!res);
  show($('result-body'), !!res);
  show($('result-stale'), !!res && stale);
  $('result').classList.toggle('result--stale', !!res && stale);
  if (!res) {
    const total = form.fields.size;
    const invalid = new Set(form.errors.map((e) => e.field)).size;
    const done = total - invalid;
    $('result-empty').textContent = model
      ? `${t('result.empty')} ${t('form.progress', { done, total })}`
      : t('result.empty');
    return;
  }
  const schema = model.schema;

  // On a phone the result is below the form: a bar at the bottom keeps the score in sight.
  const mini = $('mini-result');
  mini.replaceChildren(
    h('strong', {}, formatPercent(res.pd, 1)),
    ` · ${formatPoints(res.points)} ${t('result.points_unit')} · `,
    h('span', { class: 'mini-result__band' }, `${res.band?.id ?? '?'} · ${loc(res.band?.label, '')}`),
  );
  mini.setAttribute('aria-label', `${t('result.heading')}: ${mini.textContent}`);
  mini.classList.toggle('mini-result--stale', stale);

  const pd = $('pd');
  pd.textContent = formatPercent(res.pd, 1);
  pd.dataset.value = String(res.pd);
  $('pd-label').title = loc(schema.output?.meaning);
  const points = $('points');
  points.textContent = formatPoints(res.points);
  points.dataset.value = String(res.points);

  const deltaEl = $('delta');
  if (delta == null) {
    show(deltaEl, false);
  } else {
    const d = delta;
    deltaEl.textContent = d > 0 ? t('result.delta_up', { delta: formatNumber(d) })
      : d < 0 ? t('result.delta_down', { delta: formatNumber(-d) }) : t('result.delta_same');
    deltaEl.className = `delta ${d > 0 ? 'delta--up' : d < 0 ? 'delta--down' : ''}`;
    deltaEl.dataset.value = String(d);
    show(deltaEl, true);
  }

  const band = $('band');
  const color = safeColor(res.band?.color) ?? '#555';
  band.textContent = `${res.band?.id ?? '?'} · ${loc(res.band?.label, '')}`;
  band.dataset.band = res.band?.id ?? '';
  band.style.backgroundColor = color;
  band.style.color = textOn(color);

  renderGauge($, res, model);
  renderReasons($, res);
  renderContributions($, res, values, form);

  const base = $('baseline-note');
  base.textContent = t(schema.generic ? 'result.baseline_generic' : 'result.baseline', {
    points: formatPoints(res.baseline_points ?? 0),
  });
  show($('approx-note'), !!res.approximate);
}

function renderGauge($, res, model) {
  const { schema, edgePoints } = model;
  const { min_points: min, max_points: max } = schema.scaling;
  const span = max - min;
  const pos = (p) => Math.min(100, Math.max(0, ((p - min) / span) * 100));
  const track = $('gauge-track');
  track.replaceChildren();
  // Bands from the riskiest (low points, left) to the safest (high points, right).
  let right = 100;
  schema.bands.forEach((b, i) => {
    const left = b.max_pd >= 1 ? 0 : pos(edgePoints.bands[i]);
    const seg = h('span', { class: 'gauge__segment', title: `${b.id} · ${loc(b.label)}` });
    seg.style.left = `${left}%`;
    seg.style.width = `${Math.max(0, right - left)}%`;
    seg.style.backgroundColor = safeColor(b.color) ?? '#999';
    track.append(seg);
    right = left;
  });
  const marker = $('gauge-marker');
  marker.style.left = `${pos(res.points)}%`;
  $('gauge-min').textContent = formatPoints(min);
  $('gauge-max').textContent = formatPoints(max);
  $('gauge').setAttribute(
    'aria-label',
    `${t('result.scale', { min: formatPoints(min), max: formatPoints(max) })}: ${formatPoints(res.points)}`,
  );
}

function contributionBar(value, maxAbs) {
  const bar = h('span', { class: `bar ${value < 0 ? 'bar--neg' : 'bar--pos'}`, 'aria-hidden': 'true' });
  const fill = h('span', { class: 'bar__fill' });
  fill.style.width = `${maxAbs > 0 ? Math.max(2, (Math.abs(value) / maxAbs) * 100) : 0}%`;
  bar.append(fill);
  return bar;
}

function renderReasons($, res) {
  const list = $('reasons');
  list.replaceChildren();
  const maxAbs = Math.max(0, ...res.reasons.map((r) => Math.abs(r.contribution)));
  for (const r of res.reasons) {
    // `data-value`: the contribution in points at full precision, as the batch writes it.
    list.append(h('li', { class: 'reason', 'data-feature': r.feature, 'data-value': String(r.contribution) },
      h('span', { class: 'reason__text' }, loc(r.text, loc(r.label, r.feature))),
      contributionBar(r.contribution, maxAbs),
      h('span', { class: 'reason__value' }, t('result.pts', { value: formatSignedPoints(r.contribution) })),
    ));
  }
  show(list, res.reasons.length > 0);
  show($('no-reasons'), res.reasons.length === 0);
}

function renderContributions($, res, values, form) {
  const body = $('contrib-body');
  body.replaceChildren();
  const maxAbs = Math.max(0, ...res.contributions.map((c) => Math.abs(c.contribution)));
  for (const c of res.contributions) {
    body.append(h('tr', { 'data-feature': c.feature, 'data-value': String(c.contribution) },
      h('th', { scope: 'row' }, loc(c.label, c.feature)),
      h('td', {}, form.displayValue(c.feature, values?.[c.feature])),
      h('td', { class: 'num' }, h('span', { class: 'contrib-cell' },
        contributionBar(c.contribution, maxAbs),
        h('span', { class: 'contrib__value' }, formatSignedPoints(c.contribution)))),
    ));
  }
}
