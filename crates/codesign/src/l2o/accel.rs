//! The accelerator setting of learning to optimize: training and test devices are accel-sim
//! accelerators, described by their hardware ([`super::HardwareDescription`]) and costed by the
//! cost model (latency in cycles, energy in nJ).

use std::collections::HashSet;

use edgeopt_accel_sim::{Accel, HardwareConfig, HardwareSpace};
use rand::seq::SliceRandom;
use rand::{Rng, RngExt};

use super::choices::Categorical;
use crate::device::{Device, Measurement};
use crate::error::{CodesignError, Result};

/// A device of a categorical space's architectures seen through their choices, the form stage 1
/// measures (e.g. an [`crate::AcceleratorDevice`] of NB201 for [`super::train_performance`]).
///
/// ```
/// use edgeopt_accel_sim::{Accel, Dataflow, HardwareConfig};
/// use edgeopt_codesign::l2o::ChoicesDevice;
/// use edgeopt_codesign::{AcceleratorDevice, Device};
/// use edgeopt_nas::Nb201;
/// let space = Nb201::cifar10();
/// let accel = Accel::new(HardwareConfig::new(64, 300, 50).build().unwrap(), Dataflow::KcP);
/// let dev = ChoicesDevice::new(&space, AcceleratorDevice::cached(&space, accel));
/// assert!(dev.measure(&vec![3; 6]).unwrap().latency > 0.0);
/// assert!(dev.measure(&vec![5; 6]).is_err());
/// ```
pub struct ChoicesDevice<'s, S, D> {
    space: &'s S,
    device: D,
}

impl<'s, S, D> ChoicesDevice<'s, S, D> {
    /// Measure `space`'s architectures on `device` by their choices.
    pub fn new(space: &'s S, device: D) -> Self {
        ChoicesDevice { space, device }
    }
}

impl<S: Categorical + Sync, D: Device<S::Arch>> Device<Vec<usize>> for ChoicesDevice<'_, S, D> {
    fn name(&self) -> &str {
        self.device.name()
    }
    fn measure(&self, choices: &Vec<usize>) -> Result<Measurement> {
        self.device.measure(&self.space.arch_of_choices(choices)?)
    }
}

/// `n` distinct points of `grid` that are not points of `exclude` (e.g. training accelerators of
/// the thesis grid, keeping the calibration grid's for testing), drawn uniformly.
///
/// ```
/// use edgeopt_accel_sim::HardwareSpace;
/// use edgeopt_codesign::l2o::grid_sample_excluding;
/// use edgeopt_predictors::rand::{SeedableRng, rngs::ChaCha8Rng};
/// let (grid, test) = (HardwareSpace::thesis(), HardwareSpace::calibration());
/// let train = grid_sample_excluding(&grid, &test, 20, &mut ChaCha8Rng::seed_from_u64(0)).unwrap();
/// let test_labels: Vec<String> = test.enumerate().unwrap().iter().map(|a| a.label()).collect();
/// assert!(train.iter().all(|a| !test_labels.contains(&a.label())));
/// ```
pub fn grid_sample_excluding<R: Rng + ?Sized>(
    grid: &HardwareSpace,
    exclude: &HardwareSpace,
    n: usize,
    rng: &mut R,
) -> Result<Vec<Accel>> {
    let excluded: HashSet<String> = exclude.enumerate()?.iter().map(Accel::label).collect();
    let mut left: Vec<Accel> = grid.enumerate()?.into_iter().filter(|a| !excluded.contains(&a.label())).collect();
    if n > left.len() {
        return Err(CodesignError::InvalidParam {
            name: "training accelerators",
            value: n.to_string(),
            reason: format!("the grid has {} points outside the excluded one", left.len()),
        });
    }
    left.shuffle(rng);
    left.truncate(n);
    Ok(left)
}

/// `n` accelerators drawn from the box the grid spans rather than from its points (alg. 2's
/// synthetic devices `D_S` in this setting): PEs log-uniform, NoC and off-chip bandwidths uniform
/// between the grid's extremes, a dataflow of the grid, the grid's base elsewhere.
///
/// ```
/// use edgeopt_accel_sim::HardwareSpace;
/// use edgeopt_codesign::l2o::sample_accelerators;
/// use edgeopt_predictors::rand::{SeedableRng, rngs::ChaCha8Rng};
/// let s = sample_accelerators(&HardwareSpace::thesis(), 50, &mut ChaCha8Rng::seed_from_u64(0)).unwrap();
/// assert!(s.iter().all(|a| (16..=512).contains(&a.hardware.num_pes())));
/// ```
pub fn sample_accelerators<R: Rng + ?Sized>(grid: &HardwareSpace, n: usize, rng: &mut R) -> Result<Vec<Accel>> {
    grid.validate()?;
    let range = |v: &[u64]| (*v.iter().min().unwrap_or(&1), *v.iter().max().unwrap_or(&1));
    let (p0, p1) = range(&grid.pes);
    let (n0, n1) = range(&grid.noc_bw);
    let (o0, o1) = range(&grid.offchip_bw);
    (0..n)
        .map(|_| {
            let pes = rng.random_range((p0 as f64).ln()..=(p1 as f64).ln()).exp().round() as u64;
            let hw = HardwareConfig {
                num_pes: pes.clamp(p0, p1),
                noc_bw: rng.random_range(n0..=n1),
                offchip_bw: rng.random_range(o0..=o1),
                ..grid.base.clone()
            }
            .build()?;
            let df = grid.dataflows[rng.random_range(0..grid.dataflows.len())].clone();
            Ok(Accel::new(hw, df))
        })
        .collect()
}
