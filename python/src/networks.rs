//! `edgeopt.Networks`: many networks held in Rust, built once (from layer lists, or by lowering
//! a space's keys without creating any Python `Layer`), then costed on any number of grids with
//! no per-call conversion.

use std::sync::Arc;

use edgeopt::accel_sim::Layer;
use pyo3::prelude::*;
use rayon::prelude::*;

use crate::errors::bad_arg;
use crate::layer::{PyLayer, layer_seq_with};
use crate::nas::PySpace;

/// Networks kept on the Rust side (cheap to pass to `cost_matrix` again and again).
#[pyclass(module = "edgeopt", name = "Networks", frozen)]
pub struct PyNetworks(pub Arc<Vec<Vec<Layer>>>);

#[pymethods]
impl PyNetworks {
    /// From a sequence of networks, each a sequence of `Layer`.
    #[new]
    fn new(networks: Bound<'_, PyAny>) -> PyResult<PyNetworks> {
        Ok(PyNetworks(Arc::new(read(&networks, true)?)))
    }

    /// The architectures `keys` of `space`, lowered to layers in parallel (no Python objects).
    #[staticmethod]
    fn lower(py: Python<'_>, space: &PySpace, keys: Vec<String>) -> PyResult<PyNetworks> {
        let nets = py.detach(|| keys.par_iter().map(|k| space.inner.layers(k)).collect::<PyResult<Vec<_>>>())?;
        Ok(PyNetworks(Arc::new(nets)))
    }

    fn __len__(&self) -> usize {
        self.0.len()
    }

    /// Network `i` as a list of `Layer`.
    fn __getitem__(&self, i: isize) -> PyResult<Vec<PyLayer>> {
        let n = self.0.len() as isize;
        let j = if i < 0 { i + n } else { i };
        if !(0..n).contains(&j) {
            return Err(pyo3::exceptions::PyIndexError::new_err(format!("index {i} out of range for {n} networks")));
        }
        Ok(self.0[j as usize].iter().cloned().map(PyLayer).collect())
    }

    /// Total layers over all networks.
    #[getter]
    fn layers(&self) -> usize {
        self.0.iter().map(Vec::len).sum()
    }

    fn __repr__(&self) -> String {
        format!("Networks({} networks, {} layers)", self.0.len(), self.layers())
    }
}

fn read(networks: &Bound<'_, PyAny>, names: bool) -> PyResult<Vec<Vec<Layer>>> {
    networks
        .try_iter()?
        .enumerate()
        .map(|(i, net)| layer_seq_with(&net?, &|| format!("networks[{i}]"), names))
        .collect()
}

/// The layers of `networks`: a `Networks` handle (shared, no copy) or any sequence of layer
/// sequences (read now, names dropped when the caller does not need them).
pub fn networks_of(networks: &Bound<'_, PyAny>, names: bool) -> PyResult<Arc<Vec<Vec<Layer>>>> {
    if let Ok(handle) = networks.cast::<PyNetworks>() {
        return Ok(Arc::clone(&handle.get().0));
    }
    if networks.is_instance_of::<pyo3::types::PyString>() {
        return Err(bad_arg("networks", "a str", "expected Networks or a sequence of layer lists"));
    }
    Ok(Arc::new(read(networks, names)?))
}
