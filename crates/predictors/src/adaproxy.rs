//! AdaProxy (thesis eq. 3.3): adapt a proxy device's linear latency predictor `wᵀx` to a target
//! device from a few dozen target measurements.
//!
//! The adapted predictor is `((α·1 + b) ∘ w)ᵀx`: one global slow-down factor `α` (not penalised)
//! and sparse per-feature corrections `b` (L1 penalty `λ|b|`). The objective
//! `(1/N) Σ (((α·1 + b) ∘ w)ᵀxᵢ − yᵢ)² + λ|b|` is solved by coordinate descent with an exact
//! update for `α` and soft-thresholding for each `bⱼ`; `λ` is chosen on a validation split by SRCC.

use ndarray::{Array1, ArrayView1, ArrayView2, Axis, concatenate};
use serde::{Deserialize, Serialize};

use crate::LatencyPredictor;
use crate::error::{PredictorError, Result, check_finite, check_len};
use crate::linear::check_xy;
use crate::metrics::spearman;

/// Hyperparameters of the adaptation.
///
/// ```
/// use edgeopt_predictors::{AdaProxy, LatencyPredictor};
/// use edgeopt_predictors::ndarray::{array, Array2};
/// // The target is exactly twice as slow as the proxy: α = 2, b = 0.
/// let w = array![1.0, 3.0, 0.5];
/// let x = Array2::from_shape_fn((12, 3), |(i, j)| ((i * 7 + j * 3) % 5) as f64);
/// let y = x.dot(&w) * 2.0;
/// let fit = AdaProxy::default().fit_lambda(w.view(), x.view(), y.view(), 1e-3).unwrap();
/// assert!((fit.alpha - 2.0).abs() < 1e-6);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdaProxy {
    /// Number of λ values tried, log-spaced from the smallest λ that zeroes `b` down by `lambda_range`.
    pub lambda_steps: usize,
    /// Ratio between the largest and smallest λ tried.
    pub lambda_range: f64,
    /// Coordinate-descent sweeps at most.
    pub max_iter: usize,
    /// Stop when no coefficient moves by more than `tol` (relative).
    pub tol: f64,
}

impl Default for AdaProxy {
    fn default() -> Self {
        AdaProxy { lambda_steps: 30, lambda_range: 1e5, max_iter: 1000, tol: 1e-7 }
    }
}

/// A proxy predictor adapted to a target device (deserialisation checks the lengths agree).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "AdaptedData")]
pub struct AdaptedPredictor {
    /// Global scale.
    pub alpha: f64,
    /// Per-feature corrections (mostly zero).
    pub b: Array1<f64>,
    /// The proxy's weights `w`.
    pub proxy: Array1<f64>,
    /// The λ used.
    pub lambda: f64,
}

#[derive(Deserialize)]
struct AdaptedData {
    alpha: f64,
    b: Array1<f64>,
    proxy: Array1<f64>,
    lambda: f64,
}

impl TryFrom<AdaptedData> for AdaptedPredictor {
    type Error = PredictorError;
    fn try_from(d: AdaptedData) -> Result<AdaptedPredictor> {
        check_len("corrections", d.proxy.len(), d.b.len())?;
        check_finite("saved predictor", d.b.iter().chain(d.proxy.iter()).copied().chain([d.alpha, d.lambda]))?;
        Ok(AdaptedPredictor { alpha: d.alpha, b: d.b, proxy: d.proxy, lambda: d.lambda })
    }
}

impl AdaptedPredictor {
    /// The effective linear weights `(α·1 + b) ∘ w`.
    pub fn weights(&self) -> Array1<f64> {
        (&self.b + self.alpha) * &self.proxy
    }
}

impl LatencyPredictor for AdaptedPredictor {
    fn n_features(&self) -> usize {
        self.proxy.len()
    }
    fn predict(&self, x: ArrayView1<f64>) -> Result<f64> {
        check_len("features", self.proxy.len(), x.len())?;
        check_finite("features", x.iter().copied())?;
        Ok(self.weights().dot(&x))
    }
}

/// The problem in Gram form: coordinate descent then costs O(p) per coordinate, independent of N.
struct Problem {
    /// ZᵀZ (row-major p × p), with Z = X ∘ w.
    g: Vec<f64>,
    /// Zᵀy.
    zy: Vec<f64>,
    /// Zᵀs, with s = Z·1 (the proxy's predictions).
    zs: Vec<f64>,
    ss: f64,
    sy: f64,
    n: f64,
    p: usize,
}
impl AdaProxy {
    fn check(&self) -> Result<()> {
        let bad = |name, value: String, reason| Err(PredictorError::InvalidParam { name, value, reason });
        if self.lambda_steps == 0 {
            return bad("lambda_steps", "0".into(), "must be at least 1");
        }
        if !(self.lambda_range >= 1.0 && self.lambda_range.is_finite()) {
            return bad("lambda_range", self.lambda_range.to_string(), "must be finite and ≥ 1");
        }
        if self.max_iter == 0 {
            return bad("max_iter", "0".into(), "must be at least 1");
        }
        if !(self.tol > 0.0 && self.tol.is_finite()) {
            return bad("tol", self.tol.to_string(), "must be finite and > 0");
        }
        Ok(())
    }

    fn problem(&self, w: ArrayView1<f64>, x: ArrayView2<f64>, y: ArrayView1<f64>) -> Result<Problem> {
        self.check()?;
        check_xy(x, y, 2)?;
        check_len("proxy weights", x.ncols(), w.len())?;
        check_finite("proxy weights", w.iter().copied())?;
        let z = &x * &w;
        let sv = z.sum_axis(Axis(1));
        let ss = sv.dot(&sv);
        if ss == 0.0 {
            return Err(PredictorError::Constant { what: "the proxy prediction (all zero on the samples)" });
        }
        let p = z.ncols();
        let g = z.t().dot(&z);
        Ok(Problem {
            g: g.iter().copied().collect(),
            zy: z.t().dot(&y).to_vec(),
            zs: z.t().dot(&sv).to_vec(),
            ss,
            sy: sv.dot(&y),
            n: x.nrows() as f64,
            p,
        })
    }

    /// Coordinate descent on (α, b); returns the solution. `q = Zᵀr` and `t = sᵀr` for the current
    /// residual `r = y − α s − Z b` are kept up to date in O(p) per coordinate move.
    fn solve(&self, pr: &Problem, lambda: f64, warm: Option<(f64, &Array1<f64>)>) -> (f64, Array1<f64>) {
        let p = pr.p;
        let (mut alpha, mut b) = match warm {
            Some((a, b)) => (a, b.to_vec()),
            None => (pr.sy / pr.ss, vec![0.0; p]),
        };
        let mut q: Vec<f64> =
            (0..p).map(|j| pr.zy[j] - alpha * pr.zs[j] - (0..p).map(|k| pr.g[j * p + k] * b[k]).sum::<f64>()).collect();
        let mut t = pr.sy - alpha * pr.ss - (0..p).map(|k| pr.zs[k] * b[k]).sum::<f64>();
        let scale = 2.0 / pr.n;
        for _ in 0..self.max_iter {
            let da = t / pr.ss;
            alpha += da;
            t -= pr.ss * da;
            for (qj, zsj) in q.iter_mut().zip(&pr.zs) {
                *qj -= zsj * da;
            }
            let mut delta = da.abs() / (1.0 + alpha.abs());
            for j in 0..p {
                let gjj = pr.g[j * p + j];
                if gjj == 0.0 {
                    continue;
                }
                let old = b[j];
                // c = (2/N) z_jᵀ (r + z_j b_j), a = (2/N) z_jᵀ z_j.
                let c = scale * (q[j] + gjj * old);
                let a = scale * gjj;
                let new = if c > lambda {
                    (c - lambda) / a
                } else if c < -lambda {
                    (c + lambda) / a
                } else {
                    0.0
                };
                let d = new - old;
                if d != 0.0 {
                    b[j] = new;
                    let row = &pr.g[j * p..(j + 1) * p];
                    for (qk, gk) in q.iter_mut().zip(row) {
                        *qk -= gk * d;
                    }
                    t -= pr.zs[j] * d;
                    delta = delta.max(d.abs() / (1.0 + alpha.abs()));
                }
            }
            if delta < self.tol {
                break;
            }
        }
        (alpha, Array1::from(b))
    }

    /// Fit with a given λ ≥ 0 on samples `x` (rows = architectures) and target latencies `y`.
    pub fn fit_lambda(
        &self,
        proxy: ArrayView1<f64>,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        lambda: f64,
    ) -> Result<AdaptedPredictor> {
        if !(lambda >= 0.0 && lambda.is_finite()) {
            return Err(PredictorError::InvalidParam {
                name: "lambda",
                value: lambda.to_string(),
                reason: "must be finite and ≥ 0",
            });
        }
        let p = self.problem(proxy, x, y)?;
        let (alpha, b) = self.solve(&p, lambda, None);
        Ok(AdaptedPredictor { alpha, b, proxy: proxy.to_owned(), lambda })
    }

    /// The λ grid for these samples: from the smallest λ at which `b = 0` downwards.
    fn grid(&self, pr: &Problem) -> Vec<f64> {
        let alpha0 = pr.sy / pr.ss;
        let lmax =
            (0..pr.p).map(|j| (2.0 / pr.n * (pr.zy[j] - alpha0 * pr.zs[j])).abs()).fold(0.0, f64::max).max(1e-12);
        let steps = self.lambda_steps;
        (0..steps)
            .map(|k| {
                let f = if steps == 1 { 0.0 } else { k as f64 / (steps - 1) as f64 };
                lmax * self.lambda_range.powf(-f)
            })
            .collect()
    }

    /// Choose λ by the SRCC of the validation samples, then refit on training and validation
    /// samples together with that λ. Ties in SRCC keep the larger (sparser) λ.
    pub fn fit(
        &self,
        proxy: ArrayView1<f64>,
        x_train: ArrayView2<f64>,
        y_train: ArrayView1<f64>,
        x_val: ArrayView2<f64>,
        y_val: ArrayView1<f64>,
    ) -> Result<AdaptedPredictor> {
        let p = self.problem(proxy, x_train, y_train)?;
        check_xy(x_val, y_val, 2)?;
        check_len("validation features", proxy.len(), x_val.ncols())?;
        let mut best: Option<(f64, f64)> = None;
        let mut warm: Option<(f64, Array1<f64>)> = None;
        for lambda in self.grid(&p) {
            let (alpha, b) = self.solve(&p, lambda, warm.as_ref().map(|(a, b)| (*a, b)));
            let w = (&b + alpha) * proxy;
            let pred = x_val.dot(&w);
            let score =
                spearman(pred.as_slice().unwrap_or(&pred.to_vec()), &y_val.to_vec()).unwrap_or(f64::NEG_INFINITY);
            if best.is_none_or(|(s, _)| score > s) {
                best = Some((score, lambda));
            }
            warm = Some((alpha, b));
        }
        let lambda = best.map_or(0.0, |b| b.1);
        let x_all = concatenate(Axis(0), &[x_train, x_val])
            .map_err(|source| PredictorError::Shape { what: "training and validation features", source })?;
        let y_all = concatenate(Axis(0), &[y_train, y_val])
            .map_err(|source| PredictorError::Shape { what: "training and validation targets", source })?;
        self.fit_lambda(proxy, x_all.view(), y_all.view(), lambda)
    }

    /// Re-fit with the previous λ, warm-started from `previous`, as more target measurements arrive
    /// (`x`, `y` hold all measurements so far).
    pub fn refit(
        &self,
        previous: &AdaptedPredictor,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
    ) -> Result<AdaptedPredictor> {
        let p = self.problem(previous.proxy.view(), x, y)?;
        check_len("previous corrections", x.ncols(), previous.b.len())?;
        let (alpha, b) = self.solve(&p, previous.lambda, Some((previous.alpha, &previous.b)));
        Ok(AdaptedPredictor { alpha, b, proxy: previous.proxy.clone(), lambda: previous.lambda })
    }
}
