//! Energy from access counts.

use serde::{Deserialize, Serialize};

use crate::model::AccessCounts;

/// Energy per access, in units of one MAC's energy, and the MAC energy in nJ.
///
/// [`EnergyModel::maestro`] is MAESTRO's own formula — L2 reads and writes of inputs and weights
/// plus L2 writes of outputs at 18.61 MACs each, every L1 access at 1.68 MACs, a MAC at
/// 0.00023 nJ, and no MAC, NoC or DRAM term — evaluated on the layer's own counts (MAESTRO's CSV
/// uses the previous layer's L1 counts for multi-level mappings; the `energy_nJ_recomputed`
/// column of the calibration data is this corrected value).
///
/// [`EnergyModel::extended`] adds what MAESTRO leaves out: one MAC-energy per MAC, 2 per element
/// crossing the NoC and 200 per element moved to or from DRAM. The NoC and DRAM ratios are the
/// normalised costs reported for a 65 nm design by Chen, Emer and Sze (Eyeriss, ISCA 2016,
/// "inter-PE" ≈ 2× and DRAM ≈ 200× an ALU operation).
///
/// ```
/// use edgeopt_accel_sim::EnergyModel;
/// let m = EnergyModel::maestro();
/// assert_eq!(m.mac_nj, 0.00023);
/// assert!(EnergyModel::extended().dram > 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EnergyModel {
    /// Energy of one MAC, nJ.
    pub mac_nj: f64,
    /// MACs-worth of energy per L1 access.
    pub l1: f64,
    /// MACs-worth of energy per L2 access.
    pub l2: f64,
    /// MACs-worth of energy per MAC (0 in MAESTRO's CSV figure).
    pub mac: f64,
    /// MACs-worth of energy per element crossing the NoC.
    pub noc: f64,
    /// MACs-worth of energy per element moved to or from DRAM.
    pub dram: f64,
}

impl Default for EnergyModel {
    fn default() -> Self {
        EnergyModel::maestro()
    }
}

impl EnergyModel {
    /// MAESTRO's figure (see the type documentation).
    pub fn maestro() -> EnergyModel {
        EnergyModel { mac_nj: 0.00023, l1: 1.68, l2: 18.61, mac: 0.0, noc: 0.0, dram: 0.0 }
    }

    /// MAESTRO's figure plus MAC, NoC and DRAM terms.
    pub fn extended() -> EnergyModel {
        EnergyModel { mac: 1.0, noc: 2.0, dram: 200.0, ..EnergyModel::maestro() }
    }

    /// Energy in nJ of a layer with these access counts and MACs.
    pub fn energy_nj(&self, a: &AccessCounts, macs: u64) -> f64 {
        let l2 = (a.input.l2_rd + a.input.l2_wr + a.filter.l2_rd + a.filter.l2_wr + a.output.l2_wr) as f64;
        let units = self.l2 * l2
            + self.l1 * a.l1_total() as f64
            + self.mac * macs as f64
            + self.noc * a.noc_traffic() as f64
            + self.dram * a.offchip_traffic() as f64;
        self.mac_nj * units
    }
}
