//! The trained model: performance networks, optimizer network and reference architectures,
//! serialisable and validated on load.

use super::check_lambdas;
use serde::{Deserialize, Serialize};

use super::choices::Categorical;
use super::explore::Stage1;
use super::features::DeviceFeatures;
use super::hardware::HardwareDescription;
use super::optima::TrainingOptima;
use super::optimizer::{Method, OptimizerNet};
use super::performance::PerformanceNets;
use crate::device::Device;
use crate::error::{CodesignError, Result};

/// Version of the model format this build reads and writes.
///
/// Version 2 added the energy network, the λ₂ input of the optimizer and hardware features;
/// version 3 the training optima ([`TrainingOptima`]) that table-accuracy decoding scores.
/// Older files are refused with the version named (retrain them).
pub const MODEL_VERSION: u32 = 3;

/// Everything `apply` needs. Deserialising checks the version, that the networks' widths agree
/// with the space and the references, and (through the networks) that every weight is finite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ModelData")]
pub struct L2oModel {
    /// Format version ([`MODEL_VERSION`]).
    pub version: u32,
    /// Name of the search space the keys belong to.
    pub space: String,
    /// How the optimizer network was trained.
    pub method: Method,
    /// Keys of the reference architectures, in feature order.
    pub references: Vec<String>,
    /// Stage 1's performance networks.
    pub performance: PerformanceNets,
    /// Stage 2's optimizer network.
    pub optimizer: OptimizerNet,
    /// The training devices' optima per grid point, if stored
    /// ([`L2oModel::with_training_optima`]).
    pub optima: Option<TrainingOptima>,
}

#[derive(Deserialize)]
struct ModelData {
    version: u32,
    space: String,
    method: Method,
    references: Vec<String>,
    performance: PerformanceNets,
    optimizer: OptimizerNet,
    optima: Option<TrainingOptima>,
}

impl TryFrom<ModelData> for L2oModel {
    type Error = CodesignError;
    fn try_from(m: ModelData) -> Result<L2oModel> {
        if m.version != MODEL_VERSION {
            return Err(CodesignError::InvalidParam {
                name: "model version",
                value: m.version.to_string(),
                reason: format!(
                    "this build reads version {MODEL_VERSION} (older models lack the training optima: retrain)"
                ),
            });
        }
        let model = L2oModel {
            version: m.version,
            space: m.space,
            method: m.method,
            references: m.references,
            performance: m.performance,
            optimizer: m.optimizer,
            optima: m.optima,
        };
        model.validate()?;
        Ok(model)
    }
}

/// Accuracy of a design where it is known exactly (a table), for table-accuracy decoding.
pub type KnownAccuracy<'a> = &'a dyn Fn(&[usize]) -> Option<f64>;

/// Positions whose runner-up option `apply` also scores (at most 2^6 = 64 designs).
pub const DECODE_POSITIONS: usize = 6;

/// What [`L2oModel::apply`] designs for a device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Applied {
    /// The designed architecture's choices.
    pub choices: Vec<usize>,
    /// Measurements taken on the target (the reference architectures).
    pub measurements_used: usize,
    /// Predicted accuracy.
    pub predicted_accuracy: f64,
    /// Predicted latency in the target's unit.
    pub predicted_latency: f64,
    /// Predicted energy in the target's unit (when the model and the target have energy).
    pub predicted_energy: Option<f64>,
    /// The weight λ used (the target's unit).
    pub lambda: f64,
    /// The energy weight λ₂ used (the target's energy unit).
    pub energy_lambda: f64,
}

impl L2oModel {
    /// Assemble a model from stage 1 and the optimizer network.
    pub fn new<S: Categorical>(
        space: &S,
        method: Method,
        stage1: &Stage1,
        optimizer: OptimizerNet,
    ) -> Result<L2oModel> {
        let references =
            stage1.references.iter().map(|c| Ok(space.key(&space.arch_of_choices(c)?))).collect::<Result<Vec<_>>>()?;
        let m = L2oModel {
            version: MODEL_VERSION,
            space: space.name().to_string(),
            method,
            references,
            performance: stage1.nets.clone(),
            optimizer,
            optima: None,
        };
        m.validate()?;
        Ok(m)
    }

    /// The model with the training optima stored, for [`L2oModel::apply_features_with`].
    pub fn with_training_optima(mut self, optima: TrainingOptima) -> Result<L2oModel> {
        optima.validate(&self.performance.choices)?;
        self.optima = Some(optima);
        Ok(self)
    }

    fn validate(&self) -> Result<()> {
        self.performance.validate()?;
        self.optimizer.validate()?;
        let k = self.references.len();
        if self.performance.references != k
            || self.optimizer.references != k
            || self.optimizer.device_width != self.performance.device_width()
            || self.optimizer.energy != self.performance.energy.is_some()
            || self.performance.choices != self.optimizer.choices
        {
            return Err(CodesignError::InvalidParam {
                name: "model",
                value: format!("{k} reference keys"),
                reason: "the performance and optimizer networks disagree with the references or the space".into(),
            });
        }
        self.optima.as_ref().map_or(Ok(()), |o| o.validate(&self.performance.choices))
    }

    /// The reference architectures parsed by `space` (which must be the model's).
    pub fn reference_archs<S: Categorical>(&self, space: &S) -> Result<Vec<S::Arch>> {
        if space.name() != self.space || space.choice_counts() != self.performance.choices.counts() {
            return Err(CodesignError::InvalidParam {
                name: "space",
                value: space.name().to_string(),
                reason: format!("the model was trained on `{}`", self.space),
            });
        }
        self.references.iter().map(|k| Ok(space.parse_key(k)?)).collect()
    }

    /// Measure the reference architectures on `target`: the only measurements a new device costs.
    /// Their energies are used when the model has an energy network and the target reports them.
    pub fn features<S: Categorical, D: Device<S::Arch> + ?Sized>(
        &self,
        space: &S,
        target: &D,
    ) -> Result<DeviceFeatures> {
        self.features_of(space, Some(target), None)
    }

    /// Device features from the reference measurements on `target` and/or the hardware
    /// description: the model says which it needs (no references: `target` is not measured).
    pub fn features_of<S: Categorical, D: Device<S::Arch> + ?Sized>(
        &self,
        space: &S,
        target: Option<&D>,
        hardware: Option<&HardwareDescription>,
    ) -> Result<DeviceFeatures> {
        let archs = self.reference_archs(space)?;
        let hw = match (&self.performance.hardware, hardware) {
            (Some(n), Some(h)) => n.features(h)?,
            (None, None) => Vec::new(),
            (needed, _) => {
                return Err(CodesignError::InvalidParam {
                    name: "hardware description",
                    value: if needed.is_some() { "missing" } else { "given" }.into(),
                    reason: format!(
                        "the model was trained {} hardware features",
                        if needed.is_some() { "with" } else { "without" }
                    ),
                });
            }
        };
        if archs.is_empty() {
            let p = &self.performance;
            return DeviceFeatures::from_hardware(hw, p.base_scale, p.base_energy_scale);
        }
        let target = target.ok_or_else(|| CodesignError::InvalidParam {
            name: "target",
            value: "none".into(),
            reason: format!("the model needs the latency of {} reference architectures", archs.len()),
        })?;
        let m = archs.iter().map(|a| target.measure(a)).collect::<Result<Vec<_>>>()?;
        let lat: Vec<f64> = m.iter().map(|m| m.latency).collect();
        let en: Vec<f64> = m.iter().map(|m| m.energy).collect();
        let d = DeviceFeatures::from_latencies(&lat)?;
        // A target without energy (zeros) can still be designed for with λ₂ = 0.
        let d =
            if self.performance.energy.is_some() && en.iter().all(|e| *e > 0.0) { d.with_energies(&en)? } else { d };
        d.with_hardware(hw)
    }

    /// Features of an accelerator known by its description alone, for a model trained with
    /// hardware features and no references: a new accelerator costs no measurement.
    pub fn hardware_features(&self, hardware: &HardwareDescription) -> Result<DeviceFeatures> {
        let p = &self.performance;
        match (&p.hardware, self.references.len()) {
            (Some(n), 0) => DeviceFeatures::from_hardware(n.features(hardware)?, p.base_scale, p.base_energy_scale),
            (h, k) => Err(CodesignError::InvalidParam {
                name: "hardware description",
                value: format!("{k} references"),
                reason: format!(
                    "the model {}; measure its references with `features_of`",
                    if h.is_some() { "also needs reference measurements" } else { "has no hardware features" }
                ),
            }),
        }
    }

    /// The design for a device with features `d`, latency weight `lambda ≥ 0` and energy weight
    /// `energy_lambda ≥ 0` (the device's units): one inference of the optimizer network, decoded
    /// by scoring its argmax and nearest alternatives under the performance networks
    /// ([`OptimizerNet::design_decoded`] over [`DECODE_POSITIONS`] positions), and the performance
    /// networks' prediction of the result. `energy_lambda > 0` needs a model with an energy
    /// network and a device whose energy is known.
    pub fn apply_features(&self, d: &DeviceFeatures, lambda: f64, energy_lambda: f64) -> Result<Applied> {
        self.apply_features_with(d, lambda, energy_lambda, None)
    }

    /// [`L2oModel::apply_features`], decoded by table accuracy when `known_accuracy` is given:
    /// the stored training optima of the nearest grid point are scored alongside the argmax and
    /// its runner-ups, and `known_accuracy(x)`, where `Some`, replaces the accuracy network's
    /// prediction ([`OptimizerNet::design_decoded_with`]). The accuracy network over-predicts the
    /// designs an optimizer trained through it favours; a table of accuracy has no such bias.
    /// `predicted_accuracy` stays the network's.
    pub fn apply_features_with(
        &self,
        d: &DeviceFeatures,
        lambda: f64,
        energy_lambda: f64,
        known_accuracy: Option<KnownAccuracy<'_>>,
    ) -> Result<Applied> {
        check_lambdas(lambda, energy_lambda)?;
        if energy_lambda > 0.0 && self.performance.energy.is_none() {
            return Err(CodesignError::InvalidParam {
                name: "energy lambda",
                value: energy_lambda.to_string(),
                reason: "the model was trained without energy: only 0 is possible".into(),
            });
        }
        let weights = (d.relative_lambda(lambda), d.relative_energy_lambda(energy_lambda)?);
        let choices = match known_accuracy {
            None => self.optimizer.design_decoded(&self.performance, d, weights, DECODE_POSITIONS)?,
            Some(known) => {
                let extra = self.optima.as_ref().map_or(&[][..], |o| o.nearest(weights.0, weights.1));
                let (perf, n) = (&self.performance, DECODE_POSITIONS);
                self.optimizer.design_decoded_with(perf, d, weights, n, extra, known)?
            }
        };
        let one = std::slice::from_ref(&choices);
        let (acc, lat) = self.performance.predict(one, d)?;
        let energy = self.performance.predict_energy(one, d)?.map(|e| e[0]);
        // A model read from a file may hold weights or scales that overflow (a damaged or edited
        // file): its design would come with `null` or 0 predictions, so it is refused here.
        // Costs are exponentials, so 0 means an underflow, not a free design.
        let costs = [("latency", Some(lat[0])), ("energy", energy)];
        let bad =
            costs.into_iter().filter_map(|(what, v)| Some((what, v?))).find(|&(_, v)| !(v.is_finite() && v > 0.0));
        if let Some((what, v)) = bad.or((!acc[0].is_finite()).then_some(("accuracy", acc[0]))) {
            return Err(CodesignError::InvalidParam {
                name: "l2o model",
                value: format!("predicted {what} {v}"),
                reason: "a trained model predicts a finite accuracy and positive, finite costs; is its file damaged?"
                    .into(),
            });
        }
        Ok(Applied {
            measurements_used: self.references.len(),
            predicted_accuracy: acc[0],
            predicted_latency: lat[0],
            predicted_energy: energy,
            choices,
            lambda,
            energy_lambda,
        })
    }

    /// The most accurate design whose *predicted* latency meets `max_latency`: bisection on
    /// `ln λ` over the optimizer network (no further measurements). `None` if even the largest λ
    /// tried does not meet it.
    /// `energy_lambda` weighs energy throughout.
    pub fn apply_constraint(
        &self,
        d: &DeviceFeatures,
        max_latency: f64,
        energy_lambda: f64,
    ) -> Result<Option<Applied>> {
        self.apply_constraint_with(d, max_latency, energy_lambda, None)
    }

    /// [`L2oModel::apply_constraint`] with every design decoded as
    /// [`L2oModel::apply_features_with`] decodes it.
    pub fn apply_constraint_with(
        &self,
        d: &DeviceFeatures,
        max_latency: f64,
        energy_lambda: f64,
        known_accuracy: Option<KnownAccuracy<'_>>,
    ) -> Result<Option<Applied>> {
        if !(max_latency.is_finite() && max_latency > 0.0) {
            return Err(CodesignError::InvalidParam {
                name: "max latency",
                value: max_latency.to_string(),
                reason: "must be finite and > 0".into(),
            });
        }
        let unit = (-d.scale).exp();
        let (mut lo, mut hi) = ((1e-4 * unit).ln(), (1e5 * unit).ln());
        let first = self.apply_features_with(d, 0.0, energy_lambda, known_accuracy)?;
        if first.predicted_latency <= max_latency {
            return Ok(Some(first));
        }
        let mut best = self.apply_features_with(d, hi.exp(), energy_lambda, known_accuracy)?;
        if best.predicted_latency > max_latency {
            return Ok(None);
        }
        for _ in 0..40 {
            let mid = 0.5 * (lo + hi);
            let a = self.apply_features_with(d, mid.exp(), energy_lambda, known_accuracy)?;
            if a.predicted_latency <= max_latency {
                hi = mid;
                best = a;
            } else {
                lo = mid;
            }
        }
        Ok(Some(best))
    }

    /// Measure the references on `target` and design for `lambda` and `energy_lambda`.
    pub fn apply<S: Categorical, D: Device<S::Arch> + ?Sized>(
        &self,
        space: &S,
        target: &D,
        lambda: f64,
        energy_lambda: f64,
    ) -> Result<(S::Arch, Applied)> {
        let d = self.features(space, target)?;
        let applied = self.apply_features(&d, lambda, energy_lambda)?;
        Ok((space.arch_of_choices(&applied.choices)?, applied))
    }
}
