// Types of credit-score-form.js: the <credit-score-form> element.
import type { ModelInfo, Scorer, ScoreResult, ScorerError, Values } from './credit-scorer.js';

/** The events the element fires (they bubble and cross the shadow boundary). */
export interface CreditScoreFormEventMap {
  /** A result of new values (and again once the form is valid after it was not). */
  score: CustomEvent<ScoreResult>;
  /** The form shows a field error: the error `scorer.score()` rejects with (kind `invalid`). */
  invalid: CustomEvent<ScorerError>;
  /** The engine, the model or a score failed. */
  error: CustomEvent<ScorerError>;
}

/**
 * `<credit-score-form model="…" model-integrity="sha256-…" lang="en|zh" assets="…" engine="auto|scalar">`.
 * `data-state` on the element says `loading`, `ready`, `scored` or `stale`; `data-lang` the language its texts
 * are in now (`en` or `zh-CN`: another language's table is imported on first use, so a `lang` change
 * shows once it is here).
 */
export declare class CreditScoreForm extends HTMLElement {
  /** The library scorer behind the element (null while disconnected). */
  readonly scorer: Scorer | null;
  /** The loaded model (null until it is loaded). */
  readonly model: ModelInfo | null;
  /** The form's raw values; setting puts values into the form as if typed and scores them. */
  get values(): Record<string, string>;
  set values(values: Values);
  /** The last valid result. */
  readonly result: ScoreResult | null;
  /** Resolves with the model once loaded; rejects as the `error` event says. */
  readonly ready: Promise<ModelInfo>;
  addEventListener<K extends keyof CreditScoreFormEventMap>(type: K, listener: (this: CreditScoreForm, event: CreditScoreFormEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof CreditScoreFormEventMap>(type: K, listener: (this: CreditScoreForm, event: CreditScoreFormEventMap[K]) => unknown, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
}

declare global {
  interface HTMLElementTagNameMap {
    'credit-score-form': CreditScoreForm;
  }
}
