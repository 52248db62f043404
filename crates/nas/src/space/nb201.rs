//! NAS-Bench-201 (Dong & Yang, ICLR 2020): a 4-node cell with 6 edges, 5 operations per edge.

use ndarray::Array1;
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::choice::{crossover_each, mutate_each, sample_each};
use super::lowering::{Lowering, Net};
use crate::error::{NasError, Result};
use crate::{Encode, Layer, Lower, SearchSpace};

/// An edge operation, numbered as in NAS-Bench-201's `ops` digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Nb201Op {
    /// `none` (the edge is absent).
    None = 0,
    /// `skip_connect`.
    Skip = 1,
    /// `nor_conv_1x1` (ReLU–Conv–BN).
    Conv1x1 = 2,
    /// `nor_conv_3x3` (ReLU–Conv–BN).
    Conv3x3 = 3,
    /// `avg_pool_3x3`.
    AvgPool = 4,
}

impl Nb201Op {
    /// All operations in id order.
    pub const ALL: [Nb201Op; 5] = [Nb201Op::None, Nb201Op::Skip, Nb201Op::Conv1x1, Nb201Op::Conv3x3, Nb201Op::AvgPool];

    /// NAS-Bench-201's name.
    pub fn name(self) -> &'static str {
        match self {
            Nb201Op::None => "none",
            Nb201Op::Skip => "skip_connect",
            Nb201Op::Conv1x1 => "nor_conv_1x1",
            Nb201Op::Conv3x3 => "nor_conv_3x3",
            Nb201Op::AvgPool => "avg_pool_3x3",
        }
    }

    fn parse(s: &str) -> Option<Nb201Op> {
        Nb201Op::ALL.into_iter().find(|o| o.name() == s)
    }
}

/// Edges in key order: (from, to).
pub const EDGES: [(usize, usize); 6] = [(0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3)];

/// A cell: the operation on each of the six edges, in key order (0→1, 0→2, 1→2, 0→3, 1→3, 2→3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Nb201Arch(pub [Nb201Op; 6]);

impl Nb201Arch {
    /// The six op ids as digits, e.g. `334131` (the data set's `ops` column).
    pub fn digits(&self) -> String {
        self.0.iter().map(|o| char::from(b'0' + *o as u8)).collect()
    }
}

/// The NAS-Bench-201 space on one data set's skeleton: 3×3 stem to 16 channels, three stages of
/// five cells at 16/32/64 channels separated by residual reduction blocks, global average pooling
/// and a classifier.
///
/// Encoding (31 values): for each edge in key order, a one-hot over the five operations in id order
/// (none, skip, 1×1, 3×3, pool), then a constant 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nb201 {
    /// Input resolution (32 for CIFAR, 16 for ImageNet16-120).
    pub input: u64,
    /// Classes.
    pub classes: u64,
    /// Channels of the first stage.
    pub channels: u64,
    /// Cells per stage.
    pub cells_per_stage: u64,
    /// What non-convolution layers [`Lower::layers`] emits.
    pub lowering: Lowering,
}

impl Nb201 {
    /// CIFAR-10: 32×32 inputs, 10 classes.
    pub fn cifar10() -> Nb201 {
        Nb201 { input: 32, classes: 10, channels: 16, cells_per_stage: 5, lowering: Lowering::default() }
    }
    /// CIFAR-100: 32×32 inputs, 100 classes.
    pub fn cifar100() -> Nb201 {
        Nb201 { classes: 100, ..Nb201::cifar10() }
    }
    /// ImageNet16-120: 16×16 inputs, 120 classes.
    pub fn imagenet16() -> Nb201 {
        Nb201 { input: 16, classes: 120, ..Nb201::cifar10() }
    }

    /// FLOPs as the NAS-Bench-201 API reports them: multiply-accumulates of convolutions and the
    /// classifier, plus the classifier's bias additions (pooling, skip and sums are not counted).
    pub fn reported_flops(&self, arch: &Nb201Arch) -> u64 {
        self.macs(arch) + self.classes
    }

    /// The cell as an operation-on-node DAG for graph predictors (BRP-NAS style): node 0 is the
    /// input, nodes 1–6 the six edge operations in key order, node 7 the output. Node features are
    /// one-hot over [input, output, none, skip, 1×1, 3×3, pool].
    pub fn graph(&self, arch: &Nb201Arch) -> edgeopt_predictors::Graph {
        use ndarray::Array2;
        let mut adjacency = Array2::zeros((8, 8));
        let mut features = Array2::zeros((8, 7));
        features[(0, 0)] = 1.0;
        features[(7, 1)] = 1.0;
        for (e, &(from, to)) in EDGES.iter().enumerate() {
            features[(e + 1, 2 + arch.0[e] as usize)] = 1.0;
            if from == 0 {
                adjacency[(0, e + 1)] = 1.0;
            } else {
                // Every operation into node `from` feeds this operation.
                for (k, &(_, t2)) in EDGES.iter().enumerate() {
                    if t2 == from {
                        adjacency[(k + 1, e + 1)] = 1.0;
                    }
                }
            }
            if to == 3 {
                adjacency[(e + 1, 7)] = 1.0;
            }
        }
        edgeopt_predictors::Graph { adjacency, features }
    }

    fn build(&self, arch: &Nb201Arch, lw: &Lowering) -> Net {
        let mut net = Net::default();
        let c0 = self.channels;
        net.conv("stem".into(), 3, c0, 3, self.input, 1, 1);
        for stage in 0..3u64 {
            let c = c0 << stage;
            let hw = self.input >> stage;
            if stage > 0 {
                let (cin, hw_in) = (c / 2, hw * 2);
                net.conv(format!("reduce{stage}_a"), cin, c, 3, hw_in, 2, 1);
                net.conv(format!("reduce{stage}_b"), c, c, 3, hw, 1, 1);
                if lw.pooling {
                    net.pool(format!("reduce{stage}_pool"), cin, 2, hw_in, 2);
                }
                net.conv(format!("reduce{stage}_shortcut"), cin, c, 1, hw, 1, 1);
                if lw.residual_adds {
                    net.elementwise(format!("reduce{stage}_add"), c, hw);
                }
            }
            for cell in 0..self.cells_per_stage {
                for node in 1..=3usize {
                    let mut inputs = 0;
                    for (e, &(from, to)) in EDGES.iter().enumerate() {
                        if to != node {
                            continue;
                        }
                        let name = format!("s{stage}c{cell}_e{from}{to}");
                        match arch.0[e] {
                            Nb201Op::None => continue,
                            Nb201Op::Skip => {}
                            Nb201Op::Conv1x1 => net.conv(name, c, c, 1, hw, 1, 1),
                            Nb201Op::Conv3x3 => net.conv(name, c, c, 3, hw, 1, 1),
                            Nb201Op::AvgPool => {
                                if lw.pooling {
                                    net.pool(name, c, 3, hw, 1);
                                }
                            }
                        }
                        inputs += 1;
                    }
                    if lw.residual_adds {
                        for k in 1..inputs {
                            net.elementwise(format!("s{stage}c{cell}_n{node}_sum{k}"), c, hw);
                        }
                    }
                }
            }
        }
        let (c, hw) = (c0 << 2, self.input >> 2);
        if lw.pooling {
            net.pool("global_pool".into(), c, hw, hw, 1);
        }
        net.fc("classifier".into(), c, self.classes);
        net
    }
}

impl SearchSpace for Nb201 {
    type Arch = Nb201Arch;
    fn name(&self) -> &'static str {
        "nb201"
    }

    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Nb201Arch {
        Nb201Arch(sample_each(&Nb201Op::ALL, rng))
    }

    fn mutate<R: Rng + ?Sized>(&self, arch: &Nb201Arch, prob: f64, rng: &mut R) -> Nb201Arch {
        Nb201Arch(mutate_each(&arch.0, &Nb201Op::ALL, prob, rng))
    }

    fn crossover<R: Rng + ?Sized>(&self, a: &Nb201Arch, b: &Nb201Arch, rng: &mut R) -> Nb201Arch {
        Nb201Arch(crossover_each(&a.0, &b.0, rng))
    }

    fn key(&self, arch: &Nb201Arch) -> String {
        let n = |e: usize| format!("{}~{}", arch.0[e].name(), EDGES[e].0);
        format!("|{}|+|{}|{}|+|{}|{}|{}|", n(0), n(1), n(2), n(3), n(4), n(5))
    }

    fn parse_key(&self, key: &str) -> Result<Nb201Arch> {
        let bad = |reason: String| NasError::BadKey { space: "nb201", key: key.to_string(), reason };
        let nodes: Vec<&str> = key.trim().split('+').collect();
        if nodes.len() != 3 {
            return Err(bad(format!("expected 3 nodes separated by `+`, found {}", nodes.len())));
        }
        let mut ops = [Nb201Op::None; 6];
        let mut e = 0;
        for (j, node) in nodes.iter().enumerate() {
            let inner = node
                .strip_prefix('|')
                .and_then(|s| s.strip_suffix('|'))
                .ok_or_else(|| bad(format!("node {} must be wrapped in `|`", j + 1)))?;
            let edges: Vec<&str> = inner.split('|').collect();
            if edges.len() != j + 1 {
                return Err(bad(format!("node {} needs {} inputs, found {}", j + 1, j + 1, edges.len())));
            }
            for (i, edge) in edges.iter().enumerate() {
                let (name, from) = edge.split_once('~').ok_or_else(|| bad(format!("edge `{edge}` lacks `~input`")))?;
                if from != i.to_string() {
                    return Err(bad(format!("edge `{edge}` should read from node {i}")));
                }
                ops[e] = Nb201Op::parse(name).ok_or_else(|| bad(format!("unknown operation `{name}`")))?;
                e += 1;
            }
        }
        Ok(Nb201Arch(ops))
    }

    fn size(&self) -> f64 {
        15_625.0
    }

    fn enumerate(&self) -> Option<Vec<Nb201Arch>> {
        Some(
            (0..15_625usize)
                .map(|mut i| {
                    Nb201Arch(std::array::from_fn(|_| {
                        let op = Nb201Op::ALL[i % 5];
                        i /= 5;
                        op
                    }))
                })
                .map(|a| {
                    let mut r = a.0;
                    r.reverse();
                    Nb201Arch(r)
                })
                .collect(),
        )
    }

    fn smallest(&self) -> Option<Nb201Arch> {
        Some(Nb201Arch([Nb201Op::None; 6]))
    }

    fn largest(&self) -> Option<Nb201Arch> {
        Some(Nb201Arch([Nb201Op::Conv3x3; 6]))
    }
}

impl Encode for Nb201 {
    fn encode(&self, arch: &Nb201Arch) -> Array1<f64> {
        let mut v = Array1::zeros(31);
        for (e, op) in arch.0.iter().enumerate() {
            v[e * 5 + *op as usize] = 1.0;
        }
        v[30] = 1.0;
        v
    }

    fn encoding_len(&self) -> usize {
        31
    }

    /// One group per operator: its one-hot column on each of the six edges.
    fn feature_groups(&self) -> Vec<Vec<usize>> {
        (0..5).map(|op| (0..6).map(|e| e * 5 + op).collect()).collect()
    }
}

impl Lower for Nb201 {
    fn layers_with(&self, arch: &Nb201Arch, lowering: &Lowering) -> Vec<Layer> {
        self.build(arch, lowering).layers
    }

    fn layers(&self, arch: &Nb201Arch) -> Vec<Layer> {
        self.build(arch, &self.lowering).layers
    }

    fn macs(&self, arch: &Nb201Arch) -> u64 {
        self.build(arch, &Lowering::convolutions_only()).macs
    }

    fn params(&self, arch: &Nb201Arch) -> u64 {
        self.build(arch, &Lowering::convolutions_only()).params
    }
}
