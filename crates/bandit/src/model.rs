//! The network behind a neural policy: the specialised two-layer [`Network`] (sparse contexts,
//! pattern-grouped training) or a [`DeepNetwork`] of three or more layers.

use ndarray::{Array1, Array2, ArrayView1};
use serde::{Deserialize, Serialize};

use crate::deep::{DeepNetwork, DeepScratch};
use crate::network::{Network, Scratch};
use crate::observations::Observations;

/// Either network, with one interface for the policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum Model {
    /// Two layers.
    Shallow(Network),
    /// Three or more layers.
    Deep(DeepNetwork),
}

/// Work buffers of either network (never saved).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ModelScratch {
    shallow: Scratch,
    deep: DeepScratch,
}

impl Model {
    pub fn d(&self) -> usize {
        match self {
            Model::Shallow(n) => n.d(),
            Model::Deep(n) => n.d(),
        }
    }

    pub fn m(&self) -> usize {
        match self {
            Model::Shallow(n) => n.m(),
            Model::Deep(n) => n.m(),
        }
    }

    pub fn n_params(&self) -> usize {
        match self {
            Model::Shallow(n) => n.n_params(),
            Model::Deep(n) => n.n_params(),
        }
    }

    /// Position in the internal layout (of the diagonal Z) of parameter `k` of the public layout.
    pub fn internal_index(&self, k: usize) -> usize {
        match self {
            Model::Shallow(n) => n.internal_index(k),
            Model::Deep(_) => k,
        }
    }

    pub fn value_and_gradient(&self, x: ArrayView1<f64>, s: &mut ModelScratch) -> (f64, Array1<f64>) {
        match self {
            Model::Shallow(n) => n.value_and_gradient_unchecked(x),
            Model::Deep(n) => n.value_and_gradient_unchecked(x, &mut s.deep),
        }
    }

    pub fn value_and_weighted_norm(&self, x: ArrayView1<f64>, inv: &[f64], s: &mut ModelScratch) -> (f64, f64) {
        match self {
            Model::Shallow(n) => n.value_and_weighted_norm(x, inv, &mut s.shallow),
            Model::Deep(n) => n.value_and_weighted_norm(x, inv, &mut s.deep),
        }
    }

    pub fn accumulate_squared_gradient(
        &self,
        x: ArrayView1<f64>,
        z: &mut [f64],
        inv: &mut [f64],
        s: &mut ModelScratch,
    ) {
        match self {
            Model::Shallow(n) => n.accumulate_squared_gradient(x, z, inv, &mut s.shallow),
            Model::Deep(n) => n.accumulate_squared_gradient(x, z, inv, &mut s.deep),
        }
    }

    /// `steps` full-batch steps on the training set (products in f32 if `f32`; two layers only).
    pub fn train_on(&mut self, obs: &Observations, lambda: f64, lr: f64, steps: usize, f32: bool) {
        match self {
            Model::Shallow(n) => n.train_on(obs, lambda, lr, steps, f32),
            Model::Deep(n) => {
                let rows = obs.distinct();
                let mut x = Array2::zeros((rows, obs.d()));
                let (mut count, mut sum) = (Vec::with_capacity(rows), Vec::with_capacity(rows));
                for (r, row) in obs.rows(0, rows).enumerate() {
                    for (&j, &v) in row.index.iter().zip(row.value) {
                        x[(r, j)] = v;
                    }
                    count.push(row.count);
                    sum.push(row.sum);
                }
                n.train_rows(&x, &count, &sum, obs.len() as f64, lambda, lr, steps);
            }
        }
    }
}
