// The applicant form: built from the model's schema, with each field's hint (help, range, unit)
// and its error in the current language. An error shows once the field was left after an edit,
// after a submit, or, once there is a result (what-if), as soon as it is typed.
// A wide model's form: sections from the schema's `groups` (collapsible, each saying how many of
// its fields are filled and how many need correcting), and a search box that filters the fields
// by label and name, shown with sections or above SEARCH_FROM fields.

import { h, show } from './dom.js';
import { t, loc, lang, formatNumber } from './i18n.js';

/** From this many fields on, a form without sections has a search box too. */
const SEARCH_FROM = 16;

/** Lower case, one space between words: how labels and the query compare. */
const fold = (s) => String(s).normalize('NFKC').toLowerCase().replace(/[\s_]+/g, ' ').trim();

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
   * @param {{ translate?: (f: () => void) => void }} [options] `translate` runs what the form says
   *   on its own (the search's answer, the sections' counts) in the right language: an element's
   *   own, not the page's
   */
  constructor(onEdit, root = document, { translate = (f) => f() } = {}) {
    this.onEdit = onEdit;
    this.root = root;
    this.translate = translate;
    this.schema = null;
    this.fields = new Map(); // feature name -> { feature, wrap, label, input, unit, hint, error, options, section }
    this.order = []; // feature names in the order the form shows them
    this.sections = []; // { group, details, title, count, invalid, names, wasInvalid }
    this.search = null; // { input, label, status, openBefore } when the form has a search box
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
      this.fields.set(f.name, { feature: f, wrap, label, input, unit, hint, error, options, section: null });

      input.addEventListener('input', () => this.edited(f.name, false));
      input.addEventListener('change', () => this.edited(f.name, true));
    }
    this.buildLayout(container, schema);
    this.renderTexts();
  }

  /** Puts the fields into `container`: in sections when the schema has groups, with a search box for wide forms. */
  buildLayout(container, schema) {
    const groups = Array.isArray(schema.groups) ? schema.groups : [];
    const wrapOf = (name) => this.fields.get(name).wrap;
    this.sections = [];
    this.search = null;
    container.classList.toggle('fields--sections', groups.length > 0 || this.fields.size >= SEARCH_FROM);
    if (groups.length > 0 || this.fields.size >= SEARCH_FROM) container.append(this.buildSearch());
    if (groups.length === 0) {
      this.order = [...this.fields.keys()];
      const wraps = this.order.map(wrapOf);
      // Today's layout: the fields themselves are the grid (with a search box, a grid below it).
      if (this.search) container.append(h('div', { class: 'fields__grid' }, wraps));
      else container.append(...wraps);
      return;
    }
    this.order = [];
    groups.forEach((group, i) => {
      const names = schema.features.filter((f) => f.group === group.id).map((f) => f.name);
      const titleId = `section-${i}-title`;
      const title = h('span', { class: 'section__title', id: titleId });
      const count = h('span', { class: 'section__count' });
      const invalid = h('span', { class: 'section__invalid', hidden: true });
      // The open/closed arrow (a flex summary has no marker), hidden from screen readers: the
      // summary says expanded or collapsed itself.
      const chevron = h('span', { class: 'section__chevron', 'aria-hidden': 'true' });
      const summary = h('summary', { class: 'section__summary' }, h('span', { class: 'section__heading' }, chevron, title),
        h('span', { class: 'section__status' }, count, invalid));
      const body = h('div', { class: 'section__body fields__grid', role: 'group', 'aria-labelledby': titleId }, names.map(wrapOf));
      const details = h('details', { class: 'section', 'data-group': group.id, open: true }, summary, body);
      const section = { group, details, title, count, invalid, names, wasInvalid: false };
      for (const n of names) this.fields.get(n).section = section;
      this.sections.push(section);
      this.order.push(...names);
      container.append(details);
    });
  }

  buildSearch() {
    const input = h('input', {
      id: 'field-search', type: 'search', class: 'form-search__input', autocomplete: 'off', spellcheck: 'false',
      'aria-describedby': 'field-search-status', 'aria-controls': 'fields',
    });
    const label = h('label', { for: 'field-search', class: 'form-search__label', id: 'field-search-label' });
    const status = h('p', { id: 'field-search-status', class: 'form-search__status', role: 'status' });
    this.search = { input, label, status, openBefore: null };
    input.addEventListener('input', () => this.translate(() => this.filter()));
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        // Not a submit: go to the first field that matches.
        e.preventDefault();
        this.order.map((n) => this.fields.get(n)).find((r) => !r.wrap.hidden)?.input.focus();
      } else if (e.key === 'Escape' && input.value) {
        e.preventDefault();
        e.stopPropagation();
        input.value = '';
        this.translate(() => this.filter());
      }
    });
    return h('div', { class: 'form-search', role: 'search' }, label, input, status);
  }

  /** Shows the fields whose label (in the current language) or name holds every word of the query. */
  filter() {
    if (!this.search) return;
    const words = fold(this.search.input.value).split(' ').filter(Boolean);
    let matches = 0;
    for (const r of this.fields.values()) {
      const hay = `${fold(r.label.textContent)} ${fold(r.feature.name)}`;
      const match = words.every((w) => hay.includes(w));
      r.wrap.hidden = !match;
      if (match) matches++;
    }
    const searching = words.length > 0;
    // Sections open while a query shows their matches; as the user left them once it is cleared.
    if (searching && !this.search.openBefore) this.search.openBefore = this.sections.map((s) => s.details.open);
    this.sections.forEach((s, i) => {
      const shown = s.names.filter((n) => !this.fields.get(n).wrap.hidden).length;
      s.details.hidden = searching && shown === 0;
      if (searching && shown > 0) s.details.open = true;
      else if (!searching && this.search.openBefore) s.details.open = this.search.openBefore[i];
    });
    if (!searching) this.search.openBefore = null;
    const { status } = this.search;
    status.textContent = !searching ? ''
      : matches ? t('form.search_matches', { count: matches })
        : t('form.search_none', { query: this.search.input.value.trim() });
    status.classList.toggle('form-search__status--none', searching && matches === 0);
    this.root.getElementById('fields').dataset.matches = searching ? String(matches) : '';
  }

  /** Makes field `r` visible: its section open, the search cleared if it hides it. */
  reveal(r) {
    if (!r) return;
    if (r.wrap.hidden && this.search) {
      this.search.input.value = '';
      this.filter();
    }
    if (r.section) r.section.details.open = true;
  }

  /** Each section's counts: fields filled, and fields whose error shows. */
  renderCounts() {
    for (const [i, s] of this.sections.entries()) {
      const rs = s.names.map((n) => this.fields.get(n));
      const done = rs.filter((r) => r.input.value.trim() !== '').length;
      const invalid = rs.filter((r) => r.wrap.classList.contains('field--invalid')).length;
      s.count.textContent = t('form.section_count', { done, total: rs.length });
      s.invalid.textContent = invalid ? t('form.section_invalid', { count: invalid }) : '';
      show(s.invalid, invalid > 0);
      Object.assign(s.details.dataset, { done: String(done), total: String(rs.length), invalid: String(invalid) });
      s.details.classList.toggle('section--invalid', invalid > 0);
      // A section opens when a field in it turns invalid (not again while it stays so: the user
      // may close it), and stays open once a search is cleared.
      if (invalid > 0 && !s.wasInvalid) {
        s.details.open = true;
        if (this.search?.openBefore) this.search.openBefore[i] = true;
      }
      s.wasInvalid = invalid > 0;
    }
  }

  edited(name, committed) {
    if (committed) this.committed.add(name);
    this.translate(() => this.renderCounts());
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
    for (const s of this.sections) s.title.textContent = loc(s.group.label, s.group.id);
    if (this.search) {
      this.search.label.textContent = t('form.search');
      this.search.input.placeholder = t('form.search_placeholder');
    }
    this.renderCounts();
    this.filter(); // the labels the query is matched against are in the new language
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
      if (r.section) r.section.details.open = true; // the officer sees what changed
      name = n;
    }
    this.translate(() => this.renderCounts());
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
    this.root.getElementById('applicant').reset(); // (the search box too)
    this.reset();
    this.filter();
    this.renderCounts();
  }

  focusFirst() {
    const first = this.fields.get(this.order[0]);
    this.reveal(first);
    first?.input.focus();
  }

  /** Focuses the first field (as the form shows them) with an error; false when there is none. */
  focusFirstInvalid() {
    const invalid = new Set(this.errors.map((er) => er.field));
    const first = this.fields.get(this.order.find((n) => invalid.has(n)));
    this.reveal(first);
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
    this.renderCounts();
    const summary = this.root.getElementById('form-summary');
    summary.textContent = this.submitted && shown ? t('err.summary', { count: shown }) : '';
    show(summary, !!summary.textContent);
  }
}
