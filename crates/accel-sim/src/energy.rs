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
    /// Static (leakage) energy per PE per cycle, in MACs-worth: paid for every PE for the whole
    /// run time, busy or not, so a slow or oversized accelerator costs energy. 0 in MAESTRO's
    /// figure (dynamic energy only).
    #[serde(default)]
    pub leakage: f64,
    /// Static energy per cycle per element/cycle of provisioned NoC and off-chip bandwidth, in
    /// MACs-worth (wide interfaces, their PHYs and buffers, leak too). 0 in MAESTRO's figure.
    #[serde(default)]
    pub bandwidth_leakage: f64,
}

impl Default for EnergyModel {
    fn default() -> Self {
        EnergyModel::maestro()
    }
}

impl EnergyModel {
    /// MAESTRO's figure (see the type documentation).
    pub fn maestro() -> EnergyModel {
        EnergyModel {
            mac_nj: 0.00023,
            l1: 1.68,
            l2: 18.61,
            mac: 0.0,
            noc: 0.0,
            dram: 0.0,
            leakage: 0.0,
            bandwidth_leakage: 0.0,
        }
    }

    /// MAESTRO's figure plus MAC, NoC and DRAM terms.
    pub fn extended() -> EnergyModel {
        EnergyModel { mac: 1.0, noc: 2.0, dram: 200.0, ..EnergyModel::maestro() }
    }

    /// [`EnergyModel::extended`] plus static energy: 0.1 MACs-worth per PE per cycle and 0.05 per
    /// element/cycle of NoC plus off-chip bandwidth per cycle.
    ///
    /// The figures are modelling assumptions, not measurements: a PE leaks about a tenth of the
    /// energy of the MAC it can do each cycle, and a unit of provisioned bandwidth half that. With
    /// them, extra PEs and wider interfaces cost energy for as long as the layer runs, so the
    /// fastest accelerator (most PEs, most bandwidth) is no longer also the most frugal — under
    /// MAESTRO's dynamic-only energy, which counts accesses and not time, it is, and a
    /// latency–energy front collapses to a point or two. Set both to your technology's ratios of
    /// static power to MAC energy × clock.
    ///
    /// ```
    /// use edgeopt_accel_sim::{EnergyModel, HardwareConfig};
    /// let hw = HardwareConfig::new(256, 600, 150).build().unwrap();
    /// let m = EnergyModel::with_leakage();
    /// let per_cycle = 0.1 * 256.0 + 0.05 * (600.0 + 150.0);
    /// assert!((m.static_nj(&hw, 1000) - 0.00023 * per_cycle * 1000.0).abs() < 1e-9);
    /// assert_eq!(EnergyModel::maestro().static_nj(&hw, 1000), 0.0);
    /// ```
    pub fn with_leakage() -> EnergyModel {
        EnergyModel { leakage: 0.1, bandwidth_leakage: 0.05, ..EnergyModel::extended() }
    }

    /// Static energy in nJ of the accelerator `hw` powered for `cycles` cycles.
    pub fn static_nj(&self, hw: &crate::Hardware, cycles: u64) -> f64 {
        let per_cycle =
            self.leakage * hw.num_pes() as f64 + self.bandwidth_leakage * (hw.noc_bw() + hw.offchip_bw()) as f64;
        self.mac_nj * per_cycle * cycles as f64
    }

    /// Dynamic energy in nJ of a layer with these access counts and MACs (the layer's total adds
    /// [`EnergyModel::static_nj`] for its run time).
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
