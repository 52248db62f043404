//! The Rust side of the Python binding's overhead benchmark (`python/benches/overhead.py` times
//! the same two workloads through `import edgeopt`):
//!
//! 1. `Accelerator::evaluate` of one small layer (per-call cost, best of 7 batches: the minimum is the least disturbed by other load);
//! 2. the cost matrix of all 15,625 NAS-Bench-201 cells × the thesis's 1,296 accelerators.
//!
//! ```sh
//! cargo run --release --example cost_matrix_timing
//! ```
use std::time::Instant;

use edgeopt::accel_sim::{Accel, Accelerator, Dataflow, EnergyModel, HardwareConfig, HardwareSpace, Layer};
use edgeopt::nas::{Lower, Nb201, SearchSpace};

fn min_of(v: Vec<f64>) -> f64 {
    v.into_iter().fold(f64::INFINITY, f64::min)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let accel = Accel::new(HardwareConfig::new(256, 600, 150).build()?, Dataflow::KcP);
    let layer = vec![Layer::conv("c", 16, 16, 3, 3, 18, 18, 1)];
    let calls = 20_000;
    let per_call: Vec<f64> = (0..7)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..calls {
                std::hint::black_box(accel.evaluate(std::hint::black_box(&layer)).map(|c| c.cycles).unwrap_or(0));
            }
            t.elapsed().as_secs_f64() / calls as f64
        })
        .collect();
    println!("evaluate_one_small_layer_us,{:.3}", min_of(per_call) * 1e6);

    let space = Nb201::cifar10();
    let nets: Vec<Vec<Layer>> = space.enumerate().unwrap_or_default().iter().map(|a| space.layers(a)).collect();
    let grid = HardwareSpace::thesis();
    let runs: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            let m = grid.cost_matrix(std::hint::black_box(&nets), &EnergyModel::maestro());
            std::hint::black_box(m.cycles.len());
            t.elapsed().as_secs_f64()
        })
        .collect();
    println!("cost_matrix_nb201_x_thesis_s,{:.4}", min_of(runs));
    println!("pairs,{}", nets.len() * grid.len());
    Ok(())
}
