//! The search spaces.

pub mod attentive;
pub mod darts;
pub mod fbnet;
pub mod lowering;
pub mod mobilenet;
pub mod nb201;

use rand::{Rng, RngExt};

/// Each position drawn uniformly from `choices` (spaces that are a fixed array of choices).
pub(crate) fn sample_each<T: Copy, R: Rng + ?Sized, const N: usize>(choices: &[T], rng: &mut R) -> [T; N] {
    std::array::from_fn(|_| choices[rng.random_range(0..choices.len())])
}

/// Each position re-drawn from `choices` with probability `prob`.
pub(crate) fn mutate_each<T: Copy, R: Rng + ?Sized, const N: usize>(
    arr: &[T; N],
    choices: &[T],
    prob: f64,
    rng: &mut R,
) -> [T; N] {
    let mut out = *arr;
    for v in out.iter_mut() {
        if rng.random_bool(prob.clamp(0.0, 1.0)) {
            *v = choices[rng.random_range(0..choices.len())];
        }
    }
    out
}

/// Each position from either parent with equal probability.
pub(crate) fn crossover_each<T: Copy, R: Rng + ?Sized, const N: usize>(a: &[T; N], b: &[T; N], rng: &mut R) -> [T; N] {
    std::array::from_fn(|i| if rng.random_bool(0.5) { a[i] } else { b[i] })
}
