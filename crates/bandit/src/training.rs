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

/// The summed gradient of a step.
struct Gradient {
    w1t: Vec<f64>,
    w2: Vec<f64>,
    /// The step that last wrote each row of `w1t` (rows no task of this step touched have a
    /// zero gradient without being cleared).
    written: Vec<u64>,
    step: u64,
}

impl Gradient {
    fn new(d: usize, m: usize) -> Gradient {
        Gradient { w1t: vec![0.0; d * m], w2: vec![0.0; m], written: vec![0; d], step: 0 }
    }
}

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
    let mp = padded::<T>(m);
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
    let (k, mp) = (t.cols.len(), padded::<T>(wt.m));
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

/// Add one task's gradient to the step's.
fn sum_task<T: Real>(t: &Task<T>, sums: &mut Gradient, m: usize) {
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
    for (row, &j) in t.gw.chunks_exact(padded::<T>(m)).zip(&t.cols) {
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
fn update<T: Real>(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch_gradient::{Real, Weights};
    use crate::simd;
    use ndarray::Array1;
    use rand::rngs::ChaCha8Rng;
    use rand::{RngExt, SeedableRng};

    fn set(rows: usize, d: usize, rng: &mut ChaCha8Rng) -> Observations {
        let mut obs = Observations::new(d);
        for _ in 0..rows {
            // Disjoint blocks, dense rows and scattered non-zeros: contiguous and gathered patterns.
            let kind = rng.random_range(0..3);
            let x = Array1::from_shape_fn(d, |j| match kind {
                0 if j < d / 2 => rng.random_range(-1.0..1.0),
                1 => rng.random_range(-1.0..1.0),
                2 if j % 3 == 1 => rng.random_range(-1.0..1.0),
                _ => 0.0,
            });
            obs.push(x.view(), rng.random_range(0.0..1.0));
        }
        obs
    }

    #[test]
    fn every_vector_build_gives_bit_identical_gradients() {
        fn check<T: Real + PartialEq>(net: &Network, obs: &Observations) {
            let mut weights = Weights::<T>::new(net.d(), net.m);
            weights.load(net.w1t(), net.w2());
            let mut a = tasks::<T>(obs, net.m);
            let mut b = a.clone();
            for (ta, tb) in a.iter_mut().zip(b.iter_mut()) {
                task_gradient(ta, &weights, 300.0);
                simd::baseline(|| task_gradient_body(tb, &weights, 300.0));
                assert!(ta.gw.iter().any(|g| *g != T::ZERO) || ta.cols.is_empty());
                assert_eq!(ta.gw, tb.gw);
                assert_eq!(ta.gw2, tb.gw2);
            }
        }
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut net = Network::new(12, 40, &mut rng);
        // Away from the symmetric start, so that the errors are not all equal.
        let p = net.params().mapv(|v| v + 0.1 * crate::network::standard_normal(&mut rng));
        net.set_params(p.view()).unwrap();
        let obs = set(300, 12, &mut rng);
        check::<f64>(&net, &obs);
        check::<f32>(&net, &obs);
    }

    #[test]
    fn training_does_not_depend_on_the_thread_count() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let start = Network::new(12, 40, &mut rng);
        let obs = set(3000, 12, &mut rng);
        let run = |threads, single| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let mut net = start.clone();
            pool.install(|| net.train_on(&obs, 1e-3, 0.01, 5, single));
            net
        };
        for single in [false, true] {
            let one = run(1, single);
            assert_ne!(one.params(), start.params());
            assert_eq!(one.params(), run(2, single).params());
            assert_eq!(one.params(), run(3, single).params());
        }
    }

    /// Single-precision products move the weights as f64 does, to f32 rounding.
    #[test]
    fn single_precision_training_follows_double_precision() {
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        let start = Network::new(12, 40, &mut rng);
        let obs = set(500, 12, &mut rng);
        let (mut double, mut single) = (start.clone(), start.clone());
        double.train_on(&obs, 1e-3, 0.01, 10, false);
        single.train_on(&obs, 1e-3, 0.01, 10, true);
        let (p0, p1, p2) = (start.params(), double.params(), single.params());
        let moved: f64 = p1.iter().zip(&p0).map(|(a, b)| (a - b).abs()).sum();
        let error: f64 = p1.iter().zip(&p2).map(|(a, b)| (a - b).abs()).sum();
        assert!(moved > 0.0 && error < 1e-4 * moved, "moved {moved}, f32 error {error}");
    }

    /// Plain full-batch descent on the full, repeated, dense history (the textbook form).
    fn naive(
        net: &Network,
        x: &ndarray::Array2<f64>,
        y: &Array1<f64>,
        lambda: f64,
        lr: f64,
        steps: usize,
    ) -> Array1<f64> {
        let (m, d, n) = (net.m, net.d(), x.nrows() as f64);
        let sm = (m as f64).sqrt();
        let theta0 = net.params();
        let mut w1 = theta0.slice(ndarray::s![..m * d]).to_owned().into_shape_with_order((m, d)).unwrap();
        let mut w2 = theta0.slice(ndarray::s![m * d..]).to_owned();
        let (w1_0, w2_0) = (w1.clone(), w2.clone());
        let reg = m as f64 * lambda / n;
        for _ in 0..steps {
            let pre = x.dot(&w1.t());
            let h = pre.mapv(|v| v.max(0.0));
            let err = (h.dot(&w2) * sm - y) / n;
            let gw2 = h.t().dot(&err) * sm + (&w2 - &w2_0) * reg;
            let mut delta = ndarray::Array2::from_shape_fn(pre.dim(), |(r, i)| err[r] * sm * w2[i]);
            delta.zip_mut_with(&pre, |g, p| *g *= f64::from(u8::from(*p > 0.0)));
            let gw1 = delta.t().dot(x) + (&w1 - &w1_0) * reg;
            w1.scaled_add(-lr, &gw1);
            w2.scaled_add(-lr, &gw2);
        }
        w1.iter().chain(w2.iter()).copied().collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
        #[test]
        fn deduplicated_sparse_training_equals_the_textbook_form(
            seed in 0u64..1000, d in 1usize..7, half in 1usize..6, n in 1usize..60, distinct in 1usize..12,
        ) {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let net = Network::new(d, 2 * half, &mut rng);
            // `distinct` contexts, some all-zero or sparse, drawn with repetition, with noisy rewards.
            let pool = ndarray::Array2::from_shape_fn((distinct, d), |_| {
                if rng.random_bool(0.4) { 0.0 } else { rng.random_range(-1.0..1.0) }
            });
            let x = ndarray::Array2::from_shape_fn((n, d), |_| 0.0);
            let mut x = x;
            for mut row in x.rows_mut() {
                row.assign(&pool.row(rng.random_range(0..distinct)));
            }
            let y = Array1::from_shape_fn(n, |_| rng.random_range(-1.0..2.0));
            let mut fast = net.clone();
            fast.train(x.view(), y.view(), 1e-2, 0.05, 4).unwrap();
            let expected = naive(&net, &x, &y, 1e-2, 0.05, 4);
            for (a, b) in fast.params().iter().zip(&expected) {
                proptest::prop_assert!((a - b).abs() <= 1e-12 * (1.0 + b.abs()), "{a} vs {b}");
            }
        }
    }
}
