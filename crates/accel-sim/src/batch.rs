//! Many networks × many accelerators, in parallel.

use rayon::prelude::*;

use crate::accelerator::{Accelerator, NetworkCost};
use crate::error::Result;
use crate::layer::Layer;

/// Cost every network on every accelerator with rayon. `result[i][j]` is network `i` on
/// accelerator `j`, whatever the thread count. Errors are kept per pair, so one unsupported
/// combination does not hide the others.
///
/// ```
/// use edgeopt_accel_sim::{evaluate_batch, HardwareSpace, Layer};
/// let nets = vec![vec![Layer::conv("c", 8, 8, 3, 3, 10, 10, 1)]];
/// let accs = HardwareSpace::calibration().enumerate().unwrap();
/// let table = evaluate_batch(&nets, &accs);
/// assert_eq!(table[0].len(), 162);
/// assert!(table[0].iter().all(|r| r.is_ok()));
/// ```
pub fn evaluate_batch<A: Accelerator + Sync>(
    networks: &[Vec<Layer>],
    accelerators: &[A],
) -> Vec<Vec<Result<NetworkCost>>> {
    let pairs: Vec<Result<NetworkCost>> = (0..networks.len() * accelerators.len())
        .into_par_iter()
        .map(|k| {
            let (i, j) = (k / accelerators.len().max(1), k % accelerators.len().max(1));
            accelerators[j].evaluate(&networks[i])
        })
        .collect();
    let mut out: Vec<Vec<Result<NetworkCost>>> = Vec::with_capacity(networks.len());
    let mut it = pairs.into_iter();
    for _ in 0..networks.len() {
        out.push(it.by_ref().take(accelerators.len()).collect());
    }
    out
}
