//! `edgeopt.Layer`: one DNN layer in MAESTRO's dimensions, built through validating constructors.

use edgeopt::accel_sim::{Layer, LayerType};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::{IntoPy, bad_arg};

/// One DNN layer in MAESTRO's dimensions (`y`, `x` are the unpadded input rows and columns).
#[pyclass(module = "edgeopt", name = "Layer", frozen, eq, hash, from_py_object)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PyLayer(pub Layer);

fn checked(l: Layer) -> PyResult<PyLayer> {
    l.validate().py()?;
    Ok(PyLayer(l))
}

#[pymethods]
impl PyLayer {
    /// A layer of any type: kind is CONV, DSCONV, NGCONV, TRCONV, GEMM or FC.
    #[new]
    #[pyo3(signature = (name, kind = "CONV", *, k = 1, c = 1, r = 1, s = 1, y = 1, x = 1, stride = 1, stride_x = None, groups = 1, batch = 1))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        name: &str,
        kind: &str,
        k: u64,
        c: u64,
        r: u64,
        s: u64,
        y: u64,
        x: u64,
        stride: u64,
        stride_x: Option<u64>,
        groups: u64,
        batch: u64,
    ) -> PyResult<PyLayer> {
        let kind = LayerType::parse(kind)
            .ok_or_else(|| bad_arg("kind", kind, "expected CONV, DSCONV, NGCONV, TRCONV, GEMM or FC"))?;
        let mut l = Layer::conv(name, k, c, r, s, y, x, stride);
        l.kind = kind;
        l.stride_x = stride_x.unwrap_or(stride);
        l.groups = groups;
        l.batch = batch;
        checked(l)
    }

    /// A dense convolution on an unpadded `y × x` input.
    #[staticmethod]
    #[pyo3(signature = (name, k, c, r, s, y, x, stride = 1))]
    #[allow(clippy::too_many_arguments)]
    fn conv(name: &str, k: u64, c: u64, r: u64, s: u64, y: u64, x: u64, stride: u64) -> PyResult<PyLayer> {
        checked(Layer::conv(name, k, c, r, s, y, x, stride))
    }

    /// A dense convolution with "same" padding on an `h × w` feature map.
    #[staticmethod]
    #[pyo3(signature = (name, k, c, r, s, h, w, stride = 1))]
    #[allow(clippy::too_many_arguments)]
    fn conv_same(name: &str, k: u64, c: u64, r: u64, s: u64, h: u64, w: u64, stride: u64) -> PyResult<PyLayer> {
        checked(Layer::conv_same(name, k, c, r, s, h, w, stride))
    }

    /// A depthwise convolution over `c` channels on an unpadded input.
    #[staticmethod]
    #[pyo3(signature = (name, c, r, s, y, x, stride = 1))]
    fn depthwise(name: &str, c: u64, r: u64, s: u64, y: u64, x: u64, stride: u64) -> PyResult<PyLayer> {
        checked(Layer::depthwise(name, c, r, s, y, x, stride))
    }

    /// A grouped convolution from PyTorch-style channel totals.
    #[staticmethod]
    #[pyo3(signature = (name, groups, out_channels, in_channels, r, s, y, x, stride = 1))]
    #[allow(clippy::too_many_arguments)]
    fn grouped(
        name: &str,
        groups: u64,
        out_channels: u64,
        in_channels: u64,
        r: u64,
        s: u64,
        y: u64,
        x: u64,
        stride: u64,
    ) -> PyResult<PyLayer> {
        checked(Layer::grouped(name, groups, out_channels, in_channels, r, s, y, x, stride).py()?)
    }

    /// A fully connected layer `in_features → out_features`.
    #[staticmethod]
    fn fc(name: &str, out_features: u64, in_features: u64) -> PyResult<PyLayer> {
        checked(Layer::fc(name, out_features, in_features))
    }

    /// A matrix multiply `(m × k)·(k × n)`.
    #[staticmethod]
    fn gemm(name: &str, m: u64, n: u64, k: u64) -> PyResult<PyLayer> {
        checked(Layer::gemm(name, m, n, k))
    }

    #[getter]
    fn name(&self) -> &str {
        &self.0.name
    }
    #[getter]
    fn kind(&self) -> String {
        self.0.kind.to_string()
    }
    #[getter]
    fn k(&self) -> u64 {
        self.0.k
    }
    #[getter]
    fn c(&self) -> u64 {
        self.0.c
    }
    #[getter]
    fn r(&self) -> u64 {
        self.0.r
    }
    #[getter]
    fn s(&self) -> u64 {
        self.0.s
    }
    #[getter]
    fn y(&self) -> u64 {
        self.0.y
    }
    #[getter]
    fn x(&self) -> u64 {
        self.0.x
    }
    #[getter]
    fn stride_y(&self) -> u64 {
        self.0.stride_y
    }
    #[getter]
    fn stride_x(&self) -> u64 {
        self.0.stride_x
    }
    #[getter]
    fn groups(&self) -> u64 {
        self.0.groups
    }
    #[getter]
    fn batch(&self) -> u64 {
        self.0.batch
    }
    /// Multiply-accumulates.
    #[getter]
    fn macs(&self) -> u64 {
        self.0.macs()
    }
    /// Weight count.
    #[getter]
    fn weights(&self) -> u64 {
        self.0.weights()
    }

    fn __repr__(&self) -> String {
        let l = &self.0;
        format!(
            "Layer({:?}, {:?}, k={}, c={}, r={}, s={}, y={}, x={}, stride={}, stride_x={}, groups={}, batch={})",
            l.name,
            l.kind.to_string(),
            l.k,
            l.c,
            l.r,
            l.s,
            l.y,
            l.x,
            l.stride_y,
            l.stride_x,
            l.groups,
            l.batch
        )
    }

    fn __getnewargs_ex__<'py>(&self, py: Python<'py>) -> PyResult<((String, String), Bound<'py, PyDict>)> {
        let l = &self.0;
        let kw = PyDict::new(py);
        for (k, v) in [
            ("k", l.k),
            ("c", l.c),
            ("r", l.r),
            ("s", l.s),
            ("y", l.y),
            ("x", l.x),
            ("stride", l.stride_y),
            ("stride_x", l.stride_x),
            ("groups", l.groups),
            ("batch", l.batch),
        ] {
            kw.set_item(k, v)?;
        }
        Ok(((l.name.clone(), l.kind.to_string()), kw))
    }
}

/// A sequence of `Layer`s, read without intermediate copies (lists take a fast path; this is
/// most of the per-network cost of `cost_matrix` for small networks).
pub fn layer_seq(obj: &Bound<'_, PyAny>, what: &dyn Fn() -> String) -> PyResult<Vec<Layer>> {
    layer_seq_with(obj, what, true)
}

/// [`layer_seq`], keeping the layer names only when `names` (the cost matrix ignores them, and
/// copying a million names is most of what reading the networks costs).
pub fn layer_seq_with(obj: &Bound<'_, PyAny>, what: &dyn Fn() -> String, names: bool) -> PyResult<Vec<Layer>> {
    let one = |item: Bound<'_, PyAny>| -> PyResult<Layer> {
        match item.cast::<PyLayer>() {
            Ok(l) => {
                let l = &l.get().0;
                Ok(if names { l.clone() } else { Layer { name: String::new(), ..*l } })
            }
            Err(_) => Err(bad_arg(&what(), item.get_type().name()?, "expected edgeopt.Layer objects")),
        }
    };
    if let Ok(list) = obj.cast::<pyo3::types::PyList>() {
        return list.iter().map(one).collect();
    }
    if obj.is_instance_of::<pyo3::types::PyString>() {
        return Err(bad_arg(&what(), "a str", "expected a sequence of edgeopt.Layer"));
    }
    obj.try_iter()?.map(|item| one(item?)).collect()
}
