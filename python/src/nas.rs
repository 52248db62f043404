//! `edgeopt.Space` (every built-in search space by name), and evolutionary search / NSGA-II
//! driven by a Python callable.

use edgeopt::nas::rand::SeedableRng;
use edgeopt::nas::rand::rngs::ChaCha8Rng;
use edgeopt::nas::{
    AttentiveNas, Constraints, Darts, Encode, Evaluation, Evolution, EvolutionConfig, FbNet, Fitness, Lower,
    MobileNetSpace, Nb201, Nsga2, Nsga2Config, Search, SearchSpace,
};
use numpy::{PyArray1, PyArray2};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use std::collections::HashMap;

use edgeopt::codesign::one_proxy::{Member, OneProxyConfig, OneProxyResult};
use edgeopt::codesign::{FnDevice, Measurement};

use crate::accel::PyLayer;
use crate::codesign::measurement_of;
use crate::errors::{IntoPy, bad_arg};
use crate::predictors::Model;
use crate::search::{PyObjective, Typed};

/// The names `Space(name)` accepts, with what each is.
pub const SPACES: [(&str, &str); 11] = [
    ("nb201", "NAS-Bench-201, CIFAR-10 input (15,625 cells)"),
    ("nb201-cifar100", "NAS-Bench-201, CIFAR-100 head"),
    ("nb201-imagenet16", "NAS-Bench-201, ImageNet16-120 input and head"),
    ("mbv2", "OFA / ProxylessNAS MobileNetV2 space (widths ×1.3)"),
    ("mbv2-1.0", "MobileNetV2 space with MobileNetV2's widths"),
    ("mbv3", "OFA MobileNetV3 space"),
    ("alphanet", "the thesis's fixed-width AlphaNet variant"),
    ("attentivenas", "the full AttentiveNAS / AlphaNet space"),
    ("fbnet", "FBNet, ImageNet"),
    ("fbnet-cifar", "FBNet, CIFAR-100 input"),
    ("darts", "DARTS / NAS-Bench-301 genotypes, CIFAR-10"),
];

/// A search space seen through architecture keys: everything Python needs, object-safe.
pub trait DynSpace: Send + Sync {
    fn name(&self) -> &'static str;
    fn size(&self) -> f64;
    fn canonical(&self, key: &str) -> PyResult<String>;
    fn sample(&self, rng: &mut ChaCha8Rng) -> String;
    fn mutate(&self, key: &str, prob: f64, rng: &mut ChaCha8Rng) -> PyResult<String>;
    fn crossover(&self, a: &str, b: &str, rng: &mut ChaCha8Rng) -> PyResult<String>;
    fn layers(&self, key: &str) -> PyResult<Vec<edgeopt::accel_sim::Layer>>;
    fn macs(&self, key: &str) -> PyResult<u64>;
    fn params(&self, key: &str) -> PyResult<u64>;
    fn encode(&self, key: &str) -> PyResult<Vec<f64>>;
    fn encoding_len(&self) -> usize;
    fn enumerate(&self) -> Option<Vec<String>>;
    fn smallest(&self) -> Option<String>;
    fn largest(&self) -> Option<String>;
    fn evolution<'py>(
        &self,
        py: Python<'py>,
        objective: &PyObjective,
        constraints: Constraints,
        fitness: Fitness,
        cfg: EvolutionConfig,
    ) -> PyResult<Bound<'py, PyDict>>;
    fn nsga2<'py>(&self, py: Python<'py>, objective: &PyObjective, cfg: Nsga2Config) -> PyResult<Bound<'py, PyDict>>;
    #[allow(clippy::too_many_arguments)]
    fn one_proxy(
        &self,
        py: Python<'_>,
        keys: &[String],
        accuracy: &[f64],
        proxy: &Model,
        target: Py<PyAny>,
        cfg: &OneProxyConfig,
        seed: u64,
    ) -> PyResult<OneProxyResult<String>>;
}

impl<S> DynSpace for S
where
    S: Lower + Encode + Send + Sync,
{
    fn name(&self) -> &'static str {
        SearchSpace::name(self)
    }
    fn size(&self) -> f64 {
        SearchSpace::size(self)
    }
    fn canonical(&self, key: &str) -> PyResult<String> {
        Ok(self.key(&self.parse_key(key).py()?))
    }
    fn sample(&self, rng: &mut ChaCha8Rng) -> String {
        self.key(&SearchSpace::sample(self, rng))
    }
    fn mutate(&self, key: &str, prob: f64, rng: &mut ChaCha8Rng) -> PyResult<String> {
        if !(0.0..=1.0).contains(&prob) {
            return Err(bad_arg("prob", prob, "must be in [0, 1]"));
        }
        let a = self.parse_key(key).py()?;
        Ok(self.key(&SearchSpace::mutate(self, &a, prob, rng)))
    }
    fn crossover(&self, a: &str, b: &str, rng: &mut ChaCha8Rng) -> PyResult<String> {
        let (a, b) = (self.parse_key(a).py()?, self.parse_key(b).py()?);
        Ok(self.key(&SearchSpace::crossover(self, &a, &b, rng)))
    }
    fn layers(&self, key: &str) -> PyResult<Vec<edgeopt::accel_sim::Layer>> {
        Ok(Lower::layers(self, &self.parse_key(key).py()?))
    }
    fn macs(&self, key: &str) -> PyResult<u64> {
        Ok(Lower::macs(self, &self.parse_key(key).py()?))
    }
    fn params(&self, key: &str) -> PyResult<u64> {
        Ok(Lower::params(self, &self.parse_key(key).py()?))
    }
    fn encode(&self, key: &str) -> PyResult<Vec<f64>> {
        Ok(Encode::encode(self, &self.parse_key(key).py()?).to_vec())
    }
    fn encoding_len(&self) -> usize {
        Encode::encoding_len(self)
    }
    fn enumerate(&self) -> Option<Vec<String>> {
        SearchSpace::enumerate(self).map(|all| all.iter().map(|a| self.key(a)).collect())
    }
    fn smallest(&self) -> Option<String> {
        SearchSpace::smallest(self).map(|a| self.key(&a))
    }
    fn largest(&self) -> Option<String> {
        SearchSpace::largest(self).map(|a| self.key(&a))
    }
    fn evolution<'py>(
        &self,
        py: Python<'py>,
        objective: &PyObjective,
        constraints: Constraints,
        fitness: Fitness,
        cfg: EvolutionConfig,
    ) -> PyResult<Bound<'py, PyDict>> {
        let typed = Typed::<S, Evaluation> { space: self, objective, _v: std::marker::PhantomData };
        let (state, values, evaluations) = py
            .detach(|| {
                let mut evo = Evolution::new(self, &typed, constraints, fitness, cfg)?;
                let state = evo.run(None)?;
                let values = state.population.iter().map(|a| evo.evaluation(a)).collect::<Result<Vec<_>, _>>()?;
                Ok::<_, edgeopt::nas::NasError>((state, values, evo.evaluations()))
            })
            .py()?;
        let out = PyDict::new(py);
        let keys: Vec<String> = state.population.iter().map(|a| self.key(a)).collect();
        let best = keys.first().cloned().filter(|_| values.first().is_some_and(|v| constraints.admits(v)));
        out.set_item("best", best)?;
        out.set_item("population", keys)?;
        let rows: Vec<[f64; 3]> = values.iter().map(|v| [v.accuracy, v.latency, v.energy]).collect();
        out.set_item("values", rows)?;
        out.set_item("evaluations", evaluations)?;
        out.set_item("generations", state.generation)?;
        Ok(out)
    }
    fn nsga2<'py>(&self, py: Python<'py>, objective: &PyObjective, cfg: Nsga2Config) -> PyResult<Bound<'py, PyDict>> {
        let typed = Typed::<S, Vec<f64>> { space: self, objective, _v: std::marker::PhantomData };
        let (front, evaluations, generation) = py
            .detach(|| {
                let mut search = Nsga2::new(self, &typed, cfg)?;
                let state = search.run(None)?;
                Ok::<_, edgeopt::nas::NasError>((search.front(&state), search.evaluations(), state.generation))
            })
            .py()?;
        let out = PyDict::new(py);
        out.set_item("front", front.iter().map(|(a, _)| self.key(a)).collect::<Vec<_>>())?;
        out.set_item("values", front.into_iter().map(|(_, v)| v).collect::<Vec<_>>())?;
        out.set_item("evaluations", evaluations)?;
        out.set_item("generations", generation)?;
        Ok(out)
    }
    fn one_proxy(
        &self,
        py: Python<'_>,
        keys: &[String],
        accuracy: &[f64],
        proxy: &Model,
        target: Py<PyAny>,
        cfg: &OneProxyConfig,
        seed: u64,
    ) -> PyResult<OneProxyResult<String>> {
        let (archs, acc) = parsed(self, keys, accuracy)?;
        let device = FnDevice::new("target", |a: &S::Arch| -> Result<Measurement, PyErr> {
            let key = self.key(a);
            Python::attach(|py| measurement_of(&target.bind(py).call1((key,))?))
        });
        let accuracy_of = |a: &S::Arch| acc.get(a).copied().unwrap_or(f64::NAN);
        let r = py
            .detach(|| {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                edgeopt::codesign::one_proxy::one_proxy(self, &archs, &accuracy_of, proxy, &device, cfg, &mut rng)
            })
            .py()?;
        Ok(OneProxyResult {
            srcc_estimate: r.srcc_estimate,
            adapted: r.adapted,
            srcc_adapted: r.srcc_adapted,
            measurements_used: r.measurements_used,
            set: r
                .set
                .into_iter()
                .map(|m| Member { arch: self.key(&m.arch), accuracy: m.accuracy, latency: m.latency })
                .collect(),
        })
    }
}

/// Architectures and an accuracy lookup by architecture.
type Parsed<A> = (Vec<A>, HashMap<A, f64>);

/// The candidates' architectures and an accuracy lookup.
fn parsed<S: SearchSpace>(space: &S, keys: &[String], accuracy: &[f64]) -> PyResult<Parsed<S::Arch>> {
    let archs = keys.iter().map(|k| space.parse_key(k)).collect::<Result<Vec<_>, _>>().py()?;
    if let Some((i, v)) = accuracy.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(bad_arg(&format!("accuracy[{i}]"), v, "must be finite"));
    }
    let map = archs.iter().cloned().zip(accuracy.iter().copied()).collect();
    Ok((archs, map))
}

/// Build a space by name.
pub fn space_by_name(name: &str) -> PyResult<Box<dyn DynSpace>> {
    Ok(match name {
        "nb201" => Box::new(Nb201::cifar10()),
        "nb201-cifar100" => Box::new(Nb201::cifar100()),
        "nb201-imagenet16" => Box::new(Nb201::imagenet16()),
        "mbv2" => Box::new(MobileNetSpace::ofa_proxyless()),
        "mbv2-1.0" => Box::new(MobileNetSpace::mobilenet_v2()),
        "mbv3" => Box::new(MobileNetSpace::ofa_mobilenet_v3()),
        "alphanet" => Box::new(MobileNetSpace::alphanet()),
        "attentivenas" => Box::new(AttentiveNas::alphanet()),
        "fbnet" => Box::new(FbNet::imagenet()),
        "fbnet-cifar" => Box::new(FbNet::cifar100()),
        "darts" => Box::new(Darts::cifar10()),
        other => {
            let names: Vec<&str> = SPACES.iter().map(|(n, _)| *n).collect();
            return Err(bad_arg("space", other, &format!("available spaces are {}", names.join(", "))));
        }
    })
}

/// A built-in search space, addressed by architecture keys (strings).
#[pyclass(module = "edgeopt", name = "Space", frozen)]
pub struct PySpace {
    id: String,
    pub inner: Box<dyn DynSpace>,
}

#[pymethods]
impl PySpace {
    /// `Space("nb201")`; `Space.names()` lists every name.
    #[new]
    fn new(name: &str) -> PyResult<PySpace> {
        Ok(PySpace { id: name.to_string(), inner: space_by_name(name)? })
    }

    /// Every accepted name with a one-line description.
    #[staticmethod]
    fn names() -> Vec<(&'static str, &'static str)> {
        SPACES.to_vec()
    }

    /// The name the space was built from.
    #[getter]
    fn name(&self) -> &str {
        &self.id
    }

    /// Number of architectures (may be astronomically large; `inf` when unknown).
    #[getter]
    fn size(&self) -> f64 {
        self.inner.size()
    }

    /// Length of `encode`'s feature vector.
    #[getter]
    fn encoding_len(&self) -> usize {
        self.inner.encoding_len()
    }

    /// `n` random architecture keys, reproducible from `seed`.
    #[pyo3(signature = (n, seed = 0))]
    fn sample(&self, n: usize, seed: u64) -> PyResult<Vec<String>> {
        if n > 100_000_000 {
            return Err(bad_arg("n", n, "at most 100,000,000"));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        Ok((0..n).map(|_| self.inner.sample(&mut rng)).collect())
    }

    /// The canonical form of a key (an error names what is wrong with a bad one).
    fn canonical(&self, key: &str) -> PyResult<String> {
        self.inner.canonical(key)
    }

    /// A mutation of `key`: each choice redrawn with probability `prob`.
    #[pyo3(signature = (key, seed = 0, prob = 0.1))]
    fn mutate(&self, key: &str, seed: u64, prob: f64) -> PyResult<String> {
        self.inner.mutate(key, prob, &mut ChaCha8Rng::seed_from_u64(seed))
    }

    /// A child of `a` and `b`, each choice taken from one parent at random.
    #[pyo3(signature = (a, b, seed = 0))]
    fn crossover(&self, a: &str, b: &str, seed: u64) -> PyResult<String> {
        self.inner.crossover(a, b, &mut ChaCha8Rng::seed_from_u64(seed))
    }

    /// The architecture lowered to accelerator layers.
    fn layers(&self, key: &str) -> PyResult<Vec<PyLayer>> {
        Ok(self.inner.layers(key)?.into_iter().map(PyLayer).collect())
    }

    /// Multiply-accumulates.
    fn macs(&self, key: &str) -> PyResult<u64> {
        self.inner.macs(key)
    }

    /// Parameters.
    fn params(&self, key: &str) -> PyResult<u64> {
        self.inner.params(key)
    }

    /// Feature vector (float64) of one key, or an `(n, encoding_len)` matrix of a list of keys.
    fn encode<'py>(&self, py: Python<'py>, key: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        if let Ok(k) = key.extract::<String>() {
            return Ok(PyArray1::from_vec(py, self.inner.encode(&k)?).into_any());
        }
        let keys: Vec<String> = key.extract().map_err(|_| bad_arg("key", &key, "expected a key or a list of keys"))?;
        let d = self.inner.encoding_len();
        let mut flat = Vec::with_capacity(keys.len() * d);
        for k in &keys {
            flat.extend(self.inner.encode(k)?);
        }
        let m = ndarray::Array2::from_shape_vec((keys.len(), d), flat).py()?;
        Ok(PyArray2::from_owned_array(py, m).into_any())
    }

    /// Every key in enumeration order (spaces of at most 10^7 members; an error otherwise).
    fn enumerate(&self) -> PyResult<Vec<String>> {
        if self.inner.size() > 1e7 {
            return Err(bad_arg("space", &self.id, "too large to enumerate (more than 10^7 members)"));
        }
        self.inner.enumerate().ok_or_else(|| bad_arg("space", &self.id, "cannot be enumerated"))
    }

    /// The smallest architecture's key, if the space has one.
    fn smallest(&self) -> Option<String> {
        self.inner.smallest()
    }

    /// The largest architecture's key, if the space has one.
    fn largest(&self) -> Option<String> {
        self.inner.largest()
    }

    fn __repr__(&self) -> String {
        format!("Space({:?})", self.id)
    }
}
