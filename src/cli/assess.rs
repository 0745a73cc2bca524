//! `credit-scorer assess`: one applicant from a JSON file, scored and explained, with what would
//! change the outcome.

use std::path::Path;

use credit_scorer::recourse::{self, RecourseResult};
use credit_scorer::{Assessment, Error, ErrorKind, Scorer};
use serde::Serialize;

use super::{Outcome, print_json};

/// Whether and towards which band to search for recourse.
pub(super) enum Recourse {
    /// No search (`--no-recourse`).
    Off,
    /// Towards this band id, or the model's approval cut-off without one.
    Target(Option<String>),
}

/// The assessment with its recourse, as printed.
#[derive(Serialize)]
struct Printed<'a> {
    #[serde(flatten)]
    assessment: &'a Assessment,
    #[serde(skip_serializing_if = "Option::is_none")]
    recourse: Option<Option<RecourseResult>>,
}

/// Scores and explains the applicant in the JSON file at `path`; prints the assessment as JSON.
pub(super) fn run(scorer: &Scorer, path: &Path, recourse: &Recourse) -> Result<Outcome, Error> {
    let path_text = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot read `{path_text}`: {e}")))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Error::new(ErrorKind::Input, format!("`{path_text}` is not JSON: {e}")))?;
    let row =
        credit_scorer::validate::validate_json(scorer.schema(), &value).map_err(|errors| {
            let list: Vec<String> = errors
                .iter()
                .map(|e| format!("  {}: {}", e.field, e.message))
                .collect();
            Error::new(
                ErrorKind::Input,
                format!("the applicant is invalid:\n{}", list.join("\n")),
            )
        })?;
    let options = match recourse {
        Recourse::Off => None,
        // No band named and no cut-off in the model: `null`, the rest is still printed.
        Recourse::Target(None) if recourse::default_target(scorer.schema()).is_none() => Some(None),
        Recourse::Target(id) => Some(Some(recourse::search(scorer, &row, id.as_deref())?)),
    };
    print_json(&Printed {
        assessment: &scorer.assess(&row)?,
        recourse: options,
    })
    .map(|()| Outcome::Done)
}
