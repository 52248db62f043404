//! Building the cluster levels of a mapping for one layer (SPEC §1–§3).
//!
//! A [`Plan`] is everything about a (layer, mapping, PE count) triple that does not depend on
//! bandwidth: the directive lists of each level after MAESTRO's rewrites, and the static tables.

use crate::dataflow::{Dim, Directive, Extent, Mapping};
use crate::error::{Result, SimError};
use crate::layer::{Layer, LayerType, MAX_DIM};

pub(crate) use super::level::{Dir, Level, Tables};
use super::level::{build_level, check_tiles, stride_rewrite};
use super::shape::{BELOW_KEY, BelowKey};

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

/// Most cluster levels of a mapping (five Cluster directives).
pub(super) const MAX_LEVELS: usize = 6;
/// Most directives one cluster level may hold before unrolling.
pub(super) const MAX_OWN: usize = 16;

/// Index of a layer kind's tensor structure: dense, depthwise or grouped.
pub(crate) fn tensors_slot(kind: LayerType) -> usize {
    match kind {
        LayerType::DsConv => 1,
        LayerType::NgConv => 2,
        _ => 0,
    }
}

/// MAESTRO exits on a temporal map that covers part of a filter window: refuse it, naming it.
pub(super) fn partial_filter(layer: &Layer, dim: Dim, size: Extent, offset: Extent, m: i64, full: i64) -> SimError {
    SimError::InvalidMapping {
        layer: layer.name.clone(),
        reason: format!(
            "TemporalMap({size},{offset}) {dim} covers {m} of the {full} filter {dim} taps; \
             a temporal map on R or S must cover the whole filter"
        ),
    }
}

/// A layer lowered onto a mapping and a PE count.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub levels: Vec<Level>,
    pub tensors: Tensors,
    /// Level 0's dimension table (full layer, with `Y' = Y − R + 1`, `X' = X − S + 1`).
    pub top_table: [i64; NV],
    /// What the levels below the top were lowered from, when [`Plan::lower`] was given the
    /// inner-level store (see [`BelowKey`]).
    pub below_key: BelowKey,
}

impl Default for Plan {
    /// No levels yet (to be filled by [`Plan::lower`]).
    fn default() -> Plan {
        Plan { levels: Vec::new(), tensors: DENSE, top_table: [0; NV], below_key: [0; BELOW_KEY] }
    }
}

pub(super) fn layer_table(layer: &Layer) -> [i64; NV] {
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

pub(crate) fn tensors_of(kind: LayerType) -> Tensors {
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
                    if let Some(dir) = own_directive(d, &tensors, layer, &table, &resolve)? {
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
            check_tiles(list, &dir_of, j, layer)?;
            let Some(first_spatial) = list.iter().position(|d| d.spatial) else {
                return Err(invalid(format!("cluster level {j} has no SpatialMap, so its PEs would be idle")));
            };
            build_level(&mut levels, list, n, first_spatial, &dir_of, &mut dtab, &tensors);
        }
        Ok(Plan { levels, tensors, top_table: table, below_key: [0; BELOW_KEY] })
    }
}

/// A level's own directive, resolved, or `None` for one MAESTRO skips.
fn own_directive(
    d: &Directive,
    tensors: &Tensors,
    layer: &Layer,
    table: &[i64; NV],
    resolve: &impl Fn(Extent, &str) -> Result<i64>,
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
        return Err(partial_filter(layer, dim, size, offset, m, table[base]));
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
