//! Accelerator hardware parameters, validated once into [`Hardware`].

use serde::{Deserialize, Serialize};

use crate::error::{Result, SimError};

/// Largest accepted PE count (2^20).
pub const MAX_PES: u64 = 1 << 20;

/// Unchecked hardware description; turn it into a [`Hardware`] with [`HardwareConfig::build`].
///
/// Bandwidths are in elements per cycle, buffer sizes in bytes. The defaults are those of the
/// MAESTRO calibration runs (1 KiB L1, 1 MiB L2, one NoC hop of latency 1, vector width 1,
/// 1-byte elements).
///
/// ```
/// use edgeopt_accel_sim::HardwareConfig;
/// let hw = HardwareConfig::new(256, 600, 150).build().unwrap();
/// assert_eq!(hw.num_pes(), 256);
/// assert!(HardwareConfig::new(0, 600, 150).build().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HardwareConfig {
    /// Processing elements.
    pub num_pes: u64,
    /// Per-PE L1 scratchpad, bytes.
    pub l1_bytes: u64,
    /// Shared L2 buffer, bytes.
    pub l2_bytes: u64,
    /// NoC bandwidth, elements per cycle (MAESTRO `--noc_bw_cstr`).
    pub noc_bw: u64,
    /// Off-chip bandwidth, elements per cycle (MAESTRO `--offchip_bw_cstr`).
    pub offchip_bw: u64,
    /// NoC hops between L2 and a PE.
    pub noc_hops: u64,
    /// Latency of one hop, cycles.
    pub hop_latency: u64,
    /// MACs a PE completes per cycle (MAESTRO: 1).
    pub vector_width: u64,
    /// Bytes per element (used to check buffer capacities).
    pub element_bytes: u64,
}

impl HardwareConfig {
    /// A configuration with the given PEs and bandwidths and MAESTRO's defaults elsewhere.
    pub fn new(num_pes: u64, noc_bw: u64, offchip_bw: u64) -> HardwareConfig {
        HardwareConfig {
            num_pes,
            l1_bytes: 1024,
            l2_bytes: 1 << 20,
            noc_bw,
            offchip_bw,
            noc_hops: 1,
            hop_latency: 1,
            vector_width: 1,
            element_bytes: 1,
        }
    }

    /// Validate every field (all ≥ 1 and below 2^32; PEs ≤ 2^20).
    pub fn build(self) -> Result<Hardware> {
        let fields: [(&'static str, u64, u64); 9] = [
            ("num_pes", self.num_pes, MAX_PES),
            ("l1_bytes", self.l1_bytes, u64::from(u32::MAX)),
            ("l2_bytes", self.l2_bytes, 1 << 40),
            ("noc_bw", self.noc_bw, u64::from(u32::MAX)),
            ("offchip_bw", self.offchip_bw, u64::from(u32::MAX)),
            ("noc_hops", self.noc_hops, 1 << 16),
            ("hop_latency", self.hop_latency, 1 << 16),
            ("vector_width", self.vector_width, 1 << 16),
            ("element_bytes", self.element_bytes, 64),
        ];
        for (name, value, max) in fields {
            if value == 0 {
                return Err(SimError::InvalidHardware { name, value: value.to_string(), reason: "must be at least 1" });
            }
            if value > max {
                return Err(SimError::InvalidHardware {
                    name,
                    value: value.to_string(),
                    reason: "exceeds the supported maximum",
                });
            }
        }
        Ok(Hardware(self))
    }
}

/// Validated hardware: every parameter is in range, so the cost model cannot divide by zero.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Hardware(HardwareConfig);

impl<'de> Deserialize<'de> for Hardware {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        HardwareConfig::deserialize(d)?.build().map_err(serde::de::Error::custom)
    }
}

impl Hardware {
    /// The parameters.
    pub fn config(&self) -> &HardwareConfig {
        &self.0
    }
    /// Processing elements.
    pub fn num_pes(&self) -> u64 {
        self.0.num_pes
    }
    /// NoC bandwidth (elements/cycle).
    pub fn noc_bw(&self) -> u64 {
        self.0.noc_bw
    }
    /// Off-chip bandwidth (elements/cycle).
    pub fn offchip_bw(&self) -> u64 {
        self.0.offchip_bw
    }
    /// Head latency of a NoC transfer: hops × hop latency.
    pub fn noc_latency(&self) -> u64 {
        self.0.noc_hops * self.0.hop_latency
    }
    /// MACs per PE per cycle.
    pub fn vector_width(&self) -> u64 {
        self.0.vector_width
    }
    /// Per-PE L1 bytes.
    pub fn l1_bytes(&self) -> u64 {
        self.0.l1_bytes
    }
    /// L2 bytes.
    pub fn l2_bytes(&self) -> u64 {
        self.0.l2_bytes
    }
    /// Bytes per element.
    pub fn element_bytes(&self) -> u64 {
        self.0.element_bytes
    }
}
