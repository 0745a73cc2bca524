// <credit-score-form>: the schema-driven applicant form and its result in a Shadow DOM, for any
// page. It is the app's own form and result panel (../js/form.js, ../js/result.js, the one
// translation table ../js/i18n.js) on a scorer of ./credit-scorer.js, with the same objects in
// its events as the library's calls:
//   score    detail: the ScoreResult of `scorer.score(values)`, for each result of new values
//            (and again once the form is valid after it was not)
//   invalid  detail: the ScorerError (kind `invalid`, `field`, `errors`) `score` rejects with,
//            when the form shows a field error (after a submit, a field left, or in what-if)
//   error    detail: the ScorerError of a failed engine start, model load or score
// Attributes: `model` (URL of the .onnx, resolved against the document), `model-integrity`
// (its SRI hash), `assets` (the engine builds' directory; default the package's pkg/), `engine`
// (`auto` | `scalar`), `lang` (`en` | `zh`). Style: CSS custom properties `--csf-*` and the
// parts named in credit-score-form.css.js.

import { createScorer, ScorerError } from './credit-scorer.js';
import { FORM_CSS } from './credit-score-form.css.js';
import { ApplicantForm } from '../js/form.js';
import { renderResult } from '../js/result.js';
import { h, show, renderStaticTexts } from '../js/dom.js';
import { t, lang, inLang, langOf, hasLang, ensureLang } from '../js/i18n.js';

let sheet = null; // one constructed stylesheet shared by every element (never changed)
function styles() {
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(FORM_CSS);
  }
  return sheet;
}

const T = (key, attrs = {}, ...children) => h(key, attrs, ...children);
const text = (tag, key, attrs = {}) => T(tag, { ...attrs, 'data-i18n': key }, t(key));

/** The element's shadow tree: the ids ../js/form.js and ../js/result.js render into. */
function tree() {
  return T('div', { class: 'csf', part: 'container' },
    T('p', { id: 'status', class: 'status', part: 'status', role: 'status' }),
    T('p', { id: 'alert', class: 'alert', part: 'alert', role: 'alert', hidden: true }),
    T('form', { id: 'applicant', class: 'form', part: 'form', novalidate: true },
      T('div', { id: 'fields', class: 'fields' }),
      T('p', { id: 'form-summary', class: 'form-summary', part: 'summary', hidden: true }),
      T('div', { id: 'form-actions', class: 'actions', hidden: true },
        text('button', 'form.score', { type: 'submit', id: 'score-btn', class: 'btn', part: 'button' }))),
    T('section', { id: 'result', class: 'result', part: 'result', 'aria-live': 'polite', 'aria-labelledby': 'result-heading' },
      text('h2', 'result.heading', { id: 'result-heading' }),
      text('p', 'result.empty', { id: 'result-empty', class: 'muted' }),
      text('p', 'result.invalid', { id: 'result-stale', class: 'stale-note', hidden: true }),
      T('div', { id: 'result-body', hidden: true },
        T('div', { class: 'kpis' },
          T('div', { class: 'kpi' }, text('span', 'result.pd', { id: 'pd-label', class: 'kpi__label' }), T('span', { id: 'pd', class: 'kpi__value', part: 'pd' })),
          T('div', { class: 'kpi' }, text('span', 'result.points', { class: 'kpi__label' }),
            T('span', { class: 'kpi__value' }, T('span', { id: 'points', part: 'points' }), ' ', text('span', 'result.points_unit', { class: 'kpi__unit' }))),
          T('div', { class: 'kpi' }, text('span', 'result.band', { class: 'kpi__label' }), T('span', { id: 'band', class: 'band-chip', part: 'band' }))),
        T('p', { id: 'delta', class: 'delta', hidden: true }),
        T('div', { id: 'gauge', class: 'gauge', role: 'img', part: 'gauge' },
          T('div', { id: 'gauge-track', class: 'gauge__track' }),
          T('div', { id: 'gauge-marker', class: 'gauge__marker' }),
          T('div', { class: 'gauge__scale' }, T('span', { id: 'gauge-min' }), T('span', { id: 'gauge-max' }))),
        text('h3', 'result.reasons'),
        T('ol', { id: 'reasons', class: 'reasons', part: 'reasons' }),
        text('p', 'result.no_reasons', { id: 'no-reasons', class: 'muted', hidden: true }),
        T('details', { id: 'all-contributions', class: 'contributions' },
          text('summary', 'result.all'),
          T('table', { class: 'contrib-table' },
            T('thead', {}, T('tr', {},
              text('th', 'result.feature', { scope: 'col' }),
              text('th', 'result.value', { scope: 'col' }),
              text('th', 'result.contribution', { scope: 'col', class: 'num' }))),
            T('tbody', { id: 'contrib-body' }))),
        T('p', { id: 'baseline-note', class: 'muted small' }),
        text('p', 'result.approximate', { id: 'approx-note', class: 'muted small', hidden: true })),
      // result.js keeps a phone's bottom bar in step; inside the element it stays hidden.
      T('div', { id: 'mini-result', class: 'mini-result', hidden: true })));
}

export class CreditScoreForm extends HTMLElement {
  static observedAttributes = ['model', 'model-integrity', 'assets', 'engine', 'lang'];

  constructor() {
    super();
    this.root = this.attachShadow({ mode: 'open' });
    this.root.adoptedStyleSheets = [styles()];
    this.scorer = null; // the library's scorer (created when connected)
    this.model = null; // the loaded ModelInfo
    this.form = null;
    this.session = null; // { result, values, sig, delta, stale, seq, lastInvalid }
    this.loading = null;
  }

  /** The table language for this element's `lang` attribute (else the nearest ancestor's). */
  get uiLang() {
    return langOf(this.closest('[lang]')?.getAttribute('lang') ?? 'en');
  }

  render(f) {
    const l = this.uiLang;
    // Another language's table is imported on first use; say it all again once it is here.
    if (!hasLang(l)) ensureLang(l).then((ok) => { if (ok && this.uiLang === l) this.rerender(); });
    return inLang(l, f);
  }

  /** The language the element's texts are in now (`data-lang`: 'en' or 'zh-CN'). */
  get shownLang() {
    return hasLang(this.uiLang) ? this.uiLang : inLang(this.uiLang, lang);
  }

  connectedCallback() {
    if (this.scorer) return;
    this.render(() => {
      this.root.replaceChildren(tree());
      this.form = new ApplicantForm(() => this.requestScore(), this.root, { translate: (f) => this.render(f) });
    });
    this.$('applicant').addEventListener('submit', async (e) => {
      e.preventDefault();
      this.form.submitted = true;
      await this.requestScore();
      this.render(() => this.form.focusFirstInvalid());
    });
    this.start();
  }

  disconnectedCallback() {
    this.scorer?.close();
    this.scorer = null;
    this.model = null;
  }

  attributeChangedCallback(name, old, value) {
    if (old === value || !this.form) return;
    if (name === 'lang') this.rerender();
    else this.start(); // a new model or engine: start over
  }

  $(id) {
    return this.root.getElementById(id);
  }

  /** The raw values of the form, by feature name. */
  get values() {
    return this.form?.values() ?? {};
  }

  /** Puts values into the form, as if typed, and scores them. */
  set values(values) {
    this.form?.setValues(values);
  }

  /** The last valid result (a ScoreResult), or null. */
  get result() {
    return this.session?.result ?? null;
  }

  /** Resolves once the model is loaded (with its ModelInfo); rejects as the `error` event says. */
  get ready() {
    return this.loading ?? Promise.reject(new ScorerError('no_model', 'the element is not connected'));
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  status(key) {
    const el = this.$('status');
    el.dataset.i18n = key ?? '';
    el.textContent = key ? this.render(() => t(key)) : '';
    show(el, !!key);
  }

  fail(err) {
    const el = this.$('alert');
    el.textContent = `${err.kind}: ${err.message}`;
    el.dataset.kind = err.kind;
    show(el, true);
    this.emit('error', err);
  }

  start() {
    this.scorer?.close();
    const assets = this.getAttribute('assets');
    const engine = this.getAttribute('engine') === 'scalar' ? 'scalar' : 'auto';
    this.scorer = createScorer({ ...(assets ? { assetsUrl: new URL(assets, document.baseURI) } : {}), engine });
    this.model = null;
    this.session = { result: null, values: null, sig: null, delta: null, stale: false, seq: 0, lastInvalid: null, announced: null };
    show(this.$('alert'), false);
    this.status('app.loading');
    const src = this.getAttribute('model');
    const scorer = this.scorer;
    this.loading = (async () => {
      if (!src) throw new ScorerError('no_model', 'set the model attribute to the URL of an .onnx model');
      const integrity = this.getAttribute('model-integrity') || undefined;
      return scorer.load(new URL(src, document.baseURI), { integrity });
    })();
    this.loading.then((model) => {
      if (scorer !== this.scorer) return;
      this.model = model;
      this.status(null);
      this.render(() => {
        this.form.reset();
        this.form.build(model.schema);
        this.parts();
      });
      this.rerender();
      this.requestScore();
    }, (err) => {
      if (scorer !== this.scorer) return;
      this.status(null);
      this.fail(err instanceof ScorerError ? err : new ScorerError('error', String(err?.message ?? err)));
    });
    this.loading.catch(() => {});
  }

  /** `part` names for the form's fields, so that a page can style them with ::part(). */
  parts() {
    for (const [, r] of this.form.fields) {
      r.wrap.setAttribute('part', 'field');
      r.label.setAttribute('part', 'label');
      r.input.setAttribute('part', 'input');
      r.hint.setAttribute('part', 'hint');
      r.error.setAttribute('part', 'field-error');
    }
    this.form.search?.input.setAttribute('part', 'search');
    for (const s of this.form.sections) {
      s.details.setAttribute('part', 'section');
      s.details.querySelector('summary').setAttribute('part', 'section-summary');
    }
  }

  async requestScore() {
    const scorer = this.scorer;
    if (!this.model || !scorer) return;
    const s = this.session;
    const values = this.form.values();
    const seq = ++s.seq;
    let result = null;
    let invalid = null;
    try {
      result = await scorer.score(values);
    } catch (err) {
      if (seq !== s.seq || scorer !== this.scorer) return;
      if (err?.kind !== 'invalid') {
        this.fail(err);
        return;
      }
      invalid = err;
    }
    if (seq !== s.seq || scorer !== this.scorer) return; // a newer edit is on its way
    this.form.errors = invalid?.errors ?? [];
    if (result) {
      const sig = JSON.stringify(values);
      if (sig !== s.sig) {
        s.delta = s.result ? Math.round(result.points) - Math.round(s.result.points) : null;
        Object.assign(s, { result, values, sig });
      }
      s.stale = false;
      s.lastInvalid = null;
    } else {
      s.stale = s.result !== null;
    }
    this.rerender();
    // `invalid` once per set of errors the form shows (not for fields nobody has touched yet).
    const shown = this.form.errors.some((e) => !this.$(`f-${e.field}-error`)?.hidden);
    const key = invalid ? JSON.stringify(invalid.errors) : null;
    if (invalid && shown && key !== s.lastInvalid) {
      s.lastInvalid = key;
      this.emit('invalid', invalid);
    }
    // `score` for every result of other values than the last one announced, and again when the
    // form is valid after being invalid (the host may have acted on the `invalid`).
    if (result && s.announced !== s.sig) {
      s.announced = s.sig;
      this.emit('score', result);
    } else if (invalid) {
      s.announced = null;
    }
  }

  /** Says everything again in the element's language. */
  rerender() {
    this.render(() => {
      renderStaticTexts(this.root);
      if (this.$('status').dataset.i18n) this.$('status').textContent = t(this.$('status').dataset.i18n);
      if (!this.model) return;
      const s = this.session;
      this.form.renderTexts();
      this.form.renderErrors(s.result !== null);
      renderResult({
        model: this.model, result: s.result, values: s.values, stale: s.stale, delta: s.delta, form: this.form, root: this.root,
      });
      show(this.$('mini-result'), false);
    });
    this.setAttribute('data-state', this.model ? (this.session.result ? (this.session.stale ? 'stale' : 'scored') : 'ready') : 'loading');
    this.setAttribute('data-lang', this.shownLang);
  }
}

if (!customElements.get('credit-score-form')) customElements.define('credit-score-form', CreditScoreForm);
