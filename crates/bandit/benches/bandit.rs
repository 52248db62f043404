//! NeuralUCB selection latency against the number of arms K and the context length, one
//! retrain (100 full-batch steps) against the number of observations n, and the two figures the
//! reference implementation of the bandit data README is compared on: a selection and a
//! 100-step retrain on the wine protocol.
//!
//! `cargo bench -p edgeopt-bandit --bench bandit`

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use edgeopt_bandit::ndarray::{Array1, Array2};
use edgeopt_bandit::{Classification, Environment, Network, NeuralBandit, NeuralConfig, Policy};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

fn wine() -> Classification {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/wine.csv");
    Classification::from_csv(&path, 0).expect("bundled wine.csv")
}

fn random_unit_rows(k: usize, p: usize, rng: &mut ChaCha8Rng) -> Array2<f64> {
    let mut arms: Array2<f64> = Array2::from_shape_fn((k, p), |_| rng.random_range(-1.0..1.0));
    for mut row in arms.rows_mut() {
        let n = row.dot(&row).sqrt();
        row.mapv_inplace(|v| v / n);
    }
    arms
}

fn selection(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut g = c.benchmark_group("neural_ucb_select_dense");
    for (k, d) in [(3usize, 13usize), (10, 13), (3, 64), (10, 64)] {
        let p = k * d;
        let arms = random_unit_rows(k, p, &mut rng);
        let mut bandit = NeuralBandit::new(p, NeuralConfig::default()).unwrap();
        let mut round = 0u64;
        g.bench_with_input(BenchmarkId::new(format!("K{k}"), format!("p{p}")), &arms, |b, arms| {
            b.iter(|| {
                round += 1;
                let d = bandit.select(round, black_box(arms.view())).unwrap();
                // No reward comes: drop the ticket so that the pending set stays small.
                bandit.expire(d.id + 1);
                d
            })
        });
    }
    g.finish();
    // The reference comparison: wine's disjoint K·d contexts (K = 3, p = 39), a trained network.
    let mut env = wine();
    let mut bandit = NeuralBandit::new(env.dim(), NeuralConfig::default()).unwrap();
    let rounds: Vec<_> = (0..2000).map(|_| env.next_round()).collect();
    for (t, r) in rounds.iter().enumerate() {
        let d = bandit.select(t as u64, r.contexts.view()).unwrap();
        bandit.feedback(d.id, r.rewards[d.arm]).unwrap();
    }
    let mut t = 2000u64;
    c.bench_function("neural_ucb_select_wine", |b| {
        b.iter(|| {
            t += 1;
            let d = bandit.select(t, black_box(rounds[t as usize % 2000].contexts.view())).unwrap();
            bandit.expire(d.id + 1);
            d
        })
    });
}

fn retraining(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    // One retrain = 100 full-batch steps (the thesis's E); per step is a hundredth.
    let mut g = c.benchmark_group("neural_ucb_retrain_dense_steps100");
    g.sample_size(10);
    for n in [178usize, 1000, 2000] {
        let x = Array2::from_shape_fn((n, 39), |_| rng.random_range(-0.3..0.3));
        let y = Array1::from_shape_fn(n, |_| rng.random_range(0.0..1.0));
        let mut net = Network::new(39, 100, &mut ChaCha8Rng::seed_from_u64(1));
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| net.train(x.view(), y.view(), 1e-3, 0.01, 100).unwrap())
        });
    }
    g.finish();
    // The reference comparison: the last (largest) retrain of a wine run, T = 2000 rewards of the
    // contexts NeuralUCB chose, 100 full-batch steps.
    let mut env = wine();
    let mut bandit = NeuralBandit::new(env.dim(), NeuralConfig::default()).unwrap();
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for t in 0..2000u64 {
        let r = env.next_round();
        let d = bandit.select(t, r.contexts.view()).unwrap();
        bandit.feedback(d.id, r.rewards[d.arm]).unwrap();
        xs.extend(r.contexts.row(d.arm).iter().copied());
        ys.push(r.rewards[d.arm]);
    }
    let x = Array2::from_shape_vec((2000, env.dim()), xs).unwrap();
    let y = Array1::from(ys);
    let net = bandit.network().expect("two layers").clone();
    let mut g = c.benchmark_group("neural_ucb_retrain_wine");
    g.sample_size(20);
    g.bench_function("n2000_steps100", |b| {
        b.iter(|| {
            let mut n = net.clone();
            n.train(x.view(), y.view(), 1e-3, 0.01, 100).unwrap();
            n
        })
    });
    g.finish();
}

criterion_group!(benches, selection, retraining);
criterion_main!(benches);
