//! `credit-scorer assess`: one applicant from a JSON file, scored and explained.

use std::path::Path;

use credit_scorer::{Error, ErrorKind, Scorer};

use super::{Outcome, print_json};

/// Scores and explains the applicant in the JSON file at `path`; prints the assessment as JSON.
pub(super) fn run(scorer: &Scorer, path: &Path) -> Result<Outcome, Error> {
    let path_text = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot read `{path_text}`: {e}")))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Error::new(ErrorKind::Input, format!("`{path_text}` is not JSON: {e}")))?;
    match credit_scorer::validate::validate_json(scorer.schema(), &value) {
        Ok(row) => print_json(&scorer.assess(&row)?).map(|()| Outcome::Done),
        Err(errors) => {
            let list: Vec<String> = errors
                .iter()
                .map(|e| format!("  {}: {}", e.field, e.message))
                .collect();
            Err(Error::new(
                ErrorKind::Input,
                format!("the applicant is invalid:\n{}", list.join("\n")),
            ))
        }
    }
}
