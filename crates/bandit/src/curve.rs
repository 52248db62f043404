//! The record of a simulated run: totals, and per-round vectors on request.

use serde::{Deserialize, Serialize};

/// The record of a run: totals always, per-round vectors when [`SimConfig::per_round`](crate::SimConfig::per_round) asks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    /// Reward of the chosen arm in each round (empty unless per-round curves were asked for).
    pub reward: Vec<f64>,
    /// Cumulative regret against the per-round best arm after each round (idem).
    pub cumulative_regret: Vec<f64>,
    /// Chosen arm per round (idem).
    pub arm: Vec<usize>,
    /// Rank of the chosen arm among the arms offered that round: how many paid strictly more
    /// (0 = a best arm) (idem).
    pub rank: Vec<usize>,
    rounds: u64,
    reward_sum: f64,
    regret: f64,
    /// Rounds per rank of the chosen arm.
    rank_counts: Vec<u64>,
    /// Rounds per chosen arm.
    arm_counts: Vec<u64>,
}

fn bump(counts: &mut Vec<u64>, i: usize) {
    if counts.len() <= i {
        counts.resize(i + 1, 0);
    }
    counts[i] += 1;
}

impl Curve {
    /// An empty record that will keep per-round vectors if `per_round`.
    pub(crate) fn with_capacity(per_round: bool, rounds: u64) -> Curve {
        let n = if per_round { usize::try_from(rounds).unwrap_or(usize::MAX).min(1 << 20) } else { 0 };
        Curve {
            reward: Vec::with_capacity(n),
            cumulative_regret: Vec::with_capacity(n),
            arm: Vec::with_capacity(n),
            rank: Vec::with_capacity(n),
            ..Curve::default()
        }
    }

    /// The finished record, or an error if its totals overflowed (rewards so large that a
    /// difference or a sum of them is not an `f64`): such a curve would print `inf` as a result.
    pub(crate) fn checked(self) -> crate::Result<Curve> {
        for (what, value) in [
            ("the cumulative regret (the rewards overflow f64: rescale them)", self.regret),
            ("the total reward (the rewards overflow f64: rescale them)", self.reward_sum),
        ] {
            if !value.is_finite() {
                return Err(crate::BanditError::NonFinite { what, value });
            }
        }
        Ok(self)
    }

    /// Record one round.
    pub(crate) fn push(&mut self, per_round: bool, arm: usize, rank: usize, reward: f64, regret: f64) {
        self.rounds += 1;
        self.reward_sum += reward;
        self.regret += regret;
        bump(&mut self.rank_counts, rank);
        bump(&mut self.arm_counts, arm);
        if per_round {
            self.reward.push(reward);
            self.cumulative_regret.push(self.regret);
            self.arm.push(arm);
            self.rank.push(rank);
        }
    }

    /// Rounds played.
    pub fn rounds(&self) -> u64 {
        self.rounds
    }

    /// Final cumulative regret.
    pub fn regret(&self) -> f64 {
        self.regret
    }

    /// Time-average reward.
    pub fn mean_reward(&self) -> f64 {
        self.reward_sum / self.rounds.max(1) as f64
    }

    /// Fraction of rounds where a best arm was chosen (top-1 hit ratio).
    pub fn hit_ratio(&self) -> f64 {
        self.top_k_hit_ratio(1)
    }

    /// Fraction of rounds where the chosen arm was among the `k` best (ties share a rank).
    pub fn top_k_hit_ratio(&self, k: usize) -> f64 {
        self.rank_counts.iter().take(k).sum::<u64>() as f64 / self.rounds.max(1) as f64
    }

    /// Time-average reward after each round (empty without per-round curves).
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
        (0..arms).map(|a| self.arm_counts.get(a).map_or(0, |c| *c as usize)).collect()
    }

    /// CSV with one row per round: round, arm, rank, reward, time-average reward, cumulative regret
    /// (only the header without per-round curves).
    pub fn to_csv(&self) -> String {
        let mut s = String::from("round,arm,rank,reward,mean_reward,cumulative_regret\n");
        for (t, mean) in self.running_mean_reward().into_iter().enumerate() {
            let (arm, rank) = (self.arm[t], self.rank[t]);
            s.push_str(&format!("{},{arm},{rank},{},{mean},{}\n", t + 1, self.reward[t], self.cumulative_regret[t]));
        }
        s
    }

    /// The first round (1-based) from which this curve's cumulative regret stays strictly below
    /// `other`'s to the end (per-round curves of equal length needed); `None` if it never does.
    pub fn overtakes(&self, other: &Curve) -> Option<u64> {
        let (a, b) = (&self.cumulative_regret, &other.cumulative_regret);
        if a.is_empty() || a.len() != b.len() {
            return None;
        }
        let last_not_below = (0..a.len()).rev().find(|&t| a[t] >= b[t]);
        match last_not_below {
            None => Some(1),
            Some(t) if t + 1 < a.len() => Some(t as u64 + 2),
            Some(_) => None,
        }
    }
}
