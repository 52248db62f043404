//! The fitted pool model and its prediction.

use ndarray::{Array1, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use super::Scale;
use crate::error::{PredictorError, Result, check_finite, check_len};

/// The fitted pool model. Predict with the same proxy columns and features it was fitted on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolAdapted {
    /// Space of the fit.
    pub scale: Scale,
    /// Non-negative weight of each proxy (an exponent in log space); zero for unused proxies.
    pub weights: Array1<f64>,
    /// Per-feature corrections `d` (mostly zero).
    pub corrections: Array1<f64>,
    /// Intercept `c`.
    pub intercept: f64,
    /// In log space, proxy values are clamped to these floors before the logarithm (1e-3 of the
    /// proxy's median on the fitting samples), so that near-zero predictions stay finite.
    pub floors: Array1<f64>,
    /// `Some(k)` when the best single proxy `k` was chosen, `None` for the combination.
    pub single: Option<usize>,
    /// Penalty on β (standardised units).
    pub lambda_pool: f64,
    /// Penalty on the corrections (standardised units).
    pub lambda_correction: f64,
    /// Cross-validated SRCC of the chosen candidate (mean over repeats).
    pub cv_srcc: f64,
    /// The fitter's feature groups: after the per-feature corrections, `corrections` holds one
    /// per group, applied to the sum of the group's features.
    pub feature_groups: Vec<Vec<usize>>,
}

impl PoolAdapted {
    /// Number of proxies.
    pub fn n_proxies(&self) -> usize {
        self.weights.len()
    }

    /// Number of features an architecture is described by (groups excluded).
    pub fn n_features(&self) -> usize {
        self.corrections.len().saturating_sub(self.feature_groups.len())
    }

    /// Predict one architecture from its proxies' values `s` and features `x`.
    pub fn predict(&self, s: ArrayView1<f64>, x: ArrayView1<f64>) -> Result<f64> {
        check_len("proxy values", self.weights.len(), s.len())?;
        check_len("features", self.n_features(), x.len())?;
        check_finite("proxy values", s.iter().copied())?;
        check_finite("features", x.iter().copied())?;
        let base: f64 =
            s.iter().enumerate().map(|(k, &v)| self.weights[k] * transform(self.scale, v, self.floors[k])).sum();
        let p = x.len();
        let fine = self.corrections.slice(ndarray::s![..p]).dot(&x);
        let coarse: f64 =
            self.feature_groups.iter().enumerate().map(|(g, cols)| self.corrections[p + g] * group_sum(x, cols)).sum();
        let r = self.intercept + base + fine + coarse;
        Ok(match self.scale {
            Scale::Linear => r,
            Scale::Log => r.exp(),
        })
    }

    /// Predict every row (`s`: architectures × proxies, `x`: architectures × features).
    pub fn predict_batch(&self, s: ArrayView2<f64>, x: ArrayView2<f64>) -> Result<Array1<f64>> {
        check_len("feature rows", s.nrows(), x.nrows())?;
        s.rows()
            .into_iter()
            .zip(x.rows())
            .map(|(si, xi)| self.predict(si, xi))
            .collect::<Result<Vec<_>>>()
            .map(Array1::from)
    }
}

pub(super) fn transform(scale: Scale, v: f64, floor: f64) -> f64 {
    match scale {
        Scale::Linear => v,
        Scale::Log => v.max(floor).ln(),
    }
}

/// The sum of a group's features (indices were checked when the model was fitted).
pub(super) fn group_sum(x: ArrayView1<f64>, cols: &[usize]) -> f64 {
    cols.iter().map(|&j| x.get(j).copied().unwrap_or(0.0)).sum()
}

/// The features followed by one sum per group; every index must be below `x.ncols()`.
pub(super) fn augment(x: ArrayView2<f64>, groups: &[Vec<usize>]) -> Result<ndarray::Array2<f64>> {
    let p = x.ncols();
    if let Some(bad) = groups.iter().flatten().find(|&&j| j >= p) {
        return Err(PredictorError::InvalidParam {
            name: "feature_groups",
            value: format!("{bad} (architectures have {p} features)"),
            reason: "every feature index must be in range",
        });
    }
    Ok(ndarray::Array2::from_shape_fn((x.nrows(), p + groups.len()), |(i, j)| {
        if j < p { x[(i, j)] } else { group_sum(x.row(i), &groups[j - p]) }
    }))
}
