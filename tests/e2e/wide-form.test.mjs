// A 40-characteristic model's form (issue 19 item 4; tests/fixtures/wide, training/wide_model.py):
// sections from the schema's groups with their counts, a search box (English and Chinese, by
// label and name, a "no match" state), every field filled through sections and search and scored
// as onnxruntime scores it, an invalid field opening its section, keyboard-only use, the same in
// <credit-score-form>, and screenshots at phone and desktop widths in both languages.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  launch, openPage, gotoReady, readResult, fixture, embeddedSchema, openHostPage, shot, WIDE, NARROW,
} from './helpers.mjs';

const MODEL = fixture('wide', 'wide40.onnx');
const golden = JSON.parse(readFileSync(fixture('wide', 'wide40.json'), 'utf8'));
const schema = embeddedSchema(MODEL);
const byName = new Map(schema.features.map((f) => [f.name, f]));
const inGroup = (id) => schema.features.filter((f) => f.group === id).map((f) => f.name);
const DISPLAY_ORDER = schema.groups.flatMap((g) => inGroup(g.id));
const fold = (s) => s.normalize('NFKC').toLowerCase().replace(/[\s_]+/g, ' ').trim();
/** The features a query should find: every word in the label (in `lang`) or the name. */
const expectedMatches = (query, lang) => DISPLAY_ORDER.filter((n) => {
  const f = byName.get(n);
  const hay = `${fold(f.label[lang] ?? f.label.en)} ${fold(n)}`;
  return fold(query).split(' ').every((w) => hay.includes(w));
});

/** Uploads the wide model into the page and waits until its form is there. */
async function loadWide(page) {
  await page.setInputFiles('#model-file', MODEL);
  await page.waitForSelector('body[data-busy="false"]');
  await page.waitForFunction(() => !document.getElementById('model-status').hidden
    || !document.getElementById('model-error').hidden);
  assert.equal(await page.locator('#model-error').isHidden(), true,
    `the model is accepted: ${await page.textContent('#model-error')}`);
  await page.waitForFunction((n) => document.querySelectorAll('#fields [data-field]').length === n, schema.features.length);
}

/** Each section as the page shows it. */
const sections = (page, root = '#fields') => page.$$eval(`${root} details.section`, (els) => els.map((d) => ({
  group: d.dataset.group,
  title: d.querySelector('.section__title').textContent,
  count: d.querySelector('.section__count').textContent,
  invalid: d.querySelector('.section__invalid').hidden ? null : d.querySelector('.section__invalid').textContent,
  open: d.open,
  hidden: d.hidden,
  fields: [...d.querySelectorAll('[data-field]')].map((f) => f.dataset.field),
  done: Number(d.dataset.done),
  total: Number(d.dataset.total),
})));

/** The fields the form shows now (not filtered out, in an open section). */
const visibleFields = (page) => page.$$eval('#fields [data-field]', (els) => els
  .filter((e) => e.checkVisibility()).map((e) => e.dataset.field));

const focused = (page) => page.evaluate(() => document.activeElement?.id ?? null);

async function fill(page, name, root = '') {
  const sel = `${root} #f-${name}`.trim();
  const v = String(golden.applicant[name]);
  if (byName.get(name).kind === 'categorical') await page.selectOption(sel, v);
  else await page.fill(sel, v);
}

async function search(page, query, root = '') {
  await page.fill(`${root} #field-search`.trim(), query);
}

describe('a 40-characteristic model\'s form', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  test('the fixture: 40 features in 5 groups, a golden applicant from onnxruntime', () => {
    assert.equal(schema.features.length, 40);
    assert.deepEqual(schema.groups.map((g) => g.id), ['applicant', 'loan', 'employment', 'accounts', 'bureau']);
    assert.ok(schema.groups.every((g) => g.label.en && g.label.zh));
    assert.ok(schema.features.every((f) => f.label.en && f.label.zh && f.group));
    assert.equal(Object.keys(golden.applicant).length, 40);
    assert.ok(golden.applicant_pd > 0.1 && golden.applicant_pd < 0.9);
  });

  test('sections with counts, and the search by label and name, in English and Chinese', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await gotoReady(page);
    // The reference model's form is as before: no sections, no search box.
    assert.equal(await page.locator('#fields details, #field-search').count(), 0);
    await loadWide(page);
    assert.equal(await page.getAttribute('#model-engine', 'data-build'), 'lite');
    let s = await sections(page);
    assert.deepEqual(s.map((x) => x.title), schema.groups.map((g) => g.label.en));
    for (const x of s) {
      assert.deepEqual(x.fields, inGroup(x.group), `${x.group}: its features in schema order`);
      assert.equal(x.count, `0 of ${x.fields.length} filled`);
      assert.equal(x.invalid, null, 'no field of an untouched form shows an error');
      assert.ok(x.open && !x.hidden);
    }
    assert.deepEqual(await visibleFields(page), DISPLAY_ORDER);

    // Filling a field counts it in its section.
    await fill(page, 'bureau_score');
    await fill(page, 'worst_status_12m');
    s = await sections(page);
    assert.equal(s.find((x) => x.group === 'bureau').count, `2 of ${inGroup('bureau').length} filled`);

    // By label: every word, any case; the sections without a match are hidden.
    for (const query of ['income', 'MONTHS', 'last months inquiries']) {
      await search(page, query);
      const want = expectedMatches(query, 'en');
      assert.ok(want.length > 0, query);
      assert.deepEqual(await visibleFields(page), want, `"${query}"`);
      assert.equal(await page.textContent('#field-search-status'), want.length === 1 ? '1 field matches.' : `${want.length} fields match.`);
      s = await sections(page);
      for (const x of s) assert.equal(x.hidden, !x.fields.some((n) => want.includes(n)), `${query}: ${x.group}`);
    }
    // By name, as the bank's files name the columns.
    await search(page, 'dti'); // no label or name holds it
    assert.deepEqual(await visibleFields(page), expectedMatches('dti', 'en'));
    await search(page, 'debt_to_income');
    assert.deepEqual(await visibleFields(page), ['debt_to_income']);
    // No match: said, with how to get back; Escape brings every field back.
    await search(page, 'zebra');
    assert.deepEqual(await visibleFields(page), []);
    assert.equal(await page.textContent('#field-search-status'),
      'No field matches “zebra”. Press Escape or clear the search to see every field.');
    assert.ok((await sections(page)).every((x) => x.hidden));
    await page.press('#field-search', 'Escape');
    assert.equal(await page.inputValue('#field-search'), '');
    assert.deepEqual(await visibleFields(page), DISPLAY_ORDER);
    assert.equal(await page.textContent('#field-search-status'), '');

    // A section the user closed stays closed after a search that opened it.
    await page.click('details[data-group="loan"] summary');
    assert.equal((await sections(page)).find((x) => x.group === 'loan').open, false);
    await search(page, 'credit amount');
    assert.deepEqual(await visibleFields(page), ['credit_amount']);
    await search(page, '');
    assert.equal((await sections(page)).find((x) => x.group === 'loan').open, false);
    await page.click('details[data-group="loan"] summary');

    // Chinese: headings, counts, the search by the Chinese label (and still by name).
    await page.selectOption('#lang', 'zh-CN');
    await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
    await page.waitForFunction(() => document.getElementById('field-search-label').textContent === '查找字段');
    s = await sections(page);
    assert.deepEqual(s.map((x) => x.title), schema.groups.map((g) => g.label.zh));
    assert.equal(s.find((x) => x.group === 'bureau').count, `已填 2/${inGroup('bureau').length}`);
    for (const query of ['逾期', '收入', '月数', 'bureau_file']) {
      await search(page, query);
      const want = expectedMatches(query, 'zh');
      assert.ok(want.length > 0, query);
      assert.deepEqual(await visibleFields(page), want, `"${query}"`);
      assert.equal(await page.textContent('#field-search-status'), `${want.length} 个字段匹配。`);
    }
    await search(page, '斑马');
    assert.equal(await page.textContent('#field-search-status'), '没有与“斑马”匹配的字段。按 Esc 键或清空搜索框即可显示所有字段。');
    await page.press('#field-search', 'Escape');
    assert.deepEqual(await visibleFields(page), DISPLAY_ORDER);
    assertClean(assert);
    await context.close();
  });

  test('every field filled through sections and the search scores as onnxruntime does', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await gotoReady(page);
    await loadWide(page);
    // Close every section: the officer opens one at a time.
    for (const g of schema.groups) await page.click(`details[data-group="${g.id}"] summary`);
    assert.ok((await sections(page)).every((x) => !x.open));
    assert.deepEqual(await visibleFields(page), []);
    const bySearch = inGroup('bureau').concat(inGroup('accounts'));
    for (const g of schema.groups.filter((x) => !['bureau', 'accounts'].includes(x.id))) {
      await page.click(`details[data-group="${g.id}"] summary`);
      for (const n of inGroup(g.id)) await fill(page, n);
      const x = (await sections(page)).find((y) => y.group === g.id);
      assert.equal(x.count, `${x.total} of ${x.total} filled`);
      await page.click(`details[data-group="${g.id}"] summary`); // and closes it again
    }
    // The rest through the search, each by its label (Enter goes to the first match).
    for (const n of bySearch) {
      const label = byName.get(n).label.en;
      await search(page, label);
      const want = expectedMatches(label, 'en');
      assert.ok(want.includes(n), `${label} finds ${n}`);
      await page.press('#field-search', 'Enter');
      assert.equal(await focused(page), `f-${want[0]}`, 'Enter goes to the first match');
      await fill(page, n);
    }
    await page.press('#field-search', 'Escape');
    const r = await readResult(page);
    assert.ok(Math.abs(r.pd - golden.applicant_pd) < 1e-5, `PD ${r.pd} vs onnxruntime ${golden.applicant_pd}`);
    assert.equal(await page.getAttribute('#model-engine', 'data-build'), 'lite');
    for (const x of await sections(page)) assert.equal(x.done, x.total, `${x.group} complete`);
    assertClean(assert);
    await context.close();
  });

  test('an invalid field opens its section and the section says so', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await gotoReady(page);
    await loadWide(page);
    for (const g of schema.groups) await page.click(`details[data-group="${g.id}"] summary`);
    // Submitting the empty form: every section opens and counts its fields to correct; focus
    // goes to the first field as the form shows them.
    await page.click('#score-btn');
    await page.waitForFunction(() => document.querySelectorAll('[aria-invalid="true"]').length === 40);
    for (const x of await sections(page)) {
      assert.ok(x.open, `${x.group} opened`);
      assert.equal(x.invalid, `${x.total} to correct`);
    }
    assert.equal(await focused(page), `f-${DISPLAY_ORDER[0]}`);
    for (const n of DISPLAY_ORDER) await fill(page, n);
    await readResult(page);
    assert.ok((await sections(page)).every((x) => x.invalid === null));
    // What-if: the bureau section closed, a value out of range typed through the search.
    await page.click('details[data-group="bureau"] summary');
    await search(page, 'bureau score');
    await page.fill('#f-bureau_score', '2000');
    await page.press('#f-bureau_score', 'Tab');
    await page.locator('#f-bureau_score-error').waitFor({ state: 'visible' });
    await page.press('#field-search', 'Escape');
    const bureau = (await sections(page)).find((x) => x.group === 'bureau');
    assert.ok(bureau.open, 'the section with the invalid field is open once the search is cleared');
    assert.equal(bureau.invalid, '1 to correct');
    assert.ok(await page.locator('#f-bureau_score-error').isVisible());
    // Submit with the field filtered out by a search: the search is cleared to show it.
    await search(page, 'housing');
    await page.click('#score-btn');
    await page.waitForFunction(() => document.activeElement?.id === 'f-bureau_score');
    assert.equal(await page.inputValue('#field-search'), '');
    await page.selectOption('#lang', 'zh-CN');
    await page.waitForFunction(() => document.querySelector('details[data-group="bureau"] .section__invalid').textContent === '1 项需更正');
    assertClean(assert);
    await context.close();
  });

  test('keyboard only: the search, Enter to a field, sections, every field by Tab', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await gotoReady(page);
    await loadWide(page);
    const tag = () => page.evaluate(() => document.activeElement?.tagName);
    const ring = () => page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    await page.focus('#lang'); // the page's header, before the form
    let presses = 0;
    while ((await focused(page)) !== 'field-search') {
      await page.keyboard.press('Tab');
      assert.ok(++presses <= 10, 'the search box is a few Tabs after the header');
    }
    assert.notEqual(await ring(), 'none', 'the search box shows its focus');
    // Type, Enter: focus on the match; Shift+Tab back over its section's summary to the search.
    await page.keyboard.type('bureau score');
    await page.keyboard.press('Enter');
    assert.equal(await focused(page), 'f-bureau_score');
    assert.equal(await page.inputValue('#f-bureau_score'), '', 'Enter did not submit or type');
    await page.keyboard.press('Shift+Tab');
    assert.equal(await tag(), 'SUMMARY');
    await page.keyboard.press('Shift+Tab');
    assert.equal(await focused(page), 'field-search');
    await page.keyboard.press('Escape');
    assert.equal(await page.inputValue('#field-search'), '');
    assert.deepEqual(await visibleFields(page), DISPLAY_ORDER);
    // A summary: focus shown, Enter closes and opens its section, Tab skips a closed one.
    await page.keyboard.press('Tab');
    assert.equal(await tag(), 'SUMMARY');
    assert.notEqual(await ring(), 'none', 'a summary shows its focus');
    await page.keyboard.press('Enter');
    assert.equal((await sections(page))[0].open, false, 'Enter closes the section');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.closest('details')?.dataset.group), schema.groups[1].id, 'Tab skips a closed section');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    assert.equal((await sections(page))[0].open, true, 'Enter opens it again');
    // Every field by Tab in the order the form shows them (over each section's summary).
    await page.keyboard.press('Tab');
    for (const n of DISPLAY_ORDER) {
      if ((await tag()) === 'SUMMARY') await page.keyboard.press('Tab');
      assert.equal(await focused(page), `f-${n}`, 'fields in section order');
      const f = byName.get(n);
      const v = golden.applicant[n];
      if (f.kind === 'categorical') {
        const index = f.categories.findIndex((c) => c.code === v);
        for (let i = 0; i <= index; i++) await page.keyboard.press('ArrowDown');
        assert.equal(await page.inputValue(`#f-${n}`), String(v));
      } else {
        await page.keyboard.type(String(v));
      }
      await page.keyboard.press('Tab');
    }
    assert.equal(await focused(page), 'score-btn');
    await page.keyboard.press('Enter');
    const r = await readResult(page);
    assert.ok(Math.abs(r.pd - golden.applicant_pd) < 1e-5, `PD ${r.pd} vs onnxruntime ${golden.applicant_pd}`);
    for (const x of await sections(page)) assert.equal(x.count, `${x.total} of ${x.total} filled`);
    await shot(page, 'wide-form-en-wide-keyboard');
    assertClean(assert);
    await context.close();
  });

  test('<credit-score-form> with the wide model: sections, search, score, Chinese', async () => {
    const { page, problems } = await openHostPage(browser, {
      csp: "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; worker-src 'self'; "
        + "object-src 'none'; base-uri 'none'; form-action 'none'; require-trusted-types-for 'script'; trusted-types credit-scorer",
      html: '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title>'
        + '<script type="module" src="/embed-host/host.js"></script></head><body></body></html>',
      files: { 'host.js': { type: 'text/javascript', body: "import '/lib/credit-score-form.js';" } },
    });
    await page.route('**/embed-wide/wide40.onnx', (route) => route.fulfill({
      status: 200, headers: { 'content-type': 'application/octet-stream' }, body: readFileSync(MODEL),
    }));
    await page.waitForFunction(() => customElements.get('credit-score-form') !== undefined);
    await page.evaluate(() => {
      const el = document.createElement('credit-score-form');
      el.setAttribute('model', '/embed-wide/wide40.onnx');
      el.setAttribute('lang', 'en');
      document.body.append(el);
    });
    await page.waitForSelector('credit-score-form[data-state="ready"]');
    const root = 'credit-score-form';
    const s = await sections(page, `${root} #fields`);
    assert.deepEqual(s.map((x) => x.title), schema.groups.map((g) => g.label.en));
    assert.deepEqual(s.map((x) => x.count), schema.groups.map((g) => `0 of ${inGroup(g.id).length} filled`));
    assert.equal(await page.getAttribute(`${root} details[data-group="loan"]`, 'part'), 'section');
    // Through sections (the first three) and the search (the rest).
    for (const g of schema.groups.slice(0, 3)) for (const n of inGroup(g.id)) await fill(page, n, root);
    for (const g of schema.groups.slice(3)) {
      for (const n of inGroup(g.id)) {
        await search(page, n, root);
        assert.ok(await page.locator(`${root} #f-${n}`).isVisible());
        await fill(page, n, root);
      }
    }
    await search(page, 'zebra', root);
    assert.match(await page.textContent(`${root} #field-search-status`), /No field matches “zebra”/);
    await page.press(`${root} #field-search`, 'Escape');
    await page.waitForSelector('credit-score-form[data-state="scored"]');
    const pd = await page.$eval(root, (el) => el.result.pd);
    assert.ok(Math.abs(pd - golden.applicant_pd) < 1e-5, `PD ${pd} vs onnxruntime ${golden.applicant_pd}`);
    await page.$eval(root, (el) => el.setAttribute('lang', 'zh'));
    await page.waitForFunction(() => document.querySelector('credit-score-form').getAttribute('data-lang') === 'zh-CN');
    const zh = await sections(page, `${root} #fields`);
    assert.deepEqual(zh.map((x) => x.title), schema.groups.map((g) => g.label.zh));
    await search(page, '逾期', root);
    const want = expectedMatches('逾期', 'zh');
    const shown = await page.$$eval(`${root} #fields [data-field]`, (els) => els.filter((e) => e.checkVisibility()).map((e) => e.dataset.field));
    assert.deepEqual(shown, want);
    assert.equal(await page.textContent(`${root} #field-search-status`), `${want.length} 个字段匹配。`, 'the element\'s language, not the page\'s');
    await shot(page, 'wide-form-element-zh');
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  for (const [lang, locale] of [['en', 'en-US'], ['zh', 'zh-CN']]) {
    for (const [size, viewport] of [['wide', WIDE], ['narrow', NARROW]]) {
      test(`screenshots: ${lang} ${size}`, async () => {
        const { page, context, assertClean } = await openPage(browser, { viewport, locale });
        await gotoReady(page);
        await loadWide(page);
        await page.locator('#field-search').scrollIntoViewIfNeeded();
        await shot(page, `wide-form-${lang}-${size}-1-sections`, { fullPage: false });
        for (const n of inGroup('applicant').concat(inGroup('loan'))) await fill(page, n);
        for (const g of ['applicant', 'loan', 'employment', 'accounts']) await page.click(`details[data-group="${g}"] summary`);
        await page.fill('#f-bureau_score', '2000');
        await page.press('#f-bureau_score', 'Tab');
        await page.locator('#f-bureau_score-error').waitFor({ state: 'visible' });
        await page.locator('#field-search').scrollIntoViewIfNeeded();
        await shot(page, `wide-form-${lang}-${size}-2-collapsed-invalid`, { fullPage: false });
        await search(page, lang === 'zh' ? '逾期' : 'months');
        await shot(page, `wide-form-${lang}-${size}-3-search`, { fullPage: false });
        await search(page, lang === 'zh' ? '斑马' : 'zebra');
        await shot(page, `wide-form-${lang}-${size}-4-no-match`, { fullPage: false });
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 0, `no horizontal overflow (${overflow}px)`);
        assertClean(assert);
        await context.close();
      });
    }
  }
});
