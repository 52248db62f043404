//! Layer-wise mixed dataflows (thesis sec. 4.5.3) and the 45 nm area model.

use numpy::{PyArray2, PyReadonlyArray2};
use pyo3::prelude::*;

use edgeopt::accel_sim::{
    AreaModel, cost_mixtures as cost_mixtures_rs, sample_mixtures as sample_rs, thesis_partition,
};
use edgeopt::predictors::rand::SeedableRng;
use edgeopt::predictors::rand::rngs::ChaCha8Rng;

use crate::accel::{LatencyEnergy, PyAccelerator, PyHardware};
use crate::errors::{IntoPy, bad_arg};

/// Part sizes of the thesis's split of a `layers`-layer network: the first layer, `groups`
/// even groups of the middle layers, the last layer (`groups + 2` sizes summing to `layers`).
#[pyfunction]
#[pyo3(name = "thesis_partition", signature = (layers, groups = 20))]
pub fn partition(layers: usize, groups: usize) -> PyResult<Vec<usize>> {
    thesis_partition(layers, groups).py()
}

/// `count` mixtures of `groups + 2` parts, each part's accelerator index drawn uniformly below
/// `accelerators`, as an int64 array `(count, groups + 2)`.
#[pyfunction]
#[pyo3(signature = (accelerators, count, *, groups = 20, seed = 0))]
pub fn sample_mixtures(
    py: Python<'_>,
    accelerators: usize,
    count: usize,
    groups: usize,
    seed: u64,
) -> PyResult<Bound<'_, PyArray2<i64>>> {
    let m = sample_rs(accelerators, groups + 2, count, &mut ChaCha8Rng::seed_from_u64(seed)).py()?;
    let flat: Vec<i64> = m.iter().flatten().map(|&a| a as i64).collect();
    let arr = ndarray::Array2::from_shape_vec((count, groups + 2), flat).py()?;
    Ok(PyArray2::from_owned_array(py, arr))
}

/// Latency (cycles) and energy (nJ) of every network under every mixture, as two
/// `(networks × mixtures)` float64 arrays (NaN where a layer cannot run on its part's
/// accelerator). Row `k` of `mixtures` (int64, `(mixtures, groups + 2)`) names the accelerator of
/// each part of the thesis split; every distinct layer shape is costed once per accelerator,
/// with the GIL released.
#[pyfunction]
#[pyo3(signature = (networks, accelerators, mixtures, *, groups = 20))]
pub fn cost_mixtures<'py>(
    py: Python<'py>,
    networks: Bound<'py, PyAny>,
    accelerators: Vec<PyRef<'py, PyAccelerator>>,
    mixtures: PyReadonlyArray2<'py, i64>,
    groups: usize,
) -> PyResult<LatencyEnergy<'py>> {
    let nets = crate::networks::networks_of(&networks, false)?;
    let accs: Vec<_> = accelerators.iter().map(|a| a.0.clone()).collect();
    let view = mixtures.as_array();
    let mut rows = Vec::with_capacity(view.nrows());
    for (k, row) in view.rows().into_iter().enumerate() {
        let parts = row
            .iter()
            .map(|&a| {
                usize::try_from(a).map_err(|_| bad_arg(&format!("mixtures[{k}]"), a, "accelerator indices are ≥ 0"))
            })
            .collect::<PyResult<Vec<usize>>>()?;
        rows.push(parts);
    }
    let m = py.detach(|| cost_mixtures_rs(&nets, &accs, &rows, groups)).py()?;
    let cycles = ndarray::Array2::from_shape_vec((m.rows, m.cols), m.cycles).py()?;
    let energy = ndarray::Array2::from_shape_vec((m.rows, m.cols), m.energy_nj).py()?;
    Ok((PyArray2::from_owned_array(py, cycles), PyArray2::from_owned_array(py, energy)))
}

/// Silicon area in mm² of `hardware` under the 45 nm model (`AreaModel::cmos_45nm`: published
/// MAC and SRAM-cell areas; see the Rust documentation for sources and assumptions).
#[pyfunction]
pub fn area_mm2(hardware: &PyHardware) -> f64 {
    AreaModel::cmos_45nm().area_mm2(&hardware.0)
}
