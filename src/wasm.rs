//! The browser binding: a thin `#[wasm_bindgen]` wrapper over [`crate::Scorer`].
//! Errors cross as JS `Error`s whose `name` is the error kind and whose message is the core's.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::error::{Error, ErrorKind};
use crate::validate::FieldError;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
export type Localized = { [lang: string]: string };
export interface Contribution { feature: string; label: Localized; contribution: number; text: Localized }
export interface FieldError { field: string; code: string; message: string }
export interface ScoreResult {
  pd: number | null; points: number | null;
  band: { id: string; label: Localized; color: string | null } | null;
  reasons: Contribution[]; contributions: Contribution[];
  baseline_points: number | null; approximate: boolean;
  errors: FieldError[];
}
export interface RecourseChange {
  feature: string; label: Localized; from: number; to: number;
  from_label: Localized | null; to_label: Localized | null;
}
export interface RecourseOption {
  changes: RecourseChange[]; movement: number; pd: number; points: number;
  band: { id: string; label: Localized; color: string | null };
}
export interface RecourseResult {
  target_band: string; current_band: string; already_met: boolean;
  searched_up_to: number; proven_none: boolean; considered: string[];
  options: RecourseOption[];
}
export interface RecourseOutcome { result: RecourseResult | null; errors: FieldError[] }
export interface Schema { schema_version: number; generic: boolean; features: any[]; groups?: { id: string; label: Record<string, string> }[]; scaling: any; bands: any[]; model: any; output: any; model_card: any }
"#;

fn to_js(e: Error) -> JsValue {
    let js = js_sys::Error::new(e.message());
    let kind = serde_json::to_value(e.kind())
        .ok()
        .and_then(|v| v.as_str().map(String::from));
    js.set_name(kind.as_deref().unwrap_or("error"));
    js.into()
}

fn serialize<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| {
            to_js(Error::new(
                ErrorKind::Inference,
                format!("cannot pass the result to the page: {e}"),
            ))
        })
}

/// What `score` returns: a result, or the field errors that prevented one.
#[derive(Serialize)]
struct ScoreResult<'a> {
    pd: Option<f64>,
    points: Option<f64>,
    band: Option<&'a crate::BandResult>,
    reasons: &'a [crate::Contribution],
    contributions: &'a [crate::Contribution],
    baseline_points: Option<f64>,
    approximate: bool,
    errors: &'a [FieldError],
}

/// A credit model loaded in the page.
#[wasm_bindgen]
pub struct Scorer {
    inner: crate::Scorer,
}

#[wasm_bindgen]
impl Scorer {
    /// Loads a model from the bytes of an `.onnx` file; throws an `Error` naming the problem.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8]) -> Result<Scorer, JsValue> {
        crate::Scorer::from_bytes(bytes)
            .map(|inner| Scorer { inner })
            .map_err(to_js)
    }

    /// Number of inputs per applicant.
    #[wasm_bindgen(getter)]
    pub fn k(&self) -> usize {
        self.inner.model().k()
    }

    /// Which engine scores the model: `direct` (a chain of row-wise operators, checked against
    /// tract when it was loaded) or `tract`.
    #[wasm_bindgen(getter)]
    pub fn engine(&self) -> String {
        match self.inner.model().engine() {
            crate::Engine::Direct | crate::Engine::Trees => "direct".into(),
            crate::Engine::Tract => "tract".into(),
        }
    }

    /// Hex SHA-256 of the model file.
    #[wasm_bindgen(getter)]
    pub fn sha256(&self) -> String {
        self.inner.model().sha256().to_string()
    }

    /// The model's schema, for building the form.
    #[wasm_bindgen(unchecked_return_type = "Schema")]
    pub fn schema(&self) -> Result<JsValue, JsValue> {
        serialize(self.inner.schema())
    }

    /// Probabilities of default for rows of `k` values each, laid out row after row.
    #[wasm_bindgen(js_name = scoreBatch)]
    pub fn score_batch(&self, rows: &[f32]) -> Result<Vec<f32>, JsValue> {
        let mut pds = Vec::new();
        self.inner
            .model()
            .predict_pd_into(rows, &mut pds)
            .map_err(to_js)?;
        Ok(pds)
    }

    /// Validates `{ field: value }` (strings as a form gives them, or numbers) and, when valid,
    /// scores and explains the applicant.
    #[wasm_bindgen(unchecked_return_type = "ScoreResult")]
    pub fn score(&self, values: JsValue) -> Result<JsValue, JsValue> {
        let values: serde_json::Value = serde_wasm_bindgen::from_value(values).map_err(|e| {
            to_js(Error::new(
                ErrorKind::Input,
                format!("expected an object of {{ field: value }}: {e}"),
            ))
        })?;
        let outcome = match crate::validate::validate_json(self.inner.schema(), &values) {
            Ok(row) => Ok(self.inner.assess(&row).map_err(to_js)?),
            Err(errors) => Err(errors),
        };
        match &outcome {
            Ok(a) => serialize(&ScoreResult {
                pd: Some(a.pd),
                points: Some(a.points),
                band: Some(&a.band),
                reasons: &a.reasons,
                contributions: &a.contributions,
                baseline_points: Some(a.baseline_points),
                approximate: a.approximate,
                errors: &[],
            }),
            Err(errors) => serialize(&ScoreResult {
                pd: None,
                points: None,
                band: None,
                reasons: &[],
                contributions: &[],
                baseline_points: None,
                approximate: false,
                errors,
            }),
        }
    }

    /// What would change the outcome: validates `{ field: value }` as `score` does and, when
    /// valid, searches up to three smallest sets of changes to the actionable characteristics
    /// that reach band `targetBand` (default: the model's approval cut-off). Field errors come
    /// back in `errors` (and `result` is null); an unknown band or a model without a cut-off
    /// and no band named throw an `Error` named `input`.
    #[wasm_bindgen(unchecked_return_type = "RecourseOutcome")]
    pub fn recourse(
        &self,
        values: JsValue,
        #[wasm_bindgen(js_name = targetBand)] target_band: Option<String>,
    ) -> Result<JsValue, JsValue> {
        let values: serde_json::Value = serde_wasm_bindgen::from_value(values).map_err(|e| {
            to_js(Error::new(
                ErrorKind::Input,
                format!("expected an object of {{ field: value }}: {e}"),
            ))
        })?;
        #[derive(Serialize)]
        struct Outcome<'a> {
            result: Option<crate::recourse::RecourseResult>,
            errors: &'a [FieldError],
        }
        match crate::validate::validate_json(self.inner.schema(), &values) {
            Ok(row) => {
                let result = crate::recourse::search(&self.inner, &row, target_band.as_deref())
                    .map_err(to_js)?;
                serialize(&Outcome {
                    result: Some(result),
                    errors: &[],
                })
            }
            Err(errors) => serialize(&Outcome {
                result: None,
                errors: &errors,
            }),
        }
    }

    /// Scorecard points for a probability of default, as a score gets them (clamped to the
    /// schema's range; PD 0 and 1 at its ends): the page draws band edges and cut-offs with it,
    /// so the points formula exists once, in the core.
    #[wasm_bindgen(js_name = pointsForPd)]
    pub fn points_for_pd(&self, pd: f64) -> f64 {
        crate::score::points_from_pd(&self.inner.schema().scaling, pd)
    }
}

/// Panics on purpose, so tests can check that the page survives a crash inside wasm.
/// Only in builds with the `debug-panic` feature (the test build).
#[cfg(feature = "debug-panic")]
#[wasm_bindgen(js_name = debugPanic)]
#[allow(clippy::panic)]
pub fn debug_panic() {
    panic!("debugPanic: a deliberate crash for the crash-recovery test");
}

/// The options of a file scored in the page: the delimiter is found from the header line.
fn batch_options(
    reasons: bool,
    contributions: bool,
    decimal_comma: bool,
) -> crate::batch::BatchOptions {
    crate::batch::BatchOptions {
        reasons,
        contributions,
        decimal: if decimal_comma {
            crate::batch::Decimal::Comma
        } else {
            crate::batch::Decimal::Point
        },
        ..crate::batch::BatchOptions::default()
    }
}

/// A CSV file being scored in the page: push its bytes piece by piece, get scored CSV back.
/// Memory stays bounded by one chunk of rows, whatever the file's size.
#[wasm_bindgen]
pub struct BatchJob {
    inner: crate::batch::BatchJob,
}

#[wasm_bindgen]
impl BatchJob {
    /// A job scoring with `scorer`'s model; `reasons: false` leaves `reason_1` … `reason_4` empty
    /// (about `k + 1` times faster); `contributions: true` appends each feature's contribution
    /// in points at full precision (`contribution_<feature>` columns, as the CLI's
    /// `score --contributions`); `decimalComma: true` reads `1804,5` as 1804.5 (the CLI's
    /// `--decimal ,`; the columns must then be separated by something else than commas).
    #[wasm_bindgen(constructor)]
    pub fn new(
        scorer: &Scorer,
        reasons: bool,
        contributions: bool,
        decimal_comma: bool,
    ) -> BatchJob {
        let options = batch_options(reasons, contributions, decimal_comma);
        BatchJob {
            inner: crate::batch::BatchJob::new(scorer.inner.clone(), options),
        }
    }

    /// Consumes the next bytes of the file; returns the output completed so far (maybe empty).
    /// Throws an `Error` named `csv` when the file cannot be scored at all (e.g. a bad header).
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<u8>, JsValue> {
        self.inner.push(bytes).map_err(to_js)
    }

    /// Ends the file; returns the last output.
    pub fn finish(&mut self) -> Result<Vec<u8>, JsValue> {
        self.inner.finish().map_err(to_js)
    }

    /// Parses the next bytes only, for scoring in several Workers: take the chunks with
    /// `takeChunk` (scored by a `ChunkScorer`, results to `addScored`) or `scoreHere`.
    /// Returns the output header once the input's is known (else nothing).
    pub fn parse(&mut self, bytes: &[u8]) -> Result<Vec<u8>, JsValue> {
        self.inner.parse(bytes).map_err(to_js)
    }

    /// Ends the file when parsing only.
    #[wasm_bindgen(js_name = finishParse)]
    pub fn finish_parse(&mut self) -> Result<Vec<u8>, JsValue> {
        self.inner.finish_parse().map_err(to_js)
    }

    /// The oldest parsed chunk not handed out yet, as bytes (`undefined` when none waits).
    #[wasm_bindgen(js_name = takeChunk)]
    pub fn take_chunk(&mut self) -> Option<Vec<u8>> {
        self.inner.take_chunk()
    }

    /// The header mapping as bytes for `new ChunkScorer` (`undefined` before the header).
    #[wasm_bindgen(js_name = columnsWire)]
    pub fn columns_wire(&self) -> Option<Vec<u8>> {
        self.inner.columns_wire()
    }

    /// Scores the next chunk here (no bytes passed); returns the output rows now ready, in input
    /// order (empty while an earlier chunk is still out), or `undefined` when no chunk waits or
    /// too many scored here already wait for an earlier one (see `parsedChunks`). Chunks are
    /// numbered from 0 in the order taken, here or by `takeChunk`.
    #[wasm_bindgen(js_name = scoreHere)]
    pub fn score_here(&mut self) -> Result<Option<Vec<u8>>, JsValue> {
        self.inner.score_here().map_err(to_js)
    }

    /// Takes chunk number `seq`, scored by a `ChunkScorer` (results may come in any order), and
    /// returns the output rows now ready, in input order, one `Uint8Array` per chunk: none while
    /// an earlier chunk is still out, else this chunk's and those of the later chunks that waited
    /// for it. Append them as they come.
    #[wasm_bindgen(js_name = addScored, unchecked_return_type = "Uint8Array[]")]
    pub fn add_scored(&mut self, seq: u32, scored: &[u8]) -> Result<js_sys::Array, JsValue> {
        let parts = self
            .inner
            .add_scored(u64::from(seq), scored)
            .map_err(to_js)?;
        // Each chunk's rows are copied out, then freed before the next: joined into one buffer
        // they would be in wasm memory twice, and wasm memory never shrinks.
        let out = js_sys::Array::new();
        for rows in parts {
            out.push(&js_sys::Uint8Array::from(rows.as_slice()));
        }
        Ok(out)
    }

    /// Chunks parsed and not yet taken: after `scoreHere` gave `undefined`, not 0 when
    /// `BatchJob`'s most chunks scored here already wait for an earlier one (take a helper's
    /// result back with `addScored` first).
    #[wasm_bindgen(getter, js_name = parsedChunks)]
    pub fn parsed_chunks(&self) -> usize {
        self.inner.parsed_chunks()
    }

    /// Rows scored or refused so far.
    #[wasm_bindgen(getter, js_name = rowsDone)]
    pub fn rows_done(&self) -> f64 {
        self.inner.rows_done() as f64
    }

    /// The summary so far (complete after `finish`).
    pub fn summary(&self) -> Result<JsValue, JsValue> {
        serialize(self.inner.summary())
    }
}

/// Scores a `BatchJob`'s chunks in another Worker: one per helper Worker, made from the same
/// model and the job's `columnsWire()`.
#[wasm_bindgen]
pub struct ChunkScorer {
    inner: crate::batch::ChunkScorer,
}

#[wasm_bindgen]
impl ChunkScorer {
    /// A scorer for chunks of a file whose header mapping is `columns`, with the options of
    /// the `BatchJob` that parsed it (`reasons`, `contributions`, `decimalComma`).
    #[wasm_bindgen(constructor)]
    pub fn new(
        scorer: &Scorer,
        columns: &[u8],
        reasons: bool,
        contributions: bool,
        decimal_comma: bool,
    ) -> Result<ChunkScorer, JsValue> {
        let options = batch_options(reasons, contributions, decimal_comma);
        crate::batch::ChunkScorer::new(scorer.inner.clone(), options, columns)
            .map(|inner| ChunkScorer { inner })
            .map_err(to_js)
    }

    /// Scores one chunk from `takeChunk`; the result goes to `addScored`.
    pub fn score(&mut self, chunk: &[u8]) -> Result<Vec<u8>, JsValue> {
        self.inner.score(chunk).map_err(to_js)
    }
}
