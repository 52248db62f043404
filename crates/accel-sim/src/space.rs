//! Hardware design spaces and resource budgets.

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::accelerator::Accel;
use crate::dataflow::Dataflow;
use crate::error::{Result, SimError};
use crate::hardware::{Hardware, HardwareConfig};

/// A grid of accelerators: every combination of PE count, NoC bandwidth, off-chip bandwidth and
/// dataflow, on a common base configuration (buffers, hops, vector width).
///
/// Index order is dataflow-major, then PEs, NoC and off-chip bandwidth (off-chip fastest), so
/// `get(i)` is stable across runs and machines.
///
/// ```
/// use edgeopt_accel_sim::HardwareSpace;
/// let space = HardwareSpace::thesis();
/// assert_eq!(space.len(), 6 * 8 * 9 * 3);
/// assert_eq!(HardwareSpace::calibration().len(), 162);
/// let first = space.get(0).unwrap();
/// assert_eq!(first.hardware.num_pes(), 16);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HardwareSpace {
    /// PE counts.
    pub pes: Vec<u64>,
    /// NoC bandwidths.
    pub noc_bw: Vec<u64>,
    /// Off-chip bandwidths.
    pub offchip_bw: Vec<u64>,
    /// Dataflows.
    pub dataflows: Vec<Dataflow>,
    /// Everything else (its PE and bandwidth fields are overwritten per point).
    pub base: HardwareConfig,
}

impl HardwareSpace {
    /// The grid of the thesis (sec. 4.4, after the MAESTRO documentation): PEs {16..512},
    /// NoC {300, 400, ..., 1000}, off-chip {50, 100, 150, 200, 250, 275, 300, 325, 350}, three dataflows.
    pub fn thesis() -> HardwareSpace {
        HardwareSpace {
            pes: vec![16, 32, 64, 128, 256, 512],
            noc_bw: vec![300, 400, 500, 600, 700, 800, 900, 1000],
            offchip_bw: vec![50, 100, 150, 200, 250, 275, 300, 325, 350],
            dataflows: Dataflow::BUILT_IN.to_vec(),
            base: HardwareConfig::new(1, 1, 1),
        }
    }

    /// The 162-point grid of the MAESTRO calibration runs: PEs {16..512} × NoC {300, 600, 900} ×
    /// off-chip {50, 150, 350} × three dataflows.
    pub fn calibration() -> HardwareSpace {
        HardwareSpace { noc_bw: vec![300, 600, 900], offchip_bw: vec![50, 150, 350], ..HardwareSpace::thesis() }
    }

    /// Check that no axis is empty and every point builds a valid [`Hardware`].
    pub fn validate(&self) -> Result<()> {
        for (name, len) in [
            ("pes", self.pes.len()),
            ("noc_bw", self.noc_bw.len()),
            ("offchip_bw", self.offchip_bw.len()),
            ("dataflows", self.dataflows.len()),
        ] {
            if len == 0 {
                return Err(SimError::InvalidSpace(format!("axis `{name}` is empty")));
            }
        }
        for &p in &self.pes {
            for &n in &self.noc_bw {
                for &o in &self.offchip_bw {
                    self.hardware(p, n, o)?;
                }
            }
        }
        Ok(())
    }

    fn hardware(&self, pes: u64, noc: u64, off: u64) -> Result<Hardware> {
        HardwareConfig { num_pes: pes, noc_bw: noc, offchip_bw: off, ..self.base.clone() }.build()
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.pes.len() * self.noc_bw.len() * self.offchip_bw.len() * self.dataflows.len()
    }

    /// Whether the space has no point.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `index`-th accelerator (see the type documentation for the order).
    pub fn get(&self, index: usize) -> Result<Accel> {
        if index >= self.len() {
            return Err(SimError::InvalidSpace(format!("index {index} is out of range 0..{}", self.len())));
        }
        let mut i = index;
        let o = self.offchip_bw[i % self.offchip_bw.len()];
        i /= self.offchip_bw.len();
        let n = self.noc_bw[i % self.noc_bw.len()];
        i /= self.noc_bw.len();
        let p = self.pes[i % self.pes.len()];
        i /= self.pes.len();
        let df = self.dataflows[i].clone();
        Ok(Accel::new(self.hardware(p, n, o)?, df))
    }

    /// Every accelerator, in index order.
    pub fn enumerate(&self) -> Result<Vec<Accel>> {
        (0..self.len()).map(|i| self.get(i)).collect()
    }

    /// Every accelerator within `budget` under `area`, in index order.
    pub fn enumerate_within(&self, budget: &ResourceBudget, area: &AreaModel) -> Result<Vec<Accel>> {
        Ok(self.enumerate()?.into_iter().filter(|a| budget.admits(&a.hardware, area)).collect())
    }

    /// `n` points drawn uniformly with replacement.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R, n: usize) -> Result<Vec<Accel>> {
        if self.is_empty() {
            return Err(SimError::InvalidSpace("cannot sample an empty space".into()));
        }
        (0..n).map(|_| self.get(rng.random_range(0..self.len()))).collect()
    }
}

/// First-order silicon area of an accelerator, in mm²:
/// `PEs × (pe_mm2 + L1 bytes × sram_mm2_per_byte) + L2 bytes × sram_mm2_per_byte + NoC bandwidth × noc_mm2_per_lane`.
///
/// The default, [`AreaModel::cmos_45nm`], takes its numbers from published 45 nm figures, chosen
/// to match the 8-bit datapath whose energy [`crate::EnergyModel::maestro`] charges (MAESTRO's
/// 0.23 pJ per MAC is an 8-bit multiply, 0.2 pJ, plus an 8-bit add, 0.03 pJ, in the same table):
///
/// * **PE** — an 8-bit integer multiplier (282 µm²) plus an 8-bit adder (36 µm²): 318 µm². Both
///   are from M. Horowitz, "Computing's energy problem (and what we can do about it)", ISSCC 2014,
///   45 nm. Control, pipeline registers and the PE's share of wiring are not counted, so this is a
///   lower bound on a real PE.
/// * **SRAM** — the 0.346 µm² 6-T bit cell of Intel's 45 nm process (K. Mistry et al., IEDM 2007),
///   8 bits per byte, times 1.5 for decoders, sense amplifiers and wiring (an assumption: SRAM
///   macros typically spend a third of their area outside the cell array): 4.15 µm² per byte,
///   about 4.35 mm² per MiB. L1 scratchpads are counted per PE.
/// * **NoC** — 36 µm² per element/cycle of bandwidth, the size of one 8-bit adder, standing in
///   for an 8-bit pipeline register and its share of a crossbar (an assumption; no published
///   figure is used).
///
/// Set the fields for your technology; only comparisons against a [`ResourceBudget`] and reports
/// use them, never the cost model.
///
/// ```
/// use edgeopt_accel_sim::{AreaModel, HardwareConfig};
/// let area = AreaModel::default();
/// assert_eq!(area, AreaModel::cmos_45nm());
/// // 256 PEs with 1 KiB L1 each, 1 MiB L2, NoC 64: about 5.5 mm² at 45 nm, most of it SRAM.
/// let hw = HardwareConfig::new(256, 64, 64).build().unwrap();
/// let mm2 = area.area_mm2(&hw);
/// assert!((5.0..6.0).contains(&mm2), "{mm2}");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AreaModel {
    /// Area of one PE's datapath, mm².
    pub pe_mm2: f64,
    /// SRAM area per byte, mm².
    pub sram_mm2_per_byte: f64,
    /// NoC area per element/cycle of bandwidth, mm².
    pub noc_mm2_per_lane: f64,
}

impl Default for AreaModel {
    fn default() -> Self {
        AreaModel::cmos_45nm()
    }
}

impl AreaModel {
    /// Published 45 nm figures (see the type documentation for sources and assumptions).
    pub fn cmos_45nm() -> AreaModel {
        /// µm² → mm².
        const UM2: f64 = 1e-6;
        AreaModel {
            pe_mm2: (282.0 + 36.0) * UM2,
            sram_mm2_per_byte: 8.0 * 0.346 * 1.5 * UM2,
            noc_mm2_per_lane: 36.0 * UM2,
        }
    }

    /// Area of `hw`, mm².
    pub fn area_mm2(&self, hw: &Hardware) -> f64 {
        let pes = hw.num_pes() as f64;
        pes * (self.pe_mm2 + hw.l1_bytes() as f64 * self.sram_mm2_per_byte)
            + hw.l2_bytes() as f64 * self.sram_mm2_per_byte
            + hw.noc_bw() as f64 * self.noc_mm2_per_lane
    }
}

/// The `HardwareResource(h) ≤ H` constraint of thesis eq. 4.4: any combination of a PE cap, an
/// L2 cap and an area cap (`None` = unconstrained).
///
/// ```
/// use edgeopt_accel_sim::{AreaModel, HardwareSpace, ResourceBudget};
/// let budget = ResourceBudget { max_pes: Some(128), ..ResourceBudget::default() };
/// let ok = HardwareSpace::thesis().enumerate_within(&budget, &AreaModel::default()).unwrap();
/// assert!(ok.iter().all(|a| a.hardware.num_pes() <= 128));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ResourceBudget {
    /// Most PEs allowed.
    pub max_pes: Option<u64>,
    /// Most L2 bytes allowed.
    pub max_l2_bytes: Option<u64>,
    /// Most area allowed, mm² (under the given [`AreaModel`]).
    pub max_area_mm2: Option<f64>,
}

impl ResourceBudget {
    /// Whether `hw` satisfies every cap.
    pub fn admits(&self, hw: &Hardware, area: &AreaModel) -> bool {
        self.max_pes.is_none_or(|m| hw.num_pes() <= m)
            && self.max_l2_bytes.is_none_or(|m| hw.l2_bytes() <= m)
            && self.max_area_mm2.is_none_or(|m| area.area_mm2(hw) <= m)
    }
}
