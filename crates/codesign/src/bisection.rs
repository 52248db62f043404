//! Bisection on the trade-off weight `t` (thesis alg. 1): meet a latency constraint on a new
//! device with about log2(1/granularity) measurements, reusing the proxy's predictors.

use std::collections::HashMap;
use std::hash::Hash;

use crate::device::Device;
use crate::error::{CodesignError, Result};

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
        let valid = granularity > 0.0 && granularity < 1.0 && delta >= 0.0 && constraint.is_finite();
        if !valid {
            return Err(CodesignError::InvalidParam {
                name: "granularity/delta/constraint",
                value: format!("{granularity}/{delta}/{constraint}"),
                reason: "need 0 < granularity < 1, delta ≥ 0 and a finite constraint".into(),
            });
        }
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
