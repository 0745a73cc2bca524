// The cross-browser suites' shared steps (not a test file itself): the reference model's schema
// and golden rows, the app's form driven as a user does (controls found by their label or visible
// text, results read from the page) and the checks every step ends with (no CSP violation or
// error, axe-core's WCAG findings). Used by cross-browser.mjs and cross-browser-embedding.mjs.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { REFERENCE_MODEL, embeddedSchema, fixture, golden } from './helpers.mjs';

export const schema = embeddedSchema(REFERENCE_MODEL);
export const g = golden();
export const logreg = JSON.parse(readFileSync(fixture('models', 'logreg.json'), 'utf8'));

// puppeteer points Firefox's own background services (remote settings) at this unresolvable host;
// those requests are the browser's, never the page's, and the proxy refuses them.
export const BROWSER_OWN_HOSTS = new Set(['dummy.test']);

/** The page's own state, read in the page: what the result panel shows. */
function readResultInPage() {
  const $ = (id) => document.getElementById(id);
  if ($('result-body').hidden || !$('result-stale').hidden || document.body.dataset.busy === 'true') return null;
  return {
    pdText: $('pd').textContent,
    pd: Number($('pd').dataset.value),
    pointsText: $('points').textContent,
    points: Number($('points').dataset.value),
    band: $('band').textContent,
    bandId: $('band').dataset.band,
    reasons: [...document.querySelectorAll('#reasons li')].map((li) => ({
      feature: li.dataset.feature,
      text: li.querySelector('.reason__text').textContent,
      value: li.querySelector('.reason__value').textContent,
    })),
  };
}

/**
 * The CSS selector of the control a visible text names: a form control by its <label>, a button
 * or link by its text. Found in the page, so the tests follow what the user sees.
 */
export async function control(d, text) {
  const sel = await d.evaluate((t) => {
    const norm = (s) => s.replace(/\s+/g, ' ').trim();
    const label = [...document.querySelectorAll('label')].find((l) => norm(l.textContent) === t && l.htmlFor);
    const el = label ? document.getElementById(label.htmlFor)
      : [...document.querySelectorAll('button, a')].find((b) => norm(b.textContent).startsWith(t) && !b.hidden);
    return el?.id ? `#${CSS.escape(el.id)}` : null;
  }, text);
  assert.ok(sel, `${d.name}: a control named “${text}”`);
  return sel;
}

/** Fills the form as a user does: numbers typed, then the choices (the last one scores once). */
export async function fillForm(d, values, labels) {
  const entries = Object.entries(values);
  const kinds = await d.evaluate((names) => names.map((n) => document.querySelector(`[data-field="${n}"] select`) ? 'select' : 'input'),
    entries.map(([n]) => n));
  const ordered = entries.map((e, i) => [...e, kinds[i]]).sort((a, b) => (a[2] === b[2] ? 0 : a[2] === 'input' ? -1 : 1));
  for (const [name, value, kind] of ordered) {
    const sel = await control(d, labels[name]);
    if (kind === 'select') await d.choose(sel, String(value));
    else await d.type(sel, String(value));
  }
}

export async function waitResult(d, what = 'a result') {
  return d.waitFor(readResultInPage, [], { what });
}

/**
 * Waits for the result of the values typed last: typing a number scores each valid prefix on the
 * way ("4" months, then "42"), so the first result shown may be an intermediate one. Returns the
 * result showing `pd` (within 1e-5), or the last one shown if none does within 20 s.
 */
export async function waitPd(d, pd) {
  const end = Date.now() + 20_000;
  for (;;) {
    const r = await waitResult(d);
    if (Math.abs(r.pd - pd) < 1e-5 || Date.now() > end) return r;
    await new Promise((res) => setTimeout(res, 100));
  }
}

export async function assertNoProblems(d, step) {
  const problems = await d.allProblems();
  assert.deepEqual(problems, [], `${d.name}, ${step}: no CSP violation, page error or console error:\n${problems.join('\n')}`);
  const a11y = d.a11y.splice(0);
  assert.deepEqual(a11y, [], `${d.name}, ${step}: axe-core WCAG A/AA violations:\n${a11y.join('\n')}`);
}

/**
 * Audits the page's current state with axe-core (WCAG 2.0/2.1 A and AA); the findings are
 * asserted by `assertNoProblems` at the end of the step, so that a finding does not hide the
 * step's functional checks.
 */
export async function assertAccessible(d, state) {
  for (const v of await d.axe()) d.a11y.push(`${state}: ${v}`);
}

export const labelsEn = Object.fromEntries(schema.features.map((f) => [f.name, f.label.en]));
