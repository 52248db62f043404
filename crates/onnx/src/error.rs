//! The one error type of this crate.

use edgeopt_accel_sim::SimError;
use thiserror::Error;

/// Everything that can go wrong while importing an ONNX model. Each message is one line naming
/// the offending file, input, node or value.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum OnnxError {
    /// The model file cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What happened.
        source: std::io::Error,
    },
    /// The bytes are not a decodable ONNX protobuf (not ONNX at all, truncated or corrupt).
    #[error("{file}: not a readable ONNX model (protobuf decoding failed: {source})")]
    Decode {
        /// The file.
        file: String,
        /// The protobuf decoder's error.
        source: prost::DecodeError,
    },
    /// The protobuf decodes but holds no ONNX graph (e.g. another protobuf message or an empty file).
    #[error("{file}: not an ONNX model: {reason}")]
    NotOnnx {
        /// The file.
        file: String,
        /// What is missing.
        reason: String,
    },
    /// A `--input-shape` specification that does not parse or does not fit the model.
    #[error("input shape `{spec}`: {reason}")]
    InputShape {
        /// The specification as given.
        spec: String,
        /// What is wrong.
        reason: String,
    },
    /// A graph input has a dynamic dimension and no shape was given for it.
    #[error(
        "input `{input}` has dynamic dimension {index} (`{dim}`); give its shape, e.g. --input-shape {input}={example}"
    )]
    DynamicInput {
        /// Input name.
        input: String,
        /// Index of the first dynamic dimension.
        index: usize,
        /// Its symbolic name, or `?`.
        dim: String,
        /// The declared shape with `1` for dynamic dimensions, as a hint.
        example: String,
    },
    /// An operator that carries MACs but cannot be lowered to accelerator layers (recurrent
    /// layers, custom-domain or quantised operators, 3-D convolutions, control flow).
    #[error("node `{node}` ({op}): cannot be lowered to accelerator layers: {reason}")]
    Unsupported {
        /// Node name (or `#index` when the node is unnamed).
        node: String,
        /// Operator (`domain:op` for a custom domain).
        op: String,
        /// Why.
        reason: String,
    },
    /// A node whose inputs or attributes are inconsistent (unknown input tensor, rank mismatch...).
    #[error("node `{node}` ({op}): {reason}")]
    InvalidNode {
        /// Node name (or `#index` when the node is unnamed).
        node: String,
        /// Operator.
        op: String,
        /// What is wrong.
        reason: String,
    },
    /// A lowered layer is rejected by the cost model (dimension zero or beyond its limits).
    #[error("node `{node}` ({op}): {source}")]
    Layer {
        /// Node name.
        node: String,
        /// Operator.
        op: String,
        /// The cost model's reason.
        source: SimError,
    },
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, OnnxError>;
