//! Command-line definitions and dispatch.

mod accel;
mod demo;
mod plots;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use edgeopt::accel_sim::SimError;

/// Errors of the command line: a library error, an I/O error, or a bad argument.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// From the cost model.
    #[error(transparent)]
    Sim(#[from] SimError),
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
}

pub fn run(cli: Cli) -> CliResult<()> {
    match cli.command {
        Command::Demo { out } => demo::run(&out),
        Command::Accel { command } => accel::run(command),
    }
}
