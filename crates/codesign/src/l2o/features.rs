//! Device features: a device's latency on a few reference architectures, as a shape and a scale.

use serde::{Deserialize, Serialize};

use crate::error::{CodesignError, Result};

/// Largest number of reference architectures (each one is a measurement on every new device).
pub(crate) const MAX_REFERENCES: usize = 10;

/// What the networks know about a device: `shape[i] = ln latency(ref_i) − scale` and
/// `scale = mean_i ln latency(ref_i)`. The shape is the input of the latency network and of the
/// optimizer, so devices of very different speed but the same relative costs share one
/// representation; the scale turns predicted relative latencies back into the device's unit.
/// `energy_scale` does the same for energy (the mean log-energy of the references) when the
/// device's energy is known, and `hardware` holds an accelerator's normalised description
/// ([`super::HardwareNormaliser`]), appended to the shape as network input.
///
/// ```
/// use edgeopt_codesign::l2o::DeviceFeatures;
/// let slow = DeviceFeatures::from_latencies(&[10.0, 40.0]).unwrap();
/// let fast = DeviceFeatures::from_latencies(&[1.0, 4.0]).unwrap();
/// assert!(slow.shape.iter().zip(&fast.shape).all(|(a, b)| (a - b).abs() < 1e-12));
/// assert!((slow.scale - fast.scale - 10f64.ln()).abs() < 1e-12);
/// assert!(DeviceFeatures::from_latencies(&[1.0, 0.0]).is_err());
/// let e = fast.with_energies(&[2.0, 8.0]).unwrap();
/// assert!((e.energy_scale.unwrap() - 4f64.ln()).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceFeatures {
    /// Log-latencies of the references minus their mean.
    pub shape: Vec<f64>,
    /// Mean log-latency of the references.
    pub scale: f64,
    /// Mean log-energy of the references, if the device's energy is measured.
    #[serde(default)]
    pub energy_scale: Option<f64>,
    /// Normalised hardware description (empty for a device without one).
    #[serde(default)]
    pub hardware: Vec<f64>,
}

fn check_positive(what: &'static str, values: &[f64]) -> Result<()> {
    if let Some((i, v)) = values.iter().enumerate().find(|(_, v)| !(v.is_finite() && **v > 0.0)) {
        return Err(CodesignError::InvalidParam {
            name: what,
            value: v.to_string(),
            reason: format!("reference {i} must be finite and > 0"),
        });
    }
    Ok(())
}

fn mean_log(values: &[f64]) -> f64 {
    values.iter().map(|v| v.ln()).sum::<f64>() / values.len() as f64
}

impl DeviceFeatures {
    /// From the device's measured latencies of the reference architectures, in their order.
    pub fn from_latencies(latencies: &[f64]) -> Result<DeviceFeatures> {
        if latencies.is_empty() || latencies.len() > MAX_REFERENCES {
            return Err(CodesignError::InvalidParam {
                name: "reference latencies",
                value: latencies.len().to_string(),
                reason: format!("need 1 to {MAX_REFERENCES}"),
            });
        }
        check_positive("reference latency", latencies)?;
        let scale = mean_log(latencies);
        Ok(DeviceFeatures {
            shape: latencies.iter().map(|l| l.ln() - scale).collect(),
            scale,
            energy_scale: None,
            hardware: Vec::new(),
        })
    }

    /// A device known by its hardware description alone (no reference measured): `scale` and
    /// `energy_scale` are the model's fixed units ([`super::PerformanceNets::base_scale`]).
    pub fn from_hardware(hardware: Vec<f64>, scale: f64, energy_scale: Option<f64>) -> Result<DeviceFeatures> {
        DeviceFeatures { shape: Vec::new(), scale, energy_scale, hardware: Vec::new() }.with_hardware(hardware)
    }

    /// Add the energies of the references (same order and count as the latencies).
    pub fn with_energies(mut self, energies: &[f64]) -> Result<DeviceFeatures> {
        if energies.len() != self.shape.len() || energies.is_empty() {
            return Err(CodesignError::InvalidParam {
                name: "reference energies",
                value: energies.len().to_string(),
                reason: format!("need one per reference ({})", self.shape.len()),
            });
        }
        check_positive("reference energy", energies)?;
        self.energy_scale = Some(mean_log(energies));
        Ok(self)
    }

    /// Add a normalised hardware description (every value finite).
    pub fn with_hardware(mut self, hardware: Vec<f64>) -> Result<DeviceFeatures> {
        if let Some(v) = hardware.iter().chain([&self.scale]).chain(&self.energy_scale).find(|v| !v.is_finite()) {
            return Err(CodesignError::InvalidParam {
                name: "device features",
                value: v.to_string(),
                reason: "hardware features and scales must be finite".into(),
            });
        }
        self.hardware = hardware;
        Ok(self)
    }

    /// The networks' device input: the shape, then the hardware features.
    pub fn inputs(&self) -> Vec<f64> {
        self.shape.iter().chain(&self.hardware).copied().collect()
    }

    /// `λ` in relative units: the weight of the latency network's relative latency that matches
    /// `λ` in the device's unit.
    pub fn relative_lambda(&self, lambda: f64) -> f64 {
        lambda * self.scale.exp()
    }

    /// `λ₂` (energy weight, the device's energy unit) in relative units; an error if `λ₂ > 0` and
    /// the device's energy is unknown.
    pub fn relative_energy_lambda(&self, energy_lambda: f64) -> Result<f64> {
        match self.energy_scale {
            _ if energy_lambda == 0.0 => Ok(0.0),
            Some(s) => Ok(energy_lambda * s.exp()),
            None => Err(CodesignError::InvalidParam {
                name: "energy lambda",
                value: energy_lambda.to_string(),
                reason: "the device has no energy measurement, so only 0 is meaningful".into(),
            }),
        }
    }
}

/// Choose `k` reference architectures among `measured` candidates (indices into it) from their
/// latencies on the training devices (`latency[device][candidate]`): the candidates at evenly
/// spaced quantiles of the mean relative log-latency, so the references span small to large
/// designs.
pub fn choose_references(latency: &[Vec<f64>], k: usize) -> Result<Vec<usize>> {
    let n = latency.first().map_or(0, Vec::len);
    if k == 0 || k > MAX_REFERENCES || k > n {
        return Err(CodesignError::InvalidParam {
            name: "references",
            value: k.to_string(),
            reason: format!("need 1 to {} (and at most the {n} measured designs)", MAX_REFERENCES),
        });
    }
    let mut score = vec![0.0; n];
    for dev in latency {
        if dev.len() != n || dev.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
            return Err(CodesignError::InvalidParam {
                name: "training latencies",
                value: format!("{} values", dev.len()),
                reason: format!("need {n} finite latencies > 0 per device"),
            });
        }
        let mean = dev.iter().map(|v| v.ln()).sum::<f64>() / n as f64;
        for (s, v) in score.iter_mut().zip(dev) {
            *s += v.ln() - mean;
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| score[a].total_cmp(&score[b]).then(a.cmp(&b)));
    Ok((0..k).map(|i| order[((2 * i + 1) * n) / (2 * k)]).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_span_the_latency_range() {
        let lat = vec![(1..=100).map(f64::from).collect::<Vec<_>>(), (1..=100).map(|v| f64::from(v) * 3.0).collect()];
        let r = choose_references(&lat, 4).unwrap();
        assert_eq!(r, vec![12, 37, 62, 87]);
        assert!(choose_references(&lat, 0).is_err());
        assert!(choose_references(&lat, 11).is_err());
        assert!(choose_references(&[vec![1.0, f64::NAN]], 1).is_err());
    }
}
