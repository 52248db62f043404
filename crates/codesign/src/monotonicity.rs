//! Performance monotonicity across devices or accelerators (thesis sec. 3.4, 4.4): SRCC matrices,
//! each device's mean SRCC to the others, and its empirical CDF.

use edgeopt_predictors::metrics::srcc_matrix;

use crate::error::Result;

/// SRCC between every pair of devices (columns) of an `[architecture][device]` matrix, each pair over
/// the architectures measured on both. `stride` > 1 uses every `stride`-th architecture (a sample).
///
/// ```
/// use edgeopt_codesign::monotonicity::{mean_srcc, srcc_across};
/// let m = vec![
///     vec![Some(1.0), Some(10.0), Some(3.0)],
///     vec![Some(2.0), Some(20.0), Some(1.0)],
///     vec![Some(3.0), Some(30.0), Some(2.0)],
/// ];
/// let s = srcc_across(&m, 1).unwrap();
/// assert!((s[0][1] - 1.0).abs() < 1e-12);
/// assert!((mean_srcc(&s)[1] - (s[1][0] + s[1][2]) / 2.0).abs() < 1e-12);
/// ```
pub fn srcc_across(matrix: &[Vec<Option<f64>>], stride: usize) -> Result<Vec<Vec<f64>>> {
    let devices = matrix.first().map_or(0, Vec::len);
    let rows: Vec<&Vec<Option<f64>>> = matrix.iter().step_by(stride.max(1)).collect();
    let columns: Vec<Vec<Option<f64>>> =
        (0..devices).map(|h| rows.iter().map(|r| r.get(h).copied().flatten()).collect()).collect();
    Ok(srcc_matrix(&columns)?)
}

/// Each device's mean SRCC to every other device (entries missing from a ragged matrix are skipped).
pub fn mean_srcc(srcc: &[Vec<f64>]) -> Vec<f64> {
    let n = srcc.len();
    (0..n)
        .map(|i| {
            let others: Vec<f64> = (0..n).filter(|&j| j != i).filter_map(|j| srcc[i].get(j).copied()).collect();
            if others.is_empty() { f64::NAN } else { others.iter().sum::<f64>() / others.len() as f64 }
        })
        .collect()
}

/// Empirical CDF points (value, fraction ≤ value), sorted by value.
pub fn cdf(values: &[f64]) -> Vec<(f64, f64)> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let n = v.len() as f64;
    v.iter().enumerate().map(|(i, x)| (*x, (i + 1) as f64 / n)).collect()
}
