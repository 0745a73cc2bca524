//! Python bindings of credit-scorer (`credit_scorer._native`): the same core the CLI and the page
//! run, over Python dicts and Arrow record batches.
//!
//! `score_arrow` does not score by itself: it writes each row's feature cells as the text of the
//! CSV cells the CLI would read, pushes them as records of a `batch::Chunk` (no CSV is written or
//! parsed) and runs the core's batch path on each chunk (`batch::score_chunk_rows`: the CLI's
//! header matching, validation, scoring, Shapley reasons and messages), which hands back each
//! row's PD, points, band, reasons or error as values. So a row gets exactly the PD, points (as
//! printed), band, reasons and error the CLI writes for it. The input columns go back out
//! untouched (the same Arrow buffers, no copy).

// No path that input reaches may panic: a panic would surface as a `PanicException`.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

use std::io::Write;
use std::sync::Arc;

use arrow_array::builder::{Float32Builder, Float64Builder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type,
    UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_pyarrow::{FromPyArrow, ToPyArrow};
use arrow_schema::{DataType, Field, Schema as ArrowSchema};
use credit_scorer::batch::{
    self, BatchOptions, Chunk, Columns, MAX_CHUNK_BYTES, OUTPUT_COLUMNS, RowResult, Scratch,
};
use credit_scorer::{Error, ErrorKind, RawValue, Scorer as Core};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyString};

/// A core error as a `credit_scorer.CreditScorerError` with the core's kind and message.
fn to_py(py: Python<'_>, e: &Error) -> PyErr {
    raise(py, e, Vec::new())
}

fn raise(py: Python<'_>, e: &Error, field_errors: Vec<(String, String, String)>) -> PyErr {
    let kind = kind_name(e.kind());
    let made = py
        .import("credit_scorer._errors")
        .and_then(|m| m.getattr("CreditScorerError"))
        .and_then(|class| class.call1((kind, e.message(), field_errors)));
    match made {
        Ok(value) => PyErr::from_value(value),
        Err(import_failed) => import_failed,
    }
}

/// The kind as the page and JSON name it (`model_format`, `input`, …).
fn kind_name(kind: ErrorKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{kind:?}"))
}

fn internal(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Inference, message)
}

/// A credit-risk model loaded from the bytes of its `.onnx` file, checked and optimized once.
#[pyclass(frozen, module = "credit_scorer._native", name = "Scorer")]
struct Scorer {
    inner: Core,
    /// The schema as JSON text, made once.
    schema_json: String,
}

#[pymethods]
impl Scorer {
    #[new]
    fn new(py: Python<'_>, model: &[u8]) -> PyResult<Self> {
        let bytes = model.to_vec();
        let loaded = py.allow_threads(move || Core::from_bytes(&bytes));
        let inner = loaded.map_err(|e| to_py(py, &e))?;
        let schema_json = serde_json::to_string(inner.schema())
            .map_err(|e| to_py(py, &internal(format!("cannot write the schema: {e}"))))?;
        Ok(Scorer { inner, schema_json })
    }

    /// The model's schema (features, scaling, bands, model card) as JSON text.
    #[getter]
    fn schema_json(&self) -> &str {
        &self.schema_json
    }

    /// Which engine scores the model: `direct` or `tract`.
    #[getter]
    fn engine(&self) -> &'static str {
        match self.inner.model().engine() {
            credit_scorer::Engine::Direct | credit_scorer::Engine::Trees => "direct",
            credit_scorer::Engine::Tract => "tract",
        }
    }

    /// Validates, scores and explains one applicant; returns the assessment as JSON text.
    fn assess_json(&self, py: Python<'_>, applicant: &Bound<'_, PyDict>) -> PyResult<String> {
        let mut owned: Vec<(String, Given)> = Vec::with_capacity(applicant.len());
        for (key, value) in applicant.iter() {
            let name = key.downcast::<PyString>().map_err(|_| {
                to_py(
                    py,
                    &Error::new(
                        ErrorKind::Input,
                        format!(
                            "the applicant's keys must be feature names (text); got `{}`",
                            key.repr().map(|r| r.to_string()).unwrap_or_default()
                        ),
                    ),
                )
            })?;
            owned.push((name.to_cow()?.into_owned(), Given::from_py(&value)));
        }
        let outcome = py.allow_threads(|| {
            let fields = owned.iter().map(|(k, v)| (k.as_str(), v.raw()));
            self.inner.assess_fields(fields)
        });
        match outcome {
            Ok(Ok(assessment)) => serde_json::to_string(&assessment)
                .map_err(|e| to_py(py, &internal(format!("cannot write the assessment: {e}")))),
            Ok(Err(errors)) => {
                let lines: Vec<String> = errors
                    .iter()
                    .map(|e| format!("  {}: {}", e.field, e.message))
                    .collect();
                // The CLI's `assess` message, word for word.
                let e = Error::new(
                    ErrorKind::Input,
                    format!("the applicant is invalid:\n{}", lines.join("\n")),
                );
                let list = errors
                    .iter()
                    .map(|f| {
                        let code = serde_json::to_value(f.code)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default();
                        (f.field.clone(), code, f.message.clone())
                    })
                    .collect();
                Err(raise(py, &e, list))
            }
            Err(e) => Err(to_py(py, &e)),
        }
    }

    /// For each feature (schema order), the name among `names` of the column that holds it, as
    /// `score_arrow` matches them; raises as it does for a missing, doubled or taken column.
    fn feature_columns(&self, py: Python<'_>, names: Vec<String>) -> PyResult<Vec<String>> {
        let columns = match_columns(&self.inner, &names).map_err(|e| to_py(py, &e))?;
        columns
            .column_of_feature
            .iter()
            .map(|&c| {
                names
                    .get(c)
                    .cloned()
                    .ok_or_else(|| to_py(py, &internal(format!("column {c} is not in the names"))))
            })
            .collect()
    }

    /// Scores a `pyarrow.RecordBatch`: its columns, then `pd`, `points`, `band`, `reason_1` …
    /// `reason_4`, `error`, one output row per input row, as the CLI writes them.
    #[pyo3(signature = (batch, reasons = true))]
    fn score_arrow(
        &self,
        py: Python<'_>,
        batch: &Bound<'_, PyAny>,
        reasons: bool,
    ) -> PyResult<PyObject> {
        let batch = RecordBatch::from_pyarrow_bound(batch)?;
        let scored = py.allow_threads(|| score_batch(&self.inner, &batch, reasons));
        scored.map_err(|e| to_py(py, &e))?.to_pyarrow(py)
    }
}

/// A value of an applicant dict, held without the GIL.
enum Given {
    Missing,
    Number(f64),
    Text(String),
    NotAValue,
}

impl Given {
    fn from_py(v: &Bound<'_, PyAny>) -> Given {
        if v.is_none() {
            Given::Missing
        } else if v.is_instance_of::<PyBool>() {
            // As a JSON boolean in the CLI: no feature value.
            Given::NotAValue
        } else if let Ok(s) = v.downcast::<PyString>() {
            s.to_cow()
                .map_or(Given::NotAValue, |s| Given::Text(s.into_owned()))
        } else if v.is_instance_of::<PyInt>() || v.is_instance_of::<PyFloat>() {
            v.extract::<f64>().map_or(Given::NotAValue, Given::Number)
        } else {
            // numpy scalars, Decimal: anything that says it is a number.
            v.extract::<f64>().map_or(Given::NotAValue, Given::Number)
        }
    }

    fn raw(&self) -> RawValue<'_> {
        match self {
            Given::Missing => RawValue::Missing,
            Given::Number(x) => RawValue::Number(*x),
            Given::Text(s) => RawValue::Text(s),
            Given::NotAValue => RawValue::Text("[not a value]"),
        }
    }
}

/// A feature column, read as the CSV text of its cells.
enum Cells<'a> {
    Null,
    I8(&'a arrow_array::PrimitiveArray<Int8Type>),
    I16(&'a arrow_array::PrimitiveArray<Int16Type>),
    I32(&'a arrow_array::PrimitiveArray<Int32Type>),
    I64(&'a arrow_array::PrimitiveArray<Int64Type>),
    U8(&'a arrow_array::PrimitiveArray<UInt8Type>),
    U16(&'a arrow_array::PrimitiveArray<UInt16Type>),
    U32(&'a arrow_array::PrimitiveArray<UInt32Type>),
    U64(&'a arrow_array::PrimitiveArray<UInt64Type>),
    F32(&'a arrow_array::PrimitiveArray<Float32Type>),
    F64(&'a arrow_array::PrimitiveArray<Float64Type>),
    Decimal(&'a arrow_array::PrimitiveArray<Decimal128Type>),
    Utf8(&'a arrow_array::StringArray),
    LargeUtf8(&'a arrow_array::LargeStringArray),
    Utf8View(&'a arrow_array::StringViewArray),
}

impl<'a> Cells<'a> {
    fn new(name: &str, array: &'a ArrayRef) -> Result<Cells<'a>, Error> {
        Ok(match array.data_type() {
            DataType::Null => Cells::Null,
            DataType::Int8 => Cells::I8(array.as_primitive()),
            DataType::Int16 => Cells::I16(array.as_primitive()),
            DataType::Int32 => Cells::I32(array.as_primitive()),
            DataType::Int64 => Cells::I64(array.as_primitive()),
            DataType::UInt8 => Cells::U8(array.as_primitive()),
            DataType::UInt16 => Cells::U16(array.as_primitive()),
            DataType::UInt32 => Cells::U32(array.as_primitive()),
            DataType::UInt64 => Cells::U64(array.as_primitive()),
            DataType::Float32 => Cells::F32(array.as_primitive()),
            DataType::Float64 => Cells::F64(array.as_primitive()),
            DataType::Decimal128(_, _) => Cells::Decimal(array.as_primitive()),
            DataType::Utf8 => Cells::Utf8(array.as_string()),
            DataType::LargeUtf8 => Cells::LargeUtf8(array.as_string()),
            DataType::Utf8View => Cells::Utf8View(array.as_string_view()),
            other => {
                return Err(Error::new(
                    ErrorKind::Csv,
                    format!(
                        "column `{name}` holds {other} values; a feature column must hold numbers \
                         (integer, float, decimal) or text: cast it first"
                    ),
                ));
            }
        })
    }

    /// Writes row `i`'s cell as the text the CLI would read from a CSV cell (null: an empty
    /// cell), unquoted: it becomes a field of a chunk's record, not CSV.
    fn write(&self, i: usize, out: &mut Vec<u8>) {
        fn num<T: arrow_array::ArrowPrimitiveType>(
            a: &arrow_array::PrimitiveArray<T>,
            i: usize,
            out: &mut Vec<u8>,
        ) where
            T::Native: std::fmt::Display,
        {
            if a.is_valid(i) {
                // Writing to a Vec cannot fail.
                let _ = write!(out, "{}", a.value(i));
            }
        }
        match self {
            Cells::Null => {}
            Cells::I8(a) => num(a, i, out),
            Cells::I16(a) => num(a, i, out),
            Cells::I32(a) => num(a, i, out),
            Cells::I64(a) => num(a, i, out),
            Cells::U8(a) => num(a, i, out),
            Cells::U16(a) => num(a, i, out),
            Cells::U32(a) => num(a, i, out),
            Cells::U64(a) => num(a, i, out),
            Cells::F32(a) => num(a, i, out),
            Cells::F64(a) => num(a, i, out),
            Cells::Decimal(a) => {
                if a.is_valid(i) {
                    out.extend_from_slice(a.value_as_string(i).as_bytes());
                }
            }
            Cells::Utf8(a) => {
                if a.is_valid(i) {
                    out.extend_from_slice(a.value(i).as_bytes());
                }
            }
            Cells::LargeUtf8(a) => {
                if a.is_valid(i) {
                    out.extend_from_slice(a.value(i).as_bytes());
                }
            }
            Cells::Utf8View(a) => {
                if a.is_valid(i) {
                    out.extend_from_slice(a.value(i).as_bytes());
                }
            }
        }
    }
}

/// `line 1,204, column …` → `column …`: a batch's rows have no line numbers (the core's messages
/// give each record the row's number from 1, which is not the line of any file).
fn without_line(message: &str) -> &str {
    let Some(rest) = message.strip_prefix("line ") else {
        return message;
    };
    let digits = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ','))
        .unwrap_or(rest.len());
    // The number ends where `, ` or `: ` follows it (`line 12, column` / `line 12: the row`).
    let number = rest.get(..digits).unwrap_or("").trim_end_matches(',');
    let after = rest.get(number.len()..).unwrap_or("");
    after
        .strip_prefix(", ")
        .or_else(|| after.strip_prefix(": "))
        .unwrap_or(message)
}

/// The scored columns, built row by row from the core's results.
struct Scored {
    pd: Float32Builder,
    points: Float64Builder,
    band: StringBuilder,
    reasons: [StringBuilder; 4],
    error: StringBuilder,
    /// The first failure inside the core's callback (which cannot return one).
    failure: Option<Error>,
}

/// Empty text as a null, as an empty CSV cell reads.
fn text_or_null(builder: &mut StringBuilder, s: &str) {
    if s.is_empty() {
        builder.append_null();
    } else {
        builder.append_value(s);
    }
}

impl Scored {
    fn new(rows: usize) -> Scored {
        let text = || StringBuilder::with_capacity(rows, rows * 8);
        Scored {
            pd: Float32Builder::with_capacity(rows),
            points: Float64Builder::with_capacity(rows),
            band: text(),
            reasons: [text(), text(), text(), text()],
            error: StringBuilder::with_capacity(rows, 0),
            failure: None,
        }
    }

    /// One row, as the CLI writes it: the PD whose digits it prints, the points as printed (one
    /// decimal), empty cells as nulls, the error without its line number.
    fn push(&mut self, row: RowResult<'_>) {
        match row {
            RowResult::Scored {
                pd,
                points,
                band,
                reasons,
            } => {
                let Some(printed) = batch::one_decimal_value(points) else {
                    self.failure.get_or_insert_with(|| {
                        internal(format!("the points {points} did not read back as printed"))
                    });
                    return;
                };
                self.pd.append_value(pd);
                self.points.append_value(printed);
                text_or_null(&mut self.band, band);
                for (builder, reason) in self.reasons.iter_mut().zip(reasons) {
                    text_or_null(builder, reason);
                }
                self.error.append_null();
            }
            RowResult::Refused { message } => {
                self.pd.append_null();
                self.points.append_null();
                self.band.append_null();
                for builder in &mut self.reasons {
                    builder.append_null();
                }
                text_or_null(&mut self.error, without_line(message));
            }
        }
    }

    fn finish(mut self) -> Result<Vec<ArrayRef>, Error> {
        if let Some(e) = self.failure {
            return Err(e);
        }
        let mut out: Vec<ArrayRef> = vec![
            Arc::new(self.pd.finish()),
            Arc::new(self.points.finish()),
            Arc::new(self.band.finish()),
        ];
        for builder in &mut self.reasons {
            out.push(Arc::new(builder.finish()));
        }
        out.push(Arc::new(self.error.finish()));
        Ok(out)
    }
}

/// The Arrow type of each of [`OUTPUT_COLUMNS`]: `pd` is the f32 the CLI prints (its digits are
/// the shortest that read back as this f32), `points` the one-decimal value it prints.
fn output_type(name: &str) -> DataType {
    match name {
        "pd" => DataType::Float32,
        "points" => DataType::Float64,
        _ => DataType::Utf8,
    }
}

/// The features' columns among `names`, as the CLI matches a CSV header (names, source columns,
/// case and spaces); refuses a name the output would add a second time.
fn match_columns(scorer: &Core, names: &[String]) -> Result<Columns, Error> {
    if let Some(taken) = OUTPUT_COLUMNS
        .iter()
        .find(|c| names.iter().any(|n| n == *c))
    {
        return Err(Error::new(
            ErrorKind::Csv,
            format!(
                "the input already has a column `{taken}`; rename or drop it, as the output adds \
                 the columns {}",
                OUTPUT_COLUMNS.join(", ")
            ),
        ));
    }
    batch::map_header(scorer.schema(), names)
}

/// Scores a record batch through the core's batch path, a chunk of rows at a time.
fn score_batch(scorer: &Core, batch: &RecordBatch, reasons: bool) -> Result<RecordBatch, Error> {
    let schema = scorer.schema();
    let arrow_schema = batch.schema();
    let names: Vec<String> = arrow_schema
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let columns = match_columns(scorer, &names)?;
    let cells = columns
        .column_of_feature
        .iter()
        .map(|&c| {
            let name = names.get(c).map_or("", String::as_str);
            batch
                .columns()
                .get(c)
                .ok_or_else(|| internal(format!("column {c} of the batch is missing")))
                .and_then(|array| Cells::new(name, array))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let rows = batch.num_rows();
    // A chunk's records hold the feature cells only, in schema order, named as the features.
    let record_columns = Columns {
        header: schema.features.iter().map(|f| f.name.clone()).collect(),
        column_of_feature: (0..cells.len()).collect(),
        ignored: Vec::new(),
    };
    let options = BatchOptions {
        reasons,
        ..BatchOptions::default()
    };
    let mut chunk = Chunk::default();
    let mut scratch = Scratch::default();
    let mut scored = Scored::new(rows);
    let mut data = Vec::new();
    let mut ends = Vec::with_capacity(cells.len());
    for i in 0..rows {
        data.clear();
        ends.clear();
        for c in &cells {
            c.write(i, &mut data);
            ends.push(data.len());
        }
        chunk.push_fields(&record_columns, i as u64 + 1, &data, &ends)?;
        // Cut as the CLI's parser cuts its chunks.
        let full = chunk.len() >= options.chunk_rows || chunk.data_len() >= MAX_CHUNK_BYTES;
        if full || i + 1 == rows {
            batch::score_chunk_rows(
                scorer,
                &record_columns,
                &chunk,
                &options,
                &mut scratch,
                |row| scored.push(row),
            )?;
            chunk.clear();
        }
    }
    let scored = scored.finish()?;
    if scored.first().map_or(0, |a| a.len()) != rows {
        return Err(internal("the core did not score every row of the batch"));
    }

    let mut fields: Vec<Arc<Field>> = arrow_schema.fields().iter().cloned().collect();
    fields.extend(
        OUTPUT_COLUMNS
            .iter()
            .map(|name| Arc::new(Field::new(*name, output_type(name), true))),
    );
    let mut arrays: Vec<ArrayRef> = batch.columns().to_vec();
    arrays.extend(scored);
    RecordBatch::try_new(
        Arc::new(ArrowSchema::new_with_metadata(
            fields,
            arrow_schema.metadata().clone(),
        )),
        arrays,
    )
    .map_err(|e| internal(format!("cannot assemble the scored batch: {e}")))
}

/// The native half of the `credit_scorer` package.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Scorer>()?;
    m.add("OUTPUT_COLUMNS", OUTPUT_COLUMNS.to_vec())?;
    Ok(())
}
