//! Helpers for spaces that are a fixed array of per-position choices (NAS-Bench-201's six edges,
//! FBNet's 22 blocks, a user's stage depths): uniform sampling, per-position mutation, uniform
//! crossover and key parsing. A user's [`SearchSpace`](crate::SearchSpace) can be written in a
//! few lines with them (see the trait's example).

use rand::{Rng, RngExt};

use crate::error::{NasError, Result};

/// Each position drawn uniformly from `choices`.
///
/// # Panics
/// If `choices` is empty (a programming error in the space, not a user input).
pub fn sample_each<T: Copy, R: Rng + ?Sized, const N: usize>(choices: &[T], rng: &mut R) -> [T; N] {
    std::array::from_fn(|_| choices[rng.random_range(0..choices.len())])
}

/// Each position re-drawn uniformly from `choices` with probability `prob` (clamped to [0, 1]).
pub fn mutate_each<T: Copy, R: Rng + ?Sized, const N: usize>(
    arr: &[T; N],
    choices: &[T],
    prob: f64,
    rng: &mut R,
) -> [T; N] {
    let mut out = *arr;
    mutate_in_place(&mut out, |_| choices, prob, rng);
    out
}

/// Re-draw each position `i` of `values` from `choices(i)` with probability `prob` (clamped to
/// [0, 1]; NaN counts as 0) — for spaces whose positions have different choice sets.
pub fn mutate_in_place<'c, T: Copy + 'c, R: Rng + ?Sized>(
    values: &mut [T],
    choices: impl Fn(usize) -> &'c [T],
    prob: f64,
    rng: &mut R,
) {
    let p = if prob.is_nan() { 0.0 } else { prob.clamp(0.0, 1.0) };
    for (i, v) in values.iter_mut().enumerate() {
        let set = choices(i);
        if !set.is_empty() && rng.random_bool(p) {
            *v = set[rng.random_range(0..set.len())];
        }
    }
}

/// Each position from either parent with equal probability.
pub fn crossover_each<T: Copy, R: Rng + ?Sized, const N: usize>(a: &[T; N], b: &[T; N], rng: &mut R) -> [T; N] {
    std::array::from_fn(|i| if rng.random_bool(0.5) { a[i] } else { b[i] })
}

/// Parse a key of exactly `N` fields separated by `sep`, each read by `field` (`None` rejects
/// it). Errors name the space, the key and the offending field.
///
/// ```
/// use edgeopt_nas::choice::parse_fixed;
/// let ok: [u8; 2] = parse_fixed("demo", "3-4", '-', |s| s.parse().ok()).unwrap();
/// assert_eq!(ok, [3, 4]);
/// let err = parse_fixed::<u8, 2>("demo", "3-x", '-', |s| s.parse().ok()).unwrap_err();
/// assert!(err.to_string().contains("`x`"));
/// ```
pub fn parse_fixed<T: Copy + Default, const N: usize>(
    space: &'static str,
    key: &str,
    sep: char,
    field: impl Fn(&str) -> Option<T>,
) -> Result<[T; N]> {
    let bad = |reason: String| NasError::BadKey { space, key: key.to_string(), reason };
    let parts: Vec<&str> = key.trim().split(sep).collect();
    if parts.len() != N {
        return Err(bad(format!("expected {N} fields separated by `{sep}`, found {}", parts.len())));
    }
    let mut out = [T::default(); N];
    for (i, p) in parts.iter().enumerate() {
        out[i] = field(p).ok_or_else(|| bad(format!("field {} `{p}` is not a valid choice", i + 1)))?;
    }
    Ok(out)
}
