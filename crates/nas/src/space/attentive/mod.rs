//! The AttentiveNAS / AlphaNet search space (Wang et al., CVPR 2021 and ICML 2021): seven stages
//! of inverted-residual blocks with searchable width, depth, kernel and expansion, searchable stem
//! and final widths, and input resolution. (The thesis's simplified AlphaNet variant with fixed
//! widths is [`crate::MobileNetSpace::alphanet`].)

mod network;

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use super::lowering::Lowering;
use crate::SearchSpace;
use crate::error::{NasError, Result};

/// One stage's choices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageSpec {
    /// Output-width choices.
    pub widths: Vec<u64>,
    /// Depth choices.
    pub depths: Vec<u8>,
    /// Kernel choices.
    pub kernels: Vec<u8>,
    /// Expansion choices.
    pub expansions: Vec<u8>,
    /// Stride of the stage's first block.
    pub stride: u64,
    /// Squeeze-and-excitation.
    pub se: bool,
}

/// An AttentiveNAS-style architecture. `kernels` / `expansions` have one slot per block of the
/// deepest configuration of every stage (0 in unused slots).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AttentiveArch {
    /// Input resolution.
    pub resolution: u64,
    /// Stem width.
    pub stem: u64,
    /// Width of each stage.
    pub widths: Vec<u64>,
    /// Depth of each stage.
    pub depths: Vec<u8>,
    /// Kernel per slot.
    pub kernels: Vec<u8>,
    /// Expansion per slot.
    pub expansions: Vec<u8>,
    /// Width of the final feature-mix layer.
    pub head: u64,
}

/// The space. Encoding: one-hots over stem width, each stage's width and depth, each slot's kernel
/// and expansion (zero for unused slots), the head width and the resolution; then a constant 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttentiveNas {
    /// Resolution choices.
    pub resolutions: Vec<u64>,
    /// Stem-width choices (3×3 convolution, stride 2).
    pub stem_widths: Vec<u64>,
    /// The stages.
    pub stages: Vec<StageSpec>,
    /// Feature-mix width choices.
    pub head_widths: Vec<u64>,
    /// Classes.
    pub classes: u64,
    /// What non-convolution layers [`Lower::layers`](crate::Lower::layers) emits.
    pub lowering: Lowering,
}

fn stage(widths: &[u64], depths: &[u8], expansions: &[u8], stride: u64, se: bool) -> StageSpec {
    StageSpec {
        widths: widths.to_vec(),
        depths: depths.to_vec(),
        kernels: vec![3, 5],
        expansions: expansions.to_vec(),
        stride,
        se,
    }
}

impl AttentiveNas {
    /// The AttentiveNAS / AlphaNet ImageNet space: stem {16, 24}; stages (width; depth; expansion)
    /// ({16, 24}; 1–2; 1), ({24, 32}; 3–5; 4–6), ({32, 40}; 3–6; 4–6, SE), ({64, 72}; 3–6; 4–6),
    /// ({112, 120, 128}; 3–8; 4–6, SE), ({192, 200, 208, 216}; 3–8; 6, SE), ({216, 224}; 1–2; 6, SE),
    /// strides 1, 2, 2, 2, 1, 2, 1, kernels {3, 5}; head {1792, 1984}; resolutions 192–288.
    /// The head is lowered as a 1×1 expansion (×6), global pooling and the feature mix.
    pub fn alphanet() -> AttentiveNas {
        AttentiveNas {
            resolutions: vec![192, 224, 256, 288],
            stem_widths: vec![16, 24],
            stages: vec![
                stage(&[16, 24], &[1, 2], &[1], 1, false),
                stage(&[24, 32], &[3, 4, 5], &[4, 5, 6], 2, false),
                stage(&[32, 40], &[3, 4, 5, 6], &[4, 5, 6], 2, true),
                stage(&[64, 72], &[3, 4, 5, 6], &[4, 5, 6], 2, false),
                stage(&[112, 120, 128], &[3, 4, 5, 6, 7, 8], &[4, 5, 6], 1, true),
                stage(&[192, 200, 208, 216], &[3, 4, 5, 6, 7, 8], &[6], 2, true),
                stage(&[216, 224], &[1, 2], &[6], 1, true),
            ],
            head_widths: vec![1792, 1984],
            classes: 1000,
            lowering: Lowering::default(),
        }
    }

    fn max_depth(s: &StageSpec) -> usize {
        s.depths.iter().copied().max().unwrap_or(1) as usize
    }

    fn offsets(&self) -> Vec<usize> {
        let mut off = Vec::with_capacity(self.stages.len() + 1);
        let mut o = 0;
        for s in &self.stages {
            off.push(o);
            o += AttentiveNas::max_depth(s);
        }
        off.push(o);
        off
    }

    fn slots(&self) -> usize {
        self.stages.iter().map(AttentiveNas::max_depth).sum()
    }

    fn canonical(&self, mut a: AttentiveArch) -> AttentiveArch {
        let off = self.offsets();
        let n = self.slots();
        a.kernels.resize(n, 0);
        a.expansions.resize(n, 0);
        a.widths.resize(self.stages.len(), 0);
        a.depths.resize(self.stages.len(), 0);
        for (s, spec) in self.stages.iter().enumerate() {
            for d in 0..AttentiveNas::max_depth(spec) {
                if d >= a.depths[s] as usize {
                    a.kernels[off[s] + d] = 0;
                    a.expansions[off[s] + d] = 0;
                }
            }
        }
        a
    }

    fn pick<T: Copy, R: Rng + ?Sized>(v: &[T], rng: &mut R) -> T {
        v[rng.random_range(0..v.len())]
    }

    /// A value of `a` if allowed, else the first choice (hand-built architectures never panic).
    fn or_first<T: Copy + PartialEq>(v: Option<&T>, choices: &[T]) -> T {
        v.copied().filter(|x| choices.contains(x)).unwrap_or(choices[0])
    }

    fn extreme(&self, largest: bool) -> AttentiveArch {
        let pick = |v: &[u64]| if largest { *v.iter().max().unwrap_or(&0) } else { *v.iter().min().unwrap_or(&0) };
        let pick8 = |v: &[u8]| if largest { *v.iter().max().unwrap_or(&0) } else { *v.iter().min().unwrap_or(&0) };
        let off = self.offsets();
        let n = self.slots();
        let (mut k, mut e) = (vec![0u8; n], vec![0u8; n]);
        for (s, spec) in self.stages.iter().enumerate() {
            for d in 0..AttentiveNas::max_depth(spec) {
                k[off[s] + d] = pick8(&spec.kernels);
                e[off[s] + d] = pick8(&spec.expansions);
            }
        }
        self.canonical(AttentiveArch {
            resolution: pick(&self.resolutions),
            stem: pick(&self.stem_widths),
            widths: self.stages.iter().map(|s| pick(&s.widths)).collect(),
            depths: self.stages.iter().map(|s| pick8(&s.depths)).collect(),
            kernels: k,
            expansions: e,
            head: pick(&self.head_widths),
        })
    }
}

impl SearchSpace for AttentiveNas {
    type Arch = AttentiveArch;
    fn name(&self) -> &'static str {
        "attentivenas"
    }

    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> AttentiveArch {
        let off = self.offsets();
        let n = self.slots();
        let (mut k, mut e) = (vec![0u8; n], vec![0u8; n]);
        for (s, spec) in self.stages.iter().enumerate() {
            for d in 0..AttentiveNas::max_depth(spec) {
                k[off[s] + d] = AttentiveNas::pick(&spec.kernels, rng);
                e[off[s] + d] = AttentiveNas::pick(&spec.expansions, rng);
            }
        }
        self.canonical(AttentiveArch {
            resolution: AttentiveNas::pick(&self.resolutions, rng),
            stem: AttentiveNas::pick(&self.stem_widths, rng),
            widths: self.stages.iter().map(|s| AttentiveNas::pick(&s.widths, rng)).collect(),
            depths: self.stages.iter().map(|s| AttentiveNas::pick(&s.depths, rng)).collect(),
            kernels: k,
            expansions: e,
            head: AttentiveNas::pick(&self.head_widths, rng),
        })
    }

    fn mutate<R: Rng + ?Sized>(&self, arch: &AttentiveArch, prob: f64, rng: &mut R) -> AttentiveArch {
        let p = prob.clamp(0.0, 1.0);
        let fresh = self.sample(rng);
        let mut a = self.canonical(arch.clone());
        let off = self.offsets();
        for (s, spec) in self.stages.iter().enumerate() {
            if rng.random_bool(p) {
                a.widths[s] = fresh.widths[s];
            }
            if rng.random_bool(p) {
                a.depths[s] = fresh.depths[s];
            }
            for d in 0..AttentiveNas::max_depth(spec) {
                let slot = off[s] + d;
                if a.kernels[slot] == 0 || rng.random_bool(p) {
                    a.kernels[slot] = AttentiveNas::pick(&spec.kernels, rng);
                }
                if a.expansions[slot] == 0 || rng.random_bool(p) {
                    a.expansions[slot] = AttentiveNas::pick(&spec.expansions, rng);
                }
            }
        }
        if rng.random_bool(p) {
            a.resolution = fresh.resolution;
        }
        if rng.random_bool(p) {
            a.stem = fresh.stem;
        }
        if rng.random_bool(p) {
            a.head = fresh.head;
        }
        self.canonical(a)
    }

    fn crossover<R: Rng + ?Sized>(&self, x: &AttentiveArch, y: &AttentiveArch, rng: &mut R) -> AttentiveArch {
        let (mut a, b) = (self.canonical(x.clone()), self.canonical(y.clone()));
        let off = self.offsets();
        for (s, spec) in self.stages.iter().enumerate() {
            if rng.random_bool(0.5) {
                a.widths[s] = b.widths[s];
            }
            if rng.random_bool(0.5) {
                a.depths[s] = b.depths[s];
            }
            for d in 0..AttentiveNas::max_depth(spec) {
                let i = off[s] + d;
                if rng.random_bool(0.5) {
                    a.kernels[i] = b.kernels[i];
                    a.expansions[i] = b.expansions[i];
                }
                // Slots a shallower parent did not use get fresh values for a deeper child.
                if a.kernels[i] == 0 {
                    a.kernels[i] = AttentiveNas::pick(&spec.kernels, rng);
                }
                if a.expansions[i] == 0 {
                    a.expansions[i] = AttentiveNas::pick(&spec.expansions, rng);
                }
            }
        }
        for (dst, src) in [(&mut a.resolution, b.resolution), (&mut a.stem, b.stem), (&mut a.head, b.head)] {
            if rng.random_bool(0.5) {
                *dst = src;
            }
        }
        self.canonical(a)
    }

    /// `r224:s16:h1792:w..:d..:k..:e..` (0 for unused slots).
    fn key(&self, a: &AttentiveArch) -> String {
        let j = |v: &[u8]| v.iter().map(u8::to_string).collect::<Vec<_>>().join(",");
        let w = a.widths.iter().map(u64::to_string).collect::<Vec<_>>().join(",");
        format!(
            "r{}:s{}:h{}:w{w}:d{}:k{}:e{}",
            a.resolution,
            a.stem,
            a.head,
            j(&a.depths),
            j(&a.kernels),
            j(&a.expansions)
        )
    }

    fn parse_key(&self, key: &str) -> Result<AttentiveArch> {
        let bad = |reason: String| NasError::BadKey { space: "attentivenas", key: key.to_string(), reason };
        let parts: Vec<&str> = key.trim().split(':').collect();
        if parts.len() != 7 {
            return Err(bad("expected `r..:s..:h..:w..:d..:k..:e..`".into()));
        }
        let list = |s: &str, prefix: char| -> Result<Vec<u64>> {
            let body = s.strip_prefix(prefix).ok_or_else(|| bad(format!("part `{s}` should start with `{prefix}`")))?;
            body.split(',')
                .map(|x| x.trim().parse::<u64>().map_err(|_| bad(format!("`{x}` is not a number"))))
                .collect()
        };
        let one = |s: &str, prefix: char| -> Result<u64> {
            let v = list(s, prefix)?;
            if v.len() == 1 { Ok(v[0]) } else { Err(bad(format!("`{prefix}` takes one value"))) }
        };
        let small = |v: Vec<u64>| -> Result<Vec<u8>> {
            v.into_iter().map(|x| u8::try_from(x).map_err(|_| bad(format!("{x} is too large")))).collect()
        };
        let a = AttentiveArch {
            resolution: one(parts[0], 'r')?,
            stem: one(parts[1], 's')?,
            head: one(parts[2], 'h')?,
            widths: list(parts[3], 'w')?,
            depths: small(list(parts[4], 'd')?)?,
            kernels: small(list(parts[5], 'k')?)?,
            expansions: small(list(parts[6], 'e')?)?,
        };
        let n = self.stages.len();
        if a.widths.len() != n
            || a.depths.len() != n
            || a.kernels.len() != self.slots()
            || a.expansions.len() != self.slots()
        {
            return Err(bad(format!("need {n} widths and depths and {} kernels and expansions", self.slots())));
        }
        if !self.resolutions.contains(&a.resolution)
            || !self.stem_widths.contains(&a.stem)
            || !self.head_widths.contains(&a.head)
        {
            return Err(bad("resolution, stem or head width is not a choice of the space".into()));
        }
        let off = self.offsets();
        for (s, spec) in self.stages.iter().enumerate() {
            if !spec.widths.contains(&a.widths[s]) || !spec.depths.contains(&a.depths[s]) {
                return Err(bad(format!("stage {s}: width {} or depth {} is not a choice", a.widths[s], a.depths[s])));
            }
            for d in 0..a.depths[s] as usize {
                let slot = off[s] + d;
                if !spec.kernels.contains(&a.kernels[slot]) || !spec.expansions.contains(&a.expansions[slot]) {
                    return Err(bad(format!(
                        "stage {s} block {d}: kernel {} or expansion {} is not a choice",
                        a.kernels[slot], a.expansions[slot]
                    )));
                }
            }
        }
        Ok(self.canonical(a))
    }

    fn size(&self) -> f64 {
        let stages: f64 = self
            .stages
            .iter()
            .map(|s| {
                let per_block = (s.kernels.len() * s.expansions.len()) as f64;
                s.widths.len() as f64 * s.depths.iter().map(|&d| per_block.powi(i32::from(d))).sum::<f64>()
            })
            .product();
        stages * (self.stem_widths.len() * self.head_widths.len() * self.resolutions.len()) as f64
    }

    fn enumerate(&self) -> Option<Vec<AttentiveArch>> {
        None
    }

    fn smallest(&self) -> Option<AttentiveArch> {
        Some(self.extreme(false))
    }

    fn largest(&self) -> Option<AttentiveArch> {
        Some(self.extreme(true))
    }
}
