// The lender's deployment file, www/deployment.json: the creditor's name, address and telephone,
// the consumer reporting agency and the notice texts a lender must add to an adverse-action
// notice. It is fetched from this origin with the SHA-384 js/pins.js pins (the service worker
// keeps it for offline use like every other file), so a notice never prints texts from elsewhere.
// Every text that is missing or still holds a [bracketed] placeholder is listed as unfilled, and
// the notice says so.

import { DEPLOYMENT_INTEGRITY } from './pins.js';

const FILE = 'deployment.json';

/** The texts the notice prints, as paths into the file. */
export const DEPLOYMENT_FIELDS = Object.freeze([
  'creditor.name', 'creditor.address', 'creditor.phone', 'ecoa_notice', 'fcra_notice',
  'consumer_reporting_agency.name', 'consumer_reporting_agency.address', 'consumer_reporting_agency.phone',
]);

const PLACEHOLDER = /\[[^\]\n]*\]/;

/** A text as `{ lang: string }` (a plain string counts as English); null when there is none. */
function localized(v) {
  if (typeof v === 'string') return v.trim() ? { en: v } : null;
  if (v == null || typeof v !== 'object' || Array.isArray(v)) return null;
  const out = {};
  for (const [k, s] of Object.entries(v)) if (typeof s === 'string' && s.trim()) out[k] = s;
  return Object.keys(out).length ? out : null;
}

/**
 * The notice's texts from the file's JSON.
 * @returns {{ texts: Record<string, Record<string, string>|null>, unfilled: string[], error: null }}
 */
export function readDeployment(json) {
  const texts = {};
  const unfilled = [];
  for (const path of DEPLOYMENT_FIELDS) {
    const v = path.split('.').reduce((o, k) => (o != null && typeof o === 'object' ? o[k] : undefined), json);
    const text = localized(v);
    texts[path] = text;
    if (!text || Object.values(text).some((s) => PLACEHOLDER.test(s))) unfilled.push(path);
  }
  return { texts, unfilled, error: null };
}

/** Fetches and reads the pinned deployment file; a file that cannot be used leaves every text unfilled. */
export async function loadDeployment() {
  try {
    const response = await fetch(FILE, { integrity: DEPLOYMENT_INTEGRITY });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return readDeployment(await response.json());
  } catch (err) {
    return {
      texts: Object.fromEntries(DEPLOYMENT_FIELDS.map((p) => [p, null])),
      unfilled: [...DEPLOYMENT_FIELDS],
      error: `${FILE}: ${err?.message ?? err}`,
    };
  }
}
