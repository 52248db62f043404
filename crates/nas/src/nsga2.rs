//! NSGA-II (Deb et al. 2002) as a multi-objective alternative to the weighted-fitness sweep:
//! every objective is minimised (pass `-accuracy`), the population is ranked by non-dominated
//! fronts and crowding distance, parents are chosen by binary tournament, and children come from
//! the space's crossover and mutation. Evaluation is memoised and parallel; all randomness comes
//! from per-generation seeded streams, so results do not depend on the thread count.

use std::collections::HashMap;

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::SearchSpace;
use crate::error::{NasError, Result};
use crate::evolution::Objective;
use crate::pareto::dominates;

/// NSGA-II settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Nsga2Config {
    /// Population size.
    pub population: usize,
    /// Generations.
    pub generations: usize,
    /// Per-choice mutation probability of a child.
    pub mutation_prob: f64,
    /// Seed.
    pub seed: u64,
}

impl Default for Nsga2Config {
    fn default() -> Self {
        Nsga2Config { population: 100, generations: 50, mutation_prob: 0.1, seed: 0 }
    }
}

/// Non-dominated sorting: the front index of every point (0 = Pareto front).
pub fn front_ranks(points: &[Vec<f64>]) -> Vec<usize> {
    let n = points.len();
    let mut dominated_by = vec![0usize; n];
    let mut dominates_list: Vec<Vec<usize>> = vec![Vec::new(); n];
    for i in 0..n {
        for j in 0..n {
            if i != j && dominates(&points[i], &points[j]) {
                dominates_list[i].push(j);
            } else if i != j && dominates(&points[j], &points[i]) {
                dominated_by[i] += 1;
            }
        }
    }
    let mut rank = vec![0usize; n];
    let mut current: Vec<usize> = (0..n).filter(|&i| dominated_by[i] == 0).collect();
    let mut r = 0;
    while !current.is_empty() {
        let mut next = Vec::new();
        for &i in &current {
            rank[i] = r;
            for &j in &dominates_list[i] {
                dominated_by[j] -= 1;
                if dominated_by[j] == 0 {
                    next.push(j);
                }
            }
        }
        current = next;
        r += 1;
    }
    rank
}

/// Crowding distance of each point within its own front.
// `k` indexes the objectives inside each point, not `points` itself.
#[allow(clippy::needless_range_loop)]
pub fn crowding(points: &[Vec<f64>], ranks: &[usize]) -> Vec<f64> {
    let n = points.len();
    let mut dist = vec![0.0; n];
    let d = points.first().map_or(0, Vec::len);
    let max_rank = ranks.iter().copied().max().unwrap_or(0);
    for r in 0..=max_rank {
        let members: Vec<usize> = (0..n).filter(|&i| ranks[i] == r).collect();
        for k in 0..d {
            let mut sorted = members.clone();
            sorted.sort_by(|&a, &b| points[a][k].total_cmp(&points[b][k]).then(a.cmp(&b)));
            let (Some(&first), Some(&last)) = (sorted.first(), sorted.last()) else { continue };
            let span = points[last][k] - points[first][k];
            dist[first] = f64::INFINITY;
            dist[last] = f64::INFINITY;
            if span > 0.0 {
                for w in sorted.windows(3) {
                    dist[w[1]] += (points[w[2]][k] - points[w[0]][k]) / span;
                }
            }
        }
    }
    dist
}

/// Run NSGA-II; returns the final population's first front (architectures with their objective
/// vectors), sorted by the first objective.
pub fn nsga2<S: SearchSpace>(
    space: &S,
    objectives: &[Objective<'_, S::Arch>],
    cfg: &Nsga2Config,
) -> Result<Vec<(S::Arch, Vec<f64>)>> {
    if cfg.population < 4 || objectives.is_empty() || !(0.0..=1.0).contains(&cfg.mutation_prob) {
        return Err(NasError::InvalidParam {
            name: "population/objectives/mutation_prob",
            value: format!("{}/{}/{}", cfg.population, objectives.len(), cfg.mutation_prob),
            reason: "need population ≥ 4, at least one objective and mutation_prob in [0, 1]",
        });
    }
    let mut memo: HashMap<S::Arch, Vec<f64>> = HashMap::new();
    let evaluate = |archs: &[S::Arch], memo: &mut HashMap<S::Arch, Vec<f64>>| -> Result<()> {
        let mut todo: Vec<S::Arch> = archs.iter().filter(|a| !memo.contains_key(*a)).cloned().collect();
        todo.sort_by_key(|a| space.key(a));
        todo.dedup();
        let vals: Vec<(S::Arch, Vec<f64>)> = todo
            .into_par_iter()
            .map(|a| {
                let v: Vec<f64> = objectives.iter().map(|f| f(&a)).collect();
                (a, v)
            })
            .collect();
        for (a, v) in vals {
            if let Some(&value) = v.iter().find(|x| !x.is_finite()) {
                return Err(NasError::NonFiniteObjective { objective: "nsga2 objective", value, key: space.key(&a) });
            }
            memo.insert(a, v);
        }
        Ok(())
    };
    let rng_for = |g: usize| ChaCha8Rng::seed_from_u64(cfg.seed ^ (g as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut rng = rng_for(0);
    let mut pop: Vec<S::Arch> = (0..cfg.population).map(|_| space.sample(&mut rng)).collect();
    evaluate(&pop, &mut memo)?;
    for g in 0..cfg.generations {
        let mut rng = rng_for(g + 1);
        let pts: Vec<Vec<f64>> = pop.iter().map(|a| memo[a].clone()).collect();
        let (ranks, crowd) = {
            let r = front_ranks(&pts);
            let c = crowding(&pts, &r);
            (r, c)
        };
        let better = |i: usize, j: usize| ranks[i] < ranks[j] || (ranks[i] == ranks[j] && crowd[i] > crowd[j]);
        let mut children = Vec::with_capacity(cfg.population);
        while children.len() < cfg.population {
            let pick = |rng: &mut ChaCha8Rng| {
                let (i, j) = (rng.random_range(0..pop.len()), rng.random_range(0..pop.len()));
                if better(i, j) { i } else { j }
            };
            let (a, b) = (pick(&mut rng), pick(&mut rng));
            let child = space.crossover(&pop[a], &pop[b], &mut rng);
            children.push(space.mutate(&child, cfg.mutation_prob, &mut rng));
        }
        evaluate(&children, &mut memo)?;
        let mut union: Vec<S::Arch> = pop.into_iter().chain(children).collect();
        union.sort_by_key(|a| space.key(a));
        union.dedup();
        let upts: Vec<Vec<f64>> = union.iter().map(|a| memo[a].clone()).collect();
        let ur = front_ranks(&upts);
        let uc = crowding(&upts, &ur);
        let mut order: Vec<usize> = (0..union.len()).collect();
        order.sort_by(|&i, &j| ur[i].cmp(&ur[j]).then(uc[j].total_cmp(&uc[i])).then(i.cmp(&j)));
        pop = order.into_iter().take(cfg.population).map(|i| union[i].clone()).collect();
    }
    let pts: Vec<Vec<f64>> = pop.iter().map(|a| memo[a].clone()).collect();
    let ranks = front_ranks(&pts);
    let mut front: Vec<(S::Arch, Vec<f64>)> =
        pop.into_iter().zip(pts).zip(ranks).filter(|(_, r)| *r == 0).map(|(p, _)| p).collect();
    front.sort_by(|a, b| a.1[0].total_cmp(&b.1[0]));
    front.dedup_by(|a, b| a.0 == b.0);
    Ok(front)
}
