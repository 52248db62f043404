//! The one way the command line writes: stdout text is collected while a command runs and
//! emitted only once the whole result is known to be valid; files and report folders are written
//! under a temporary name and renamed into place, and never over one of the command's inputs.

use std::fmt::{Display, Write as _};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use super::{CliError, CliResult, io_err};

/// What a command prints on stdout, held back until the command has succeeded (so a failure
/// half-way never leaves a plausible-looking partial table on stdout).
#[derive(Debug, Default)]
pub struct Out {
    text: String,
    /// A write error of [`Out::send_to`], reported when the rest is emitted.
    failed: Option<std::io::Error>,
}

impl Out {
    /// Append one line.
    pub fn line(&mut self, line: impl Display) {
        // Formatting into a String cannot fail.
        let _ = writeln!(self.text, "{line}");
    }

    /// Append one CSV record, quoted where a field needs it (a layer name with a comma).
    pub fn record<I, T>(&mut self, fields: I)
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
        // Writing into a Vec cannot fail; a record is valid UTF-8 when its fields are.
        let _ = w.write_record(fields);
        let bytes = w.into_inner().unwrap_or_default();
        self.text.push_str(&String::from_utf8_lossy(&bytes));
    }

    /// Make room for `additional` more bytes (large tables: one allocation instead of doublings).
    pub fn reserve(&mut self, additional: usize) {
        self.text.reserve(additional);
    }

    /// Append text as is.
    pub fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    /// The collected text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// For output that nothing after it can fail (sampled keys): once more than `limit` bytes
    /// are held, write them to `sink` and start again, so that a long listing is not held in
    /// memory whole. Returns false once a write has failed (the error is reported by [`emit`]).
    pub fn send_to(&mut self, sink: &mut impl Write, limit: usize) -> bool {
        if self.failed.is_some() {
            return false;
        }
        if self.text.len() > limit {
            if let Err(e) = sink.write_all(self.text.as_bytes()) {
                self.failed = Some(e);
                return false;
            }
            self.text.clear();
        }
        true
    }
}

impl From<String> for Out {
    fn from(text: String) -> Out {
        Out { text, failed: None }
    }
}

/// How writing the collected stdout ended.
#[derive(Debug)]
pub enum Emitted {
    /// Everything was written.
    Done,
    /// The reader went away (`| head -1`): stop quietly, as other Unix tools do.
    BrokenPipe,
    /// Any other write error (a full disk, `/dev/full`).
    Failed(std::io::Error),
}

/// Write `out` to `sink` and flush it.
pub fn emit(out: &Out, sink: &mut impl Write) -> Emitted {
    let written = match &out.failed {
        Some(e) => Err(std::io::Error::new(e.kind(), e.to_string())),
        None => sink.write_all(out.as_str().as_bytes()).and_then(|()| sink.flush()),
    };
    match written {
        Ok(()) => Emitted::Done,
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Emitted::BrokenPipe,
        Err(e) => Emitted::Failed(e),
    }
}

/// `path` with its symbolic links and `..` resolved; for a file that does not exist yet, its
/// resolved parent joined with the file name.
fn resolved(path: &Path) -> Option<PathBuf> {
    if let Ok(p) = path.canonicalize() {
        return Some(p);
    }
    let name = path.file_name()?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Some(parent.canonicalize().ok()?.join(name))
}

/// Refuse an output path that is one of the inputs once links are resolved.
pub fn refuse_overwriting_inputs(output: &Path, inputs: &[&Path]) -> CliResult<()> {
    let Some(out) = resolved(output) else { return Ok(()) };
    for input in inputs {
        if resolved(input).is_some_and(|i| i == out) {
            return Err(CliError::Usage(format!(
                "output `{}` is the input `{}`; choose another output path",
                output.display(),
                input.display()
            )));
        }
    }
    Ok(())
}

/// The folder a new file or folder at `path` is created in.
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Write `bytes` to `path` atomically: into a temporary file beside it, then renamed over it, so
/// a reader (or an interrupted run) sees the old file or the new one, never a part.
pub fn write_atomic(path: &Path, bytes: &[u8], inputs: &[&Path]) -> CliResult<()> {
    refuse_overwriting_inputs(path, inputs)?;
    if path.is_dir() {
        return Err(CliError::Usage(format!("output `{}` is a directory", path.display())));
    }
    let mut builder = tempfile::Builder::new();
    builder.prefix(".edgeopt-tmp-");
    // A temporary file is private (0600) by default; the output is an ordinary file, so it is
    // created as `File::create` would (0666 less the umask) or keeps the mode of the file it replaces.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = builder.tempfile_in(parent_dir(path)).map_err(io_err(path))?;
    if let Ok(old) = std::fs::metadata(path) {
        tmp.as_file().set_permissions(old.permissions()).map_err(io_err(path))?;
    }
    tmp.write_all(bytes).and_then(|()| tmp.as_file().sync_all()).map_err(io_err(path))?;
    tmp.persist(path).map_err(|e| CliError::Io { path: path.display().to_string(), source: e.error })?;
    Ok(())
}

/// A report folder under construction: files go into a temporary folder beside the destination,
/// which replaces the destination only when [`ReportDir::commit`] is called.
#[derive(Debug)]
pub struct ReportDir {
    tmp: tempfile::TempDir,
    dest: PathBuf,
}

/// The file that marks a folder as a report this program may replace.
const REPORT_MARKER: &str = "report.md";

impl ReportDir {
    /// Start a report destined for `dest`. An existing `dest` must be empty or an earlier report
    /// (it holds `report.md`), so a mistyped `--out` cannot replace an unrelated folder.
    pub fn create(dest: &Path) -> CliResult<ReportDir> {
        if dest.exists() {
            if !dest.is_dir() {
                return Err(CliError::Usage(format!("--out `{}` exists and is not a folder", dest.display())));
            }
            let empty = std::fs::read_dir(dest).map_err(io_err(dest))?.next().is_none();
            if !empty && !dest.join(REPORT_MARKER).is_file() {
                return Err(CliError::Usage(format!(
                    "--out `{}` is a folder that is neither empty nor an earlier report (no {REPORT_MARKER}); \
                     refusing to replace it",
                    dest.display()
                )));
            }
        }
        let parent = parent_dir(dest);
        std::fs::create_dir_all(parent).map_err(io_err(parent))?;
        let tmp = tempfile::Builder::new().prefix(".edgeopt-report-tmp-").tempdir_in(parent).map_err(io_err(parent))?;
        Ok(ReportDir { tmp, dest: dest.to_path_buf() })
    }

    /// Where to write the report's files meanwhile.
    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// Move the finished report into place, replacing an earlier one. The old folder is moved
    /// aside first and removed last, so at every moment one complete report exists.
    pub fn commit(self) -> CliResult<()> {
        let dest = self.dest;
        let staged = self.tmp.keep();
        let aside = if dest.exists() {
            let aside = tempfile::Builder::new()
                .prefix(".edgeopt-report-old-")
                .tempdir_in(parent_dir(&dest))
                .map_err(io_err(&dest))?
                .keep();
            std::fs::rename(&dest, &aside).map_err(io_err(&dest))?;
            Some(aside)
        } else {
            None
        };
        if let Err(e) = std::fs::rename(&staged, &dest) {
            if let Some(aside) = &aside {
                let _ = std::fs::rename(aside, &dest);
            }
            let _ = std::fs::remove_dir_all(&staged);
            return Err(io_err(&dest)(e));
        }
        if let Some(aside) = aside {
            std::fs::remove_dir_all(&aside).map_err(io_err(&aside))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Sink(ErrorKind);
    impl Write for Sink {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(self.0.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_broken_pipe_is_told_apart_from_other_write_errors() {
        let mut out = Out::default();
        out.line("x");
        assert!(matches!(emit(&out, &mut Sink(ErrorKind::BrokenPipe)), Emitted::BrokenPipe));
        assert!(matches!(emit(&out, &mut Sink(ErrorKind::StorageFull)), Emitted::Failed(_)));
        let mut v = Vec::new();
        assert!(matches!(emit(&out, &mut v), Emitted::Done));
        assert_eq!(v, b"x\n");
    }

    #[test]
    fn an_output_that_is_an_input_through_a_link_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("d.csv");
        std::fs::write(&input, "a\n").unwrap();
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink(&input, &link).unwrap();
        let dotted = dir.path().join(".").join("d.csv");
        for out in [&input, &link, &dotted] {
            assert!(write_atomic(out, b"b\n", &[&input]).is_err(), "{}", out.display());
        }
        assert_eq!(std::fs::read_to_string(&input).unwrap(), "a\n");
        write_atomic(&dir.path().join("new.csv"), b"b\n", &[&input]).unwrap();
        assert_eq!(std::fs::read_to_string(dir.path().join("new.csv")).unwrap(), "b\n");
    }

    #[test]
    fn an_output_gets_an_ordinary_files_mode_or_keeps_the_one_it_replaces() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = tempfile::tempdir().unwrap();
        let reference = dir.path().join("reference.csv");
        std::fs::write(&reference, "a\n").unwrap();
        let out = dir.path().join("out.csv");
        write_atomic(&out, b"b\n", &[]).unwrap();
        assert_eq!(mode(&out), mode(&reference), "as `File::create` makes it (0666 less the umask)");
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&out, b"c\n", &[]).unwrap();
        assert_eq!((mode(&out), std::fs::read_to_string(&out).unwrap().as_str()), (0o640, "c\n"));
    }

    #[test]
    fn a_report_replaces_an_earlier_one_whole_and_refuses_other_folders() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("report");
        std::fs::create_dir(&dest).unwrap();
        std::fs::write(dest.join(REPORT_MARKER), "old").unwrap();
        std::fs::write(dest.join("stale.svg"), "old").unwrap();
        let r = ReportDir::create(&dest).unwrap();
        std::fs::write(r.path().join(REPORT_MARKER), "new").unwrap();
        // Until the commit the old report is untouched.
        assert_eq!(std::fs::read_to_string(dest.join(REPORT_MARKER)).unwrap(), "old");
        r.commit().unwrap();
        assert_eq!(std::fs::read_to_string(dest.join(REPORT_MARKER)).unwrap(), "new");
        assert!(!dest.join("stale.svg").exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary folder left");
        let home = dir.path().join("home");
        std::fs::create_dir(&home).unwrap();
        std::fs::write(home.join("notes.txt"), "keep").unwrap();
        assert!(ReportDir::create(&home).unwrap_err().to_string().contains("refusing"));
    }
}
