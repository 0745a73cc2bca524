//! Preparing a bank's model for the page: what a starter schema can say about a graph
//! ([`outline`], for `credit-scorer schema-template`), a schema written into the model's metadata
//! ([`with_schema`], for `credit-scorer embed-schema`), and the byte-level edits of the metadata
//! both this and the reference-score writer make: an entry appended, the entries of one key taken
//! out, every other byte of the file kept as it was (no re-encoding, so no field this copy of
//! onnx.proto does not know is lost).

use prost::Message;

use super::{Engine, LoadOptions, Model, chain, checks, normalize, pb, trees};
use crate::error::{Error, ErrorKind, Result};
use crate::schema::{SCHEMA_METADATA_KEY, Schema};

/// What the graph of a model says about its inputs, for a starter schema.
#[derive(Clone, Debug)]
pub struct Outline {
    /// Number of input columns.
    pub k: usize,
    /// Name of the graph's input.
    pub input_name: String,
    /// Name of the probability output the loader reads.
    pub pd_name: String,
    /// Name of the log-odds output, when the model has one.
    pub logit_name: Option<String>,
    /// Per input column, the values at which the output can change (tree split thresholds, a
    /// chain's comparison constants), sorted, without repeats; as [`Model::split_points`], but
    /// from the graph alone, whichever engine would run it. `None` when the output may change
    /// anywhere (a network that reads its input other than through comparisons, a scaler …).
    pub split_points: Option<Vec<Vec<f32>>>,
    /// A classifier's class labels when the loader cannot tell which is default (anything but
    /// the integers 0 and 1, and no `output.default_class`): the schema must name one.
    pub classes_to_choose: Option<Vec<serde_json::Value>>,
}

/// The [`Outline`] of a model: every check the loader makes on the file and its schema (the
/// generic one when it carries none), then the direct evaluators' compilation, without choosing
/// or running an engine (a model that needs reference scores before it loads still has one).
pub fn outline(bytes: &[u8]) -> Result<Outline> {
    let checks::Checked {
        mut proto,
        input,
        schema,
        pd_name,
        logit_name,
    } = checks::check(bytes, &LoadOptions::default())?;
    let mut classes_to_choose = None;
    let trees = match proto.graph.as_ref() {
        Some(graph) => {
            let default_class = schema.output.default_class.as_ref();
            match trees::compile(graph, &input.name, input.k, &pd_name, default_class) {
                // Labels none of which is known to be default: any of them gives the split
                // points, and the template asks which it is.
                Err(e) if e.kind() == ErrorKind::ModelContract && default_class.is_none() => {
                    let labels = class_labels(graph).ok_or(e)?;
                    let pipeline =
                        trees::compile(graph, &input.name, input.k, &pd_name, labels.first())?;
                    classes_to_choose = Some(labels);
                    pipeline
                }
                compiled => compiled?,
            }
        }
        None => None,
    };
    let mut split_points = match trees {
        Some(trees) => trees.split_points(),
        None => {
            normalize::for_engines(&mut proto);
            proto
                .graph
                .as_ref()
                .and_then(|g| {
                    chain::compile(g, &input.name, input.k, &pd_name, logit_name.as_deref())
                })
                .and_then(|c| c.split_points())
        }
    };
    for column in split_points.iter_mut().flatten() {
        column.sort_by(f32::total_cmp);
        column.dedup();
    }
    Ok(Outline {
        k: input.k,
        input_name: input.name,
        pd_name,
        logit_name,
        split_points,
        classes_to_choose,
    })
}

/// The class labels of the graph's first classifier (`classlabels_strings`, `_int64s` or
/// `_ints`), as JSON values the schema's `output.default_class` takes.
fn class_labels(graph: &pb::GraphProto) -> Option<Vec<serde_json::Value>> {
    graph.node.iter().flat_map(|n| &n.attribute).find_map(|a| {
        let labels: Vec<serde_json::Value> = match a.name.as_str() {
            "classlabels_strings" => a
                .strings
                .iter()
                .map(|s| String::from_utf8_lossy(s).into_owned().into())
                .collect(),
            "classlabels_int64s" | "classlabels_ints" => a.ints.iter().map(|&i| i.into()).collect(),
            _ => return None,
        };
        (!labels.is_empty()).then_some(labels)
    })
}

/// What [`with_schema`] made.
#[derive(Debug)]
pub struct WithSchema {
    /// The model file: the input bytes without their schema entry (if any), then one
    /// `metadata_props` entry with the schema.
    pub bytes: Vec<u8>,
    /// The schema as written (compact JSON of the checked schema).
    pub schema: Schema,
    /// Whether the model carried a schema, now replaced.
    pub replaced: bool,
    /// The engine this build loads the result with, or why it does not load it yet: the model
    /// needs reference scores that cover it (`needs_full_engine` in the lite build,
    /// `model_unsupported` for a model tract cannot run); every other refusal is an error of
    /// [`with_schema`].
    pub loads: std::result::Result<Engine, Error>,
}

/// The model `bytes` with `schema_json` as its schema (`credit_scorer.schema`), replacing the one
/// it carries. Refused, with the loader's message: a schema that does not parse, still holds
/// `schema-template`'s placeholders, has a field this scorer does not read (a misspelt name would
/// otherwise be dropped without a word), or does not fit the model (its number of inputs, its
/// outputs, the class of default); a model the loader refuses with it for any other reason than
/// missing reference scores. Written as the compact JSON of the checked schema.
pub fn with_schema(bytes: &[u8], schema_json: &str) -> Result<WithSchema> {
    let plain = without_metadata_entry(bytes, SCHEMA_METADATA_KEY)?;
    let replaced = plain.len() != bytes.len();
    let k = checks::check(&plain, &LoadOptions::default())?.input.k;
    let schema = Schema::from_json(schema_json, k)?;
    let written = serde_json::to_value(&schema)
        .map_err(|e| Error::new(ErrorKind::Schema, format!("cannot write the schema: {e}")))?;
    if let Ok(given) = serde_json::from_str::<serde_json::Value>(schema_json)
        && let Some(field) = unknown_fields(&given, &written, "").first()
    {
        return Err(Error::new(
            ErrorKind::Schema,
            format!(
                "the schema has a field `{field}` this scorer does not read; correct its name (docs/SCHEMA.md lists the fields) or remove it"
            ),
        ));
    }
    let out = with_metadata_entry(plain, SCHEMA_METADATA_KEY, &written.to_string());
    // Every check of the loader up to the engine (the outputs the schema names, the class of
    // default), then the engine itself.
    checks::check(&out, &LoadOptions::default())?;
    let loads = match Model::from_bytes(&out) {
        Ok(model) => Ok(model.engine()),
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::NeedsFullEngine | ErrorKind::ModelUnsupported
            ) =>
        {
            Err(e)
        }
        Err(e) => return Err(e),
    };
    Ok(WithSchema {
        bytes: out,
        schema,
        replaced,
        loads,
    })
}

/// The object keys of `given` (not `null`) that `written` (the same JSON read into the schema
/// and written back) lacks, as paths (`features[2].lable`).
fn unknown_fields(given: &serde_json::Value, written: &serde_json::Value, at: &str) -> Vec<String> {
    use serde_json::Value;
    match (given, written) {
        (Value::Object(g), Value::Object(w)) => g
            .iter()
            .filter(|(_, v)| !v.is_null())
            .flat_map(|(key, v)| {
                let path = if at.is_empty() {
                    key.clone()
                } else {
                    format!("{at}.{key}")
                };
                match w.get(key) {
                    Some(w) => unknown_fields(v, w, &path),
                    None => vec![path],
                }
            })
            .collect(),
        (Value::Array(g), Value::Array(w)) => g
            .iter()
            .zip(w)
            .enumerate()
            .flat_map(|(i, (g, w))| unknown_fields(g, w, &format!("{at}[{i}]")))
            .collect(),
        _ => Vec::new(),
    }
}

/// Field 14 of `ModelProto`, length-delimited.
const METADATA_PROPS_FIELD: u32 = 14;

/// `bytes` (an encoded `ModelProto`) with one more `metadata_props` entry `key: value` appended:
/// a repeated field may be appended to an encoded message, so every byte before stays as it was.
pub(super) fn with_metadata_entry(bytes: Vec<u8>, key: &str, value: &str) -> Vec<u8> {
    let entry = pb::StringStringEntryProto {
        key: key.into(),
        value: value.into(),
    }
    .encode_to_vec();
    let mut out = bytes;
    prost::encoding::encode_key(
        METADATA_PROPS_FIELD,
        prost::encoding::WireType::LengthDelimited,
        &mut out,
    );
    prost::encoding::encode_varint(entry.len() as u64, &mut out);
    out.extend_from_slice(&entry);
    out
}

/// `bytes` (an encoded `ModelProto`) without its `metadata_props` entries named `key`, every other
/// field kept byte for byte.
pub(super) fn without_metadata_entry(bytes: &[u8], key: &str) -> Result<Vec<u8>> {
    use prost::encoding::{WireType, decode_key, decode_varint};
    let corrupt = || {
        Error::new(
            ErrorKind::ModelFormat,
            "the model's bytes are not a well-formed ONNX file; export it again",
        )
    };
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while !rest.is_empty() {
        let start = rest;
        let (field, wire) = decode_key(&mut rest).map_err(|_| corrupt())?;
        let body = match wire {
            WireType::Varint => {
                decode_varint(&mut rest).map_err(|_| corrupt())?;
                None
            }
            WireType::SixtyFourBit | WireType::ThirtyTwoBit => {
                let n = if wire == WireType::SixtyFourBit { 8 } else { 4 };
                rest = rest.get(n..).ok_or_else(corrupt)?;
                None
            }
            WireType::LengthDelimited => {
                let len = usize::try_from(decode_varint(&mut rest).map_err(|_| corrupt())?)
                    .map_err(|_| corrupt())?;
                let body = rest.get(..len).ok_or_else(corrupt)?;
                rest = rest.get(len..).ok_or_else(corrupt)?;
                Some(body)
            }
            WireType::StartGroup | WireType::EndGroup => return Err(corrupt()),
        };
        let dropped = field == METADATA_PROPS_FIELD
            && body
                .is_some_and(|b| pb::StringStringEntryProto::decode(b).is_ok_and(|e| e.key == key));
        if !dropped {
            let taken = start.len() - rest.len();
            out.extend_from_slice(start.get(..taken).ok_or_else(corrupt)?);
        }
    }
    Ok(out)
}
