//! Stage 2 of alg. 2: the optimizer network `x̂_Θ(d, λ)`, trained by Method 1 (eq. 1.9) or
//! Method 2 (eq. 1.10).

use super::check_lambdas;
use edgeopt_predictors::nn::{Activation, AdamState, Mlp};
use ndarray::{Array1, ArrayView1};
use rand::Rng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::choices::ChoiceSpace;
use super::features::DeviceFeatures;
use super::performance::PerformanceNets;
use crate::error::{CodesignError, Result};

/// Added to the relative λ before its logarithm, so λ = 0 (accuracy only) is a valid input.
pub(crate) const LAMBDA_FLOOR: f64 = 1e-3;

/// How the optimizer network is trained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Method {
    /// Method 1 (eq. 1.9): supervised on `x*(d, λ) = argmin_x f̂(x; d, λ)`, found by exhaustive
    /// search of the predicted objective over the candidates; squared error between the
    /// per-position softmax and the one-hot label.
    Supervised,
    /// Method 2 (eq. 1.10): minimise `f̂(softmax(logits / τ); d, λ)` through the frozen
    /// performance networks, τ annealed so the relaxation approaches a one-hot design.
    Unsupervised,
}

/// Settings of stage 2.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptimizerConfig {
    /// Method 1 or 2.
    pub method: Method,
    /// Hidden widths.
    pub hidden: Vec<usize>,
    /// Training set `Λ_T` of relative weights ([`DeviceFeatures::relative_lambda`]).
    pub lambdas: Vec<f64>,
    /// Relative energy weights `λ₂` ([`DeviceFeatures::relative_energy_lambda`]) crossed with
    /// `lambdas`; anything but `[0]` needs an energy network.
    pub energy_lambdas: Vec<f64>,
    /// Passes over `D_T × Λ_T`.
    pub epochs: usize,
    /// Mini-batch size.
    pub batch: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Weight `μ` of the regulariser `μ/2 · ‖Θ‖²`.
    pub mu: f64,
    /// Method 2's softmax temperature at the first and the last epoch (geometric in between).
    pub temperature: (f64, f64),
    /// Fraction of Method 2's last epochs that evaluate the objective at the projected (argmax)
    /// design and pass its gradient back through the softmax (straight-through): the frozen
    /// networks then only see valid designs, as at inference.
    pub straight_through: f64,
}

impl Default for OptimizerConfig {
    fn default() -> Self {
        OptimizerConfig {
            method: Method::Supervised,
            hidden: vec![64, 64],
            lambdas: lambda_grid(0.1, 100.0, 16),
            energy_lambdas: vec![0.0],
            epochs: 200,
            batch: 32,
            lr: 3e-3,
            mu: 1e-5,
            temperature: (1.0, 0.1),
            straight_through: 0.5,
        }
    }
}

/// `n` log-spaced values from `lo` to `hi` (both > 0).
///
/// ```
/// let g = edgeopt_codesign::l2o::lambda_grid(0.1, 10.0, 3);
/// assert!((g[1] - 1.0).abs() < 1e-12);
/// ```
pub fn lambda_grid(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let (a, b) = (lo.ln(), hi.ln());
    (0..n).map(|i| (a + (b - a) * i as f64 / (n.max(2) - 1) as f64).exp()).collect()
}

/// `x̂_Θ(d, λ, λ₂)`: input `[d.inputs(), ln(λ_rel + 10⁻³)]`, then `ln(1 + λ₂_rel / 10⁻³)` when
/// trained with energy; output one logit per option; the design is the argmax at each position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptimizerNet {
    /// The network.
    pub net: Mlp,
    /// The design space.
    pub choices: ChoiceSpace,
    /// Number of reference architectures.
    pub references: usize,
    /// Length of `d.inputs()` (references, then hardware features).
    pub device_width: usize,
    /// Whether the network takes λ₂ (trained with an energy network).
    pub energy: bool,
}

impl OptimizerNet {
    fn n_inputs(&self) -> usize {
        self.device_width + 1 + usize::from(self.energy)
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.net.n_inputs() != self.n_inputs() || self.net.n_outputs() != self.choices.width() {
            return Err(CodesignError::InvalidParam {
                name: "model",
                value: format!("optimizer network {} → {}", self.net.n_inputs(), self.net.n_outputs()),
                reason: format!("needs {} inputs and {} outputs", self.n_inputs(), self.choices.width()),
            });
        }
        Ok(())
    }

    fn input(&self, d: &DeviceFeatures, lambda_rel: f64, energy_rel: f64) -> Result<Array1<f64>> {
        let mut v = d.inputs();
        if v.len() != self.device_width || v.iter().any(|x| !x.is_finite()) {
            return Err(CodesignError::InvalidParam {
                name: "device features",
                value: format!("{} values", v.len()),
                reason: format!("need {} finite values", self.device_width),
            });
        }
        check_lambdas(lambda_rel, energy_rel)?;
        v.push((lambda_rel + LAMBDA_FLOOR).ln());
        match (self.energy, energy_rel) {
            // 0 for λ₂ = 0: latency-only designs sit at the origin of this input.
            (true, _) => v.push((energy_rel / LAMBDA_FLOOR).ln_1p()),
            (false, 0.0) => {}
            (false, _) => {
                return Err(CodesignError::InvalidParam {
                    name: "energy lambda",
                    value: energy_rel.to_string(),
                    reason: "the optimizer was trained without energy: only 0 is possible".into(),
                });
            }
        }
        Ok(Array1::from(v))
    }

    /// Per-option logits for a device and relative weights of latency and energy.
    pub fn logits(&self, d: &DeviceFeatures, lambda_rel: f64, energy_rel: f64) -> Result<Array1<f64>> {
        Ok(self.net.forward(self.input(d, lambda_rel, energy_rel)?.view())?)
    }

    /// The designed architecture (choices) for a device and relative weights: one inference.
    pub fn design(&self, d: &DeviceFeatures, lambda_rel: f64, energy_rel: f64) -> Result<Vec<usize>> {
        Ok(self.choices.argmax(self.logits(d, lambda_rel, energy_rel)?.as_slice().unwrap_or_default()))
    }

    /// [`OptimizerNet::design`] decoded against `perf`: the argmax design and its nearest
    /// alternatives ([`ChoiceSpace::runner_ups`] over the `positions` closest calls) are scored
    /// by the predicted objective `−Acc + λ·Latency (+ λ₂·Energy)` in relative units, and the
    /// best is kept (the argmax on ties). Still one optimizer inference plus one batched
    /// prediction of at most `2^positions` designs.
    pub fn design_decoded(
        &self,
        perf: &PerformanceNets,
        d: &DeviceFeatures,
        weights: (f64, f64),
        positions: usize,
    ) -> Result<Vec<usize>> {
        self.design_decoded_with(perf, d, weights, positions, &[], &|_| None)
    }

    /// [`OptimizerNet::design_decoded`] with `extra` designs scored alongside the argmax and its
    /// runner-ups (e.g. designs known to be good on the training devices for this λ), and with
    /// `known_accuracy(x)`, where it is `Some`, replacing the accuracy network's prediction in the
    /// score (accuracy does not depend on the device, so a table of it is exact everywhere, while
    /// the network can over-predict exactly the designs an optimizer trained through it favours).
    /// With no known accuracy the predicted objective of the result is never worse than that of
    /// `design_decoded`'s. Each extra design must be valid in the space and each known accuracy
    /// finite.
    pub fn design_decoded_with(
        &self,
        perf: &PerformanceNets,
        d: &DeviceFeatures,
        (lambda_rel, energy_rel): (f64, f64),
        positions: usize,
        extra: &[Vec<usize>],
        known_accuracy: &dyn Fn(&[usize]) -> Option<f64>,
    ) -> Result<Vec<usize>> {
        if self.energy != perf.energy.is_some() || perf.choices != self.choices {
            return Err(CodesignError::InvalidParam {
                name: "performance networks",
                value: format!("energy network: {}", perf.energy.is_some()),
                reason: "must be the ones this optimizer was trained through (same space, same energy network)".into(),
            });
        }
        let logits = self.logits(d, lambda_rel, energy_rel)?;
        let mut candidates = self.choices.runner_ups(logits.as_slice().unwrap_or_default(), positions)?;
        for x in extra {
            self.choices.check(x)?;
        }
        candidates.extend(extra.iter().cloned());
        let x = perf.one_hots(&candidates)?;
        let (mut acc, lat) = perf.predict_relative(x.view(), d)?;
        for (a, c) in acc.iter_mut().zip(&candidates) {
            if let Some(known) = known_accuracy(c) {
                if !known.is_finite() {
                    return Err(CodesignError::InvalidParam {
                        name: "known accuracy",
                        value: format!("{known} for {c:?}"),
                        reason: "must be finite".into(),
                    });
                }
                *a = known;
            }
        }
        let mut f: Vec<f64> = acc.iter().zip(&lat).map(|(a, l)| -a + lambda_rel * l).collect();
        if energy_rel > 0.0
            && let Some(e) = perf.energy_relative(x.view(), d)?
        {
            f.iter_mut().zip(&e).for_each(|(v, e)| *v += energy_rel * e);
        }
        let best = (0..candidates.len()).fold(0, |b, i| if f[i] < f[b] { i } else { b });
        Ok(candidates[best].clone())
    }

    /// Train on `D_T × Λ_T` (`devices × cfg.lambdas × cfg.energy_lambdas`) through the frozen `perf`; Method 1 searches
    /// `candidates` exhaustively for its labels. Returns the network and the mean loss of every
    /// epoch (at the parameters the epoch started from when full-batch).
    pub fn train<R: Rng + ?Sized>(
        perf: &PerformanceNets,
        devices: &[DeviceFeatures],
        candidates: &[Vec<usize>],
        cfg: &OptimizerConfig,
        rng: &mut R,
    ) -> Result<(OptimizerNet, Vec<f64>)> {
        let bad = |name, value: String, reason: &str| {
            Err(CodesignError::InvalidParam { name, value, reason: reason.to_string() })
        };
        if devices.is_empty() || cfg.lambdas.is_empty() {
            return bad(
                "devices/lambdas",
                format!("{}/{}", devices.len(), cfg.lambdas.len()),
                "need at least one of each",
            );
        }
        if let Some(l) = cfg.lambdas.iter().chain(&cfg.energy_lambdas).find(|l| !(l.is_finite() && **l >= 0.0)) {
            return bad("lambda", l.to_string(), "training weights must be finite and ≥ 0");
        }
        if cfg.energy_lambdas.is_empty() {
            return bad("energy lambdas", "[]".into(), "need at least one (0: latency only)");
        }
        if let (None, Some(l)) = (&perf.energy, cfg.energy_lambdas.iter().find(|l| **l > 0.0)) {
            return bad("energy lambda", l.to_string(), "the training devices had no energy: only 0 is possible");
        }
        if cfg.batch == 0 || !(cfg.mu.is_finite() && cfg.mu >= 0.0) {
            return bad("batch/mu", format!("{}/{}", cfg.batch, cfg.mu), "need batch ≥ 1 and a finite μ ≥ 0");
        }
        let (t0, t1) = cfg.temperature;
        if !(t0 > 0.0 && t1 > 0.0 && t0.is_finite() && t1.is_finite()) {
            return bad("temperature", format!("{t0}/{t1}"), "must be finite and > 0");
        }
        if !(0.0..=1.0).contains(&cfg.straight_through) {
            return bad("straight_through", cfg.straight_through.to_string(), "must be in [0, 1]");
        }
        let hard_from = cfg.epochs - (cfg.straight_through * cfg.epochs as f64).round() as usize;
        let choices = perf.choices.clone();
        let energy = perf.energy.is_some();
        let mut widths = vec![perf.device_width() + 1 + usize::from(energy)];
        widths.extend(&cfg.hidden);
        widths.push(choices.width());
        let net = Mlp::new(&widths, Activation::Tanh, Activation::Identity, rng)?;
        let mut me =
            OptimizerNet { net, choices, references: perf.references, device_width: perf.device_width(), energy };
        let samples: Vec<(usize, f64, f64)> = (0..devices.len())
            .flat_map(|d| cfg.lambdas.iter().flat_map(move |l| cfg.energy_lambdas.iter().map(move |e| (d, *l, *e))))
            .collect();
        let labels = match cfg.method {
            Method::Supervised => Some(labels(perf, devices, candidates, &samples, &|_| None)?),
            Method::Unsupervised => None,
        };
        let mut theta = me.net.params();
        let mut adam = AdamState::new(theta.len(), cfg.lr)?;
        let mut order: Vec<usize> = (0..samples.len()).collect();
        let mut losses = Vec::with_capacity(cfg.epochs);
        for epoch in 0..cfg.epochs {
            let frac = if cfg.epochs > 1 { epoch as f64 / (cfg.epochs - 1) as f64 } else { 0.0 };
            let temp = t0 * (t1 / t0).powf(frac);
            if cfg.batch < samples.len() {
                order.shuffle(rng);
            }
            let mut total = 0.0;
            for chunk in order.chunks(cfg.batch) {
                let mut grad = Array1::zeros(theta.len());
                for &s in chunk {
                    let (d, lam, lam2) = samples[s];
                    let input = me.input(&devices[d], lam, lam2)?;
                    let logits = me.net.forward(input.view())?;
                    let (loss, dp, t) = match &labels {
                        Some(y) => {
                            let p = me.choices.softmax(logits.view(), 1.0);
                            let target = me.choices.one_hot(&y[s])?;
                            let diff = &p - &target;
                            (diff.dot(&diff), diff * 2.0, 1.0)
                        }
                        None => {
                            // Straight-through passes the gradient back through an unsaturated
                            // softmax (τ = 1) so a confidently wrong choice can still move.
                            let (p, t) = if epoch >= hard_from {
                                (me.choices.one_hot(&me.choices.argmax(logits.as_slice().unwrap_or_default()))?, 1.0)
                            } else {
                                (me.choices.softmax(logits.view(), temp), temp)
                            };
                            // Every trade-off weighs alike: divide by the objective's λ scale.
                            let (f, g) = perf.objective_and_grad(p.view(), &devices[d], lam, lam2)?;
                            let w = 1.0 + lam + lam2;
                            (f / w, g / w, t)
                        }
                    };
                    total += loss;
                    let p = me.choices.softmax(logits.view(), t);
                    let dlogits = me.choices.softmax_backward(p.view(), dp.view(), t);
                    let (g, _) = me.net.backprop(input.view(), (dlogits / chunk.len() as f64).view())?;
                    grad += &g;
                }
                grad.scaled_add(cfg.mu, &theta);
                adam.step(&mut theta, grad.view())?;
                me.net.set_params(theta.view())?;
            }
            losses.push(total / samples.len() as f64 + 0.5 * cfg.mu * theta.dot(&theta));
        }
        Ok((me, losses))
    }
}

/// `x*(d, λ, λ₂)` for every sample (device, λ, λ₂): the candidate minimising the predicted
/// objective, with `known_accuracy(x)` replacing the accuracy network's prediction where it is
/// `Some` (Method 1's labels use none).
pub(crate) fn labels(
    perf: &PerformanceNets,
    devices: &[DeviceFeatures],
    candidates: &[Vec<usize>],
    samples: &[(usize, f64, f64)],
    known_accuracy: &dyn Fn(&[usize]) -> Option<f64>,
) -> Result<Vec<Vec<usize>>> {
    if candidates.is_empty() {
        return Err(CodesignError::InvalidParam {
            name: "candidates",
            value: "0".into(),
            reason: "Method 1 searches at least one candidate".into(),
        });
    }
    let known: Vec<Option<f64>> = candidates.iter().map(|c| known_accuracy(c)).collect();
    if let Some((c, a)) = candidates.iter().zip(&known).find(|(_, a)| a.is_some_and(|a| !a.is_finite())) {
        return Err(CodesignError::InvalidParam {
            name: "known accuracy",
            value: format!("{a:?} for {c:?}"),
            reason: "must be finite".into(),
        });
    }
    let x = perf.one_hots(candidates)?;
    let mut predicted = Vec::with_capacity(devices.len());
    for d in devices {
        let (mut acc, rel) = perf.predict_relative(x.view(), d)?;
        acc.iter_mut().zip(&known).for_each(|(a, k)| *a = k.unwrap_or(*a));
        predicted.push((acc, rel, perf.energy_relative(x.view(), d)?));
    }
    let out = samples.iter().map(|&(d, lam, lam2)| {
        let (acc, lat, en) = &predicted[d];
        candidates[argmin_objective(acc.view(), lat.view(), en.as_ref().map(|e| (e.view(), lam2)), lam)].clone()
    });
    Ok(out.collect())
}

/// Index minimising `−acc + λ·latency (+ λ₂·energy)` (ties: lowest index).
pub(crate) fn argmin_objective(
    acc: ArrayView1<f64>,
    lat: ArrayView1<f64>,
    energy: Option<(ArrayView1<f64>, f64)>,
    lambda: f64,
) -> usize {
    let f = |i: usize| -acc[i] + lambda * lat[i] + energy.as_ref().map_or(0.0, |(e, l2)| l2 * e[i]);
    (0..acc.len()).fold(0, |best, i| if f(i) < f(best) { i } else { best })
}
