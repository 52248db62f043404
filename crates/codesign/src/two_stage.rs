//! Semi-decoupled co-design (thesis alg. 6) that measures only what the algorithm needs, through
//! any [`Device`]s (cost-model accelerators, a user's own hardware model, measured boards):
//!
//! 1. **Stage 1** measures every candidate architecture on one proxy device and keeps the proxy's
//!    latency–energy–accuracy Pareto set (at most `max_set` members).
//! 2. **Stage 2** measures only that set on every admissible device; a design for a constraint
//!    pair (L, E) is then the most accurate (architecture, device) pair of set × devices meeting it.
//!
//! So a study costs `candidates + |set| × admissible` measurements instead of
//! `candidates × devices`; [`semi_decoupled::Problem`](crate::semi_decoupled::Problem) is the
//! matrix form used as the exact fully-coupled baseline. A device that cannot run an
//! architecture (a cost-model error such as too few PEs) leaves that pair out, as the matrix form
//! does; any other error (a user's device failing) stops the study.

use rayon::prelude::*;

use crate::device::{Device, Measurement};
use crate::error::{CodesignError, Result};
use crate::semi_decoupled::{Design, better, pareto_subset};

/// The study: candidate architectures with accuracies, the devices (hardware space) and which of
/// them the resource budget admits.
pub struct TwoStage<'a, A, D> {
    candidates: &'a [A],
    accuracy: &'a [f64],
    devices: &'a [D],
    admissible: &'a [bool],
}

/// What stage 1 found on the proxy.
#[derive(Debug, Clone, PartialEq)]
pub struct ProxyStage {
    /// The proxy device's index.
    pub proxy: usize,
    /// Indices of the candidates in the proxy's Pareto set, ascending.
    pub set: Vec<usize>,
    /// Measurements spent on the proxy (one per candidate).
    pub measurements: usize,
}

/// Stage 2: the set measured on every admissible device.
#[derive(Debug, Clone, PartialEq)]
pub struct HardwareStage {
    /// `costs[k][h]`: set member `k` on device `h` (`None`: not admissible or cannot run).
    pub costs: Vec<Vec<Option<Measurement>>>,
    /// Measurements spent in stage 2.
    pub measurements: usize,
}

impl<'a, A: Sync, D: Device<A>> TwoStage<'a, A, D> {
    /// Check that the inputs agree (one accuracy per candidate, finite; one flag per device).
    pub fn new(candidates: &'a [A], accuracy: &'a [f64], devices: &'a [D], admissible: &'a [bool]) -> Result<Self> {
        let bad = |name, value: String, reason: String| Err(CodesignError::InvalidParam { name, value, reason });
        if candidates.is_empty() || devices.is_empty() {
            return bad(
                "study",
                format!("{} candidates, {} devices", candidates.len(), devices.len()),
                "need both".into(),
            );
        }
        if accuracy.len() != candidates.len() {
            return bad(
                "accuracy",
                format!("{} values", accuracy.len()),
                format!("need one per candidate ({})", candidates.len()),
            );
        }
        if let Some((i, v)) = accuracy.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return bad("accuracy", format!("{v} at candidate {i}"), "must be finite".into());
        }
        if admissible.len() != devices.len() {
            return bad(
                "admissible",
                format!("{} flags", admissible.len()),
                format!("need one per device ({})", devices.len()),
            );
        }
        Ok(TwoStage { candidates, accuracy, devices, admissible })
    }

    /// Measure `arch` on device `h`; `None` when the device cannot run it.
    fn measure(&self, h: usize, arch: &A) -> Result<Option<Measurement>> {
        match self.devices[h].measure(arch) {
            Ok(m) => Ok(Some(m)),
            Err(CodesignError::Sim(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Stage 1 on device `proxy`: every candidate measured there, the Pareto set kept (at most
    /// `max_set` members, evenly spaced by latency when the front is larger).
    pub fn proxy_stage(&self, proxy: usize, max_set: usize) -> Result<ProxyStage> {
        if proxy >= self.devices.len() || max_set == 0 {
            return Err(CodesignError::InvalidParam {
                name: "proxy/max_set",
                value: format!("{proxy}/{max_set}"),
                reason: format!("need proxy < {} and max_set ≥ 1", self.devices.len()),
            });
        }
        let costs: Vec<Option<Measurement>> =
            self.candidates.par_iter().map(|a| self.measure(proxy, a)).collect::<Result<_>>()?;
        let lat: Vec<Option<f64>> = costs.iter().map(|m| m.map(|m| m.latency)).collect();
        let en: Vec<Option<f64>> = costs.iter().map(|m| m.map(|m| m.energy)).collect();
        let set = pareto_subset(&lat, &en, self.accuracy, max_set)?;
        Ok(ProxyStage { proxy, set, measurements: self.candidates.len() })
    }

    /// Stage 2: the set measured on every admissible device (in parallel, in a fixed order).
    pub fn hardware_stage(&self, stage: &ProxyStage) -> Result<HardwareStage> {
        if let Some(&k) = stage.set.iter().find(|&&k| k >= self.candidates.len()) {
            return Err(CodesignError::InvalidParam {
                name: "set",
                value: k.to_string(),
                reason: format!("candidate indices must be < {}", self.candidates.len()),
            });
        }
        let pairs: Vec<(usize, usize)> = stage
            .set
            .iter()
            .enumerate()
            .flat_map(|(k, _)| (0..self.devices.len()).filter(|&h| self.admissible[h]).map(move |h| (k, h)))
            .collect();
        let measured: Vec<Option<Measurement>> =
            pairs.par_iter().map(|&(k, h)| self.measure(h, &self.candidates[stage.set[k]])).collect::<Result<_>>()?;
        let mut costs = vec![vec![None; self.devices.len()]; stage.set.len()];
        for (&(k, h), m) in pairs.iter().zip(measured) {
            costs[k][h] = m;
        }
        Ok(HardwareStage { costs, measurements: pairs.len() })
    }

    /// The most accurate (architecture, device) pair of the set meeting latency ≤ `l` and
    /// energy ≤ `e` (ties: lower architecture index, then lower device index).
    pub fn best(&self, stage: &ProxyStage, hardware: &HardwareStage, l: f64, e: f64) -> Option<Design> {
        let mut best = None;
        for (k, row) in hardware.costs.iter().enumerate() {
            let a = stage.set[k];
            for (h, m) in row.iter().enumerate() {
                if let Some(m) = m
                    && m.latency <= l
                    && m.energy <= e
                {
                    let d = Design { arch: a, accel: h, accuracy: self.accuracy[a] };
                    if better(d, best) {
                        best = Some(d);
                    }
                }
            }
        }
        best
    }
}
