//! Layer-wise mixed dataflows at scale (thesis sec. 4.5.3): many networks, each split into the
//! same number of consecutive parts, costed under many *mixtures* — one accelerator (hardware and
//! dataflow) per part. [`MixedAccelerator`](crate::MixedAccelerator) costs one network under one
//! mixture layer by layer; [`cost_mixtures`] shares the work of a whole sweep: every distinct layer
//! shape is costed once per accelerator, every network's parts once per accelerator, and a
//! (network, mixture) pair is then a sum of one number per part.

use rand::{Rng, RngExt};
use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;

use crate::accelerator::Accelerator;
use crate::batch::{DenseCostMatrix, evaluate_batch};
use crate::error::{Result, SimError};
use crate::layer::Layer;

/// Most middle groups of a split ([`thesis_partition`]); the thesis uses 20.
pub const MAX_MIXTURE_GROUPS: usize = 1 << 16;

fn check_groups(groups: usize) -> Result<()> {
    if groups > MAX_MIXTURE_GROUPS {
        return Err(SimError::InvalidSpace(format!(
            "{groups} mixture groups: at most {MAX_MIXTURE_GROUPS} (the thesis uses 20)"
        )));
    }
    Ok(())
}

/// The thesis's split of a network of `layers` layers: the first layer, `groups` groups of the
/// layers in between (consecutive, as even as possible, the larger ones first; empty when there are
/// fewer middle layers than groups), and the last layer. Returns the `groups + 2` part sizes,
/// which sum to `layers` (a one-layer network is all first part); more than
/// [`MAX_MIXTURE_GROUPS`] groups is an error.
///
/// ```
/// use edgeopt_accel_sim::thesis_partition;
/// assert_eq!(thesis_partition(25, 20).unwrap(), [&[1, 2, 2, 2][..], &[1; 17][..], &[1]].concat());
/// assert_eq!(thesis_partition(25, 20).unwrap().iter().sum::<usize>(), 25);
/// assert_eq!(thesis_partition(1, 3).unwrap(), vec![1, 0, 0, 0, 0]);
/// assert!(thesis_partition(10, usize::MAX).is_err());
/// ```
pub fn thesis_partition(layers: usize, groups: usize) -> Result<Vec<usize>> {
    check_groups(groups)?;
    let mut parts = vec![0; groups + 2];
    match layers {
        0 => {}
        1 => parts[0] = 1,
        n => {
            let middle = n - 2;
            parts[0] = 1;
            parts[groups + 1] = 1;
            if groups == 0 {
                // No middle parts: the first part takes the middle layers.
                parts[0] += middle;
            }
            for (g, p) in parts[1..=groups].iter_mut().enumerate() {
                *p = middle / groups + usize::from(g < middle % groups);
            }
        }
    }
    Ok(parts)
}

/// `count` mixtures of `parts` parts, each part's accelerator drawn uniformly from `accelerators`
/// (indices), as in the thesis's 5,000 sampled mixtures.
///
/// ```
/// use edgeopt_accel_sim::{rand::SeedableRng, rand::rngs::ChaCha8Rng, sample_mixtures};
/// let m = sample_mixtures(153, 22, 5, &mut ChaCha8Rng::seed_from_u64(0)).unwrap();
/// assert_eq!((m.len(), m[0].len()), (5, 22));
/// assert!(m.iter().flatten().all(|&a| a < 153));
/// assert!(sample_mixtures(0, 22, 5, &mut ChaCha8Rng::seed_from_u64(0)).is_err());
/// ```
pub fn sample_mixtures<R: Rng + ?Sized>(
    accelerators: usize,
    parts: usize,
    count: usize,
    rng: &mut R,
) -> Result<Vec<Vec<usize>>> {
    if accelerators == 0 || parts == 0 || parts > MAX_MIXTURE_GROUPS + 2 {
        return Err(SimError::InvalidSpace(format!(
            "cannot draw mixtures of {parts} parts over {accelerators} accelerators (need ≥ 1 of each, at most {} parts)",
            MAX_MIXTURE_GROUPS + 2
        )));
    }
    Ok((0..count).map(|_| (0..parts).map(|_| rng.random_range(0..accelerators)).collect()).collect())
}

/// Cost every network under every mixture: `cycles[i * mixtures.len() + k]` is network `i` split
/// by [`thesis_partition`]`(len, groups)` with part `p` on `accelerators[mixtures[k][p]]` (any
/// [`Accelerator`], a user's own included; each with its own energy model), NaN where a layer
/// cannot run on its part's accelerator.
/// Cycles equal [`MixedAccelerator`](crate::MixedAccelerator)'s exactly; energies up to rounding
/// (a repeated shape's energy is multiplied by its count). Parallel and deterministic.
///
/// Every mixture must have `groups + 2` entries, each an index into `accelerators`.
///
/// ```
/// use edgeopt_accel_sim::{cost_mixtures, thesis_partition, Accel, Accelerator, Dataflow, HardwareConfig, Layer, MixedAccelerator};
/// let hw = HardwareConfig::new(64, 300, 50).build().unwrap();
/// let accs = vec![Accel::new(hw.clone(), Dataflow::KcP), Accel::new(hw, Dataflow::XP)];
/// let net: Vec<Layer> = (0..6).map(|i| Layer::conv(&format!("l{i}"), 16, 16, 3, 3, 18, 18, 1)).collect();
/// let mixtures = vec![vec![0, 1, 0, 1], vec![1, 1, 1, 0]];
/// let m = cost_mixtures(&[net.clone()], &accs, &mixtures, 2).unwrap();
/// // The same as one MixedAccelerator per mixture.
/// let parts = thesis_partition(net.len(), 2).unwrap();
/// let mixed = MixedAccelerator::new(parts.iter().zip(&mixtures[1]).map(|(&n, &a)| (n, accs[a].clone())).collect()).unwrap();
/// assert_eq!(m.cycles[1], mixed.evaluate(&net).unwrap().cycles as f64);
/// ```
pub fn cost_mixtures<A: Accelerator + Sync>(
    networks: &[Vec<Layer>],
    accelerators: &[A],
    mixtures: &[Vec<usize>],
    groups: usize,
) -> Result<DenseCostMatrix> {
    check_groups(groups)?;
    let parts = groups + 2;
    for (index, m) in mixtures.iter().enumerate() {
        if m.len() != parts {
            return Err(SimError::InvalidMixture {
                index,
                reason: format!("has {} parts; {groups} groups need {parts}", m.len()),
            });
        }
        if let Some(&a) = m.iter().find(|&&a| a >= accelerators.len()) {
            return Err(SimError::InvalidMixture {
                index,
                reason: format!("names accelerator {a}, but {} are given", accelerators.len()),
            });
        }
    }
    // Distinct shapes (names ignored) and every network's parts as (shape, count) lists.
    let mut shapes: Vec<Vec<Layer>> = Vec::new();
    let mut index: HashMap<Layer, usize> = HashMap::default();
    let nets: Vec<Vec<Vec<(usize, u64)>>> = networks
        .iter()
        .map(|net| {
            let mut start = 0;
            // `groups` is checked above, so the split cannot fail.
            thesis_partition(net.len(), groups)
                .unwrap_or_default()
                .into_iter()
                .map(|size| {
                    let mut counts: Vec<(usize, u64)> = Vec::new();
                    for l in &net[start..start + size] {
                        let shape = Layer { name: String::new(), ..l.clone() };
                        let next = shapes.len();
                        let s = *index.entry(shape).or_insert_with_key(|shape| {
                            shapes.push(vec![Layer { name: format!("shape{next}"), ..shape.clone() }]);
                            next
                        });
                        match counts.iter_mut().find(|c| c.0 == s) {
                            Some(c) => c.1 += 1,
                            None => counts.push((s, 1)),
                        }
                    }
                    start += size;
                    counts
                })
                .collect()
        })
        .collect();
    // costs[s][a]: shape s on accelerator a, None where it cannot run.
    let costs: Vec<Vec<Option<(u64, f64)>>> = evaluate_batch(&shapes, accelerators)
        .into_iter()
        .map(|row| row.into_iter().map(|r| r.ok().map(|c| (c.cycles, c.energy_nj))).collect())
        .collect();
    let cols = mixtures.len();
    let mut cycles = vec![f64::NAN; networks.len() * cols];
    let mut energy_nj = vec![f64::NAN; networks.len() * cols];
    if cols > 0 {
        cycles.par_chunks_mut(cols).zip(energy_nj.par_chunks_mut(cols)).zip(nets.par_iter()).for_each(
            |((cyc_row, en_row), net)| {
                // This network's part p on accelerator a, once per pair.
                let part_costs: Vec<Vec<Option<(u64, f64)>>> = net
                    .iter()
                    .map(|part| {
                        (0..accelerators.len())
                            .map(|a| {
                                part.iter().try_fold((0u64, 0f64), |(c, e), &(s, n)| {
                                    let (sc, se) = costs[s][a]?;
                                    Some((c.saturating_add(sc.saturating_mul(n)), e + se * n as f64))
                                })
                            })
                            .collect()
                    })
                    .collect();
                for (k, m) in mixtures.iter().enumerate() {
                    let total = part_costs.iter().zip(m).try_fold((0u64, 0f64), |(c, e), (part, &a)| {
                        let (pc, pe) = part[a]?;
                        Some((c.saturating_add(pc), e + pe))
                    });
                    if let Some((c, e)) = total {
                        cyc_row[k] = c as f64;
                        en_row[k] = e;
                    }
                }
            },
        );
    }
    Ok(DenseCostMatrix { rows: networks.len(), cols, cycles, energy_nj, distinct_layers: shapes.len() })
}
