//! The `edgeopt._native` extension module: edgeopt's Rust libraries for Python. The pure-Python
//! package `edgeopt` (python/edgeopt) re-exports everything here with docstrings and type stubs.

mod accel;
mod bandit;
mod codesign;
mod errors;
mod json;
mod layer;
mod mixture;
mod nas;
mod networks;
mod packed;
mod predictors;
mod search;
mod simulate;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("EdgeoptError", py.get_type::<errors::EdgeoptError>())?;
    m.add("EdgeoptIOError", py.get_type::<errors::EdgeoptIOError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;

    m.add_class::<accel::PyLayer>()?;
    m.add_class::<accel::PyHardware>()?;
    m.add_class::<accel::PyAccelerator>()?;
    m.add_class::<accel::PyCost>()?;
    m.add_class::<accel::PyHardwareSpace>()?;
    m.add_class::<networks::PyNetworks>()?;
    m.add_function(wrap_pyfunction!(accel::cost_matrix, m)?)?;
    m.add_function(wrap_pyfunction!(accel::read_layers, m)?)?;
    m.add_function(wrap_pyfunction!(accel::read_maestro, m)?)?;
    m.add_function(wrap_pyfunction!(accel::read_onnx, m)?)?;
    m.add_function(wrap_pyfunction!(packed::pack_networks, m)?)?;
    m.add_function(wrap_pyfunction!(packed::cost_matrix_packed, m)?)?;
    m.add_function(wrap_pyfunction!(packed::packed_columns, m)?)?;

    m.add_class::<nas::PySpace>()?;
    m.add_function(wrap_pyfunction!(search::evolution, m)?)?;
    m.add_function(wrap_pyfunction!(search::nsga2, m)?)?;

    m.add_class::<predictors::PyPredictor>()?;
    m.add_function(wrap_pyfunction!(predictors::fit_linear, m)?)?;
    m.add_function(wrap_pyfunction!(predictors::fit_kernel_ridge, m)?)?;
    m.add_function(wrap_pyfunction!(predictors::fit_mlp, m)?)?;
    m.add_function(wrap_pyfunction!(predictors::fit_gcn, m)?)?;
    m.add_function(wrap_pyfunction!(predictors::flatten_graphs, m)?)?;
    m.add_function(wrap_pyfunction!(predictors::spearman, m)?)?;
    m.add_function(wrap_pyfunction!(predictors::kendall, m)?)?;
    m.add_function(wrap_pyfunction!(predictors::srcc_matrix, m)?)?;
    m.add_function(wrap_pyfunction!(predictors::_predictor_from_json, m)?)?;

    m.add_function(wrap_pyfunction!(codesign::semi_decoupled, m)?)?;
    m.add_function(wrap_pyfunction!(codesign::two_stage, m)?)?;
    m.add_function(wrap_pyfunction!(codesign::proxy_pareto_set, m)?)?;
    m.add_function(wrap_pyfunction!(codesign::bisection, m)?)?;
    m.add_function(wrap_pyfunction!(codesign::one_proxy, m)?)?;

    m.add_class::<bandit::PyBandit>()?;
    m.add_function(wrap_pyfunction!(bandit::neural_ucb, m)?)?;
    m.add_function(wrap_pyfunction!(bandit::neural_ts, m)?)?;
    m.add_function(wrap_pyfunction!(bandit::neural_epsilon_greedy, m)?)?;
    m.add_function(wrap_pyfunction!(bandit::lin_ucb, m)?)?;
    m.add_function(wrap_pyfunction!(bandit::random_policy, m)?)?;
    m.add_function(wrap_pyfunction!(simulate::simulate_classification, m)?)?;
    m.add_function(wrap_pyfunction!(simulate::simulate_synthetic, m)?)?;
    m.add_function(wrap_pyfunction!(simulate::simulate_devices, m)?)?;
    m.add_function(wrap_pyfunction!(simulate::devices_context_len, m)?)?;

    m.add_function(wrap_pyfunction!(mixture::partition, m)?)?;
    m.add_function(wrap_pyfunction!(mixture::sample_mixtures, m)?)?;
    m.add_function(wrap_pyfunction!(mixture::cost_mixtures, m)?)?;
    m.add_function(wrap_pyfunction!(mixture::area_mm2, m)?)?;
    m.add_function(wrap_pyfunction!(data::nb201_table, m)?)?;
    Ok(())
}

mod data {
    //! The embedded NAS-Bench-201 × HW-NAS-Bench table.
    use numpy::PyArray1;
    use pyo3::prelude::*;
    use pyo3::types::PyDict;

    use crate::errors::IntoPy;

    /// The embedded NAS-Bench-201 × HW-NAS-Bench CIFAR-10 table as a dict of columns: numeric
    /// columns as float64 arrays (NaN = missing), the others (`arch_str`) as lists of strings.
    #[pyfunction]
    pub fn nb201_table(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
        let t = edgeopt::zoo::nb201_hwnasbench().py()?;
        let out = PyDict::new(py);
        for name in t.headers() {
            match t.numeric(name) {
                Ok(col) => {
                    let col: Vec<f64> = col.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect();
                    out.set_item(name, PyArray1::from_vec(py, col))?;
                }
                Err(_) => out.set_item(name, t.text(name).py()?)?,
            }
        }
        Ok(out)
    }
}
