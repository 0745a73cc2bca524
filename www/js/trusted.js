// The page's Trusted Types policy (the CSP enforces Trusted Types and allows only the policy
// named `credit-scorer`, once): the only script URLs it lets through are absolute URLs on the
// origin this module came from, for the engine Worker and the offline service worker.

const ORIGIN = new URL(import.meta.url).origin;

const policy = globalThis.trustedTypes?.createPolicy('credit-scorer', {
  createScriptURL(url) {
    const u = new URL(url);
    if (u.origin !== ORIGIN) throw new TypeError(`refusing a script from another origin: ${u.origin}`);
    return u.href;
  },
});

/** A script URL for `new Worker` or a service worker from an absolute URL (string or URL). */
export function scriptURL(url) {
  return policy ? policy.createScriptURL(String(url)) : new URL(url).href;
}
