//! A small lasso with an unpenalised intercept, per-column penalties and optional non-negativity,
//! solved by coordinate descent in Gram form on standardised columns (cost per sweep O(m²),
//! independent of the number of samples).

use ndarray::{ArrayView1, ArrayView2};

/// Columns centred and scaled to unit variance, with their Gram matrix and correlation with the
/// centred response.
pub(crate) struct Standardized {
    mean: Vec<f64>,
    /// Standard deviation of each column; 0 marks a constant column (its coefficient stays 0).
    scale: Vec<f64>,
    /// (1/N) C̃ᵀC̃, row-major m × m.
    gram: Vec<f64>,
    /// (1/N) C̃ᵀr̃.
    cr: Vec<f64>,
    r_mean: f64,
    m: usize,
}

impl Standardized {
    pub(crate) fn new(cols: ArrayView2<f64>, r: ArrayView1<f64>) -> Standardized {
        let (n, m) = cols.dim();
        let nf = n as f64;
        let r_mean = r.sum() / nf;
        let mean: Vec<f64> = (0..m).map(|j| cols.column(j).sum() / nf).collect();
        let scale: Vec<f64> = (0..m)
            .map(|j| {
                let var = cols.column(j).iter().map(|v| (v - mean[j]).powi(2)).sum::<f64>() / nf;
                // Columns that vary by less than round-off are constant for this fit.
                if var.sqrt() <= 1e-12 * (1.0 + mean[j].abs()) { 0.0 } else { var.sqrt() }
            })
            .collect();
        let z = |i: usize, j: usize| if scale[j] == 0.0 { 0.0 } else { (cols[(i, j)] - mean[j]) / scale[j] };
        let mut gram = vec![0.0; m * m];
        let mut cr = vec![0.0; m];
        for i in 0..n {
            let row: Vec<f64> = (0..m).map(|j| z(i, j)).collect();
            let ri = r[i] - r_mean;
            for j in 0..m {
                cr[j] += row[j] * ri / nf;
                for k in j..m {
                    gram[j * m + k] += row[j] * row[k] / nf;
                }
            }
        }
        for j in 0..m {
            for k in 0..j {
                gram[j * m + k] = gram[k * m + j];
            }
        }
        Standardized { mean, scale, gram, cr, r_mean, m }
    }

    /// The smallest common penalty at which every coefficient is zero.
    pub(crate) fn lambda_max(&self) -> f64 {
        self.cr.iter().map(|c| c.abs()).fold(0.0, f64::max).max(1e-12)
    }

    /// Minimise (1/2N)‖r̃ − C̃θ‖² + Σ penalty_j |θ_j| (+ a tiny ridge for collinear columns), with
    /// θ_j ≥ 0 where `nonneg[j]`; `theta` is the warm start and receives the solution.
    pub(crate) fn solve(&self, penalty: &[f64], nonneg: &[bool], theta: &mut [f64], max_iter: usize, tol: f64) {
        let m = self.m;
        // q = (1/N) C̃ᵀ(r̃ − C̃θ), kept up to date as coordinates move.
        let mut q: Vec<f64> =
            (0..m).map(|j| self.cr[j] - (0..m).map(|k| self.gram[j * m + k] * theta[k]).sum::<f64>()).collect();
        for _ in 0..max_iter {
            let mut delta: f64 = 0.0;
            for j in 0..m {
                let gjj = self.gram[j * m + j];
                if self.scale[j] == 0.0 || gjj == 0.0 {
                    theta[j] = 0.0;
                    continue;
                }
                let old = theta[j];
                let rho = q[j] + gjj * old;
                let shrunk = if rho > penalty[j] {
                    rho - penalty[j]
                } else if rho < -penalty[j] && !nonneg[j] {
                    rho + penalty[j]
                } else {
                    0.0
                };
                let new = shrunk / (gjj * (1.0 + 1e-8));
                let d = new - old;
                if d != 0.0 {
                    theta[j] = new;
                    for (qk, gk) in q.iter_mut().zip(&self.gram[j * m..(j + 1) * m]) {
                        *qk -= gk * d;
                    }
                    delta = delta.max(d.abs());
                }
            }
            if delta < tol {
                break;
            }
        }
    }

    /// Coefficients on the original columns and the intercept.
    pub(crate) fn original(&self, theta: &[f64]) -> (f64, Vec<f64>) {
        let coef: Vec<f64> =
            (0..self.m).map(|j| if self.scale[j] == 0.0 { 0.0 } else { theta[j] / self.scale[j] }).collect();
        let intercept = self.r_mean - coef.iter().zip(&self.mean).map(|(c, m)| c * m).sum::<f64>();
        (intercept, coef)
    }
}
