// Lighthouse (npm `lighthouse`, pinned in package.json) on the served app, in Debian's Chromium
// with a fresh profile, as a phone (Lighthouse's default: simulated slow 4G and a slower CPU) and
// as a desktop. Started by `cargo xtask bench` (xtask/src/bench.rs), which serves www/ and passes:
//   APP_URL   the served app          OUT_DIR   where lighthouse.json, .md and the HTML reports go
// Prints the four category scores and every audit that did not pass.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import desktopConfig from 'lighthouse/core/config/desktop-config.js';

const APP_URL = process.env.APP_URL;
const OUT_DIR = process.env.OUT_DIR;
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run'];
const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'];

async function audit(name, config) {
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'lighthouse-'));
  const chrome = await chromeLauncher.launch({ chromePath: '/usr/bin/chromium', chromeFlags: FLAGS, userDataDir });
  try {
    const result = await lighthouse(APP_URL, { port: chrome.port, output: 'html', logLevel: 'error', onlyCategories: CATEGORIES }, config);
    writeFileSync(path.join(OUT_DIR, `lighthouse-${name}.html`), result.report);
    const lhr = result.lhr;
    const scores = Object.fromEntries(CATEGORIES.map((c) => [c, Math.round((lhr.categories[c]?.score ?? 0) * 100)]));
    const failing = [];
    for (const c of CATEGORIES) {
      for (const ref of lhr.categories[c].auditRefs) {
        const a = lhr.audits[ref.id];
        if (ref.weight > 0 && a.score !== null && a.score < 1) {
          failing.push({ category: c, id: a.id, score: a.score, title: a.title, value: a.displayValue ?? '' });
        }
      }
    }
    const metrics = Object.fromEntries(['first-contentful-paint', 'largest-contentful-paint', 'total-blocking-time',
      'cumulative-layout-shift', 'speed-index', 'interactive'].map((id) => [id, lhr.audits[id]?.displayValue]));
    return { name, version: lhr.lighthouseVersion, chromium: lhr.environment.hostUserAgent, scores, metrics, failing,
      warnings: lhr.runWarnings };
  } finally {
    await chrome.kill();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

const runs = [await audit('mobile'), await audit('desktop', desktopConfig)];
writeFileSync(path.join(OUT_DIR, 'lighthouse.json'), JSON.stringify({ when: new Date().toISOString(), runs }, null, 1));
const md = [
  `Lighthouse ${runs[0].version} on the served app (fresh profile each):`,
  '',
  '| | Performance | Accessibility | Best practices | SEO |',
  '|---|---|---|---|---|',
  ...runs.map((r) => `| ${r.name} | ${CATEGORIES.map((c) => r.scores[c]).join(' | ')} |`),
  '',
  ...runs.map((r) => `${r.name}: ${Object.entries(r.metrics).map(([k, v]) => `${k} ${v}`).join(', ')}`),
  '',
  ...runs.flatMap((r) => r.failing.map((f) => `- ${r.name} ${f.category}: \`${f.id}\` ${f.score} — ${f.title} ${f.value}`)),
  ...runs.flatMap((r) => (r.warnings ?? []).map((w) => `- ${r.name} warning: ${w}`)),
  '',
].join('\n');
writeFileSync(path.join(OUT_DIR, 'lighthouse.md'), md);
console.log(md);
