//! A classifier's class labels, and which of them is the class of default.

use super::attrs::Attrs;
use crate::error::{Error, ErrorKind, Result};

/// A classifier's class labels.
#[derive(Clone, Debug, PartialEq)]
pub enum Labels {
    /// `classlabels_int64s` / `classlabels_ints`.
    Ints(Vec<i64>),
    /// `classlabels_strings`.
    Strings(Vec<String>),
}

impl Labels {
    pub(super) fn of(a: &Attrs) -> Option<Labels> {
        let ints = [a.ints("classlabels_int64s"), a.ints("classlabels_ints")]
            .into_iter()
            .find(|l| !l.is_empty());
        if let Some(ints) = ints {
            return Some(Labels::Ints(ints.to_vec()));
        }
        let strings = a.strings("classlabels_strings");
        (!strings.is_empty()).then(|| {
            Labels::Strings(
                strings
                    .iter()
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect(),
            )
        })
    }

    pub(super) fn len(&self) -> usize {
        match self {
            Labels::Ints(v) => v.len(),
            Labels::Strings(v) => v.len(),
        }
    }

    fn describe(&self) -> String {
        match self {
            Labels::Ints(v) => format!("{v:?}"),
            Labels::Strings(v) => format!("{v:?}"),
        }
    }

    /// The column of the default class: the one `named` (a schema's `output.default_class`),
    /// or label 1 of integer labels `[0, 1]`.
    pub(super) fn default_column(&self, named: Option<&serde_json::Value>) -> Result<usize> {
        let found = match (self, named) {
            (Labels::Ints(v), Some(n)) => n.as_i64().and_then(|n| v.iter().position(|&l| l == n)),
            (Labels::Strings(v), Some(n)) => {
                let n = n.as_str().map_or_else(|| n.to_string(), str::to_string);
                v.iter().position(|l| *l == n)
            }
            (Labels::Ints(v), None) if v.as_slice() == [0, 1] => Some(1),
            (_, None) => {
                return Err(Error::new(
                    ErrorKind::ModelContract,
                    format!(
                        "cannot tell which of the model's classes {} is default; name it in the schema's `output.default_class` (docs/SCHEMA.md), or export the classifier with the labels 0 (repaid) and 1 (default)",
                        self.describe()
                    ),
                ));
            }
        };
        found.ok_or_else(|| {
            Error::new(
                ErrorKind::Schema,
                format!(
                    "the schema's `output.default_class` {} is not one of the model's classes {}",
                    named.map_or_else(String::new, ToString::to_string),
                    self.describe()
                ),
            )
        })
    }
}
