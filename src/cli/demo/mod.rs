//! `edgeopt demo`: the main job on data embedded in the repository — a small run of each
//! workflow, a report folder (markdown + SVG) and a printed summary.

mod accel;
mod bandit;
mod codesign;
mod nas;

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::{CliResult, io_err};

/// The report under construction.
pub struct Report {
    /// Output folder.
    pub dir: PathBuf,
    /// Markdown body.
    pub md: String,
    /// Lines printed at the end.
    pub summary: String,
}

pub fn run(out: &Path) -> CliResult<()> {
    let t0 = Instant::now();
    std::fs::create_dir_all(out).map_err(io_err(out))?;
    let mut r =
        Report { dir: out.to_path_buf(), md: String::from("# edgeopt demo report\n\n"), summary: String::new() };
    let (fastest, cycles) = accel::section(&mut r)?;
    nas::section(&mut r)?;
    codesign::section(&mut r)?;
    bandit::section(&mut r)?;
    let report = out.join("report.md");
    std::fs::write(&report, &r.md).map_err(io_err(&report))?;
    print!("{}", r.summary);
    println!("report: {}", report.display());
    println!("demo finished in {:.2} s", t0.elapsed().as_secs_f64());
    println!("MobileNetV2 fastest accelerator: {fastest} at {cycles} cycles");
    Ok(())
}
