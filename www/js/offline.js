// The offline service worker's registration (the worker itself is sw.js).

import { scriptURL } from './trusted.js';

/** Waits (at most `timeoutMs`) until a worker `reg` is installing or holding back is active or gone. */
async function settled(reg, timeoutMs) {
  const pending = reg.installing ?? reg.waiting;
  if (!pending) return;
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

/**
 * Registers the service worker at `url` and waits until it has cached the app and the lite
 * engine, so that the page runs offline once it says it is ready. Resolves with 'ready', 'unsupported' or
 * 'failed'; never rejects (the app works without it, only not offline).
 */
export async function registerOffline(url, timeoutMs = 60_000) {
  if (!('serviceWorker' in navigator)) return 'unsupported';
  try {
    const reg = await navigator.serviceWorker.register(scriptURL(url), {
      type: 'module', scope: './', updateViaCache: 'none',
    });
    await settled(reg, timeoutMs);
    return reg.active ? 'ready' : 'failed';
  } catch {
    return 'failed';
  }
}

/**
 * Once the page is idle, asks the service worker to cache the rest of the app for offline use:
 * the modules the page loads after it is ready, the full engine (which a bank model may need) and
 * the install icons. When the browser asks to save data only the modules (the full engine and
 * the icons are then cached only when first used). Resolves with 'done', 'failed', 'save-data'
 * (the modules cached) or 'unsupported'; never rejects.
 */
export async function cacheRestWhenIdle(timeoutMs = 120_000) {
  if (!('serviceWorker' in navigator)) return 'unsupported';
  const saveData = navigator.connection?.saveData === true;
  await new Promise((resolve) => {
    if ('requestIdleCallback' in window) requestIdleCallback(resolve, { timeout: 5_000 });
    else setTimeout(resolve, 1_000); // no requestIdleCallback (Safari): after the page settles
  });
  try {
    const reg = await navigator.serviceWorker.ready;
    await settled(reg, timeoutMs); // a new version being installed: ask it, not the old one
    const channel = new MessageChannel();
    const answer = new Promise((resolve) => {
      channel.port1.onmessage = (e) => resolve(e.data?.cached === 'done' ? 'done' : 'failed');
      setTimeout(() => resolve('failed'), timeoutMs);
    });
    reg.active.postMessage({ type: 'cache-rest', saveData }, [channel.port2]);
    const cached = await answer;
    return saveData && cached === 'done' ? 'save-data' : cached;
  } catch {
    return 'failed';
  }
}
