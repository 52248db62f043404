//! The simulator: T rounds with delayed (or missing) rewards, regret against the oracle.

use std::collections::{BTreeMap, VecDeque};

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::curve::Curve;
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
    /// not offered, to learners and baselines alike (when the environment reports latencies; the
    /// fastest arm stays if none qualifies).
    pub qos_max_latency: Option<f64>,
    /// Keep the per-round vectors of the [`Curve`] (memory grows with the rounds). Without them a
    /// run keeps only its totals, so its memory does not depend on [`SimConfig::rounds`].
    pub per_round: bool,
}

impl SimConfig {
    /// `rounds` rounds with the given delays, no QoS filter, per-round curves kept.
    pub fn new(rounds: u64, delay: Delay, delay_seed: u64) -> SimConfig {
        SimConfig { rounds, delay, delay_seed, qos_max_latency: None, per_round: true }
    }
}

/// Indices of the arms a QoS bound admits this round (ascending).
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
    if k == 0 {
        return Err(BanditError::NoArms { round: 0 });
    }
    Ok(())
}

/// Run `policy` on `env`. Rewards of decisions lost under [`Delay::Missing`] are expired from the
/// policy once they can no longer arrive, so open tickets stay bounded by the largest delay.
pub fn simulate<E: Environment, P: Policy + ?Sized>(env: &mut E, policy: &mut P, cfg: &SimConfig) -> Result<Curve> {
    let mut delays = ChaCha8Rng::seed_from_u64(cfg.delay_seed);
    let mut pending: BTreeMap<u64, Vec<(u64, f64)>> = BTreeMap::new();
    let mut curve = Curve::with_capacity(cfg.per_round, cfg.rounds);
    // (round, id) of recent decisions, to expire lost tickets (ids grow with the decisions).
    let mut issued: VecDeque<(u64, u64)> = VecDeque::new();
    for t in 0..cfg.rounds {
        if let Some(arrivals) = pending.remove(&t) {
            for (id, r) in arrivals {
                policy.feedback(id, r)?;
            }
        }
        if let Delay::Missing { max, .. } = cfg.delay {
            // Every decision of a round s ≤ t − max has arrived by now or never will.
            let mut resolved = None;
            while issued.front().is_some_and(|&(s, _)| s.saturating_add(max.max(1)) <= t) {
                resolved = issued.pop_front().map(|(_, id)| id);
            }
            if let Some(id) = resolved {
                policy.expire(id.saturating_add(1));
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
        let regret = best_of(&round, &arms) - mean(&round, arm);
        curve.push(cfg.per_round, arm, rank_of(&round, &arms, arm), r, regret);
        let (delay, lost) = match cfg.delay {
            Delay::None => (1, false),
            Delay::Uniform { max } => (delays.random_range(1..=max.max(1)), false),
            Delay::Missing { max, p } => {
                issued.push_back((t, d.id));
                (delays.random_range(1..=max.max(1)), delays.random_bool(p.clamp(0.0, 1.0)))
            }
        };
        if !lost {
            pending.entry(t.saturating_add(delay)).or_default().push((d.id, r));
        }
    }
    curve.checked()
}

/// The oracle: the best admitted arm every round (zero regret by definition; its reward curve is
/// the ceiling). Uses [`SimConfig::rounds`], [`SimConfig::qos_max_latency`] and
/// [`SimConfig::per_round`].
pub fn simulate_oracle<E: Environment>(env: &mut E, cfg: &SimConfig) -> Result<Curve> {
    let mut c = Curve::with_capacity(cfg.per_round, cfg.rounds);
    for _ in 0..cfg.rounds {
        let r = env.next_round();
        check_round(&r)?;
        let arms = admitted(&r, cfg.qos_max_latency);
        let arm = arms.iter().copied().fold(arms[0], |best, i| if mean(&r, i) > mean(&r, best) { i } else { best });
        c.push(cfg.per_round, arm, 0, r.rewards[arm], 0.0);
    }
    c.checked()
}

/// The arm a fixed model `a` serves on round `r`: `a` when the QoS filter admits it, else the
/// admitted arm of lowest latency (the filter's own fallback).
fn served(r: &Round, arms: &[usize], a: usize) -> usize {
    if arms.binary_search(&a).is_ok() {
        return a;
    }
    let lat = |i: usize| r.latency.as_ref().and_then(|l| l.get(i)).copied().unwrap_or(f64::INFINITY);
    arms.iter().copied().min_by(|&x, &y| lat(x).total_cmp(&lat(y))).unwrap_or(a)
}

/// The best fixed arm in hindsight: the arm whose whole run has the least regret (arm sets must
/// keep their size). Under a QoS filter a fixed arm that is not admitted on a round's device is
/// replaced by the admitted arm of lowest latency, and regret is measured against the best admitted
/// arm, as for the learners. One pass with per-arm totals: memory grows with the rounds only when
/// per-round curves are asked for (then arms × rounds).
pub fn simulate_static<E: Environment>(env: &mut E, cfg: &SimConfig) -> Result<Curve> {
    let mut runs: Vec<Curve> = Vec::new();
    for t in 0..cfg.rounds {
        let r = env.next_round();
        check_round(&r)?;
        let k = r.rewards.len();
        if runs.is_empty() {
            runs = (0..k).map(|_| Curve::with_capacity(cfg.per_round, cfg.rounds)).collect();
        } else if runs.len() != k {
            return Err(BanditError::InvalidParam {
                name: "arms",
                value: format!("{k} at round {t}, {} before", runs.len()),
                reason: "the best fixed arm needs the same arm set every round",
            });
        }
        let arms = admitted(&r, cfg.qos_max_latency);
        let best = best_of(&r, &arms);
        for (a, run) in runs.iter_mut().enumerate() {
            let s = served(&r, &arms, a);
            run.push(cfg.per_round, s, rank_of(&r, &arms, s), r.rewards[s], best - mean(&r, s));
        }
    }
    // Least regret; ties go to the lower arm.
    let best = (0..runs.len()).min_by(|&a, &b| runs[a].regret().total_cmp(&runs[b].regret()).then(a.cmp(&b)));
    best.map(|a| runs.swap_remove(a)).unwrap_or_default().checked()
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
        assert_eq!(simulate_oracle(&mut Fixed(0), &SimConfig::new(5, Delay::None, 0)).unwrap().hit_ratio(), 1.0);
        let csv = second.to_csv();
        assert!(csv.starts_with("round,arm,rank,reward,mean_reward,cumulative_regret\n1,1,1,0.5,0.5,"));
    }

    /// Finite rewards whose differences and sums are not.
    struct Huge;
    impl Environment for Huge {
        fn dim(&self) -> usize {
            1
        }
        fn next_round(&mut self) -> Round {
            Round::new(Array2::zeros((2, 1)), array![1e308, -1e308])
        }
    }

    #[test]
    fn a_run_whose_totals_overflow_is_an_error_not_an_infinite_result() {
        let cfg = SimConfig::new(3, Delay::None, 0);
        let err = simulate(&mut Huge, &mut Fixed(1), &cfg).unwrap_err();
        assert!(matches!(err, BanditError::NonFinite { value, .. } if value == f64::INFINITY), "{err}");
        assert!(err.to_string().contains("cumulative regret"), "{err}");
        let err = simulate_oracle(&mut Huge, &cfg).unwrap_err();
        assert!(err.to_string().contains("total reward"), "{err}");
        assert!(simulate_static(&mut Huge, &cfg).is_err());
        // One round of the best arm stays finite.
        assert!(simulate_oracle(&mut Huge, &SimConfig::new(1, Delay::None, 0)).is_ok());
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
        assert_eq!(simulate_oracle(&mut Noisy(2), &SimConfig::new(3, Delay::None, 0)).unwrap().arm, vec![1, 1, 1]);
        assert_eq!(simulate_static(&mut Noisy(2), &SimConfig::new(3, Delay::None, 0)).unwrap().arm, vec![1, 1, 1]);
        let err = simulate(&mut Noisy(1), &mut Fixed(0), &cfg).unwrap_err();
        assert_eq!(err, BanditError::ContextLength { expected: 2, got: 1 });
    }
}
