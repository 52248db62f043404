//! The Rust side of the Python binding's overhead benchmark (`python/benches/overhead.py` times
//! the same two workloads through `import edgeopt`):
//!
//! 1. `Accelerator::evaluate` of one small layer, per call;
//! 2. the cost matrix of all 15,625 NAS-Bench-201 cells × the thesis's 1,296 accelerators.
//!
//! Both sides report the wall time (best of several runs) and the process CPU time (all threads),
//! which other load on a small machine disturbs much less than the wall time.
//!
//! ```sh
//! cargo run --release --example cost_matrix_timing
//! ```
use std::time::Instant;

use edgeopt::accel_sim::{Accel, Accelerator, Dataflow, EnergyModel, HardwareConfig, HardwareSpace, Layer};
use edgeopt::nas::{Lower, Nb201, SearchSpace};

/// CPU seconds of this process so far (user + system, all threads), from /proc (Linux); NaN
/// where that is not available.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return f64::NAN };
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let f: Vec<f64> = after.split_whitespace().filter_map(|x| x.parse().ok()).collect();
    // `after` starts at field 3 (state, not numeric, dropped by the filter), so field k is f[k - 4].
    match (f.get(10), f.get(11)) {
        (Some(u), Some(s)) => (u + s) / 100.0, // clock ticks (USER_HZ = 100 on Linux)
        _ => f64::NAN,
    }
}

/// Run `work` `runs` times: (best wall seconds, mean CPU seconds) per run.
fn time(runs: usize, mut work: impl FnMut()) -> (f64, f64) {
    let cpu0 = cpu_seconds();
    let best = (0..runs)
        .map(|_| {
            let t = Instant::now();
            work();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min);
    (best, (cpu_seconds() - cpu0) / runs as f64)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let accel = Accel::new(HardwareConfig::new(256, 600, 150).build()?, Dataflow::KcP);
    let layer = vec![Layer::conv("c", 16, 16, 3, 3, 18, 18, 1)];
    let calls = 200_000;
    let (wall, cpu) = time(5, || {
        for _ in 0..calls {
            std::hint::black_box(accel.evaluate(std::hint::black_box(&layer)).map(|c| c.cycles).unwrap_or(0));
        }
    });
    println!("evaluate_one_small_layer_us,wall {:.3},cpu {:.3}", wall / calls as f64 * 1e6, cpu / calls as f64 * 1e6);

    let space = Nb201::cifar10();
    let nets: Vec<Vec<Layer>> = space.enumerate().unwrap_or_default().iter().map(|a| space.layers(a)).collect();
    let grid = HardwareSpace::thesis();
    let (wall, cpu) = time(3, || {
        let m = grid.cost_matrix(std::hint::black_box(&nets), &EnergyModel::maestro());
        std::hint::black_box(m.cycles.len());
    });
    println!("cost_matrix_nb201_x_thesis_s,wall {wall:.3},cpu {cpu:.3}");
    // The dense form Python's `cost_matrix` returns (NaN-filled f64 buffers).
    let (wall, cpu) = time(3, || {
        let m = grid.cost_matrix_dense(std::hint::black_box(&nets), &EnergyModel::maestro());
        std::hint::black_box(m.cycles.len());
    });
    println!("cost_matrix_dense_nb201_x_thesis_s,wall {wall:.3},cpu {cpu:.3}");
    println!("pairs,{}", nets.len() * grid.len());
    Ok(())
}
