//! # edgeopt-nas
//!
//! Search spaces of hardware-aware NAS, **lowered to concrete accelerator layers** so that
//! `edgeopt-accel-sim` can cost any member, plus the searches of the thesis: OFA-style
//! evolutionary search under latency/energy constraints, the weighted-fitness Pareto sweep,
//! exhaustive search of enumerable spaces, and Pareto tools (non-dominated filtering, exact 2-D and
//! 3-D hypervolume, removal of non-Pareto members given measurements).
//!
//! ```
//! use edgeopt_nas::{Nb201, SearchSpace};
//! let space = Nb201::cifar10();
//! let arch = space.parse_key("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|").unwrap();
//! assert_eq!(space.reported_flops(&arch), 113_951_370); // NAS-Bench-201's 113.95137 MFLOPs
//! assert_eq!(space.encode(&arch).len(), 31);
//! assert!(!space.layers(&arch).is_empty());
//! ```
#![deny(missing_docs)]

mod error;
pub mod evolution;
pub mod nsga2;
pub mod pareto;
mod space;

pub use edgeopt_accel_sim::Layer;
pub use error::{NasError, Result};
pub use ndarray;
pub use rand;
pub use space::attentive::{AttentiveArch, AttentiveNas, StageSpec};
pub use space::darts::{Darts, DartsOp, Genotype};
pub use space::fbnet::{FbArch, FbNet, FbOp};
pub use space::lowering::Lowering;
pub use space::mobilenet::{Head, MbArch, MobileNetSpace};
pub use space::nb201::{Nb201, Nb201Arch, Nb201Op};

use std::fmt::Debug;
use std::hash::Hash;

use ndarray::Array1;
use rand::Rng;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// An architecture search space.
///
/// Architectures are plain values; the space samples, mutates, recombines, encodes (a documented
/// one-hot layout for predictors), lowers to [`Layer`]s for the accelerator cost model, counts
/// MACs and parameters, and prints/parses a stable string key.
pub trait SearchSpace: Sync {
    /// An architecture of this space.
    type Arch: Clone + Eq + Hash + Debug + Serialize + DeserializeOwned + Send + Sync;

    /// Short name (`nb201`, `mbv2`, ...).
    fn name(&self) -> &'static str;
    /// A uniformly random member (per choice).
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Self::Arch;
    /// Re-sample each choice independently with probability `prob`.
    fn mutate<R: Rng + ?Sized>(&self, arch: &Self::Arch, prob: f64, rng: &mut R) -> Self::Arch;
    /// Each choice taken from either parent with equal probability.
    fn crossover<R: Rng + ?Sized>(&self, a: &Self::Arch, b: &Self::Arch, rng: &mut R) -> Self::Arch;
    /// Feature vector for predictors; its layout is documented by each space.
    fn encode(&self, arch: &Self::Arch) -> Array1<f64>;
    /// Length of [`SearchSpace::encode`]'s output.
    fn encoding_len(&self) -> usize;
    /// The network as accelerator layers, under the space's default [`Lowering`].
    fn layers(&self, arch: &Self::Arch) -> Vec<Layer>;
    /// Multiply-accumulates of the network (convolutions and fully connected layers).
    fn macs(&self, arch: &Self::Arch) -> u64;
    /// Trainable parameters.
    fn params(&self, arch: &Self::Arch) -> u64;
    /// A stable string key; [`SearchSpace::parse_key`] reads it back.
    fn key(&self, arch: &Self::Arch) -> String;
    /// Parse a key.
    fn parse_key(&self, key: &str) -> Result<Self::Arch>;
    /// Number of members (as f64: some spaces exceed 2^64).
    fn size(&self) -> f64;
    /// Every member, for small spaces.
    fn enumerate(&self) -> Option<Vec<Self::Arch>>;
    /// The member with the fewest MACs.
    fn smallest(&self) -> Self::Arch;
    /// The member with the most MACs.
    fn largest(&self) -> Self::Arch;
}
