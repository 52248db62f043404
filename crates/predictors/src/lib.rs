//! # edgeopt-predictors
//!
//! Latency and accuracy predictors for hardware-aware NAS, the rank statistics that decide whether
//! one proxy device can stand in for another, and **AdaProxy** (thesis eq. 3.3), which adapts a
//! proxy's predictor to a new device from a few dozen measurements.
//!
//! * [`Fit`] — hyperparameters that fit a model: [`LinearRegression`], [`KernelRidge`], [`MlpRegressor`];
//!   [`GcnRegressor`] fits graphs, [`DeviceAware`] adds device features to any model.
//! * [`LatencyPredictor`] / [`AccuracyPredictor`] — single and batch prediction over feature vectors.
//! * [`AdaProxy`] — proxy adaptation with λ chosen on a validation split.
//! * [`PoolAdaProxy`] — few-shot adaptation from a pool of proxies (best single proxy or a sparse
//!   non-negative combination, plus per-feature corrections, in latency or log-latency space),
//!   chosen by cross-validation on the target samples.
//! * [`metrics`] — Spearman (ties averaged), Kendall τ-b, RMSE, MAPE, ±10 % accuracy, SRCC matrix,
//!   bootstrap SRCC intervals.
//! * [`AdaptablePredictor`] — a predictor whose last linear layer AdaProxy can adapt to a new
//!   device: [`LinearPredictor`], [`MlpPredictor`], [`GcnPredictor`] on flattened graphs
//!   ([`FlatGraphGcn`]), or a user's own model.
//! * [`nn`] — a small dense network with SGD/Adam, per-sample gradients and layer freezing (the
//!   engine of the MLP predictor and of last-layer adaptation).
//! * [`data`] — the wide per-device CSV format.
//!
//! ```
//! use edgeopt_predictors::{AdaProxy, Fit, LatencyPredictor, LinearRegression, metrics::spearman};
//! use edgeopt_predictors::ndarray::Array2;
//! // A proxy device and a target whose third operator is relatively much slower.
//! let x = Array2::from_shape_fn((60, 4), |(i, j)| ((i * (j + 3) + j) % 4) as f64);
//! let proxy_lat = x.dot(&ndarray::array![1.0, 2.0, 3.0, 4.0]);
//! let target_lat = x.dot(&ndarray::array![2.0, 4.0, 14.0, 8.0]);
//! let proxy = LinearRegression::default().fit(x.view(), proxy_lat.view()).unwrap();
//! let adapted = AdaProxy::default()
//!     .fit(proxy.weights.view(), x.slice(ndarray::s![..40, ..]), target_lat.slice(ndarray::s![..40]),
//!          x.slice(ndarray::s![40.., ..]), target_lat.slice(ndarray::s![40..]))
//!     .unwrap();
//! let pred = adapted.predict_batch(x.view()).unwrap();
//! assert!(spearman(pred.as_slice().unwrap(), target_lat.as_slice().unwrap()).unwrap() > 0.99);
//! ```
#![deny(missing_docs)]

mod adaproxy;
pub mod data;
mod error;
mod flat_graph;
mod gcn;
mod kernel;
mod linear;
pub mod metrics;
mod mlp;
pub mod nn;
mod pool;

pub use adaproxy::{AdaProxy, AdaptedPredictor};
pub use error::{BoxError, PredictorError, Result};
pub use flat_graph::{FlatGraphGcn, FlatGraphGcnAdapted};
pub use gcn::{GcnPredictor, GcnRegressor, Graph, predict_adapted};
pub use kernel::{Kernel, KernelRidge, KernelRidgeModel};
pub use linear::{LinearPredictor, LinearRegression};
pub use mlp::{DeviceAware, DeviceAwareModel, LastLayerAdapted, MlpPredictor, MlpRegressor};
pub use ndarray;
pub use pool::{PoolAdaProxy, PoolAdapted, Scale};
pub use rand;

use ndarray::{Array1, ArrayView1, ArrayView2};

/// Hyperparameters that fit a model to a design matrix (rows = samples) and targets.
pub trait Fit {
    /// The fitted model.
    type Model;
    /// Validate the hyperparameters and the data, then fit.
    fn fit(&self, x: ArrayView2<f64>, y: ArrayView1<f64>) -> Result<Self::Model>;
}

/// Predicts a device's latency (or energy) from an architecture's feature vector.
pub trait LatencyPredictor {
    /// Expected feature length.
    fn n_features(&self) -> usize;
    /// Predict one architecture.
    fn predict(&self, x: ArrayView1<f64>) -> Result<f64>;
    /// Predict every row.
    fn predict_batch(&self, x: ArrayView2<f64>) -> Result<Array1<f64>> {
        x.rows().into_iter().map(|r| self.predict(r)).collect::<Result<Vec<_>>>().map(Array1::from)
    }
}

/// A latency predictor that a few target measurements can adapt to a new device: AdaProxy
/// (thesis eq. 3.3) re-weights its last linear layer. One-proxy NAS and the proxy workflows of
/// `edgeopt-codesign` take any implementation.
///
/// ```
/// use edgeopt_predictors::{AdaProxy, AdaptablePredictor, Fit, LatencyPredictor, LinearRegression};
/// use edgeopt_predictors::{metrics::spearman, ndarray::{array, s, Array2}};
/// let x = Array2::from_shape_fn((60, 4), |(i, j)| ((i * (j + 3) + j) % 4) as f64);
/// let proxy = LinearRegression::default().fit(x.view(), x.dot(&array![1.0, 2.0, 3.0, 4.0]).view()).unwrap();
/// let target = x.dot(&array![2.0, 4.0, 14.0, 8.0]);
/// let (xt, yt) = (x.slice(s![..40, ..]), target.slice(s![..40]));
/// let (xv, yv) = (x.slice(s![40.., ..]), target.slice(s![40..]));
/// let adapted = proxy.adapt(&AdaProxy::default(), xt, yt, xv, yv).unwrap();
/// let pred = adapted.predict_batch(x.view()).unwrap();
/// assert!(spearman(pred.as_slice().unwrap(), target.as_slice().unwrap()).unwrap() > 0.99);
/// ```
pub trait AdaptablePredictor: LatencyPredictor {
    /// The adapted predictor.
    type Adapted: LatencyPredictor;
    /// Adapt with `ada`: fit on the training rows, choose λ on the validation rows.
    fn adapt(
        &self,
        ada: &AdaProxy,
        x_train: ArrayView2<f64>,
        y_train: ArrayView1<f64>,
        x_val: ArrayView2<f64>,
        y_val: ArrayView1<f64>,
    ) -> Result<Self::Adapted>;
}

macro_rules! forward_predictor {
    ($($ptr:ty),*) => {$(
        impl<T: LatencyPredictor + ?Sized> LatencyPredictor for $ptr {
            fn n_features(&self) -> usize {
                (**self).n_features()
            }
            fn predict(&self, x: ArrayView1<f64>) -> Result<f64> {
                (**self).predict(x)
            }
            fn predict_batch(&self, x: ArrayView2<f64>) -> Result<Array1<f64>> {
                (**self).predict_batch(x)
            }
        }
        impl<T: AdaptablePredictor + ?Sized> AdaptablePredictor for $ptr {
            type Adapted = T::Adapted;
            fn adapt(
                &self,
                ada: &AdaProxy,
                x_train: ArrayView2<f64>,
                y_train: ArrayView1<f64>,
                x_val: ArrayView2<f64>,
                y_val: ArrayView1<f64>,
            ) -> Result<T::Adapted> {
                (**self).adapt(ada, x_train, y_train, x_val, y_val)
            }
        }
    )*};
}

forward_predictor!(&T, Box<T>, std::sync::Arc<T>);

impl AdaptablePredictor for LinearPredictor {
    type Adapted = AdaptedPredictor;
    fn adapt(
        &self,
        ada: &AdaProxy,
        x_train: ArrayView2<f64>,
        y_train: ArrayView1<f64>,
        x_val: ArrayView2<f64>,
        y_val: ArrayView1<f64>,
    ) -> Result<AdaptedPredictor> {
        ada.fit(self.weights.view(), x_train, y_train, x_val, y_val)
    }
}

impl AdaptablePredictor for MlpPredictor {
    type Adapted = LastLayerAdapted;
    fn adapt(
        &self,
        ada: &AdaProxy,
        x_train: ArrayView2<f64>,
        y_train: ArrayView1<f64>,
        x_val: ArrayView2<f64>,
        y_val: ArrayView1<f64>,
    ) -> Result<LastLayerAdapted> {
        self.adapt_last_layer(ada, x_train, y_train, x_val, y_val)
    }
}

/// Predicts an architecture's accuracy from its feature vector. Every [`LatencyPredictor`]
/// regression model is also usable as an accuracy predictor.
pub trait AccuracyPredictor {
    /// Expected feature length.
    fn n_features(&self) -> usize;
    /// Predict one architecture.
    fn predict_accuracy(&self, x: ArrayView1<f64>) -> Result<f64>;
    /// Predict every row.
    fn predict_accuracy_batch(&self, x: ArrayView2<f64>) -> Result<Array1<f64>> {
        x.rows().into_iter().map(|r| self.predict_accuracy(r)).collect::<Result<Vec<_>>>().map(Array1::from)
    }
}

impl<T: LatencyPredictor> AccuracyPredictor for T {
    fn n_features(&self) -> usize {
        LatencyPredictor::n_features(self)
    }
    fn predict_accuracy(&self, x: ArrayView1<f64>) -> Result<f64> {
        self.predict(x)
    }
}
