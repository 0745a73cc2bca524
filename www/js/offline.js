// The offline service worker's registration (the worker itself is sw.js).

import { scriptURL } from './trusted.js';

/**
 * Registers the service worker at `url` and waits until it has cached the app, so that nothing
 * is fetched for it once the page says it is ready. Resolves with 'ready', 'unsupported' or
 * 'failed'; never rejects (the app works without it, only not offline).
 */
export async function registerOffline(url, timeoutMs = 60_000) {
  if (!('serviceWorker' in navigator)) return 'unsupported';
  try {
    const reg = await navigator.serviceWorker.register(scriptURL(url), {
      type: 'module', scope: './', updateViaCache: 'none',
    });
    const pending = reg.installing ?? reg.waiting;
    if (pending) {
      await Promise.race([
        new Promise((resolve) => {
          const check = () => {
            if (pending.state === 'activated' || pending.state === 'redundant') resolve();
          };
          pending.addEventListener('statechange', check);
          check();
        }),
        new Promise((resolve) => { setTimeout(resolve, timeoutMs); }),
      ]);
    }
    return reg.active ? 'ready' : 'failed';
  } catch {
    return 'failed';
  }
}
