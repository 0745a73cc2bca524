// Must NOT compile (tests/e2e/embed-api.test.mjs): a PD is a number.
import { createScorer } from '../../../www/lib/credit-scorer.js';

export async function wrong(): Promise<string> {
  const pd: string = (await createScorer().score({})).pd;
  return pd;
}
