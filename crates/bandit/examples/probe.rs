//! Regret curve of one NeuralUCB run (diagnostics).
//!
//! `cargo run --release -p edgeopt-bandit --example probe -- SEED EVERY STEPS`

use edgeopt_bandit::{Classification, Delay, Environment, NeuralBandit, NeuralConfig, SimConfig, simulate};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<u64> = std::env::args().skip(1).map(|a| a.parse().unwrap_or(0)).collect();
    let (seed, every, steps) =
        (args.first().copied().unwrap_or(0), args.get(1).copied().unwrap_or(10), args.get(2).copied().unwrap_or(10));
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/wine.csv");
    let mut env = Classification::from_csv(&path, seed)?;
    let cfg =
        NeuralConfig { seed, retrain_every: every as usize, retrain_steps: steps as usize, ..NeuralConfig::default() };
    let mut p = NeuralBandit::new(env.dim(), cfg)?;
    let c = simulate(&mut env, &mut p, &SimConfig::new(2000, Delay::Uniform { max: 1 }, seed + 100))?;
    for t in [10, 20, 50, 100, 200, 400, 800, 1200, 1600, 1999] {
        println!("t={t} regret {}", c.cumulative_regret[t]);
    }
    Ok(())
}
