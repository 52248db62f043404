//! `edgeopt l2o train` / `edgeopt l2o apply`: learning to optimize (thesis sec. 1.5). Training
//! runs alg. 2 on the table's training device columns (or, with `--accelerators`, on accel-sim
//! accelerators: see `l2o_accel.rs`) and writes a model file; applying it to a new device
//! measures only the model's reference architectures on it.

use std::collections::HashMap;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use edgeopt::codesign::l2o::{
    Applied, Categorical, ChoiceSpace, DeviceFeatures, Exploration, HardwareDescription, KnownAccuracy, L2oModel,
    Method, OptimizerConfig, OptimizerNet, Stage1Config, TrainingOptima, train_performance,
};
use edgeopt::codesign::{ArchTable, Counted, Device, TableDevice};
use edgeopt::nas::{Nb201, Nb201Arch, SearchSpace};
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

/// How `apply` decodes the optimizer network's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum DecodeArg {
    /// The argmax and its runner-ups scored by the performance networks.
    Plain,
    /// Also the training optima stored in the model, all scored with the table's accuracy
    /// (needs the table the model's accuracy column is in).
    Table,
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
    #[arg(long, value_delimiter = ',', required_unless_present = "accelerators")]
    devices: Vec<String>,
    /// Energy columns of the same devices, in the same order: also trains `Energy(x; d)` and the
    /// optimizer over a λ₂ grid, so `apply --energy-lambda` can weigh energy.
    #[arg(long, value_delimiter = ',', conflicts_with = "accelerators")]
    energy: Vec<String>,
    /// Instead of --devices: train on this many accelerators of the thesis grid (none of the
    /// calibration grid, kept for testing), described by their hardware and costed by accel-sim
    /// (latency in cycles, energy in nJ).
    #[arg(long, conflicts_with = "devices", value_parser = args::count::<1, 1000>)]
    pub(super) accelerators: Option<usize>,
    /// Synthetic devices: mixtures of two training devices with perturbed per-option costs (with
    /// --accelerators: accelerators drawn off-grid from the box the thesis grid spans).
    #[arg(long, default_value_t = 0, value_parser = args::count::<0, 10_000>)]
    pub(super) synthetic: usize,
    /// Training method of the optimizer network.
    #[arg(long, value_enum, default_value = "1")]
    method: MethodArg,
    /// Reference architectures (the measurements a new device costs), 1 to 10 (0 with
    /// --accelerators: the hardware description alone).
    #[arg(long, default_value_t = 8, value_parser = args::count::<0, 10>)]
    pub(super) references: usize,
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
    pub(super) model: PathBuf,
    /// Table holding the target device's latency column (with --accelerators: optional, the
    /// table whose accuracy column `--decode table` reads).
    #[arg(long, required_unless_present = "accelerators")]
    pub(super) data: Option<PathBuf>,
    /// The target's latency column (only its reference architectures are read).
    #[arg(long, requires = "data", required_unless_present = "accelerators")]
    target: Option<String>,
    /// The target's energy column (its reference energies; needed for --energy-lambda > 0).
    #[arg(long, requires = "target")]
    target_energy: Option<String>,
    /// Instead of --data/--target: accel-sim targets, `calibration` or `thesis` (every point of
    /// the grid) or comma-separated labels such as `kc-p/256pe/noc600/off150`; one line each.
    #[arg(long, conflicts_with_all = ["target", "target_energy"])]
    pub(super) accelerators: Option<String>,
    /// Weight of latency in `−accuracy + λ·latency + λ₂·energy` (the target's unit), ≥ 0.
    #[arg(long, value_parser = args::non_negative, allow_negative_numbers = true, required_unless_present = "max_latency")]
    pub(super) lambda: Option<f64>,
    /// Weight λ₂ of energy (the target's energy unit), ≥ 0; > 0 needs a model trained with energy.
    #[arg(long, default_value_t = 0.0, value_parser = args::non_negative, allow_negative_numbers = true)]
    pub(super) energy_lambda: f64,
    /// Instead of --lambda: the most accurate design whose predicted latency meets this bound.
    #[arg(long, value_parser = args::positive, conflicts_with = "lambda")]
    pub(super) max_latency: Option<f64>,
    /// Decoding: `table` (the default when --data has the model's accuracy column) or `plain`.
    #[arg(long, value_enum)]
    pub(super) decode: Option<DecodeArg>,
}

pub fn run(cmd: L2oCommand, out: &mut Out) -> CliResult<()> {
    match cmd {
        L2oCommand::Train(a) => train(&a, out),
        L2oCommand::Apply(a) => apply(&a, out),
    }
}

/// A training device of either form, counting its measurements.
pub(super) type TrainingDevice<'a> = Counted<Box<dyn Device<Vec<usize>> + 'a>>;

/// What stage 1 trains on: candidate designs with their accuracy, the devices, their names, and
/// (accelerators only) their hardware descriptions.
pub(super) struct TrainingSet<'a> {
    pub candidates: Vec<(Vec<usize>, f64)>,
    pub devices: Vec<TrainingDevice<'a>>,
    pub names: Vec<String>,
    pub hardware: Vec<HardwareDescription>,
}

fn train(a: &TrainArgs, out: &mut Out) -> CliResult<()> {
    super::output::refuse_overwriting_inputs(&a.out, &[&a.data])?;
    // One device twice would be trained on as two devices that always agree.
    if let Some((i, d)) = a.devices.iter().enumerate().find(|(i, d)| a.devices[..*i].contains(d)) {
        return Err(CliError::Usage(format!("--devices: `{d}` is listed twice (position {})", i + 1)));
    }
    let (nb, t) = nb201_table(&a.data, &a.space)?;
    let acc = t.column(&a.accuracy)?;
    let mut rng = ChaCha8Rng::seed_from_u64(a.seed);
    let set = match a.accelerators {
        Some(n) => super::l2o_accel::training_set(&nb, &t, &acc, n, a.synthetic, &mut rng)?,
        None => table_training_set(a, &nb, &t, &acc)?,
    };
    let energy = a.accelerators.is_some() || !a.energy.is_empty();
    let acc_of: HashMap<Vec<usize>, f64> = set.candidates.iter().cloned().collect();
    let candidates: Vec<Vec<usize>> = set.candidates.into_iter().map(|(c, _)| c).collect();
    let refs: Vec<&dyn Device<Vec<usize>>> = set.devices.iter().map(|d| d as &dyn Device<Vec<usize>>).collect();
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
        // Synthetic accelerators are devices of their own; mixtures apply to measured devices.
        synthetic: if a.accelerators.is_some() { 0 } else { a.synthetic },
        accuracy_designs: a.accuracy_designs,
        train: TrainConfig { epochs: a.perf_epochs, batch_size: Some(64), ..TrainConfig::default() },
        energy,
        hardware: set.hardware,
        ..Stage1Config::default()
    };
    let choices = ChoiceSpace::new(nb.choice_counts())?;
    let s1 = train_performance(&choices, &candidates, &accuracy, &refs, &cfg, &mut rng)?;
    let method = match a.method {
        MethodArg::One => Method::Supervised,
        MethodArg::Two => Method::Unsupervised,
    };
    let energy_lambdas = if energy { vec![0.0, 0.5, 2.0, 8.0] } else { vec![0.0] };
    let ocfg = OptimizerConfig { method, epochs: a.epochs, energy_lambdas, ..OptimizerConfig::default() };
    let (net, losses) = OptimizerNet::train(&s1.nets, &s1.devices, &candidates, &ocfg, &mut rng)?;
    // The training devices' optima, scored by table accuracy as `apply --decode table` scores.
    let known = |x: &[usize]| acc_of.get(x).copied();
    let optima = TrainingOptima::find(&s1.nets, &s1.devices, &candidates, &ocfg, &a.accuracy, &known)?;
    let model = L2oModel::new(&nb, method, &s1, net)?.with_training_optima(optima)?;
    let text = serde_json::to_string(&model).map_err(|e| CliError::Usage(format!("serialising the model: {e}")))?;
    super::output::write_atomic(&a.out, text.as_bytes(), &[&a.data])?;
    out.line(json!({
        "model": a.out.display().to_string(),
        "method": format!("{method:?}"),
        "devices": set.names,
        "synthetic": a.synthetic,
        "energy": energy,
        "references": model.references,
        "measured_designs": s1.measured.len(),
        "measurements_per_device": set.devices.iter().map(|d| d.count()).collect::<Vec<_>>(),
        "final_loss": losses.last(),
    }));
    Ok(())
}

/// The table's device columns (and energy columns) over the rows that have all of them.
fn table_training_set<'a>(
    a: &TrainArgs,
    nb: &Nb201,
    t: &ArchTable<Nb201Arch>,
    acc: &[Option<f64>],
) -> CliResult<TrainingSet<'a>> {
    if !a.energy.is_empty() && a.energy.len() != a.devices.len() {
        return Err(CliError::Usage(format!(
            "--energy has {} columns for {} --devices (one per device, same order)",
            a.energy.len(),
            a.devices.len()
        )));
    }
    let cols = a.devices.iter().map(|d| t.column(d)).collect::<Result<Vec<_>, _>>()?;
    let en_cols = a.energy.iter().map(|d| t.column(d)).collect::<Result<Vec<_>, _>>()?;
    let mut candidates = Vec::new();
    let mut rows: Vec<Vec<(Vec<usize>, f64, f64)>> = vec![Vec::new(); cols.len()];
    for (i, arch) in t.archs.iter().enumerate() {
        let (Some(y), Some(lat)) = (acc[i], cols.iter().map(|c| c[i]).collect::<Option<Vec<f64>>>()) else {
            continue;
        };
        let Some(en) = en_cols.iter().map(|c| c[i]).collect::<Option<Vec<f64>>>() else { continue };
        let c = nb.to_choices(arch);
        for (j, (r, l)) in rows.iter_mut().zip(lat).enumerate() {
            r.push((c.clone(), l, en.get(j).copied().unwrap_or(0.0)));
        }
        candidates.push((c, y));
    }
    let devices = a
        .devices
        .iter()
        .zip(rows)
        .map(|(n, r)| Counted::new(Box::new(TableDevice::new(n, r)) as Box<dyn Device<Vec<usize>>>))
        .collect();
    Ok(TrainingSet { candidates, devices, names: a.devices.clone(), hardware: Vec::new() })
}

fn apply(a: &ApplyArgs, out: &mut Out) -> CliResult<()> {
    let text = std::fs::read_to_string(&a.model).map_err(io_err(&a.model))?;
    let model: L2oModel = serde_json::from_str(&text)
        .map_err(|e| CliError::Usage(format!("{}: not a valid l2o model: {e}", a.model.display())))?;
    if a.energy_lambda > 0.0 && model.performance.energy.is_none() {
        // Refused before any measurement is spent on the target.
        return Err(CliError::Usage(format!(
            "--energy-lambda {}: {} was trained without energy (train with --energy or --accelerators)",
            a.energy_lambda,
            a.model.display()
        )));
    }
    if let Some(spec) = &a.accelerators {
        return super::l2o_accel::apply(a, &model, spec, out);
    }
    let (Some(data), Some(target)) = (&a.data, &a.target) else {
        return Err(CliError::Usage("give --data and --target, or --accelerators".into()));
    };
    let (nb, t) = nb201_table(data, &model.space)?;
    let known = table_accuracy(a, &model, &nb, &t)?;
    let device = Counted::new(t.device(target, a.target_energy.as_deref())?);
    let d = model.features(&nb, &device)?;
    let applied = design(a, &model, &d, known.as_ref())?;
    let arch = nb.arch_of_choices(&applied.choices)?;
    out.line(json!({
        "target": target,
        "arch": nb.key(&arch),
        "decoding": decoding(a, known.as_ref()),
        "table_accuracy": known.as_ref().and_then(|k| k.get(&applied.choices)),
        "lambda": applied.lambda,
        "energy_lambda": applied.energy_lambda,
        "measurements_used": device.count(),
        "predicted_accuracy": applied.predicted_accuracy,
        "predicted_latency": applied.predicted_latency,
        "predicted_energy": applied.predicted_energy,
    }));
    Ok(())
}

/// Accuracy by design from the table's column the model was trained with, if the table has it
/// (reported in the output either way); an error if `--decode table` and it has not.
pub(super) fn table_accuracy(
    a: &ApplyArgs,
    model: &L2oModel,
    nb: &Nb201,
    t: &ArchTable<Nb201Arch>,
) -> CliResult<Option<HashMap<Vec<usize>, f64>>> {
    let column = model.optima.as_ref().map(|o| o.accuracy.as_str());
    let acc = match (column.map(|c| (c, t.column(c))), a.decode) {
        (Some((_, Ok(acc))), _) => acc,
        (_, None | Some(DecodeArg::Plain)) => return Ok(None),
        (Some((c, Err(_))), Some(_)) => {
            return Err(CliError::Usage(format!("--decode table: the table has no accuracy column `{c}`")));
        }
        (None, Some(_)) => {
            return Err(CliError::Usage(format!("--decode table: {} stores no training optima", a.model.display())));
        }
    };
    Ok(Some(t.archs.iter().zip(acc).filter_map(|(x, y)| Some((nb.to_choices(x), y?))).collect()))
}

/// Whether `--decode` and the table's accuracies `known` make it table decoding.
pub(super) fn decoding(a: &ApplyArgs, known: Option<&HashMap<Vec<usize>, f64>>) -> &'static str {
    if known.is_some() && a.decode != Some(DecodeArg::Plain) { "table" } else { "plain" }
}

/// The design for `--lambda` or `--max-latency`, weighing energy by `--energy-lambda`, decoded by
/// table accuracy with the table's accuracies `known` unless `--decode plain`.
pub(super) fn design(
    a: &ApplyArgs,
    model: &L2oModel,
    d: &DeviceFeatures,
    known: Option<&HashMap<Vec<usize>, f64>>,
) -> CliResult<Applied> {
    let known = known.filter(|_| decoding(a, known) == "table");
    let lookup = known.map(|k| move |x: &[usize]| k.get(x).copied());
    let known = lookup.as_ref().map(|f| f as KnownAccuracy);
    Ok(match (a.lambda, a.max_latency) {
        (Some(l), _) => model.apply_features_with(d, l, a.energy_lambda, known)?,
        (None, Some(c)) => model
            .apply_constraint_with(d, c, a.energy_lambda, known)?
            .ok_or_else(|| CliError::Usage(format!("--max-latency {c}: no design is predicted to meet it")))?,
        (None, None) => return Err(CliError::Usage("give --lambda or --max-latency".into())),
    })
}
