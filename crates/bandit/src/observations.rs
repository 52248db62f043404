//! The training set of a neural bandit: each distinct context once, stored sparsely, with the
//! number and the sum of the rewards it received.
//!
//! Identical contexts recur constantly — a classification stream replays its rows, Aquaman sees
//! the same (device, model) pairs again and again. The squared loss over `c` copies of `x` with
//! rewards `y_1..y_c` has `∂/∂f = c·f(x) − Σ y_i`, so one row per distinct context trains exactly
//! the same network as the full history at a fraction of the cost. Keeping only the non-zeros
//! serves the disjoint `K·d` encodings, which are `(K−1)/K` zeros.

use ndarray::ArrayView1;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::error::{BanditError, Result};

/// Distinct contexts in compressed-row form with their reward counts and sums.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "ObservationsData")]
pub(crate) struct Observations {
    d: usize,
    /// Row `r`'s non-zeros are `index[start[r]..start[r + 1]]` (ascending) and the same range of `value`.
    start: Vec<usize>,
    index: Vec<usize>,
    value: Vec<f64>,
    count: Vec<f64>,
    sum: Vec<f64>,
    total: usize,
    /// Row of each distinct context, keyed by its non-zeros' positions and bit patterns (derived).
    #[serde(skip)]
    lookup: FxHashMap<Vec<u64>, usize>,
}

/// One distinct context of an [`Observations`] set.
pub(crate) struct Row<'a> {
    /// Positions of the non-zeros, ascending.
    pub index: &'a [usize],
    /// The non-zeros.
    pub value: &'a [f64],
    /// Rewards received for this context.
    pub count: f64,
    /// Their sum.
    pub sum: f64,
}

#[derive(Deserialize)]
struct ObservationsData {
    d: usize,
    start: Vec<usize>,
    index: Vec<usize>,
    value: Vec<f64>,
    count: Vec<f64>,
    sum: Vec<f64>,
    total: usize,
}

impl PartialEq for Observations {
    fn eq(&self, other: &Self) -> bool {
        // `lookup` is a function of the rest.
        (self.d, &self.start, &self.index, &self.value, &self.count, &self.sum, self.total)
            == (other.d, &other.start, &other.index, &other.value, &other.count, &other.sum, other.total)
    }
}

impl TryFrom<ObservationsData> for Observations {
    type Error = BanditError;
    fn try_from(s: ObservationsData) -> Result<Observations> {
        let rows = s.count.len();
        let ok = s.start.len() == rows + 1
            && s.start.first() == Some(&0)
            && s.start.last() == Some(&s.index.len())
            && s.index.len() == s.value.len()
            && s.sum.len() == rows
            && s.start.windows(2).all(|w| w[0] <= w[1])
            && s.start.windows(2).all(|w| {
                let idx = &s.index[w[0]..w[1]];
                idx.windows(2).all(|p| p[0] < p[1]) && idx.iter().all(|&j| j < s.d)
            })
            && s.value.iter().all(|v| v.is_finite() && *v != 0.0)
            && s.count.iter().all(|c| *c >= 1.0 && c.fract() == 0.0)
            && s.sum.iter().all(|v| v.is_finite())
            && s.count.iter().sum::<f64>() == s.total as f64;
        if !ok {
            return Err(BanditError::Data {
                file: "<saved policy>".into(),
                message: "inconsistent training set".into(),
            });
        }
        let mut o = Observations {
            d: s.d,
            start: s.start,
            index: s.index,
            value: s.value,
            count: s.count,
            sum: s.sum,
            total: s.total,
            lookup: FxHashMap::default(),
        };
        for r in 0..rows {
            let key = key(&o.index[o.start[r]..o.start[r + 1]], &o.value[o.start[r]..o.start[r + 1]]);
            o.lookup.insert(key, r);
        }
        Ok(o)
    }
}

fn key(index: &[usize], value: &[f64]) -> Vec<u64> {
    index.iter().zip(value).flat_map(|(&j, v)| [j as u64, v.to_bits()]).collect()
}

impl Observations {
    /// An empty set of contexts of length `d`.
    pub fn new(d: usize) -> Observations {
        Observations {
            d,
            start: vec![0],
            index: Vec::new(),
            value: Vec::new(),
            count: Vec::new(),
            sum: Vec::new(),
            total: 0,
            lookup: FxHashMap::default(),
        }
    }

    /// Context length.
    pub fn d(&self) -> usize {
        self.d
    }

    /// Rewards received (counting repeats).
    pub fn len(&self) -> usize {
        self.total
    }

    /// Distinct contexts.
    pub fn distinct(&self) -> usize {
        self.count.len()
    }

    /// The largest `‖x‖²` among the contexts (0 when empty).
    pub fn max_squared_norm(&self) -> f64 {
        self.start.windows(2).map(|w| self.value[w[0]..w[1]].iter().map(|v| v * v).sum::<f64>()).fold(0.0, f64::max)
    }

    /// Add one reward for context `x` (the caller has checked `x.len() == d` and finiteness).
    pub fn push(&mut self, x: ArrayView1<f64>, y: f64) {
        let (index, value): (Vec<usize>, Vec<f64>) =
            x.iter().enumerate().filter(|(_, v)| **v != 0.0).map(|(j, v)| (j, *v)).unzip();
        let k = key(&index, &value);
        self.total += 1;
        if let Some(&r) = self.lookup.get(&k) {
            self.count[r] += 1.0;
            self.sum[r] += y;
            return;
        }
        self.lookup.insert(k, self.count.len());
        self.index.extend(index);
        self.value.extend(value);
        self.start.push(self.index.len());
        self.count.push(1.0);
        self.sum.push(y);
    }

    /// The distinct contexts `lo..hi`.
    pub fn rows(&self, lo: usize, hi: usize) -> impl Iterator<Item = Row<'_>> {
        (lo..hi).map(|r| {
            let span = self.start[r]..self.start[r + 1];
            Row { index: &self.index[span.clone()], value: &self.value[span], count: self.count[r], sum: self.sum[r] }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn repeats_merge_and_zeros_are_dropped() {
        let mut o = Observations::new(3);
        o.push(array![0.0, 2.0, 0.0].view(), 1.0);
        o.push(array![1.0, 0.0, 0.0].view(), 0.0);
        o.push(array![0.0, 2.0, 0.0].view(), 0.5);
        assert_eq!((o.len(), o.distinct()), (3, 2));
        let rows: Vec<_> = o.rows(0, 2).map(|r| (r.index.to_vec(), r.value.to_vec(), r.count, r.sum)).collect();
        assert_eq!(rows, vec![(vec![1], vec![2.0], 2.0, 1.5), (vec![0], vec![1.0], 1.0, 0.0)]);
    }
}
