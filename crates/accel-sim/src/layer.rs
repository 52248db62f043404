//! The workload language: one DNN layer as the cost model sees it.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::error::{Result, SimError};

/// Largest accepted value of a single layer dimension (2^20).
pub const MAX_DIM: u64 = 1 << 20;
/// Largest accepted number of multiply-accumulates in one layer (2^44, about 1.8e13).
pub const MAX_MACS: u64 = 1 << 44;

/// Layer types, with MAESTRO's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LayerType {
    /// Dense convolution.
    Conv,
    /// Depthwise convolution: one filter per channel, `K` is ignored.
    DsConv,
    /// Grouped convolution with `G` groups (MAESTRO `NGCONV`): `K` and `C` are per group as in
    /// MAESTRO's own files, and MACs are `G·K·C·R·S·Y'·X'`.
    NgConv,
    /// Transposed convolution. MAESTRO costs it exactly like a `CONV` of the same dimensions.
    TrConv,
    /// Matrix multiply `(M×K)·(K×N)`, stored as a 1×1 convolution with `K = N`, `C = K`, `Y = M`, `X = 1`.
    Gemm,
    /// Fully connected layer: a convolution with `R = S = Y = X = 1`.
    Fc,
}

impl LayerType {
    /// MAESTRO's keyword for the type (`FC` is not a MAESTRO type; it is written as `CONV`).
    pub fn maestro_name(self) -> &'static str {
        match self {
            LayerType::Conv | LayerType::Fc => "CONV",
            LayerType::DsConv => "DSCONV",
            LayerType::NgConv => "NGCONV",
            LayerType::TrConv => "TRCONV",
            LayerType::Gemm => "GEMM",
        }
    }

    /// Parse a type keyword (case-insensitive): CONV, DSCONV, NGCONV, TRCONV, GEMM, FC.
    pub fn parse(s: &str) -> Option<LayerType> {
        // Compared in place: table readers call this once per row.
        let s = s.trim();
        [
            ("CONV", LayerType::Conv),
            ("DSCONV", LayerType::DsConv),
            ("NGCONV", LayerType::NgConv),
            ("TRCONV", LayerType::TrConv),
            ("GEMM", LayerType::Gemm),
            ("FC", LayerType::Fc),
        ]
        .into_iter()
        .find_map(|(name, kind)| s.eq_ignore_ascii_case(name).then_some(kind))
    }
}

impl fmt::Display for LayerType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            LayerType::Fc => "FC",
            other => other.maestro_name(),
        };
        f.write_str(s)
    }
}

/// One layer with MAESTRO's dimension names.
///
/// `y`, `x` are the **input** rows and columns and there is no padding: the output has
/// `Y' = (Y − R) / stride + 1` rows. Use [`Layer::conv_same`] to describe a "same"-padded layer by
/// its unpadded input size. `batch` repeats the layer (each image is costed as a separate pass).
///
/// ```
/// use edgeopt_accel_sim::Layer;
/// let l = Layer::conv("conv3x3", 64, 64, 3, 3, 56, 56, 1);
/// assert_eq!(l.output_rows(), 54);
/// assert_eq!(l.macs(), 64 * 64 * 9 * 54 * 54);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Layer {
    /// Name used in reports.
    pub name: String,
    /// Layer type.
    pub kind: LayerType,
    /// Batch size (1 for MAESTRO-compatible results).
    pub batch: u64,
    /// Groups (NGCONV only; 1 otherwise).
    pub groups: u64,
    /// Output channels (per group for NGCONV; ignored for DSCONV).
    pub k: u64,
    /// Input channels (per group for NGCONV).
    pub c: u64,
    /// Filter rows.
    pub r: u64,
    /// Filter columns.
    pub s: u64,
    /// Input rows (no padding).
    pub y: u64,
    /// Input columns (no padding).
    pub x: u64,
    /// Vertical stride.
    pub stride_y: u64,
    /// Horizontal stride.
    pub stride_x: u64,
}

impl Layer {
    fn base(name: &str, kind: LayerType) -> Layer {
        Layer {
            name: name.to_string(),
            kind,
            batch: 1,
            groups: 1,
            k: 1,
            c: 1,
            r: 1,
            s: 1,
            y: 1,
            x: 1,
            stride_y: 1,
            stride_x: 1,
        }
    }

    /// A dense convolution on an unpadded `y × x` input.
    #[allow(clippy::too_many_arguments)]
    pub fn conv(name: &str, k: u64, c: u64, r: u64, s: u64, y: u64, x: u64, stride: u64) -> Layer {
        Layer { k, c, r, s, y, x, stride_y: stride, stride_x: stride, ..Layer::base(name, LayerType::Conv) }
    }

    /// A dense convolution with "same" padding on an `h × w` feature map: the input is enlarged by
    /// the padding, so that the output has `ceil(h / stride)` rows as in PyTorch/TensorFlow.
    #[allow(clippy::too_many_arguments)]
    pub fn conv_same(name: &str, k: u64, c: u64, r: u64, s: u64, h: u64, w: u64, stride: u64) -> Layer {
        let (y, x) = same_padded_input(r, s, h, w, stride);
        Layer::conv(name, k, c, r, s, y, x, stride)
    }

    /// A depthwise convolution over `c` channels on an unpadded input.
    pub fn depthwise(name: &str, c: u64, r: u64, s: u64, y: u64, x: u64, stride: u64) -> Layer {
        Layer { c, r, s, y, x, stride_y: stride, stride_x: stride, ..Layer::base(name, LayerType::DsConv) }
    }

    /// A depthwise convolution with "same" padding on an `h × w` feature map.
    pub fn depthwise_same(name: &str, c: u64, r: u64, s: u64, h: u64, w: u64, stride: u64) -> Layer {
        let (y, x) = same_padded_input(r, s, h, w, stride);
        Layer::depthwise(name, c, r, s, y, x, stride)
    }

    /// A grouped convolution from PyTorch-style totals: `in_channels` and `out_channels` are split
    /// evenly over `groups` (MAESTRO's per-group `K = out/G`, `C = in/G`). Divisibility is checked by
    /// [`Layer::validate`] through the per-group values (a non-divisible split is rejected here).
    #[allow(clippy::too_many_arguments)]
    pub fn grouped(
        name: &str,
        groups: u64,
        out_channels: u64,
        in_channels: u64,
        r: u64,
        s: u64,
        y: u64,
        x: u64,
        stride: u64,
    ) -> Result<Layer> {
        if groups == 0 || !out_channels.is_multiple_of(groups) || !in_channels.is_multiple_of(groups) {
            return Err(SimError::InvalidLayer {
                layer: name.to_string(),
                reason: format!(
                    "{in_channels} input and {out_channels} output channels cannot be split into {groups} groups"
                ),
            });
        }
        Ok(Layer {
            groups,
            k: out_channels / groups,
            c: in_channels / groups,
            r,
            s,
            y,
            x,
            stride_y: stride,
            stride_x: stride,
            ..Layer::base(name, LayerType::NgConv)
        })
    }

    /// A fully connected layer `in_features → out_features`.
    pub fn fc(name: &str, out_features: u64, in_features: u64) -> Layer {
        Layer { k: out_features, c: in_features, ..Layer::base(name, LayerType::Fc) }
    }

    /// A matrix multiply `(m × k)·(k × n)`.
    pub fn gemm(name: &str, m: u64, n: u64, k: u64) -> Layer {
        Layer { k: n, c: k, y: m, ..Layer::base(name, LayerType::Gemm) }
    }

    /// Output rows `Y' = (Y − R) / stride_y + 1` (0 if the filter does not fit).
    pub fn output_rows(&self) -> u64 {
        out_size(self.y, self.r, self.stride_y)
    }

    /// Everything the cost model reads (not the name): layers with equal keys cost the same on
    /// any accelerator, so a caller costing many layers can analyse each key once.
    ///
    /// ```
    /// use edgeopt_accel_sim::Layer;
    /// let a = Layer::conv("a", 16, 8, 3, 3, 18, 18, 1);
    /// assert_eq!(a.shape_key(), Layer::conv("b", 16, 8, 3, 3, 18, 18, 1).shape_key());
    /// assert_ne!(a.shape_key(), Layer::conv("a", 16, 8, 3, 3, 18, 18, 2).shape_key());
    /// ```
    pub fn shape_key(&self) -> [u64; 11] {
        [
            self.kind as u64,
            self.batch,
            self.groups,
            self.k,
            self.c,
            self.r,
            self.s,
            self.y,
            self.x,
            self.stride_y,
            self.stride_x,
        ]
    }

    /// Output columns `X' = (X − S) / stride_x + 1` (0 if the filter does not fit).
    pub fn output_cols(&self) -> u64 {
        out_size(self.x, self.s, self.stride_x)
    }

    /// The output-channel count that the cost model uses (`C` for depthwise layers).
    fn effective_k(&self) -> u64 {
        if self.kind == LayerType::DsConv { 1 } else { self.k }
    }

    fn effective_groups(&self) -> u64 {
        if self.kind == LayerType::NgConv { self.groups } else { 1 }
    }

    /// Multiply-accumulates: `G·K·C·R·S·Y'·X'` (`C·R·S·Y'·X'` for depthwise), times the batch.
    pub fn macs(&self) -> u64 {
        [
            self.batch,
            self.effective_groups(),
            self.effective_k(),
            self.c,
            self.r,
            self.s,
            self.output_rows(),
            self.output_cols(),
        ]
        .iter()
        .fold(1u64, |a, &b| a.saturating_mul(b))
    }

    /// Number of weights (`G·K·C·R·S`; `C·R·S` for depthwise).
    pub fn weights(&self) -> u64 {
        [self.effective_groups(), self.effective_k(), self.c, self.r, self.s]
            .iter()
            .fold(1u64, |a, &b| a.saturating_mul(b))
    }

    /// Input activations per image (`G·C·Y·X`).
    pub fn input_elems(&self) -> u64 {
        [self.effective_groups(), self.c, self.y, self.x].iter().fold(1u64, |a, &b| a.saturating_mul(b))
    }

    /// Output activations per image (`G·K·Y'·X'`, `C·Y'·X'` for depthwise).
    pub fn output_elems(&self) -> u64 {
        let ch = if self.kind == LayerType::DsConv { self.c } else { self.effective_groups().saturating_mul(self.k) };
        ch.saturating_mul(self.output_rows()).saturating_mul(self.output_cols())
    }

    /// Check that the layer can be costed: every dimension in `1..=2^20`, the filter fits the input,
    /// FC layers are 1×1, and the MAC count stays below 2^44.
    pub fn validate(&self) -> Result<()> {
        let bad = |reason: String| Err(SimError::InvalidLayer { layer: self.name.clone(), reason });
        const NAMES: [&str; 10] = ["batch", "groups", "K", "C", "R", "S", "Y", "X", "stride_y", "stride_x"];
        let dims =
            [self.batch, self.groups, self.k, self.c, self.r, self.s, self.y, self.x, self.stride_y, self.stride_x];
        // One branch-free pass first: the cost model validates every distinct layer it costs.
        if !dims.iter().fold(true, |ok, &v| ok & (1..=MAX_DIM).contains(&v)) {
            for (name, v) in NAMES.into_iter().zip(dims) {
                if v == 0 {
                    return bad(format!("{name} = 0; every dimension must be at least 1"));
                }
                if v > MAX_DIM {
                    return bad(format!("{name} = {v} exceeds the supported maximum {MAX_DIM}"));
                }
            }
        }
        if self.r > self.y {
            return bad(format!("filter rows R = {} exceed input rows Y = {} (inputs are unpadded)", self.r, self.y));
        }
        if self.s > self.x {
            return bad(format!("filter cols S = {} exceed input cols X = {} (inputs are unpadded)", self.s, self.x));
        }
        if self.kind != LayerType::NgConv && self.groups != 1 {
            return bad(format!("groups = {} but only NGCONV layers are grouped", self.groups));
        }
        if self.kind == LayerType::Fc && (self.r, self.s, self.y, self.x) != (1, 1, 1, 1) {
            return bad("an FC layer must have R = S = Y = X = 1".to_string());
        }
        for (what, v) in [("MACs", self.macs()), ("weights", self.weights()), ("input size", self.input_elems())] {
            if v > MAX_MACS {
                return bad(format!("{what} = {v} exceeds the supported maximum {MAX_MACS}"));
            }
        }
        Ok(())
    }
}

fn out_size(input: u64, filter: u64, stride: u64) -> u64 {
    if input < filter || stride == 0 { 0 } else { (input - filter) / stride + 1 }
}

/// Input size that gives `ceil(h / stride)` outputs with an `r`-tall filter, i.e. `h` plus the
/// total "same" padding.
fn same_padded_input(r: u64, s: u64, h: u64, w: u64, stride: u64) -> (u64, u64) {
    let pad = |size: u64, f: u64| -> u64 {
        let st = stride.max(1);
        let out = size.div_ceil(st);
        // (out − 1)·stride + f rows are touched; never shrink the map.
        (out.saturating_sub(1).saturating_mul(st).saturating_add(f)).max(size)
    };
    (pad(h, r), pad(w, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_padding_keeps_spatial_size() {
        let l = Layer::conv_same("c", 8, 8, 3, 3, 56, 56, 1);
        assert_eq!((l.y, l.x), (58, 58));
        assert_eq!(l.output_rows(), 56);
        let s2 = Layer::conv_same("c", 8, 8, 3, 3, 56, 56, 2);
        assert_eq!(s2.output_rows(), 28);
        let pw = Layer::conv_same("c", 8, 8, 1, 1, 7, 7, 1);
        assert_eq!((pw.y, pw.output_rows()), (7, 7));
    }

    #[test]
    fn macs_per_type() {
        assert_eq!(Layer::depthwise("d", 144, 3, 3, 56, 56, 1).macs(), 144 * 9 * 54 * 54);
        assert_eq!(Layer::fc("f", 1000, 1280).macs(), 1_280_000);
        assert_eq!(Layer::gemm("g", 100, 20, 30).macs(), 100 * 20 * 30);
        let g = Layer::grouped("g", 32, 128, 128, 3, 3, 58, 58, 1).unwrap();
        assert_eq!(g.macs(), 32 * 4 * 4 * 9 * 56 * 56);
        assert!(Layer::grouped("g", 3, 128, 128, 3, 3, 58, 58, 1).is_err());
    }

    #[test]
    fn validation_names_the_offending_value() {
        let mut l = Layer::conv("bad", 0, 3, 3, 3, 8, 8, 1);
        let err = l.validate().unwrap_err().to_string();
        assert!(err.contains("K = 0"), "{err}");
        l.k = 4;
        l.r = 9;
        let err = l.validate().unwrap_err().to_string();
        assert!(err.contains("R = 9"), "{err}");
        let huge = Layer::conv("huge", MAX_DIM, MAX_DIM, 3, 3, 64, 64, 1);
        assert!(huge.validate().is_err());
        // The one-pass range check lets a dimension at either bound through, and words the
        // first one past a bound, the last dimension included.
        let mut edge = Layer::conv("edge", 1, 1, 1, 1, 1, MAX_DIM, 1);
        edge.validate().expect("every dimension within 1..=MAX_DIM");
        edge.stride_x = MAX_DIM + 1;
        let err = edge.validate().unwrap_err().to_string();
        assert!(err.contains(&format!("stride_x = {}", MAX_DIM + 1)), "{err}");
    }
}
