//! A small dense neural network: forward, backpropagation, SGD/Adam training, per-sample
//! gradients with respect to every parameter, and freezing of early layers.
//!
//! Split by concept: [`Activation`] and [`Dense`] layers, the [`Mlp`] with its forward pass and
//! backpropagation, its mini-batch training, the single-precision [`InferenceMlp`], and the
//! optimisers ([`Optimizer`], [`TrainConfig`], [`AdamState`]).

mod inference;
mod layers;
mod mlp;
mod optim;
mod train;

pub use inference::InferenceMlp;
pub use layers::{Activation, Dense};
pub use mlp::Mlp;
pub use optim::{AdamState, Optimizer, TrainConfig};
