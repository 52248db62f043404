//! Demo section: Aquaman (thesis ch. 2) — choosing the DNN for each arriving device from users'
//! delayed, partly missing QoE ratings, in two worlds: the synthetic QoE world (sec. 2.5.3) and a
//! world of measured devices (NAS-Bench-201 models with their HW-NAS-Bench latencies).

use std::fmt::Write as _;
use std::time::Instant;

use edgeopt::bandit::{
    Curve, Delay, DeviceWorld, Environment, Exploration, LinUcb, NeuralBandit, NeuralConfig, Policy, QoeKind, QoeWorld,
    RandomPolicy, SimConfig, simulate, simulate_static,
};
use rayon::prelude::*;

use super::Report;
use crate::cli::CliResult;
use crate::cli::plots::{Series, lines_logy};

/// One world of the section: how to build it, its horizon and the network its neural policies use.
struct World {
    name: &'static str,
    file: &'static str,
    rounds: u64,
    policies: &'static [&'static str],
    /// (depth, width, step) of the neural policies.
    net: (usize, usize, f64),
    make: fn() -> CliResult<Box<dyn Environment>>,
}

fn synthetic() -> CliResult<Box<dyn Environment>> {
    Ok(Box::new(QoeWorld::new(QoeWorld::default_models(), QoeKind::RandomMix, 0.05, 5)?))
}

fn devices() -> CliResult<Box<dyn Environment>> {
    let table = edgeopt::zoo::nb201_hwnasbench()?;
    Ok(Box::new(DeviceWorld::new(DeviceWorld::pareto_models(&table, 10)?, 0.05, 5)?))
}

const WORLDS: [World; 2] = [
    World {
        name: "synthetic QoE world (sec. 2.5.3)",
        file: "bandit_regret.svg",
        rounds: 2000,
        policies: &["neural-ucb", "neural-ts", "lin-ucb", "random"],
        net: (2, 100, 0.01),
        make: synthetic,
    },
    World {
        name: "measured-device world (NB201 × HW-NAS-Bench)",
        file: "bandit_regret_devices.svg",
        rounds: 20_000,
        policies: &["neural-ucb", "lin-ucb", "random"],
        net: (4, 32, 0.2),
        make: devices,
    },
];

/// Ratings arrive 1–50 rounds late, and one in ten never does.
fn sim(rounds: u64) -> SimConfig {
    SimConfig::new(rounds, Delay::Missing { max: 50, p: 0.1 }, 2)
}

fn run(w: &World, name: &str) -> CliResult<Curve> {
    let mut env = (w.make)()?;
    let d = env.dim();
    let (depth, width, lr) = w.net;
    let neural = |exploration| NeuralConfig { seed: 1, depth, width, lr, exploration, ..NeuralConfig::default() };
    let mut policy: Box<dyn Policy> = match name {
        "neural-ucb" => Box::new(NeuralBandit::new(d, neural(Exploration::Ucb))?),
        "neural-ts" => Box::new(NeuralBandit::new(d, neural(Exploration::Thompson))?),
        "lin-ucb" => Box::new(LinUcb::new(d, 1.0, 0.1, 1)?),
        _ => Box::new(RandomPolicy::new(1)),
    };
    Ok(simulate(&mut env, policy.as_mut(), &sim(w.rounds))?)
}

pub fn section(r: &mut Report) -> CliResult<()> {
    let _ = writeln!(r.md, "## 6. Aquaman: model selection from delayed QoE ratings (thesis ch. 2)\n");
    let _ = writeln!(
        r.md,
        "Each round a device arrives and a policy picks one of 10 models; users' ratings arrive 1–50 rounds \
         late and 10 % never arrive. Regret is against the per-round best model. *Static* is the best single \
         model in hindsight (it needs every round's expected QoE in advance); the learners see only the \
         delayed ratings.\n\n\
         * **Synthetic QoE world**: random device features, a kernel-ridge performance generator and a random \
         mix of QoE generators; NeuralUCB with the reference two-layer network (m = 100).\n\
         * **Measured-device world**: ten NAS-Bench-201 models on the accuracy–compute Pareto front, with \
         their measured CIFAR-10 accuracy and latencies on the six HW-NAS-Bench devices; each device arrives \
         idle, busy or throttled (latency ×1 / ×1.6 / ×2.5) for a user of 5, 15 or 50 ms latency tolerance, \
         plus run-to-run latency jitter; QoE = ½·accuracy + ½/(1 + (latency/tolerance)²). NeuralUCB with the \
         thesis's four-layer QoE network (m = 32, step 0.2).\n"
    );
    let mut summary = Vec::new();
    for w in &WORLDS {
        let start = Instant::now();
        let mut curves: Vec<(String, Curve)> =
            w.policies.par_iter().map(|name| Ok((name.to_string(), run(w, name)?))).collect::<CliResult<Vec<_>>>()?;
        curves.push(("static (best fixed model)".into(), simulate_static(&mut (w.make)()?, &sim(w.rounds))?));
        let secs = start.elapsed().as_secs_f64();
        let _ = writeln!(r.md, "### {}: {} rounds ({secs:.1} s)\n", w.name, w.rounds);
        let _ = writeln!(
            r.md,
            "| policy | cumulative regret | regret in the last quarter | mean reward | top-1 hit | top-3 hit |\n|---|---:|---:|---:|---:|---:|"
        );
        let quarter = (w.rounds / 4) as usize;
        let late = |c: &Curve| {
            let n = c.cumulative_regret.len();
            c.regret() - if n > quarter { c.cumulative_regret[n - quarter - 1] } else { 0.0 }
        };
        for (name, c) in &curves {
            let _ = writeln!(
                r.md,
                "| {name} | {:.1} | {:.1} | {:.3} | {:.3} | {:.3} |",
                c.regret(),
                late(c),
                c.mean_reward(),
                c.hit_ratio(),
                c.top_k_hit_ratio(3)
            );
        }
        let find = |name: &str| curves.iter().find(|c| c.0.starts_with(name)).map(|c| &c.1);
        let overtakes = match (find("neural-ucb"), find("static")) {
            (Some(n), Some(s)) => n.overtakes(s),
            _ => None,
        };
        let verdict = match overtakes {
            Some(t) => {
                format!("NeuralUCB's cumulative regret is below the best fixed model's from round {t} to the end")
            }
            None => format!("NeuralUCB has not overtaken the best fixed model within {} rounds", w.rounds),
        };
        let _ = writeln!(r.md, "\n{verdict}.\n\n![regret curves, {}]({})\n", w.name, w.file);
        let step = (w.rounds as usize / 100).max(1);
        let series: Vec<Series> = curves
            .iter()
            .map(|(name, c)| Series {
                name: name.clone(),
                points: (step - 1..c.cumulative_regret.len())
                    .step_by(step)
                    .map(|t| ((t + 1) as f64, c.cumulative_regret[t]))
                    .filter(|p| p.1 > 0.0)
                    .collect(),
            })
            .collect();
        lines_logy(&r.dir.join(w.file), &format!("Cumulative regret, {}", w.name), "round", "regret", &series)?;
        let regret = |name: &str| find(name).map_or(f64::NAN, Curve::regret);
        summary.push(format!(
            "aquaman, {} ({} rounds): regret neural-ucb {:.1}, static {:.1}, lin-ucb {:.1}, random {:.1}; {verdict}",
            w.name,
            w.rounds,
            regret("neural-ucb"),
            regret("static"),
            regret("lin-ucb"),
            regret("random")
        ));
    }
    for line in summary {
        let _ = writeln!(r.summary, "{line}");
    }
    Ok(())
}
