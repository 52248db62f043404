//! Networks as two numpy arrays — a `(layers, 11)` uint64 table and `(networks + 1)` offsets —
//! so that a sweep can ship millions of layers to remote workers as one zero-copy buffer instead
//! of millions of pickled `Layer` objects (`edgeopt.distributed`).

use edgeopt::accel_sim::{Layer, LayerType};
use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use crate::accel::{LatencyEnergy, PyHardwareSpace};
use crate::errors::{IntoPy, bad_arg};

/// Layer types by their code in column 0 of a packed table.
const KINDS: [LayerType; 6] =
    [LayerType::Conv, LayerType::DsConv, LayerType::NgConv, LayerType::TrConv, LayerType::Gemm, LayerType::Fc];

/// Columns of a packed table.
pub const COLUMNS: [&str; 11] = ["kind", "batch", "groups", "k", "c", "r", "s", "y", "x", "stride_y", "stride_x"];

fn row_of(l: &Layer) -> [u64; 11] {
    let kind = KINDS.iter().position(|k| *k == l.kind).unwrap_or(0) as u64;
    [kind, l.batch, l.groups, l.k, l.c, l.r, l.s, l.y, l.x, l.stride_y, l.stride_x]
}

fn layer_of(r: &[u64], index: usize) -> PyResult<Layer> {
    let kind = *KINDS
        .get(usize::try_from(r[0]).unwrap_or(usize::MAX))
        .ok_or_else(|| bad_arg(&format!("table[{index}, 0] (kind)"), r[0], "expected a code 0..=5"))?;
    let l = Layer {
        name: String::new(),
        kind,
        batch: r[1],
        groups: r[2],
        k: r[3],
        c: r[4],
        r: r[5],
        s: r[6],
        y: r[7],
        x: r[8],
        stride_y: r[9],
        stride_x: r[10],
    };
    l.validate().py()?;
    Ok(l)
}

/// A packed table and its offsets.
type Packed<'py> = (Bound<'py, PyArray2<u64>>, Bound<'py, PyArray1<i64>>);

/// Pack networks (sequences of `Layer`) into `(table, offsets)`: network `i` is the rows
/// `offsets[i]..offsets[i + 1]` of `table` (columns as `packed_columns()`; names are dropped).
#[pyfunction]
pub fn pack_networks<'py>(py: Python<'py>, networks: Bound<'py, PyAny>) -> PyResult<Packed<'py>> {
    let mut rows: Vec<u64> = Vec::new();
    let mut offsets: Vec<i64> = vec![0];
    for net in crate::networks::networks_of(&networks, false)?.iter() {
        for l in net {
            rows.extend(row_of(l));
        }
        offsets.push((rows.len() / COLUMNS.len()) as i64);
    }
    let n = rows.len() / COLUMNS.len();
    let table = ndarray::Array2::from_shape_vec((n, COLUMNS.len()), rows).py()?;
    Ok((PyArray2::from_owned_array(py, table), PyArray1::from_vec(py, offsets)))
}

/// Unpack networks `start..stop` of a packed table into layer lists.
fn unpack(
    table: &PyReadonlyArray2<'_, u64>,
    offsets: &PyReadonlyArray1<'_, i64>,
    start: usize,
    stop: usize,
) -> PyResult<Vec<Vec<Layer>>> {
    let t = table.as_array();
    let o = offsets.as_slice()?;
    if t.ncols() != COLUMNS.len() {
        return Err(bad_arg("table", format!("{} columns", t.ncols()), "expected 11 (see packed_columns())"));
    }
    let n = o.len().saturating_sub(1);
    if start > stop || stop > n {
        return Err(bad_arg("start..stop", format!("{start}..{stop}"), &format!("must lie within 0..{n}")));
    }
    (start..stop)
        .map(|i| {
            let (a, b) = (o[i], o[i + 1]);
            if a < 0 || b < a || b as usize > t.nrows() {
                return Err(bad_arg(
                    &format!("offsets[{i}..={}]", i + 1),
                    format!("{a}..{b}"),
                    "must be increasing row indices",
                ));
            }
            if a == b {
                return Err(bad_arg(&format!("networks[{i}]"), "no layers", "a network needs at least one layer"));
            }
            (a as usize..b as usize)
                .map(|r| {
                    layer_of(
                        t.row(r)
                            .as_slice()
                            .ok_or_else(|| bad_arg("table", "a strided array", "must be C-contiguous"))?,
                        r,
                    )
                })
                .collect()
        })
        .collect()
}

/// `cost_matrix` of the packed networks `start..stop` (all by default) on `space`.
#[pyfunction]
#[pyo3(signature = (table, offsets, space, start = 0, stop = None))]
pub fn cost_matrix_packed<'py>(
    py: Python<'py>,
    table: PyReadonlyArray2<'py, u64>,
    offsets: PyReadonlyArray1<'py, i64>,
    space: &PyHardwareSpace,
    start: usize,
    stop: Option<usize>,
) -> PyResult<LatencyEnergy<'py>> {
    let stop = stop.unwrap_or(offsets.len()?.saturating_sub(1));
    let nets = unpack(&table, &offsets, start, stop)?;
    crate::accel::matrices(py, &nets, space)
}

/// Columns of `pack_networks`' table, in order.
#[pyfunction]
pub fn packed_columns() -> Vec<&'static str> {
    COLUMNS.to_vec()
}
