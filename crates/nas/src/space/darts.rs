//! DARTS / NAS-Bench-301 genotypes: a normal and a reduction cell, each with four nodes that sum
//! two operations on earlier nodes (the two previous cells' outputs are inputs 0 and 1), lowered
//! as in the thesis (sec. 4.4): 20 cells of C = 36 on CIFAR, reductions at 1/3 and 2/3 of the
//! depth, FactorizedReduce after a reduction, `sep_conv` and `dil_conv` decomposed into depthwise
//! and pointwise convolutions.

use ndarray::Array1;
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use super::lowering::{Lowering, Net};
use crate::error::{NasError, Result};
use crate::{Encode, Layer, Lower, SearchSpace};

/// The eight DARTS operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DartsOp {
    /// `none` (zero).
    None,
    /// `max_pool_3x3`.
    MaxPool3,
    /// `avg_pool_3x3`.
    AvgPool3,
    /// `skip_connect` (FactorizedReduce when strided).
    Skip,
    /// `sep_conv_3x3`.
    SepConv3,
    /// `sep_conv_5x5`.
    SepConv5,
    /// `dil_conv_3x3`.
    DilConv3,
    /// `dil_conv_5x5`.
    DilConv5,
}

impl DartsOp {
    /// In encoding order.
    pub const ALL: [DartsOp; 8] = [
        DartsOp::None,
        DartsOp::MaxPool3,
        DartsOp::AvgPool3,
        DartsOp::Skip,
        DartsOp::SepConv3,
        DartsOp::SepConv5,
        DartsOp::DilConv3,
        DartsOp::DilConv5,
    ];

    /// DARTS's name.
    pub fn name(self) -> &'static str {
        [
            "none",
            "max_pool_3x3",
            "avg_pool_3x3",
            "skip_connect",
            "sep_conv_3x3",
            "sep_conv_5x5",
            "dil_conv_3x3",
            "dil_conv_5x5",
        ][self as usize]
    }
}

/// One cell: for each of the four nodes, two (operation, input) pairs; inputs 0 and 1 are the
/// previous cells, `2 + i` is node `i`.
pub type Cell = [[(DartsOp, u8); 2]; 4];

/// A genotype.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Genotype {
    /// Normal cell.
    pub normal: Cell,
    /// Reduction cell.
    pub reduce: Cell,
}

/// The DARTS space (CIFAR skeleton by default). Encoding: for each cell (normal, reduce), node and
/// input slot, a one-hot over the 8 operations and a one-hot over the 6 possible inputs; then 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Darts {
    /// Input resolution.
    pub resolution: u64,
    /// Initial channels C.
    pub channels: u64,
    /// Cells.
    pub cells: usize,
    /// Classes.
    pub classes: u64,
    /// What non-convolution layers [`Lower::layers`] emits.
    pub lowering: Lowering,
}

impl Darts {
    /// The thesis's lowering: CIFAR-10, 20 cells, C = 36.
    pub fn cifar10() -> Darts {
        Darts { resolution: 32, channels: 36, cells: 20, classes: 10, lowering: Lowering::default() }
    }

    /// DARTS (second order), as published.
    pub fn darts_v2() -> Genotype {
        use DartsOp::*;
        Genotype {
            normal: [
                [(SepConv3, 0), (SepConv3, 1)],
                [(SepConv3, 0), (SepConv3, 1)],
                [(SepConv3, 1), (Skip, 0)],
                [(Skip, 0), (DilConv3, 2)],
            ],
            reduce: [
                [(MaxPool3, 0), (MaxPool3, 1)],
                [(Skip, 2), (MaxPool3, 1)],
                [(MaxPool3, 0), (Skip, 2)],
                [(Skip, 2), (MaxPool3, 1)],
            ],
        }
    }

    fn factorized_reduce(net: &mut Net, name: &str, cin: u64, cout: u64, hw: u64) {
        net.conv(format!("{name}_fr1"), cin, cout / 2, 1, hw, 2, 1);
        net.conv(format!("{name}_fr2"), cin, cout - cout / 2, 1, hw, 2, 1);
    }

    #[allow(clippy::too_many_arguments)]
    fn op(net: &mut Net, lw: &Lowering, name: &str, op: DartsOp, c: u64, hw: u64, stride: u64) {
        match op {
            DartsOp::None => {}
            DartsOp::Skip => {
                if stride != 1 {
                    Darts::factorized_reduce(net, name, c, c, hw);
                }
            }
            DartsOp::MaxPool3 | DartsOp::AvgPool3 => {
                if lw.pooling {
                    net.pool(name.to_string(), c, 3, hw, stride);
                }
            }
            DartsOp::SepConv3 | DartsOp::SepConv5 => {
                let k = if op == DartsOp::SepConv3 { 3 } else { 5 };
                net.conv(format!("{name}_dw1"), c, c, k, hw, stride, c);
                let h2 = hw.div_ceil(stride);
                net.conv(format!("{name}_pw1"), c, c, 1, h2, 1, 1);
                net.conv(format!("{name}_dw2"), c, c, k, h2, 1, c);
                net.conv(format!("{name}_pw2"), c, c, 1, h2, 1, 1);
            }
            DartsOp::DilConv3 | DartsOp::DilConv5 => {
                // Dilation 2 leaves the MACs of a k×k depthwise convolution; the cost model sees it
                // as one (MAESTRO has no dilation).
                let k = if op == DartsOp::DilConv3 { 3 } else { 5 };
                net.conv(format!("{name}_dw"), c, c, k, hw, stride, c);
                net.conv(format!("{name}_pw"), c, c, 1, hw.div_ceil(stride), 1, 1);
            }
        }
    }

    fn build(&self, g: &Genotype, lw: &Lowering) -> Net {
        let mut net = Net::default();
        let stem = 3 * self.channels;
        net.conv("stem".into(), 3, stem, 3, self.resolution, 1, 1);
        let (mut c_pp, mut c_p, mut c) = (stem, stem, self.channels);
        let (mut hw_pp, mut hw_p) = (self.resolution, self.resolution);
        let mut reduction_prev = false;
        for i in 0..self.cells {
            let reduction = i == self.cells / 3 || i == 2 * self.cells / 3;
            if reduction {
                c *= 2;
            }
            let name = format!("cell{i}");
            if reduction_prev {
                Darts::factorized_reduce(&mut net, &format!("{name}_pre0"), c_pp, c, hw_pp);
            } else {
                net.conv(format!("{name}_pre0"), c_pp, c, 1, hw_pp, 1, 1);
            }
            net.conv(format!("{name}_pre1"), c_p, c, 1, hw_p, 1, 1);
            let cell = if reduction { &g.reduce } else { &g.normal };
            let out_hw = if reduction { hw_p.div_ceil(2) } else { hw_p };
            for (n, pair) in cell.iter().enumerate() {
                for (slot, &(op, input)) in pair.iter().enumerate() {
                    let stride = if reduction && input < 2 { 2 } else { 1 };
                    let in_hw = if stride == 2 { hw_p } else { out_hw };
                    Darts::op(&mut net, lw, &format!("{name}_n{n}_{slot}_{}", op.name()), op, c, in_hw, stride);
                }
                if lw.residual_adds {
                    net.elementwise(format!("{name}_n{n}_sum"), c, out_hw);
                }
            }
            c_pp = c_p;
            c_p = 4 * c;
            hw_pp = hw_p;
            hw_p = out_hw;
            reduction_prev = reduction;
        }
        if lw.pooling {
            net.pool("global_pool".into(), c_p, hw_p, hw_p, 1);
        }
        net.fc("classifier".into(), c_p, self.classes);
        net
    }

    fn sample_cell<R: Rng + ?Sized>(rng: &mut R) -> Cell {
        std::array::from_fn(|n| {
            let inputs = n as u8 + 2;
            let a = rng.random_range(0..inputs);
            let mut b = rng.random_range(0..inputs - 1);
            if b >= a {
                b += 1;
            }
            // NAS-Bench-301 never uses `none`.
            [(DartsOp::ALL[rng.random_range(1..8)], a), (DartsOp::ALL[rng.random_range(1..8)], b)]
        })
    }

    fn format_cell(cell: &Cell) -> String {
        cell.iter().flatten().map(|(op, i)| format!("('{}', {i})", op.name())).collect::<Vec<_>>().join(", ")
    }

    fn parse_cell(text: &str, key: &str) -> Result<Cell> {
        let bad = |reason: String| NasError::BadKey { space: "darts", key: key.to_string(), reason };
        let mut pairs = Vec::new();
        for chunk in text.split('(').skip(1) {
            let inner = chunk.split(')').next().unwrap_or("");
            let (op, idx) = inner.split_once(',').ok_or_else(|| bad(format!("`({inner})` is not ('op', input)")))?;
            let op = op.trim().trim_matches(|c| c == '\'' || c == '"');
            let op = DartsOp::ALL
                .into_iter()
                .find(|o| o.name() == op)
                .ok_or_else(|| bad(format!("unknown operation `{op}`")))?;
            let idx: u8 = idx.trim().parse().map_err(|_| bad(format!("input `{}` is not a number", idx.trim())))?;
            pairs.push((op, idx));
        }
        if pairs.len() != 8 {
            return Err(bad(format!("a cell needs 8 (op, input) pairs, found {}", pairs.len())));
        }
        let mut cell: Cell = [[(DartsOp::None, 0); 2]; 4];
        for (k, p) in pairs.into_iter().enumerate() {
            if p.1 as usize >= k / 2 + 2 {
                return Err(bad(format!("node {} cannot read input {}", k / 2, p.1)));
            }
            cell[k / 2][k % 2] = p;
        }
        Ok(cell)
    }
}

impl SearchSpace for Darts {
    type Arch = Genotype;
    fn name(&self) -> &'static str {
        "darts"
    }

    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Genotype {
        Genotype { normal: Darts::sample_cell(rng), reduce: Darts::sample_cell(rng) }
    }

    fn mutate<R: Rng + ?Sized>(&self, g: &Genotype, prob: f64, rng: &mut R) -> Genotype {
        let mut out = *g;
        let fresh = self.sample(rng);
        let p = prob.clamp(0.0, 1.0);
        for (cell, new) in [(&mut out.normal, fresh.normal), (&mut out.reduce, fresh.reduce)] {
            for n in 0..4 {
                if rng.random_bool(p) {
                    cell[n] = new[n];
                }
            }
        }
        out
    }

    fn crossover<R: Rng + ?Sized>(&self, a: &Genotype, b: &Genotype, rng: &mut R) -> Genotype {
        let mut out = *a;
        for n in 0..4 {
            if rng.random_bool(0.5) {
                out.normal[n] = b.normal[n];
            }
            if rng.random_bool(0.5) {
                out.reduce[n] = b.reduce[n];
            }
        }
        out
    }

    /// DARTS's genotype notation.
    fn key(&self, g: &Genotype) -> String {
        format!(
            "Genotype(normal=[{}], normal_concat=[2, 3, 4, 5], reduce=[{}], reduce_concat=[2, 3, 4, 5])",
            Darts::format_cell(&g.normal),
            Darts::format_cell(&g.reduce)
        )
    }

    fn parse_key(&self, key: &str) -> Result<Genotype> {
        let bad = |reason: String| NasError::BadKey { space: "darts", key: key.to_string(), reason };
        let section = |name: &str| -> Result<&str> {
            let start =
                key.find(&format!("{name}=[")).ok_or_else(|| bad(format!("no `{name}=[...]`")))? + name.len() + 2;
            let end = key[start..].find(']').ok_or_else(|| bad(format!("`{name}` is not closed")))?;
            Ok(&key[start..start + end])
        };
        Ok(Genotype {
            normal: Darts::parse_cell(section("normal")?, key)?,
            reduce: Darts::parse_cell(section("reduce")?, key)?,
        })
    }

    fn size(&self) -> f64 {
        // Per node: ordered op choices (7²) × input pairs; per cell the product; two cells.
        let per_cell: f64 = (0..4).map(|n| 49.0 * ((n + 2) * (n + 1) / 2) as f64).product();
        per_cell * per_cell
    }

    fn enumerate(&self) -> Option<Vec<Genotype>> {
        None
    }

    /// Skip connections in the normal cell and pooling in the reduction cell: no operation MACs.
    fn smallest(&self) -> Option<Genotype> {
        Some({
            let normal: Cell = std::array::from_fn(|n| [(DartsOp::Skip, n as u8 + 1), (DartsOp::Skip, n as u8)]);
            let reduce: Cell = std::array::from_fn(|n| {
                [(DartsOp::MaxPool3, 0), (DartsOp::MaxPool3, if n == 0 { 1 } else { n as u8 + 1 })]
            });
            Genotype { normal, reduce }
        })
    }

    fn largest(&self) -> Option<Genotype> {
        Some({
            let cell: Cell = std::array::from_fn(|n| {
                [(DartsOp::SepConv5, 0), (DartsOp::SepConv5, if n == 0 { 1 } else { n as u8 + 1 })]
            });
            Genotype { normal: cell, reduce: cell }
        })
    }
}

impl Encode for Darts {
    fn encode(&self, g: &Genotype) -> Array1<f64> {
        let mut v = Array1::zeros(self.encoding_len());
        for (c, cell) in [&g.normal, &g.reduce].into_iter().enumerate() {
            for (n, pair) in cell.iter().enumerate() {
                for (s, &(op, input)) in pair.iter().enumerate() {
                    let base = ((c * 4 + n) * 2 + s) * 14;
                    v[base + op as usize] = 1.0;
                    v[base + 8 + (input as usize).min(5)] = 1.0;
                }
            }
        }
        v[2 * 4 * 2 * 14] = 1.0;
        v
    }

    fn encoding_len(&self) -> usize {
        2 * 4 * 2 * 14 + 1
    }
}

impl Lower for Darts {
    fn layers_with(&self, g: &Genotype, lowering: &Lowering) -> Vec<Layer> {
        self.build(g, lowering).layers
    }

    fn layers(&self, g: &Genotype) -> Vec<Layer> {
        self.build(g, &self.lowering).layers
    }

    fn macs(&self, g: &Genotype) -> u64 {
        self.build(g, &Lowering::convolutions_only()).macs
    }

    fn params(&self, g: &Genotype) -> u64 {
        self.build(g, &Lowering::convolutions_only()).params
    }
}
