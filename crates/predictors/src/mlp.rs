//! An MLP regressor as a predictor (standardised targets, Adam).

use ndarray::{Array1, ArrayView1, ArrayView2};
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::{PredictorError, Result};
use crate::linear::check_xy;
use crate::nn::{Activation, Mlp, TrainConfig};
use crate::{Fit, LatencyPredictor};

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
