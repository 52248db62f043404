//! The confidence matrix Z of the neural policies: its diagonal inverse, and for the full forms the
//! quadratic form and the Sherman–Morrison update of Z⁻¹.

use ndarray::Array2;

/// `1/(m·z)` for a diagonal Z.
pub(crate) fn diag_inverse(z: &[f64], m: usize) -> Vec<f64> {
    z.iter().map(|v| 1.0 / (m as f64 * v)).collect()
}

/// `gᵀ A g` for a symmetric `A`, over the non-zeros of `g` only: a gradient has zeros at every
/// zero input and every inactive unit (wine's disjoint encoding leaves ~1/6 of them), and the cost
/// is quadratic in their number.
pub(crate) fn sparse_quadratic_form(a: &Array2<f64>, g: &[f64]) -> f64 {
    let nz: Vec<usize> = (0..g.len()).filter(|&i| g[i] != 0.0).collect();
    nz.iter().map(|&i| g[i] * nz.iter().map(|&j| a[(i, j)] * g[j]).sum::<f64>()).sum()
}

/// `A⁻¹ ← A⁻¹ − u uᵀ/(m + gᵀu)` with `u = A⁻¹g`: Sherman–Morrison for `A ← A + g gᵀ/m`, in place
/// (one pass over the matrix, no p × p temporary). `u` sums the rows of the non-zeros of `g` only
/// (A⁻¹ is symmetric).
pub(crate) fn sherman_morrison(a_inv: &mut Array2<f64>, g: &[f64], m: f64) {
    let p = g.len();
    let mut u = vec![0.0; p];
    for (j, &gj) in g.iter().enumerate() {
        if gj != 0.0 {
            u.iter_mut().zip(a_inv.row(j)).for_each(|(ui, a)| *ui += gj * a);
        }
    }
    let denom = m + g.iter().zip(&u).map(|(a, b)| a * b).sum::<f64>();
    crate::simd::dispatch(|| {
        for (mut row, &ui) in a_inv.rows_mut().into_iter().zip(&u) {
            let c = ui / denom;
            if c != 0.0 {
                row.iter_mut().zip(&u).for_each(|(a, uj)| *a -= c * uj);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::ChaCha8Rng;
    use rand::{RngExt, SeedableRng};

    /// Z·Z⁻¹ = I after a sequence of rank-one updates with sparse gradients, Z built directly.
    #[test]
    fn the_rank_one_updates_keep_the_exact_inverse() {
        let (p, lambda, m) = (24, 0.5, 10.0);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut z = Array2::<f64>::eye(p) * lambda;
        let mut z_inv = Array2::<f64>::eye(p) / lambda;
        for _ in 0..40 {
            let g: Vec<f64> =
                (0..p).map(|_| if rng.random_bool(0.6) { 0.0 } else { rng.random_range(-3.0..3.0) }).collect();
            for i in 0..p {
                for j in 0..p {
                    z[(i, j)] += g[i] * g[j] / m;
                }
            }
            let dense: f64 = (0..p).map(|i| (0..p).map(|j| g[i] * z_inv[(i, j)] * g[j]).sum::<f64>()).sum();
            let sparse = sparse_quadratic_form(&z_inv, &g);
            assert!((dense - sparse).abs() <= 1e-9 * (1.0 + dense.abs()), "{dense} vs {sparse}");
            sherman_morrison(&mut z_inv, &g, m);
        }
        let product = z.dot(&z_inv);
        for i in 0..p {
            for j in 0..p {
                let expected = if i == j { 1.0 } else { 0.0 };
                assert!((product[(i, j)] - expected).abs() < 1e-8, "({i}, {j}): {}", product[(i, j)]);
            }
        }
    }
}
