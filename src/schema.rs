//! The feature schema a model carries in its ONNX metadata (`credit_scorer.schema`): what each
//! input means, its allowed values, the score scaling, the risk bands and the model card.
//! See `docs/SCHEMA.md` for the format.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};

/// The metadata key under which a model carries its schema.
pub const SCHEMA_METADATA_KEY: &str = "credit_scorer.schema";

/// The schema version this build reads.
pub const SCHEMA_VERSION: u32 = 1;

/// A text in several languages, keyed by language tag (`en`, `zh`).
pub type Localized = BTreeMap<String, String>;

/// The model's self-description: drives the form, validation, scaling, bands and the card.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Schema {
    /// Format version; this build reads [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Model name and version, shown on the page and in decision records.
    #[serde(default)]
    pub model: ModelInfo,
    /// Which graph outputs hold the probability and the log-odds.
    #[serde(default)]
    pub output: OutputSpec,
    /// The inputs, in the model's column order.
    pub features: Vec<Feature>,
    /// Scorecard scaling from probability to points.
    #[serde(default)]
    pub scaling: Scaling,
    /// Risk bands by probability of default, ordered by `max_pd`.
    #[serde(default = "default_bands")]
    pub bands: Vec<Band>,
    /// Free-form model card (data set, licence, metrics, intended use, limits …).
    #[serde(default)]
    pub model_card: serde_json::Value,
    /// True when no schema was found in the model and this one was derived from the graph.
    #[serde(default)]
    pub generic: bool,
}

/// Model name and version.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ModelInfo {
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Version string.
    #[serde(default)]
    pub version: String,
}

/// Names of the outputs to read.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct OutputSpec {
    /// Probability output: `[N,1]`, or `[N,2]` whose column 1 is the probability of default.
    #[serde(default)]
    pub pd: Option<String>,
    /// Optional log-odds-of-default output `[N,1]`.
    #[serde(default)]
    pub logit: Option<String>,
    /// The class label (number or string) whose probability is the probability of default, for
    /// classifiers that name their classes (`ZipMap`, `classlabels_*`); see `engine::trees`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_class: Option<serde_json::Value>,
    /// What the probability means, for people.
    #[serde(default)]
    pub meaning: Localized,
}

/// One input of the model.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Feature {
    /// Machine name: CSV header and JSON key.
    pub name: String,
    /// Column of the training data it comes from.
    #[serde(default)]
    pub source_column: Option<String>,
    /// Form label.
    #[serde(default)]
    pub label: Localized,
    /// Help text under the field.
    #[serde(default)]
    pub help: Localized,
    /// Reason text shown when this feature costs the applicant points.
    #[serde(default)]
    pub reason: Localized,
    /// Numeric or categorical, with what each allows.
    #[serde(flatten)]
    pub kind: FeatureKind,
    /// The value explanations are measured from (the most favourable one).
    pub baseline: f64,
    /// Bin edges of a numeric feature: bin `i` holds `cuts[i-1] <= x < cuts[i]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cuts: Option<Vec<f64>>,
    /// Weight of Evidence per category or bin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub woe: Option<Vec<f64>>,
    /// Share of training rows per category or bin (for drift checks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_share: Option<Vec<f64>>,
    /// Whether recourse may suggest changing this feature (off unless the bank says so).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub actionable: bool,
    /// Which way recourse may move an actionable feature (required when `actionable`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// Granularity of a numeric feature's suggested values (default: its `step`): suggestions
    /// lie on `min + n · recourse_step`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recourse_step: Option<f64>,
    /// Weight of this feature's movement when ranking suggestions (default 1; higher: harder
    /// to change).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recourse_cost: Option<f64>,
    /// The category codes recourse may suggest for a categorical feature (default: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recourse_targets: Option<Vec<i64>>,
}

/// Which way recourse may move a feature: for a categorical one, along its `categories` as
/// listed.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Only to larger values (later categories).
    Increase,
    /// Only to smaller values (earlier categories).
    Decrease,
    /// Either way.
    Any,
}

/// What values a feature takes.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FeatureKind {
    /// A number within an inclusive range.
    Numeric {
        /// Unit shown beside the field.
        #[serde(default)]
        unit: Localized,
        /// Smallest accepted value (none: unbounded).
        #[serde(default)]
        min: Option<f64>,
        /// Largest accepted value (none: unbounded).
        #[serde(default)]
        max: Option<f64>,
        /// Input step for the form.
        #[serde(default)]
        step: Option<f64>,
    },
    /// One of a fixed set of codes.
    Categorical {
        /// Allowed codes in display order.
        categories: Vec<Category>,
    },
}

/// One allowed value of a categorical feature.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Category {
    /// The integer code fed to the model.
    pub code: i64,
    /// The value as written in the training data (also accepted in CSV files).
    #[serde(default)]
    pub value: Option<String>,
    /// Display label.
    #[serde(default)]
    pub label: Localized,
}

/// Scorecard scaling: `points = offset + factor · ln((1 − pd) / pd)`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Scaling {
    /// Points at `base_odds`.
    pub base_points: f64,
    /// Good:bad odds that score `base_points`.
    pub base_odds: f64,
    /// Points to double the odds.
    pub pdo: f64,
    /// Lowest reported score.
    pub min_points: f64,
    /// Highest reported score.
    pub max_points: f64,
}

impl Default for Scaling {
    fn default() -> Self {
        Scaling {
            base_points: 600.0,
            base_odds: 50.0,
            pdo: 20.0,
            min_points: 300.0,
            max_points: 850.0,
        }
    }
}

/// A risk band: applicants with `pd <= max_pd` (and above the previous band) fall in it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Band {
    /// Short id (`A`, `B` …).
    pub id: String,
    /// Upper PD bound, inclusive.
    pub max_pd: f64,
    /// Display colour (CSS).
    #[serde(default)]
    pub color: Option<String>,
    /// Display name.
    #[serde(default)]
    pub label: Localized,
}

fn default_bands() -> Vec<Band> {
    let band = |id: &str, max_pd: f64, color: &str, en: &str, zh: &str| Band {
        id: id.into(),
        max_pd,
        color: Some(color.into()),
        label: [
            ("en".to_string(), en.to_string()),
            ("zh".to_string(), zh.to_string()),
        ]
        .into(),
    };
    vec![
        band("A", 0.05, "#1b7f3b", "Very low risk", "很低风险"),
        band("B", 0.10, "#5a9e2f", "Low risk", "低风险"),
        band("C", 0.20, "#b88a00", "Medium risk", "中等风险"),
        band("D", 0.35, "#d35400", "High risk", "高风险"),
        band("E", 1.0, "#b3261e", "Very high risk", "很高风险"),
    ]
}

/// How a value `credit-scorer schema-template` cannot know starts: a text saying what the bank
/// must fill in there. A schema holding one is refused until it is replaced.
pub const PLACEHOLDER: &str = "TODO:";

/// The [`PLACEHOLDER`] texts in `value`, with where they are (`features[2].baseline`), arrays
/// in order, objects by key.
pub fn placeholders(value: &serde_json::Value) -> Vec<(String, String)> {
    fn walk(value: &serde_json::Value, at: &str, found: &mut Vec<(String, String)>) {
        match value {
            serde_json::Value::String(text) if text.trim_start().starts_with(PLACEHOLDER) => {
                found.push((at.to_string(), text.clone()));
            }
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, &format!("{at}[{i}]"), found);
                }
            }
            serde_json::Value::Object(fields) => {
                for (key, item) in fields {
                    let path = if at.is_empty() {
                        key.clone()
                    } else {
                        format!("{at}.{key}")
                    };
                    walk(item, &path, found);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(value, "", &mut found);
    found
}

fn schema_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Schema, message)
}

impl Schema {
    /// Parses the JSON a model carries and checks it against the model's `k` inputs.
    /// Refused: JSON that is not a schema, a schema that still holds
    /// [`PLACEHOLDER`]s (`credit-scorer schema-template`'s, each saying what to fill in), or one
    /// that fails [`Schema::check`].
    pub fn from_json(json: &str, k: usize) -> Result<Schema> {
        let invalid = |e: serde_json::Error| {
            schema_error(format!(
                "the model's `{SCHEMA_METADATA_KEY}` metadata is not a valid schema: {e}. \
                 Fix the JSON (see docs/SCHEMA.md) or remove the key to load the model with a generic schema."
            ))
        };
        // Placeholders first: a `baseline` still reading "TODO: …" is not a number either, and
        // the placeholder says what belongs there.
        let value: serde_json::Value = serde_json::from_str(json).map_err(invalid)?;
        let todo = placeholders(&value);
        if let Some((path, text)) = todo.first() {
            let more = match todo.len() {
                1 => String::new(),
                n => format!(
                    " ({} more: {}{})",
                    n - 1,
                    todo.iter()
                        .skip(1)
                        .take(4)
                        .map(|(p, _)| format!("`{p}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if n > 5 { " …" } else { "" }
                ),
            };
            return Err(schema_error(format!(
                "the schema still holds {} placeholder{} from `credit-scorer schema-template` to fill in: `{path}` says \"{text}\"{more}; replace each `{PLACEHOLDER}` text with the bank's own value, or delete the line where the placeholder says so (docs/SCHEMA.md, \"Preparing a bank's model\")",
                todo.len(),
                if todo.len() == 1 { "" } else { "s" },
            )));
        }
        let schema: Schema = serde_json::from_str(json).map_err(invalid)?;
        schema.check(k)?;
        Ok(schema)
    }

    /// The schema for a model that carries none: `x0 … x{k-1}`, unbounded, zero baseline.
    pub fn generic(k: usize) -> Schema {
        let features = (0..k)
            .map(|i| Feature {
                name: format!("x{i}"),
                source_column: None,
                label: [
                    ("en".to_string(), format!("Input {i}")),
                    ("zh".to_string(), format!("输入 {i}")),
                ]
                .into(),
                help: Localized::new(),
                reason: [
                    ("en".to_string(), format!("Input {i}")),
                    ("zh".to_string(), format!("输入 {i}")),
                ]
                .into(),
                kind: FeatureKind::Numeric {
                    unit: Localized::new(),
                    min: None,
                    max: None,
                    step: None,
                },
                baseline: 0.0,
                cuts: None,
                woe: None,
                train_share: None,
                actionable: false,
                direction: None,
                recourse_step: None,
                recourse_cost: None,
                recourse_targets: None,
            })
            .collect();
        Schema {
            schema_version: SCHEMA_VERSION,
            model: ModelInfo {
                name: "Model without schema".into(),
                version: String::new(),
            },
            output: OutputSpec::default(),
            features,
            scaling: Scaling::default(),
            bands: default_bands(),
            model_card: serde_json::Value::Null,
            generic: true,
        }
    }

    /// The baseline applicant, in column order.
    pub fn baseline(&self) -> Vec<f32> {
        self.features.iter().map(|f| f.baseline as f32).collect()
    }

    /// The feature names, comma-separated, for messages that list what a model accepts.
    pub fn feature_list(&self) -> String {
        self.features
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The feature called `name`, exactly.
    pub fn feature_index(&self, name: &str) -> Option<usize> {
        self.features.iter().position(|f| f.name == name)
    }

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
        self.scaling.check()?;
        check_bands(&self.bands)
    }
}

impl Feature {
    /// Number of categories or bins the optional per-bin arrays must have.
    pub fn bin_count(&self) -> Option<usize> {
        match &self.kind {
            FeatureKind::Categorical { categories } => Some(categories.len()),
            FeatureKind::Numeric { .. } => self.cuts.as_ref().map(|c| c.len() + 1),
        }
    }

    /// The bin or category index of a valid value, when the schema defines bins.
    pub fn bin_of(&self, value: f64) -> Option<usize> {
        match &self.kind {
            FeatureKind::Categorical { categories } => {
                categories.iter().position(|c| c.code as f64 == value)
            }
            FeatureKind::Numeric { .. } => self
                .cuts
                .as_ref()
                .map(|cuts| cuts.iter().filter(|&&c| value >= c).count()),
        }
    }

    /// The category with `code`, for a categorical feature.
    pub fn category(&self, code: i64) -> Option<&Category> {
        match &self.kind {
            FeatureKind::Categorical { categories } => categories.iter().find(|c| c.code == code),
            FeatureKind::Numeric { .. } => None,
        }
    }

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

    /// The recourse fields: only on an actionable feature, with a direction, positive steps
    /// and costs, a range to stay within, known target codes.
    fn check_recourse(&self) -> Result<()> {
        let name = &self.name;
        if !self.actionable {
            let set = [
                ("direction", self.direction.is_some()),
                ("recourse_step", self.recourse_step.is_some()),
                ("recourse_cost", self.recourse_cost.is_some()),
                ("recourse_targets", self.recourse_targets.is_some()),
            ];
            if let Some((field, _)) = set.iter().find(|(_, present)| *present) {
                return Err(schema_error(format!(
                    "feature `{name}` has `{field}` but is not `actionable`; add \"actionable\": true \
                     if recourse may suggest changing it, or remove `{field}`"
                )));
            }
            return Ok(());
        }
        if self.direction.is_none() {
            return Err(schema_error(format!(
                "feature `{name}` is `actionable` but has no `direction`; add \"direction\": \
                 \"increase\", \"decrease\" or \"any\""
            )));
        }
        for (field, value) in [
            ("recourse_step", self.recourse_step),
            ("recourse_cost", self.recourse_cost),
        ] {
            if let Some(v) = value
                && !(v.is_finite() && v > 0.0)
            {
                return Err(schema_error(format!(
                    "feature `{name}`: `{field}` is {v}; it must be a finite number above 0"
                )));
            }
        }
        match &self.kind {
            FeatureKind::Numeric { min, max, .. } => {
                if min.is_none() || max.is_none() {
                    return Err(schema_error(format!(
                        "feature `{name}` is `actionable` but has no range; give it `min` and \
                         `max`, the values recourse may suggest stay within them"
                    )));
                }
                if self.recourse_targets.is_some() {
                    return Err(schema_error(format!(
                        "feature `{name}` is numeric and cannot have `recourse_targets` (codes of \
                         categories); remove it, or use `recourse_step` and the range"
                    )));
                }
            }
            FeatureKind::Categorical { categories } => {
                if self.recourse_step.is_some() {
                    return Err(schema_error(format!(
                        "feature `{name}` is categorical and cannot have `recourse_step`; remove \
                         it (`recourse_targets` lists the categories recourse may suggest)"
                    )));
                }
                let mut seen = HashSet::new();
                for &code in self.recourse_targets.iter().flatten() {
                    if !categories.iter().any(|c| c.code == code) {
                        return Err(schema_error(format!(
                            "feature `{name}`: `recourse_targets` names code {code}, which is not \
                             one of its categories; list only codes of `categories`"
                        )));
                    }
                    if !seen.insert(code) {
                        return Err(schema_error(format!(
                            "feature `{name}`: `recourse_targets` lists code {code} twice"
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}

impl Scaling {
    /// Points per unit of natural log-odds.
    pub fn factor(&self) -> f64 {
        self.pdo / std::f64::consts::LN_2
    }

    /// Points at even log-odds (odds 1:1).
    pub fn offset(&self) -> f64 {
        self.base_points - self.factor() * self.base_odds.ln()
    }

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
    use super::*;

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
