// The styles of <credit-score-form>, adopted by its shadow root as a constructed stylesheet (so
// a host page's CSP needs no style-src for them). A page restyles the element with these custom
// properties (set on the element or an ancestor) and with ::part():
//   --csf-font, --csf-color, --csf-background, --csf-muted, --csf-border, --csf-accent,
//   --csf-accent-text, --csf-error, --csf-radius, --csf-gap
//   parts: container, status, alert, form, field, label, input, hint, field-error, summary,
//   button, result, pd, points, band, gauge, reasons; for a wide model's form: search,
//   section, section-summary

export const FORM_CSS = `
:host {
  display: block;
  font: var(--csf-font, 1rem/1.45 system-ui, sans-serif);
  color: var(--csf-color, #1b1f24);
  background: var(--csf-background, transparent);
  --_accent: var(--csf-accent, #17365d);
  --_border: var(--csf-border, #c4cad3);
  --_muted: var(--csf-muted, #5b6470);
  --_error: var(--csf-error, #b3261e);
  --_radius: var(--csf-radius, 6px);
  --_gap: var(--csf-gap, 1rem);
}
[hidden] { display: none !important; }
.csf { display: grid; gap: var(--_gap); grid-template-columns: minmax(0, 1fr); }
@media (min-width: 52rem) { .csf { grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); } .status, .alert { grid-column: 1 / -1; } }
.status { margin: 0; color: var(--_muted); }
.alert { margin: 0; color: var(--_error); font-weight: 600; }
.fields { display: grid; gap: calc(var(--_gap) * 0.75); grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); }
.fields__grid { display: grid; gap: calc(var(--_gap) * 0.75); grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); }
.fields.fields--sections { display: flex; flex-direction: column; gap: calc(var(--_gap) * 0.6); }
.form-search { display: flex; flex-direction: column; gap: 0.25rem; }
.form-search__label { font-weight: 600; }
.form-search__status { margin: 0; color: var(--_muted); font-size: 0.875em; }
.form-search__status:empty { display: none; }
.form-search__status--none { color: inherit; font-weight: 600; }
.section { border: 1px solid var(--_border); border-radius: var(--_radius); }
.section--invalid { border-color: var(--_error); }
.section__summary { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: 0.2rem 0.8rem; padding: 0.5rem 0.7rem; cursor: pointer; font-weight: 600; }
.section__summary:focus-visible { outline: 3px solid var(--_accent); outline-offset: 1px; }
.section__heading { flex: 1 1 auto; }
.section__chevron::before { content: "▸"; display: inline-block; width: 1.1em; color: var(--_muted); }
.section[open] .section__chevron::before { content: "▾"; }
.section__status { display: inline-flex; flex-wrap: wrap; gap: 0.6rem; font-size: 0.875em; font-weight: 400; color: var(--_muted); }
.section__invalid { color: var(--_error); font-weight: 600; }
.section__body { padding: 0.2rem 0.7rem 0.7rem; }
.field { display: flex; flex-direction: column; gap: 0.25rem; }
.field__label { font-weight: 600; }
.field__control { display: flex; align-items: center; gap: 0.4rem; }
.field__control input { flex: 1 1 auto; min-width: 0; }
input, select {
  font: inherit; color: inherit; background: #fff; width: 100%; box-sizing: border-box;
  padding: 0.45rem 0.55rem; border: 1px solid var(--_border); border-radius: var(--_radius);
}
input:focus-visible, select:focus-visible, .btn:focus-visible { outline: 3px solid var(--_accent); outline-offset: 1px; }
.field__unit, .field__hint, .muted { color: var(--_muted); }
/* A unit stays on one line ("个月", "德国马克" wrapped a character per line in every browser). */
.field__unit { flex: none; white-space: nowrap; }
.field__hint { margin: 0; font-size: 0.875em; }
.field__error { margin: 0; color: var(--_error); font-size: 0.875em; font-weight: 600; }
.field--invalid input, .field--invalid select { border-color: var(--_error); }
.form-summary { color: var(--_error); font-weight: 600; }
.actions { margin-top: var(--_gap); }
.btn {
  font: inherit; font-weight: 600; cursor: pointer; padding: 0.55rem 1rem; border-radius: var(--_radius);
  border: 1px solid var(--_accent); background: var(--_accent); color: var(--csf-accent-text, #fff);
}
.result { border: 1px solid var(--_border); border-radius: var(--_radius); padding: var(--_gap); align-self: start; }
.result h2 { margin: 0 0 0.5rem; font-size: 1.15em; }
.result h3 { font-size: 1em; margin: 1rem 0 0.4rem; }
.stale-note { color: var(--_muted); font-style: italic; }
.result--stale #result-body { filter: grayscale(1); }
.kpis { display: flex; flex-wrap: wrap; gap: var(--_gap); }
.kpi { display: flex; flex-direction: column; }
.kpi__label { font-size: 0.8em; color: var(--_muted); }
.kpi__value { font-size: 1.5em; font-weight: 700; }
.kpi__unit { font-size: 0.6em; font-weight: 400; }
.band-chip { display: inline-block; padding: 0.1rem 0.6rem; border-radius: 999px; font-weight: 700; }
.delta { margin: 0.4rem 0 0; font-size: 0.9em; color: var(--_muted); }
.gauge { position: relative; margin-top: var(--_gap); padding-bottom: 1.2rem; }
.gauge__track { position: relative; height: 0.6rem; border-radius: 999px; overflow: hidden; background: #e6e9ee; }
.gauge__segment { position: absolute; top: 0; bottom: 0; }
.gauge__marker { position: absolute; top: -0.25rem; width: 3px; height: 1.1rem; background: var(--csf-color, #1b1f24); transform: translateX(-1px); }
.gauge__scale { display: flex; justify-content: space-between; font-size: 0.75em; color: var(--_muted); }
.reasons { margin: 0; padding-left: 1.2rem; }
.reason { display: grid; grid-template-columns: 1fr 5rem auto; gap: 0.5rem; align-items: center; margin: 0.2rem 0; }
.bar { display: block; height: 0.45rem; background: #eef0f3; border-radius: 999px; overflow: hidden; }
.bar__fill { display: block; height: 100%; background: var(--_error); }
.bar--pos .bar__fill { background: #2e7d32; }
.reason__value, .contrib__value { font-variant-numeric: tabular-nums; white-space: nowrap; }
.contrib-table { width: 100%; border-collapse: collapse; font-size: 0.9em; }
.contrib-table th, .contrib-table td { text-align: left; padding: 0.2rem 0.3rem; border-bottom: 1px solid var(--_border); }
.contrib-table .num { text-align: right; }
.contrib-cell { display: inline-flex; gap: 0.4rem; align-items: center; }
.contrib-cell .bar { width: 3rem; }
.small { font-size: 0.85em; }
`;
