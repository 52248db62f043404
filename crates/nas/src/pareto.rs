//! Pareto tools: non-dominated filtering, exact hypervolume in 2-D and 3-D, and pruning a set by
//! measured objectives (thesis alg. 5, line 11). Every objective is **minimised**; negate the ones
//! to maximise (e.g. pass `-accuracy`).

use crate::error::{NasError, Result};

fn check(points: &[Vec<f64>], dim: Option<usize>) -> Result<usize> {
    let d = dim.or_else(|| points.first().map(Vec::len)).unwrap_or(0);
    for (index, p) in points.iter().enumerate() {
        if p.len() != d {
            return Err(NasError::Dimension { expected: d, index, got: p.len() });
        }
        if let Some(&value) = p.iter().find(|v| !v.is_finite()) {
            return Err(NasError::NonFiniteObjective {
                objective: "pareto point".into(),
                value,
                key: index.to_string(),
            });
        }
    }
    Ok(d)
}

/// `a` dominates `b`: no worse in every objective and better in one.
pub fn dominates(a: &[f64], b: &[f64]) -> bool {
    a.iter().zip(b).all(|(x, y)| x <= y) && a.iter().zip(b).any(|(x, y)| x < y)
}

/// Indices of the non-dominated points, in input order. Duplicates of a non-dominated point are
/// all kept.
///
/// ```
/// use edgeopt_nas::pareto::non_dominated;
/// let pts = vec![vec![1.0, 5.0], vec![2.0, 2.0], vec![3.0, 3.0], vec![5.0, 1.0]];
/// assert_eq!(non_dominated(&pts).unwrap(), vec![0, 1, 3]);
/// ```
pub fn non_dominated(points: &[Vec<f64>]) -> Result<Vec<usize>> {
    let d = check(points, None)?;
    if d == 2 {
        // O(n log n): sort by the first objective, sweep the second.
        let mut idx: Vec<usize> = (0..points.len()).collect();
        // `+ 0.0` maps −0 to +0, so the sort agrees with `<=` on the values.
        let key = |i: usize| (points[i][0] + 0.0, points[i][1] + 0.0);
        idx.sort_by(|&a, &b| key(a).0.total_cmp(&key(b).0).then(key(a).1.total_cmp(&key(b).1)));
        let mut keep = vec![false; points.len()];
        let mut best = f64::INFINITY;
        let mut last: Option<&Vec<f64>> = None;
        for &i in &idx {
            let p = &points[i];
            if p[1] < best || last == Some(p) {
                keep[i] = true;
                best = best.min(p[1]);
                last = Some(p);
            }
        }
        return Ok((0..points.len()).filter(|&i| keep[i]).collect());
    }
    if d == 3 {
        return Ok(non_dominated3(points));
    }
    Ok((0..points.len()).filter(|&i| !points.iter().any(|q| dominates(q, &points[i]))).collect())
}

/// O(n log n) for three objectives: sort, then [`non_dominated_sorted3`].
fn non_dominated3(points: &[Vec<f64>]) -> Vec<usize> {
    // `+ 0.0` maps −0 to +0, so the total order agrees with `<=` on the values.
    let mut sorted: Vec<(f64, f64, f64, usize)> =
        points.iter().enumerate().map(|(i, p)| (p[0] + 0.0, p[1] + 0.0, p[2] + 0.0, i)).collect();
    sorted.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.total_cmp(&b.2)));
    let mut keep = non_dominated_sorted3(&sorted);
    keep.sort_unstable();
    keep
}

/// The non-dominated members of three-objective points `(x, y, z, id)` given in lexicographic
/// order of `(x, y, z)` (finite, no −0), as their ids in that order: O(n log n), for callers that
/// already hold the points sorted (e.g. by a shared first objective). Duplicates of a
/// non-dominated point are all kept.
///
/// In lexicographic order every dominator of a point comes before it, so a sweep keeps the
/// (y, z) staircase of the points seen (y ascending, z strictly descending, each step with the
/// smallest x that reached it) and asks it whether an earlier point is no worse in y and z —
/// strictly better somewhere, or equal there with a smaller x.
///
/// ```
/// use edgeopt_nas::pareto::non_dominated_sorted3;
/// let pts = [(1.0, 5.0, 1.0, 7), (1.0, 5.0, 1.0, 8), (2.0, 1.0, 1.0, 9), (3.0, 5.0, 2.0, 10)];
/// assert_eq!(non_dominated_sorted3(&pts), vec![7, 8, 9]);
/// ```
pub fn non_dominated_sorted3(sorted: &[(f64, f64, f64, usize)]) -> Vec<usize> {
    use std::collections::BTreeMap;
    // y → (z, smallest x with this (y, z)).
    let mut stairs: BTreeMap<Key, (f64, f64)> = BTreeMap::new();
    let mut keep = Vec::new();
    for &(x, y, z, id) in sorted {
        let dominated = stairs
            .range(..=Key(y))
            .next_back()
            .is_some_and(|(&sy, &(sz, sx))| sz < z || (sz == z && (sy.0 < y || sx < x)));
        if dominated {
            continue;
        }
        keep.push(id);
        if stairs.get(&Key(y)).is_some_and(|&(sz, _)| sz == z) {
            continue; // A duplicate in (y, z): the step keeps its smaller x.
        }
        // Drop the steps this point covers (y ≥ its y and z ≥ its z); they all lie right of it.
        let covered: Vec<Key> = stairs.range(Key(y)..).take_while(|&(_, &(sz, _))| sz >= z).map(|(&k, _)| k).collect();
        for k in covered {
            stairs.remove(&k);
        }
        stairs.insert(Key(y), (z, x));
    }
    keep
}

/// Exact hypervolume dominated by `points` and bounded by `reference` (minimisation), for 2 or 3
/// objectives. Points not strictly better than the reference in every objective add nothing.
///
/// ```
/// use edgeopt_nas::pareto::hypervolume;
/// let hv = hypervolume(&[vec![1.0, 2.0], vec![2.0, 1.0]], &[3.0, 3.0]).unwrap();
/// assert_eq!(hv, 3.0);
/// ```
pub fn hypervolume(points: &[Vec<f64>], reference: &[f64]) -> Result<f64> {
    let d = reference.len();
    check(points, Some(d))?;
    check(&[reference.to_vec()], Some(d))?;
    let inside: Vec<&Vec<f64>> = points.iter().filter(|p| p.iter().zip(reference).all(|(a, r)| a < r)).collect();
    match d {
        2 => Ok(hv2(inside.iter().map(|p| (p[0], p[1])).collect(), reference[0], reference[1])),
        3 => Ok(hv3(inside, reference)),
        _ => Err(NasError::InvalidParam {
            name: "objectives",
            value: d.to_string(),
            reason: "hypervolume supports 2 or 3",
        }),
    }
}

/// A finite `f64` ordered by `total_cmp`, as a map key.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Key(f64);
impl Eq for Key {}
impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Key {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// 3-D hypervolume by a sweep along z in O(n log n) (the dimension-sweep idea of Beume et al.,
/// IEEE TEC 2009): the points seen so far project to a 2-D staircase (x ascending, y strictly
/// descending) kept in an ordered map with its dominated area; each point, in z order, adds the
/// area it newly dominates and removes the staircase steps it covers, each step at most once.
fn hv3(mut pts: Vec<&Vec<f64>>, reference: &[f64]) -> f64 {
    use std::collections::BTreeMap;
    pts.sort_by(|a, b| a[2].total_cmp(&b[2]));
    let (rx, ry, rz) = (reference[0], reference[1], reference[2]);
    let mut stairs: BTreeMap<Key, f64> = BTreeMap::new();
    let (mut area, mut volume) = (0.0, 0.0);
    let mut z_prev = pts.first().map_or(rz, |p| p[2]);
    let mut covered = Vec::new();
    for p in pts {
        let (x, y) = (p[0], p[1]);
        volume += area * (p[2] - z_prev);
        z_prev = p[2];
        // The step at or left of x sets the covered height there; at or below y, p adds nothing.
        let left = stairs.range(..=Key(x)).next_back().map_or(ry, |(_, &h)| h);
        if left <= y {
            continue;
        }
        // Walk right over the steps p covers (y ≥ p's), adding the strip each one leaves uncovered.
        let (mut cur_x, mut cur_y) = (x, left);
        covered.clear();
        let mut end = rx;
        for (&k, &h) in stairs.range(Key(x)..) {
            if h < y {
                end = k.0;
                break;
            }
            area += (k.0 - cur_x) * (cur_y - y);
            (cur_x, cur_y) = (k.0, h);
            covered.push(k);
        }
        area += (end - cur_x) * (cur_y - y);
        for k in &covered {
            stairs.remove(k);
        }
        stairs.insert(Key(x), y);
    }
    volume + area * (rz - z_prev)
}

fn hv2(mut pts: Vec<(f64, f64)>, rx: f64, ry: f64) -> f64 {
    pts.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut area = 0.0;
    let mut best_y = ry;
    for (x, y) in pts {
        if y < best_y {
            area += (rx - x) * (best_y - y);
            best_y = y;
        }
    }
    area
}

/// Keep the members of a candidate set that are Pareto-optimal by their *measured* latency and
/// accuracy (thesis alg. 5, line 11): `latency` is minimised, `accuracy` maximised. Returns indices.
pub fn prune_by_measurement(latency: &[f64], accuracy: &[f64]) -> Result<Vec<usize>> {
    if latency.len() != accuracy.len() {
        return Err(NasError::Dimension { expected: latency.len(), index: 0, got: accuracy.len() });
    }
    let pts: Vec<Vec<f64>> = latency.iter().zip(accuracy).map(|(l, a)| vec![*l, -a]).collect();
    non_dominated(&pts)
}
