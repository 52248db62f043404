//! Cost MobileNetV2 on one accelerator many times (for profilers).
//!
//! `cargo run --release -p edgeopt-accel-sim --example profile_single [REPS]`
//!
//! Each repetition builds a new accelerator, so nothing analysed before is reused (a cold
//! accelerator). The three built-in dataflows take turns.

use edgeopt_accel_sim::{Accel, Accelerator, Dataflow, HardwareConfig, layer_csv};

fn main() {
    let net = layer_csv::parse(include_str!("../benches/mobilenetv2.csv"), "mobilenetv2.csv").expect("embedded table");
    let start = std::time::Instant::now();
    let mut total = 0u64;
    let reps: usize = std::env::args().nth(1).map_or(Ok(2000), |a| a.parse()).expect("REPS must be a whole number");
    for i in 0..reps {
        let df = Dataflow::BUILT_IN[i % 3].clone();
        let acc = Accel::new(HardwareConfig::new(256, 600, 150).build().expect("valid"), df);
        total = total.wrapping_add(acc.cycles(&net).expect("costable"));
    }
    let per = start.elapsed().as_secs_f64() * 1e6 / reps as f64;
    println!("{per:.1} us per network-accelerator pair (checksum {total})");
}
