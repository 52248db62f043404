//! The model reduced to what shape import needs: nodes, and for every tensor its shape and (for
//! small integer constants such as Reshape targets) its values. Weight bytes are dropped here.

use std::collections::HashMap;

use crate::error::{OnnxError, Result};
use crate::input_shape::{DeclaredDim, InputShapes, resolve};
use crate::proto::{AttributeProto, GraphProto, NodeProto, TensorProto, ValueInfoProto};

/// Integer constants larger than this are not kept (shape tensors have a handful of elements).
const MAX_CONSTANT_VALUES: u64 = 4096;
/// Float constants with at most this many elements keep their values (Resize scales have 4).
const MAX_FLOAT_VALUES: u64 = 16;
const FLOAT: i32 = 1;
const INT32: i32 = 6;
const INT64: i32 = 7;

/// What is known about one tensor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TensorInfo {
    pub shape: Vec<u64>,
    /// Values of a small integer constant (or of a tensor computed from such constants).
    pub values: Option<Vec<i64>>,
    /// An initializer or `Constant` output: a weight, not an activation.
    pub constant: bool,
}

impl TensorInfo {
    pub fn activation(shape: Vec<u64>) -> TensorInfo {
        TensorInfo { shape, values: None, constant: false }
    }

    pub fn elements(&self) -> u64 {
        self.shape.iter().fold(1u64, |a, &d| a.saturating_mul(d))
    }
}

/// A node with a display name (`op#index` when unnamed).
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub name: String,
    pub proto: NodeProto,
}

impl Node {
    pub fn op(&self) -> &str {
        &self.proto.op_type
    }

    pub fn invalid(&self, reason: impl Into<String>) -> OnnxError {
        OnnxError::InvalidNode { node: self.name.clone(), op: self.proto.op_type.clone(), reason: reason.into() }
    }

    pub fn unsupported(&self, reason: impl Into<String>) -> OnnxError {
        OnnxError::Unsupported { node: self.name.clone(), op: self.proto.op_type.clone(), reason: reason.into() }
    }

    fn attr(&self, name: &str) -> Option<&AttributeProto> {
        self.proto.attribute.iter().find(|a| a.name == name)
    }

    pub fn int(&self, name: &str, default: i64) -> i64 {
        self.attr(name).map_or(default, |a| a.i)
    }

    pub fn ints(&self, name: &str) -> Option<&[i64]> {
        self.attr(name).map(|a| a.ints.as_slice())
    }

    pub fn string(&self, name: &str) -> Option<String> {
        self.attr(name).map(|a| String::from_utf8_lossy(&a.s).into_owned())
    }

    /// Name of input `i`, if present and not an omitted optional input.
    pub fn input(&self, i: usize) -> Option<&str> {
        self.proto.input.get(i).map(String::as_str).filter(|s| !s.is_empty())
    }
}

/// Shapes and small constant values by tensor name.
#[derive(Debug, Default)]
pub(crate) struct Tensors {
    map: HashMap<String, TensorInfo>,
    /// Values of tiny float constants (Resize scales), from `raw_data`.
    floats: HashMap<String, Vec<f32>>,
}

impl Tensors {
    /// Values of a tiny float constant, if `name` is one.
    pub fn floats(&self, name: &str) -> Option<&[f32]> {
        self.floats.get(name).map(Vec::as_slice)
    }

    /// Record `t`'s shape (and small values) under `name`.
    fn insert_constant(&mut self, name: &str, t: &TensorProto, what: &str) -> Result<()> {
        let info = constant_info(t, what)?;
        if t.data_type == FLOAT && info.elements() <= MAX_FLOAT_VALUES && t.raw_data.len() as u64 == 4 * info.elements()
        {
            let v = t.raw_data.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap_or([0; 4]))).collect();
            self.floats.insert(name.to_string(), v);
        }
        self.insert(name, info);
        Ok(())
    }

    pub fn get(&self, name: &str) -> Option<&TensorInfo> {
        self.map.get(name)
    }

    pub fn insert(&mut self, name: &str, info: TensorInfo) {
        self.map.insert(name.to_string(), info);
    }

    /// Input `i` of `node`, which must exist and have a known shape.
    pub fn input(&self, node: &Node, i: usize) -> Result<&TensorInfo> {
        let name = node.input(i).ok_or_else(|| node.invalid(format!("input {i} is missing")))?;
        self.map.get(name).ok_or_else(|| node.invalid(format!("input `{name}` is not produced by any earlier node")))
    }

    /// Optional input `i` of `node` (absent or empty name gives `None`).
    pub fn optional(&self, node: &Node, i: usize) -> Result<Option<&TensorInfo>> {
        match node.input(i) {
            None => Ok(None),
            Some(_) => self.input(node, i).map(Some),
        }
    }

    /// The integer values of input `i`, which must be a constant known at import time.
    pub fn values(&self, node: &Node, i: usize, what: &str) -> Result<Vec<i64>> {
        self.input(node, i)?.values.clone().ok_or_else(|| {
            node.unsupported(format!(
                "its {what} (input {i}) is computed at run time; only constant {what}s can be imported"
            ))
        })
    }
}

/// Shape and, for small integer tensors, values of a constant tensor; the payload is not kept.
pub(crate) fn constant_info(t: &TensorProto, what: &str) -> Result<TensorInfo> {
    let shape =
        t.dims.iter().map(|&d| u64::try_from(d)).collect::<std::result::Result<Vec<u64>, _>>().map_err(|_| {
            OnnxError::InvalidNode {
                node: what.to_string(),
                op: "initializer".into(),
                reason: format!("tensor `{}` has a negative dimension in {:?}", t.name, t.dims),
            }
        })?;
    let n = shape.iter().fold(1u64, |a, &d| a.saturating_mul(d));
    let values = if n > MAX_CONSTANT_VALUES || t.data_location == 1 {
        None
    } else {
        match t.data_type {
            INT64 if !t.int64_data.is_empty() => Some(t.int64_data.clone()),
            INT32 if !t.int32_data.is_empty() => Some(t.int32_data.iter().map(|&v| i64::from(v)).collect()),
            INT64 if t.raw_data.len() as u64 == 8 * n => {
                Some(t.raw_data.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect())
            }
            INT32 if t.raw_data.len() as u64 == 4 * n => Some(
                t.raw_data
                    .chunks_exact(4)
                    .map(|c| i64::from(i32::from_le_bytes(c.try_into().unwrap_or([0; 4]))))
                    .collect(),
            ),
            _ => None,
        }
    };
    Ok(TensorInfo { shape, values, constant: true })
}

fn declared_shape(v: &ValueInfoProto) -> Option<Vec<DeclaredDim>> {
    let shape = v.r#type.as_ref()?.tensor_type.as_ref()?.shape.as_ref()?;
    Some(
        shape
            .dim
            .iter()
            .map(|d| match (d.dim_value, &d.dim_param) {
                (Some(v), _) if v > 0 => DeclaredDim::Fixed(v as u64),
                (_, Some(p)) if !p.is_empty() => DeclaredDim::Dynamic(p.clone()),
                (Some(v), _) => DeclaredDim::Dynamic(v.to_string()),
                _ => DeclaredDim::Dynamic("?".into()),
            })
            .collect(),
    )
}

/// Fixed shapes a shape-inference pass stored in the model (`value_info`, outputs).
pub(crate) fn stored_shapes(graph: &GraphProto) -> HashMap<String, Vec<u64>> {
    graph
        .value_info
        .iter()
        .chain(&graph.output)
        .filter_map(|v| {
            let dims = declared_shape(v)?;
            let fixed = dims
                .iter()
                .map(|d| match d {
                    DeclaredDim::Fixed(v) => Some(*v),
                    DeclaredDim::Dynamic(_) => None,
                })
                .collect::<Option<Vec<u64>>>()?;
            Some((v.name.clone(), fixed))
        })
        .collect()
}

/// Take the weights out of `graph` (keeping shapes and small integer values), resolve the input
/// shapes, and return the tensor table and the nodes. After this nothing refers to weight bytes.
pub(crate) fn prepare(mut graph: GraphProto, shapes: &InputShapes) -> Result<(Tensors, Vec<Node>, Vec<String>)> {
    let mut tensors = Tensors::default();
    for t in std::mem::take(&mut graph.initializer) {
        tensors.insert_constant(&t.name, &t, &t.name)?;
    }
    // Graph inputs that are not initializers are the model's real inputs.
    let inputs: Vec<&ValueInfoProto> = graph.input.iter().filter(|v| tensors.get(&v.name).is_none()).collect();
    let names: Vec<&str> = inputs.iter().map(|v| v.name.as_str()).collect();
    if let Some(unknown) = shapes.unknown_names(&names).first() {
        return Err(OnnxError::InputShape {
            spec: unknown.to_string(),
            reason: format!("the model has no input `{unknown}` (its inputs: {})", names.join(", ")),
        });
    }
    let mut resolved = Vec::new();
    for (i, v) in inputs.iter().enumerate() {
        let declared = declared_shape(v);
        let shape = resolve(&v.name, declared.as_deref(), shapes.get(&v.name, i == 0))?;
        tensors.insert(&v.name, TensorInfo::activation(shape));
        resolved.push(v.name.clone());
    }
    let mut nodes = Vec::with_capacity(graph.node.len());
    for (i, mut proto) in std::mem::take(&mut graph.node).into_iter().enumerate() {
        let name = if proto.name.is_empty() { format!("{}#{i}", proto.op_type) } else { proto.name.clone() };
        // A Constant's tensor becomes a table entry now, so its bytes are not kept with the node.
        if proto.op_type == "Constant"
            && let Some(t) = proto.attribute.iter_mut().find_map(|a| a.t.take())
            && let Some(out) = proto.output.first()
        {
            tensors.insert_constant(out, &t, &name)?;
        }
        nodes.push(Node { name, proto });
    }
    Ok((tensors, nodes, resolved))
}
