//! The one error type of this crate.

use thiserror::Error;

/// A user's error (from an objective, a device, a simulator), kept as the source of ours.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Errors of search spaces and searches.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum NasError {
    /// An architecture key could not be parsed.
    #[error("bad {space} architecture key `{key}`: {reason}")]
    BadKey {
        /// Space name.
        space: &'static str,
        /// The key.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// A search or space parameter is out of range.
    #[error("parameter `{name}` = {value}: {reason}")]
    InvalidParam {
        /// Name.
        name: &'static str,
        /// Value.
        value: String,
        /// Allowed range.
        reason: &'static str,
    },
    /// An objective returned NaN or an infinity.
    #[error("objective `{objective}` returned {value} for architecture `{key}`")]
    NonFiniteObjective {
        /// Which objective.
        objective: String,
        /// Value.
        value: f64,
        /// Architecture key.
        key: String,
    },
    /// A user's objective failed on an architecture.
    #[error("objective failed on architecture `{key}`")]
    Objective {
        /// Architecture key (the first of the failing batch for batch objectives).
        key: String,
        /// The objective's error.
        #[source]
        source: BoxError,
    },
    /// No architecture meets the constraints.
    #[error("no architecture met the constraints after {evaluated} evaluations")]
    Infeasible {
        /// Architectures evaluated.
        evaluated: usize,
    },
    /// Points of different dimension were mixed.
    #[error("points must all have {expected} objectives; point {index} has {got}")]
    Dimension {
        /// Expected dimension.
        expected: usize,
        /// Offending point.
        index: usize,
        /// Its dimension.
        got: usize,
    },
    /// A checkpoint could not be resumed.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, NasError>;
