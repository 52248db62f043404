//! A search loop on one accelerator: every NAS-Bench-201 network costed cold (`Accel`) and through a
//! shape cache (`CachedAccel`), which analyses each of the space's few layer shapes once.
//!
//! `cargo run --release --example cached_search`

use std::time::Instant;

use edgeopt::accel_sim::{Accel, Accelerator, CachedAccel, Dataflow, HardwareConfig};
use edgeopt::nas::{Lower, Nb201, SearchSpace};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let nb = Nb201::cifar10();
    let archs = nb.enumerate().ok_or("NAS-Bench-201 is enumerable")?;
    let nets: Vec<_> = archs.iter().map(|a| nb.layers(a)).collect();
    let acc = Accel::new(HardwareConfig::new(256, 600, 150).build()?, Dataflow::KcP);
    let cold_n = 2000;
    let start = Instant::now();
    let cold: Vec<u64> = nets[..cold_n].iter().map(|n| acc.cycles(n)).collect::<Result<_, _>>()?;
    let cold_us = start.elapsed().as_secs_f64() * 1e6 / cold_n as f64;
    let cached = CachedAccel::new(acc);
    let start = Instant::now();
    let warm: Vec<u64> = nets.iter().map(|n| cached.cycles(n)).collect::<Result<_, _>>()?;
    let warm_us = start.elapsed().as_secs_f64() * 1e6 / nets.len() as f64;
    assert_eq!(cold[..], warm[..cold_n], "the cache must not change a result");
    println!("cold Accel: {cold_us:.1} us per network (first {cold_n} networks)");
    println!(
        "CachedAccel: {warm_us:.2} us per network over all {} networks, {} distinct layer shapes analysed",
        nets.len(),
        cached.cached_shapes()
    );
    Ok(())
}
