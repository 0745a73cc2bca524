// Bring your own model: a foreign skl2onnx model without schema drives the form; a broken file
// is refused with the engine's message and the previous model stays usable.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import {
  launch, openPage, gotoReady, shot, fillApplicant, readResult, golden, goldenApplicant, fixture, parsePercent,
  NARROW,
} from './helpers.mjs';

const g = golden();
const logreg = JSON.parse(readFileSync(fixture('models', 'logreg.json'), 'utf8'));

/** Waits until the page has finished loading a chosen model (accepted or refused). */
async function settled(page) {
  await page.waitForSelector('body[data-busy="false"]');
  await page.waitForFunction(() => !document.getElementById('model-status').hidden
    || !document.getElementById('model-error').hidden);
}

async function chooseFile(page, file) {
  await page.setInputFiles('#model-file', file);
  await settled(page);
}

/** Drops a file on the drop zone the way a browser does (a DataTransfer with the file). */
async function dropFile(page, file, name) {
  const bytes = [...readFileSync(file)];
  const dt = await page.evaluateHandle(({ bytes, name }) => {
    const d = new DataTransfer();
    d.items.add(new File([new Uint8Array(bytes)], name, { type: 'application/octet-stream' }));
    return d;
  }, { bytes, name });
  await page.dispatchEvent('#drop-zone', 'dragenter', { dataTransfer: dt });
  await page.dispatchEvent('#drop-zone', 'dragover', { dataTransfer: dt });
  await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer: dt });
  await settled(page);
}

describe('loading your own model', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  test('a foreign skl2onnx model (no schema) gets a generic form and scores', async () => {
    const { page, context, assertClean } = await openPage(browser);
    const requests = [];
    await gotoReady(page);
    page.on('request', (r) => requests.push(r));
    await chooseFile(page, fixture('models', 'logreg.onnx'));
    assert.match(await page.textContent('#model-status'), /Loaded “logreg\.onnx”/);
    const fields = await page.$$eval('#fields [data-field]', (els) => els.map((e) => e.dataset.field));
    assert.deepEqual(fields, Array.from({ length: logreg.k }, (_, i) => `x${i}`));
    assert.equal(await page.isVisible('#generic-note'), true);
    assert.match(await page.textContent('#generic-note'), /zero baseline/);
    assert.equal(await page.textContent('#model-sha'), logreg.model_sha256);
    // A LinearClassifier runs on the crate's own tree/linear evaluator once it agreed with tract.
    assert.equal(await page.textContent('#model-engine'), 'Direct evaluator (agreed with tract on probe applicants when loaded)',
      'ai.onnx.ml operators run directly after agreeing with tract');
    assert.match(await page.textContent('#card'), /Your file “logreg\.onnx”/);
    assert.match(await page.textContent('#card'), /no model card/);

    const sample = logreg.rows[0];
    await fillApplicant(page, Object.fromEntries(sample.x.map((v, i) => [`x${i}`, String(v)])));
    const r = await readResult(page);
    assert.equal(parsePercent(r.pdText).toFixed(1), (sample.pd * 100).toFixed(1));
    assert.ok(Math.abs(r.pd - sample.pd) < 1e-5, `${r.pd} vs ${sample.pd}`);
    assert.match(await page.textContent('#baseline-note'), /every input at zero/);
    await shot(page, 'en-wide-own-model');
    // The file is read locally. The only requests: the full engine, which the lite engine defers
    // this model to (fetched once, by the scoring worker), answered by the service worker's cache.
    assert.deepEqual(requests.map((r) => new URL(r.url()).pathname).sort(),
      ['/pkg/simd/credit_scorer.js', '/pkg/simd/credit_scorer_bg.wasm'], 'no request but the full engine');
    for (const r of requests) assert.equal((await r.response())?.fromServiceWorker(), true, `${r.url()} from the cache`);
    assert.equal(await page.getAttribute('#model-engine', 'data-build'), 'full');

    // A broken file next: refused, and the foreign model stays in use.
    await dropFile(page, fixture('hostile', 'random.onnx'), 'random.onnx');
    const err = await page.textContent('#model-error');
    assert.match(err, /“random\.onnx” was refused: .{10,}/);
    assert.match(err, /previous model is still in use/);
    assert.equal(await page.textContent('#model-sha'), logreg.model_sha256);
    assert.equal(await page.inputValue('#f-x0'), String(sample.x[0]), 'the form was left alone');

    // Back to the reference model with one button.
    await page.click('#reference-btn');
    await page.waitForFunction(() => document.getElementById('f-checking_status'));
    assert.equal(await page.textContent('#model-sha'), g.model_sha256);
    assert.equal(await page.getAttribute('#model-engine', 'data-build'), 'lite', 'the reference model is back on the lite engine');
    assert.equal(await page.isVisible('#generic-note'), false);
    assertClean(assert);
    await context.close();
  });

  test('a broken file is refused with a clear message; the reference model still scores', async () => {
    const { page, context, assertClean } = await openPage(browser, { viewport: NARROW });
    await gotoReady(page);
    await chooseFile(page, fixture('hostile', 'random.onnx'));
    const err = page.locator('#model-error');
    assert.equal(await err.isVisible(), true);
    const text = await err.textContent();
    assert.match(text, /“random\.onnx” was refused: /);
    assert.equal(await page.getAttribute('#model-error', 'role'), 'alert');
    await page.locator('#model-error').scrollIntoViewIfNeeded();
    await shot(page, 'en-narrow-refused-model', { fullPage: false });

    // Every hostile file: each refused with a message, none breaks the page.
    const hostile = readdirSync(fixture('hostile')).filter((f) => f.endsWith('.onnx'));
    assert.ok(hostile.length >= 20);
    for (const name of hostile) {
      await chooseFile(page, fixture('hostile', name));
      assert.match(await page.textContent('#model-error'), new RegExp(`“${name.replace('.', '\\.')}” was refused: .{10,}`));
    }

    // In Chinese each refusal starts with its kind's summary; the engine's English detail follows.
    await page.selectOption('#lang', 'zh-CN');
    assert.match(await page.textContent('#model-error'), /^“[^”]+”被拒绝：.+。详情（英文）：.{10,}/);
    const kinds = {
      'random.onnx': '这不是可读取的 ONNX 模型。',
      'two_inputs.onnx': '它不具备信用模型所需的单一输入和概率输出。',
      'unknown_op.onnx': '它使用了本评分器不支持的内容。',
      'nan_weights.onnx': '其权重或输出不是有效的数字或概率。',
      'bad_schema_invalid_json.onnx': '其元数据中的特征模式格式有误或与模型不符。',
      'expand_bomb.onnx': '它超出了本页面可接受的大小，或会占用过多内存。',
    };
    for (const [name, summary] of Object.entries(kinds)) {
      await chooseFile(page, fixture('hostile', name));
      const text = await page.textContent('#model-error');
      assert.ok(text.startsWith(`“${name}”被拒绝：${summary}详情（英文）：`), text);
      assert.match(text, /仍在使用之前的模型。$/);
    }
    await shot(page, 'zh-narrow-refused-model', { fullPage: false });
    // Switching back re-renders the message in English.
    await page.selectOption('#lang', 'en');
    assert.match(await page.textContent('#model-error'), /^“expand_bomb\.onnx” was refused: [^详]{10,}/);

    assert.equal(await page.textContent('#model-sha'), g.model_sha256);
    const row = g.rows.find((r) => r.id.startsWith('test-'));
    await fillApplicant(page, goldenApplicant(g, row));
    const r = await readResult(page);
    assert.ok(Math.abs(r.pd - row.pd) < 1e-5);
    assertClean(assert);
    await context.close();
  });
});
