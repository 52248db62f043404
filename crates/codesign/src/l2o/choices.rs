//! Architectures as vectors of categorical choices, the representation the optimizer network
//! outputs (one logit per choice) and the performance networks read (one-hot).

use edgeopt_nas::{Nb201, Nb201Arch, Nb201Op, SearchSpace};
use ndarray::{Array1, ArrayView1};
use serde::{Deserialize, Serialize};

use crate::error::{CodesignError, Result};

/// A search space whose members are a fixed number of independent categorical choices.
pub trait Categorical: SearchSpace {
    /// How many options each position has.
    fn choice_counts(&self) -> Vec<usize>;
    /// The chosen option of each position.
    fn to_choices(&self, arch: &Self::Arch) -> Vec<usize>;
    /// The architecture with these choices.
    fn arch_of_choices(&self, choices: &[usize]) -> Result<Self::Arch>;
}

impl Categorical for Nb201 {
    fn choice_counts(&self) -> Vec<usize> {
        vec![Nb201Op::ALL.len(); 6]
    }
    fn to_choices(&self, arch: &Nb201Arch) -> Vec<usize> {
        arch.0.iter().map(|op| *op as usize).collect()
    }
    fn arch_of_choices(&self, choices: &[usize]) -> Result<Nb201Arch> {
        ChoiceSpace::new(self.choice_counts())?.check(choices)?;
        Ok(Nb201Arch(std::array::from_fn(|e| Nb201Op::ALL[choices[e]])))
    }
}

/// The shape of a categorical space: options per position. Provides the one-hot encoding, the
/// per-position softmax relaxation and the argmax projection back to a valid design.
///
/// ```
/// use edgeopt_codesign::l2o::ChoiceSpace;
/// let s = ChoiceSpace::new(vec![2, 3]).unwrap();
/// assert_eq!(s.one_hot(&[1, 0]).unwrap().to_vec(), vec![0.0, 1.0, 1.0, 0.0, 0.0]);
/// assert_eq!(s.argmax(&[0.1, -1.0, 0.0, 2.0, 1.0]), vec![0, 1]);
/// assert_eq!(s.enumerate(100).unwrap().len(), 6);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChoiceSpace {
    counts: Vec<usize>,
}

impl ChoiceSpace {
    /// Positions with `counts[i] ≥ 1` options each (at least one position).
    pub fn new(counts: Vec<usize>) -> Result<ChoiceSpace> {
        if counts.is_empty() || counts.contains(&0) {
            return Err(CodesignError::InvalidParam {
                name: "choice counts",
                value: format!("{counts:?}"),
                reason: "need at least one position, each with at least one option".into(),
            });
        }
        Ok(ChoiceSpace { counts })
    }

    /// Options per position.
    pub fn counts(&self) -> &[usize] {
        &self.counts
    }

    /// Length of the one-hot encoding (total options).
    pub fn width(&self) -> usize {
        self.counts.iter().sum()
    }

    /// Check that `choices` is a member.
    pub fn check(&self, choices: &[usize]) -> Result<()> {
        let ok = choices.len() == self.counts.len() && choices.iter().zip(&self.counts).all(|(c, n)| c < n);
        if ok {
            Ok(())
        } else {
            Err(CodesignError::InvalidParam {
                name: "choices",
                value: format!("{choices:?}"),
                reason: format!("need one option per position, below {:?}", self.counts),
            })
        }
    }

    /// One-hot encoding of a member.
    pub fn one_hot(&self, choices: &[usize]) -> Result<Array1<f64>> {
        self.check(choices)?;
        let mut v = Array1::zeros(self.width());
        let mut off = 0;
        for (c, n) in choices.iter().zip(&self.counts) {
            v[off + c] = 1.0;
            off += n;
        }
        Ok(v)
    }

    /// Per-position softmax of `logits / temperature` (the relaxation of a design).
    pub fn softmax(&self, logits: ArrayView1<f64>, temperature: f64) -> Array1<f64> {
        let mut p = Array1::zeros(logits.len());
        let mut off = 0;
        for &n in &self.counts {
            let seg = logits.slice(ndarray::s![off..off + n]);
            let top = seg.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let e: Vec<f64> = seg.iter().map(|v| ((v - top) / temperature).exp()).collect();
            let z: f64 = e.iter().sum();
            for (j, v) in e.iter().enumerate() {
                p[off + j] = v / z;
            }
            off += n;
        }
        p
    }

    /// Gradient with respect to the logits, given the gradient `dp` with respect to the softmax
    /// output `p` (per position: `(p ⊙ (dp − ⟨p, dp⟩)) / temperature`).
    pub fn softmax_backward(&self, p: ArrayView1<f64>, dp: ArrayView1<f64>, temperature: f64) -> Array1<f64> {
        let mut g = Array1::zeros(p.len());
        let mut off = 0;
        for &n in &self.counts {
            let inner: f64 = (off..off + n).map(|j| p[j] * dp[j]).sum();
            for j in off..off + n {
                g[j] = p[j] * (dp[j] - inner) / temperature;
            }
            off += n;
        }
        g
    }

    /// The option with the largest logit at each position (ties: lowest option).
    pub fn argmax(&self, logits: &[f64]) -> Vec<usize> {
        let mut off = 0;
        self.counts
            .iter()
            .map(|&n| {
                let seg = &logits[off..off + n];
                off += n;
                (0..n).fold(0, |best, j| if seg[j] > seg[best] { j } else { best })
            })
            .collect()
    }

    /// The argmax design of `logits` first, then its variants that take the runner-up option
    /// at any subset of the `positions` positions where the two best logits are closest (all
    /// `2^k` combinations, k ≤ `positions` and at most 16): the nearest alternatives to score when
    /// a per-position argmax may assemble a design that none of the training labels was.
    /// `logits` must have [`ChoiceSpace::width`] entries (an error otherwise).
    ///
    /// ```
    /// use edgeopt_codesign::l2o::ChoiceSpace;
    /// let space = ChoiceSpace::new(vec![3, 2, 1]).unwrap();
    /// let v = space.runner_ups(&[0.0, 2.0, 1.9, 5.0, 0.0, 1.0], 1).unwrap();
    /// assert_eq!(v, vec![vec![1, 0, 0], vec![2, 0, 0]]);
    /// assert_eq!(space.runner_ups(&[0.0, 2.0, 1.9, 5.0, 0.0, 1.0], 6).unwrap().len(), 4);
    /// assert!(space.runner_ups(&[0.0, 2.0], 6).is_err());
    /// ```
    pub fn runner_ups(&self, logits: &[f64], positions: usize) -> Result<Vec<Vec<usize>>> {
        if logits.len() != self.width() {
            return Err(CodesignError::InvalidParam {
                name: "logits",
                value: format!("{} values", logits.len()),
                reason: format!("need one per option ({})", self.width()),
            });
        }
        let best = self.argmax(logits);
        // (margin, position, runner-up option) of every position with a second option.
        let mut seconds: Vec<(f64, usize, usize)> = Vec::new();
        let mut off = 0;
        for (p, &n) in self.counts.iter().enumerate() {
            let seg = &logits[off..off + n];
            off += n;
            let second = (0..n).filter(|&j| j != best[p]).fold(None, |b: Option<usize>, j| match b {
                Some(b) if seg[b] >= seg[j] => Some(b),
                _ => Some(j),
            });
            if let Some(j) = second {
                seconds.push((seg[best[p]] - seg[j], p, j));
            }
        }
        seconds.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        seconds.truncate(positions.min(16));
        Ok((0..1usize << seconds.len())
            .map(|mask| {
                let mut d = best.clone();
                for (bit, &(_, p, j)) in seconds.iter().enumerate() {
                    if mask >> bit & 1 == 1 {
                        d[p] = j;
                    }
                }
                d
            })
            .collect())
    }

    /// Every member, if there are at most `limit`.
    pub fn enumerate(&self, limit: usize) -> Result<Vec<Vec<usize>>> {
        let total = self.counts.iter().try_fold(1usize, |acc, &n| acc.checked_mul(n)).filter(|t| *t <= limit);
        let total = total.ok_or_else(|| CodesignError::InvalidParam {
            name: "choice space",
            value: format!("{:?}", self.counts),
            reason: format!("has more than {limit} members"),
        })?;
        Ok((0..total)
            .map(|mut i| {
                self.counts
                    .iter()
                    .map(|&n| {
                        let c = i % n;
                        i /= n;
                        c
                    })
                    .collect()
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nb201_choices_round_trip_and_refuse_out_of_range() {
        let nb = Nb201::cifar10();
        for a in nb.enumerate().unwrap().iter().step_by(997) {
            assert_eq!(&nb.arch_of_choices(&nb.to_choices(a)).unwrap(), a);
        }
        assert!(nb.arch_of_choices(&[0, 1, 2, 3, 4, 5]).is_err());
        assert!(nb.arch_of_choices(&[0, 1]).is_err());
    }

    #[test]
    fn softmax_backward_matches_finite_differences() {
        let s = ChoiceSpace::new(vec![3, 2]).unwrap();
        let logits = ndarray::array![0.2, -0.5, 1.0, 0.3, 0.0];
        let w = ndarray::array![1.0, -2.0, 0.5, 3.0, -1.0];
        let t = 0.7;
        let loss = |l: &Array1<f64>| s.softmax(l.view(), t).dot(&w);
        let p = s.softmax(logits.view(), t);
        let g = s.softmax_backward(p.view(), w.view(), t);
        for j in 0..5 {
            let mut up = logits.clone();
            up[j] += 1e-6;
            let fd = (loss(&up) - loss(&logits)) / 1e-6;
            assert!((fd - g[j]).abs() < 1e-4, "{j}: {fd} vs {}", g[j]);
        }
    }
}
