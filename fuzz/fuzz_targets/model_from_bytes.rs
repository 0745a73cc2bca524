//! Any bytes as an `.onnx` file: `Model::from_bytes` must refuse or load, never panic (in wasm a
//! panic kills the instance; libFuzzer's panic hook counts even a caught one as a crash) and
//! never allocate without bound. A loaded model is also run once on a row of zeros, and its
//! leave-one-out variants (the batch's reasons) on that row and a row of ones against the
//! schema's baseline, with the rows' own scores, and a tree model's TreeSHAP values for both.
#![no_main]

use credit_scorer::Model;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(model) = Model::from_bytes(data) {
        let k = model.schema().features.len();
        let _ = model.predict(&vec![0.0; k]);
        let rows: Vec<f32> = (0..2 * k).map(|i| if i < k { 0.0 } else { 1.0 }).collect();
        let which: Vec<(usize, usize)> = (0..2).flat_map(|r| (0..k).map(move |i| (r, i))).collect();
        let baseline = model.schema().baseline();
        let (mut scratch, mut own, mut logits) = (Vec::new(), Vec::new(), Vec::new());
        let _ = model.predict_with_leave_one_out_into(
            &rows, &baseline, &which, &mut scratch, &mut own, &mut logits,
        );
        // Tree models: exact TreeSHAP of both rows against the baseline.
        for row in rows.chunks(k.max(1)) {
            let _ = model.tree_contributions(row, &baseline);
        }
    }
});
