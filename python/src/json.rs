//! Results as plain Python data (dicts, lists, floats) through their serde form, so that what
//! Python gets is exactly what the CLI prints as JSON.

use pyo3::prelude::*;
use serde::Serialize;

use crate::errors::IntoPy;

/// `value` as the Python object `json.loads` would give for its JSON.
pub fn to_python<'py, T: Serialize + ?Sized>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value).py()?;
    py.import("json")?.getattr("loads")?.call1((text,))
}
