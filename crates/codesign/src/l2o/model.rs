//! The trained model: performance networks, optimizer network and reference architectures,
//! serialisable and validated on load.

use serde::{Deserialize, Serialize};

use super::choices::Categorical;
use super::explore::Stage1;
use super::features::DeviceFeatures;
use super::optimizer::{Method, OptimizerNet};
use super::performance::PerformanceNets;
use crate::device::Device;
use crate::error::{CodesignError, Result};

/// Version of the model format this build reads and writes.
pub const MODEL_VERSION: u32 = 1;

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
}

#[derive(Deserialize)]
struct ModelData {
    version: u32,
    space: String,
    method: Method,
    references: Vec<String>,
    performance: PerformanceNets,
    optimizer: OptimizerNet,
}

impl TryFrom<ModelData> for L2oModel {
    type Error = CodesignError;
    fn try_from(m: ModelData) -> Result<L2oModel> {
        if m.version != MODEL_VERSION {
            return Err(CodesignError::InvalidParam {
                name: "model version",
                value: m.version.to_string(),
                reason: format!("this build reads version {MODEL_VERSION}"),
            });
        }
        let model = L2oModel {
            version: m.version,
            space: m.space,
            method: m.method,
            references: m.references,
            performance: m.performance,
            optimizer: m.optimizer,
        };
        model.validate()?;
        Ok(model)
    }
}

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
    /// The weight λ used (the target's unit).
    pub lambda: f64,
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
        };
        m.validate()?;
        Ok(m)
    }

    fn validate(&self) -> Result<()> {
        self.performance.validate()?;
        self.optimizer.validate()?;
        let k = self.references.len();
        if self.performance.references != k
            || self.optimizer.references != k
            || self.performance.choices != self.optimizer.choices
        {
            return Err(CodesignError::InvalidParam {
                name: "model",
                value: format!("{k} reference keys"),
                reason: "the performance and optimizer networks disagree with the references or the space".into(),
            });
        }
        Ok(())
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
    pub fn features<S: Categorical, D: Device<S::Arch> + ?Sized>(
        &self,
        space: &S,
        target: &D,
    ) -> Result<DeviceFeatures> {
        let lat =
            self.reference_archs(space)?.iter().map(|a| Ok(target.measure(a)?.latency)).collect::<Result<Vec<_>>>()?;
        DeviceFeatures::from_latencies(&lat)
    }

    /// The design for a device with features `d` and weight `lambda ≥ 0` (the device's unit):
    /// one inference of the optimizer network, plus the performance networks' prediction of it.
    pub fn apply_features(&self, d: &DeviceFeatures, lambda: f64) -> Result<Applied> {
        if !(lambda.is_finite() && lambda >= 0.0) {
            return Err(CodesignError::InvalidParam {
                name: "lambda",
                value: lambda.to_string(),
                reason: "must be finite and ≥ 0".into(),
            });
        }
        let choices = self.optimizer.design(d, d.relative_lambda(lambda))?;
        let (acc, lat) = self.performance.predict(std::slice::from_ref(&choices), d)?;
        Ok(Applied {
            choices,
            measurements_used: self.references.len(),
            predicted_accuracy: acc[0],
            predicted_latency: lat[0],
            lambda,
        })
    }

    /// The most accurate design whose *predicted* latency meets `max_latency`: bisection on
    /// `ln λ` over the optimizer network (no further measurements). `None` if even the largest λ
    /// tried does not meet it.
    pub fn apply_constraint(&self, d: &DeviceFeatures, max_latency: f64) -> Result<Option<Applied>> {
        if !(max_latency.is_finite() && max_latency > 0.0) {
            return Err(CodesignError::InvalidParam {
                name: "max latency",
                value: max_latency.to_string(),
                reason: "must be finite and > 0".into(),
            });
        }
        let unit = (-d.scale).exp();
        let (mut lo, mut hi) = ((1e-4 * unit).ln(), (1e5 * unit).ln());
        let first = self.apply_features(d, 0.0)?;
        if first.predicted_latency <= max_latency {
            return Ok(Some(first));
        }
        let mut best = self.apply_features(d, hi.exp())?;
        if best.predicted_latency > max_latency {
            return Ok(None);
        }
        for _ in 0..40 {
            let mid = 0.5 * (lo + hi);
            let a = self.apply_features(d, mid.exp())?;
            if a.predicted_latency <= max_latency {
                hi = mid;
                best = a;
            } else {
                lo = mid;
            }
        }
        Ok(Some(best))
    }

    /// Measure the references on `target` and design for `lambda`.
    pub fn apply<S: Categorical, D: Device<S::Arch> + ?Sized>(
        &self,
        space: &S,
        target: &D,
        lambda: f64,
    ) -> Result<(S::Arch, Applied)> {
        let d = self.features(space, target)?;
        let applied = self.apply_features(&d, lambda)?;
        Ok((space.arch_of_choices(&applied.choices)?, applied))
    }
}
