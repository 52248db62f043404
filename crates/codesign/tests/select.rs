//! Sample selection: distinct, untaken candidates; stratified covers the proxies' range;
//! disagreement seeks what the proxies dispute; no strategy reads unmeasured target latencies.

use std::collections::HashMap;
use std::convert::Infallible;

use edgeopt_codesign::pool::adapt_pool;
use edgeopt_codesign::{CodesignError, DISAGREEMENT_SUBSAMPLE, FnDevice, Measurement, ProxyPool, Selection};
use edgeopt_nas::{Encode, Nb201, Nb201Arch, SearchSpace};
use edgeopt_predictors::PoolAdaProxy;
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
        for sel in [Selection::Random, Selection::Stratified, Selection::Disagreement] {
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

#[test]
fn disagreement_picks_the_candidates_the_proxies_dispute() {
    // Two proxies agree on the order of 60 candidates except candidate 30, which proxy 1 ranks
    // fastest; six picks (drawn from all 60, as 6 × DISAGREEMENT_SUBSAMPLE ≥ 60) must include it.
    const { assert!(6 * DISAGREEMENT_SUBSAMPLE >= 60) };
    let guide = Array2::from_shape_fn((60, 2), |(i, j)| if j == 1 && i == 30 { -1.0 } else { i as f64 });
    for seed in 0..10 {
        let picked = Selection::Disagreement
            .choose(guide.view(), &[false; 60], 6, &mut ChaCha8Rng::seed_from_u64(seed))
            .unwrap();
        assert!(picked.contains(&30), "seed {seed}: {picked:?}");
        // The picks also spread over the agreed range: at least three of its quarters.
        let mut quarters: Vec<usize> = picked.iter().map(|i| i / 15).collect();
        quarters.dedup();
        quarters.sort();
        quarters.dedup();
        assert!(quarters.len() >= 3, "seed {seed}: {picked:?}");
    }
    // Earlier measurements count as picked: with both ends and the middle of the agreed range
    // measured, the disputed candidate is the farthest from them.
    let mut taken = vec![false; 60];
    for i in [0, 29, 59] {
        taken[i] = true;
    }
    let next = Selection::Disagreement.choose(guide.view(), &taken, 6, &mut ChaCha8Rng::seed_from_u64(0)).unwrap();
    assert_eq!(next[0], 30, "{next:?}");
}

/// Runs `adapt_pool` on 400 NAS-Bench-201 architectures with a synthetic pool and target.
fn selected(select: Selection, seed: u64, latency: &(dyn Fn(&Nb201Arch) -> f64 + Sync)) -> Vec<usize> {
    let nb = Nb201::cifar10();
    let cands: Vec<Nb201Arch> = nb.enumerate().unwrap().into_iter().step_by(37).take(400).collect();
    let cost = |a: &Nb201Arch, w: [f64; 5]| -> f64 {
        let x = nb.encode(a);
        1.0 + (0..30).map(|j| x[j] * w[j % 5] * (1.0 + 0.1 * (j / 5) as f64)).sum::<f64>()
    };
    let pool = ProxyPool::new(vec![
        ("a".into(), cands.iter().map(|a| cost(a, [0.0, 0.1, 1.0, 5.0, 0.8])).collect()),
        ("b".into(), cands.iter().map(|a| cost(a, [0.0, 0.3, 0.9, 0.9, 0.4])).collect()),
    ])
    .unwrap();
    let dev =
        FnDevice::new("target", |a: &Nb201Arch| Ok::<_, Infallible>(Measurement { latency: latency(a), energy: 0.0 }));
    let fitter = PoolAdaProxy { repeats: 1, lambda_steps: 4, ..PoolAdaProxy::default() };
    adapt_pool(&nb, &cands, &pool, &dev, 12, select, &fitter, &mut ChaCha8Rng::seed_from_u64(seed)).unwrap().indices
}

#[test]
fn selection_never_reads_unmeasured_target_latencies() {
    let nb = Nb201::cifar10();
    let truth = |a: &Nb201Arch| {
        let x = nb.encode(a);
        2.0 + (0..30).map(|j| x[j] * [0.0, 0.2, 1.0, 1.1, 0.5][j % 5]).sum::<f64>()
    };
    for select in [Selection::Random, Selection::Stratified, Selection::Disagreement] {
        for seed in 0..3 {
            let first = selected(select, seed, &truth);
            assert_eq!(first, selected(select, seed, &truth), "{select:?} is not deterministic");
            // The same target on the architectures measured first, garbage everywhere else: a
            // strategy that looked at the target would choose differently.
            let cands: Vec<Nb201Arch> = nb.enumerate().unwrap().into_iter().step_by(37).take(400).collect();
            let known: HashMap<Nb201Arch, f64> = first.iter().map(|&i| (cands[i], truth(&cands[i]))).collect();
            let garbage = |a: &Nb201Arch| known.get(a).copied().unwrap_or(1e9 * (1.0 + nb.key(a).len() as f64));
            assert_eq!(first, selected(select, seed, &garbage), "{select:?} seed {seed}");
        }
    }
}
