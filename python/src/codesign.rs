//! Co-design workflows: semi-decoupled co-design on numpy matrices (alg. 6 and its baselines),
//! the lazy two-stage form over devices given as Python callables or accelerators, one-proxy NAS
//! (alg. 5) and bisection (alg. 1). Results are plain dicts, as the CLI's JSON.

use edgeopt::accel_sim::{Accel, Accelerator as _};
use edgeopt::codesign::semi_decoupled::{Outcome, Problem};
use edgeopt::codesign::{Bisection, CodesignError, Device, Measurement, TwoStage, weighted_argmin};
use numpy::{PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::accel::PyAccelerator;
use crate::errors::{IntoPy, bad_arg};
use crate::json::to_python;
use crate::nas::PySpace;

/// Read a Python measurement: a float (latency), `(latency, energy)` or a dict with those keys.
pub fn measurement_of(v: &Bound<'_, PyAny>) -> PyResult<Measurement> {
    if let Ok(d) = v.cast::<PyDict>() {
        let lat: f64 =
            d.get_item("latency")?.ok_or_else(|| bad_arg("measurement", v, "a dict needs `latency`"))?.extract()?;
        let energy: f64 = d.get_item("energy")?.map(|e| e.extract()).transpose()?.unwrap_or(0.0);
        return Ok(Measurement { latency: lat, energy });
    }
    if let Ok(l) = v.extract::<f64>() {
        return Ok(Measurement { latency: l, energy: 0.0 });
    }
    let (latency, energy): (f64, f64) =
        v.extract().map_err(|_| bad_arg("measurement", v, "expected latency, (latency, energy) or a dict"))?;
    Ok(Measurement { latency, energy })
}

/// A device: a Python callable called with a candidate, or one of our accelerators costing a
/// space's architecture keys.
enum AnyDevice<'a> {
    Callable { name: String, f: Py<PyAny>, candidates: &'a Py<PyList> },
    Accel { accel: Accel, space: &'a PySpace, keys: &'a [String] },
}

impl Device<usize> for AnyDevice<'_> {
    fn name(&self) -> &str {
        match self {
            AnyDevice::Callable { name, .. } => name,
            AnyDevice::Accel { .. } => "accelerator",
        }
    }
    fn measure(&self, i: &usize) -> edgeopt::codesign::Result<Measurement> {
        match self {
            AnyDevice::Callable { name, f, candidates } => Python::attach(|py| {
                let arg = candidates.bind(py).get_item(*i)?;
                let m = measurement_of(&f.bind(py).call1((arg,))?)?;
                Ok::<_, PyErr>(m)
            })
            .map_err(|e| CodesignError::Device {
                device: name.clone(),
                key: format!("candidate {i}"),
                source: Box::new(e),
            }),
            AnyDevice::Accel { accel, space, keys } => {
                let layers = space.inner.layers(&keys[*i]).map_err(|e| CodesignError::Device {
                    device: accel.label(),
                    key: keys[*i].clone(),
                    source: Box::new(e),
                })?;
                let cost = accel.evaluate(&layers)?;
                Ok(Measurement { latency: cost.cycles as f64, energy: cost.energy_nj })
            }
        }
    }
}

fn matrix_rows(m: PyReadonlyArray2<'_, f64>) -> Vec<Vec<Option<f64>>> {
    m.as_array()
        .rows()
        .into_iter()
        .map(|r| r.iter().map(|&v| if v.is_nan() { None } else { Some(v) }).collect())
        .collect()
}

fn outcome<'py>(py: Python<'py>, o: &Outcome) -> PyResult<Bound<'py, PyAny>> {
    to_python(py, o)
}

/// Semi-decoupled co-design (thesis alg. 6) on full matrices, beside its baselines.
///
/// `latency`, `energy`: `(architectures × accelerators)` float64, NaN where a pair cannot run.
/// For each constraint pair (given, or a `k_latency × k_energy` grid over the proxy's range) the
/// result holds the semi-decoupled, fully-coupled and fully-decoupled designs with the number of
/// pairs each evaluates.
#[pyfunction]
#[pyo3(signature = (accuracy, latency, energy, *, admissible = None, proxy = 0, max_set = 10, constraints = None, k_latency = 3, k_energy = 3))]
#[allow(clippy::too_many_arguments)]
pub fn semi_decoupled<'py>(
    py: Python<'py>,
    accuracy: PyReadonlyArray1<'py, f64>,
    latency: PyReadonlyArray2<'py, f64>,
    energy: PyReadonlyArray2<'py, f64>,
    admissible: Option<Vec<bool>>,
    proxy: usize,
    max_set: usize,
    constraints: Option<Vec<(f64, f64)>>,
    k_latency: usize,
    k_energy: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let acc = accuracy.as_array().to_vec();
    if let Some((i, v)) = acc.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(bad_arg(&format!("accuracy[{i}]"), v, "must be finite"));
    }
    let (lat, en) = (matrix_rows(latency), matrix_rows(energy));
    let nh = lat.first().map_or(0, Vec::len);
    let admissible = admissible.unwrap_or_else(|| vec![true; nh]);
    let problem = Problem { accuracy: &acc, latency: &lat, energy: &en, admissible: &admissible };
    if proxy >= nh {
        return Err(bad_arg("proxy", proxy, &format!("must be an accelerator index < {nh}")));
    }
    let pairs = match constraints {
        Some(c) => c,
        None => problem.constraint_grid(proxy, k_latency, k_energy).py()?,
    };
    let set = problem.pareto_set(proxy, max_set).py()?;
    let rows = PyList::empty(py);
    for &(l, e) in &pairs {
        let row = PyDict::new(py);
        row.set_item("latency", l)?;
        row.set_item("energy", e)?;
        row.set_item("semi_decoupled", outcome(py, &problem.semi_decoupled(&set, l, e).py()?)?)?;
        row.set_item("fully_coupled", outcome(py, &problem.fully_coupled(l, e).py()?)?)?;
        row.set_item("fully_decoupled", outcome(py, &problem.fully_decoupled(proxy, l, e).py()?)?)?;
        rows.append(row)?;
    }
    let out = PyDict::new(py);
    out.set_item("proxy", proxy)?;
    out.set_item("set", set)?;
    out.set_item("constraints", rows)?;
    Ok(out)
}

/// Stage 1 of alg. 6 on one proxy's measurements: the indices (ascending) of the
/// latency–energy–accuracy Pareto set, at most `max_set` members evenly thinned by latency —
/// the rule `two_stage` and `semi_decoupled` use. NaN latency/energy: the candidate cannot run.
#[pyfunction]
pub fn proxy_pareto_set(
    accuracy: PyReadonlyArray1<'_, f64>,
    latency: PyReadonlyArray1<'_, f64>,
    energy: PyReadonlyArray1<'_, f64>,
    max_set: usize,
) -> PyResult<Vec<usize>> {
    let acc = accuracy.as_array().to_vec();
    if let Some((i, v)) = acc.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(bad_arg(&format!("accuracy[{i}]"), v, "must be finite"));
    }
    let col = |a: PyReadonlyArray1<'_, f64>| -> Vec<Vec<Option<f64>>> {
        a.as_array().iter().map(|&v| vec![if v.is_nan() { None } else { Some(v) }]).collect()
    };
    let (lat, en) = (col(latency), col(energy));
    let problem = Problem { accuracy: &acc, latency: &lat, energy: &en, admissible: &[true] };
    problem.pareto_set(0, max_set).py()
}

/// Two-stage co-design measuring only what alg. 6 needs: every candidate on the proxy device,
/// then the proxy's Pareto set (≤ `max_set`) on every admissible device.
///
/// `devices` are Python callables `f(candidate) -> latency | (latency, energy) | dict`, or
/// `Accelerator`s (then `candidates` are architecture keys of `space`). Returns the set, the
/// measurement counts and the best design for each `(latency, energy)` constraint.
#[pyfunction]
#[pyo3(signature = (candidates, accuracy, devices, constraints, *, admissible = None, proxy = 0, max_set = 10, space = None))]
#[allow(clippy::too_many_arguments)]
pub fn two_stage<'py>(
    py: Python<'py>,
    candidates: Bound<'py, PyList>,
    accuracy: Vec<f64>,
    devices: Vec<Bound<'py, PyAny>>,
    constraints: Vec<(f64, f64)>,
    admissible: Option<Vec<bool>>,
    proxy: usize,
    max_set: usize,
    space: Option<PyRef<'py, PySpace>>,
) -> PyResult<Bound<'py, PyDict>> {
    let cands: Py<PyList> = candidates.clone().unbind();
    let keys: Vec<String> = match &space {
        Some(_) => {
            candidates.extract().map_err(|_| bad_arg("candidates", "list", "with space=, candidates are keys"))?
        }
        None => Vec::new(),
    };
    let mut devs: Vec<AnyDevice<'_>> = Vec::with_capacity(devices.len());
    for (h, d) in devices.iter().enumerate() {
        if let Ok(a) = d.extract::<PyAccelerator>() {
            let Some(space) = space.as_deref() else {
                return Err(bad_arg(&format!("devices[{h}]"), "an Accelerator", "needs space= to lower the keys"));
            };
            devs.push(AnyDevice::Accel { accel: a.0, space, keys: &keys });
        } else if d.is_callable() {
            devs.push(AnyDevice::Callable { name: format!("devices[{h}]"), f: d.clone().unbind(), candidates: &cands });
        } else {
            return Err(bad_arg(&format!("devices[{h}]"), d, "expected a callable or an Accelerator"));
        }
    }
    let n = candidates.len();
    let admissible = admissible.unwrap_or_else(|| vec![true; devs.len()]);
    let idx: Vec<usize> = (0..n).collect();
    let (stage, hw, designs) = py
        .detach(|| {
            let study = TwoStage::new(&idx, &accuracy, &devs, &admissible)?;
            let stage = study.proxy_stage(proxy, max_set)?;
            let hw = study.hardware_stage(&stage)?;
            let designs: Vec<_> = constraints.iter().map(|&(l, e)| study.best(&stage, &hw, l, e)).collect();
            Ok::<_, CodesignError>((stage, hw, designs))
        })
        .py()?;
    let out = PyDict::new(py);
    out.set_item("set", stage.set.clone())?;
    out.set_item("proxy_measurements", stage.measurements)?;
    out.set_item("hardware_measurements", hw.measurements)?;
    let rows = PyList::empty(py);
    for (&(l, e), d) in constraints.iter().zip(&designs) {
        let row = PyDict::new(py);
        row.set_item("latency", l)?;
        row.set_item("energy", e)?;
        row.set_item("design", to_python(py, d)?)?;
        rows.append(row)?;
    }
    out.set_item("designs", rows)?;
    Ok(out)
}

/// Bisection on `t` (thesis alg. 1): the most accurate candidate whose latency measured on
/// `target` meets `constraint` (within `delta`), designing with the proxy's latencies and
/// measuring at most ⌈log2(1/granularity)⌉ + 1 candidates. `target` is a callable
/// `f(index) -> latency` or an array of measured latencies.
#[pyfunction]
#[pyo3(signature = (accuracy, proxy_latency, target, constraint, *, delta = 0.0, granularity = 1.0 / 64.0))]
pub fn bisection<'py>(
    py: Python<'py>,
    accuracy: Vec<f64>,
    proxy_latency: Vec<f64>,
    target: Bound<'py, PyAny>,
    constraint: f64,
    delta: f64,
    granularity: f64,
) -> PyResult<Bound<'py, PyDict>> {
    if accuracy.len() != proxy_latency.len() || accuracy.is_empty() {
        return Err(bad_arg(
            "accuracy/proxy_latency",
            format!("{}/{} values", accuracy.len(), proxy_latency.len()),
            "need the same non-zero length",
        ));
    }
    for (name, v) in [("accuracy", &accuracy), ("proxy_latency", &proxy_latency)] {
        if let Some((i, x)) = v.iter().enumerate().find(|(_, x)| !x.is_finite()) {
            return Err(bad_arg(&format!("{name}[{i}]"), x, "must be finite"));
        }
    }
    let table: Option<Vec<f64>> = if target.is_callable() { None } else { Some(target.extract()?) };
    if let Some(t) = &table
        && t.len() != accuracy.len()
    {
        return Err(bad_arg("target", format!("{} latencies", t.len()), "need one per candidate"));
    }
    let f = target.unbind();
    let device = edgeopt::codesign::FnDevice::new("target", |i: &usize| -> Result<Measurement, PyErr> {
        match &table {
            Some(t) => Ok(Measurement { latency: t[*i], energy: 0.0 }),
            None => Python::attach(|py| measurement_of(&f.bind(py).call1((*i,))?)),
        }
    });
    let result = py
        .detach(|| {
            let mut b = Bisection::new(|t: f64| {
                let i = weighted_argmin(&accuracy, &proxy_latency, t).ok_or(CodesignError::InvalidParam {
                    name: "accuracy",
                    value: "[]".into(),
                    reason: "no candidates".into(),
                })?;
                Ok((i, accuracy[i]))
            });
            b.find(&device, constraint, delta, granularity)
        })
        .py()?;
    let out = PyDict::new(py);
    out.set_item("arch", result.arch)?;
    out.set_item("t", result.t)?;
    out.set_item("latency", result.latency)?;
    out.set_item("measurements", result.measurements)?;
    Ok(out)
}

/// One-proxy NAS (thesis alg. 5): measure a sample of `candidates` on `target` (a callable
/// `f(key) -> latency | (latency, energy)`), adapt `proxy` (a fitted `Predictor` on the space's
/// encoding) with AdaProxy if its SRCC is below `threshold`, and return the target's
/// Pareto-optimal set with every measurement counted (at most `max_measurements` when given).
#[pyfunction]
#[pyo3(signature = (space, candidates, accuracy, proxy, target, *, samples = 40, threshold = 0.9, extra_step = 10, max_extra = 20, select = "random", seed = 0, max_measurements = None))]
#[allow(clippy::too_many_arguments)]
pub fn one_proxy<'py>(
    py: Python<'py>,
    space: &PySpace,
    candidates: Vec<String>,
    accuracy: Vec<f64>,
    proxy: &crate::predictors::PyPredictor,
    target: Bound<'py, PyAny>,
    samples: usize,
    threshold: f64,
    extra_step: usize,
    max_extra: usize,
    select: &str,
    seed: u64,
    max_measurements: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    if accuracy.len() != candidates.len() {
        return Err(bad_arg("accuracy", format!("{} values", accuracy.len()), "need one per candidate"));
    }
    if !target.is_callable() {
        return Err(bad_arg("target", &target, "must be callable"));
    }
    let select: edgeopt::codesign::Selection = select.parse().map_err(|_| {
        let names = edgeopt::codesign::Selection::NAMES.join(", ");
        bad_arg("select", select, &format!("expected one of {names}"))
    })?;
    let cfg = edgeopt::codesign::one_proxy::OneProxyConfig {
        samples,
        threshold,
        extra_step,
        max_extra,
        select,
        max_measurements,
    };
    let result = space.inner.one_proxy(py, &candidates, &accuracy, &proxy.0, target.unbind(), &cfg, seed)?;
    to_python(py, &result)
}
