//! Population Stability Index: do the applicants being scored look like the ones the model learned
//! from?
//!
//! [`Drift`] is an accumulator: feed it validated rows (in schema order) and, when known, their
//! probability of default; [`Drift::report`] then compares the share of rows per bin or category
//! with the training share the schema carries (`features[].train_share`, binned by `cuts` or
//! `categories`) and, for the score, with the model card's score reference (`model_card.score_share`,
//! else `model_card.score_distribution`; see `docs/SCHEMA.md`).
//!
//! `PSI = Σ (actual − expected) · ln(actual / expected)` over the bins, with the usual reading:
//! below 0.1 stable, 0.1 to 0.25 watch, above 0.25 investigate. Observed shares are smoothed with
//! half a row per bin, `(count + 0.5) / (n + 0.5 · bins)`, and expected shares are floored at
//! 0.0001, so an empty bin gives a large but finite term.

use serde::Serialize;

use crate::schema::{FeatureKind, Localized, Schema};
use crate::score;

/// PSI below this is read as stable.
pub const PSI_WATCH: f64 = 0.1;
/// PSI above this calls for investigation.
pub const PSI_INVESTIGATE: f64 = 0.25;
/// Score bins of the reference distribution are merged until each holds at least this share.
pub const SCORE_BIN_MIN_SHARE: f64 = 0.1;

const SMOOTH: f64 = 0.5;
const EXPECTED_FLOOR: f64 = 1e-4;

/// The usual reading of a PSI value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reading {
    /// PSI < 0.1: the population looks like the training population.
    Stable,
    /// 0.1 ≤ PSI ≤ 0.25: a moderate shift; keep an eye on it.
    Watch,
    /// PSI > 0.25: a large shift; the model may no longer fit these applicants.
    Investigate,
}

impl Reading {
    /// The reading of `psi`.
    pub fn of(psi: f64) -> Reading {
        if psi < PSI_WATCH {
            Reading::Stable
        } else if psi <= PSI_INVESTIGATE {
            Reading::Watch
        } else {
            Reading::Investigate
        }
    }

    /// `stable`, `watch` or `investigate`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reading::Stable => "stable",
            Reading::Watch => "watch",
            Reading::Investigate => "investigate",
        }
    }
}

/// PSI of observed `counts` against `expected` shares (same length, shares summing to about 1).
/// `None` when the lengths differ, there are no bins or no rows.
pub fn psi(expected: &[f64], counts: &[u64]) -> Option<f64> {
    if expected.len() != counts.len() || expected.is_empty() {
        return None;
    }
    let n: u64 = counts.iter().sum();
    if n == 0 {
        return None;
    }
    let m = expected.len() as f64;
    let denom = n as f64 + SMOOTH * m;
    let total = expected
        .iter()
        .zip(counts)
        .map(|(&e, &c)| {
            let e = if e.is_finite() {
                e.max(EXPECTED_FLOOR)
            } else {
                EXPECTED_FLOOR
            };
            let a = (c as f64 + SMOOTH) / denom;
            (a - e) * (a / e).ln()
        })
        .sum::<f64>();
    Some(total)
}

/// One bin or category of a characteristic or of the score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BinShare {
    /// `"< 12"`, `"12 – 18"`, `"≥ 30"`, or the category's value.
    pub label: String,
    /// Share of training (reference) rows.
    pub expected: f64,
    /// Rows fed in this bin.
    pub count: u64,
    /// Share of the rows fed (unsmoothed; 0 when none).
    pub actual: f64,
}

/// PSI of one characteristic or of the score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PsiLine {
    /// Feature name, or `"score"`.
    pub name: String,
    /// Feature label (en, zh); for the score, "Score".
    pub label: Localized,
    /// The index; `None` when it cannot be computed (see `missing`).
    pub psi: Option<f64>,
    /// The reading of `psi`.
    pub reading: Option<Reading>,
    /// The bins compared.
    pub bins: Vec<BinShare>,
    /// Why there is no PSI: the schema field that is missing, or "no rows".
    pub missing: Option<String>,
}

/// PSI for every characteristic and for the score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DriftReport {
    /// Rows fed.
    pub rows: u64,
    /// Rows fed with a probability of default (the score PSI is over these).
    pub scored_rows: u64,
    /// One line per feature, in schema order.
    pub characteristics: Vec<PsiLine>,
    /// The score (points binned by the reference distribution).
    pub score: PsiLine,
    /// The worst reading over all lines with a PSI.
    pub worst: Option<Reading>,
}

#[derive(Clone, Debug)]
struct Track {
    name: String,
    label: Localized,
    bins: Vec<Bin>,
    /// Value to bin: cut points (numeric) or category codes (categorical).
    binning: Binning,
    counts: Vec<u64>,
    missing: Option<String>,
}

#[derive(Clone, Debug)]
struct Bin {
    label: String,
    expected: f64,
}

#[derive(Clone, Debug)]
enum Binning {
    Cuts(Vec<f64>),
    Codes(Vec<f64>),
    None,
}

impl Binning {
    fn bin_of(&self, value: f64) -> Option<usize> {
        if !value.is_finite() {
            return None;
        }
        match self {
            Binning::Cuts(cuts) => Some(cuts.iter().filter(|&&c| value >= c).count()),
            Binning::Codes(codes) => codes.iter().position(|&c| c == value),
            Binning::None => None,
        }
    }
}

impl Track {
    fn unavailable(name: String, label: Localized, why: String) -> Track {
        Track {
            name,
            label,
            bins: Vec::new(),
            binning: Binning::None,
            counts: Vec::new(),
            missing: Some(why),
        }
    }

    fn add(&mut self, value: f64) {
        if self.missing.is_some() {
            return;
        }
        if let Some(c) = self
            .binning
            .bin_of(value)
            .and_then(|b| self.counts.get_mut(b))
        {
            *c += 1;
        }
    }

    fn line(&self) -> PsiLine {
        let n: u64 = self.counts.iter().sum();
        let expected: Vec<f64> = self.bins.iter().map(|b| b.expected).collect();
        let value = if self.missing.is_some() {
            None
        } else {
            psi(&expected, &self.counts)
        };
        let missing = match (&self.missing, value) {
            (Some(m), _) => Some(m.clone()),
            (None, None) => Some("no rows".to_string()),
            (None, Some(_)) => None,
        };
        PsiLine {
            name: self.name.clone(),
            label: self.label.clone(),
            psi: value,
            reading: value.map(Reading::of),
            bins: self
                .bins
                .iter()
                .zip(&self.counts)
                .map(|(b, &c)| BinShare {
                    label: b.label.clone(),
                    expected: b.expected,
                    count: c,
                    actual: if n == 0 { 0.0 } else { c as f64 / n as f64 },
                })
                .collect(),
            missing,
        }
    }
}

fn fmt_num(v: f64) -> String {
    format!("{v}")
}

fn cut_labels(cuts: &[f64]) -> Vec<String> {
    let mut labels = Vec::with_capacity(cuts.len() + 1);
    let mut prev: Option<f64> = None;
    for &c in cuts {
        labels.push(match prev {
            None => format!("< {}", fmt_num(c)),
            Some(p) => format!("{} – {}", fmt_num(p), fmt_num(c)),
        });
        prev = Some(c);
    }
    labels.push(match prev {
        Some(p) => format!("≥ {}", fmt_num(p)),
        None => "all".to_string(),
    });
    labels
}

fn shares_ok(share: &[f64]) -> bool {
    let sum: f64 = share.iter().sum();
    share.iter().all(|s| s.is_finite() && *s >= 0.0) && (sum - 1.0).abs() <= 0.01
}

fn feature_track(f: &crate::schema::Feature) -> Track {
    let label = f.label.clone();
    let name = f.name.clone();
    let Some(share) = f.train_share.clone() else {
        return Track::unavailable(
            name,
            label,
            "the schema has no `train_share` for this feature (share of training rows per bin or category)"
                .to_string(),
        );
    };
    let (binning, labels) = match &f.kind {
        FeatureKind::Categorical { categories } => (
            Binning::Codes(categories.iter().map(|c| c.code as f64).collect()),
            categories
                .iter()
                .map(|c| c.value.clone().unwrap_or_else(|| c.code.to_string()))
                .collect::<Vec<_>>(),
        ),
        FeatureKind::Numeric { .. } => match &f.cuts {
            Some(cuts) => (Binning::Cuts(cuts.clone()), cut_labels(cuts)),
            None => {
                return Track::unavailable(
                    name,
                    label,
                    "the schema has no `cuts` for this numeric feature (bin edges for `train_share`)"
                        .to_string(),
                );
            }
        },
    };
    if labels.len() != share.len() || !shares_ok(&share) {
        return Track::unavailable(
            name,
            label,
            "`train_share` must have one share per bin or category, summing to 1".to_string(),
        );
    }
    let counts = vec![0; share.len()];
    Track {
        name,
        label,
        bins: labels
            .into_iter()
            .zip(share)
            .map(|(label, expected)| Bin { label, expected })
            .collect(),
        binning,
        counts,
        missing: None,
    }
}

fn number_array(v: Option<&serde_json::Value>) -> Option<Vec<f64>> {
    v?.as_array()?
        .iter()
        .map(serde_json::Value::as_f64)
        .collect()
}

/// The score reference as (edges, shares): `edges` has one more element than `shares`; the first
/// and last bins are open-ended when fed.
fn score_reference(card: &serde_json::Value) -> Result<(Vec<f64>, Vec<f64>), String> {
    if let Some(s) = card.get("score_share") {
        let edges = number_array(s.get("edges"));
        let share = number_array(s.get("share"));
        return match (edges, share) {
            (Some(e), Some(sh)) if e.len() == sh.len() + 1 && !sh.is_empty() && shares_ok(&sh) => {
                Ok((e, sh))
            }
            _ => Err(
                "`model_card.score_share` needs `edges` (n + 1 points) and `share` (n shares summing to 1)"
                    .to_string(),
            ),
        };
    }
    let Some(d) = card.get("score_distribution") else {
        return Err("the model card has no `score_share` (nor `score_distribution`) with the training score distribution".to_string());
    };
    let edges = number_array(d.get("edges"));
    let good = number_array(d.get("good"));
    let bad = number_array(d.get("bad"));
    match (edges, good, bad) {
        (Some(e), Some(g), Some(b)) if e.len() == g.len() + 1 && g.len() == b.len() && !g.is_empty() => {
            let counts: Vec<f64> = g.iter().zip(&b).map(|(x, y)| x + y).collect();
            let n: f64 = counts.iter().sum();
            if n.is_nan() || n <= 0.0 {
                return Err("`model_card.score_distribution` holds no applicants".to_string());
            }
            Ok((e, counts.iter().map(|c| c / n).collect()))
        }
        _ => Err(
            "`model_card.score_distribution` needs `edges` (n + 1 points), `good` and `bad` (n counts)"
                .to_string(),
        ),
    }
}

/// Merges adjacent bins, left to right, until each holds at least [`SCORE_BIN_MIN_SHARE`]; a short
/// remainder joins the last merged bin. Returns the inner cut points and the merged shares.
fn merge_bins(edges: &[f64], share: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut cuts = Vec::new();
    let mut merged = Vec::new();
    let mut acc = 0.0;
    for (i, s) in share.iter().enumerate() {
        acc += s;
        let last = i + 1 == share.len();
        if acc >= SCORE_BIN_MIN_SHARE && !last {
            merged.push(acc);
            if let Some(e) = edges.get(i + 1) {
                cuts.push(*e);
            }
            acc = 0.0;
        }
    }
    if acc > 0.0 || merged.is_empty() {
        if acc < SCORE_BIN_MIN_SHARE && !merged.is_empty() {
            if let Some(l) = merged.last_mut() {
                *l += acc;
            }
            cuts.pop();
        } else {
            merged.push(acc);
        }
    }
    (cuts, merged)
}

fn score_track(schema: &Schema) -> Track {
    let mut label = Localized::new();
    label.insert("en".into(), "Score".into());
    label.insert("zh".into(), "评分".into());
    match score_reference(&schema.model_card) {
        Err(why) => Track::unavailable("score".into(), label, why),
        Ok((edges, share)) => {
            let (cuts, merged) = merge_bins(&edges, &share);
            let labels = cut_labels(&cuts);
            let counts = vec![0; merged.len()];
            Track {
                name: "score".into(),
                label,
                bins: labels
                    .into_iter()
                    .zip(merged)
                    .map(|(label, expected)| Bin { label, expected })
                    .collect(),
                binning: Binning::Cuts(cuts),
                counts,
                missing: None,
            }
        }
    }
}

/// Accumulates bin counts of scored rows; cheap to clone and to [`merge`](Drift::merge).
#[derive(Clone, Debug)]
pub struct Drift {
    scaling: crate::schema::Scaling,
    features: Vec<Track>,
    score: Track,
    rows: u64,
    scored_rows: u64,
}

impl Drift {
    /// An empty accumulator for the schema's features and score.
    pub fn new(schema: &Schema) -> Drift {
        Drift {
            scaling: schema.scaling.clone(),
            features: schema.features.iter().map(feature_track).collect(),
            score: score_track(schema),
            rows: 0,
            scored_rows: 0,
        }
    }

    /// True when at least one characteristic or the score can be compared.
    pub fn available(&self) -> bool {
        self.score.missing.is_none() || self.features.iter().any(|t| t.missing.is_none())
    }

    /// Adds one validated row (model input values in schema order) and, when known, its PD.
    /// Values outside every bin (an unknown code) are not counted for that characteristic.
    pub fn add(&mut self, row: &[f32], pd: Option<f64>) {
        self.rows += 1;
        for (t, &v) in self.features.iter_mut().zip(row) {
            t.add(f64::from(v));
        }
        if let Some(pd) = pd.filter(|p| p.is_finite()) {
            self.scored_rows += 1;
            self.score.add(score::points_from_pd(&self.scaling, pd));
        }
    }

    /// Adds `rows` (row-major, `k` values each) with one PD per row.
    pub fn add_rows(&mut self, rows: &[f32], pds: &[f64]) {
        let k = self.features.len().max(1);
        for (row, &pd) in rows.chunks(k).zip(pds) {
            self.add(row, Some(pd));
        }
    }

    /// Adds the counts of another accumulator built from the same schema.
    pub fn merge(&mut self, other: &Drift) {
        self.rows += other.rows;
        self.scored_rows += other.scored_rows;
        let pairs = self
            .features
            .iter_mut()
            .zip(&other.features)
            .chain(std::iter::once((&mut self.score, &other.score)));
        for (a, b) in pairs {
            for (x, y) in a.counts.iter_mut().zip(&b.counts) {
                *x += y;
            }
        }
    }

    /// The accumulator's state as numbers: rows, scored rows, then every bin count (each
    /// characteristic's, then the score's), for passing it between Workers.
    pub fn counts(&self) -> (u64, u64, Vec<u64>) {
        let bins = self.features.iter().chain(std::iter::once(&self.score));
        let counts = bins.flat_map(|t| t.counts.iter().copied()).collect();
        (self.rows, self.scored_rows, counts)
    }

    /// An accumulator for `schema` holding [`Drift::counts`]; `None` when the counts do not fit
    /// the schema's bins.
    pub fn from_counts(
        schema: &Schema,
        rows: u64,
        scored_rows: u64,
        counts: &[u64],
    ) -> Option<Drift> {
        let mut drift = Drift::new(schema);
        let mut rest = counts;
        for track in drift
            .features
            .iter_mut()
            .chain(std::iter::once(&mut drift.score))
        {
            let (mine, others) = rest.split_at_checked(track.counts.len())?;
            track.counts.copy_from_slice(mine);
            rest = others;
        }
        drift.rows = rows;
        drift.scored_rows = scored_rows;
        rest.is_empty().then_some(drift)
    }

    /// Rows fed so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// PSI per characteristic and for the score.
    pub fn report(&self) -> DriftReport {
        let characteristics: Vec<PsiLine> = self.features.iter().map(Track::line).collect();
        let score = self.score.line();
        let worst = characteristics
            .iter()
            .chain(std::iter::once(&score))
            .filter_map(|l| l.reading)
            .max_by_key(|r| match r {
                Reading::Stable => 0,
                Reading::Watch => 1,
                Reading::Investigate => 2,
            });
        DriftReport {
            rows: self.rows,
            scored_rows: self.scored_rows,
            characteristics,
            score,
            worst,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings() {
        assert_eq!(Reading::of(0.05), Reading::Stable);
        assert_eq!(Reading::of(0.1), Reading::Watch);
        assert_eq!(Reading::of(0.25), Reading::Watch);
        assert_eq!(Reading::of(0.2501), Reading::Investigate);
    }

    #[test]
    fn psi_of_identical_shares_is_small_and_of_shifted_large() {
        let e = [0.25, 0.25, 0.25, 0.25];
        assert!(psi(&e, &[250, 250, 250, 250]).unwrap_or(1.0) < 1e-9);
        assert!(psi(&e, &[700, 100, 100, 100]).unwrap_or(0.0) > 0.25);
        assert_eq!(psi(&e, &[0, 0, 0, 0]), None);
        assert_eq!(psi(&e, &[1, 2]), None);
    }

    #[test]
    fn merging_keeps_every_bin_above_the_minimum() {
        let edges = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        let share = [0.03, 0.5, 0.3, 0.12, 0.05];
        let (cuts, merged) = merge_bins(&edges, &share);
        assert_eq!(cuts, vec![2.0, 3.0]);
        assert_eq!(merged.len(), 3);
        assert!((merged.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(merged.iter().all(|&s| s >= SCORE_BIN_MIN_SHARE));
    }

    #[test]
    fn cut_labels_read_naturally() {
        assert_eq!(cut_labels(&[12.0, 18.0]), vec!["< 12", "12 – 18", "≥ 18"]);
    }
}
