// The decision record: one JSON object with the applicant's inputs, the model's output (PD,
// points, band, reasons, contributions), the recourse options, the model and engine, the
// officer's decision and override, the time, and the SHA-256 of the record itself over its RFC
// 8785 canonical form (docs/DECISION_RECORD.md says how to check it). The page never stores it:
// the officer downloads it and files it.

/** The record format's name and version (docs/DECISION_RECORD.md). */
export const RECORD_FORMAT = 'credit-scorer-decision-record/1';

/**
 * The RFC 8785 (JSON Canonicalization Scheme) form of `value`: object keys sorted by UTF-16 code
 * units, no whitespace, numbers and strings as ECMAScript's JSON.stringify writes them. A value
 * JSON cannot hold (undefined, NaN, a function, a lone surrogate) is an error, not silently dropped.
 */
export function canonicalJson(value) {
  if (typeof value === 'string') {
    if (!value.isWellFormed()) throw new TypeError('the record holds a string with a lone surrogate');
    return JSON.stringify(value);
  }
  if (value === null || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`the record holds a number JSON cannot: ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  throw new TypeError(`the record holds a value JSON cannot: ${typeof value}`);
}

/** Lower-case hex SHA-256 of a string's UTF-8 bytes (WebCrypto). */
async function sha256Hex(text) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

const contribution = (c) => ({
  feature: c.feature,
  label: c.label ?? null,
  text: c.text ?? null,
  contribution: c.contribution,
});

const bandOf = (b) => (b ? { id: b.id, label: b.label ?? null } : null);

/**
 * Builds the record and its hash.
 * @param {object} p
 * @param {object} p.model the loaded model ({ sha256, engine, build, schema, source })
 * @param {object} p.result the result the decision is about
 * @param {object} p.values the inputs that produced it (raw form values)
 * @param {Date} p.scoredAt when the result was computed
 * @param {object} p.decision { action, counterOffer, override: null | { band, reason } }
 * @param {Date} p.recordedAt when the officer recorded the decision
 * @param {object[]} [p.recourse] the recourse options the page showed for these values
 * @returns {Promise<{ record: object, sha256: string, json: string }>} `json` is the file's text
 */
export async function buildRecord({ model, result, values, scoredAt, decision, recordedAt, recourse = [] }) {
  const schema = model.schema;
  const bands = schema.bands ?? [];
  const override = decision.override
    ? {
      model_band: bandOf(result.band),
      band: bandOf(bands.find((b) => b.id === decision.override.band)),
      reason: decision.override.reason,
    }
    : null;
  const record = {
    format: RECORD_FORMAT,
    recorded_at: recordedAt.toISOString(),
    model: {
      name: schema.model?.name ?? null,
      version: schema.model?.version ?? null,
      sha256: model.sha256,
      engine: model.engine ?? null,
      build: model.build ?? null,
      source: model.source?.kind === 'file' ? { kind: 'file', name: model.source.name } : { kind: 'reference' },
    },
    inputs: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)])),
    model_output: {
      scored_at: scoredAt.toISOString(),
      pd: result.pd,
      points: result.points,
      points_range: { min: schema.scaling?.min_points ?? null, max: schema.scaling?.max_points ?? null },
      band: bandOf(result.band),
      baseline_points: result.baseline_points ?? null,
      approximate: !!result.approximate,
      reasons: result.reasons.map(contribution),
      contributions: result.contributions.map(contribution),
    },
    recourse: recourse.map((o) => structuredClone(o)),
    decision: {
      action: decision.action,
      counter_offer: decision.action === 'counter_offer' ? decision.counterOffer : null,
      band: override ? override.band : bandOf(result.band),
      override,
    },
  };
  const sha256 = await sha256Hex(canonicalJson(record));
  const json = `${JSON.stringify({ ...record, record_sha256: sha256 }, null, 2)}\n`;
  return { record, sha256, json };
}

/** The file name the record downloads as. */
export function recordFileName(record, sha256) {
  const when = record.recorded_at.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `decision-record-${when}-${sha256.slice(0, 12)}.json`;
}
