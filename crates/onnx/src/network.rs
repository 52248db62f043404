//! The result of an import: layers for the cost model, and everything else accounted.

use std::collections::HashSet;
use std::fmt::{self, Write as _};

use edgeopt_accel_sim::{Layer, LayerType, layer_csv};

/// What an unmodelled operator does, for the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum OpCategory {
    /// Max, average and global pooling.
    Pooling,
    /// Activations and element-wise arithmetic (residual additions, bias additions, scaling).
    Elementwise,
    /// Batch, layer, instance and group normalisation.
    Normalisation,
    /// Softmax and its variants.
    Softmax,
    /// Reshape, flatten, transpose, squeeze, cast, resize: data layout without arithmetic.
    Layout,
    /// Concat, split, slice, gather, pad: data movement between tensors.
    Concat,
    /// Reductions over axes (mean, sum, max, arg-max).
    Reduction,
    /// Einsum contractions: multiply-accumulates the cost model does not see.
    Contraction,
    /// Operators without a rule here, shaped from the shapes stored in the model.
    Other,
}

impl fmt::Display for OpCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OpCategory::Pooling => "pooling",
            OpCategory::Elementwise => "element-wise",
            OpCategory::Normalisation => "normalisation",
            OpCategory::Softmax => "softmax",
            OpCategory::Layout => "layout",
            OpCategory::Concat => "concat/slice",
            OpCategory::Reduction => "reduction",
            OpCategory::Contraction => "contraction",
            OpCategory::Other => "other",
        })
    }
}

/// An operator the cost model does not model, with the size of what it produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmodelledOp {
    /// Node name (`op#index` when the model leaves it unnamed).
    pub name: String,
    /// ONNX operator, e.g. `Add`.
    pub op: String,
    /// Category.
    pub category: OpCategory,
    /// Elements of its outputs (all of them, whole batch).
    pub elements: u64,
    /// Multiply-accumulates it performs that no layer covers (non-zero only for contractions).
    pub macs: u64,
}

/// An ONNX model lowered for the cost model.
///
/// `layers` go to any [`edgeopt_accel_sim::Accelerator`]; `unmodelled` lists every other operator
/// (constants excepted) with its output size, so nothing is silently dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedNetwork {
    /// Graph name from the model (may be empty).
    pub name: String,
    /// Lowered layers in graph order, named after their ONNX nodes.
    pub layers: Vec<Layer>,
    /// Operators the cost model does not model, in graph order.
    pub unmodelled: Vec<UnmodelledOp>,
    /// MACs of the lowered operators as ONNX defines them (a dilated filter counts its real taps).
    pub lowered_model_macs: u64,
    /// Resolved shapes of the graph inputs, `(name, dims)`.
    pub inputs: Vec<(String, Vec<u64>)>,
}

impl ImportedNetwork {
    /// MACs the cost model is given: the layers' own counts (dilated filters at their dense footprint).
    pub fn layer_macs(&self) -> u64 {
        self.layers.iter().map(Layer::macs).sum()
    }

    /// MACs of the whole model: lowered operators plus unmodelled contractions.
    pub fn model_macs(&self) -> u64 {
        self.lowered_model_macs + self.unmodelled.iter().map(|u| u.macs).sum::<u64>()
    }

    /// Fraction of the model's MACs that the lowered layers cover (1 for CNNs and for transformers
    /// exported with MatMul; below 1 when Einsum contractions remain). 1 for a model with no MACs.
    pub fn mac_coverage(&self) -> f64 {
        let total = self.model_macs();
        if total == 0 { 1.0 } else { self.lowered_model_macs as f64 / total as f64 }
    }

    /// Unmodelled operators grouped by category: `(category, operators, elements, macs)`.
    pub fn unmodelled_by_category(&self) -> Vec<(OpCategory, usize, u64, u64)> {
        let mut cats: Vec<OpCategory> = self.unmodelled.iter().map(|u| u.category).collect();
        cats.sort();
        cats.dedup();
        cats.into_iter()
            .map(|c| {
                let ops: Vec<&UnmodelledOp> = self.unmodelled.iter().filter(|u| u.category == c).collect();
                (c, ops.len(), ops.iter().map(|u| u.elements).sum(), ops.iter().map(|u| u.macs).sum())
            })
            .collect()
    }

    /// A human-readable summary: layer count and MACs, coverage, unmodelled operators by category.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{} lowered layers, {} MACs as costed ({} MACs as the model defines them)",
            self.layers.len(),
            self.layer_macs(),
            self.lowered_model_macs
        );
        for (c, n, elements, macs) in self.unmodelled_by_category() {
            let extra = if macs > 0 { format!(", {macs} MACs") } else { String::new() };
            let plural = if n == 1 { "" } else { "s" };
            let _ =
                writeln!(s, "not modelled by the cost model: {n} {c} op{plural}, {elements} output elements{extra}");
        }
        let _ = write!(
            s,
            "lowered layers cover {:.2}% of the model's {} MACs",
            100.0 * self.mac_coverage(),
            self.model_macs()
        );
        s
    }

    /// The layers as our layer CSV (names CSV-quoted where needed, with `batch`), readable by
    /// [`edgeopt_accel_sim::layer_csv::parse`].
    pub fn to_csv(&self) -> String {
        layer_csv::to_csv(&self.layers)
    }

    /// The layers as a MAESTRO model file (`Network { Layer { Type, Stride, Dimensions } }`).
    ///
    /// Names are made MAESTRO identifiers (other characters become `_`, duplicates get a suffix).
    /// FC layers are written as 1×1 CONV layers; a GEMM has no batch dimension in MAESTRO, so a
    /// batched GEMM is written once per batch element (`name_b0`, `name_b1`, …), which costs the
    /// same as the repeated layer.
    pub fn to_maestro(&self) -> String {
        let mut used = HashSet::new();
        let net = identifier(if self.name.is_empty() { "onnx" } else { &self.name }, &mut HashSet::new());
        let mut s = format!("Network {net} {{\n");
        for l in &self.layers {
            let copies = if l.kind == LayerType::Gemm { l.batch } else { 1 };
            for b in 0..copies {
                let name = if copies > 1 { format!("{}_b{b}", l.name) } else { l.name.clone() };
                let name = identifier(&name, &mut used);
                let dims = match l.kind {
                    LayerType::Gemm => format!("M: {}, N: {}, K: {}", l.y, l.k, l.c),
                    LayerType::NgConv => format!(
                        "N: {}, G: {}, K: {}, C: {}, R: {}, S: {}, Y: {}, X: {}",
                        l.batch, l.groups, l.k, l.c, l.r, l.s, l.y, l.x
                    ),
                    _ => format!(
                        "N: {}, K: {}, C: {}, R: {}, S: {}, Y: {}, X: {}",
                        l.batch, l.k, l.c, l.r, l.s, l.y, l.x
                    ),
                };
                let _ = write!(
                    s,
                    "\tLayer {name} {{\n\t\tType: {}\n\t\tStride {{ X: {}, Y: {} }}\n\t\tDimensions {{ {dims} }}\n\t}}\n",
                    l.kind.maestro_name(),
                    l.stride_x,
                    l.stride_y
                );
            }
        }
        s.push_str("}\n");
        s
    }
}

/// A MAESTRO identifier (`[A-Za-z_][A-Za-z0-9_]*`) not yet in `used`.
fn identifier(name: &str, used: &mut HashSet<String>) -> String {
    let mut id: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if !id.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        id.insert(0, 'L');
    }
    let mut unique = id.clone();
    let mut n = 1;
    while !used.insert(unique.clone()) {
        unique = format!("{id}_{n}");
        n += 1;
    }
    unique
}
