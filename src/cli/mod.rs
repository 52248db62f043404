//! Command-line definitions and dispatch.

mod accel;
mod bandit;
mod codesign;
mod demo;
mod nas;
mod plots;
mod progress;
mod workflows;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use edgeopt::accel_sim::SimError;

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
    /// Reading or writing a file.
    #[error("{path}: {source}")]
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
    Adapt {
        #[command(flatten)]
        pt: workflows::ProxyTarget,
        /// Training measurements on the target.
        #[arg(long)]
        samples: usize,
        /// Validation measurements for choosing λ with a single proxy (default 20); a pool is
        /// cross-validated on the --samples measurements instead.
        #[arg(long)]
        validation: Option<usize>,
    },
    /// Semi-decoupled co-design (alg. 6) against the fully-coupled optimum; prints JSON (results,
    /// then a summary line).
    Codesign {
        /// Search space of the keys.
        #[arg(long, default_value = "nb201")]
        space: String,
        /// Wide CSV with an `arch_str` column.
        #[arg(long)]
        data: PathBuf,
        /// Accuracy column.
        #[arg(long)]
        accuracy: String,
        /// `all` accelerators as proxies, or one index of the grid.
        #[arg(long, default_value = "all")]
        proxy: String,
        /// Hardware grid: `thesis` (1296) or `calibration` (162).
        #[arg(long, default_value = "thesis")]
        grid: String,
        /// Resource budget: most PEs allowed.
        #[arg(long)]
        max_pes: Option<u64>,
        /// Largest proxy Pareto set kept in stage 1 (K).
        #[arg(long, default_value_t = 100)]
        max_set: usize,
        /// Seed (the study is deterministic; accepted for a uniform interface).
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Hardware-aware NAS with one proxy device (alg. 5); prints JSON.
    OneProxy {
        #[command(flatten)]
        pt: workflows::ProxyTarget,
        /// Accuracy column.
        #[arg(long)]
        accuracy: String,
        /// Architectures measured first on the target.
        #[arg(long, default_value_t = 40)]
        samples: usize,
        /// SRCC threshold.
        #[arg(long, default_value_t = 0.9)]
        threshold: f64,
    },
}

pub fn run(cli: Cli) -> CliResult<()> {
    match cli.command {
        Command::Demo { out } => demo::run(&out),
        Command::Accel { command } => accel::run(command),
        Command::Nas { command } => nas::run(command),
        Command::Bandit(args) => bandit::run(args),
        Command::Monotonicity { data, metric } => workflows::monotonicity(&data, &metric),
        Command::Adapt { pt, samples, validation } => workflows::adapt_cmd(&pt, samples, validation),
        Command::Codesign { space, data, accuracy, proxy, grid, max_pes, max_set, seed: _ } => {
            codesign::run(&data, &space, &accuracy, &proxy, &grid, max_pes, max_set)
        }
        Command::OneProxy { pt, accuracy, samples, threshold } => {
            workflows::one_proxy_cmd(&pt, &accuracy, samples, threshold)
        }
    }
}
