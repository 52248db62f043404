//! NeuralUCB selection latency against the number of arms K and the context length, and one
//! retraining step (full batch) against the number of observations n.
//!
//! `cargo bench -p edgeopt-bandit --bench bandit`

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use edgeopt_bandit::ndarray::{Array1, Array2};
use edgeopt_bandit::{Network, NeuralBandit, NeuralConfig, Policy};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

fn bench(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut g = c.benchmark_group("neural_ucb_select");
    for (k, d) in [(3usize, 13usize), (10, 13), (3, 64), (10, 64)] {
        let p = k * d;
        let mut arms: Array2<f64> = Array2::from_shape_fn((k, p), |_| rng.random_range(-1.0..1.0));
        for mut row in arms.rows_mut() {
            let n = row.dot(&row).sqrt();
            row.mapv_inplace(|v| v / n);
        }
        let mut bandit = NeuralBandit::new(p, NeuralConfig::default()).unwrap();
        let mut round = 0u64;
        g.bench_with_input(BenchmarkId::new(format!("K{k}"), format!("p{p}")), &arms, |b, arms| {
            b.iter(|| {
                round += 1;
                bandit.select(round, black_box(arms.view())).unwrap()
            })
        });
    }
    g.finish();
    let mut g = c.benchmark_group("neural_ucb_retrain_step");
    for n in [178usize, 1000, 2000] {
        let x = Array2::from_shape_fn((n, 39), |_| rng.random_range(-0.3..0.3));
        let y = Array1::from_shape_fn(n, |_| rng.random_range(0.0..1.0));
        let mut net = Network::new(39, 100, &mut ChaCha8Rng::seed_from_u64(1));
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| net.train(x.view(), y.view(), 1e-3, 0.01, 1).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
