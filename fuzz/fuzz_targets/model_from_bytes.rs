//! Any bytes as an `.onnx` file: `Model::from_bytes` must refuse or load, never panic (in wasm a
//! panic kills the instance; libFuzzer's panic hook counts even a caught one as a crash) and
//! never allocate without bound. A loaded model is also run once on a row of zeros, and the
//! Shapley values every channel's reasons come from (TreeSHAP, per hidden unit, over every
//! coalition or sampled) of that row and a row of ones against the schema's baseline.
#![no_main]

use credit_scorer::Model;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(model) = Model::from_bytes(data) {
        let k = model.schema().features.len();
        let _ = model.predict(&vec![0.0; k]);
        let rows: Vec<f32> = (0..2 * k).map(|i| if i < k { 0.0 } else { 1.0 }).collect();
        let baseline = model.schema().baseline();
        for row in rows.chunks(k.max(1)) {
            let _ = credit_scorer::explain::shapley(&model, row, &baseline);
        }
    }
});
