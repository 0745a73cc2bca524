//! Broken and hostile model files: each is refused with a clear message, never a panic,
//! a hang or a runaway allocation.

mod common;

use std::time::{Duration, Instant};

use common::*;
use credit_scorer::{ErrorKind, LoadOptions, Model};
use serde::Deserialize;

#[derive(Deserialize)]
struct Entry {
    file: String,
    what: String,
}

fn expected_kind(file: &str) -> ErrorKind {
    match file.trim_end_matches(".onnx") {
        "empty" | "random" | "truncated" | "text" | "cycle" => ErrorKind::ModelFormat,
        "constant_of_shape_bomb"
        | "expand_bomb"
        | "pad_bomb"
        | "concat_bomb"
        | "resize_bomb"
        | "matmul_chain" => ErrorKind::ModelTooLarge,
        "nan_weights"
        | "inf_weights"
        | "linear_classifier_bad_coefficients"
        | "gather_out_of_range"
        | "expand_negative_shape"
        | "tree_ensemble_corrupt" => ErrorKind::ModelInvalid,
        "no_input" | "two_inputs" | "rank5_input" | "string_input" | "int_input"
        | "zero_features" | "too_many_features" | "three_class" | "huge_dim"
        | "gather_batch_axis" | "zero_batch" => ErrorKind::ModelContract,
        f if f.starts_with("bad_schema") => ErrorKind::Schema,
        _ => ErrorKind::ModelUnsupported,
    }
}

#[test]
fn every_hostile_file_is_refused_with_its_kind_and_a_message() {
    let manifest: Vec<Entry> =
        serde_json::from_slice(&read("tests/fixtures/hostile/manifest.json")).unwrap();
    assert!(
        manifest.len() >= 20,
        "the corpus has {} files",
        manifest.len()
    );
    for entry in &manifest {
        let bytes = read(&format!("tests/fixtures/hostile/{}", entry.file));
        let start = Instant::now();
        let result = std::panic::catch_unwind(|| Model::from_bytes(&bytes));
        let elapsed = start.elapsed();
        let outcome = result.unwrap_or_else(|_| panic!("{} ({}) panicked", entry.file, entry.what));
        let e = match outcome {
            Ok(_) => panic!("{} ({}) was accepted", entry.file, entry.what),
            Err(e) => e,
        };
        assert_eq!(
            e.kind(),
            expected_kind(&entry.file),
            "{} ({}): {e}",
            entry.file,
            entry.what
        );
        assert!(
            e.message().len() > 30,
            "{}: message too thin: {e}",
            entry.file
        );
        assert!(
            elapsed < Duration::from_secs(10),
            "{} took {elapsed:?}",
            entry.file
        );
    }
}

#[test]
fn file_size_cap_is_configurable() {
    let bytes = read(REFERENCE_MODEL);
    let tight = LoadOptions {
        max_bytes: 1024,
        ..LoadOptions::default()
    };
    let e = Model::from_bytes_with(&bytes, &tight).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ModelTooLarge);
    assert!(Model::from_bytes(&bytes).is_ok());
}

#[test]
fn every_prefix_of_the_reference_model_is_refused_or_loads_without_panic() {
    let bytes = read(REFERENCE_MODEL);
    for len in (0..bytes.len()).step_by(bytes.len() / 97 + 1) {
        let prefix = &bytes[..len];
        let result = std::panic::catch_unwind(|| Model::from_bytes(prefix));
        assert!(result.is_ok(), "prefix of {len} bytes panicked");
    }
}

/// Issue 21, item 1: a model that grows a tensor past any memory by its shapes alone (`Pad`,
/// `Concat`, `Resize`, a chain of wide `MatMul`s) is refused from tract's shape inference, before
/// anything runs: the command line loads each under a 1 GiB address-space limit and exits with
/// the refusal (code 1), where it aborted (`Pad`: 16 GB asked for) or scored with 2.5 GB
/// (`Concat`) before. The reference model loads under the same limit.
#[cfg(all(unix, feature = "tract"))]
#[test]
fn memory_bombs_are_refused_under_a_memory_limit_before_anything_runs() {
    let run = |model: &str| {
        std::process::Command::new("sh")
            .arg("-c")
            .arg("ulimit -v 1048576 && exec \"$0\" schema --model \"$1\"")
            .arg(env!("CARGO_BIN_EXE_credit-scorer"))
            .arg(repo(model))
            .output()
            .expect("sh runs")
    };
    let control = run(REFERENCE_MODEL);
    assert!(
        control.status.success(),
        "the reference model under the limit: {:?} {}",
        control.status,
        String::from_utf8_lossy(&control.stderr)
    );
    for file in [
        "pad_bomb",
        "concat_bomb",
        "resize_bomb",
        "matmul_chain",
        "pad_constant_bomb",
    ] {
        let out = run(&format!("tests/fixtures/hostile/{file}.onnx"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{file}: {:?} {stderr}",
            out.status
        );
        assert!(
            stderr.contains("for a batch of 1024 applicants, above the limit of")
                || stderr.contains("computes a tensor from constants only"),
            "{file}: {stderr}"
        );
    }
}
