//! The search-space traits and the built-in spaces.
//!
//! A user's own space implements [`SearchSpace`] (six methods: a name, sampling, mutation,
//! crossover and a printable key that parses back) and is then searchable by every searcher of
//! this crate. [`Encode`] (a feature vector for predictors) and [`Lower`] (accelerator layers for
//! the cost model) are separate traits a space may add; the built-in spaces implement all three.

pub mod attentive;
pub mod choice;
pub mod darts;
pub mod fbnet;
pub mod lowering;
pub mod mobilenet;
pub mod nb201;

use std::fmt::Debug;
use std::hash::Hash;

use edgeopt_accel_sim::Layer;
use ndarray::Array1;
use rand::Rng;

use crate::error::Result;
use lowering::Lowering;

/// An architecture search space: what every searcher needs.
///
/// Architectures are plain values (hashable, so searches memoise them). Randomness always comes
/// from the caller's RNG, so a search is reproducible from its seed. Keys are the stable,
/// human-readable names of architectures used in files, checkpoints and error messages.
///
/// ```
/// use edgeopt_nas::{SearchSpace, choice};
/// use edgeopt_nas::rand::{Rng, SeedableRng, rngs::ChaCha8Rng};
///
/// /// Depth of each of three stages, 1–4 blocks.
/// struct Depths;
/// impl SearchSpace for Depths {
///     type Arch = [u8; 3];
///     fn name(&self) -> &'static str { "depths" }
///     fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> [u8; 3] { choice::sample_each(&[1, 2, 3, 4], rng) }
///     fn mutate<R: Rng + ?Sized>(&self, a: &[u8; 3], p: f64, rng: &mut R) -> [u8; 3] {
///         choice::mutate_each(a, &[1, 2, 3, 4], p, rng)
///     }
///     fn crossover<R: Rng + ?Sized>(&self, a: &[u8; 3], b: &[u8; 3], rng: &mut R) -> [u8; 3] {
///         choice::crossover_each(a, b, rng)
///     }
///     fn key(&self, a: &[u8; 3]) -> String { format!("{}-{}-{}", a[0], a[1], a[2]) }
///     fn parse_key(&self, key: &str) -> edgeopt_nas::Result<[u8; 3]> {
///         choice::parse_fixed(self.name(), key, '-', |s| s.parse().ok().filter(|d| (1..=4).contains(d)))
///     }
/// }
/// let mut rng = ChaCha8Rng::seed_from_u64(1);
/// let a = Depths.sample(&mut rng);
/// assert_eq!(Depths.parse_key(&Depths.key(&a)).unwrap(), a);
/// assert!(Depths.parse_key("1-9-2").is_err());
/// ```
pub trait SearchSpace: Sync {
    /// An architecture of this space.
    type Arch: Clone + Eq + Hash + Debug + Send + Sync;

    /// Short name (`nb201`, `mbv2`, ...), used in messages.
    fn name(&self) -> &'static str;
    /// A random member.
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Self::Arch;
    /// A variant of `arch`: each choice re-sampled independently with probability `prob`.
    fn mutate<R: Rng + ?Sized>(&self, arch: &Self::Arch, prob: f64, rng: &mut R) -> Self::Arch;
    /// A child of two parents (the built-in spaces take each choice from either parent).
    fn crossover<R: Rng + ?Sized>(&self, a: &Self::Arch, b: &Self::Arch, rng: &mut R) -> Self::Arch;
    /// A stable string key; [`SearchSpace::parse_key`] reads it back.
    fn key(&self, arch: &Self::Arch) -> String;
    /// Parse a key (a typed error naming the key for anything else).
    fn parse_key(&self, key: &str) -> Result<Self::Arch>;

    /// Number of members (as f64: some spaces exceed 2^64); infinite when unknown.
    fn size(&self) -> f64 {
        f64::INFINITY
    }
    /// Every member, for spaces small enough to enumerate (exhaustive search needs it).
    fn enumerate(&self) -> Option<Vec<Self::Arch>> {
        None
    }
    /// The member with the fewest MACs, if the space knows it.
    fn smallest(&self) -> Option<Self::Arch> {
        None
    }
    /// The member with the most MACs, if the space knows it.
    fn largest(&self) -> Option<Self::Arch> {
        None
    }
}

/// A space whose architectures have a fixed-length feature vector, for predictors.
pub trait Encode: SearchSpace {
    /// Feature vector; its layout is documented by each space.
    fn encode(&self, arch: &Self::Arch) -> Array1<f64>;
    /// Length of [`Encode::encode`]'s output.
    fn encoding_len(&self) -> usize;
    /// Sets of encoding columns that describe the same operator at different positions (the
    /// sum over a set is that operator's count), for predictors that fit few samples better
    /// with one coefficient per operator. None by default.
    fn feature_groups(&self) -> Vec<Vec<usize>> {
        Vec::new()
    }
}

/// A space whose architectures lower to accelerator [`Layer`]s, so the cost model (and any
/// [`Accelerator`](edgeopt_accel_sim::Accelerator)) can cost them.
pub trait Lower: SearchSpace {
    /// The network as layers under `lowering` (a space without optional operators may ignore it).
    fn layers_with(&self, arch: &Self::Arch, lowering: &Lowering) -> Vec<Layer>;
    /// The network as layers under the space's default lowering (all operators by default).
    fn layers(&self, arch: &Self::Arch) -> Vec<Layer> {
        self.layers_with(arch, &Lowering::default())
    }
    /// Multiply-accumulates as papers count them (by default: the layers of
    /// [`Lowering::counted`]).
    fn macs(&self, arch: &Self::Arch) -> u64 {
        self.layers_with(arch, &Lowering::counted()).iter().fold(0u64, |s, l| s.saturating_add(l.macs()))
    }
    /// Trainable parameters (by default: the weights of the layers of [`Lowering::counted`]).
    fn params(&self, arch: &Self::Arch) -> u64 {
        self.layers_with(arch, &Lowering::counted()).iter().fold(0u64, |s, l| s.saturating_add(l.weights()))
    }
}

macro_rules! forward_space {
    ($($ptr:ty),*) => {$(
        impl<S: SearchSpace + ?Sized + Send> SearchSpace for $ptr {
            type Arch = S::Arch;
            fn name(&self) -> &'static str { (**self).name() }
            fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> S::Arch { (**self).sample(rng) }
            fn mutate<R: Rng + ?Sized>(&self, a: &S::Arch, p: f64, rng: &mut R) -> S::Arch { (**self).mutate(a, p, rng) }
            fn crossover<R: Rng + ?Sized>(&self, a: &S::Arch, b: &S::Arch, rng: &mut R) -> S::Arch {
                (**self).crossover(a, b, rng)
            }
            fn key(&self, a: &S::Arch) -> String { (**self).key(a) }
            fn parse_key(&self, key: &str) -> Result<S::Arch> { (**self).parse_key(key) }
            fn size(&self) -> f64 { (**self).size() }
            fn enumerate(&self) -> Option<Vec<S::Arch>> { (**self).enumerate() }
            fn smallest(&self) -> Option<S::Arch> { (**self).smallest() }
            fn largest(&self) -> Option<S::Arch> { (**self).largest() }
        }
        impl<S: Encode + ?Sized + Send> Encode for $ptr {
            fn encode(&self, a: &S::Arch) -> Array1<f64> { (**self).encode(a) }
            fn encoding_len(&self) -> usize { (**self).encoding_len() }
            fn feature_groups(&self) -> Vec<Vec<usize>> { (**self).feature_groups() }
        }
        impl<S: Lower + ?Sized + Send> Lower for $ptr {
            fn layers_with(&self, a: &S::Arch, l: &Lowering) -> Vec<Layer> { (**self).layers_with(a, l) }
            fn layers(&self, a: &S::Arch) -> Vec<Layer> { (**self).layers(a) }
            fn macs(&self, a: &S::Arch) -> u64 { (**self).macs(a) }
            fn params(&self, a: &S::Arch) -> u64 { (**self).params(a) }
        }
    )*};
}

forward_space!(&S, Box<S>, std::sync::Arc<S>);
