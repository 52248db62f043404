//! The recursive level analysis (SPEC §6–§7): utilisation, buffer sizes, access counts, and a
//! small runtime program.
//!
//! Everything but the runtime is independent of the NoC and off-chip bandwidths, so the analysis
//! runs once per (layer, mapping, PEs) and records, per distinct case, what the delay depends on.
//! [`Program::runtime`] then prices that record at any bandwidth in a few nanoseconds per case,
//! which is what makes sweeping a hardware grid cheap.

use super::cases::{Case, St, out_factors, psum_factors, states};
use super::fold::Fold;
use super::plan::{MAXD, NV, Plan, R, S, X, Y};

/// Bandwidth-side parameters of a runtime evaluation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bandwidth {
    pub noc: i64,
    pub offchip: i64,
    pub latency: i64,
    pub vector_width: i64,
}

/// Reads and writes of one tensor at the L1 (downstream) and L2 (upstream) side of a level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Rw {
    pub l1_rd: i64,
    pub l1_wr: i64,
    pub l2_rd: i64,
    pub l2_wr: i64,
}

/// How long a case computes: partial sums of one PE, or the slowest of up to two sub-level runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compute {
    Leaf(i64),
    Sub(usize, Option<usize>),
}

/// A group of cases that cost the same at every bandwidth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CaseRec {
    occ: i64,
    ingress: i64,
    egress: i64,
    compute: Compute,
    all_init: bool,
}

/// The runtime of one level analysis as a function of bandwidth: a range of [`Program::cases`].
#[derive(Debug, Clone, Copy)]
struct Node {
    start: usize,
    end: usize,
    /// Top level only: (input + weight, output) L2 requirement, for the off-chip floor.
    floor: Option<(i64, i64)>,
}

/// Runtime programs of all level analyses of a layer; children come before parents.
#[derive(Debug, Clone, Default)]
pub(crate) struct Program {
    nodes: Vec<Node>,
    cases: Vec<CaseRec>,
}

/// The growable storage of an analysis, kept between layers by callers that analyse many
/// (so a network costs no allocation per layer once the buffers have grown).
#[derive(Debug, Default)]
pub(crate) struct Buffers {
    memo: Vec<(usize, [i64; NV], LevelResult)>,
    /// Case records of the level analyses in progress, innermost last.
    stack: Vec<CaseRec>,
    pub program: Program,
}

impl Program {
    /// Cycles of the top level at the given bandwidths.
    pub fn runtime(&self, bw: &Bandwidth, scratch: &mut Vec<i64>) -> i64 {
        let noc_delay = |traffic: i64| -> i64 {
            if traffic > 0 { bw.latency + traffic.saturating_add(bw.noc - 1) / bw.noc - 1 } else { bw.latency - 1 }
        };
        scratch.clear();
        for node in &self.nodes {
            let floor = node.floor.map_or(0, |(iw, o)| ((iw / bw.offchip) / 2).max((o / bw.offchip) / 2));
            let mut total = 0i64;
            for c in &self.cases[node.start..node.end] {
                let comp = match c.compute {
                    Compute::Leaf(cps) => cps.saturating_add(bw.vector_width - 1) / bw.vector_width,
                    Compute::Sub(a, b) => scratch[a].max(b.map_or(0, |b| scratch[b])),
                };
                let di = noc_delay(c.ingress);
                let t = if c.all_init { comp.saturating_add(di) } else { noc_delay(c.egress).max(comp).max(di) };
                total = total.saturating_add(c.occ.saturating_mul(t.max(floor)));
            }
            scratch.push(total);
        }
        scratch.last().copied().unwrap_or(0)
    }
}

/// What one level analysis returns.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LevelResult {
    /// Index of this analysis' runtime node in the [`Program`].
    pub node: usize,
    pub avg_util: f64,
    /// input, filter, output
    pub rw: [Rw; 3],
    pub l2_size: [i64; 3],
    pub l1_size: [i64; 3],
}

/// Runs the bandwidth-independent analysis of one plan.
pub(crate) struct Analyzer<'p> {
    plan: &'p Plan,
    /// Memo, work stack, and the runtime programs, filled as levels complete.
    pub buf: Buffers,
    /// L1 size of the first level result produced (MAESTRO reports this one).
    pub first_l1: Option<i64>,
}

fn prod(vars: &[usize], t: &[i64; NV]) -> i64 {
    vars.iter().fold(1i64, |a, &v| a.saturating_mul(t[v]))
}

impl<'p> Analyzer<'p> {
    /// An analyzer working in `buf` (emptied first).
    pub fn new(plan: &'p Plan, mut buf: Buffers) -> Analyzer<'p> {
        buf.memo.clear();
        buf.stack.clear();
        buf.program.nodes.clear();
        buf.program.cases.clear();
        Analyzer { plan, buf, first_l1: None }
    }

    /// Analyse the top level.
    pub fn run(&mut self) -> LevelResult {
        let top = self.plan.top_table;
        self.level(0, &top)
    }

    fn level(&mut self, j: usize, dd: &[i64; NV]) -> LevelResult {
        if j > 0
            && let Some((_, _, r)) = self.buf.memo.iter().find(|(lj, t, _)| *lj == j && t == dd)
        {
            return *r;
        }
        let r = self.analyse(j, dd);
        if self.first_l1.is_none() {
            self.first_l1 = Some(r.l1_size.iter().fold(0i64, |a, &b| a.saturating_add(b)));
        }
        if j > 0 {
            self.buf.memo.push((j, *dd, r));
        }
        r
    }

    fn analyse(&mut self, j: usize, dd: &[i64; NV]) -> LevelResult {
        let plan = self.plan;
        let lv = &plan.levels[j];
        let tz = plan.tensors;
        let innermost = j + 1 == plan.levels.len();
        let nd = lv.len;

        let mut sts = [[St::default(); 3]; MAXD];
        let mut cnt = [1usize; MAXD];
        for (i, d) in lv.dirs().iter().enumerate() {
            cnt[i] = states(d.spatial, d.m, d.o, dd[d.var], lv.n, &mut sts[i]);
        }
        let fold = Fold::new(lv, &tz, &sts, &cnt);
        let active = &fold.active[..fold.nact];

        let mut res = LevelResult::default();
        let (ri, rw_, ro) = (0usize, 1usize, 2usize);
        let mut util = 0f64;
        let mut occ_total = 0i64;
        // Odometer over the active directives only; the others have one state.
        let mut odo = [0usize; MAXD];
        let mut first_case = true;
        let mut floor = None;
        let start = self.buf.stack.len();
        // With no negative factor (the usual case), the output volumes are products of
        // per-(directive, state) factors in any order: tabled here once, combined per case.
        let nonneg = fold.nonneg;
        let mut out_fac = [[[0i64; 8]; 3]; NV];
        let mut psum_fac = [[[0i64; 4]; 3]; MAXD];
        if nonneg {
            for (j, &(i, w, a)) in fold.out[..fold.nout].iter().enumerate() {
                for s in 0..cnt[i] {
                    out_fac[j][s] = out_factors(lv, i, w, a, sts[i][s]);
                }
            }
            for (j, &i) in fold.psum.idx().iter().enumerate() {
                for s in 0..cnt[i] {
                    psum_fac[j][s] = psum_factors(lv, i, sts[i][s]);
                }
            }
        }
        let mut ingress_by_chg = [[None::<[[i64; 4]; 2]>; 3]; MAXD];
        let mut st = [St::default(); MAXD];
        for i in 0..nd {
            st[i] = sts[i][0];
        }

        loop {
            let mut occ = 1i64;
            for (k, &i) in active.iter().enumerate() {
                st[i] = sts[i][odo[k]];
                occ = occ.saturating_mul(st[i].occ);
            }
            // The changing directive: the innermost active one away from Init (state 0).
            let chg = (0..active.len()).rev().find(|&k| odo[k] != 0);
            let case = Case::new(lv, &fold, &st, chg.map(|k| active[k]));
            let in_sum = case.spatial_summary(0);
            let w_sum = case.spatial_summary(1);
            let o_sum = case.spatial_summary(2);
            // Ingress depends on the case only through the changing directive and its state:
            // directives before it contribute their full tile whatever their state, and those
            // after it are at Init. So each (directive, state) pair is computed once.
            let [ti, tw] = match chg {
                None => [case.ingress(0), case.ingress(1)],
                Some(k) => *ingress_by_chg[k][odo[k]].get_or_insert_with(|| [case.ingress(0), case.ingress(1)]),
            };
            let ing_i = case.aggregate(in_sum, |f, e| ti[usize::from(f) << 1 | usize::from(e)]);
            let ing_w = case.aggregate(w_sum, |f, e| tw[usize::from(f) << 1 | usize::from(e)]);
            // The same egress volumes recur in EGR, CPS and PSM: compute each once per case.
            // Both parts of every output volume: a few products of tabled factors.
            let mut out_part = [fold.out_c; 8];
            let mut psum_part = [fold.psum.c; 4];
            if nonneg {
                for (j, &k) in fold.out_digit[..fold.nout].iter().enumerate() {
                    let f = &out_fac[j][odo[k]];
                    for c in 0..8 {
                        out_part[c] = out_part[c].saturating_mul(f[c]);
                    }
                }
                for (j, &k) in fold.psum_digit[..fold.psum.idx().len()].iter().enumerate() {
                    let f = &psum_fac[j][odo[k]];
                    for c in 0..4 {
                        psum_part[c] = psum_part[c].saturating_mul(f[c]);
                    }
                }
            }
            let mut memo = [i64::MIN; 16];
            let mut out = |psum: bool, first: bool, ee: bool, reuse: bool| -> i64 {
                if nonneg {
                    let v = out_part[usize::from(first) << 2 | usize::from(ee) << 1 | usize::from(reuse)];
                    return if psum {
                        psum_part[usize::from(first) << 1 | usize::from(ee)].saturating_mul(v)
                    } else {
                        v
                    };
                }
                let k = usize::from(psum) << 3 | usize::from(first) << 2 | usize::from(ee) << 1 | usize::from(reuse);
                if memo[k] == i64::MIN {
                    memo[k] = case.egress(psum, first, ee, reuse);
                }
                memo[k]
            };
            let egr = case.aggregate(o_sum, |f, e| out(false, f, e, true));
            let (_, ost, osp_edge) = o_sum;
            let cps = if osp_edge && lv.nec == 1 && ost.ee {
                out(true, true, true, true)
            } else {
                out(true, true, false, true)
            };
            let psm = {
                let (sp, st_all, sp_edge) = case.spatial_summary_all();
                if !sp || !sp_edge {
                    lv.n.saturating_mul(out(true, true, false, true))
                } else {
                    let mut v = if lv.nec == 1 && st_all.ee {
                        out(true, true, true, true)
                    } else {
                        out(true, true, false, true)
                    };
                    if lv.nec > 1 {
                        let e = i64::from(st_all.ee);
                        v = v
                            .saturating_add((lv.nec - e - 1).max(0).saturating_mul(out(true, true, false, true)))
                            .saturating_add(e.saturating_mul(out(true, false, true, false)));
                    }
                    v
                }
            };

            if first_case {
                res.l2_size[ri] = ing_i.saturating_mul(2);
                res.l2_size[rw_] = ing_w.saturating_mul(2);
                res.rw[ri].l2_wr = prod(tz.input, dd);
                res.rw[rw_].l2_wr = prod(tz.filter, dd);
                res.l1_size[ri] = prod(tz.input, &lv.tables.m).saturating_mul(2);
                res.l1_size[rw_] = prod(tz.filter, &lv.tables.m).saturating_mul(2);
                res.l2_size[ro] = egr.saturating_mul(2);
                let mut out_tab = *dd;
                out_tab[Y] = dd[Y] - dd[R] + 1;
                out_tab[X] = dd[X] - dd[S] + 1;
                res.rw[ro].l2_rd = prod(tz.output, &out_tab);
                res.l1_size[ro] = prod(tz.output, &lv.tables.m).saturating_mul(2);
                if j == 0 {
                    floor = Some((res.l2_size[ri].saturating_add(res.l2_size[rw_]), res.l2_size[ro]));
                }
            }
            let out = &mut res.rw[ro];
            out.l2_wr = out.l2_wr.saturating_add(occ.saturating_mul(egr));
            out.l1_wr = out.l1_wr.saturating_add(occ.saturating_mul(psm));
            out.l1_rd = out.l1_rd.saturating_add(occ.saturating_mul(psm));

            if cps > 0 {
                for (t, ing) in [(ri, ing_i), (rw_, ing_w)] {
                    let c = &mut res.rw[t];
                    c.l2_rd = c.l2_rd.saturating_add(occ.saturating_mul(ing));
                    c.l1_wr = c.l2_rd;
                    c.l1_rd = c.l1_rd.saturating_add(occ.saturating_mul(psm));
                }
                let sps = st[lv.first_spatial];
                let act = if sps.edge() { lv.nec } else { lv.n };
                let (compute, case_util) = if innermost {
                    (Compute::Leaf(cps), act as f64)
                } else {
                    let mut subs: [([i64; NV], i64); 2] = [([0; NV], 0); 2];
                    let ns = if sps.edge() && sps.ee {
                        subs[0] = (case.sub_table(true), 1);
                        if lv.nec - 1 > 0 {
                            subs[1] = (case.sub_table(false), lv.nec - 1);
                            2
                        } else {
                            1
                        }
                    } else {
                        subs[0] = (case.sub_table(false), if sps.edge() { lv.nec } else { lv.n });
                        1
                    };
                    let mut ids = [0usize; 2];
                    let mut u = 0f64;
                    for (k, (tab, w)) in subs.iter().take(ns).enumerate() {
                        let r = self.level(j + 1, tab);
                        ids[k] = r.node;
                        u += r.avg_util * *w as f64;
                    }
                    (Compute::Sub(ids[0], (ns == 2).then_some(ids[1])), u)
                };
                let rec = CaseRec {
                    occ,
                    ingress: ing_i.saturating_add(ing_w),
                    egress: egr,
                    compute,
                    all_init: case.all_init(),
                };
                // Cases that cost the same at every bandwidth are priced once.
                match self.buf.stack[start..].iter_mut().find(|c| CaseRec { occ: c.occ, ..rec } == **c) {
                    Some(c) => c.occ = c.occ.saturating_add(occ),
                    None => self.buf.stack.push(rec),
                }
                util += occ as f64 * case_util;
                occ_total = occ_total.saturating_add(occ);
            }

            first_case = false;
            // Advance the odometer (innermost directive fastest; sums do not depend on order).
            let mut i = active.len();
            loop {
                if i == 0 {
                    res.avg_util = if occ_total > 0 { util / occ_total as f64 } else { 0.0 };
                    let program = &mut self.buf.program;
                    let first = program.cases.len();
                    program.cases.extend(self.buf.stack.drain(start..));
                    res.node = program.nodes.len();
                    program.nodes.push(Node { start: first, end: program.cases.len(), floor });
                    return res;
                }
                i -= 1;
                odo[i] += 1;
                if odo[i] < cnt[active[i]] {
                    break;
                }
                odo[i] = 0;
            }
        }
    }
}
