//! Full-batch gradient descent of the [`Network`] on a deduplicated training set.
//!
//! The distinct contexts are grouped by their pattern of non-zeros (wine's disjoint encoding has
//! one pattern per arm; dense contexts have one pattern), so each step is two dense matrix
//! products per group over only the columns that group uses, instead of products over the full,
//! mostly-zero context matrix. Groups are cut into tasks of at most [`TASK_ROWS`] rows that are
//! differentiated in parallel and summed in task order, so the result does not depend on the
//! number of threads.

use std::sync::{Mutex, PoisonError, RwLock};

use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView2, s};
use rustc_hash::FxHashMap;

use crate::barrier::{PanicGuard, SpinBarrier};
use crate::network::{Network, relu_dot};
use crate::observations::Observations;

/// Rows per task: large enough to amortise a matrix product, small enough to share 2–8 cores.
const TASK_ROWS: usize = 128;

/// Rows sharing one pattern of non-zeros, with their work buffers.
#[derive(Debug, Clone)]
pub(crate) struct Task {
    /// Columns of the pattern, ascending.
    cols: Vec<usize>,
    /// `cols` is the range `cols[0]..cols[0] + cols.len()` (the weights are then a plain view).
    contiguous: bool,
    /// The rows' values on `cols`, `rows × |cols|`.
    x: Array2<f64>,
    count: Vec<f64>,
    sum: Vec<f64>,
    /// Products in single precision (`x32`, `w32`, `pre32`, `gw32`; the others then stay empty).
    single: bool,
    x32: Array2<f32>,
    w32: Array2<f32>,
    pre32: Array2<f32>,
    gw32: Array2<f32>,
    gw2_32: Vec<f32>,
    /// Gathered weights `W1ᵀ[cols, :]` when `cols` is not contiguous.
    w: Array2<f64>,
    /// Pre-activations, then the back-propagated errors, `rows × m`.
    pre: Array2<f64>,
    /// Gradient with respect to `W1ᵀ[cols, :]`.
    gw: Array2<f64>,
    gw2: Vec<f64>,
}

/// Multiply–adds per step below which one thread is faster than a rendezvous per step.
const PARALLEL_WORK: usize = 100_000;

/// The summed gradient of a step.
struct Gradient {
    w1t: Vec<f64>,
    w2: Vec<f64>,
}

impl Gradient {
    fn new(d: usize, m: usize) -> Gradient {
        Gradient { w1t: vec![0.0; d * m], w2: vec![0.0; m] }
    }
}

/// Cut `ts` into at most `parts` contiguous runs of about equal work.
fn split_balanced(ts: &mut [Task], parts: usize) -> Vec<&mut [Task]> {
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

/// Group the distinct contexts of `obs` by pattern and cut the groups into tasks (with the
/// buffers of single-precision products if `f32`).
pub(crate) fn tasks(obs: &Observations, m: usize, f32: bool) -> Vec<Task> {
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
    let mut out = Vec::new();
    for (cols, members) in groups {
        let k = cols.len();
        let contiguous = cols.last().is_none_or(|&last| last + 1 == cols[0] + k);
        // Equal pieces (178 rows → 89 + 89, not 128 + 50), so that threads get equal shares.
        let pieces = members.len().div_ceil(TASK_ROWS);
        for part in members.chunks(members.len().div_ceil(pieces)) {
            let mut x = Array2::zeros((part.len(), k));
            for (i, &r) in part.iter().enumerate() {
                x.row_mut(i).iter_mut().zip(rows[r].value).for_each(|(dst, v)| *dst = *v);
            }
            let rows_here = part.len();
            let (x32, w32, pre32, gw32) = if f32 {
                (
                    x.mapv(|v| v as f32),
                    if contiguous { Array2::zeros((0, 0)) } else { Array2::zeros((k, m)) },
                    Array2::zeros((rows_here, m)),
                    Array2::zeros((k, m)),
                )
            } else {
                Default::default()
            };
            out.push(Task {
                cols: cols.clone(),
                contiguous,
                single: f32,
                x32,
                w32,
                pre32,
                gw32,
                gw2_32: if f32 { vec![0.0; m] } else { Vec::new() },
                x,
                count: part.iter().map(|&r| rows[r].count).collect(),
                sum: part.iter().map(|&r| rows[r].sum).collect(),
                w: if contiguous || f32 { Array2::zeros((0, 0)) } else { Array2::zeros((k, m)) },
                pre: if f32 { Array2::zeros((0, 0)) } else { Array2::zeros((part.len(), m)) },
                gw: if f32 { Array2::zeros((0, 0)) } else { Array2::zeros((k, m)) },
                gw2: vec![0.0; m],
            });
        }
    }
    out
}

impl Network {
    /// `steps` full-batch steps on `L/n` over the checked training set `obs`, whose [`tasks`] are `ts`.
    ///
    /// Large sets are shared by `threads` threads (rayon's budget, so `RAYON_NUM_THREADS` and
    /// `ThreadPool::install` apply), each owning a fixed, contiguous run of tasks for the whole
    /// retrain; the gradients are summed in task order, so the result is the same for any count.
    pub(crate) fn train_tasks(&mut self, obs: &Observations, ts: &mut [Task], lambda: f64, lr: f64, steps: usize) {
        if obs.len() == 0 || steps == 0 {
            return;
        }
        let n = obs.len() as f64;
        let reg = self.m as f64 * lambda / n;
        let mut sums = Gradient::new(self.d(), self.m);
        if ts.iter().any(|t| t.single) {
            self.refresh_mirror();
        }
        let work: usize = ts.iter().map(|t| t.x.len() * self.m).sum();
        let threads = rayon::current_num_threads().min(ts.len());
        if threads < 2 || work < PARALLEL_WORK {
            for _ in 0..steps {
                ts.iter_mut().for_each(|t| self.task_gradient(t, n));
                self.apply(ts.iter(), &mut sums, reg, lr);
            }
            return;
        }
        let parts: Vec<Mutex<&mut [Task]>> = split_balanced(ts, threads).into_iter().map(Mutex::new).collect();
        let barrier = SpinBarrier::new(parts.len());
        let net = RwLock::new(self);
        let gradient = |part: &Mutex<&mut [Task]>| {
            let net = net.read().unwrap_or_else(PoisonError::into_inner);
            let mut part = part.lock().unwrap_or_else(PoisonError::into_inner);
            part.iter_mut().for_each(|t| net.task_gradient(t, n));
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
                let mut net = net.write().unwrap_or_else(PoisonError::into_inner);
                let locked: Vec<_> = parts.iter().map(|p| p.lock().unwrap_or_else(PoisonError::into_inner)).collect();
                net.apply(locked.iter().flat_map(|p| p.iter()), &mut sums, reg, lr);
            }
        });
    }

    /// One descent step with the tasks' gradients (summed in order) plus the regulariser.
    fn apply<'t>(&mut self, tasks: impl Iterator<Item = &'t Task>, sums: &mut Gradient, reg: f64, lr: f64) {
        let m = self.m;
        crate::simd::dispatch(|| {
            sums.w1t.fill(0.0);
            sums.w2.fill(0.0);
            let mut single = false;
            for t in tasks {
                if t.single {
                    single = true;
                    let gw = t.gw32.as_slice().expect("row-major");
                    for (row, &j) in gw.chunks_exact(m).zip(&t.cols) {
                        sums.w1t[j * m..(j + 1) * m].iter_mut().zip(row).for_each(|(g, v)| *g += f64::from(*v));
                    }
                    sums.w2.iter_mut().zip(&t.gw2_32).for_each(|(g, v)| *g += f64::from(*v));
                } else {
                    let gw = t.gw.as_slice().expect("row-major");
                    for (row, &j) in gw.chunks_exact(m).zip(&t.cols) {
                        sums.w1t[j * m..(j + 1) * m].iter_mut().zip(row).for_each(|(g, v)| *g += v);
                    }
                    sums.w2.iter_mut().zip(&t.gw2).for_each(|(g, v)| *g += v);
                }
            }
            let (w1t, w2, w1t_0, w2_0) = self.weights_mut();
            for ((w, w0), g) in w1t.iter_mut().zip(w1t_0).zip(&sums.w1t) {
                *w -= lr * (g + (*w - w0) * reg);
            }
            for ((w, w0), g) in w2.iter_mut().zip(w2_0).zip(&sums.w2) {
                *w -= lr * (g + (*w - w0) * reg);
            }
            if single {
                self.refresh_mirror();
            }
        });
    }

    /// Gradient of `½Σ(f − y)²/n` over one task's rows into its `gw` (or `gw32`) and `gw2`.
    fn task_gradient(&self, t: &mut Task, n: f64) {
        if t.single {
            crate::simd::dispatch(|| self.task_gradient_single(t, n))
        } else {
            crate::simd::dispatch(|| self.task_gradient_body(t, n))
        }
    }

    /// [`Network::task_gradient_body`] with both matrix products in single precision (half the
    /// memory traffic, twice the SIMD lanes); errors, sums and the update stay in f64.
    #[inline(always)]
    fn task_gradient_single(&self, t: &mut Task, n: f64) {
        let m = self.m;
        let sm = (m as f64).sqrt();
        let (w1t32, w2_32) = self.mirror();
        let all = ArrayView2::from_shape((self.d(), m), w1t32).expect("d × m weights");
        let k = t.cols.len();
        let w = if t.contiguous {
            let lo = t.cols.first().copied().unwrap_or(0);
            all.slice_move(s![lo..lo + k, ..])
        } else {
            for (mut dst, &j) in t.w32.rows_mut().into_iter().zip(&t.cols) {
                dst.assign(&all.row(j));
            }
            t.w32.view()
        };
        general_mat_mul(1.0, &t.x32, &w, 0.0, &mut t.pre32);
        t.gw2_32.fill(0.0);
        let rows = t.pre32.as_slice_mut().expect("row-major").chunks_exact_mut(m);
        for ((pre, c), y) in rows.zip(&t.count).zip(&t.sum) {
            // Eight partial sums: one running sum would serialise on the adder's latency.
            let mut acc = [0.0f32; 8];
            let (pc, wc) = (pre.chunks_exact(8), w2_32.chunks_exact(8));
            let tail: f32 = pc.remainder().iter().zip(wc.remainder()).map(|(p, w)| p.max(0.0) * w).sum();
            for (p8, w8) in pc.zip(wc) {
                for k in 0..8 {
                    acc[k] += p8[k].max(0.0) * w8[k];
                }
            }
            let f = acc.iter().sum::<f32>() + tail;
            let e = (c * f64::from(f) * sm - y) / n * sm;
            let e32 = e as f32;
            for ((p, g2), w) in pre.iter_mut().zip(t.gw2_32.iter_mut()).zip(w2_32) {
                let active = f32::from(u8::from(*p > 0.0));
                *g2 += e32 * (*p * active);
                *p = e32 * w * active;
            }
        }
        general_mat_mul(1.0, &t.x32.t(), &t.pre32, 0.0, &mut t.gw32);
    }

    #[inline(always)]
    fn task_gradient_body(&self, t: &mut Task, n: f64) {
        let m = self.m;
        let sm = (m as f64).sqrt();
        let all = ArrayView2::from_shape((self.d(), m), self.w1t()).expect("d × m weights");
        let k = t.cols.len();
        let w = if t.contiguous {
            let lo = t.cols.first().copied().unwrap_or(0);
            all.slice_move(s![lo..lo + k, ..])
        } else {
            for (mut dst, &j) in t.w.rows_mut().into_iter().zip(&t.cols) {
                dst.assign(&all.row(j));
            }
            t.w.view()
        };
        general_mat_mul(1.0, &t.x, &w, 0.0, &mut t.pre);
        t.gw2.fill(0.0);
        let w2 = self.w2();
        let rows = t.pre.as_slice_mut().expect("row-major").chunks_exact_mut(m);
        for ((pre, c), y) in rows.zip(&t.count).zip(&t.sum) {
            let f = relu_dot(pre, w2) * sm;
            // c copies of x with rewards summing to S: ∂/∂f = c·f − S.
            let e = (c * f - y) / n * sm;
            // Branch-free, so it vectorises: about half the units are active, unpredictably.
            for ((p, g2), w) in pre.iter_mut().zip(t.gw2.iter_mut()).zip(w2) {
                let active = f64::from(u8::from(*p > 0.0));
                *g2 += e * (*p * active);
                *p = e * w * active;
            }
        }
        general_mat_mul(1.0, &t.x.t(), &t.pre, 0.0, &mut t.gw);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
    fn the_avx2_build_gives_bit_identical_gradients() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let net = Network::new(12, 40, &mut rng);
        let obs = set(300, 12, &mut rng);
        let mut a = tasks(&obs, net.m, false);
        let mut b = a.clone();
        for (ta, tb) in a.iter_mut().zip(b.iter_mut()) {
            simd::dispatch(|| net.task_gradient_body(ta, 300.0));
            simd::baseline(|| net.task_gradient_body(tb, 300.0));
            assert_eq!(ta.gw, tb.gw);
            assert_eq!(ta.gw2, tb.gw2);
        }
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
