use super::*;
use crate::network::Network;
use ndarray::Axis;
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;

#[test]
fn the_symmetric_start_is_exactly_zero_at_every_depth() {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    for depth in [2, 3, 4, 6] {
        for m in [2, 10, 32] {
            let net = DeepNetwork::new(7, m, depth, &mut rng).unwrap();
            let x = Array2::from_shape_fn((20, 7), |_| standard_normal(&mut rng));
            assert!(net.values(x.view()).unwrap().iter().all(|f| *f == 0.0), "depth {depth}, width {m}");
        }
    }
    assert!(DeepNetwork::new(3, 8, 1, &mut rng).is_err());
    assert!(DeepNetwork::new(3, 8, MAX_DEPTH + 1, &mut rng).is_err());
}

#[test]
fn two_layers_are_the_two_layer_network() {
    let net = Network::new(5, 12, &mut ChaCha8Rng::seed_from_u64(3));
    let deep = DeepNetwork::new(5, 12, 2, &mut ChaCha8Rng::seed_from_u64(3)).unwrap();
    let x = ndarray::array![0.3, -0.2, 0.0, 0.9, 0.1];
    let (f, g) = net.value_and_gradient(x.view()).unwrap();
    let (fd, gd) = deep.value_and_gradient(x.view()).unwrap();
    assert_eq!(f, fd);
    // Same parameters, different layouts: compare as sorted multisets of gradient entries.
    let sorted = |v: &Array1<f64>| {
        let mut s = v.to_vec();
        s.sort_by(f64::total_cmp);
        s
    };
    assert_eq!(sorted(&g), sorted(&gd));
    assert_eq!(sorted(&net.params()), sorted(&deep.params()));
}

/// ∂f/∂θ and the fused bonus and Z update against central finite differences and the
/// materialised gradient, away from the symmetric start (so every layer matters).
#[test]
fn gradients_match_finite_differences_at_every_depth() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    for depth in [2, 3, 4] {
        let mut net = DeepNetwork::new(4, 6, depth, &mut rng).unwrap();
        let p = net.params().mapv(|v| v + 0.3 * standard_normal(&mut rng));
        net.set_params(p.view()).unwrap();
        let x = ndarray::array![0.5, -0.4, 0.0, 0.7];
        let (f, g) = net.value_and_gradient(x.view()).unwrap();
        let h = 1e-6;
        for k in 0..net.n_params() {
            let mut plus = p.clone();
            plus[k] += h;
            let mut minus = p.clone();
            minus[k] -= h;
            let mut a = net.clone();
            a.set_params(plus.view()).unwrap();
            let mut b = net.clone();
            b.set_params(minus.view()).unwrap();
            let fd = (a.values(x.view().insert_axis(Axis(0))).unwrap()[0]
                - b.values(x.view().insert_axis(Axis(0))).unwrap()[0])
                / (2.0 * h);
            assert!((fd - g[k]).abs() < 1e-5 * (1.0 + g[k].abs()), "depth {depth}, θ_{k}: {fd} vs {}", g[k]);
        }
        let inv: Vec<f64> = (0..net.n_params()).map(|_| 0.5 + standard_normal(&mut rng).abs()).collect();
        let mut s = DeepScratch::default();
        let (f2, norm) = net.value_and_weighted_norm(x.view(), &inv, &mut s);
        let direct: f64 = g.iter().zip(&inv).map(|(gk, i)| gk * gk * i).sum();
        assert_eq!(f, f2);
        assert!((norm - direct).abs() < 1e-10 * direct, "depth {depth}: {norm} vs {direct}");
        let (mut z, mut zi) = (vec![1.0; inv.len()], vec![0.0; inv.len()]);
        net.accumulate_squared_gradient(x.view(), &mut z, &mut zi, &mut s);
        for k in 0..z.len() {
            assert!((z[k] - 1.0 - g[k] * g[k] / 6.0).abs() < 1e-12, "depth {depth}, z_{k}");
        }
    }
}

/// Training descends the loss, and batching by distinct rows equals repeating them.
#[test]
fn training_on_counted_rows_equals_training_on_repeats() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let net = DeepNetwork::new(3, 32, 4, &mut rng).unwrap();
    let x = ndarray::array![[1.0, 0.0, 0.5], [0.0, 1.0, -0.5], [1.0, 0.0, 0.5]];
    let y = ndarray::array![1.0, 0.0, 0.6];
    let mut repeated = net.clone();
    repeated.train(x.view(), y.view(), 1e-2, 0.05, 30).unwrap();
    let mut counted = net.clone();
    counted.train_rows(&x.slice(ndarray::s![..2, ..]).to_owned(), &[2.0, 1.0], &[1.6, 0.0], 3.0, 1e-2, 0.05, 30);
    for (a, b) in repeated.params().iter().zip(counted.params().iter()) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
    let loss = |n: &DeepNetwork| {
        let f = n.values(x.view()).unwrap();
        f.iter().zip(&y).map(|(f, y)| (f - y) * (f - y)).sum::<f64>()
    };
    assert!(loss(&repeated) < 0.5 * loss(&net), "{} vs {}", loss(&repeated), loss(&net));
}
