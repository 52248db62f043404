//! Devices that can be *measured* (as opposed to predicted): a column of a measurement table, an
//! accelerator of any [`Accelerator`] type, a user closure or a user's own type. [`Counted`]
//! counts the measurements spent on any of them.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use edgeopt_accel_sim::{Accel, Accelerator, CachedAccel};
use edgeopt_nas::Lower;

use crate::error::{BoxError, CodesignError, Result};

/// Latency and energy of one architecture on one device (energy 0 when the device has none).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Measurement {
    /// Latency (the device's unit: ms, cycles, ...).
    pub latency: f64,
    /// Energy (the device's unit), 0 if not measured.
    pub energy: f64,
}

/// A target whose latency (and energy) can be measured. Implement [`Device::measure`] for a
/// user's own device (a phone on a test bench, a simulator); wrap any device in [`Counted`] to
/// count what a workflow spends.
pub trait Device<A>: Sync {
    /// Name for reports and error messages.
    fn name(&self) -> &str;
    /// Measure one architecture.
    fn measure(&self, arch: &A) -> Result<Measurement>;
}

impl<A, D: Device<A> + ?Sized> Device<A> for &D {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn measure(&self, arch: &A) -> Result<Measurement> {
        (**self).measure(arch)
    }
}

impl<A, D: Device<A> + ?Sized> Device<A> for Box<D> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn measure(&self, arch: &A) -> Result<Measurement> {
        (**self).measure(arch)
    }
}

impl<A, D: Device<A> + ?Sized + Send> Device<A> for Arc<D> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn measure(&self, arch: &A) -> Result<Measurement> {
        (**self).measure(arch)
    }
}

/// Counts the successful measurements made through it (thread-safe).
///
/// ```
/// use edgeopt_codesign::{Counted, Device, TableDevice};
/// let dev = Counted::new(TableDevice::new("pixel3", vec![("a", 1.5, 0.0), ("b", 2.0, 0.0)]));
/// assert_eq!(dev.measure(&"b").unwrap().latency, 2.0);
/// assert!(dev.measure(&"c").is_err());
/// assert_eq!(dev.count(), 1);
/// ```
#[derive(Debug, Default)]
pub struct Counted<D> {
    inner: D,
    count: AtomicUsize,
}

impl<D> Counted<D> {
    /// Start counting at zero.
    pub fn new(inner: D) -> Counted<D> {
        Counted { inner, count: AtomicUsize::new(0) }
    }
    /// Measurements made so far.
    pub fn count(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }
    /// The wrapped device.
    pub fn inner(&self) -> &D {
        &self.inner
    }
    /// Unwrap.
    pub fn into_inner(self) -> D {
        self.inner
    }
}

impl<A, D: Device<A>> Device<A> for Counted<D> {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn measure(&self, arch: &A) -> Result<Measurement> {
        let m = self.inner.measure(arch)?;
        self.count.fetch_add(1, Ordering::Relaxed);
        Ok(m)
    }
}

/// A device backed by a table of measurements (e.g. a HW-NAS-Bench column).
///
/// ```
/// use edgeopt_codesign::{Device, TableDevice};
/// let dev = TableDevice::new("pixel3", vec![("a", 1.5, 0.0), ("b", 2.0, 0.0)]);
/// assert_eq!(dev.measure(&"b").unwrap().latency, 2.0);
/// assert!(dev.measure(&"c").is_err());
/// ```
#[derive(Debug)]
pub struct TableDevice<A> {
    name: String,
    values: HashMap<A, Measurement>,
    /// How errors name architectures (their keys), where known; else their `Debug` form.
    keys: HashMap<A, String>,
}

impl<A: Eq + Hash + std::fmt::Debug + Sync + Send> TableDevice<A> {
    /// From (architecture, latency, energy) rows.
    pub fn new(name: &str, rows: impl IntoIterator<Item = (A, f64, f64)>) -> TableDevice<A> {
        TableDevice {
            name: name.to_string(),
            values: rows.into_iter().map(|(a, latency, energy)| (a, Measurement { latency, energy })).collect(),
            keys: HashMap::new(),
        }
    }

    /// Name architectures by these keys in errors (a table's key column), rather than by their
    /// `Debug` form.
    ///
    /// ```
    /// use edgeopt_codesign::{Device, TableDevice};
    /// let dev = TableDevice::new("pixel3", vec![(1u8, 1.5, 0.0)]).with_keys(vec![(2u8, "arch-b".to_string())]);
    /// assert!(dev.measure(&2).unwrap_err().to_string().contains("`arch-b`"));
    /// ```
    pub fn with_keys(mut self, keys: impl IntoIterator<Item = (A, String)>) -> TableDevice<A> {
        self.keys = keys.into_iter().collect();
        self
    }

    /// Whether the table holds this architecture.
    pub fn has(&self, arch: &A) -> bool {
        self.values.contains_key(arch)
    }

    /// Every architecture in the table (unordered).
    pub fn archs(&self) -> impl Iterator<Item = &A> {
        self.values.keys()
    }

    /// Look up without it counting as a workflow's measurement (for evaluation only).
    pub fn peek(&self, arch: &A) -> Option<Measurement> {
        self.values.get(arch).copied()
    }
}

impl<A: Eq + Hash + std::fmt::Debug + Sync + Send> Device<A> for TableDevice<A> {
    fn name(&self) -> &str {
        &self.name
    }
    fn measure(&self, arch: &A) -> Result<Measurement> {
        self.values.get(arch).copied().ok_or_else(|| CodesignError::NotMeasured {
            device: self.name.clone(),
            key: self.keys.get(arch).cloned().unwrap_or_else(|| format!("{arch:?}")),
        })
    }
}

/// Any [`Accelerator`] measuring a space's architectures through their lowering (latency in
/// cycles, energy in nJ).
///
/// ```
/// use edgeopt_accel_sim::{Accel, Dataflow, HardwareConfig};
/// use edgeopt_codesign::{AcceleratorDevice, Device};
/// use edgeopt_nas::{Nb201, SearchSpace};
/// let space = Nb201::cifar10();
/// let accel = Accel::new(HardwareConfig::new(256, 600, 150).build().unwrap(), Dataflow::KcP);
/// let dev = AcceleratorDevice::cached(&space, accel);
/// let m = dev.measure(&space.largest().unwrap()).unwrap();
/// assert!(m.latency > 0.0 && m.energy > 0.0);
/// ```
pub struct AcceleratorDevice<'s, S, X> {
    space: &'s S,
    accel: X,
    name: String,
}

impl<'s, S: Lower, X: Accelerator + Sync> AcceleratorDevice<'s, S, X> {
    /// Measure `space`'s architectures on `accel`, reported under `name`.
    pub fn new(space: &'s S, accel: X, name: &str) -> Self {
        AcceleratorDevice { space, accel, name: name.to_string() }
    }

    /// The accelerator.
    pub fn accelerator(&self) -> &X {
        &self.accel
    }
}

impl<'s, S: Lower> AcceleratorDevice<'s, S, CachedAccel> {
    /// A cost-model accelerator that analyses each layer shape once ([`CachedAccel`]), named by
    /// its label.
    pub fn cached(space: &'s S, accel: Accel) -> Self {
        let name = accel.label();
        AcceleratorDevice { space, accel: CachedAccel::new(accel), name }
    }
}

impl<S: Lower, X: Accelerator + Sync> Device<S::Arch> for AcceleratorDevice<'_, S, X> {
    fn name(&self) -> &str {
        &self.name
    }
    fn measure(&self, arch: &S::Arch) -> Result<Measurement> {
        let cost = self.accel.evaluate(&self.space.layers(arch))?;
        Ok(Measurement { latency: cost.cycles as f64, energy: cost.energy_nj })
    }
}

/// A device defined by a closure that may fail with any error type (kept as the source of
/// [`CodesignError::Device`]).
///
/// ```
/// use edgeopt_codesign::{Device, FnDevice, Measurement};
/// let dev = FnDevice::new("bench", |a: &u32| {
///     if *a > 9 { Err(std::io::Error::other("board did not answer")) } else { Ok(Measurement { latency: *a as f64, energy: 0.0 }) }
/// });
/// assert_eq!(dev.measure(&3).unwrap().latency, 3.0);
/// let err = dev.measure(&10).unwrap_err();
/// assert!(std::error::Error::source(&err).unwrap().to_string().contains("did not answer"));
/// ```
pub struct FnDevice<F> {
    name: String,
    f: F,
}

impl<F> FnDevice<F> {
    /// Wrap `f`.
    pub fn new(name: &str, f: F) -> FnDevice<F> {
        FnDevice { name: name.to_string(), f }
    }
}

impl<A: std::fmt::Debug, E: Into<BoxError>, F: Fn(&A) -> std::result::Result<Measurement, E> + Sync> Device<A>
    for FnDevice<F>
{
    fn name(&self) -> &str {
        &self.name
    }
    fn measure(&self, arch: &A) -> Result<Measurement> {
        (self.f)(arch).map_err(|e| CodesignError::Device {
            device: self.name.clone(),
            key: format!("{arch:?}"),
            source: e.into(),
        })
    }
}
