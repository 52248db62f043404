//! `edgeopt import onnx MODEL [--input-shape ...] [--format csv|maestro] [--out FILE]`

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use edgeopt::onnx::{InputShapes, load};

use super::{CliError, CliResult, io_err};

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

pub fn run(cmd: ImportCommand) -> CliResult<()> {
    let ImportCommand::Onnx(a) = cmd;
    let net = load(&a.model, &InputShapes::parse_all(&a.input_shape)?)?;
    let text = match a.format {
        Format::Csv => net.to_csv(),
        Format::Maestro => net.to_maestro(),
    };
    match &a.out {
        Some(out) => write_atomically(out, &a.model, &text)?,
        None => std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .map_err(|e| CliError::Io { path: "<stdout>".into(), source: e })?,
    }
    eprintln!("{}", net.summary());
    Ok(())
}

/// Write `text` to `out` through a temporary file in the same folder and a rename, refusing to
/// replace the model being read.
fn write_atomically(out: &Path, model: &Path, text: &str) -> CliResult<()> {
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same(out, model) {
        return Err(CliError::Usage(format!("--out {} would overwrite the input model", out.display())));
    }
    let file_name = out.file_name().ok_or_else(|| CliError::Usage(format!("--out {} is not a file", out.display())))?;
    let tmp = out.with_file_name(format!(".{}.tmp-{}", file_name.to_string_lossy(), std::process::id()));
    std::fs::write(&tmp, text).map_err(io_err(&tmp))?;
    std::fs::rename(&tmp, out).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        CliError::Io { path: out.display().to_string(), source: e }
    })
}
