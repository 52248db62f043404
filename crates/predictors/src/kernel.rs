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
        // Contiguous rows (the usual case) take the slice path: the same sums, without the
        // strided iterator's overhead (the linear kernel keeps ndarray's `dot`).
        if let (Some(a), Some(b)) = (a.as_slice(), b.as_slice()) {
            match *self {
                Kernel::Rbf { gamma } => {
                    return (-gamma * a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>()).exp();
                }
                Kernel::Laplacian { gamma } => {
                    return (-gamma * a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f64>()).exp();
                }
                Kernel::Linear => {}
            }
        }
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

impl KernelRidgeModel {
    /// Whether `other` has the same kernel and support points, so that one kernel evaluation
    /// per support point serves both ([`KernelRidgeModel::predict_shared`]).
    pub fn shares_support(&self, other: &KernelRidgeModel) -> bool {
        self.kernel == other.kernel && self.support == other.support
    }

    /// Predictions at `x` of `self` followed by `others`, which must share its support
    /// ([`KernelRidgeModel::shares_support`]): the kernel is evaluated once per support point
    /// instead of once per model, with the same results as [`LatencyPredictor::predict`].
    ///
    /// ```
    /// use edgeopt_predictors::{Fit, Kernel, KernelRidge, LatencyPredictor};
    /// use edgeopt_predictors::ndarray::{array, Array2};
    /// let x = Array2::from_shape_fn((10, 1), |(i, _)| i as f64);
    /// let krr = KernelRidge { kernel: Kernel::Rbf { gamma: 0.5 }, alpha: 1e-3 };
    /// let a = krr.fit(x.view(), x.column(0).mapv(f64::sin).view()).unwrap();
    /// let b = krr.fit(x.view(), x.column(0).mapv(f64::cos).view()).unwrap();
    /// let both = a.predict_shared(&[&b], array![2.5].view()).unwrap();
    /// assert_eq!(both, vec![a.predict(array![2.5].view()).unwrap(), b.predict(array![2.5].view()).unwrap()]);
    /// ```
    pub fn predict_shared(&self, others: &[&KernelRidgeModel], x: ArrayView1<f64>) -> Result<Vec<f64>> {
        check_len("features", self.support.ncols(), x.len())?;
        check_finite("features", x.iter().copied())?;
        if let Some(i) = others.iter().position(|o| !self.shares_support(o)) {
            return Err(PredictorError::InvalidParam {
                name: "others",
                value: i.to_string(),
                reason: "model does not share the kernel and support points",
            });
        }
        let mut out = vec![0.0; others.len() + 1];
        for (r, s) in self.support.rows().into_iter().enumerate() {
            let k = self.kernel.eval(s, x);
            out[0] += self.dual[r] * k;
            for (o, model) in out[1..].iter_mut().zip(others) {
                *o += model.dual[r] * k;
            }
        }
        Ok(out)
    }
}
