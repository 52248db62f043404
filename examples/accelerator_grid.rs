//! Cost MobileNetV2 on every accelerator of the thesis grid and print the fastest per dataflow.
//!
//! `cargo run --release --example accelerator_grid`

use edgeopt::accel_sim::{Dataflow, HardwareSpace, evaluate_batch};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let net = edgeopt::zoo::mobilenet_v2()?;
    let accs = HardwareSpace::thesis().enumerate()?;
    let start = std::time::Instant::now();
    let table = evaluate_batch(std::slice::from_ref(&net), &accs);
    println!("{} accelerators in {:.1} ms", accs.len(), start.elapsed().as_secs_f64() * 1e3);
    for df in Dataflow::BUILT_IN {
        let best = accs
            .iter()
            .zip(&table[0])
            .filter(|(a, _)| a.dataflow == df)
            .filter_map(|(a, r)| r.as_ref().ok().map(|c| (a, c)))
            .min_by_key(|(_, c)| c.cycles);
        if let Some((a, c)) = best {
            println!("{df}: {} cycles, {:.0} nJ on {}", c.cycles, c.energy_nj, a.label());
        }
    }
    Ok(())
}
