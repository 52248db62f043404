//! `edgeopt l2o train` / `edgeopt l2o apply`: learning to optimize (thesis sec. 1.5). Training
//! runs alg. 2 on the table's training device columns and writes a model file; applying it to a
//! new device measures only the model's reference architectures on it.

use std::collections::HashMap;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use edgeopt::codesign::l2o::{
    Categorical, ChoiceSpace, Exploration, L2oModel, Method, OptimizerConfig, OptimizerNet, Stage1Config,
    train_performance,
};
use edgeopt::codesign::{Counted, Device, TableDevice};
use edgeopt::nas::SearchSpace;
use edgeopt::predictors::nn::TrainConfig;
use edgeopt::predictors::rand::SeedableRng;
use edgeopt::predictors::rand::rngs::ChaCha8Rng;
use serde_json::json;

use super::workflows::nb201_table;
use super::{CliError, CliResult, Out, args, io_err};

/// `edgeopt l2o` subcommands.
#[derive(Debug, Subcommand)]
pub enum L2oCommand {
    /// Train the performance and optimizer networks (alg. 2) and write the model file.
    Train(TrainArgs),
    /// Design an architecture for a new device: measure the references, one inference.
    Apply(ApplyArgs),
}

/// Method 1 or 2.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum MethodArg {
    /// Supervised on labels from an exhaustive search of the predicted objective (eq. 1.9).
    #[value(name = "1")]
    One,
    /// Minimise the predicted objective through the frozen networks (eq. 1.10).
    #[value(name = "2")]
    Two,
}

/// How each round's new designs are chosen.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ExploreArg {
    /// Where the ensemble disagrees most.
    Disagreement,
    /// Uniformly at random.
    Random,
}

/// Arguments of `edgeopt l2o train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Wide measurement table (`arch_str` keys).
    #[arg(long)]
    data: PathBuf,
    /// Search space of the table.
    #[arg(long, default_value = "nb201")]
    space: String,
    /// Accuracy column.
    #[arg(long)]
    accuracy: String,
    /// Latency columns of the real training devices, comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    devices: Vec<String>,
    /// Synthetic devices (mixtures of two training devices with perturbed per-option costs).
    #[arg(long, default_value_t = 0, value_parser = args::count::<0, 10_000>)]
    synthetic: usize,
    /// Training method of the optimizer network.
    #[arg(long, value_enum, default_value = "1")]
    method: MethodArg,
    /// Reference architectures (the measurements a new device costs), 1 to 10.
    #[arg(long, default_value_t = 8, value_parser = args::count::<1, 10>)]
    references: usize,
    /// Designs measured on every training device before the first round.
    #[arg(long, default_value_t = 200, value_parser = args::count::<2, { args::MAX_COUNT }>)]
    initial: usize,
    /// Designs added per exploration round.
    #[arg(long, default_value_t = 100, value_parser = args::count::<1, { args::MAX_COUNT }>)]
    per_round: usize,
    /// Rounds of alg. 2 (the networks are trained once per round).
    #[arg(long, default_value_t = 3, value_parser = args::count::<1, 1000>)]
    rounds: usize,
    /// Further designs whose accuracy alone is read from the table to train the accuracy network
    /// (accuracy is device-independent: no device measurement).
    #[arg(long, default_value_t = 1000, value_parser = args::count::<0, { args::MAX_COUNT }>)]
    accuracy_designs: usize,
    /// How each round's designs are chosen.
    #[arg(long, value_enum, default_value = "disagreement")]
    explore: ExploreArg,
    /// Training epochs of each performance network.
    #[arg(long, default_value_t = 40, value_parser = args::count::<1, 100_000>)]
    perf_epochs: usize,
    /// Training epochs of the optimizer network.
    #[arg(long, default_value_t = 150, value_parser = args::count::<1, 100_000>)]
    epochs: usize,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Model file to write (JSON).
    #[arg(long)]
    out: PathBuf,
}

/// Arguments of `edgeopt l2o apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Model file written by `l2o train`.
    #[arg(long)]
    model: PathBuf,
    /// Table holding the target device's latency column.
    #[arg(long)]
    data: PathBuf,
    /// The target's latency column (only its reference architectures are read).
    #[arg(long)]
    target: String,
    /// Weight of latency in `−accuracy + λ·latency` (the target's unit), ≥ 0.
    #[arg(long, value_parser = args::non_negative, allow_negative_numbers = true, required_unless_present = "max_latency")]
    lambda: Option<f64>,
    /// Instead of --lambda: the most accurate design whose predicted latency meets this bound.
    #[arg(long, value_parser = args::positive, conflicts_with = "lambda")]
    max_latency: Option<f64>,
}

pub fn run(cmd: L2oCommand, out: &mut Out) -> CliResult<()> {
    match cmd {
        L2oCommand::Train(a) => train(&a, out),
        L2oCommand::Apply(a) => apply(&a, out),
    }
}

fn train(a: &TrainArgs, out: &mut Out) -> CliResult<()> {
    super::output::refuse_overwriting_inputs(&a.out, &[&a.data])?;
    let (nb, t) = nb201_table(&a.data, &a.space)?;
    let acc = t.column(&a.accuracy)?;
    let cols = a.devices.iter().map(|d| t.column(d)).collect::<Result<Vec<_>, _>>()?;
    // Candidates: rows with an accuracy and a latency on every training device.
    let mut candidates = Vec::new();
    let mut acc_of = HashMap::new();
    let mut rows: Vec<Vec<(Vec<usize>, f64, f64)>> = vec![Vec::new(); cols.len()];
    for (i, arch) in t.archs.iter().enumerate() {
        let (Some(y), Some(lat)) = (acc[i], cols.iter().map(|c| c[i]).collect::<Option<Vec<f64>>>()) else {
            continue;
        };
        let c = nb.to_choices(arch);
        for (r, l) in rows.iter_mut().zip(lat) {
            r.push((c.clone(), l, 0.0));
        }
        acc_of.insert(c.clone(), y);
        candidates.push(c);
    }
    let devices: Vec<Counted<TableDevice<Vec<usize>>>> =
        a.devices.iter().zip(rows).map(|(n, r)| Counted::new(TableDevice::new(n, r))).collect();
    let refs: Vec<&dyn Device<Vec<usize>>> = devices.iter().map(|d| d as &dyn Device<Vec<usize>>).collect();
    let accuracy = |x: &[usize]| {
        acc_of.get(x).copied().ok_or_else(|| edgeopt::codesign::CodesignError::InvalidParam {
            name: "design",
            value: format!("{x:?}"),
            reason: "has no accuracy".into(),
        })
    };
    let cfg = Stage1Config {
        initial: a.initial,
        per_round: a.per_round,
        rounds: a.rounds,
        references: a.references,
        exploration: match a.explore {
            ExploreArg::Disagreement => Exploration::Disagreement,
            ExploreArg::Random => Exploration::Random,
        },
        synthetic: a.synthetic,
        accuracy_designs: a.accuracy_designs,
        train: TrainConfig { epochs: a.perf_epochs, batch_size: Some(64), ..TrainConfig::default() },
        ..Stage1Config::default()
    };
    let choices = ChoiceSpace::new(nb.choice_counts())?;
    let mut rng = ChaCha8Rng::seed_from_u64(a.seed);
    let s1 = train_performance(&choices, &candidates, &accuracy, &refs, &cfg, &mut rng)?;
    let method = match a.method {
        MethodArg::One => Method::Supervised,
        MethodArg::Two => Method::Unsupervised,
    };
    let ocfg = OptimizerConfig { method, epochs: a.epochs, ..OptimizerConfig::default() };
    let (net, losses) = OptimizerNet::train(&s1.nets, &s1.devices, &candidates, &ocfg, &mut rng)?;
    let model = L2oModel::new(&nb, method, &s1, net)?;
    let text = serde_json::to_string(&model).map_err(|e| CliError::Usage(format!("serialising the model: {e}")))?;
    super::output::write_atomic(&a.out, text.as_bytes(), &[&a.data])?;
    out.line(json!({
        "model": a.out.display().to_string(),
        "method": format!("{method:?}"),
        "devices": a.devices,
        "synthetic": a.synthetic,
        "references": model.references,
        "measured_designs": s1.measured.len(),
        "measurements_per_device": devices.iter().map(|d| d.count()).collect::<Vec<_>>(),
        "final_loss": losses.last(),
    }));
    Ok(())
}

fn apply(a: &ApplyArgs, out: &mut Out) -> CliResult<()> {
    let text = std::fs::read_to_string(&a.model).map_err(io_err(&a.model))?;
    let model: L2oModel = serde_json::from_str(&text)
        .map_err(|e| CliError::Usage(format!("{}: not a valid l2o model: {e}", a.model.display())))?;
    let (nb, t) = nb201_table(&a.data, &model.space)?;
    let target = Counted::new(t.device(&a.target, None)?);
    let d = model.features(&nb, &target)?;
    let applied = match (a.lambda, a.max_latency) {
        (Some(l), _) => model.apply_features(&d, l)?,
        (None, Some(c)) => model
            .apply_constraint(&d, c)?
            .ok_or_else(|| CliError::Usage(format!("--max-latency {c}: no design is predicted to meet it")))?,
        (None, None) => return Err(CliError::Usage("give --lambda or --max-latency".into())),
    };
    let arch = nb.arch_of_choices(&applied.choices)?;
    out.line(json!({
        "target": a.target,
        "arch": nb.key(&arch),
        "lambda": applied.lambda,
        "measurements_used": target.count(),
        "predicted_accuracy": applied.predicted_accuracy,
        "predicted_latency": applied.predicted_latency,
    }));
    Ok(())
}
