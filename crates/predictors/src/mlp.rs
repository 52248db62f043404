//! An MLP regressor as a predictor (standardised targets, Adam).

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::{PredictorError, Result};
use crate::linear::check_xy;
use crate::nn::{Activation, Mlp, TrainConfig};
use crate::{AdaProxy, AdaptedPredictor, Fit, LatencyPredictor};

/// Hyperparameters of an MLP predictor: hidden widths, training settings and the seed of the
/// initialisation and shuffling (fits are deterministic for a seed).
///
/// ```
/// use edgeopt_predictors::{Fit, LatencyPredictor, MlpRegressor};
/// use edgeopt_predictors::ndarray::Array2;
/// let x = Array2::from_shape_fn((80, 3), |(i, j)| ((i * (j + 2)) % 7) as f64 / 7.0);
/// let y = x.column(0).mapv(|v| 3.0 * v) + x.column(2).mapv(|v| v * v);
/// let m = MlpRegressor { hidden: vec![32], ..MlpRegressor::default() }.fit(x.view(), y.view()).unwrap();
/// let err = (m.predict(x.row(5)).unwrap() - y[5]).abs();
/// assert!(err < 0.2, "{err}");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlpRegressor {
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
    /// Hidden activation.
    pub activation: Activation,
    /// Training settings.
    pub train: TrainConfig,
    /// Seed.
    pub seed: u64,
}

impl Default for MlpRegressor {
    fn default() -> Self {
        MlpRegressor {
            hidden: vec![64, 64],
            activation: Activation::Relu,
            train: TrainConfig { epochs: 300, ..TrainConfig::default() },
            seed: 0,
        }
    }
}

/// A fitted MLP predictor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlpPredictor {
    /// The network (predicts standardised targets).
    pub net: Mlp,
    /// Target mean.
    pub y_mean: f64,
    /// Target standard deviation.
    pub y_std: f64,
}

impl Fit for MlpRegressor {
    type Model = MlpPredictor;

    fn fit(&self, x: ArrayView2<f64>, y: ArrayView1<f64>) -> Result<MlpPredictor> {
        check_xy(x, y, 2)?;
        if self.hidden.contains(&0) {
            return Err(PredictorError::InvalidParam {
                name: "hidden",
                value: format!("{:?}", self.hidden),
                reason: "widths must be ≥ 1",
            });
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut widths = vec![x.ncols()];
        widths.extend(&self.hidden);
        widths.push(1);
        let mut net = Mlp::new(&widths, self.activation, Activation::Identity, &mut rng)?;
        let y_mean = y.mean().unwrap_or(0.0);
        let y_std = y.std(0.0).max(1e-12);
        let ys: Array1<f64> = y.mapv(|v| (v - y_mean) / y_std);
        net.train(x, ys.view(), &self.train, &mut rng)?;
        Ok(MlpPredictor { net, y_mean, y_std })
    }
}

impl LatencyPredictor for MlpPredictor {
    fn n_features(&self) -> usize {
        self.net.n_inputs()
    }
    fn predict(&self, x: ArrayView1<f64>) -> Result<f64> {
        Ok(self.net.predict1(x)? * self.y_std + self.y_mean)
    }
    fn predict_batch(&self, x: ArrayView2<f64>) -> Result<Array1<f64>> {
        Ok(self.net.forward_batch(x)?.column(0).mapv(|v| v * self.y_std + self.y_mean))
    }
}

/// An MLP predictor whose last layer was adapted to a new device with [`AdaProxy`] (thesis
/// footnote 3): the earlier layers stay fixed, their output (the penultimate features plus a
/// constant) is the `x` of eq. 3.3 and the last layer's weights, in the predictor's output units,
/// are the proxy's `w`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastLayerAdapted {
    /// The proxy's network (unchanged).
    pub base: MlpPredictor,
    /// The adapted last layer.
    pub head: AdaptedPredictor,
}

impl MlpPredictor {
    /// Penultimate features with a trailing constant 1.
    pub fn features(&self, x: ArrayView1<f64>) -> Result<Array1<f64>> {
        let h = self.net.penultimate(x)?;
        let mut v = h.to_vec();
        v.push(1.0);
        Ok(Array1::from(v))
    }

    /// The last layer as weights over [`MlpPredictor::features`], in output units.
    pub fn head_weights(&self) -> Array1<f64> {
        let last = &self.net.layers()[self.net.layers().len() - 1];
        let mut w: Vec<f64> = last.w.row(0).iter().map(|v| v * self.y_std).collect();
        w.push(last.b[0] * self.y_std + self.y_mean);
        Array1::from(w)
    }

    fn feature_matrix(&self, x: ArrayView2<f64>) -> Result<Array2<f64>> {
        let rows = x.rows().into_iter().map(|r| self.features(r)).collect::<Result<Vec<_>>>()?;
        let p = rows.first().map_or(0, Array1::len);
        Ok(Array2::from_shape_fn((rows.len(), p), |(i, j)| rows[i][j]))
    }

    /// Adapt the last layer to target measurements (train / validation split as in [`AdaProxy::fit`]).
    /// Requires a network with an identity output activation (as [`MlpRegressor`] builds).
    pub fn adapt_last_layer(
        &self,
        ada: &AdaProxy,
        x_train: ArrayView2<f64>,
        y_train: ArrayView1<f64>,
        x_val: ArrayView2<f64>,
        y_val: ArrayView1<f64>,
    ) -> Result<LastLayerAdapted> {
        let last = &self.net.layers()[self.net.layers().len() - 1];
        if last.act != Activation::Identity || self.net.n_outputs() != 1 {
            return Err(PredictorError::InvalidParam {
                name: "network",
                value: format!("{:?} output, {} outputs", last.act, self.net.n_outputs()),
                reason: "last-layer adaptation needs one linear output",
            });
        }
        let (ft, fv) = (self.feature_matrix(x_train)?, self.feature_matrix(x_val)?);
        let head = ada.fit(self.head_weights().view(), ft.view(), y_train, fv.view(), y_val)?;
        Ok(LastLayerAdapted { base: self.clone(), head })
    }
}

impl LatencyPredictor for LastLayerAdapted {
    fn n_features(&self) -> usize {
        self.base.net.n_inputs()
    }
    fn predict(&self, x: ArrayView1<f64>) -> Result<f64> {
        self.head.predict(self.base.features(x)?.view())
    }
}

/// A device-aware predictor (thesis sec. 1.5 and the Aquaman performance generator, sec. 2.5.3):
/// one model over the concatenation `[device features, architecture features]`, so a single
/// predictor serves many devices and generalises to new ones described by their features.
///
/// ```
/// use edgeopt_predictors::{DeviceAware, Fit, KernelRidge, Kernel};
/// use edgeopt_predictors::ndarray::{array, Array2};
/// // Latency = architecture size / device speed.
/// let dev = Array2::from_shape_fn((40, 1), |(i, _)| 1.0 + (i % 4) as f64);
/// let arch = Array2::from_shape_fn((40, 1), |(i, _)| 1.0 + (i / 4) as f64);
/// let y = (&arch.column(0) / &dev.column(0)).to_owned();
/// let model = DeviceAware::new(KernelRidge { kernel: Kernel::Rbf { gamma: 0.3 }, alpha: 1e-6 })
///     .fit_split(dev.view(), arch.view(), y.view()).unwrap();
/// let p = model.predict_for(array![2.0].view(), array![6.0].view()).unwrap();
/// assert!((p - 3.0).abs() < 0.05, "{p}");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceAware<F> {
    /// The underlying model's hyperparameters.
    pub inner: F,
}

/// A fitted [`DeviceAware`] model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceAwareModel<M> {
    /// The fitted model over concatenated features.
    pub model: M,
    /// Device feature length.
    pub device_features: usize,
}

impl<F: Fit> DeviceAware<F> {
    /// Wrap a model's hyperparameters.
    pub fn new(inner: F) -> DeviceAware<F> {
        DeviceAware { inner }
    }

    /// Fit on per-row device features, architecture features and targets.
    pub fn fit_split(
        &self,
        device: ArrayView2<f64>,
        arch: ArrayView2<f64>,
        y: ArrayView1<f64>,
    ) -> Result<DeviceAwareModel<F::Model>> {
        crate::error::check_len("device feature rows", arch.nrows(), device.nrows())?;
        let x = ndarray::concatenate(ndarray::Axis(1), &[device, arch])
            .map_err(|source| PredictorError::Shape { what: "device and architecture features", source })?;
        Ok(DeviceAwareModel { model: self.inner.fit(x.view(), y)?, device_features: device.ncols() })
    }
}

impl<M: LatencyPredictor> DeviceAwareModel<M> {
    /// Predict for one (device, architecture) pair.
    pub fn predict_for(&self, device: ArrayView1<f64>, arch: ArrayView1<f64>) -> Result<f64> {
        crate::error::check_len("device features", self.device_features, device.len())?;
        let x = ndarray::concatenate(ndarray::Axis(0), &[device, arch])
            .map_err(|source| PredictorError::Shape { what: "device and architecture features", source })?;
        self.model.predict(x.view())
    }
}
