//! The structure of a mapping lowered for one kind of layer, shared by every layer of a network.
//!
//! Lowering a mapping ([`Plan::new`]) decides, level by level, which directives a level holds,
//! in which order, and where each one's size comes from (the mapping, the level above, or the
//! whole dimension). None of that depends on the layer's sizes, only on the mapping and on the
//! layer's tensors; costing a network repeats it for every layer. A [`Shape`] records it once,
//! and [`Plan::lower`] fills in one layer's sizes: the same plan, the same errors. Layers often
//! share the levels below the top (a cluster sees the same tiles whatever the layer's outer
//! sizes), so a [`BelowKey`] lets a layer take them from an earlier one's lowering.

use super::level::{Dir, Level, check_tiles, finish_level, stride_rewrite};
use super::plan::{MAX_LEVELS, MAX_OWN, MAXD, NV, Plan, R, S, Tensors, X, XO, Y, YO, layer_table, partial_filter};
use super::program::Buffers;
use crate::dataflow::{Dim, Directive, Extent, Mapping};
use crate::error::{Result, SimError};
use crate::layer::{Layer, MAX_DIM};

/// Where a level directive's size and offset come from.
#[derive(Debug, Clone, Copy)]
enum Source {
    /// A directive of the mapping; `filter` is the size of the level's R (S) directive when the
    /// directive maps Y' (X') and was made input-centric.
    Own { size: Extent, offset: Extent, filter: Option<Extent> },
    /// The previous level's directive at this index, as a temporal loop.
    Inherited(usize),
    /// An input-class dimension the level does not map: its whole extent at this level.
    Whole,
}

/// One level's directives: dimension slot, spatial or not, and source, in final order.
#[derive(Debug, Clone)]
struct LevelShape {
    dirs: Vec<(usize, bool, Source)>,
    dir_of: [usize; NV],
    first_spatial: usize,
}

/// A mapping lowered for layers with given tensors, with every check that does not depend on
/// the layer's sizes done.
#[derive(Debug, Clone)]
pub(crate) struct Shape {
    tensors: Tensors,
    /// Temporal maps on R or S, in mapping order: each must cover the whole filter.
    whole_filter: Vec<(Dim, Extent, Extent, usize)>,
    clusters: Vec<Extent>,
    levels: Vec<LevelShape>,
    /// The layer-table slots that lowering the levels below the top reads (whole-dimension
    /// extents there and in the cluster sizes; R and S, which the stride rewrite reads).
    below_reads: u16,
}

/// What lowering the levels below a plan's top level reads, besides the shape: the shape's
/// slot in its [`CyclesWork`](super::CyclesWork), the strides, the layer-table slots in
/// [`Shape::below_reads`], the dimension table the top level hands down, and the top level's
/// directive sizes and offsets (the next level inherits some). Equal keys, equal levels.
pub(crate) type BelowKey = [i64; BELOW_KEY];

/// The length of a [`BelowKey`].
pub(crate) const BELOW_KEY: usize = 3 + 2 * NV + 2 * MAXD;

/// Where a plan's levels below the top came from (see [`Plan::lower`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Below {
    /// The plan has one level.
    Nothing,
    /// Copied from the inner-level store's entry at this index.
    Stored(usize),
    /// Lowered here, from the values in [`Plan::below_key`].
    Lowered,
}

/// A fingerprint of a [`BelowKey`], compared before the key: a weighted sum of its entries
/// (one multiply-add per entry, none depending on another as in a hash's chain).
pub(crate) fn fingerprint(key: &BelowKey) -> u64 {
    key.iter().zip(1u64..).fold(0u64, |h, (&v, i)| h.wrapping_add((v as u64).wrapping_mul(2 * i + 1)))
}

fn resolvable(e: Extent) -> bool {
    // `Full` extents resolve to a validated layer's dimensions, always within bounds.
    match e {
        Extent::Fixed(v) => (1..=MAX_DIM).contains(&v),
        Extent::Full(_) => true,
    }
}

impl Shape {
    /// The structure of `mapping` for layers with `tensors`, or `None` when lowering fails for
    /// every such layer whatever its sizes (then [`Plan::new`] reports the error).
    pub fn new(mapping: &Mapping, tensors: Tensors) -> Option<Shape> {
        // The checks of Plan::new's first pass, over the whole mapping.
        // Sized for the usual mapping up front: a shape is made for every network costed.
        let mut own: Vec<Vec<(usize, bool, Source)>> = Vec::with_capacity(MAX_LEVELS);
        own.push(Vec::with_capacity(MAXD));
        let mut clusters = Vec::with_capacity(MAX_LEVELS);
        let mut whole_filter = Vec::with_capacity(4);
        for d in mapping.directives() {
            let (spatial, dim, size, offset) = match *d {
                Directive::Cluster(n) => {
                    if own.len() == MAX_LEVELS || !resolvable(n) {
                        return None;
                    }
                    clusters.push(n);
                    own.push(Vec::with_capacity(MAXD));
                    continue;
                }
                Directive::Spatial { dim, size, offset } => (true, dim, size, offset),
                Directive::Temporal { dim, size, offset } => (false, dim, size, offset),
            };
            let base = match dim {
                Dim::G => continue,
                Dim::YOut => Y,
                Dim::XOut => X,
                other => other.idx(),
            };
            if !tensors.class.contains(&base) {
                if spatial {
                    return None;
                }
                continue;
            }
            if !resolvable(size) || !resolvable(offset) {
                return None;
            }
            if !spatial && (base == R || base == S) {
                whole_filter.push((dim, size, offset, base));
            }
            let list = own.last_mut()?;
            list.push((dim.idx(), spatial, Source::Own { size, offset, filter: None }));
            if list.len() > MAX_OWN {
                return None;
            }
        }
        // The structural checks of each level.
        let mut levels: Vec<LevelShape> = Vec::with_capacity(own.len());
        for mut list in own {
            for (out, inp, filt) in [(YO, Y, R), (XO, X, S)] {
                let Some(pos) = list.iter().position(|e| e.0 == out) else {
                    continue;
                };
                if list.iter().any(|e| e.0 == inp) {
                    return None;
                }
                let Some(&(_, _, Source::Own { size: filter, .. })) = list.iter().find(|e| e.0 == filt) else {
                    return None;
                };
                let (var, _, Source::Own { filter: f, .. }) = &mut list[pos] else {
                    return None;
                };
                *var = inp;
                *f = Some(filter);
            }
            if let Some(prev) = levels.last() {
                for (i, &(v, _, _)) in prev.dirs.iter().enumerate() {
                    if !list.iter().any(|e| e.0 == v) {
                        if list.len() == MAX_OWN {
                            return None;
                        }
                        list.insert(0, (v, false, Source::Inherited(i)));
                    }
                }
            }
            for &v in tensors.class {
                if !list.iter().any(|e| e.0 == v) {
                    if list.len() == MAX_OWN {
                        return None;
                    }
                    list.push((v, false, Source::Whole));
                }
            }
            if list.len() > MAXD {
                return None;
            }
            let mut dir_of = [usize::MAX; NV];
            for (i, &(v, _, _)) in list.iter().enumerate() {
                if dir_of[v] != usize::MAX {
                    return None;
                }
                dir_of[v] = i;
            }
            let first_spatial = list.iter().position(|e| e.1)?;
            levels.push(LevelShape { dirs: list, dir_of, first_spatial });
        }
        let full = |e: Extent| match e {
            Extent::Full(d) => 1u16 << d.idx(),
            Extent::Fixed(_) => 0,
        };
        let mut below_reads = 1 << R | 1 << S | clusters.iter().fold(0, |a, &c| a | full(c));
        for ls in levels.iter().skip(1) {
            for &(_, _, source) in &ls.dirs {
                if let Source::Own { size, offset, filter } = source {
                    below_reads |= full(size) | full(offset) | filter.map_or(0, full);
                }
            }
        }
        Some(Shape { tensors, whole_filter, clusters, levels, below_reads })
    }
}

impl Plan {
    /// [`Plan::lower`] into a new plan.
    #[cfg(test)]
    pub fn from_shape(shape: &Shape, layer: &Layer, num_pes: u64) -> Result<Plan> {
        let mut plan = Plan::default();
        plan.lower(shape, layer, num_pes, None)?;
        Ok(plan)
    }

    /// Lower `layer` (validated, with the tensors `shape` was made for) with `num_pes` PEs into
    /// this plan: what [`Plan::new`] returns for the shape's mapping, errors included. In place,
    /// so that a caller lowering many layers reuses one plan and its level buffer; after an
    /// error the plan's content is unspecified.
    ///
    /// With `store` (the shape's slot in its caller, and the caller's buffers), the levels below
    /// the top are copied from the inner-level store when an earlier layer's lowering of them
    /// read the same values ([`BelowKey`]): lowering a level costs more than finding it. The
    /// plan is the same (a stored lowering succeeded, and the same inputs succeed again).
    pub fn lower(
        &mut self,
        shape: &Shape,
        layer: &Layer,
        num_pes: u64,
        store: Option<(usize, &Buffers)>,
    ) -> Result<Below> {
        let table = layer_table(layer);
        let size = |e: Extent| match e {
            Extent::Fixed(v) => v as i64,
            Extent::Full(d) => table[d.idx()],
        };
        for &(dim, sz, offset, base) in &shape.whole_filter {
            let m = size(sz);
            if m < table[base] {
                return Err(partial_filter(layer, dim, sz, offset, m, table[base]));
            }
        }
        let u = shape.clusters.iter().fold(1i64, |a, &c| a.saturating_mul(size(c)));
        let p = num_pes as i64;
        if p < u {
            return Err(SimError::InsufficientPes { layer: layer.name.clone(), needed: u as u64, available: num_pes });
        }
        let levels = &mut self.levels;
        levels.clear();
        // Computed again rather than copied: a copy of the table just written would be read
        // back with wider loads than written, which stalls store forwarding.
        let mut dtab = layer_table(layer);
        let mut below = Below::Nothing;
        for (j, ls) in shape.levels.iter().enumerate() {
            if let (1, Some((slot, buf)), Some(top)) = (j, store, levels.first()) {
                below_key(&mut self.below_key, shape, slot, top, &dtab, &table, layer);
                if let Some(g) = buf.find_below(&self.below_key) {
                    levels.extend_from_slice(&buf.inner[g].levels);
                    below = Below::Stored(g);
                    break;
                }
                below = Below::Lowered;
            }
            let n = if j == 0 { p / u } else { size(shape.clusters[j - 1]) };
            // The directives are written straight into the new level (a copied list would be
            // read back with wider loads than written, which stalls store forwarding).
            levels.push(Level::EMPTY);
            let (done, new) = levels.split_at_mut(j);
            let (Some(level), prev) = (new.first_mut(), done.last()) else { break };
            for (d, &(var, spatial, source)) in level.dirs.iter_mut().zip(&ls.dirs) {
                *d = match (source, prev) {
                    (Source::Own { size: sz, offset, filter }, _) => {
                        Dir { var, spatial, m: size(sz) + filter.map_or(0, |f| size(f) - 1), o: size(offset) }
                    }
                    (Source::Inherited(i), Some(prev)) => Dir { spatial: false, ..prev.dirs[i] },
                    // (The top level inherits nothing: `Shape::new` adds inherited directives
                    // only below a level.)
                    (Source::Whole, _) | (Source::Inherited(_), None) => {
                        Dir { var, spatial: false, m: dtab[var], o: dtab[var] }
                    }
                };
                stride_rewrite(d, layer, j == 0);
            }
            let len = ls.dirs.len();
            check_tiles(&level.dirs[..len], &ls.dir_of, j, layer)?;
            finish_level(level, len, n, ls.first_spatial, &ls.dir_of, &mut dtab, &shape.tensors);
        }
        self.tensors = shape.tensors;
        self.top_table = table;
        Ok(below)
    }
}

/// Write the [`BelowKey`] of a plan whose top level is `top`, handing down `dtab`, for a layer
/// with table `table`.
fn below_key(
    key: &mut BelowKey,
    shape: &Shape,
    slot: usize,
    top: &Level,
    dtab: &[i64; NV],
    table: &[i64; NV],
    layer: &Layer,
) {
    key[0] = slot as i64;
    key[1] = layer.stride_y as i64;
    key[2] = layer.stride_x as i64;
    for v in 0..NV {
        key[3 + v] = if shape.below_reads & (1 << v) != 0 { table[v] } else { 0 };
        key[3 + NV + v] = dtab[v];
    }
    for (i, d) in top.dirs.iter().enumerate() {
        key[3 + 2 * NV + 2 * i] = d.m;
        key[4 + 2 * NV + 2 * i] = d.o;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataflow::Dataflow;
    use crate::model::plan::tensors_of;
    use proptest::prelude::*;

    fn layer() -> impl Strategy<Value = Layer> {
        (0u8..4, 1u64..40, 1u64..40, 1u64..6, 1u64..6, 0u64..20, 0u64..20, 1u64..4).prop_map(
            |(kind, k, c, r, s, dy, dx, stride)| match kind {
                0 => Layer::depthwise("d", c, r, s, r + dy, s + dx, stride),
                1 => Layer::grouped("g", 2, 2 * k, 2 * c, r, s, r + dy, s + dx, stride).expect("valid"),
                2 => Layer::fc("f", k, c),
                _ => Layer::conv("c", k, c, r, s, r + dy, s + dx, stride),
            },
        )
    }

    fn mapping() -> impl Strategy<Value = Mapping> {
        let dims = [Dim::G, Dim::K, Dim::C, Dim::R, Dim::S, Dim::Y, Dim::X, Dim::YOut, Dim::XOut];
        let dir = (0usize..9, 0u64..12, 0u64..12, 0u8..10).prop_map(move |(d, m, o, kind)| {
            let size = match m {
                0 => Extent::Full(Dim::R),
                1 => Extent::Full(Dim::S),
                2 => Extent::Full(dims[d]),
                m => Extent::Fixed(m - 3),
            };
            let offset = if o < 3 { size } else { Extent::Fixed(o - 3) };
            match kind {
                0 => Directive::Cluster(Extent::Fixed(m % 5)),
                1..=4 => Directive::Spatial { dim: dims[d], size, offset },
                _ => Directive::Temporal { dim: dims[d], size, offset },
            }
        });
        proptest::collection::vec(dir, 1..16).prop_map(Mapping)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn a_shape_lowers_every_layer_as_plan_new_does(m in mapping(), l in layer(), pes in 1u64..300) {
            l.validate().expect("valid layer");
            let direct = format!("{:?}", Plan::new(&l, &m, pes));
            match Shape::new(&m, tensors_of(l.kind)) {
                Some(shape) => prop_assert_eq!(format!("{:?}", Plan::from_shape(&shape, &l, pes)), direct),
                // No shape: the mapping fails for every layer of the kind.
                None => prop_assert!(direct.starts_with("Err"), "{}", direct),
            }
        }
    }

    #[test]
    fn the_built_in_dataflows_have_shapes_for_every_layer_kind() {
        for df in Dataflow::BUILT_IN {
            for l in [Layer::conv("c", 8, 8, 3, 3, 9, 9, 1), Layer::depthwise("d", 8, 3, 3, 9, 9, 1)] {
                let m = df.mapping_for(64, l.kind == crate::layer::LayerType::DsConv);
                assert!(Shape::new(&m, tensors_of(l.kind)).is_some(), "{df} {}", l.kind);
            }
        }
    }
}
