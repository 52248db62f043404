//! `edgeopt demo`: the main job on data embedded in the repository — a small run of each
//! workflow, a report folder (markdown + SVG, and the same as one self-contained index.html)
//! and a printed summary.

mod accel;
mod bandit;
mod codesign;
mod html;
mod nas;

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::output::ReportDir;
use super::{CliResult, Out, io_err};

/// The report under construction.
pub struct Report {
    /// Output folder.
    pub dir: PathBuf,
    /// Markdown body.
    pub md: String,
    /// Lines printed at the end.
    pub summary: String,
}

pub fn run(out: &Path, stdout: &mut Out) -> CliResult<()> {
    let t0 = Instant::now();
    // Everything goes into a temporary folder that replaces `out` only once complete, so an
    // interrupted run leaves the old report or the new one, never a mix.
    let staging = ReportDir::create(out)?;
    let mut r = Report {
        dir: staging.path().to_path_buf(),
        md: String::from("# edgeopt demo report\n\n"),
        summary: String::new(),
    };
    let (fastest, cycles) = accel::section(&mut r)?;
    nas::section(&mut r)?;
    codesign::section(&mut r)?;
    bandit::section(&mut r)?;
    let staged = r.dir.join("report.md");
    std::fs::write(&staged, &r.md).map_err(io_err(&staged))?;
    let page = r.dir.join("index.html");
    std::fs::write(&page, html::render(&r.md, &r.dir)?).map_err(io_err(&page))?;
    staging.commit()?;
    stdout.push(&r.summary);
    stdout.line(format_args!("report: {} (and index.html)", out.join("report.md").display()));
    stdout.line(format_args!("demo finished in {:.2} s", t0.elapsed().as_secs_f64()));
    stdout.line(format_args!("MobileNetV2 fastest accelerator: {fastest} at {cycles} cycles"));
    Ok(())
}
