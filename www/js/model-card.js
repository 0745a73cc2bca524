// The model card panel: name, version, source, data set, licence, test metrics, intended use,
// limits, the characteristics deliberately left out, the file's SHA-256 and the engine that runs
// it; and the note under the form for a model without a schema. Read from the model's metadata.

import { $, h, show } from './dom.js';
import { t, loc, locList, formatNumber } from './i18n.js';

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

/** Where the model came from, as the card and the record say it. */
export function sourceText(source) {
  return source.kind === 'file' ? t('model.source_file', { name: source.name }) : t('model.source_reference');
}

/** Shows the card of `m` ({ k, sha256, engine, build, schema, source }); nothing for null. */
export function renderCard(m) {
  const dl = $('card');
  dl.replaceChildren();
  if (!m) return;
  const s = m.schema;
  const card = s.model_card && typeof s.model_card === 'object' ? s.model_card : null;

  cardRow(dl, t('model.name'), s.model?.name);
  cardRow(dl, t('model.version'), s.model?.version || card?.version);
  cardRow(dl, t('model.source'), sourceText(m.source));
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
