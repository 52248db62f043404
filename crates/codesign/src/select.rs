//! Which architectures to measure on the target: uniformly at random, or stratified over the
//! proxies' consensus latency ranking. Selection sees only the proxies' values, never the
//! target's unmeasured latencies.

use std::str::FromStr;

use edgeopt_predictors::ndarray::ArrayView2;
use rand::seq::SliceRandom;
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::error::{CodesignError, Result};

/// A sample-selection strategy.
///
/// ```
/// use edgeopt_codesign::Selection;
/// use edgeopt_predictors::ndarray::Array2;
/// use edgeopt_predictors::rand::{SeedableRng, rngs::ChaCha8Rng};
/// // 100 candidates, one proxy whose latency is the candidate's index.
/// let guide = Array2::from_shape_fn((100, 1), |(i, _)| i as f64);
/// let picked = Selection::Stratified.choose(guide.view(), &[false; 100], 10, &mut ChaCha8Rng::seed_from_u64(0)).unwrap();
/// // One architecture from each tenth of the proxy's latency range.
/// let mut deciles: Vec<usize> = picked.iter().map(|i| i / 10).collect();
/// deciles.sort();
/// assert_eq!(deciles, (0..10).collect::<Vec<_>>());
/// assert_eq!("stratified".parse::<Selection>().unwrap(), Selection::Stratified);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Selection {
    /// Uniformly at random among the candidates not yet measured.
    #[default]
    Random,
    /// Sort the candidates by the proxies' consensus (the mean of each proxy's normalised rank),
    /// cut them into `n` strata of equal size and draw one at random from each, so that the
    /// measurements span the whole latency range however few they are.
    Stratified,
}

impl Selection {
    /// Every strategy's name, as accepted by [`FromStr`].
    pub const NAMES: [&'static str; 2] = ["random", "stratified"];

    /// The strategy's name.
    pub fn name(&self) -> &'static str {
        match self {
            Selection::Random => "random",
            Selection::Stratified => "stratified",
        }
    }

    /// Choose `n` candidates among those not `taken`. `guide` holds the proxies' values for every
    /// candidate (candidates × proxies); `taken` marks those already measured.
    pub fn choose<R: Rng + ?Sized>(
        &self,
        guide: ArrayView2<f64>,
        taken: &[bool],
        n: usize,
        rng: &mut R,
    ) -> Result<Vec<usize>> {
        if taken.len() != guide.nrows() {
            return Err(CodesignError::InvalidParam {
                name: "taken",
                value: taken.len().to_string(),
                reason: format!("must mark each of the {} candidates", guide.nrows()),
            });
        }
        let mut free: Vec<usize> = (0..taken.len()).filter(|&i| !taken[i]).collect();
        if n > free.len() {
            return Err(CodesignError::InvalidParam {
                name: "samples",
                value: n.to_string(),
                reason: format!("only {} architectures are left to measure", free.len()),
            });
        }
        match self {
            Selection::Random => {
                let (chosen, _) = free.partial_shuffle(rng, n);
                Ok(chosen.to_vec())
            }
            Selection::Stratified => {
                if n == 0 {
                    return Ok(Vec::new());
                }
                let consensus = consensus_rank(guide);
                free.sort_by(|&a, &b| consensus[a].total_cmp(&consensus[b]).then(a.cmp(&b)));
                let len = free.len();
                Ok((0..n)
                    .map(|s| {
                        let (lo, hi) = (s * len / n, ((s + 1) * len / n).max(s * len / n + 1));
                        free[rng.random_range(lo..hi)]
                    })
                    .collect())
            }
        }
    }
}

impl FromStr for Selection {
    type Err = CodesignError;
    fn from_str(s: &str) -> Result<Selection> {
        match s {
            "random" => Ok(Selection::Random),
            "stratified" => Ok(Selection::Stratified),
            other => Err(CodesignError::InvalidParam {
                name: "select",
                value: other.to_string(),
                reason: format!("expected one of {}", Selection::NAMES.join(", ")),
            }),
        }
    }
}

/// Mean over proxies of each candidate's rank in [0, 1] (ranks are scale-free, so proxies with
/// different units count alike).
fn consensus_rank(guide: ArrayView2<f64>) -> Vec<f64> {
    let (m, k) = guide.dim();
    let mut out = vec![0.0; m];
    let denom = (m.max(2) - 1) as f64;
    for col in guide.columns() {
        let mut order: Vec<usize> = (0..m).collect();
        order.sort_by(|&a, &b| col[a].total_cmp(&col[b]));
        for (rank, &i) in order.iter().enumerate() {
            out[i] += rank as f64 / denom / k.max(1) as f64;
        }
    }
    out
}
