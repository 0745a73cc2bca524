//! The reference model, loaded once per fuzzing process, for the targets that score with it or
//! read its schema (a module of theirs, not a target of its own).

use std::sync::OnceLock;

use credit_scorer::Scorer;

/// The page's reference model (`www/models/german-credit-mlp.onnx`).
pub fn scorer() -> &'static Scorer {
    static SCORER: OnceLock<Scorer> = OnceLock::new();
    SCORER.get_or_init(|| {
        let bytes = include_bytes!("../../www/models/german-credit-mlp.onnx");
        Scorer::from_bytes(bytes).expect("the reference model loads")
    })
}
