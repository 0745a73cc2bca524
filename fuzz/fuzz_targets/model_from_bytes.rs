//! Any bytes as an `.onnx` file: `Model::from_bytes` must refuse or load, never panic (in wasm a
//! panic kills the instance; libFuzzer's panic hook counts even a caught one as a crash) and
//! never allocate without bound. A loaded model is also run once on a row of zeros.
#![no_main]

use credit_scorer::Model;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(model) = Model::from_bytes(data) {
        let k = model.schema().features.len();
        let _ = model.predict(&vec![0.0; k]);
    }
});
