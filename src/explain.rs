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
    from_coalitions(k, &f)
}

/// The model gave fewer (or more) log-odds than rows: contributions from it would be wrong.
fn short_output(got: usize, want: usize) -> Error {
    Error::new(
        ErrorKind::Inference,
        format!(
            "the model returned {got} scores for the {want} rows of the explanation; the reasons \
             cannot be computed (please report this model)"
        ),
    )
}

/// The value of row `i` of the model's output (checked to be long enough beforehand).
fn at(f: &[f64], i: usize) -> Result<f64> {
    f.get(i)
        .copied()
        .ok_or_else(|| short_output(f.len(), i + 1))
}

/// Exact Shapley values from the log-odds `f` of all `2^k` coalitions (bit `i` of a row's index
/// set: feature `i` takes the applicant's value).
fn from_coalitions(k: usize, f: &[f64]) -> Result<Attribution> {
    let coalitions = 1usize << k;
    if f.len() != coalitions {
        return Err(short_output(f.len(), coalitions));
    }
    // weight(s) = s! (k-1-s)! / k!, the share of orderings in which a coalition of size s precedes i.
    let factorial = |n: usize| (1..=n).map(|v| v as f64).product::<f64>();
    let weights: Vec<f64> = (0..k)
        .map(|s| factorial(s) * factorial(k - 1 - s) / factorial(k))
        .collect();
    let mut phi = vec![0.0; k];
    for (i, phi_i) in phi.iter_mut().enumerate() {
        let bit = 1usize << i;
        for mask in (0..coalitions).filter(|mask| mask & bit == 0) {
            let w = weights
                .get(mask.count_ones() as usize)
                .copied()
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::Inference,
                        "a coalition is larger than the model's inputs",
                    )
                })?;
            *phi_i += w * (at(f, mask | bit)? - at(f, mask)?);
        }
    }
    Ok(Attribution {
        logit_contributions: phi,
        baseline_logit: at(f, 0)?,
        applicant_logit: at(f, coalitions - 1)?,
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
    from_permutations(k, &orders, &f)
}

/// Sampled Shapley values from the log-odds `f` of each permutation's `k + 1` rows (the baseline,
/// then one more feature at the applicant's value per step).
fn from_permutations(k: usize, orders: &[Vec<usize>], f: &[f64]) -> Result<Attribution> {
    let want = orders.len() * (k + 1);
    if f.len() != want || orders.is_empty() {
        return Err(short_output(f.len(), want));
    }
    let mut phi = vec![0.0; k];
    for (p, order) in orders.iter().enumerate() {
        let base = p * (k + 1);
        for (step, &j) in order.iter().enumerate() {
            let delta = at(f, base + step + 1)? - at(f, base + step)?;
            let slot = phi.get_mut(j).ok_or_else(|| {
                Error::new(
                    ErrorKind::Inference,
                    format!("a sampled permutation names feature {j} of {k}"),
                )
            })?;
            *slot += delta / orders.len() as f64;
        }
    }
    Ok(Attribution {
        logit_contributions: phi,
        baseline_logit: at(f, 0)?,
        applicant_logit: at(f, k)?,
        approximate: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // An additive model: f(coalition) = Σ over its features of c_i, so φ_i = c_i exactly.
    fn additive(c: &[f64]) -> Vec<f64> {
        (0..1usize << c.len())
            .map(|mask| {
                c.iter()
                    .enumerate()
                    .filter(|(i, _)| mask >> i & 1 == 1)
                    .map(|(_, v)| v)
                    .sum()
            })
            .collect()
    }

    #[test]
    fn exact_values_of_an_additive_model_are_its_terms() {
        let c = [0.5, -1.25, 2.0];
        let a = from_coalitions(3, &additive(&c)).unwrap();
        assert_eq!(a.logit_contributions, c);
        assert_eq!((a.baseline_logit, a.applicant_logit), (0.0, 1.25));
    }

    #[test]
    fn a_model_output_shorter_than_the_coalitions_is_an_error_not_zero_contributions() {
        let mut f = additive(&[0.5, -1.25, 2.0]);
        f.pop();
        let e = from_coalitions(3, &f).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Inference);
        assert!(e.message().contains("7 scores for the 8 rows"), "{e}");
    }

    #[test]
    fn a_model_output_shorter_than_the_permutations_is_an_error_not_zero_contributions() {
        // Two permutations of two features: 2 × 3 rows; one missing.
        let orders = vec![vec![0, 1], vec![1, 0]];
        let f = [0.0, 1.0, 3.0, 0.0, 2.0];
        let e = from_permutations(2, &orders, &f).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Inference);
        assert!(e.message().contains("5 scores for the 6 rows"), "{e}");
        let full = [0.0, 1.0, 3.0, 0.0, 2.0, 3.0];
        let a = from_permutations(2, &orders, &full).unwrap();
        assert_eq!(a.logit_contributions, vec![1.0, 2.0]);
    }
}
