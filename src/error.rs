//! The one error type of the crate: a kind to branch on and a message that says what was wrong
//! and what to do about it.

/// What went wrong, for callers that branch on it (the page maps kinds to help texts).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The bytes are not a readable ONNX model (empty, truncated, not protobuf).
    ModelFormat,
    /// The model is larger than the configured cap, or declares allocations above it (its
    /// tensors, from shape inference, above the memory budget for a batch, see SECURITY.md).
    ModelTooLarge,
    /// The model is readable but breaks the input/output contract (one float `[batch, k]` input,
    /// a probability output).
    ModelContract,
    /// The model uses something this scorer does not run (an operator, an opset, external data).
    ModelUnsupported,
    /// The model's weights hold NaN or infinity, or its outputs are not probabilities.
    ModelInvalid,
    /// The schema in the model's metadata is malformed or inconsistent with the graph.
    Schema,
    /// One or more applicant fields are invalid.
    Input,
    /// A CSV file could not be read or does not match the schema.
    Csv,
    /// Reading or writing a file failed.
    Io,
    /// The inference engine failed while running a model that had loaded.
    Inference,
    /// The lite build (without tract) cannot vouch for this model: it is not a chain of row-wise
    /// operators, or it carries no reference scores the chain reproduces. The page then loads
    /// the full build; a user never sees this kind.
    NeedsFullEngine,
}

/// The crate's error: a [`ErrorKind`] and a message for people.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    /// An error of `kind` with a message that names the problem and the fix.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message for people.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::new(ErrorKind::Io, format!("reading or writing failed: {e}"))
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
