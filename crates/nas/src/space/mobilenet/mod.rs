//! MobileNet-style spaces of inverted-residual blocks: five searchable stages with depth, kernel
//! and expansion choices, optional squeeze-and-excitation, an optional searchable last block and
//! a choice of input resolution. Instances: MobileNetV2 / ProxylessNAS-OFA (thesis ch. 3),
//! Once-for-All MobileNetV3, and AlphaNet (AttentiveNAS-style, the thesis's simplified variant).

mod depth_scaling;
mod network;

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use super::lowering::{Lowering, make_divisible};
use crate::SearchSpace;
use crate::error::{NasError, Result};

/// Searchable stages.
pub const STAGES: usize = 5;

/// An architecture: resolution, depth of each stage, and kernel / expansion of every block slot
/// (`5 × max depth` slots, then the last block if it is searchable). Unused slots hold 0 so that
/// equal networks compare equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MbArch {
    /// Input resolution.
    pub resolution: u64,
    /// Blocks used in each stage.
    pub depths: [u8; STAGES],
    /// Kernel per slot (0 = unused).
    pub kernels: Vec<u8>,
    /// Expansion per slot (0 = unused).
    pub expansions: Vec<u8>,
}

/// How the network ends after the last stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Head {
    /// A last inverted-residual block (searchable or fixed kernel/expansion), then a 1×1
    /// convolution to `final_conv`, global pooling and the classifier (MobileNetV2, AlphaNet).
    Block {
        /// Output channels of the last block.
        width: u64,
        /// `Some((kernel, expansion))` when fixed, `None` when searchable.
        fixed: Option<(u8, u8)>,
        /// Channels of the final 1×1 convolution.
        final_conv: u64,
    },
    /// MobileNetV3: 1×1 convolution to `expand`, global pooling, a 1×1 "feature mix" to `mix`,
    /// then the classifier.
    V3 {
        /// Final expansion width.
        expand: u64,
        /// Feature-mix width.
        mix: u64,
    },
}

/// A MobileNet-style space.
///
/// Encoding: for each block slot, a one-hot over the (kernel, expansion) pairs (all zero for an
/// unused slot) — or, for OFA MobileNetV3, OFA's layout of a kernel one-hot then an expansion
/// one-hot per slot — then a one-hot over the resolutions when there are several, then a
/// constant 1. [`Encode::encoding_len`](crate::Encode::encoding_len) gives the length (128 for OFA MobileNetV3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MobileNetSpace {
    /// Name reported by [`SearchSpace::name`].
    pub label: &'static str,
    /// Resolution choices.
    pub resolutions: Vec<u64>,
    /// Output channels of the stem convolution (stride 2).
    pub first_conv: u64,
    /// Output channels of the fixed first block (expansion 1, kernel 3).
    pub first_block: u64,
    /// Output channels of the five stages.
    pub stage_widths: [u64; STAGES],
    /// Stride of the first block of each stage.
    pub stage_strides: [u64; STAGES],
    /// Squeeze-and-excitation in each stage.
    pub squeeze_excite: [bool; STAGES],
    /// The end of the network.
    pub head: Head,
    /// Classes.
    pub classes: u64,
    /// Kernel choices.
    pub kernels: Vec<u8>,
    /// Expansion choices.
    pub expansions: Vec<u8>,
    /// Depth choices per stage.
    pub depths: Vec<u8>,
    /// Separate kernel and expansion one-hots per slot (OFA's encoder) instead of joint pairs.
    pub separate_onehots: bool,
    /// What non-convolution layers [`Lower::layers`](crate::Lower::layers) emits.
    pub lowering: Lowering,
}

fn widths(base: [u64; 9], mult: f64) -> Vec<u64> {
    base.iter().map(|&b| make_divisible(b as f64 * mult, 8)).collect()
}

impl MobileNetSpace {
    /// The space of the thesis (ch. 3) and OFA's ProxylessNAS supernet: MobileNetV2 widths
    /// `[32, 16, 24, 40, 80, 96, 192, 320, 1280]` × 1.3 (`make_divisible(·, 8)`), 224×224,
    /// depth {2, 3, 4}, kernel {3, 5, 7}, expansion {3, 4, 6}, searchable last block.
    pub fn ofa_proxyless() -> MobileNetSpace {
        let w = widths([32, 16, 24, 40, 80, 96, 192, 320, 1280], 1.3);
        MobileNetSpace {
            label: "mbv2",
            resolutions: vec![224],
            first_conv: w[0],
            first_block: w[1],
            stage_widths: [w[2], w[3], w[4], w[5], w[6]],
            stage_strides: [2, 2, 2, 1, 2],
            squeeze_excite: [false; STAGES],
            head: Head::Block { width: w[7], fixed: None, final_conv: w[8] },
            classes: 1000,
            kernels: vec![3, 5, 7],
            expansions: vec![3, 4, 6],
            depths: vec![2, 3, 4],
            separate_onehots: false,
            lowering: Lowering::default(),
        }
    }

    /// MobileNetV2-1.0's widths `[32, 16, 24, 32, 64, 96, 160, 320, 1280]` at 224×224; the original
    /// network is [`MobileNetSpace::mobilenet_v2_arch`].
    pub fn mobilenet_v2() -> MobileNetSpace {
        let w = widths([32, 16, 24, 32, 64, 96, 160, 320, 1280], 1.0);
        MobileNetSpace {
            first_conv: w[0],
            first_block: w[1],
            stage_widths: [w[2], w[3], w[4], w[5], w[6]],
            head: Head::Block { width: w[7], fixed: None, final_conv: w[8] },
            ..MobileNetSpace::ofa_proxyless()
        }
    }

    /// Once-for-All's MobileNetV3 space: widths 16, 16, 24, 40, 80, 112, 160, 960, 1280; SE in the
    /// 2nd, 4th and 5th stages; depth {2, 3, 4}, kernel {3, 5, 7}, expansion {3, 4, 6};
    /// resolutions 128–224 in steps of 16; OFA's 128-value encoding. (h-swish does not change the
    /// cost model's layers.)
    pub fn ofa_mobilenet_v3() -> MobileNetSpace {
        MobileNetSpace {
            label: "mbv3",
            resolutions: (0..7).map(|i| 128 + 16 * i).collect(),
            first_conv: 16,
            first_block: 16,
            stage_widths: [24, 40, 80, 112, 160],
            stage_strides: [2, 2, 2, 1, 2],
            squeeze_excite: [false, true, false, true, true],
            head: Head::V3 { expand: 960, mix: 1280 },
            separate_onehots: true,
            ..MobileNetSpace::ofa_proxyless()
        }
    }

    /// The thesis's simplified AlphaNet space (AttentiveNAS style): widths fixed to 16, 16, 24, 32,
    /// 64, 112, 192, 216, 1792; kernel {3, 5, 7}; expansion {4, 5, 6}; depth {3, 4, 6} in the five
    /// middle stages; fixed first and last blocks (kernel 3, expansion 6); resolutions 192–288.
    pub fn alphanet() -> MobileNetSpace {
        MobileNetSpace {
            label: "alphanet",
            resolutions: vec![192, 224, 256, 288],
            first_conv: 16,
            first_block: 16,
            stage_widths: [24, 32, 64, 112, 192],
            stage_strides: [2, 2, 2, 1, 2],
            squeeze_excite: [false, true, false, true, true],
            head: Head::Block { width: 216, fixed: Some((3, 6)), final_conv: 1792 },
            expansions: vec![4, 5, 6],
            depths: vec![3, 4, 6],
            ..MobileNetSpace::ofa_proxyless()
        }
    }

    /// The original MobileNetV2: depths 2, 3, 4, 3, 3; kernel 3 and expansion 6 everywhere.
    pub fn mobilenet_v2_arch(&self) -> MbArch {
        let n = self.slots();
        self.canonical(MbArch {
            resolution: self.resolutions[0],
            depths: [2, 3, 4, 3, 3],
            kernels: vec![3; n],
            expansions: vec![6; n],
        })
    }

    fn max_depth(&self) -> usize {
        self.depths.iter().copied().max().unwrap_or(1) as usize
    }

    fn searchable_last(&self) -> bool {
        matches!(self.head, Head::Block { fixed: None, .. })
    }

    /// Block slots of an architecture: five stages of the largest depth, plus a searchable last block.
    pub fn slots(&self) -> usize {
        STAGES * self.max_depth() + usize::from(self.searchable_last())
    }

    fn used(&self, depths: &[u8; STAGES], slot: usize) -> bool {
        let md = self.max_depth();
        slot >= STAGES * md || (slot % md) < depths[slot / md] as usize
    }

    fn canonical(&self, mut a: MbArch) -> MbArch {
        let n = self.slots();
        a.kernels.resize(n, 0);
        a.expansions.resize(n, 0);
        for b in 0..n {
            if !self.used(&a.depths, b) {
                a.kernels[b] = 0;
                a.expansions[b] = 0;
            }
        }
        a
    }

    fn pick<R: Rng + ?Sized, T: Copy>(v: &[T], rng: &mut R) -> T {
        v[rng.random_range(0..v.len())]
    }
}

impl SearchSpace for MobileNetSpace {
    type Arch = MbArch;
    fn name(&self) -> &'static str {
        self.label
    }

    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> MbArch {
        let n = self.slots();
        let a = MbArch {
            resolution: MobileNetSpace::pick(&self.resolutions, rng),
            depths: std::array::from_fn(|_| MobileNetSpace::pick(&self.depths, rng)),
            kernels: (0..n).map(|_| MobileNetSpace::pick(&self.kernels, rng)).collect(),
            expansions: (0..n).map(|_| MobileNetSpace::pick(&self.expansions, rng)).collect(),
        };
        self.canonical(a)
    }

    fn mutate<R: Rng + ?Sized>(&self, arch: &MbArch, prob: f64, rng: &mut R) -> MbArch {
        let p = prob.clamp(0.0, 1.0);
        let mut a = self.canonical(arch.clone());
        for b in 0..self.slots() {
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
        if rng.random_bool(p) {
            a.resolution = MobileNetSpace::pick(&self.resolutions, rng);
        }
        self.canonical(a)
    }

    fn crossover<R: Rng + ?Sized>(&self, x: &MbArch, y: &MbArch, rng: &mut R) -> MbArch {
        let mut a = self.canonical(x.clone());
        let y = self.canonical(y.clone());
        for b in 0..self.slots() {
            if rng.random_bool(0.5) {
                a.kernels[b] = y.kernels[b];
            }
            if rng.random_bool(0.5) {
                a.expansions[b] = y.expansions[b];
            }
            if a.kernels[b] == 0 {
                a.kernels[b] = MobileNetSpace::pick(&self.kernels, rng);
            }
            if a.expansions[b] == 0 {
                a.expansions[b] = MobileNetSpace::pick(&self.expansions, rng);
            }
        }
        for s in 0..STAGES {
            if rng.random_bool(0.5) {
                a.depths[s] = y.depths[s];
            }
        }
        if rng.random_bool(0.5) {
            a.resolution = y.resolution;
        }
        self.canonical(a)
    }

    /// `r224:d2,3,4,3,3:k3,3,..:e6,6,..` with 0 for unused slots (the `r…:` part may be omitted
    /// when the space has one resolution).
    fn key(&self, a: &MbArch) -> String {
        let j = |v: &[u8]| v.iter().map(u8::to_string).collect::<Vec<_>>().join(",");
        format!("r{}:d{}:k{}:e{}", a.resolution, j(&a.depths), j(&a.kernels), j(&a.expansions))
    }

    fn parse_key(&self, key: &str) -> Result<MbArch> {
        let bad = |reason: String| NasError::BadKey { space: self.label, key: key.to_string(), reason };
        let mut parts: Vec<&str> = key.trim().split(':').collect();
        let resolution = if parts.first().is_some_and(|p| p.starts_with('r')) {
            let r = parts.remove(0)[1..].parse::<u64>().map_err(|_| bad("resolution is not a number".into()))?;
            if !self.resolutions.contains(&r) {
                return Err(bad(format!("resolution {r} is not one of {:?}", self.resolutions)));
            }
            r
        } else if self.resolutions.len() == 1 {
            self.resolutions[0]
        } else {
            return Err(bad("this space has several resolutions; start the key with `r<resolution>:`".into()));
        };
        if parts.len() != 3 {
            return Err(bad("expected `[r..:]d..:k..:e..`".into()));
        }
        let n = self.slots();
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
        let mut a = MbArch {
            resolution,
            depths: [0; STAGES],
            kernels: nums(parts[1], 'k', n)?,
            expansions: nums(parts[2], 'e', n)?,
        };
        a.depths.copy_from_slice(&d);
        for (s, &dv) in a.depths.iter().enumerate() {
            if !self.depths.contains(&dv) {
                return Err(bad(format!("stage {s} depth {dv} is not one of {:?}", self.depths)));
            }
        }
        for b in (0..n).filter(|&b| self.used(&a.depths, b)) {
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
        let last = if self.searchable_last() { per_block } else { 1.0 };
        per_stage.powi(STAGES as i32) * last * self.resolutions.len() as f64
    }

    fn enumerate(&self) -> Option<Vec<MbArch>> {
        None
    }

    fn smallest(&self) -> Option<MbArch> {
        Some({
            let n = self.slots();
            let (k, e, d) = (
                *self.kernels.iter().min().unwrap_or(&3),
                *self.expansions.iter().min().unwrap_or(&3),
                *self.depths.iter().min().unwrap_or(&2),
            );
            let r = *self.resolutions.iter().min().unwrap_or(&224);
            self.canonical(MbArch { resolution: r, depths: [d; STAGES], kernels: vec![k; n], expansions: vec![e; n] })
        })
    }

    fn largest(&self) -> Option<MbArch> {
        Some({
            let n = self.slots();
            let (k, e, d) = (
                *self.kernels.iter().max().unwrap_or(&7),
                *self.expansions.iter().max().unwrap_or(&6),
                *self.depths.iter().max().unwrap_or(&4),
            );
            let r = *self.resolutions.iter().max().unwrap_or(&224);
            self.canonical(MbArch { resolution: r, depths: [d; STAGES], kernels: vec![k; n], expansions: vec![e; n] })
        })
    }
}
