//! Devices that can be *measured* (as opposed to predicted), with a count of the measurements
//! spent: a column of a measurement table, an accelerator of the cost model, or a user closure.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicUsize, Ordering};

use edgeopt_accel_sim::{Accel, Accelerator, CachedAccel};
use edgeopt_nas::SearchSpace;

use crate::error::{CodesignError, Result};

/// Latency and energy of one architecture on one device (energy 0 when the device has none).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Measurement {
    /// Latency (the device's unit: ms, cycles, ...).
    pub latency: f64,
    /// Energy (the device's unit), 0 if not measured.
    pub energy: f64,
}

/// A target whose latency (and energy) can be measured. Implementations count every call to
/// [`Device::measure`], so workflows can report what they spent.
pub trait Device<A>: Sync {
    /// Name for reports.
    fn name(&self) -> &str;
    /// Measure one architecture (counted).
    fn measure(&self, arch: &A) -> Result<Measurement>;
    /// Measurements made so far.
    fn measurements(&self) -> usize;
}

/// A device backed by a table of measurements (e.g. a HW-NAS-Bench column).
///
/// ```
/// use edgeopt_codesign::{Device, TableDevice};
/// let dev = TableDevice::new("pixel3", vec![("a", 1.5, 0.0), ("b", 2.0, 0.0)]);
/// assert_eq!(dev.measure(&"b").unwrap().latency, 2.0);
/// assert!(dev.measure(&"c").is_err());
/// assert_eq!(dev.measurements(), 1);
/// ```
#[derive(Debug)]
pub struct TableDevice<A> {
    name: String,
    values: HashMap<A, Measurement>,
    count: AtomicUsize,
}

impl<A: Eq + Hash + std::fmt::Debug + Sync + Send> TableDevice<A> {
    /// From (architecture, latency, energy) rows.
    pub fn new(name: &str, rows: impl IntoIterator<Item = (A, f64, f64)>) -> TableDevice<A> {
        TableDevice {
            name: name.to_string(),
            values: rows.into_iter().map(|(a, latency, energy)| (a, Measurement { latency, energy })).collect(),
            count: AtomicUsize::new(0),
        }
    }

    /// Whether the table holds this architecture.
    pub fn has(&self, arch: &A) -> bool {
        self.values.contains_key(arch)
    }

    /// Every architecture in the table (unordered).
    pub fn archs(&self) -> impl Iterator<Item = &A> {
        self.values.keys()
    }

    /// Look up without counting a measurement (for evaluation only, never inside a workflow).
    pub fn peek(&self, arch: &A) -> Option<Measurement> {
        self.values.get(arch).copied()
    }
}

impl<A: Eq + Hash + std::fmt::Debug + Sync + Send> Device<A> for TableDevice<A> {
    fn name(&self) -> &str {
        &self.name
    }
    fn measure(&self, arch: &A) -> Result<Measurement> {
        let m = self
            .values
            .get(arch)
            .copied()
            .ok_or_else(|| CodesignError::NotMeasured { device: self.name.clone(), key: format!("{arch:?}") })?;
        self.count.fetch_add(1, Ordering::Relaxed);
        Ok(m)
    }
    fn measurements(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }
}

/// An accelerator of the cost model measuring architectures of a search space through their
/// lowering (cycles and nJ). Layer shapes shared between architectures are analysed once
/// ([`CachedAccel`]).
pub struct AcceleratorDevice<'s, S> {
    space: &'s S,
    accel: CachedAccel,
    name: String,
    count: AtomicUsize,
}

impl<'s, S: SearchSpace> AcceleratorDevice<'s, S> {
    /// Measure `space`'s architectures on `accel`.
    pub fn new(space: &'s S, accel: Accel) -> Self {
        let name = accel.label();
        AcceleratorDevice { space, accel: CachedAccel::new(accel), name, count: AtomicUsize::new(0) }
    }
}

impl<S: SearchSpace> Device<S::Arch> for AcceleratorDevice<'_, S> {
    fn name(&self) -> &str {
        &self.name
    }
    fn measure(&self, arch: &S::Arch) -> Result<Measurement> {
        let cost = self.accel.evaluate(&self.space.layers(arch))?;
        self.count.fetch_add(1, Ordering::Relaxed);
        Ok(Measurement { latency: cost.cycles as f64, energy: cost.energy_nj })
    }
    fn measurements(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }
}

/// A device defined by a closure.
pub struct FnDevice<F> {
    name: String,
    f: F,
    count: AtomicUsize,
}

impl<F> FnDevice<F> {
    /// Wrap `f`.
    pub fn new(name: &str, f: F) -> FnDevice<F> {
        FnDevice { name: name.to_string(), f, count: AtomicUsize::new(0) }
    }
}

impl<A, F: Fn(&A) -> Result<Measurement> + Sync> Device<A> for FnDevice<F> {
    fn name(&self) -> &str {
        &self.name
    }
    fn measure(&self, arch: &A) -> Result<Measurement> {
        let m = (self.f)(arch)?;
        self.count.fetch_add(1, Ordering::Relaxed);
        Ok(m)
    }
    fn measurements(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }
}
