//! Device features of an accelerator from its hardware description (issue 17, features (b)): what
//! a new accelerator costs is reading its data sheet, not a single measurement.

use edgeopt_accel_sim::{Accel, Dataflow};
use serde::{Deserialize, Serialize};

use crate::error::{CodesignError, Result};

/// The dataflows a description may name, in one-hot order.
const DATAFLOWS: [&str; 3] = ["kc-p", "yr-p", "x-p"];

/// Width of [`HardwareDescription::raw`]: five log-sizes and the dataflow one-hot.
pub const HARDWARE_FEATURES: usize = 5 + DATAFLOWS.len();

/// An accelerator as its designer describes it. Plain numbers, so a user can describe hardware
/// that accel-sim did not build.
///
/// ```
/// use edgeopt_accel_sim::{Accel, Dataflow, HardwareConfig};
/// use edgeopt_codesign::l2o::HardwareDescription;
/// let accel = Accel::new(HardwareConfig::new(256, 600, 150).build().unwrap(), Dataflow::KcP);
/// let d = HardwareDescription::of(&accel).unwrap();
/// assert_eq!((d.pes, d.noc_bw, d.dataflow.as_str()), (256.0, 600.0, "kc-p"));
/// let bad = HardwareDescription { pes: f64::NAN, ..d };
/// assert!(bad.raw().unwrap_err().to_string().contains("pes"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HardwareDescription {
    /// Processing elements.
    pub pes: f64,
    /// Per-PE L1 scratchpad, bytes.
    pub l1_bytes: f64,
    /// Shared L2 buffer, bytes.
    pub l2_bytes: f64,
    /// NoC bandwidth, elements per cycle.
    pub noc_bw: f64,
    /// Off-chip bandwidth, elements per cycle.
    pub offchip_bw: f64,
    /// `kc-p`, `yr-p` or `x-p`.
    pub dataflow: String,
}

impl HardwareDescription {
    /// The description of an accel-sim accelerator (a custom dataflow has no feature: error).
    pub fn of(accel: &Accel) -> Result<HardwareDescription> {
        if matches!(accel.dataflow, Dataflow::Custom(_)) {
            return Err(CodesignError::InvalidParam {
                name: "dataflow",
                value: "custom".into(),
                reason: format!("hardware features know the built-in dataflows {DATAFLOWS:?} only"),
            });
        }
        let hw = &accel.hardware;
        Ok(HardwareDescription {
            pes: hw.num_pes() as f64,
            l1_bytes: hw.l1_bytes() as f64,
            l2_bytes: hw.l2_bytes() as f64,
            noc_bw: hw.noc_bw() as f64,
            offchip_bw: hw.offchip_bw() as f64,
            dataflow: accel.dataflow.name().to_string(),
        })
    }

    /// `[ln PEs, ln L1, ln L2, ln NoC, ln off-chip, one-hot dataflow]`; every size must be finite
    /// and > 0 (sizes span orders of magnitude, hence the logarithms).
    pub fn raw(&self) -> Result<Vec<f64>> {
        let sizes = [
            ("pes", self.pes),
            ("l1_bytes", self.l1_bytes),
            ("l2_bytes", self.l2_bytes),
            ("noc_bw", self.noc_bw),
            ("offchip_bw", self.offchip_bw),
        ];
        let mut v = Vec::with_capacity(HARDWARE_FEATURES);
        for (name, x) in sizes {
            if !(x.is_finite() && x > 0.0) {
                return Err(CodesignError::InvalidParam {
                    name: "hardware description",
                    value: format!("{name} = {x}"),
                    reason: "every size must be finite and > 0".into(),
                });
            }
            v.push(x.ln());
        }
        let df = Dataflow::parse(&self.dataflow).map(|d| d.name()).and_then(|n| DATAFLOWS.iter().position(|k| *k == n));
        let df = df.ok_or_else(|| CodesignError::InvalidParam {
            name: "hardware description",
            value: format!("dataflow = {}", self.dataflow),
            reason: format!("expected one of {DATAFLOWS:?}"),
        })?;
        v.extend((0..DATAFLOWS.len()).map(|i| if i == df { 1.0 } else { 0.0 }));
        Ok(v)
    }
}

/// Standardises [`HardwareDescription::raw`] with the training accelerators' mean and standard
/// deviation; a feature constant over training (e.g. L1 on the thesis grid) gets deviation 1, so
/// it maps to 0 there and a different value still moves the input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HardwareNormaliser {
    /// Mean of every raw feature.
    pub mean: Vec<f64>,
    /// Standard deviation of every raw feature (1 where it was 0).
    pub std: Vec<f64>,
}

impl HardwareNormaliser {
    /// Fit on the training accelerators (at least one).
    pub fn fit(descriptions: &[HardwareDescription]) -> Result<HardwareNormaliser> {
        let raws = descriptions.iter().map(HardwareDescription::raw).collect::<Result<Vec<_>>>()?;
        if raws.is_empty() {
            return Err(CodesignError::InvalidParam {
                name: "hardware descriptions",
                value: "0".into(),
                reason: "need at least one training accelerator".into(),
            });
        }
        let n = raws.len() as f64;
        let mean: Vec<f64> = (0..HARDWARE_FEATURES).map(|j| raws.iter().map(|r| r[j]).sum::<f64>() / n).collect();
        let std = (0..HARDWARE_FEATURES)
            .map(|j| {
                let s = (raws.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>() / n).sqrt();
                if s > 1e-12 { s } else { 1.0 }
            })
            .collect();
        Ok(HardwareNormaliser { mean, std })
    }

    /// The network input of one accelerator.
    pub fn features(&self, d: &HardwareDescription) -> Result<Vec<f64>> {
        Ok(d.raw()?.iter().enumerate().map(|(j, v)| (v - self.mean[j]) / self.std[j]).collect())
    }

    pub(crate) fn validate(&self) -> Result<()> {
        let ok = self.mean.len() == HARDWARE_FEATURES
            && self.std.len() == HARDWARE_FEATURES
            && self.mean.iter().all(|v| v.is_finite())
            && self.std.iter().all(|v| v.is_finite() && *v > 0.0);
        if ok {
            Ok(())
        } else {
            Err(CodesignError::InvalidParam {
                name: "model",
                value: "hardware normaliser".into(),
                reason: format!("needs {HARDWARE_FEATURES} finite means and deviations > 0"),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desc(pes: f64, df: &str) -> HardwareDescription {
        HardwareDescription {
            pes,
            l1_bytes: 1024.0,
            l2_bytes: 1048576.0,
            noc_bw: 300.0,
            offchip_bw: 50.0,
            dataflow: df.into(),
        }
    }

    #[test]
    fn normalised_features_are_standardised_and_bad_descriptions_refused() {
        let train = [desc(16.0, "kc-p"), desc(256.0, "x-p")];
        let n = HardwareNormaliser::fit(&train).unwrap();
        let f = n.features(&train[0]).unwrap();
        assert_eq!(f.len(), HARDWARE_FEATURES);
        assert!((f[0] + 1.0).abs() < 1e-12, "{f:?}");
        assert_eq!(f[1], 0.0, "constant L1 maps to 0");
        assert_ne!(n.features(&HardwareDescription { l1_bytes: 2048.0, ..desc(16.0, "kc-p") }).unwrap()[1], 0.0);
        for bad in [desc(-1.0, "kc-p"), desc(0.0, "kc-p"), desc(f64::INFINITY, "x-p"), desc(16.0, "systolic")] {
            assert!(n.features(&bad).is_err(), "{bad:?}");
        }
        assert!(HardwareNormaliser::fit(&[]).is_err());
        assert!(HardwareNormaliser { std: vec![0.0; HARDWARE_FEATURES], ..n }.validate().is_err());
    }
}
