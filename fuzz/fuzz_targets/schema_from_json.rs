//! Any text as a model's `credit_scorer.schema` metadata, for models of 0 to 31 inputs: parsing
//! and the consistency checks must refuse or accept, never panic; an accepted schema must give a
//! baseline row of the right width.
#![no_main]

use credit_scorer::Schema;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&k, rest)) = data.split_first() else { return };
    let Ok(json) = std::str::from_utf8(rest) else { return };
    let k = usize::from(k % 32);
    if let Ok(schema) = Schema::from_json(json, k) {
        assert_eq!(schema.baseline().len(), k);
    }
});
