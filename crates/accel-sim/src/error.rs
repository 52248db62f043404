//! The one error type of this crate.

use std::sync::Arc;

use thiserror::Error;

/// A user's error inside a [`SimError`]: shared, so errors stay cheap to clone; two are equal
/// only when they are the same error.
#[derive(Debug, Clone)]
pub struct ExternalError(pub Arc<dyn std::error::Error + Send + Sync + 'static>);

impl ExternalError {
    /// Wrap any error.
    pub fn new(e: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> ExternalError {
        ExternalError(Arc::from(e.into()))
    }
}

impl PartialEq for ExternalError {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for ExternalError {}

impl std::fmt::Display for ExternalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for ExternalError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// Everything that can go wrong when describing or costing a workload on an accelerator.
///
/// Every variant names the offending value, so a caller can report it without context.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SimError {
    /// A user's accelerator (or other code behind [`Accelerator`](crate::Accelerator)) failed.
    #[error("{what} failed")]
    External {
        /// What was being costed.
        what: String,
        /// The user's error.
        #[source]
        source: ExternalError,
    },
    /// A layer dimension is zero, too large, or inconsistent with the others.
    #[error("layer `{layer}`: {reason}")]
    InvalidLayer {
        /// Name of the layer.
        layer: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A hardware parameter is out of range.
    #[error("hardware parameter `{name}` = {value}: {reason}")]
    InvalidHardware {
        /// Parameter name.
        name: &'static str,
        /// The rejected value, as given.
        value: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A dataflow mapping cannot be applied to a layer.
    #[error("layer `{layer}`: dataflow mapping is invalid: {reason}")]
    InvalidMapping {
        /// Name of the layer the mapping was applied to.
        layer: String,
        /// What is wrong.
        reason: String,
    },
    /// A mapping names a dimension the layer type does not have (MAESTRO: "Dimension K not found").
    #[error("layer `{layer}` ({kind}) has no dimension {dim}, but the dataflow maps it")]
    DimensionNotFound {
        /// Name of the layer.
        layer: String,
        /// Layer type.
        kind: String,
        /// The dimension named by the mapping.
        dim: String,
    },
    /// The accelerator has fewer PEs than the mapping's clusters need (MAESTRO divides by zero here).
    #[error(
        "layer `{layer}`: mapping needs at least {needed} PEs (product of its cluster sizes) but the accelerator has {available}"
    )]
    InsufficientPes {
        /// Name of the layer.
        layer: String,
        /// Product of the mapping's cluster sizes.
        needed: u64,
        /// PEs of the accelerator.
        available: u64,
    },
    /// An intermediate count does not fit in 63 bits; the workload is far beyond any real network.
    #[error("layer `{layer}`: cost model arithmetic overflowed; reduce the layer or mapping sizes")]
    Overflow {
        /// Name of the layer.
        layer: String,
    },
    /// A mixed assignment does not cover the network it is asked to cost.
    #[error("mixed accelerator assigns {assigned} layers but the network has {layers}")]
    AssignmentMismatch {
        /// Layers covered by the assignment.
        assigned: usize,
        /// Layers in the network.
        layers: usize,
    },
    /// A MAESTRO mapping or hardware file could not be parsed.
    #[error("{file}:{line}:{column}: {message}")]
    Parse {
        /// File name (or `<input>`).
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What was expected or found.
        message: String,
    },
    /// A layer CSV file could not be read.
    #[error("{file}: {}{message}", if *.row > 0 { format!("row {}: ", .row) } else { String::new() })]
    Csv {
        /// File name.
        file: String,
        /// 1-based data row (0 for the header or I/O errors).
        row: usize,
        /// What is wrong.
        message: String,
    },
    /// A layer-wise dataflow mixture does not fit the sweep it is part of.
    #[error("mixture {index}: {reason}")]
    InvalidMixture {
        /// Position of the mixture in the list.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// A design-space definition is empty or inconsistent.
    #[error("hardware design space: {0}")]
    InvalidSpace(String),
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, SimError>;
