//! AdaProxy fit (N = 80 samples, 31 features) and SRCC over 15,625 pairs.
//!
//! `cargo bench -p edgeopt-predictors --bench predictors`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use edgeopt_predictors::metrics::spearman;
use edgeopt_predictors::ndarray::{Array1, Array2, s};
use edgeopt_predictors::rand::rngs::ChaCha8Rng;
use edgeopt_predictors::rand::{RngExt, SeedableRng};
use edgeopt_predictors::{AdaProxy, Fit, LinearRegression};

fn bench(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    // NAS-Bench-201-like one-hot rows: 6 edges × 5 ops + constant.
    let n = 15_625;
    let x = Array2::from_shape_fn((n, 31), |(i, j)| {
        if j == 30 {
            1.0
        } else {
            let edge = j / 5;
            let op = (i / 5usize.pow(edge as u32)) % 5;
            if op == j % 5 { 1.0 } else { 0.0 }
        }
    });
    let w_proxy: Array1<f64> = (0..31).map(|_| rng.random_range(0.1..2.0)).collect();
    let w_target: Array1<f64> = w_proxy.mapv(|v| v * rng.random_range(0.5..1.5));
    let y_proxy = x.dot(&w_proxy);
    let y_target = x.dot(&w_target);
    let proxy = LinearRegression::default().fit(x.view(), y_proxy.view()).unwrap();
    let (xs, ys) = (x.slice(s![..80, ..]).to_owned(), y_target.slice(s![..80]).to_owned());
    let (xv, yv) = (x.slice(s![80..100, ..]).to_owned(), y_target.slice(s![80..100]).to_owned());
    let ada = AdaProxy::default();
    c.bench_function("adaproxy_fit_n80_p31_lambda_search", |b| {
        b.iter(|| ada.fit(proxy.weights.view(), xs.view(), ys.view(), xv.view(), yv.view()).unwrap())
    });
    c.bench_function("adaproxy_fit_n80_p31_one_lambda", |b| {
        b.iter(|| ada.fit_lambda(proxy.weights.view(), xs.view(), ys.view(), 1e-3).unwrap())
    });
    let a: Vec<f64> = y_proxy.to_vec();
    let bb: Vec<f64> = y_target.to_vec();
    c.bench_function("spearman_15625", |b| b.iter(|| spearman(black_box(&a), black_box(&bb)).unwrap()));
}

criterion_group!(benches, bench);
criterion_main!(benches);
