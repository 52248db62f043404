//! OFA-style evolutionary search (thesis appendix 3.9), its weighted-fitness Pareto sweep, and
//! exhaustive search of enumerable spaces.
//!
//! Each generation keeps the fittest `parent_ratio · population` members, adds
//! `mutation_ratio · population` mutants of random parents (each choice re-sampled with
//! `mutation_prob`) and fills the rest with uniform crossovers of random parent pairs. Only
//! members meeting the constraints enter the population; sampling gives up after
//! `max_tries` attempts with [`NasError::Infeasible`] instead of looping forever.
//!
//! The objective is any [`Objective`] returning an [`Evaluation`] (a closure or a user's type;
//! it may fail); evaluation runs in parallel (rayon) and is memoised per architecture.
//! All randomness comes from per-generation ChaCha8 streams derived from the seed, so results are
//! identical whatever the thread count, and resuming a [`EvolutionState`] checkpoint gives the same
//! final population as an uninterrupted run.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::SearchSpace;
use crate::error::{NasError, Result};
use crate::pareto::non_dominated;
use crate::search::{Evaluation, Memo, Objective, Search};

/// Upper bounds on latency and energy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Constraints {
    /// Latency bound.
    pub max_latency: Option<f64>,
    /// Energy bound.
    pub max_energy: Option<f64>,
}

impl Constraints {
    /// Whether an evaluation meets every bound.
    pub fn admits(&self, e: &Evaluation) -> bool {
        self.max_latency.is_none_or(|l| e.latency <= l) && self.max_energy.is_none_or(|m| e.energy <= m)
    }
}

/// What the search optimises.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Fitness {
    /// The most accurate member meeting the constraints.
    Accuracy,
    /// Thesis eq. 3.4: minimise `(t − 1)·accuracy + t·latency`, both divided by their largest value in
    /// the initial population; `t ∈ [0, 1]` trades accuracy for latency.
    Weighted {
        /// Trade-off weight.
        t: f64,
    },
}

/// Hyperparameters (defaults: the thesis's "EA#1").
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EvolutionConfig {
    /// Population size.
    pub population: usize,
    /// Fraction kept as parents.
    pub parent_ratio: f64,
    /// Per-choice mutation probability.
    pub mutation_prob: f64,
    /// Fraction of each generation made by mutation.
    pub mutation_ratio: f64,
    /// Generations.
    pub generations: usize,
    /// Attempts to draw one feasible member before giving up.
    pub max_tries: usize,
    /// Seed.
    pub seed: u64,
}

impl Default for EvolutionConfig {
    fn default() -> Self {
        EvolutionConfig {
            population: 1000,
            parent_ratio: 0.25,
            mutation_prob: 0.1,
            mutation_ratio: 0.25,
            generations: 50,
            max_tries: 10_000,
            seed: 0,
        }
    }
}

/// A resumable search state (serde).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvolutionState<A> {
    /// Generations completed.
    pub generation: usize,
    /// Current population, fittest first.
    pub population: Vec<A>,
    /// Normalisation of accuracy and latency for [`Fitness::Weighted`].
    pub scales: (f64, f64),
    /// Distinct architectures evaluated so far.
    pub evaluations: usize,
}

/// Runs the search; holds the memo of evaluated architectures.
///
/// ```
/// use edgeopt_nas::{Constraints, Evaluation, Evolution, EvolutionConfig, Fitness, Nb201, Search};
/// use edgeopt_nas::{Lower, SearchSpace};
/// let space = Nb201::cifar10();
/// // A fallible objective: accuracy from a table or predictor, latency from a measurement.
/// let objective = |a: &edgeopt_nas::Nb201Arch| -> Result<Evaluation, std::convert::Infallible> {
///     let macs = space.macs(a) as f64;
///     Ok(Evaluation::new(macs.ln(), macs / 1e6))
/// };
/// let cfg = EvolutionConfig { population: 20, generations: 3, ..Default::default() };
/// let cons = Constraints { max_latency: Some(100.0), ..Default::default() };
/// let mut evo = Evolution::new(&space, &objective, cons, Fitness::Accuracy, cfg).unwrap();
/// let state = evo.run(None).unwrap();
/// assert!(evo.evaluation(&state.population[0]).unwrap().latency <= 100.0);
/// ```
pub struct Evolution<'a, S: SearchSpace, O: ?Sized> {
    space: &'a S,
    objective: &'a O,
    constraints: Constraints,
    fitness: Fitness,
    cfg: EvolutionConfig,
    memo: Memo<S::Arch, Evaluation>,
}

impl<'a, S: SearchSpace, O: Objective<S::Arch, Output = Evaluation> + ?Sized> Evolution<'a, S, O> {
    /// Validate the configuration and set up a search.
    pub fn new(
        space: &'a S,
        objective: &'a O,
        constraints: Constraints,
        fitness: Fitness,
        cfg: EvolutionConfig,
    ) -> Result<Evolution<'a, S, O>> {
        let bad = |name, value: String, reason| Err(NasError::InvalidParam { name, value, reason });
        if cfg.population < 2 {
            return bad("population", cfg.population.to_string(), "must be at least 2");
        }
        for (name, v) in [
            ("parent_ratio", cfg.parent_ratio),
            ("mutation_ratio", cfg.mutation_ratio),
            ("mutation_prob", cfg.mutation_prob),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return bad(name, v.to_string(), "must be in [0, 1]");
            }
        }
        if cfg.parent_ratio * cfg.population as f64 <= 1.0 {
            return bad("parent_ratio", cfg.parent_ratio.to_string(), "must keep at least 2 parents");
        }
        if cfg.parent_ratio + cfg.mutation_ratio > 1.0 {
            return bad("mutation_ratio", cfg.mutation_ratio.to_string(), "parent_ratio + mutation_ratio must be ≤ 1");
        }
        if cfg.max_tries == 0 {
            return bad("max_tries", "0".into(), "must be at least 1");
        }
        if let Fitness::Weighted { t } = fitness
            && !(0.0..=1.0).contains(&t)
        {
            return bad("t", t.to_string(), "must be in [0, 1]");
        }
        for (name, bound) in [("max_latency", constraints.max_latency), ("max_energy", constraints.max_energy)] {
            if let Some(v) = bound
                && v.is_nan()
            {
                return bad(name, v.to_string(), "must be a number");
            }
        }
        Ok(Evolution { space, objective, constraints, fitness, cfg, memo: Memo::new() })
    }

    fn rng(&self, generation: usize) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(self.cfg.seed ^ (generation as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    fn evaluate(&mut self, archs: &[S::Arch]) -> Result<()> {
        self.memo.evaluate(self.space, self.objective, archs)
    }

    /// Objective values of an architecture (evaluating it if needed).
    pub fn evaluation(&mut self, arch: &S::Arch) -> Result<Evaluation> {
        self.evaluate(std::slice::from_ref(arch))?;
        Ok(*self.memo.value(arch))
    }

    /// Distinct architectures evaluated.
    pub fn evaluations(&self) -> usize {
        self.memo.len()
    }

    fn score(&self, e: &Evaluation, scales: (f64, f64)) -> f64 {
        match self.fitness {
            Fitness::Accuracy => -e.accuracy,
            Fitness::Weighted { t } => (t - 1.0) * e.accuracy / scales.0 + t * e.latency / scales.1,
        }
    }

    /// Draw up to `n` feasible members with `make`, checking feasibility in parallel batches.
    fn feasible(
        &mut self,
        n: usize,
        rng: &mut ChaCha8Rng,
        mut make: impl FnMut(&mut ChaCha8Rng) -> S::Arch,
    ) -> Result<Vec<S::Arch>> {
        let mut out = Vec::with_capacity(n);
        let mut tries = 0usize;
        while out.len() < n {
            let batch: Vec<S::Arch> = (0..(n - out.len())).map(|_| make(rng)).collect();
            tries += batch.len();
            self.evaluate(&batch)?;
            out.extend(batch.into_iter().filter(|a| self.constraints.admits(self.memo.value(a))));
            if out.len() < n && tries >= self.cfg.max_tries.max(n) {
                if out.is_empty() {
                    return Err(NasError::Infeasible { evaluated: self.memo.len() });
                }
                break;
            }
        }
        Ok(out)
    }

    fn sort(&self, pop: &mut Vec<S::Arch>, scales: (f64, f64)) {
        // Stable: ties keep their (deterministic) population order.
        let mut scored: Vec<(f64, S::Arch)> =
            pop.drain(..).map(|a| (self.score(self.memo.value(&a), scales), a)).collect();
        scored.sort_by(|x, y| x.0.total_cmp(&y.0));
        pop.extend(scored.into_iter().map(|s| s.1));
    }
}

impl<S: SearchSpace, O: Objective<S::Arch, Output = Evaluation> + ?Sized> Search for Evolution<'_, S, O> {
    type State = EvolutionState<S::Arch>;

    /// Draw the initial population.
    fn init(&mut self) -> Result<EvolutionState<S::Arch>> {
        let mut rng = self.rng(0);
        let space = self.space;
        let mut pop = self.feasible(self.cfg.population, &mut rng, |r| space.sample(r))?;
        let evals: Vec<Evaluation> = pop.iter().map(|a| *self.memo.value(a)).collect();
        let scales = (
            evals.iter().map(|e| e.accuracy.abs()).fold(0.0, f64::max).max(1e-12),
            evals.iter().map(|e| e.latency.abs()).fold(0.0, f64::max).max(1e-12),
        );
        self.sort(&mut pop, scales);
        Ok(EvolutionState { generation: 0, population: pop, scales, evaluations: self.memo.len() })
    }

    fn resume(&mut self, state: EvolutionState<S::Arch>) -> Result<EvolutionState<S::Arch>> {
        if state.population.is_empty() || !(state.scales.0 > 0.0 && state.scales.1 > 0.0) {
            return Err(NasError::Checkpoint(format!(
                "a state needs a population and positive scales (got {} members, scales {:?})",
                state.population.len(),
                state.scales
            )));
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

    /// Run one generation.
    fn step(&mut self, state: &mut EvolutionState<S::Arch>) -> Result<()> {
        let mut rng = self.rng(state.generation + 1);
        let n = self.cfg.population;
        let n_parents = ((self.cfg.parent_ratio * n as f64) as usize).clamp(2, n).min(state.population.len());
        let n_mutate = (self.cfg.mutation_ratio * n as f64) as usize;
        let parents: Vec<S::Arch> = state.population[..n_parents].to_vec();
        let space = self.space;
        let p = self.cfg.mutation_prob;
        let mutants = self.feasible(n_mutate, &mut rng, |r| {
            let a = &parents[r.random_range(0..parents.len())];
            space.mutate(a, p, r)
        })?;
        let n_cross = n.saturating_sub(n_parents + mutants.len());
        let children = self.feasible(n_cross, &mut rng, |r| {
            let a = &parents[r.random_range(0..parents.len())];
            let b = &parents[r.random_range(0..parents.len())];
            space.crossover(a, b, r)
        })?;
        let mut pop = parents;
        pop.extend(mutants);
        pop.extend(children);
        self.sort(&mut pop, state.scales);
        state.population = pop;
        state.generation += 1;
        state.evaluations = self.memo.len();
        Ok(())
    }

    fn done(&self, state: &EvolutionState<S::Arch>) -> bool {
        state.generation >= self.cfg.generations
    }
}

/// One point of a Pareto sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint<A> {
    /// Trade-off weight.
    pub t: f64,
    /// Best architecture for `t`.
    pub arch: A,
    /// Its objectives.
    pub eval: Evaluation,
}

/// Run the weighted-fitness search for every `t` and return the distinct non-dominated results
/// (latency vs accuracy), sorted by latency.
pub fn pareto_sweep<S, O>(
    space: &S,
    objective: &O,
    constraints: Constraints,
    ts: &[f64],
    cfg: EvolutionConfig,
) -> Result<Vec<SweepPoint<S::Arch>>>
where
    S: SearchSpace,
    O: Objective<S::Arch, Output = Evaluation> + ?Sized,
{
    let mut found: Vec<SweepPoint<S::Arch>> = Vec::new();
    for &t in ts {
        let mut evo = Evolution::new(space, objective, constraints, Fitness::Weighted { t }, cfg)?;
        let state = evo.run(None)?;
        let best = state.population[0].clone();
        let eval = evo.evaluation(&best)?;
        if !found.iter().any(|p| p.arch == best) {
            found.push(SweepPoint { t, arch: best, eval });
        }
    }
    let pts: Vec<Vec<f64>> = found.iter().map(|p| vec![p.eval.latency, -p.eval.accuracy]).collect();
    let keep = non_dominated(&pts)?;
    let mut out: Vec<SweepPoint<S::Arch>> = keep.into_iter().map(|i| found[i].clone()).collect();
    out.sort_by(|a, b| a.eval.latency.total_cmp(&b.eval.latency));
    Ok(out)
}

/// The latency–accuracy Pareto front of evaluated architectures (indices, by increasing latency).
pub fn front<A>(evaluated: &[(A, Evaluation)]) -> Result<Vec<usize>> {
    let pts: Vec<Vec<f64>> = evaluated.iter().map(|(_, e)| vec![e.latency, -e.accuracy]).collect();
    let mut keep = non_dominated(&pts)?;
    keep.sort_by(|&a, &b| evaluated[a].1.latency.total_cmp(&evaluated[b].1.latency));
    Ok(keep)
}
