//! Stage 1 of alg. 2 (lines 4–12): train the performance networks on real devices, adding an
//! exploration set of new designs each round.

use edgeopt_predictors::nn::TrainConfig;
use ndarray::{Array1, Array2};
use rand::Rng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::choices::ChoiceSpace;
use super::features::{DeviceFeatures, choose_references};
use super::hardware::{HardwareDescription, HardwareNormaliser};
use super::performance::{Ensemble, PerformanceNets};
use super::synthetic::Synthetic;
use crate::device::Device;
use crate::error::{CodesignError, Result};

/// How `X_explore` is chosen each round (alg. 2 line 11, left open by the thesis).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Exploration {
    /// The unmeasured designs (of a random pool) on which the ensemble members disagree most:
    /// the spread of predicted accuracy plus the mean spread of predicted latency over the real
    /// devices, each relative to its target's standard deviation.
    Disagreement,
    /// Uniformly random unmeasured designs (the baseline).
    Random,
}

/// Settings of stage 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stage1Config {
    /// Designs measured before the first round (the initial `X_T`).
    pub initial: usize,
    /// Designs added per round (`|X_explore|`).
    pub per_round: usize,
    /// Rounds (`Max_Iterate`); the networks are trained once per round.
    pub rounds: usize,
    /// Reference architectures (`k`; the measurements a new device costs).
    pub references: usize,
    /// How `X_explore` is chosen.
    pub exploration: Exploration,
    /// Unmeasured designs scored per round by [`Exploration::Disagreement`].
    pub pool: usize,
    /// Further designs whose accuracy alone is measured (accuracy is device-independent, so a
    /// larger set costs no device time); they train only `Acc(x)`.
    pub accuracy_designs: usize,
    /// A trained accuracy network to use as is (the thesis reuses Approach 1's accuracy
    /// predictor; accuracy does not depend on the device). Then it is not retrained and no
    /// accuracy-only designs are measured.
    pub pretrained_accuracy: Option<Ensemble>,
    /// Synthetic devices added to the real ones.
    pub synthetic: usize,
    /// Half-width of the synthetic devices' per-option log-cost offsets.
    pub perturbation: f64,
    /// Networks per ensemble.
    pub members: usize,
    /// Hidden widths of every performance network.
    pub hidden: Vec<usize>,
    /// Training of every performance network.
    pub train: TrainConfig,
    /// Also train `Energy(x; d)` on the devices' measured energies (every one must be > 0).
    pub energy: bool,
    /// Hardware descriptions of the real devices, in order, as extra device features (empty:
    /// none). With them `references` may be 0: a new device then costs no measurement.
    pub hardware: Vec<HardwareDescription>,
}

impl Default for Stage1Config {
    fn default() -> Self {
        Stage1Config {
            initial: 200,
            per_round: 100,
            rounds: 4,
            references: 8,
            exploration: Exploration::Disagreement,
            pool: 2000,
            accuracy_designs: 0,
            pretrained_accuracy: None,
            synthetic: 0,
            perturbation: 0.1,
            members: 2,
            hidden: vec![64, 64],
            train: TrainConfig { epochs: 60, batch_size: Some(64), ..TrainConfig::default() },
            energy: false,
            hardware: Vec::new(),
        }
    }
}

/// What stage 1 returns.
#[derive(Debug, Clone)]
pub struct Stage1 {
    /// The trained performance networks.
    pub nets: PerformanceNets,
    /// The reference architectures, in feature order.
    pub references: Vec<Vec<usize>>,
    /// Features of the real training devices, then of the synthetic ones.
    pub devices: Vec<DeviceFeatures>,
    /// The synthetic devices.
    pub synthetic: Vec<Synthetic>,
    /// Every measured design (`X_T`), in measurement order.
    pub measured: Vec<Vec<usize>>,
}

/// Run stage 1 over `candidates` (members of `choices`), measuring accuracy with `accuracy` and
/// latency on every real device of `devices`. Deterministic for a given `rng`.
pub fn train_performance<R: Rng + ?Sized>(
    choices: &ChoiceSpace,
    candidates: &[Vec<usize>],
    accuracy: &(dyn Fn(&[usize]) -> Result<f64> + Sync),
    devices: &[&dyn Device<Vec<usize>>],
    cfg: &Stage1Config,
    rng: &mut R,
) -> Result<Stage1> {
    let total = cfg.initial + cfg.per_round * cfg.rounds.saturating_sub(1);
    let bad = |name, value: String, reason: String| Err(CodesignError::InvalidParam { name, value, reason });
    if devices.is_empty() {
        return bad("devices", "0".into(), "need at least one real training device".into());
    }
    if cfg.rounds == 0 || cfg.initial < 2 || total > candidates.len() {
        return bad(
            "initial/per_round/rounds",
            format!("{}/{}/{}", cfg.initial, cfg.per_round, cfg.rounds),
            format!("need ≥ 1 round, ≥ 2 initial designs and at most {} measured in all", candidates.len()),
        );
    }
    for c in candidates {
        choices.check(c)?;
    }
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.shuffle(rng);
    let mut next = cfg.initial;
    let mut measured: Vec<Vec<usize>> = order[..cfg.initial].iter().map(|&i| candidates[i].clone()).collect();
    let mut acc = Vec::new();
    let mut lat: Vec<Vec<f64>> = vec![Vec::new(); devices.len()];
    let mut en: Vec<Vec<f64>> = vec![Vec::new(); if cfg.energy { devices.len() } else { 0 }];
    measure(&measured, accuracy, devices, &mut acc, &mut lat, &mut en)?;
    let n_extra = if cfg.pretrained_accuracy.is_some() { 0 } else { cfg.accuracy_designs.min(candidates.len()) };
    // Accuracy-only designs come from the far end of the order, away from the explored prefix.
    let extra: Vec<(Vec<usize>, f64)> = order[candidates.len() - n_extra..]
        .iter()
        .map(|&i| Ok((candidates[i].clone(), finite_accuracy(accuracy, &candidates[i])?)))
        .collect::<Result<_>>()?;
    let hardware = match cfg.hardware.len() {
        0 => None,
        n if n == devices.len() && cfg.synthetic == 0 => Some(HardwareNormaliser::fit(&cfg.hardware)?),
        n => {
            return bad(
                "hardware descriptions",
                n.to_string(),
                format!("need one per real device ({}) and no mixture synthetic devices", devices.len()),
            );
        }
    };
    let refs = match (cfg.references, &hardware) {
        (0, Some(_)) => Vec::new(),
        (k, _) => choose_references(&lat, k)?,
    };
    let references: Vec<Vec<usize>> = refs.iter().map(|&i| measured[i].clone()).collect();
    let synthetic = Synthetic::sample(devices.len(), choices, cfg.synthetic, cfg.perturbation, rng)?;
    let device_values = |values: &[Vec<f64>], i: usize| -> Result<Vec<f64>> {
        let real: Vec<f64> = values.iter().map(|d| d[i]).collect();
        let mut all = real.clone();
        for s in &synthetic {
            all.push(s.latency(&real, &measured[i])?);
        }
        Ok(all)
    };
    let base = |values: &[Vec<f64>]| mean_log(values.iter().flatten());
    let (base_scale, base_energy_scale) = (base(&lat), cfg.energy.then(|| base(&en)));
    let ref_lat: Vec<Vec<f64>> = refs.iter().map(|&i| device_values(&lat, i)).collect::<Result<_>>()?;
    let ref_en: Vec<Vec<f64>> = match cfg.energy {
        true => refs.iter().map(|&i| device_values(&en, i)).collect::<Result<_>>()?,
        false => Vec::new(),
    };
    let column = |rows: &[Vec<f64>], d: usize| rows.iter().map(|r| r[d]).collect::<Vec<_>>();
    let features: Vec<DeviceFeatures> = (0..devices.len() + synthetic.len())
        .map(|d| {
            let hw = match &hardware {
                Some(n) => n.features(&cfg.hardware[d])?,
                None => Vec::new(),
            };
            if refs.is_empty() {
                return DeviceFeatures::from_hardware(hw, base_scale, base_energy_scale);
            }
            let f = DeviceFeatures::from_latencies(&column(&ref_lat, d))?;
            let f = if cfg.energy { f.with_energies(&column(&ref_en, d))? } else { f };
            f.with_hardware(hw)
        })
        .collect::<Result<_>>()?;
    let units = Units { hardware, base_scale, base_energy_scale, references: references.len() };
    let mut round = 0;
    loop {
        let data = Measured { designs: &measured, acc: &acc, extra: &extra, lat: &lat, en: &en };
        let nets = fit_round(choices, &data, &synthetic, &features, &units, cfg, rng)?;
        round += 1;
        if round == cfg.rounds {
            return Ok(Stage1 { nets, references, devices: features, synthetic, measured });
        }
        let unmeasured = &order[next..];
        let chosen: Vec<usize> = match cfg.exploration {
            Exploration::Random => unmeasured[..cfg.per_round].to_vec(),
            Exploration::Disagreement => {
                let pool = &unmeasured[..cfg.pool.clamp(cfg.per_round, unmeasured.len())];
                let designs: Vec<Vec<usize>> = pool.iter().map(|&i| candidates[i].clone()).collect();
                let x = nets.one_hots(&designs)?;
                let mut score = nets.accuracy.predict_batch(x.view())?.1 / nets.accuracy.y_std;
                for d in &features[..devices.len()] {
                    let rows = nets.latency_rows(x.view(), d)?;
                    for net in [Some(&nets.latency), nets.energy.as_ref()].into_iter().flatten() {
                        let spread = net.predict_batch(rows.view())?.1;
                        score.scaled_add(1.0 / (devices.len() as f64 * net.y_std), &spread);
                    }
                }
                let mut by: Vec<usize> = (0..pool.len()).collect();
                by.sort_by(|&a, &b| score[b].total_cmp(&score[a]).then(a.cmp(&b)));
                by[..cfg.per_round].iter().map(|&j| pool[j]).collect()
            }
        };
        // Keep `order` a permutation: chosen designs move to the measured prefix.
        let tail: Vec<usize> = order[next..].iter().copied().filter(|i| !chosen.contains(i)).collect();
        order.truncate(next);
        order.extend(&chosen);
        order.extend(tail);
        next += chosen.len();
        let new: Vec<Vec<usize>> = chosen.iter().map(|&i| candidates[i].clone()).collect();
        measure(&new, accuracy, devices, &mut acc, &mut lat, &mut en)?;
        measured.extend(new);
    }
}

fn finite_accuracy(accuracy: &(dyn Fn(&[usize]) -> Result<f64> + Sync), x: &[usize]) -> Result<f64> {
    let a = accuracy(x)?;
    if !a.is_finite() {
        return Err(CodesignError::InvalidParam {
            name: "accuracy",
            value: a.to_string(),
            reason: format!("design {x:?} has a non-finite accuracy"),
        });
    }
    Ok(a)
}

fn mean_log<'a>(values: impl Iterator<Item = &'a f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v.ln(), n + 1));
    sum / n.max(1) as f64
}

/// Measure `designs` on every device; energies too when `en` has one row per device.
fn measure(
    designs: &[Vec<usize>],
    accuracy: &(dyn Fn(&[usize]) -> Result<f64> + Sync),
    devices: &[&dyn Device<Vec<usize>>],
    acc: &mut Vec<f64>,
    lat: &mut [Vec<f64>],
    en: &mut [Vec<f64>],
) -> Result<()> {
    let positive = |name: &'static str, v: f64, dev: &str, x: &[usize]| {
        if v.is_finite() && v > 0.0 {
            Ok(v)
        } else {
            Err(CodesignError::InvalidParam {
                name,
                value: v.to_string(),
                reason: format!("device `{dev}` gave a non-positive {name} for {x:?}"),
            })
        }
    };
    for x in designs {
        acc.push(finite_accuracy(accuracy, x)?);
        for (j, dev) in devices.iter().enumerate() {
            let m = dev.measure(x)?;
            lat[j].push(positive("latency", m.latency, dev.name(), x)?);
            if let Some(e) = en.get_mut(j) {
                e.push(positive("energy", m.energy, dev.name(), x)?);
            }
        }
    }
    Ok(())
}

/// The measurements of stage 1 so far.
struct Measured<'a> {
    designs: &'a [Vec<usize>],
    acc: &'a [f64],
    extra: &'a [(Vec<usize>, f64)],
    lat: &'a [Vec<f64>],
    en: &'a [Vec<f64>],
}

/// What the networks' device inputs and outputs are relative to.
struct Units {
    hardware: Option<HardwareNormaliser>,
    base_scale: f64,
    base_energy_scale: Option<f64>,
    references: usize,
}

/// Train the ensembles on every measured design, latency and energy on real and synthetic devices.
fn fit_round<R: Rng + ?Sized>(
    choices: &ChoiceSpace,
    data: &Measured,
    synthetic: &[Synthetic],
    features: &[DeviceFeatures],
    units: &Units,
    cfg: &Stage1Config,
    rng: &mut R,
) -> Result<PerformanceNets> {
    let w = choices.width();
    let n = data.designs.len();
    let mut x = Array2::zeros((n, w));
    for (i, c) in data.designs.iter().enumerate() {
        x.row_mut(i).assign(&choices.one_hot(c)?);
    }
    let accuracy = match &cfg.pretrained_accuracy {
        Some(net) => {
            net.validate("pretrained accuracy network", w)?;
            net.clone()
        }
        None => fit_accuracy(choices, &x, data.acc, data.extra, cfg, rng)?,
    };
    let k = features.first().map_or(0, |d| d.inputs().len());
    let rows = n * features.len();
    let mut xl = Array2::zeros((rows, w + k));
    for i in 0..n {
        for (j, d) in features.iter().enumerate() {
            let r = j * n + i;
            xl.row_mut(r).slice_mut(ndarray::s![..w]).assign(&x.row(i));
            for (q, v) in d.inputs().iter().enumerate() {
                xl[[r, w + q]] = *v;
            }
        }
    }
    // Targets: ln value − the device's scale, synthetic devices mixing the real values.
    let targets = |values: &[Vec<f64>], scale: &dyn Fn(&DeviceFeatures) -> f64| -> Result<Array1<f64>> {
        let mut y = Array1::zeros(rows);
        for i in 0..n {
            let real: Vec<f64> = values.iter().map(|d| d[i]).collect();
            for (j, d) in features.iter().enumerate() {
                let v = match j.checked_sub(values.len()) {
                    None => real[j],
                    Some(s) => synthetic[s].latency(&real, &data.designs[i])?,
                };
                y[j * n + i] = v.ln() - scale(d);
            }
        }
        Ok(y)
    };
    let yl = targets(data.lat, &|d| d.scale)?;
    let latency = Ensemble::fit(xl.view(), yl.view(), cfg.members, &cfg.hidden, &cfg.train, rng)?;
    let energy = match cfg.energy {
        true => {
            let ye = targets(data.en, &|d| d.energy_scale.unwrap_or(0.0))?;
            Some(Ensemble::fit(xl.view(), ye.view(), cfg.members, &cfg.hidden, &cfg.train, rng)?)
        }
        false => None,
    };
    Ok(PerformanceNets {
        choices: choices.clone(),
        references: units.references,
        hardware: units.hardware.clone(),
        accuracy,
        latency,
        energy,
        base_scale: units.base_scale,
        base_energy_scale: units.base_energy_scale,
    })
}

fn fit_accuracy<R: Rng + ?Sized>(
    choices: &ChoiceSpace,
    x: &Array2<f64>,
    acc: &[f64],
    extra: &[(Vec<usize>, f64)],
    cfg: &Stage1Config,
    rng: &mut R,
) -> Result<Ensemble> {
    let (n, w) = x.dim();
    let mut xa = Array2::zeros((n + extra.len(), w));
    xa.slice_mut(ndarray::s![..n, ..]).assign(x);
    let mut ya = acc.to_vec();
    for (i, (c, a)) in extra.iter().enumerate() {
        xa.row_mut(n + i).assign(&choices.one_hot(c)?);
        ya.push(*a);
    }
    Ensemble::fit(xa.view(), Array1::from(ya).view(), cfg.members, &cfg.hidden, &cfg.train, rng)
}
