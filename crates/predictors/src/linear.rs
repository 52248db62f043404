//! Linear (operator-level / lookup-table) predictors fitted by least squares or ridge.

use ndarray::{Array1, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::error::{PredictorError, Result, check_finite, check_len};
use crate::{Fit, LatencyPredictor};

/// Hyperparameters of [`LinearPredictor`]: the ridge penalty relative to the mean diagonal of
/// `XᵀX` (so it is scale-free). A tiny default keeps one-hot encodings with a constant column —
/// which are exactly collinear — solvable, and picks the minimum-norm-like solution.
///
/// ```
/// use edgeopt_predictors::{Fit, LatencyPredictor, LinearRegression};
/// use edgeopt_predictors::ndarray::{self, array};
/// let x = array![[1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [1.0, 1.0, 1.0], [0.0, 0.0, 1.0]];
/// let y = array![3.0, 5.0, 8.0, 0.0];
/// let model = LinearRegression::default().fit(x.view(), y.view()).unwrap();
/// assert!((model.predict(array![1.0, 0.0, 1.0].view()).unwrap() - 3.0).abs() < 1e-3);
/// assert!(LinearRegression { ridge: -1.0 }.fit(x.view(), y.view()).is_err());
/// // Fewer samples than features needs an explicit ridge penalty.
/// assert!(LinearRegression::default().fit(x.slice(ndarray::s![..2, ..]), y.slice(ndarray::s![..2])).is_err());
/// assert!(LinearRegression { ridge: 1e-3 }.fit(x.slice(ndarray::s![..2, ..]), y.slice(ndarray::s![..2])).is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LinearRegression {
    /// Relative ridge penalty, ≥ 0.
    pub ridge: f64,
}

impl Default for LinearRegression {
    fn default() -> Self {
        LinearRegression { ridge: 1e-8 }
    }
}

/// A fitted linear predictor `wᵀx` (include a constant feature for an intercept).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearPredictor {
    /// Weights, one per feature.
    pub weights: Array1<f64>,
}

/// Solve the symmetric positive-definite system `a x = b` (Cholesky, sequential).
pub(crate) fn solve_spd(a: &[f64], b: &[f64], n: usize) -> Result<Vec<f64>> {
    use faer::Mat;
    use faer::linalg::solvers::Solve;
    let am = Mat::<f64>::from_fn(n, n, |i, j| a[i * n + j]);
    let bm = Mat::<f64>::from_fn(n, 1, |i, _| b[i]);
    let llt = am
        .llt(faer::Side::Lower)
        .map_err(|e| PredictorError::Singular { what: "normal equations", source: Box::new(e) })?;
    let x = llt.solve(&bm);
    let out: Vec<f64> = (0..n).map(|i| x[(i, 0)]).collect();
    check_finite("solution of the normal equations", out.iter().copied())?;
    Ok(out)
}

/// Validate a design matrix and targets.
pub(crate) fn check_xy(x: ArrayView2<f64>, y: ArrayView1<f64>, min_rows: usize) -> Result<()> {
    check_len("targets", x.nrows(), y.len())?;
    if x.nrows() < min_rows {
        return Err(PredictorError::TooFewSamples { what: "fit", needed: min_rows, got: x.nrows() });
    }
    if x.ncols() == 0 {
        return Err(PredictorError::TooFewSamples { what: "features", needed: 1, got: 0 });
    }
    check_finite("features", x.iter().copied())?;
    check_finite("targets", y.iter().copied())
}

impl Fit for LinearRegression {
    type Model = LinearPredictor;

    fn fit(&self, x: ArrayView2<f64>, y: ArrayView1<f64>) -> Result<LinearPredictor> {
        if !(self.ridge >= 0.0 && self.ridge.is_finite()) {
            return Err(PredictorError::InvalidParam {
                name: "ridge",
                value: self.ridge.to_string(),
                reason: "must be finite and ≥ 0",
            });
        }
        check_xy(x, y, 1)?;
        let p = x.ncols();
        if x.nrows() < p && self.ridge < 1e-6 {
            // Without real regularisation the fit would be whatever the numerical floor picks.
            return Err(PredictorError::TooFewSamples {
                what: "least squares (set ridge ≥ 1e-6 to regularise)",
                needed: p,
                got: x.nrows(),
            });
        }
        let xtx = x.t().dot(&x);
        let xty = x.t().dot(&y);
        let mean_diag = (0..p).map(|i| xtx[(i, i)]).sum::<f64>() / p as f64;
        let lam = self.ridge * mean_diag.max(f64::MIN_POSITIVE) + f64::EPSILON * mean_diag.max(1.0);
        let mut a = xtx.iter().copied().collect::<Vec<_>>();
        for i in 0..p {
            a[i * p + i] += lam;
        }
        let w = solve_spd(&a, xty.as_slice().unwrap_or(&xty.to_vec()), p)?;
        Ok(LinearPredictor { weights: Array1::from(w) })
    }
}

impl LatencyPredictor for LinearPredictor {
    fn n_features(&self) -> usize {
        self.weights.len()
    }

    fn predict(&self, x: ArrayView1<f64>) -> Result<f64> {
        check_len("features", self.weights.len(), x.len())?;
        check_finite("features", x.iter().copied())?;
        Ok(self.weights.dot(&x))
    }
}
