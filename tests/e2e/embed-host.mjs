// The library (www/lib/credit-scorer.js) on a strict host page, as embed-api.test.mjs (Chromium,
// Playwright) and cross-browser-embedding.mjs (Firefox over Puppeteer, WebKit over WebDriver)
// both check it: the policy, and the page function for two scorers on one page. Not a test file.

/** The strictest policy the library is documented to need (README, "Embedding"). */
export const HOST_CSP = "default-src 'none'; script-src 'self'; connect-src 'self'; worker-src 'self'; "
  + "object-src 'none'; base-uri 'none'; require-trusted-types-for 'script'; trusted-types credit-scorer";

/**
 * Runs in the page (every driver sends it as source text, so it uses nothing from this module):
 * two scorers with different models, the reference model from /models/ and logreg from
 * /embed-fixtures/logreg.onnx, each scoring its applicant, then the first again; then both closed.
 * One object argument, the way Playwright, Puppeteer and WebDriver all pass it.
 */
export async function twoScorersOnOnePage({ applicant, logregRow }) {
  const before = new Set(Object.keys(globalThis));
  const { createScorer } = await import('/lib/credit-scorer.js');
  const { REFERENCE_MODEL_INTEGRITY } = await import('/js/pins.js');
  const a = createScorer({ assetsUrl: new URL('/pkg/', location.href) });
  const b = createScorer({ assetsUrl: new URL('/pkg/', location.href) });
  const [ma, mb] = await Promise.all([
    a.load(new URL('/models/german-credit-mlp.onnx', location.href), { integrity: REFERENCE_MODEL_INTEGRITY }),
    b.load(await (await fetch('/embed-fixtures/logreg.onnx')).arrayBuffer()),
  ]);
  const values = Object.fromEntries(logregRow.x.map((v, i) => [`x${i}`, v]));
  const [ra, rb] = await Promise.all([a.score(applicant), b.score(values)]);
  const again = await a.score(applicant); // a's model is untouched by b's
  const globals = Object.keys(globalThis).filter((k) => !before.has(k));
  a.close();
  b.close();
  return {
    ma: { sha: ma.sha256, build: ma.build, features: ma.schema.features.map((f) => f.name), generic: ma.schema.generic },
    mb: { sha: mb.sha256, build: mb.build, k: mb.k, generic: mb.schema.generic },
    schemaA: a.schema === null, // closed: forgotten
    ra, rb, again: again.pd, globals,
  };
}
