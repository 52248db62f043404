//! The pool adaptation: recovers a known combination, works from 10 samples, rejects bad input.

use edgeopt_predictors::metrics::spearman;
use edgeopt_predictors::ndarray::{Array1, Array2, s};
use edgeopt_predictors::rand::rngs::ChaCha8Rng;
use edgeopt_predictors::rand::{RngExt, SeedableRng};
use edgeopt_predictors::{PoolAdaProxy, PredictorError, Scale};
use proptest::prelude::*;

/// `n` architectures with one-hot choices of 4 options on 3 edges (12 features) and `k` proxies,
/// each a random positive per-feature cost table.
fn world(n: usize, k: usize, seed: u64) -> (Array2<f64>, Array2<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x = Array2::from_shape_fn((n, 12), |_| 0.0);
    let mut x = x;
    for i in 0..n {
        for e in 0..3 {
            x[(i, e * 4 + rng.random_range(0..4))] = 1.0;
        }
    }
    let costs = Array2::from_shape_fn((12, k), |_| rng.random_range(0.1..3.0));
    let s = x.dot(&costs) + 0.5;
    (x, s)
}

fn srcc(a: &Array1<f64>, b: &Array1<f64>) -> f64 {
    spearman(&a.to_vec(), &b.to_vec()).unwrap()
}

#[test]
fn recovers_a_sparse_non_negative_combination() {
    let (x, s) = world(400, 4, 1);
    // The target is 2 × proxy 0 + 0.5 × proxy 2; proxies 1 and 3 are unrelated.
    let y = s.column(0).mapv(|v| 2.0 * v) + s.column(2).mapv(|v| 0.5 * v);
    let n = 40;
    let fit = PoolAdaProxy::default().fit(s.slice(s![..n, ..]), x.slice(s![..n, ..]), y.slice(s![..n])).unwrap();
    let pred = fit.predict_batch(s.view(), x.view()).unwrap();
    assert!(srcc(&pred, &y) > 0.99, "{fit:?}");
    assert_eq!(fit.single, None, "one proxy cannot explain the target");
    assert!(fit.weights.iter().all(|&w| w >= 0.0));
    assert!(fit.weights[0] > 0.0 && fit.weights[2] > 0.0, "{:?}", fit.weights);
    if fit.scale == Scale::Linear {
        assert!(fit.weights[1] < 0.2 * fit.weights[0] && fit.weights[3] < 0.2 * fit.weights[0], "{:?}", fit.weights);
        assert!((fit.weights[0] / fit.weights[2] - 4.0).abs() < 1.0, "{:?}", fit.weights);
    }
}

#[test]
fn ten_samples_pick_the_proxy_that_matches() {
    let (x, s) = world(300, 5, 2);
    // The target is proxy 3 slowed down 3×, with a multiplicative jitter.
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let y = s.column(3).mapv(|v| 3.0 * v * rng.random_range(0.97..1.03));
    let fit = PoolAdaProxy::default().fit(s.slice(s![..10, ..]), x.slice(s![..10, ..]), y.slice(s![..10])).unwrap();
    let pred = fit.predict_batch(s.view(), x.view()).unwrap();
    let best_raw = (0..5).map(|k| srcc(&s.column(k).to_owned(), &y)).fold(f64::NEG_INFINITY, f64::max);
    assert!(srcc(&pred, &y) > 0.9 * best_raw, "{} vs best raw proxy {best_raw}", srcc(&pred, &y));
    assert!(fit.weights[3] > 0.0, "{:?}", fit.weights);
}

#[test]
fn a_target_slower_on_one_operation_is_corrected() {
    let (x, s) = world(300, 3, 3);
    // Like proxy 0 except that option 2 of edge 1 (feature 6) costs 6 ms more.
    let y = s.column(0).to_owned() + x.column(6).mapv(|v| 6.0 * v);
    let n = 20;
    let fit = PoolAdaProxy::default().fit(s.slice(s![..n, ..]), x.slice(s![..n, ..]), y.slice(s![..n])).unwrap();
    let pred = fit.predict_batch(s.view(), x.view()).unwrap();
    let raw = srcc(&s.column(0).to_owned(), &y);
    assert!(srcc(&pred, &y) > raw.max(0.95), "{} vs raw {raw}", srcc(&pred, &y));
    assert!(fit.corrections.iter().any(|&d| d != 0.0));
}

#[test]
fn bad_inputs_are_typed_errors() {
    let (x, s) = world(20, 3, 4);
    let y = s.column(0).to_owned();
    let p = PoolAdaProxy::default();
    let too_few = p.fit(s.slice(s![..5, ..]), x.slice(s![..5, ..]), y.slice(s![..5]));
    assert!(matches!(too_few, Err(PredictorError::TooFewSamples { needed: 6, got: 5, .. })));
    let mismatch = p.fit(s.slice(s![..10, ..]), x.slice(s![..9, ..]), y.slice(s![..10]));
    assert!(matches!(mismatch, Err(PredictorError::DimensionMismatch { expected: 10, got: 9, .. })));
    let no_proxy = p.fit(s.slice(s![.., ..0]), x.view(), y.view());
    assert!(matches!(no_proxy, Err(PredictorError::TooFewSamples { what: "proxies in the pool", .. })));
    let mut ynan = y.clone();
    ynan[4] = f64::NAN;
    let e = p.fit(s.view(), x.view(), ynan.view()).unwrap_err();
    assert!(matches!(e, PredictorError::NonFinite { index: 4, .. }), "{e}");
    let flat = Array1::from_elem(20, 2.0);
    assert!(matches!(p.fit(s.view(), x.view(), flat.view()), Err(PredictorError::Constant { .. })));
    let bad = PoolAdaProxy { folds: 1, ..PoolAdaProxy::default() };
    let e = bad.fit(s.view(), x.view(), y.view()).unwrap_err();
    assert!(e.to_string().contains("folds") && e.to_string().contains('1'), "{e}");
    let bad = PoolAdaProxy { pool_penalties: vec![-0.1], ..PoolAdaProxy::default() };
    assert!(matches!(
        bad.fit(s.view(), x.view(), y.view()),
        Err(PredictorError::InvalidParam { name: "pool_penalties", .. })
    ));
    for fine in [vec![], vec![0.0], vec![1.0, f64::NAN]] {
        let bad = PoolAdaProxy { fine_penalties: fine, ..PoolAdaProxy::default() };
        assert!(matches!(
            bad.fit(s.view(), x.view(), y.view()),
            Err(PredictorError::InvalidParam { name: "fine_penalties", .. })
        ));
    }
    let fit = p.fit(s.view(), x.view(), y.view()).unwrap();
    assert!(matches!(fit.predict(s.row(0).slice(s![..2]), x.row(0)), Err(PredictorError::DimensionMismatch { .. })));
}

#[test]
fn scaling_the_target_scales_the_predictions() {
    let (x, s) = world(200, 3, 5);
    let y = s.column(1).mapv(|v| v * v) + s.column(2);
    let p = PoolAdaProxy::default();
    let a = p.fit(s.slice(s![..30, ..]), x.slice(s![..30, ..]), y.slice(s![..30])).unwrap();
    let y8 = y.mapv(|v| 8.0 * v);
    let b = p.fit(s.slice(s![..30, ..]), x.slice(s![..30, ..]), y8.slice(s![..30])).unwrap();
    let (pa, pb) = (a.predict_batch(s.view(), x.view()).unwrap(), b.predict_batch(s.view(), x.view()).unwrap());
    assert_eq!(a.scale, b.scale);
    for (u, v) in pa.iter().zip(&pb) {
        assert!((8.0 * u - v).abs() <= 1e-6 * v.abs().max(1.0), "{u} × 8 vs {v}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn fits_are_seeded_non_negative_and_finite(seed in 0u64..1000, n in 6usize..30, k in 1usize..5) {
        let (x, s) = world(n + 50, k, seed);
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 7);
        let y = Array1::from_shape_fn(n + 50, |i| s[(i, 0)] * rng.random_range(0.5..2.0) + x[(i, 5)]);
        let p = PoolAdaProxy { seed, ..PoolAdaProxy::default() };
        let a = p.fit(s.slice(s![..n, ..]), x.slice(s![..n, ..]), y.slice(s![..n])).unwrap();
        let b = p.fit(s.slice(s![..n, ..]), x.slice(s![..n, ..]), y.slice(s![..n])).unwrap();
        prop_assert_eq!(&a, &b);
        prop_assert!(a.weights.iter().all(|&w| w >= 0.0));
        prop_assert!((-1.0..=1.0).contains(&a.cv_srcc));
        let pred = a.predict_batch(s.view(), x.view()).unwrap();
        prop_assert!(pred.iter().all(|v| v.is_finite()));
        if let Some(j) = a.single {
            prop_assert!(a.weights.iter().enumerate().all(|(i, &w)| i == j || w == 0.0));
        }
    }
}

#[test]
fn feature_groups_correct_an_operator_wherever_it_sits() {
    let (x, s) = world(400, 3, 5);
    // The target is proxy 0 plus a cost of option 1 that does not depend on the edge it is on.
    let count1 = x.column(1).to_owned() + x.column(5) + x.column(9);
    let y = s.column(0).to_owned() + count1.mapv(|c| 2.5 * c);
    let groups: Vec<Vec<usize>> = (0..4).map(|o| (0..3).map(|e| e * 4 + o).collect()).collect();
    let fitter = PoolAdaProxy { feature_groups: groups, ..PoolAdaProxy::default() };
    let n = 12;
    let fit = fitter.fit(s.slice(s![..n, ..]), x.slice(s![..n, ..]), y.slice(s![..n])).unwrap();
    assert_eq!((fit.n_features(), fit.corrections.len()), (12, 16));
    let pred = fit.predict_batch(s.view(), x.view()).unwrap();
    assert!(srcc(&pred, &y) > 0.97, "{} {fit:?}", srcc(&pred, &y));
    // The model stores its groups, so predicting needs only the 12 features; 16 are refused.
    let wide = Array2::<f64>::zeros((1, 16));
    assert!(fit.predict_batch(s.slice(s![..1, ..]), wide.view()).is_err());
    // A group naming a feature that does not exist is a typed error naming it.
    let bad = PoolAdaProxy { feature_groups: vec![vec![0, 12]], ..PoolAdaProxy::default() };
    match bad.fit(s.slice(s![..n, ..]), x.slice(s![..n, ..]), y.slice(s![..n])) {
        Err(PredictorError::InvalidParam { name: "feature_groups", value, .. }) => {
            assert!(value.starts_with("12"), "{value}")
        }
        other => panic!("{other:?}"),
    }
}
