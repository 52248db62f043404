//! Activations and the dense layer the networks are built from.

use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

/// Element-wise activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Activation {
    /// max(0, x)
    Relu,
    /// tanh(x)
    Tanh,
    /// 1 / (1 + e^(−x))
    Sigmoid,
    /// x
    Identity,
}

impl Activation {
    pub(super) fn apply(self, x: f64) -> f64 {
        match self {
            Activation::Relu => x.max(0.0),
            Activation::Tanh => x.tanh(),
            Activation::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            Activation::Identity => x,
        }
    }
    /// Derivative, given the pre-activation `z` and the output `a`.
    pub(super) fn grad(self, z: f64, a: f64) -> f64 {
        match self {
            Activation::Relu => {
                if z > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::Tanh => 1.0 - a * a,
            Activation::Sigmoid => a * (1.0 - a),
            Activation::Identity => 1.0,
        }
    }
}

/// One dense layer `act(W x + b)`, `W` of shape (outputs, inputs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dense {
    /// Weights (outputs × inputs).
    pub w: Array2<f64>,
    /// Biases.
    pub b: Array1<f64>,
    /// Activation.
    pub act: Activation,
    /// Frozen layers are not updated by training.
    pub frozen: bool,
}
