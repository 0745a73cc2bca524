// The credit decision record: what the print stylesheet prints (model, its hash and source, the
// date and time of the result, the applicant's inputs, the result and its main reasons, and the
// officer's recorded decision with the SHA-256 of its decision record).

import { $, h } from './dom.js';
import { t, loc, formatPercent, formatDateTime, formatPoints, formatSignedPoints } from './i18n.js';
import { sourceText } from './model-card.js';

/**
 * Fills the record.
 * @param {object} view
 * @param {object|null} view.model the loaded model
 * @param {object|null} view.result the last valid result
 * @param {object|null} view.values the values that produced it (else the form's current values)
 * @param {Date|null} view.scoredAt when it was scored
 * @param {{ record: object, sha256: string }|null} view.decision the recorded decision (js/decision.js)
 * @param {import('./form.js').ApplicantForm} view.form the form
 */
export function renderRecord({ model: m, result: res, values, scoredAt, decision, form }) {
  renderDecisionLine(decision);
  const meta = $('record-meta');
  meta.replaceChildren();
  if (!m) return;
  const row = (dl, label, value, id) => dl.append(h('div', {}, h('dt', {}, label), h('dd', { id }, value)));
  row(meta, t('record.model'), m.schema.model?.name ?? '', 'record-model');
  row(meta, t('model.version'), m.schema.model?.version || '—', 'record-version');
  row(meta, t('model.sha256'), m.sha256, 'record-sha');
  row(meta, t('model.source'), sourceText(m.source), 'record-source');
  row(meta, t('record.datetime'), formatDateTime(scoredAt ?? new Date()), 'record-datetime');

  const inputs = $('record-inputs');
  inputs.replaceChildren();
  const shown = res ? values : form.values();
  for (const [name, r] of form.fields) {
    inputs.append(h('tr', {}, h('th', { scope: 'row' }, loc(r.feature.label, name)),
      h('td', {}, form.displayValue(name, shown?.[name]))));
  }
  const result = $('record-result');
  result.replaceChildren();
  const reasons = $('record-reasons');
  reasons.replaceChildren();
  if (!res) {
    result.append(h('div', {}, h('dd', {}, t('record.none'))));
    return;
  }
  row(result, t('result.pd'), formatPercent(res.pd, 1), 'record-pd');
  row(result, t('result.points'), `${formatPoints(res.points)} ${t('result.points_unit')}`, 'record-points');
  row(result, t('result.band'), `${res.band?.id ?? '?'} · ${loc(res.band?.label)}`, 'record-band');
  for (const r of res.reasons) {
    reasons.append(h('li', {}, `${loc(r.text, r.feature)} (${t('result.pts', { value: formatSignedPoints(r.contribution) })})`));
  }
  if (!res.reasons.length) reasons.append(h('li', {}, t('result.no_reasons')));
}

/** The decision line: blank to sign by hand, or the recorded decision and its record's hash. */
function renderDecisionLine(decision) {
  const el = $('record-decision');
  el.classList.toggle('record__line', !decision);
  if (!decision) {
    el.textContent = '';
    return;
  }
  const d = decision.record.decision;
  const override = d.override
    ? ` ${t('decision.recorded_override', { from: d.override.model_band?.id ?? '?', to: d.override.band?.id ?? '?', reason: d.override.reason })}`
    : '';
  el.textContent = t('decision.record_line', {
    action: t(`decision.${d.action}`),
    datetime: formatDateTime(new Date(decision.record.recorded_at)),
    hash: decision.sha256,
  }) + override;
}
