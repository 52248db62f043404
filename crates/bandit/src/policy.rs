//! Decision tickets and the [`Policy`] trait.

use ndarray::{ArrayView1, ArrayView2};
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// One decision: which arm, why, and the ticket to which the reward is later reported.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// Ticket for [`Policy::feedback`].
    pub id: u64,
    /// Index of the chosen arm in the arm set of that round.
    pub arm: usize,
    /// The chosen arm's score (e.g. the UCB).
    pub score: f64,
    /// The exploration part of the score.
    pub bonus: f64,
    /// Probability with which the arm was chosen (1 for deterministic choices, 1/ties for ties).
    pub propensity: f64,
}

/// Something a policy can choose: a model to ship, described by its context features for the
/// current device (e.g. device features concatenated with the model's).
pub trait Arm {
    /// The context vector.
    fn features(&self) -> ndarray::ArrayView1<'_, f64>;
}

impl Arm for ndarray::Array1<f64> {
    fn features(&self) -> ndarray::ArrayView1<'_, f64> {
        self.view()
    }
}

/// An online arm-selection policy with delayed feedback: [`Policy::select`] sees the arms of a
/// round as rows of a context matrix (arm sets may change between rounds); the reward of a
/// decision arrives through [`Policy::feedback`] any number of rounds later, or never.
pub trait Policy {
    /// Short name.
    fn name(&self) -> String;
    /// Choose an arm among the rows of `arms`.
    fn select(&mut self, round: u64, arms: ArrayView2<f64>) -> Result<Decision>;
    /// Report the reward of decision `id`.
    fn feedback(&mut self, id: u64, reward: f64) -> Result<()>;

    /// Choose among `arms` given as [`Arm`]s (their features are stacked into a context matrix;
    /// arms of different feature lengths are an error).
    fn select_arms<A: Arm>(&mut self, round: u64, arms: &[A]) -> Result<Decision>
    where
        Self: Sized,
    {
        self.select_with_context(round, ArrayView1::from(&[]), arms)
    }

    /// Choose among `arms` for one arriving device described by `context`: each arm's context row is
    /// the device's features followed by the arm's (Aquaman: device features ‖ model features).
    ///
    /// ```
    /// use edgeopt_bandit::{LinUcb, Policy};
    /// use edgeopt_bandit::ndarray::array;
    /// let mut p = LinUcb::new(3, 1.0, 0.1, 0).unwrap();
    /// let models = [array![1.0, 0.0], array![0.0, 1.0]];
    /// let d = p.select_with_context(0, array![0.5].view(), &models).unwrap();
    /// assert!(d.arm < 2);
    /// ```
    fn select_with_context<A: Arm>(&mut self, round: u64, context: ArrayView1<f64>, arms: &[A]) -> Result<Decision>
    where
        Self: Sized,
    {
        let Some(first) = arms.first() else { return Err(crate::error::BanditError::NoArms { round }) };
        let (c, p) = (context.len(), first.features().len());
        let mut m = ndarray::Array2::zeros((arms.len(), c + p));
        for (i, a) in arms.iter().enumerate() {
            let f = a.features();
            if f.len() != p {
                return Err(crate::error::BanditError::ContextLength { expected: p, got: f.len() });
            }
            m.row_mut(i).slice_mut(ndarray::s![..c]).assign(&context);
            m.row_mut(i).slice_mut(ndarray::s![c..]).assign(&f);
        }
        self.select(round, m.view())
    }

    /// Decisions still waiting for their reward.
    fn pending(&self) -> usize {
        0
    }

    /// Give up on the rewards of all decisions with an id below `before` (ratings that will never
    /// come: a long-running server calls this now and then, or memory grows with every lost
    /// reward). Returns how many were dropped; a later `feedback` for them is `UnknownDecision`.
    fn expire(&mut self, before: u64) -> usize {
        let _ = before;
        0
    }

    /// Report several users' ratings of decision `id` as one averaged sample (thesis sec. 2.3).
    fn feedback_ratings(&mut self, id: u64, ratings: &[f64]) -> Result<()> {
        if ratings.is_empty() {
            return Err(crate::error::BanditError::InvalidParam {
                name: "ratings",
                value: "[]".into(),
                reason: "need at least one rating",
            });
        }
        self.feedback(id, ratings.iter().sum::<f64>() / ratings.len() as f64)
    }
}

/// The RNG of one round: derived from the policy seed and the round, so that a policy holds no
/// RNG state and a saved-and-loaded policy continues bit-identically.
pub(crate) fn round_rng(seed: u64, round: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ (round.wrapping_add(1)).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// The decisions of a policy still waiting for their reward, each with what the policy needs when
/// the reward arrives (`V`), and the id counter. One implementation of the ticket rules for every
/// policy: ids start at 1, a reward must be finite, a ticket is answered once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Tickets<V> {
    pending: std::collections::BTreeMap<u64, V>,
    next_id: u64,
}

impl<V> Default for Tickets<V> {
    fn default() -> Self {
        Tickets { pending: std::collections::BTreeMap::new(), next_id: 0 }
    }
}

impl<V> Tickets<V> {
    /// Open a ticket holding `v`; its id.
    pub fn issue(&mut self, v: V) -> u64 {
        self.next_id += 1;
        self.pending.insert(self.next_id, v);
        self.next_id
    }

    /// Close ticket `id` with `reward`: what it held, or why not.
    pub fn answer(&mut self, id: u64, reward: f64) -> Result<V> {
        if !reward.is_finite() {
            return Err(crate::error::BanditError::NonFinite { what: "reward", value: reward });
        }
        self.pending.remove(&id).ok_or(crate::error::BanditError::UnknownDecision(id))
    }

    /// Open tickets.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Drop the tickets with ids below `before`; how many.
    pub fn expire(&mut self, before: u64) -> usize {
        let kept = self.pending.split_off(&before);
        std::mem::replace(&mut self.pending, kept).len()
    }

    /// What the open tickets hold (for checks on load).
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.pending.values()
    }
}

/// Index of the largest score, ties broken uniformly at random; returns (index, ties). NaN scores
/// never win; if every score is NaN the choice is uniform over all arms.
pub(crate) fn argmax_random(scores: &[f64], rng: &mut ChaCha8Rng) -> (usize, usize) {
    use rand::RngExt;
    let best = scores.iter().copied().filter(|v| !v.is_nan()).fold(f64::NEG_INFINITY, f64::max);
    let mut ties: Vec<usize> = (0..scores.len()).filter(|&i| scores[i] == best).collect();
    if ties.is_empty() {
        ties = (0..scores.len()).collect();
    }
    let pick = if ties.len() > 1 { ties[rng.random_range(0..ties.len())] } else { ties[0] };
    (pick, ties.len())
}

/// Picks arms uniformly at random.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RandomPolicy {
    seed: u64,
    next_id: u64,
}

impl RandomPolicy {
    /// A random policy with its own seed.
    pub fn new(seed: u64) -> RandomPolicy {
        RandomPolicy { seed, next_id: 0 }
    }
}

impl Policy for RandomPolicy {
    fn name(&self) -> String {
        "random".into()
    }
    fn select(&mut self, round: u64, arms: ArrayView2<f64>) -> Result<Decision> {
        crate::error::check_contexts(arms, arms.ncols(), round)?;
        let mut rng = round_rng(self.seed, round);
        let (arm, ties) = argmax_random(&vec![0.0; arms.nrows()], &mut rng);
        self.next_id += 1;
        Ok(Decision { id: self.next_id, arm, score: 0.0, bonus: 0.0, propensity: 1.0 / ties as f64 })
    }
    fn feedback(&mut self, _id: u64, reward: f64) -> Result<()> {
        if !reward.is_finite() {
            return Err(crate::error::BanditError::NonFinite { what: "reward", value: reward });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_scores_never_win_and_all_nan_still_picks_an_arm() {
        let mut rng = round_rng(0, 0);
        assert_eq!(argmax_random(&[f64::NAN, 1.0, 0.5], &mut rng), (1, 1));
        let (arm, ties) = argmax_random(&[f64::NAN, f64::NAN], &mut rng);
        assert!(arm < 2 && ties == 2);
        let (arm, ties) = argmax_random(&[2.0, 2.0, 1.0], &mut rng);
        assert!(arm < 2 && ties == 2);
    }
}
