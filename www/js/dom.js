// The page's one DOM helper: elements (HTML and SVG) from createElement and text nodes only, so no
// markup is ever parsed from data (the CSP enforces Trusted Types), and notices that say
// themselves again in the new language.

import { t } from './i18n.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

export const $ = (id) => document.getElementById(id);

export function show(el, visible) {
  el.hidden = !visible;
}

function fill(el, children) {
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/**
 * An HTML element with attributes and children (strings become text nodes). `class` sets the
 * class name, `text` the text; a non-string value of a known property (`hidden: true`) sets the
 * property; anything else is an attribute; null and false are left out.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  return fill(el, children);
}

/** An SVG element: every entry of `attrs` is an attribute. */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  return fill(el, children);
}

/** A colour from a model file is data: accept only plain CSS colours. */
export function safeColor(c) {
  if (typeof c !== 'string') return null;
  const s = c.trim();
  if (!/^(#[0-9a-f]{3,8}|(rgb|rgba|hsl|hsla)\([0-9.,%\s/]+\)|[a-z]{3,20})$/i.test(s)) return null;
  return CSS.supports('color', s) ? s : null;
}

// Notices keep how to say them, so a language switch re-says them in the new language.
const notices = new Map();

/** Shows `text` (a string, or a function returning one in the current language) in element `id`. */
export function notice(id, text) {
  const render = typeof text === 'function' ? text : () => text ?? '';
  notices.set(id, render);
  const el = $(id);
  el.textContent = render();
  show(el, !!el.textContent);
}

/** Says every notice again (after a language switch). */
export function rerenderNotices() {
  for (const [id, render] of notices) {
    const el = $(id);
    el.textContent = render();
    show(el, !!el.textContent);
  }
}

/** The static texts of index.html, or of `root` (`data-i18n` keys), in the current language. */
export function renderStaticTexts(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
}
