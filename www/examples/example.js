// The example lender's page: the element and a few lines of its own. It listens to the element's
// events as any host page would (the outcome line) and switches the element's language.

import '../lib/credit-score-form.js';

const form = document.getElementById('self-check');
const outcome = document.getElementById('outcome');

/** What this page says about a result (its own words: the element knows nothing of them). */
const TEXTS = {
  en: { score: (r) => `Indicative band ${r.band.id}: ${Math.round(r.points)} points.`, invalid: (e) => `Please check “${label(e.field, 'en')}”.`, error: (e) => `The check is unavailable (${e.kind}).` },
  zh: { score: (r) => `参考等级 ${r.band.id}：${Math.round(r.points)} 分。`, invalid: (e) => `请检查“${label(e.field, 'zh')}”。`, error: (e) => `暂时无法评估（${e.kind}）。` },
};
let features = new Map(); // the model's features by name, once loaded (`ready` resolves with its schema)
form.ready.then((model) => { features = new Map(model.schema.features.map((f) => [f.name, f])); }, () => {});
/** A field's label in `lang`, as the form shows it (its name if the schema has none). */
const label = (name, lang) => features.get(name)?.label?.[lang] ?? name;
/** The page's own header in each language (the English one is in index.html). */
const HEADER = {
  en: {
    title: 'Example Lender: check your eligibility',
    intro: 'Answer ten questions and see how a lender would rate your application. Your answers stay in this browser: nothing is sent anywhere.',
    'lang-label': 'Language',
    document: 'Check your eligibility — Example Lender',
  },
  zh: {
    title: '示例贷款机构：查看您的资格',
    intro: '回答十个问题，看看贷款机构会如何评估您的申请。您的回答只留在本浏览器中，不会发送到任何地方。',
    'lang-label': '语言',
    document: '查看您的资格 — 示例贷款机构',
  },
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
  const lang = e.target.value === 'zh' ? 'zh' : 'en';
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  for (const [id, text] of Object.entries(HEADER[lang])) {
    if (id === 'document') document.title = text;
    else document.getElementById(id).textContent = text;
  }
  say();
});
