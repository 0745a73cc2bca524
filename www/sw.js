// The offline service worker: keeps one versioned copy of the app's own files and serves them
// cache-first, so the page loads and scores without a network.
//
// - What it may keep comes from `pkg/sw-manifest.js`, which `cargo xtask build` writes: every file
//   of the app with its SHA-384 and its group, and a VERSION derived from all of them. A new build
//   changes that module, the browser's update check sees the change, the new worker caches the
//   new files under a new name and, once active, deletes every older `credit-scorer-` cache.
// - A light first visit: the install (which the page waits for before it says it is ready)
//   caches only what the page needs to score (group `app`) and the lite engine this browser runs
//   (SIMD or scalar, by the engine Worker's own probe). The page has just fetched them, so they
//   come from the HTTP cache when they match the manifest, else from the server. When the page
//   asks (`cache-rest`, sent once it is ready and idle) it caches the modules the page loads
//   after ready (group `idle`), and, unless the browser asks to save data, the full engine of
//   the same variant and the install icons; any listed file, the other variant's included, is
//   also cached when a page first requests it. A new version's install first copies every file
//   an older version kept with the same bytes, and also caches the `idle` group.
// - Every file is checked against its SHA-384 before it is cached (`integrity` on the fetch, or
//   the digest of what a page's own request brought): a file that does not match is never kept,
//   and a failed install leaves the previous version in charge.
// - It only answers GET requests for listed files on this origin; anything else, and every other
//   origin, goes to the network untouched (the CSP allows no other origin anyway). It never
//   caches anything but listed files, so applicant data and uploaded models never reach the cache.

import { VERSION, FILES } from './pkg/sw-manifest.js';
import { chooseVariant } from './js/worker/engine-loader.js';

const PREFIX = 'credit-scorer-';
const CACHE = `${PREFIX}${VERSION}`;
const SCOPE = new URL(self.registration.scope);
const KEEP = new Map(FILES.map((f) => [new URL(f.path, SCOPE).href, f]));
// The builds this browser's engine Worker runs (engine-loader.js): its lite one is cached before
// ready, its full one when idle.
const VARIANT = chooseVariant('auto');
const AT_INSTALL = new Set(['app', VARIANT === 'simd' ? 'liteSimd' : 'liteScalar']);
const WHEN_IDLE = new Set(['idle', 'later', VARIANT]);
// With save-data: only the app's own modules that the page loads after ready.
const WHEN_IDLE_SAVING = new Set(['idle']);

const urlsOf = (groups) => [...KEEP].filter(([, f]) => groups.has(f.group)).map(([url]) => url);

function base64(buffer) {
  let s = '';
  for (const b of new Uint8Array(buffer)) s += String.fromCharCode(b);
  return btoa(s);
}

/** Whether `response`'s bytes match `url`'s pin. */
async function matchesPin(url, response) {
  const bytes = await response.clone().arrayBuffer();
  return `sha384-${base64(await crypto.subtle.digest('SHA-384', bytes))}` === KEEP.get(url).integrity;
}

/**
 * A new version: copies into `cache` every listed file an older version kept with the same bytes
 * (its pin), so unchanged files are not downloaded again and what was cached while idle (the
 * modules loaded after ready, the full engine) stays available offline. False on a first install.
 */
async function carryOver(cache) {
  const older = (await caches.keys()).filter((name) => name.startsWith(PREFIX) && name !== CACHE);
  for (const url of KEEP.keys()) {
    for (const cacheName of older) {
      const kept = await caches.match(url, { cacheName });
      if (kept && await matchesPin(url, kept)) {
        await cache.put(url, kept);
        break;
      }
    }
  }
  return older.length > 0;
}

/** `url` checked against its pin (from the HTTP cache first when `fromHttpCache`). */
async function download(url, integrity, fromHttpCache) {
  let response = null;
  if (fromHttpCache) {
    // What the page just downloaded, if it matches; a stale or missing copy falls through.
    response = await fetch(url, { integrity, cache: 'force-cache', credentials: 'same-origin' }).catch(() => null);
  }
  // no-cache: revalidate with the server, so a stale HTTP cache cannot feed the new version.
  if (!response?.ok) response = await fetch(url, { integrity, cache: 'no-cache', credentials: 'same-origin' });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response;
}

/**
 * Caches `urls`, each checked against its pin; files with the same content (`./` and
 * `index.html`, the lite glue of both variants) are downloaded once.
 */
async function keepAll(cache, urls, fromHttpCache) {
  const downloads = new Map(); // integrity -> promise of the checked response
  return Promise.allSettled(urls.map(async (url) => {
    const { integrity } = KEEP.get(url);
    if (!downloads.has(integrity)) downloads.set(integrity, download(url, integrity, fromHttpCache));
    await cache.put(url, (await downloads.get(integrity)).clone());
  }));
}

/** Caches the listed files not cached yet (one failure does not stop the rest). */
async function keepMissing(urls) {
  if (!(await caches.has(CACHE))) return 'failed'; // a newer version deleted it
  const cache = await caches.open(CACHE);
  const missing = [];
  for (const url of urls) {
    await keeping.get(url); // a page's own request for it may be on its way into the cache
    if (!(await cache.match(url))) missing.push(url);
  }
  const results = await keepAll(cache, missing, false);
  return results.every((r) => r.status === 'fulfilled') ? 'done' : 'failed';
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // An update also caches the modules loaded after ready (most are carried over unchanged), so
    // a page reloaded offline right after the update has them.
    const groups = (await carryOver(cache)) ? new Set([...AT_INSTALL, 'idle']) : AT_INSTALL;
    const missing = [];
    for (const url of urlsOf(groups)) if (!(await cache.match(url))) missing.push(url);
    const failed = (await keepAll(cache, missing, true)).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    await self.skipWaiting();
  })().catch(async (err) => {
    await caches.delete(CACHE); // leave no half-filled version behind
    throw err;
  }));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

// `cache-rest` (offline.js, once the page is ready and idle): the modules the page loads after
// ready, and without `saveData` the full engine and the icons. Answers
// `{ cached: 'done' | 'failed' }` on the port the page sent.
self.addEventListener('message', (event) => {
  if (event.data?.type !== 'cache-rest' || event.origin !== SCOPE.origin) return;
  const groups = event.data.saveData ? WHEN_IDLE_SAVING : WHEN_IDLE;
  event.waitUntil(keepMissing(urlsOf(groups)).then((cached) => event.ports[0]?.postMessage({ cached })));
});

// url -> the promise of a page's own response being kept (`keepFetched`), so that `cache-rest`
// does not download the same file a second time.
const keeping = new Map();

/** Caches what a page's own request brought for `url`, if its bytes match the pin. */
async function keepFetched(url, response) {
  try {
    if (!(await matchesPin(url, response))) return;
    // Only into this version's cache while it still exists (a newer version may have deleted it).
    if (!(await caches.has(CACHE))) return;
    await (await caches.open(CACHE)).put(url, response);
  } catch {
    // not kept: the next request fetches it again
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== SCOPE.origin || url.search) return;
  url.hash = '';
  if (!KEEP.has(url.href)) return;
  // `caches.match` with a cacheName, not `caches.open(CACHE)`: once a newer version has deleted
  // this one's cache, a request still in flight here must not create it again (empty).
  const answered = (async () => {
    const cached = await caches.match(url.href, { cacheName: CACHE });
    if (cached) return { response: cached, kept: null };
    // First use of a file not cached yet (e.g. the full engine a bank model needs): from the
    // network as asked (with the page's own `integrity`, if any), kept if it matches the pin.
    const response = await fetch(request);
    let kept = null;
    if (response.ok && response.type === 'basic') {
      kept = keepFetched(url.href, response.clone()).finally(() => keeping.delete(url.href));
      keeping.set(url.href, kept);
    }
    return { response, kept };
  })();
  event.respondWith(answered.then((a) => a.response));
  event.waitUntil(answered.then((a) => a.kept, () => null));
});
