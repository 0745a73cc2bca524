//! `schema-template`: the ranges of the model's split thresholds and the placeholders a bank
//! fills in.

use std::path::Path;

use credit_scorer::model::pb;
use credit_scorer::schema::SCHEMA_METADATA_KEY;
use predicates::str::contains;
use prost::Message;
use tempfile::TempDir;

use crate::common::*;
use crate::{NO_INPUT, cli, files_in, writing};

pub(crate) const XGBOOST: &str = "tests/fixtures/bank/xgboost.onnx";

/// The fixture's schema as its exporter (Python) wrote it, and the model without that entry.
pub(crate) fn schema_apart(path: &str) -> (String, Vec<u8>) {
    let mut proto = pb::ModelProto::decode(read(path).as_slice()).unwrap();
    let at = proto
        .metadata_props
        .iter()
        .position(|p| p.key == SCHEMA_METADATA_KEY)
        .unwrap();
    let entry = proto.metadata_props.remove(at);
    (entry.value, proto.encode_to_vec())
}

/// Per input column, the lowest and highest split threshold of the model's tree ensemble, read
/// from the ONNX attributes (`nodes_featureids`, `nodes_values`, `nodes_modes`).
fn tree_threshold_ranges(path: &str, k: usize) -> Vec<Option<(f32, f32)>> {
    let proto = pb::ModelProto::decode(read(path).as_slice()).unwrap();
    let graph = proto.graph.unwrap();
    let node = graph
        .node
        .iter()
        .find(|n| n.op_type == "TreeEnsembleClassifier")
        .unwrap();
    let attr = |name: &str| node.attribute.iter().find(|a| a.name == name).unwrap();
    let features = &attr("nodes_featureids").ints;
    let values = &attr("nodes_values").floats;
    let modes = &attr("nodes_modes").strings;
    assert!(features.len() == values.len() && values.len() == modes.len());
    let mut ranges: Vec<Option<(f32, f32)>> = vec![None; k];
    for ((&f, &v), mode) in features.iter().zip(values).zip(modes) {
        if mode.as_slice() == b"LEAF" {
            continue;
        }
        let r = &mut ranges[f as usize];
        *r = Some(r.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))));
    }
    ranges
}

/// The reference network compares each input with its schema's cuts (numeric) or its codes but
/// the first (categorical, one WoE bin per code): the thresholds, from the training's schema.
fn reference_threshold_ranges() -> Vec<Option<(f32, f32)>> {
    let schema = credit_scorer::Scorer::from_bytes(&read(REFERENCE_MODEL))
        .unwrap()
        .schema()
        .clone();
    schema
        .features
        .iter()
        .map(|f| {
            let points: Vec<f64> = match &f.kind {
                credit_scorer::schema::FeatureKind::Numeric { .. } => f.cuts.clone().unwrap(),
                credit_scorer::schema::FeatureKind::Categorical { categories } => {
                    categories.iter().skip(1).map(|c| c.code as f64).collect()
                }
            };
            Some((*points.first()? as f32, *points.last()? as f32))
        })
        .collect()
}

fn template_of(model: &Path) -> serde_json::Value {
    let out = cli()
        .args(["schema-template", "-o", "-", "--model"])
        .arg(model)
        .assert()
        .success();
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

/// The template names each input, reads the loader's probability output, gives each input the
/// range of the model's split thresholds on it (as float32, exactly), and leaves a placeholder
/// for everything only the bank knows.
#[test]
fn schema_template_ranges_are_the_models_split_thresholds() {
    let xgboost: serde_json::Value =
        serde_json::from_slice(&read("tests/fixtures/bank/xgboost.json")).unwrap();
    let cases = [
        (
            XGBOOST,
            tree_threshold_ranges(XGBOOST, 18),
            xgboost["pd_output"].as_str().unwrap(),
        ),
        (REFERENCE_MODEL, reference_threshold_ranges(), "pd"),
    ];
    for (path, ranges, pd) in cases {
        let template = template_of(&repo(path));
        assert_eq!(template["schema_version"], 1);
        assert_eq!(template["output"]["pd"], pd, "{path}");
        assert!(
            template["model"]["name"]
                .as_str()
                .unwrap()
                .starts_with("TODO:")
        );
        let features = template["features"].as_array().unwrap();
        assert_eq!(features.len(), ranges.len(), "{path}");
        for (i, (f, range)) in features.iter().zip(&ranges).enumerate() {
            assert_eq!(f["name"], format!("x{i}"));
            assert_eq!(f["kind"], "numeric");
            let got = match (f.get("min"), f.get("max")) {
                (Some(lo), Some(hi)) => {
                    Some((lo.as_f64().unwrap() as f32, hi.as_f64().unwrap() as f32))
                }
                (None, None) => None,
                other => panic!("{path} x{i}: one end only: {other:?}"),
            };
            assert_eq!(got, *range, "{path} x{i}");
            for field in ["baseline", "range_todo"] {
                assert!(
                    f[field].as_str().unwrap().starts_with("TODO: "),
                    "{path} x{i}"
                );
            }
            for field in ["label", "reason"] {
                assert!(
                    f[field]["en"].as_str().unwrap().starts_with("TODO: "),
                    "{path} x{i}"
                );
            }
        }
        // The xgboost model splits on most inputs, not all; the network on every one.
        assert!(ranges.iter().filter(|r| r.is_some()).count() >= ranges.len() / 2);
    }
}

/// The bank's edit of a template: every placeholder replaced, the range notes deleted.
fn filled(mut template: serde_json::Value) -> serde_json::Value {
    template["model"] = serde_json::json!({ "name": "Bank XGBoost", "version": "2026-12" });
    for (i, f) in template["features"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .enumerate()
    {
        let f = f.as_object_mut().unwrap();
        f.remove("range_todo");
        f.insert("name".into(), format!("feature_{i}").into());
        f.insert(
            "label".into(),
            serde_json::json!({ "en": format!("Feature {i}") }),
        );
        f.insert(
            "reason".into(),
            serde_json::json!({ "en": format!("Feature {i}") }),
        );
        let baseline = f.get("min").cloned().unwrap_or(0.into());
        f.insert("baseline".into(), baseline);
    }
    template
}

/// A template still holding placeholders is refused (by `embed-schema` and by the loader) with
/// what to fill in; once filled in, it is a schema the model loads with.
#[test]
fn an_unfilled_template_is_refused_and_a_filled_one_embeds() {
    let dir = TempDir::new().unwrap();
    let plain = repo("tests/fixtures/bank/xgboost.noschema.onnx");
    let schema = dir.path().join("schema.json");
    writing(&["schema-template"], &plain, NO_INPUT, &schema)
        .assert()
        .success()
        .stdout("")
        .stderr(contains("a starter schema for 18 inputs"));
    let template: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&schema).unwrap()).unwrap();
    let out = dir.path().join("out.onnx");
    writing(&["embed-schema"], &plain, &[&schema], &out)
        .assert()
        .code(1)
        .stderr(contains("the schema still holds 74 placeholders from `credit-scorer schema-template` to fill in"))
        .stderr(contains("`features[0].baseline` says \"TODO: the most favourable value of `x0`"))
        .stderr(contains("replace each `TODO:` text"));
    assert_eq!(files_in(dir.path()), ["schema.json"]);

    // One placeholder left: named, with what belongs there.
    let mut almost = filled(template.clone());
    almost["features"][3]["reason"]["en"] = "TODO: the reason text".into();
    std::fs::write(&schema, almost.to_string()).unwrap();
    let e = credit_scorer::model::with_schema(&std::fs::read(&plain).unwrap(), &almost.to_string())
        .unwrap_err();
    assert_eq!(e.kind(), credit_scorer::ErrorKind::Schema);
    assert!(
        e.message().contains("holds 1 placeholder from")
            && e.message()
                .contains("`features[3].reason.en` says \"TODO: the reason text\";"),
        "{e}"
    );
    // The loader refuses it too, however it got into the model.
    let mut proto = pb::ModelProto::decode(std::fs::read(&plain).unwrap().as_slice()).unwrap();
    proto.metadata_props.push(pb::StringStringEntryProto {
        key: SCHEMA_METADATA_KEY.into(),
        value: almost.to_string(),
    });
    let e = credit_scorer::Model::from_bytes(&proto.encode_to_vec()).unwrap_err();
    assert_eq!(e.kind(), credit_scorer::ErrorKind::Schema);
    assert!(e.message().contains("`features[3].reason.en`"), "{e}");

    let done = filled(template);
    std::fs::write(&schema, done.to_string()).unwrap();
    let run = writing(&["embed-schema"], &plain, &[&schema], &out)
        .assert()
        .success()
        .stdout("")
        .stderr(contains(
            "the model with the schema of `Bank XGBoost` (18 features);",
        ));
    // Without reference scores: the full build checks the trees against tract; the lite build
    // writes the model and says what it needs.
    if cfg!(feature = "tract") {
        run.stderr(contains("this build loads it with the tree evaluator"));
        let scorer = credit_scorer::Scorer::from_bytes(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(scorer.schema().model.name, "Bank XGBoost");
        assert_eq!(scorer.schema().features[1].name, "feature_1");
        // The last step: the page's lite engine runs it.
        let page = dir.path().join("page.onnx");
        writing(&["reference-scores"], &out, NO_INPUT, &page)
            .assert()
            .success()
            .stderr(contains("the page's lite engine will run it"));
    } else {
        run.stderr(contains("it does not load yet: the model's tree ensemble"));
    }
}

/// A classifier whose classes are not the integers 0 and 1 (scikit-learn's "bad"/"good"): the
/// template asks which is default, and the filled-in answer is what the model is then read with.
#[test]
fn schema_template_asks_which_class_is_default() {
    let plain = repo("tests/fixtures/bank/sklearn_logistic.noschema.onnx");
    let template = template_of(&plain);
    let asked = template["output"]["default_class"].as_str().unwrap();
    assert!(
        asked.starts_with("TODO: which of the model's classes \"bad\", \"good\" is default"),
        "{asked}"
    );
    // Without a schema the loader cannot tell either.
    let bytes = std::fs::read(&plain).unwrap();
    let e = credit_scorer::Model::from_bytes(&bytes).unwrap_err();
    assert!(
        e.message()
            .contains("cannot tell which of the model's classes"),
        "{e}"
    );
    let mut done = filled(template);
    done["output"]["default_class"] = "bad".into();
    let made = credit_scorer::model::with_schema(&bytes, &done.to_string()).unwrap();
    assert_eq!(made.schema.output.default_class, Some("bad".into()));
    // The exporter's own file names the same class.
    let (exporters, _) = schema_apart("tests/fixtures/bank/sklearn_logistic.onnx");
    let exporters: serde_json::Value = serde_json::from_str(&exporters).unwrap();
    assert_eq!(exporters["output"]["default_class"], "bad");
}
