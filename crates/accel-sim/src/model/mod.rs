//! The MAESTRO-compatible analytical cost model.
//!
//! The model follows `SPEC.md` of the calibration data: a mapping is split into cluster levels
//! ([`plan`]), each level's loops are split into iteration cases ([`cases`]), and a recursive
//! analysis sums the per-case delays and data movements ([`analysis`]).

mod analysis;
mod cases;
mod enumerate;
mod fold;
mod level;
mod plan;
mod program;
mod shape;

use serde::{Deserialize, Serialize};

use crate::dataflow::Mapping;
use crate::energy::EnergyModel;
use crate::error::{Result, SimError};
use crate::hardware::Hardware;
use crate::layer::Layer;
use analysis::{Analyzer, LevelResult};
use plan::Plan;
use plan::{tensors_of, tensors_slot};
use program::Buffers;
use program::{Bandwidth, Program};
use shape::{Below, Shape};

/// Reads and writes of one tensor. "L2" is the upstream side of the top level (the shared buffer),
/// "L1" the downstream side (what the PEs' local buffers read and write), as in MAESTRO's report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TensorAccesses {
    /// L1 reads.
    pub l1_rd: u64,
    /// L1 writes.
    pub l1_wr: u64,
    /// L2 reads.
    pub l2_rd: u64,
    /// L2 writes.
    pub l2_wr: u64,
}

/// MAESTRO's 12 access counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessCounts {
    /// Input activations.
    pub input: TensorAccesses,
    /// Weights.
    pub filter: TensorAccesses,
    /// Outputs (partial sums).
    pub output: TensorAccesses,
}

impl AccessCounts {
    /// Sum of the six L1 counts.
    pub fn l1_total(&self) -> u64 {
        [self.input, self.filter, self.output].iter().map(|t| t.l1_rd + t.l1_wr).sum()
    }

    /// Elements that cross the NoC: input and weight deliveries plus output collection.
    pub fn noc_traffic(&self) -> u64 {
        self.input.l2_rd + self.filter.l2_rd + self.output.l2_wr
    }

    /// Elements moved to or from off-chip memory: each input and weight once in, each output once out.
    pub fn offchip_traffic(&self) -> u64 {
        self.input.l2_wr + self.filter.l2_wr + self.output.l2_rd
    }

    fn scaled(mut self, f: u64) -> AccessCounts {
        for t in [&mut self.input, &mut self.filter, &mut self.output] {
            t.l1_rd = t.l1_rd.saturating_mul(f);
            t.l1_wr = t.l1_wr.saturating_mul(f);
            t.l2_rd = t.l2_rd.saturating_mul(f);
            t.l2_wr = t.l2_wr.saturating_mul(f);
        }
        self
    }
}

/// Cost of one layer on one accelerator with MAESTRO's detail (buffer needs, the 12 access
/// counts, PE utilisation). [`LayerCost`](crate::LayerCost) is its accelerator-neutral summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerReport {
    /// Layer name.
    pub name: String,
    /// Latency, cycles.
    pub cycles: u64,
    /// Energy, nJ, under the accelerator's [`EnergyModel`].
    pub energy_nj: f64,
    /// Multiply-accumulates.
    pub macs: u64,
    /// Time-averaged number of busy PEs.
    pub avg_utilized_pes: f64,
    /// L1 buffer needed per PE, elements (double-buffered).
    pub l1_elems: u64,
    /// L2 buffer needed, elements (double-buffered).
    pub l2_elems: u64,
    /// The 12 access counts.
    pub accesses: AccessCounts,
    /// Whether `l1_elems` fits the hardware's L1 (MAESTRO only warns; so do we).
    pub fits_l1: bool,
    /// Whether `l2_elems` fits the hardware's L2.
    pub fits_l2: bool,
}

impl LayerReport {
    /// Fraction of the PEs busy on average.
    pub fn pe_utilization(&self, hw: &Hardware) -> f64 {
        self.avg_utilized_pes / hw.num_pes() as f64
    }
}

const LIMIT: i64 = 1 << 62;

fn to_u64(v: i64, layer: &Layer) -> Result<u64> {
    if v < 0 {
        return Err(SimError::InvalidMapping {
            layer: layer.name.clone(),
            reason: format!("the mapping yields a negative data volume ({v}); check tile sizes against the filter"),
        });
    }
    if v >= LIMIT {
        return Err(SimError::Overflow { layer: layer.name.clone() });
    }
    Ok(v as u64)
}

/// A layer analysed for one mapping and PE count: everything that does not depend on bandwidth,
/// plus a small program that prices the runtime at any NoC / off-chip bandwidth.
///
/// Compile once and call [`CompiledLayer::cost`] for every bandwidth point of a sweep.
///
/// ```
/// use edgeopt_accel_sim::{CompiledLayer, Dataflow, EnergyModel, HardwareConfig, Layer};
/// let layer = Layer::conv("conv3x3", 64, 64, 3, 3, 56, 56, 1);
/// let compiled = CompiledLayer::new(&layer, &Dataflow::KcP.mapping_for(64, false), 64).unwrap();
/// for (noc, off) in [(300, 50), (900, 350)] {
///     let hw = HardwareConfig::new(64, noc, off).build().unwrap();
///     let cost = compiled.cost(&hw, &EnergyModel::maestro()).unwrap();
///     assert!(cost.cycles > 0);
/// }
/// ```
#[derive(Debug, Clone)]
pub struct CompiledLayer {
    name: String,
    num_pes: u64,
    batch: u64,
    macs: u64,
    accesses: AccessCounts,
    l1_elems: u64,
    l2_elems: u64,
    avg_utilized_pes: f64,
    /// Shared: repeated layers of a network reuse one analysis.
    program: std::sync::Arc<Program>,
}

impl CompiledLayer {
    /// Analyse `layer` (validated first) under `mapping` on `num_pes` PEs.
    pub fn new(layer: &Layer, mapping: &Mapping, num_pes: u64) -> Result<CompiledLayer> {
        layer.validate()?;
        let plan = Plan::new(layer, mapping, num_pes)?;
        let mut buf = Buffers::default();
        let mut an = Analyzer::new(&plan, &mut buf, None);
        let top: LevelResult = an.run();
        let l1 = an.first_l1.unwrap_or(0);
        let slowest = buf.program.runtime(&SLOWEST, &mut Vec::new());
        let checked = Checked::new(layer, &top, l1, slowest)?;
        Ok(CompiledLayer {
            name: layer.name.clone(),
            num_pes,
            batch: layer.batch,
            macs: layer.macs(),
            accesses: if layer.batch == 1 { checked.accesses } else { checked.accesses.scaled(layer.batch) },
            l1_elems: checked.l1,
            l2_elems: checked.l2,
            avg_utilized_pes: top.avg_util,
            program: std::sync::Arc::new(buf.program),
        })
    }

    /// The same analysis under another layer name.
    pub(crate) fn renamed(&self, name: &str) -> CompiledLayer {
        CompiledLayer { name: name.to_string(), ..self.clone() }
    }

    /// Layer name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The PE count the layer was compiled for.
    pub fn num_pes(&self) -> u64 {
        self.num_pes
    }

    /// Cycles on `hw` (whose PE count must be the compiled one).
    pub fn cycles(&self, hw: &Hardware) -> Result<u64> {
        self.cycles_with(hw, &mut Vec::new())
    }

    pub(crate) fn cycles_with(&self, hw: &Hardware, scratch: &mut Vec<i64>) -> Result<u64> {
        if hw.num_pes() != self.num_pes {
            return Err(SimError::InvalidHardware {
                name: "num_pes",
                value: hw.num_pes().to_string(),
                reason: "differs from the PE count the layer was compiled for",
            });
        }
        let rt = self.program.runtime(&bandwidth(hw), scratch);
        if !(0..LIMIT).contains(&rt) {
            return Err(SimError::Overflow { layer: self.name.clone() });
        }
        Ok((rt as u64).saturating_mul(self.batch))
    }

    /// The full cost on `hw` under `energy`.
    pub fn cost(&self, hw: &Hardware, energy: &EnergyModel) -> Result<LayerReport> {
        self.cost_with(hw, energy, &mut Vec::new())
    }

    pub(crate) fn cost_with(&self, hw: &Hardware, energy: &EnergyModel, scratch: &mut Vec<i64>) -> Result<LayerReport> {
        let cycles = self.cycles_with(hw, scratch)?;
        let eb = hw.element_bytes();
        Ok(LayerReport {
            name: self.name.clone(),
            cycles,
            energy_nj: energy.energy_nj(&self.accesses, self.macs) + energy.static_nj(hw, cycles),
            macs: self.macs,
            avg_utilized_pes: self.avg_utilized_pes,
            l1_elems: self.l1_elems,
            l2_elems: self.l2_elems,
            accesses: self.accesses,
            fits_l1: self.l1_elems.saturating_mul(eb) <= hw.l1_bytes(),
            fits_l2: self.l2_elems.saturating_mul(eb) <= hw.l2_bytes(),
        })
    }
}

/// The checked, unsigned figures of an analysis. Every way of analysing a layer goes through
/// these checks in this order, so all report the same error for the same layer.
struct Checked {
    accesses: AccessCounts,
    l1: u64,
    l2: u64,
}

impl Checked {
    /// `slowest` is the layer's runtime at unit bandwidths, the largest it can be.
    fn new(layer: &Layer, top: &LevelResult, l1: i64, slowest: i64) -> Result<Checked> {
        let tensor = |i: usize| -> Result<TensorAccesses> {
            let r = top.rw[i];
            Ok(TensorAccesses {
                l1_rd: to_u64(r.l1_rd, layer)?,
                l1_wr: to_u64(r.l1_wr, layer)?,
                l2_rd: to_u64(r.l2_rd, layer)?,
                l2_wr: to_u64(r.l2_wr, layer)?,
            })
        };
        let accesses = AccessCounts { input: tensor(0)?, filter: tensor(1)?, output: tensor(2)? };
        let l2 = top.l2_size.iter().fold(0i64, |a, &b| a.saturating_add(b));
        let checked = Checked { accesses, l1: to_u64(l1, layer)?, l2: to_u64(l2, layer)? };
        // Surface overflow or negative volumes now rather than at pricing time.
        to_u64(slowest, layer)?;
        Ok(checked)
    }

    /// Whether [`Checked::new`] would succeed: every figure it checks in `0..LIMIT`. A cheap
    /// test for callers that need only the verdict; on `false`, `Checked::new` words the error.
    fn passes(top: &LevelResult, l1: i64, slowest: i64) -> bool {
        let fits = |v: i64| (v as u64) < LIMIT as u64; // negative values wrap above LIMIT
        let l2 = top.l2_size.iter().fold(0i64, |a, &b| a.saturating_add(b));
        top.rw.iter().all(|r| fits(r.l1_rd) & fits(r.l1_wr) & fits(r.l2_rd) & fits(r.l2_wr))
            & fits(l1)
            & fits(l2)
            & fits(slowest)
    }
}

/// Unit bandwidths: a layer's runtime there bounds its runtime on any hardware, so checking it
/// for overflow once covers every bandwidth a compiled layer may be priced at.
const SLOWEST: Bandwidth = Bandwidth { noc: 1, offchip: 1, latency: 1, vector_width: 1 };

fn bandwidth(hw: &Hardware) -> Bandwidth {
    Bandwidth {
        noc: hw.noc_bw() as i64,
        offchip: hw.offchip_bw() as i64,
        latency: hw.noc_latency() as i64,
        vector_width: hw.vector_width() as i64,
    }
}

/// What costing the cycles of many layers reuses: the analysis buffers, the inner-level
/// analyses of earlier layers, one plan that each layer is lowered into, and each layer kind's
/// lowered mapping ([`Shape`]). A value serves one hardware and one mapping per layer kind (in
/// [`Accel::cycles`](crate::Accel), the dataflow's dense and depthwise mappings).
#[derive(Debug, Default)]
pub(crate) struct CyclesWork {
    buf: Buffers,
    plan: Plan,
    shapes: [Option<Option<Shape>>; 3],
}

impl CyclesWork {
    /// Cycles of `layer` under `mapping` on `hw`: what `CompiledLayer::new(..)?.cycles(hw)`
    /// returns, errors included, without keeping the analysis.
    pub fn layer_cycles(&mut self, layer: &Layer, mapping: &Mapping, hw: &Hardware) -> Result<u64> {
        layer.validate()?;
        let slot = tensors_slot(layer.kind);
        let shape = self.shapes[slot].get_or_insert_with(|| Shape::new(mapping, tensors_of(layer.kind))).as_ref();
        // Emptied before lowering: the lowering reads the inner-level store.
        self.buf.clear();
        let fallback;
        let (plan, below) = match shape {
            Some(shape) => {
                let below = self.plan.lower(shape, layer, hw.num_pes(), Some((slot, &self.buf)))?;
                (&self.plan, below)
            }
            None => {
                fallback = Plan::new(layer, mapping, hw.num_pes())?;
                (&fallback, Below::Nothing)
            }
        };
        let mut an = Analyzer::new(plan, &mut self.buf, Some([bandwidth(hw), SLOWEST]));
        if let Below::Stored(g) = below {
            an.buf.group_at[1] = g;
        }
        let top = an.run();
        if below == Below::Lowered && an.buf.group_at[1] != usize::MAX {
            an.buf.file_below(&plan.below_key, an.buf.group_at[1]);
        }
        let l1 = an.first_l1.unwrap_or(0);
        if !Checked::passes(&top, l1, top.cycles[1]) {
            Checked::new(layer, &top, l1, top.cycles[1])?;
        }
        let rt = top.cycles[0];
        if !(0..LIMIT).contains(&rt) {
            return Err(SimError::Overflow { layer: layer.name.clone() });
        }
        Ok((rt as u64).saturating_mul(layer.batch))
    }
}

/// Cost `layer` under `mapping` on `hw`. The layer is validated first.
///
/// ```
/// use edgeopt_accel_sim::{evaluate_layer, Dataflow, EnergyModel, HardwareConfig, Layer};
/// let hw = HardwareConfig::new(64, 300, 50).build().unwrap();
/// let layer = Layer::conv("conv3x3", 64, 64, 3, 3, 56, 56, 1);
/// let mapping = Dataflow::KcP.mapping_for(hw.num_pes(), false);
/// let cost = evaluate_layer(&layer, &mapping, &hw, &EnergyModel::maestro()).unwrap();
/// assert_eq!(cost.cycles, 4_292_352); // MAESTRO's figure for this layer
/// ```
pub fn evaluate_layer(layer: &Layer, mapping: &Mapping, hw: &Hardware, energy: &EnergyModel) -> Result<LayerReport> {
    CompiledLayer::new(layer, mapping, hw.num_pes())?.cost(hw, energy)
}

#[cfg(test)]
mod tests {
    //! The worked examples of SPEC.md §10 (K = C = 64, R = S = 3, Y = X = 56; P = 64, B = 300, O = 50).
    use super::*;
    use crate::dataflow::{Dataflow, depthwise_template};
    use crate::hardware::HardwareConfig;

    fn run(layer: &Layer, mapping: &Mapping, pes: u64) -> LayerReport {
        let hw = HardwareConfig::new(pes, 300, 50).build().unwrap();
        evaluate_layer(layer, mapping, &hw, &EnergyModel::maestro()).unwrap()
    }

    fn conv() -> Layer {
        Layer::conv("conv3x3", 64, 64, 3, 3, 56, 56, 1)
    }

    #[test]
    fn example_a_kcp_is_held_to_the_offchip_floor() {
        let c = run(&conv(), &Dataflow::KcP.mapping_for(64, false), 64);
        assert_eq!(c.cycles, 4_292_352);
        assert_eq!(c.l2_elems, 2306);
        assert_eq!(c.l1_elems, 54);
        assert_eq!(c.accesses.input.l2_rd, 37_122_624);
        assert_eq!(c.accesses.input.l1_wr, c.accesses.input.l2_rd);
    }

    #[test]
    fn example_b_row_stationary_floors_pes_to_a_multiple_of_r() {
        let c = run(&conv(), &Dataflow::YrP.mapping_for(64, false), 64);
        assert_eq!(c.cycles, 2_032_130);
        assert_eq!(c.avg_utilized_pes, 54.0);
        assert_eq!((c.l2_elems, c.l1_elems), (1338, 198));
    }

    #[test]
    fn example_c_weight_stationary() {
        let c = run(&conv(), &Dataflow::XP.mapping_for(64, false), 64);
        assert_eq!(c.cycles, 1_990_658);
        assert_eq!(c.avg_utilized_pes, 54.0);
    }

    #[test]
    fn example_d_depthwise_edge_fold_pays_the_full_floor() {
        let dw = Layer::depthwise("dw", 144, 3, 3, 56, 56, 1);
        let c = run(&dw, &depthwise_template(), 64);
        assert_eq!(c.cycles, 201_204);
        assert_eq!(c.avg_utilized_pes, 48.0);
    }

    #[test]
    fn example_e_stride_rewrites_the_window() {
        let l = Layer::conv("s2", 128, 128, 3, 3, 57, 57, 2);
        let c = run(&l, &Dataflow::KcP.mapping_for(64, false), 64);
        assert_eq!(c.cycles, 4_616_192);
    }

    #[test]
    fn batch_scales_linearly() {
        let mut l = conv();
        let one = run(&l, &Dataflow::XP.mapping_for(64, false), 64);
        l.batch = 3;
        let three = run(&l, &Dataflow::XP.mapping_for(64, false), 64);
        assert_eq!(three.cycles, 3 * one.cycles);
        assert_eq!(three.macs, 3 * one.macs);
        assert!((three.energy_nj - 3.0 * one.energy_nj).abs() < 1e-6 * three.energy_nj);
    }

    #[test]
    fn buffer_capacity_is_reported_not_enforced() {
        let hw = HardwareConfig { l2_bytes: 16, ..HardwareConfig::new(64, 300, 50) }.build().unwrap();
        let c = evaluate_layer(&conv(), &Dataflow::KcP.mapping_for(64, false), &hw, &EnergyModel::maestro()).unwrap();
        assert!(!c.fits_l2);
        assert!(c.fits_l1);
    }
}

#[cfg(test)]
mod checks {
    //! The cycles-only path asks [`Checked::passes`] first and words an error with
    //! [`Checked::new`] only when it fails: the two must agree on every figure.
    use super::*;
    use analysis::Rw;
    use proptest::prelude::*;

    /// Mostly ordinary counts, with negatives and values at and past the limit.
    fn figure() -> impl Strategy<Value = i64> {
        prop_oneof![8 => 0i64..1_000_000, 1 => Just(-1i64), 1 => Just(LIMIT - 1), 1 => Just(LIMIT), 1 => Just(i64::MAX)]
    }

    proptest! {
        #[test]
        fn the_quick_check_passes_exactly_when_the_checked_figures_do(
            rw in proptest::collection::vec(figure(), 12),
            l2 in proptest::collection::vec(figure(), 3),
            l1 in figure(),
            slowest in figure(),
        ) {
            let mut top = LevelResult::default();
            for (t, c) in top.rw.iter_mut().zip(rw.chunks(4)) {
                *t = Rw { l1_rd: c[0], l1_wr: c[1], l2_rd: c[2], l2_wr: c[3] };
            }
            top.l2_size.copy_from_slice(&l2);
            let layer = Layer::conv("l", 1, 1, 1, 1, 1, 1, 1);
            prop_assert_eq!(Checked::passes(&top, l1, slowest), Checked::new(&layer, &top, l1, slowest).is_ok());
        }
    }
}
