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
#[derive(Debug)]
pub(crate) struct Fold {
    /// Active directives, in directive order.
    active: [u8; MAXD],
    /// Number of active directives.
    pub nact: usize,
    /// Input and filter: the constant factor and the active directives on the tensor.
    pub ingress: [Part; 2],
    /// Reduction directives (not on the output), for partial sums.
    pub psum: Part,
    /// Output variables: the constant factor and the active (directive, variable, output slot) triples.
    pub out_c: i64,
    out: [(u8, u8, u8); NV],
    pub nout: usize,
    /// Spatial directives on the input, filter and output variables, in the tensor's variable order.
    spatial: [([u8; NV], usize); 3],
    /// Sub-level table entries of the single-state directives.
    pub sub_fixed: [i64; NV],
    /// Every spatial directive, in directive order.
    spatial_all: ([u8; MAXD], usize),
    /// Whether every table entry of the level is non-negative. Only an edge tile narrower than
    /// the filter makes one negative (an output extent `me − m_filter + 1 < 0`); otherwise
    /// every volume is a product of non-negative factors and may be multiplied in any order.
    pub nonneg: bool,
    /// The odometer digit of each entry of `out` and of the partial-sum part's directives.
    out_digit: [u8; NV],
    psum_digit: [u8; MAXD],
}

/// Most output variables of a layer kind (grouped layers: G, K, C, Y, X).
pub(crate) const MAX_OUT: usize = 5;
/// Most reduction variables of a layer kind (dense layers: C, R, S).
pub(crate) const MAX_PSUM: usize = 3;

/// The constant factor of a volume and the active directives it runs over.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Part {
    pub c: i64,
    idx: [u8; MAXD],
    n: usize,
    pub mask: u16,
}

impl Part {
    const EMPTY: Part = Part { c: 1, idx: [0; MAXD], n: 0, mask: 0 };

    /// The active directives the volume runs over, in directive order.
    #[inline]
    pub fn idx(&self) -> impl ExactSizeIterator<Item = usize> + '_ {
        self.idx[..self.n].iter().map(|&i| usize::from(i))
    }
}

/// A single-state temporal directive's factor for variable slot `a`.
fn fixed_factor(t: &Tables, s: St, a: usize) -> i64 {
    if s.edge() { t.me[a] } else { t.m[a] }
}

impl Fold {
    /// Directive index of active directive (odometer digit) `k`.
    #[inline]
    pub fn active_at(&self, k: usize) -> usize {
        usize::from(self.active[k])
    }

    /// The active directives, in directive order.
    #[inline]
    pub fn actives(&self) -> impl ExactSizeIterator<Item = usize> + '_ {
        self.active[..self.nact].iter().map(|&i| usize::from(i))
    }

    /// The active directives on output variables: (directive, variable, output table slot).
    #[inline]
    pub fn outs(&self) -> impl ExactSizeIterator<Item = (usize, usize, usize)> + '_ {
        self.out[..self.nout].iter().map(|&(i, w, a)| (usize::from(i), usize::from(w), usize::from(a)))
    }

    /// The odometer digit of each of [`Fold::outs`].
    #[inline]
    pub fn out_digits(&self) -> impl ExactSizeIterator<Item = usize> + '_ {
        self.out_digit[..self.nout].iter().map(|&k| usize::from(k))
    }

    /// The odometer digit of each of the partial-sum part's directives.
    #[inline]
    pub fn psum_digits(&self) -> impl ExactSizeIterator<Item = usize> + '_ {
        self.psum_digit[..self.psum.n].iter().map(|&k| usize::from(k))
    }

    /// The spatial directives on tensor `k`'s variables (0 input, 1 filter, 2 output) in the
    /// tensor's variable order, or on every variable (`k` = 3) in directive order.
    #[inline]
    pub fn spatial(&self, k: usize) -> &[u8] {
        let (list, n) = if k < 3 {
            (&self.spatial[k].0[..], self.spatial[k].1)
        } else {
            (&self.spatial_all.0[..], self.spatial_all.1)
        };
        &list[..n]
    }

    /// Before [`Fold::fill`] fills it.
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

    /// Fill in place for a level analysis (a fold is most of a kilobyte, and each analysis depth
    /// reuses one). `sts[i][0]` is directive i's first state, `cnt[i]` its number of states.
    pub fn fill(&mut self, lv: &Level, tz: &Tensors, sts: &[[St; 3]; MAXD], cnt: &[usize; MAXD]) {
        let t = &lv.tables;
        let f = self;
        // Reset what the previous analysis at this depth left (the index lists are written
        // before they are read).
        f.nact = 0;
        f.ingress = [Part::EMPTY; 2];
        f.psum = Part::EMPTY;
        f.out_c = 1;
        f.nout = 0;
        for (_, n) in &mut f.spatial {
            *n = 0;
        }
        f.spatial_all.1 = 0;
        f.sub_fixed = [0; NV];
        f.ingress[0].mask = tz.input_mask;
        f.ingress[1].mask = tz.filter_mask;
        f.psum.mask = tz.output_mask;
        f.nonneg = lv.nonneg;
        let mut digit_of = [0u8; MAXD];
        // One pass in directive order: each part's constant is the product of its single-state
        // directives' factors, its list the active directives.
        for (i, d) in lv.dirs().iter().enumerate() {
            let bit = 1u16 << d.var;
            let active = d.spatial || cnt[i] > 1;
            let fixed = if active {
                digit_of[i] = f.nact as u8;
                f.active[f.nact] = i as u8;
                f.nact += 1;
                0
            } else {
                let v = fixed_factor(t, sts[i][0], d.var);
                f.sub_fixed[d.var] = v;
                v
            };
            let psum = tz.output_mask & bit == 0;
            let [input, filter] = &mut f.ingress;
            for (p, on) in [(input, tz.input_mask & bit != 0), (filter, tz.filter_mask & bit != 0), (&mut f.psum, psum)]
            {
                if !on {
                    continue;
                }
                if active {
                    p.idx[p.n] = i as u8;
                    p.n += 1;
                } else {
                    p.c = p.c.saturating_mul(fixed);
                }
            }
            if d.spatial {
                let (list, n) = &mut f.spatial_all;
                list[*n] = i as u8;
                *n += 1;
            }
        }
        for &w in tz.output {
            let i = lv.dir_of[w];
            let a = match w {
                Y => YO,
                X => XO,
                other => other,
            };
            if lv.dirs[i].spatial || cnt[i] > 1 {
                f.out[f.nout] = (i as u8, w as u8, a as u8);
                f.out_digit[f.nout] = digit_of[i];
                f.nout += 1;
            } else {
                f.out_c = f.out_c.saturating_mul(fixed_factor(t, sts[i][0], a));
            }
        }
        for (k, vars) in [tz.input, tz.filter, tz.output].into_iter().enumerate() {
            for &w in vars {
                let i = lv.dir_of[w];
                if lv.dirs[i].spatial {
                    let (list, n) = &mut f.spatial[k];
                    list[*n] = i as u8;
                    *n += 1;
                }
            }
        }
        for j in 0..f.psum.n {
            f.psum_digit[j] = digit_of[usize::from(f.psum.idx[j])];
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
