//! `edgeopt import onnx MODEL [--input-shape ...] [--format csv|maestro] [--out FILE]`

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use edgeopt::onnx::{InputShapes, load};

use super::output::write_atomic;
use super::{CliResult, Out};

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Lower an ONNX model (shapes only) to accelerator layers. Prints our layer CSV or a MAESTRO
    /// model file; a summary of the unmodelled operators and the MAC coverage goes to stderr.
    Onnx(OnnxArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// Our layer table (`edgeopt accel eval --layers` reads it).
    Csv,
    /// A MAESTRO model file (`Network { Layer { Type Stride Dimensions } }`).
    Maestro,
}

#[derive(Debug, Args)]
pub struct OnnxArgs {
    /// The `.onnx` model.
    model: PathBuf,
    /// Shape of a dynamic input: `1,3,224,224` (first input) or `name=1,3,224,224`; repeatable.
    #[arg(long)]
    input_shape: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "csv")]
    format: Format,
    /// Write to this file (atomically) instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(cmd: ImportCommand, stdout: &mut Out) -> CliResult<()> {
    let ImportCommand::Onnx(a) = cmd;
    let net = load(&a.model, &InputShapes::parse_all(&a.input_shape)?)?;
    let text = match a.format {
        Format::Csv => net.to_csv(),
        Format::Maestro => net.to_maestro(),
    };
    match &a.out {
        // Atomic, and never over the model being read.
        Some(out) => write_atomic(out, text.as_bytes(), &[&a.model])?,
        None => stdout.push(&text),
    }
    eprintln!("{}", net.summary());
    Ok(())
}
