//! # edgeopt-bandit
//!
//! Aquaman (thesis ch. 2): choose the DNN model for each arriving device with a neural contextual
//! bandit whose reward (QoE) predictor learns from users' **delayed** feedback.
//!
//! * [`Policy`] with decision tickets: [`Policy::select`] (or [`Policy::select_arms`] over [`Arm`]s)
//!   now, [`Policy::feedback`] any number of rounds later, or never.
//! * [`NeuralBandit`] — NeuralUCB (symmetric initialisation, diagonal confidence matrix, retraining
//!   every B rewards plus a geometric early schedule), NeuralTS and neural ε-greedy.
//! * [`LinUcb`], [`RandomPolicy`]; the oracle and the best fixed arm are simulator baselines.
//! * Environments: [`Classification`] (the NeuralUCB protocol on a labelled CSV), [`Synthetic`]
//!   (h1, h2, h3 of the NeuralUCB paper), the synthetic QoE world [`QoeWorld`], the measured-device
//!   world [`DeviceWorld`] (NAS-Bench-201 models with their HW-NAS-Bench latencies) and the ratings
//!   table world [`TableWorld`].
//! * Networks of any depth ([`DeepNetwork`]; the thesis's QoE predictor has four layers).
//! * [`simulate`] with [`Delay`]s none / uniform / missing.
//! * [`Curve`]s (totals only unless [`SimConfig::per_round`]): per-round reward, rank of the chosen arm (top-k hit ratios), cumulative regret
//!   (against expected rewards when the environment knows them).
//!
//! A serving loop: decide now, learn when (and if) the rating comes.
//!
//! ```
//! use std::collections::VecDeque;
//! use edgeopt_bandit::{Environment, NeuralBandit, NeuralConfig, Policy, Synthetic, SyntheticReward};
//!
//! let mut world = Synthetic::new(SyntheticReward::H1, 4, 8, 0.05, 7)?;
//! let mut policy = NeuralBandit::new(world.dim(), NeuralConfig { width: 32, ..NeuralConfig::default() })?;
//! let mut ratings = VecDeque::new();
//! for t in 0..300 {
//!     let round = world.next_round();
//!     let decision = policy.select(t, round.contexts.view())?;
//!     ratings.push_back((decision.id, round.rewards[decision.arm]));
//!     if ratings.len() > 5 {
//!         // Ratings arrive five rounds late; every tenth never arrives.
//!         let (id, reward) = ratings.pop_front().unwrap();
//!         if id % 10 != 0 {
//!             policy.feedback(id, reward)?;
//!         }
//!     }
//!     if t % 100 == 99 {
//!         // Ids count decisions (one per round here): forget tickets older than 50 rounds.
//!         policy.expire(decision.id.saturating_sub(50));
//!     }
//! }
//! assert!(policy.observations() > 200 && policy.pending() < 60);
//! # Ok::<(), edgeopt_bandit::BanditError>(())
//! ```
//!
//! Retraining runs on the *distinct* contexts seen so far, each with its reward count and sum (the
//! gradient of the squared loss is unchanged), grouped by their pattern of non-zeros into dense
//! blocks; large retrains share a fixed split of the blocks among rayon's thread budget
//! (`RAYON_NUM_THREADS`), summed in a fixed order, so results do not depend on the thread count.
//! Retraining runs one fused forward/backward kernel per block of rows (AVX-512 or AVX2 when the
//! CPU has them), other hot loops use AVX2, all with bit-identical results in every build.
//! Tickets whose reward never comes can be dropped with [`Policy::expire`].
//!
//! Policies are `serde` types without RNG state (each round's randomness derives from the seed and
//! the round), so a saved and reloaded policy continues bit-identically.
#![deny(missing_docs)]

mod barrier;
mod batch_gradient;
mod confidence;
mod curve;
mod deep;
mod device_world;
mod env;
mod error;
mod linucb;
mod model;
mod network;
mod neural;
mod observations;
mod policy;
mod qoe;
mod sim;
mod simd;
mod training;

pub use curve::Curve;
pub use deep::{DeepNetwork, MAX_DEPTH};
pub use device_world::{DEVICES, DeviceWorld, MeasuredModel};
pub use env::{Classification, Environment, MAX_ARMS, MAX_ROUND_VALUES, Round, Synthetic, SyntheticReward};
pub use error::{BanditError, Result};
pub use linucb::LinUcb;
pub use ndarray;
pub use network::Network;
pub use neural::{Confidence, Exploration, NeuralBandit, NeuralConfig, ZUpdate};
pub use policy::{Arm, Decision, Policy, RandomPolicy};
pub use qoe::{DEVICE_FEATURES, MODEL_FEATURES, QoeKind, QoeWorld, TableWorld, model_features};
pub use sim::{Delay, SimConfig, simulate, simulate_oracle, simulate_static};
