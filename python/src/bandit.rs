//! Aquaman's policies for a Python serving loop (`select` → ticket and arm, later `feedback`),
//! with pickle support (the simulators are in `simulate.rs`).

use edgeopt::bandit::{Confidence, Exploration, LinUcb, NeuralBandit, NeuralConfig, Policy, RandomPolicy, ZUpdate};
use numpy::PyReadonlyArray2;
use pyo3::prelude::*;
use serde::{Deserialize, Serialize};

use crate::errors::{IntoPy, bad_arg};

/// Every policy the package hands out, serialisable for pickle.
#[derive(Clone, Serialize, Deserialize)]
pub enum AnyPolicy {
    Neural(Box<NeuralBandit>),
    Lin(LinUcb),
    Random(RandomPolicy),
}

impl AnyPolicy {
    pub(crate) fn policy(&mut self) -> &mut dyn Policy {
        match self {
            AnyPolicy::Neural(p) => p.as_mut(),
            AnyPolicy::Lin(p) => p,
            AnyPolicy::Random(p) => p,
        }
    }
}

/// A policy with its round counter: the state a serving loop keeps between requests.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct State {
    pub(crate) policy: AnyPolicy,
    pub(crate) round: u64,
}

/// An online model-selection policy with delayed feedback (`NeuralUCB`, `NeuralTS`,
/// `NeuralEpsilonGreedy`, `LinUCB`, `RandomPolicy` build one).
#[pyclass(module = "edgeopt", name = "Bandit")]
pub struct PyBandit {
    pub(crate) state: State,
}

fn neural(d: usize, cfg: NeuralConfig) -> PyResult<PyBandit> {
    Ok(PyBandit { state: State { policy: AnyPolicy::Neural(Box::new(NeuralBandit::new(d, cfg).py()?)), round: 0 } })
}

fn confidence_of(name: &str) -> PyResult<Confidence> {
    match name {
        "diagonal" => Ok(Confidence::Diagonal),
        "full" => Ok(Confidence::Full),
        "last-layer" => Ok(Confidence::LastLayer),
        other => Err(bad_arg("confidence", other, "expected diagonal, full or last-layer")),
    }
}

#[allow(clippy::too_many_arguments)]
fn neural_config(
    exploration: Exploration,
    width: usize,
    lambda: f64,
    gamma: f64,
    lr: f64,
    retrain_every: usize,
    retrain_steps: usize,
    confidence: &str,
    z_on_arrival: bool,
    depth: usize,
    seed: u64,
) -> PyResult<NeuralConfig> {
    Ok(NeuralConfig {
        depth,
        width,
        lambda,
        gamma,
        lr,
        retrain_every,
        retrain_steps,
        exploration,
        confidence: confidence_of(confidence)?,
        z_update: if z_on_arrival { ZUpdate::OnArrival } else { ZUpdate::AtSelection },
        seed,
        ..NeuralConfig::default()
    })
}

/// NeuralUCB over `d`-dimensional contexts (the reference protocol's defaults).
#[pyfunction(name = "NeuralUCB")]
#[pyo3(signature = (d, *, width = 100, lambda_ = 1e-3, gamma = 0.1, lr = 0.01, retrain_every = 100, retrain_steps = 100, confidence = "diagonal", z_on_arrival = false, depth = 2, seed = 0))]
#[allow(clippy::too_many_arguments)]
pub fn neural_ucb(
    d: usize,
    width: usize,
    lambda_: f64,
    gamma: f64,
    lr: f64,
    retrain_every: usize,
    retrain_steps: usize,
    confidence: &str,
    z_on_arrival: bool,
    depth: usize,
    seed: u64,
) -> PyResult<PyBandit> {
    let cfg = neural_config(
        Exploration::Ucb,
        width,
        lambda_,
        gamma,
        lr,
        retrain_every,
        retrain_steps,
        confidence,
        z_on_arrival,
        depth,
        seed,
    )?;
    neural(d, cfg)
}

/// NeuralTS: Thompson sampling with the same network and confidence matrix.
#[pyfunction(name = "NeuralTS")]
#[pyo3(signature = (d, *, width = 100, lambda_ = 1e-3, gamma = 0.1, lr = 0.01, retrain_every = 100, retrain_steps = 100, confidence = "diagonal", z_on_arrival = false, depth = 2, seed = 0))]
#[allow(clippy::too_many_arguments)]
pub fn neural_ts(
    d: usize,
    width: usize,
    lambda_: f64,
    gamma: f64,
    lr: f64,
    retrain_every: usize,
    retrain_steps: usize,
    confidence: &str,
    z_on_arrival: bool,
    depth: usize,
    seed: u64,
) -> PyResult<PyBandit> {
    let cfg = neural_config(
        Exploration::Thompson,
        width,
        lambda_,
        gamma,
        lr,
        retrain_every,
        retrain_steps,
        confidence,
        z_on_arrival,
        depth,
        seed,
    )?;
    neural(d, cfg)
}

/// Neural ε-greedy: a random arm with probability `epsilon`, else the network's best.
#[pyfunction(name = "NeuralEpsilonGreedy")]
#[pyo3(signature = (d, epsilon = 0.1, *, width = 100, lambda_ = 1e-3, lr = 0.01, retrain_every = 100, retrain_steps = 100, depth = 2, seed = 0))]
#[allow(clippy::too_many_arguments)]
pub fn neural_epsilon_greedy(
    d: usize,
    epsilon: f64,
    width: usize,
    lambda_: f64,
    lr: f64,
    retrain_every: usize,
    retrain_steps: usize,
    depth: usize,
    seed: u64,
) -> PyResult<PyBandit> {
    if !(0.0..=1.0).contains(&epsilon) {
        return Err(bad_arg("epsilon", epsilon, "must be in [0, 1]"));
    }
    let cfg = neural_config(
        Exploration::EpsilonGreedy(epsilon),
        width,
        lambda_,
        0.0,
        lr,
        retrain_every,
        retrain_steps,
        "diagonal",
        false,
        depth,
        seed,
    )?;
    neural(d, cfg)
}

/// LinUCB with ridge `lambda_` and exploration `alpha`.
#[pyfunction(name = "LinUCB")]
#[pyo3(signature = (d, *, lambda_ = 1.0, alpha = 0.1, seed = 0))]
pub fn lin_ucb(d: usize, lambda_: f64, alpha: f64, seed: u64) -> PyResult<PyBandit> {
    Ok(PyBandit { state: State { policy: AnyPolicy::Lin(LinUcb::new(d, lambda_, alpha, seed).py()?), round: 0 } })
}

/// Uniformly random arms (a baseline).
#[pyfunction(name = "RandomPolicy")]
#[pyo3(signature = (*, seed = 0))]
pub fn random_policy(seed: u64) -> PyBandit {
    PyBandit { state: State { policy: AnyPolicy::Random(RandomPolicy::new(seed)), round: 0 } }
}

#[pymethods]
impl PyBandit {
    /// Choose an arm among the rows of `contexts` (`(arms, d)` float64). Returns
    /// `(ticket, arm)`; report the reward later with `feedback(ticket, reward)`.
    #[pyo3(signature = (contexts, *, round = None))]
    fn select(
        &mut self,
        py: Python<'_>,
        contexts: PyReadonlyArray2<'_, f64>,
        round: Option<u64>,
    ) -> PyResult<(u64, usize)> {
        let d = self.select_detail(py, contexts, round)?;
        Ok((d.id, d.arm))
    }

    /// Like `select`, with the score, exploration bonus and propensity as a dict.
    #[pyo3(signature = (contexts, *, round = None))]
    fn select_with_details<'py>(
        &mut self,
        py: Python<'py>,
        contexts: PyReadonlyArray2<'py, f64>,
        round: Option<u64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let d = self.select_detail(py, contexts, round)?;
        crate::json::to_python(py, &d)
    }

    /// Report the reward of ticket `ticket` (any number of rounds later; once).
    fn feedback(&mut self, ticket: u64, reward: f64) -> PyResult<()> {
        if !reward.is_finite() {
            return Err(bad_arg("reward", reward, "must be finite"));
        }
        self.state.policy.policy().feedback(ticket, reward).py()
    }

    /// Forget the open tickets with ids below `before` (ids grow with every selection); returns
    /// how many were dropped.
    fn expire(&mut self, before: u64) -> usize {
        self.state.policy.policy().expire(before)
    }

    /// The policy's name (`neural-ucb`, `lin-ucb`, ...).
    #[getter]
    fn name(&mut self) -> String {
        self.state.policy.policy().name()
    }

    /// Rounds selected so far (the next `select`'s default round).
    #[getter]
    fn round(&self) -> u64 {
        self.state.round
    }

    fn __getstate__(&self) -> PyResult<String> {
        serde_json::to_string(&self.state).py()
    }

    fn __setstate__(&mut self, state: &str) -> PyResult<()> {
        self.state = serde_json::from_str(state).py()?;
        Ok(())
    }

    fn __getnewargs__(&self) -> (usize,) {
        (0,)
    }

    #[new]
    #[pyo3(signature = (_placeholder = 0))]
    fn py_new(_placeholder: usize) -> PyBandit {
        // Only for unpickling (`__setstate__` fills the state in); users build policies with
        // NeuralUCB(...), LinUCB(...), ...
        random_policy(0)
    }

    fn __repr__(&mut self) -> String {
        format!("Bandit({}, round={})", self.state.policy.policy().name(), self.state.round)
    }
}

impl PyBandit {
    fn select_detail(
        &mut self,
        py: Python<'_>,
        contexts: PyReadonlyArray2<'_, f64>,
        round: Option<u64>,
    ) -> PyResult<edgeopt::bandit::Decision> {
        let ctx = contexts.as_array();
        if let Some((i, v)) = ctx.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(bad_arg(&format!("contexts (flat index {i})"), v, "must be finite"));
        }
        let t = round.unwrap_or(self.state.round);
        let state = &mut self.state;
        let d = py.detach(|| state.policy.policy().select(t, ctx)).py()?;
        self.state.round = t.saturating_add(1).max(self.state.round);
        Ok(d)
    }
}
