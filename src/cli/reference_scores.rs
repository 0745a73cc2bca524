//! `credit-scorer reference-scores`: the model with tract's scores of its probe rows recorded,
//! so that the page's lite engine can run it.

use std::path::Path;

use credit_scorer::Error;

use super::Outcome;

/// Without tract there is nothing to score the reference rows with.
#[cfg(not(feature = "tract"))]
pub(super) fn run(
    _bytes: &[u8],
    _model: &Path,
    _output: &Path,
    _force: bool,
) -> Result<Outcome, Error> {
    Err(Error::new(
        credit_scorer::ErrorKind::NeedsFullEngine,
        "this build of the command line has no tract to score the rows with; build it with the default features",
    ))
}

/// `credit-scorer reference-scores`: the model `bytes` (read from `model`) with tract's scores of
/// its probe rows recorded, written atomically to `output`.
#[cfg(feature = "tract")]
pub(super) fn run(
    bytes: &[u8],
    model: &Path,
    output: &Path,
    force: bool,
) -> Result<Outcome, Error> {
    // Refused before the work, not after it.
    let file = super::output::AtomicFile::create(output, &[model], false, force)?;
    let made = credit_scorer::model::with_reference_scores(bytes)?;
    file.write_and_commit(&made.bytes)?;
    eprintln!(
        "wrote {}: {} reference rows scored by tract; {}",
        output.display(),
        made.rows,
        if made.lite {
            "the page's lite engine will run it"
        } else {
            "it is not a chain of row-wise operators the direct evaluator runs, so the page \
             loads it with the full engine (which checks the reference scores too)"
        }
    );
    Ok(Outcome::Done)
}
