//! `edgeopt bandit`: run a policy on an environment and print the final cumulative regret last.

use std::path::{Path, PathBuf};

use clap::Args;
use edgeopt::bandit::{
    Classification, Confidence, Curve, Delay, DeviceWorld, Environment, Exploration, LinUcb, NeuralBandit,
    NeuralConfig, Policy, QoeKind, QoeWorld, RandomPolicy, SimConfig, Synthetic, SyntheticReward, TableWorld, simulate,
    simulate_oracle, simulate_static,
};

use super::output::{refuse_overwriting_inputs, write_atomic};
use super::progress::Progress;
use super::{CliError, CliResult, Out, args};

#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
pub struct BanditArgs {
    /// `classification` (with --dataset), `synthetic` (the QoE world of thesis sec. 2.5.3),
    /// `devices` (NAS-Bench-201 models with their measured HW-NAS-Bench latencies on six devices),
    /// `table` (with --dataset: a `device,model,rating` CSV), or `h1`, `h2`, `h3`.
    #[arg(long)]
    env: String,
    /// CSV: feature columns and an integer `label` (classification), or `device,model,rating` (table).
    #[arg(long)]
    dataset: Option<PathBuf>,
    /// QoE generator of the synthetic world: linear, rbf, laplacian, mix.
    #[arg(long, default_value = "mix")]
    qoe: String,
    /// QoS filter: offer only models whose latency on the device is at most this (ms; synthetic and
    /// devices worlds; applies to every policy and baseline). When no model meets it, the fastest
    /// one is offered alone.
    #[arg(long, value_parser = args::positive)]
    qos_max_latency: Option<f64>,
    /// neural-ucb, neural-ts, lin-ucb, eps-greedy, static, oracle, random.
    #[arg(long)]
    policy: String,
    /// Rounds (1 to 100,000,000).
    #[arg(long, value_parser = args::count_u64::<1, { args::MAX_COUNT as u64 }>)]
    rounds: u64,
    /// Largest reward delay in rounds (1 = next round).
    #[arg(long, default_value_t = 1, value_parser = args::count_u64::<1, { args::MAX_COUNT as u64 }>)]
    delay_max: u64,
    /// Probability that a reward never arrives.
    #[arg(long, default_value_t = 0.0, value_parser = args::probability)]
    missing: f64,
    /// Retrain every B rewards (neural policies).
    #[arg(long, default_value_t = 100, value_parser = args::count::<1, { args::MAX_COUNT }>)]
    retrain_every: usize,
    /// Gradient steps per retrain (neural policies; at most 1,000,000).
    #[arg(long, default_value_t = 100, value_parser = args::count::<0, 1_000_000>)]
    retrain_steps: usize,
    /// Hidden width m (neural policies; 2 to 65,536).
    #[arg(long, default_value_t = 100, value_parser = args::count::<2, 65_536>)]
    width: usize,
    /// Layers of the neural policies' network (2 to 16; the thesis's QoE predictor has 4).
    #[arg(long, default_value_t = 2, value_parser = args::count::<2, 16>)]
    depth: usize,
    /// Regularisation λ (neural policies; LinUCB's ridge is 1).
    #[arg(long, default_value_t = 1e-3, value_parser = args::finite)]
    lambda: f64,
    /// Gradient-descent step (neural policies).
    #[arg(long, default_value_t = 0.01, value_parser = args::finite)]
    lr: f64,
    /// Exploration scale: γ of NeuralUCB / NeuralTS (default 0.1), α of LinUCB (default 0.03).
    #[arg(long, value_parser = args::finite)]
    gamma: Option<f64>,
    /// ε of eps-greedy.
    #[arg(long, default_value_t = 0.05, value_parser = args::probability)]
    epsilon: f64,
    /// Confidence matrix Z of the neural policies: diagonal, full, last-layer.
    #[arg(long, default_value = "diagonal")]
    confidence: String,
    /// Retrain the two-layer network's products in single precision (weights and updates stay
    /// f64): 1.5–1.8× as fast on large training sets, regret within noise of f64.
    #[arg(long)]
    f32_training: bool,
    /// No geometric early retraining (1, 2, 4, ... rewards): the reference protocol's plain schedule.
    #[arg(long)]
    no_geometric: bool,
    /// Seed (environment, policy and delays get independent streams from it).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Write the per-round curve as CSV.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// An environment that advances the horizon's progress bar once per round it deals.
struct Ticking {
    env: Box<dyn Environment>,
    progress: Progress,
}

impl Environment for Ticking {
    fn dim(&self) -> usize {
        self.env.dim()
    }
    fn next_round(&mut self) -> edgeopt::bandit::Round {
        self.progress.tick();
        self.env.next_round()
    }
}

fn make_env(a: &BanditArgs) -> CliResult<Box<dyn Environment>> {
    let synthetic = |k| Synthetic::new(k, 4, 20, 0.1, a.seed).map(|e| Box::new(e) as Box<dyn Environment>);
    Ok(match a.env.as_str() {
        "classification" => {
            let path = a
                .dataset
                .as_ref()
                .ok_or_else(|| CliError::Usage("--env classification needs --dataset F.csv".into()))?;
            Box::new(Classification::from_csv(path, a.seed)?)
        }
        "synthetic" => {
            let kind = match a.qoe.as_str() {
                "linear" => QoeKind::Linear,
                "rbf" => QoeKind::Rbf,
                "laplacian" => QoeKind::Laplacian,
                "mix" => QoeKind::RandomMix,
                other => {
                    return Err(CliError::Usage(format!("--qoe `{other}`: expected linear, rbf, laplacian or mix")));
                }
            };
            Box::new(QoeWorld::new(QoeWorld::default_models(), kind, 0.05, a.seed)?)
        }
        "devices" => {
            let table = edgeopt::zoo::nb201_hwnasbench()?;
            Box::new(DeviceWorld::new(DeviceWorld::pareto_models(&table, 10)?, 0.05, a.seed)?)
        }
        "table" => {
            let path = a.dataset.as_ref().ok_or_else(|| {
                CliError::Usage("--env table needs --dataset ratings.csv (device,model,rating)".into())
            })?;
            Box::new(TableWorld::from_ratings_csv(path, a.seed)?)
        }
        "h1" => synthetic(SyntheticReward::H1)?,
        "h2" => synthetic(SyntheticReward::H2)?,
        "h3" => synthetic(SyntheticReward::H3)?,
        other => {
            return Err(CliError::Usage(format!(
                "--env `{other}`: expected classification, synthetic, devices, table, h1, h2 or h3"
            )));
        }
    })
}

pub fn run(a: BanditArgs, out: &mut Out) -> CliResult<()> {
    let inputs: Vec<&Path> = a.dataset.iter().map(PathBuf::as_path).collect();
    if let Some(path) = &a.out {
        refuse_overwriting_inputs(path, &inputs)?;
    }
    // Flags that the chosen world would ignore are refused, not dropped.
    let with_latency = matches!(a.env.as_str(), "synthetic" | "devices");
    if let (Some(bound), false) = (a.qos_max_latency, with_latency) {
        return Err(CliError::Usage(format!(
            "--qos-max-latency {bound}: the `{}` world has no latencies (only synthetic and devices do)",
            a.env
        )));
    }
    if let (Some(path), false) = (&a.dataset, matches!(a.env.as_str(), "classification" | "table")) {
        return Err(CliError::Usage(format!(
            "--dataset {}: the `{}` world reads no file (only classification and table do)",
            path.display(),
            a.env
        )));
    }
    let mut env = Ticking { env: make_env(&a)?, progress: Progress::new("rounds", a.rounds as usize) };
    let d = env.dim();
    let confidence = match a.confidence.as_str() {
        "diagonal" => Confidence::Diagonal,
        "full" => Confidence::Full,
        "last-layer" => Confidence::LastLayer,
        other => {
            return Err(CliError::Usage(format!("--confidence `{other}`: expected diagonal, full or last-layer")));
        }
    };
    let defaults = NeuralConfig::default();
    let neural = |exploration| NeuralConfig {
        seed: a.seed.wrapping_add(1),
        width: a.width,
        depth: a.depth,
        lambda: a.lambda,
        lr: a.lr,
        gamma: a.gamma.unwrap_or(defaults.gamma),
        retrain_every: a.retrain_every,
        retrain_steps: a.retrain_steps,
        geometric_start: !a.no_geometric,
        f32_training: a.f32_training,
        confidence,
        exploration,
        ..defaults
    };
    let delay = if a.missing > 0.0 {
        Delay::Missing { max: a.delay_max, p: a.missing }
    } else {
        Delay::Uniform { max: a.delay_max }
    };
    // Per-round curves only when they are written: otherwise memory does not grow with --rounds.
    let cfg = SimConfig {
        qos_max_latency: a.qos_max_latency,
        per_round: a.out.is_some(),
        ..SimConfig::new(a.rounds, delay, a.seed.wrapping_add(2))
    };
    let curve: Curve = match a.policy.as_str() {
        "oracle" => simulate_oracle(&mut env, &cfg)?,
        "static" => simulate_static(&mut env, &cfg)?,
        other => {
            let mut p: Box<dyn Policy> = match other {
                "neural-ucb" => Box::new(NeuralBandit::new(d, neural(Exploration::Ucb))?),
                "neural-ts" => Box::new(NeuralBandit::new(d, neural(Exploration::Thompson))?),
                "eps-greedy" => Box::new(NeuralBandit::new(d, neural(Exploration::EpsilonGreedy(a.epsilon)))?),
                "lin-ucb" => Box::new(LinUcb::new(d, 1.0, a.gamma.unwrap_or(0.03), a.seed.wrapping_add(1))?),
                "random" => Box::new(RandomPolicy::new(a.seed.wrapping_add(1))),
                _ => {
                    return Err(CliError::Usage(format!(
                        "--policy `{other}`: expected neural-ucb, neural-ts, lin-ucb, eps-greedy, static, oracle or random"
                    )));
                }
            };
            simulate(&mut env, p.as_mut(), &cfg)?
        }
    };
    env.progress.finish();
    out.line("policy,rounds,mean_reward,top1_hit_ratio,top3_hit_ratio,cumulative_regret");
    out.line(format_args!(
        "{},{},{:.6},{:.6},{:.6},{}",
        a.policy,
        a.rounds,
        curve.mean_reward(),
        curve.hit_ratio(),
        curve.top_k_hit_ratio(3),
        curve.regret()
    ));
    out.line(curve.regret());
    if let Some(path) = &a.out {
        write_atomic(path, curve.to_csv().as_bytes(), &inputs)?;
    }
    Ok(())
}
