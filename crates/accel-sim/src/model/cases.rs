//! Iteration states and the per-case data volumes of one cluster level (SPEC §4–§5).

use super::plan::{Level, MAXD, NV, Tables, Tensors, X, XO, Y, YO};

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
    pub init_edge: bool,
    /// A spatial fold whose last sub-cluster holds a partial tile.
    pub ee: bool,
}

impl St {
    pub fn edge(&self) -> bool {
        self.pos == Pos::Edge || self.init_edge
    }
}

/// The states of directive `(m, o)` over a dimension of dynamic size `d` spread over `n` sub-clusters.
pub(crate) fn states(spatial: bool, m: i64, o: i64, d: i64, n: i64, out: &mut [St; 3]) -> usize {
    let mut len = 0;
    let mut push = |s: St| {
        out[len] = s;
        len += 1;
    };
    if !spatial {
        push(St { pos: Pos::Init, occ: 1, unrolled: d <= m, init_edge: d < m, ee: false });
        let ns = (d - m) / o;
        if m < d && ns > 0 {
            push(St { pos: Pos::Steady, occ: ns, ..St::default() });
        }
        if d >= m && ns * o + m < d {
            push(St { pos: Pos::Edge, occ: 1, ..St::default() });
        }
    } else {
        let cov = m + o * (n - 1);
        push(St { pos: Pos::Init, occ: 1, unrolled: d <= cov, init_edge: d < cov, ee: d < cov });
        let ns = ((d - m) / o + 1) / n - 1;
        if cov < d && ns > 0 {
            push(St { pos: Pos::Steady, occ: ns, ..St::default() });
        }
        let rem = d - (ns + 1) * o * n;
        let a = if rem < m { 1 } else { (rem - m) / o + 1 };
        let ee = (a - 1) * o + m < rem;
        if d > cov && (ns + 1) * o * n + cov > d && ns * o * n + cov != d {
            push(St { pos: Pos::Edge, occ: 1, ee, ..St::default() });
        }
    }
    len
}

fn nz(x: i64) -> i64 {
    if x == 0 { 1 } else { x }
}

/// What every case of a level shares.
///
/// A temporal directive with a single state covers its whole dimension, so it contributes the same
/// factor to every volume of every case (its Init factor, whatever the flags or the changing
/// directive). Those factors are multiplied once here, and the per-case products run only over the
/// *active* directives (spatial, or with more than one state): usually two to four of up to nine.
pub(crate) struct Fold {
    /// Active directives, in directive order.
    pub active: [usize; MAXD],
    /// Number of active directives.
    pub nact: usize,
    /// Input and filter: the constant factor and the active directives on the tensor.
    ingress: [Part; 2],
    /// Reduction directives (not on the output), for partial sums.
    psum: Part,
    /// Output variables: the constant factor and the active (directive, variable, output slot) triples.
    out_c: i64,
    out: [(usize, usize, usize); NV],
    nout: usize,
    /// Spatial directives on the input, filter and output variables, in the tensor's variable order.
    spatial: [([usize; NV], usize); 3],
    /// Sub-level table entries of the single-state directives.
    sub_fixed: [i64; NV],
    /// Every spatial directive, in directive order.
    spatial_all: ([usize; MAXD], usize),
}

#[derive(Clone, Copy)]
struct Part {
    c: i64,
    idx: [usize; MAXD],
    n: usize,
    mask: u16,
}

impl Part {
    fn idx(&self) -> &[usize] {
        &self.idx[..self.n]
    }
}

/// A single-state temporal directive's factor for variable slot `a`.
fn fixed_factor(t: &Tables, s: St, a: usize) -> i64 {
    if s.edge() { t.me[a] } else { t.m[a] }
}

impl Fold {
    /// `sts[i][0]` is directive i's first state, `cnt[i]` its number of states.
    pub fn new(lv: &Level, tz: &Tensors, sts: &[[St; 3]; MAXD], cnt: &[usize; MAXD]) -> Fold {
        let t = &lv.tables;
        let is_active = |i: usize| lv.dirs[i].spatial || cnt[i] > 1;
        let mut active = [0usize; MAXD];
        let mut nact = 0;
        for i in 0..lv.len {
            if is_active(i) {
                active[nact] = i;
                nact += 1;
            }
        }
        let part = |mask: u16, inside: bool| -> Part {
            let mut p = Part { c: 1, idx: [0; MAXD], n: 0, mask };
            for (i, d) in lv.dirs().iter().enumerate() {
                if (mask & (1 << d.var) != 0) != inside {
                    continue;
                }
                if is_active(i) {
                    p.idx[p.n] = i;
                    p.n += 1;
                } else {
                    p.c = p.c.saturating_mul(fixed_factor(t, sts[i][0], d.var));
                }
            }
            p
        };
        let ingress = [part(tz.input_mask, true), part(tz.filter_mask, true)];
        let psum = part(tz.output_mask, false);
        let mut out_c = 1i64;
        let mut out = [(0usize, 0usize, 0usize); NV];
        let mut nout = 0;
        for &w in tz.output {
            let i = lv.dir_of[w];
            let a = match w {
                Y => YO,
                X => XO,
                other => other,
            };
            if is_active(i) {
                out[nout] = (i, w, a);
                nout += 1;
            } else {
                out_c = out_c.saturating_mul(fixed_factor(t, sts[i][0], a));
            }
        }
        let mut spatial = [([0usize; NV], 0usize); 3];
        for (k, vars) in [tz.input, tz.filter, tz.output].into_iter().enumerate() {
            for &w in vars {
                let i = lv.dir_of[w];
                if lv.dirs[i].spatial {
                    let (list, n) = &mut spatial[k];
                    list[*n] = i;
                    *n += 1;
                }
            }
        }
        let mut sub_fixed = [0i64; NV];
        for (i, d) in lv.dirs().iter().enumerate() {
            if !is_active(i) {
                sub_fixed[d.var] = fixed_factor(t, sts[i][0], d.var);
            }
        }
        let mut spatial_all = ([0usize; MAXD], 0usize);
        for (i, d) in lv.dirs().iter().enumerate() {
            if d.spatial {
                spatial_all.0[spatial_all.1] = i;
                spatial_all.1 += 1;
            }
        }
        Fold { active, nact, ingress, psum, out_c, out, nout, spatial, sub_fixed, spatial_all }
    }
}

/// One case of a level: every directive's state fixed.
pub(crate) struct Case<'a> {
    pub lv: &'a Level,
    fold: &'a Fold,
    /// States by directive index; only the active directives' entries are read.
    pub st: [St; MAXD],
    /// Innermost directive that is not at Init, if any.
    pub chg: Option<usize>,
}

impl<'a> Case<'a> {
    pub fn new(lv: &'a Level, fold: &'a Fold, st: [St; MAXD]) -> Case<'a> {
        let chg = fold.active[..fold.nact].iter().rev().copied().find(|&i| st[i].pos != Pos::Init);
        Case { lv, fold, st, chg }
    }

    pub fn all_init(&self) -> bool {
        self.chg.is_none()
    }

    /// PE mapped volume of input (`tensor` 0) or filter (1).
    fn mapped(&self, p: &Part, first: bool, ee: bool) -> i64 {
        let t = &self.lv.tables;
        let nec = self.lv.nec;
        let mut v = p.c;
        for &i in p.idx() {
            let d = self.lv.dirs[i];
            let s = self.st[i];
            let f = if !d.spatial {
                if s.edge() { t.me[d.var] } else { t.m[d.var] }
            } else if s.edge() {
                if nec == 1 {
                    if first || ee { t.me[d.var] } else { 1 }
                } else if ee {
                    t.me[d.var]
                } else {
                    t.m[d.var]
                }
            } else {
                t.m[d.var]
            };
            v = v.saturating_mul(f);
        }
        v
    }

    /// New data a PE receives for input (`tensor` 0) or filter (1).
    pub fn ingress(&self, tensor: usize, first: bool, ee: bool) -> i64 {
        let p = &self.fold.ingress[tensor];
        let Some(chg) = self.chg else {
            return self.mapped(p, first, ee);
        };
        if p.mask & (1 << self.lv.dirs[chg].var) == 0 {
            return 0;
        }
        let t = &self.lv.tables;
        // The tensor must be reloaded because an inner, not fully unrolled loop restarted.
        let inited = p.idx().iter().any(|&i| i > chg && self.st[i].pos == Pos::Init && !self.st[i].unrolled);
        let mut v = p.c;
        for &i in p.idx() {
            let d = self.lv.dirs[i];
            let s = self.st[i];
            let mx = if ee { t.me[d.var] } else { t.m[d.var] };
            let ux = if ee { t.ue[d.var] } else { t.u[d.var] };
            let f = match (d.spatial, s.pos) {
                (false, Pos::Init) => {
                    if s.edge() {
                        t.me[d.var]
                    } else {
                        t.m[d.var]
                    }
                }
                (false, _) => {
                    if i == chg && !inited {
                        t.u[d.var].max(1)
                    } else {
                        t.m[d.var]
                    }
                }
                (true, Pos::Init) => {
                    if first || i <= chg {
                        mx
                    } else {
                        ux
                    }
                }
                (true, _) => {
                    if first {
                        mx
                    } else if i == chg && !inited {
                        ux
                    } else {
                        mx
                    }
                }
            };
            v = v.saturating_mul(f);
        }
        v
    }

    /// Output volume a PE produces (`psum`: including the reduction dimensions).
    pub fn egress(&self, psum: bool, first: bool, ee: bool, reuse: bool) -> i64 {
        let t = &self.lv.tables;
        let nec = self.lv.nec;
        let mut v = 1i64;
        if psum {
            v = self.fold.psum.c;
            for &i in self.fold.psum.idx() {
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
        for &(i, w, a) in &self.fold.out[..self.fold.nout] {
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
    pub fn spatial_summary(&self, k: usize) -> (bool, St, bool) {
        let (list, n) = &self.fold.spatial[k];
        self.summary(&list[..*n])
    }

    /// Spatial summary over every directive of the level.
    pub fn spatial_summary_all(&self) -> (bool, St, bool) {
        let (list, n) = &self.fold.spatial_all;
        self.summary(&list[..*n])
    }

    fn summary(&self, spatial: &[usize]) -> (bool, St, bool) {
        let mut st = St::default();
        let mut sp_edge = false;
        for &i in spatial {
            st = self.st[i];
            sp_edge |= st.edge();
        }
        (!spatial.is_empty(), st, sp_edge)
    }

    /// Sum of a per-PE volume over the level's sub-clusters (SPEC §5, spatial aggregation).
    pub fn aggregate(&self, summary: (bool, St, bool), mut f: impl FnMut(bool, bool) -> i64) -> i64 {
        let (sp, st, sp_edge) = summary;
        let n = self.lv.n;
        let nec = self.lv.nec;
        if !sp {
            return f(true, false);
        }
        if !sp_edge {
            return f(true, false).saturating_add((n - 1).saturating_mul(f(false, false)));
        }
        let mut v = if nec == 1 && st.ee { f(true, true) } else { f(true, false) };
        if nec > 1 {
            let e = i64::from(st.ee);
            v = v
                .saturating_add((nec - e - 1).max(0).saturating_mul(f(false, false)))
                .saturating_add(e.saturating_mul(f(false, true)));
        }
        v
    }

    /// Dimension table handed to the next level for this case.
    pub fn sub_table(&self, ee: bool) -> [i64; NV] {
        use super::plan::{R, S};
        let t = &self.lv.tables;
        let nec = self.lv.nec;
        let mut out = self.fold.sub_fixed;
        for &i in &self.fold.active[..self.fold.nact] {
            let d = self.lv.dirs[i];
            let s = self.st[i];
            let w = d.var;
            out[w] = if !d.spatial {
                if s.edge() { t.me[w] } else { t.m[w] }
            } else {
                match s.pos {
                    Pos::Init if s.edge() && (nec == 1 || ee) => t.me[w],
                    Pos::Init | Pos::Steady => t.m[w],
                    Pos::Edge if nec == 1 || ee => t.me[w],
                    Pos::Edge => t.m[w],
                }
            };
        }
        out[YO] = out[Y] - out[R] + 1;
        out[XO] = out[X] - out[S] + 1;
        out
    }
}
