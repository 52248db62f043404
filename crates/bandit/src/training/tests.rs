use super::*;
use crate::batch_gradient::{Real, Weights};
use crate::simd;
use ndarray::Array1;
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

fn set(rows: usize, d: usize, rng: &mut ChaCha8Rng) -> Observations {
    let mut obs = Observations::new(d);
    for _ in 0..rows {
        // Disjoint blocks, dense rows and scattered non-zeros: contiguous and gathered patterns.
        let kind = rng.random_range(0..3);
        let x = Array1::from_shape_fn(d, |j| match kind {
            0 if j < d / 2 => rng.random_range(-1.0..1.0),
            1 => rng.random_range(-1.0..1.0),
            2 if j % 3 == 1 => rng.random_range(-1.0..1.0),
            _ => 0.0,
        });
        obs.push(x.view(), rng.random_range(0.0..1.0));
    }
    obs
}

#[test]
fn every_vector_build_gives_bit_identical_gradients() {
    fn check<T: Real + PartialEq>(net: &Network, obs: &Observations) {
        let mut weights = Weights::<T>::new(net.d(), net.m);
        weights.load(net.w1t(), net.w2());
        let mut a = tasks::<T>(obs, net.m);
        let mut b = a.clone();
        for (ta, tb) in a.iter_mut().zip(b.iter_mut()) {
            task_gradient(ta, &weights, 300.0);
            simd::baseline(|| task_gradient_body(tb, &weights, 300.0));
            assert!(ta.gw.iter().any(|g| *g != T::ZERO) || ta.cols.is_empty());
            assert_eq!(ta.gw, tb.gw);
            assert_eq!(ta.gw2, tb.gw2);
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut net = Network::new(12, 40, &mut rng);
    // Away from the symmetric start, so that the errors are not all equal.
    let p = net.params().mapv(|v| v + 0.1 * crate::network::standard_normal(&mut rng));
    net.set_params(p.view()).unwrap();
    let obs = set(300, 12, &mut rng);
    check::<f64>(&net, &obs);
    check::<f32>(&net, &obs);
}

#[test]
fn training_does_not_depend_on_the_thread_count() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let start = Network::new(12, 40, &mut rng);
    let obs = set(3000, 12, &mut rng);
    let run = |threads, single| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let mut net = start.clone();
        pool.install(|| net.train_on(&obs, 1e-3, 0.01, 5, single));
        net
    };
    for single in [false, true] {
        let one = run(1, single);
        assert_ne!(one.params(), start.params());
        assert_eq!(one.params(), run(2, single).params());
        assert_eq!(one.params(), run(3, single).params());
    }
}

/// Single-precision products move the weights as f64 does, to f32 rounding.
#[test]
fn single_precision_training_follows_double_precision() {
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let start = Network::new(12, 40, &mut rng);
    let obs = set(500, 12, &mut rng);
    let (mut double, mut single) = (start.clone(), start.clone());
    double.train_on(&obs, 1e-3, 0.01, 10, false);
    single.train_on(&obs, 1e-3, 0.01, 10, true);
    let (p0, p1, p2) = (start.params(), double.params(), single.params());
    let moved: f64 = p1.iter().zip(&p0).map(|(a, b)| (a - b).abs()).sum();
    let error: f64 = p1.iter().zip(&p2).map(|(a, b)| (a - b).abs()).sum();
    assert!(moved > 0.0 && error < 1e-4 * moved, "moved {moved}, f32 error {error}");
}

/// Plain full-batch descent on the full, repeated, dense history (the textbook form).
fn naive(net: &Network, x: &ndarray::Array2<f64>, y: &Array1<f64>, lambda: f64, lr: f64, steps: usize) -> Array1<f64> {
    let (m, d, n) = (net.m, net.d(), x.nrows() as f64);
    let sm = (m as f64).sqrt();
    let theta0 = net.params();
    let mut w1 = theta0.slice(ndarray::s![..m * d]).to_owned().into_shape_with_order((m, d)).unwrap();
    let mut w2 = theta0.slice(ndarray::s![m * d..]).to_owned();
    let (w1_0, w2_0) = (w1.clone(), w2.clone());
    let reg = m as f64 * lambda / n;
    for _ in 0..steps {
        let pre = x.dot(&w1.t());
        let h = pre.mapv(|v| v.max(0.0));
        let err = (h.dot(&w2) * sm - y) / n;
        let gw2 = h.t().dot(&err) * sm + (&w2 - &w2_0) * reg;
        let mut delta = ndarray::Array2::from_shape_fn(pre.dim(), |(r, i)| err[r] * sm * w2[i]);
        delta.zip_mut_with(&pre, |g, p| *g *= f64::from(u8::from(*p > 0.0)));
        let gw1 = delta.t().dot(x) + (&w1 - &w1_0) * reg;
        w1.scaled_add(-lr, &gw1);
        w2.scaled_add(-lr, &gw2);
    }
    w1.iter().chain(w2.iter()).copied().collect()
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
    #[test]
    fn deduplicated_sparse_training_equals_the_textbook_form(
        seed in 0u64..1000, d in 1usize..7, half in 1usize..6, n in 1usize..60, distinct in 1usize..12,
    ) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let net = Network::new(d, 2 * half, &mut rng);
        // `distinct` contexts, some all-zero or sparse, drawn with repetition, with noisy rewards.
        let pool = ndarray::Array2::from_shape_fn((distinct, d), |_| {
            if rng.random_bool(0.4) { 0.0 } else { rng.random_range(-1.0..1.0) }
        });
        let x = ndarray::Array2::from_shape_fn((n, d), |_| 0.0);
        let mut x = x;
        for mut row in x.rows_mut() {
            row.assign(&pool.row(rng.random_range(0..distinct)));
        }
        let y = Array1::from_shape_fn(n, |_| rng.random_range(-1.0..2.0));
        let mut fast = net.clone();
        fast.train(x.view(), y.view(), 1e-2, 0.05, 4).unwrap();
        let expected = naive(&net, &x, &y, 1e-2, 0.05, 4);
        for (a, b) in fast.params().iter().zip(&expected) {
            proptest::prop_assert!((a - b).abs() <= 1e-12 * (1.0 + b.abs()), "{a} vs {b}");
        }
    }
}
