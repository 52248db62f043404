//! Building the cluster levels of a mapping for one layer (SPEC §1–§3).
//!
//! A [`Plan`] is everything about a (layer, mapping, PE count) triple that does not depend on
//! bandwidth: the directive lists of each level after MAESTRO's rewrites, and the static tables.

use crate::dataflow::{Dim, Directive, Extent, Mapping};
use crate::error::{Result, SimError};
use crate::layer::{Layer, LayerType, MAX_DIM};

/// Number of dimension slots in a table (`Dim::ALL`).
pub(crate) const NV: usize = 9;
/// Most directives one level can hold after unrolling (one per dimension).
pub(crate) const MAXD: usize = 9;

pub(crate) const G: usize = 0;
pub(crate) const K: usize = 1;
pub(crate) const C: usize = 2;
pub(crate) const R: usize = 3;
pub(crate) const S: usize = 4;
pub(crate) const Y: usize = 5;
pub(crate) const X: usize = 6;
pub(crate) const YO: usize = 7;
pub(crate) const XO: usize = 8;

/// A directive list of one level with a fixed capacity (no allocation on the hot path).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dirs {
    d: [Dir; 16],
    len: usize,
}

impl Dirs {
    fn new() -> Dirs {
        Dirs { d: [Dir::default(); 16], len: 0 }
    }
    fn as_slice(&self) -> &[Dir] {
        &self.d[..self.len]
    }
    fn as_mut_slice(&mut self) -> &mut [Dir] {
        &mut self.d[..self.len]
    }
    /// Insert at `at`; false when full.
    fn insert(&mut self, at: usize, dir: Dir) -> bool {
        if self.len == self.d.len() {
            return false;
        }
        self.d.copy_within(at..self.len, at + 1);
        self.d[at] = dir;
        self.len += 1;
        true
    }
    fn push(&mut self, dir: Dir) -> bool {
        self.insert(self.len, dir)
    }
}

/// One resolved directive: dimension slot, kind, size and offset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Dir {
    pub var: usize,
    pub spatial: bool,
    pub m: i64,
    pub o: i64,
}

/// Per-dimension mapping tables of a level (SPEC §3): size, new data per step, and their edge values.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Tables {
    pub m: [i64; NV],
    pub u: [i64; NV],
    pub me: [i64; NV],
    pub ue: [i64; NV],
}

/// One cluster level.
#[derive(Debug, Clone)]
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
    pub fn dirs(&self) -> &[Dir] {
        &self.dirs[..self.len]
    }
}

/// Variable lists of the three tensors, in MAESTRO's order, plus bit masks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tensors {
    pub input: &'static [usize],
    pub filter: &'static [usize],
    pub output: &'static [usize],
    pub input_mask: u16,
    pub filter_mask: u16,
    pub output_mask: u16,
    /// Input-class variables (union of input and filter), sorted by name: C, G, K, R, S, X, Y.
    pub class: &'static [usize],
}

const fn mask(v: &[usize]) -> u16 {
    let mut m = 0u16;
    let mut i = 0;
    while i < v.len() {
        m |= 1 << v[i];
        i += 1;
    }
    m
}

const DENSE: Tensors = Tensors {
    input: &[C, Y, X],
    filter: &[K, C, R, S],
    output: &[K, Y, X],
    input_mask: mask(&[C, Y, X]),
    filter_mask: mask(&[K, C, R, S]),
    output_mask: mask(&[K, Y, X]),
    class: &[C, K, R, S, X, Y],
};
const DEPTHWISE: Tensors = Tensors {
    input: &[C, Y, X],
    filter: &[C, R, S],
    output: &[C, Y, X],
    input_mask: mask(&[C, Y, X]),
    filter_mask: mask(&[C, R, S]),
    output_mask: mask(&[C, Y, X]),
    class: &[C, R, S, X, Y],
};
const GROUPED: Tensors = Tensors {
    input: &[G, C, Y, X],
    filter: &[G, K, C, R, S],
    output: &[G, K, C, Y, X],
    input_mask: mask(&[G, C, Y, X]),
    filter_mask: mask(&[G, K, C, R, S]),
    output_mask: mask(&[G, K, C, Y, X]),
    class: &[C, G, K, R, S, X, Y],
};

/// A layer lowered onto a mapping and a PE count.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub levels: Vec<Level>,
    pub tensors: Tensors,
    /// Level 0's dimension table (full layer, with `Y' = Y − R + 1`, `X' = X − S + 1`).
    pub top_table: [i64; NV],
}

fn layer_table(layer: &Layer) -> [i64; NV] {
    let mut t = [0i64; NV];
    let v = |x: u64| x as i64; // validated ≤ 2^20
    t[G] = if layer.kind == LayerType::NgConv { v(layer.groups) } else { 1 };
    t[K] = if layer.kind == LayerType::DsConv { 1 } else { v(layer.k) };
    t[C] = v(layer.c);
    t[R] = v(layer.r);
    t[S] = v(layer.s);
    t[Y] = v(layer.y);
    t[X] = v(layer.x);
    t[YO] = t[Y] - t[R] + 1;
    t[XO] = t[X] - t[S] + 1;
    t
}

pub(super) fn tensors_of(kind: LayerType) -> Tensors {
    match kind {
        LayerType::DsConv => DEPTHWISE,
        LayerType::NgConv => GROUPED,
        _ => DENSE,
    }
}

impl Plan {
    /// Lower `layer` onto `mapping` with `num_pes` PEs. The layer must already be validated.
    pub fn new(layer: &Layer, mapping: &Mapping, num_pes: u64) -> Result<Plan> {
        let tensors = tensors_of(layer.kind);
        let table = layer_table(layer);
        let invalid = |reason: String| SimError::InvalidMapping { layer: layer.name.clone(), reason };
        let resolve = |e: Extent, what: &str| -> Result<i64> {
            let v = match e {
                Extent::Fixed(v) => v as i128,
                Extent::Full(d) => table[d.idx()] as i128,
            };
            if v < 1 {
                return Err(invalid(format!("{what} {e} resolves to {v}; it must be at least 1")));
            }
            if v > MAX_DIM as i128 {
                return Err(invalid(format!("{what} {e} = {v} exceeds the supported maximum {MAX_DIM}")));
            }
            Ok(v as i64)
        };

        // Split at Cluster directives and check every directive before building any level, so
        // the first problem in mapping order is the one reported. The resolved directives are
        // kept in one flat list; each level copies its own range below.
        const MAX_LEVELS: usize = 6;
        const MAX_OWN: usize = 16;
        let too_long = || invalid(format!("more than {MAX_OWN} directives in one cluster level"));
        let all = mapping.directives();
        let mut bounds = [(0usize, 0usize); MAX_LEVELS];
        let mut nlevels = 1usize;
        let mut clusters = [0i64; MAX_LEVELS];
        let mut own = 0usize;
        let mut flat: Vec<Dir> = Vec::with_capacity(all.len());
        for d in all {
            match *d {
                Directive::Cluster(n) => {
                    if nlevels == MAX_LEVELS {
                        return Err(invalid(format!("more than {} Cluster directives", MAX_LEVELS - 1)));
                    }
                    clusters[nlevels - 1] = resolve(n, "cluster size")?;
                    bounds[nlevels - 1].1 = flat.len();
                    bounds[nlevels] = (flat.len(), flat.len());
                    nlevels += 1;
                    own = 0;
                }
                Directive::Spatial { .. } | Directive::Temporal { .. } => {
                    if let Some(dir) = own_directive(d, &tensors, layer, &table, &resolve, &invalid)? {
                        own += 1;
                        if own > MAX_OWN {
                            return Err(too_long());
                        }
                        flat.push(dir);
                    }
                }
            }
        }
        bounds[nlevels - 1].1 = flat.len();

        // PE flooring: P* = U·(P ÷ U).
        let u: i64 = clusters[..nlevels - 1].iter().fold(1i64, |a, &b| a.saturating_mul(b));
        let p = num_pes as i64;
        if p < u {
            return Err(SimError::InsufficientPes { layer: layer.name.clone(), needed: u as u64, available: num_pes });
        }
        let n0 = p / u;

        let mut levels: Vec<Level> = Vec::with_capacity(nlevels);
        let mut dtab = table;
        for j in 0..nlevels {
            let n = if j == 0 { n0 } else { clusters[j - 1] };
            let mut list = Dirs::new();
            let (from, to) = bounds[j];
            for &dir in &flat[from..to] {
                // Cannot fail: the first pass counted at most MAX_OWN.
                let pushed = list.push(dir);
                debug_assert!(pushed);
            }
            input_centric(&mut list, &layer.name)?;
            if let Some(prev) = levels.last() {
                for d in prev.dirs() {
                    if !list.as_slice().iter().any(|x| x.var == d.var) && !list.insert(0, Dir { spatial: false, ..*d })
                    {
                        return Err(too_long());
                    }
                }
            }
            for &v in tensors.class {
                if !list.as_slice().iter().any(|x| x.var == v)
                    && !list.push(Dir { var: v, spatial: false, m: dtab[v], o: dtab[v] })
                {
                    return Err(too_long());
                }
            }
            for d in list.as_mut_slice() {
                stride_rewrite(d, layer, j == 0);
            }
            let list = list.as_slice();
            if list.len() > MAXD {
                return Err(invalid(format!(
                    "level {j} has {} directives; each dimension may appear once",
                    list.len()
                )));
            }
            let mut dir_of = [usize::MAX; NV];
            for (i, d) in list.iter().enumerate() {
                if dir_of[d.var] != usize::MAX {
                    return Err(invalid(format!("dimension {} is mapped twice in cluster level {j}", Dim::ALL[d.var])));
                }
                dir_of[d.var] = i;
            }
            for (inp, filt) in [(Y, R), (X, S)] {
                let (mi, mf) = (list[dir_of[inp]].m, list[dir_of[filt]].m);
                if mi < mf {
                    // MAESTRO divides by zero here: a tile narrower than the filter has no output.
                    return Err(invalid(format!(
                        "cluster level {j} maps {mi} {} but {mf} {}: the input tile is narrower than the filter",
                        Dim::ALL[inp],
                        Dim::ALL[filt]
                    )));
                }
            }
            let Some(first_spatial) = list.iter().position(|d| d.spatial) else {
                return Err(invalid(format!("cluster level {j} has no SpatialMap, so its PEs would be idle")));
            };
            let mut dirs = [Dir::default(); MAXD];
            dirs[..list.len()].copy_from_slice(list);
            let mut level = Level {
                dirs,
                len: list.len(),
                n,
                nec: 1,
                first_spatial,
                dir_of,
                tables: Tables::default(),
                nonneg: true,
            };
            level.tables = static_tables(&level, &dtab);
            let t = &level.tables;
            level.nonneg = [t.m, t.u, t.me, t.ue].iter().all(|row| row.iter().all(|&v| v >= 0));
            level.nec = edge_clusters(&level, &dtab);
            // Next level's static table: min(m, D) per input-class variable.
            let mut next = [0i64; NV];
            for &v in tensors.class {
                next[v] = level.dirs[dir_of[v]].m.min(dtab[v]);
            }
            dtab = next;
            levels.push(level);
        }
        Ok(Plan { levels, tensors, top_table: table })
    }
}

/// A level's own directive, resolved, or `None` for one MAESTRO skips.
fn own_directive(
    d: &Directive,
    tensors: &Tensors,
    layer: &Layer,
    table: &[i64; NV],
    resolve: &impl Fn(Extent, &str) -> Result<i64>,
    invalid: &impl Fn(String) -> SimError,
) -> Result<Option<Dir>> {
    let (Directive::Spatial { dim, size, offset } | Directive::Temporal { dim, size, offset }) = *d else {
        return Ok(None);
    };
    let spatial = matches!(d, Directive::Spatial { .. });
    if dim == Dim::G {
        // MAESTRO never iterates groups: G is always fully unrolled (SPEC §1).
        return Ok(None);
    }
    let base = match dim {
        Dim::YOut => Y,
        Dim::XOut => X,
        other => other.idx(),
    };
    if !tensors.class.contains(&base) {
        if !spatial {
            // MAESTRO skips a temporal loop over a dimension the layer lacks
            // (e.g. K of a depthwise layer under X-P); a spatial one is an error.
            return Ok(None);
        }
        return Err(SimError::DimensionNotFound {
            layer: layer.name.clone(),
            kind: layer.kind.to_string(),
            dim: dim.to_string(),
        });
    }
    let m = resolve(size, "size")?;
    let o = resolve(offset, "offset")?;
    if !spatial && (base == R || base == S) && m < table[base] {
        // MAESTRO exits here: partial filter windows over time are not modelled.
        return Err(invalid(format!(
            "TemporalMap({size},{offset}) {dim} covers {m} of the {} filter {} taps; \
             a temporal map on R or S must cover the whole filter",
            table[base], dim
        )));
    }
    Ok(Some(Dir { var: dim.idx(), spatial, m, o }))
}

/// SPEC §2 step 2: a `Y'` (`X'`) directive becomes `Y` (`X`) with size `m + m_R − 1` (`m_S`).
fn input_centric(list: &mut Dirs, layer: &str) -> Result<()> {
    for (out, inp, filt) in [(YO, Y, R), (XO, X, S)] {
        let Some(pos) = list.as_slice().iter().position(|d| d.var == out) else {
            continue;
        };
        if list.as_slice().iter().any(|d| d.var == inp) {
            return Err(SimError::InvalidMapping {
                layer: layer.to_string(),
                reason: format!("{} and {} are both mapped in one cluster level", Dim::ALL[out], Dim::ALL[inp]),
            });
        }
        let Some(mf) = list.as_slice().iter().find(|d| d.var == filt).map(|d| d.m) else {
            return Err(SimError::InvalidMapping {
                layer: layer.to_string(),
                reason: format!(
                    "{} is mapped without a {} directive in the same cluster level",
                    Dim::ALL[out],
                    Dim::ALL[filt]
                ),
            });
        };
        let d = &mut list.as_mut_slice()[pos];
        d.var = inp;
        d.m += mf - 1;
    }
    Ok(())
}

/// SPEC §2 step 5: strided Y/X directives are rewritten in input coordinates.
fn stride_rewrite(d: &mut Dir, layer: &Layer, top: bool) {
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

/// SPEC §3 mapping tables from the level's static dimension table.
fn static_tables(level: &Level, dt: &[i64; NV]) -> Tables {
    let mut t = Tables::default();
    for d in level.dirs() {
        let dv = dt[d.var];
        let (m, o) = (d.m, d.o);
        let ns = ((dv - m) / o).max(0);
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
    t
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
        let st = ((dv - m) / o + 1) / n - 1;
        let rem = dv - (st + 1) * o * n;
        if rem < m { 1 } else { (rem - m) / o + 1 }
    } else {
        let mut nec = (dv - m) / o + 1;
        if o * (nec - 1) + m < dv {
            nec += 1;
        }
        nec
    }
}
