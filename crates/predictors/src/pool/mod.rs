//! Few-shot adaptation from a *pool* of proxy devices (thesis sec. 1.4.3 and eq. 3.3 combined).
//!
//! Each of K proxies predicts (or measured) a latency `s_k(x)` for an architecture with feature
//! vector `x`. From N target measurements, [`PoolAdaProxy`] fits, in latency or log-latency space
//! (`r = y` or `r = ln y`, proxies transformed alike),
//!
//! `r ≈ c + Σ_k β_k s_k(x) + dᵀx`, with `β ≥ 0` and an L1 penalty on `d`,
//!
//! over two families: the **best single proxy** (one `β_k`, chosen by SRCC on the training
//! samples, unpenalised — AdaProxy's global scale) and a **sparse non-negative combination** of
//! all proxies (L1 on `β` at a few relative strengths). `d` is the sparse per-feature correction
//! (AdaProxy's `b`, on standardised features). `x` may be extended by sums of feature groups
//! ([`PoolAdaProxy::feature_groups`], e.g. operator counts), with the ungrouped features'
//! penalty raised by a factor from [`PoolAdaProxy::fine_penalties`], so that few samples
//! correct whole operator types before single positions. Family, space, factor and penalties are chosen by
//! repeated K-fold cross-validation on the target samples only: every candidate's out-of-fold
//! predictions of all N samples are pooled into one Spearman correlation per repeat, so N = 10
//! still scores on 10 points while each fold trains on 8; the winner is then refitted on all N
//! samples, so no measurement is held out of the final fit.

mod lasso;
mod model;

pub use model::PoolAdapted;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::error::{PredictorError, Result, check_finite, check_len};
use crate::metrics::spearman;
use lasso::Standardized;
use model::{augment, transform};

/// Where the pool model is linear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// Latency: `y ≈ c + Σ β_k s_k + dᵀx`.
    Linear,
    /// Log-latency: `ln y ≈ c + Σ β_k ln s_k + dᵀx` (β are exponents, `d` relative slow-downs).
    Log,
}

/// Hyperparameters of the pool adaptation and of its cross-validation.
///
/// ```
/// use edgeopt_predictors::{PoolAdaProxy, metrics::spearman};
/// use edgeopt_predictors::ndarray::Array2;
/// // Two proxies; the target behaves like proxy 0 plus a little of proxy 1.
/// let x = Array2::from_shape_fn((40, 3), |(i, j)| ((i * (j + 2) + j) % 3) as f64);
/// let s = Array2::from_shape_fn((40, 2), |(i, k)| 1.0 + x[(i, 0)] + (k as f64 + 1.0) * x[(i, 1 + k)]);
/// let y = s.column(0).mapv(|v| 3.0 * v) + &s.column(1);
/// // Ten target measurements are enough.
/// let n = 10;
/// let fit = PoolAdaProxy::default()
///     .fit(s.slice(ndarray::s![..n, ..]), x.slice(ndarray::s![..n, ..]), y.slice(ndarray::s![..n]))
///     .unwrap();
/// let pred = fit.predict_batch(s.view(), x.view()).unwrap();
/// assert!(spearman(pred.as_slice().unwrap(), y.as_slice().unwrap()).unwrap() > 0.95);
/// assert!(fit.weights.iter().all(|&b| b >= 0.0));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolAdaProxy {
    /// Cross-validation folds (at most N are used).
    pub folds: usize,
    /// Repetitions of the K-fold split with different shuffles; their SRCCs are averaged.
    pub repeats: usize,
    /// Correction penalties tried, log-spaced from the largest useful one down by `lambda_range`.
    pub lambda_steps: usize,
    /// Ratio between the largest and smallest correction penalty.
    pub lambda_range: f64,
    /// Penalties on the combination weights β, relative to the largest useful penalty (0 = none).
    pub pool_penalties: Vec<f64>,
    /// Also try log-latency space (used only when every target value and proxy median is > 0).
    pub try_log: bool,
    /// Coordinate-descent sweeps at most.
    pub max_iter: usize,
    /// Stop when no standardised coefficient moves by more than this.
    pub tol: f64,
    /// Seed of the fold shuffles.
    pub seed: u64,
    /// Sets of feature columns whose sum is offered to the correction as one more feature, e.g.
    /// the columns encoding one operator at each position of a cell, whose sum is the operator's
    /// count: a device whose cost depends on the operator but not its position is then corrected
    /// by one coefficient per operator, which few samples can fit, rather than one per position.
    pub feature_groups: Vec<Vec<usize>>,
    /// With feature groups: multipliers of the correction penalty on the ungrouped features,
    /// each tried by cross-validation (> 1 prefers per-operator to per-position corrections).
    pub fine_penalties: Vec<f64>,
}

impl Default for PoolAdaProxy {
    fn default() -> Self {
        PoolAdaProxy {
            folds: 5,
            repeats: 3,
            lambda_steps: 12,
            lambda_range: 1e3,
            pool_penalties: vec![0.1, 0.01, 0.0],
            try_log: true,
            max_iter: 2000,
            tol: 1e-7,
            seed: 0,
            feature_groups: Vec::new(),
            fine_penalties: vec![1.0, 3.0, 10.0],
        }
    }
}

/// One family of candidates: a space, a base (one proxy or all) and a penalty on β; its members
/// differ in the correction penalty.
#[derive(Debug, Clone, Copy)]
struct Family {
    scale: Scale,
    combination: bool,
    pool_rel: f64,
    /// Multiplier of the correction penalty on the fine (ungrouped) features.
    fine: f64,
}

/// One fitted member: intercept, coefficients of the base columns then of the features.
struct Member {
    intercept: f64,
    coef: Vec<f64>,
    lambda_pool: f64,
    lambda_correction: f64,
}

/// Data of one space: transformed proxies (N × K) and response.
struct Spaced {
    t: Array2<f64>,
    r: Array1<f64>,
}

impl PoolAdaProxy {
    fn check(&self) -> Result<()> {
        let bad = |name, value: String, reason| Err(PredictorError::InvalidParam { name, value, reason });
        if self.folds < 2 {
            return bad("folds", self.folds.to_string(), "must be at least 2");
        }
        if self.repeats == 0 {
            return bad("repeats", "0".into(), "must be at least 1");
        }
        if self.lambda_steps == 0 {
            return bad("lambda_steps", "0".into(), "must be at least 1");
        }
        if !(self.lambda_range >= 1.0 && self.lambda_range.is_finite()) {
            return bad("lambda_range", self.lambda_range.to_string(), "must be finite and ≥ 1");
        }
        if self.pool_penalties.is_empty() || self.pool_penalties.iter().any(|p| !(p.is_finite() && *p >= 0.0)) {
            return bad(
                "pool_penalties",
                format!("{:?}", self.pool_penalties),
                "need at least one, each finite and ≥ 0",
            );
        }
        if self.fine_penalties.is_empty() || self.fine_penalties.iter().any(|p| !(p.is_finite() && *p > 0.0)) {
            return bad(
                "fine_penalties",
                format!("{:?}", self.fine_penalties),
                "need at least one, each finite and > 0",
            );
        }
        if self.max_iter == 0 {
            return bad("max_iter", "0".into(), "must be at least 1");
        }
        if !(self.tol > 0.0 && self.tol.is_finite()) {
            return bad("tol", self.tol.to_string(), "must be finite and > 0");
        }
        Ok(())
    }

    /// Fit on N target samples: `s` holds the K proxies' values for them (N × K), `x` their
    /// features (N × p), `y` their measured target latencies. Needs N ≥ 6.
    pub fn fit(&self, s: ArrayView2<f64>, x: ArrayView2<f64>, y: ArrayView1<f64>) -> Result<PoolAdapted> {
        self.check()?;
        let n = y.len();
        check_len("proxy value rows", n, s.nrows())?;
        check_len("feature rows", n, x.nrows())?;
        if s.ncols() == 0 {
            return Err(PredictorError::TooFewSamples { what: "proxies in the pool", needed: 1, got: 0 });
        }
        if n < 6 {
            return Err(PredictorError::TooFewSamples { what: "pool adaptation", needed: 6, got: n });
        }
        check_finite("proxy values", s.iter().copied())?;
        check_finite("features", x.iter().copied())?;
        let augmented = augment(x, &self.feature_groups)?;
        let x = augmented.view();
        check_finite("target latencies", y.iter().copied())?;
        if y.iter().all(|&v| v == y[0]) {
            return Err(PredictorError::Constant { what: "the target latency on the samples" });
        }
        let k = s.ncols();
        let floors: Array1<f64> = (0..k).map(|j| 1e-3 * median(s.column(j))).collect();
        let log_ok = self.try_log && y.iter().all(|&v| v > 0.0) && floors.iter().all(|&f| f > 0.0);
        let mut scales = vec![Scale::Linear];
        if log_ok {
            scales.push(Scale::Log);
        }
        let spaced: Vec<Spaced> = scales
            .iter()
            .map(|&scale| Spaced {
                t: Array2::from_shape_fn(s.dim(), |(i, j)| transform(scale, s[(i, j)], floors[j])),
                r: y.mapv(|v| transform(scale, v, 0.0)),
            })
            .collect();
        // Without groups every feature is fine: one factor is enough.
        let fine_factors: Vec<f64> =
            if self.feature_groups.is_empty() { vec![1.0] } else { self.fine_penalties.clone() };
        let mut families = Vec::new();
        for (si, &scale) in scales.iter().enumerate() {
            for &fine in &fine_factors {
                families.push((si, Family { scale, combination: false, pool_rel: 0.0, fine }));
                if k > 1 {
                    for &pool_rel in &self.pool_penalties {
                        families.push((si, Family { scale, combination: true, pool_rel, fine }));
                    }
                }
            }
        }
        let steps = self.lambda_steps;
        let folds = self.folds.min(n);
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut score = vec![0.0; families.len() * steps];
        for _ in 0..self.repeats {
            let mut perm: Vec<usize> = (0..n).collect();
            perm.shuffle(&mut rng);
            let mut oof = vec![vec![0.0; n]; families.len() * steps];
            for f in 0..folds {
                let test: Vec<usize> = (0..n).filter(|i| i % folds == f).map(|i| perm[i]).collect();
                let train: Vec<usize> = (0..n).filter(|i| i % folds != f).map(|i| perm[i]).collect();
                for (fi, (si, fam)) in families.iter().enumerate() {
                    let (base, members) = self.path(fam, &spaced[*si], s, x, y, &train);
                    for (step, m) in members.iter().enumerate() {
                        for &i in &test {
                            oof[fi * steps + step][i] = eval(m, &base, &spaced[*si].t, x, i);
                        }
                    }
                }
            }
            let yv = y.to_vec();
            for (c, pred) in oof.iter().enumerate() {
                score[c] += spearman(pred, &yv).unwrap_or(-1.0) / self.repeats as f64;
            }
        }
        // Candidates are ordered simplest first (linear space, single proxy, larger penalties):
        // a later one must be strictly better to win.
        let mut best = 0;
        for c in 1..score.len() {
            if score[c] > score[best] + 1e-12 {
                best = c;
            }
        }
        let (si, fam) = families[best / steps];
        let all: Vec<usize> = (0..n).collect();
        let (base, members) = self.path(&fam, &spaced[si], s, x, y, &all);
        let m = &members[best % steps];
        let mut weights = Array1::zeros(k);
        for (a, &col) in base.iter().enumerate() {
            weights[col] = m.coef[a];
        }
        let corrections = Array1::from(m.coef[base.len()..].to_vec());
        Ok(PoolAdapted {
            scale: fam.scale,
            weights,
            corrections,
            intercept: m.intercept,
            floors: if fam.scale == Scale::Log { floors } else { Array1::zeros(k) },
            single: (!fam.combination).then(|| base[0]),
            lambda_pool: m.lambda_pool,
            lambda_correction: m.lambda_correction,
            cv_srcc: score[best],
            feature_groups: self.feature_groups.clone(),
        })
    }

    /// Fit a family's correction path on `rows`; returns the base proxy columns and one member
    /// per correction penalty (largest first, warm-started).
    fn path(
        &self,
        fam: &Family,
        sp: &Spaced,
        s: ArrayView2<f64>,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        rows: &[usize],
    ) -> (Vec<usize>, Vec<Member>) {
        let base: Vec<usize> =
            if fam.combination { (0..sp.t.ncols()).collect() } else { vec![best_single(s, y, rows)] };
        let (nb, p) = (base.len(), x.ncols());
        let p_fine = p - self.feature_groups.len();
        let cols = Array2::from_shape_fn((rows.len(), nb + p), |(i, j)| {
            if j < nb { sp.t[(rows[i], base[j])] } else { x[(rows[i], j - nb)] }
        });
        let r = Array1::from_iter(rows.iter().map(|&i| sp.r[i]));
        let st = Standardized::new(cols.view(), r.view());
        let lmax = st.lambda_max();
        let lambda_pool = fam.pool_rel * lmax;
        let nonneg: Vec<bool> = (0..nb + p).map(|j| j < nb).collect();
        let mut theta = vec![0.0; nb + p];
        let steps = self.lambda_steps;
        let members = (0..steps)
            .map(|step| {
                let f = if steps == 1 { 0.0 } else { step as f64 / (steps - 1) as f64 };
                let lambda_correction = lmax * self.lambda_range.powf(-f);
                let penalty: Vec<f64> = (0..nb + p)
                    .map(|j| {
                        if j < nb {
                            lambda_pool
                        } else if j < nb + p_fine {
                            lambda_correction * fam.fine
                        } else {
                            lambda_correction
                        }
                    })
                    .collect();
                st.solve(&penalty, &nonneg, &mut theta, self.max_iter, self.tol);
                let (intercept, coef) = st.original(&theta);
                Member { intercept, coef, lambda_pool, lambda_correction }
            })
            .collect();
        (base, members)
    }
}

/// The proxy whose values rank the target samples `rows` best (ties: the first).
fn best_single(s: ArrayView2<f64>, y: ArrayView1<f64>, rows: &[usize]) -> usize {
    let yv: Vec<f64> = rows.iter().map(|&i| y[i]).collect();
    let mut best = (0, f64::NEG_INFINITY);
    for k in 0..s.ncols() {
        let sv: Vec<f64> = rows.iter().map(|&i| s[(i, k)]).collect();
        let r = spearman(&sv, &yv).unwrap_or(f64::NEG_INFINITY);
        if r > best.1 {
            best = (k, r);
        }
    }
    best.0
}

/// A member's prediction (in its own space) for row `i`.
fn eval(m: &Member, base: &[usize], t: &Array2<f64>, x: ArrayView2<f64>, i: usize) -> f64 {
    let nb = base.len();
    let b: f64 = base.iter().enumerate().map(|(a, &col)| m.coef[a] * t[(i, col)]).sum();
    let c: f64 = (0..x.ncols()).map(|j| m.coef[nb + j] * x[(i, j)]).sum();
    m.intercept + b + c
}

fn median(v: ArrayView1<f64>) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[s.len() / 2]
}
