//! The contract between the two builds: the full one (default features, with tract) and the lite
//! one (`--no-default-features`, the page's first engine), shown by the same tests in both.
//! `cargo xtask test` runs this file in each build.
//!
//! Lite loads a model only when it is a chain of row-wise operators that reproduces the reference
//! scores recorded in it; it defers everything else to the full build with `NeedsFullEngine` and
//! never gives a score the full build would not. Full checks the recorded scores too, and refuses
//! a model that does not reproduce them.

#[path = "../common/mod.rs"]
mod common;

mod coverage;
mod reference_scores;
mod shapes;

use common::*;
use credit_scorer::Model;
use credit_scorer::model::{REFERENCE_SCORES_METADATA_KEY, pb};
use prost::Message;
use serde_json::json;

const LITE: bool = !cfg!(feature = "tract");

/// `bytes` with the metadata entry `key` set to `value` (replacing an earlier one).
fn with_metadata(bytes: &[u8], key: &str, value: &str) -> Vec<u8> {
    let mut proto = pb::ModelProto::decode(bytes).expect("fixture decodes");
    proto.metadata_props.retain(|p| p.key != key);
    proto.metadata_props.push(pb::StringStringEntryProto {
        key: key.into(),
        value: value.into(),
    });
    proto.encode_to_vec()
}

/// `bytes` without reference scores.
fn without_reference(bytes: &[u8]) -> Vec<u8> {
    let mut proto = pb::ModelProto::decode(bytes).expect("fixture decodes");
    proto
        .metadata_props
        .retain(|p| p.key != REFERENCE_SCORES_METADATA_KEY);
    proto.encode_to_vec()
}

/// A foreign fixture with its golden rows and the rows that cover it recorded as its reference
/// scores.
fn foreign_with_reference(name: &str) -> (Vec<u8>, ForeignGolden) {
    let (bytes, golden) = foreign(name);
    assert!(!golden.coverage.is_empty(), "{name}: no coverage rows");
    let rows = golden.rows.iter().chain(&golden.coverage);
    let reference = json!({
        "runtime": "onnxruntime (training/train.py)",
        "rows": rows.clone().map(|r| &r.x).collect::<Vec<_>>(),
        "pd": rows.map(|r| r.pd).collect::<Vec<_>>(),
    });
    let bytes = with_metadata(
        &bytes,
        REFERENCE_SCORES_METADATA_KEY,
        &reference.to_string(),
    );
    (bytes, golden)
}

/// Checks `model` against a foreign fixture's onnxruntime PDs.
fn assert_foreign_pds(what: &str, model: &Model, golden: &ForeignGolden) {
    let rows: Vec<(&[f32], f64)> = golden.rows.iter().map(|r| (&r.x[..], r.pd)).collect();
    assert_pds_match(what, model, &rows);
}

fn load_error(bytes: &[u8]) -> credit_scorer::Error {
    match Model::from_bytes(bytes) {
        Ok(m) => panic!("loaded (engine {:?}), expected an error", m.engine()),
        Err(e) => e,
    }
}

/// The reference model's recorded scores, parsed, for altering them.
fn recorded_reference() -> serde_json::Value {
    let proto = pb::ModelProto::decode(&read(REFERENCE_MODEL)[..]).unwrap();
    let entry = proto
        .metadata_props
        .iter()
        .find(|p| p.key == REFERENCE_SCORES_METADATA_KEY)
        .expect("the reference model carries reference scores");
    serde_json::from_str(&entry.value).unwrap()
}
