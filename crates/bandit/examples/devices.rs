//! The measured-device QoE world (NAS-Bench-201 models, HW-NAS-Bench latencies): regret and time
//! of NeuralUCB (4 layers, as the thesis's QoE predictor) against the best fixed model.
//!
//! `cargo run --release -p edgeopt-bandit --example devices -- ROUNDS WIDTH DEPTH LR GAMMA [synthetic] [f32]`

use std::time::Instant;

use edgeopt_bandit::{
    Delay, DeviceWorld, Environment, NeuralBandit, NeuralConfig, QoeKind, QoeWorld, SimConfig, simulate,
    simulate_static,
};
use edgeopt_predictors::data::DeviceTable;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rounds: u64 = args.first().map_or(Ok(20_000), |s| s.parse())?;
    let width: usize = args.get(1).map_or(Ok(32), |s| s.parse())?;
    let depth: usize = args.get(2).map_or(Ok(4), |s| s.parse())?;
    let lr: f64 = args.get(3).map_or(Ok(0.01), |s| s.parse())?;
    let gamma: f64 = args.get(4).map_or(Ok(0.1), |s| s.parse())?;
    let synthetic = args.iter().skip(5).any(|s| s == "synthetic");
    let f32_training = args.iter().skip(5).any(|s| s == "f32");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/nb201_hwnasbench_cifar10.csv.gz");
    let table = DeviceTable::parse_gz(&std::fs::read(path)?, path)?;
    let models = DeviceWorld::pareto_models(&table, 10)?;
    let world = || -> Result<Box<dyn Environment>, edgeopt_bandit::BanditError> {
        Ok(if synthetic {
            Box::new(QoeWorld::new(QoeWorld::default_models(), QoeKind::RandomMix, 0.05, 5)?)
        } else {
            Box::new(DeviceWorld::new(models.clone(), 0.05, 5)?)
        })
    };
    let cfg = SimConfig::new(rounds, Delay::Missing { max: 50, p: 0.1 }, 2);
    let start = Instant::now();
    let fixed = simulate_static(&mut world()?, &cfg)?;
    println!("static: regret {:.1} ({:.2} s)", fixed.regret(), start.elapsed().as_secs_f64());
    let mut env = world()?;
    let ncfg = NeuralConfig { width, depth, lr, gamma, seed: 1, f32_training, ..NeuralConfig::default() };
    let mut policy = NeuralBandit::new(env.dim(), ncfg)?;
    let start = Instant::now();
    let curve = simulate(&mut env, &mut policy, &cfg)?;
    let late = |c: &edgeopt_bandit::Curve| c.regret() - c.cumulative_regret[c.cumulative_regret.len() / 2];
    println!("second half: static {:.1}, neural {:.1}", late(&fixed), late(&curve));
    println!(
        "neural-ucb width {width} depth {depth}{}: regret {:.1} ({:.2} s); ahead of static from round {:?}",
        if f32_training { " (f32 products)" } else { "" },
        curve.regret(),
        start.elapsed().as_secs_f64(),
        curve.overtakes(&fixed)
    );
    Ok(())
}
