//! Many networks × many accelerators, in parallel.

use std::collections::hash_map::Entry;

use rustc_hash::FxHashMap as HashMap;

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
        if self.is_empty() {
            return vec![Vec::new(); networks.len()];
        }
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

/// Latency and energy of many networks on every point of a [`HardwareSpace`].
#[derive(Debug, Clone, PartialEq)]
pub struct CostMatrix {
    /// `cycles[i][j]`: network `i` on accelerator `j`; `None` where a layer cannot run there.
    pub cycles: Vec<Vec<Option<u64>>>,
    /// `energy_nj[i][j]`, `None` where `cycles` is.
    pub energy_nj: Vec<Vec<Option<f64>>>,
    /// Distinct layer shapes that were actually costed.
    pub distinct_layers: usize,
}

impl HardwareSpace {
    /// Totals of many networks on every accelerator of the space, exploiting that networks of a
    /// search space share layer shapes: every distinct shape is costed once per accelerator, and a
    /// network's totals are sums over its layers (layers run one after another). Cycles equal
    /// [`Accelerator::evaluate`]'s exactly, energies up to rounding (a repeated shape's energy is
    /// multiplied by its count); a network's row does not depend on the other networks passed, to
    /// the last bit, so a sweep split into any batches assembles the same matrix.
    ///
    /// ```
    /// use edgeopt_accel_sim::{Accelerator, EnergyModel, HardwareSpace, Layer};
    /// let a = vec![Layer::conv("x", 8, 8, 3, 3, 10, 10, 1); 3];
    /// let b = vec![Layer::conv("y", 8, 8, 3, 3, 10, 10, 1), Layer::depthwise("z", 8, 3, 3, 10, 10, 1)];
    /// let space = HardwareSpace::calibration();
    /// let m = space.cost_matrix(&[a.clone(), b], &EnergyModel::maestro());
    /// assert_eq!(m.distinct_layers, 2);
    /// assert_eq!(m.cycles[0][5], Some(space.get(5).unwrap().evaluate(&a).unwrap().cycles));
    /// ```
    pub fn cost_matrix(&self, networks: &[Vec<Layer>], energy: &EnergyModel) -> CostMatrix {
        let ShapeCosts { nets, costs, points, distinct } = self.shape_costs(networks, energy);
        type Row = (Vec<Option<u64>>, Vec<Option<f64>>);
        let rows: Vec<Row> = nets
            .par_iter()
            .map(|net| {
                (0..points)
                    .map(|j| {
                        let mut cyc = 0u64;
                        let mut en = 0f64;
                        for &(s, n) in net {
                            let (c, e) = costs[s][j]?;
                            cyc = cyc.saturating_add(c.saturating_mul(n));
                            en += e * n as f64;
                        }
                        Some((cyc, en))
                    })
                    .map(|o| (o.map(|p| p.0), o.map(|p| p.1)))
                    .unzip()
            })
            .collect();
        let (cycles, energy_nj) = rows.into_iter().unzip();
        CostMatrix { cycles, energy_nj, distinct_layers: distinct }
    }

    /// [`HardwareSpace::cost_matrix`] as two dense row-major `networks × accelerators` buffers of
    /// f64, NaN where a layer cannot run: half the memory of the `Option` form, and what array
    /// libraries (numpy) take without conversion. Values are bit-identical to the `Option` form's
    /// (cycles exact below 2^53).
    ///
    /// ```
    /// use edgeopt_accel_sim::{EnergyModel, HardwareSpace, Layer};
    /// let nets = vec![vec![Layer::conv("c", 8, 8, 3, 3, 10, 10, 1)]];
    /// let space = HardwareSpace::calibration();
    /// let dense = space.cost_matrix_dense(&nets, &EnergyModel::maestro());
    /// let nested = space.cost_matrix(&nets, &EnergyModel::maestro());
    /// assert_eq!(dense.cycles[7], nested.cycles[0][7].unwrap() as f64);
    /// assert_eq!((dense.rows, dense.cols), (1, 162));
    /// ```
    pub fn cost_matrix_dense(&self, networks: &[Vec<Layer>], energy: &EnergyModel) -> DenseCostMatrix {
        let ShapeCosts { nets, costs, points, distinct } = self.shape_costs(networks, energy);
        let mut cycles = vec![f64::NAN; nets.len() * points];
        let mut energy_nj = vec![f64::NAN; nets.len() * points];
        if points > 0 {
            cycles.par_chunks_mut(points).zip(energy_nj.par_chunks_mut(points)).zip(nets.par_iter()).for_each(
                |((cyc_row, en_row), net)| {
                    for j in 0..points {
                        let mut cyc = 0u64;
                        let mut en = 0f64;
                        let mut runs = true;
                        for &(s, n) in net {
                            match costs[s][j] {
                                Some((c, e)) => {
                                    cyc = cyc.saturating_add(c.saturating_mul(n));
                                    en += e * n as f64;
                                }
                                None => {
                                    runs = false;
                                    break;
                                }
                            }
                        }
                        if runs {
                            cyc_row[j] = cyc as f64;
                            en_row[j] = en;
                        }
                    }
                },
            );
        }
        DenseCostMatrix { rows: nets.len(), cols: points, cycles, energy_nj, distinct_layers: distinct }
    }

    fn shape_costs(&self, networks: &[Vec<Layer>], energy: &EnergyModel) -> ShapeCosts {
        // Distinct shapes (name ignored) and each network as (shape, count) pairs in the order the
        // shapes first occur in that network: a network's row is then summed in an order that
        // does not depend on the other networks of the batch, so any sharding of a sweep gives
        // bit-identical energies.
        let mut shapes: Vec<Layer> = Vec::new();
        let mut index: HashMap<Layer, usize> = HashMap::default();
        let nets: Vec<Vec<(usize, u64)>> = networks
            .iter()
            .map(|net| {
                let mut counts: Vec<(usize, u64)> = Vec::new();
                let mut position: HashMap<usize, usize> = HashMap::default();
                for l in net {
                    let shape = Layer { name: String::new(), ..l.clone() };
                    let next = shapes.len();
                    let i = *index.entry(shape).or_insert_with_key(|shape| {
                        shapes.push(Layer { name: format!("shape{next}"), ..shape.clone() });
                        next
                    });
                    match position.entry(i) {
                        Entry::Occupied(p) => counts[*p.get()].1 += 1,
                        Entry::Vacant(p) => {
                            p.insert(counts.len());
                            counts.push((i, 1));
                        }
                    }
                }
                counts
            })
            .collect();
        let singles: Vec<Vec<Layer>> = shapes.iter().map(|s| vec![s.clone()]).collect();
        let per_shape = self.evaluate(&singles, energy);
        let points = self.len();
        // costs[s][j]: shape s on accelerator j, None where it cannot run.
        let costs: Vec<Vec<Option<(u64, f64)>>> = per_shape
            .iter()
            .map(|row| row.iter().map(|r| r.as_ref().ok().map(|c| (c.cycles, c.energy_nj))).collect())
            .collect();
        ShapeCosts { nets, costs, points, distinct: shapes.len() }
    }
}

/// Each network as (distinct shape, count) pairs, and every shape's cost on every accelerator.
struct ShapeCosts {
    nets: Vec<Vec<(usize, u64)>>,
    costs: Vec<Vec<Option<(u64, f64)>>>,
    points: usize,
    distinct: usize,
}

/// [`HardwareSpace::cost_matrix_dense`]'s result: row-major `rows × cols` buffers.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseCostMatrix {
    /// Networks.
    pub rows: usize,
    /// Accelerators.
    pub cols: usize,
    /// `cycles[i * cols + j]`: network `i` on accelerator `j`, NaN where a layer cannot run.
    pub cycles: Vec<f64>,
    /// Energy in nJ, laid out as `cycles`.
    pub energy_nj: Vec<f64>,
    /// Distinct layer shapes that were actually costed.
    pub distinct_layers: usize,
}
