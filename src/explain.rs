//! Reason codes: Shapley values of each feature against the schema's baseline applicant,
//! computed on the model's log-odds with one batched model run (for a sum of trees, exactly by
//! TreeSHAP in `engine::trees`).

use crate::engine::Model;
use crate::error::{Error, ErrorKind, Result};
/// Re-exported from [`crate::rng`], where it lives since the engine's probe rows use it too.
pub use crate::rng::SplitMix64;

/// Largest number of features explained exactly (2^k coalitions in one batch).
pub const MAX_EXACT_FEATURES: usize = 12;
/// Permutations sampled when a model has more features than that.
pub const SAMPLED_PERMUTATIONS: usize = 128;

/// Per-feature contributions to the log-odds of default, from baseline to applicant.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribution {
    /// One value per feature; they sum to `logit(applicant) − logit(baseline)`.
    pub logit_contributions: Vec<f64>,
    /// Log-odds of the baseline applicant.
    pub baseline_logit: f64,
    /// Log-odds of the applicant.
    pub applicant_logit: f64,
    /// True when sampled permutations were used instead of all coalitions.
    pub approximate: bool,
}

/// Interventional Shapley values of `applicant` against `baseline`: a feature outside a
/// coalition takes its baseline value.
pub fn shapley(model: &Model, applicant: &[f32], baseline: &[f32]) -> Result<Attribution> {
    let k = model.k();
    if applicant.len() != k || baseline.len() != k {
        return Err(Error::new(
            ErrorKind::Input,
            format!(
                "an applicant has {k} values; got {} and a baseline of {}",
                applicant.len(),
                baseline.len()
            ),
        ));
    }
    // Tree ensembles: exact interventional TreeSHAP, at any width (see `engine::trees`).
    if let Some((phi, baseline_logit, applicant_logit)) =
        model.tree_contributions(applicant, baseline)
    {
        return Ok(Attribution {
            logit_contributions: phi,
            baseline_logit,
            applicant_logit,
            approximate: false,
        });
    }
    if k <= MAX_EXACT_FEATURES {
        exact(model, applicant, baseline)
    } else {
        sampled(model, applicant, baseline)
    }
}

fn exact(model: &Model, applicant: &[f32], baseline: &[f32]) -> Result<Attribution> {
    let k = applicant.len();
    let coalitions = 1usize << k;
    let mut rows = Vec::with_capacity(coalitions * k);
    for mask in 0..coalitions {
        rows.extend(
            applicant
                .iter()
                .zip(baseline)
                .enumerate()
                .map(|(i, (&x, &b))| if mask >> i & 1 == 1 { x } else { b }),
        );
    }
    let f: Vec<f64> = model.predict(&rows)?.iter().map(|p| p.logit).collect();
    if f.len() != coalitions {
        return Err(Error::new(
            ErrorKind::Inference,
            "the model returned the wrong number of rows",
        ));
    }
    // weight(s) = s! (k-1-s)! / k!, the share of orderings in which a coalition of size s precedes i.
    let factorial = |n: usize| (1..=n).map(|v| v as f64).product::<f64>();
    let weights: Vec<f64> = (0..k)
        .map(|s| factorial(s) * factorial(k - 1 - s) / factorial(k))
        .collect();
    let mut phi = vec![0.0; k];
    for (i, phi_i) in phi.iter_mut().enumerate() {
        let bit = 1usize << i;
        *phi_i = (0..coalitions)
            .filter(|mask| mask & bit == 0)
            .map(|mask| {
                let with = f.get(mask | bit).copied().unwrap_or(0.0);
                let without = f.get(mask).copied().unwrap_or(0.0);
                let w = weights
                    .get(mask.count_ones() as usize)
                    .copied()
                    .unwrap_or(0.0);
                w * (with - without)
            })
            .sum();
    }
    Ok(Attribution {
        logit_contributions: phi,
        baseline_logit: f.first().copied().unwrap_or(0.0),
        applicant_logit: f.last().copied().unwrap_or(0.0),
        approximate: false,
    })
}

fn sampled(model: &Model, applicant: &[f32], baseline: &[f32]) -> Result<Attribution> {
    let k = applicant.len();
    let mut rng = SplitMix64(0x5EED_CAFE);
    let mut orders = Vec::with_capacity(SAMPLED_PERMUTATIONS);
    let mut rows = Vec::with_capacity(SAMPLED_PERMUTATIONS * (k + 1) * k);
    for _ in 0..SAMPLED_PERMUTATIONS {
        let mut order: Vec<usize> = (0..k).collect();
        for i in (1..k).rev() {
            order.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
        }
        let mut row = baseline.to_vec();
        rows.extend_from_slice(&row);
        for &j in &order {
            if let (Some(slot), Some(&x)) = (row.get_mut(j), applicant.get(j)) {
                *slot = x;
            }
            rows.extend_from_slice(&row);
        }
        orders.push(order);
    }
    let f: Vec<f64> = model.predict(&rows)?.iter().map(|p| p.logit).collect();
    let mut phi = vec![0.0; k];
    for (p, order) in orders.iter().enumerate() {
        let base = p * (k + 1);
        for (step, &j) in order.iter().enumerate() {
            let delta = f.get(base + step + 1).copied().unwrap_or(0.0)
                - f.get(base + step).copied().unwrap_or(0.0);
            if let Some(slot) = phi.get_mut(j) {
                *slot += delta / SAMPLED_PERMUTATIONS as f64;
            }
        }
    }
    Ok(Attribution {
        logit_contributions: phi,
        baseline_logit: f.first().copied().unwrap_or(0.0),
        applicant_logit: f.get(k).copied().unwrap_or(0.0),
        approximate: true,
    })
}
