// Renders the app icons for the web app manifest from www/icon.svg with Debian's Firefox (no
// image tool needed): www/icons/icon-192.png and icon-512.png (the icon as drawn, its rounded
// corners transparent) and maskable-512.png (full-bleed background, the drawing inside the
// central 80 % safe zone that launchers may crop to a circle). Run: node tools/render-icons.mjs
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const svg = readFileSync(path.join(ROOT, 'www', 'icon.svg'), 'utf8');
const src = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
const background = svg.match(/<rect[^>]*fill="(#[0-9a-f]{6})"/i)[1];
const out = path.join(ROOT, 'www', 'icons');
mkdirSync(out, { recursive: true });

const browser = await puppeteer.launch({
  browser: 'firefox',
  executablePath: process.env.FIREFOX ?? '/usr/lib/firefox-esr/firefox-esr',
  headless: true,
  env: { ...process.env, MOZ_REMOTE_SETTINGS_DEVTOOLS: '1' },
});
try {
  const page = await browser.newPage();
  for (const [name, size, maskable] of [['icon-192.png', 192, false], ['icon-512.png', 512, false], ['maskable-512.png', 512, true]]) {
    // Drawn on a canvas: its PNG keeps the transparent corners a screenshot would fill.
    const png = await page.evaluate(async (src, size, maskable, background) => {
      const img = new Image();
      img.src = src;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = size;
      canvas.height = size;
      const ctx = canvas.getContext('2d');
      const inner = maskable ? Math.round(size * 0.8) : size;
      if (maskable) {
        ctx.fillStyle = background;
        ctx.fillRect(0, 0, size, size);
      }
      ctx.drawImage(img, (size - inner) / 2, (size - inner) / 2, inner, inner);
      return canvas.toDataURL('image/png').split(',')[1];
    }, src, size, maskable, background);
    writeFileSync(path.join(out, name), Buffer.from(png, 'base64'));
    console.log(`wrote www/icons/${name}`);
  }
} finally {
  await browser.close();
}
