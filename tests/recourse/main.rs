//! Recourse (`credit_scorer::recourse`) against an independent brute force written here: every
//! set of up to three actionable features × every value of each feature's full grid (every
//! `min + n · step` in range, every allowed category), scored through `model.predict` — not the
//! split points the search starts from. On the reference model's test split and on a bank tree
//! model (XGBoost) given actionable fields in its schema. Runs in both builds.

#[path = "../common/mod.rs"]
mod common;

mod brute_force;
mod command_line;
mod reference_model;
mod tree_models;
mod validation;

use common::{REFERENCE_MODEL, read};
use credit_scorer::Scorer;

fn reference() -> Scorer {
    Scorer::from_bytes(&read(REFERENCE_MODEL)).expect("reference model loads")
}
