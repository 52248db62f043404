//! What the cases of one cluster level share (SPEC §5): the directives that can change state,
//! and the constant factors of those that cannot.

use super::cases::St;
use super::plan::{Level, MAXD, NV, Tables, Tensors, X, XO, Y, YO};

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
    pub ingress: [Part; 2],
    /// Reduction directives (not on the output), for partial sums.
    pub psum: Part,
    /// Output variables: the constant factor and the active (directive, variable, output slot) triples.
    pub out_c: i64,
    pub out: [(usize, usize, usize); NV],
    pub nout: usize,
    /// Spatial directives on the input, filter and output variables, in the tensor's variable order.
    pub spatial: [([usize; NV], usize); 3],
    /// Sub-level table entries of the single-state directives.
    pub sub_fixed: [i64; NV],
    /// Every spatial directive, in directive order.
    pub spatial_all: ([usize; MAXD], usize),
    /// Whether every table entry of the level is non-negative. Only an edge tile narrower than
    /// the filter makes one negative (an output extent `me − m_filter + 1 < 0`); otherwise
    /// every volume is a product of non-negative factors and may be multiplied in any order.
    pub nonneg: bool,
    /// The odometer digit of each entry of `out` and of the partial-sum part's directives.
    pub out_digit: [usize; NV],
    pub psum_digit: [usize; MAXD],
}

/// Most output variables of a layer kind (grouped layers: G, K, C, Y, X).
pub(crate) const MAX_OUT: usize = 5;
/// Most reduction variables of a layer kind (dense layers: C, R, S).
pub(crate) const MAX_PSUM: usize = 3;

/// The constant factor of a volume and the active directives it runs over.
#[derive(Clone, Copy)]
pub(crate) struct Part {
    pub c: i64,
    idx: [usize; MAXD],
    n: usize,
    pub mask: u16,
}

impl Part {
    const EMPTY: Part = Part { c: 1, idx: [0; MAXD], n: 0, mask: 0 };

    pub fn idx(&self) -> &[usize] {
        &self.idx[..self.n]
    }
}

/// A single-state temporal directive's factor for variable slot `a`.
fn fixed_factor(t: &Tables, s: St, a: usize) -> i64 {
    if s.edge() { t.me[a] } else { t.m[a] }
}

impl Fold {
    /// Before [`Fold::new`] fills it.
    pub const EMPTY: Fold = Fold {
        active: [0; MAXD],
        nact: 0,
        ingress: [Part::EMPTY; 2],
        psum: Part::EMPTY,
        out_c: 1,
        out: [(0, 0, 0); NV],
        nout: 0,
        spatial: [([0; NV], 0); 3],
        sub_fixed: [0; NV],
        spatial_all: ([0; MAXD], 0),
        nonneg: true,
        out_digit: [0; NV],
        psum_digit: [0; MAXD],
    };

    /// `sts[i][0]` is directive i's first state, `cnt[i]` its number of states.
    #[inline]
    pub fn new(lv: &Level, tz: &Tensors, sts: &[[St; 3]; MAXD], cnt: &[usize; MAXD]) -> Fold {
        let t = &lv.tables;
        let is_active = |i: usize| lv.dirs[i].spatial || cnt[i] > 1;
        let mut active = [0usize; MAXD];
        let mut digit_of = [0usize; MAXD];
        let mut nact = 0;
        for (i, digit) in digit_of.iter_mut().enumerate().take(lv.len) {
            if is_active(i) {
                active[nact] = i;
                *digit = nact;
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
        let nonneg = [t.m, t.u, t.me, t.ue].iter().all(|row| row.iter().all(|&v| v >= 0));
        let mut out_digit = [0usize; NV];
        for (j, &(i, _, _)) in out[..nout].iter().enumerate() {
            out_digit[j] = digit_of[i];
        }
        let mut psum_digit = [0usize; MAXD];
        for (j, &i) in psum.idx().iter().enumerate() {
            psum_digit[j] = digit_of[i];
        }
        Fold {
            active,
            nact,
            ingress,
            psum,
            out_c,
            out,
            nout,
            spatial,
            sub_fixed,
            spatial_all,
            nonneg,
            out_digit,
            psum_digit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::LayerType;
    use crate::model::plan::tensors_of;

    #[test]
    fn the_factor_tables_are_large_enough_for_every_layer_kind() {
        for kind in
            [LayerType::Conv, LayerType::DsConv, LayerType::NgConv, LayerType::Fc, LayerType::Gemm, LayerType::TrConv]
        {
            let tz = tensors_of(kind);
            assert!(tz.output.len() <= MAX_OUT, "{kind}");
            let reduction = tz.class.iter().filter(|v| !tz.output.contains(v)).count();
            assert!(reduction <= MAX_PSUM, "{kind}");
        }
    }
}
