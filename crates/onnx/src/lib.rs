//! # edgeopt-onnx
//!
//! Bring your own network: an ONNX model (from `torch.onnx.export`, tf2onnx, …) lowered to the
//! accelerator layers of [`edgeopt_accel_sim`], so it can be costed on any
//! [`Accelerator`](edgeopt_accel_sim::Accelerator), a hardware design space or the co-design
//! workflows, and written out as our layer CSV or a MAESTRO model file.
//!
//! * Lowered: `Conv` → CONV / DSCONV / NGCONV (stride, asymmetric padding, dilation as the dense
//!   footprint), `ConvTranspose` → TRCONV, `Gemm` and `MatMul` (batched, broadcast, attention's
//!   two products) → FC or GEMM per batch element.
//! * Accounted, not hidden: pooling, element-wise, normalisation, softmax, layout, concat/slice,
//!   reductions and Einsum are listed in [`ImportedNetwork::unmodelled`] with their element
//!   counts; [`ImportedNetwork::mac_coverage`] says how much of the model's MACs the layers cover.
//! * Refused with a one-line error naming the node and operator: operators with MACs and no
//!   layer type (LSTM, custom domains, quantised or 3-D convolutions), undecodable files, and
//!   dynamic input dimensions without a shape from [`InputShapes`].
//!
//! Only shapes are read. Weights stay in the file buffer while it is decoded (no copy) and are
//! released before shape propagation starts.
//!
//! ```
//! use edgeopt_accel_sim::{Accel, Accelerator, Dataflow, HardwareConfig};
//! use edgeopt_onnx::{InputShapes, proto::*};
//! use prost::Message;
//!
//! // A one-node model: a 3×3 convolution, 3 → 8 channels, on a 1×3×32×32 input.
//! let dim = |v| DimensionProto { dim_value: Some(v), dim_param: None };
//! let input = ValueInfoProto {
//!     name: "image".into(),
//!     r#type: Some(TypeProto { tensor_type: Some(TensorTypeProto {
//!         elem_type: 1,
//!         shape: Some(TensorShapeProto { dim: vec![dim(1), dim(3), dim(32), dim(32)] }),
//!     }) }),
//! };
//! let weight = TensorProto { name: "w".into(), dims: vec![8, 3, 3, 3], data_type: 1, ..Default::default() };
//! let conv = NodeProto {
//!     name: "conv1".into(), op_type: "Conv".into(),
//!     input: vec!["image".into(), "w".into()], output: vec!["y".into()],
//!     ..Default::default()
//! };
//! let model = ModelProto {
//!     ir_version: 8,
//!     graph: Some(GraphProto { node: vec![conv], initializer: vec![weight], input: vec![input], ..Default::default() }),
//!     ..Default::default()
//! };
//! let net = edgeopt_onnx::import(model.encode_to_vec(), "conv.onnx", &InputShapes::default()).unwrap();
//! assert_eq!(net.layers[0].output_rows(), 30);
//! assert_eq!(net.layer_macs(), 8 * 3 * 9 * 30 * 30);
//! let acc = Accel::new(HardwareConfig::new(64, 64, 16).build().unwrap(), Dataflow::KcP);
//! assert!(acc.evaluate(&net.layers).unwrap().cycles > 0);
//! ```
#![deny(missing_docs)]

mod error;
mod graph;
mod input_shape;
mod lower;
mod network;
mod ops;
pub mod proto;
mod reshape;

use std::path::Path;

use bytes::Bytes;
use prost::Message;

pub use error::{OnnxError, Result};
pub use input_shape::InputShapes;
pub use network::{ImportedNetwork, OpCategory, UnmodelledOp};

use graph::{TensorInfo, Tensors};

/// Read and import an `.onnx` file. `shapes` fixes dynamic input dimensions.
pub fn load(path: &Path, shapes: &InputShapes) -> Result<ImportedNetwork> {
    let bytes = std::fs::read(path).map_err(|source| OnnxError::Io { path: path.display().to_string(), source })?;
    import(bytes, &path.display().to_string(), shapes)
}

/// Import a model from its bytes; `file` names it in errors. The bytes are consumed and freed,
/// weights included, before shape propagation.
pub fn import(bytes: impl Into<Bytes>, file: &str, shapes: &InputShapes) -> Result<ImportedNetwork> {
    let model = proto::ModelProto::decode(bytes.into())
        .map_err(|source| OnnxError::Decode { file: file.to_string(), source })?;
    let not_onnx = |reason: &str| OnnxError::NotOnnx { file: file.to_string(), reason: reason.to_string() };
    if model.ir_version <= 0 {
        return Err(not_onnx("no IR version (is this an ONNX file?)"));
    }
    let graph = model.graph.ok_or_else(|| not_onnx("the model has no graph"))?;
    if graph.node.is_empty() {
        return Err(not_onnx("the graph has no nodes"));
    }
    let stored = graph::stored_shapes(&graph);
    let name = graph.name.clone();
    let (mut tensors, nodes, input_names) = graph::prepare(graph, shapes)?;
    let inputs = input_names.iter().filter_map(|n| tensors.get(n).map(|t| (n.clone(), t.shape.clone()))).collect();
    let mut net = ImportedNetwork { name, layers: Vec::new(), unmodelled: Vec::new(), lowered_model_macs: 0, inputs };
    for node in &nodes {
        let domain = node.proto.domain.as_str();
        if !matches!(domain, "" | "ai.onnx") {
            return Err(OnnxError::Unsupported {
                node: node.name.clone(),
                op: format!("{domain}:{}", node.op()),
                reason: format!("operators of the custom domain `{domain}` have no accelerator layer type"),
            });
        }
        let outputs = match node.op() {
            "Constant" => {
                constant(node, &mut tensors)?;
                continue;
            }
            "Conv" | "ConvTranspose" | "Gemm" | "MatMul" => {
                let lowered = match node.op() {
                    "Conv" => lower::conv(node, &tensors)?,
                    "ConvTranspose" => lower::conv_transpose(node, &tensors)?,
                    "Gemm" => lower::gemm(node, &tensors)?,
                    _ => lower::matmul(node, &tensors)?,
                };
                net.lowered_model_macs += lowered.model_macs;
                net.layers.push(lowered.layer);
                vec![TensorInfo::activation(lowered.output)]
            }
            _ => {
                let acc = ops::account(node, &tensors, &stored)?;
                net.unmodelled.push(UnmodelledOp {
                    name: node.name.clone(),
                    op: node.op().to_string(),
                    category: acc.category,
                    elements: acc.outputs.iter().map(TensorInfo::elements).sum(),
                    macs: acc.macs,
                });
                acc.outputs
            }
        };
        for (name, info) in node.proto.output.iter().zip(outputs) {
            if !name.is_empty() {
                tensors.insert(name, info);
            }
        }
    }
    if net.layers.is_empty() {
        return Err(not_onnx("no operator lowers to an accelerator layer (no Conv, ConvTranspose, Gemm or MatMul)"));
    }
    Ok(net)
}

/// A `Constant` node given by `value_int(s)` / `value_float(s)` (tensor values were taken in `prepare`).
fn constant(node: &graph::Node, tensors: &mut Tensors) -> Result<()> {
    let Some(out) = node.proto.output.first() else { return Ok(()) };
    if tensors.get(out).is_some() {
        return Ok(());
    }
    let attr = node.proto.attribute.first().ok_or_else(|| node.invalid("a Constant without a value"))?;
    let info = match attr.name.as_str() {
        "value_int" => TensorInfo { shape: vec![], values: Some(vec![attr.i]), constant: true },
        "value_ints" => {
            TensorInfo { shape: vec![attr.ints.len() as u64], values: Some(attr.ints.clone()), constant: true }
        }
        "value_float" => TensorInfo { shape: vec![], values: None, constant: true },
        "value_floats" => TensorInfo { shape: vec![attr.floats.len() as u64], values: None, constant: true },
        other => return Err(node.unsupported(format!("Constant `{other}` values are not supported"))),
    };
    tensors.insert(out, info);
    Ok(())
}
