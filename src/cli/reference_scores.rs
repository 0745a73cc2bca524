//! `credit-scorer reference-scores`: the model with tract's scores of its probe rows recorded,
//! so that the page's lite engine can run it.

use credit_scorer::{Error, ErrorKind};

use super::Outcome;
#[cfg(feature = "tract")]
use super::usage;

/// Without tract there is nothing to score the reference rows with.
#[cfg(not(feature = "tract"))]
pub(super) fn run(_bytes: &[u8], _output: Option<&str>) -> Result<Outcome, Error> {
    Err(Error::new(
        ErrorKind::NeedsFullEngine,
        "this build of the command line has no tract to score the rows with; build it with the default features",
    ))
}

/// `credit-scorer reference-scores`: the model with tract's scores of its probe rows recorded.
#[cfg(feature = "tract")]
pub(super) fn run(bytes: &[u8], output: Option<&str>) -> Result<Outcome, Error> {
    let output = output.ok_or_else(|| usage("give the file to write with -o OUT.onnx"))?;
    let made = credit_scorer::model::with_reference_scores(bytes)?;
    std::fs::write(output, &made.bytes)
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot write `{output}`: {e}")))?;
    eprintln!(
        "wrote {output}: {} reference rows scored by tract; {}",
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
