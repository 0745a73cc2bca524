//! `embed-schema`: a filled-in schema into the model file, and what it refuses.

use credit_scorer::model::pb;
use credit_scorer::schema::SCHEMA_METADATA_KEY;
use predicates::prelude::*;
use predicates::str::contains;
use prost::Message;
use tempfile::TempDir;

use crate::common::*;
use crate::schema_template::{XGBOOST, schema_apart};
use crate::{NO_INPUT, files_in, writing};

/// Embedding a schema changes nothing else in the file: the decoded protobufs are equal but for
/// that entry, the model loads with that schema and scores exactly as the exporter's own file
/// with it (and as onnxruntime), and embedding again replaces the entry rather than adding one.
#[test]
fn embed_schema_round_trip_scores_as_the_model_with_its_schema() {
    let dir = TempDir::new().unwrap();
    let golden = reference_golden();
    let xgboost: serde_json::Value =
        serde_json::from_slice(&read("tests/fixtures/bank/xgboost.json")).unwrap();
    let nan = |v: &serde_json::Value| v.as_f64().map_or(f32::NAN, |x| x as f32);
    // Per model, rows and onnxruntime's probability for each.
    type Golden = Vec<(Vec<f32>, f64)>;
    let cases: [(&str, Golden); 2] = [
        (
            XGBOOST,
            xgboost["rows"]
                .as_array()
                .unwrap()
                .iter()
                .zip(xgboost["pd"].as_array().unwrap())
                .map(|(r, p)| {
                    let row = r.as_array().unwrap().iter().map(nan).collect();
                    (row, p.as_f64().unwrap())
                })
                .collect(),
        ),
        (
            REFERENCE_MODEL,
            golden.rows.iter().map(|r| (r.x.clone(), r.pd)).collect(),
        ),
    ];
    for (path, rows) in cases {
        let (schema_text, plain_bytes) = schema_apart(path);
        let plain = dir.path().join("plain.onnx");
        let schema = dir.path().join("schema.json");
        let out = dir.path().join("out.onnx");
        std::fs::write(&plain, &plain_bytes).unwrap();
        std::fs::write(&schema, &schema_text).unwrap();
        writing(&["embed-schema", "--force"], &plain, &[&schema], &out)
            .assert()
            .success()
            .stderr(contains("features); this build loads it with"));
        let written = std::fs::read(&out).unwrap();
        assert!(
            written.starts_with(&plain_bytes),
            "{path}: the model's bytes come first"
        );

        let without_schema = |bytes: &[u8]| {
            let mut proto = pb::ModelProto::decode(bytes).unwrap();
            let n = proto.metadata_props.len();
            proto
                .metadata_props
                .retain(|p| p.key != SCHEMA_METADATA_KEY);
            let removed = n - proto.metadata_props.len();
            (proto, removed)
        };
        let (rest, schemas) = without_schema(&written);
        assert_eq!(schemas, 1, "{path}");
        assert_eq!(rest, without_schema(&plain_bytes).0, "{path}");

        let exporters = credit_scorer::Scorer::from_bytes(&read(path)).unwrap();
        let ours = credit_scorer::Scorer::from_bytes(&written).unwrap();
        assert_eq!(ours.schema(), exporters.schema(), "{path}");
        assert_eq!(ours.model().engine(), exporters.model().engine(), "{path}");
        let flat: Vec<f32> = rows.iter().flat_map(|(x, _)| x.iter().copied()).collect();
        let a = ours.model().predict(&flat).unwrap();
        assert_eq!(a, exporters.model().predict(&flat).unwrap(), "{path}");
        for (i, (p, (_, want))) in a.iter().zip(&rows).enumerate() {
            assert!(
                close(p.pd, *want, 1e-5),
                "{path} row {i}: {} vs onnxruntime {want}",
                p.pd
            );
        }

        // Again, into the model that has it (and into the exporter's file): one schema entry.
        let again = dir.path().join("again.onnx");
        for model in [out.clone(), repo(path)] {
            writing(&["embed-schema", "--force"], &model, &[&schema], &again)
                .assert()
                .success()
                .stderr(contains(", replacing its own;"));
            let twice = std::fs::read(&again).unwrap();
            assert_eq!(without_schema(&twice).1, 1, "{path}");
            assert_eq!(
                without_schema(&twice).0,
                without_schema(&std::fs::read(&model).unwrap()).0,
                "{path}"
            );
            if model == out {
                assert_eq!(
                    twice, written,
                    "{path}: the same schema again, the same file"
                );
            }
        }
    }
}

/// A schema that does not fit the model is refused with the loader's kind and message, and no
/// file is written; the output is never the model or the schema, an existing one only with
/// `--force`.
#[test]
fn embed_schema_refuses_a_schema_that_does_not_fit_and_writes_atomically() {
    use credit_scorer::ErrorKind;
    let (text, plain_bytes) = schema_apart(XGBOOST);
    let good: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut fewer = good.clone();
    fewer["features"].as_array_mut().unwrap().pop();
    let mut output = good.clone();
    output["output"]["pd"] = "probability_of_default".into();
    let mut misspelt = good.clone();
    let label = misspelt["features"][2]["label"].clone();
    misspelt["features"][2]
        .as_object_mut()
        .unwrap()
        .remove("label");
    misspelt["features"][2]["lable"] = label;
    let mut baseline = good.clone();
    baseline["features"][1]["baseline"] = 1e6.into();
    let cases = [
        (
            fewer,
            ErrorKind::Schema,
            "the schema describes 17 features but the model takes 18 inputs",
        ),
        (
            output,
            ErrorKind::Schema,
            "the schema names output `probability_of_default` as the probability",
        ),
        (
            misspelt,
            ErrorKind::Schema,
            "a field `features[2].lable` this scorer does not read",
        ),
        (
            baseline,
            ErrorKind::Schema,
            "the baseline 1000000 is outside the range",
        ),
    ];
    let dir = TempDir::new().unwrap();
    let model = dir.path().join("model.onnx");
    let schema = dir.path().join("schema.json");
    let out = dir.path().join("out.onnx");
    std::fs::write(&model, &plain_bytes).unwrap();
    for (bad, kind, message) in cases {
        let e = credit_scorer::model::with_schema(&plain_bytes, &bad.to_string()).unwrap_err();
        assert_eq!(e.kind(), kind, "{e}");
        assert!(e.message().contains(message), "{e}");
        std::fs::write(&schema, bad.to_string()).unwrap();
        writing(&["embed-schema"], &model, &[&schema], &out)
            .assert()
            .code(1)
            .stdout("")
            .stderr(contains("error: `").and(contains(message)));
        assert_eq!(files_in(dir.path()), ["model.onnx", "schema.json"]);
    }

    std::fs::write(&schema, &text).unwrap();
    for target in [&model, &schema] {
        for force in [false, true] {
            writing(&["embed-schema"], &model, &[&schema], target)
                .args(force.then_some("--force"))
                .assert()
                .code(1)
                .stderr(contains("is the input"));
        }
    }
    assert_eq!(std::fs::read(&model).unwrap(), plain_bytes);
    assert_eq!(std::fs::read_to_string(&schema).unwrap(), text);
    std::fs::write(&out, "old").unwrap();
    let embed = |force: bool| {
        writing(&["embed-schema"], &model, &[&schema], &out)
            .args(force.then_some("--force"))
            .assert()
    };
    embed(false)
        .code(1)
        .stderr(contains("exists; give --force"));
    assert_eq!(std::fs::read(&out).unwrap(), b"old");
    embed(true).success();
    assert!(std::fs::read(&out).unwrap().starts_with(&plain_bytes));
    assert_eq!(
        files_in(dir.path()),
        ["model.onnx", "out.onnx", "schema.json"]
    );
    // schema-template too: never over the model, an existing file only with --force.
    for (target, expected) in [(&model, "is the input"), (&schema, "exists; give --force")] {
        writing(&["schema-template"], &model, NO_INPUT, target)
            .assert()
            .code(1)
            .stderr(contains(expected));
    }
    assert_eq!(std::fs::read_to_string(&schema).unwrap(), text);
}
