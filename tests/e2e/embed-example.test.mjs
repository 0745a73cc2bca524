// The example lender page (www/examples/), built only on <credit-score-form>, as served beside
// the app: fill and score, an invalid value, a language switch, and the events the host page
// reacts to, with axe-core's WCAG A/AA audit; then the same page under its own CSP alone (the
// policy README tells hosts to use).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  BASE_URL, ORIGIN, ROOT, axeViolations, launch, openPage, golden, goldenApplicant, embeddedSchema, REFERENCE_MODEL, shot,
} from './helpers.mjs';

const g = golden();
const schema = embeddedSchema(REFERENCE_MODEL);
const EXAMPLE = new URL('examples/', BASE_URL).href;

/** The example's own policy, from the `/examples/*` rule of www/_headers. */
function examplePolicy() {
  const text = readFileSync(path.join(ROOT, 'www', '_headers'), 'utf8');
  const rule = text.split(/\n(?=\S)/).find((r) => r.startsWith('/examples/*'));
  return rule.match(/Content-Security-Policy:\s*(.+)/)[1].trim();
}

async function fill(page, values) {
  for (const [name, value] of Object.entries(values)) {
    const sel = `#self-check >> #f-${name}`;
    if (await page.$eval(sel, (el) => el.tagName) === 'SELECT') await page.selectOption(sel, value);
    else await page.fill(sel, value);
  }
}

describe('the example lender page (www/examples/)', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  test('fill, score, invalid value, language switch, events seen by the page', async () => {
    const { page, assertClean } = await openPage(browser);
    const requests = [];
    page.on('request', (r) => requests.push(r.url()));
    const response = await page.goto(EXAMPLE);
    const csp = response.headers()['content-security-policy'];
    assert.ok(csp.includes(examplePolicy()), `the example's own policy is sent: ${csp}`);
    await page.waitForSelector('#self-check[data-state="ready"]');

    const row = g.rows[0];
    await fill(page, goldenApplicant(g, row));
    await page.waitForSelector('#self-check[data-state="scored"]');
    const pd = Number(await page.getAttribute('#self-check >> #pd', 'data-value'));
    assert.ok(Math.abs(pd - row.pd) < 1e-5, `${pd} vs onnxruntime ${row.pd}`);
    const points = Number(await page.getAttribute('#self-check >> #points', 'data-value'));
    const band = await page.getAttribute('#self-check >> #band', 'data-band');
    assert.equal(await page.getAttribute('#outcome', 'data-event'), 'score');
    assert.equal(await page.textContent('#outcome'), `Indicative band ${band}: ${Math.round(points)} points.`);
    await shot(page, 'embed-example-en');
    assert.deepEqual(await axeViolations(page), [], 'axe-core: the scored page');

    await page.fill('#self-check >> #f-credit_amount', '-5');
    await page.waitForSelector('#self-check[data-state="stale"]');
    await page.waitForFunction(() => document.getElementById('outcome').dataset.event === 'invalid');
    const amount = schema.features.find((f) => f.name === 'credit_amount');
    assert.equal(await page.textContent('#outcome'), `Please check “${amount.label.en}”.`);
    assert.notEqual(await page.textContent('#self-check >> #f-credit_amount-error'), '');

    await page.selectOption('#lang', 'zh');
    await page.waitForSelector('#self-check[data-lang="zh-CN"]'); // the element imports its table on first use
    assert.equal(await page.textContent('#outcome'), `请检查“${amount.label.zh}”。`);
    assert.match(await page.textContent('#self-check >> #f-credit_amount-error'), /^必须介于/);
    assert.equal(await page.textContent('#self-check >> #f-credit_amount-label'), schema.features.find((f) => f.name === 'credit_amount').label.zh);
    assert.equal(await page.textContent('#self-check >> #result-heading'), '结果');
    assert.deepEqual(await axeViolations(page), [], 'axe-core: a field error, in Chinese');
    await page.fill('#self-check >> #f-credit_amount', String(row.x[g.features.indexOf('credit_amount')]));
    await page.waitForSelector('#self-check[data-state="scored"]');
    assert.equal(await page.textContent('#outcome'), `参考等级 ${band}：${Math.round(points)} 分。`);
    await shot(page, 'embed-example-zh');

    assert.deepEqual(requests.filter((u) => new URL(u).origin !== ORIGIN), [], 'no request leaves the origin');
    assertClean(assert);
  });

  test('the example scores under its own policy alone (what README tells a host to send)', async () => {
    const { page, assertClean } = await openPage(browser);
    const policy = examplePolicy();
    await page.route(EXAMPLE, async (route) => {
      const original = await route.fetch();
      const headers = { ...original.headers() };
      headers['content-security-policy'] = policy;
      delete headers['x-frame-options'];
      await route.fulfill({ response: original, headers });
    });
    const response = await page.goto(EXAMPLE);
    assert.equal(response.headers()['content-security-policy'], policy);
    await page.waitForSelector('#self-check[data-state="ready"]');
    await fill(page, goldenApplicant(g, g.rows[1]));
    await page.waitForSelector('#self-check[data-state="scored"]');
    const pd = Number(await page.getAttribute('#self-check >> #pd', 'data-value'));
    assert.ok(Math.abs(pd - g.rows[1].pd) < 1e-5, `${pd} vs onnxruntime ${g.rows[1].pd}`);
    assertClean(assert);
  });
});
