// Drives headless Chromium through the benchmark page (bench/index.html) for credit-scorer and
// onnxruntime-web in one run, and writes the side-by-side table. Started by `cargo xtask bench`,
// which builds the site, serves it and passes:
//   BASE_URL    the served site (with inputs.bin, values.json, model.onnx)
//   SITE_DIR    the site directory on disk
//   OUT_DIR     where results.json and results.md go
//   SIZES       JSON { cs: {files, raw, gzip, brotli}, csFull: {...}, ort: {...} } computed by xtask
//   NATIVE      path to bench-native's JSON (optional)    CLI   path to the CLI figures (optional)
//   MACHINE     one line describing the machine            REPS  cold/warm repetitions (default 5)
//   ONLY        `csv`: only the 1,000,000-row CSV runs, printed and saved as results-csv.{json,md};
//               `recourse`: only the recourse latency, saved as results-recourse.{json,md}

import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { launch, median, result as pageResult } from './driver.mjs';

const BASE_URL = process.env.BASE_URL;
const SITE_DIR = process.env.SITE_DIR;
const OUT_DIR = process.env.OUT_DIR;
const SIZES = JSON.parse(process.env.SIZES ?? '{}');
const REPS = Number(process.env.REPS ?? 5);
const readJson = (p) => (p && existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) : null);
const native = readJson(process.env.NATIVE);
const cli = readJson(process.env.CLI);

const log = (...a) => console.error('[bench]', ...a);

const inputs = new Float32Array(readFileSync(path.join(SITE_DIR, 'inputs.bin')).buffer.slice(0));
const K = Number(process.env.K ?? 10);
const firstRow = Array.from(inputs.subarray(0, K)).join(',');

const { browser, newPage } = await launch(log);
const versions = { chromium: browser.version() };
const ONLY = process.env.ONLY ?? '';
const CSV_REPS = Number(process.env.CSV_REPS ?? (ONLY === 'csv' ? 3 : 1));

const result = (page, url) => pageResult(page, url, 600_000);

// The 1,000,000-row CSV through the page's batch engine (issue 6), with and without reasons; a
// fresh page per run, and the fastest of CSV_REPS runs (with its memory growth) per mode.
async function csvBench() {
  const runs = [];
  if (!existsSync(path.join(SITE_DIR, 'applicants-1m.csv'))) return runs;
  // `worker`: the page's path (the app's Worker and its helpers); `job`: BatchJob on one core.
  for (const via of ['worker', 'job']) for (const reasons of [1, 0]) {
    let best = null;
    const all = [];
    for (let rep = 0; rep < CSV_REPS; rep++) {
      const { context, page, cdp } = await newPage({ cache: true });
      await page.exposeFunction('benchHeap', async () => (await cdp.send('Runtime.getHeapUsage')).usedSize);
      const r = await result(page, `${BASE_URL}index.html?rt=cs&task=csv&reasons=${reasons}&via=${via}`);
      log(`csv 1M rows via ${via}${r.workers ? ` (${r.workers} Workers, ${r.helped} of ${r.chunks} chunks to helpers)` : ''}, reasons ${reasons}: ${r.rowsPerS.toFixed(0)} rows/s, wasm +${(r.wasmGrowthBytes / 2 ** 20).toFixed(1)} MiB, heap +${(r.heapGrowthBytes / 2 ** 20).toFixed(1)} MiB`);
      all.push(r.rowsPerS);
      if (!best || r.rowsPerS > best.rowsPerS) best = r;
      await context.close();
    }
    runs.push({ ...best, via, runs: all });
  }
  return runs;
}

// Recourse for the test split's declined applicants through the app's engine Worker (issue 20
// item 4): a fresh page per run, the run with the lowest p95 of RECOURSE_REPS kept.
const RECOURSE_REPS = Number(process.env.RECOURSE_REPS ?? 3);
async function recourseBench() {
  let best = null;
  const all = [];
  for (let rep = 0; rep < RECOURSE_REPS; rep++) {
    const { context, page } = await newPage({ cache: true });
    const r = await result(page, `${BASE_URL}index.html?rt=cs&task=recourse`);
    log(`recourse, ${r.declined} declined of ${r.applicants} (${r.withOptions} with options, ${r.provenNone} proven none), ${r.samples} requests: p50 ${r.p50Ms.toFixed(2)} ms, p95 ${r.p95Ms.toFixed(2)} ms, max ${r.maxMs.toFixed(2)} ms; score p50 ${r.scoreP50Ms.toFixed(2)} ms, p95 ${r.scoreP95Ms.toFixed(2)} ms`);
    all.push({ p50Ms: r.p50Ms, p95Ms: r.p95Ms, maxMs: r.maxMs, scoreP50Ms: r.scoreP50Ms, scoreP95Ms: r.scoreP95Ms });
    if (!best || r.p95Ms < best.p95Ms) best = r;
    await context.close();
  }
  return { ...best, runs: all };
}

const f = (n, d = 0) => (n == null || Number.isNaN(n) ? '—' : n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
const mb = (n) => `${f(n / 1e6, 2)} MB`;
// Issue 20 item 4: recourse p95 < 50 ms; the batch with the one attribution (exact Shapley
// reasons) ≥ 250,000 rows/s on two cores. Issue 6 item 4: ≥ 500,000 rows/s without reasons.
const RECOURSE_P95_MS = 50;
const csvTarget = (reasons) => (reasons ? 250_000 : 500_000);
/** Table rows (text cells in the table's seven columns) for the CSV and recourse runs. */
function csvRows(csvRuns) {
  const out = [];
  for (const c of csvRuns) {
    const label = c.reasons ? 'with reason codes (exact Shapley, the one attribution)' : 'without reasons';
    if (c.via === 'worker') {
      const how = `the page's Worker${c.workers > 1 ? ` + ${c.workers - 1} helper${c.workers > 2 ? 's' : ''}` : ''}`;
      const target = csvTarget(c.reasons);
      out.push({ name: `page batch ${label}`, text: [`browser: 1,000,000-row CSV through ${how}, ${label}, rows/s`, f(c.rowsPerS, 0), '', '', `≥ ${f(target)}`, c.rowsPerS >= target ? 'met' : 'MISSED', ''] });
      const growth = c.wasmGrowthBytes + Math.max(0, c.heapGrowthBytes);
      out.push({ name: `page batch memory ${label}`, text: [`browser: memory growth during that run (every Worker's wasm + JS heap), ${label}`, mb(growth), '', '', '< 64 MiB', growth < 64 * 2 ** 20 ? 'met' : 'MISSED', ''] });
    } else {
      out.push({ name: `one-core batch ${label}`, text: [`browser: the same through BatchJob on one core, ${label}, rows/s`, f(c.rowsPerS, 0), '', '', '', '', ''] });
    }
  }
  return out;
}
// onnxruntime-web has no recourse: the anchor is the same applicants' score + explanation
// (`score` requests) through the same Worker in the same run, in the ratio column.
function recourseRows(r) {
  if (!r) return [];
  const how = `${r.declined} declined test-split applicants × ${r.passes}, through the page's engine Worker`;
  const ratio = (a, b) => (b > 0 ? `${f(a / b, 2)}× score` : '—');
  return [
    { name: 'recourse p50', text: [`recourse (what would change the outcome), ${how}, p50 ms`, f(r.p50Ms, 2), '', ratio(r.p50Ms, r.scoreP50Ms), '', '', ''] },
    { name: 'recourse p95', text: ['recourse, the same, p95 ms', f(r.p95Ms, 2), '', ratio(r.p95Ms, r.scoreP95Ms), `< ${RECOURSE_P95_MS} ms`, r.p95Ms < RECOURSE_P95_MS ? 'met' : 'MISSED', ''] },
    { name: 'recourse max', text: ['recourse, the same, max ms', f(r.maxMs, 2), '', '', '', '', ''] },
    { name: 'score in the same run', text: ['anchor: score + explanation of the same applicants through the same Worker, p50 / p95 ms', `${f(r.scoreP50Ms, 2)} / ${f(r.scoreP95Ms, 2)}`, '', '', '', '', ''] },
  ];
}
const HEADER = ['figure', 'credit-scorer (lite engine)', 'onnxruntime-web 1.30.0', 'ratio (cs ÷ ort)', 'target', '', 'native'];
const table = (rs) => [
  `| ${HEADER.join(' | ')} |`,
  `|${HEADER.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
  ...rs.map((r) => `| ${r.text.join(' | ')} |`),
].join('\n');

if (ONLY === 'csv' || ONLY === 'recourse') {
  const csv = ONLY === 'csv';
  const runs = csv ? await csvBench() : await recourseBench();
  await browser.close();
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(path.join(OUT_DIR, `results-${ONLY}.json`), JSON.stringify({ when: new Date().toISOString(), versions, machine: process.env.MACHINE, runs }, null, 1));
  const md = `${table(csv ? csvRows(runs) : recourseRows(runs))}\n\n- Chromium ${versions.chromium}; ${process.env.MACHINE ?? ''}\n`;
  writeFileSync(path.join(OUT_DIR, `results-${ONLY}.md`), md);
  console.log(JSON.stringify(runs, null, 1));
  console.log(md);
  process.exit(0);
}

// Cold (fresh context, cache disabled) and warm (same context, cache on, after one priming load),
// alternating runtimes so both see the same machine load.
const cold = { cs: [], ort: [] };
const warm = { cs: [], ort: [] };
const fetched = { cs: [], ort: [] };
const coldPd = {};
const coldMarks = { cs: [], ort: [] };
for (let rep = 0; rep < REPS; rep++) {
  for (const rt of ['cs', 'ort']) {
    const { context, page, cdp } = await newPage({ cache: false });
    const url = `${BASE_URL}index.html?rt=${rt}&task=cold&k=${K}&row=${firstRow}`;
    const c = await result(page, url);
    cold[rt].push(c.firstScoreMs);
    fetched[rt] = c.resources.map((r) => r.name);
    coldPd[rt] = c.pd;
    coldMarks[rt].push(c.marks);
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });
    await result(page, url);
    for (let i = 0; i < REPS; i++) warm[rt].push((await result(page, url)).firstScoreMs);
    await context.close();
  }
  log(`cold/warm rep ${rep + 1}/${REPS}: cs ${cold.cs.at(-1).toFixed(0)} ms, ort ${cold.ort.at(-1).toFixed(0)} ms`);
}

// Full runs: a fresh page per runtime and run, alternating runtimes; JS heap sampled over CDP
// between phases. Other processes can only slow a run down, so each figure keeps its best run.
const FULL_REPS = Number(process.env.FULL_REPS ?? 2);
const runs = { cs: [], ort: [] };
for (let rep = 0; rep < FULL_REPS; rep++) {
  for (const rt of ['cs', 'ort']) {
    const { context, page, cdp } = await newPage({ cache: true });
    await page.exposeFunction('benchHeap', async () => (await cdp.send('Runtime.getHeapUsage')).usedSize);
    const r = await result(page, `${BASE_URL}index.html?rt=${rt}&task=full&k=${K}`);
    runs[rt].push(r);
    log(`${rt} run ${rep + 1}/${FULL_REPS}: single ${r.single.blockMedian.toFixed(1)} µs, batch ${r.batchOneCallRowsPerS.toFixed(0)} rows/s, chunks ${r.batchChunksRowsPerS.toFixed(0)} rows/s`);
    await context.close();
  }
}
const csvRuns = await csvBench();
const recourseRun = await recourseBench();
await browser.close();
const best = (rs) => {
  const lo = (get) => rs.map(get).filter((v) => v != null).reduce((a, b) => Math.min(a, b), Infinity);
  const hi = (get) => rs.map(get).reduce((a, b) => Math.max(a, b), -Infinity);
  const b = { ...rs[0] };
  b.loadMs = lo((r) => r.loadMs);
  b.reloadMs = lo((r) => r.reloadMs);
  b.single = { median: lo((r) => r.single.median), blockMedian: lo((r) => r.single.blockMedian), p99: lo((r) => r.single.p99), mean: lo((r) => r.single.mean) };
  b.batchOneCallRowsPerS = hi((r) => r.batchOneCallRowsPerS);
  b.batchChunksRowsPerS = hi((r) => r.batchChunksRowsPerS);
  if (rs[0].explain) b.explain = { median: lo((r) => r.explain.median), p99: lo((r) => r.explain.p99) };
  b.wasmMemoryBytes = hi((r) => r.wasmMemoryBytes);
  b.jsHeapPeakBytes = hi((r) => r.jsHeapPeakBytes);
  return b;
};
const full = { cs: best(runs.cs), ort: best(runs.ort) };

// Agreement between runtimes on every batch row.
const maxDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const agree = { csVsOrt: maxDiff(full.cs.pds, full.ort.pds), coldRow: Math.abs(coldPd.cs - coldPd.ort) };
if (existsSync(path.join(SITE_DIR, 'native_pd.bin'))) {
  const nat = new Float32Array(readFileSync(path.join(SITE_DIR, 'native_pd.bin')).buffer.slice(0));
  agree.nativeVsOrt = maxDiff(Array.from(nat), full.ort.pds);
}
if (full.cs.pds.length !== full.ort.pds.length) throw new Error('the runtimes returned different row counts');

// Runtime files the cold page really fetched, against the files xtask counted.
const counted = (rt) => (SIZES[rt]?.files ?? []).map((f) => `/${f}`);
const runtimeFetched = (rt) => fetched[rt].filter((n) => n.startsWith(rt === 'cs' ? '/pkg/' : '/ort/'));
for (const rt of ['cs', 'ort']) {
  const missing = runtimeFetched(rt).filter((n) => !counted(rt).includes(n));
  if (missing.length) throw new Error(`${rt} fetched runtime files that the size figure does not count: ${missing}`);
}

const kb = (n) => `${f(n / 1e3, 0)} kB`;
const rows = [];
// lowerBetter: ratio must be ≤ target; otherwise ≥ target.
function row(name, cs, ort, fmt, { target, lowerBetter = true, nat, abs } = {}) {
  const ratio = cs != null && ort ? cs / ort : null;
  let met = '';
  if (abs) met = abs(cs) ? 'met' : 'MISSED';
  else if (target != null && ratio != null) met = (lowerBetter ? ratio <= target : ratio >= target) ? 'met' : 'MISSED';
  const targetText = abs ? abs.text : target == null ? '' : `${lowerBetter ? '≤' : '≥'} ${target}`;
  rows.push({ name, cs, ort, ratio, target: targetText, met, native: nat ?? null, text: [name, fmt(cs), ort == null ? '—' : fmt(ort), ratio == null ? '—' : `${f(ratio, 2)}×`, targetText, met, nat == null ? '' : fmt(nat)] });
}
const cs = full.cs;
const ort = full.ort;
row('runtime + glue, brotli', SIZES.cs?.brotli, SIZES.ort?.brotli, kb, { target: 0.35 });
row('runtime + glue, gzip', SIZES.cs?.gzip, SIZES.ort?.gzip, kb);
row('runtime + glue, raw', SIZES.cs?.raw, SIZES.ort?.raw, kb);
row('full engine (with tract; fetched only for a model the lite engine defers), brotli', SIZES.csFull?.brotli, SIZES.ort?.brotli, kb);
row('model load in a fresh page (runtime + model), ms', cs.loadMs, ort.loadMs, (v) => f(v, 0));
row(`cold start: navigation → first score, ms (median of ${REPS})`, median(cold.cs), median(cold.ort), (v) => f(v, 0), { target: 0.33 });
row(`warm start: same context, cache on, ms (median of ${REPS * REPS})`, median(warm.cs), median(warm.ort), (v) => f(v, 0));
row('second model load in the same page, ms', cs.reloadMs, ort.reloadMs, (v) => f(v, 1), { nat: native?.load_ms });
row('single applicant, median µs (10,000 calls, median of 10-call blocks)', cs.single.blockMedian, ort.single.blockMedian, (v) => f(v, 1), { target: 0.5, nat: native?.single_median_us });
row('single applicant, median µs (per call, 5 µs timer steps)', cs.single.median, ort.single.median, (v) => f(v, 0));
row('single applicant, p99 µs', cs.single.p99, ort.single.p99, (v) => f(v, 1), { nat: native?.single_p99_us });
row('single applicant, mean µs', cs.single.mean, ort.single.mean, (v) => f(v, 1), { nat: native?.single_mean_us });
row('batch, 100,000 rows in one call, rows/s', cs.batchOneCallRowsPerS, ort.batchOneCallRowsPerS, (v) => f(v, 0), { target: 1.5, lowerBetter: false, nat: native?.batch_one_call_rows_per_s });
row('batch, chunks of 1,000 rows, rows/s', cs.batchChunksRowsPerS, ort.batchChunksRowsPerS, (v) => f(v, 0), { target: 1.5, lowerBetter: false, nat: native?.batch_chunks_rows_per_s });
row('score + explanation (Scorer.score), median ms', cs.explain?.median, null, (v) => f(v, 2), { abs: Object.assign((v) => v < 5, { text: '< 5 ms' }), nat: native?.explain_median_ms });
row('score + explanation, p99 ms', cs.explain?.p99, null, (v) => f(v, 2), { nat: native?.explain_p99_ms });
row('peak wasm memory', cs.wasmMemoryBytes, ort.wasmMemoryBytes, mb);
row('peak JS heap (CDP, sampled between phases)', cs.jsHeapPeakBytes, ort.jsHeapPeakBytes, mb);
rows.push(...csvRows(csvRuns), ...recourseRows(recourseRun));
if (cli) {
  for (const c of cli.runs ?? []) rows.push({ name: `CLI \`credit-scorer score\`, ${c.label}`, text: [`CLI, ${c.label}, rows/s`, '', '', '', '', '', f(c.rows_per_s, 0)] });
}

const md = table(rows);
const notes = [
  'credit-scorer runs the reference model on its lite engine (the direct evaluator without tract, checked at load against the reference scores recorded in the model), as the page does; the full engine (tract) is fetched only for a model the lite engine defers',
  `outputs agree: max |pd(credit-scorer) − pd(onnxruntime-web)| over ${f(cs.rows)} rows = ${agree.csVsOrt.toExponential(1)}` +
    (agree.nativeVsOrt != null ? `; native vs onnxruntime-web = ${agree.nativeVsOrt.toExponential(1)}` : ''),
  `crossOriginIsolated: cs ${cs.crossOriginIsolated}, ort ${ort.crossOriginIsolated} (timer resolution 5 µs when true, 100 µs otherwise)`,
  `runtime files counted: cs ${counted('cs').join(', ')}; ort ${counted('ort').join(', ')}`,
  `Chromium ${versions.chromium}; ${process.env.MACHINE ?? ''}`,
  native ? `native: ${native.runtime}` : 'native: not run',
  ...(native?.tract_batch_chunks_rows_per_s
    ? [`native through tract's plan (direct evaluator off): single applicant median ${native.tract_single_median_us.toFixed(2)} µs, batch in chunks of 1,000 ${f(native.tract_batch_chunks_rows_per_s)} rows/s`]
    : []),
];
const phases = (rt) => {
  const keys = Object.keys(coldMarks[rt][0] ?? {});
  return keys.map((k) => `${k} ${f(median(coldMarks[rt].map((m) => m[k])), 0)}`).join(', ');
};
notes.push(`cold path, median ms since navigation start — cs: ${phases('cs')}; ort: ${phases('ort')}`);
const text = `${md}\n\n${notes.map((n) => `- ${n}`).join('\n')}\n`;
mkdirSync(OUT_DIR, { recursive: true });
const strip = (r) => ({ ...r, pds: undefined });
writeFileSync(path.join(OUT_DIR, 'results.json'), JSON.stringify({
  when: new Date().toISOString(), versions, machine: process.env.MACHINE, sizes: SIZES, cold, warm, coldMarks, fetched,
  credit_scorer: strip(cs), onnxruntime_web: strip(ort), runs: { cs: runs.cs.map(strip), ort: runs.ort.map(strip) }, native, cli, agree, recourse: recourseRun,
  table: rows.map(({ text, ...r }) => r),
}, null, 1));
writeFileSync(path.join(OUT_DIR, 'results.md'), text);
console.log(text);
if (!(agree.csVsOrt < 1e-4)) {
  console.error(`the runtimes disagree: max abs diff ${agree.csVsOrt}`);
  process.exit(1);
}
