//! The feature schema a model carries in its ONNX metadata (`credit_scorer.schema`): what each
//! input means, its allowed values, the score scaling, the risk bands and the model card.
//! See `docs/SCHEMA.md` for the format. This file holds the format and its parsing; the
//! consistency checks are in `check.rs`, the recourse fields' in `recourse.rs`, the
//! `schema-template` placeholders in `placeholder.rs`.

mod check;
mod placeholder;
mod recourse;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};

pub use placeholder::{PLACEHOLDER, placeholders};
pub use recourse::Direction;

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
    /// Sections of the form, in the order it shows them (none: one list of fields in column
    /// order). When given, every feature names one in its `group`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<Group>,
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

/// A section of the form: features that belong together (applicant, loan, bureau …).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Group {
    /// What features name in their `group`.
    pub id: String,
    /// The section's heading.
    #[serde(default)]
    pub label: Localized,
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
    /// The id of the form section (one of the schema's `groups`) the field is shown in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
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
        placeholder::refuse(&value)?;
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
                group: None,
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
            groups: Vec::new(),
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
}
