//! Command-line definitions and dispatch.

mod accel;
mod args;
mod bandit;
mod bisect;
mod codesign;
mod demo;
mod import;
mod l2o;
mod l2o_accel;
mod nas;
pub mod output;
mod plots;
mod progress;
mod search;
mod shard;
mod workflows;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use edgeopt::accel_sim::SimError;
pub use output::Out;

/// Errors of the command line: a library error, an I/O error, or a bad argument.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// From the cost model.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// From predictors and data loading.
    #[error(transparent)]
    Predictor(#[from] edgeopt::predictors::PredictorError),
    /// From search spaces.
    #[error(transparent)]
    Nas(#[from] edgeopt::nas::NasError),
    /// From the workflows.
    #[error(transparent)]
    Codesign(#[from] edgeopt::codesign::CodesignError),
    /// From the bandit crate.
    #[error(transparent)]
    Bandit(#[from] edgeopt::bandit::BanditError),
    /// From ONNX import.
    #[error(transparent)]
    Onnx(#[from] edgeopt::onnx::OnnxError),
    /// Reading or writing a file.
    #[error("{path}")]
    Io {
        /// The file.
        path: String,
        /// What happened.
        source: std::io::Error,
    },
    /// An argument that parses but makes no sense.
    #[error("{0}")]
    Usage(String),
    /// Drawing a plot.
    #[error("plot {0}")]
    Plot(String),
}

pub type CliResult<T> = Result<T, CliError>;

pub fn io_err(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> CliError + '_ {
    move |source| CliError::Io { path: path.display().to_string(), source }
}

/// edgeopt: hardware-aware NAS, accelerator co-design and online model selection for edge ML.
#[derive(Debug, Parser)]
#[command(name = "edgeopt", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The main job on data embedded in the repository: a small run of each workflow, a report
    /// folder (markdown + SVG) and a printed summary.
    Demo {
        /// Where to write the report.
        #[arg(long, default_value = "edgeopt-report")]
        out: PathBuf,
    },
    /// Accelerator cost model (MAESTRO-compatible).
    Accel {
        #[command(subcommand)]
        command: accel::AccelCommand,
    },
    /// Join the parts of a sharded `accel grid --shard I/N` run into the unsharded table
    /// (checking every shard is present once and all belong to one sweep).
    Merge {
        /// Part files, in any order.
        parts: Vec<std::path::PathBuf>,
        /// Write the table to this file (atomically) instead of stdout.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Import a model from another format as a layer table or a MAESTRO model file.
    Import {
        #[command(subcommand)]
        command: import::ImportCommand,
    },
    /// Online model selection (Aquaman): run a bandit policy; the last line is the final
    /// cumulative regret.
    Bandit(bandit::BanditArgs),
    /// Search spaces: describe or sample architectures.
    Nas {
        #[command(subcommand)]
        command: nas::NasCommand,
    },
    /// SRCC matrix between the device columns of a measurement table (CSV).
    Monotonicity {
        /// Wide CSV (one row per architecture, one column per device metric; `.gz` accepted).
        #[arg(long)]
        data: PathBuf,
        /// `latency` or `energy` columns.
        #[arg(long, default_value = "latency")]
        metric: String,
    },
    /// Adapt the proxy's linear latency predictor to a target (AdaProxy, eq. 3.3), or a pool of
    /// proxies jointly; prints JSON.
    #[command(allow_negative_numbers = true)]
    Adapt {
        #[command(flatten)]
        pt: workflows::ProxyTarget,
        /// Training measurements on the target (at least 2).
        #[arg(long, value_parser = args::count::<2, { usize::MAX }>)]
        samples: usize,
        /// Validation measurements for choosing λ with a single proxy (default 20, at least 2); a
        /// pool is cross-validated on the --samples measurements instead.
        #[arg(long, value_parser = args::count::<2, { usize::MAX }>)]
        validation: Option<usize>,
    },
    /// Semi-decoupled co-design (alg. 6) against the fully-coupled optimum; prints JSON (results,
    /// then a summary line).
    #[command(allow_negative_numbers = true)]
    Codesign(codesign::CodesignArgs),
    /// Evolutionary search (constrained, or a Pareto sweep over t) or NSGA-II on any space;
    /// JSON lines, the summary last.
    #[command(allow_negative_numbers = true)]
    Search(search::SearchArgs),
    /// Meet latency constraints on a new device by bisection on t (alg. 1); JSON per constraint,
    /// the total target measurements last.
    #[command(allow_negative_numbers = true)]
    Bisect(bisect::BisectArgs),
    /// Learning to optimize (sec. 1.5): train one optimizer network on some devices, then design
    /// for a new device from a few reference measurements; prints JSON.
    L2o {
        #[command(subcommand)]
        command: l2o::L2oCommand,
    },
    /// Hardware-aware NAS with one proxy device (alg. 5); prints JSON.
    #[command(allow_negative_numbers = true)]
    OneProxy {
        #[command(flatten)]
        pt: workflows::ProxyTarget,
        /// Accuracy column.
        #[arg(long)]
        accuracy: String,
        /// Architectures measured first on the target.
        #[arg(long, default_value_t = 40, value_parser = args::count::<1, { usize::MAX }>)]
        samples: usize,
        /// SRCC threshold in [-1, 1].
        #[arg(long, default_value_t = 0.9, value_parser = args::correlation)]
        threshold: f64,
        /// Most target measurements in all (samples, extra samples and the Pareto set); a larger
        /// predicted front is thinned evenly by predicted latency.
        #[arg(long, value_parser = args::count::<1, { usize::MAX }>)]
        max_measurements: Option<usize>,
    },
}

/// Run a command; its stdout, to be written only because the command succeeded.
pub fn run(cli: Cli) -> CliResult<Out> {
    let mut out = Out::default();
    let o = &mut out;
    match cli.command {
        Command::Demo { out } => demo::run(&out, o),
        Command::Accel { command } => accel::run(command, o),
        Command::Nas { command } => nas::run(command, o),
        Command::Bandit(args) => bandit::run(args, o),
        Command::Monotonicity { data, metric } => workflows::monotonicity(&data, &metric, o),
        Command::Adapt { pt, samples, validation } => workflows::adapt_cmd(&pt, samples, validation, o),
        Command::Import { command } => import::run(command, o),
        Command::Merge { parts, out } => {
            let mut table = Out::default();
            shard::merge(&parts, &mut table)?;
            match out {
                Some(path) => {
                    let inputs: Vec<&std::path::Path> = parts.iter().map(|p| p.as_path()).collect();
                    output::write_atomic(&path, table.as_str().as_bytes(), &inputs)
                }
                None => {
                    o.push(table.as_str());
                    Ok(())
                }
            }
        }
        Command::Codesign(args) => codesign::run(&args).map(|text| o.push(text.as_str())),
        Command::Search(args) => search::run(args, o),
        Command::Bisect(args) => bisect::run(&args, o),
        Command::L2o { command } => l2o::run(command, o),
        Command::OneProxy { pt, accuracy, samples, threshold, max_measurements } => {
            workflows::one_proxy_cmd(&pt, &accuracy, (samples, max_measurements), threshold, o)
        }
    }?;
    Ok(out)
}
