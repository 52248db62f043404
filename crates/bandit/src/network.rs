//! The NeuralUCB network `f(x) = √m · w2ᵀ ReLU(W1 x)` with the symmetric initialisation that
//! makes `f(x; θ0) = 0` (Zhou et al. 2020; thesis eqs. 2.3–2.9), its per-sample gradient and
//! full-batch gradient descent on `L/n` with `L = ½Σ(f − y)² + (mλ/2)‖θ − θ0‖²`.
//!
//! W1 is stored transposed (`d × m`): the weights of input `j` are contiguous, so a context
//! touches only the rows of its non-zeros, and every inner loop is an `axpy` over the hidden
//! units that the compiler vectorises.

use ndarray::{Array1, ArrayView1, ArrayView2};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::error::{BanditError, Result};
use crate::observations::Observations;

/// Parameters θ = (W1, w2) and their initial values θ0. Deserialisation checks that the shapes
/// agree, so a corrupted saved network is an error rather than a later panic.
///
/// ```
/// use edgeopt_bandit::Network;
/// use edgeopt_bandit::ndarray::array;
/// use rand::SeedableRng;
/// let mut net = Network::new(2, 16, &mut rand::rngs::ChaCha8Rng::seed_from_u64(0));
/// let x = array![[1.0, 0.0], [0.0, 1.0]];
/// assert!(net.values(x.view()).unwrap().iter().all(|f| f.abs() < 1e-12)); // symmetric start
/// net.train(x.view(), array![1.0, 0.0].view(), 1e-3, 0.1, 200).unwrap();
/// let f = net.values(x.view()).unwrap();
/// assert!(f[0] > 0.8 && f[1].abs() < 0.2);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "NetworkData")]
pub struct Network {
    pub(crate) m: usize,
    d: usize,
    /// W1ᵀ, row-major `d × m`.
    w1t: Vec<f64>,
    w2: Vec<f64>,
    w1t_0: Vec<f64>,
    w2_0: Vec<f64>,
}

#[derive(Deserialize)]
struct NetworkData {
    m: usize,
    d: usize,
    w1t: Vec<f64>,
    w2: Vec<f64>,
    w1t_0: Vec<f64>,
    w2_0: Vec<f64>,
}

impl TryFrom<NetworkData> for Network {
    type Error = BanditError;
    fn try_from(n: NetworkData) -> Result<Network> {
        let ok = n.m >= 2
            && n.d >= 1
            && n.d.checked_mul(n.m) == Some(n.w1t.len())
            && n.w1t_0.len() == n.w1t.len()
            && n.w2.len() == n.m
            && n.w2_0.len() == n.m
            && n.w1t.iter().chain(&n.w2).chain(&n.w1t_0).chain(&n.w2_0).all(|v| v.is_finite());
        if !ok {
            return Err(BanditError::Data {
                file: "<saved network>".into(),
                message: "inconsistent or non-finite network parameters".into(),
            });
        }
        Ok(Network { m: n.m, d: n.d, w1t: n.w1t, w2: n.w2, w1t_0: n.w1t_0, w2_0: n.w2_0 })
    }
}

/// Reusable buffers of the hot paths. Not part of a policy's state: never saved, never compared.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scratch {
    pre: Vec<f64>,
    q: Vec<f64>,
    chunks: Vec<ChunkGradient>,
}

impl PartialEq for Scratch {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// The gradient of the loss over one chunk of the training set, with its own work buffers.
#[derive(Debug, Clone, Default)]
struct ChunkGradient {
    gw1t: Vec<f64>,
    gw2: Vec<f64>,
    pre: Vec<f64>,
    delta: Vec<f64>,
}

/// Distinct contexts per chunk of a training step. Fixed, so the floating-point order (and with it
/// every result) does not depend on the number of threads.
const CHUNK_ROWS: usize = 96;

/// `y += a·x`.
fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// A standard normal draw (Box–Muller). One implementation for the whole crate, so every
/// seeded stream (initialisation, Thompson sampling, environments) draws the same way.
pub(crate) fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    use rand::RngExt;
    let u1: f64 = rng.random_range(f64::MIN_POSITIVE..1.0);
    let u2: f64 = rng.random_range(0.0..1.0);
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

impl Network {
    /// Symmetric initialisation: the two halves of the hidden layer share `W` (entries N(0, 4/m))
    /// and have output weights `v` and `−v` (entries N(0, 2/m)). An odd `m` is rounded down.
    pub fn new<R: Rng + ?Sized>(d: usize, m: usize, rng: &mut R) -> Network {
        let half = m / 2;
        let m = 2 * half;
        // Drawn in W's row-major order (unit by unit), then laid out transposed.
        let w: Vec<f64> = (0..half * d).map(|_| standard_normal(rng) * (4.0 / m as f64).sqrt()).collect();
        let v: Vec<f64> = (0..half).map(|_| standard_normal(rng) * (2.0 / m as f64).sqrt()).collect();
        let mut w1t = vec![0.0; d * m];
        for i in 0..half {
            for j in 0..d {
                w1t[j * m + i] = w[i * d + j];
                w1t[j * m + half + i] = w[i * d + j];
            }
        }
        let w2: Vec<f64> = v.iter().copied().chain(v.iter().map(|x| -x)).collect();
        Network { m, d, w1t_0: w1t.clone(), w2_0: w2.clone(), w1t, w2 }
    }

    /// Hidden width m.
    pub fn m(&self) -> usize {
        self.m
    }

    /// Input length.
    pub fn d(&self) -> usize {
        self.d
    }

    /// Number of parameters p = m·d + m.
    pub fn n_params(&self) -> usize {
        self.w1t.len() + self.w2.len()
    }

    fn check_input(&self, x: ArrayView1<f64>) -> Result<()> {
        if x.len() != self.d {
            return Err(BanditError::ContextLength { expected: self.d, got: x.len() });
        }
        if let Some(&v) = x.iter().find(|v| !v.is_finite()) {
            return Err(BanditError::NonFinite { what: "a network input", value: v });
        }
        Ok(())
    }

    /// All parameters, W1 row-major (unit by unit) then w2.
    pub fn params(&self) -> Array1<f64> {
        let (m, d) = (self.m, self.d);
        (0..m * d).map(|k| self.w1t[(k % d) * m + k / d]).chain(self.w2.iter().copied()).collect()
    }

    /// Overwrite all parameters (layout of [`Network::params`]).
    pub fn set_params(&mut self, p: ArrayView1<f64>) -> Result<()> {
        if p.len() != self.n_params() {
            return Err(BanditError::ContextLength { expected: self.n_params(), got: p.len() });
        }
        if let Some(&v) = p.iter().find(|v| !v.is_finite()) {
            return Err(BanditError::NonFinite { what: "a parameter", value: v });
        }
        let (m, d) = (self.m, self.d);
        for (k, v) in p.iter().enumerate() {
            if k < m * d {
                self.w1t[(k % d) * m + k / d] = *v;
            } else {
                self.w2[k - m * d] = *v;
            }
        }
        Ok(())
    }

    /// Pre-activations `W1 x` into `pre`, skipping zero inputs.
    fn forward(&self, x: ArrayView1<f64>, pre: &mut Vec<f64>) {
        let m = self.m;
        pre.clear();
        pre.resize(m, 0.0);
        for (j, &v) in x.iter().enumerate() {
            if v != 0.0 {
                axpy(v, &self.w1t[j * m..(j + 1) * m], pre);
            }
        }
    }

    /// `√m · w2ᵀ ReLU(pre)`.
    fn output(&self, pre: &[f64]) -> f64 {
        let s: f64 = pre.iter().zip(&self.w2).map(|(p, w)| p.max(0.0) * w).sum();
        (self.m as f64).sqrt() * s
    }

    /// f(x) and ∂f/∂θ for one input (gradient in the layout of [`Network::params`]).
    pub fn value_and_gradient(&self, x: ArrayView1<f64>) -> Result<(f64, Array1<f64>)> {
        self.check_input(x)?;
        Ok(self.value_and_gradient_unchecked(x))
    }

    pub(crate) fn value_and_gradient_unchecked(&self, x: ArrayView1<f64>) -> (f64, Array1<f64>) {
        let sm = (self.m as f64).sqrt();
        let mut pre = Vec::new();
        self.forward(x, &mut pre);
        let mut g = Vec::with_capacity(self.n_params());
        for (i, p) in pre.iter().enumerate() {
            let c = if *p > 0.0 { sm * self.w2[i] } else { 0.0 };
            g.extend(x.iter().map(|xv| c * xv));
        }
        g.extend(pre.iter().map(|p| sm * p.max(0.0)));
        (self.output(&pre), Array1::from(g))
    }

    /// f(x) and `Σ_k g_k² · inv[k]` for one input without materialising the gradient `g` (the UCB
    /// bonus with a diagonal confidence matrix; `inv` in the internal layout: W1ᵀ row-major, then w2).
    /// The per-arm hot path of every selection.
    pub(crate) fn value_and_weighted_norm(&self, x: ArrayView1<f64>, inv: &[f64], s: &mut Scratch) -> (f64, f64) {
        let m = self.m;
        self.forward(x, &mut s.pre);
        // q_i = Σ_j x_j² inv[j, i]: the W1 part of the norm before the per-unit factor m·w2_i².
        s.q.clear();
        s.q.resize(m, 0.0);
        for (j, &v) in x.iter().enumerate() {
            if v != 0.0 {
                axpy(v * v, &inv[j * m..(j + 1) * m], &mut s.q);
            }
        }
        let inv2 = &inv[self.w1t.len()..];
        let mut norm = 0.0;
        for i in 0..m {
            let p = s.pre[i];
            if p > 0.0 {
                norm += self.w2[i] * self.w2[i] * s.q[i] + p * p * inv2[i];
            }
        }
        (self.output(&s.pre), m as f64 * norm)
    }

    /// `z += g²/m` and `inv = 1/(m·z)` for the gradient `g` at `x`, without allocating `g` (layout of
    /// [`Network::value_and_weighted_norm`]; inactive units and zero inputs have zero gradient).
    pub(crate) fn accumulate_squared_gradient(
        &self,
        x: ArrayView1<f64>,
        z: &mut [f64],
        inv: &mut [f64],
        s: &mut Scratch,
    ) {
        let m = self.m;
        let mf = m as f64;
        self.forward(x, &mut s.pre);
        // (√m·w2_i)²/m on active units, 0 elsewhere.
        s.q.clear();
        s.q.extend(s.pre.iter().zip(&self.w2).map(|(p, w)| if *p > 0.0 { w * w } else { 0.0 }));
        for (j, &v) in x.iter().enumerate() {
            if v != 0.0 {
                let (zj, ij) = (&mut z[j * m..(j + 1) * m], &mut inv[j * m..(j + 1) * m]);
                for i in 0..m {
                    zj[i] += s.q[i] * v * v;
                    ij[i] = 1.0 / (mf * zj[i]);
                }
            }
        }
        let off = self.w1t.len();
        for i in 0..m {
            let p = s.pre[i];
            if p > 0.0 {
                z[off + i] += p * p;
                inv[off + i] = 1.0 / (mf * z[off + i]);
            }
        }
    }

    /// Position in the internal (W1ᵀ, w2) layout of parameter `k` of the [`Network::params`] layout.
    pub(crate) fn internal_index(&self, k: usize) -> usize {
        let (m, d) = (self.m, self.d);
        if k < m * d { (k % d) * m + k / d } else { k }
    }

    /// f(x) for many inputs (rows).
    pub fn values(&self, x: ArrayView2<f64>) -> Result<Array1<f64>> {
        for row in x.rows() {
            self.check_input(row)?;
        }
        let mut pre = Vec::new();
        Ok(x.rows()
            .into_iter()
            .map(|row| {
                self.forward(row, &mut pre);
                self.output(&pre)
            })
            .collect())
    }

    /// `steps` full-batch gradient-descent steps on `L/n`, warm-started from the current θ.
    pub fn train(&mut self, x: ArrayView2<f64>, y: ArrayView1<f64>, lambda: f64, lr: f64, steps: usize) -> Result<()> {
        if x.nrows() != y.len() {
            return Err(BanditError::ContextLength { expected: x.nrows(), got: y.len() });
        }
        for row in x.rows() {
            self.check_input(row)?;
        }
        if let Some(&v) = y.iter().find(|v| !v.is_finite()) {
            return Err(BanditError::NonFinite { what: "a training target", value: v });
        }
        let mut obs = Observations::new(self.d);
        for (row, &v) in x.rows().into_iter().zip(y) {
            obs.push(row, v);
        }
        self.train_on(&obs, lambda, lr, steps, &mut Scratch::default());
        Ok(())
    }

    /// [`Network::train`] on a checked, deduplicated training set. Chunks of distinct contexts are
    /// differentiated in parallel and summed in chunk order (deterministic for any thread count).
    pub(crate) fn train_on(&mut self, obs: &Observations, lambda: f64, lr: f64, steps: usize, s: &mut Scratch) {
        use rayon::prelude::*;
        let n = obs.len() as f64;
        if obs.len() == 0 {
            return;
        }
        let rows = obs.distinct();
        let n_chunks = rows.div_ceil(CHUNK_ROWS);
        s.chunks.resize_with(n_chunks, ChunkGradient::default);
        let reg = self.m as f64 * lambda / n;
        for _ in 0..steps {
            let net = &*self;
            let work = |(c, g): (usize, &mut ChunkGradient)| {
                net.chunk_gradient(obs, c * CHUNK_ROWS, ((c + 1) * CHUNK_ROWS).min(rows), n, g)
            };
            if n_chunks == 1 {
                s.chunks.iter_mut().enumerate().for_each(work);
            } else {
                s.chunks.par_iter_mut().enumerate().for_each(work);
            }
            let (first, rest) = s.chunks.split_first_mut().expect("at least one chunk");
            for c in rest.iter() {
                axpy(1.0, &c.gw1t, &mut first.gw1t);
                axpy(1.0, &c.gw2, &mut first.gw2);
            }
            for ((w, w0), g) in self.w1t.iter_mut().zip(&self.w1t_0).zip(&first.gw1t) {
                *w -= lr * (g + (*w - w0) * reg);
            }
            for ((w, w0), g) in self.w2.iter_mut().zip(&self.w2_0).zip(&first.gw2) {
                *w -= lr * (g + (*w - w0) * reg);
            }
        }
    }

    /// Gradient of `½Σ(f − y)²/n` over the distinct contexts `lo..hi` into `g`.
    fn chunk_gradient(&self, obs: &Observations, lo: usize, hi: usize, n: f64, g: &mut ChunkGradient) {
        let m = self.m;
        let sm = (m as f64).sqrt();
        g.gw1t.clear();
        g.gw1t.resize(self.w1t.len(), 0.0);
        g.gw2.clear();
        g.gw2.resize(m, 0.0);
        g.pre.resize(m, 0.0);
        g.delta.resize(m, 0.0);
        for row in obs.rows(lo, hi) {
            g.pre.fill(0.0);
            for (&j, &v) in row.index.iter().zip(row.value) {
                axpy(v, &self.w1t[j * m..(j + 1) * m], &mut g.pre);
            }
            // c copies of x with rewards summing to S: ∂/∂f = c·f − S.
            let e = (row.count * self.output(&g.pre) - row.sum) / n * sm;
            if e == 0.0 {
                continue;
            }
            for i in 0..m {
                let p = g.pre[i];
                let active = p > 0.0;
                g.gw2[i] += e * p.max(0.0);
                g.delta[i] = if active { e * self.w2[i] } else { 0.0 };
            }
            for (&j, &v) in row.index.iter().zip(row.value) {
                axpy(v, &g.delta, &mut g.gw1t[j * m..(j + 1) * m]);
            }
        }
    }
}
