//! `credit-scorer embed-schema`: a copy of a model with a schema in its metadata, checked as the
//! loader checks it (`model::with_schema`), every other byte of the file as it was.

use std::path::Path;

use credit_scorer::{Engine, Error, ErrorKind};

use super::Outcome;

/// `credit-scorer embed-schema`: the model `bytes` (read from `model`) with the schema in the file
/// `schema`, written atomically to `output`.
pub(super) fn run(
    bytes: &[u8],
    model: &Path,
    schema: &Path,
    output: &Path,
    force: bool,
) -> Result<Outcome, Error> {
    // Refused before the work, not after it.
    let file = super::output::AtomicFile::create(output, &[model, schema], false, force)?;
    let text = std::fs::read_to_string(schema).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!(
                "cannot read the schema `{}` (a UTF-8 JSON file): {e}",
                schema.display()
            ),
        )
    })?;
    let made = credit_scorer::model::with_schema(bytes, &text)
        .map_err(|e| Error::new(e.kind(), format!("`{}`: {}", schema.display(), e.message())))?;
    file.write_and_commit(&made.bytes)?;
    let engine = match &made.loads {
        Ok(Engine::Tract) => "this build loads it with tract".to_string(),
        Ok(Engine::Direct) => "this build loads it with the direct evaluator".to_string(),
        Ok(Engine::Trees) => "this build loads it with the tree evaluator".to_string(),
        Err(e) => format!("it does not load yet: {}", e.message()),
    };
    eprintln!(
        "wrote {}: the model with the schema of `{}` ({} features){}; {engine}",
        output.display(),
        made.schema.model.name,
        made.schema.features.len(),
        if made.replaced {
            ", replacing its own"
        } else {
            ""
        },
    );
    Ok(Outcome::Done)
}
