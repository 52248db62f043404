//! Aquaman as a service: a user's own model catalogue (`Arm`s), devices arriving one at a time,
//! NeuralUCB choosing the model for each, and users' quality-of-experience ratings arriving late
//! or never. The catalogue and the "true" QoE are the user's; edgeopt only sees features.
//!
//! `cargo run --release --example serving_loop`

use std::collections::VecDeque;

use edgeopt::bandit::ndarray::{Array1, ArrayView1, array};
use edgeopt::bandit::{Arm, BanditError, NeuralBandit, NeuralConfig, Policy, RandomPolicy};
use edgeopt::predictors::rand::rngs::ChaCha8Rng;
use edgeopt::predictors::rand::{RngExt, SeedableRng};

/// A deployable model: its size and accuracy, normalised.
struct Model {
    name: &'static str,
    features: Array1<f64>,
}

impl Arm for Model {
    fn features(&self) -> ArrayView1<'_, f64> {
        self.features.view()
    }
}

/// The user's ground truth (unknown to the policy): accuracy pays, but a model too large for the
/// device's speed makes users wait.
fn qoe(device_speed: f64, m: &Model) -> f64 {
    let (size, acc) = (m.features[0], m.features[1]);
    let wait = (size / device_speed - 0.5).max(0.0);
    (acc - 0.8 * wait).clamp(0.0, 1.0)
}

/// Serve `rounds` devices; ratings come 1–20 rounds late and one in eight never. Returns the
/// regret against always picking each device's best model.
fn serve<P: Policy>(policy: &mut P, rounds: u64) -> Result<f64, BanditError> {
    let catalogue = [
        Model { name: "mobilenet-0.5", features: array![0.1, 0.55] },
        Model { name: "mobilenet-1.0", features: array![0.3, 0.70] },
        Model { name: "resnet-50", features: array![0.6, 0.80] },
        Model { name: "vit-base", features: array![1.0, 0.90] },
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut late: VecDeque<(u64, u64, f64)> = VecDeque::new(); // (due round, decision id, rating)
    let mut regret = 0.0;
    for t in 0..rounds {
        let speed: f64 = rng.random_range(0.2..2.0);
        let decision = policy.select_with_context(t, array![speed].view(), &catalogue)?;
        let (id, arm) = (decision.id, decision.arm);
        let best = catalogue.iter().map(|m| qoe(speed, m)).fold(0.0, f64::max);
        let got = qoe(speed, &catalogue[arm]);
        regret += best - got;
        if !rng.random_ratio(1, 8) {
            late.push_back((t + rng.random_range(1..=20), id, got + rng.random_range(-0.05..0.05)));
        }
        late.make_contiguous().sort_by_key(|r| r.0);
        while late.front().is_some_and(|r| r.0 <= t) {
            let (_, id, rating) = late.pop_front().unwrap();
            policy.feedback(id, rating)?;
        }
    }
    let favourite = catalogue.iter().max_by(|a, b| qoe(1.0, a).total_cmp(&qoe(1.0, b))).map_or("", |m| m.name);
    println!("{}: for a device of unit speed the best model is {favourite}", policy.name());
    Ok(regret)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rounds = 1500;
    let cfg = NeuralConfig { width: 32, retrain_every: 50, retrain_steps: 50, seed: 1, ..NeuralConfig::default() };
    let regret_neural = serve(&mut NeuralBandit::new(3, cfg)?, rounds)?;
    let regret_random = serve(&mut RandomPolicy::new(1), rounds)?;
    println!("regret over {rounds} devices: NeuralUCB {regret_neural:.1}, random {regret_random:.1}");
    assert!(regret_neural < 0.5 * regret_random, "NeuralUCB learns which model suits which device");
    Ok(())
}

#[test]
fn runs() {
    main().unwrap();
}
