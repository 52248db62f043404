//! The one error type of this crate.

use thiserror::Error;

/// A user's error (from a device, predictor or accelerator), kept as the source of ours.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Errors of the co-design workflows.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CodesignError {
    /// From the accelerator cost model.
    #[error(transparent)]
    Sim(#[from] edgeopt_accel_sim::SimError),
    /// From a predictor or metric.
    #[error(transparent)]
    Predictor(#[from] edgeopt_predictors::PredictorError),
    /// From a search space or search.
    #[error(transparent)]
    Nas(#[from] edgeopt_nas::NasError),
    /// A device has no measurement for an architecture.
    #[error("device `{device}` has no measurement for architecture `{key}`")]
    NotMeasured {
        /// Device name.
        device: String,
        /// Architecture key.
        key: String,
    },
    /// A user's device failed to measure an architecture.
    #[error("device `{device}` failed to measure architecture `{key}`")]
    Device {
        /// Device name.
        device: String,
        /// Architecture key.
        key: String,
        /// The device's error.
        #[source]
        source: BoxError,
    },
    /// A workflow parameter is out of range.
    #[error("parameter `{name}` = {value}: {reason}")]
    InvalidParam {
        /// Name.
        name: &'static str,
        /// Value.
        value: String,
        /// Allowed range.
        reason: String,
    },
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, CodesignError>;
