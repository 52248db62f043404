//! One descent step: the tasks' gradients summed in task order into f64, the update with the
//! regulariser, and the kernel's copy of the weights refreshed (element-wise loops, built for
//! AVX-512 when the CPU has it; the same results in every build).

use super::Task;
use crate::batch_gradient::{Real, Weights, padded};

/// The summed gradient of a step.
pub(super) struct Gradient {
    pub(super) w1t: Vec<f64>,
    pub(super) w2: Vec<f64>,
    /// The step that last wrote each row of `w1t` (rows no task of this step touched have a
    /// zero gradient without being cleared).
    written: Vec<u64>,
    pub(super) step: u64,
}

impl Gradient {
    pub(super) fn new(d: usize, m: usize) -> Gradient {
        Gradient { w1t: vec![0.0; d * m], w2: vec![0.0; m], written: vec![0; d], step: 0 }
    }
}

/// Add one task's gradient to the step's.
pub(super) fn sum_task<T: Real>(t: &Task<T>, sums: &mut Gradient, m: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F, checked just above.
            return unsafe { sum_task_avx512(t, sums, m) };
        }
    }
    sum_task_body(t, sums, m)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn sum_task_avx512<T: Real>(t: &Task<T>, sums: &mut Gradient, m: usize) {
    sum_task_body(t, sums, m)
}

#[inline(always)]
fn sum_task_body<T: Real>(t: &Task<T>, sums: &mut Gradient, m: usize) {
    for (row, &j) in t.gw.chunks_exact(padded(m)).zip(&t.cols) {
        let sum = &mut sums.w1t[j * m..(j + 1) * m];
        if sums.written[j] == sums.step {
            sum.iter_mut().zip(row).for_each(|(g, v)| *g += v.wide());
        } else {
            sum.iter_mut().zip(row).for_each(|(g, v)| *g = v.wide());
            sums.written[j] = sums.step;
        }
    }
    add_wide(&mut sums.w2, &t.gw2);
}

/// The descent step on (W1ᵀ, w2) with the summed gradient, and the kernel's copy refreshed.
#[allow(clippy::too_many_arguments)]
pub(super) fn update<T: Real>(
    w1t: &mut [f64],
    w2: &mut [f64],
    w1t_0: &[f64],
    w2_0: &[f64],
    sums: &Gradient,
    reg: f64,
    lr: f64,
    weights: &mut Weights<T>,
) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F, checked just above.
            return unsafe { update_avx512(w1t, w2, w1t_0, w2_0, sums, reg, lr, weights) };
        }
    }
    update_body(w1t, w2, w1t_0, w2_0, sums, reg, lr, weights)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
fn update_avx512<T: Real>(
    w1t: &mut [f64],
    w2: &mut [f64],
    w1t_0: &[f64],
    w2_0: &[f64],
    sums: &Gradient,
    reg: f64,
    lr: f64,
    weights: &mut Weights<T>,
) {
    update_body(w1t, w2, w1t_0, w2_0, sums, reg, lr, weights)
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn update_body<T: Real>(
    w1t: &mut [f64],
    w2: &mut [f64],
    w1t_0: &[f64],
    w2_0: &[f64],
    sums: &Gradient,
    reg: f64,
    lr: f64,
    weights: &mut Weights<T>,
) {
    let m = w2.len();
    let rows = w1t.chunks_exact_mut(m).zip(w1t_0.chunks_exact(m)).zip(sums.w1t.chunks_exact(m));
    for (((w, w0), g), &written) in rows.zip(&sums.written) {
        if written == sums.step {
            descend(w, w0, g, reg, lr);
        } else {
            // No gradient: the regulariser alone.
            w.iter_mut().zip(w0).for_each(|(w, w0)| *w -= lr * ((*w - w0) * reg));
        }
    }
    descend(w2, w2_0, &sums.w2, reg, lr);
    weights.load(w1t, w2);
}

/// `sum += v` (widened), over `sum`'s length.
#[inline(always)]
fn add_wide<T: Real>(sum: &mut [f64], v: &[T]) {
    sum.iter_mut().zip(v).for_each(|(g, v)| *g += v.wide());
}

/// `w −= lr·(g + (w − w0)·reg)`.
#[inline(always)]
fn descend(w: &mut [f64], w0: &[f64], g: &[f64], reg: f64, lr: f64) {
    for ((w, w0), g) in w.iter_mut().zip(w0).zip(g) {
        *w -= lr * (g + (*w - w0) * reg);
    }
}
