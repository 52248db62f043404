//! The hyperparameters of the neural policies.

use serde::{Deserialize, Serialize};

/// How a score turns into exploration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Exploration {
    /// NeuralUCB: `f + γ·‖g/√m‖_{Z⁻¹}`.
    Ucb,
    /// NeuralTS: sample from N(f, γ²·‖g/√m‖²_{Z⁻¹}).
    Thompson,
    /// Random arm with probability ε, else the largest `f`.
    EpsilonGreedy(f64),
}

/// When the confidence matrix Z takes a decision's gradient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ZUpdate {
    /// At selection (default; pending rewards already shrink the bonus).
    AtSelection,
    /// When the reward arrives.
    OnArrival,
}

/// The confidence matrix Z of the UCB bonus `‖g/√m‖_{Z⁻¹}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Confidence {
    /// Diagonal Z over all parameters (default; O(p) per arm).
    Diagonal,
    /// Full Z over all parameters, inverse kept by Sherman–Morrison: O(nnz(g)²) per arm and one
    /// O(p²) in-place rank-one update per decision (p ≤ 4096).
    Full,
    /// Full Z over the output layer's parameters only (O(m²)).
    LastLayer,
}

/// Hyperparameters (defaults: the reference protocol of the bandit data README).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NeuralConfig {
    /// Hidden width m.
    pub width: usize,
    /// Layers L ≥ 2 (2: the reference's `√m·w2ᵀReLU(W1 x)`; the thesis's QoE predictor has 4).
    #[serde(default = "two_layers")]
    pub depth: usize,
    /// Regularisation λ (also Z's initial diagonal).
    pub lambda: f64,
    /// Exploration scale γ.
    pub gamma: f64,
    /// Gradient-descent step for contexts of norm ≤ 1 (NeuralUCB's assumption). For larger
    /// contexts the step is divided by the largest squared norm seen: the curvature of the loss
    /// grows with ‖x‖², and an unscaled step makes descent diverge.
    pub lr: f64,
    /// Retrain after every `retrain_every` rewards...
    pub retrain_every: usize,
    /// ...for `retrain_steps` full-batch steps.
    pub retrain_steps: usize,
    /// Also retrain after 1, 2, 4, ... rewards until `retrain_every` (removes most cold-start regret).
    pub geometric_start: bool,
    /// Exploration rule.
    pub exploration: Exploration,
    /// When Z is updated.
    pub z_update: ZUpdate,
    /// Form of Z.
    pub confidence: Confidence,
    /// Seed of initialisation and tie-breaking.
    pub seed: u64,
    /// Retrain the two-layer network with single-precision matrix products (weights, errors and
    /// updates stay f64): 1.5–1.8× as fast on large training sets, regret within noise of f64
    /// (see the crate README). Default off, so that results are bit-for-bit those of f64.
    #[serde(default)]
    pub f32_training: bool,
}

fn two_layers() -> usize {
    2
}

impl Default for NeuralConfig {
    fn default() -> Self {
        NeuralConfig {
            width: 100,
            depth: 2,
            lambda: 1e-3,
            gamma: 0.1,
            lr: 0.01,
            retrain_every: 100,
            retrain_steps: 100,
            geometric_start: true,
            exploration: Exploration::Ucb,
            z_update: ZUpdate::AtSelection,
            confidence: Confidence::Diagonal,
            seed: 0,
            f32_training: false,
        }
    }
}
