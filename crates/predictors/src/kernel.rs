//! Kernel ridge regression with RBF and Laplacian kernels (the thesis's performance and QoE
//! generators, sec. 2.5.3).

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::error::{PredictorError, Result, check_finite, check_len};
use crate::linear::{check_xy, solve_spd};
use crate::{Fit, LatencyPredictor};

/// Kernel functions `k(a, b)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Kernel {
    /// `exp(−γ‖a − b‖²)`.
    Rbf {
        /// Width parameter γ > 0.
        gamma: f64,
    },
    /// `exp(−γ‖a − b‖₁)`.
    Laplacian {
        /// Width parameter γ > 0.
        gamma: f64,
    },
    /// `aᵀb`.
    Linear,
}

impl Kernel {
    /// Evaluate the kernel.
    pub fn eval(&self, a: ArrayView1<f64>, b: ArrayView1<f64>) -> f64 {
        match *self {
            Kernel::Rbf { gamma } => (-gamma * a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>()).exp(),
            Kernel::Laplacian { gamma } => (-gamma * a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f64>()).exp(),
            Kernel::Linear => a.dot(&b),
        }
    }
}

/// Kernel ridge regression hyperparameters: kernel and ridge penalty `alpha`.
///
/// ```
/// use edgeopt_predictors::{Fit, Kernel, KernelRidge, LatencyPredictor};
/// use edgeopt_predictors::ndarray::{array, Array2};
/// let x = Array2::from_shape_fn((20, 1), |(i, _)| i as f64 / 4.0);
/// let y = x.column(0).mapv(f64::sin);
/// let m = KernelRidge { kernel: Kernel::Rbf { gamma: 1.0 }, alpha: 1e-6 }.fit(x.view(), y.view()).unwrap();
/// assert!((m.predict(array![1.25].view()).unwrap() - 1.25f64.sin()).abs() < 1e-3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KernelRidge {
    /// The kernel.
    pub kernel: Kernel,
    /// Ridge penalty (> 0).
    pub alpha: f64,
}

/// A fitted kernel ridge model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KernelRidgeModel {
    kernel: Kernel,
    support: Array2<f64>,
    dual: Array1<f64>,
}

impl Fit for KernelRidge {
    type Model = KernelRidgeModel;

    fn fit(&self, x: ArrayView2<f64>, y: ArrayView1<f64>) -> Result<KernelRidgeModel> {
        let bad =
            |name, value: f64, reason| Err(PredictorError::InvalidParam { name, value: value.to_string(), reason });
        if !(self.alpha > 0.0 && self.alpha.is_finite()) {
            return bad("alpha", self.alpha, "must be finite and > 0");
        }
        if let Kernel::Rbf { gamma } | Kernel::Laplacian { gamma } = self.kernel
            && !(gamma > 0.0 && gamma.is_finite())
        {
            return bad("gamma", gamma, "must be finite and > 0");
        }
        check_xy(x, y, 1)?;
        let n = x.nrows();
        let mut k = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..=i {
                let v = self.kernel.eval(x.row(i), x.row(j));
                k[i * n + j] = v;
                k[j * n + i] = v;
            }
            k[i * n + i] += self.alpha;
        }
        let dual = solve_spd(&k, &y.to_vec(), n)?;
        Ok(KernelRidgeModel { kernel: self.kernel, support: x.to_owned(), dual: Array1::from(dual) })
    }
}

impl LatencyPredictor for KernelRidgeModel {
    fn n_features(&self) -> usize {
        self.support.ncols()
    }
    fn predict(&self, x: ArrayView1<f64>) -> Result<f64> {
        check_len("features", self.support.ncols(), x.len())?;
        check_finite("features", x.iter().copied())?;
        Ok(self.support.rows().into_iter().zip(&self.dual).map(|(s, d)| d * self.kernel.eval(s, x)).sum())
    }
}
