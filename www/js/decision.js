// The officer's decision panel: approve, decline or counter-offer for the result shown, and an
// optional override of the model's risk band, which needs a reason. Recording it asks the page for
// the decision record (js/decision-record.js), then offers the record as a download and, for a
// decline or a counter-offer, the printed adverse-action notice. The page stores nothing: a new
// result, a new model or "Change the decision" drops the recorded one.

import { $, h, show } from './dom.js';
import { t, loc, formatDateTime } from './i18n.js';
import { recordFileName } from './decision-record.js';

/** The actions an officer can take; an adverse-action notice is for the last two. */
export const ACTIONS = Object.freeze(['approve', 'decline', 'counter_offer']);
export const ADVERSE = new Set(['decline', 'counter_offer']);

const bandText = (b) => (b ? `${b.id} · ${loc(b.label, '')}` : '?');

export class DecisionPanel {
  /**
   * @param {object} host
   * @param {(decision: object) => Promise<{ record: object, sha256: string, json: string }>} host.record
   *   builds the record of a decision about the result shown
   * @param {() => void} host.printNotice prints the adverse-action notice of the recorded decision
   */
  constructor(host) {
    this.host = host;
    this.model = null;
    this.result = null;
    this.stale = false;
    this.recorded = null; // { record, sha256, json }
    this.url = null; // object URL of the download
    this.tried = false; // errors show after the first attempt to record
    this.busy = false;
    $('decision-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
    for (const el of document.querySelectorAll('#decision-form [name="action"], #override, #override-band, #override-reason, #counter-offer')) {
      el.addEventListener('input', () => this.renderForm());
      el.addEventListener('change', () => this.renderForm());
    }
    $('decision-change').addEventListener('click', () => {
      this.drop();
      this.render();
      document.querySelector('#decision-form [name="action"]:checked')?.focus();
    });
    $('notice-btn').addEventListener('click', () => this.host.printNotice());
  }

  /** The recorded decision ({ record, sha256, json }), or null. */
  get current() {
    return this.recorded;
  }

  /** Follows the page: the model, the result a decision would be about, and whether it is stale. */
  update({ model, result, stale }) {
    if (model !== this.model || result !== this.result) {
      if (model !== this.model) this.buildBands(model);
      this.model = model;
      this.result = result;
      this.drop();
      this.clearForm();
    }
    this.stale = stale;
    this.render();
  }

  /** Forgets the recorded decision and its download. */
  drop() {
    this.recorded = null;
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = null;
  }

  clearForm() {
    $('decision-form').reset();
    this.tried = false;
  }

  buildBands(model) {
    const select = $('override-band');
    select.replaceChildren(h('option', { value: '' }));
    for (const b of model?.schema.bands ?? []) select.append(h('option', { value: b.id }));
  }

  /** What the form says now, and what is wrong with it. */
  read() {
    const action = document.querySelector('#decision-form [name="action"]:checked')?.value ?? null;
    const override = $('override').checked;
    const band = $('override-band').value;
    // Well-formed text only: the record's canonical form (RFC 8785) refuses lone surrogates.
    const reason = $('override-reason').value.toWellFormed().trim();
    const counterOffer = $('counter-offer').value.toWellFormed().trim();
    const errors = {};
    if (!ACTIONS.includes(action)) errors['decision-action'] = t('decision.err_action');
    if (action === 'counter_offer' && !counterOffer) errors['counter-offer'] = t('decision.err_terms');
    if (override && (!band || band === this.result?.band?.id)) errors['override-band'] = t('decision.err_band');
    if (override && !reason) errors['override-reason'] = t('decision.err_reason');
    const decision = { action, counterOffer, override: override ? { band, reason } : null };
    return { decision, errors };
  }

  async submit() {
    if (!this.result || this.stale || this.busy) return;
    this.tried = true;
    const { decision, errors } = this.read();
    this.renderForm();
    if (Object.keys(errors).length) {
      const id = Object.keys(errors)[0];
      const first = id === 'decision-action' ? document.querySelector('#decision-form [name="action"]') : $(id);
      first?.focus();
      return;
    }
    this.busy = true;
    try {
      const result = this.result;
      const recorded = await this.host.record(decision);
      if (result !== this.result) return; // a new result arrived meanwhile: that decision is void
      this.recorded = recorded;
      this.url = URL.createObjectURL(new Blob([recorded.json], { type: 'application/json' }));
    } finally {
      this.busy = false;
    }
    this.render();
    $('decision-summary').focus();
  }

  /** The form's texts and errors. */
  renderForm() {
    const { decision, errors } = this.read();
    show($('counter-offer-field'), decision.action === 'counter_offer');
    show($('override-fields'), !!decision.override);
    const fieldError = (id, input) => {
      const el = $(`${id}-error`);
      const text = this.tried ? errors[id] ?? '' : '';
      el.textContent = text;
      show(el, !!text);
      if (input) {
        if (text) input.setAttribute('aria-invalid', 'true');
        else input.removeAttribute('aria-invalid');
      }
    };
    fieldError('decision-action', null);
    fieldError('counter-offer', $('counter-offer'));
    fieldError('override-band', $('override-band'));
    fieldError('override-reason', $('override-reason'));
    $('override-band').options[0].textContent = t('form.choose');
    const bands = this.model?.schema.bands ?? [];
    [...$('override-band').options].slice(1).forEach((o, i) => { o.textContent = bandText(bands[i]); });
  }

  /** Shows the form, or the recorded decision with its download and notice. */
  render() {
    const ready = !!this.result && !this.stale;
    const empty = $('decision-empty');
    empty.textContent = !this.result ? t('decision.need_result') : this.stale ? t('decision.stale') : '';
    show(empty, !ready && !this.recorded);
    show($('decision-form'), ready && !this.recorded);
    show($('decision-done'), !!this.recorded);
    $('decision-model-band').textContent = bandText(this.result?.band);
    this.renderForm();
    if (!this.recorded) return;
    const { record, sha256 } = this.recorded;
    const d = record.decision;
    $('decision-summary').textContent = t('decision.recorded', {
      datetime: formatDateTime(new Date(record.recorded_at)),
      action: t(`decision.${d.action}`),
    });
    const ov = $('decision-override-summary');
    ov.textContent = d.override
      ? t('decision.recorded_override', { from: bandText(d.override.model_band), to: bandText(d.override.band), reason: d.override.reason })
      : '';
    show(ov, !!d.override);
    $('decision-hash').textContent = sha256;
    const link = $('record-download');
    link.href = this.url;
    link.download = recordFileName(record, sha256);
    show($('notice-btn'), ADVERSE.has(d.action));
    show($('notice-na'), !ADVERSE.has(d.action));
  }
}
