//! Post-transforms and onnxruntime's conventions for turning a binary classifier's one score into
//! two class probabilities.

use crate::engine::pb;
use crate::error::{Error, ErrorKind, Result};

/// The ONNX post-transforms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PostTransform {
    None,
    Logistic,
    Softmax,
    SoftmaxZero,
    Probit,
}

impl PostTransform {
    /// From the attribute's string (absent: NONE).
    pub fn parse(node: &pb::NodeProto, name: Option<&[u8]>) -> Result<PostTransform> {
        Ok(match name.unwrap_or(b"NONE") {
            b"NONE" | b"" => PostTransform::None,
            b"LOGISTIC" => PostTransform::Logistic,
            b"SOFTMAX" => PostTransform::Softmax,
            b"SOFTMAX_ZERO" => PostTransform::SoftmaxZero,
            b"PROBIT" => PostTransform::Probit,
            other => {
                return Err(Error::new(
                    ErrorKind::ModelInvalid,
                    format!(
                        "node `{}` ({}) has an unknown post-transform `{}`; export it again",
                        node.name,
                        node.op_type,
                        String::from_utf8_lossy(other)
                    ),
                ));
            }
        })
    }

    /// Applies the transform to a score vector (two or more values, or one regression target).
    pub fn apply(self, scores: &mut [f64]) {
        match self {
            PostTransform::None => {}
            PostTransform::Logistic => scores.iter_mut().for_each(|s| *s = logistic(*s)),
            PostTransform::Probit => scores.iter_mut().for_each(|s| *s = probit(*s)),
            PostTransform::Softmax => softmax(scores, false),
            PostTransform::SoftmaxZero => softmax(scores, true),
        }
    }
}

/// 1 / (1 + e^−x).
pub fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// √2 · erfinv(2p − 1) with the approximation onnxruntime uses (Winitzki's, a = 0.147).
pub fn probit(p: f64) -> f64 {
    let x = 2.0 * p - 1.0;
    let sgn = if x < 0.0 { -1.0 } else { 1.0 };
    let x = (1.0 - x) * (1.0 + x);
    let log = x.ln();
    let v = 2.0 / (std::f64::consts::PI * 0.147) + 0.5 * log;
    let v2 = 1.0 / 0.147 * log;
    let v3 = -v + (v * v - v2).sqrt();
    std::f64::consts::SQRT_2 * sgn * (v3 - v).sqrt()
}

/// Softmax; with `zero`, scores within 1e-7 of zero stay (about) zero (SOFTMAX_ZERO, as
/// onnxruntime computes it).
fn softmax(scores: &mut [f64], zero: bool) {
    let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for s in scores.iter_mut() {
        if zero && s.abs() <= 1e-7 {
            *s *= (-max).exp();
        } else {
            *s = (*s - max).exp();
            sum += *s;
        }
    }
    if sum > 0.0 {
        scores.iter_mut().for_each(|s| *s /= sum);
    }
}

/// onnxruntime's `write_scores` for a classifier left with one score: how the second class is
/// added (`second`: 0/1 all weights positive, 2/3 mixed, −1 none).
pub fn binary_scores(score: f64, post: PostTransform, second: i8, out: &mut Vec<f64>) {
    out.clear();
    match (post, second) {
        (PostTransform::Probit, _) => out.push(probit(score)),
        (_, 0 | 1) => out.extend([1.0 - score, score]),
        (PostTransform::Logistic, 2 | 3) => out.extend([logistic(-score), logistic(score)]),
        (_, 2 | 3) => out.extend([-score, score]),
        _ => out.push(score),
    }
}
