//! The gradient of `½Σ(f − y)²/n` of the two-layer network over a block of dense rows, forward and
//! back fused, in f64 or f32.
//!
//! A general matrix product is a poor fit here: a task's rows have only `k` columns (11 in the QoE
//! world, 64 per arm on the dense benchmark), so a library product spends much of its time packing,
//! and the element-wise work between the two products (output, error, ReLU mask) becomes a third
//! pass over memory. Instead, [`BLOCK`] rows at a time go forward into registers, get their errors,
//! and go back into the gradient while they are still in L1: one pass over the rows, no
//! temporaries the size of the batch.
//!
//! The hidden layer is padded to whole chunks of [`LANES`] (padded units have zero weights, so zero
//! pre-activations and zero gradients), and rows to a multiple of [`BLOCK`] (padded rows have
//! count and reward sum 0, so zero error). Every output is summed in a fixed order, the products'
//! multiply–adds fused by `mul_add` (one rounding, in hardware or in software alike), so the
//! AVX-512, AVX2 and baseline builds agree bit for bit (tested) and the two mirrored halves of the
//! symmetric start stay identical.

use std::fmt::Debug;
use std::ops::{Add, Mul};

/// Hidden units per register chunk (two AVX-512 registers of f64, one of f32): a block is four
/// or eight independent chains of multiply–adds. Larger blocks or chunks stop the compiler from
/// keeping the accumulators in registers (measured: several times slower).
const LANES: usize = 16;
/// Partial sums of the output's dot product.
const SUM_LANES: usize = 16;
/// Rows per register block.
pub(crate) const BLOCK: usize = 4;

/// The arithmetic of the products: f64, or f32 for twice the SIMD lanes.
pub(crate) trait Real:
    Copy + Default + Debug + PartialOrd + Add<Output = Self> + Mul<Output = Self> + Send + Sync + 'static
{
    /// Zero.
    const ZERO: Self;
    /// Rounded from f64.
    fn of(v: f64) -> Self;
    /// Widened to f64.
    fn wide(self) -> f64;
    /// `self · a + b` rounded once (one instruction where the CPU has FMA, a correctly rounded
    /// library call elsewhere: the same result either way).
    fn mul_add(self, a: Self, b: Self) -> Self;
}

impl Real for f64 {
    const ZERO: f64 = 0.0;
    fn of(v: f64) -> f64 {
        v
    }
    fn wide(self) -> f64 {
        self
    }
    fn mul_add(self, a: f64, b: f64) -> f64 {
        f64::mul_add(self, a, b)
    }
}

impl Real for f32 {
    const ZERO: f32 = 0.0;
    fn of(v: f64) -> f32 {
        v as f32
    }
    fn wide(self) -> f64 {
        f64::from(self)
    }
    fn mul_add(self, a: f32, b: f32) -> f32 {
        f32::mul_add(self, a, b)
    }
}

/// The hidden width `m` rounded up to whole chunks.
pub(crate) fn padded(m: usize) -> usize {
    m.div_ceil(LANES) * LANES
}

/// The network's weights in the kernel's precision and padded layout (`W1ᵀ` is `d × padded(m)`).
#[derive(Debug, Clone)]
pub(crate) struct Weights<T> {
    pub m: usize,
    pub w1t: Vec<T>,
    pub w2: Vec<T>,
}

impl<T: Real> Weights<T> {
    /// Zero weights for `d` inputs and `m` hidden units.
    pub fn new(d: usize, m: usize) -> Weights<T> {
        Weights { m, w1t: vec![T::ZERO; d * padded(m)], w2: vec![T::ZERO; padded(m)] }
    }

    /// Copy (and round) `W1ᵀ` (`d × m`, row-major) and `w2`.
    #[inline(always)]
    pub fn load(&mut self, w1t: &[f64], w2: &[f64]) {
        let (m, mp) = (self.m, padded(self.m));
        for (dst, src) in self.w1t.chunks_exact_mut(mp).zip(w1t.chunks_exact(m)) {
            dst.iter_mut().zip(src).for_each(|(a, b)| *a = T::of(*b));
        }
        self.w2.iter_mut().zip(w2).for_each(|(a, b)| *a = T::of(*b));
    }
}

/// One block's rows: `x` column by column (`x[j·BLOCK + r]` is row `r`'s value `j`), their
/// counts and reward sums.
pub(crate) struct Rows<'a, T> {
    pub x: &'a [T],
    pub count: &'a [f64],
    pub sum: &'a [f64],
}

/// Add the gradient of one block of rows to (for the `first` block: write it into) `gw` (`k × padded(m)`, over the weights `w`, the rows
/// of `W1ᵀ` for the block's columns) and `gw2`; `pre` is a `BLOCK × padded(m)` work buffer.
/// `scale` is `√m`, `n` the number of rewards of the whole loss.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn block_gradient<T: Real>(
    rows: &Rows<'_, T>,
    w: &[T],
    w2: &[T],
    m: usize,
    n: f64,
    pre: &mut [T],
    gw: &mut [T],
    gw2: &mut [T],
    first: bool,
) {
    let mp = padded(m);
    let sm = (m as f64).sqrt();
    forward(rows.x, w, mp, pre);
    for (r, p) in pre.chunks_exact_mut(mp).enumerate() {
        let f = twin_relu_dot(&p[..m], &w2[..m]).wide() * sm;
        // c copies of x with rewards summing to S: ∂/∂f = c·f − S.
        let e = T::of((rows.count[r] * f - rows.sum[r]) / n * sm);
        // ReLU output into gw2, then the back-propagated error in place of the pre-activation.
        for ((p, g2), w) in p.iter_mut().zip(gw2.iter_mut()).zip(w2) {
            let active = *p > T::ZERO;
            *g2 = *g2 + e * if active { *p } else { T::ZERO };
            *p = if active { e * *w } else { T::ZERO };
        }
    }
    backward(rows.x, pre, mp, gw, first);
}

/// `acc[r, :] += x[r] · w` for the [`BLOCK`] rows of one chunk.
#[inline(always)]
fn block_axpy<T: Real>(acc: &mut [[T; LANES]; BLOCK], x: &[T], w: &[T; LANES]) {
    for (acc, &a) in acc.iter_mut().zip(x) {
        for l in 0..LANES {
            acc[l] = a.mul_add(w[l], acc[l]);
        }
    }
}

/// `pre[r, :] = Σ_j x[r, j] · w[j, :]`, a chunk of [`LANES`] units of all [`BLOCK`] rows at a
/// time in registers, `j` ascending.
#[inline(always)]
fn forward<T: Real>(x: &[T], w: &[T], mp: usize, pre: &mut [T]) {
    for c in (0..mp).step_by(LANES) {
        let mut acc = [[T::ZERO; LANES]; BLOCK];
        for (xj, wrow) in x.chunks_exact(BLOCK).zip(w.chunks_exact(mp)) {
            block_axpy(&mut acc, xj, wrow[c..c + LANES].try_into().expect("a whole chunk"));
        }
        for (acc, p) in acc.iter().zip(pre.chunks_exact_mut(mp)) {
            p[c..c + LANES].copy_from_slice(acc);
        }
    }
}

/// `g += Σ_r x[r] · d[r, :]` for one chunk (`g =` for the `first` block).
#[inline(always)]
fn chunk_rank_update<T: Real>(g: &mut [T; LANES], x: &[T], d: &[[T; LANES]; BLOCK], first: bool) {
    let mut acc = if first { [T::ZERO; LANES] } else { *g };
    for (d, &a) in d.iter().zip(x) {
        for l in 0..LANES {
            acc[l] = a.mul_add(d[l], acc[l]);
        }
    }
    *g = acc;
}

/// `gw[j, :] += Σ_r x[r, j] · delta[r, :]` (`=` for the `first` block), rows in order, each chunk
/// of the block's errors held in registers across all `j`.
#[inline(always)]
fn backward<T: Real>(x: &[T], delta: &[T], mp: usize, gw: &mut [T], first: bool) {
    for c in (0..mp).step_by(LANES) {
        let mut d = [[T::ZERO; LANES]; BLOCK];
        for (d, row) in d.iter_mut().zip(delta.chunks_exact(mp)) {
            d.copy_from_slice(&row[c..c + LANES]);
        }
        for (xj, grow) in x.chunks_exact(BLOCK).zip(gw.chunks_exact_mut(mp)) {
            chunk_rank_update((&mut grow[c..c + LANES]).try_into().expect("a whole chunk"), xj, &d, first);
        }
    }
}

/// `Σ max(p_i, 0)·w_i`, each unit of the first half added together with its twin of the second:
/// at the symmetric start the twins cancel exactly, so `f(x; θ0)` is exactly 0. Partial sums
/// across [`SUM_LANES`] lanes (one running sum would serialise on the adder's latency).
#[inline(always)]
pub(crate) fn twin_relu_dot<T: Real>(p: &[T], w: &[T]) -> T {
    let half = p.len().min(w.len()) / 2;
    let relu = |v: T| if v > T::ZERO { v } else { T::ZERO };
    let (p_lo, p_hi, w_lo, w_hi) = (&p[..half], &p[half..2 * half], &w[..half], &w[half..2 * half]);
    let mut acc = [T::ZERO; SUM_LANES];
    let pairs = |(((a, b), c), d): (((&T, &T), &T), &T)| relu(*a) * *c + relu(*b) * *d;
    let chunks = p_lo
        .chunks_exact(SUM_LANES)
        .zip(p_hi.chunks_exact(SUM_LANES))
        .zip(w_lo.chunks_exact(SUM_LANES))
        .zip(w_hi.chunks_exact(SUM_LANES));
    for (((a, b), c), d) in chunks {
        let whole = |v: &[T]| -> [T; SUM_LANES] { v.try_into().expect("a whole chunk") };
        let (a, b, c, d) = (whole(a), whole(b), whole(c), whole(d));
        for l in 0..SUM_LANES {
            acc[l] = acc[l] + (relu(a[l]) * c[l] + relu(b[l]) * d[l]);
        }
    }
    let whole = half / SUM_LANES * SUM_LANES;
    let rest = p_lo[whole..].iter().zip(&p_hi[whole..]).zip(&w_lo[whole..]).zip(&w_hi[whole..]);
    let tail = rest.map(pairs).fold(T::ZERO, |s, t| s + t);
    // A fixed pairwise tree, the same in every build.
    let mut width = SUM_LANES;
    while width > 1 {
        width /= 2;
        for l in 0..width {
            acc[l] = acc[l] + acc[l + width];
        }
    }
    acc[0] + tail
}
