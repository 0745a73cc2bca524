// Types of credit-scorer.js (the library) and credit-score-form.js (the element).

/** A text in several languages: `{ en: "…", zh: "…" }`. */
export type Localized = { [lang: string]: string };

/** The engine variant: SIMD where the browser has it, the scalar builds, or the test-only debug build. */
export type EngineVariant = 'auto' | 'scalar' | 'debug';

/** The SHA-384 of each release engine build (the package's `js/pins.js` holds those it ships). */
export interface EngineIntegrity {
  scalar: string;
  simd: string;
  liteScalar: string;
  liteSimd: string;
}

export interface ScorerOptions {
  /** Absolute URL of the engine builds' directory (the package's `pkg/`, the default). Same origin as the page. */
  assetsUrl?: string | URL;
  /** The SHA-384 of each engine build; the Worker fetches the wasm with them (default: the package's own pins). */
  integrity?: EngineIntegrity;
  engine?: EngineVariant;
  /** The engine a model is tried on first: `lite` (no tract, small) falls back to `full` when needed. */
  build?: 'lite' | 'full';
  /** Called after the Worker crashed and was replaced (with the error of reloading the model, if any). */
  onCrash?: (error: ScorerError, reloadError: ScorerError | null) => void;
}

/** Kinds of `ScorerError`: the engine's own (src/error.rs), the Worker's and the library's. */
export type ErrorKind =
  | 'model_format' | 'model_too_large' | 'model_contract' | 'model_unsupported' | 'model_invalid'
  | 'schema' | 'input' | 'csv' | 'io' | 'inference' | 'needs_full_engine'
  | 'invalid' | 'no_model' | 'batch_running' | 'cancelled' | 'closed' | 'bad_request'
  | 'engine_integrity' | 'engine_unavailable' | 'worker_error' | 'stopped'
  | 'model_unavailable' | 'model_integrity' | 'encoding'
  | (string & {});

/** One field's problem, as the engine reports it. */
export interface FieldError {
  field: string;
  /** `missing`, `not_a_number`, `not_finite`, `out_of_range`, `unknown_category`, `unknown_field`. */
  code: string;
  /** In English; the element shows its own translation. */
  message: string;
}

export declare class ScorerError extends Error {
  readonly name: 'ScorerError';
  readonly kind: ErrorKind;
  /** The field the error is about (`invalid`: the first one), else null. */
  readonly field: string | null;
  /** For `invalid`: every field error. */
  readonly errors: FieldError[];
  /** For engine and model files: which file. */
  readonly file?: string;
  /** For `engine_integrity` and `model_integrity`: the expected and the served hash. */
  readonly detail?: string;
}

// ------------------------------------------------------------------ schema (docs/SCHEMA.md)

export interface Category { code: number; value?: string | null; label: Localized }

interface FeatureBase {
  name: string;
  source_column?: string | null;
  label: Localized;
  /** The id of the form section (one of `Schema.groups`) it is shown in. */
  group?: string;
  help: Localized;
  reason: Localized;
  baseline: number;
  cuts?: number[];
  woe?: number[];
  train_share?: number[];
  actionable?: boolean;
  direction?: 'increase' | 'decrease' | 'any';
  recourse_step?: number;
  recourse_cost?: number;
  recourse_targets?: number[];
}
export interface NumericFeature extends FeatureBase {
  kind: 'numeric';
  unit: Localized;
  min: number | null;
  max: number | null;
  step: number | null;
}
export interface CategoricalFeature extends FeatureBase {
  kind: 'categorical';
  categories: Category[];
}
export type Feature = NumericFeature | CategoricalFeature;

export interface Band { id: string; max_pd: number; color: string | null; label: Localized }

export interface Scaling { base_points: number; base_odds: number; pdo: number; min_points: number; max_points: number }

/** A JSON value (the model card is free-form). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface Schema {
  schema_version: number;
  model: { name: string; version: string };
  output: { pd: string | null; logit: string | null; default_class?: Json; meaning: Localized };
  features: Feature[];
  /** The form's sections in display order (absent: one list of fields). */
  groups?: { id: string; label: Localized }[];
  scaling: Scaling;
  bands: Band[];
  /** Free-form; known keys include `fair_lending.approval_max_pd`. */
  model_card: { [key: string]: Json };
  /** True when the model carries no schema (inputs x0 … xk). */
  generic: boolean;
}

/** A loaded model. */
export interface ModelInfo {
  /** Number of inputs. */
  k: number;
  /** SHA-256 of the model file, hex. */
  sha256: string;
  /** Which evaluator scores it: `chain`, `trees` or `tract`. */
  engine: string;
  build: 'lite' | 'full';
  schema: Schema;
  /** Points of each band's upper PD edge, and of the model card's approval cut-off. */
  edgePoints: { bands: number[]; approval: number | null };
}

// ------------------------------------------------------------------ results

/** Raw values by feature name: strings as a form gives them, or numbers (category codes). */
export type Values = { [feature: string]: string | number };

export interface BandResult { id: string; label: Localized; color: string | null }

/** One characteristic's share of the score, in points from the baseline applicant. */
export interface Contribution { feature: string; label: Localized; contribution: number; text: Localized }

export interface RecourseChange {
  feature: string; label: Localized; from: number; to: number;
  from_label: Localized | null; to_label: Localized | null;
}
export interface RecourseOption {
  changes: RecourseChange[]; movement: number; pd: number; points: number; band: BandResult;
}
export interface RecourseResult {
  target_band: string; current_band: string; already_met: boolean;
  searched_up_to: number; proven_none: boolean; considered: string[];
  options: RecourseOption[];
}

export interface ScoreResult {
  /** Probability of default. */
  pd: number;
  points: number;
  band: BandResult;
  /** The main reasons lowering the score (at most four), most negative first. */
  reasons: Contribution[];
  /** Every characteristic's contribution, in schema order. */
  contributions: Contribution[];
  /** Points of the baseline applicant the contributions are measured from. */
  baseline_points: number;
  /** True when the contributions were estimated by sampling. */
  approximate: boolean;
  /** Only with `score(values, { recourse })`. */
  recourse?: RecourseResult | null;
}

export interface ScoreOptions {
  /** Also search what would change the outcome (`true`: towards the model card's approval cut-off). */
  recourse?: boolean | { targetBand: string | null };
}

// ------------------------------------------------------------------ files

export interface FileProgress { rows: number; bytes: number; total: number; workers: number }

export interface BinShare { label: string; expected: number; count: number; actual: number }
export type Reading = 'stable' | 'watch' | 'investigate';
export interface PsiLine {
  name: string; label: Localized; psi: number | null; reading: Reading | null;
  bins: BinShare[]; missing: string | null;
}

/** What a scored file holds: `rows_in = scored + refused`. */
export interface BatchSummary {
  rows_in: number;
  scored: number;
  refused: number;
  refused_lines: number[];
  refused_lines_truncated: boolean;
  examples: string[];
  blank_lines: number;
  blank_line_numbers: number[];
  lines: number;
  ignored_columns: string[];
  delimiter: string | null;
  bands: Array<{ id: string; label: Localized; color: string | null; count: number }>;
  histogram: { min: number; max: number; counts: number[] };
  reasons: 'shapley' | 'none';
  reasons_method: string | null;
  drift: { rows: number; scored_rows: number; characteristics: PsiLine[]; score: PsiLine; worst: Reading | null };
  /** The file's encoding and how it was chosen (`bom`, `chosen`, `detected`). */
  encoding: string;
  encoding_how: 'bom' | 'chosen' | 'detected';
  /** SHA-256 of the model the file was scored with. */
  model_sha256: string;
}

export interface ScoreFileOptions {
  onProgress?: (progress: FileProgress) => void;
  /** Aborting it rejects the call with kind `cancelled`. */
  signal?: AbortSignal;
  /** Reason columns in the output (default true). */
  reasons?: boolean;
  /** `auto` (byte-order mark, else UTF-8), or a label such as `gbk`, `windows-1252`. */
  encoding?: string;
}

export interface Scorer {
  /** Resolves once the engine runs. */
  readonly ready: Promise<{ build: 'lite' | 'full'; variant: 'simd' | 'scalar' | 'debug'; pinned: boolean; file: string }>;
  /** The loaded model's schema, null before the first `load`. */
  readonly schema: Schema | null;
  readonly model: ModelInfo | null;
  /** Loads a model from bytes or a URL (fetched with `integrity` when given); a refused model keeps the previous one. */
  load(source: ArrayBuffer | ArrayBufferView | Blob | string | URL, options?: { integrity?: string }): Promise<ModelInfo>;
  /** The field errors of `values`; empty when they can be scored. */
  validate(values: Values): Promise<FieldError[]>;
  /** Scores valid values; rejects with kind `invalid` (and `field`, `errors`) otherwise. */
  score(values: Values, options?: ScoreOptions): Promise<ScoreResult>;
  /** What would change the outcome (`targetBand` null: the approval cut-off). */
  recourse(values: Values, options?: { targetBand?: string | null }): Promise<RecourseResult | null>;
  /** Scores a CSV file: the output CSV and its summary. */
  scoreFile(file: Blob, options?: ScoreFileOptions): Promise<{ blob: Blob; summary: BatchSummary }>;
  /** Stops the Worker; later calls reject with kind `closed`. */
  close(): void;
}

export declare function createScorer(options?: ScorerOptions): Scorer;
