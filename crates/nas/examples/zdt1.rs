//! NSGA-II on ZDT1 (Zitzler, Deb and Thiele 2000; 30 variables in [0, 1], two objectives) through a
//! user-defined [`SearchSpace`]: real-valued designs with simulated binary crossover and polynomial
//! mutation (Deb's operators, as pymoo's NSGA-II uses by default). The Rust side of
//! `benches/nsga2_pymoo.py`; prints the run time, the evaluations and the final front's
//! hypervolume against (1.1, 1.1).
//!
//! `RAYON_NUM_THREADS=1 cargo run --release -p edgeopt-nas --example zdt1 -- [SEED] [POP] [GENERATIONS]`

use std::convert::Infallible;
use std::time::Instant;

use edgeopt_nas::pareto::hypervolume;
use edgeopt_nas::rand::{Rng, RngExt};
use edgeopt_nas::{Nsga2, Nsga2Config, Result, Search, SearchSpace};

/// Variables of ZDT1.
const N: usize = 30;
/// Distribution indices of the operators (pymoo's defaults).
const ETA_CROSSOVER: f64 = 15.0;
const ETA_MUTATION: f64 = 20.0;

/// A design is 30 reals in [0, 1], stored as their bits so it can be hashed for memoisation.
struct Zdt1;

fn reals(a: &[u64]) -> impl Iterator<Item = f64> + '_ {
    a.iter().map(|b| f64::from_bits(*b))
}

impl SearchSpace for Zdt1 {
    type Arch = Vec<u64>;
    fn name(&self) -> &'static str {
        "zdt1"
    }
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<u64> {
        (0..N).map(|_| rng.random_range(0.0..=1.0f64).to_bits()).collect()
    }
    /// Polynomial mutation of each variable with probability `prob`.
    fn mutate<R: Rng + ?Sized>(&self, a: &Vec<u64>, prob: f64, rng: &mut R) -> Vec<u64> {
        reals(a)
            .map(|y| {
                if !rng.random_bool(prob) {
                    return y.to_bits();
                }
                let u: f64 = rng.random();
                let power = 1.0 / (ETA_MUTATION + 1.0);
                let dq = if u < 0.5 {
                    let v = 2.0 * u + (1.0 - 2.0 * u) * (1.0 - y).powf(ETA_MUTATION + 1.0);
                    v.powf(power) - 1.0
                } else {
                    let v = 2.0 * (1.0 - u) + 2.0 * (u - 0.5) * y.powf(ETA_MUTATION + 1.0);
                    1.0 - v.powf(power)
                };
                (y + dq).clamp(0.0, 1.0).to_bits()
            })
            .collect()
    }
    /// Simulated binary crossover (each variable with probability ½); one of the two children.
    fn crossover<R: Rng + ?Sized>(&self, a: &Vec<u64>, b: &Vec<u64>, rng: &mut R) -> Vec<u64> {
        let first = rng.random_bool(0.5);
        reals(a)
            .zip(reals(b))
            .map(|(x1, x2)| {
                if !rng.random_bool(0.5) || (x1 - x2).abs() < 1e-14 {
                    return if first { x1 } else { x2 }.to_bits();
                }
                let (lo, hi) = (x1.min(x2), x1.max(x2));
                let u: f64 = rng.random();
                // The spread factor is bounded so both children stay inside [0, 1].
                let spread = |beta: f64| {
                    let alpha = 2.0 - beta.powf(-(ETA_CROSSOVER + 1.0));
                    if u <= 1.0 / alpha {
                        (u * alpha).powf(1.0 / (ETA_CROSSOVER + 1.0))
                    } else {
                        (1.0 / (2.0 - u * alpha)).powf(1.0 / (ETA_CROSSOVER + 1.0))
                    }
                };
                let c = if first {
                    0.5 * (lo + hi - spread(1.0 + 2.0 * lo / (hi - lo)) * (hi - lo))
                } else {
                    0.5 * (lo + hi + spread(1.0 + 2.0 * (1.0 - hi) / (hi - lo)) * (hi - lo))
                };
                c.clamp(0.0, 1.0).to_bits()
            })
            .collect()
    }
    fn key(&self, a: &Vec<u64>) -> String {
        reals(a).map(|v| format!("{v:.17}")).collect::<Vec<_>>().join(",")
    }
    fn parse_key(&self, key: &str) -> Result<Vec<u64>> {
        key.split(',')
            .map(|v| {
                v.parse::<f64>().ok().filter(|v| (0.0..=1.0).contains(v)).map(f64::to_bits).ok_or_else(|| {
                    edgeopt_nas::NasError::BadKey {
                        space: "zdt1",
                        key: key.into(),
                        reason: format!("`{v}` is not a real in [0, 1]"),
                    }
                })
            })
            .collect()
    }
}

/// ZDT1's two objectives, both minimised.
fn zdt1(a: &[u64]) -> Vec<f64> {
    let x: Vec<f64> = reals(a).collect();
    let g = 1.0 + 9.0 * x[1..].iter().sum::<f64>() / (N - 1) as f64;
    vec![x[0], g * (1.0 - (x[0] / g).sqrt())]
}

fn main() -> Result<()> {
    let arg = |i: usize, default: u64| std::env::args().nth(i).and_then(|v| v.parse().ok()).unwrap_or(default);
    let cfg = Nsga2Config {
        seed: arg(1, 0),
        population: arg(2, 100) as usize,
        generations: arg(3, 100) as usize,
        mutation_prob: 1.0 / N as f64,
    };
    let start = Instant::now();
    let objective = |a: &Vec<u64>| Ok::<_, Infallible>(zdt1(a));
    let mut nsga = Nsga2::new(&Zdt1, &objective, cfg)?;
    let state = nsga.run(None)?;
    let seconds = start.elapsed().as_secs_f64();
    let front: Vec<Vec<f64>> = nsga.front(&state).into_iter().map(|(_, v)| v).collect();
    let hv = hypervolume(&front, &[1.1, 1.1])?;
    println!(
        "{{\"seconds\": {seconds:.6}, \"evaluations\": {}, \"front\": {}, \"hv\": {hv:.6}}}",
        nsga.evaluations(),
        front.len()
    );
    Ok(())
}
