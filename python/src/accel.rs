//! `edgeopt.Layer`, `Hardware`, `Accelerator`, `Cost`, `HardwareSpace`, `cost_matrix` and the
//! layer readers (our CSV, MAESTRO mapping files, ONNX).

use std::path::PathBuf;

use edgeopt::accel_sim::{
    Accel, Accelerator as _, Dataflow, EnergyModel, HardwareConfig, HardwareSpace, Layer, NetworkCost, layer_csv,
    maestro_file,
};
use numpy::{PyArray1, PyArray2};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::{IntoPy, bad_arg, readable};
pub use crate::layer::{PyLayer, layer_seq};

/// A validated hardware configuration (MAESTRO's defaults for buffers, hops and vector width).
#[pyclass(module = "edgeopt", name = "Hardware", frozen, from_py_object)]
#[derive(Clone)]
pub struct PyHardware(pub edgeopt::accel_sim::Hardware);

#[pymethods]
impl PyHardware {
    #[new]
    #[pyo3(signature = (pes, noc_bw, offchip_bw, *, l1_bytes = 1024, l2_bytes = 1 << 20, noc_hops = 1, hop_latency = 1, vector_width = 1, element_bytes = 1))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        pes: u64,
        noc_bw: u64,
        offchip_bw: u64,
        l1_bytes: u64,
        l2_bytes: u64,
        noc_hops: u64,
        hop_latency: u64,
        vector_width: u64,
        element_bytes: u64,
    ) -> PyResult<PyHardware> {
        let cfg = HardwareConfig {
            l1_bytes,
            l2_bytes,
            noc_hops,
            hop_latency,
            vector_width,
            element_bytes,
            ..HardwareConfig::new(pes, noc_bw, offchip_bw)
        };
        Ok(PyHardware(cfg.build().py()?))
    }

    /// Read a MAESTRO hardware file (`num_pes`, `l1_size_cstr`, ...).
    #[staticmethod]
    fn from_maestro(path: PathBuf) -> PyResult<PyHardware> {
        readable(&path)?;
        let text = layer_csv::read_text(&path).py()?;
        let cfg = maestro_file::parse_hardware(&text, &path.display().to_string()).py()?;
        Ok(PyHardware(cfg.build().py()?))
    }

    #[getter]
    fn pes(&self) -> u64 {
        self.0.num_pes()
    }
    #[getter]
    fn noc_bw(&self) -> u64 {
        self.0.noc_bw()
    }
    #[getter]
    fn offchip_bw(&self) -> u64 {
        self.0.offchip_bw()
    }
    #[getter]
    fn l1_bytes(&self) -> u64 {
        self.0.l1_bytes()
    }
    #[getter]
    fn l2_bytes(&self) -> u64 {
        self.0.l2_bytes()
    }

    fn __repr__(&self) -> String {
        format!("Hardware(pes={}, noc_bw={}, offchip_bw={})", self.0.num_pes(), self.0.noc_bw(), self.0.offchip_bw())
    }
}

fn parse_dataflow(name: &str) -> PyResult<Dataflow> {
    Dataflow::parse(name).ok_or_else(|| bad_arg("dataflow", name, "expected kc-p, yr-p or x-p"))
}

/// An accelerator: hardware plus one of the built-in dataflows (MAESTRO's cost model).
#[pyclass(module = "edgeopt", name = "Accelerator", frozen, from_py_object)]
#[derive(Clone)]
pub struct PyAccelerator(pub Accel);

#[pymethods]
impl PyAccelerator {
    /// `Accelerator(256, 600, 150, "kc-p")`, or `Accelerator(hardware=Hardware(...), dataflow="x-p")`.
    #[new]
    #[pyo3(signature = (pes = None, noc_bw = None, offchip_bw = None, dataflow = "kc-p", *, hardware = None))]
    fn new(
        pes: Option<u64>,
        noc_bw: Option<u64>,
        offchip_bw: Option<u64>,
        dataflow: &str,
        hardware: Option<PyHardware>,
    ) -> PyResult<PyAccelerator> {
        let hw = match (hardware, pes, noc_bw, offchip_bw) {
            (Some(h), None, None, None) => h.0,
            (None, Some(p), Some(n), Some(o)) => HardwareConfig::new(p, n, o).build().py()?,
            _ => {
                return Err(bad_arg(
                    "Accelerator",
                    "(pes, noc_bw, offchip_bw, hardware)",
                    "give either pes, noc_bw and offchip_bw, or hardware=",
                ));
            }
        };
        Ok(PyAccelerator(Accel::new(hw, parse_dataflow(dataflow)?)))
    }

    /// Cost `layers` run one after another (the GIL is released while a larger network is
    /// costed; a few layers take microseconds, less than the release costs).
    fn evaluate(&self, py: Python<'_>, layers: Bound<'_, PyAny>) -> PyResult<PyCost> {
        let layers = layer_seq(&layers, &|| "layers".to_string())?;
        let cost = if layers.len() > 8 { py.detach(|| self.0.evaluate(&layers)) } else { self.0.evaluate(&layers) };
        Ok(PyCost(cost.py()?))
    }

    /// Cost one layer (cycles, energy in nJ).
    fn evaluate_layer(&self, layer: PyLayer) -> PyResult<(u64, f64)> {
        let r = self.0.evaluate_layer(&layer.0).py()?;
        Ok((r.cycles, r.energy_nj))
    }

    #[getter]
    fn hardware(&self) -> PyHardware {
        PyHardware(self.0.hardware.clone())
    }
    #[getter]
    fn dataflow(&self) -> &'static str {
        self.0.dataflow.name()
    }
    /// A short label such as `kc-p/256pe/noc600/off150`.
    #[getter]
    fn label(&self) -> String {
        self.0.label()
    }

    fn __repr__(&self) -> String {
        let h = &self.0.hardware;
        format!("Accelerator({}, {}, {}, {:?})", h.num_pes(), h.noc_bw(), h.offchip_bw(), self.0.dataflow.name())
    }
}

/// A network's cost: totals and per-layer numpy arrays.
#[pyclass(module = "edgeopt", name = "Cost", frozen)]
pub struct PyCost(pub NetworkCost);

#[pymethods]
impl PyCost {
    /// Total cycles.
    #[getter]
    fn cycles(&self) -> u64 {
        self.0.cycles
    }
    /// Total energy, nJ.
    #[getter]
    fn energy_nj(&self) -> f64 {
        self.0.energy_nj
    }
    /// Total MACs.
    #[getter]
    fn macs(&self) -> u64 {
        self.0.macs
    }
    /// Layer names, in network order.
    #[getter]
    fn layer_names(&self) -> Vec<String> {
        self.0.layers.iter().map(|l| l.name.clone()).collect()
    }
    /// Per-layer cycles (uint64).
    #[getter]
    fn layer_cycles<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u64>> {
        PyArray1::from_iter(py, self.0.layers.iter().map(|l| l.cycles))
    }
    /// Per-layer energy, nJ (float64).
    #[getter]
    fn layer_energy_nj<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_iter(py, self.0.layers.iter().map(|l| l.energy_nj))
    }
    /// Per-layer MACs (uint64).
    #[getter]
    fn layer_macs<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u64>> {
        PyArray1::from_iter(py, self.0.layers.iter().map(|l| l.macs))
    }

    fn __len__(&self) -> usize {
        self.0.layers.len()
    }

    /// `{"cycles": ..., "energy_nj": ..., "macs": ..., "layers": [...]}`, JSON-able.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::json::to_python(py, &self.0)
    }

    fn __repr__(&self) -> String {
        format!(
            "Cost(cycles={}, energy_nj={}, macs={}, layers={})",
            self.0.cycles,
            self.0.energy_nj,
            self.0.macs,
            self.0.layers.len()
        )
    }
}

/// A grid of accelerators (PEs × NoC × off-chip bandwidth × dataflow), dataflow-major and
/// off-chip fastest, as in the Rust crate.
#[pyclass(module = "edgeopt", name = "HardwareSpace", frozen, from_py_object)]
#[derive(Clone)]
pub struct PyHardwareSpace(pub HardwareSpace);

#[pymethods]
impl PyHardwareSpace {
    /// The thesis's 1,296-point grid.
    #[staticmethod]
    fn thesis() -> PyHardwareSpace {
        PyHardwareSpace(HardwareSpace::thesis())
    }
    /// The 162-point MAESTRO calibration grid.
    #[staticmethod]
    fn calibration() -> PyHardwareSpace {
        PyHardwareSpace(HardwareSpace::calibration())
    }
    /// Any grid: every combination of the given values.
    #[staticmethod]
    #[pyo3(signature = (pes, noc_bw, offchip_bw, dataflows = vec!["kc-p".to_string(), "yr-p".to_string(), "x-p".to_string()]))]
    fn grid(
        pes: Vec<u64>,
        noc_bw: Vec<u64>,
        offchip_bw: Vec<u64>,
        dataflows: Vec<String>,
    ) -> PyResult<PyHardwareSpace> {
        let dataflows = dataflows.iter().map(|d| parse_dataflow(d)).collect::<PyResult<Vec<_>>>()?;
        let space = HardwareSpace { pes, noc_bw, offchip_bw, dataflows, ..HardwareSpace::thesis() };
        space.validate().py()?;
        Ok(PyHardwareSpace(space))
    }

    fn __len__(&self) -> usize {
        self.0.len()
    }

    /// The accelerator at `index`.
    fn __getitem__(&self, index: isize) -> PyResult<PyAccelerator> {
        let n = self.0.len() as isize;
        let i = if index < 0 { index + n } else { index };
        if i < 0 || i >= n {
            return Err(pyo3::exceptions::PyIndexError::new_err(format!(
                "index {index} out of range for a space of {n} accelerators"
            )));
        }
        Ok(PyAccelerator(self.0.get(i as usize).py()?))
    }

    /// Labels of every accelerator, in index order.
    fn labels(&self) -> PyResult<Vec<String>> {
        Ok(self.0.enumerate().py()?.iter().map(Accel::label).collect())
    }

    #[getter]
    fn pes(&self) -> Vec<u64> {
        self.0.pes.clone()
    }
    #[getter]
    fn noc_bw(&self) -> Vec<u64> {
        self.0.noc_bw.clone()
    }
    #[getter]
    fn offchip_bw(&self) -> Vec<u64> {
        self.0.offchip_bw.clone()
    }
    #[getter]
    fn dataflows(&self) -> Vec<&'static str> {
        self.0.dataflows.iter().map(Dataflow::name).collect()
    }

    fn __repr__(&self) -> String {
        format!("HardwareSpace({} accelerators)", self.0.len())
    }
}

/// Two `(networks × accelerators)` matrices: cycles and energy (nJ).
pub type LatencyEnergy<'py> = (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray2<f64>>);

/// Latency (cycles) and energy (nJ) of every network on every accelerator of `space`, as two
/// `(networks × accelerators)` float64 arrays with NaN where a layer cannot run; computed in
/// parallel with the GIL released. Cycles are exact integers below 2^53. `networks` is a
/// `Networks` handle (fastest when costing the same networks repeatedly) or a sequence of
/// layer lists.
#[pyfunction]
pub fn cost_matrix<'py>(
    py: Python<'py>,
    networks: Bound<'py, PyAny>,
    space: &PyHardwareSpace,
) -> PyResult<LatencyEnergy<'py>> {
    let nets = crate::networks::networks_of(&networks, false)?;
    matrices(py, &nets, space)
}

/// The cost matrices of `nets` on `space`, computed with the GIL released.
pub fn matrices<'py>(py: Python<'py>, nets: &[Vec<Layer>], space: &PyHardwareSpace) -> PyResult<LatencyEnergy<'py>> {
    for (i, net) in nets.iter().enumerate() {
        if net.is_empty() {
            return Err(bad_arg(&format!("networks[{i}]"), "[]", "a network needs at least one layer"));
        }
    }
    let m = py.detach(|| space.0.cost_matrix_dense(nets, &EnergyModel::maestro()));
    let cycles = ndarray::Array2::from_shape_vec((m.rows, m.cols), m.cycles).py()?;
    let energy = ndarray::Array2::from_shape_vec((m.rows, m.cols), m.energy_nj).py()?;
    Ok((PyArray2::from_owned_array(py, cycles), PyArray2::from_owned_array(py, energy)))
}

/// Read our layer CSV (`name,type,k,c,r,s,y,x,stride[,groups][,batch]`).
#[pyfunction]
pub fn read_layers(path: PathBuf) -> PyResult<Vec<PyLayer>> {
    readable(&path)?;
    Ok(layer_csv::read(&path).py()?.into_iter().map(PyLayer).collect())
}

/// Read the layers of a MAESTRO mapping file (`.m`).
#[pyfunction]
pub fn read_maestro(path: PathBuf) -> PyResult<Vec<PyLayer>> {
    readable(&path)?;
    let text = layer_csv::read_text(&path).py()?;
    let net = maestro_file::parse_mapping(&text, &path.display().to_string()).py()?;
    Ok(net.layers.into_iter().map(|m| PyLayer(m.layer)).collect())
}

/// Import an ONNX model's shapes as layers. `input_shapes` maps input names to dimensions (or
/// gives one list for the only input) where the file leaves them symbolic.
#[pyfunction]
#[pyo3(signature = (path, input_shapes = None))]
pub fn read_onnx(path: PathBuf, input_shapes: Option<Bound<'_, PyAny>>) -> PyResult<Vec<PyLayer>> {
    let mut specs: Vec<String> = Vec::new();
    if let Some(shapes) = input_shapes {
        if let Ok(d) = shapes.cast::<PyDict>() {
            for (k, v) in d.iter() {
                let dims: Vec<u64> = v.extract()?;
                let dims: Vec<String> = dims.iter().map(u64::to_string).collect();
                specs.push(format!("{}={}", k.extract::<String>()?, dims.join(",")));
            }
        } else {
            let dims: Vec<u64> = shapes.extract()?;
            specs.push(dims.iter().map(u64::to_string).collect::<Vec<_>>().join(","));
        }
    }
    let shapes = edgeopt::onnx::InputShapes::parse_all(&specs).py()?;
    let net = edgeopt::onnx::load(&path, &shapes).py()?;
    Ok(net.layers.into_iter().map(PyLayer).collect())
}
