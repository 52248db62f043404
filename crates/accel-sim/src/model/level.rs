//! One cluster level of a plan (SPEC §2–§3): its directives after MAESTRO's rewrites, and the
//! static mapping tables derived from them.

use super::cases::div;
use super::plan::{MAXD, NV, R, S, Tensors, X, XO, Y, YO};
use crate::dataflow::Dim;
use crate::error::{Result, SimError};
use crate::layer::Layer;

/// One resolved directive: dimension slot, kind, size and offset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Dir {
    pub var: usize,
    pub spatial: bool,
    pub m: i64,
    pub o: i64,
}

/// Per-dimension mapping tables of a level (SPEC §3): size, new data per step, and their edge values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tables {
    pub m: [i64; NV],
    pub u: [i64; NV],
    pub me: [i64; NV],
    pub ue: [i64; NV],
}

/// One cluster level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Level {
    pub dirs: [Dir; MAXD],
    pub len: usize,
    /// Sub-clusters (or PEs at the innermost level) this level spreads over.
    pub n: i64,
    /// Sub-clusters that hold a full tile in a spatial edge fold (static).
    pub nec: i64,
    /// Index of the level's first spatial directive.
    pub first_spatial: usize,
    /// Directive index for each dimension slot.
    pub dir_of: [usize; NV],
    pub tables: Tables,
    /// Whether every table entry is non-negative. Only an edge tile narrower than the filter
    /// makes one negative (an output extent `me − m_filter + 1 < 0`); otherwise every volume of
    /// the level is a product of non-negative factors and may be multiplied in any order.
    pub nonneg: bool,
}

impl Level {
    /// Before [`build_level`] fills it.
    pub(super) const EMPTY: Level = Level {
        dirs: [Dir { var: 0, spatial: false, m: 0, o: 0 }; MAXD],
        len: 0,
        n: 0,
        nec: 1,
        first_spatial: 0,
        dir_of: [0; NV],
        tables: Tables { m: [0; NV], u: [0; NV], me: [0; NV], ue: [0; NV] },
        nonneg: true,
    };

    pub fn dirs(&self) -> &[Dir] {
        &self.dirs[..self.len]
    }
}

/// MAESTRO divides by zero when a level's input tile is narrower than its filter (no output):
/// refuse such a level, naming it.
pub(super) fn check_tiles(list: &[Dir], dir_of: &[usize; NV], j: usize, layer: &Layer) -> Result<()> {
    for (inp, filt) in [(Y, R), (X, S)] {
        let (mi, mf) = (list[dir_of[inp]].m, list[dir_of[filt]].m);
        if mi < mf {
            return Err(SimError::InvalidMapping {
                layer: layer.name.clone(),
                reason: format!(
                    "cluster level {j} maps {mi} {} but {mf} {}: the input tile is narrower than the filter",
                    Dim::ALL[inp],
                    Dim::ALL[filt]
                ),
            });
        }
    }
    Ok(())
}

/// Append the checked level built from its final directive list to `levels`; `dtab` (the
/// level's static dimension table) becomes the next level's: min(m, D) per input-class variable.
/// Filled in place: a level is most of a kilobyte, and a layer is lowered in about a microsecond.
pub(super) fn build_level(
    levels: &mut Vec<Level>,
    list: &[Dir],
    n: i64,
    first_spatial: usize,
    dir_of: &[usize; NV],
    dtab: &mut [i64; NV],
    tensors: &Tensors,
) {
    levels.push(Level::EMPTY);
    let Some(level) = levels.last_mut() else { return };
    level.dirs[..list.len()].copy_from_slice(list);
    finish_level(level, list.len(), n, first_spatial, dir_of, dtab, tensors);
}

/// Complete a level whose first `len` directives are in place (see [`build_level`]).
pub(super) fn finish_level(
    level: &mut Level,
    len: usize,
    n: i64,
    first_spatial: usize,
    dir_of: &[usize; NV],
    dtab: &mut [i64; NV],
    tensors: &Tensors,
) {
    level.len = len;
    level.n = n;
    level.first_spatial = first_spatial;
    level.dir_of = *dir_of;
    static_tables(level, dtab);
    let t = &level.tables;
    // The bitwise or of every entry is negative exactly when one entry is (one vector pass).
    let or = |row: &[i64; NV]| row.iter().fold(0, |a, &v| a | v);
    level.nonneg = (or(&t.m) | or(&t.u) | or(&t.me) | or(&t.ue)) >= 0;
    level.nec = edge_clusters(level, dtab);
    // In place: a copied table would be read back with wider loads than it was written with,
    // which stalls store forwarding.
    let class = tensors.input_mask | tensors.filter_mask;
    for (v, d) in dtab.iter_mut().enumerate() {
        *d = if class & (1 << v) != 0 { level.dirs[dir_of[v]].m.min(*d) } else { 0 };
    }
}

/// SPEC §2 step 5: strided Y/X directives are rewritten in input coordinates.
pub(super) fn stride_rewrite(d: &mut Dir, layer: &Layer, top: bool) {
    let (s, f) = match d.var {
        Y => (layer.stride_y as i64, layer.r as i64),
        X => (layer.stride_x as i64, layer.s as i64),
        _ => return,
    };
    if s == 1 || d.m < f {
        return;
    }
    let k = (d.m + s - f) / s;
    d.m = k * s.min(f) + (f - s).max(0);
    d.o = if !top && f < s { k * f } else { k * s };
}

/// SPEC §3 mapping tables from the level's static dimension table, written into
/// `level.tables` (which must start zeroed).
fn static_tables(level: &mut Level, dt: &[i64; NV]) {
    let t = &mut level.tables;
    for d in &level.dirs[..level.len] {
        let dv = dt[d.var];
        let (m, o) = (d.m, d.o);
        // A directive covering its dimension has no steady steps (and skips the division).
        let ns = if dv <= m { 0 } else { div(dv - m, o) };
        let has_edge = ns * o + m < dv || m > dv;
        t.m[d.var] = m;
        t.u[d.var] = if !d.spatial && dv <= m { 0 } else { m.min(o) };
        let mut e = dv - (ns + 1) * o;
        if e < 0 {
            e = dv;
        }
        t.me[d.var] = if has_edge { e } else { m };
        t.ue[d.var] = (o - (m - e)).max(0);
    }
    for (out, inp, filt) in [(YO, Y, R), (XO, X, S)] {
        let Some(&i) = level.dir_of.get(inp).filter(|&&i| i != usize::MAX) else {
            continue;
        };
        let o = level.dirs[i].o;
        t.m[out] = t.m[inp] - t.m[filt] + 1;
        t.u[out] = o.min(t.m[inp]);
        t.me[out] = t.me[inp] - t.me[filt] + 1;
        t.ue[out] = o.min(t.me[out]);
    }
}

/// SPEC §3: sub-clusters that receive a full tile in the spatial edge fold.
fn edge_clusters(level: &Level, dt: &[i64; NV]) -> i64 {
    let d = level.dirs[level.first_spatial];
    let (m, o, n) = (d.m, d.o, level.n);
    let dv = dt[d.var];
    if dv <= m {
        return 1;
    }
    let full = o * (n - 1) + m;
    if dv > full {
        let st = (div(dv - m, o) + 1) / n - 1;
        let rem = dv - (st + 1) * o * n;
        if rem < m { 1 } else { div(rem - m, o) + 1 }
    } else {
        let mut nec = div(dv - m, o) + 1;
        if o * (nec - 1) + m < dv {
            nec += 1;
        }
        nec
    }
}
