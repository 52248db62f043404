//! Hardware-aware NAS with one proxy device (thesis alg. 5).
//!
//! 1. Measure a small sample of architectures on the target and estimate the SRCC between the
//!    proxy's predictor and the target.
//! 2. If the SRCC reaches the threshold, keep the proxy's predictor; otherwise adapt it (AdaProxy),
//!    measuring a few more architectures at a time while the held-out SRCC stays below threshold.
//! 3. Take the predictor's latency–accuracy Pareto set over the candidate pool, measure its members
//!    on the target and drop those that are not Pareto-optimal by measurement (alg. 5, line 11).

use std::collections::HashMap;

use edgeopt_nas::Encode;
use edgeopt_nas::pareto::{non_dominated, prune_by_measurement};
use edgeopt_predictors::AdaptablePredictor;
use edgeopt_predictors::metrics::spearman;
use rand::Rng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::adapt::{predict_all, refit};
use crate::device::Device;
use crate::error::{CodesignError, Result};
use crate::select::Selection;
use edgeopt_predictors::ndarray::Array2;

/// Settings of the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OneProxyConfig {
    /// Architectures measured first (30–50 in the thesis).
    pub samples: usize,
    /// SRCC threshold above which the proxy is used as is.
    pub threshold: f64,
    /// Extra measurements per round when the adapted SRCC is still below threshold.
    pub extra_step: usize,
    /// Most extra measurements in total.
    pub max_extra: usize,
    /// How the samples (and extra samples) are chosen.
    #[serde(default)]
    pub select: Selection,
    /// Most target measurements in all (samples, extra samples and the Pareto set); `None`: no
    /// cap. Extra samples use at most half of what the cap leaves after the samples, and a
    /// predicted Pareto set with more unmeasured members than the cap then leaves is thinned to
    /// that many, evenly spaced by predicted latency.
    #[serde(default)]
    pub max_measurements: Option<usize>,
}

impl OneProxyConfig {
    /// Check the settings against a pool of `pool` candidates; returns the extra-sample cap.
    pub(crate) fn checked_max_extra(&self, pool: usize) -> Result<usize> {
        if self.samples < 6 || self.samples > pool {
            return Err(CodesignError::InvalidParam {
                name: "samples",
                value: self.samples.to_string(),
                reason: format!("need 6 ≤ samples ≤ {pool} (the candidates)"),
            });
        }
        match self.max_measurements {
            Some(cap) if cap < self.samples => Err(CodesignError::InvalidParam {
                name: "max measurements",
                value: cap.to_string(),
                reason: format!("must be at least the {} samples", self.samples),
            }),
            // Half of what the cap leaves after the samples stays for the Pareto set.
            Some(cap) => Ok(self.max_extra.min((cap - self.samples) / 2)),
            None => Ok(self.max_extra),
        }
    }
}

impl Default for OneProxyConfig {
    fn default() -> Self {
        OneProxyConfig {
            samples: 40,
            threshold: 0.9,
            extra_step: 10,
            max_extra: 20,
            select: Selection::Random,
            max_measurements: None,
        }
    }
}

/// A member of the returned set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member<A> {
    /// Architecture.
    pub arch: A,
    /// Its accuracy.
    pub accuracy: f64,
    /// Its latency measured on the target.
    pub latency: f64,
}

/// What the workflow returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OneProxyResult<A> {
    /// SRCC between proxy prediction and target on the first sample.
    pub srcc_estimate: f64,
    /// Whether the proxy was adapted.
    pub adapted: bool,
    /// Held-out SRCC of the adapted predictor (if adapted).
    pub srcc_adapted: Option<f64>,
    /// Target measurements spent (samples, extra samples and the Pareto set, each architecture once).
    pub measurements_used: usize,
    /// The target's Pareto-optimal set, by increasing latency.
    pub set: Vec<Member<A>>,
}

/// Run alg. 5 over a candidate `pool` (every architecture the target can be asked about) with
/// accuracies from `accuracy` (higher is better). `proxy` is any [`AdaptablePredictor`] fitted
/// on the proxy device (linear, MLP, GCN on flattened graphs, or a user's own).
pub fn one_proxy<S, P, D, R>(
    space: &S,
    pool: &[S::Arch],
    accuracy: &(dyn Fn(&S::Arch) -> f64 + Sync),
    proxy: &P,
    target: &D,
    cfg: &OneProxyConfig,
    rng: &mut R,
) -> Result<OneProxyResult<S::Arch>>
where
    S: Encode,
    P: AdaptablePredictor + ?Sized,
    D: Device<S::Arch> + ?Sized,
    R: Rng + ?Sized,
{
    let max_extra = cfg.checked_max_extra(pool.len())?;
    // Random selection keeps one shuffled order; other strategies are guided by the proxy.
    let mut order: Vec<usize> = (0..pool.len()).collect();
    let guide = match cfg.select {
        Selection::Random => {
            order.shuffle(rng);
            None
        }
        _ => Some(
            Array2::from_shape_vec((pool.len(), 1), predict_all(space, proxy, pool)?)
                .map_err(|source| edgeopt_predictors::PredictorError::Shape { what: "proxy predictions", source })?,
        ),
    };
    let mut taken = vec![false; pool.len()];
    let mut next = 0usize;
    let mut measured: HashMap<S::Arch, f64> = HashMap::new();
    let mut sample: Vec<(S::Arch, f64)> = Vec::new();
    let mut measure_more =
        |n: usize, sample: &mut Vec<(S::Arch, f64)>, measured: &mut HashMap<S::Arch, f64>, rng: &mut R| -> Result<()> {
            let n = n.min(taken.iter().filter(|t| !**t).count());
            let chosen = match &guide {
                None => {
                    let c = order[next..next + n].to_vec();
                    next += n;
                    c
                }
                Some(g) => cfg.select.choose(g.view(), &taken, n, rng)?,
            };
            for i in chosen {
                taken[i] = true;
                let a = pool[i].clone();
                let l = target.measure(&a)?.latency;
                measured.insert(a.clone(), l);
                sample.push((a, l));
            }
            Ok(())
        };
    measure_more(cfg.samples, &mut sample, &mut measured, rng)?;
    let archs: Vec<S::Arch> = sample.iter().map(|s| s.0.clone()).collect();
    let lat: Vec<f64> = sample.iter().map(|s| s.1).collect();
    let srcc_estimate = spearman(&predict_all(space, proxy, &archs)?, &lat)?;

    let mut adapted_predictor = None;
    let mut srcc_adapted = None;
    if srcc_estimate < cfg.threshold {
        let mut extra = 0;
        loop {
            // Hold out a third (at least 5) for choosing λ and judging the adaptation.
            let val = (sample.len() / 3).max(5);
            let train = sample.len() - val;
            // Shuffle so that the split does not follow measurement order.
            let mut shuffled = sample.clone();
            shuffled.shuffle(rng);
            let pred = refit(space, proxy, &shuffled, train)?;
            let held: Vec<S::Arch> = shuffled[train..].iter().map(|s| s.0.clone()).collect();
            let held_lat: Vec<f64> = shuffled[train..].iter().map(|s| s.1).collect();
            let s = spearman(&predict_all(space, &pred, &held)?, &held_lat).unwrap_or(f64::NEG_INFINITY);
            adapted_predictor = Some(pred);
            srcc_adapted = Some(s);
            if s >= cfg.threshold || extra >= max_extra {
                break;
            }
            let step = cfg.extra_step.max(1).min(max_extra - extra);
            measure_more(step, &mut sample, &mut measured, rng)?;
            extra += step;
        }
    }
    let predicted = match &adapted_predictor {
        Some(p) => predict_all(space, p, pool)?,
        None => predict_all(space, proxy, pool)?,
    };
    let set = measured_front(pool, accuracy, &predicted, target, &mut measured, cfg.max_measurements)?;
    Ok(OneProxyResult {
        srcc_estimate,
        adapted: adapted_predictor.is_some(),
        srcc_adapted,
        measurements_used: measured.len(),
        set,
    })
}

/// Alg. 5, lines 9–11: the predicted latency–accuracy Pareto set of `pool`, each member measured
/// on `target` (once: `measured` holds what is already known and receives the new measurements),
/// pruned to those Pareto-optimal by measurement, by increasing latency. With a cap on the
/// measurements in all, the unmeasured members are thinned to what the cap leaves, evenly spaced
/// by predicted latency (the front's two ends kept first; with one slot, the slowest and most
/// accurate end, as co-design's `max = 1` keeps).
pub(crate) fn measured_front<A, D>(
    pool: &[A],
    accuracy: &(dyn Fn(&A) -> f64 + Sync),
    predicted: &[f64],
    target: &D,
    measured: &mut HashMap<A, f64>,
    cap: Option<usize>,
) -> Result<Vec<Member<A>>>
where
    A: Clone + Eq + std::hash::Hash,
    D: Device<A> + ?Sized,
{
    let acc: Vec<f64> = pool.iter().map(accuracy).collect();
    let points: Vec<Vec<f64>> = predicted.iter().zip(&acc).map(|(l, a)| vec![*l, -a]).collect();
    let mut front = non_dominated(&points)?;
    front.sort_by(|&x, &y| predicted[x].total_cmp(&predicted[y]).then(x.cmp(&y)));
    if let Some(cap) = cap {
        let left = cap.saturating_sub(measured.len());
        let unmeasured: Vec<usize> = front.iter().copied().filter(|&i| !measured.contains_key(&pool[i])).collect();
        if unmeasured.len() > left {
            let n = unmeasured.len();
            let keep: std::collections::HashSet<usize> =
                (0..left).map(|k| unmeasured[if left == 1 { n - 1 } else { k * (n - 1) / (left - 1) }]).collect();
            front.retain(|i| measured.contains_key(&pool[*i]) || keep.contains(i));
        }
    }
    let mut members = Vec::with_capacity(front.len());
    for i in front {
        let a = pool[i].clone();
        let l = match measured.get(&a) {
            Some(&l) => l,
            None => {
                let l = target.measure(&a)?.latency;
                measured.insert(a.clone(), l);
                l
            }
        };
        if !members.iter().any(|m: &Member<A>| m.arch == a) {
            members.push(Member { arch: a, accuracy: acc[i], latency: l });
        }
    }
    let keep = prune_by_measurement(
        &members.iter().map(|m| m.latency).collect::<Vec<_>>(),
        &members.iter().map(|m| m.accuracy).collect::<Vec<_>>(),
    )?;
    let mut set: Vec<Member<A>> = keep.into_iter().map(|i| members[i].clone()).collect();
    set.sort_by(|a, b| a.latency.total_cmp(&b.latency));
    Ok(set)
}

/// Mean accuracy gap (in the accuracy's units) between the best returned member meeting a latency
/// constraint and the best of all architectures meeting it, over `constraints` latency bounds
/// spread evenly between the 5th and 95th percentile of `all` latencies. A constraint no returned
/// member meets counts the full oracle accuracy as the gap.
pub fn mean_gap_to_oracle<A>(set: &[Member<A>], all: &[(f64, f64)], constraints: usize) -> Result<f64> {
    if all.is_empty() || constraints == 0 {
        return Err(CodesignError::InvalidParam {
            name: "constraints",
            value: format!("{constraints} over {} architectures", all.len()),
            reason: "need architectures and at least one constraint".into(),
        });
    }
    let mut lats: Vec<f64> = all.iter().map(|p| p.1).collect();
    lats.sort_by(f64::total_cmp);
    let q = |p: f64| lats[((p * (lats.len() - 1) as f64).round() as usize).min(lats.len() - 1)];
    let (lo, hi) = (q(0.05), q(0.95));
    let mut total = 0.0;
    for k in 0..constraints {
        let bound = if constraints == 1 { hi } else { lo + (hi - lo) * k as f64 / (constraints - 1) as f64 };
        let oracle = all.iter().filter(|p| p.1 <= bound).map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
        if oracle == f64::NEG_INFINITY {
            continue;
        }
        let ours = set.iter().filter(|m| m.latency <= bound).map(|m| m.accuracy).fold(f64::NEG_INFINITY, f64::max);
        total += if ours == f64::NEG_INFINITY { oracle } else { (oracle - ours).max(0.0) };
    }
    Ok(total / constraints as f64)
}

/// Pick the proxy device: the column with the highest mean SRCC to all others in a matrix.
pub fn choose_proxy(srcc: &[Vec<f64>]) -> Option<usize> {
    let means = crate::monotonicity::mean_srcc(srcc);
    (0..means.len()).filter(|&i| means[i].is_finite()).max_by(|&a, &b| means[a].total_cmp(&means[b]))
}
