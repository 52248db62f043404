//! Many networks × many accelerators, in parallel.

use rayon::prelude::*;

use crate::accelerator::{Accel, Accelerator, NetworkCost};
use crate::energy::EnergyModel;
use crate::error::Result;
use crate::hardware::HardwareConfig;
use crate::layer::Layer;
use crate::space::HardwareSpace;

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

impl HardwareSpace {
    /// Cost every network on every point of the space: `result[i][j]` is network `i` on
    /// [`HardwareSpace::get`]`(j)`. Each network is analysed once per (dataflow, PE count) and then
    /// priced at every bandwidth pair, in parallel and in deterministic order.
    ///
    /// ```
    /// use edgeopt_accel_sim::{Accelerator, EnergyModel, HardwareSpace, Layer};
    /// let space = HardwareSpace::calibration();
    /// let nets = vec![vec![Layer::conv("c", 16, 16, 3, 3, 18, 18, 1)]];
    /// let table = space.evaluate(&nets, &EnergyModel::maestro());
    /// let direct = space.get(7).unwrap().evaluate(&nets[0]).unwrap();
    /// assert_eq!(table[0][7].as_ref().unwrap().cycles, direct.cycles);
    /// ```
    pub fn evaluate(&self, networks: &[Vec<Layer>], energy: &EnergyModel) -> Vec<Vec<Result<NetworkCost>>> {
        let bw_points = self.noc_bw.len() * self.offchip_bw.len();
        let groups = self.dataflows.len() * self.pes.len();
        // One task per (network, dataflow, PE count); each yields its bandwidth points in index order.
        let blocks: Vec<Vec<Result<NetworkCost>>> = (0..networks.len() * groups)
            .into_par_iter()
            .map(|task| {
                let (net, g) = (task / groups, task % groups);
                let (df, p) = (g / self.pes.len(), g % self.pes.len());
                let hw_at = |n: u64, o: u64| {
                    HardwareConfig { num_pes: self.pes[p], noc_bw: n, offchip_bw: o, ..self.base.clone() }.build()
                };
                let compiled = hw_at(self.noc_bw[0], self.offchip_bw[0])
                    .and_then(|hw| Accel::new(hw, self.dataflows[df].clone()).compile(&networks[net]));
                let mut out = Vec::with_capacity(bw_points);
                for &n in &self.noc_bw {
                    for &o in &self.offchip_bw {
                        out.push(match &compiled {
                            Ok(c) => hw_at(n, o).and_then(|hw| c.cost(&hw, energy)),
                            Err(e) => Err(e.clone()),
                        });
                    }
                }
                out
            })
            .collect();
        let mut it = blocks.into_iter();
        (0..networks.len()).map(|_| it.by_ref().take(groups).flatten().collect()).collect()
    }
}
