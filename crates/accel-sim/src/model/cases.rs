//! Iteration states and the per-case data volumes of one cluster level (SPEC §4–§5).

use super::fold::Fold;
use super::plan::{Level, MAXD, NV, X, XO, Y, YO};

/// Where a directive's loop is in its iteration space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Pos {
    #[default]
    Init,
    Steady,
    Edge,
}

/// One iteration state of a directive, with its repeat count.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct St {
    pub pos: Pos,
    pub occ: i64,
    pub unrolled: bool,
    /// At an edge: the Edge state, or an Init state whose tile is partial (stored, as it is
    /// read for every directive of every case).
    pub at_edge: bool,
    /// A spatial fold whose last sub-cluster holds a partial tile.
    pub ee: bool,
}

impl St {
    #[inline]
    pub fn edge(&self) -> bool {
        self.at_edge
    }
}

/// The states of directive `(m, o)` over a dimension of dynamic size `d` spread over `n` sub-clusters.
#[inline]
pub(crate) fn states(spatial: bool, m: i64, o: i64, d: i64, n: i64, out: &mut [St; 3]) -> usize {
    let mut len = 0;
    let mut push = |s: St| {
        out[len] = s;
        len += 1;
    };
    if !spatial {
        push(St { pos: Pos::Init, occ: 1, unrolled: d <= m, at_edge: d < m, ee: false });
        if d <= m {
            // Covered in one step: no Steady or Edge state (and no division).
            return len;
        }
        let ns = div(d - m, o);
        if m < d && ns > 0 {
            push(St { pos: Pos::Steady, occ: ns, ..St::default() });
        }
        if d >= m && ns * o + m < d {
            push(St { pos: Pos::Edge, occ: 1, at_edge: true, ..St::default() });
        }
    } else {
        let cov = m + o * (n - 1);
        push(St { pos: Pos::Init, occ: 1, unrolled: d <= cov, at_edge: d < cov, ee: d < cov });
        if d <= cov {
            // One fold covers the dimension: no Steady or Edge state.
            return len;
        }
        let ns = (div(d - m, o) + 1) / n - 1;
        if cov < d && ns > 0 {
            push(St { pos: Pos::Steady, occ: ns, ..St::default() });
        }
        let rem = d - (ns + 1) * o * n;
        let a = if rem < m { 1 } else { div(rem - m, o) + 1 };
        let ee = (a - 1) * o + m < rem;
        if d > cov && (ns + 1) * o * n + cov > d && ns * o * n + cov != d {
            push(St { pos: Pos::Edge, occ: 1, at_edge: true, ee, ..St::default() });
        }
    }
    len
}

/// `a / b` (truncating), without the division for the unit offsets most directives have.
#[inline]
pub(crate) fn div(a: i64, b: i64) -> i64 {
    if b == 1 { a } else { a / b }
}

/// Saturating `i64` addition that branches to the saturated value instead of computing it on
/// every call: the same result as `saturating_add`, but two instructions on the path taken
/// (no realistic layer saturates) instead of six, on the per-case paths of the cost model.
pub(crate) trait SatAdd {
    /// `self.saturating_add(b)`.
    fn sat_add(self, b: i64) -> i64;
}

impl SatAdd for i64 {
    #[inline(always)]
    fn sat_add(self, b: i64) -> i64 {
        match self.checked_add(b) {
            Some(v) => v,
            // Only operands of one sign overflow: towards the sign of either.
            None if self < 0 => i64::MIN,
            None => i64::MAX,
        }
    }
}

fn nz(x: i64) -> i64 {
    if x == 0 { 1 } else { x }
}

/// One case of a level: every directive's state fixed.
pub(crate) struct Case<'a> {
    pub lv: &'a Level,
    fold: &'a Fold,
    /// States by directive index; only the active directives' entries are read.
    pub st: &'a [St; MAXD],
    /// Innermost directive that is not at Init, if any.
    pub chg: Option<usize>,
}

impl<'a> Case<'a> {
    /// `chg` is the innermost active directive whose state is not Init.
    #[inline]
    pub fn new(lv: &'a Level, fold: &'a Fold, st: &'a [St; MAXD], chg: Option<usize>) -> Case<'a> {
        Case { lv, fold, st, chg }
    }

    #[inline]
    pub fn all_init(&self) -> bool {
        self.chg.is_none()
    }

    /// New data a PE receives for input (`tensor` 0) or filter (1), for the four flag pairs
    /// `(first, ee)`, indexed `first << 1 | ee`, written into `out` (in place: the caller reads
    /// it element by element right away, and wider loads of a returned copy would stall store
    /// forwarding).
    ///
    /// Every factor of an input or filter volume is non-negative, so the saturating product does
    /// not depend on the order of its factors: the flag-independent factors are multiplied once,
    /// and only the spatial directives' factors per flag pair.
    pub fn ingress(&self, tensor: usize, out: &mut [i64; 4]) {
        let p = &self.fold.ingress[tensor];
        let t = &self.lv.tables;
        let mut base = p.c;
        *out = [1i64; 4];
        let mut by_flags = |f: [i64; 4]| {
            for (o, x) in out.iter_mut().zip(f) {
                *o = o.saturating_mul(x);
            }
        };
        match self.chg {
            None => {
                // Every directive at Init: the PE's mapped volume.
                let nec = self.lv.nec;
                for i in p.idx() {
                    let d = self.lv.dirs[i];
                    let s = self.st[i];
                    let w = d.var;
                    if !d.spatial {
                        base = base.saturating_mul(if s.edge() { t.me[w] } else { t.m[w] });
                    } else if !s.edge() {
                        base = base.saturating_mul(t.m[w]);
                    } else if nec == 1 {
                        by_flags([1, t.me[w], t.me[w], t.me[w]]);
                    } else {
                        by_flags([t.m[w], t.me[w], t.m[w], t.me[w]]);
                    }
                }
            }
            Some(chg) => {
                if p.mask & (1 << self.lv.dirs[chg].var) == 0 {
                    *out = [0; 4];
                    return;
                }
                // The tensor must be reloaded because an inner, not fully unrolled loop restarted.
                let inited = p.idx().any(|i| i > chg && self.st[i].pos == Pos::Init && !self.st[i].unrolled);
                for i in p.idx() {
                    let d = self.lv.dirs[i];
                    let s = self.st[i];
                    let w = d.var;
                    let fresh = i == chg && !inited;
                    if !d.spatial {
                        let f = match s.pos {
                            Pos::Init if s.edge() => t.me[w],
                            Pos::Init => t.m[w],
                            _ if fresh => t.u[w].max(1),
                            _ => t.m[w],
                        };
                        base = base.saturating_mul(f);
                        continue;
                    }
                    // (first, ee) = (0,0), (0,1), (1,0), (1,1); the full tile is m or me by ee.
                    let step = match s.pos {
                        Pos::Init => i > chg,
                        _ => fresh,
                    };
                    by_flags(if step {
                        [t.u[w], t.ue[w], t.m[w], t.me[w]]
                    } else {
                        [t.m[w], t.me[w], t.m[w], t.me[w]]
                    });
                }
            }
        }
        for o in out.iter_mut() {
            *o = o.saturating_mul(base);
        }
    }

    /// Output volume a PE produces (`psum`: including the reduction dimensions).
    pub fn egress(&self, psum: bool, first: bool, ee: bool, reuse: bool) -> i64 {
        let t = &self.lv.tables;
        let nec = self.lv.nec;
        let mut v = 1i64;
        if psum {
            v = self.fold.psum.c;
            for i in self.fold.psum.idx() {
                let d = self.lv.dirs[i];
                let s = self.st[i];
                let w = d.var;
                let f = if !d.spatial {
                    if s.edge() { t.me[w] } else { t.m[w] }
                } else {
                    match s.pos {
                        Pos::Init if s.edge() && ee => t.me[w],
                        Pos::Init | Pos::Steady => {
                            if first {
                                t.m[w]
                            } else {
                                nz(t.u[w])
                            }
                        }
                        Pos::Edge if nec == 1 => {
                            if first || ee {
                                t.me[w]
                            } else {
                                1
                            }
                        }
                        Pos::Edge => {
                            if ee {
                                t.ue[w]
                            } else if first {
                                t.m[w]
                            } else {
                                nz(t.u[w])
                            }
                        }
                    }
                };
                v = v.saturating_mul(f);
            }
        }
        v = v.saturating_mul(self.fold.out_c);
        for (i, w, a) in self.fold.outs() {
            let d = self.lv.dirs[i];
            let s = self.st[i];
            let f = if !d.spatial {
                match s.pos {
                    Pos::Init => {
                        if s.edge() {
                            t.me[a]
                        } else {
                            t.m[a]
                        }
                    }
                    Pos::Steady => t.m[a],
                    Pos::Edge => t.me[a],
                }
            } else {
                match s.pos {
                    Pos::Init if s.edge() && ee => {
                        if nec == 1 || !reuse {
                            t.me[a]
                        } else {
                            t.ue[a]
                        }
                    }
                    Pos::Init | Pos::Steady => {
                        if first {
                            t.m[a]
                        } else {
                            nz(t.u[a])
                        }
                    }
                    // MAESTRO reads the input-side key here (quirk kept on purpose, SPEC §5).
                    Pos::Edge if nec == 1 => {
                        if first || ee {
                            t.me[w]
                        } else {
                            1
                        }
                    }
                    Pos::Edge => {
                        if ee {
                            t.ue[a]
                        } else if first {
                            t.m[a]
                        } else {
                            nz(t.u[a])
                        }
                    }
                }
            };
            v = v.saturating_mul(f);
        }
        v
    }

    /// Spatial summary over the directives on tensor `k`'s variables (0 input, 1 filter,
    /// 2 output): (any spatial, state of the last one, any edge).
    #[inline]
    pub fn spatial_summary(&self, k: usize) -> (bool, St, bool) {
        self.summary(self.fold.spatial(k))
    }

    /// Spatial summary over every directive of the level.
    #[inline]
    pub fn spatial_summary_all(&self) -> (bool, St, bool) {
        self.summary(self.fold.spatial(3))
    }

    #[inline]
    fn summary(&self, spatial: &[u8]) -> (bool, St, bool) {
        let mut st = St::default();
        let mut sp_edge = false;
        for &i in spatial {
            st = self.st[usize::from(i)];
            sp_edge |= st.edge();
        }
        (!spatial.is_empty(), st, sp_edge)
    }

    /// Sum of a per-PE volume over the level's sub-clusters (SPEC §5, spatial aggregation).
    #[inline]
    pub fn aggregate(&self, summary: (bool, St, bool), mut f: impl FnMut(bool, bool) -> i64) -> i64 {
        let (sp, st, sp_edge) = summary;
        let n = self.lv.n;
        let nec = self.lv.nec;
        if !sp {
            return f(true, false);
        }
        if !sp_edge {
            return f(true, false).sat_add((n - 1).saturating_mul(f(false, false)));
        }
        let mut v = if nec == 1 && st.ee { f(true, true) } else { f(true, false) };
        if nec > 1 {
            let e = i64::from(st.ee);
            v = v
                .sat_add((nec - e - 1).max(0).saturating_mul(f(false, false)))
                .sat_add(e.saturating_mul(f(false, true)));
        }
        v
    }

    /// Dimension table handed to the next level for this case, from its edge mask (bit `k`:
    /// active directive `k` hands down its edge tile; see [`sub_edge_bits`]).
    pub fn sub_table(&self, mask: u16) -> [i64; NV] {
        use super::plan::{R, S};
        let t = &self.lv.tables;
        let mut out = self.fold.sub_fixed;
        for (k, i) in self.fold.actives().enumerate() {
            let w = self.lv.dirs[i].var;
            out[w] = if mask & (1 << k) != 0 { t.me[w] } else { t.m[w] };
        }
        out[YO] = out[Y] - out[R] + 1;
        out[XO] = out[X] - out[S] + 1;
        out
    }
}

/// Whether a directive in state `s` hands its edge tile (rather than its full tile) to the next
/// level: bit 0 for a sub-cluster without the spatial edge flag, bit 1 for one with it. The
/// sub-level table of a case is fixed by these bits over its active directives, so cases with
/// equal masks share one sub-level analysis.
pub(crate) fn sub_edge_bits(spatial: bool, s: St, nec: i64) -> u8 {
    let edge = |ee: bool| {
        if !spatial {
            s.edge()
        } else {
            match s.pos {
                Pos::Init => s.edge() && (nec == 1 || ee),
                Pos::Steady => false,
                Pos::Edge => nec == 1 || ee,
            }
        }
    };
    u8::from(edge(false)) | u8::from(edge(true)) << 1
}

/// Directive `i`'s factors of the partial-sum part of the output volumes in state `s`, by
/// `first << 1 | ee` (the reduction loop of [`Case::egress`]).
pub(crate) fn psum_factors(lv: &Level, i: usize, s: St) -> [i64; 4] {
    let t = &lv.tables;
    let d = lv.dirs[i];
    let w = d.var;
    if !d.spatial {
        return [if s.edge() { t.me[w] } else { t.m[w] }; 4];
    }
    let step = nz(t.u[w]);
    // (first, ee) = (0,0), (0,1), (1,0), (1,1)
    match s.pos {
        Pos::Init if s.edge() => [step, t.me[w], t.m[w], t.me[w]],
        Pos::Init | Pos::Steady => [step, step, t.m[w], t.m[w]],
        Pos::Edge if lv.nec == 1 => [1, t.me[w], t.me[w], t.me[w]],
        Pos::Edge => [step, t.ue[w], t.m[w], t.ue[w]],
    }
}

/// Directive `i`'s factors of the output part of the output volumes in state `s`, by
/// `first << 2 | ee << 1 | reuse`; it maps output variable `w`, whose table slot is `a` (the
/// output loop of [`Case::egress`]).
pub(crate) fn out_factors(lv: &Level, i: usize, w: usize, a: usize, s: St) -> [i64; 8] {
    let t = &lv.tables;
    if !lv.dirs[i].spatial {
        let f = match s.pos {
            Pos::Init if s.edge() => t.me[a],
            Pos::Init | Pos::Steady => t.m[a],
            Pos::Edge => t.me[a],
        };
        return [f; 8];
    }
    let step = nz(t.u[a]);
    // (first, ee, reuse) from (0,0,0) to (1,1,1)
    match s.pos {
        Pos::Init if s.edge() => {
            let e = if lv.nec == 1 { [t.me[a]; 2] } else { [t.me[a], t.ue[a]] };
            [step, step, e[0], e[1], t.m[a], t.m[a], e[0], e[1]]
        }
        Pos::Init | Pos::Steady => [step, step, step, step, t.m[a], t.m[a], t.m[a], t.m[a]],
        // MAESTRO reads the input-side key here (quirk kept on purpose, SPEC §5).
        Pos::Edge if lv.nec == 1 => [1, 1, t.me[w], t.me[w], t.me[w], t.me[w], t.me[w], t.me[w]],
        Pos::Edge => [step, step, t.ue[a], t.ue[a], t.m[a], t.m[a], t.ue[a], t.ue[a]],
    }
}

#[cfg(test)]
mod tests {
    use super::SatAdd;
    use proptest::prelude::*;

    fn operand() -> impl Strategy<Value = i64> {
        prop_oneof![
            any::<i64>(),
            Just(i64::MAX),
            Just(i64::MIN),
            Just(0),
            Just(-1),
            (-4i64..4).prop_map(|d| d + (1 << 62))
        ]
    }

    proptest! {
        #[test]
        fn sat_add_is_saturating_add(a in operand(), b in operand()) {
            prop_assert_eq!(a.sat_add(b), a.saturating_add(b));
        }
    }
}
