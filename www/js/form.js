// The applicant form: built from the model's schema, with each field's hint (help, range, unit)
// and its error in the current language. An error shows once the field was left after an edit,
// after a submit, or, once there is a result (what-if), as soon as it is typed.

import { h, show } from './dom.js';
import { t, loc, lang, formatNumber } from './i18n.js';

function numericRange(f) {
  return { min: f.min ?? null, max: f.max ?? null, unit: loc(f.unit) };
}

/** A raw value of feature `f` as the page shows it: a category's label, a number with its unit. */
export function displayValue(f, raw) {
  if (!f || raw == null || raw === '') return '—';
  if (f.kind === 'categorical') {
    const c = f.categories.find((cat) => String(cat.code) === String(raw));
    return c ? loc(c.label, c.value ?? String(c.code)) : String(raw);
  }
  const n = Number(String(raw).trim());
  const unit = loc(f.unit);
  const s = Number.isFinite(n) ? formatNumber(n) : String(raw);
  return unit ? `${s} ${unit}` : s;
}

export class ApplicantForm {
  /**
   * @param {(name: string, committed: boolean) => void} onEdit called on every edit of a field
   * @param {Document|ShadowRoot} [root] where the form's elements are (`applicant`, `fields`,
   *   `form-actions`, `form-summary`): the page, or a `<credit-score-form>`'s shadow root
   */
  constructor(onEdit, root = document) {
    this.onEdit = onEdit;
    this.root = root;
    this.schema = null;
    this.fields = new Map(); // feature name -> { feature, wrap, label, input, unit, hint, error, options }
    this.committed = new Set(); // fields the user has left after editing (their errors show)
    this.submitted = false;
    this.errors = [];
  }

  /** Replaces the fields with those of `schema`. */
  build(schema) {
    this.schema = schema;
    const container = this.root.getElementById('fields');
    container.replaceChildren();
    // No buttons under an empty form: they appear with the first model's fields.
    show(this.root.getElementById('form-actions'), true);
    this.fields.clear();
    for (const f of schema.features) {
      const id = `f-${f.name}`;
      const label = h('label', { for: id, id: `${id}-label`, class: 'field__label' });
      const hint = h('p', { id: `${id}-hint`, class: 'field__hint' });
      const error = h('p', { id: `${id}-error`, class: 'field__error', hidden: true });
      let input;
      let unit = null;
      const options = [];
      if (f.kind === 'categorical') {
        const blank = h('option', { value: '' });
        input = h('select', { id, name: f.name }, blank);
        for (const c of f.categories) {
          const opt = h('option', { value: String(c.code) });
          options.push({ opt, cat: c });
          input.append(opt);
        }
        options.blank = blank;
      } else {
        input = h('input', {
          id, name: f.name, type: 'text', inputmode: 'decimal', autocomplete: 'off', spellcheck: 'false',
        });
        unit = h('span', { class: 'field__unit', id: `${id}-unit` });
      }
      input.setAttribute('aria-describedby', `${id}-hint`);
      const control = h('div', { class: 'field__control' }, input, unit);
      const wrap = h('div', { class: `field field--${f.kind}`, 'data-field': f.name }, label, control, hint, error);
      container.append(wrap);
      this.fields.set(f.name, { feature: f, wrap, label, input, unit, hint, error, options });

      input.addEventListener('input', () => this.edited(f.name, false));
      input.addEventListener('change', () => this.edited(f.name, true));
    }
    this.renderTexts();
  }

  edited(name, committed) {
    if (committed) this.committed.add(name);
    this.onEdit(name, committed);
  }

  /** Labels, hints and options in the current language. */
  renderTexts() {
    const generic = !!this.schema?.generic;
    for (const [, r] of this.fields) {
      const f = r.feature;
      const label = loc(f.label, f.name);
      // A generic schema's names (x0 … xk) are what its CSV columns and documentation use.
      r.label.textContent = generic && label !== f.name ? `${label} (${f.name})` : label;
      const help = loc(f.help);
      let range = '';
      if (f.kind === 'numeric') {
        const { min, max, unit } = numericRange(f);
        r.unit.textContent = unit;
        show(r.unit, !!unit);
        if (min != null && max != null) {
          range = t(unit ? 'form.range' : 'form.range_nounit', { min: formatNumber(min), max: formatNumber(max), unit });
        } else if (generic) {
          range = t('form.any_number');
        }
      } else {
        r.options.blank.textContent = t('form.choose');
        for (const { opt, cat } of r.options) opt.textContent = loc(cat.label, cat.value ?? String(cat.code));
      }
      r.hint.textContent = [help, range].filter(Boolean).join(' · ');
      show(r.hint, !!r.hint.textContent);
    }
  }

  /** The raw values, by feature name. */
  values() {
    const values = {};
    for (const [name, r] of this.fields) values[name] = r.input.value;
    return values;
  }

  /** Puts `values` ({ name: raw value }) into their fields, as if typed and left, and says so once. */
  setValues(values) {
    let name = null;
    for (const [n, v] of Object.entries(values)) {
      const r = this.fields.get(n);
      if (!r) continue;
      r.input.value = v;
      this.committed.add(n);
      name = n;
    }
    if (name) this.onEdit(name, true);
  }

  /** A raw value of field `name` as the page shows it. */
  displayValue(name, raw) {
    return displayValue(this.fields.get(name)?.feature, raw);
  }

  /** Forgets what the user did (edits, submit, errors), e.g. for a new applicant or model. */
  reset() {
    this.committed.clear();
    this.submitted = false;
    this.errors = [];
  }

  /** Empties every field. */
  clear() {
    this.root.getElementById('applicant').reset();
    this.reset();
  }

  focusFirst() {
    this.fields.values().next().value?.input.focus();
  }

  /** Focuses the first field with an error; false when there is none. */
  focusFirstInvalid() {
    const first = this.errors.map((er) => this.fields.get(er.field)).find(Boolean);
    first?.input.focus();
    return !!first;
  }

  /** The field error in the current language (English: the engine's own message). */
  errorText(err) {
    if (lang() === 'en' && err.message) return err.message;
    const f = this.fields.get(err.field)?.feature;
    if (err.code === 'out_of_range' && f) {
      const { min, max, unit } = numericRange(f);
      const p = { min: min != null ? formatNumber(min) : '', max: max != null ? formatNumber(max) : '', unit };
      if (min != null && max != null) return t('err.out_of_range', p);
      if (min != null) return t('err.out_of_range_min', p);
      return t('err.out_of_range_max', p);
    }
    const key = `err.${err.code}`;
    const s = t(key);
    return s === key ? err.message : s;
  }

  /**
   * Shows the errors that are due, and the summary after a submit.
   * @param {boolean} whatIf whether there is a valid result (problems then show as they are typed)
   */
  renderErrors(whatIf) {
    const visibleNow = (err) => this.submitted || this.committed.has(err.field) || (whatIf && err.code !== 'missing');
    const byField = new Map();
    for (const e of this.errors) if (!byField.has(e.field)) byField.set(e.field, e);
    let shown = 0;
    for (const [name, r] of this.fields) {
      const err = byField.get(name);
      const visible = !!err && visibleNow(err);
      r.error.textContent = visible ? this.errorText(err) : '';
      show(r.error, visible);
      r.wrap.classList.toggle('field--invalid', visible);
      if (visible) {
        shown++;
        r.input.setAttribute('aria-invalid', 'true');
        r.input.setAttribute('aria-describedby', `${r.input.id}-error ${r.input.id}-hint`);
      } else {
        r.input.removeAttribute('aria-invalid');
        r.input.setAttribute('aria-describedby', `${r.input.id}-hint`);
      }
    }
    const summary = this.root.getElementById('form-summary');
    summary.textContent = this.submitted && shown ? t('err.summary', { count: shown }) : '';
    show(summary, !!summary.textContent);
  }
}
