// The offline service worker: keeps one versioned copy of the app's own files and serves them
// cache-first, so the page loads and scores without a network.
//
// - What it keeps comes from `pkg/sw-manifest.js`, which `cargo xtask build` writes: every file of
//   the app with its SHA-384, and a VERSION derived from all of them. A new build changes that
//   module, the browser's update check sees the change, the new worker caches the new files under
//   a new name and, once active, deletes every older `credit-scorer-` cache.
// - Each file is fetched once, at install, with `integrity`: a file that does not match the
//   manifest is never cached and the install fails (the previous version stays in charge).
// - It only answers GET requests for those files on this origin; anything else, and every other
//   origin, goes to the network untouched (the CSP allows no other origin anyway). It never
//   caches anything at run time, so applicant data and uploaded models never reach the cache.

import { VERSION, FILES } from './pkg/sw-manifest.js';

const PREFIX = 'credit-scorer-';
const CACHE = `${PREFIX}${VERSION}`;
const SCOPE = new URL(self.registration.scope);
const KEEP = new Map(FILES.map((f) => [new URL(f.path, SCOPE).href, f.integrity]));

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await Promise.all([...KEEP].map(async ([url, integrity]) => {
      // no-cache: revalidate with the server, so a stale HTTP cache cannot feed the new version.
      const response = await fetch(url, { integrity, cache: 'no-cache', credentials: 'same-origin' });
      if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
      await cache.put(url, response);
    }));
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

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== SCOPE.origin || url.search) return;
  url.hash = '';
  if (!KEEP.has(url.href)) return;
  // `caches.match` with a cacheName, not `caches.open(CACHE)`: once a newer version has deleted
  // this one's cache, a request still in flight here must not create it again (empty).
  event.respondWith((async () => (await caches.match(url.href, { cacheName: CACHE })) ?? fetch(request))());
});
