// What would change the outcome (recourse): for an applicant whose band is worse than a target
// band (the model card's approval cut-off unless the officer picks another), the engine Worker
// searches the smallest sets of changes to the characteristics the model marks actionable that
// reach it; this panel shows up to three, each with the PD, points and band it would give, and
// applies one to the form in one click. The search runs only once a score has settled and the
// officer has paused (DEBOUNCE_MS), never on every keystroke; the page computes no score itself.
//
// Other panels (the decision record) read the last search with `lastRecourse()`, or listen for
// the `credit-scorer:recourse` event on `document` (its `detail` is the same object).

import { $, h, show, safeColor } from './dom.js';
import { t, loc, lang, formatPercent, formatPoints } from './i18n.js';
import { displayValue } from './form.js';
import { bandText, defaultTarget, renderTargetSelect } from './recourse-target.js';

/** How long the form must stay unchanged after a score before the search starts. */
export const DEBOUNCE_MS = 350;

let last = null;

/**
 * The recourse for the applicant shown now, or null (no valid result, or the search for it has
 * not answered yet): { values, targetBand, currentBand, alreadyMet, result }, where `values` are
 * the form values searched (the same object the result was scored from), `result` the engine's
 * RecourseResult (src/wasm.rs; null when the band already meets the target, which needs no search).
 */
export function lastRecourse() {
  return last;
}

function publish(value) {
  last = value;
  document.dispatchEvent(new CustomEvent('credit-scorer:recourse', { detail: value }));
}

/** The shortest decimal that is the same float32 (the engine validates values as float32). */
export function formValue(x) {
  if (Number.isInteger(x)) return String(x);
  for (let p = 1; p <= 9; p++) {
    const s = Number(x.toPrecision(p));
    if (Math.fround(s) === Math.fround(x)) return String(s);
  }
  return String(x);
}

export class RecoursePanel {
  /**
   * @param {object} options
   * @param {{ recourse(values: object, targetBand: string): Promise<object> }} options.engine
   * @param {(values: Record<string, string>) => void} options.onApply puts values into the form
   */
  constructor({ engine, onApply }) {
    this.engine = engine;
    this.onApply = onApply;
    this.model = null;
    this.target = null; // the band id aimed for
    this.view = null; // the page's last view ({ model, result, values, stale })
    this.timer = null;
    this.asked = null; // the key of the search in flight or answered
    this.answer = null; // { key, result } | { key, error }
    this.shown = null; // the answer and language the options on screen were drawn for
    $('recourse-target').addEventListener('change', (e) => {
      this.target = e.target.value || null;
      this.update(this.view);
    });
  }

  /** A new model: the target select lists its bands, the default is its approval cut-off. */
  setModel(model) {
    this.model = model;
    this.target = this.defaultTarget();
    this.forget();
    this.renderSelect();
  }

  /** The worst band within the model card's approval cut-off (as the core's default), or null. */
  defaultTarget() {
    return defaultTarget(this.model);
  }

  forget() {
    clearTimeout(this.timer);
    this.timer = null;
    this.asked = null;
    this.answer = null;
    if (last) publish(null);
  }

  renderSelect() {
    renderTargetSelect(this.model, this.target);
  }

  /** After every result (or its absence): schedules a search when one is due, and redraws. */
  update(view) {
    this.view = view;
    const { model, result, values, stale } = view ?? {};
    const panel = $('recourse');
    const bands = model?.schema?.bands ?? [];
    show(panel, !!model && bands.length > 0);
    if (!result || stale || !values) {
      this.forget();
      this.render('empty');
      return;
    }
    const now = bands.findIndex((b) => b.id === result.band?.id);
    const target = bands.findIndex((b) => b.id === this.target);
    if (target < 0 || now < 0) {
      this.forget();
      this.render(target < 0 ? 'no_target' : 'empty');
      return;
    }
    if (now <= target) {
      // Already in the target band or a better one: nothing to search.
      clearTimeout(this.timer);
      this.asked = null;
      this.answer = null;
      publish({ values, targetBand: this.target, currentBand: result.band.id, alreadyMet: true, result: null });
      this.render('met');
      return;
    }
    const key = JSON.stringify([values, this.target]);
    if (this.answer?.key === key) {
      this.render('answer');
      return;
    }
    if (this.asked !== key) {
      clearTimeout(this.timer);
      this.asked = key;
      if (last) publish(null);
      const target = this.target;
      this.timer = setTimeout(() => this.search(key, values, target, result.band.id), DEBOUNCE_MS);
    }
    this.render('searching');
  }

  async search(key, values, targetBand, currentBand) {
    this.timer = null;
    let answer;
    const start = performance.now();
    try {
      const outcome = await this.engine.recourse(values, targetBand);
      // The round trip through the Worker, for tests and the benchmark.
      performance.measure('credit-scorer:recourse', { start, end: performance.now() });
      answer = outcome.result ? { key, result: outcome.result } : { key, error: outcome.errors?.[0]?.message ?? '' };
    } catch (err) {
      answer = { key, error: `${err.name}: ${err.message}` };
    }
    if (this.asked !== key) return; // the form changed meanwhile
    this.answer = answer;
    if (answer.result) {
      publish({ values, targetBand, currentBand, alreadyMet: answer.result.already_met, result: answer.result });
    }
    this.update(this.view);
  }

  /** Says everything again (a language switch). */
  renderTexts() {
    this.renderSelect();
    this.update(this.view);
  }

  targetBand() {
    return this.model?.schema?.bands?.find((b) => b.id === this.target) ?? null;
  }

  /** Shows the state: 'empty', 'no_target', 'met', 'searching' or 'answer'. */
  render(state) {
    const status = $('recourse-status');
    const list = $('recourse-options');
    // The options on screen stay the same elements while their answer does (a click on Apply
    // must not land on a button that was just replaced).
    if (state === 'answer' && this.shown?.answer === this.answer && this.shown.lang === lang()) return;
    this.shown = null;
    list.replaceChildren();
    show(list, false);
    $('recourse').dataset.state = state;
    const band = this.targetBand();
    const say = (text) => {
      status.textContent = text;
      show(status, !!text);
    };
    if (state === 'empty') return say(t('recourse.empty'));
    if (state === 'no_target') return say(t('recourse.no_target'));
    if (state === 'met') return say(t('recourse.already_met', { band: bandText(band) }));
    if (state === 'searching') return say(t('recourse.searching', { band: bandText(band) }));
    const { result, error } = this.answer;
    if (error != null) {
      $('recourse').dataset.state = 'error';
      return say(t('recourse.failed', { message: error }));
    }
    if (result.already_met) {
      $('recourse').dataset.state = 'met';
      return say(t('recourse.already_met', { band: bandText(band) }));
    }
    if (result.considered.length === 0) {
      $('recourse').dataset.state = 'none';
      return say(t('recourse.nothing_actionable'));
    }
    if (result.options.length === 0) {
      $('recourse').dataset.state = result.proven_none ? 'none' : 'incomplete';
      return say(t(result.proven_none ? 'recourse.proven_none' : 'recourse.incomplete',
        { count: result.searched_up_to, band: bandText(band) }));
    }
    say(t('recourse.found', { count: result.options.length, band: bandText(band) }));
    result.options.forEach((o, i) => list.append(this.optionItem(o, i)));
    show(list, true);
    this.shown = { answer: this.answer, lang: lang() };
  }

  optionItem(option, i) {
    const features = new Map((this.model.schema.features ?? []).map((f) => [f.name, f]));
    const changes = h('ul', { class: 'recourse-option__changes' }, option.changes.map((c) => {
      const f = features.get(c.feature);
      const from = c.from_label ? loc(c.from_label) : displayValue(f, c.from);
      const to = c.to_label ? loc(c.to_label) : displayValue(f, c.to);
      return h('li', { 'data-feature': c.feature, 'data-to': formValue(c.to) },
        t('recourse.change', { label: loc(c.label, c.feature), from, to }));
    }));
    const swatch = h('span', { class: 'recourse-option__swatch', 'aria-hidden': 'true' });
    swatch.style.backgroundColor = safeColor(option.band.color) ?? '#999';
    const headingId = `recourse-option-${i + 1}`;
    const apply = h('button', {
      type: 'button', class: 'btn recourse-option__apply', 'aria-describedby': headingId,
    }, t('recourse.apply'));
    apply.addEventListener('click', () => {
      this.onApply(Object.fromEntries(option.changes.map((c) => [c.feature, formValue(c.to)])));
    });
    return h('li', {
      class: 'recourse-option', 'data-pd': String(option.pd), 'data-points': String(option.points), 'data-band': option.band.id,
    },
    h('h3', { id: headingId, class: 'recourse-option__title' },
      t('recourse.option', { n: i + 1 }), ' · ', t('recourse.changes', { count: option.changes.length })),
    changes,
    h('p', { class: 'recourse-option__outcome' },
      h('span', { class: 'recourse-option__pd' }, t('recourse.pd', { pd: formatPercent(option.pd, 1) })),
      h('span', { class: 'recourse-option__points' }, t('recourse.points', { points: formatPoints(option.points) })),
      h('span', { class: 'recourse-option__band' }, swatch, t('recourse.band', { band: bandText(option.band) }))),
    apply);
  }
}
