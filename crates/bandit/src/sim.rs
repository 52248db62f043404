//! The simulator: T rounds with delayed (or missing) rewards, regret against the oracle.

use std::collections::BTreeMap;

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::env::{Environment, Round};
use crate::error::{BanditError, Result};
use crate::policy::Policy;

/// When rewards arrive.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Delay {
    /// At the start of the next round.
    None,
    /// After `d ~ Uniform{1..max}` rounds (at the start of round s + d, before its decision).
    Uniform {
        /// Largest delay.
        max: u64,
    },
    /// Uniform delay, and each reward is lost with probability `p`.
    Missing {
        /// Largest delay.
        max: u64,
        /// Loss probability.
        p: f64,
    },
}

/// Simulation settings. The environment, the delays and the policy use independent seeds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SimConfig {
    /// Rounds.
    pub rounds: u64,
    /// Reward delays.
    pub delay: Delay,
    /// Seed of the delay stream.
    pub delay_seed: u64,
    /// QoS filter (thesis sec. 2.4.5): arms whose latency on the round's device exceeds this are
    /// not offered (when the environment reports latencies; the fastest arm stays if none qualifies).
    pub qos_max_latency: Option<f64>,
}

impl SimConfig {
    /// `rounds` rounds with the given delays, no QoS filter.
    pub fn new(rounds: u64, delay: Delay, delay_seed: u64) -> SimConfig {
        SimConfig { rounds, delay, delay_seed, qos_max_latency: None }
    }
}

/// Indices of the arms a QoS bound admits this round.
fn admitted(round: &Round, qos: Option<f64>) -> Vec<usize> {
    let k = round.rewards.len();
    match (qos, &round.latency) {
        (Some(max), Some(lat)) => {
            let ok: Vec<usize> = (0..k).filter(|&a| lat.get(a).is_some_and(|l| *l <= max)).collect();
            if ok.is_empty() { (0..k).min_by(|&a, &b| lat[a].total_cmp(&lat[b])).into_iter().collect() } else { ok }
        }
        _ => (0..k).collect(),
    }
}

/// A per-round record of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    /// Reward of the chosen arm in each round.
    pub reward: Vec<f64>,
    /// Cumulative regret against the per-round best arm.
    pub cumulative_regret: Vec<f64>,
    /// Chosen arm per round.
    pub arm: Vec<usize>,
    /// Whether the chosen arm was a best arm.
    pub hit: Vec<bool>,
}

impl Curve {
    /// Final cumulative regret.
    pub fn regret(&self) -> f64 {
        self.cumulative_regret.last().copied().unwrap_or(0.0)
    }

    /// Time-average reward.
    pub fn mean_reward(&self) -> f64 {
        self.reward.iter().sum::<f64>() / self.reward.len().max(1) as f64
    }

    /// Fraction of rounds where a best arm was chosen (top-1 hit ratio).
    pub fn hit_ratio(&self) -> f64 {
        self.hit.iter().filter(|h| **h).count() as f64 / self.hit.len().max(1) as f64
    }

    /// Selections per arm.
    pub fn selections(&self, arms: usize) -> Vec<usize> {
        let mut c = vec![0; arms];
        for &a in &self.arm {
            if a < arms {
                c[a] += 1;
            }
        }
        c
    }

    /// CSV with one row per round.
    pub fn to_csv(&self) -> String {
        let mut s = String::from("round,arm,reward,cumulative_regret\n");
        for t in 0..self.reward.len() {
            s.push_str(&format!("{},{},{},{}\n", t + 1, self.arm[t], self.reward[t], self.cumulative_regret[t]));
        }
        s
    }
}

fn best(r: &Round) -> f64 {
    r.rewards.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

fn best_of(r: &Round, arms: &[usize]) -> f64 {
    arms.iter().map(|&a| r.rewards[a]).fold(f64::NEG_INFINITY, f64::max)
}

/// Run `policy` on `env`.
pub fn simulate<E: Environment, P: Policy + ?Sized>(env: &mut E, policy: &mut P, cfg: &SimConfig) -> Result<Curve> {
    let mut delays = ChaCha8Rng::seed_from_u64(cfg.delay_seed);
    let mut pending: BTreeMap<u64, Vec<(u64, f64)>> = BTreeMap::new();
    let mut curve = Curve::default();
    let mut regret = 0.0;
    for t in 0..cfg.rounds {
        if let Some(arrivals) = pending.remove(&t) {
            for (id, r) in arrivals {
                policy.feedback(id, r)?;
            }
        }
        let round = env.next_round();
        if round.contexts.nrows() != round.rewards.len() {
            return Err(BanditError::ContextLength { expected: round.rewards.len(), got: round.contexts.nrows() });
        }
        let arms = admitted(&round, cfg.qos_max_latency);
        let d = if arms.len() == round.rewards.len() {
            policy.select(t, round.contexts.view())?
        } else {
            policy.select(t, round.contexts.select(ndarray::Axis(0), &arms).view())?
        };
        let arm = *arms.get(d.arm).ok_or(BanditError::NoArms { round: t })?;
        let r = round.rewards[arm];
        let b = best_of(&round, &arms);
        regret += b - r;
        curve.reward.push(r);
        curve.cumulative_regret.push(regret);
        curve.arm.push(arm);
        curve.hit.push(r >= b);
        let (delay, lost) = match cfg.delay {
            Delay::None => (1, false),
            Delay::Uniform { max } => (delays.random_range(1..=max.max(1)), false),
            Delay::Missing { max, p } => (delays.random_range(1..=max.max(1)), delays.random_bool(p.clamp(0.0, 1.0))),
        };
        if !lost {
            pending.entry(t + delay).or_default().push((d.id, r));
        }
    }
    Ok(curve)
}

/// The oracle: the best arm every round (zero regret by definition; its reward curve is the ceiling).
pub fn simulate_oracle<E: Environment>(env: &mut E, rounds: u64) -> Curve {
    simulate_oracle_qos(env, rounds, None)
}

/// [`simulate_oracle`] restricted to the arms a QoS bound admits (see [`SimConfig::qos_max_latency`]).
pub fn simulate_oracle_qos<E: Environment>(env: &mut E, rounds: u64, qos: Option<f64>) -> Curve {
    let mut c = Curve::default();
    for _ in 0..rounds {
        let r = env.next_round();
        let arms = admitted(&r, qos);
        let Some(&first) = arms.first() else { continue };
        let (arm, b) = arms
            .iter()
            .fold((first, f64::NEG_INFINITY), |acc, &i| if r.rewards[i] > acc.1 { (i, r.rewards[i]) } else { acc });
        c.reward.push(b);
        c.cumulative_regret.push(0.0);
        c.arm.push(arm);
        c.hit.push(true);
    }
    c
}

/// The best fixed arm in hindsight (arm sets must keep their size).
pub fn simulate_static<E: Environment>(env: &mut E, rounds: u64) -> Curve {
    let rounds: Vec<Round> = (0..rounds).map(|_| env.next_round()).collect();
    let k = rounds.first().map_or(0, |r| r.rewards.len());
    let totals: Vec<f64> =
        (0..k).map(|a| rounds.iter().map(|r| r.rewards.get(a).copied().unwrap_or(0.0)).sum()).collect();
    let arm = (0..k).max_by(|&a, &b| totals[a].total_cmp(&totals[b]).then(b.cmp(&a))).unwrap_or(0);
    let mut c = Curve::default();
    let mut regret = 0.0;
    for r in &rounds {
        let v = r.rewards.get(arm).copied().unwrap_or(0.0);
        let b = best(r);
        regret += b - v;
        c.reward.push(v);
        c.cumulative_regret.push(regret);
        c.arm.push(arm);
        c.hit.push(v >= b);
    }
    c
}
