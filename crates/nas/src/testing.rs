//! Tools for implementors (feature `testing`): a proptest strategy drawing architectures of any
//! space, and conformance checks every [`SearchSpace`], [`Lower`] and [`Encode`] implementation
//! should pass — the built-in spaces pass them in this crate's tests; run them on yours.

use std::collections::HashSet;
use std::sync::Arc;

use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;

use crate::space::lowering::Lowering;
use crate::{Encode, Lower, SearchSpace};

/// Architectures of `space`, each sampled from a proptest-chosen seed (so failures shrink to a
/// seed and replay).
pub fn arch<S: SearchSpace + Send + 'static>(space: Arc<S>) -> impl Strategy<Value = S::Arch>
where
    S::Arch: 'static,
{
    any::<u64>().prop_map(move |seed| space.sample(&mut ChaCha8Rng::seed_from_u64(seed)))
}

/// The [`SearchSpace`] contract on `n` samples drawn from `seed`: sampling is reproducible; keys
/// round-trip through `parse_key` and differ for different architectures; mutation with
/// probability 0 and crossover of an architecture with itself return it; an enumeration (when
/// given) has `size()` distinct members; garbage keys are errors. Returns what was violated.
///
/// ```
/// use edgeopt_nas::{Nb201, testing::check_search_space};
/// check_search_space(&Nb201::cifar10(), 50, 1).unwrap();
/// ```
pub fn check_search_space<S: SearchSpace>(space: &S, n: usize, seed: u64) -> Result<(), String> {
    let draw = || {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n).map(|_| space.sample(&mut rng)).collect::<Vec<_>>()
    };
    let archs = draw();
    if archs != draw() {
        return Err("sampling with the same seed gave different architectures".into());
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 1);
    let mut keys = std::collections::HashMap::new();
    for a in &archs {
        let key = space.key(a);
        match space.parse_key(&key) {
            Ok(b) if &b == a => {}
            Ok(b) => return Err(format!("key `{key}` parses back to a different architecture {b:?}")),
            Err(e) => return Err(format!("key `{key}` does not parse back: {e}")),
        }
        if let Some(other) = keys.insert(key.clone(), a.clone())
            && &other != a
        {
            return Err(format!("two different architectures share the key `{key}`"));
        }
        if &space.mutate(a, 0.0, &mut rng) != a {
            return Err(format!("mutation with probability 0 changed `{key}`"));
        }
        if &space.crossover(a, a, &mut rng) != a {
            return Err(format!("crossover of `{key}` with itself changed it"));
        }
    }
    for garbage in ["", "\u{0}", "not a key of any space ~|+|", &"x".repeat(10_000)] {
        if space.parse_key(garbage).is_ok() {
            return Err(format!("the garbage key {:?} parsed", garbage.chars().take(20).collect::<String>()));
        }
    }
    if let Some(all) = space.enumerate() {
        let distinct: HashSet<&S::Arch> = all.iter().collect();
        if distinct.len() != all.len() || (all.len() as f64 - space.size()).abs() > 0.5 {
            return Err(format!(
                "enumerate() gave {} members ({} distinct) but size() is {}",
                all.len(),
                distinct.len(),
                space.size()
            ));
        }
    }
    Ok(())
}

/// The [`Lower`] contract on `n` samples: every architecture lowers to at least one valid layer
/// (under the default and the convolutions-only lowering), lowering is deterministic, and MACs and
/// parameters are positive. With `smallest()`/`largest()` given, they bound every sample's MACs.
pub fn check_lower<S: Lower>(space: &S, n: usize, seed: u64) -> Result<(), String> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (lo, hi) = (space.smallest().map(|a| space.macs(&a)), space.largest().map(|a| space.macs(&a)));
    for _ in 0..n {
        let a = space.sample(&mut rng);
        let key = space.key(&a);
        for lowering in [Lowering::default(), Lowering::convolutions_only()] {
            let layers = space.layers_with(&a, &lowering);
            if layers.is_empty() {
                return Err(format!("`{key}` lowers to no layers under {lowering:?}"));
            }
            if let Some(e) = layers.iter().find_map(|l| l.validate().err()) {
                return Err(format!("`{key}` lowers to an invalid layer: {e}"));
            }
            if layers != space.layers_with(&a, &lowering) {
                return Err(format!("lowering `{key}` twice gave different layers"));
            }
        }
        let (macs, params) = (space.macs(&a), space.params(&a));
        if macs == 0 || params == 0 {
            return Err(format!("`{key}` has {macs} MACs and {params} parameters"));
        }
        if lo.is_some_and(|lo| macs < lo) || hi.is_some_and(|hi| macs > hi) {
            return Err(format!("`{key}` has {macs} MACs, outside smallest/largest {lo:?}..{hi:?}"));
        }
    }
    Ok(())
}

/// The [`Encode`] contract on `n` samples: `encoding_len()` values, all finite, deterministic.
pub fn check_encode<S: Encode>(space: &S, n: usize, seed: u64) -> Result<(), String> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for _ in 0..n {
        let a = space.sample(&mut rng);
        let v = space.encode(&a);
        if v.len() != space.encoding_len() || v.iter().any(|x| !x.is_finite()) || v != space.encode(&a) {
            return Err(format!(
                "`{}` encodes to {} values (expected {}), or non-finite or unstable ones",
                space.key(&a),
                v.len(),
                space.encoding_len()
            ));
        }
    }
    Ok(())
}
