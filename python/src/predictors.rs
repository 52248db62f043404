//! Latency / accuracy predictors (linear, ridge, kernel ridge, MLP, GCN), AdaProxy adaptation
//! and rank metrics, with numpy in and out.

use edgeopt::predictors::metrics;
use edgeopt::predictors::ndarray::{Array1, ArrayView1, ArrayView2};
use edgeopt::predictors::nn::TrainConfig;
use edgeopt::predictors::{
    AdaProxy, AdaptablePredictor, AdaptedPredictor, Fit, FlatGraphGcn, GcnRegressor, Graph, Kernel, KernelRidge,
    KernelRidgeModel, LastLayerAdapted, LatencyPredictor, LinearPredictor, LinearRegression, MlpPredictor,
    MlpRegressor,
};
use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArray3};
use pyo3::prelude::*;
use serde::{Deserialize, Serialize};

use crate::errors::{IntoPy, bad_arg};

/// Every fitted model the package hands out, serialisable for pickle.
#[derive(Clone, Serialize, Deserialize)]
pub enum Model {
    Linear(LinearPredictor),
    KernelRidge(KernelRidgeModel),
    Mlp(MlpPredictor),
    Gcn(FlatGraphGcn),
    AdaptedLinear(AdaptedPredictor),
    AdaptedMlp(LastLayerAdapted),
    AdaptedGcn(<FlatGraphGcn as AdaptablePredictor>::Adapted),
}

impl Model {
    pub fn as_predictor(&self) -> &(dyn LatencyPredictor + Send + Sync) {
        match self {
            Model::Linear(m) => m,
            Model::KernelRidge(m) => m,
            Model::Mlp(m) => m,
            Model::Gcn(m) => m,
            Model::AdaptedLinear(m) => m,
            Model::AdaptedMlp(m) => m,
            Model::AdaptedGcn(m) => m,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Model::Linear(_) => "linear",
            Model::KernelRidge(_) => "kernel-ridge",
            Model::Mlp(_) => "mlp",
            Model::Gcn(_) => "gcn",
            Model::AdaptedLinear(_) => "adaproxy(linear)",
            Model::AdaptedMlp(_) => "adaproxy(mlp)",
            Model::AdaptedGcn(_) => "adaproxy(gcn)",
        }
    }
}

/// A fitted predictor: `predict(X)` gives one value per row of `X`.
#[pyclass(module = "edgeopt", name = "Predictor", frozen)]
pub struct PyPredictor(pub Model);

#[pymethods]
impl PyPredictor {
    /// Predict every row of `X` (2-D float64) or one feature vector (1-D).
    fn predict<'py>(&self, py: Python<'py>, x: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let p = self.0.as_predictor();
        if let Ok(m) = x.extract::<PyReadonlyArray2<f64>>() {
            let m = m.as_array();
            let out = py.detach(|| p.predict_batch(m)).py()?;
            return Ok(PyArray1::from_owned_array(py, out).into_any());
        }
        let v = x
            .extract::<PyReadonlyArray1<f64>>()
            .map_err(|_| bad_arg("X", "of this type", "expected a 1-D or 2-D float64 numpy array"))?;
        let out = p.predict(v.as_array()).py()?;
        Ok(out.into_pyobject(py)?.into_any())
    }

    /// Adapt this (proxy-device) predictor to a target device with AdaProxy (thesis eq. 3.3): fit
    /// on the training rows, choose λ by the validation rows' SRCC.
    #[pyo3(signature = (x_train, y_train, x_val, y_val, *, lambda_steps = 30, lambda_range = 1e5))]
    #[allow(clippy::too_many_arguments)]
    fn adapt(
        &self,
        py: Python<'_>,
        x_train: PyReadonlyArray2<'_, f64>,
        y_train: PyReadonlyArray1<'_, f64>,
        x_val: PyReadonlyArray2<'_, f64>,
        y_val: PyReadonlyArray1<'_, f64>,
        lambda_steps: usize,
        lambda_range: f64,
    ) -> PyResult<PyPredictor> {
        let ada = AdaProxy { lambda_steps, lambda_range, ..AdaProxy::default() };
        check_ada(&ada)?;
        let (xt, yt, xv, yv) = (x_train.as_array(), y_train.as_array(), x_val.as_array(), y_val.as_array());
        let model = py.detach(|| adapt_model(&self.0, &ada, xt, yt, xv, yv))?;
        Ok(PyPredictor(model))
    }

    /// Which model: `linear`, `kernel-ridge`, `mlp`, `gcn` or `adaproxy(...)`.
    #[getter]
    fn kind(&self) -> &'static str {
        self.0.kind()
    }

    /// Expected feature length.
    #[getter]
    fn n_features(&self) -> usize {
        self.0.as_predictor().n_features()
    }

    /// The linear weights (linear models only).
    #[getter]
    fn weights<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<f64>>> {
        match &self.0 {
            Model::Linear(m) => Ok(PyArray1::from_owned_array(py, m.weights.clone())),
            _ => Err(bad_arg("weights", self.0.kind(), "only linear predictors have weights")),
        }
    }

    fn __reduce__(&self, py: Python<'_>) -> PyResult<(Py<PyAny>, (String,))> {
        let f = py.import("edgeopt._native")?.getattr("_predictor_from_json")?;
        Ok((f.unbind(), (serde_json::to_string(&self.0).py()?,)))
    }

    fn __repr__(&self) -> String {
        format!("Predictor({}, n_features={})", self.0.kind(), self.0.as_predictor().n_features())
    }
}

/// Rebuild a pickled predictor (validated by its serde form).
#[pyfunction]
pub fn _predictor_from_json(state: &str) -> PyResult<PyPredictor> {
    Ok(PyPredictor(serde_json::from_str(state).py()?))
}

fn check_ada(ada: &AdaProxy) -> PyResult<()> {
    if ada.lambda_steps == 0 || ada.lambda_steps > 10_000 {
        return Err(bad_arg("lambda_steps", ada.lambda_steps, "must be in 1..=10000"));
    }
    if !(ada.lambda_range.is_finite() && ada.lambda_range >= 1.0) {
        return Err(bad_arg("lambda_range", ada.lambda_range, "must be finite and ≥ 1"));
    }
    Ok(())
}

fn adapt_model(
    m: &Model,
    ada: &AdaProxy,
    xt: ArrayView2<f64>,
    yt: ArrayView1<f64>,
    xv: ArrayView2<f64>,
    yv: ArrayView1<f64>,
) -> PyResult<Model> {
    m.adapt(ada, xt, yt, xv, yv).py()
}

/// Least squares with a ridge penalty (`ridge=0` for plain least squares; add a constant column
/// for an intercept).
#[pyfunction]
#[pyo3(signature = (x, y, *, ridge = 1e-8))]
pub fn fit_linear(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    y: PyReadonlyArray1<'_, f64>,
    ridge: f64,
) -> PyResult<PyPredictor> {
    if !(ridge.is_finite() && ridge >= 0.0) {
        return Err(bad_arg("ridge", ridge, "must be finite and ≥ 0"));
    }
    let (x, y) = (x.as_array(), y.as_array());
    let m = py.detach(|| LinearRegression { ridge }.fit(x, y)).py()?;
    Ok(PyPredictor(Model::Linear(m)))
}

/// Kernel ridge regression with an RBF (`kernel="rbf"`) or Laplacian kernel of width `gamma`.
#[pyfunction]
#[pyo3(signature = (x, y, *, kernel = "rbf", gamma = 1.0, alpha = 1e-3))]
pub fn fit_kernel_ridge(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    y: PyReadonlyArray1<'_, f64>,
    kernel: &str,
    gamma: f64,
    alpha: f64,
) -> PyResult<PyPredictor> {
    let kernel = match kernel {
        "rbf" => Kernel::Rbf { gamma },
        "laplacian" => Kernel::Laplacian { gamma },
        other => return Err(bad_arg("kernel", other, "expected rbf or laplacian")),
    };
    let (x, y) = (x.as_array(), y.as_array());
    let m = py.detach(|| KernelRidge { kernel, alpha }.fit(x, y)).py()?;
    Ok(PyPredictor(Model::KernelRidge(m)))
}

/// A multi-layer perceptron (ReLU, Adam) on standardised targets.
#[pyfunction]
#[pyo3(signature = (x, y, *, hidden = vec![64, 64], epochs = 300, lr = 1e-3, batch_size = Some(32), seed = 0))]
#[allow(clippy::too_many_arguments)]
pub fn fit_mlp(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    y: PyReadonlyArray1<'_, f64>,
    hidden: Vec<usize>,
    epochs: usize,
    lr: f64,
    batch_size: Option<usize>,
    seed: u64,
) -> PyResult<PyPredictor> {
    check_training(epochs, lr)?;
    let train =
        TrainConfig { optimizer: edgeopt::predictors::nn::Optimizer::adam(lr), epochs, batch_size, l2_to_init: 0.0 };
    let reg = MlpRegressor { hidden, train, seed, ..MlpRegressor::default() };
    let (x, y) = (x.as_array(), y.as_array());
    let m = py.detach(|| reg.fit(x, y)).py()?;
    Ok(PyPredictor(Model::Mlp(m)))
}

fn check_training(epochs: usize, lr: f64) -> PyResult<()> {
    if epochs == 0 || epochs > 1_000_000 {
        return Err(bad_arg("epochs", epochs, "must be in 1..=1000000"));
    }
    if !(lr.is_finite() && lr > 0.0) {
        return Err(bad_arg("lr", lr, "must be finite and > 0"));
    }
    Ok(())
}

/// A BRP-NAS-style graph convolutional predictor on graphs of a fixed node count:
/// `adjacency` is `(n, nodes, nodes)`, `features` `(n, nodes, node_features)`. The returned
/// predictor reads the flat layout (`flatten_graphs`) so AdaProxy can adapt it like any other.
#[pyfunction]
#[pyo3(signature = (adjacency, features, y, *, hidden = vec![32, 32, 32], epochs = 60, lr = 3e-3, seed = 0))]
#[allow(clippy::too_many_arguments)]
pub fn fit_gcn(
    py: Python<'_>,
    adjacency: PyReadonlyArray3<'_, f64>,
    features: PyReadonlyArray3<'_, f64>,
    y: PyReadonlyArray1<'_, f64>,
    hidden: Vec<usize>,
    epochs: usize,
    lr: f64,
    seed: u64,
) -> PyResult<PyPredictor> {
    check_training(epochs, lr)?;
    let graphs = graphs_of(adjacency, features)?;
    let (nodes, nf) = (graphs[0].features.nrows(), graphs[0].features.ncols());
    let y = y.as_array();
    let reg = GcnRegressor { hidden, lr, epochs, seed };
    let gcn = py.detach(|| reg.fit(&graphs, y)).py()?;
    Ok(PyPredictor(Model::Gcn(FlatGraphGcn::new(gcn, nodes, nf))))
}

fn graphs_of(adjacency: PyReadonlyArray3<'_, f64>, features: PyReadonlyArray3<'_, f64>) -> PyResult<Vec<Graph>> {
    let (a, f) = (adjacency.as_array(), features.as_array());
    let (n, nodes, nodes2) = a.dim();
    let (nf_n, f_nodes, _) = f.dim();
    if nodes != nodes2 || nf_n != n || f_nodes != nodes || n == 0 {
        return Err(bad_arg(
            "adjacency/features shapes",
            format!("{:?}/{:?}", a.shape(), f.shape()),
            "expected (n, nodes, nodes) and (n, nodes, node_features) with n ≥ 1",
        ));
    }
    Ok((0..n)
        .map(|i| Graph {
            adjacency: a.index_axis(ndarray::Axis(0), i).to_owned(),
            features: f.index_axis(ndarray::Axis(0), i).to_owned(),
        })
        .collect())
}

/// The flat layout GCN predictors read: per graph, the adjacency then the node features.
#[pyfunction]
pub fn flatten_graphs<'py>(
    py: Python<'py>,
    adjacency: PyReadonlyArray3<'py, f64>,
    features: PyReadonlyArray3<'py, f64>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let graphs = graphs_of(adjacency, features)?;
    let rows: Vec<Array1<f64>> = graphs.iter().map(Graph::flatten).collect();
    let width = rows[0].len();
    let m = ndarray::Array2::from_shape_fn((rows.len(), width), |(i, j)| rows[i][j]);
    Ok(PyArray2::from_owned_array(py, m))
}

fn vec_of(a: PyReadonlyArray1<'_, f64>) -> Vec<f64> {
    a.as_array().to_vec()
}

/// Spearman's rank correlation (average ranks for ties).
#[pyfunction]
pub fn spearman(a: PyReadonlyArray1<'_, f64>, b: PyReadonlyArray1<'_, f64>) -> PyResult<f64> {
    metrics::spearman(&vec_of(a), &vec_of(b)).py()
}

/// Kendall's τ-b.
#[pyfunction]
pub fn kendall(a: PyReadonlyArray1<'_, f64>, b: PyReadonlyArray1<'_, f64>) -> PyResult<f64> {
    metrics::kendall_tau(&vec_of(a), &vec_of(b)).py()
}

/// Pairwise Spearman correlations of the columns of `m` (NaN = missing, dropped pairwise).
#[pyfunction]
pub fn srcc_matrix<'py>(py: Python<'py>, m: PyReadonlyArray2<'py, f64>) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let m = m.as_array();
    let cols: Vec<Vec<Option<f64>>> =
        m.columns().into_iter().map(|c| c.iter().map(|&v| if v.is_nan() { None } else { Some(v) }).collect()).collect();
    let out = metrics::srcc_matrix(&cols).py()?;
    let k = out.len();
    Ok(PyArray2::from_owned_array(py, ndarray::Array2::from_shape_fn((k, k), |(i, j)| out[i][j])))
}

// `Model` is itself an adaptable predictor, so the co-design workflows (generic over
// `AdaptablePredictor`) take whichever model a Python user fitted.
impl LatencyPredictor for Model {
    fn n_features(&self) -> usize {
        self.as_predictor().n_features()
    }
    fn predict(&self, x: ArrayView1<f64>) -> edgeopt::predictors::Result<f64> {
        self.as_predictor().predict(x)
    }
    fn predict_batch(&self, x: ArrayView2<f64>) -> edgeopt::predictors::Result<Array1<f64>> {
        self.as_predictor().predict_batch(x)
    }
}

impl AdaptablePredictor for Model {
    type Adapted = Model;
    fn adapt(
        &self,
        ada: &AdaProxy,
        xt: ArrayView2<f64>,
        yt: ArrayView1<f64>,
        xv: ArrayView2<f64>,
        yv: ArrayView1<f64>,
    ) -> edgeopt::predictors::Result<Model> {
        Ok(match self {
            Model::Linear(p) => Model::AdaptedLinear(p.adapt(ada, xt, yt, xv, yv)?),
            Model::Mlp(p) => Model::AdaptedMlp(p.adapt(ada, xt, yt, xv, yv)?),
            Model::Gcn(p) => Model::AdaptedGcn(p.adapt(ada, xt, yt, xv, yv)?),
            other => {
                return Err(edgeopt::predictors::PredictorError::InvalidParam {
                    name: "predictor",
                    value: other.kind().to_string(),
                    reason: "only linear, mlp and gcn predictors can be adapted",
                });
            }
        })
    }
}
