//! Bisection on the trade-off weight `t` (thesis alg. 1): meet a latency constraint on a new
//! device with about log2(1/granularity) measurements, reusing the proxy's predictors.

use std::collections::HashMap;
use std::hash::Hash;

use crate::device::Device;
use crate::error::{CodesignError, Result};

/// Eq. 1.6 solved exhaustively over a finite candidate set: the index minimising
/// `−(1 − t)·accuracy/max accuracy + t·latency/max latency` (ties: lowest index).
///
/// ```
/// use edgeopt_codesign::weighted_argmin;
/// let acc = [70.0, 80.0, 90.0];
/// let lat = [1.0, 2.0, 10.0];
/// assert_eq!(weighted_argmin(&acc, &lat, 0.0), Some(2)); // accuracy only
/// assert_eq!(weighted_argmin(&acc, &lat, 1.0), Some(0)); // latency only
/// ```
pub fn weighted_argmin(accuracy: &[f64], latency: &[f64], t: f64) -> Option<usize> {
    let amax = accuracy.iter().cloned().fold(0.0, f64::max).max(f64::MIN_POSITIVE);
    let lmax = latency.iter().cloned().fold(0.0, f64::max).max(f64::MIN_POSITIVE);
    let f = |i: usize| -(1.0 - t) * accuracy[i] / amax + t * latency[i] / lmax;
    (0..accuracy.len().min(latency.len())).min_by(|&a, &b| f(a).total_cmp(&f(b)).then(a.cmp(&b)))
}

/// What a bisection returns.
#[derive(Debug, Clone, PartialEq)]
pub struct BisectionResult<A> {
    /// The most accurate design found whose measured latency is at most the constraint + δ.
    pub arch: Option<A>,
    /// Its `t`.
    pub t: f64,
    /// Its measured latency.
    pub latency: f64,
    /// Target measurements spent by this call.
    pub measurements: usize,
}

/// Bisection over `t ∈ [0, 1]` on a grid of step `granularity`. `solve(t)` returns the optimal
/// design of eq. 1.6 for `t` (larger `t` ⇒ lower latency) with a higher-is-better accuracy.
/// Solved `t` values and measured designs are memoised across calls.
pub struct Bisection<A, F> {
    solve: F,
    solved: HashMap<u64, (A, f64)>,
    measured: HashMap<A, f64>,
}

impl<A: Clone + Eq + Hash, F: FnMut(f64) -> Result<(A, f64)>> Bisection<A, F> {
    /// A bisection over the solver `solve(t) -> (design, accuracy)`.
    pub fn new(solve: F) -> Self {
        Bisection { solve, solved: HashMap::new(), measured: HashMap::new() }
    }

    /// Maximum measurements one call can spend: ⌈log2(1/granularity)⌉ + 1.
    pub fn budget(granularity: f64) -> usize {
        (1.0 / granularity).log2().ceil() as usize + 1
    }

    fn design(&mut self, step: u64, t: f64) -> Result<(A, f64)> {
        if let Some(d) = self.solved.get(&step) {
            return Ok(d.clone());
        }
        let d = (self.solve)(t)?;
        self.solved.insert(step, d.clone());
        Ok(d)
    }

    /// Find the most accurate design meeting `latency ≤ constraint` on `target` (within `delta`).
    pub fn find<D: Device<A> + ?Sized>(
        &mut self,
        target: &D,
        constraint: f64,
        delta: f64,
        granularity: f64,
    ) -> Result<BisectionResult<A>> {
        check_inputs(granularity, &[("delta", delta)], &[("constraint", constraint)])?;
        let steps = (1.0 / granularity).round() as u64;
        let (mut lo, mut hi) = (0u64, steps);
        let mut spent = 0usize;
        let mut best: Option<(A, f64, f64, f64)> = None; // (design, accuracy, t, latency)
        for _ in 0..Bisection::<A, F>::budget(granularity) {
            let mid = (lo + hi) / 2;
            let t = mid as f64 / steps as f64;
            let (arch, acc) = self.design(mid, t)?;
            let lat = match self.measured.get(&arch) {
                Some(&l) => l,
                None => {
                    let l = target.measure(&arch)?.latency;
                    spent += 1;
                    self.measured.insert(arch.clone(), l);
                    l
                }
            };
            if lat <= constraint + delta && best.as_ref().is_none_or(|b| acc > b.1) {
                best = Some((arch.clone(), acc, t, lat));
            }
            if lat >= constraint + delta {
                lo = mid;
            } else if lat <= constraint - delta {
                hi = mid;
            } else {
                break;
            }
            if hi - lo <= 1 {
                break;
            }
        }
        Ok(match best {
            Some((arch, _, t, latency)) => BisectionResult { arch: Some(arch), t, latency, measurements: spent },
            None => BisectionResult { arch: None, t: 1.0, latency: f64::INFINITY, measurements: spent },
        })
    }
}

/// The (t1, t2) extension of alg. 1 for a latency *and* an energy constraint: the design problem
/// becomes `min −(1 − t1 − t2)·accuracy + t1·latency + t2·energy`. An outer bisection on `t2`
/// meets the energy bound, and for each `t2` an inner bisection on `t1` meets the latency bound.
pub struct Bisection2<A, F> {
    solve: F,
    solved: HashMap<(u64, u64), (A, f64)>,
    measured: HashMap<A, (f64, f64)>,
}

/// What [`Bisection2::find`] returns.
#[derive(Debug, Clone, PartialEq)]
pub struct Bisection2Result<A> {
    /// The most accurate design found meeting both bounds (within their deltas).
    pub arch: Option<A>,
    /// Its weights.
    pub t: (f64, f64),
    /// Its measured latency and energy.
    pub measured: (f64, f64),
    /// Target measurements spent by this call.
    pub measurements: usize,
}

impl<A: Clone + Eq + Hash, F: FnMut(f64, f64) -> Result<(A, f64)>> Bisection2<A, F> {
    /// A bisection over `solve(t1, t2) -> (design, accuracy)`; `t1 + t2 ≤ 1` is the caller's
    /// convention (the grid below keeps `t2 ≤ 1 − t1` by construction of the solver).
    pub fn new(solve: F) -> Self {
        Bisection2 { solve, solved: HashMap::new(), measured: HashMap::new() }
    }

    /// Most measurements one call can spend: the square of [`Bisection::budget`].
    pub fn budget(granularity: f64) -> usize {
        let b = (1.0 / granularity).log2().ceil() as usize + 1;
        b * b
    }

    /// Find the most accurate design with latency ≤ `l` and energy ≤ `e` on `target`.
    pub fn find<D: Device<A> + ?Sized>(
        &mut self,
        target: &D,
        l: f64,
        e: f64,
        delta: (f64, f64),
        granularity: f64,
    ) -> Result<Bisection2Result<A>> {
        check_inputs(
            granularity,
            &[("latency delta", delta.0), ("energy delta", delta.1)],
            &[("latency bound", l), ("energy bound", e)],
        )?;
        let steps = (1.0 / granularity).round() as u64;
        let iters = (1.0 / granularity).log2().ceil() as usize + 1;
        let mut spent = 0usize;
        // (design, accuracy, (t1, t2), (latency, energy))
        type Found<A> = (A, f64, (f64, f64), (f64, f64));
        let mut best: Option<Found<A>> = None;
        let (mut lo2, mut hi2) = (0u64, steps);
        for _ in 0..iters {
            let m2 = (lo2 + hi2) / 2;
            let (mut lo1, mut hi1) = (0u64, steps);
            let mut energy_at_latency_fit = None;
            for _ in 0..iters {
                let m1 = (lo1 + hi1) / 2;
                let (t1, t2) = (m1 as f64 / steps as f64, m2 as f64 / steps as f64);
                let (arch, acc) = match self.solved.get(&(m1, m2)) {
                    Some(d) => d.clone(),
                    None => {
                        let d = (self.solve)(t1, t2)?;
                        self.solved.insert((m1, m2), d.clone());
                        d
                    }
                };
                let (lat, en) = match self.measured.get(&arch) {
                    Some(&v) => v,
                    None => {
                        let m = target.measure(&arch)?;
                        spent += 1;
                        self.measured.insert(arch.clone(), (m.latency, m.energy));
                        (m.latency, m.energy)
                    }
                };
                if lat <= l + delta.0 {
                    energy_at_latency_fit = Some(en);
                    if en <= e + delta.1 && best.as_ref().is_none_or(|b| acc > b.1) {
                        best = Some((arch.clone(), acc, (t1, t2), (lat, en)));
                    }
                }
                if lat >= l + delta.0 {
                    lo1 = m1;
                } else if lat <= l - delta.0 {
                    hi1 = m1;
                } else {
                    break;
                }
                if hi1 - lo1 <= 1 {
                    break;
                }
            }
            // Energy too high at the latency-fitting design: weigh energy more; else less.
            match energy_at_latency_fit {
                Some(en) if en <= e - delta.1 => hi2 = m2,
                Some(en) if en < e + delta.1 => break,
                _ => lo2 = m2,
            }
            if hi2 - lo2 <= 1 {
                break;
            }
        }
        Ok(match best {
            Some((arch, _, t, measured)) => Bisection2Result { arch: Some(arch), t, measured, measurements: spent },
            None => Bisection2Result {
                arch: None,
                t: (1.0, 1.0),
                measured: (f64::INFINITY, f64::INFINITY),
                measurements: spent,
            },
        })
    }
}

/// The first of the inputs out of range, named: `granularity` in (0, 1), slacks (`deltas`)
/// finite and ≥ 0, `bounds` finite.
fn check_inputs(granularity: f64, deltas: &[(&'static str, f64)], bounds: &[(&'static str, f64)]) -> Result<()> {
    let bad = |name: &'static str, value: f64, reason: &str| {
        Err(CodesignError::InvalidParam { name, value: value.to_string(), reason: reason.into() })
    };
    if !(granularity > 0.0 && granularity < 1.0) {
        return bad("granularity", granularity, "the step of t must be in (0, 1)");
    }
    for &(name, v) in deltas {
        if !(v.is_finite() && v >= 0.0) {
            return bad(name, v, "a slack must be finite and at least 0");
        }
    }
    for &(name, v) in bounds {
        if !v.is_finite() {
            return bad(name, v, "a bound must be finite");
        }
    }
    Ok(())
}
