//! Optimisers: the settings of [`Mlp::train`](super::Mlp::train) and a free-standing Adam
//! for callers that train through [`Mlp::backprop`](super::Mlp::backprop) with their own loss.

use ndarray::{Array1, ArrayView1};
use serde::{Deserialize, Serialize};

use crate::error::{PredictorError, Result, check_finite, check_len};

/// Optimiser of [`Mlp::train`](super::Mlp::train).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Optimizer {
    /// Plain gradient descent.
    Sgd {
        /// Learning rate.
        lr: f64,
    },
    /// Adam (Kingma & Ba, 2015).
    Adam {
        /// Learning rate.
        lr: f64,
        /// First-moment decay.
        beta1: f64,
        /// Second-moment decay.
        beta2: f64,
        /// Numerical floor.
        eps: f64,
    },
}

impl Optimizer {
    /// Adam with the usual defaults and learning rate `lr`.
    pub fn adam(lr: f64) -> Optimizer {
        Optimizer::Adam { lr, beta1: 0.9, beta2: 0.999, eps: 1e-8 }
    }
}

/// Training settings: squared-error loss `½ mean (f − y)²`, plus `l2_to_init/2 · ‖θ − θ₀‖²`
/// towards the parameters `θ₀` at the start of training (NeuralUCB's regulariser) when non-zero.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Optimiser.
    pub optimizer: Optimizer,
    /// Passes over the data.
    pub epochs: usize,
    /// Mini-batch size; `None` for full-batch.
    pub batch_size: Option<usize>,
    /// Weight of the pull towards the initial parameters.
    pub l2_to_init: f64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig { optimizer: Optimizer::adam(1e-3), epochs: 100, batch_size: Some(32), l2_to_init: 0.0 }
    }
}

/// Adam over a flat parameter vector (the layout of [`Mlp::params`](super::Mlp::params)), for
/// callers that train a network with their own loss through
/// [`Mlp::backprop`](super::Mlp::backprop).
///
/// ```
/// use edgeopt_predictors::nn::AdamState;
/// use edgeopt_predictors::ndarray::array;
/// let mut p = array![3.0];
/// let mut adam = AdamState::new(1, 0.1).unwrap();
/// for _ in 0..300 {
///     let g = &p * 2.0; // d/dp p²
///     adam.step(&mut p, g.view()).unwrap();
/// }
/// assert!(p[0].abs() < 0.05);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AdamState {
    lr: f64,
    m: Array1<f64>,
    v: Array1<f64>,
    step: i32,
}

impl AdamState {
    /// Zero moments for `n` parameters, learning rate `lr` (β₁ = 0.9, β₂ = 0.999).
    pub fn new(n: usize, lr: f64) -> Result<AdamState> {
        if !(lr > 0.0 && lr.is_finite()) {
            return Err(PredictorError::InvalidParam {
                name: "lr",
                value: lr.to_string(),
                reason: "must be finite and > 0",
            });
        }
        Ok(AdamState { lr, m: Array1::zeros(n), v: Array1::zeros(n), step: 0 })
    }

    /// One update of `params` along the gradient `grad`.
    pub fn step(&mut self, params: &mut Array1<f64>, grad: ArrayView1<f64>) -> Result<()> {
        check_len("parameters", self.m.len(), params.len())?;
        check_len("gradient", self.m.len(), grad.len())?;
        check_finite("gradient", grad.iter().copied())?;
        let (beta1, beta2, eps) = (0.9, 0.999, 1e-8);
        self.step = self.step.saturating_add(1);
        let (c1, c2) = (1.0 - f64::powi(beta1, self.step), 1.0 - f64::powi(beta2, self.step));
        for (((p, g), m), v) in params.iter_mut().zip(grad).zip(self.m.iter_mut()).zip(self.v.iter_mut()) {
            *m = beta1 * *m + (1.0 - beta1) * g;
            *v = beta2 * *v + (1.0 - beta2) * g * g;
            *p -= self.lr * (*m / c1) / ((*v / c2).sqrt() + eps);
        }
        Ok(())
    }
}
