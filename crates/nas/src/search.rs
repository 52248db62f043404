//! What every searcher shares: the fallible [`Objective`] a user implements (or passes as a
//! closure), memoised parallel evaluation, and the [`Search`] driver shape — `init` / `step` /
//! `run` with resumable states and an observer — in the style of argmin's executor.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::SearchSpace;
use crate::error::{BoxError, NasError, Result};

/// Objective values of one architecture for the single-objective searches.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Accuracy (higher is better).
    pub accuracy: f64,
    /// Latency (lower is better).
    pub latency: f64,
    /// Energy (lower is better; 0 when not evaluated).
    pub energy: f64,
}

impl Evaluation {
    /// Accuracy and latency, no energy.
    pub fn new(accuracy: f64, latency: f64) -> Evaluation {
        Evaluation { accuracy, latency, energy: 0.0 }
    }

    /// With an energy.
    pub fn with_energy(self, energy: f64) -> Evaluation {
        Evaluation { energy, ..self }
    }
}

/// Values an objective returns, checked for finiteness before a search uses them.
pub trait ObjectiveValues: Clone + Send + Sync {
    /// The first value that is NaN or infinite, with its name.
    fn first_non_finite(&self) -> Option<(String, f64)>;
}

impl ObjectiveValues for Evaluation {
    fn first_non_finite(&self) -> Option<(String, f64)> {
        [("accuracy", self.accuracy), ("latency", self.latency), ("energy", self.energy)]
            .into_iter()
            .find(|(_, v)| !v.is_finite())
            .map(|(n, v)| (n.to_string(), v))
    }
}

impl ObjectiveValues for Vec<f64> {
    fn first_non_finite(&self) -> Option<(String, f64)> {
        self.iter().enumerate().find(|(_, v)| !v.is_finite()).map(|(i, v)| (format!("objective {i}"), *v))
    }
}

/// A fallible objective over architectures: a user's measurement, simulator or predictor.
///
/// Closures `Fn(&A) -> Result<V, E>` implement it for any error `E` convertible to a boxed
/// error, so a device timeout or a simulator error stops the search with that error as the
/// source of [`NasError::Objective`]. Override [`Objective::evaluate_batch`] for models that are
/// faster on batches (a network predictor); searches call it on fixed-size chunks, in parallel.
///
/// ```
/// use edgeopt_nas::{Evaluation, Objective};
/// let objective = |a: &u32| -> Result<Evaluation, std::io::Error> {
///     if *a == 0 { return Err(std::io::Error::other("device timed out")); }
///     Ok(Evaluation::new(*a as f64, 1.0))
/// };
/// assert_eq!(objective.evaluate(&3).unwrap().accuracy, 3.0);
/// assert!(objective.evaluate(&0).unwrap_err().to_string().contains("timed out"));
/// ```
pub trait Objective<A>: Sync {
    /// What one evaluation yields ([`Evaluation`] for evolution; a `Vec<f64>` of minimised
    /// objectives for NSGA-II).
    type Output: ObjectiveValues;
    /// Evaluate one architecture.
    fn evaluate(&self, arch: &A) -> std::result::Result<Self::Output, BoxError>;
    /// Evaluate several; one output per input, in order.
    fn evaluate_batch(&self, archs: &[A]) -> std::result::Result<Vec<Self::Output>, BoxError> {
        archs.iter().map(|a| self.evaluate(a)).collect()
    }
}

impl<A, V, E, F> Objective<A> for F
where
    F: Fn(&A) -> std::result::Result<V, E> + Sync,
    V: ObjectiveValues,
    E: Into<BoxError>,
{
    type Output = V;
    fn evaluate(&self, arch: &A) -> std::result::Result<V, BoxError> {
        self(arch).map_err(Into::into)
    }
}

/// A batch closure `Fn(&[A]) -> Result<Vec<V>, E>` as an [`Objective`] (one forward pass of a
/// network predictor per batch); single evaluations are batches of one.
pub struct Batched<F>(pub F);

impl<A: Clone, V, E, F> Objective<A> for Batched<F>
where
    F: Fn(&[A]) -> std::result::Result<Vec<V>, E> + Sync,
    V: ObjectiveValues,
    E: Into<BoxError>,
{
    type Output = V;
    fn evaluate(&self, arch: &A) -> std::result::Result<V, BoxError> {
        let mut out = (self.0)(std::slice::from_ref(arch)).map_err(Into::into)?;
        match (out.pop(), out.is_empty()) {
            (Some(v), true) => Ok(v),
            _ => Err("a batch objective returned the wrong number of values for one architecture".into()),
        }
    }
    fn evaluate_batch(&self, archs: &[A]) -> std::result::Result<Vec<V>, BoxError> {
        (self.0)(archs).map_err(Into::into)
    }
}

/// An infallible closure as an [`Objective`]: `infallible(|a| Evaluation::new(acc(a), lat(a)))`.
pub fn infallible<A, V: ObjectiveValues>(
    f: impl Fn(&A) -> V + Sync,
) -> impl Fn(&A) -> std::result::Result<V, std::convert::Infallible> + Sync {
    move |a| Ok(f(a))
}

/// Memoised evaluation of an objective: every architecture is evaluated once, new ones in
/// parallel chunks whose size depends only on how many there are (so a batch objective sees the
/// same batches whatever the thread count). Values are checked for finiteness.
pub(crate) struct Memo<A, V> {
    values: HashMap<A, V>,
}

impl<A: Clone + Eq + Hash + Send + Sync, V: ObjectiveValues> Memo<A, V> {
    pub(crate) fn new() -> Self {
        Memo { values: HashMap::new() }
    }

    pub(crate) fn len(&self) -> usize {
        self.values.len()
    }

    pub(crate) fn get(&self, a: &A) -> Option<&V> {
        self.values.get(a)
    }

    /// Values of evaluated architectures (panics on a missing one: callers evaluate first).
    pub(crate) fn value(&self, a: &A) -> &V {
        &self.values[a]
    }

    /// Evaluate every architecture of `archs` not seen before.
    pub(crate) fn evaluate<S, O>(&mut self, space: &S, objective: &O, archs: &[A]) -> Result<()>
    where
        S: SearchSpace<Arch = A> + ?Sized,
        O: Objective<A, Output = V> + ?Sized,
    {
        let mut seen = HashSet::new();
        let todo: Vec<A> = archs.iter().filter(|a| !self.values.contains_key(*a) && seen.insert(*a)).cloned().collect();
        if todo.is_empty() {
            return Ok(());
        }
        let chunk = (todo.len() / 16).clamp(1, 128);
        let parts: Vec<std::result::Result<Vec<V>, (usize, BoxError)>> = todo
            .par_chunks(chunk)
            .enumerate()
            .map(|(c, part)| objective.evaluate_batch(part).map_err(|e| (c * chunk, e)))
            .collect();
        let mut values = Vec::with_capacity(todo.len());
        for (c, part) in parts.into_iter().enumerate() {
            match part {
                Ok(v) => {
                    let expected = todo[c * chunk..].len().min(chunk);
                    if v.len() != expected {
                        return Err(NasError::InvalidParam {
                            name: "batch objective",
                            value: format!("{} results for {expected} architectures", v.len()),
                            reason: "must return one evaluation per architecture",
                        });
                    }
                    values.extend(v);
                }
                Err((start, source)) => {
                    // Name the architecture that failed: on this (error) path, the batch is
                    // retried one by one until one fails; if none does, the batch is named.
                    let end = (start + chunk).min(todo.len());
                    let single = (end - start > 1)
                        .then(|| todo[start..end].iter().find_map(|a| objective.evaluate(a).err().map(|e| (a, e))))
                        .flatten();
                    return Err(match single {
                        Some((a, e)) => NasError::Objective { key: space.key(a), source: e },
                        None if end - start == 1 => NasError::Objective { key: space.key(&todo[start]), source },
                        None => NasError::Objective {
                            key: format!("{} (first of a batch of {})", space.key(&todo[start]), end - start),
                            source,
                        },
                    });
                }
            }
        }
        for (a, v) in todo.into_iter().zip(values) {
            if let Some((objective, value)) = v.first_non_finite() {
                return Err(NasError::NonFiniteObjective { objective, value, key: space.key(&a) });
            }
            self.values.insert(a, v);
        }
        Ok(())
    }
}

/// The driver shape shared by the iterative searchers ([`Evolution`](crate::Evolution),
/// [`Nsga2`](crate::Nsga2)): a serialisable state, one `step` per generation, and `run` that
/// starts or resumes and reports every state to an observer (the CLI's progress line; a
/// checkpoint writer).
pub trait Search {
    /// The resumable state (serde when the architecture type is).
    type State;
    /// Draw and evaluate the initial state.
    fn init(&mut self) -> Result<Self::State>;
    /// Adopt a saved state (re-evaluating its members, whose values are not saved).
    fn resume(&mut self, state: Self::State) -> Result<Self::State>;
    /// Advance one generation.
    fn step(&mut self, state: &mut Self::State) -> Result<()>;
    /// Whether the state is final.
    fn done(&self, state: &Self::State) -> bool;

    /// Start (or resume) and step until done, calling `observe` after `init`/`resume` and after
    /// every step.
    fn run_observed(
        &mut self,
        resume: Option<Self::State>,
        observe: &mut dyn FnMut(&Self::State),
    ) -> Result<Self::State> {
        let mut state = match resume {
            Some(s) => self.resume(s)?,
            None => self.init()?,
        };
        observe(&state);
        while !self.done(&state) {
            self.step(&mut state)?;
            observe(&state);
        }
        Ok(state)
    }

    /// Start (or resume) and step until done.
    fn run(&mut self, resume: Option<Self::State>) -> Result<Self::State> {
        self.run_observed(resume, &mut |_| {})
    }
}

/// A saved state must fit the search resuming it: no more members than its population, and no
/// generation past its last (a state from a longer run, or an edited file, would otherwise be
/// returned as this run's result).
pub(crate) fn check_resumed(members: usize, population: usize, generation: usize, generations: usize) -> Result<()> {
    if members > population {
        return Err(NasError::Checkpoint(format!(
            "the state has {members} members, more than the population of {population}"
        )));
    }
    if generation > generations {
        return Err(NasError::Checkpoint(format!(
            "the state is at generation {generation}, past the {generations} generations of this run"
        )));
    }
    Ok(())
}

/// Evaluate every member of an enumerable space (in parallel, checked for finiteness) and
/// return them with their values, in enumeration order.
pub fn exhaustive<S, O>(space: &S, objective: &O) -> Result<Vec<(S::Arch, O::Output)>>
where
    S: SearchSpace,
    O: Objective<S::Arch> + ?Sized,
{
    let all = space.enumerate().ok_or(NasError::InvalidParam {
        name: "space",
        value: space.name().to_string(),
        reason: "is too large to enumerate",
    })?;
    let mut memo = Memo::new();
    memo.evaluate(space, objective, &all)?;
    Ok(all
        .into_iter()
        .map(|a| {
            let v = memo.value(&a).clone();
            (a, v)
        })
        .collect())
}
