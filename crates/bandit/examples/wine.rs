//! The classification protocol on wine (T = 2000, seeds 0–2) for every policy.
//!
//! `cargo run --release -p edgeopt-bandit --example wine`

use edgeopt_bandit::{
    Classification, Delay, Environment, LinUcb, NeuralBandit, NeuralConfig, Policy, RandomPolicy, SimConfig, simulate,
    simulate_static,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/wine.csv");
    for dmax in [1u64, 100] {
        let cfg = |seed: u64| SimConfig::new(2000, Delay::Uniform { max: dmax }, seed + 100);
        let report =
            |name: &str, make: &dyn Fn(u64, usize) -> Box<dyn Policy>| -> Result<(), Box<dyn std::error::Error>> {
                let mut v = Vec::new();
                let start = std::time::Instant::now();
                for seed in 0..3 {
                    let mut env = Classification::from_csv(&path, seed)?;
                    let mut p = make(seed, env.dim());
                    v.push(simulate(&mut env, p.as_mut(), &cfg(seed))?.regret());
                }
                let mean = v.iter().sum::<f64>() / 3.0;
                println!("d_max={dmax} {name:28} regret {mean:7.1} {v:?} ({:.2} s)", start.elapsed().as_secs_f64());
                Ok(())
            };
        report("neural-ucb 100/100", &|s, d| {
            Box::new(
                NeuralBandit::new(d, NeuralConfig { seed: s, geometric_start: false, ..NeuralConfig::default() })
                    .unwrap(),
            )
        })?;
        report("neural-ucb 100/100 geometric", &|s, d| {
            Box::new(NeuralBandit::new(d, NeuralConfig { seed: s, ..NeuralConfig::default() }).unwrap())
        })?;
        report("neural-ucb 10/10", &|s, d| {
            Box::new(
                NeuralBandit::new(
                    d,
                    NeuralConfig {
                        seed: s,
                        retrain_every: 10,
                        retrain_steps: 10,
                        geometric_start: false,
                        ..NeuralConfig::default()
                    },
                )
                .unwrap(),
            )
        })?;
        report("lin-ucb", &|s, d| Box::new(LinUcb::new(d, 1.0, 0.03, s).unwrap()))?;
        report("random", &|s, _| Box::new(RandomPolicy::new(s)))?;
        let lin10: Vec<f64> = (0..10)
            .map(|s| {
                let mut env = Classification::from_csv(&path, s).unwrap();
                let d = env.dim();
                simulate(&mut env, &mut LinUcb::new(d, 1.0, 0.03, s).unwrap(), &cfg(s)).unwrap().regret()
            })
            .collect();
        println!("d_max={dmax} lin-ucb (10 seeds)         regret {:7.1} {lin10:?}", lin10.iter().sum::<f64>() / 10.0);
        let st: Vec<f64> = (0..3)
            .map(|s| simulate_static(&mut Classification::from_csv(&path, s).unwrap(), &cfg(s)).unwrap().regret())
            .collect();
        println!("d_max={dmax} static                       regret {:7.1} {st:?}", st.iter().sum::<f64>() / 3.0);
    }
    Ok(())
}
