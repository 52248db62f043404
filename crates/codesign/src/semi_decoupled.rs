//! Semi-decoupled architecture/accelerator co-design (thesis alg. 6) and its baselines.
//!
//! Latency and energy of every (architecture, accelerator) pair come as matrices (e.g. from
//! [`edgeopt_accel_sim::HardwareSpace::cost_matrix`]); evaluation counts report how many pairs
//! each method would have had to cost.
//!
//! * **Fully coupled**: the most accurate pair meeting (L, E) over all architectures × accelerators.
//! * **Semi-decoupled**: stage 1 finds, on one proxy accelerator `h0`, the most accurate architecture
//!   for each of K constraint pairs (set P); stage 2 picks, for every admissible accelerator, the
//!   most accurate member of P meeting (L, E) there.
//! * **Fully decoupled**: one architecture chosen on `h0` for (L, E), then any accelerator it fits.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{CodesignError, Result};

/// The co-design problem: accuracies, per-pair latency and energy (`None`: the pair cannot run),
/// and which accelerators the hardware budget admits.
#[derive(Debug, Clone)]
pub struct Problem<'a> {
    /// Accuracy of each architecture.
    pub accuracy: &'a [f64],
    /// `latency[a][h]`.
    pub latency: &'a [Vec<Option<f64>>],
    /// `energy[a][h]`.
    pub energy: &'a [Vec<Option<f64>>],
    /// `admissible[h]`: HardwareResource(h) ≤ H.
    pub admissible: &'a [bool],
}

/// A chosen design.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Design {
    /// Architecture index.
    pub arch: usize,
    /// Accelerator index.
    pub accel: usize,
    /// Accuracy.
    pub accuracy: f64,
}

/// Result of one method for one constraint pair.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// The design, if any meets the constraints.
    pub design: Option<Design>,
    /// (architecture, accelerator) pairs the method evaluates.
    pub evaluations: usize,
}

impl Problem<'_> {
    fn check(&self) -> Result<(usize, usize)> {
        let na = self.accuracy.len();
        let nh = self.admissible.len();
        let bad = |what: &str, got: usize, want: usize| CodesignError::InvalidParam {
            name: "problem",
            value: format!("{what} has {got} rows"),
            reason: format!("expected {want}"),
        };
        if self.latency.len() != na || self.energy.len() != na {
            return Err(bad("latency/energy", self.latency.len().min(self.energy.len()), na));
        }
        if let Some(r) = self.latency.iter().chain(self.energy).find(|r| r.len() != nh) {
            return Err(bad("a latency/energy row", r.len(), nh));
        }
        // A NaN accuracy would compare as the best under `total_cmp` and make parallel reductions
        // depend on scheduling.
        if let Some((a, v)) = self.accuracy.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(CodesignError::InvalidParam {
                name: "accuracy",
                value: v.to_string(),
                reason: format!("architecture {a}: accuracies must be finite"),
            });
        }
        if na == 0 || nh == 0 {
            return Err(CodesignError::InvalidParam {
                name: "problem",
                value: "empty".into(),
                reason: "need architectures and accelerators".into(),
            });
        }
        Ok((na, nh))
    }

    fn meets(&self, a: usize, h: usize, l: f64, e: f64) -> bool {
        matches!((self.latency[a][h], self.energy[a][h]), (Some(x), Some(y)) if x <= l && y <= e)
    }

    fn better(&self, cand: Design, cur: Option<Design>) -> bool {
        better(cand, cur)
    }

    /// Fully coupled exhaustive search.
    pub fn fully_coupled(&self, l: f64, e: f64) -> Result<Outcome> {
        let (na, nh) = self.check()?;
        let best = (0..na)
            .into_par_iter()
            .filter_map(|a| {
                (0..nh)
                    .filter(|&h| self.admissible[h] && self.meets(a, h, l, e))
                    .map(|h| Design { arch: a, accel: h, accuracy: self.accuracy[a] })
                    .next()
            })
            .reduce_with(|x, y| if self.better(y, Some(x)) { y } else { x });
        let admissible = self.admissible.iter().filter(|&&x| x).count();
        Ok(Outcome { design: best, evaluations: na * admissible })
    }

    /// The set P of stage 1 on proxy `h0`: the most accurate architecture under each constraint pair.
    pub fn proxy_set(&self, h0: usize, pairs: &[(f64, f64)]) -> Result<Vec<usize>> {
        self.check()?;
        let column = self.column(h0)?;
        let mut set: Vec<usize> =
            pairs.iter().filter_map(|&(l, e)| best_on_column(&column, self.accuracy, l, e)).collect();
        set.sort_unstable();
        set.dedup();
        Ok(set)
    }

    /// The set P of stage 1 as the proxy's latency–energy–accuracy Pareto front: every architecture
    /// no other beats in all three on `h0`. When the front has more than `max` members, `max` of them
    /// are kept, evenly spaced by latency (K constraint pairs of alg. 6, one per kept member).
    pub fn pareto_set(&self, h0: usize, max: usize) -> Result<Vec<usize>> {
        Ok(self.pareto_sets(&[h0], max)?.remove(0))
    }

    /// [`Problem::pareto_set`] for every proxy in `proxies` (in parallel), sharing one sort of the
    /// architectures by accuracy: each proxy's front is then a sweep over its column in that
    /// order, O(n log n) without a sort per proxy.
    pub fn pareto_sets(&self, proxies: &[usize], max: usize) -> Result<Vec<Vec<usize>>> {
        let (_, nh) = self.check()?;
        if let Some(&h0) = proxies.iter().find(|&&h| h >= nh).or(if max == 0 { proxies.first() } else { None }) {
            return Err(CodesignError::InvalidParam {
                name: "proxy/max",
                value: format!("{h0}/{max}"),
                reason: format!("need proxy < {nh} and max ≥ 1"),
            });
        }
        // Descending accuracy is ascending in the minimised objective −accuracy.
        let mut order: Vec<usize> = (0..self.accuracy.len()).collect();
        order.sort_by(|&a, &b| self.accuracy[b].total_cmp(&self.accuracy[a]).then(a.cmp(&b)));
        proxies
            .par_iter()
            .map(|&h0| {
                let column = self.column(h0)?;
                let mut sorted: Vec<(f64, f64, f64, usize)> = Vec::with_capacity(order.len());
                for &a in &order {
                    if let (Some(l), Some(e)) = column[a] {
                        let acc = self.accuracy[a];
                        if let Some(v) = [l, e, acc].into_iter().find(|v| !v.is_finite()) {
                            return Err(CodesignError::InvalidParam {
                                name: "proxy front",
                                value: v.to_string(),
                                reason: format!(
                                    "architecture {a} on proxy {h0}: latency, energy and accuracy must be finite"
                                ),
                            });
                        }
                        sorted.push((-acc + 0.0, l + 0.0, e + 0.0, a));
                    }
                }
                // Equal accuracies: order the run by (latency, energy) to make it lexicographic.
                for run in sorted.chunk_by_mut(|p, q| p.0 == q.0) {
                    run.sort_unstable_by(|p, q| p.1.total_cmp(&q.1).then(p.2.total_cmp(&q.2)));
                }
                let front = edgeopt_nas::pareto::non_dominated_sorted3(&sorted);
                let lat: Vec<Option<f64>> = column.iter().map(|c| c.0).collect();
                Ok(thin_by_latency(front, &lat, max))
            })
            .collect()
    }

    fn check_archs(&self, archs: impl IntoIterator<Item = usize>) -> Result<()> {
        let na = self.accuracy.len();
        match archs.into_iter().find(|&a| a >= na) {
            Some(a) => Err(CodesignError::InvalidParam {
                name: "architecture index",
                value: a.to_string(),
                reason: format!("must be < {na}"),
            }),
            None => Ok(()),
        }
    }

    /// Stage 2 over a proxy set.
    pub fn semi_decoupled(&self, set: &[usize], l: f64, e: f64) -> Result<Outcome> {
        let (na, _) = self.check()?;
        self.check_archs(set.iter().copied())?;
        // Accuracy depends on the architecture only, so each member's best pair is its first
        // admissible accelerator meeting (L, E) (the lowest index wins ties): scanning a member's
        // row is contiguous, and members that cannot beat the best so far are skipped.
        let mut best: Option<Design> = None;
        for &a in set {
            if best.is_some_and(|b| self.accuracy[a] < b.accuracy) {
                continue;
            }
            if let Some(h) = self.first_meeting(a, l, e) {
                let d = Design { arch: a, accel: h, accuracy: self.accuracy[a] };
                if self.better(d, best) {
                    best = Some(d);
                }
            }
        }
        let admissible = self.admissible.iter().filter(|&&x| x).count();
        Ok(Outcome { design: best, evaluations: na + set.len() * admissible })
    }

    /// The lowest-index admissible accelerator on which `a` meets (L, E).
    fn first_meeting(&self, a: usize, l: f64, e: f64) -> Option<usize> {
        let (lat, en) = (&self.latency[a], &self.energy[a]);
        (0..self.admissible.len())
            .find(|&h| self.admissible[h] && matches!((lat[h], en[h]), (Some(x), Some(y)) if x <= l && y <= e))
    }

    /// Fully decoupled: the architecture is fixed on the proxy `h0` for (L, E) first.
    pub fn fully_decoupled(&self, h0: usize, l: f64, e: f64) -> Result<Outcome> {
        Ok(self.fully_decoupled_all(h0, &[(l, e)])?.remove(0))
    }

    /// [`Problem::fully_decoupled`] for several constraint pairs on one proxy, reading the proxy's
    /// column once.
    pub fn fully_decoupled_all(&self, h0: usize, pairs: &[(f64, f64)]) -> Result<Vec<Outcome>> {
        let (na, _) = self.check()?;
        let column = self.column(h0)?;
        let admissible = self.admissible.iter().filter(|&&x| x).count();
        Ok(pairs
            .iter()
            .map(|&(l, e)| {
                let design = best_on_column(&column, self.accuracy, l, e).and_then(|a| {
                    self.first_meeting(a, l, e).map(|h| Design { arch: a, accel: h, accuracy: self.accuracy[a] })
                });
                Outcome { design, evaluations: na + admissible }
            })
            .collect())
    }

    /// Latency and energy of every architecture on accelerator `h0`.
    fn column(&self, h0: usize) -> Result<Vec<(Option<f64>, Option<f64>)>> {
        let nh = self.admissible.len();
        if h0 >= nh {
            return Err(CodesignError::InvalidParam {
                name: "proxy",
                value: h0.to_string(),
                reason: format!("must be < {nh}"),
            });
        }
        Ok(self.latency.iter().zip(self.energy).map(|(l, e)| (l[h0], e[h0])).collect())
    }

    /// Nested (fully coupled, search-based) baseline: for every admissible accelerator run a
    /// hardware-aware NAS `inner(h)`, which returns the most accurate architecture it found meeting
    /// (L, E) on `h` and the evaluations it spent; keep the best pair.
    pub fn nested(&self, inner: &(dyn Fn(usize) -> Result<(Option<usize>, usize)> + Sync)) -> Result<Outcome> {
        let (_, nh) = self.check()?;
        let found: Vec<(Option<usize>, usize, usize)> = (0..nh)
            .into_par_iter()
            .filter(|&h| self.admissible[h])
            .map(|h| inner(h).map(|(a, n)| (a, n, h)))
            .collect::<Result<Vec<_>>>()?;
        self.check_archs(found.iter().filter_map(|f| f.0))?;
        let mut best = None;
        for &(a, _, h) in &found {
            if let Some(a) = a {
                let d = Design { arch: a, accel: h, accuracy: self.accuracy[a] };
                if self.better(d, best) {
                    best = Some(d);
                }
            }
        }
        Ok(Outcome { design: best, evaluations: found.iter().map(|f| f.1).sum() })
    }

    /// K constraint pairs for stage 1 on `h0`: a grid of latency and energy quantiles of the
    /// architectures on `h0` (`k_latency × k_energy` pairs).
    pub fn constraint_grid(&self, h0: usize, k_latency: usize, k_energy: usize) -> Result<Vec<(f64, f64)>> {
        self.check()?;
        let quantiles = |v: &[Option<f64>], k: usize| -> Vec<f64> {
            let mut xs: Vec<f64> = v.iter().flatten().copied().collect();
            xs.sort_by(f64::total_cmp);
            if xs.is_empty() {
                return vec![];
            }
            (1..=k).map(|i| xs[((i as f64 / k as f64) * (xs.len() - 1) as f64).round() as usize]).collect()
        };
        let lat: Vec<Option<f64>> = self.latency.iter().map(|r| r[h0]).collect();
        let en: Vec<Option<f64>> = self.energy.iter().map(|r| r[h0]).collect();
        let (ls, es) = (quantiles(&lat, k_latency), quantiles(&en, k_energy));
        Ok(ls.iter().flat_map(|&l| es.iter().map(move |&e| (l, e))).collect())
    }
}

/// The most accurate architecture meeting (L, E) on one accelerator's column (the lowest index
/// wins ties).
fn best_on_column(column: &[(Option<f64>, Option<f64>)], accuracy: &[f64], l: f64, e: f64) -> Option<usize> {
    (0..column.len())
        .filter(|&a| matches!(column[a], (Some(x), Some(y)) if x <= l && y <= e))
        .max_by(|&x, &y| accuracy[x].total_cmp(&accuracy[y]).then(y.cmp(&x)))
}

/// Whether `cand` beats `cur`: higher accuracy, then the lower (architecture, accelerator) index.
pub(crate) fn better(cand: Design, cur: Option<Design>) -> bool {
    cur.is_none_or(|c| {
        cand.accuracy > c.accuracy || (cand.accuracy == c.accuracy && (cand.arch, cand.accel) < (c.arch, c.accel))
    })
}

/// The latency–energy–accuracy Pareto front over the architectures that ran (`Some` latency and
/// energy), ascending; more than `max` members are thinned to `max` evenly spaced by latency.
pub(crate) fn pareto_subset(
    latency: &[Option<f64>],
    energy: &[Option<f64>],
    accuracy: &[f64],
    max: usize,
) -> Result<Vec<usize>> {
    let runnable: Vec<usize> = (0..latency.len()).filter(|&a| latency[a].is_some() && energy[a].is_some()).collect();
    let pts: Vec<Vec<f64>> = runnable
        .iter()
        .map(|&a| vec![latency[a].unwrap_or(f64::INFINITY), energy[a].unwrap_or(f64::INFINITY), -accuracy[a]])
        .collect();
    let front: Vec<usize> = edgeopt_nas::pareto::non_dominated(&pts)?.into_iter().map(|i| runnable[i]).collect();
    Ok(thin_by_latency(front, latency, max))
}

/// A front sorted by latency (index on ties), thinned to `max` members evenly spaced by latency
/// when larger, returned in ascending index order.
fn thin_by_latency(mut front: Vec<usize>, latency: &[Option<f64>], max: usize) -> Vec<usize> {
    front.sort_by(|&x, &y| latency[x].partial_cmp(&latency[y]).unwrap_or(std::cmp::Ordering::Equal).then(x.cmp(&y)));
    if front.len() > max {
        let n = front.len();
        front = (0..max).map(|k| front[if max == 1 { n - 1 } else { k * (n - 1) / (max - 1) }]).collect();
        front.dedup();
    }
    front.sort_unstable();
    front
}
