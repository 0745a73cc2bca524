//! The small `ai.onnx.ml` operators around tree ensembles in exported pipelines: `Scaler`,
//! `Normalizer`, `LinearClassifier`, `LinearRegressor`.

use super::Labels;
use super::attrs::Attrs;
use super::post::{PostTransform, binary_scores};
use crate::engine::pb;

/// `Scaler`: `(x − offset) · scale` per column (one value broadcasts).
#[derive(Clone, Debug)]
pub struct Scaler {
    pub offset: Vec<f64>,
    pub scale: Vec<f64>,
}

impl Scaler {
    /// From the node, for an input `width` columns wide; `None` when the lengths do not fit.
    pub fn parse(node: &pb::NodeProto, width: usize) -> Option<Scaler> {
        let a = Attrs(node);
        let fit = |v: Vec<f64>, default: f64| match v.len() {
            0 => Some(vec![default; width]),
            1 => Some(vec![*v.first()?; width]),
            n if n == width => Some(v),
            _ => None,
        };
        Some(Scaler {
            offset: fit(a.floats_or_tensor("offset"), 0.0)?,
            scale: fit(a.floats_or_tensor("scale"), 1.0)?,
        })
    }

    /// Scales `x` into `out`.
    pub fn run(&self, x: &[f64], out: &mut Vec<f64>) {
        out.clear();
        out.extend(
            x.iter()
                .zip(self.offset.iter().zip(&self.scale))
                .map(|(v, (o, s))| (v - o) * s),
        );
    }
}

/// `Normalizer`: each row divided by its MAX, L1 or L2 norm.
#[derive(Clone, Copy, Debug)]
pub enum Normalizer {
    Max,
    L1,
    L2,
}

impl Normalizer {
    /// From the node's `norm`.
    pub fn parse(node: &pb::NodeProto) -> Option<Normalizer> {
        Some(match Attrs(node).string("norm")? {
            b"MAX" => Normalizer::Max,
            b"L1" => Normalizer::L1,
            b"L2" => Normalizer::L2,
            _ => return None,
        })
    }

    /// Normalizes `x` into `out`.
    pub fn run(self, x: &[f64], out: &mut Vec<f64>) {
        let norm = match self {
            Normalizer::Max => x.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            Normalizer::L1 => x.iter().map(|v| v.abs()).sum(),
            Normalizer::L2 => x.iter().map(|v| v * v).sum::<f64>().sqrt(),
        };
        out.clear();
        out.extend(x.iter().map(|v| v / norm));
    }
}

/// `LinearClassifier` (scores per class, then the post-transform) or `LinearRegressor`.
#[derive(Clone, Debug)]
pub struct Linear {
    /// `models × width`, row-major.
    pub coefficients: Vec<f64>,
    pub intercepts: Vec<f64>,
    pub width: usize,
    pub post: PostTransform,
    /// Class labels of a classifier (`None` for a regressor).
    pub labels: Option<Labels>,
}

impl Linear {
    /// From the node, for an input `width` columns wide; `None` for anything but the layouts
    /// onnxruntime's conventions are known for here.
    pub fn parse(node: &pb::NodeProto, width: usize) -> Option<Linear> {
        let a = Attrs(node);
        let coefficients = a.floats_or_tensor("coefficients");
        let labels = if node.op_type == "LinearClassifier" {
            Some(Labels::of(&a)?)
        } else {
            None
        };
        if width == 0 || coefficients.is_empty() || coefficients.len() % width != 0 {
            return None;
        }
        let models = coefficients.len() / width;
        let mut intercepts = a.floats_or_tensor("intercepts");
        if intercepts.is_empty() {
            intercepts = vec![0.0; models];
        }
        if intercepts.len() != models {
            return None;
        }
        let post = PostTransform::parse(node, a.string("post_transform")).ok()?;
        match &labels {
            // One score for two classes: only the conventions below are known.
            Some(l)
                if models == 1
                    && l.len() == 2
                    && !matches!(post, PostTransform::None | PostTransform::Logistic) =>
            {
                return None;
            }
            Some(l) if models == 1 && l.len() == 2 => {}
            Some(l) if models != l.len() => return None,
            _ => {}
        }
        Some(Linear {
            coefficients,
            intercepts,
            width,
            post,
            labels,
        })
    }

    /// Scores `x` into `out`.
    pub fn run(&self, x: &[f64], out: &mut Vec<f64>) {
        out.clear();
        for (row, b) in self.coefficients.chunks(self.width).zip(&self.intercepts) {
            out.push(row.iter().zip(x).map(|(c, v)| c * v).sum::<f64>() + b);
        }
        match (&self.labels, out.as_slice()) {
            (Some(_), &[s]) if self.post == PostTransform::Logistic => {
                let p = super::post::logistic(s);
                out.clear();
                out.extend([1.0 - p, p]);
            }
            (Some(_), &[s]) => binary_scores(s, PostTransform::None, 2, out),
            _ => self.post.apply(out),
        }
    }
}
