//! Synthetic devices (`D_S` of alg. 2): geometric mixtures of two measured devices whose per-option
//! costs are perturbed, so the networks see more device shapes than the few real ones without a
//! single extra measurement.

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use super::choices::ChoiceSpace;
use crate::error::{CodesignError, Result};

/// `latency(x) = latency_a(x)^w · latency_b(x)^(1−w) · exp(Σ_positions offset[choice])`: between
/// two real devices `a` and `b`, with a multiplicative cost change per option of each position
/// (e.g. a device whose 3×3 convolutions are relatively slower).
///
/// ```
/// use edgeopt_codesign::l2o::{ChoiceSpace, Synthetic};
/// use edgeopt_predictors::rand::{SeedableRng, rngs::ChaCha8Rng};
/// let space = ChoiceSpace::new(vec![2, 2]).unwrap();
/// let s = Synthetic::sample(2, &space, 3, 0.0, &mut ChaCha8Rng::seed_from_u64(0)).unwrap();
/// // Without perturbation a mixture lies between its two devices.
/// let l = s[0].latency(&[1.0, 4.0], &[0, 1]).unwrap();
/// assert!((1.0..=4.0).contains(&l));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Synthetic {
    /// First real device.
    pub a: usize,
    /// Second real device.
    pub b: usize,
    /// Weight of the first device in the geometric mixture.
    pub weight: f64,
    /// Log-cost offset of every option (one-hot layout).
    pub offsets: Vec<f64>,
    choices: ChoiceSpace,
}

impl Synthetic {
    /// `count` devices mixing two of `n_real` real devices (uniform weight) with offsets uniform in
    /// `[−perturbation, perturbation]`.
    pub fn sample<R: Rng + ?Sized>(
        n_real: usize,
        choices: &ChoiceSpace,
        count: usize,
        perturbation: f64,
        rng: &mut R,
    ) -> Result<Vec<Synthetic>> {
        if n_real == 0 {
            return Err(CodesignError::InvalidParam {
                name: "real devices",
                value: "0".into(),
                reason: "synthetic devices mix at least one real device".into(),
            });
        }
        if !(perturbation.is_finite() && perturbation >= 0.0) {
            return Err(CodesignError::InvalidParam {
                name: "perturbation",
                value: perturbation.to_string(),
                reason: "must be finite and ≥ 0".into(),
            });
        }
        Ok((0..count)
            .map(|_| Synthetic {
                a: rng.random_range(0..n_real),
                b: rng.random_range(0..n_real),
                weight: rng.random_range(0.0..=1.0),
                offsets: (0..choices.width())
                    .map(|_| if perturbation > 0.0 { rng.random_range(-perturbation..=perturbation) } else { 0.0 })
                    .collect(),
                choices: choices.clone(),
            })
            .collect())
    }

    /// Latency of the design `choices` given its latency on every real device (`real[i]`).
    pub fn latency(&self, real: &[f64], choices: &[usize]) -> Result<f64> {
        self.choices.check(choices)?;
        let (la, lb) = match (real.get(self.a), real.get(self.b)) {
            (Some(a), Some(b)) if *a > 0.0 && *b > 0.0 && a.is_finite() && b.is_finite() => (*a, *b),
            _ => {
                return Err(CodesignError::InvalidParam {
                    name: "real latencies",
                    value: format!("{real:?}"),
                    reason: format!("devices {} and {} need finite latencies > 0", self.a, self.b),
                });
            }
        };
        let mut off = 0;
        let mut shift = 0.0;
        for (c, n) in choices.iter().zip(self.choices.counts()) {
            shift += self.offsets[off + c];
            off += n;
        }
        Ok((self.weight * la.ln() + (1.0 - self.weight) * lb.ln() + shift).exp())
    }
}
