//! The recursive level analysis (SPEC §6–§7): utilisation, buffer sizes, access counts, and a
//! small runtime program.
//!
//! Everything but the runtime is independent of the NoC and off-chip bandwidths, so the analysis
//! runs once per (layer, mapping, PEs) and records, per distinct case, what the delay depends on.
//! [`Program::runtime`](super::program::Program::runtime) then prices that record at any
//! bandwidth in a few nanoseconds per case, which is what makes sweeping a hardware grid cheap.
//!
//! The analysis of one level and of one case stay in this module although it is long: the
//! compiler splits a crate into code-generation units by module, and moving either part out
//! (with its result types or tables) cost 3–8 % of a cold network's time in the criterion
//! benchmark through lost inlining.

use super::cases::{Case, SatAdd, St, out_factors, psum_factors, states, sub_edge_bits};
use super::fold::{Fold, MAX_OUT, MAX_PSUM};
use super::plan::{Level, MAXD, NV, Plan, R, S, Tensors, X, Y};
use super::program::{Bandwidth, Buffers, CaseRec, Compute, Inner, Node};

/// Reads and writes of one tensor at the L1 (downstream) and L2 (upstream) side of a level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Rw {
    pub l1_rd: i64,
    pub l1_wr: i64,
    pub l2_rd: i64,
    pub l2_wr: i64,
}

/// What one level analysis returns.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LevelResult {
    /// Index of this analysis' runtime node in the [`Program`](super::program::Program).
    pub node: usize,
    pub avg_util: f64,
    /// input, filter, output
    pub rw: [Rw; 3],
    pub l2_size: [i64; 3],
    pub l1_size: [i64; 3],
    /// Cycles-only analyses: the level's cycles at the priced bandwidths (see
    /// [`Analyzer::new`]), summed as the runtime program would.
    pub cycles: [i64; 2],
}

/// What a case reads of a sub-level analysis (kept in the memos instead of the whole result).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SubResult {
    node: usize,
    avg_util: f64,
    cycles: [i64; 2],
    /// The L1 size (summed over tensors), for [`Analyzer::first_l1`].
    l1: i64,
}

impl From<&LevelResult> for SubResult {
    fn from(r: &LevelResult) -> SubResult {
        SubResult { node: r.node, avg_util: r.avg_util, cycles: r.cycles, l1: l1_total(r) }
    }
}

fn l1_total(r: &LevelResult) -> i64 {
    r.l1_size.iter().fold(0i64, |a, &b| a.sat_add(b))
}

/// Runs the bandwidth-independent analysis of one plan.
pub(crate) struct Analyzer<'p> {
    plan: &'p Plan,
    /// Memo, work stack, and the runtime programs, filled as levels complete.
    pub buf: &'p mut Buffers,
    /// L1 size of the first level result produced (MAESTRO reports this one).
    pub first_l1: Option<i64>,
    /// Cycles and checks only, at these two bandwidths: cases known to cost the same are
    /// analysed once with their occurrences summed (see [`Work::merged_cases`]), each case is
    /// priced as soon as it is analysed instead of being recorded in the runtime program, and
    /// utilisation is not computed.
    pub(super) price: Option<[Bandwidth; 2]>,
}

/// EGR, CPS and PSM of a case (SPEC §5) from its output volume `out(psum, first, ee, reuse)`.
#[inline]
fn egress_volumes(
    case: &Case,
    o_sum: (bool, St, bool),
    all_sum: (bool, St, bool),
    mut out: impl FnMut(bool, bool, bool, bool) -> i64,
) -> (i64, i64, i64) {
    let lv = case.lv;
    let egr = case.aggregate(o_sum, |f, e| out(false, f, e, true));
    let (_, ost, osp_edge) = o_sum;
    let cps =
        if osp_edge && lv.nec == 1 && ost.ee { out(true, true, true, true) } else { out(true, true, false, true) };
    let (sp, st_all, sp_edge) = all_sum;
    let psm = if !sp || !sp_edge {
        lv.n.saturating_mul(out(true, true, false, true))
    } else {
        let mut v = if lv.nec == 1 && st_all.ee { out(true, true, true, true) } else { out(true, true, false, true) };
        if lv.nec > 1 {
            let e = i64::from(st_all.ee);
            v = v
                .sat_add((lv.nec - e - 1).max(0).saturating_mul(out(true, true, false, true)))
                .sat_add(e.saturating_mul(out(true, false, true, false)));
        }
        v
    };
    (egr, cps, psm)
}

/// Cycles-only analyses: the cycles of the level-`j` run whose table has edge mask `mask` in
/// `case`. Cases with equal masks hand down equal tables, so each mask is looked up once per
/// analysis (`seen`, its first `nseen` entries); only then is the table built and the
/// inner-level store searched.
fn sub_cycles_of(
    an: &mut Analyzer<'_>,
    j: usize,
    case: &Case,
    mask: u16,
    seen: &mut [(u16, [i64; 2]); SUB_SEEN],
    nseen: &mut usize,
) -> [i64; 2] {
    if let Some(&(_, c)) = seen[..*nseen].iter().find(|(m, _)| *m == mask) {
        return c;
    }
    let c = an.level(j, &case.sub_table(mask)).cycles;
    if let Some(slot) = seen.get_mut(*nseen) {
        *slot = (mask, c);
        *nseen += 1;
    }
    c
}

/// Whether two dimension tables are equal (all nine compares, no early exit: they vectorise).
fn same_table(a: &[i64; NV], b: &[i64; NV]) -> bool {
    a.iter().zip(b).fold(true, |same, (x, y)| same & (x == y))
}

fn prod(vars: &[usize], t: &[i64; NV]) -> i64 {
    vars.iter().fold(1i64, |a, &v| a.saturating_mul(t[v]))
}

impl<'p> Analyzer<'p> {
    /// An analyzer working in `buf` (emptied first). With `price`, it only prices the layer at
    /// those two bandwidths ([`LevelResult::cycles`]): no runtime program is recorded and the
    /// utilisation reads 0; everything else is the same.
    pub fn new(plan: &'p Plan, buf: &'p mut Buffers, price: Option<[Bandwidth; 2]>) -> Analyzer<'p> {
        buf.clear();
        Analyzer { plan, buf, first_l1: None, price }
    }

    /// Analyse the top level.
    pub fn run(&mut self) -> LevelResult {
        let top = self.plan.top_table;
        let r = self.analyse(0, &top);
        // A single-level plan reports its own L1 size.
        self.first_l1.get_or_insert_with(|| l1_total(&r));
        r
    }

    /// A sub-level analysis (`j` > 0), from the memos when it has run before.
    fn level(&mut self, j: usize, dd: &[i64; NV]) -> SubResult {
        let r = if self.price.is_some() {
            // Cycles only: the inner levels' store, shared with the network's other layers.
            let g = self.inner_group(j);
            match self.buf.inner[g].runs.iter().find(|(t, _)| same_table(t, dd)) {
                Some(&(_, r)) => r,
                None => {
                    let r = SubResult::from(&self.analyse(j, dd));
                    self.buf.inner[g].runs.push((*dd, r));
                    self.buf.stored += 1;
                    r
                }
            }
        } else {
            if let Some((_, _, r)) = self.buf.memo.iter().find(|(lj, t, _)| *lj == j && same_table(t, dd)) {
                return *r;
            }
            let r = SubResult::from(&self.analyse(j, dd));
            self.buf.memo.push((j, *dd, r));
            r
        };
        self.first_l1.get_or_insert(r.l1);
        r
    }

    /// Index of the store entry for this plan's levels from `j` down (found once per layer).
    fn inner_group(&mut self, j: usize) -> usize {
        if let Some(&g) = self.buf.group_at.get(j).filter(|&&g| g != usize::MAX) {
            return g;
        }
        let tz = &self.plan.tensors;
        let masks = (tz.input_mask, tz.filter_mask, tz.output_mask);
        let below = &self.plan.levels[j..];
        let g = match self.buf.inner.iter().position(|e| e.masks == masks && e.levels == below) {
            Some(g) => g,
            None => {
                self.buf.inner.push(Inner { masks, levels: below.to_vec(), runs: Vec::new() });
                self.buf.inner.len() - 1
            }
        };
        if let Some(slot) = self.buf.group_at.get_mut(j) {
            *slot = g;
        }
        g
    }

    fn analyse(&mut self, j: usize, dd: &[i64; NV]) -> LevelResult {
        let plan = self.plan;
        // Built in place and filled in place: the tables are a few kilobytes, and an
        // analysis is only a few hundred nanoseconds. The factor tables are only read where
        // written, so each depth reuses one (boxed) set instead of zeroing a new one.
        let mut w = Work {
            j,
            lv: &plan.levels[j],
            tz: plan.tensors,
            innermost: j + 1 == plan.levels.len(),
            dd: *dd,
            tabs: self.buf.factors.get_mut(j).and_then(Option::take).unwrap_or_default(),
            ingress_seen: 0,
            nsub: 0,
            res: LevelResult::default(),
            util: 0.0,
            occ_total: 0,
            floor: None,
            cycles: [0; 2],
            floor_priced: [0; 2],
            start: self.buf.stack.len(),
            first: true,
        };
        w.prepare();
        // The first case, every directive at Init, is analysed first in both orders: it sets
        // the buffer sizes, and the first sub-level analysis it starts reports the L1 size.
        let mut st = [St::default(); MAXD];
        for (s, states) in st.iter_mut().zip(&w.tabs.sts).take(w.lv.len) {
            *s = states[0];
        }
        let idx = [0usize; MAXD];
        let occ = w.tabs.fold.actives().fold(1i64, |a, i| a.saturating_mul(w.tabs.sts[i][0].occ));
        let cps = w.case(self, &st, &idx, occ, None);
        w.first = false;
        if self.price.is_some() && w.tabs.fold.nonneg && cps > 0 {
            w.merged_cases(self, &mut st);
        } else {
            w.odometer_cases(self, &mut st);
        }
        let r = w.finish(self);
        // The tables go back for the next analysis at this depth.
        let factors = &mut self.buf.factors;
        if factors.len() <= j {
            factors.resize_with(j + 1, || None);
        }
        factors[j] = Some(w.tabs);
        r
    }
}

/// The tables of one level analysis: every directive's states, what the cases share, and the
/// per-(directive, state) factors. Each is filled before it is read (the fold resets itself),
/// so one boxed set per analysis depth serves every analysis at that depth, uncleared.
#[derive(Debug)]
pub(crate) struct FactorTables {
    pub(super) sts: [[St; 3]; MAXD],
    pub(super) cnt: [usize; MAXD],
    pub(super) fold: Fold,
    /// With no negative factor (the usual case), the output volumes are products of
    /// per-(directive, state) factors in any order: tabled once, combined per case.
    out_fac: [[[i64; 8]; 3]; MAX_OUT],
    psum_fac: [[[i64; 4]; 3]; MAX_PSUM],
    /// Ingress depends on a case only through the changing directive and its state:
    /// directives before it contribute their full tile whatever their state, and those after
    /// it are at Init. So each (directive, non-Init state) pair is computed once.
    ingress: [[[[i64; 4]; 2]; 2]; MAXD],
    /// Per active directive (odometer digit) and state: [`sub_edge_bits`].
    sub_edge: [[u8; 3]; MAXD],
    /// Cycles-only analyses: the sub-level cycles of the edge masks met so far in this
    /// analysis (the first [`Work::nsub`] entries).
    sub_seen: [(u16, [i64; 2]); SUB_SEEN],
}

/// How many sub-level results a cycles-only analysis keeps by edge mask (a level's cases
/// hand down a few distinct tables; past this many, the inner-level store answers).
const SUB_SEEN: usize = 8;

impl Default for FactorTables {
    fn default() -> FactorTables {
        FactorTables {
            sts: [[St::default(); 3]; MAXD],
            cnt: [1; MAXD],
            fold: Fold::EMPTY,
            out_fac: [[[0; 8]; 3]; MAX_OUT],
            psum_fac: [[[0; 4]; 3]; MAX_PSUM],
            ingress: [[[[0; 4]; 2]; 2]; MAXD],
            sub_edge: [[0; 3]; MAXD],
            sub_seen: [(0, [0; 2]); SUB_SEEN],
        }
    }
}

/// One level analysis in progress: the level's states and tables, and the running sums.
pub(super) struct Work<'p> {
    j: usize,
    lv: &'p Level,
    tz: Tensors,
    innermost: bool,
    dd: [i64; NV],
    pub(super) tabs: Box<FactorTables>,
    /// Bit `3 k + s` says whether `tabs.ingress[k][s - 1]` is filled.
    ingress_seen: u32,
    /// The filled entries of `tabs.sub_seen`.
    nsub: usize,
    res: LevelResult,
    util: f64,
    occ_total: i64,
    floor: Option<(i64, i64)>,
    /// Cycles-only analyses: the running cycles at the two priced bandwidths, and the floor
    /// of every case there.
    cycles: [i64; 2],
    floor_priced: [i64; 2],
    /// Where this analysis' case records start on the work stack.
    start: usize,
    /// Whether the case being analysed is the first (every directive at Init).
    first: bool,
}

impl<'p> Work<'p> {
    /// The states of every directive, what the cases share, and the output-volume factors.
    fn prepare(&mut self) {
        let lv = self.lv;
        for (i, d) in lv.dirs().iter().enumerate() {
            self.tabs.cnt[i] = states(d.spatial, d.m, d.o, self.dd[d.var], lv.n, &mut self.tabs.sts[i]);
        }
        self.tabs.fold.fill(lv, &self.tz, &self.tabs.sts, &self.tabs.cnt);
        let fold = &self.tabs.fold;
        if fold.nonneg {
            for (k, (i, w, a)) in fold.outs().enumerate() {
                for s in 0..self.tabs.cnt[i] {
                    self.tabs.out_fac[k][s] = out_factors(lv, i, w, a, self.tabs.sts[i][s]);
                }
            }
            for (k, i) in fold.psum.idx().enumerate() {
                for s in 0..self.tabs.cnt[i] {
                    self.tabs.psum_fac[k][s] = psum_factors(lv, i, self.tabs.sts[i][s]);
                }
            }
        }
        if !self.innermost {
            for (k, i) in self.tabs.fold.actives().enumerate() {
                for s in 0..self.tabs.cnt[i] {
                    self.tabs.sub_edge[k][s] = sub_edge_bits(lv.dirs[i].spatial, self.tabs.sts[i][s], lv.nec);
                }
            }
        }
    }

    /// Analyse one case: `st` holds every directive's state, `idx` the active directives'
    /// state indices, `occ` how often the case occurs, `chg` its changing directive (as an
    /// index into the active ones). Returns the case's compute volume.
    pub(super) fn case(
        &mut self,
        an: &mut Analyzer<'p>,
        st: &[St; MAXD],
        idx: &[usize; MAXD],
        occ: i64,
        chg: Option<usize>,
    ) -> i64 {
        let lv = self.lv;
        let fold = &self.tabs.fold;
        let nonneg = fold.nonneg;
        let (ri, rw_, ro) = (0usize, 1usize, 2usize);
        let case = Case::new(lv, fold, st, chg.map(|k| fold.active_at(k)));
        let in_sum = case.spatial_summary(0);
        let w_sum = case.spatial_summary(1);
        let o_sum = case.spatial_summary(2);
        // Ingress depends on the case only through the changing directive and its state:
        // directives before it contribute their full tile whatever their state, and those
        // after it are at Init. So each (directive, state) pair is computed once.
        let mut first = [[0i64; 4]; 2];
        let [ti, tw] = match chg {
            None => {
                let [i, w] = &mut first;
                case.ingress(0, i);
                case.ingress(1, w);
                &first
            }
            Some(k) => {
                let bit = 1 << (3 * k + idx[k]);
                let slot = &mut self.tabs.ingress[k][idx[k] - 1];
                if self.ingress_seen & bit == 0 {
                    self.ingress_seen |= bit;
                    // A tensor off the changing directive's variable receives nothing new
                    // (what `ingress` writes too; most cases skip one call this way).
                    let var = 1u16 << lv.dirs[fold.active_at(k)].var;
                    for (t, out) in slot.iter_mut().enumerate() {
                        if fold.ingress[t].mask & var == 0 {
                            *out = [0; 4];
                        } else {
                            case.ingress(t, out);
                        }
                    }
                }
                &*slot
            }
        };
        let ing_i = case.aggregate(in_sum, |f, e| ti[usize::from(f) << 1 | usize::from(e)]);
        let ing_w = case.aggregate(w_sum, |f, e| tw[usize::from(f) << 1 | usize::from(e)]);
        // Both parts of every output volume: a few products of tabled factors.
        let mut out_part = [fold.out_c; 8];
        let mut psum_part = [fold.psum.c; 4];
        let all_sum = case.spatial_summary_all();
        if nonneg {
            // Only the output parts this case reads (indexed first << 2 | ee << 1 | reuse):
            // (1,0,1) and (0,0,1) nearly always, the edge ones when a spatial fold has an edge.
            // The others keep the constant factor and are read only multiplied by zero.
            let (osp, ost, ospe) = o_sum;
            let (asp, ast, aspe) = all_sum;
            let edge_ee = |sp_edge: bool, st: St| sp_edge && lv.nec == 1 && st.ee;
            let mut extra = 0u8;
            if edge_ee(ospe, ost) || (asp && edge_ee(aspe, ast)) {
                extra |= 1 << 7;
            }
            if osp && ospe && lv.nec > 1 && ost.ee {
                extra |= 1 << 3;
            }
            if asp && aspe && lv.nec > 1 && ast.ee {
                extra |= 1 << 2;
            }
            for (j, k) in fold.out_digits().enumerate() {
                let f = &self.tabs.out_fac[j][idx[k]];
                out_part[1] = out_part[1].saturating_mul(f[1]);
                out_part[5] = out_part[5].saturating_mul(f[5]);
                if extra != 0 {
                    for c in [2, 3, 7] {
                        if extra & (1 << c) != 0 {
                            out_part[c] = out_part[c].saturating_mul(f[c]);
                        }
                    }
                }
            }
            for (j, k) in fold.psum_digits().enumerate() {
                let f = &self.tabs.psum_fac[j][idx[k]];
                for c in 0..4 {
                    psum_part[c] = psum_part[c].saturating_mul(f[c]);
                }
            }
        }
        // The same egress volumes recur in EGR, CPS and PSM. Without negative factors each is
        // a product of the tabled parts; otherwise each is computed once per case.
        let (egr, cps, psm) = if nonneg {
            egress_volumes(&case, o_sum, all_sum, |psum, first, ee, reuse| {
                let v = out_part[usize::from(first) << 2 | usize::from(ee) << 1 | usize::from(reuse)];
                if psum { psum_part[usize::from(first) << 1 | usize::from(ee)].saturating_mul(v) } else { v }
            })
        } else {
            let mut memo = [i64::MIN; 16];
            egress_volumes(&case, o_sum, all_sum, |psum, first, ee, reuse| {
                let k = usize::from(psum) << 3 | usize::from(first) << 2 | usize::from(ee) << 1 | usize::from(reuse);
                if memo[k] == i64::MIN {
                    memo[k] = case.egress(psum, first, ee, reuse);
                }
                memo[k]
            })
        };

        if self.first {
            self.res.l2_size[ri] = ing_i.saturating_mul(2);
            self.res.l2_size[rw_] = ing_w.saturating_mul(2);
            self.res.rw[ri].l2_wr = prod(self.tz.input, &self.dd);
            self.res.rw[rw_].l2_wr = prod(self.tz.filter, &self.dd);
            self.res.l1_size[ri] = prod(self.tz.input, &lv.tables.m).saturating_mul(2);
            self.res.l1_size[rw_] = prod(self.tz.filter, &lv.tables.m).saturating_mul(2);
            self.res.l2_size[ro] = egr.saturating_mul(2);
            let mut out_tab = self.dd;
            out_tab[Y] = self.dd[Y] - self.dd[R] + 1;
            out_tab[X] = self.dd[X] - self.dd[S] + 1;
            self.res.rw[ro].l2_rd = prod(self.tz.output, &out_tab);
            self.res.l1_size[ro] = prod(self.tz.output, &lv.tables.m).saturating_mul(2);
            if self.j == 0 {
                self.floor = Some((self.res.l2_size[ri].sat_add(self.res.l2_size[rw_]), self.res.l2_size[ro]));
                if let Some(bws) = an.price {
                    self.floor_priced = bws.map(|bw| bw.floor(self.floor));
                }
            }
        }
        let out = &mut self.res.rw[ro];
        out.l2_wr = out.l2_wr.sat_add(occ.saturating_mul(egr));
        out.l1_wr = out.l1_wr.sat_add(occ.saturating_mul(psm));
        out.l1_rd = out.l1_rd.sat_add(occ.saturating_mul(psm));

        if cps > 0 {
            for (t, ing) in [(ri, ing_i), (rw_, ing_w)] {
                let c = &mut self.res.rw[t];
                c.l2_rd = c.l2_rd.sat_add(occ.saturating_mul(ing));
                c.l1_wr = c.l2_rd;
                c.l1_rd = c.l1_rd.sat_add(occ.saturating_mul(psm));
            }
            let sps = st[lv.first_spatial];
            // The sub-level runs: (edge mask of the dimension table, sub-clusters running it),
            // none innermost.
            let mut subs = [(0u16, 0i64); 2];
            let ns = if self.innermost {
                0
            } else {
                // Bit k of mask[ee]: active directive k hands down its edge tile.
                let mut mask = [0u16; 2];
                for (k, &s) in idx.iter().enumerate().take(fold.nact) {
                    let bits = self.tabs.sub_edge[k][s];
                    mask[0] |= u16::from(bits & 1) << k;
                    mask[1] |= u16::from(bits >> 1) << k;
                }
                if sps.edge() && sps.ee {
                    subs[0] = (mask[1], 1);
                    if lv.nec - 1 > 0 {
                        subs[1] = (mask[0], lv.nec - 1);
                        2
                    } else {
                        1
                    }
                } else {
                    subs[0] = (mask[0], if sps.edge() { lv.nec } else { lv.n });
                    1
                }
            };
            if let Some(bws) = an.price {
                // Cycles of the sub-level runs at the priced bandwidths; a missing second run
                // counts as 0, as in the runtime program.
                let mut sub_cycles = [[0i64; 2]; 2];
                for (k, &(mask, _)) in subs.iter().take(ns).enumerate() {
                    sub_cycles[k] = sub_cycles_of(an, self.j + 1, &case, mask, &mut self.tabs.sub_seen, &mut self.nsub);
                }
                for (b, bw) in bws.iter().enumerate() {
                    let comp = (ns > 0).then(|| sub_cycles[0][b].max(sub_cycles[1][b]));
                    let t = bw.case_time(ing_i.sat_add(ing_w), egr, case.all_init(), cps, comp);
                    let priced = occ.saturating_mul(t.max(self.floor_priced[b]));
                    self.cycles[b] = self.cycles[b].sat_add(priced);
                }
                return cps;
            }
            let (compute, case_util) = if self.innermost {
                (Compute::Leaf(cps), (if sps.edge() { lv.nec } else { lv.n }) as f64)
            } else {
                let mut ids = [0usize; 2];
                let mut u = 0f64;
                for (k, &(mask, w)) in subs.iter().take(ns).enumerate() {
                    let r = an.level(self.j + 1, &case.sub_table(mask));
                    ids[k] = r.node;
                    u += r.avg_util * w as f64;
                }
                (Compute::Sub(ids[0], (ns == 2).then_some(ids[1])), u)
            };
            let rec = CaseRec { occ, ingress: ing_i.sat_add(ing_w), egress: egr, compute, all_init: case.all_init() };
            // Cases that cost the same at every bandwidth are priced once.
            match an.buf.stack[self.start..].iter_mut().find(|c| CaseRec { occ: c.occ, ..rec } == **c) {
                Some(c) => c.occ = c.occ.sat_add(occ),
                None => an.buf.stack.push(rec),
            }
            self.util += occ as f64 * case_util;
            self.occ_total = self.occ_total.sat_add(occ);
        }

        cps
    }

    fn finish(&mut self, an: &mut Analyzer<'p>) -> LevelResult {
        if an.price.is_some() {
            self.res.cycles = self.cycles;
            return self.res;
        }
        self.res.avg_util = if self.occ_total > 0 { self.util / self.occ_total as f64 } else { 0.0 };
        let program = &mut an.buf.program;
        let first = program.cases.len();
        program.cases.extend(an.buf.stack.drain(self.start..));
        self.res.node = program.nodes.len();
        program.nodes.push(Node { start: first, end: program.cases.len(), floor: self.floor });
        self.res
    }
}
