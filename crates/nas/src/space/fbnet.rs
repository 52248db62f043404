//! FBNet (Wu et al., CVPR 2019): 22 searchable blocks in stages of 1, 4, 4, 4, 4, 4, 1, each one of
//! nine candidates — kernel 3 or 5 with expansion 1 (dense or 2-group 1×1 convolutions), 3 or 6,
//! or skip.

use ndarray::Array1;
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::choice::{crossover_each, mutate_each, sample_each};
use super::lowering::{Lowering, Net};
use crate::error::{NasError, Result};
use crate::{Encode, Layer, Lower, SearchSpace};

/// Searchable blocks.
pub const FBNET_BLOCKS: usize = 22;

/// One block's candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum FbOp {
    /// Kernel 3, expansion 1.
    K3E1,
    /// Kernel 3, expansion 1, 2-group 1×1 convolutions.
    K3E1G2,
    /// Kernel 3, expansion 3.
    K3E3,
    /// Kernel 3, expansion 6.
    K3E6,
    /// Kernel 5, expansion 1.
    K5E1,
    /// Kernel 5, expansion 1, 2-group 1×1 convolutions.
    K5E1G2,
    /// Kernel 5, expansion 3.
    K5E3,
    /// Kernel 5, expansion 6.
    K5E6,
    /// Skip the block (a 1×1 projection where the shape changes).
    Skip,
}

impl FbOp {
    /// All candidates in encoding order.
    pub const ALL: [FbOp; 9] = [
        FbOp::K3E1,
        FbOp::K3E1G2,
        FbOp::K3E3,
        FbOp::K3E6,
        FbOp::K5E1,
        FbOp::K5E1G2,
        FbOp::K5E3,
        FbOp::K5E6,
        FbOp::Skip,
    ];

    /// FBNet's name (`k3_e1`, `k3_e1_g2`, ..., `skip`).
    pub fn name(self) -> &'static str {
        ["k3_e1", "k3_e1_g2", "k3_e3", "k3_e6", "k5_e1", "k5_e1_g2", "k5_e3", "k5_e6", "skip"][self as usize]
    }

    /// (kernel, expansion, groups), `None` for skip.
    pub fn shape(self) -> Option<(u64, u64, u64)> {
        match self {
            FbOp::K3E1 => Some((3, 1, 1)),
            FbOp::K3E1G2 => Some((3, 1, 2)),
            FbOp::K3E3 => Some((3, 3, 1)),
            FbOp::K3E6 => Some((3, 6, 1)),
            FbOp::K5E1 => Some((5, 1, 1)),
            FbOp::K5E1G2 => Some((5, 1, 2)),
            FbOp::K5E3 => Some((5, 3, 1)),
            FbOp::K5E6 => Some((5, 6, 1)),
            FbOp::Skip => None,
        }
    }
}

/// An FBNet architecture: one candidate per block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FbArch(pub [FbOp; FBNET_BLOCKS]);

/// The FBNet space. Encoding (`22 × 9 + 1`): a one-hot per block in [`FbOp::ALL`] order, then 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FbNet {
    /// Input resolution.
    pub resolution: u64,
    /// Stride of the stem convolution.
    pub stem_stride: u64,
    /// Stem width.
    pub stem: u64,
    /// (blocks, width, first stride) per stage.
    pub stages: [(usize, u64, u64); 7],
    /// Final 1×1 convolution width.
    pub final_conv: u64,
    /// Classes.
    pub classes: u64,
    /// What non-convolution layers [`Lower::layers`] emits.
    pub lowering: Lowering,
}

impl FbNet {
    /// The ImageNet space of the FBNet paper: 224×224, stem 16 (stride 2), stages
    /// 16, 24, 32, 64, 112, 184, 352 with strides 1, 2, 2, 2, 1, 2, 1, final 1×1 to 1984.
    pub fn imagenet() -> FbNet {
        FbNet {
            resolution: 224,
            stem_stride: 2,
            stem: 16,
            stages: [(1, 16, 1), (4, 24, 2), (4, 32, 2), (4, 64, 2), (4, 112, 1), (4, 184, 2), (1, 352, 1)],
            final_conv: 1984,
            classes: 1000,
            lowering: Lowering::default(),
        }
    }

    /// A CIFAR variant (32×32 inputs, 100 classes): the stem and the second stage keep stride 1,
    /// so the last stages run at 4×4.
    pub fn cifar100() -> FbNet {
        FbNet {
            resolution: 32,
            stem_stride: 1,
            stages: [(1, 16, 1), (4, 24, 1), (4, 32, 2), (4, 64, 2), (4, 112, 1), (4, 184, 2), (1, 352, 1)],
            classes: 100,
            ..FbNet::imagenet()
        }
    }

    fn build(&self, arch: &FbArch, lw: &Lowering) -> Net {
        let mut net = Net::default();
        net.conv("stem".into(), 3, self.stem, 3, self.resolution, self.stem_stride, 1);
        let mut hw = self.resolution.div_ceil(self.stem_stride);
        let mut cin = self.stem;
        let mut b = 0;
        for (s, &(n, cout, first_stride)) in self.stages.iter().enumerate() {
            for d in 0..n {
                let stride = if d == 0 { first_stride } else { 1 };
                let name = format!("s{s}b{d}");
                let out_hw = hw.div_ceil(stride);
                match arch.0[b].shape() {
                    None => {
                        if stride != 1 || cin != cout {
                            net.conv(format!("{name}_skip_proj"), cin, cout, 1, hw, stride, 1);
                        }
                    }
                    Some((k, e, g)) => {
                        let mid = cin * e;
                        net.conv(format!("{name}_expand"), cin, mid, 1, hw, 1, g);
                        net.conv(format!("{name}_dw"), mid, mid, k, hw, stride, mid);
                        net.conv(format!("{name}_project"), mid, cout, 1, out_hw, 1, g);
                        if lw.residual_adds && stride == 1 && cin == cout {
                            net.elementwise(format!("{name}_add"), cout, out_hw);
                        }
                    }
                }
                hw = out_hw;
                cin = cout;
                b += 1;
            }
        }
        net.conv("final".into(), cin, self.final_conv, 1, hw, 1, 1);
        if lw.pooling {
            net.pool("global_pool".into(), self.final_conv, hw, hw, 1);
        }
        net.fc("classifier".into(), self.final_conv, self.classes);
        net
    }
}

impl SearchSpace for FbNet {
    type Arch = FbArch;
    fn name(&self) -> &'static str {
        "fbnet"
    }

    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> FbArch {
        FbArch(sample_each(&FbOp::ALL, rng))
    }

    fn mutate<R: Rng + ?Sized>(&self, arch: &FbArch, prob: f64, rng: &mut R) -> FbArch {
        FbArch(mutate_each(&arch.0, &FbOp::ALL, prob, rng))
    }

    fn crossover<R: Rng + ?Sized>(&self, a: &FbArch, b: &FbArch, rng: &mut R) -> FbArch {
        FbArch(crossover_each(&a.0, &b.0, rng))
    }

    /// Block names joined by `-`, e.g. `k3_e1-k5_e6-skip-...`.
    fn key(&self, arch: &FbArch) -> String {
        arch.0.iter().map(|o| o.name()).collect::<Vec<_>>().join("-")
    }

    fn parse_key(&self, key: &str) -> Result<FbArch> {
        let bad = |reason: String| NasError::BadKey { space: "fbnet", key: key.to_string(), reason };
        let parts: Vec<&str> = key.trim().split('-').collect();
        if parts.len() != FBNET_BLOCKS {
            return Err(bad(format!("expected {FBNET_BLOCKS} blocks separated by `-`, found {}", parts.len())));
        }
        let mut ops = [FbOp::Skip; FBNET_BLOCKS];
        for (i, p) in parts.iter().enumerate() {
            ops[i] =
                FbOp::ALL.into_iter().find(|o| o.name() == *p).ok_or_else(|| bad(format!("unknown block `{p}`")))?;
        }
        Ok(FbArch(ops))
    }

    fn size(&self) -> f64 {
        9f64.powi(FBNET_BLOCKS as i32)
    }

    fn enumerate(&self) -> Option<Vec<FbArch>> {
        None
    }

    fn smallest(&self) -> Option<FbArch> {
        Some(FbArch([FbOp::Skip; FBNET_BLOCKS]))
    }

    fn largest(&self) -> Option<FbArch> {
        Some(FbArch([FbOp::K5E6; FBNET_BLOCKS]))
    }
}

impl Encode for FbNet {
    fn encode(&self, arch: &FbArch) -> Array1<f64> {
        let mut v = Array1::zeros(FBNET_BLOCKS * 9 + 1);
        for (b, op) in arch.0.iter().enumerate() {
            v[b * 9 + *op as usize] = 1.0;
        }
        v[FBNET_BLOCKS * 9] = 1.0;
        v
    }

    fn encoding_len(&self) -> usize {
        FBNET_BLOCKS * 9 + 1
    }
}

impl Lower for FbNet {
    fn layers_with(&self, arch: &FbArch, lowering: &Lowering) -> Vec<Layer> {
        self.build(arch, lowering).layers
    }

    fn layers(&self, arch: &FbArch) -> Vec<Layer> {
        self.build(arch, &self.lowering).layers
    }

    fn macs(&self, arch: &FbArch) -> u64 {
        self.build(arch, &Lowering::convolutions_only()).macs
    }

    fn params(&self, arch: &FbArch) -> u64 {
        self.build(arch, &Lowering::convolutions_only()).params
    }
}
