//! Policies on the synthetic QoE world (diagnostics and a usage example).
//!
//! `cargo run --release -p edgeopt-bandit --example qoe`

use edgeopt_bandit::{
    Delay, Environment, LinUcb, NeuralBandit, NeuralConfig, QoeKind, QoeWorld, RandomPolicy, SimConfig, simulate,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for kind in [QoeKind::Linear, QoeKind::Rbf, QoeKind::Laplacian, QoeKind::RandomMix] {
        let cfg = SimConfig::new(2000, Delay::Uniform { max: 20 }, 9);
        let world = || QoeWorld::new(QoeWorld::default_models(), kind, 0.05, 5);
        let mut env = world()?;
        let d = env.dim();
        let neural =
            simulate(&mut env, &mut NeuralBandit::new(d, NeuralConfig { seed: 1, ..NeuralConfig::default() })?, &cfg)?;
        let lin = simulate(&mut world()?, &mut LinUcb::new(d, 1.0, 0.1, 1)?, &cfg)?;
        let random = simulate(&mut world()?, &mut RandomPolicy::new(1), &cfg)?;
        println!(
            "{kind:?}: regret neural-ucb {:.1}, lin-ucb {:.1}, random {:.1}",
            neural.regret(),
            lin.regret(),
            random.regret()
        );
    }
    Ok(())
}
