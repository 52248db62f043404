//! The one error type of this crate.

use thiserror::Error;

/// A user's error (from their own model or data source), kept as the source of ours.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Errors of predictors, metrics and data loading. Each names the offending value.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PredictorError {
    /// Two inputs that must have the same length do not.
    #[error("{what}: expected {expected} values, got {got}")]
    DimensionMismatch {
        /// Which input.
        what: &'static str,
        /// Expected length.
        expected: usize,
        /// Actual length.
        got: usize,
    },
    /// An input contains NaN or an infinity.
    #[error("{what}: value {value} at position {index} is not finite")]
    NonFinite {
        /// Which input.
        what: &'static str,
        /// Position of the first bad value.
        index: usize,
        /// The value.
        value: f64,
    },
    /// Too few samples for the requested statistic or fit.
    #[error("{what}: need at least {needed} samples, got {got}")]
    TooFewSamples {
        /// What needs them.
        what: &'static str,
        /// Minimum.
        needed: usize,
        /// Available.
        got: usize,
    },
    /// A rank statistic over a constant series is undefined.
    #[error("{what} is constant, so its rank correlation is undefined")]
    Constant {
        /// Which series.
        what: &'static str,
    },
    /// A hyperparameter is out of range.
    #[error("hyperparameter `{name}` = {value}: {reason}")]
    InvalidParam {
        /// Name.
        name: &'static str,
        /// The rejected value.
        value: String,
        /// Allowed range.
        reason: &'static str,
    },
    /// A linear system could not be solved (singular even after regularisation).
    #[error("{what}: the linear system is singular even after regularisation")]
    Singular {
        /// Which system.
        what: &'static str,
        /// The solver's error.
        #[source]
        source: BoxError,
    },
    /// Arrays could not be joined (an ndarray shape error).
    #[error("{what}: arrays of incompatible shapes")]
    Shape {
        /// Which arrays.
        what: &'static str,
        /// ndarray's error.
        #[source]
        source: ndarray::ShapeError,
    },
    /// A user's model or data source failed.
    #[error("{what} failed")]
    External {
        /// What was being done.
        what: String,
        /// The user's error.
        #[source]
        source: BoxError,
    },
    /// A data file is malformed.
    #[error("{file}: {}{message}", data_location(*.row, .column))]
    Data {
        /// File name.
        file: String,
        /// 1-based data row (0: header or file level).
        row: usize,
        /// Column name (empty when not about one column).
        column: String,
        /// What is wrong.
        message: String,
    },
    /// A serialised model could not be read or written.
    #[error("model (de)serialisation: {0}")]
    Serde(String),
}

/// "row 3, column `x`: " with the parts that are known (row 0: the header or the whole file).
fn data_location(row: usize, column: &str) -> String {
    let mut parts = Vec::new();
    if row > 0 {
        parts.push(format!("row {row}"));
    }
    if !column.is_empty() {
        parts.push(format!("column `{column}`"));
    }
    if parts.is_empty() { String::new() } else { format!("{}: ", parts.join(", ")) }
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, PredictorError>;

/// Check that every value is finite.
pub(crate) fn check_finite(what: &'static str, xs: impl IntoIterator<Item = f64>) -> Result<()> {
    for (index, value) in xs.into_iter().enumerate() {
        if !value.is_finite() {
            return Err(PredictorError::NonFinite { what, index, value });
        }
    }
    Ok(())
}

/// Check two lengths agree.
pub(crate) fn check_len(what: &'static str, expected: usize, got: usize) -> Result<()> {
    if expected != got {
        return Err(PredictorError::DimensionMismatch { what, expected, got });
    }
    Ok(())
}
