//! Rank correlations and error metrics.
//!
//! Spearman's ρ uses average ranks for ties (as `scipy.stats.spearmanr`); Kendall's τ is τ-b
//! (as `scipy.stats.kendalltau`). All functions reject NaN/inf, mismatched lengths, too few
//! samples and constant series with a [`PredictorError`] instead of returning NaN.

use rand::{Rng, RngExt};

use crate::error::{PredictorError, Result, check_finite, check_len};

fn check_pair(x: &[f64], y: &[f64], needed: usize) -> Result<()> {
    check_len("second series", x.len(), y.len())?;
    if x.len() < needed {
        return Err(PredictorError::TooFewSamples { what: "rank correlation", needed, got: x.len() });
    }
    check_finite("first series", x.iter().copied())?;
    check_finite("second series", y.iter().copied())
}

/// Ranks from 1 to n, ties given their average rank.
///
/// ```
/// assert_eq!(edgeopt_predictors::metrics::average_ranks(&[10.0, 30.0, 20.0, 30.0]), vec![1.0, 3.5, 2.0, 3.5]);
/// ```
pub fn average_ranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut ranks = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            ranks[k] = r;
        }
        i = j + 1;
    }
    ranks
}

fn pearson_unchecked(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        let (dx, dy) = (a - mx, b - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx == 0.0 || syy == 0.0 {
        return None;
    }
    Some((sxy / (sxx.sqrt() * syy.sqrt())).clamp(-1.0, 1.0))
}

/// Pearson's correlation coefficient.
pub fn pearson(x: &[f64], y: &[f64]) -> Result<f64> {
    check_pair(x, y, 2)?;
    pearson_unchecked(x, y).ok_or(PredictorError::Constant { what: "a series" })
}

/// Spearman's rank correlation (SRCC) with average ranks for ties.
///
/// ```
/// use edgeopt_predictors::metrics::spearman;
/// assert!((spearman(&[1.0, 2.0, 3.0, 4.0], &[10.0, 20.0, 30.0, 40.0]).unwrap() - 1.0).abs() < 1e-12);
/// assert!(spearman(&[1.0, f64::NAN], &[1.0, 2.0]).is_err());
/// ```
pub fn spearman(x: &[f64], y: &[f64]) -> Result<f64> {
    check_pair(x, y, 2)?;
    let (rx, ry) = (average_ranks(x), average_ranks(y));
    pearson_unchecked(&rx, &ry).ok_or(PredictorError::Constant { what: "a series" })
}

/// Kendall's τ-b (tie-corrected), O(n²).
///
/// ```
/// use edgeopt_predictors::metrics::kendall_tau;
/// assert!((kendall_tau(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]).unwrap() + 1.0).abs() < 1e-12);
/// ```
pub fn kendall_tau(x: &[f64], y: &[f64]) -> Result<f64> {
    check_pair(x, y, 2)?;
    let n = x.len();
    let (mut conc, mut disc, mut tx, mut ty) = (0i64, 0i64, 0i64, 0i64);
    for i in 0..n {
        for j in i + 1..n {
            let a = (x[i] - x[j]).partial_cmp(&0.0).map_or(0, |o| o as i64);
            let b = (y[i] - y[j]).partial_cmp(&0.0).map_or(0, |o| o as i64);
            match (a, b) {
                (0, 0) => {}
                (0, _) => tx += 1,
                (_, 0) => ty += 1,
                _ if a == b => conc += 1,
                _ => disc += 1,
            }
        }
    }
    let denom = (((conc + disc + tx) as f64) * ((conc + disc + ty) as f64)).sqrt();
    if denom == 0.0 {
        return Err(PredictorError::Constant { what: "a series" });
    }
    Ok(((conc - disc) as f64 / denom).clamp(-1.0, 1.0))
}

/// Root mean squared error.
pub fn rmse(pred: &[f64], truth: &[f64]) -> Result<f64> {
    check_pair(pred, truth, 1)?;
    Ok((pred.iter().zip(truth).map(|(p, t)| (p - t).powi(2)).sum::<f64>() / pred.len() as f64).sqrt())
}

/// Mean absolute percentage error, in percent. Zero true values are rejected.
pub fn mape(pred: &[f64], truth: &[f64]) -> Result<f64> {
    check_pair(pred, truth, 1)?;
    if let Some(index) = truth.iter().position(|&t| t == 0.0) {
        return Err(PredictorError::NonFinite { what: "true values (MAPE divides by them)", index, value: 0.0 });
    }
    Ok(100.0 * pred.iter().zip(truth).map(|(p, t)| ((p - t) / t).abs()).sum::<f64>() / pred.len() as f64)
}

/// Fraction of predictions within ±`tolerance` (relative, e.g. 0.1) of the truth.
pub fn within(pred: &[f64], truth: &[f64], tolerance: f64) -> Result<f64> {
    check_pair(pred, truth, 1)?;
    let ok = pred.iter().zip(truth).filter(|(p, t)| (*p - *t).abs() <= tolerance * t.abs()).count();
    Ok(ok as f64 / pred.len() as f64)
}

/// SRCC between every pair of columns, each over the rows where both columns are present.
/// `None` marks a missing cell. Pairs with fewer than 3 common rows or a constant column give an
/// error naming the pair.
pub fn srcc_matrix(columns: &[Vec<Option<f64>>]) -> Result<Vec<Vec<f64>>> {
    let k = columns.len();
    let mut m = vec![vec![1.0; k]; k];
    for i in 0..k {
        for j in i + 1..k {
            check_len("column length", columns[i].len(), columns[j].len())?;
            let (a, b): (Vec<f64>, Vec<f64>) =
                columns[i].iter().zip(&columns[j]).filter_map(|(a, b)| Some(((*a)?, (*b)?))).unzip();
            if a.len() < 3 {
                return Err(PredictorError::TooFewSamples {
                    what: "common rows of a column pair",
                    needed: 3,
                    got: a.len(),
                });
            }
            let r = spearman(&a, &b)?;
            m[i][j] = r;
            m[j][i] = r;
        }
    }
    Ok(m)
}

/// An SRCC estimate from a sample with a percentile bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SrccEstimate {
    /// SRCC on the sample.
    pub estimate: f64,
    /// Lower end of the interval.
    pub lower: f64,
    /// Upper end of the interval.
    pub upper: f64,
}

/// SRCC of a small sample with a `level` (e.g. 0.95) percentile bootstrap interval over
/// `resamples` resamples (thesis fig. 3.11b: how well 30–50 measurements pin the SRCC).
/// Resamples whose series come out constant are skipped.
pub fn bootstrap_srcc<R: Rng + ?Sized>(
    x: &[f64],
    y: &[f64],
    resamples: usize,
    level: f64,
    rng: &mut R,
) -> Result<SrccEstimate> {
    let estimate = spearman(x, y)?;
    if !(0.0 < level && level < 1.0) {
        return Err(PredictorError::InvalidParam {
            name: "level",
            value: level.to_string(),
            reason: "must be in (0, 1)",
        });
    }
    if resamples < 10 {
        return Err(PredictorError::InvalidParam {
            name: "resamples",
            value: resamples.to_string(),
            reason: "must be at least 10",
        });
    }
    let n = x.len();
    let mut stats = Vec::with_capacity(resamples);
    let (mut bx, mut by) = (vec![0.0; n], vec![0.0; n]);
    for _ in 0..resamples {
        for k in 0..n {
            let i = rng.random_range(0..n);
            bx[k] = x[i];
            by[k] = y[i];
        }
        if let Ok(r) = spearman(&bx, &by) {
            stats.push(r);
        }
    }
    if stats.len() < 10 {
        return Err(PredictorError::Constant { what: "almost every bootstrap resample" });
    }
    stats.sort_by(f64::total_cmp);
    let q = |p: f64| stats[((p * (stats.len() - 1) as f64).round() as usize).min(stats.len() - 1)];
    Ok(SrccEstimate { estimate, lower: q((1.0 - level) / 2.0), upper: q((1.0 + level) / 2.0) })
}
