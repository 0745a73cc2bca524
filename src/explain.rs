//! Reason codes: Shapley values of each feature against the schema's baseline applicant,
//! computed on the model's log-odds. One routine for every channel (the page, `assess`, batch
//! files in the page and the command line): TreeSHAP for a sum of trees (`engine::trees`), the
//! per-hidden-unit exact routine for a one-hidden-layer network the direct evaluator runs
//! (`engine/chain/shapley.rs`), otherwise one batched model run over all `2^k` coalitions
//! (k ≤ 12) or fixed-seed permutation sampling above that. [`rank_reasons`] orders the reasons
//! for all of them.

use serde::Serialize;

use crate::engine::{Model, NetworkScratch, Prediction};
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

/// What [`shapley_into`] gives besides the contributions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Logits {
    /// Log-odds of the baseline applicant.
    pub baseline_logit: f64,
    /// Log-odds of the applicant.
    pub applicant_logit: f64,
    /// True when sampled permutations were used instead of all coalitions.
    pub approximate: bool,
}

/// How a model's contributions are computed: the same for every applicant of one model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Method {
    /// Exact interventional Shapley values over all coalitions (at most
    /// [`MAX_EXACT_FEATURES`] features), or in closed form at any width when the log-odds are
    /// linear in the input (each feature's term).
    ExactShapley,
    /// Exact interventional TreeSHAP (a sum of trees, any width).
    ExactTreeShap,
    /// Shapley values estimated from [`SAMPLED_PERMUTATIONS`] fixed-seed permutations.
    SampledShapley,
}

impl Method {
    /// The method as batch summaries name it.
    pub fn label(self) -> &'static str {
        match self {
            Method::ExactShapley => "exact Shapley",
            Method::ExactTreeShap => "exact TreeSHAP",
            Method::SampledShapley => "sampled Shapley (128 permutations)",
        }
    }
}

/// The method [`shapley`] uses for `model`.
pub fn method(model: &Model) -> Method {
    if model.has_tree_contributions() {
        Method::ExactTreeShap
    } else if model.k() <= MAX_EXACT_FEATURES || model.has_linear_contributions() {
        Method::ExactShapley
    } else {
        Method::SampledShapley
    }
}

/// Buffers [`shapley_into`] reuses from applicant to applicant.
#[derive(Clone, Debug, Default)]
pub struct Workspace {
    network: NetworkScratch,
    rows: Vec<f32>,
    predictions: Vec<Prediction>,
    logits: Vec<f64>,
    orders: Vec<Vec<usize>>,
}

/// Interventional Shapley values of `applicant` against `baseline`: a feature outside a
/// coalition takes its baseline value.
pub fn shapley(model: &Model, applicant: &[f32], baseline: &[f32]) -> Result<Attribution> {
    let mut phi = Vec::new();
    let logits = shapley_into(
        model,
        applicant,
        baseline,
        &mut Workspace::default(),
        &mut phi,
    )?;
    Ok(Attribution {
        logit_contributions: phi,
        baseline_logit: logits.baseline_logit,
        applicant_logit: logits.applicant_logit,
        approximate: logits.approximate,
    })
}

/// [`shapley`] into `phi` (one value per feature), with buffers reused across applicants.
pub fn shapley_into(
    model: &Model,
    applicant: &[f32],
    baseline: &[f32],
    work: &mut Workspace,
    phi: &mut Vec<f64>,
) -> Result<Logits> {
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
    let exact = |baseline_logit, applicant_logit| Logits {
        baseline_logit,
        applicant_logit,
        approximate: false,
    };
    // Tree ensembles: exact interventional TreeSHAP, at any width (see `engine::trees`).
    if let Some((values, baseline_logit, applicant_logit)) =
        model.tree_contributions(applicant, baseline)
    {
        phi.clear();
        phi.extend_from_slice(&values);
        return Ok(exact(baseline_logit, applicant_logit));
    }
    // Log-odds linear in the input: each feature's term is its exact value, at any width.
    if let Some((values, baseline_logit, applicant_logit)) =
        model.linear_contributions(applicant, baseline)
    {
        phi.clear();
        phi.extend_from_slice(&values);
        return Ok(exact(baseline_logit, applicant_logit));
    }
    if k > MAX_EXACT_FEATURES {
        return sampled(model, applicant, baseline, work, phi);
    }
    // One hidden layer: exact per hidden unit, without running the model per coalition.
    if let Some((baseline_logit, applicant_logit)) =
        model.network_contributions_into(applicant, baseline, &mut work.network, phi)
    {
        return Ok(exact(baseline_logit, applicant_logit));
    }
    exact_by_coalitions(model, applicant, baseline, work, phi)
}

/// The features that cost the applicant points, worst first, at most `count`: the
/// `(feature, points)` of the negative values of `points` (one per feature), the most negative
/// first; equal values keep the features' order. Every channel ranks reasons with this.
pub fn rank_reasons(points: &[f64], count: usize, out: &mut Vec<(usize, f64)>) {
    out.clear();
    out.extend(points.iter().copied().enumerate().filter(|(_, p)| *p < 0.0));
    out.sort_by(|a, b| a.1.total_cmp(&b.1));
    out.truncate(count);
}

fn exact_by_coalitions(
    model: &Model,
    applicant: &[f32],
    baseline: &[f32],
    work: &mut Workspace,
    phi: &mut Vec<f64>,
) -> Result<Logits> {
    let k = applicant.len();
    let coalitions = 1usize << k;
    let Workspace {
        rows,
        predictions,
        logits,
        ..
    } = work;
    rows.clear();
    for mask in 0..coalitions {
        rows.extend(
            applicant
                .iter()
                .zip(baseline)
                .enumerate()
                .map(|(i, (&x, &b))| if mask >> i & 1 == 1 { x } else { b }),
        );
    }
    predictions.clear();
    model.predict_into(rows, predictions)?;
    logits.clear();
    logits.extend(predictions.iter().map(|p| p.logit));
    from_coalitions(k, logits, phi)
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
fn from_coalitions(k: usize, f: &[f64], phi: &mut Vec<f64>) -> Result<Logits> {
    let coalitions = 1usize << k;
    if f.len() != coalitions {
        return Err(short_output(f.len(), coalitions));
    }
    // weight(s) = s! (k-1-s)! / k!, the share of orderings in which a coalition of size s precedes i.
    let factorial = |n: usize| (1..=n).map(|v| v as f64).product::<f64>();
    let weights: Vec<f64> = (0..k)
        .map(|s| factorial(s) * factorial(k - 1 - s) / factorial(k))
        .collect();
    phi.clear();
    phi.resize(k, 0.0);
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
    Ok(Logits {
        baseline_logit: at(f, 0)?,
        applicant_logit: at(f, coalitions - 1)?,
        approximate: false,
    })
}

fn sampled(
    model: &Model,
    applicant: &[f32],
    baseline: &[f32],
    work: &mut Workspace,
    phi: &mut Vec<f64>,
) -> Result<Logits> {
    let k = applicant.len();
    let mut rng = SplitMix64(0x5EED_CAFE);
    let Workspace {
        rows,
        predictions,
        logits,
        orders,
        ..
    } = work;
    orders.clear();
    rows.clear();
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
    predictions.clear();
    model.predict_into(rows, predictions)?;
    logits.clear();
    logits.extend(predictions.iter().map(|p| p.logit));
    from_permutations(k, orders, logits, phi)
}

/// Sampled Shapley values from the log-odds `f` of each permutation's `k + 1` rows (the baseline,
/// then one more feature at the applicant's value per step).
fn from_permutations(
    k: usize,
    orders: &[Vec<usize>],
    f: &[f64],
    phi: &mut Vec<f64>,
) -> Result<Logits> {
    let want = orders.len() * (k + 1);
    if f.len() != want || orders.is_empty() {
        return Err(short_output(f.len(), want));
    }
    phi.clear();
    phi.resize(k, 0.0);
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
    Ok(Logits {
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
        let mut phi = Vec::new();
        let a = from_coalitions(3, &additive(&c), &mut phi).unwrap();
        assert_eq!(phi, c);
        assert_eq!((a.baseline_logit, a.applicant_logit), (0.0, 1.25));
    }

    #[test]
    fn a_model_output_shorter_than_the_coalitions_is_an_error_not_zero_contributions() {
        let mut f = additive(&[0.5, -1.25, 2.0]);
        f.pop();
        let e = from_coalitions(3, &f, &mut Vec::new()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Inference);
        assert!(e.message().contains("7 scores for the 8 rows"), "{e}");
    }

    #[test]
    fn a_model_output_shorter_than_the_permutations_is_an_error_not_zero_contributions() {
        // Two permutations of two features: 2 × 3 rows; one missing.
        let orders = vec![vec![0, 1], vec![1, 0]];
        let f = [0.0, 1.0, 3.0, 0.0, 2.0];
        let e = from_permutations(2, &orders, &f, &mut Vec::new()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Inference);
        assert!(e.message().contains("5 scores for the 6 rows"), "{e}");
        let full = [0.0, 1.0, 3.0, 0.0, 2.0, 3.0];
        let mut phi = Vec::new();
        from_permutations(2, &orders, &full, &mut phi).unwrap();
        assert_eq!(phi, vec![1.0, 2.0]);
    }

    #[test]
    fn reasons_are_the_negative_values_worst_first_ties_in_feature_order() {
        let mut out = Vec::new();
        rank_reasons(&[-1.0, 2.0, -3.0, -1.0, 0.0, -0.5, -2.0], 4, &mut out);
        assert_eq!(out, vec![(2, -3.0), (6, -2.0), (0, -1.0), (3, -1.0)]);
        rank_reasons(&[0.0, 1.0], 4, &mut out);
        assert!(out.is_empty());
    }
}
