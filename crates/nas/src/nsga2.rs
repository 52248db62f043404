//! NSGA-II (Deb et al. 2002) as a multi-objective alternative to the weighted-fitness sweep:
//! every objective is minimised (pass `-accuracy`), the population is ranked by non-dominated
//! fronts and crowding distance, parents are chosen by binary tournament, and children come from
//! the space's crossover and mutation. Evaluation is memoised and parallel; all randomness comes
//! from per-generation seeded streams, so results do not depend on the thread count.

use std::collections::HashSet;

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::SearchSpace;
use crate::error::{NasError, Result};
use crate::pareto::dominates;
use crate::search::{Memo, Objective, Search};

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

/// A resumable NSGA-II state (serde when the architecture type is).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Nsga2State<A> {
    /// Generations completed.
    pub generation: usize,
    /// Current population, best rank and crowding first.
    pub population: Vec<A>,
    /// Distinct architectures evaluated so far.
    pub evaluations: usize,
}

/// NSGA-II over any [`SearchSpace`] with a fallible vector [`Objective`] (every component
/// minimised), in the same driver shape as [`Evolution`](crate::Evolution).
///
/// ```
/// use edgeopt_nas::{Lower, Nb201, Nsga2, Nsga2Config, Search, SearchSpace};
/// let space = Nb201::cifar10();
/// let objective = |a: &edgeopt_nas::Nb201Arch| -> Result<Vec<f64>, std::convert::Infallible> {
///     let macs = space.macs(a) as f64;
///     Ok(vec![macs, -(macs + 1.0).ln()])
/// };
/// let cfg = Nsga2Config { population: 16, generations: 3, ..Default::default() };
/// let mut search = Nsga2::new(&space, &objective, cfg).unwrap();
/// let state = search.run(None).unwrap();
/// let front = search.front(&state);
/// assert!(!front.is_empty());
/// ```
pub struct Nsga2<'a, S: SearchSpace, O: ?Sized> {
    space: &'a S,
    objective: &'a O,
    cfg: Nsga2Config,
    memo: Memo<S::Arch, Vec<f64>>,
}

impl<'a, S: SearchSpace, O: Objective<S::Arch, Output = Vec<f64>> + ?Sized> Nsga2<'a, S, O> {
    /// Validate the settings and set up a search.
    pub fn new(space: &'a S, objective: &'a O, cfg: Nsga2Config) -> Result<Self> {
        if cfg.population < 4 || !(0.0..=1.0).contains(&cfg.mutation_prob) {
            return Err(NasError::InvalidParam {
                name: "population/mutation_prob",
                value: format!("{}/{}", cfg.population, cfg.mutation_prob),
                reason: "need population ≥ 4 and mutation_prob in [0, 1]",
            });
        }
        Ok(Nsga2 { space, objective, cfg, memo: Memo::new() })
    }

    fn rng(&self, generation: usize) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(self.cfg.seed ^ (generation as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    fn evaluate(&mut self, archs: &[S::Arch]) -> Result<()> {
        self.memo.evaluate(self.space, self.objective, archs)?;
        let dims = archs.first().map(|a| self.memo.value(a).len());
        if let Some(bad) = archs.iter().find(|a| Some(self.memo.value(a).len()) != dims) {
            return Err(NasError::Dimension {
                expected: dims.unwrap_or(0),
                index: archs.iter().position(|a| a == bad).unwrap_or(0),
                got: self.memo.value(bad).len(),
            });
        }
        if dims == Some(0) {
            return Err(NasError::InvalidParam {
                name: "objective",
                value: "0 values".into(),
                reason: "must return at least one objective",
            });
        }
        Ok(())
    }

    /// Objective values of an evaluated architecture.
    pub fn values(&self, arch: &S::Arch) -> Option<&[f64]> {
        self.memo.get(arch).map(Vec::as_slice)
    }

    /// Distinct architectures evaluated.
    pub fn evaluations(&self) -> usize {
        self.memo.len()
    }

    /// The state's first front (architectures with their objective vectors), sorted by the first
    /// objective.
    pub fn front(&self, state: &Nsga2State<S::Arch>) -> Vec<(S::Arch, Vec<f64>)> {
        let pts: Vec<Vec<f64>> = state.population.iter().filter_map(|a| self.memo.get(a).cloned()).collect();
        if pts.len() != state.population.len() {
            return Vec::new();
        }
        let ranks = front_ranks(&pts);
        let mut front: Vec<(S::Arch, Vec<f64>)> =
            state.population.iter().cloned().zip(pts).zip(ranks).filter(|(_, r)| *r == 0).map(|(p, _)| p).collect();
        front.sort_by(|a, b| a.1[0].total_cmp(&b.1[0]));
        front.dedup_by(|a, b| a.0 == b.0);
        front
    }
}

/// Distinct members in first-seen order (deterministic, no key strings built).
fn distinct<A: Clone + Eq + std::hash::Hash>(archs: impl IntoIterator<Item = A>) -> Vec<A> {
    let mut seen = HashSet::new();
    archs.into_iter().filter(|a| seen.insert(a.clone())).collect()
}

impl<S: SearchSpace, O: Objective<S::Arch, Output = Vec<f64>> + ?Sized> Search for Nsga2<'_, S, O> {
    type State = Nsga2State<S::Arch>;

    fn init(&mut self) -> Result<Nsga2State<S::Arch>> {
        let mut rng = self.rng(0);
        let pop: Vec<S::Arch> = (0..self.cfg.population).map(|_| self.space.sample(&mut rng)).collect();
        self.evaluate(&pop)?;
        Ok(Nsga2State { generation: 0, population: pop, evaluations: self.memo.len() })
    }

    fn resume(&mut self, state: Nsga2State<S::Arch>) -> Result<Nsga2State<S::Arch>> {
        if state.population.is_empty() {
            return Err(NasError::Checkpoint("an NSGA-II state needs a population".into()));
        }
        crate::search::check_resumed(
            state.population.len(),
            self.cfg.population,
            state.generation,
            self.cfg.generations,
        )?;
        self.evaluate(&state.population)?;
        Ok(state)
    }

    fn step(&mut self, state: &mut Nsga2State<S::Arch>) -> Result<()> {
        let mut rng = self.rng(state.generation + 1);
        let pop = &state.population;
        let pts: Vec<Vec<f64>> = pop.iter().map(|a| self.memo.value(a).clone()).collect();
        let ranks = front_ranks(&pts);
        let crowd = crowding(&pts, &ranks);
        let better = |i: usize, j: usize| ranks[i] < ranks[j] || (ranks[i] == ranks[j] && crowd[i] > crowd[j]);
        let mut children = Vec::with_capacity(self.cfg.population);
        while children.len() < self.cfg.population {
            let pick = |rng: &mut ChaCha8Rng| {
                let (i, j) = (rng.random_range(0..pop.len()), rng.random_range(0..pop.len()));
                if better(i, j) { i } else { j }
            };
            let (a, b) = (pick(&mut rng), pick(&mut rng));
            let child = self.space.crossover(&pop[a], &pop[b], &mut rng);
            children.push(self.space.mutate(&child, self.cfg.mutation_prob, &mut rng));
        }
        self.evaluate(&children)?;
        let union = distinct(state.population.drain(..).chain(children));
        let upts: Vec<Vec<f64>> = union.iter().map(|a| self.memo.value(a).clone()).collect();
        let ur = front_ranks(&upts);
        let uc = crowding(&upts, &ur);
        let mut order: Vec<usize> = (0..union.len()).collect();
        order.sort_by(|&i, &j| ur[i].cmp(&ur[j]).then(uc[j].total_cmp(&uc[i])).then(i.cmp(&j)));
        state.population = order.into_iter().take(self.cfg.population).map(|i| union[i].clone()).collect();
        state.generation += 1;
        state.evaluations = self.memo.len();
        Ok(())
    }

    fn done(&self, state: &Nsga2State<S::Arch>) -> bool {
        state.generation >= self.cfg.generations
    }
}
