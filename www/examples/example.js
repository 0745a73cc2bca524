// The example lender's page: the element and a few lines of its own. It listens to the element's
// events as any host page would (the outcome line) and switches the element's language.

import '../lib/credit-score-form.js';

const form = document.getElementById('self-check');
const outcome = document.getElementById('outcome');

/** What this page says about a result (its own words: the element knows nothing of them). */
const TEXTS = {
  en: { score: (r) => `Indicative band ${r.band.id}: ${Math.round(r.points)} points.`, invalid: (e) => `Please check “${e.field}”.`, error: (e) => `The check is unavailable (${e.kind}).` },
  zh: { score: (r) => `参考等级 ${r.band.id}：${Math.round(r.points)} 分。`, invalid: (e) => `请检查“${e.field}”。`, error: (e) => `暂时无法评估（${e.kind}）。` },
};
let last = null; // the last event, to say it again in another language

function say() {
  const texts = TEXTS[form.getAttribute('lang') === 'zh' ? 'zh' : 'en'];
  outcome.textContent = last ? texts[last.type](last.detail) : '';
  outcome.dataset.event = last?.type ?? '';
}

for (const type of ['score', 'invalid', 'error']) {
  form.addEventListener(type, (e) => {
    last = { type, detail: e.detail };
    say();
  });
}

document.getElementById('lang').addEventListener('change', (e) => {
  form.setAttribute('lang', e.target.value);
  document.documentElement.lang = e.target.value === 'zh' ? 'zh-CN' : 'en';
  say();
});
