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
    /// Rank of the chosen arm among the arms offered that round: how many paid strictly more
    /// (0 = a best arm).
    pub rank: Vec<usize>,
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
        self.top_k_hit_ratio(1)
    }

    /// Fraction of rounds where the chosen arm was among the `k` best (ties share a rank).
    pub fn top_k_hit_ratio(&self, k: usize) -> f64 {
        self.rank.iter().filter(|r| **r < k).count() as f64 / self.rank.len().max(1) as f64
    }

    /// Time-average reward after each round.
    pub fn running_mean_reward(&self) -> Vec<f64> {
        let mut sum = 0.0;
        self.reward
            .iter()
            .enumerate()
            .map(|(t, r)| {
                sum += r;
                sum / (t + 1) as f64
            })
            .collect()
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

    /// CSV with one row per round: round, arm, rank, reward, time-average reward, cumulative regret.
    pub fn to_csv(&self) -> String {
        let mut s = String::from("round,arm,rank,reward,mean_reward,cumulative_regret\n");
        for (t, mean) in self.running_mean_reward().into_iter().enumerate() {
            let (arm, rank) = (self.arm[t], self.rank[t]);
            s.push_str(&format!("{},{arm},{rank},{},{mean},{}\n", t + 1, self.reward[t], self.cumulative_regret[t]));
        }
        s
    }
}

/// Arm `a`'s expected reward (callers pass arms of the round, checked by [`check_round`]).
fn mean(r: &Round, a: usize) -> f64 {
    r.mean_reward(a).unwrap_or(f64::NEG_INFINITY)
}

/// The largest expected reward among `arms`.
fn best_of(r: &Round, arms: &[usize]) -> f64 {
    arms.iter().map(|&a| mean(r, a)).fold(f64::NEG_INFINITY, f64::max)
}

/// How many of `arms` have a strictly larger expected reward than arm `a`.
fn rank_of(r: &Round, arms: &[usize], a: usize) -> usize {
    let v = mean(r, a);
    arms.iter().filter(|&&b| mean(r, b) > v).count()
}

/// A round whose arrays disagree in length is the environment's error, reported, never a panic.
fn check_round(r: &Round) -> Result<()> {
    let k = r.rewards.len();
    for n in [Some(r.contexts.nrows()), r.expected.as_ref().map(|e| e.len()), r.latency.as_ref().map(|l| l.len())]
        .into_iter()
        .flatten()
    {
        if n != k {
            return Err(BanditError::ContextLength { expected: k, got: n });
        }
    }
    Ok(())
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
        check_round(&round)?;
        let arms = admitted(&round, cfg.qos_max_latency);
        let d = if arms.len() == round.rewards.len() {
            policy.select(t, round.contexts.view())?
        } else {
            policy.select(t, round.contexts.select(ndarray::Axis(0), &arms).view())?
        };
        let arm = *arms.get(d.arm).ok_or(BanditError::NoArms { round: t })?;
        let r = round.rewards[arm];
        regret += best_of(&round, &arms) - mean(&round, arm);
        curve.reward.push(r);
        curve.cumulative_regret.push(regret);
        curve.arm.push(arm);
        curve.rank.push(rank_of(&round, &arms, arm));
        let (delay, lost) = match cfg.delay {
            Delay::None => (1, false),
            Delay::Uniform { max } => (delays.random_range(1..=max.max(1)), false),
            Delay::Missing { max, p } => (delays.random_range(1..=max.max(1)), delays.random_bool(p.clamp(0.0, 1.0))),
        };
        if !lost {
            pending.entry(t.saturating_add(delay)).or_default().push((d.id, r));
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
        if check_round(&r).is_err() {
            continue;
        }
        let arms = admitted(&r, qos);
        let Some(&first) = arms.first() else { continue };
        let (arm, _) = arms
            .iter()
            .fold((first, f64::NEG_INFINITY), |acc, &i| if mean(&r, i) > acc.1 { (i, mean(&r, i)) } else { acc });
        c.reward.push(r.rewards[arm]);
        c.cumulative_regret.push(0.0);
        c.arm.push(arm);
        c.rank.push(0);
    }
    c
}

/// The best fixed arm in hindsight (arm sets must keep their size).
pub fn simulate_static<E: Environment>(env: &mut E, rounds: u64) -> Curve {
    let rounds: Vec<Round> = (0..rounds).map(|_| env.next_round()).filter(|r| check_round(r).is_ok()).collect();
    let k = rounds.first().map_or(0, |r| r.rewards.len());
    let value = |r: &Round, a: usize| r.mean_reward(a).unwrap_or(0.0);
    let totals: Vec<f64> = (0..k).map(|a| rounds.iter().map(|r| value(r, a)).sum()).collect();
    let arm = (0..k).max_by(|&a, &b| totals[a].total_cmp(&totals[b]).then(b.cmp(&a))).unwrap_or(0);
    let mut c = Curve::default();
    let mut regret = 0.0;
    for r in &rounds {
        let all: Vec<usize> = (0..r.rewards.len()).collect();
        regret += best_of(r, &all) - value(r, arm);
        c.reward.push(r.rewards.get(arm).copied().unwrap_or(0.0));
        c.cumulative_regret.push(regret);
        c.arm.push(arm);
        c.rank.push(if arm < all.len() { rank_of(r, &all, arm) } else { all.len() });
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Decision;
    use ndarray::{Array2, array};

    struct Fixed(usize);
    impl Environment for Fixed {
        fn dim(&self) -> usize {
            1
        }
        fn next_round(&mut self) -> Round {
            Round::new(Array2::zeros((4, 1)), array![0.1, 0.5, 0.9, 0.5])
        }
    }
    impl Policy for Fixed {
        fn name(&self) -> String {
            "fixed".into()
        }
        fn select(&mut self, _: u64, _: ndarray::ArrayView2<f64>) -> Result<Decision> {
            Ok(Decision { id: 0, arm: self.0, score: 0.0, bonus: 0.0, propensity: 1.0 })
        }
        fn feedback(&mut self, _: u64, _: f64) -> Result<()> {
            Ok(())
        }
    }

    #[test]
    fn ranks_count_strictly_better_arms_and_ties_share_a_rank() {
        let cfg = SimConfig::new(10, Delay::None, 0);
        let second = simulate(&mut Fixed(1), &mut Fixed(1), &cfg).unwrap();
        assert_eq!(second.rank, vec![1; 10]);
        assert_eq!((second.top_k_hit_ratio(1), second.top_k_hit_ratio(2)), (0.0, 1.0));
        assert!((second.regret() - 4.0).abs() < 1e-12);
        let worst = simulate(&mut Fixed(0), &mut Fixed(0), &cfg).unwrap();
        assert_eq!((worst.rank[0], worst.top_k_hit_ratio(3)), (3, 0.0));
        assert_eq!(simulate_oracle(&mut Fixed(0), 5).hit_ratio(), 1.0);
        let csv = second.to_csv();
        assert!(csv.starts_with("round,arm,rank,reward,mean_reward,cumulative_regret\n1,1,1,0.5,0.5,"));
    }

    /// Realised rewards favour arm 0, expected rewards arm 1 (noise is not regret).
    struct Noisy(usize);
    impl Environment for Noisy {
        fn dim(&self) -> usize {
            1
        }
        fn next_round(&mut self) -> Round {
            let expected = if self.0 == 2 { array![0.2, 0.5] } else { array![0.2] };
            Round::new(Array2::zeros((2, 1)), array![0.9, 0.1]).with_expected(expected)
        }
    }

    #[test]
    fn regret_is_measured_on_expected_rewards_when_known() {
        let cfg = SimConfig::new(10, Delay::None, 0);
        let good = simulate(&mut Noisy(2), &mut Fixed(1), &cfg).unwrap();
        assert_eq!((good.regret(), good.hit_ratio()), (0.0, 1.0));
        assert_eq!(good.reward[0], 0.1, "the policy still sees the realised reward");
        let bad = simulate(&mut Noisy(2), &mut Fixed(0), &cfg).unwrap();
        assert!((bad.regret() - 3.0).abs() < 1e-12);
        assert_eq!(simulate_oracle(&mut Noisy(2), 3).arm, vec![1, 1, 1]);
        assert_eq!(simulate_static(&mut Noisy(2), 3).arm, vec![1, 1, 1]);
        let err = simulate(&mut Noisy(1), &mut Fixed(0), &cfg).unwrap_err();
        assert_eq!(err, BanditError::ContextLength { expected: 2, got: 1 });
    }
}
