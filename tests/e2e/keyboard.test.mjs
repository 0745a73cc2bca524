// Keyboard only: Tab, arrow keys and typing reach a score, with a visible focus at every step.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, openPage, gotoReady, shot, readResult, golden, embeddedSchema, REFERENCE_MODEL,
} from './helpers.mjs';

const schema = embeddedSchema(REFERENCE_MODEL);
const g = golden();
const row = g.rows.find((r) => r.id.startsWith('test-'));

const focused = (page) => page.evaluate(() => document.activeElement?.id ?? '');

describe('keyboard only', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  test('an applicant can be scored with Tab, arrow keys and typing', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await gotoReady(page);
    const first = `f-${schema.features[0].name}`;
    let presses = 0;
    while ((await focused(page)) !== first) {
      await page.keyboard.press('Tab');
      assert.ok(++presses <= 6, 'the first field is reached within a few Tabs');
    }
    for (const [i, f] of schema.features.entries()) {
      assert.equal(await focused(page), `f-${f.name}`, 'fields are in schema order');
      if (f.kind === 'categorical') {
        // The blank option is first: ArrowDown (index + 1) times selects category `index`.
        const index = f.categories.findIndex((c) => c.code === row.x[i]);
        for (let n = 0; n <= index; n++) await page.keyboard.press('ArrowDown');
        assert.equal(await page.inputValue(`#f-${f.name}`), String(row.x[i]));
      } else {
        await page.keyboard.type(String(row.x[i]));
      }
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
      assert.notEqual(outline, 'none', `${f.name} shows its focus`);
      await page.keyboard.press('Tab');
    }
    // The form scores as soon as it is valid; Enter on the submit button works too.
    assert.equal(await focused(page), 'score-btn');
    await page.keyboard.press('Enter');
    const r = await readResult(page);
    assert.ok(Math.abs(r.pd - row.pd) < 1e-5, `${r.pd} vs ${row.pd}`);
    await shot(page, 'en-wide-keyboard');

    // Clear by keyboard, then focus is back on the first field.
    await page.keyboard.press('Tab');
    assert.equal(await focused(page), 'clear-btn');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#result-body', { state: 'hidden' });
    assert.equal(await focused(page), first);
    assertClean(assert);
    await context.close();
  });
});
