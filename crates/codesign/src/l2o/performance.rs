//! The performance networks of eq. 1.8: `Acc(x)` and the device-conditioned `Latency(x; d)`.

use edgeopt_predictors::nn::{Activation, Mlp, TrainConfig};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::choices::ChoiceSpace;
use super::features::DeviceFeatures;
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

/// `Acc(x)` over one-hot designs and `Latency(x; d)` over `[one-hot design, d.shape]`, the latter
/// predicting `ln latency − d.scale` so the absolute latency is `exp(prediction + d.scale)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerformanceNets {
    /// The design space.
    pub choices: ChoiceSpace,
    /// Number of reference architectures (length of `d.shape`).
    pub references: usize,
    /// Accuracy network.
    pub accuracy: Ensemble,
    /// Relative log-latency network.
    pub latency: Ensemble,
}

impl PerformanceNets {
    pub(crate) fn validate(&self) -> Result<()> {
        self.accuracy.validate("accuracy network", self.choices.width())?;
        self.latency.validate("latency network", self.choices.width() + self.references)
    }

    fn check_device(&self, d: &DeviceFeatures) -> Result<()> {
        if d.shape.len() != self.references || d.shape.iter().chain([&d.scale]).any(|v| !v.is_finite()) {
            return Err(CodesignError::InvalidParam {
                name: "device features",
                value: format!("{} values", d.shape.len()),
                reason: format!("need {} finite values (one per reference architecture)", self.references),
            });
        }
        Ok(())
    }

    /// Rows `[design, d.shape]` for the latency network.
    pub(crate) fn latency_rows(&self, designs: ArrayView2<f64>, d: &DeviceFeatures) -> Result<Array2<f64>> {
        self.check_device(d)?;
        let shape = Array2::from_shape_fn((designs.nrows(), self.references), |(_, j)| d.shape[j]);
        ndarray::concatenate(Axis(1), &[designs, shape.view()]).map_err(|source| {
            edgeopt_predictors::PredictorError::Shape { what: "latency network input", source }.into()
        })
    }

    /// Predicted accuracy and relative latency (`exp(ln latency − d.scale)`) of one-hot designs.
    pub fn predict_relative(&self, designs: ArrayView2<f64>, d: &DeviceFeatures) -> Result<(Array1<f64>, Array1<f64>)> {
        let acc = self.accuracy.predict_batch(designs)?.0;
        let lat = self.latency.predict_batch(self.latency_rows(designs, d)?.view())?.0;
        Ok((acc, lat.mapv(f64::exp)))
    }

    /// Predicted accuracy and latency in the device's unit of member designs.
    pub fn predict(&self, designs: &[Vec<usize>], d: &DeviceFeatures) -> Result<(Array1<f64>, Array1<f64>)> {
        let x = self.one_hots(designs)?;
        let (acc, rel) = self.predict_relative(x.view(), d)?;
        Ok((acc, rel * d.scale.exp()))
    }

    /// One-hot rows of member designs.
    pub fn one_hots(&self, designs: &[Vec<usize>]) -> Result<Array2<f64>> {
        let mut x = Array2::zeros((designs.len(), self.choices.width()));
        for (i, c) in designs.iter().enumerate() {
            x.row_mut(i).assign(&self.choices.one_hot(c)?);
        }
        Ok(x)
    }

    /// Eq. 1.8 at a relaxed design `p` (per-position probabilities) with the relative weight
    /// `lambda_rel` ([`DeviceFeatures::relative_lambda`]): `−Acc(p) + λ_rel·exp(Latency(p; d))`,
    /// and its gradient with respect to `p`.
    pub fn objective_and_grad(
        &self,
        p: ArrayView1<f64>,
        d: &DeviceFeatures,
        lambda_rel: f64,
    ) -> Result<(f64, Array1<f64>)> {
        self.check_device(d)?;
        let (acc, dacc) = self.accuracy.value_and_grad(p)?;
        let input = ndarray::concatenate(Axis(0), &[p, ndarray::ArrayView1::from(&d.shape)])
            .map_err(|source| edgeopt_predictors::PredictorError::Shape { what: "latency network input", source })?;
        let (lrel, dl) = self.latency.value_and_grad(input.view())?;
        let lat = lrel.exp();
        let w = p.len();
        let grad = dl.slice(ndarray::s![..w]).mapv(|g| lambda_rel * lat * g) - dacc;
        Ok((-acc + lambda_rel * lat, grad))
    }
}
