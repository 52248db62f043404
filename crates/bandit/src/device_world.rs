//! A QoE world built from measured device behaviour: NAS-Bench-201 models as arms, with their
//! measured CIFAR-10 accuracies and their measured latencies on the six HW-NAS-Bench devices.
//!
//! Every round a device arrives (one of the six, uniformly) in a load/thermal state (idle, busy or
//! throttled: its latencies ×1, ×1.6 or ×2.5, reported by the device), used by a user of one of three
//! latency tolerances (5, 15 or 50 ms, known from the user's settings). Latency then varies further
//! from run to run (log-normal jitter, σ = 0.15, unknown to the policy). The user's expected QoE for a
//! model is `0.5·a + 0.5/(1 + (L/τ)²)`, with `a` the model's accuracy rescaled to 0–1 over the zoo
//! and `L` its latency in this state; the rating adds N(0, noise²). So the best model truly depends
//! on device, state and user: the most accurate one on the Edge TPU (~1 ms), a small one for an
//! impatient user of a loaded Raspberry Pi 4 (10–55 ms).

use ndarray::{Array1, Array2};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

use crate::env::{Environment, Round, check_round_size};
use crate::error::{BanditError, Result};
use crate::network::standard_normal;

/// The six HW-NAS-Bench devices, in the order of [`MeasuredModel::latency_ms`] (the
/// `latency_ms_<device>` columns of the NB201 × HW-NAS-Bench table).
pub const DEVICES: [&str; 6] = ["edgegpu", "raspi4", "edgetpu", "pixel3", "eyeriss", "fpga"];
/// Load/thermal states and their latency factors.
const STATES: [f64; 3] = [1.0, 1.6, 2.5];
/// Users' latency tolerances τ (ms).
const TOLERANCES: [f64; 3] = [5.0, 15.0, 50.0];
/// Run-to-run latency jitter (σ of the log).
const JITTER: f64 = 0.15;

/// One arm: a model with its measured accuracy, size and per-device latencies.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasuredModel {
    /// Name (e.g. the NB201 architecture index).
    pub name: String,
    /// Top-1 accuracy (%).
    pub accuracy: f64,
    /// Compute (MFLOPs).
    pub mflops: f64,
    /// Latency (ms) on each device of [`DEVICES`].
    pub latency_ms: [f64; 6],
}

/// The measured-device QoE world (see the module documentation).
///
/// ```
/// use edgeopt_bandit::{DeviceWorld, Environment, MeasuredModel};
/// let model = |name: &str, accuracy, mflops, ms| MeasuredModel { name: name.into(), accuracy, mflops, latency_ms: [ms; 6] };
/// let mut world = DeviceWorld::new(vec![model("small", 88.0, 20.0, 2.0), model("big", 94.0, 200.0, 40.0)], 0.05, 1)?;
/// let round = world.next_round();
/// assert_eq!(round.contexts.dim(), (2, world.dim()));
/// assert!(round.latency.is_some());
/// # Ok::<(), edgeopt_bandit::BanditError>(())
/// ```
#[derive(Debug)]
pub struct DeviceWorld {
    models: Vec<MeasuredModel>,
    /// Per model: accuracy rescaled to 0–1 over the zoo, and log-compute standardised.
    acc01: Vec<f64>,
    compute: Vec<f64>,
    noise: f64,
    rng: ChaCha8Rng,
}

impl DeviceWorld {
    /// A world over `models` (at least two, finite positive measurements) with rating noise
    /// `noise`; `seed` drives devices, states, users, jitter and noise.
    pub fn new(models: Vec<MeasuredModel>, noise: f64, seed: u64) -> Result<DeviceWorld> {
        check_round_size(models.len(), DEVICES.len() + 5)?;
        if models.len() < 2 || !(noise >= 0.0 && noise.is_finite()) {
            return Err(BanditError::InvalidParam {
                name: "models/noise",
                value: format!("{}/{noise}", models.len()),
                reason: "need at least two models and a finite noise ≥ 0",
            });
        }
        for m in &models {
            if let Some(&v) = [m.accuracy, m.mflops].iter().chain(&m.latency_ms).find(|v| !(v.is_finite() && **v > 0.0))
            {
                return Err(BanditError::Data {
                    file: "<measured models>".into(),
                    message: format!("model {}: measurement {v} is not a positive number", m.name),
                });
            }
        }
        let (lo, hi) = models
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), m| (lo.min(m.accuracy), hi.max(m.accuracy)));
        let span = if hi > lo { hi - lo } else { 1.0 };
        let acc01 = models.iter().map(|m| (m.accuracy - lo) / span).collect();
        let logs: Vec<f64> = models.iter().map(|m| m.mflops.ln()).collect();
        let mean = logs.iter().sum::<f64>() / logs.len() as f64;
        let sd = (logs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / logs.len() as f64).sqrt();
        let compute = logs.iter().map(|v| if sd > 0.0 { (v - mean) / sd } else { 0.0 }).collect();
        Ok(DeviceWorld { models, acc01, compute, noise, rng: ChaCha8Rng::seed_from_u64(seed) })
    }

    /// `k` models of a NB201 × HW-NAS-Bench table (columns `arch_index`, `flops_m`,
    /// `test_acc_cifar10` and `latency_ms_<device>` for each of [`DEVICES`]): the accuracy–compute
    /// Pareto front, thinned to `k` models evenly spaced along it.
    pub fn pareto_models(table: &edgeopt_predictors::data::DeviceTable, k: usize) -> Result<Vec<MeasuredModel>> {
        let bad = |message: String| BanditError::Data { file: "<NB201 × HW-NAS-Bench table>".into(), message };
        let col = |name: &str| table.numeric(name).map_err(|e| bad(e.to_string()));
        let (names, acc, flops) =
            (table.text("arch_index").map_err(|e| bad(e.to_string()))?, col("test_acc_cifar10")?, col("flops_m")?);
        let lat: Vec<Vec<Option<f64>>> =
            DEVICES.iter().map(|d| col(&format!("latency_ms_{d}"))).collect::<Result<_>>()?;
        let mut rows: Vec<MeasuredModel> = (0..table.len())
            .filter_map(|r| {
                let latency_ms = [lat[0][r]?, lat[1][r]?, lat[2][r]?, lat[3][r]?, lat[4][r]?, lat[5][r]?];
                Some(MeasuredModel { name: names[r].to_string(), accuracy: acc[r]?, mflops: flops[r]?, latency_ms })
            })
            .filter(|m| m.accuracy > 0.0 && m.mflops > 0.0 && m.latency_ms.iter().all(|l| *l > 0.0))
            .collect();
        rows.sort_by(|a, b| a.mflops.total_cmp(&b.mflops).then(b.accuracy.total_cmp(&a.accuracy)));
        let mut front: Vec<MeasuredModel> = Vec::new();
        for m in rows {
            if front.last().is_none_or(|best| m.accuracy > best.accuracy) {
                front.push(m);
            }
        }
        if front.len() < k.max(2) {
            return Err(bad(format!("the Pareto front has {} models, {k} asked", front.len())));
        }
        let picks: Vec<usize> = (0..k).map(|i| i * (front.len() - 1) / (k - 1).max(1)).collect();
        Ok(picks.into_iter().map(|i| front[i].clone()).collect())
    }

    /// The models (arms).
    pub fn models(&self) -> &[MeasuredModel] {
        &self.models
    }

    /// Expected QoE (0–1) of model `a` on `device` in load state `state` for tolerance class `user`.
    pub fn expected_qoe(&self, a: usize, device: usize, state: usize, user: usize) -> f64 {
        let latency = self.models[a].latency_ms[device] * STATES[state];
        qoe(self.acc01[a], latency, TOLERANCES[user])
    }
}

fn qoe(acc01: f64, latency: f64, tolerance: f64) -> f64 {
    0.5 * acc01 + 0.5 / (1.0 + (latency / tolerance).powi(2))
}

impl Environment for DeviceWorld {
    /// Device one-hot (6), load state, user tolerance, model compute and accuracy, a constant.
    fn dim(&self) -> usize {
        DEVICES.len() + 5
    }

    fn next_round(&mut self) -> Round {
        let device = self.rng.random_range(0..DEVICES.len());
        let state = self.rng.random_range(0..STATES.len());
        let user = self.rng.random_range(0..TOLERANCES.len());
        let k = self.models.len();
        let mut contexts = Array2::zeros((k, self.dim()));
        let (mut rewards, mut expected, mut latency) = (Array1::zeros(k), Array1::zeros(k), Array1::zeros(k));
        for a in 0..k {
            let mut row = contexts.row_mut(a);
            row[device] = 1.0;
            row[6] = state as f64 / 2.0;
            row[7] = user as f64 / 2.0;
            row[8] = self.compute[a] / 2.0;
            row[9] = self.acc01[a];
            row[10] = 1.0;
            let norm = row.dot(&row).sqrt();
            row.mapv_inplace(|v| v / norm);
            let nominal = self.models[a].latency_ms[device] * STATES[state];
            let realised = nominal * (JITTER * standard_normal(&mut self.rng)).exp();
            expected[a] = qoe(self.acc01[a], nominal, TOLERANCES[user]);
            rewards[a] = qoe(self.acc01[a], realised, TOLERANCES[user]) + self.noise * standard_normal(&mut self.rng);
            latency[a] = nominal;
        }
        Round::new(contexts, rewards).with_expected(expected).with_latency(latency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zoo() -> Vec<MeasuredModel> {
        // Accuracy saturates with size; latency doubles with each step on the Raspberry Pi and
        // barely moves on the Edge TPU.
        (0..6)
            .map(|i| {
                let s = 1.0 + i as f64;
                MeasuredModel {
                    name: format!("m{i}"),
                    accuracy: 86.0 + 8.0 * (1.0 - 0.5f64.powi(i)),
                    mflops: 20.0 * s,
                    latency_ms: [5.0 + s, 2.0 * 2f64.powi(i), 0.8 + 0.1 * s, 3.0 * s, 3.0 + s, 2.5 + 0.5 * s],
                }
            })
            .collect()
    }

    #[test]
    fn the_best_model_depends_on_device_state_and_user() {
        let w = DeviceWorld::new(zoo(), 0.0, 0).unwrap();
        let best = |device, state, user| {
            (0..6).max_by(|&a, &b| {
                w.expected_qoe(a, device, state, user).total_cmp(&w.expected_qoe(b, device, state, user))
            })
        };
        // Edge TPU, idle, patient user: the most accurate model.
        assert_eq!(best(2, 0, 2), Some(5));
        // Raspberry Pi, idle, 15 ms user: a mid-sized model (2·acc + latency term 0.98, 1.45, 1.55, 1.37, ...).
        assert_eq!(best(1, 0, 1), Some(2));
        let bests: std::collections::BTreeSet<_> = (0..6)
            .flat_map(|d| (0..3).flat_map(move |s| (0..3).map(move |u| (d, s, u))))
            .map(|(d, s, u)| best(d, s, u))
            .collect();
        assert!(bests.len() >= 3, "{bests:?}");
    }

    #[test]
    fn rounds_are_unit_norm_and_bad_models_are_refused() {
        let mut w = DeviceWorld::new(zoo(), 0.05, 3).unwrap();
        let r = w.next_round();
        for row in r.contexts.rows() {
            assert!((row.dot(&row) - 1.0).abs() < 1e-12);
        }
        let mut bad = zoo();
        bad[1].latency_ms[3] = f64::NAN;
        assert!(matches!(DeviceWorld::new(bad, 0.05, 0), Err(BanditError::Data { .. })));
        assert!(DeviceWorld::new(zoo()[..1].to_vec(), 0.05, 0).is_err());
    }
}
