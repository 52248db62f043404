//! # edgeopt-nas
//!
//! A user's own space implements the small [`SearchSpace`] core (and, to be costed or predicted,
//! [`Lower`] and [`Encode`]); every searcher takes any space and any fallible [`Objective`].
//!
//! Search spaces of hardware-aware NAS, **lowered to concrete accelerator layers** so that
//! `edgeopt-accel-sim` can cost any member, plus the searches of the thesis: OFA-style
//! evolutionary search under latency/energy constraints, the weighted-fitness Pareto sweep,
//! exhaustive search of enumerable spaces, and Pareto tools (non-dominated filtering, exact 2-D and
//! 3-D hypervolume, removal of non-Pareto members given measurements).
//!
//! ```
//! use edgeopt_nas::{Encode, Lower, Nb201, SearchSpace};
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
pub mod search;
mod space;
#[cfg(feature = "testing")]
pub mod testing;

pub use edgeopt_accel_sim::Layer;
pub use error::{BoxError, NasError, Result};
pub use evolution::{Constraints, Evolution, EvolutionConfig, EvolutionState, Fitness, SweepPoint, pareto_sweep};
pub use ndarray;
pub use nsga2::{Nsga2, Nsga2Config, Nsga2State};
pub use rand;
pub use search::{Batched, Evaluation, Objective, ObjectiveValues, Search, exhaustive, infallible};
pub use space::attentive::{AttentiveArch, AttentiveNas, StageSpec};
pub use space::choice;
pub use space::darts::{Darts, DartsOp, Genotype};
pub use space::fbnet::{FbArch, FbNet, FbOp};
pub use space::lowering::Lowering;
pub use space::mobilenet::{Head, MbArch, MobileNetSpace};
pub use space::nb201::{Nb201, Nb201Arch, Nb201Op};
pub use space::{Encode, Lower, SearchSpace};
