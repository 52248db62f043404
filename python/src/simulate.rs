//! The bandit simulators for Python: classification, synthetic and measured-device worlds, each
//! advancing a policy in place and returning the run's totals and per-round arrays.

use edgeopt::bandit::ndarray::Array2;
use edgeopt::bandit::{Classification, Delay, DeviceWorld, SimConfig, Synthetic, SyntheticReward, simulate};
use numpy::{PyArray1, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::bandit::PyBandit;
use crate::errors::{IntoPy, bad_arg};

fn delay_of(max_delay: u64, loss: f64) -> PyResult<Delay> {
    if !(0.0..=1.0).contains(&loss) {
        return Err(bad_arg("loss", loss, "must be in [0, 1]"));
    }
    Ok(if loss > 0.0 {
        Delay::Missing { max: max_delay.max(1), p: loss }
    } else if max_delay == 0 {
        Delay::None
    } else {
        Delay::Uniform { max: max_delay }
    })
}

fn curve_dict<'py>(py: Python<'py>, c: &edgeopt::bandit::Curve) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    out.set_item("regret", c.regret())?;
    out.set_item("mean_reward", c.mean_reward())?;
    out.set_item("hit_ratio", c.hit_ratio())?;
    out.set_item("cumulative_regret", PyArray1::from_slice(py, &c.cumulative_regret))?;
    out.set_item("reward", PyArray1::from_slice(py, &c.reward))?;
    out.set_item("arm", PyArray1::from_iter(py, c.arm.iter().map(|&a| a as u64)))?;
    Ok(out)
}

/// Simulate `policy` on a classification bandit (one arm per class, reward 1 for the true
/// class; features are encoded disjointly per arm), with rewards delayed uniformly by up to
/// `max_delay` rounds and lost with probability `loss`. The policy is advanced in place.
#[pyfunction]
#[pyo3(signature = (policy, features, labels, rounds, *, max_delay = 0, loss = 0.0, seed = 0))]
#[allow(clippy::too_many_arguments)]
pub fn simulate_classification<'py>(
    py: Python<'py>,
    policy: &mut PyBandit,
    features: PyReadonlyArray2<'py, f64>,
    labels: PyReadonlyArray1<'py, i64>,
    rounds: u64,
    max_delay: u64,
    loss: f64,
    seed: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let labels: Vec<usize> = labels
        .as_array()
        .iter()
        .map(|&l| usize::try_from(l).map_err(|_| bad_arg("labels", l, "must be ≥ 0")))
        .collect::<PyResult<_>>()?;
    let features: Array2<f64> = features.as_array().to_owned();
    let mut env = Classification::new(features, labels, seed).py()?;
    let cfg = SimConfig::new(rounds, delay_of(max_delay, loss)?, seed ^ 0x5EED);
    let state = &mut policy.state;
    let curve = py.detach(|| simulate(&mut env, state.policy.policy(), &cfg)).py()?;
    state.round = state.round.max(rounds);
    curve_dict(py, &curve)
}

/// Simulate `policy` in the measured-device QoE world: `arms` NAS-Bench-201 models from the
/// accuracy–compute front with their real accuracies and real latencies on the six HW-NAS-Bench
/// devices, devices arriving idle, busy or throttled, users with different latency tolerances
/// (build the policy for `devices_context_len()` features).
#[pyfunction]
#[pyo3(signature = (policy, rounds, *, arms = 10, noise = 0.05, max_delay = 0, loss = 0.0, seed = 0))]
#[allow(clippy::too_many_arguments)]
pub fn simulate_devices<'py>(
    py: Python<'py>,
    policy: &mut PyBandit,
    rounds: u64,
    arms: usize,
    noise: f64,
    max_delay: u64,
    loss: f64,
    seed: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let table = edgeopt::zoo::nb201_hwnasbench().py()?;
    let models = DeviceWorld::pareto_models(&table, arms).py()?;
    let mut env = DeviceWorld::new(models, noise, seed).py()?;
    let cfg = SimConfig::new(rounds, delay_of(max_delay, loss)?, seed ^ 0x5EED);
    let state = &mut policy.state;
    let curve = py.detach(|| simulate(&mut env, state.policy.policy(), &cfg)).py()?;
    state.round = state.round.max(rounds);
    curve_dict(py, &curve)
}

/// Context length `d` of the measured-device world (build the policy with it).
#[pyfunction]
pub fn devices_context_len() -> PyResult<usize> {
    let table = edgeopt::zoo::nb201_hwnasbench().py()?;
    let world = DeviceWorld::new(DeviceWorld::pareto_models(&table, 2).py()?, 0.0, 0).py()?;
    Ok(edgeopt::bandit::Environment::dim(&world))
}

/// Simulate `policy` on a synthetic bandit (sec. 2.5.3's h1/h2/h3 rewards over `arms` arms with
/// `d`-dimensional contexts on the unit sphere, Gaussian noise).
#[pyfunction]
#[pyo3(signature = (policy, reward, arms, d, rounds, *, noise = 0.1, max_delay = 0, loss = 0.0, seed = 0))]
#[allow(clippy::too_many_arguments)]
pub fn simulate_synthetic<'py>(
    py: Python<'py>,
    policy: &mut PyBandit,
    reward: &str,
    arms: usize,
    d: usize,
    rounds: u64,
    noise: f64,
    max_delay: u64,
    loss: f64,
    seed: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let kind = match reward {
        "h1" => SyntheticReward::H1,
        "h2" => SyntheticReward::H2,
        "h3" => SyntheticReward::H3,
        other => return Err(bad_arg("reward", other, "expected h1, h2 or h3")),
    };
    let mut env = Synthetic::new(kind, arms, d, noise, seed).py()?;
    let cfg = SimConfig::new(rounds, delay_of(max_delay, loss)?, seed ^ 0x5EED);
    let state = &mut policy.state;
    let curve = py.detach(|| simulate(&mut env, state.policy.policy(), &cfg)).py()?;
    state.round = state.round.max(rounds);
    curve_dict(py, &curve)
}
