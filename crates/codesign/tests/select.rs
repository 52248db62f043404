//! Sample selection: distinct, untaken candidates; stratified covers the proxies' range.

use edgeopt_codesign::{CodesignError, Selection};
use edgeopt_predictors::ndarray::Array2;
use edgeopt_predictors::rand::SeedableRng;
use edgeopt_predictors::rand::rngs::ChaCha8Rng;
use proptest::prelude::*;

proptest! {
    #[test]
    fn choices_are_distinct_untaken_and_seeded(m in 2usize..200, frac in 0.0f64..1.0, seed in 0u64..100, k in 1usize..4) {
        let guide = Array2::from_shape_fn((m, k), |(i, j)| ((i * 7919 + j * 31) % 101) as f64);
        let taken: Vec<bool> = (0..m).map(|i| (i * 13 + seed as usize).is_multiple_of(5)).collect();
        let free = taken.iter().filter(|t| !**t).count();
        let n = (frac * free as f64) as usize;
        for sel in [Selection::Random, Selection::Stratified] {
            let a = sel.choose(guide.view(), &taken, n, &mut ChaCha8Rng::seed_from_u64(seed)).unwrap();
            let b = sel.choose(guide.view(), &taken, n, &mut ChaCha8Rng::seed_from_u64(seed)).unwrap();
            prop_assert_eq!(&a, &b);
            prop_assert_eq!(a.len(), n);
            let mut sorted = a.clone();
            sorted.sort();
            sorted.dedup();
            prop_assert_eq!(sorted.len(), n);
            prop_assert!(a.iter().all(|&i| i < m && !taken[i]));
            let too_many = sel.choose(guide.view(), &taken, free + 1, &mut ChaCha8Rng::seed_from_u64(seed));
            let is_invalid = matches!(too_many, Err(CodesignError::InvalidParam { name: "samples", .. }));
            prop_assert!(is_invalid);
        }
    }
}

#[test]
fn stratified_spans_the_consensus_range_and_names_parse() {
    // Two proxies that agree on the order of 1000 candidates.
    let guide = Array2::from_shape_fn((1000, 2), |(i, j)| (i * (j + 1)) as f64);
    let picked =
        Selection::Stratified.choose(guide.view(), &[false; 1000], 20, &mut ChaCha8Rng::seed_from_u64(3)).unwrap();
    let mut strata: Vec<usize> = picked.iter().map(|i| i / 50).collect();
    strata.sort();
    assert_eq!(strata, (0..20).collect::<Vec<_>>());
    for name in Selection::NAMES {
        assert_eq!(name.parse::<Selection>().unwrap().name(), name);
    }
    let e = "greedy".parse::<Selection>().unwrap_err().to_string();
    assert!(e.contains("greedy") && e.contains("stratified"), "{e}");
    assert!(Selection::Random.choose(guide.view(), &[false; 3], 1, &mut ChaCha8Rng::seed_from_u64(0)).is_err());
}
