// The recourse panel's target-band select, drawn by the page as soon as a model is loaded (before
// recourse.js, which the page imports after it is ready, takes the panel over), so the panel looks
// the same before and after.

import { $, h } from './dom.js';
import { t, loc } from './i18n.js';

/** A band as the recourse panel names it: its id and label. */
export const bandText = (band) => `${band.id} · ${loc(band.label, '')}`;

/** The worst band within the model card's approval cut-off (as the core's default), or null. */
export function defaultTarget(model) {
  const schema = model?.schema;
  const cut = schema?.model_card?.fair_lending?.approval_max_pd;
  if (typeof cut !== 'number' || !(cut > 0 && cut <= 1)) return null;
  const fits = (schema.bands ?? []).filter((b) => Math.fround(b.max_pd) <= Math.fround(cut));
  return fits.at(-1)?.id ?? null;
}

/** Lists `model`'s bands in the target select, the default marked, and selects `target`. */
export function renderTargetSelect(model, target) {
  const select = $('recourse-target');
  const bands = model?.schema?.bands ?? [];
  const dflt = defaultTarget(model);
  select.replaceChildren(
    ...(dflt ? [] : [h('option', { value: '' }, t('recourse.choose_band'))]),
    ...bands.map((b) => h('option', { value: b.id },
      b.id === dflt ? t('recourse.band_cutoff', { band: bandText(b) }) : bandText(b))),
  );
  select.value = target ?? '';
}
