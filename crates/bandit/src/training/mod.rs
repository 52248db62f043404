//! Full-batch gradient descent of the [`Network`] on a deduplicated training set.
//!
//! The distinct contexts are grouped by their pattern of non-zeros (wine's disjoint encoding has
//! one pattern per arm; dense contexts have one pattern), so each step is two dense matrix
//! products per group over only the columns that group uses, instead of products over the full,
//! mostly-zero context matrix. Groups are cut into tasks of at most [`TASK_ROWS`] rows that are
//! differentiated in parallel and summed in task order, so the result does not depend on the
//! number of threads.

use std::sync::{Mutex, PoisonError, RwLock};

use rustc_hash::FxHashMap;

use crate::barrier::{PanicGuard, SpinBarrier};
use crate::batch_gradient::{BLOCK, Real, Rows, Weights, block_gradient, padded};
use crate::network::Network;
use crate::observations::Observations;

mod step;
use step::{Gradient, sum_task, update};

/// Rows per task: large enough to amortise summing a task's gradient into the step's, small
/// enough to share 2–8 cores.
const TASK_ROWS: usize = 512;

/// Rows sharing one pattern of non-zeros, with their work buffers, in precision `T`.
#[derive(Debug, Clone)]
pub(crate) struct Task<T> {
    /// Columns of the pattern, ascending.
    cols: Vec<usize>,
    /// `cols` is the range `cols[0]..cols[0] + cols.len()` (the weights are then a plain slice).
    contiguous: bool,
    /// The rows' values on `cols`, rows padded with zeros to a multiple of [`BLOCK`], each block
    /// column by column (the layout of [`Rows`]).
    x: Vec<T>,
    /// Rewards per row and their sums (0 on padding rows, so they add nothing).
    count: Vec<f64>,
    sum: Vec<f64>,
    /// Gathered weights `W1ᵀ[cols, :]` when `cols` is not contiguous.
    w: Vec<T>,
    /// One block's pre-activations, then its back-propagated errors.
    pre: Vec<T>,
    /// Gradient with respect to `W1ᵀ[cols, :]` and `w2` (padded width).
    gw: Vec<T>,
    gw2: Vec<T>,
}

/// Multiply–adds per step below which one thread is faster than a rendezvous per step.
const PARALLEL_WORK: usize = 100_000;

/// Cut `ts` into at most `parts` contiguous runs of about equal work.
fn split_balanced<T>(ts: &mut [Task<T>], parts: usize) -> Vec<&mut [Task<T>]> {
    let total: usize = ts.iter().map(|t| t.x.len().max(1)).sum();
    let mut out = Vec::with_capacity(parts);
    let mut rest = ts;
    let mut done = 0;
    for p in 1..parts {
        let target = total * p / parts;
        let mut take = 0;
        let mut acc = done;
        while take < rest.len() && acc + rest[take].x.len().max(1) / 2 < target {
            acc += rest[take].x.len().max(1);
            take += 1;
        }
        let (head, tail) = rest.split_at_mut(take);
        if !head.is_empty() {
            out.push(head);
        }
        done = acc;
        rest = tail;
    }
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

/// Group the distinct contexts of `obs` by pattern and cut the groups into tasks for a hidden
/// layer of width `m`.
pub(crate) fn tasks<T: Real>(obs: &Observations, m: usize) -> Vec<Task<T>> {
    let mut groups: Vec<(Vec<usize>, Vec<usize>)> = Vec::new();
    let mut by_pattern: FxHashMap<&[usize], usize> = FxHashMap::default();
    for (r, row) in obs.rows(0, obs.distinct()).enumerate() {
        let g = *by_pattern.entry(row.index).or_insert_with(|| {
            groups.push((row.index.to_vec(), Vec::new()));
            groups.len() - 1
        });
        groups[g].1.push(r);
    }
    let rows: Vec<_> = obs.rows(0, obs.distinct()).collect();
    let mp = padded(m);
    let mut out = Vec::new();
    for (cols, members) in groups {
        let k = cols.len();
        let contiguous = cols.last().is_none_or(|&last| last + 1 == cols[0] + k);
        // Equal pieces (178 rows → 89 + 89, not 128 + 50), so that threads get equal shares.
        let pieces = members.len().div_ceil(TASK_ROWS);
        for part in members.chunks(members.len().div_ceil(pieces)) {
            let height = part.len().div_ceil(BLOCK) * BLOCK;
            let mut x = vec![T::ZERO; height * k];
            let (mut count, mut sum) = (vec![0.0; height], vec![0.0; height]);
            for (i, &r) in part.iter().enumerate() {
                let (block, within) = (i / BLOCK * BLOCK * k, i % BLOCK);
                for (j, v) in rows[r].value.iter().enumerate() {
                    x[block + j * BLOCK + within] = T::of(*v);
                }
                (count[i], sum[i]) = (rows[r].count, rows[r].sum);
            }
            out.push(Task {
                cols: cols.clone(),
                contiguous,
                x,
                count,
                sum,
                w: if contiguous { Vec::new() } else { vec![T::ZERO; k * mp] },
                pre: vec![T::ZERO; BLOCK * mp],
                gw: vec![T::ZERO; k * mp],
                gw2: vec![T::ZERO; mp],
            });
        }
    }
    out
}

/// Gradient of `½Σ(f − y)²/n` over one task's rows into its `gw` and `gw2`, built for the widest
/// vector unit this CPU has (same result in every build).
fn task_gradient<T: Real>(t: &mut Task<T>, wt: &Weights<T>, n: f64) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports AVX-512F and FMA, checked just above.
            return unsafe { task_gradient_avx512(t, wt, n) };
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports AVX2 and FMA, checked just above.
            return unsafe { task_gradient_avx2(t, wt, n) };
        }
    }
    task_gradient_body(t, wt, n)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
fn task_gradient_avx512<T: Real>(t: &mut Task<T>, wt: &Weights<T>, n: f64) {
    task_gradient_body(t, wt, n)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn task_gradient_avx2<T: Real>(t: &mut Task<T>, wt: &Weights<T>, n: f64) {
    task_gradient_body(t, wt, n)
}

#[inline(always)]
fn task_gradient_body<T: Real>(t: &mut Task<T>, wt: &Weights<T>, n: f64) {
    let (k, mp) = (t.cols.len(), padded(wt.m));
    let Task { cols, contiguous, x, count, sum, w, pre, gw, gw2 } = t;
    gw2.fill(T::ZERO);
    if k == 0 {
        gw.fill(T::ZERO);
        // All-zero contexts: no active unit, no gradient.
        return;
    }
    let w: &[T] = if *contiguous {
        &wt.w1t[cols[0] * mp..(cols[0] + k) * mp]
    } else {
        for (dst, &j) in w.chunks_exact_mut(mp).zip(cols.iter()) {
            dst.copy_from_slice(&wt.w1t[j * mp..(j + 1) * mp]);
        }
        w
    };
    let blocks = x.chunks_exact(BLOCK * k).zip(count.chunks_exact(BLOCK)).zip(sum.chunks_exact(BLOCK));
    for (b, ((x, count), sum)) in blocks.enumerate() {
        block_gradient(&Rows { x, count, sum }, w, &wt.w2, wt.m, n, pre, gw, gw2, b == 0);
    }
}

impl Network {
    /// `steps` full-batch steps on `L/n` over the checked training set `obs`, whose [`tasks`] are
    /// `ts`, with products in `T`.
    ///
    /// Large sets are shared by `threads` threads (rayon's budget, so `RAYON_NUM_THREADS` and
    /// `ThreadPool::install` apply), each owning a fixed, contiguous run of tasks for the whole
    /// retrain; the gradients are summed in task order, so the result is the same for any count.
    pub(crate) fn train_tasks<T: Real>(
        &mut self,
        obs: &Observations,
        ts: &mut [Task<T>],
        lambda: f64,
        lr: f64,
        steps: usize,
    ) {
        if obs.len() == 0 || steps == 0 {
            return;
        }
        let n = obs.len() as f64;
        let reg = self.m as f64 * lambda / n;
        let mut sums = Gradient::new(self.d(), self.m);
        let mut weights = Weights::new(self.d(), self.m);
        weights.load(self.w1t(), self.w2());
        let work: usize = ts.iter().map(|t| t.x.len() * self.m).sum();
        let threads = rayon::current_num_threads().min(ts.len());
        if threads < 2 || work < PARALLEL_WORK {
            for _ in 0..steps {
                ts.iter_mut().for_each(|t| task_gradient(t, &weights, n));
                self.apply(ts.iter(), &mut sums, reg, lr, &mut weights);
            }
            return;
        }
        let parts: Vec<Mutex<&mut [Task<T>]>> = split_balanced(ts, threads).into_iter().map(Mutex::new).collect();
        let barrier = SpinBarrier::new(parts.len());
        let state = RwLock::new((self, weights));
        let gradient = |part: &Mutex<&mut [Task<T>]>| {
            let state = state.read().unwrap_or_else(PoisonError::into_inner);
            let mut part = part.lock().unwrap_or_else(PoisonError::into_inner);
            part.iter_mut().for_each(|t| task_gradient(t, &state.1, n));
        };
        std::thread::scope(|scope| {
            for part in &parts[1..] {
                scope.spawn(|| {
                    let _guard = PanicGuard(&barrier);
                    for _ in 0..steps {
                        barrier.wait(); // weights updated
                        gradient(part);
                        barrier.wait(); // gradients ready
                    }
                });
            }
            let _guard = PanicGuard(&barrier);
            for _ in 0..steps {
                barrier.wait();
                gradient(&parts[0]);
                barrier.wait();
                let mut state = state.write().unwrap_or_else(PoisonError::into_inner);
                let (net, weights) = &mut *state;
                let locked: Vec<_> = parts.iter().map(|p| p.lock().unwrap_or_else(PoisonError::into_inner)).collect();
                net.apply(locked.iter().flat_map(|p| p.iter()), &mut sums, reg, lr, weights);
            }
        });
    }

    /// One descent step with the tasks' gradients (summed in order) plus the regulariser; then
    /// the kernel's copy of the weights is refreshed.
    fn apply<'t, T: Real>(
        &mut self,
        tasks: impl Iterator<Item = &'t Task<T>>,
        sums: &mut Gradient,
        reg: f64,
        lr: f64,
        weights: &mut Weights<T>,
    ) {
        let m = self.m;
        let (w1t, w2, w1t_0, w2_0) = self.weights_mut();
        sums.step += 1;
        sums.w2.fill(0.0);
        for t in tasks {
            sum_task(t, sums, m);
        }
        update(w1t, w2, w1t_0, w2_0, sums, reg, lr, weights);
    }
}

#[cfg(test)]
mod tests;
