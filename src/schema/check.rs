//! The schema's consistency checks: the version, one uniquely named feature per model input,
//! each feature's range, categories and per-bin arrays, the form's sections, the scaling and the
//! risk bands.

use std::collections::HashSet;

use super::{Band, Feature, FeatureKind, Group, SCHEMA_VERSION, Scaling, Schema, schema_error};
use crate::error::Result;

impl Schema {
    /// Checks the schema's own consistency and that it describes `k` inputs.
    pub fn check(&self, k: usize) -> Result<()> {
        if self.schema_version != SCHEMA_VERSION {
            return Err(schema_error(format!(
                "the schema has schema_version {}, this scorer reads version {SCHEMA_VERSION}; \
                 re-export the model with a version {SCHEMA_VERSION} schema",
                self.schema_version
            )));
        }
        if self.features.len() != k {
            return Err(schema_error(format!(
                "the schema describes {} features but the model takes {k} inputs; \
                 list exactly one feature per input column, in order",
                self.features.len()
            )));
        }
        let mut names = HashSet::new();
        for f in &self.features {
            if f.name.trim().is_empty() {
                return Err(schema_error(
                    "a feature in the schema has an empty name; give every feature a name",
                ));
            }
            if !names.insert(f.name.as_str()) {
                return Err(schema_error(format!(
                    "the schema names feature `{}` twice; feature names must be unique",
                    f.name
                )));
            }
            f.check()?;
        }
        check_groups(&self.groups, &self.features)?;
        self.scaling.check()?;
        check_bands(&self.bands)
    }
}

impl Feature {
    fn check(&self) -> Result<()> {
        let name = &self.name;
        if !self.baseline.is_finite() {
            return Err(schema_error(format!(
                "feature `{name}`: the baseline must be a finite number"
            )));
        }
        match &self.kind {
            FeatureKind::Numeric { min, max, step, .. } => {
                for (what, v) in [("min", min), ("max", max), ("step", step)] {
                    if let Some(v) = v
                        && !v.is_finite()
                    {
                        return Err(schema_error(format!(
                            "feature `{name}`: `{what}` must be a finite number"
                        )));
                    }
                }
                if let Some(step) = step
                    && *step <= 0.0
                {
                    return Err(schema_error(format!(
                        "feature `{name}`: `step` is {step}; it must be above 0 (or left out)"
                    )));
                }
                if let (Some(lo), Some(hi)) = (min, max)
                    && lo > hi
                {
                    return Err(schema_error(format!(
                        "feature `{name}`: min {lo} is above max {hi}; swap them"
                    )));
                }
                if min.is_some_and(|lo| self.baseline < lo)
                    || max.is_some_and(|hi| self.baseline > hi)
                {
                    return Err(schema_error(format!(
                        "feature `{name}`: the baseline {} is outside the range {}–{}; \
                         choose a baseline inside the range",
                        self.baseline,
                        min.map_or("-∞".into(), |v| v.to_string()),
                        max.map_or("∞".into(), |v| v.to_string()),
                    )));
                }
                if let Some(cuts) = &self.cuts
                    && (cuts.iter().any(|c| !c.is_finite())
                        || cuts.windows(2).any(|w| matches!(w, [a, b] if a >= b)))
                {
                    return Err(schema_error(format!(
                        "feature `{name}`: `cuts` must be finite and strictly increasing"
                    )));
                }
            }
            FeatureKind::Categorical { categories } => {
                if categories.is_empty() {
                    return Err(schema_error(format!(
                        "feature `{name}` is categorical but lists no categories; add its allowed codes"
                    )));
                }
                let mut codes = HashSet::new();
                for c in categories {
                    if !codes.insert(c.code) {
                        return Err(schema_error(format!(
                            "feature `{name}` lists code {} twice; codes must be unique",
                            c.code
                        )));
                    }
                }
                if !categories.iter().any(|c| c.code as f64 == self.baseline) {
                    return Err(schema_error(format!(
                        "feature `{name}`: the baseline {} is not one of its category codes",
                        self.baseline
                    )));
                }
                if self.cuts.is_some() {
                    return Err(schema_error(format!(
                        "feature `{name}` is categorical and cannot have `cuts`"
                    )));
                }
            }
        }
        for (what, values) in [("woe", &self.woe), ("train_share", &self.train_share)] {
            if let Some(values) = values {
                let Some(bins) = self.bin_count() else {
                    return Err(schema_error(format!(
                        "feature `{name}` has `{what}` but no `cuts` to say which bin each value belongs to"
                    )));
                };
                if values.len() != bins {
                    return Err(schema_error(format!(
                        "feature `{name}`: `{what}` has {} values but the feature has {bins} bins or categories",
                        values.len()
                    )));
                }
                if values.iter().any(|v| !v.is_finite()) {
                    return Err(schema_error(format!(
                        "feature `{name}`: `{what}` must hold finite numbers"
                    )));
                }
            }
        }
        self.check_recourse()
    }
}

impl Scaling {
    fn check(&self) -> Result<()> {
        let all_finite = [
            self.base_points,
            self.base_odds,
            self.pdo,
            self.min_points,
            self.max_points,
        ]
        .iter()
        .all(|v| v.is_finite());
        if !all_finite
            || self.pdo <= 0.0
            || self.base_odds <= 0.0
            || self.min_points >= self.max_points
        {
            return Err(schema_error(
                "the schema's scaling needs finite numbers with pdo > 0, base_odds > 0 and min_points < max_points",
            ));
        }
        Ok(())
    }
}

/// The form's sections: unique, non-empty ids, each holding a feature, and every feature in one
/// of them, or no sections and no feature naming one.
fn check_groups(groups: &[Group], features: &[Feature]) -> Result<()> {
    let mut ids = HashSet::new();
    for g in groups {
        if g.id.trim().is_empty() {
            return Err(schema_error(
                "a group in the schema's `groups` has an empty id; give every group an id",
            ));
        }
        if !ids.insert(g.id.as_str()) {
            return Err(schema_error(format!(
                "the schema lists group `{}` twice in `groups`; group ids must be unique",
                g.id
            )));
        }
    }
    for f in features {
        match &f.group {
            Some(g) if !ids.contains(g.as_str()) => {
                let listed = if groups.is_empty() {
                    "the schema lists no `groups`".to_string()
                } else {
                    let names: Vec<_> = groups.iter().map(|g| format!("`{}`", g.id)).collect();
                    format!("the schema's `groups` are {}", names.join(", "))
                };
                return Err(schema_error(format!(
                    "feature `{}` names group `{g}`, but {listed}; add {{\"id\": \"{g}\", \"label\": {{\"en\": …}}}} \
                     to `groups` or name one of those",
                    f.name
                )));
            }
            None if !groups.is_empty() => {
                return Err(schema_error(format!(
                    "feature `{}` has no `group`; when the schema lists `groups`, give every feature one of them",
                    f.name
                )));
            }
            _ => {}
        }
    }
    if let Some(empty) = groups.iter().find(|g| {
        !features
            .iter()
            .any(|f| f.group.as_deref() == Some(g.id.as_str()))
    }) {
        return Err(schema_error(format!(
            "group `{}` holds no feature; put a feature in it or remove it from `groups`",
            empty.id
        )));
    }
    Ok(())
}

fn check_bands(bands: &[Band]) -> Result<()> {
    let Some(last) = bands.last() else {
        return Err(schema_error(
            "the schema lists no risk bands; add at least one with max_pd 1",
        ));
    };
    if bands.iter().any(|b| !(b.max_pd > 0.0 && b.max_pd <= 1.0)) {
        return Err(schema_error("every band's max_pd must be in (0, 1]"));
    }
    if bands
        .windows(2)
        .any(|w| matches!(w, [a, b] if a.max_pd >= b.max_pd))
    {
        return Err(schema_error(
            "the schema's bands are not ordered: list them by strictly increasing max_pd",
        ));
    }
    // Bands compare PDs rounded to 0.01 percentage point: two cut-offs that round alike would
    // leave the second band empty.
    if let Some([a, b]) = bands.windows(2).find(|w| {
        matches!(w, [a, b] if crate::score::band_pd(a.max_pd) >= crate::score::band_pd(b.max_pd))
    }) {
        return Err(schema_error(format!(
            "bands `{}` (max_pd {}) and `{}` (max_pd {}) are less than 0.01 percentage point apart; \
             PDs are banded at that precision, so `{}` could never be given: move its max_pd",
            a.id, a.max_pd, b.id, b.max_pd, b.id
        )));
    }
    if last.max_pd != 1.0 {
        return Err(schema_error(format!(
            "the last band (`{}`) must have max_pd 1 so that every applicant falls in a band",
            last.id
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::default_bands;
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn cut_offs_closer_than_the_banding_precision_are_refused() {
        let mut bands = default_bands();
        assert!(check_bands(&bands).is_ok());
        bands[0].max_pd = 0.08211;
        bands[1].max_pd = 0.08214;
        let e = check_bands(&bands).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Schema);
        assert!(
            e.message()
                .contains("`A` (max_pd 0.08211) and `B` (max_pd 0.08214)"),
            "{e}"
        );
        bands[1].max_pd = 0.0823;
        assert!(check_bands(&bands).is_ok());
    }
}

#[cfg(test)]
mod group_tests {
    use super::super::{Group, Schema};
    use crate::error::ErrorKind;

    /// A two-feature schema whose features are in `groups` as given.
    fn schema(groups: &str, a: &str, b: &str) -> String {
        let feature = |name: &str, group: &str| {
            let group = if group.is_empty() {
                String::new()
            } else {
                format!(r#","group":"{group}""#)
            };
            format!(r#"{{"name":"{name}","kind":"numeric","min":0,"max":1,"baseline":0{group}}}"#)
        };
        let groups = if groups.is_empty() {
            String::new()
        } else {
            format!(r#","groups":{groups}"#)
        };
        format!(
            r#"{{"schema_version":1,"features":[{},{}]{groups}}}"#,
            feature("a", a),
            feature("b", b)
        )
    }

    fn refused(json: &str) -> String {
        let e = Schema::from_json(json, 2).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Schema, "{e}");
        e.message().to_string()
    }

    #[test]
    fn groups_are_read_in_their_order_with_their_labels() {
        let groups = r#"[{"id":"loan","label":{"en":"Loan","zh":"贷款"}},{"id":"applicant","label":{"en":"Applicant"}}]"#;
        let s = Schema::from_json(&schema(groups, "applicant", "loan"), 2).unwrap();
        let ids: Vec<_> = s.groups.iter().map(|g: &Group| g.id.as_str()).collect();
        assert_eq!(ids, ["loan", "applicant"]);
        assert_eq!(s.groups[0].label["zh"], "贷款");
        assert_eq!(s.features[0].group.as_deref(), Some("applicant"));
        // Written back only when given: a schema without groups serializes as before.
        let plain = Schema::from_json(&schema("", "", ""), 2).unwrap();
        assert!(plain.groups.is_empty());
        let json = serde_json::to_string(&plain).unwrap();
        assert!(!json.contains("group"), "{json}");
    }

    #[test]
    fn an_unknown_group_is_refused_with_what_to_do() {
        let m = refused(&schema(r#"[{"id":"loan"}]"#, "loan", "bureau"));
        assert!(m.contains("feature `b` names group `bureau`"), "{m}");
        assert!(m.contains("the schema's `groups` are `loan`"), "{m}");
        assert!(m.contains("add {\"id\": \"bureau\""), "{m}");
        let m = refused(&schema("", "", "bureau"));
        assert!(
            m.contains("names group `bureau`, but the schema lists no `groups`"),
            "{m}"
        );
    }

    #[test]
    fn inconsistent_groups_are_refused() {
        let m = refused(&schema(r#"[{"id":"loan"}]"#, "loan", ""));
        assert!(m.contains("feature `b` has no `group`"), "{m}");
        let m = refused(&schema(r#"[{"id":"loan"},{"id":"loan"}]"#, "loan", "loan"));
        assert!(m.contains("group `loan` twice"), "{m}");
        let m = refused(&schema(r#"[{"id":" "},{"id":"loan"}]"#, "loan", "loan"));
        assert!(m.contains("empty id"), "{m}");
        let m = refused(&schema(
            r#"[{"id":"loan"},{"id":"bureau"}]"#,
            "loan",
            "loan",
        ));
        assert!(m.contains("group `bureau` holds no feature"), "{m}");
    }
}
