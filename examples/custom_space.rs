//! A user's own search space — a ResNet-style network with a depth and a width per stage —
//! searched by edgeopt's evolution under a latency bound costed by the MAESTRO-exact cost model.
//!
//! The space implements `SearchSpace` (six methods) and `Lower` (one method); nothing else is
//! needed to be searched, costed and checked against the exhaustive optimum.
//!
//! `cargo run --release --example custom_space`

use edgeopt::accel_sim::{Accel, Accelerator, CachedAccel, Dataflow, HardwareConfig, Layer};
use edgeopt::nas::rand::Rng;
use edgeopt::nas::{
    Constraints, Evaluation, Evolution, EvolutionConfig, Fitness, Lower, Lowering, Search, SearchSpace, choice,
    exhaustive,
};

/// Per stage: the depth in blocks, and the width in multiples of 16 channels (doubled per stage).
const CHOICES: [u8; 3] = [1, 2, 3];

/// Four stages of 3×3 residual blocks on 32×32 inputs; per stage a depth and a width multiplier.
struct ResNetSpace;

/// `[depth₁, width₁, depth₂, width₂, …]`.
type ResArch = [u8; 8];

impl SearchSpace for ResNetSpace {
    type Arch = ResArch;
    fn name(&self) -> &'static str {
        "resnet-stages"
    }
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> ResArch {
        choice::sample_each(&CHOICES, rng)
    }
    fn mutate<R: Rng + ?Sized>(&self, a: &ResArch, p: f64, rng: &mut R) -> ResArch {
        choice::mutate_each(a, &CHOICES, p, rng)
    }
    fn crossover<R: Rng + ?Sized>(&self, a: &ResArch, b: &ResArch, rng: &mut R) -> ResArch {
        choice::crossover_each(a, b, rng)
    }
    fn key(&self, a: &ResArch) -> String {
        a.iter().map(u8::to_string).collect::<Vec<_>>().join("-")
    }
    fn parse_key(&self, key: &str) -> edgeopt::nas::Result<ResArch> {
        choice::parse_fixed(self.name(), key, '-', |s| s.parse().ok().filter(|v| CHOICES.contains(v)))
    }
    fn size(&self) -> f64 {
        3f64.powi(8)
    }
    fn enumerate(&self) -> Option<Vec<ResArch>> {
        Some((0..6561u32).map(|i| std::array::from_fn(|j| 1 + (i / 3u32.pow(j as u32) % 3) as u8)).collect())
    }
}

impl Lower for ResNetSpace {
    fn layers_with(&self, a: &ResArch, _: &Lowering) -> Vec<Layer> {
        let mut layers = vec![Layer::conv_same("stem", 16, 3, 3, 3, 32, 32, 1)];
        let (mut c, mut hw) = (16, 32);
        for stage in 0..4 {
            let (depth, width) = (a[2 * stage], a[2 * stage + 1] as u64);
            let k = (16 * width) << stage;
            for b in 0..depth {
                let stride = if stage > 0 && b == 0 { 2 } else { 1 };
                layers.push(Layer::conv_same(&format!("s{stage}b{b}a"), k, c, 3, 3, hw, hw, stride));
                hw /= stride;
                layers.push(Layer::conv_same(&format!("s{stage}b{b}b"), k, k, 3, 3, hw, hw, 1));
                c = k;
            }
        }
        layers.push(Layer::fc("fc", 10, c));
        layers
    }
}

/// A stand-in for the user's accuracy predictor: more capacity, diminishing returns.
fn accuracy(space: &ResNetSpace, a: &ResArch) -> f64 {
    let depth: u8 = a.iter().step_by(2).sum();
    95.0 - 40.0 / (space.params(a) as f64 / 1e4).ln() - 0.5 * f64::from(12 - depth)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let space = ResNetSpace;
    let accel = CachedAccel::new(Accel::new(HardwareConfig::new(256, 256, 64).build()?, Dataflow::KcP));
    // The objective may fail (a layer the accelerator cannot run); the search then stops with it.
    let objective = |a: &ResArch| -> Result<Evaluation, edgeopt::accel_sim::SimError> {
        let cycles = accel.cycles(&space.layers(a))? as f64;
        Ok(Evaluation::new(accuracy(&space, a), cycles / 1e6))
    };
    let all = exhaustive(&space, &objective)?;
    let mut lat: Vec<f64> = all.iter().map(|(_, e)| e.latency).collect();
    lat.sort_by(f64::total_cmp);
    let bound = lat[lat.len() / 4]; // the fastest quarter of the space
    let cons = Constraints { max_latency: Some(bound), max_energy: None };
    let cfg = EvolutionConfig { population: 100, generations: 20, seed: 1, ..Default::default() };
    let mut evo = Evolution::new(&space, &objective, cons, Fitness::Accuracy, cfg)?;
    let state = evo.run_observed(None, &mut |s| eprint!("\rgeneration {}", s.generation))?;
    eprintln!();
    let best = state.population[0];
    let found = evo.evaluation(&best)?;
    let oracle = all.iter().filter(|(_, e)| e.latency <= bound).map(|(_, e)| e.accuracy).fold(f64::MIN, f64::max);
    println!(
        "best {} : {:.2} % at {:.3} Mcycles (bound {bound:.3}); exhaustive optimum {oracle:.2} %; {} of {} evaluated",
        space.key(&best),
        found.accuracy,
        found.latency,
        evo.evaluations(),
        all.len()
    );
    assert!(found.latency <= bound, "the constraint holds");
    assert!(oracle - found.accuracy < 0.5, "evolution gets within 0.5 points of the optimum");
    assert_eq!(space.parse_key(&space.key(&best))?, best);
    Ok(())
}

#[test]
fn runs() {
    main().unwrap();
}
