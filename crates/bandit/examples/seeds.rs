//! NeuralUCB on a classification data set over ten seeds (T = 2000), for trying schedules and
//! exploration scales: `EVERY STEPS GEOMETRIC GAMMA D_MAX [DATA]` (defaults: 10 10 0 0.1 1 wine).
//!
//! `cargo run --release -p edgeopt-bandit --example seeds -- 100 100 1 0.1 1 tests/data/iris.csv`

use edgeopt_bandit::{Classification, Delay, Environment, NeuralBandit, NeuralConfig, SimConfig, simulate};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.to_string());
    let (every, steps, geometric) = (arg(0, "10").parse()?, arg(1, "10").parse()?, arg(2, "0") == "1");
    let (gamma, dmax): (f64, u64) = (arg(3, "0.1").parse()?, arg(4, "1").parse()?);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = dir.join(arg(5, "tests/data/wine.csv"));
    let mut v = Vec::new();
    for seed in 0..10 {
        let mut env = Classification::from_csv(&path, seed)?;
        let cfg = NeuralConfig {
            seed,
            retrain_every: every,
            retrain_steps: steps,
            geometric_start: geometric,
            gamma,
            ..NeuralConfig::default()
        };
        let mut p = NeuralBandit::new(env.dim(), cfg)?;
        v.push(simulate(&mut env, &mut p, &SimConfig::new(2000, Delay::Uniform { max: dmax }, seed + 100))?.regret());
    }
    let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64;
    println!(
        "{every}/{steps} geometric={geometric} gamma={gamma} d_max={dmax}: seeds 0-2 {:.1}, 0-9 {:.1} {v:?}",
        mean(&v[..3]),
        mean(&v)
    );
    Ok(())
}
