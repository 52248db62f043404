//! The one error type of this crate.

use thiserror::Error;

/// Errors of policies, environments and the simulator.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum BanditError {
    /// No arm to choose from.
    #[error("round {round}: the arm set is empty")]
    NoArms {
        /// Round.
        round: u64,
    },
    /// Contexts of the wrong length.
    #[error("context length {got} does not match the policy's {expected}")]
    ContextLength {
        /// Expected.
        expected: usize,
        /// Got.
        got: usize,
    },
    /// A NaN or infinite value.
    #[error("{what} is not finite ({value})")]
    NonFinite {
        /// What.
        what: &'static str,
        /// Value.
        value: f64,
    },
    /// Feedback for a decision this policy never made (or already answered).
    #[error("no pending decision with id {0}")]
    UnknownDecision(u64),
    /// A hyperparameter is out of range.
    #[error("parameter `{name}` = {value}: {reason}")]
    InvalidParam {
        /// Name.
        name: &'static str,
        /// Value.
        value: String,
        /// Allowed range.
        reason: &'static str,
    },
    /// A data file is malformed.
    #[error("{file}: {message}")]
    Data {
        /// File.
        file: String,
        /// What is wrong.
        message: String,
    },
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, BanditError>;

pub(crate) fn check_contexts(arms: ndarray::ArrayView2<f64>, expected: usize, round: u64) -> Result<()> {
    if arms.nrows() == 0 {
        return Err(BanditError::NoArms { round });
    }
    if arms.ncols() != expected {
        return Err(BanditError::ContextLength { expected, got: arms.ncols() });
    }
    if let Some(&v) = arms.iter().find(|v| !v.is_finite()) {
        return Err(BanditError::NonFinite { what: "a context value", value: v });
    }
    Ok(())
}
