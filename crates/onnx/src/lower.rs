//! Operators lowered to accelerator layers: Conv, ConvTranspose, Gemm and MatMul.
//!
//! MAESTRO's naming: `Y`, `X` are *input* rows and columns with the padding included, `K`, `C`
//! per group. Three choices, each documented in the crate README:
//! * `Y` is the part of the padded input the filter windows touch (never less than the unpadded
//!   input), the convention of [`Layer::conv_same`]: a padded row no window reads costs nothing.
//! * Dilation is costed as the equivalent dense filter of the dilated footprint
//!   (`R = (r − 1)·d + 1`): the accelerator streams the whole footprint. The extra MACs are
//!   reported ([`Lowered::model_macs`] keeps the true count).
//! * A transposed convolution is written input-stationary, as MAESTRO's zoo writes TRCONV: each
//!   of the `H×W` input pixels meets the `R×S` taps, stride 1, so the MACs are exactly
//!   `K·C·R·S·H·W` per image.

use edgeopt_accel_sim::{Layer, LayerType};

use crate::error::{OnnxError, Result};
use crate::graph::{Node, TensorInfo, Tensors};

/// One lowered node: its layer, its output shape and the MACs the ONNX operator performs.
pub(crate) struct Lowered {
    pub layer: Layer,
    pub output: Vec<u64>,
    /// MACs of the operator as ONNX defines it (differs from the layer's for dilated filters).
    pub model_macs: u64,
}

fn product(dims: &[u64]) -> u64 {
    dims.iter().fold(1u64, |a, &d| a.saturating_mul(d))
}

fn positive(node: &Node, what: &str, values: &[i64]) -> Result<Vec<u64>> {
    values
        .iter()
        .map(|&v| u64::try_from(v).ok().filter(|&v| v > 0))
        .collect::<Option<Vec<u64>>>()
        .ok_or_else(|| node.invalid(format!("{what} {values:?} must be positive")))
}

/// Spatial geometry of a convolution or pooling window along each spatial axis.
pub(crate) struct Window {
    pub kernel: Vec<u64>,
    pub strides: Vec<u64>,
    pub dilations: Vec<u64>,
    /// Total padding (begin + end) per axis.
    pub pads: Vec<u64>,
}

impl Window {
    /// Read `kernel_shape` (or `kernel` when absent), `strides`, `dilations`, `pads`, `auto_pad`.
    pub fn read(node: &Node, input: &[u64], kernel: Option<&[u64]>) -> Result<Window> {
        let n = input.len();
        if input.contains(&0) {
            return Err(node.invalid(format!("input spatial size {input:?} has an empty dimension")));
        }
        let kernel = match (node.ints("kernel_shape"), kernel) {
            (Some(k), _) => positive(node, "kernel_shape", k)?,
            (None, Some(k)) if !k.contains(&0) => k.to_vec(),
            (None, Some(k)) => return Err(node.invalid(format!("kernel {k:?} has an empty dimension"))),
            (None, None) => return Err(node.invalid("kernel_shape is missing")),
        };
        let list = |name: &str| -> Result<Vec<u64>> {
            match node.ints(name) {
                Some(v) if !v.is_empty() => positive(node, name, v),
                _ => Ok(vec![1; n]),
            }
        };
        let (strides, dilations) = (list("strides")?, list("dilations")?);
        if kernel.len() != n || strides.len() != n || dilations.len() != n {
            return Err(node.invalid(format!(
                "kernel {kernel:?}, strides {strides:?} and dilations {dilations:?} do not match the {n} spatial dimensions"
            )));
        }
        let effective: Vec<u64> = kernel.iter().zip(&dilations).map(|(&k, &d)| dilated(k, d)).collect();
        let auto_pad = node.string("auto_pad").unwrap_or_default();
        let pads = match auto_pad.as_str() {
            "" | "NOTSET" => {
                let p = node.ints("pads").unwrap_or(&[]);
                if p.is_empty() {
                    vec![0; n]
                } else if p.len() != 2 * n || p.iter().any(|&v| v < 0) {
                    return Err(node.invalid(format!("pads {p:?} must be {} non-negative values", 2 * n)));
                } else {
                    (0..n).map(|i| (p[i] as u64).saturating_add(p[i + n] as u64)).collect()
                }
            }
            "VALID" => vec![0; n],
            "SAME_UPPER" | "SAME_LOWER" => (0..n)
                .map(|i| {
                    let out = input[i].div_ceil(strides[i]);
                    ((out - 1).saturating_mul(strides[i]).saturating_add(effective[i])).saturating_sub(input[i])
                })
                .collect(),
            other => return Err(node.invalid(format!("unknown auto_pad `{other}`"))),
        };
        Ok(Window { kernel, strides, dilations, pads })
    }

    pub fn effective(&self, i: usize) -> u64 {
        dilated(self.kernel[i], self.dilations[i])
    }

    /// Output size along axis `i` of an input of size `input` (floor, or ceil with `ceil_mode`).
    pub fn output(&self, node: &Node, i: usize, input: u64, ceil: bool) -> Result<u64> {
        let padded = input.saturating_add(self.pads[i]);
        let eff = self.effective(i);
        if padded < eff {
            return Err(node.invalid(format!(
                "the {eff}-wide window does not fit the input of size {input} with padding {}",
                self.pads[i]
            )));
        }
        let span = padded - eff;
        let s = self.strides[i];
        Ok(if ceil { span.div_ceil(s) + 1 } else { span / s + 1 })
    }

    /// MAESTRO's input size: the touched part of the padded input, at least the unpadded input.
    fn touched(&self, i: usize, input: u64, out: u64) -> u64 {
        ((out - 1).saturating_mul(self.strides[i]).saturating_add(self.effective(i))).max(input)
    }
}

/// The footprint `(k − 1)·d + 1` of a `k`-tap filter with dilation `d` (`k`, `d` ≥ 1).
fn dilated(k: u64, d: u64) -> u64 {
    (k - 1).saturating_mul(d).saturating_add(1)
}

fn spatial(node: &Node, x: &TensorInfo, w: &TensorInfo) -> Result<usize> {
    let rank = x.shape.len();
    if rank != w.shape.len() {
        return Err(node.invalid(format!("input shape {:?} and weight shape {:?} differ in rank", x.shape, w.shape)));
    }
    match rank {
        3 | 4 => Ok(rank - 2),
        5 => Err(node.unsupported("3-D convolutions have no accelerator layer type")),
        _ => Err(node.invalid(format!("input shape {:?} is not N×C×H×W or N×C×L", x.shape))),
    }
}

/// `[Y, X]` axes of a 1-D or 2-D spatial shape: a 1-D signal is one row.
fn rows_cols<T: Copy>(v: &[T], one: T) -> (T, T) {
    if v.len() == 1 { (one, v[0]) } else { (v[0], v[1]) }
}

fn checked(node: &Node, layer: Layer) -> Result<Layer> {
    layer.validate().map_err(|source| OnnxError::Layer {
        node: node.name.clone(),
        op: node.op().to_string(),
        source,
    })?;
    Ok(layer)
}

/// `Conv` → CONV, DSCONV (group = C = K) or NGCONV.
pub(crate) fn conv(node: &Node, t: &Tensors) -> Result<Lowered> {
    let (x, w) = (t.input(node, 0)?, t.input(node, 1)?);
    let n = spatial(node, x, w)?;
    let (batch, c, m, group) = (x.shape[0], x.shape[1], w.shape[0], node.int("group", 1));
    let g = u64::try_from(group)
        .ok()
        .filter(|&g| g > 0 && c % g == 0 && m % g == 0)
        .ok_or_else(|| node.invalid(format!("group = {group} does not divide {c} input and {m} output channels")))?;
    if w.shape[1] != c / g {
        return Err(node.invalid(format!(
            "weight shape {:?} needs {} input channels per group, not {}",
            w.shape,
            w.shape[1],
            c / g
        )));
    }
    let input = &x.shape[2..];
    let win = Window::read(node, input, Some(&w.shape[2..]))?;
    let out: Vec<u64> = (0..n).map(|i| win.output(node, i, input[i], false)).collect::<Result<_>>()?;
    let touched: Vec<u64> = (0..n).map(|i| win.touched(i, input[i], out[i])).collect();
    let eff: Vec<u64> = (0..n).map(|i| win.effective(i)).collect();
    let ((y, x_), (r, s), (sy, sx)) = (rows_cols(&touched, 1), rows_cols(&eff, 1), rows_cols(&win.strides, 1));
    let mut layer = if g == 1 {
        Layer::conv(&node.name, m, c, r, s, y, x_, 1)
    } else if g == c && m == c {
        Layer::depthwise(&node.name, c, r, s, y, x_, 1)
    } else {
        Layer { kind: LayerType::NgConv, groups: g, ..Layer::conv(&node.name, m / g, c / g, r, s, y, x_, 1) }
    };
    layer.stride_y = sy;
    layer.stride_x = sx;
    layer.batch = batch;
    let mut output = vec![batch, m];
    output.extend(&out);
    let model_macs = product(&[batch, m, c / g, product(&win.kernel), product(&out)]);
    Ok(Lowered { layer: checked(node, layer)?, output, model_macs })
}

/// `ConvTranspose` → TRCONV (input-stationary: `Y = H + R − 1`, stride 1).
pub(crate) fn conv_transpose(node: &Node, t: &Tensors) -> Result<Lowered> {
    let (x, w) = (t.input(node, 0)?, t.input(node, 1)?);
    let n = spatial(node, x, w)?;
    let (batch, c) = (x.shape[0], x.shape[1]);
    if node.int("group", 1) != 1 {
        return Err(node.unsupported("grouped transposed convolutions have no accelerator layer type"));
    }
    if w.shape[0] != c {
        return Err(node.invalid(format!("weight shape {:?} does not start with the {c} input channels", w.shape)));
    }
    let m = w.shape[1];
    let input = &x.shape[2..];
    let win = Window::read(node, input, Some(&w.shape[2..]))?;
    let out: Vec<u64> = match node.ints("output_shape") {
        Some(v) if v.len() == n => positive(node, "output_shape", v)?,
        _ => {
            let extra = node.ints("output_padding").unwrap_or(&[]);
            (0..n)
                .map(|i| {
                    let full = win.strides[i]
                        .saturating_mul(input[i] - 1)
                        .saturating_add(win.effective(i))
                        .saturating_add(extra.get(i).copied().unwrap_or(0).max(0) as u64);
                    full.checked_sub(win.pads[i]).filter(|&o| o > 0).ok_or_else(|| {
                        node.invalid(format!("padding {} removes the whole output of size {full}", win.pads[i]))
                    })
                })
                .collect::<Result<_>>()?
        }
    };
    let eff: Vec<u64> = (0..n).map(|i| win.effective(i)).collect();
    let ((h, wd), (r, s)) = (rows_cols(input, 1), rows_cols(&eff, 1));
    let layer = Layer {
        kind: LayerType::TrConv,
        batch,
        ..Layer::conv(&node.name, m, c, r, s, h.saturating_add(r - 1), wd.saturating_add(s - 1), 1)
    };
    let mut output = vec![batch, m];
    output.extend(&out);
    let model_macs = product(&[batch, m, c, product(&win.kernel), product(input)]);
    Ok(Lowered { layer: checked(node, layer)?, output, model_macs })
}

/// A product `(M×K)·(K×N)` repeated `batch` times: FC when one row meets a weight matrix.
fn matmul_layer(node: &Node, batch: u64, m: u64, n: u64, k: u64, weight: bool) -> Result<Layer> {
    let mut layer = if m == 1 && weight { Layer::fc(&node.name, n, k) } else { Layer::gemm(&node.name, m, n, k) };
    layer.batch = batch;
    checked(node, layer)
}

/// `Gemm` (`A′·B′ + C` with optional transposes) → FC (one row) or GEMM.
pub(crate) fn gemm(node: &Node, t: &Tensors) -> Result<Lowered> {
    let (a, b) = (t.input(node, 0)?, t.input(node, 1)?);
    if a.shape.len() != 2 || b.shape.len() != 2 {
        return Err(node.invalid(format!("Gemm needs 2-D inputs, got {:?} and {:?}", a.shape, b.shape)));
    }
    let (m, ka) = if node.int("transA", 0) != 0 { (a.shape[1], a.shape[0]) } else { (a.shape[0], a.shape[1]) };
    let (kb, n) = if node.int("transB", 0) != 0 { (b.shape[1], b.shape[0]) } else { (b.shape[0], b.shape[1]) };
    if ka != kb {
        return Err(node.invalid(format!("inner dimensions differ: {:?} · {:?} ({ka} vs {kb})", a.shape, b.shape)));
    }
    let layer = matmul_layer(node, 1, m, n, ka, b.constant)?;
    Ok(Lowered { layer, output: vec![m, n], model_macs: product(&[m, n, ka]) })
}

/// `MatMul` with NumPy semantics (1-D operands, broadcast batch dimensions) → FC or GEMM per
/// batch element, `batch` = product of the broadcast leading dimensions.
pub(crate) fn matmul(node: &Node, t: &Tensors) -> Result<Lowered> {
    let (a, b) = (t.input(node, 0)?, t.input(node, 1)?);
    let (ra, rb) = (a.shape.len(), b.shape.len());
    if ra == 0 || rb == 0 {
        return Err(node.invalid("MatMul operands must have at least one dimension"));
    }
    let (m, ka, lead_a) =
        if ra == 1 { (1, a.shape[0], &[][..]) } else { (a.shape[ra - 2], a.shape[ra - 1], &a.shape[..ra - 2]) };
    let (kb, n, lead_b) =
        if rb == 1 { (b.shape[0], 1, &[][..]) } else { (b.shape[rb - 2], b.shape[rb - 1], &b.shape[..rb - 2]) };
    if ka != kb {
        return Err(node.invalid(format!("inner dimensions differ: {:?} · {:?} ({ka} vs {kb})", a.shape, b.shape)));
    }
    let lead = broadcast(lead_a, lead_b)
        .ok_or_else(|| node.invalid(format!("batch dimensions of {:?} and {:?} do not broadcast", a.shape, b.shape)))?;
    let batch = product(&lead);
    let mut output = lead;
    if ra > 1 {
        output.push(m);
    }
    if rb > 1 {
        output.push(n);
    }
    let layer = matmul_layer(node, batch, m, n, ka, b.constant)?;
    Ok(Lowered { layer, output, model_macs: product(&[batch, m, n, ka]) })
}

/// NumPy broadcasting of two shapes.
pub(crate) fn broadcast(a: &[u64], b: &[u64]) -> Option<Vec<u64>> {
    let n = a.len().max(b.len());
    (0..n)
        .map(|i| {
            let da = if i + a.len() >= n { a[i + a.len() - n] } else { 1 };
            let db = if i + b.len() >= n { b[i + b.len() - n] } else { 1 };
            match (da, db) {
                (x, y) if x == y => Some(x),
                (1, y) => Some(y),
                (x, 1) => Some(x),
                _ => None,
            }
        })
        .collect()
}
