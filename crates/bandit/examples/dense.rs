//! NeuralUCB on a dense, non-repeating classification bandit, timed (the Rust side of
//! `benches/neuralucb_numpy.py`): the reference protocol (m = 100, retrain every 100 rewards for
//! 100 steps, no geometric start, rewards one round late) on a CSV, per seed.
//!
//! ```text
//! python3 crates/bandit/benches/neuralucb_numpy.py gen /tmp/dense64.csv --seed 0
//! cargo run --release -p edgeopt-bandit --example dense -- /tmp/dense64.csv 2000 0 1 2 [f32] [full]
//! ```

use std::time::Instant;

use edgeopt_bandit::{
    Classification, Confidence, Delay, Environment, NeuralBandit, NeuralConfig, Policy, SimConfig, simulate,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args.first().ok_or("usage: dense DATA.csv ROUNDS SEED...")?;
    let rounds: u64 = args.get(1).map_or(Ok(2000), |s| s.parse())?;
    let single = args.iter().any(|a| a == "f32");
    let full = args.iter().any(|a| a == "full");
    let seeds: Vec<u64> =
        args.iter().skip(2).filter(|a| *a != "f32" && *a != "full").map(|s| s.parse()).collect::<Result<_, _>>()?;
    for seed in if seeds.is_empty() { vec![0] } else { seeds } {
        let mut env = Classification::from_csv(std::path::Path::new(path), seed)?;
        let confidence = if full { Confidence::Full } else { Confidence::Diagonal };
        let cfg =
            NeuralConfig { seed, geometric_start: false, f32_training: single, confidence, ..NeuralConfig::default() };
        let mut policy = NeuralBandit::new(env.dim(), cfg)?;
        let start = Instant::now();
        let curve = simulate(&mut env, &mut policy, &SimConfig::new(rounds, Delay::None, seed))?;
        println!(
            "seed {seed}{}{}: regret {:.0} seconds {:.3} ({} retrains, {})",
            if single { " (f32 products)" } else { "" },
            if full { " (full Z)" } else { "" },
            curve.regret(),
            start.elapsed().as_secs_f64(),
            policy.retrains(),
            policy.name()
        );
    }
    Ok(())
}
