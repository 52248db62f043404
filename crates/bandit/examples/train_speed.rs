//! Time of full-batch retraining of the two-layer network on dense, distinct rows (ns per row
//! and step), the cost that dominates long runs of the synthetic QoE world.
//!
//! `cargo run --release -p edgeopt-bandit --example train_speed -- ROWS D STEPS`

use std::time::Instant;

use edgeopt_bandit::Network;
use edgeopt_bandit::ndarray::{Array1, Array2};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args().skip(1).map(|s| s.parse()).collect::<Result<_, _>>()?;
    let (rows, d, steps) = (
        args.first().copied().unwrap_or(20_000),
        args.get(1).copied().unwrap_or(11),
        args.get(2).copied().unwrap_or(20),
    );
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut x = Array2::from_shape_fn((rows, d), |_| rng.random_range(-1.0f64..1.0));
    for mut row in x.rows_mut() {
        let norm: f64 = row.dot(&row).sqrt();
        row /= norm;
    }
    let y = Array1::from_shape_fn(rows, |_| rng.random_range(0.0..1.0));
    let mut net = Network::new(d, 100, &mut rng);
    let start = Instant::now();
    net.train(x.view(), y.view(), 1e-3, 0.01, steps)?;
    let s = start.elapsed().as_secs_f64();
    let flops = 4.0 * (rows * d * 100 * steps) as f64;
    println!(
        "{rows} rows × {d}, {steps} steps: {s:.3} s, {:.1} ns per row-step, {:.1} GFLOP/s (products)",
        s * 1e9 / (rows * steps) as f64,
        flops / s / 1e9
    );
    Ok(())
}
