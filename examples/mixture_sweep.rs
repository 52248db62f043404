//! The thesis's layer-wise mixed-dataflow sweep (sec. 4.5.3) at full size: 1,017 DARTS networks,
//! each split into 22 parts (first layer, 20 groups, last layer), under 5,000 mixtures drawn over
//! 51 sampled hardware configurations × the three dataflows (153 accelerators), costed with
//! `cost_mixtures` (one shape cache for the whole sweep). Checks a few pairs against
//! `MixedAccelerator` and prints the timings as JSON.
//!
//! ```sh
//! cargo run --release --example mixture_sweep [-- NETWORKS MIXTURES]
//! ```
use std::time::Instant;

use edgeopt::accel_sim::rand::{RngExt, SeedableRng, rngs::ChaCha8Rng};
use edgeopt::accel_sim::{
    Accel, Accelerator, Dataflow, HardwareConfig, HardwareSpace, MixedAccelerator, cost_mixtures, sample_mixtures,
    thesis_partition,
};
use edgeopt::nas::{Darts, Lower, SearchSpace};

/// Middle groups of the thesis's split (22 parts with the first and last layer).
const GROUPS: usize = 20;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let arg = |i: usize, default: usize| std::env::args().nth(i).and_then(|v| v.parse().ok()).unwrap_or(default);
    let (n_nets, n_mix) = (arg(1, 1017), arg(2, 5000));
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let space = Darts::cifar10();
    let nets: Vec<_> = (0..n_nets).map(|_| space.layers(&space.sample(&mut rng))).collect();
    // 51 hardware configurations from the thesis's lists, each with every dataflow.
    let grid = HardwareSpace::thesis();
    let mut accs = Vec::new();
    for _ in 0..51 {
        let pick = |v: &[u64], rng: &mut ChaCha8Rng| v[rng.random_range(0..v.len())];
        let hw = HardwareConfig::new(
            pick(&grid.pes, &mut rng),
            pick(&grid.noc_bw, &mut rng),
            pick(&grid.offchip_bw, &mut rng),
        )
        .build()?;
        accs.extend(Dataflow::BUILT_IN.iter().map(|df| Accel::new(hw.clone(), df.clone())));
    }
    let mixtures = sample_mixtures(accs.len(), GROUPS + 2, n_mix, &mut rng)?;
    let start = Instant::now();
    let m = cost_mixtures(&nets, &accs, &mixtures, GROUPS)?;
    let sweep = start.elapsed().as_secs_f64();
    let runnable = m.cycles.iter().filter(|c| !c.is_nan()).count();
    // Spot checks against one MixedAccelerator per pair, timed to show what the cache saves.
    let start = Instant::now();
    let checks = 20;
    for t in 0..checks {
        let (i, k) = ((t * 7919) % n_nets, (t * 104_729) % n_mix);
        let parts: Vec<(usize, Accel)> = thesis_partition(nets[i].len(), GROUPS)?
            .into_iter()
            .zip(&mixtures[k])
            .filter(|(n, _)| *n > 0)
            .map(|(n, &a)| (n, accs[a].clone()))
            .collect();
        let want = MixedAccelerator::new(parts)?.evaluate(&nets[i]).map(|c| c.cycles as f64).unwrap_or(f64::NAN);
        let got = m.cycles[i * m.cols + k];
        assert!(got == want || (got.is_nan() && want.is_nan()), "pair ({i}, {k}): {got} vs {want}");
    }
    let per_pair_direct = start.elapsed().as_secs_f64() / checks as f64;
    println!(
        "{{\"networks\": {n_nets}, \"mixtures\": {n_mix}, \"accelerators\": {}, \"distinct_layers\": {}, \
         \"runnable_pairs\": {runnable}, \"seconds_sweep\": {sweep:.2}, \"us_per_pair\": {:.3}, \
         \"us_per_pair_mixed_accelerator\": {:.1}, \"estimated_seconds_without_cache\": {:.0}}}",
        accs.len(),
        m.distinct_layers,
        sweep * 1e6 / (n_nets * n_mix) as f64,
        per_pair_direct * 1e6,
        per_pair_direct * (n_nets * n_mix) as f64,
    );
    Ok(())
}
