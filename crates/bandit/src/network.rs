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
/// assert_eq!(net.values(x.view()).unwrap(), array![0.0, 0.0]); // symmetric start: exactly 0
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
            && n.m.is_multiple_of(2)
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
}

impl PartialEq for Scratch {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// `Σ max(p_i, 0)·w_i` over an even-length hidden layer, each unit added together with its twin
/// of the other half: at the symmetric initialisation the twins cancel exactly, so `f(x; θ0)` is
/// exactly 0 and the first rounds are true ties. Four partial sums, because one running sum
/// serialises on the adder's latency.
#[inline(always)]
pub(crate) fn relu_dot(p: &[f64], w: &[f64]) -> f64 {
    let half = p.len().min(w.len()) / 2;
    let (p_lo, p_hi) = (&p[..half], &p[half..2 * half]);
    let (w_lo, w_hi) = (&w[..half], &w[half..2 * half]);
    let relu = |v: f64| v * f64::from(u8::from(v > 0.0));
    let mut acc = [0.0; 4];
    for (i, (((a, b), c), d)) in p_lo.iter().zip(p_hi).zip(w_lo).zip(w_hi).enumerate() {
        acc[i % 4] += relu(*a) * c + relu(*b) * d;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

/// `y += a·x`.
#[inline(always)]
fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// `out = Wᵀ·input` for `W` stored transposed (`in × out`, row-major, `width` outputs): one `axpy`
/// per non-zero input, so every output sums its inputs in input order. The forward pass of every
/// layer of both networks, which is what keeps the mirrored halves of the symmetric start
/// bit-identical.
#[inline(always)]
pub(crate) fn forward_layer(w: &[f64], width: usize, input: impl Iterator<Item = f64>, out: &mut Vec<f64>) {
    out.clear();
    out.resize(width, 0.0);
    for (row, a) in w.chunks_exact(width).zip(input) {
        if a != 0.0 {
            axpy(a, row, out);
        }
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
        check_context(self.d, x)
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
    #[inline(always)]
    fn forward(&self, x: ArrayView1<f64>, pre: &mut Vec<f64>) {
        forward_layer(&self.w1t, self.m, x.iter().copied(), pre);
    }

    /// `√m · w2ᵀ ReLU(pre)`.
    #[inline(always)]
    fn output(&self, pre: &[f64]) -> f64 {
        (self.m as f64).sqrt() * relu_dot(pre, &self.w2)
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
        crate::simd::dispatch(|| self.value_and_weighted_norm_body(x, inv, s))
    }

    #[inline(always)]
    fn value_and_weighted_norm_body(&self, x: ArrayView1<f64>, inv: &[f64], s: &mut Scratch) -> (f64, f64) {
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
        // Σ over active units of w2_i²·q_i + pre_i²·inv2_i, branch-free with four partial sums.
        let mut acc = [0.0; 4];
        for (c, (((p, w), q), i2)) in s.pre.iter().zip(&self.w2).zip(&s.q).zip(inv2).enumerate() {
            let active = f64::from(u8::from(*p > 0.0));
            acc[c % 4] += active * (w * w * q + p * p * i2);
        }
        let norm = (acc[0] + acc[1]) + (acc[2] + acc[3]);
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
        crate::simd::dispatch(|| self.accumulate_squared_gradient_body(x, z, inv, s))
    }

    #[inline(always)]
    fn accumulate_squared_gradient_body(&self, x: ArrayView1<f64>, z: &mut [f64], inv: &mut [f64], s: &mut Scratch) {
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
        check_training(self.d, x, y)?;
        let mut obs = Observations::new(self.d);
        for (row, &v) in x.rows().into_iter().zip(y) {
            obs.push(row, v);
        }
        self.train_on(&obs, lambda, lr, steps, false);
        Ok(())
    }

    /// [`Network::train`] on a checked, deduplicated training set; with `f32`, the matrix products
    /// of each step run in single precision (weights and updates stay f64).
    pub(crate) fn train_on(&mut self, obs: &Observations, lambda: f64, lr: f64, steps: usize, f32: bool) {
        if f32 {
            let mut ts = crate::training::tasks::<f32>(obs, self.m);
            self.train_tasks(obs, &mut ts, lambda, lr, steps);
        } else {
            let mut ts = crate::training::tasks::<f64>(obs, self.m);
            self.train_tasks(obs, &mut ts, lambda, lr, steps);
        }
    }

    pub(crate) fn w1t(&self) -> &[f64] {
        &self.w1t
    }

    pub(crate) fn w2(&self) -> &[f64] {
        &self.w2
    }

    /// (W1ᵀ, w2, W1ᵀ₀, w2₀) for an update step.
    pub(crate) fn weights_mut(&mut self) -> (&mut [f64], &mut [f64], &[f64], &[f64]) {
        (&mut self.w1t, &mut self.w2, &self.w1t_0, &self.w2_0)
    }
}

/// Training rows must each be a valid input and the targets finite, one per row (shared by both
/// networks).
pub(crate) fn check_training(d: usize, x: ArrayView2<f64>, y: ArrayView1<f64>) -> Result<()> {
    if x.nrows() != y.len() {
        return Err(BanditError::ContextLength { expected: x.nrows(), got: y.len() });
    }
    for row in x.rows() {
        check_context(d, row)?;
    }
    if let Some(&v) = y.iter().find(|v| !v.is_finite()) {
        return Err(BanditError::NonFinite { what: "a training target", value: v });
    }
    Ok(())
}

/// A network input must have the network's `d` entries, all finite (shared by both networks).
pub(crate) fn check_context(d: usize, x: ArrayView1<f64>) -> Result<()> {
    if x.len() != d {
        return Err(BanditError::ContextLength { expected: d, got: x.len() });
    }
    if let Some(&v) = x.iter().find(|v| !v.is_finite()) {
        return Err(BanditError::NonFinite { what: "a network input", value: v });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd;
    use rand::SeedableRng;
    use rand::rngs::ChaCha8Rng;

    #[test]
    fn the_avx2_build_of_the_selection_kernels_is_bit_identical() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let net = Network::new(9, 30, &mut rng);
        let x = Array1::from_shape_fn(9, |j| if j % 4 == 0 { 0.0 } else { standard_normal(&mut rng) });
        let z: Vec<f64> = (0..net.n_params()).map(|_| 1.0 + standard_normal(&mut rng).abs()).collect();
        let inv: Vec<f64> = z.iter().map(|v| 1.0 / (30.0 * v)).collect();
        let mut s = Scratch::default();
        let a = simd::dispatch(|| net.value_and_weighted_norm_body(x.view(), &inv, &mut s));
        let b = simd::baseline(|| net.value_and_weighted_norm_body(x.view(), &inv, &mut s));
        assert_eq!((a.0.to_bits(), a.1.to_bits()), (b.0.to_bits(), b.1.to_bits()));
        let (mut za, mut ia, mut zb, mut ib) = (z.clone(), inv.clone(), z, inv);
        simd::dispatch(|| net.accumulate_squared_gradient_body(x.view(), &mut za, &mut ia, &mut s));
        simd::baseline(|| net.accumulate_squared_gradient_body(x.view(), &mut zb, &mut ib, &mut s));
        assert_eq!((za, ia), (zb, ib));
    }

    #[test]
    fn the_symmetric_start_is_exactly_zero_for_every_width() {
        let mut rng = ChaCha8Rng::seed_from_u64(6);
        for m in [2, 6, 10, 30, 100] {
            let net = Network::new(7, m, &mut rng);
            let x = ndarray::Array2::from_shape_fn((20, 7), |_| standard_normal(&mut rng));
            assert!(net.values(x.view()).unwrap().iter().all(|f| *f == 0.0), "width {m}");
        }
    }
}
