//! Operators the cost model does not model: their output shapes (so import can go on) and the
//! category and element count under which they are listed.

use std::collections::HashMap;

use crate::error::Result;
use crate::graph::{Node, TensorInfo, Tensors};
use crate::lower::{Window, broadcast};
use crate::network::OpCategory;
use crate::reshape;

/// Outputs, category and (for Einsum only) MACs of an unmodelled node.
pub(crate) struct Accounted {
    pub outputs: Vec<TensorInfo>,
    pub category: OpCategory,
    pub macs: u64,
}

const UNARY: &[&str] = &[
    "Relu",
    "LeakyRelu",
    "Sigmoid",
    "Tanh",
    "HardSigmoid",
    "HardSwish",
    "Clip",
    "Elu",
    "Selu",
    "Celu",
    "Gelu",
    "Erf",
    "Sqrt",
    "Exp",
    "Log",
    "Neg",
    "Abs",
    "Reciprocal",
    "Softplus",
    "Softsign",
    "Mish",
    "Not",
    "Floor",
    "Ceil",
    "Round",
    "Sign",
    "Sin",
    "Cos",
    "ThresholdedRelu",
    "Shrink",
    "IsNaN",
    "IsInf",
    "CumSum",
    "Trilu",
];
const BINARY: &[&str] = &[
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Pow",
    "Max",
    "Min",
    "Sum",
    "Mean",
    "Equal",
    "Less",
    "LessOrEqual",
    "Greater",
    "GreaterOrEqual",
    "And",
    "Or",
    "Xor",
    "Where",
    "PRelu",
    "Mod",
    "BitShift",
];
const NORMALISATION: &[&str] = &[
    "BatchNormalization",
    "InstanceNormalization",
    "LayerNormalization",
    "GroupNormalization",
    "LRN",
    "LpNormalization",
    "MeanVarianceNormalization",
];
const SOFTMAX: &[&str] = &["Softmax", "LogSoftmax", "Hardmax"];
const LAYOUT: &[&str] = &[
    "Reshape",
    "Flatten",
    "Transpose",
    "Squeeze",
    "Unsqueeze",
    "Shape",
    "Expand",
    "Tile",
    "ConstantOfShape",
    "Identity",
    "Cast",
    "CastLike",
    "Dropout",
];
const REDUCE: &[&str] = &[
    "ReduceMean",
    "ReduceSum",
    "ReduceMax",
    "ReduceMin",
    "ReduceProd",
    "ReduceL1",
    "ReduceL2",
    "ReduceLogSum",
    "ReduceLogSumExp",
    "ReduceSumSquare",
    "ArgMax",
    "ArgMin",
];

fn same_shape(x: &TensorInfo, n: usize, keep_values: bool) -> Vec<TensorInfo> {
    let values = if keep_values { x.values.clone() } else { None };
    (0..n.max(1)).map(|_| TensorInfo { shape: x.shape.clone(), values: values.clone(), constant: false }).collect()
}

/// Shape rules for everything that is not lowered to a layer. `stored` holds shapes a
/// shape-inference pass saved in the model, the fallback for operators without a rule here.
pub(crate) fn account(node: &Node, t: &Tensors, stored: &HashMap<String, Vec<u64>>) -> Result<Accounted> {
    let op = node.op();
    let outputs = node.proto.output.len();
    let done = |outputs: Vec<TensorInfo>, category: OpCategory| Ok(Accounted { outputs, category, macs: 0 });
    if UNARY.contains(&op) || NORMALISATION.contains(&op) || SOFTMAX.contains(&op) {
        let category = if UNARY.contains(&op) {
            OpCategory::Elementwise
        } else if SOFTMAX.contains(&op) {
            OpCategory::Softmax
        } else {
            OpCategory::Normalisation
        };
        return done(same_shape(t.input(node, 0)?, 1, false), category);
    }
    if matches!(op, "Identity" | "Cast" | "CastLike" | "Dropout") {
        return done(same_shape(t.input(node, 0)?, outputs, true), OpCategory::Layout);
    }
    if BINARY.contains(&op) {
        let mut shape: Vec<u64> = Vec::new();
        for i in 0..node.proto.input.len() {
            if let Some(x) = t.optional(node, i)? {
                shape = broadcast(&shape, &x.shape)
                    .ok_or_else(|| node.invalid(format!("shapes {shape:?} and {:?} do not broadcast", x.shape)))?;
            }
        }
        return done(vec![TensorInfo::activation(shape)], OpCategory::Elementwise);
    }
    if let Some(outs) = reshape::infer(node, t)? {
        let category = if LAYOUT.contains(&op) { OpCategory::Layout } else { OpCategory::Concat };
        return done(outs, category);
    }
    match op {
        "MaxPool" | "AveragePool" | "LpPool" => {
            let x = t.input(node, 0)?;
            if x.shape.len() < 3 {
                return Err(node.invalid(format!("input shape {:?} is not N×C×spatial", x.shape)));
            }
            let win = Window::read(node, &x.shape[2..], None)?;
            let ceil = node.int("ceil_mode", 0) != 0;
            let mut shape = x.shape[..2].to_vec();
            for (i, &d) in x.shape[2..].iter().enumerate() {
                shape.push(win.output(node, i, d, ceil)?);
            }
            return done(same_shape(&TensorInfo::activation(shape), outputs, false), OpCategory::Pooling);
        }
        "GlobalAveragePool" | "GlobalMaxPool" | "GlobalLpPool" => {
            let x = t.input(node, 0)?;
            let shape = x.shape.iter().enumerate().map(|(i, &d)| if i < 2 { d } else { 1 }).collect();
            return done(vec![TensorInfo::activation(shape)], OpCategory::Pooling);
        }
        "Resize" | "Upsample" => return done(vec![TensorInfo::activation(resize(node, t)?)], OpCategory::Layout),
        "Einsum" => return einsum(node, t),
        _ => {}
    }
    if REDUCE.contains(&op) {
        return done(vec![TensorInfo::activation(reduce(node, t)?)], OpCategory::Reduction);
    }
    if let Some(reason) = unlowerable(op) {
        return Err(node.unsupported(reason));
    }
    // No rule here: weights mean MACs we would hide, so refuse; otherwise use stored shapes.
    for i in 0..node.proto.input.len() {
        if let Some(x) = t.optional(node, i)?
            && x.constant
            && x.shape.len() >= 2
        {
            return Err(node.unsupported(format!(
                "it has a weight tensor `{}` of shape {:?} and no lowering",
                node.input(i).unwrap_or_default(),
                x.shape
            )));
        }
    }
    let outs = node
        .proto
        .output
        .iter()
        .filter(|o| !o.is_empty())
        .map(|o| stored.get(o).map(|s| TensorInfo::activation(s.clone())).ok_or(o))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|o| {
            node.invalid(format!(
                "no shape rule for this operator and the model stores no shape for its output `{o}` (run onnx.shape_inference on the model)"
            ))
        })?;
    done(outs, OpCategory::Other)
}

/// Operators that carry MACs but have no accelerator layer, with the reason.
fn unlowerable(op: &str) -> Option<&'static str> {
    Some(match op {
        "LSTM" | "GRU" | "RNN" => "recurrent layers have no accelerator layer type; unroll them into MatMul/Gemm",
        "If" | "Loop" | "Scan" => "control flow has no static layer sequence",
        "QLinearConv" | "ConvInteger" | "QLinearMatMul" | "MatMulInteger" => {
            "quantised operators are not lowered; import the float model"
        }
        "DeformConv" => "deformable convolutions have no accelerator layer type",
        "NonZero" | "NonMaxSuppression" | "TopK" | "Unique" => "its output shape depends on the input values",
        _ => return None,
    })
}

fn reduce(node: &Node, t: &Tensors) -> Result<Vec<u64>> {
    let x = t.input(node, 0)?;
    let rank = x.shape.len();
    let keep = node.int("keepdims", 1) != 0;
    let axes: Vec<i64> = if matches!(node.op(), "ArgMax" | "ArgMin") {
        vec![node.int("axis", 0)]
    } else if let Some(a) = node.ints("axes") {
        a.to_vec()
    } else if node.input(1).is_some() {
        t.values(node, 1, "axes")?
    } else {
        Vec::new()
    };
    let axes: Vec<usize> = if axes.is_empty() {
        if node.int("noop_with_empty_axes", 0) != 0 {
            return Ok(x.shape.clone());
        }
        (0..rank).collect()
    } else {
        axes.iter().map(|&a| reshape::axis(node, a, rank)).collect::<Result<_>>()?
    };
    Ok((0..rank)
        .filter_map(|i| match (axes.contains(&i), keep) {
            (false, _) => Some(x.shape[i]),
            (true, true) => Some(1),
            (true, false) => None,
        })
        .collect())
}

/// `Resize` / `Upsample`: output sizes from a constant `sizes` input, or `floor(d·scale)` from
/// constant `scales` (an input, or Upsample-7's attribute).
fn resize(node: &Node, t: &Tensors) -> Result<Vec<u64>> {
    let x = t.input(node, 0)?;
    if node.op() == "Resize"
        && let Some(sizes) = t.optional(node, 3)?
        && sizes.elements() > 0
    {
        let s = t.values(node, 3, "sizes")?;
        return s.iter().map(|&v| u64::try_from(v).map_err(|_| node.invalid(format!("sizes {s:?}")))).collect();
    }
    // Resize-11+: (X, roi, scales, sizes); Resize-10 and Upsample-9: (X, scales); Upsample-7: attribute.
    let index = if node.op() == "Resize" && node.proto.input.len() > 2 { 2 } else { 1 };
    let scales: Vec<f32> = match (node.input(index), node.proto.attribute.iter().find(|a| a.name == "scales")) {
        (Some(name), _) => t
            .floats(name)
            .ok_or_else(|| node.unsupported(format!("its scales `{name}` are not a small float constant")))?
            .to_vec(),
        (None, Some(a)) if !a.floats.is_empty() => a.floats.clone(),
        _ => return Err(node.invalid("neither sizes nor scales are given")),
    };
    if scales.len() != x.shape.len() || scales.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
        return Err(node.invalid(format!("scales {scales:?} do not fit rank {}", x.shape.len())));
    }
    Ok(x.shape.iter().zip(&scales).map(|(&d, &s)| ((d as f64 * f64::from(s)).floor() as u64).max(1)).collect())
}

/// `Einsum`: shape from the equation; MACs = product of every index size (accounted, not lowered).
fn einsum(node: &Node, t: &Tensors) -> Result<Accounted> {
    let eq = node.string("equation").unwrap_or_default().replace(' ', "");
    let (lhs, rhs) =
        eq.split_once("->").ok_or_else(|| node.unsupported("only explicit `->` equations are supported"))?;
    let mut sizes: HashMap<char, u64> = HashMap::new();
    for (i, term) in lhs.split(',').enumerate() {
        let x = t.input(node, i)?;
        if term.contains('.') || term.chars().count() != x.shape.len() {
            return Err(node.unsupported(format!("term `{term}` does not match input shape {:?}", x.shape)));
        }
        for (c, &d) in term.chars().zip(&x.shape) {
            let e = sizes.entry(c).or_insert(d);
            if *e != d && d != 1 {
                *e = (*e).max(d);
            }
        }
    }
    let shape = rhs
        .chars()
        .map(|c| sizes.get(&c).copied())
        .collect::<Option<Vec<u64>>>()
        .ok_or_else(|| node.invalid(format!("output `{rhs}` uses an index no input has")))?;
    let macs = sizes.values().fold(1u64, |a, &d| a.saturating_mul(d));
    Ok(Accounted { outputs: vec![TensorInfo::activation(shape)], category: OpCategory::Contraction, macs })
}
