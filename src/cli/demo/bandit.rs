//! Demo section: Aquaman (thesis ch. 2) — choosing the DNN for each arriving device from users'
//! delayed, partly missing QoE ratings on the synthetic QoE world (sec. 2.5.3).

use std::fmt::Write as _;
use std::time::Instant;

use edgeopt::bandit::{
    Curve, Delay, Environment, Exploration, LinUcb, NeuralBandit, NeuralConfig, Policy, QoeKind, QoeWorld,
    RandomPolicy, SimConfig, simulate, simulate_static,
};
use rayon::prelude::*;

use super::Report;
use crate::cli::CliResult;
use crate::cli::plots::{Series, lines_logy};

const ROUNDS: u64 = 2000;
const POLICIES: [&str; 4] = ["neural-ucb", "neural-ts", "lin-ucb", "random"];

fn world() -> Result<QoeWorld, edgeopt::bandit::BanditError> {
    QoeWorld::new(QoeWorld::default_models(), QoeKind::RandomMix, 0.05, 5)
}

fn run(name: &str) -> CliResult<Curve> {
    let mut env = world()?;
    let d = env.dim();
    let neural = |exploration| NeuralConfig { seed: 1, exploration, ..NeuralConfig::default() };
    let mut policy: Box<dyn Policy> = match name {
        "neural-ucb" => Box::new(NeuralBandit::new(d, neural(Exploration::Ucb))?),
        "neural-ts" => Box::new(NeuralBandit::new(d, neural(Exploration::Thompson))?),
        "lin-ucb" => Box::new(LinUcb::new(d, 1.0, 0.1, 1)?),
        _ => Box::new(RandomPolicy::new(1)),
    };
    // Ratings arrive 1–50 rounds late, and one in ten never does.
    let cfg = SimConfig::new(ROUNDS, Delay::Missing { max: 50, p: 0.1 }, 2);
    Ok(simulate(&mut env, policy.as_mut(), &cfg)?)
}

pub fn section(r: &mut Report) -> CliResult<()> {
    let start = Instant::now();
    let mut curves: Vec<(String, Curve)> =
        POLICIES.par_iter().map(|name| Ok((name.to_string(), run(name)?))).collect::<CliResult<Vec<_>>>()?;
    curves.push(("static (best fixed model)".into(), simulate_static(&mut world()?, ROUNDS)));
    let secs = start.elapsed().as_secs_f64();
    let models = QoeWorld::default_models().len();
    let _ = writeln!(r.md, "## 6. Aquaman: model selection from delayed QoE ratings (thesis ch. 2)\n");
    let _ = writeln!(
        r.md,
        "Synthetic QoE world (sec. 2.5.3): a random device arrives each round; {models} models; a kernel-ridge \
         performance generator and a random mix of QoE generators. Ratings arrive 1–50 rounds late and 10 % never \
         arrive. {ROUNDS} rounds, regret against the per-round best model ({secs:.2} s).\n"
    );
    let _ = writeln!(
        r.md,
        "| policy | cumulative regret | regret in the last 500 rounds | mean reward | top-1 hit | top-3 hit |\n|---|---:|---:|---:|---:|---:|"
    );
    let late = |c: &Curve| {
        let n = c.cumulative_regret.len();
        c.regret() - if n > 500 { c.cumulative_regret[n - 501] } else { 0.0 }
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
    let series: Vec<Series> = curves
        .iter()
        .map(|(name, c)| Series {
            name: name.clone(),
            points: (19..c.cumulative_regret.len())
                .step_by(20)
                .map(|t| ((t + 1) as f64, c.cumulative_regret[t]))
                .filter(|p| p.1 > 0.0)
                .collect(),
        })
        .collect();
    lines_logy(&r.dir.join("bandit_regret.svg"), "Cumulative regret, synthetic QoE world", "round", "regret", &series)?;
    let _ = writeln!(
        r.md,
        "\nStatic is the best single model in hindsight: it needs every round's expected QoE in advance. The \
         learners see only the delayed ratings; compare their regret over the last 500 rounds with it.\n\n\
         ![regret curves](bandit_regret.svg)\n"
    );
    let regret = |name: &str| curves.iter().find(|c| c.0 == name).map_or(f64::NAN, |c| c.1.regret());
    let _ = writeln!(
        r.summary,
        "aquaman on the synthetic QoE world (delayed, 10% lost ratings): regret neural-ucb {:.1}, lin-ucb {:.1}, random {:.1}",
        regret("neural-ucb"),
        regret("lin-ucb"),
        regret("random")
    );
    Ok(())
}
