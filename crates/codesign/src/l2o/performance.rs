//! The performance networks of eq. 1.8: `Acc(x)` and the device-conditioned `Latency(x; d)` and
//! `Energy(x; d)`.

use edgeopt_predictors::nn::{Activation, Mlp, TrainConfig};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::choices::ChoiceSpace;
use super::features::DeviceFeatures;
use super::hardware::{HARDWARE_FEATURES, HardwareNormaliser};
use crate::error::{CodesignError, Result};

/// A few networks trained from different initialisations on standardised targets; predictions are
/// their mean, and their spread is the disagreement the exploration loop looks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ensemble {
    /// The members (same widths).
    pub nets: Vec<Mlp>,
    /// Target mean.
    pub y_mean: f64,
    /// Target standard deviation.
    pub y_std: f64,
}

impl Ensemble {
    /// Train `members` networks with hidden widths `hidden` (ReLU) on rows of `x` and targets `y`.
    pub fn fit<R: Rng + ?Sized>(
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        members: usize,
        hidden: &[usize],
        train: &TrainConfig,
        rng: &mut R,
    ) -> Result<Ensemble> {
        if members == 0 {
            return Err(CodesignError::InvalidParam {
                name: "ensemble members",
                value: "0".into(),
                reason: "need at least one".into(),
            });
        }
        let y_mean = y.mean().unwrap_or(0.0);
        let y_std = y.std(0.0).max(1e-9);
        let ys = y.mapv(|v| (v - y_mean) / y_std);
        let mut widths = vec![x.ncols()];
        widths.extend(hidden);
        widths.push(1);
        let nets = (0..members)
            .map(|_| {
                let mut net = Mlp::new(&widths, Activation::Relu, Activation::Identity, rng)?;
                net.train(x, ys.view(), train, rng)?;
                Ok(net)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Ensemble { nets, y_mean, y_std })
    }

    /// Input width.
    pub fn n_inputs(&self) -> usize {
        self.nets.first().map_or(0, Mlp::n_inputs)
    }

    pub(crate) fn validate(&self, what: &'static str, inputs: usize) -> Result<()> {
        let ok = !self.nets.is_empty()
            && self.nets.iter().all(|n| n.n_inputs() == inputs && n.n_outputs() == 1)
            && self.y_mean.is_finite()
            && self.y_std.is_finite()
            && self.y_std > 0.0;
        if ok {
            Ok(())
        } else {
            Err(CodesignError::InvalidParam {
                name: "model",
                value: what.to_string(),
                reason: format!("needs ≥ 1 network of {inputs} inputs and 1 output, and a finite scale > 0"),
            })
        }
    }

    /// Mean and standard deviation over members of the prediction for every row.
    pub fn predict_batch(&self, x: ArrayView2<f64>) -> Result<(Array1<f64>, Array1<f64>)> {
        let mut all = Array2::zeros((self.nets.len(), x.nrows()));
        for (k, net) in self.nets.iter().enumerate() {
            let out = net.forward_batch(x)?;
            all.row_mut(k).assign(&out.column(0).mapv(|v| v * self.y_std + self.y_mean));
        }
        let mean = all.mean_axis(Axis(0)).unwrap_or_default();
        Ok((mean, all.std_axis(Axis(0), 0.0)))
    }

    /// Mean prediction for one input and its gradient with respect to the input.
    pub fn value_and_grad(&self, x: ArrayView1<f64>) -> Result<(f64, Array1<f64>)> {
        let one = ndarray::array![1.0];
        let mut value = 0.0;
        let mut grad = Array1::zeros(x.len());
        for net in &self.nets {
            value += net.predict1(x)?;
            grad += &net.backprop(x, one.view())?.1;
        }
        let k = self.nets.len() as f64;
        Ok((value / k * self.y_std + self.y_mean, grad * (self.y_std / k)))
    }
}

/// `Acc(x)` over one-hot designs, and `Latency(x; d)` and (when the training devices' energy was
/// measured) `Energy(x; d)` over `[one-hot design, d.inputs()]`, predicting `ln latency − d.scale`
/// and `ln energy − d.energy_scale`, so the absolute values are `exp(prediction + scale)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerformanceNets {
    /// The design space.
    pub choices: ChoiceSpace,
    /// Number of reference architectures (length of `d.shape`).
    pub references: usize,
    /// Normaliser of the hardware descriptions, if devices are described by one.
    #[serde(default)]
    pub hardware: Option<HardwareNormaliser>,
    /// Accuracy network.
    pub accuracy: Ensemble,
    /// Relative log-latency network.
    pub latency: Ensemble,
    /// Relative log-energy network, if trained.
    #[serde(default)]
    pub energy: Option<Ensemble>,
    /// Mean log-latency over the training devices and designs: the latency unit of a device
    /// described by its hardware alone (no references).
    pub base_scale: f64,
    /// The same for energy, when trained.
    #[serde(default)]
    pub base_energy_scale: Option<f64>,
}

impl PerformanceNets {
    /// Length of `d.inputs()`: references, then hardware features.
    pub fn device_width(&self) -> usize {
        self.references + if self.hardware.is_some() { HARDWARE_FEATURES } else { 0 }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        let w = self.choices.width() + self.device_width();
        self.accuracy.validate("accuracy network", self.choices.width())?;
        self.latency.validate("latency network", w)?;
        if let Some(e) = &self.energy {
            e.validate("energy network", w)?;
        }
        if let Some(h) = &self.hardware {
            h.validate()?;
        }
        let energy_ok = self.energy.is_some() == self.base_energy_scale.is_some();
        if !(self.base_scale.is_finite() && self.base_energy_scale.is_none_or(f64::is_finite) && energy_ok) {
            return Err(CodesignError::InvalidParam {
                name: "model",
                value: format!("base scales {} / {:?}", self.base_scale, self.base_energy_scale),
                reason: "need finite scales, an energy one exactly when there is an energy network".into(),
            });
        }
        if self.references == 0 && self.hardware.is_none() {
            return Err(CodesignError::InvalidParam {
                name: "model",
                value: "0 references".into(),
                reason: "a model without references needs hardware features".into(),
            });
        }
        Ok(())
    }

    fn check_device(&self, d: &DeviceFeatures) -> Result<()> {
        let hw = self.device_width() - self.references;
        let finite = d.shape.iter().chain(&d.hardware).chain([&d.scale]).chain(&d.energy_scale).all(|v| v.is_finite());
        if d.shape.len() != self.references || d.hardware.len() != hw || !finite {
            return Err(CodesignError::InvalidParam {
                name: "device features",
                value: format!("{} reference and {} hardware values", d.shape.len(), d.hardware.len()),
                reason: format!("need {} and {hw} finite values", self.references),
            });
        }
        Ok(())
    }

    /// Rows `[design, d.inputs()]` for the latency and energy networks.
    pub(crate) fn latency_rows(&self, designs: ArrayView2<f64>, d: &DeviceFeatures) -> Result<Array2<f64>> {
        self.check_device(d)?;
        let inputs = d.inputs();
        let dev = Array2::from_shape_fn((designs.nrows(), inputs.len()), |(_, j)| inputs[j]);
        ndarray::concatenate(Axis(1), &[designs, dev.view()]).map_err(|source| {
            edgeopt_predictors::PredictorError::Shape { what: "latency network input", source }.into()
        })
    }

    /// Predicted accuracy and relative latency (`exp(ln latency − d.scale)`) of one-hot designs.
    pub fn predict_relative(&self, designs: ArrayView2<f64>, d: &DeviceFeatures) -> Result<(Array1<f64>, Array1<f64>)> {
        let acc = self.accuracy.predict_batch(designs)?.0;
        let lat = self.latency.predict_batch(self.latency_rows(designs, d)?.view())?.0;
        Ok((acc, lat.mapv(f64::exp)))
    }

    /// Predicted relative energy (`exp(ln energy − d.energy_scale)`) of one-hot designs, if the
    /// model has an energy network.
    pub fn energy_relative(&self, designs: ArrayView2<f64>, d: &DeviceFeatures) -> Result<Option<Array1<f64>>> {
        match &self.energy {
            Some(e) => Ok(Some(e.predict_batch(self.latency_rows(designs, d)?.view())?.0.mapv(f64::exp))),
            None => Ok(None),
        }
    }

    /// Predicted accuracy and latency in the device's unit of member designs.
    pub fn predict(&self, designs: &[Vec<usize>], d: &DeviceFeatures) -> Result<(Array1<f64>, Array1<f64>)> {
        let x = self.one_hots(designs)?;
        let (acc, rel) = self.predict_relative(x.view(), d)?;
        Ok((acc, rel * d.scale.exp()))
    }

    /// Predicted energy in the device's unit of member designs; `None` without an energy network
    /// or without the device's energy scale.
    pub fn predict_energy(&self, designs: &[Vec<usize>], d: &DeviceFeatures) -> Result<Option<Array1<f64>>> {
        let Some(scale) = d.energy_scale else { return Ok(None) };
        Ok(self.energy_relative(self.one_hots(designs)?.view(), d)?.map(|e| e * scale.exp()))
    }

    /// One-hot rows of member designs.
    pub fn one_hots(&self, designs: &[Vec<usize>]) -> Result<Array2<f64>> {
        let mut x = Array2::zeros((designs.len(), self.choices.width()));
        for (i, c) in designs.iter().enumerate() {
            x.row_mut(i).assign(&self.choices.one_hot(c)?);
        }
        Ok(x)
    }

    /// Eq. 1.8 at a relaxed design `p` (per-position probabilities) with the relative weights
    /// `lambda_rel` and `energy_rel` ([`DeviceFeatures::relative_lambda`],
    /// [`DeviceFeatures::relative_energy_lambda`]):
    /// `−Acc(p) + λ_rel·exp(Latency(p; d)) + λ₂_rel·exp(Energy(p; d))`, and its gradient with
    /// respect to `p`. `energy_rel > 0` needs the energy network.
    pub fn objective_and_grad(
        &self,
        p: ArrayView1<f64>,
        d: &DeviceFeatures,
        lambda_rel: f64,
        energy_rel: f64,
    ) -> Result<(f64, Array1<f64>)> {
        self.check_device(d)?;
        let (acc, dacc) = self.accuracy.value_and_grad(p)?;
        let inputs = d.inputs();
        let input = ndarray::concatenate(Axis(0), &[p, ArrayView1::from(&inputs)])
            .map_err(|source| edgeopt_predictors::PredictorError::Shape { what: "latency network input", source })?;
        let w = p.len();
        let mut value = -acc;
        let mut grad = -dacc;
        let mut add = |net: &Ensemble, weight: f64| -> Result<()> {
            let (rel, dl) = net.value_and_grad(input.view())?;
            let v = rel.exp();
            value += weight * v;
            grad.scaled_add(weight * v, &dl.slice(ndarray::s![..w]));
            Ok(())
        };
        add(&self.latency, lambda_rel)?;
        match (&self.energy, energy_rel) {
            (_, 0.0) => {}
            (Some(e), _) => add(e, energy_rel)?,
            (None, _) => {
                return Err(CodesignError::InvalidParam {
                    name: "energy lambda",
                    value: energy_rel.to_string(),
                    reason: "the model has no energy network (its training devices had no energy)".into(),
                });
            }
        }
        Ok((value, grad))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgeopt_predictors::nn::TrainConfig;
    use rand::SeedableRng;

    #[test]
    fn energy_objective_gradient_matches_finite_differences() {
        let choices = ChoiceSpace::new(vec![2, 3]).unwrap();
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(1);
        let x = Array2::from_shape_fn((6, 7), |(i, j)| ((i * 7 + j) % 5) as f64 / 4.0);
        let y = Array1::from_shape_fn(6, |i| i as f64 * 0.3 - 0.5);
        let train = TrainConfig { epochs: 3, ..TrainConfig::default() };
        let fit = |cols: usize, rng: &mut rand::rngs::ChaCha8Rng| {
            Ensemble::fit(x.slice(ndarray::s![.., ..cols]), y.view(), 2, &[5], &train, rng).unwrap()
        };
        let nets = PerformanceNets {
            choices,
            references: 2,
            hardware: None,
            accuracy: fit(5, &mut rng),
            latency: fit(7, &mut rng),
            energy: Some(fit(7, &mut rng)),
            base_scale: 0.0,
            base_energy_scale: Some(0.0),
        };
        let d = DeviceFeatures::from_latencies(&[1.0, 3.0]).unwrap().with_energies(&[2.0, 1.0]).unwrap();
        let p = ndarray::array![0.3, 0.7, 0.2, 0.5, 0.3];
        let f = |p: &Array1<f64>| nets.objective_and_grad(p.view(), &d, 0.7, 1.9).unwrap().0;
        let (_, g) = nets.objective_and_grad(p.view(), &d, 0.7, 1.9).unwrap();
        for j in 0..p.len() {
            let (mut up, mut down) = (p.clone(), p.clone());
            up[j] += 1e-6;
            down[j] -= 1e-6;
            let fd = (f(&up) - f(&down)) / 2e-6;
            assert!((fd - g[j]).abs() < 1e-5 * (1.0 + fd.abs()), "{j}: {fd} vs {}", g[j]);
        }
        let no_energy = PerformanceNets { energy: None, base_energy_scale: None, ..nets.clone() };
        let e = no_energy.objective_and_grad(p.view(), &d, 0.7, 1.9).unwrap_err().to_string();
        assert!(e.contains("no energy network"), "{e}");
        assert!(no_energy.objective_and_grad(p.view(), &d, 0.7, 0.0).is_ok());
    }
}
