//! Evolutionary search and NSGA-II over a built-in space, with a Python callable as the
//! objective (called with architecture keys; batches under `batch=True`).

use edgeopt::nas::{BoxError, Constraints, Evaluation, EvolutionConfig, Fitness, Nsga2Config, Objective, SearchSpace};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::errors::bad_arg;
use crate::nas::PySpace;

/// A Python callable as an objective: called with one key (or, with `batch=True`, a list of
/// keys) and returning values (or a list of them).
pub struct PyObjective {
    func: Py<PyAny>,
    batch: bool,
}

/// How to read one returned value.
pub(crate) trait FromPyValue: Sized {
    fn from_py(v: &Bound<'_, PyAny>) -> PyResult<Self>;
}

impl FromPyValue for Evaluation {
    fn from_py(v: &Bound<'_, PyAny>) -> PyResult<Evaluation> {
        if let Ok(d) = v.cast::<PyDict>() {
            let get = |k: &str| -> PyResult<Option<f64>> { d.get_item(k)?.map(|x| x.extract()).transpose() };
            let acc = get("accuracy")?.ok_or_else(|| bad_arg("objective value", v, "a dict needs `accuracy`"))?;
            let lat = get("latency")?.ok_or_else(|| bad_arg("objective value", v, "a dict needs `latency`"))?;
            return Ok(Evaluation::new(acc, lat).with_energy(get("energy")?.unwrap_or(0.0)));
        }
        let vals: Vec<f64> = v
            .extract()
            .map_err(|_| bad_arg("objective value", v, "expected (accuracy, latency[, energy]) or a dict"))?;
        match vals.as_slice() {
            [a, l] => Ok(Evaluation::new(*a, *l)),
            [a, l, e] => Ok(Evaluation::new(*a, *l).with_energy(*e)),
            _ => Err(bad_arg("objective value", v, "expected (accuracy, latency[, energy])")),
        }
    }
}

impl FromPyValue for Vec<f64> {
    fn from_py(v: &Bound<'_, PyAny>) -> PyResult<Vec<f64>> {
        v.extract().map_err(|_| bad_arg("objective value", v, "expected a sequence of floats to minimise"))
    }
}

pub(crate) struct Typed<'a, S, V> {
    pub(crate) space: &'a S,
    pub(crate) objective: &'a PyObjective,
    pub(crate) _v: std::marker::PhantomData<fn() -> V>,
}

impl<S: SearchSpace, V: FromPyValue + edgeopt::nas::ObjectiveValues> Objective<S::Arch> for Typed<'_, S, V> {
    type Output = V;
    fn evaluate(&self, arch: &S::Arch) -> Result<V, BoxError> {
        let mut v = self.evaluate_batch(std::slice::from_ref(arch))?;
        v.pop().ok_or_else(|| "the objective returned no value".into())
    }
    fn evaluate_batch(&self, archs: &[S::Arch]) -> Result<Vec<V>, BoxError> {
        let keys: Vec<String> = archs.iter().map(|a| self.space.key(a)).collect();
        Python::attach(|py| -> PyResult<Vec<V>> {
            let f = self.objective.func.bind(py);
            if self.objective.batch {
                let out = f.call1((PyList::new(py, &keys)?,))?;
                let items: Vec<Bound<'_, PyAny>> = out
                    .extract()
                    .map_err(|_| bad_arg("batch objective result", &out, "expected a list with one value per key"))?;
                if items.len() != keys.len() {
                    return Err(bad_arg(
                        "batch objective result",
                        format!("{} values", items.len()),
                        &format!("expected {} (one per key)", keys.len()),
                    ));
                }
                items.iter().map(V::from_py).collect()
            } else {
                keys.iter().map(|k| V::from_py(&f.call1((k,))?)).collect()
            }
        })
        .map_err(|e| Box::new(e) as BoxError)
    }
}

fn objective(func: Bound<'_, PyAny>, batch: bool) -> PyResult<PyObjective> {
    if !func.is_callable() {
        return Err(bad_arg("objective", &func, "must be callable"));
    }
    Ok(PyObjective { func: func.unbind(), batch })
}

/// OFA-style evolutionary search. `objective(key) -> (accuracy, latency[, energy])` (or a dict
/// with those keys); with `batch=True` it gets a list of keys and returns a list of values.
/// `t=None` maximises accuracy under the constraints; `t` in [0, 1] minimises eq. 3.4's weighted
/// fitness. Returns `{"best", "population", "values", "evaluations", "generations"}`.
#[pyfunction]
#[pyo3(signature = (space, objective_fn, *, population = 100, generations = 20, parent_ratio = 0.25, mutation_ratio = 0.25, mutation_prob = 0.1, max_latency = None, max_energy = None, t = None, seed = 0, batch = false))]
#[allow(clippy::too_many_arguments)]
pub fn evolution<'py>(
    py: Python<'py>,
    space: &PySpace,
    objective_fn: Bound<'py, PyAny>,
    population: usize,
    generations: usize,
    parent_ratio: f64,
    mutation_ratio: f64,
    mutation_prob: f64,
    max_latency: Option<f64>,
    max_energy: Option<f64>,
    t: Option<f64>,
    seed: u64,
    batch: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let obj = objective(objective_fn, batch)?;
    let cfg = EvolutionConfig {
        population,
        generations,
        parent_ratio,
        mutation_ratio,
        mutation_prob,
        seed,
        ..EvolutionConfig::default()
    };
    let fitness = t.map_or(Fitness::Accuracy, |t| Fitness::Weighted { t });
    space.inner.evolution(py, &obj, Constraints { max_latency, max_energy }, fitness, cfg)
}

/// NSGA-II over `objective(key) -> [f1, f2, ...]` (all minimised). Returns the final Pareto
/// front: `{"front": keys, "values", "evaluations", "generations"}`.
#[pyfunction]
#[pyo3(signature = (space, objective_fn, *, population = 100, generations = 50, mutation_prob = 0.1, seed = 0, batch = false))]
#[allow(clippy::too_many_arguments)]
pub fn nsga2<'py>(
    py: Python<'py>,
    space: &PySpace,
    objective_fn: Bound<'py, PyAny>,
    population: usize,
    generations: usize,
    mutation_prob: f64,
    seed: u64,
    batch: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let obj = objective(objective_fn, batch)?;
    space.inner.nsga2(py, &obj, Nsga2Config { population, generations, mutation_prob, seed })
}
