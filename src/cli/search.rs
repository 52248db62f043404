//! `edgeopt search`: evolution (one constraint, or a Pareto sweep over t) or NSGA-II on any
//! built-in space, with accuracy from a measurement table or a user's `key,accuracy` file (a
//! kernel-ridge predictor over the space's encoding), latency from the cost model or a table
//! column, and checkpoints written after every generation.

use std::path::{Path, PathBuf};

use clap::Args;
use edgeopt::accel_sim::{Accel, Accelerator, CachedAccel, Dataflow, HardwareConfig};
use edgeopt::codesign::ArchTable;
use edgeopt::nas::{
    AttentiveNas, Constraints, Darts, Encode, Evaluation, Evolution, EvolutionConfig, FbNet, Fitness, Lower,
    MobileNetSpace, Nb201, Nsga2, Nsga2Config, Search, SearchSpace, pareto_sweep,
};
use edgeopt::predictors::ndarray::{Array1, Array2};
use edgeopt::predictors::{Fit, Kernel, KernelRidge, KernelRidgeModel, LatencyPredictor, data::DeviceTable};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::output::write_atomic;
use super::progress::Progress;
use super::{CliError, CliResult, Out, io_err};

/// Arguments of `edgeopt search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Search space: nb201, mbv2, mbv2-1.0, mbv3, alphanet, attentivenas, fbnet, fbnet-cifar, darts.
    #[arg(long)]
    space: String,
    /// Accuracy from a CSV with columns `key,accuracy`: a kernel-ridge predictor over the space's
    /// encoding is fitted on it, so every architecture gets a value.
    #[arg(long, conflicts_with = "accuracy")]
    accuracy_file: Option<PathBuf>,
    /// Wide measurement table with an `arch_str` key column (for --accuracy / --latency COL).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Accuracy column of --data (an architecture missing from it stops the search).
    #[arg(long)]
    accuracy: Option<String>,
    /// Latency source: `accel` (the cost model, cycles) or a column of --data.
    #[arg(long, default_value = "accel")]
    latency: String,
    #[command(flatten)]
    accel: AccelArgs,
    /// `evolution` or `nsga2` (minimises latency and −accuracy).
    #[arg(long, default_value = "evolution")]
    algorithm: String,
    /// Latency bound (evolution only: nsga2 returns the whole front).
    #[arg(long, value_parser = super::args::positive)]
    max_latency: Option<f64>,
    /// Trade-off weights t ∈ [0, 1] for the weighted-fitness Pareto sweep, comma-separated
    /// (evolution; replaces the single constrained search).
    #[arg(long, value_delimiter = ',', value_parser = super::args::probability)]
    sweep: Vec<f64>,
    /// Population.
    #[arg(long, default_value_t = 100, value_parser = super::args::count::<2, { super::args::MAX_POPULATION }>)]
    population: usize,
    /// Generations.
    #[arg(long, default_value_t = 20, value_parser = super::args::count::<0, { super::args::MAX_COUNT }>)]
    generations: usize,
    /// State file: written after every generation; a run resumes from it when it exists.
    #[arg(long, conflicts_with = "sweep")]
    checkpoint: Option<PathBuf>,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// One accelerator of the cost model, from flags (`search --latency accel`, `bisect --target accel`).
#[derive(Debug, Args)]
pub struct AccelArgs {
    /// Dataflow of the accelerator: kc-p, yr-p or x-p.
    #[arg(long, default_value = "kc-p")]
    dataflow: String,
    /// Processing elements.
    #[arg(long, default_value_t = 256, value_parser = super::args::count_u64::<1, { u64::MAX }>)]
    pes: u64,
    /// NoC bandwidth.
    #[arg(long, default_value_t = 600, value_parser = super::args::count_u64::<1, { u64::MAX }>)]
    noc_bw: u64,
    /// Off-chip bandwidth.
    #[arg(long, default_value_t = 150, value_parser = super::args::count_u64::<1, { u64::MAX }>)]
    offchip_bw: u64,
}

impl AccelArgs {
    /// The accelerator these flags describe.
    pub fn accel(&self) -> CliResult<Accel> {
        let df = Dataflow::parse(&self.dataflow)
            .ok_or_else(|| CliError::Usage(format!("--dataflow `{}`: expected kc-p, yr-p or x-p", self.dataflow)))?;
        Ok(Accel::new(HardwareConfig::new(self.pes, self.noc_bw, self.offchip_bw).build()?, df))
    }
}

pub fn run(a: SearchArgs, out: &mut Out) -> CliResult<()> {
    // NSGA-II returns the whole (latency, accuracy) front: a bound or weights given to it would
    // be silently ignored.
    if a.algorithm == "nsga2" {
        if let Some(bound) = a.max_latency {
            return Err(CliError::Usage(format!(
                "--max-latency {bound} applies to --algorithm evolution; nsga2 returns the whole (latency, \
                 accuracy) front, from which the designs under a bound can be read"
            )));
        }
        if !a.sweep.is_empty() {
            return Err(CliError::Usage(
                "--sweep applies to --algorithm evolution; nsga2 returns the whole front".into(),
            ));
        }
    }
    if a.algorithm == "evolution" && a.population < 8 {
        return Err(CliError::Usage(format!(
            "--population {}: evolution keeps the best quarter as parents and needs two, so at least 8",
            a.population
        )));
    }
    match a.space.as_str() {
        "nb201" => search(out, &Nb201::cifar10(), &a),
        "mbv2" => search(out, &MobileNetSpace::ofa_proxyless(), &a),
        "mbv2-1.0" => search(out, &MobileNetSpace::mobilenet_v2(), &a),
        "mbv3" => search(out, &MobileNetSpace::ofa_mobilenet_v3(), &a),
        "alphanet" => search(out, &MobileNetSpace::alphanet(), &a),
        "attentivenas" => search(out, &AttentiveNas::alphanet(), &a),
        "darts" => search(out, &Darts::cifar10(), &a),
        "fbnet" => search(out, &FbNet::imagenet(), &a),
        "fbnet-cifar" => search(out, &FbNet::cifar100(), &a),
        other => Err(CliError::Usage(format!(
            "--space `{other}`: available spaces are nb201, mbv2, mbv2-1.0, mbv3, alphanet, attentivenas, fbnet, fbnet-cifar, darts"
        ))),
    }
}

/// Where accuracy comes from.
enum AccuracySource<A> {
    Table(std::collections::HashMap<A, f64>),
    Predictor(KernelRidgeModel),
}

/// Read `key,accuracy` rows (CSV, keys quoted where they hold commas), keys parsed by the space.
pub(super) fn read_accuracy_file<S: SearchSpace>(space: &S, path: &Path) -> CliResult<Vec<(S::Arch, f64)>> {
    let at = |row: usize, what: String| CliError::Usage(format!("{}: row {row}: {what}", path.display()));
    let mut rdr = csv::Reader::from_path(path).map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?;
    let headers = rdr.headers().map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?.clone();
    if headers.len() != 2 || &headers[0] != "key" || &headers[1] != "accuracy" {
        return Err(CliError::Usage(format!(
            "{}: expected the columns `key,accuracy`, found `{}`",
            path.display(),
            headers.iter().collect::<Vec<_>>().join(",")
        )));
    }
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| at(i + 1, e.to_string()))?;
        let arch = space.parse_key(&rec[0]).map_err(|e| at(i + 1, e.to_string()))?;
        let acc: f64 = rec[1]
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| at(i + 1, format!("accuracy `{}` is not a finite number", &rec[1])))?;
        if !seen.insert(arch.clone()) {
            return Err(at(i + 1, format!("architecture `{}` appears twice", &rec[0])));
        }
        out.push((arch, acc));
    }
    Ok(out)
}

/// Fit a kernel-ridge accuracy predictor on the rows of a `key,accuracy` file.
fn accuracy_predictor<S: Encode>(space: &S, path: &Path) -> CliResult<KernelRidgeModel> {
    let rows = read_accuracy_file(space, path)?;
    if rows.len() < 5 {
        return Err(CliError::Usage(format!(
            "{}: need at least 5 architectures, found {}",
            path.display(),
            rows.len()
        )));
    }
    let p = space.encoding_len();
    let enc: Vec<Array1<f64>> = rows.iter().map(|(a, _)| space.encode(a)).collect();
    let x = Array2::from_shape_fn((rows.len(), p), |(i, j)| enc[i][j]);
    let y = Array1::from_iter(rows.iter().map(|r| r.1));
    let kr = KernelRidge { kernel: Kernel::Rbf { gamma: 1.0 / p as f64 }, alpha: 1e-3 };
    Ok(kr.fit(x.view(), y.view())?)
}

fn search<S>(out: &mut Out, space: &S, a: &SearchArgs) -> CliResult<()>
where
    S: Encode + Lower,
    S::Arch: Serialize + DeserializeOwned,
{
    let table = match &a.data {
        Some(path) => Some(ArchTable::new(space, DeviceTable::read(path)?, "arch_str")?),
        None => None,
    };
    let need_table = |what: &str| CliError::Usage(format!("{what} needs --data"));
    let accuracy = match (&a.accuracy_file, &a.accuracy) {
        (Some(file), None) => AccuracySource::Predictor(accuracy_predictor(space, file)?),
        (None, Some(col)) => {
            let t = table.as_ref().ok_or_else(|| need_table("--accuracy"))?;
            let v = t.column(col)?;
            AccuracySource::Table(t.archs.iter().cloned().zip(v).filter_map(|(k, v)| Some((k, v?))).collect())
        }
        _ => {
            return Err(CliError::Usage(
                "give the accuracy as --accuracy-file K.csv or --data D.csv --accuracy COL".into(),
            ));
        }
    };
    let latency_table = match a.latency.as_str() {
        "accel" => None,
        col => {
            let t = table.as_ref().ok_or_else(|| need_table("--latency COL"))?;
            let v = t.column(col)?;
            Some(
                t.archs
                    .iter()
                    .cloned()
                    .zip(v)
                    .filter_map(|(k, v)| Some((k, v?)))
                    .collect::<std::collections::HashMap<_, _>>(),
            )
        }
    };
    let accel = CachedAccel::new(a.accel.accel()?);
    let objective = |arch: &S::Arch| -> Result<Evaluation, CliError> {
        let missing = |what: &str| CliError::Usage(format!("no {what} for architecture `{}`", space.key(arch)));
        let acc = match &accuracy {
            AccuracySource::Table(m) => *m.get(arch).ok_or_else(|| missing("accuracy"))?,
            AccuracySource::Predictor(p) => p.predict(space.encode(arch).view())?,
        };
        let lat = match &latency_table {
            Some(m) => *m.get(arch).ok_or_else(|| missing("latency"))?,
            None => accel.cycles(&space.layers(arch))? as f64,
        };
        Ok(Evaluation::new(acc, lat))
    };
    let progress = Progress::new("generations", a.generations + 1);
    let describe =
        |arch: &S::Arch, e: Evaluation| json!({"arch": space.key(arch), "accuracy": e.accuracy, "latency": e.latency});
    let cfg =
        EvolutionConfig { population: a.population, generations: a.generations, seed: a.seed, ..Default::default() };
    let cons = Constraints { max_latency: a.max_latency, max_energy: None };
    match a.algorithm.as_str() {
        "evolution" if !a.sweep.is_empty() => {
            let points = pareto_sweep(space, &objective, cons, &a.sweep, cfg)?;
            for p in &points {
                out.line(json!({"t": p.t, "arch": space.key(&p.arch), "accuracy": p.eval.accuracy, "latency": p.eval.latency})
                );
            }
            out.line(json!({"pareto_points": points.len()}));
        }
        "evolution" => {
            let mut evo = Evolution::new(space, &objective, cons, Fitness::Accuracy, cfg)?;
            let state = run_checkpointed(&mut evo, a, "evolution", &progress)?;
            let best = &state.population[0];
            let e = evo.evaluation(best)?;
            out.line(
                json!({"best": describe(best, e), "generations": state.generation, "evaluations": evo.evaluations()}),
            );
        }
        "nsga2" => {
            let vector = |arch: &S::Arch| objective(arch).map(|e| vec![e.latency, -e.accuracy]);
            let cfg = Nsga2Config {
                population: a.population,
                generations: a.generations,
                seed: a.seed,
                ..Default::default()
            };
            let mut nsga = Nsga2::new(space, &vector, cfg)?;
            let state = run_checkpointed(&mut nsga, a, "nsga2", &progress)?;
            let front = nsga.front(&state);
            for (arch, v) in &front {
                out.line(describe(arch, Evaluation::new(-v[1], v[0])));
            }
            out.line(json!({"front": front.len(), "generations": state.generation, "evaluations": nsga.evaluations()}));
        }
        other => return Err(CliError::Usage(format!("--algorithm `{other}`: expected evolution or nsga2"))),
    }
    Ok(())
}

/// What a checkpoint must match to be resumed.
fn fingerprint(a: &SearchArgs, algorithm: &str) -> Value {
    // Everything that changes the search's values or its random stream (not --generations: a run
    // may be resumed to go further).
    let accuracy_file = a.accuracy_file.as_ref().map(|p| p.display().to_string());
    let data = a.data.as_ref().map(|p| p.display().to_string());
    json!({"space": a.space, "algorithm": algorithm, "seed": a.seed, "population": a.population,
           "accuracy": a.accuracy, "accuracy_file": accuracy_file, "data": data,
           "max_latency": a.max_latency, "latency": a.latency, "dataflow": a.accel.dataflow, "pes": a.accel.pes,
           "noc_bw": a.accel.noc_bw, "offchip_bw": a.accel.offchip_bw})
}

/// Run (or resume from `--checkpoint`) a search, saving its state after every generation.
fn run_checkpointed<R>(search: &mut R, a: &SearchArgs, algorithm: &str, progress: &Progress) -> CliResult<R::State>
where
    R: Search,
    R::State: Serialize + DeserializeOwned,
{
    let resume = load::<R::State>(a, algorithm)?;
    // The observer cannot fail: the first checkpoint error is kept and reported after the run.
    let mut saving = Ok(());
    let state = search.run_observed(resume, &mut |s| {
        progress.tick();
        if saving.is_ok() {
            saving = save(a, algorithm, s);
        }
    })?;
    progress.finish();
    saving?;
    Ok(state)
}

fn save<T: Serialize>(a: &SearchArgs, algorithm: &str, state: &T) -> CliResult<()> {
    match &a.checkpoint {
        Some(path) => {
            write_atomic(path, json!({"run": fingerprint(a, algorithm), "state": state}).to_string().as_bytes(), &[])
        }
        None => Ok(()),
    }
}

fn load<T: DeserializeOwned>(a: &SearchArgs, algorithm: &str) -> CliResult<Option<T>> {
    let Some(path) = &a.checkpoint else { return Ok(None) };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(path)(e)),
    };
    let bad = |why: String| CliError::Usage(format!("checkpoint {}: {why}", path.display()));
    let doc: Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    if doc.get("run") != Some(&fingerprint(a, algorithm)) {
        return Err(bad("it was written by a run with other settings (space, algorithm, seed, population or latency source); remove it or use another path".into()));
    }
    let state = doc.get("state").cloned().ok_or_else(|| bad("no `state`".into()))?;
    Ok(Some(serde_json::from_value(state).map_err(|e| bad(e.to_string()))?))
}
