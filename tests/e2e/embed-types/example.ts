// A typed use of the library, compiled by tests/e2e/embed-api.test.mjs with `tsc --noEmit`:
// every call's argument and result must have the declared type (no `any` slips through).
import { createScorer, ScorerError } from '../../../www/lib/credit-scorer.js';
import type { CreditScoreForm } from '../../../www/lib/credit-score-form.js';
import type { BatchSummary, Feature, ModelInfo, ScoreResult, Schema, FieldError, RecourseResult } from '../../../www/lib/credit-scorer.js';

type IsAny<T> = 0 extends 1 & T ? true : false;
type NotAny<T> = IsAny<T> extends true ? never : T;
function expectType<T>(value: NotAny<T>): T {
  return value;
}

export async function example(modelUrl: URL, csv: File): Promise<string[]> {
  const scorer = createScorer({ assetsUrl: new URL('/pkg/', modelUrl) });
  const model: ModelInfo = await scorer.load(modelUrl, { integrity: 'sha256-…' });
  const schema: Schema | null = scorer.schema;
  const features: Feature[] = model.schema.features;
  const names = features.map((f) => (f.kind === 'numeric' ? `${f.name} ${f.min ?? ''}–${f.max ?? ''}` : `${f.name}: ${f.categories.length}`));
  expectType<number>(model.schema.scaling.pdo);
  expectType<string>(model.schema.bands[0].id);

  const errors: FieldError[] = await scorer.validate({ duration_months: 'x' });
  expectType<string>(errors[0].code);
  try {
    const result: ScoreResult = await scorer.score({ duration_months: 24 }, { recourse: { targetBand: 'C' } });
    expectType<number>(result.pd);
    expectType<string>(result.band.id);
    expectType<number>(result.reasons[0].contribution);
    const recourse: RecourseResult | null | undefined = result.recourse;
    names.push(String(recourse?.options[0]?.changes[0]?.feature));
  } catch (err) {
    if (err instanceof ScorerError && err.kind === 'invalid') names.push(err.field ?? '', ...err.errors.map((e) => e.message));
  }

  const controller = new AbortController();
  const { blob, summary } = await scorer.scoreFile(csv, { signal: controller.signal, onProgress: (p) => expectType<number>(p.rows) });
  const s: BatchSummary = summary;
  expectType<number>(s.scored);
  expectType<number | null>(s.drift.score.psi);
  expectType<Blob>(blob);
  scorer.close();
  return names.concat(String(schema?.generic));
}

export function listen(form: CreditScoreForm): void {
  form.addEventListener('score', (e) => expectType<number>(e.detail.points));
  form.addEventListener('invalid', (e) => expectType<string | null>(e.detail.field));
  form.addEventListener('error', (e) => expectType<string>(e.detail.kind));
  form.values = { duration_months: 24 };
  expectType<string | undefined>(form.values.duration_months);
  const found: CreditScoreForm | null = document.querySelector('credit-score-form');
  expectType<ScoreResult | null>(found?.result ?? null);
}
