//! Where the time of a NeuralUCB run goes: selections and retrains on the wine protocol
//! (T = 2000, seeds 0–2), for the reference's 100/100 schedule and for 10/10.
//!
//! `cargo run --release -p edgeopt-bandit --example timing`

use std::time::{Duration, Instant};

use edgeopt_bandit::{Classification, Environment, NeuralBandit, NeuralConfig, Policy};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/wine.csv");
    for (every, steps) in [(100, 100), (10, 10)] {
        let (mut select, mut feedback, mut retrains, mut rounds) = (Duration::ZERO, Duration::ZERO, 0, 0u32);
        for seed in 0..3 {
            let mut env = Classification::from_csv(&path, seed)?;
            let cfg = NeuralConfig {
                seed,
                retrain_every: every,
                retrain_steps: steps,
                geometric_start: false,
                ..NeuralConfig::default()
            };
            let mut p = NeuralBandit::new(env.dim(), cfg)?;
            for t in 0..2000 {
                let r = env.next_round();
                let start = Instant::now();
                let d = p.select(t, r.contexts.view())?;
                select += start.elapsed();
                let start = Instant::now();
                p.feedback(d.id, r.rewards[d.arm])?;
                feedback += start.elapsed();
                rounds += 1;
            }
            retrains += p.retrains();
        }
        println!(
            "retrain every {every} for {steps} steps: selection {:.2} µs, retrain {:.2} ms (mean over {retrains} retrains, \
             including the feedback calls between them)",
            select.as_secs_f64() * 1e6 / f64::from(rounds),
            feedback.as_secs_f64() * 1e3 / retrains as f64,
        );
    }
    Ok(())
}
