//! NeuralUCB 10/10 (no geometric start) on wine over ten seeds, d_max = 1.
//!
//! `cargo run --release -p edgeopt-bandit --example seeds`

use edgeopt_bandit::{Classification, Delay, Environment, NeuralBandit, NeuralConfig, SimConfig, simulate};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/wine.csv");
    let mut v = Vec::new();
    for seed in 0..10 {
        let mut env = Classification::from_csv(&path, seed)?;
        let cfg = NeuralConfig {
            seed,
            retrain_every: 10,
            retrain_steps: 10,
            geometric_start: false,
            ..NeuralConfig::default()
        };
        let mut p = NeuralBandit::new(env.dim(), cfg)?;
        v.push(simulate(&mut env, &mut p, &SimConfig::new(2000, Delay::Uniform { max: 1 }, seed + 100))?.regret());
    }
    println!("neural-ucb 10/10 over 10 seeds: mean {:.1} {v:?}", v.iter().sum::<f64>() / v.len() as f64);
    Ok(())
}
