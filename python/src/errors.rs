//! Rust errors as Python exceptions: `EdgeoptError` (a `ValueError`) for bad input and failed
//! computations, `EdgeoptIOError` (an `OSError`) when a file could not be read. The message is the
//! whole source chain, as the CLI prints it; an exception raised by a user's Python callable is
//! kept as the `__cause__`.

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;

pyo3::create_exception!(
    edgeopt,
    EdgeoptError,
    PyValueError,
    "Bad input or a failed computation in edgeopt; the message names the offending value."
);
pyo3::create_exception!(edgeopt, EdgeoptIOError, PyOSError, "A file edgeopt was asked to read could not be read.");

/// The error and its sources joined by ": ", without repeating a source whose text the
/// previous message already contains.
pub fn chain_message(err: &(dyn std::error::Error + 'static)) -> String {
    let mut msg = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !msg.contains(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        source = s.source();
    }
    msg
}

/// Convert any Rust error into the matching Python exception.
pub fn to_py(err: &(dyn std::error::Error + 'static)) -> PyErr {
    let msg = chain_message(err);
    let mut io = false;
    let mut cause: Option<PyErr> = None;
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(s) = source {
        if s.downcast_ref::<std::io::Error>().is_some() {
            io = true;
        }
        if let Some(py) = s.downcast_ref::<PyErr>() {
            cause = Some(Python::attach(|p| py.clone_ref(p)));
        }
        source = s.source();
    }
    let out = if io { EdgeoptIOError::new_err(msg) } else { EdgeoptError::new_err(msg) };
    if let Some(c) = cause {
        Python::attach(|p| out.set_cause(p, Some(c)));
    }
    out
}

/// `Result<T, E>` → `PyResult<T>` for any error type of the library crates.
pub trait IntoPy<T> {
    /// Convert the error (if any) with [`to_py`].
    fn py(self) -> PyResult<T>;
}

impl<T, E: std::error::Error + 'static> IntoPy<T> for Result<T, E> {
    fn py(self) -> PyResult<T> {
        self.map_err(|e| to_py(&e))
    }
}

/// A `ValueError` subclass naming a bad argument.
pub fn bad_arg(name: &str, value: impl std::fmt::Display, reason: &str) -> PyErr {
    EdgeoptError::new_err(format!("{name} = {value}: {reason}"))
}

/// Check that `path` can be opened for reading, as an `EdgeoptIOError` (an `OSError` with
/// `errno`, `strerror` and `filename` set) when not: the readers of the library crates report
/// I/O failures inside their own parse errors.
pub fn readable(path: &std::path::Path) -> PyResult<()> {
    match std::fs::File::open(path) {
        Ok(_) => Ok(()),
        Err(e) => Err(EdgeoptIOError::new_err((
            e.raw_os_error().unwrap_or(0),
            format!("{}: {e}", path.display()),
            path.display().to_string(),
        ))),
    }
}
