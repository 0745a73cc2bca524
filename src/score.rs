//! Scorecard points and risk bands from a probability of default.

use crate::schema::{Band, Scaling};

/// ln(p / (1 − p)), finite for p in [0, 1] by clamping to float precision.
pub fn logit_of(pd: f64) -> f64 {
    let p = pd.clamp(1e-15, 1.0 - 1e-15);
    (p / (1.0 - p)).ln()
}

/// Points for a log-odds of default, clamped to the schema's range. Higher points mean lower risk:
/// `points = offset + factor · ln(good:bad odds) = offset − factor · logit`.
pub fn points_from_logit(scaling: &Scaling, logit: f64) -> f64 {
    PointsScale::new(scaling).points(logit)
}

/// [`points_from_logit`] with the scale's constants computed once, for batches: `offset()` takes
/// a logarithm, which would otherwise be paid per row. Gives the same values bit for bit.
#[derive(Clone, Copy, Debug)]
pub struct PointsScale {
    offset: f64,
    factor: f64,
    min: f64,
    max: f64,
}

impl PointsScale {
    /// The constants of `scaling`.
    pub fn new(scaling: &Scaling) -> PointsScale {
        PointsScale {
            offset: scaling.offset(),
            factor: scaling.factor(),
            min: scaling.min_points,
            max: scaling.max_points,
        }
    }

    /// Points for a log-odds of default, clamped (see [`points_from_logit`]).
    pub fn points(&self, logit: f64) -> f64 {
        // The same expression as `unclamped_points`, so the same rounding.
        let raw = self.offset - self.factor * logit;
        if raw.is_nan() {
            self.min
        } else {
            raw.clamp(self.min, self.max)
        }
    }
}

/// Points for a probability of default; PD 0 and 1 land on the ends of the range.
pub fn points_from_pd(scaling: &Scaling, pd: f64) -> f64 {
    if pd <= 0.0 {
        return scaling.max_points;
    }
    if pd >= 1.0 || pd.is_nan() {
        return scaling.min_points;
    }
    points_from_logit(scaling, (pd / (1.0 - pd)).ln())
}

/// Points before clamping; explanations add up to differences of these.
pub fn unclamped_points(scaling: &Scaling, logit: f64) -> f64 {
    scaling.offset() - scaling.factor() * logit
}

/// PDs are compared with band cut-offs to this step (0.01 percentage point): ten times the
/// 1e-5 by which the engines may differ, fine enough that a model card's band counts made with
/// plain `pd <= max_pd` (as `training/` makes them) stay true for the reference model.
pub const BAND_PD_STEP: f64 = 1e-4;

/// `pd` rounded to [`BAND_PD_STEP`] (half away from zero), as bands compare it.
pub fn band_pd(pd: f64) -> f64 {
    (pd / BAND_PD_STEP).round() * BAND_PD_STEP
}

/// The band an applicant with `pd` falls in: the first whose `max_pd` is not below it, both
/// rounded by [`band_pd`]. So an applicant on a cut-off, or within the 1e-5 by which the direct
/// evaluator and tract may differ, gets that cut-off's band from every engine and channel
/// (`assess`, the batch, the page). A schema
/// always has a last band with `max_pd` 1, so `None` only for NaN or an empty list.
pub fn band_for(bands: &[Band], pd: f64) -> Option<&Band> {
    band_index_for(bands, pd).and_then(|i| bands.get(i))
}

/// The index in `bands` of [`band_for`]'s band.
pub fn band_index_for(bands: &[Band], pd: f64) -> Option<usize> {
    let shown = band_pd(pd);
    bands
        .iter()
        .position(|b| shown <= band_pd(b.max_pd))
        .or_else(|| {
            if pd.is_nan() {
                None
            } else {
                bands.len().checked_sub(1)
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scaling() -> Scaling {
        Scaling {
            base_points: 600.0,
            base_odds: 50.0,
            pdo: 20.0,
            min_points: 300.0,
            max_points: 850.0,
        }
    }

    #[test]
    fn issue_examples_pdo_20_600_at_50_to_1() {
        assert!((points_from_pd(&scaling(), 0.30) - 511.6).abs() < 0.05);
        assert!((points_from_pd(&scaling(), 0.05) - 572.1).abs() < 0.05);
    }

    #[test]
    fn base_odds_score_base_points_and_doubling_adds_pdo() {
        let pd_at = |odds: f64| 1.0 / (1.0 + odds);
        assert!((points_from_pd(&scaling(), pd_at(50.0)) - 600.0).abs() < 1e-9);
        assert!((points_from_pd(&scaling(), pd_at(100.0)) - 620.0).abs() < 1e-9);
    }

    #[test]
    fn a_pd_on_a_cut_off_or_within_the_engines_spread_of_it_gets_the_cut_off_band() {
        let bands = crate::schema::Schema::generic(1).bands;
        for (i, b) in bands.iter().enumerate().filter(|(_, b)| b.max_pd < 1.0) {
            // The direct evaluator and tract may differ by up to 1e-5.
            for delta in [0.0, 1e-6, -1e-6, 1e-5, -1e-5, 4e-5, -4e-5] {
                let pd = b.max_pd + delta;
                assert_eq!(band_index_for(&bands, pd), Some(i), "pd {pd}");
            }
            // Past the rounding, the next band (or the one before).
            assert_eq!(band_index_for(&bands, b.max_pd + 6e-5), Some(i + 1));
            if i > 0 {
                assert_eq!(band_index_for(&bands, b.max_pd - 6e-5), Some(i));
            }
        }
        assert_eq!(band_index_for(&bands, f64::NAN), None);
        assert_eq!(band_index_for(&bands, 1.0), Some(bands.len() - 1));
    }

    #[test]
    fn extremes_clamp_to_the_range() {
        assert_eq!(points_from_pd(&scaling(), 0.0), 850.0);
        assert_eq!(points_from_pd(&scaling(), 1.0), 300.0);
        assert_eq!(points_from_pd(&scaling(), f64::NAN), 300.0);
        assert_eq!(points_from_logit(&scaling(), -1e9), 850.0);
    }
}
