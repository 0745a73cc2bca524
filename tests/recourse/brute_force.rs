//! The independent brute force every search result is checked against.

use std::collections::BTreeMap;

use credit_scorer::Scorer;
use credit_scorer::recourse::{MAX_CHANGES, RecourseResult};
use credit_scorer::schema::{Direction, FeatureKind, Schema};
use credit_scorer::score::band_index_for;

/// One feature's full grid under the schema's rules, with each value's movement: numeric every
/// `min + n · step` (recourse_step, else step) in range, categorical every allowed category.
fn full_grid(schema: &Schema, i: usize, x: f32) -> Vec<(f32, f64)> {
    let f = &schema.features[i];
    let cost = f.recourse_cost.unwrap_or(1.0);
    let direction = f.direction.unwrap();
    let ok = |from: f64, to: f64| match direction {
        Direction::Increase => to > from,
        Direction::Decrease => to < from,
        Direction::Any => to != from,
    };
    match &f.kind {
        FeatureKind::Numeric { min, max, step, .. } => {
            let (lo, hi) = (min.unwrap(), max.unwrap());
            let step = f.recourse_step.or(*step).unwrap();
            let mut out = Vec::new();
            let mut n = 0.0;
            while lo + n * step <= hi {
                let v = (lo + n * step) as f32;
                if ok(f64::from(x), f64::from(v)) {
                    out.push((v, (f64::from(v) - f64::from(x)).abs() / (hi - lo) * cost));
                }
                n += 1.0;
            }
            out
        }
        FeatureKind::Categorical { categories } => {
            let from = categories.iter().position(|c| c.code as f32 == x).unwrap();
            categories
                .iter()
                .enumerate()
                .filter(|(to, c)| {
                    ok(from as f64, *to as f64)
                        && f.recourse_targets
                            .as_ref()
                            .is_none_or(|t| t.contains(&c.code))
                })
                .map(|(to, c)| {
                    let moved = (to as f64 - from as f64).abs() / (categories.len() - 1) as f64;
                    (c.code as f32, moved * cost)
                })
                .collect()
        }
    }
}

/// The brute force's answer: every feasible feature set with its least movement.
pub(crate) fn brute_force(
    scorer: &Scorer,
    row: &[f32],
    target: usize,
) -> BTreeMap<Vec<usize>, f64> {
    let schema = scorer.schema();
    let actionable: Vec<usize> = (0..row.len())
        .filter(|&i| schema.features[i].actionable)
        .collect();
    let grids: Vec<Vec<(f32, f64)>> = actionable
        .iter()
        .map(|&i| full_grid(schema, i, row[i]))
        .collect();
    let mut feasible = BTreeMap::new();
    let n = actionable.len();
    let mut sets: Vec<Vec<usize>> = Vec::new();
    for a in 0..n {
        sets.push(vec![a]);
        for b in a + 1..n {
            sets.push(vec![a, b]);
            for c in b + 1..n {
                sets.push(vec![a, b, c]);
            }
        }
    }
    for set in sets {
        let mut rows = Vec::new();
        let mut moves = Vec::new();
        let mut combos: Vec<(Vec<f32>, f64)> = vec![(row.to_vec(), 0.0)];
        for &m in &set {
            let mut next = Vec::new();
            for (r, mv) in &combos {
                for &(v, dm) in &grids[m] {
                    let mut r = r.clone();
                    r[actionable[m]] = v;
                    next.push((r, mv + dm));
                }
            }
            combos = next;
        }
        for (r, mv) in combos {
            rows.extend(r);
            moves.push(mv);
        }
        if moves.is_empty() {
            continue;
        }
        let p = scorer.model().predict(&rows).unwrap();
        let best = p
            .iter()
            .zip(&moves)
            .filter(|(p, _)| band_index_for(&schema.bands, p.pd).unwrap() <= target)
            .map(|(_, &m)| m)
            .fold(f64::INFINITY, f64::min);
        if best.is_finite() {
            let features: Vec<usize> = set.iter().map(|&m| actionable[m]).collect();
            feasible.insert(features, best);
        }
    }
    feasible
}

/// Checks one search result against the brute force and against `Scorer::assess`.
pub(crate) fn check(
    scorer: &Scorer,
    row: &[f32],
    target: usize,
    r: &RecourseResult,
) -> &'static str {
    let schema = scorer.schema();
    let now = band_index_for(&schema.bands, scorer.assess(row).unwrap().pd).unwrap();
    assert_eq!(r.target_band, schema.bands[target].id);
    assert_eq!(r.searched_up_to, MAX_CHANGES);
    if now <= target {
        assert!(
            r.already_met && r.options.is_empty() && !r.proven_none,
            "{r:?}"
        );
        return "met";
    }
    assert!(!r.already_met);
    let feasible = brute_force(scorer, row, target);
    // Minimal sets: no proper subset works.
    let mut minimal: Vec<(&Vec<usize>, f64)> = feasible
        .iter()
        .filter(|(s, _)| {
            !feasible
                .keys()
                .any(|t| t != *s && t.iter().all(|i| s.contains(i)))
        })
        .map(|(s, &m)| (s, m))
        .collect();
    minimal.sort_by(|a, b| {
        a.0.len()
            .cmp(&b.0.len())
            .then(a.1.total_cmp(&b.1))
            .then(a.0.cmp(b.0))
    });
    minimal.truncate(3);
    assert_eq!(r.proven_none, feasible.is_empty(), "row {row:?}: {r:?}");
    let got: Vec<Vec<usize>> = r
        .options
        .iter()
        .map(|o| {
            o.changes
                .iter()
                .map(|c| schema.feature_index(&c.feature).unwrap())
                .collect()
        })
        .collect();
    let want: Vec<Vec<usize>> = minimal.iter().map(|(s, _)| (*s).clone()).collect();
    assert_eq!(got, want, "row {row:?}: no better option may be missed");
    for (o, (_, best)) in r.options.iter().zip(&minimal) {
        assert!(
            (o.movement - best).abs() < 1e-12,
            "row {row:?}: movement {} vs the brute force's {best}",
            o.movement
        );
        let mut changed = row.to_vec();
        for c in &o.changes {
            let i = schema.feature_index(&c.feature).unwrap();
            let f = &schema.features[i];
            assert!(f.actionable, "{} is not actionable", c.feature);
            assert_eq!(c.from, f64::from(row[i]));
            match f.direction.unwrap() {
                Direction::Increase => assert!(c.to > c.from, "{c:?}"),
                Direction::Decrease => assert!(c.to < c.from, "{c:?}"),
                Direction::Any => assert!(c.to != c.from, "{c:?}"),
            }
            match &f.kind {
                FeatureKind::Numeric { min, max, .. } => {
                    assert!(c.to >= min.unwrap() && c.to <= max.unwrap(), "{c:?}");
                    assert!(c.to_label.is_none());
                }
                FeatureKind::Categorical { .. } => {
                    let cat = f.category(c.to as i64).unwrap();
                    assert_eq!(c.to_label.as_ref(), Some(&cat.label));
                    assert!(
                        f.recourse_targets
                            .as_ref()
                            .is_none_or(|t| t.contains(&(c.to as i64)))
                    );
                }
            }
            changed[i] = c.to as f32;
        }
        // Exactly what `assess` gives the changed applicant, and in the target band or better.
        let a = scorer.assess(&changed).unwrap();
        assert_eq!((a.pd, a.points, &a.band), (o.pd, o.points, &o.band));
        assert!(band_index_for(&schema.bands, a.pd).unwrap() <= target);
    }
    // Immutable characteristics never change, and no option is a superset of another.
    for (i, a) in got.iter().enumerate() {
        for (j, b) in got.iter().enumerate() {
            assert!(i == j || !a.iter().all(|f| b.contains(f)), "{got:?}");
        }
    }
    if r.proven_none { "none" } else { "options" }
}

pub(crate) fn tally(counts: &mut BTreeMap<&'static str, usize>, what: &'static str) {
    *counts.entry(what).or_default() += 1;
}

/// Each kind of answer [`check`] tells apart came up at least once.
pub(crate) fn assert_every_answer_seen(counts: &BTreeMap<&'static str, usize>) {
    eprintln!("{counts:?}");
    for what in ["met", "options", "none"] {
        assert!(
            counts.get(what).copied().unwrap_or(0) > 0,
            "no `{what}` case: {counts:?}"
        );
    }
}
