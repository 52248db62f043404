//! The training devices' optima per grid point of `(λ, λ₂)`, stored in the model as extra
//! candidates for table-accuracy decoding ([`super::L2oModel::apply_features_with`]).

use serde::{Deserialize, Serialize};

use super::choices::ChoiceSpace;
use super::features::DeviceFeatures;
use super::optimizer::{LAMBDA_FLOOR, OptimizerConfig, labels};
use super::performance::PerformanceNets;
use crate::error::{CodesignError, Result};

/// For every grid point `(λ_rel, λ₂_rel)` of the optimizer's training set, the distinct designs
/// that minimise `−accuracy + λ·Latency(x; d) (+ λ₂·Energy(x; d))` over the training candidates
/// on some training device `d`, accuracy from the table the model was trained with (the
/// accuracy network where the table has none) and latency and energy predicted. A new device's
/// optimum is often one of them even when the optimizer's argmax is not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingOptima {
    /// The accuracy column of the table the optima were found with: `apply` scores by table
    /// accuracy only with this column.
    pub accuracy: String,
    /// Relative latency weights ([`DeviceFeatures::relative_lambda`]).
    pub lambdas: Vec<f64>,
    /// Relative energy weights ([`DeviceFeatures::relative_energy_lambda`]).
    pub energy_lambdas: Vec<f64>,
    /// Designs of grid point `(i, j)` at `i · energy_lambdas.len() + j`.
    pub designs: Vec<Vec<Vec<usize>>>,
}

impl TrainingOptima {
    /// The optima over `devices × cfg.lambdas × cfg.energy_lambdas`, as Method 1 labels them
    /// (an exhaustive search of `candidates`) but with `known_accuracy(x)`, where `Some`,
    /// replacing the accuracy network's prediction. `accuracy` names its source.
    pub fn find(
        perf: &PerformanceNets,
        devices: &[DeviceFeatures],
        candidates: &[Vec<usize>],
        cfg: &OptimizerConfig,
        accuracy: &str,
        known_accuracy: &dyn Fn(&[usize]) -> Option<f64>,
    ) -> Result<TrainingOptima> {
        let grid: Vec<(f64, f64)> =
            cfg.lambdas.iter().flat_map(|l| cfg.energy_lambdas.iter().map(move |e| (*l, *e))).collect();
        let samples: Vec<(usize, f64, f64)> =
            grid.iter().flat_map(|&(l, e)| (0..devices.len()).map(move |d| (d, l, e))).collect();
        let found = labels(perf, devices, candidates, &samples, known_accuracy)?;
        let designs = found
            .chunks(devices.len().max(1))
            .map(|per_device| {
                let mut v: Vec<Vec<usize>> = Vec::new();
                for x in per_device {
                    if !v.contains(x) {
                        v.push(x.clone());
                    }
                }
                v
            })
            .collect();
        let me = TrainingOptima {
            accuracy: accuracy.to_string(),
            lambdas: cfg.lambdas.clone(),
            energy_lambdas: cfg.energy_lambdas.clone(),
            designs,
        };
        me.validate(&perf.choices)?;
        Ok(me)
    }

    /// Check the grid (non-empty, finite, ≥ 0), that there is one list per grid point, and that
    /// every design belongs to `choices`.
    pub fn validate(&self, choices: &ChoiceSpace) -> Result<()> {
        let bad_grid = self.lambdas.iter().chain(&self.energy_lambdas).find(|l| !(l.is_finite() && **l >= 0.0));
        if self.lambdas.is_empty()
            || self.energy_lambdas.is_empty()
            || bad_grid.is_some()
            || self.designs.len() != self.lambdas.len() * self.energy_lambdas.len()
        {
            return Err(CodesignError::InvalidParam {
                name: "training optima",
                value: format!(
                    "{} λ × {} λ₂ grid points, {} design lists",
                    self.lambdas.len(),
                    self.energy_lambdas.len(),
                    self.designs.len()
                ),
                reason: "need a non-empty grid of finite weights ≥ 0 and one list per grid point".into(),
            });
        }
        self.designs.iter().flatten().try_for_each(|x| choices.check(x))
    }

    /// The designs of the grid point nearest to `(lambda_rel, energy_rel)`, distances measured
    /// on the optimizer's own input scales (`ln(λ + 10⁻³)` and `ln(1 + λ₂ / 10⁻³)`).
    pub fn nearest(&self, lambda_rel: f64, energy_rel: f64) -> &[Vec<usize>] {
        let closest = |grid: &[f64], v: f64, f: fn(f64) -> f64| {
            (0..grid.len()).fold(0, |b, i| if (f(grid[i]) - f(v)).abs() < (f(grid[b]) - f(v)).abs() { i } else { b })
        };
        let i = closest(&self.lambdas, lambda_rel, |l| (l + LAMBDA_FLOOR).ln());
        let j = closest(&self.energy_lambdas, energy_rel, |e| (e / LAMBDA_FLOOR).ln_1p());
        self.designs.get(i * self.energy_lambdas.len() + j).map_or(&[], |v| v.as_slice())
    }
}
