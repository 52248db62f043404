//! Networks, AdaProxy and the fitted predictors.

use edgeopt_predictors::metrics::spearman;
use edgeopt_predictors::ndarray::{Array1, Array2, array, s};
use edgeopt_predictors::nn::{Activation, Mlp, Optimizer, TrainConfig};
use edgeopt_predictors::rand::rngs::ChaCha8Rng;
use edgeopt_predictors::rand::{RngExt, SeedableRng};
use edgeopt_predictors::{AdaProxy, Fit, LatencyPredictor, LinearRegression, MlpRegressor, PredictorError};
use proptest::prelude::*;

#[test]
fn gradient_matches_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for act in [Activation::Tanh, Activation::Sigmoid, Activation::Relu] {
        let mut net = Mlp::new(&[4, 7, 5, 1], act, Activation::Identity, &mut rng).unwrap();
        let x = array![0.3, -0.7, 1.1, 0.05];
        let g = net.gradient(x.view()).unwrap();
        let theta = net.params();
        assert_eq!(g.len(), net.n_params());
        let h = 1e-6;
        for k in (0..theta.len()).step_by(3) {
            let mut tp = theta.clone();
            tp[k] += h;
            net.set_params(tp.view()).unwrap();
            let fp = net.predict1(x.view()).unwrap();
            let mut tm = theta.clone();
            tm[k] -= h;
            net.set_params(tm.view()).unwrap();
            let fm = net.predict1(x.view()).unwrap();
            net.set_params(theta.view()).unwrap();
            let fd = (fp - fm) / (2.0 * h);
            assert!((fd - g[k]).abs() < 1e-6 * (1.0 + fd.abs()), "{act:?} param {k}: {fd} vs {}", g[k]);
        }
    }
}

#[test]
fn frozen_layers_do_not_move_and_training_is_seeded() {
    let x = Array2::from_shape_fn((30, 3), |(i, j)| ((i * 3 + j) % 7) as f64 / 7.0);
    let y = x.column(0).mapv(|v| v * 2.0);
    let train = |seed| {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut net = Mlp::new(&[3, 8, 8, 1], Activation::Relu, Activation::Identity, &mut rng).unwrap();
        net.freeze_first(2);
        let before = net.layers()[..2].to_vec();
        let cfg =
            TrainConfig { optimizer: Optimizer::Sgd { lr: 0.05 }, epochs: 20, batch_size: Some(8), l2_to_init: 0.1 };
        net.train(x.view(), y.view(), &cfg, &mut rng).unwrap();
        assert_eq!(&net.layers()[..2], &before[..]);
        net
    };
    assert_eq!(train(1), train(1));
}

#[test]
fn a_network_survives_a_serde_round_trip() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let net = Mlp::new(&[5, 6, 1], Activation::Tanh, Activation::Identity, &mut rng).unwrap();
    let back: Mlp = serde_json::from_str(&serde_json::to_string(&net).unwrap()).unwrap();
    assert_eq!(back, net);
    let x = array![0.1, 0.2, 0.3, 0.4, 0.5];
    assert_eq!(back.predict1(x.view()).unwrap().to_bits(), net.predict1(x.view()).unwrap().to_bits());
    // A corrupted file (no layers, or mismatched shapes) is an error, not a later panic.
    assert!(serde_json::from_str::<Mlp>(r#"{"layers":[]}"#).is_err());
    let mut v: serde_json::Value = serde_json::to_value(&net).unwrap();
    v["layers"][1]["w"]["dim"] = serde_json::json!([1, 2]);
    v["layers"][1]["w"]["data"] = serde_json::json!([1.0, 2.0]);
    assert!(serde_json::from_value::<Mlp>(v).is_err());
}

#[test]
fn bad_inputs_are_typed_errors() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let net = Mlp::new(&[2, 3, 1], Activation::Tanh, Activation::Identity, &mut rng).unwrap();
    assert!(matches!(net.forward(array![1.0].view()), Err(PredictorError::DimensionMismatch { .. })));
    assert!(matches!(net.forward(array![1.0, f64::NAN].view()), Err(PredictorError::NonFinite { .. })));
    assert!(Mlp::new(&[2], Activation::Relu, Activation::Identity, &mut rng).is_err());
    let x = array![[1.0, 2.0], [3.0, 4.0]];
    assert!(LinearRegression::default().fit(x.view(), array![1.0].view()).is_err());
    assert!(LinearRegression::default().fit(x.view(), array![1.0, f64::INFINITY].view()).is_err());
    assert!(
        MlpRegressor { hidden: vec![0], ..MlpRegressor::default() }.fit(x.view(), array![1.0, 2.0].view()).is_err()
    );
    let w = array![1.0, 1.0];
    let ada = AdaProxy::default();
    assert!(ada.fit_lambda(w.view(), x.view(), array![1.0, 2.0].view(), -1.0).is_err());
    assert!(ada.fit_lambda(array![0.0, 0.0].view(), x.view(), array![1.0, 2.0].view(), 0.1).is_err());
    assert!(ada.fit_lambda(array![1.0].view(), x.view(), array![1.0, 2.0].view(), 0.1).is_err());
    assert!(ada.fit_lambda(w.view(), x.slice(s![..1, ..]), array![1.0].view(), 0.1).is_err());
}

#[test]
fn incremental_refit_uses_the_new_measurements() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let x = Array2::from_shape_fn((80, 6), |_| f64::from(rng.random_range(0..3u8)));
    let w = array![1.0, 2.0, 3.0, 1.0, 0.5, 2.0];
    let y = x.dot(&array![1.0, 2.0, 9.0, 1.0, 0.5, 2.0]);
    let ada = AdaProxy::default();
    let first = ada
        .fit(w.view(), x.slice(s![..20, ..]), y.slice(s![..20]), x.slice(s![20..30, ..]), y.slice(s![20..30]))
        .unwrap();
    let more = ada.refit(&first, x.slice(s![..60, ..]), y.slice(s![..60])).unwrap();
    let err = |p: &edgeopt_predictors::AdaptedPredictor| (p.predict_batch(x.view()).unwrap() - &y).mapv(f64::abs).sum();
    assert!(err(&more) <= err(&first) + 1e-9);
    assert_eq!(more.lambda, first.lambda);
}

#[test]
fn last_layer_adaptation_transfers_an_mlp_predictor() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let x = Array2::from_shape_fn((160, 5), |_| rng.random_range(0.0..1.0));
    let proxy_y: Array1<f64> = x.rows().into_iter().map(|r| r[0] + 2.0 * r[1] + r[2] * r[3] + 0.5 * r[4]).collect();
    let target_y: Array1<f64> =
        x.rows().into_iter().map(|r| 2.0 * r[0] + 0.5 * r[1] + 3.0 * r[2] * r[3] + r[4]).collect();
    let mlp = MlpRegressor { hidden: vec![32, 16], seed: 1, ..MlpRegressor::default() }
        .fit(x.view(), proxy_y.view())
        .unwrap();
    let w = mlp.head_weights();
    let f0 = mlp.features(x.row(0)).unwrap();
    assert!((w.dot(&f0) - mlp.predict(x.row(0)).unwrap()).abs() < 1e-9, "head weights reproduce the network");
    let adapted = mlp
        .adapt_last_layer(
            &AdaProxy::default(),
            x.slice(s![..40, ..]),
            target_y.slice(s![..40]),
            x.slice(s![40..60, ..]),
            target_y.slice(s![40..60]),
        )
        .unwrap();
    let test = x.slice(s![60.., ..]);
    let truth = target_y.slice(s![60..]).to_vec();
    let before = spearman(&mlp.predict_batch(test).unwrap().to_vec(), &truth).unwrap();
    let after = spearman(&adapted.predict_batch(test).unwrap().to_vec(), &truth).unwrap();
    assert!(after > before, "{before} -> {after}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn adaproxy_recovers_a_pure_scale(alpha in 0.05f64..20.0, seed in any::<u64>()) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let w: Array1<f64> = (0..8).map(|_| rng.random_range(0.1..3.0)).collect();
        let x = Array2::from_shape_fn((30, 8), |_| f64::from(rng.random_range(0..2u8)));
        let y = x.dot(&w) * alpha;
        prop_assume!(y.iter().any(|v| *v > 0.0));
        let fit = AdaProxy::default().fit(w.view(), x.slice(s![..20, ..]), y.slice(s![..20]), x.slice(s![20.., ..]), y.slice(s![20..])).unwrap();
        let pred = fit.predict_batch(x.view()).unwrap();
        for (p, t) in pred.iter().zip(&y) {
            prop_assert!((p - t).abs() <= 1e-4 * (1.0 + t.abs()), "{} vs {}", p, t);
        }
    }
}

#[test]
fn single_precision_inference_agrees_with_the_network() {
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let net = Mlp::new(&[6, 32, 32, 1], Activation::Relu, Activation::Identity, &mut rng).unwrap();
    let x = Array2::from_shape_fn((20, 6), |_| rng.random_range(-1.0..1.0));
    let exact = net.forward_batch(x.view()).unwrap();
    let fast = net.to_f32().forward_batch(x.mapv(|v| v as f32).view()).unwrap();
    for (a, b) in exact.iter().zip(fast.iter()) {
        assert!((a - f64::from(*b)).abs() < 1e-4 * (1.0 + a.abs()), "{a} vs {b}");
    }
    assert!(net.to_f32().forward_batch(Array2::<f32>::zeros((2, 5)).view()).is_err());
}

#[test]
fn flattened_graphs_of_the_wrong_size_are_errors_not_panics() {
    use edgeopt_predictors::Graph;
    let x = edgeopt_predictors::ndarray::Array1::from(vec![0.0; 10]);
    // 2 nodes: 4 adjacency values + 2 × 3 features.
    let g = Graph::from_flat(x.view(), 2).unwrap();
    assert_eq!((g.adjacency.dim(), g.features.dim()), ((2, 2), (2, 3)));
    for nodes in [0, 3, 4, usize::MAX] {
        assert!(Graph::from_flat(x.view(), nodes).is_err(), "{nodes} nodes");
    }
}

#[test]
fn backprop_matches_finite_differences_for_parameters_and_inputs() {
    use edgeopt_predictors::ndarray::array;
    use edgeopt_predictors::nn::{Activation, Mlp};
    use edgeopt_predictors::rand::{SeedableRng, rngs::ChaCha8Rng};
    let mut net =
        Mlp::new(&[3, 5, 2], Activation::Tanh, Activation::Identity, &mut ChaCha8Rng::seed_from_u64(9)).unwrap();
    let x = array![0.4, -0.7, 1.1];
    let dout = array![0.5, -2.0];
    let loss = |n: &Mlp, x: &edgeopt_predictors::ndarray::Array1<f64>| n.forward(x.view()).unwrap().dot(&dout);
    let (gp, gx) = net.backprop(x.view(), dout.view()).unwrap();
    let h = 1e-6;
    for j in 0..3 {
        let mut up = x.clone();
        up[j] += h;
        assert!(((loss(&net, &up) - loss(&net, &x)) / h - gx[j]).abs() < 1e-4, "input {j}");
    }
    let p0 = net.params();
    for k in (0..p0.len()).step_by(3) {
        let mut p = p0.clone();
        p[k] += h;
        let mut moved = net.clone();
        moved.set_params(p.view()).unwrap();
        assert!(((loss(&moved, &x) - loss(&net, &x)) / h - gp[k]).abs() < 1e-4, "parameter {k}");
    }
    // Frozen layers get no gradient.
    net.freeze_first(1);
    let (gp, _) = net.backprop(x.view(), dout.view()).unwrap();
    assert!(gp.iter().take(3 * 5 + 5).all(|g| *g == 0.0));
    assert!(net.backprop(x.view(), array![1.0].view()).is_err());
}
