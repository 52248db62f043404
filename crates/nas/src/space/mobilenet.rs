//! MobileNetV2-style spaces (ProxylessNAS / Once-for-All): five searchable stages of inverted
//! residual blocks, depth {2, 3, 4}, kernel {3, 5, 7}, expansion {3, 4, 6}, plus a searchable last
//! block (thesis ch. 3: 21 searchable blocks).

use ndarray::Array1;
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use super::lowering::{Lowering, Net, make_divisible};
use crate::error::{NasError, Result};
use crate::{Layer, SearchSpace};

/// Searchable blocks: 5 stages × 4 plus the last block.
pub const BLOCKS: usize = 21;
const STAGES: usize = 5;
const MAX_DEPTH: usize = 4;

/// An architecture: depth of each stage and kernel / expansion of every block. Blocks beyond a
/// stage's depth hold 0 (so equal networks compare equal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MbArch {
    /// Blocks used in each of the five stages.
    pub depths: [u8; STAGES],
    /// Kernel of each block (0 = unused).
    pub kernels: [u8; BLOCKS],
    /// Expansion ratio of each block (0 = unused).
    pub expansions: [u8; BLOCKS],
}

/// A MobileNetV2-style space with configurable widths and resolution.
///
/// Encoding (`21 × 9 + 1` values): for each block, a one-hot over the nine (kernel, expansion)
/// pairs in the order (k3,e3), (k3,e4), (k3,e6), (k5,e3), ..., (k7,e6) — all zero for an unused
/// block — then a constant 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MobileNetSpace {
    /// Input resolution.
    pub resolution: u64,
    /// Output channels of the stem convolution (stride 2).
    pub first_conv: u64,
    /// Output channels of the fixed first block (expansion 1, kernel 3).
    pub first_block: u64,
    /// Output channels of the five searchable stages.
    pub stage_widths: [u64; STAGES],
    /// Stride of the first block of each stage.
    pub stage_strides: [u64; STAGES],
    /// Output channels of the last searchable block.
    pub last_block: u64,
    /// Channels of the final 1×1 convolution.
    pub final_conv: u64,
    /// Classes.
    pub classes: u64,
    /// Kernel choices.
    pub kernels: Vec<u8>,
    /// Expansion choices.
    pub expansions: Vec<u8>,
    /// Depth choices per stage.
    pub depths: Vec<u8>,
    /// What non-convolution layers [`SearchSpace::layers`] emits.
    pub lowering: Lowering,
}

impl MobileNetSpace {
    /// Widths `[stem, first block, 5 stages, last block, final conv]` scaled by `mult` with
    /// `make_divisible(·, 8)`.
    fn with_widths(base: [u64; 9], mult: f64, resolution: u64) -> MobileNetSpace {
        let w: Vec<u64> = base.iter().map(|&b| make_divisible(b as f64 * mult, 8)).collect();
        MobileNetSpace {
            resolution,
            first_conv: w[0],
            first_block: w[1],
            stage_widths: [w[2], w[3], w[4], w[5], w[6]],
            stage_strides: [2, 2, 2, 1, 2],
            last_block: w[7],
            final_conv: if mult > 1.0 { w[8] } else { base[8] },
            classes: 1000,
            kernels: vec![3, 5, 7],
            expansions: vec![3, 4, 6],
            depths: vec![2, 3, 4],
            lowering: Lowering::default(),
        }
    }

    /// The space of the thesis (ch. 3) and OFA's ProxylessNAS supernet: MobileNetV2 widths
    /// `[32, 16, 24, 40, 80, 96, 192, 320, 1280]` × 1.3, at 224×224.
    pub fn ofa_proxyless() -> MobileNetSpace {
        MobileNetSpace::with_widths([32, 16, 24, 40, 80, 96, 192, 320, 1280], 1.3, 224)
    }

    /// MobileNetV2-1.0's widths `[32, 16, 24, 32, 64, 96, 160, 320, 1280]` at 224×224; the original
    /// network is [`MobileNetSpace::mobilenet_v2_arch`].
    pub fn mobilenet_v2() -> MobileNetSpace {
        MobileNetSpace::with_widths([32, 16, 24, 32, 64, 96, 160, 320, 1280], 1.0, 224)
    }

    /// The original MobileNetV2: depths 2, 3, 4, 3, 3; kernel 3 and expansion 6 everywhere.
    pub fn mobilenet_v2_arch(&self) -> MbArch {
        self.canonical(MbArch { depths: [2, 3, 4, 3, 3], kernels: [3; BLOCKS], expansions: [6; BLOCKS] })
    }

    fn used(depths: &[u8; STAGES], block: usize) -> bool {
        block == BLOCKS - 1 || (block % MAX_DEPTH) < depths[block / MAX_DEPTH] as usize
    }

    fn canonical(&self, mut a: MbArch) -> MbArch {
        for b in 0..BLOCKS {
            if !MobileNetSpace::used(&a.depths, b) {
                a.kernels[b] = 0;
                a.expansions[b] = 0;
            }
        }
        a
    }

    /// Lower with explicit options.
    pub fn layers_with(&self, arch: &MbArch, lowering: &Lowering) -> Vec<Layer> {
        self.build(arch, lowering).layers
    }

    #[allow(clippy::too_many_arguments)]
    fn block(
        net: &mut Net,
        lw: &Lowering,
        name: &str,
        cin: u64,
        cout: u64,
        k: u64,
        e: u64,
        hw: u64,
        stride: u64,
    ) -> u64 {
        let mid = cin * e;
        if e != 1 {
            net.conv(format!("{name}_expand"), cin, mid, 1, hw, 1, 1);
        }
        net.conv(format!("{name}_dw"), mid, mid, k, hw, stride, mid);
        let out_hw = hw.div_ceil(stride);
        net.conv(format!("{name}_project"), mid, cout, 1, out_hw, 1, 1);
        if lw.residual_adds && stride == 1 && cin == cout {
            net.elementwise(format!("{name}_add"), cout, out_hw);
        }
        out_hw
    }

    fn build(&self, a: &MbArch, lw: &Lowering) -> Net {
        let mut net = Net::default();
        net.conv("stem".into(), 3, self.first_conv, 3, self.resolution, 2, 1);
        let mut hw = self.resolution.div_ceil(2);
        hw = MobileNetSpace::block(&mut net, lw, "first", self.first_conv, self.first_block, 3, 1, hw, 1);
        let mut cin = self.first_block;
        for s in 0..STAGES {
            for d in 0..a.depths[s] as usize {
                let b = s * MAX_DEPTH + d;
                let stride = if d == 0 { self.stage_strides[s] } else { 1 };
                let (k, e) = (u64::from(a.kernels[b]), u64::from(a.expansions[b]));
                hw = MobileNetSpace::block(
                    &mut net,
                    lw,
                    &format!("s{s}b{d}"),
                    cin,
                    self.stage_widths[s],
                    k,
                    e,
                    hw,
                    stride,
                );
                cin = self.stage_widths[s];
            }
        }
        let (k, e) = (u64::from(a.kernels[BLOCKS - 1]), u64::from(a.expansions[BLOCKS - 1]));
        hw = MobileNetSpace::block(&mut net, lw, "last", cin, self.last_block, k, e, hw, 1);
        net.conv("final".into(), self.last_block, self.final_conv, 1, hw, 1, 1);
        if lw.pooling {
            net.pool("global_pool".into(), self.final_conv, hw, hw, 1);
        }
        net.fc("classifier".into(), self.final_conv, self.classes);
        net
    }

    /// The heuristic depth-scaling baseline (thesis ch. 3, baseline #2): `arch` with its total
    /// depth changed by `delta` blocks (|delta| ≤ 2 in the thesis). Blocks are added to the
    /// shallowest stages first (copying the kernel and expansion of the stage's last block) and
    /// removed from the deepest stages first; `None` when the depth choices do not allow it.
    pub fn depth_scaled(&self, arch: &MbArch, delta: i32) -> Option<MbArch> {
        let (lo, hi) = (*self.depths.iter().min()?, *self.depths.iter().max()?);
        let mut a = *arch;
        for _ in 0..delta.unsigned_abs() {
            if delta > 0 {
                let s = (0..STAGES).filter(|&s| a.depths[s] < hi).min_by_key(|&s| (a.depths[s], s))?;
                let last = s * MAX_DEPTH + a.depths[s] as usize - 1;
                let new = last + 1;
                a.kernels[new] = a.kernels[last];
                a.expansions[new] = a.expansions[last];
                a.depths[s] += 1;
            } else {
                let s = (0..STAGES).filter(|&s| a.depths[s] > lo).max_by_key(|&s| (a.depths[s], s))?;
                a.depths[s] -= 1;
            }
        }
        if !a.depths.iter().all(|d| self.depths.contains(d)) {
            return None;
        }
        Some(self.canonical(a))
    }

    /// The depth-scaled family of `arch`: total depth −2 … +2 (those the space allows).
    pub fn depth_scaling_family(&self, arch: &MbArch) -> Vec<MbArch> {
        (-2..=2).filter_map(|d| self.depth_scaled(arch, d)).collect()
    }

    fn pick<R: Rng + ?Sized>(v: &[u8], rng: &mut R) -> u8 {
        v[rng.random_range(0..v.len())]
    }
}

impl SearchSpace for MobileNetSpace {
    type Arch = MbArch;

    fn name(&self) -> &'static str {
        "mbv2"
    }

    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> MbArch {
        let a = MbArch {
            depths: std::array::from_fn(|_| MobileNetSpace::pick(&self.depths, rng)),
            kernels: std::array::from_fn(|_| MobileNetSpace::pick(&self.kernels, rng)),
            expansions: std::array::from_fn(|_| MobileNetSpace::pick(&self.expansions, rng)),
        };
        self.canonical(a)
    }

    fn mutate<R: Rng + ?Sized>(&self, arch: &MbArch, prob: f64, rng: &mut R) -> MbArch {
        let p = prob.clamp(0.0, 1.0);
        let mut a = *arch;
        for b in 0..BLOCKS {
            // Unused slots get fresh values so that a deeper stage has something to use.
            if a.kernels[b] == 0 || rng.random_bool(p) {
                a.kernels[b] = MobileNetSpace::pick(&self.kernels, rng);
            }
            if a.expansions[b] == 0 || rng.random_bool(p) {
                a.expansions[b] = MobileNetSpace::pick(&self.expansions, rng);
            }
        }
        for d in a.depths.iter_mut() {
            if rng.random_bool(p) {
                *d = MobileNetSpace::pick(&self.depths, rng);
            }
        }
        self.canonical(a)
    }

    fn crossover<R: Rng + ?Sized>(&self, x: &MbArch, y: &MbArch, rng: &mut R) -> MbArch {
        let mut a = *x;
        for b in 0..BLOCKS {
            if rng.random_bool(0.5) {
                a.kernels[b] = y.kernels[b];
            }
            if rng.random_bool(0.5) {
                a.expansions[b] = y.expansions[b];
            }
            if a.kernels[b] == 0 || a.expansions[b] == 0 {
                a.kernels[b] = if a.kernels[b] == 0 { MobileNetSpace::pick(&self.kernels, rng) } else { a.kernels[b] };
                a.expansions[b] =
                    if a.expansions[b] == 0 { MobileNetSpace::pick(&self.expansions, rng) } else { a.expansions[b] };
            }
        }
        for s in 0..STAGES {
            if rng.random_bool(0.5) {
                a.depths[s] = y.depths[s];
            }
        }
        self.canonical(a)
    }

    fn encode(&self, a: &MbArch) -> Array1<f64> {
        let (nk, ne) = (self.kernels.len(), self.expansions.len());
        let mut v = Array1::zeros(BLOCKS * nk * ne + 1);
        for b in 0..BLOCKS {
            let ki = self.kernels.iter().position(|&k| k == a.kernels[b]);
            let ei = self.expansions.iter().position(|&e| e == a.expansions[b]);
            if let (Some(ki), Some(ei)) = (ki, ei) {
                v[b * nk * ne + ki * ne + ei] = 1.0;
            }
        }
        v[BLOCKS * nk * ne] = 1.0;
        v
    }

    fn encoding_len(&self) -> usize {
        BLOCKS * self.kernels.len() * self.expansions.len() + 1
    }

    fn layers(&self, arch: &MbArch) -> Vec<Layer> {
        self.build(arch, &self.lowering).layers
    }

    fn macs(&self, arch: &MbArch) -> u64 {
        self.build(arch, &Lowering::convolutions_only()).macs
    }

    fn params(&self, arch: &MbArch) -> u64 {
        self.build(arch, &Lowering::convolutions_only()).params
    }

    /// `d2,3,4,3,3:k3,3,..:e6,6,..` with 0 for unused blocks.
    fn key(&self, a: &MbArch) -> String {
        let j = |v: &[u8]| v.iter().map(u8::to_string).collect::<Vec<_>>().join(",");
        format!("d{}:k{}:e{}", j(&a.depths), j(&a.kernels), j(&a.expansions))
    }

    fn parse_key(&self, key: &str) -> Result<MbArch> {
        let bad = |reason: String| NasError::BadKey { space: "mbv2", key: key.to_string(), reason };
        let parts: Vec<&str> = key.trim().split(':').collect();
        if parts.len() != 3 {
            return Err(bad("expected `d..:k..:e..`".into()));
        }
        let nums = |s: &str, prefix: char, n: usize| -> Result<Vec<u8>> {
            let body = s.strip_prefix(prefix).ok_or_else(|| bad(format!("part `{s}` should start with `{prefix}`")))?;
            let v = body
                .split(',')
                .map(|x| x.trim().parse::<u8>().map_err(|_| bad(format!("`{x}` is not a number"))))
                .collect::<Result<Vec<u8>>>()?;
            if v.len() != n {
                return Err(bad(format!("`{prefix}` needs {n} values, found {}", v.len())));
            }
            Ok(v)
        };
        let d = nums(parts[0], 'd', STAGES)?;
        let k = nums(parts[1], 'k', BLOCKS)?;
        let e = nums(parts[2], 'e', BLOCKS)?;
        let mut a = MbArch { depths: [0; STAGES], kernels: [0; BLOCKS], expansions: [0; BLOCKS] };
        a.depths.copy_from_slice(&d);
        a.kernels.copy_from_slice(&k);
        a.expansions.copy_from_slice(&e);
        for (s, &dv) in a.depths.iter().enumerate() {
            if !self.depths.contains(&dv) {
                return Err(bad(format!("stage {s} depth {dv} is not one of {:?}", self.depths)));
            }
        }
        for b in (0..BLOCKS).filter(|&b| MobileNetSpace::used(&a.depths, b)) {
            if !self.kernels.contains(&a.kernels[b]) {
                return Err(bad(format!("block {b} kernel {} is not one of {:?}", a.kernels[b], self.kernels)));
            }
            if !self.expansions.contains(&a.expansions[b]) {
                return Err(bad(format!(
                    "block {b} expansion {} is not one of {:?}",
                    a.expansions[b], self.expansions
                )));
            }
        }
        Ok(self.canonical(a))
    }

    fn size(&self) -> f64 {
        let per_block = (self.kernels.len() * self.expansions.len()) as f64;
        let per_stage: f64 = self.depths.iter().map(|&d| per_block.powi(i32::from(d))).sum();
        per_stage.powi(STAGES as i32) * per_block
    }

    fn enumerate(&self) -> Option<Vec<MbArch>> {
        None
    }

    fn smallest(&self) -> MbArch {
        let (k, e, d) = (
            *self.kernels.iter().min().unwrap_or(&3),
            *self.expansions.iter().min().unwrap_or(&3),
            *self.depths.iter().min().unwrap_or(&2),
        );
        self.canonical(MbArch { depths: [d; STAGES], kernels: [k; BLOCKS], expansions: [e; BLOCKS] })
    }

    fn largest(&self) -> MbArch {
        let (k, e, d) = (
            *self.kernels.iter().max().unwrap_or(&7),
            *self.expansions.iter().max().unwrap_or(&6),
            *self.depths.iter().max().unwrap_or(&4),
        );
        self.canonical(MbArch { depths: [d; STAGES], kernels: [k; BLOCKS], expansions: [e; BLOCKS] })
    }
}
