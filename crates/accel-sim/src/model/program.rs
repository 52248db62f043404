//! The runtime program a level analysis leaves behind (SPEC §7): per distinct case, what its
//! delay depends on, priced at any NoC / off-chip bandwidth in a few nanoseconds per case.

use super::analysis::{FactorTables, SubResult};
use super::cases::SatAdd;
use super::level::Level;
use super::plan::{MAX_LEVELS, NV};
use super::shape::{BelowKey, fingerprint};
use rustc_hash::FxHashMap;

/// Bandwidth-side parameters of a runtime evaluation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bandwidth {
    pub noc: i64,
    pub offchip: i64,
    pub latency: i64,
    pub vector_width: i64,
}

/// How long a case computes: partial sums of one PE, or the slowest of up to two sub-level runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compute {
    Leaf(i64),
    Sub(usize, Option<usize>),
}

/// A group of cases that cost the same at every bandwidth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CaseRec {
    pub occ: i64,
    pub ingress: i64,
    pub egress: i64,
    pub compute: Compute,
    pub all_init: bool,
}

/// The runtime of one level analysis as a function of bandwidth: a range of [`Program`] cases.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Node {
    pub start: usize,
    pub end: usize,
    /// Top level only: (input + weight, output) L2 requirement, for the off-chip floor.
    pub floor: Option<(i64, i64)>,
}

/// Runtime programs of all level analyses of a layer; children come before parents.
#[derive(Debug, Clone, Default)]
pub(crate) struct Program {
    pub nodes: Vec<Node>,
    pub cases: Vec<CaseRec>,
}

impl Bandwidth {
    /// Delay of moving `traffic` elements over the NoC. Saturating: the cycles-only analysis
    /// prices cases before the access counts are checked for overflow. Unit bandwidth (the
    /// overflow check's) skips the division.
    #[inline]
    fn noc_delay(&self, traffic: i64) -> i64 {
        if traffic <= 0 {
            return self.latency - 1;
        }
        let steps = if self.noc == 1 { traffic } else { traffic.sat_add(self.noc - 1) / self.noc };
        self.latency.sat_add(steps) - 1
    }

    /// The off-chip floor of a top-level case from the level's (input + weight, output) L2 needs.
    #[inline]
    pub fn floor(&self, floor: Option<(i64, i64)>) -> i64 {
        let bw = self.offchip;
        floor.map_or(0, |(iw, o)| if bw == 1 { (iw / 2).max(o / 2) } else { ((iw / bw) / 2).max((o / bw) / 2) })
    }

    /// Cycles of one occurrence of a case: `comp` is the time of its sub-level runs, or `None`
    /// for an innermost case whose PEs compute `cps` partial sums.
    #[inline]
    pub fn case_time(&self, ingress: i64, egress: i64, all_init: bool, cps: i64, comp: Option<i64>) -> i64 {
        let comp = comp.unwrap_or_else(|| {
            if self.vector_width == 1 { cps } else { cps.sat_add(self.vector_width - 1) / self.vector_width }
        });
        let di = self.noc_delay(ingress);
        if all_init { comp.sat_add(di) } else { self.noc_delay(egress).max(comp).max(di) }
    }
}

impl Program {
    /// Cycles of the top level at the given bandwidths. Inlined, so that a call with constant
    /// bandwidths (the overflow check at the slowest ones) has no divisions left.
    #[inline]
    pub fn runtime(&self, bw: &Bandwidth, scratch: &mut Vec<i64>) -> i64 {
        scratch.clear();
        for node in &self.nodes {
            let floor = bw.floor(node.floor);
            let mut total = 0i64;
            for c in &self.cases[node.start..node.end] {
                let (cps, comp) = match c.compute {
                    Compute::Leaf(cps) => (cps, None),
                    Compute::Sub(a, b) => (0, Some(scratch[a].max(b.map_or(0, |b| scratch[b])))),
                };
                let t = bw.case_time(c.ingress, c.egress, c.all_init, cps, comp);
                total = total.sat_add(c.occ.saturating_mul(t.max(floor)));
            }
            scratch.push(total);
        }
        scratch.last().copied().unwrap_or(0)
    }
}

/// Finished analyses of one stack of inner levels by cycles-only analyzers, kept for the
/// network's later layers: the same levels (from this one down), tensors and dimension table
/// give the same result at the same bandwidths. Many layers of a network share their inner
/// levels (a KC-P or YR-P cluster sees the same tiles whatever the layer's outer sizes).
#[derive(Debug, Clone)]
pub(crate) struct Inner {
    pub masks: (u16, u16, u16),
    pub levels: Vec<Level>,
    /// (dimension table, result) of each analysis.
    pub runs: Vec<([i64; NV], SubResult)>,
}

/// Most analyses the inner-level store keeps before it starts again. It is searched linearly:
/// unbounded, a network whose inner levels or their tiles all differ (a mapping that hands a
/// whole layer dimension down to a cluster) would cost time quadratic in its distinct layers.
pub(crate) const STORE_LIMIT: usize = 256;

/// The growable storage of an analysis, kept between layers by callers that analyse many
/// (so a network costs no allocation per layer once the buffers have grown).
#[derive(Debug, Default)]
pub(crate) struct Buffers {
    /// Finished sub-level analyses of earlier layers (cycles-only analyzers at one pair of
    /// bandwidths; emptied by [`Buffers::clear`] only when it holds more than [`STORE_LIMIT`]).
    pub inner: Vec<Inner>,
    /// The number of analyses in `inner`.
    pub stored: usize,
    /// The entry of `inner` for the levels below the top that each [`BelowKey`] lowers to, by
    /// the key's fingerprint (one key per fingerprint; emptied with `inner`, and when it holds
    /// [`STORE_LIMIT`] keys).
    below: FxHashMap<u64, (BelowKey, usize)>,
    /// The layer in progress: the entry of `inner` for its levels from each depth down, or
    /// `usize::MAX` before its first use (reset by [`Buffers::clear`]).
    pub group_at: [usize; MAX_LEVELS],
    /// Finished sub-level analyses of the layer in progress (full analyses; cycles-only ones use
    /// `inner`): (level, dimension table, result).
    pub memo: Vec<(usize, [i64; NV], SubResult)>,
    /// Case records of the level analyses in progress, innermost last.
    pub stack: Vec<CaseRec>,
    pub program: Program,
    /// The factor tables of each level depth, reused by the next analysis at that depth.
    pub factors: Vec<Option<Box<FactorTables>>>,
}

impl Buffers {
    /// The entry of the inner-level store for the levels below the top that `key` lowers to.
    pub fn find_below(&self, key: &BelowKey) -> Option<usize> {
        self.below.get(&fingerprint(key)).filter(|(k, _)| k == key).map(|&(_, g)| g)
    }

    /// File `key` under the inner-level store's entry `g` (for [`Buffers::find_below`]).
    pub fn file_below(&mut self, key: &BelowKey, g: usize) {
        if self.below.len() >= STORE_LIMIT {
            self.below.clear();
        }
        self.below.entry(fingerprint(key)).or_insert((*key, g));
    }

    /// Empty every per-layer buffer, keeping its capacity (and the inner-level store, unless it
    /// is full).
    pub fn clear(&mut self) {
        if self.stored > STORE_LIMIT {
            self.inner.clear();
            self.below.clear();
            self.stored = 0;
        }
        self.group_at = [usize::MAX; MAX_LEVELS];
        self.memo.clear();
        self.stack.clear();
        self.program.nodes.clear();
        self.program.cases.clear();
    }
}
