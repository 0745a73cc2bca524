// The adverse-action notice the print stylesheet prints for a decline or a counter-offer, laid out
// like Regulation B's sample forms (12 CFR 1002, Appendix C, C-1 to C-5): the creditor, the action
// taken and its date, the principal reasons (the result's four reasons, as the page shows them),
// the score with its range, date and key factors, what could change the outcome (hidden while the
// record has no recourse options), the consumer reporting agency and the FCRA 615(a) text, the
// ECOA notice, and the SHA-256 of the decision record. Everything comes from the recorded decision
// record and the lender's deployment file, in the page's language.

import { $, h } from './dom.js';
import { t, loc, formatDate, formatPoints, formatPercent } from './i18n.js';
import { displayValue } from './form.js';

/** A blank line to fill in by hand (the page never asks for the applicant's name or address). */
const line = () => h('span', { class: 'aa-notice__line' });

function fact(dl, label, value, id) {
  dl.append(h('div', {}, h('dt', {}, label), h('dd', { id }, value)));
}

/**
 * One recourse option as a line of text: what changes, and what the model would then give. An
 * option is the engine's (`Scorer.recourse`): `{ changes: [{ feature, label, from, to, from_label,
 * to_label }], pd, points, band }`.
 */
function recourseText(option, features) {
  const changes = (option.changes ?? []).map((c) => {
    const f = features.get(c.feature);
    const value = (label, raw) => (label ? loc(label) : displayValue(f, raw));
    return `${loc(c.label ?? f?.label, c.feature)}: ${value(c.from_label, c.from)} → ${value(c.to_label, c.to)}`;
  });
  const outcome = [
    option.band?.id ? `${option.band.id} · ${loc(option.band.label, '')}` : null,
    typeof option.points === 'number' ? `${formatPoints(option.points)} ${t('result.points_unit')}` : null,
    typeof option.pd === 'number' ? formatPercent(option.pd, 1) : null,
  ].filter(Boolean);
  return [changes.join('; '), outcome.join(', ')].filter(Boolean).join(' — ');
}

/**
 * Fills the notice.
 * @param {object} view
 * @param {{ record: object, sha256: string }|null} view.recorded the recorded decision
 * @param {{ texts: object, unfilled: string[], error: string|null }|null} view.deployment js/deployment.js
 * @param {object|null} view.model the loaded model (its schema's feature labels)
 */
export function renderNotice({ recorded, deployment, model }) {
  const root = $('adverse-notice');
  root.replaceChildren();
  if (!recorded) return;
  const { record, sha256 } = recorded;
  const text = (path) => loc(deployment?.texts?.[path] ?? null, t('notice.missing'));
  const out = record.model_output;

  const unfilled = deployment?.unfilled ?? [];
  if (deployment?.error || unfilled.length) {
    root.append(h('p', { class: 'aa-notice__banner', id: 'aa-banner' },
      deployment?.error ? t('notice.load_failed', { error: deployment.error }) : t('notice.placeholders', { fields: unfilled.join(', ') })));
  }

  root.append(h('header', { class: 'aa-notice__creditor' },
    h('p', { class: 'aa-notice__creditor-name', id: 'aa-creditor-name' }, text('creditor.name')),
    h('p', { class: 'aa-notice__address', id: 'aa-creditor-address' }, text('creditor.address')),
    h('p', { id: 'aa-creditor-phone' }, text('creditor.phone'))));

  const counter = record.decision.action === 'counter_offer';
  root.append(h('h2', { id: 'aa-title' }, t(counter ? 'notice.title_counter' : 'notice.title_denial')));

  const facts = h('dl', { class: 'aa-notice__facts' });
  fact(facts, t('notice.date'), formatDate(new Date(record.recorded_at)), 'aa-date');
  fact(facts, t('notice.applicant_name'), line());
  fact(facts, t('notice.applicant_address'), line());
  fact(facts, t('notice.credit'), line());
  fact(facts, t('notice.action'), t(counter ? 'notice.action_counter' : 'notice.action_decline'), 'aa-action');
  root.append(facts);
  if (counter) {
    root.append(h('p', {}, t('notice.counter_terms')),
      h('p', { class: 'aa-notice__terms', id: 'aa-counter-offer' }, record.decision.counter_offer),
      h('p', {}, t('notice.counter_accept')));
  }

  root.append(h('h3', {}, t('notice.part1')));
  const reasons = h('ol', { id: 'aa-reasons', class: 'aa-notice__reasons' });
  for (const r of out.reasons) reasons.append(h('li', { 'data-feature': r.feature }, loc(r.text, loc(r.label, r.feature))));
  if (!out.reasons.length) reasons.append(h('li', {}, t('result.no_reasons')));
  root.append(reasons);

  root.append(h('h3', {}, t('notice.score_heading')), h('p', {}, t('notice.score_intro')));
  const score = h('dl', { class: 'aa-notice__facts' });
  fact(score, t('notice.score'), `${formatPoints(out.points)} ${t('result.points_unit')}`, 'aa-score');
  fact(score, t('notice.score_date'), formatDate(new Date(out.scored_at)), 'aa-score-date');
  fact(score, t('notice.score_range'), t('notice.score_range_value', {
    min: formatPoints(out.points_range.min), max: formatPoints(out.points_range.max),
  }), 'aa-score-range');
  root.append(score, h('p', { class: 'aa-notice__label' }, t('notice.key_factors')));
  const factors = h('ol', { id: 'aa-key-factors', class: 'aa-notice__reasons' });
  for (const r of out.reasons) factors.append(h('li', { 'data-feature': r.feature }, loc(r.label, r.feature)));
  root.append(factors);

  const features = new Map((model?.schema.features ?? []).map((f) => [f.name, f]));
  const recourse = h('section', { id: 'aa-recourse', hidden: record.recourse.length === 0 },
    h('h3', {}, t('notice.recourse')), h('p', {}, t('notice.recourse_intro')),
    h('ol', {}, record.recourse.map((o) => h('li', {}, recourseText(o, features)))));
  root.append(recourse);

  root.append(h('h3', {}, t('notice.part2')), h('p', { id: 'aa-fcra' }, text('fcra_notice')));
  const cra = h('dl', { class: 'aa-notice__facts' });
  fact(cra, t('notice.name'), text('consumer_reporting_agency.name'), 'aa-cra-name');
  fact(cra, t('notice.address'), h('span', { class: 'aa-notice__address' }, text('consumer_reporting_agency.address')));
  fact(cra, t('notice.phone'), text('consumer_reporting_agency.phone'));
  root.append(cra);

  root.append(h('h3', {}, t('notice.ecoa')), h('p', { id: 'aa-ecoa' }, text('ecoa_notice')));

  const ref = h('dl', { class: 'aa-notice__facts aa-notice__ref' });
  fact(ref, t('notice.record_hash'), h('span', { class: 'hash' }, sha256), 'aa-record-sha');
  fact(ref, t('record.model'), `${record.model.name ?? ''} ${record.model.version ?? ''}`.trim() || '—', 'aa-model');
  fact(ref, t('model.sha256'), h('span', { class: 'hash' }, record.model.sha256));
  root.append(h('footer', {}, ref));
}

