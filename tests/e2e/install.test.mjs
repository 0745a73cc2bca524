// Installable: the page links a web app manifest whose icons exist at their declared sizes,
// Chromium's own installability check finds nothing missing, and the manifest and its start URL
// (before ready) and its icons (once the page is idle) are in the offline cache, so the installed
// app opens without a network.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { gotoReady, ORIGIN, BASE_URL } from './helpers.mjs';

describe('installing the app', () => {
  let context;
  let profile;
  before(async () => {
    // A persistent profile: Chromium never offers to install from an incognito context, which is
    // what a plain browser.newContext() is.
    profile = mkdtempSync(path.join(os.tmpdir(), 'credit-scorer-install-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--no-first-run', '--disable-sync'],
    });
  });
  after(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  test('Chromium finds the app installable, and the manifest and icons are cached for offline use', async () => {
    const page = context.pages()[0] ?? await context.newPage();
    const problems = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(e.message));
    await gotoReady(page);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await page.waitForSelector('body[data-offline-rest]', { timeout: 120_000 });
    assert.equal(await page.evaluate(() => document.body.dataset.offlineRest), 'done', 'the icons are cached once idle');
    const cdp = await context.newCDPSession(page);
    const manifest = await cdp.send('Page.getAppManifest');
    assert.equal(manifest.url, new URL('manifest.webmanifest', BASE_URL).href);
    assert.deepEqual(manifest.errors, [], 'the manifest parses without errors');
    const data = JSON.parse(manifest.data);
    assert.equal(data.name, 'Credit scorer');
    assert.equal(data.display, 'standalone');
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    assert.deepEqual(installabilityErrors, [], 'Chromium\'s installability check passes');

    // Every icon loads at the size it declares (the SVG scales to any).
    const icons = await page.evaluate(async (list) => Promise.all(list.map(async (icon) => {
      const img = new Image();
      img.src = icon.src;
      await img.decode();
      return { src: icon.src, sizes: icon.sizes, actual: `${img.naturalWidth}x${img.naturalHeight}`, purpose: icon.purpose ?? 'any' };
    })), data.icons);
    for (const icon of icons) {
      if (icon.sizes !== 'any') assert.equal(icon.actual, icon.sizes, `${icon.src} is ${icon.sizes}`);
    }
    assert.ok(icons.some((i) => i.sizes === '192x192'), 'a 192 px icon');
    assert.ok(icons.some((i) => i.sizes === '512x512' && i.purpose === 'any'), 'a 512 px icon');
    assert.ok(icons.some((i) => i.purpose === 'maskable'), 'a maskable icon');

    const cached = await page.evaluate(async () => {
      const out = [];
      for (const name of await caches.keys()) {
        for (const r of await (await caches.open(name)).keys()) out.push(new URL(r.url).pathname);
      }
      return out;
    });
    const startPath = new URL(data.start_url, manifest.url).pathname;
    for (const p of [startPath, '/manifest.webmanifest', ...data.icons.map((i) => new URL(i.src, manifest.url).pathname)]) {
      assert.ok(cached.includes(p), `${p} is in the offline cache`);
    }
    assert.equal(new URL(data.start_url, manifest.url).origin, ORIGIN);
    assert.deepEqual(problems, [], 'no console or page error');
  });
});
