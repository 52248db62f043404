//! The NeuralUCB network `f(x) = √m · w2ᵀ ReLU(W1 x)` with the symmetric initialisation that
//! makes `f(x; θ0) = 0` (Zhou et al. 2020; thesis eqs. 2.3–2.9), its per-sample gradient and
//! full-batch gradient descent on `L/n` with `L = ½Σ(f − y)² + (mλ/2)‖θ − θ0‖²`.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, s};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::error::{BanditError, Result};

/// Parameters θ = (W1, w2) and their initial values θ0. Deserialisation checks that the shapes
/// agree, so a corrupted saved network is an error rather than a later panic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "NetworkData")]
pub struct Network {
    pub(crate) m: usize,
    pub(crate) w1: Array2<f64>,
    pub(crate) w2: Array1<f64>,
    w1_0: Array2<f64>,
    w2_0: Array1<f64>,
}

#[derive(Deserialize)]
struct NetworkData {
    m: usize,
    w1: Array2<f64>,
    w2: Array1<f64>,
    w1_0: Array2<f64>,
    w2_0: Array1<f64>,
}

impl TryFrom<NetworkData> for Network {
    type Error = BanditError;
    fn try_from(n: NetworkData) -> Result<Network> {
        let ok = n.m >= 2
            && n.w1.nrows() == n.m
            && n.w2.len() == n.m
            && n.w1_0.dim() == n.w1.dim()
            && n.w2_0.len() == n.m
            && n.w1.iter().chain(n.w2.iter()).chain(n.w1_0.iter()).chain(n.w2_0.iter()).all(|v| v.is_finite());
        if !ok {
            return Err(BanditError::Data {
                file: "<saved network>".into(),
                message: "inconsistent or non-finite network parameters".into(),
            });
        }
        Ok(Network { m: n.m, w1: n.w1, w2: n.w2, w1_0: n.w1_0, w2_0: n.w2_0 })
    }
}

/// Dot product with four independent partial sums, so the compiler can vectorise the loop
/// (a single running sum fixes the floating-point order and blocks SIMD).
fn dot4(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (mut s0, mut s1, mut s2, mut s3) = (0.0, 0.0, 0.0, 0.0);
    let mut i = 0;
    while i + 4 <= n {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
        i += 4;
    }
    while i < n {
        s0 += a[i] * b[i];
        i += 1;
    }
    (s0 + s1) + (s2 + s3)
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
    /// and have output weights `v` and `−v` (entries N(0, 2/m)).
    pub fn new<R: Rng + ?Sized>(d: usize, m: usize, rng: &mut R) -> Network {
        let half = m / 2;
        let w = Array2::from_shape_fn((half, d), |_| standard_normal(rng) * (4.0 / m as f64).sqrt());
        let v = Array1::from_shape_fn(half, |_| standard_normal(rng) * (2.0 / m as f64).sqrt());
        let mut w1 = Array2::zeros((2 * half, d));
        w1.slice_mut(s![..half, ..]).assign(&w);
        w1.slice_mut(s![half.., ..]).assign(&w);
        let mut w2 = Array1::zeros(2 * half);
        w2.slice_mut(s![..half]).assign(&v);
        w2.slice_mut(s![half..]).assign(&(-&v));
        Network { m: 2 * half, w1_0: w1.clone(), w2_0: w2.clone(), w1, w2 }
    }

    /// Hidden width m.
    pub fn m(&self) -> usize {
        self.m
    }

    fn check_input(&self, x: ArrayView1<f64>) -> Result<()> {
        if x.len() != self.d() {
            return Err(BanditError::ContextLength { expected: self.d(), got: x.len() });
        }
        if let Some(&v) = x.iter().find(|v| !v.is_finite()) {
            return Err(BanditError::NonFinite { what: "a network input", value: v });
        }
        Ok(())
    }

    /// Input length.
    pub fn d(&self) -> usize {
        self.w1.ncols()
    }

    /// Number of parameters p = m·d + m.
    pub fn n_params(&self) -> usize {
        self.w1.len() + self.w2.len()
    }

    /// All parameters, W1 row-major then w2.
    pub fn params(&self) -> Array1<f64> {
        self.w1.iter().chain(self.w2.iter()).copied().collect()
    }

    /// Overwrite all parameters (layout of [`Network::params`]).
    pub fn set_params(&mut self, p: ArrayView1<f64>) -> Result<()> {
        if p.len() != self.n_params() {
            return Err(BanditError::ContextLength { expected: self.n_params(), got: p.len() });
        }
        if let Some(&v) = p.iter().find(|v| !v.is_finite()) {
            return Err(BanditError::NonFinite { what: "a parameter", value: v });
        }
        let k = self.w1.len();
        for (dst, src) in self.w1.iter_mut().zip(p.iter()) {
            *dst = *src;
        }
        for (dst, src) in self.w2.iter_mut().zip(p.iter().skip(k)) {
            *dst = *src;
        }
        Ok(())
    }

    /// f(x) and ∂f/∂θ for one input.
    pub fn value_and_gradient(&self, x: ArrayView1<f64>) -> Result<(f64, Array1<f64>)> {
        self.check_input(x)?;
        Ok(self.value_and_gradient_unchecked(x))
    }

    pub(crate) fn value_and_gradient_unchecked(&self, x: ArrayView1<f64>) -> (f64, Array1<f64>) {
        let sm = (self.m as f64).sqrt();
        let pre = self.w1.dot(&x);
        let h = pre.mapv(|v| v.max(0.0));
        let f = sm * self.w2.dot(&h);
        let mut g = Vec::with_capacity(self.n_params());
        for (i, row_pre) in pre.iter().enumerate() {
            let c = if *row_pre > 0.0 { sm * self.w2[i] } else { 0.0 };
            g.extend(x.iter().map(|xv| c * xv));
        }
        g.extend(h.iter().map(|hv| sm * hv));
        (f, Array1::from(g))
    }

    /// f(x) and `Σ_k g_k² · inv[k]` for one input without materialising the gradient `g`
    /// (the UCB bonus with a diagonal confidence matrix; `inv` in the layout of [`Network::params`]).
    /// Runs on plain slices: this is the per-arm hot path of every selection.
    pub(crate) fn value_and_weighted_norm(&self, x: ArrayView1<f64>, inv: ArrayView1<f64>) -> (f64, f64) {
        let (Some(w1), Some(inv)) = (self.w1.as_slice(), inv.as_slice()) else {
            return self.value_and_weighted_norm_generic(x, inv);
        };
        let x: Vec<f64> = x.iter().copied().collect();
        let x2: Vec<f64> = x.iter().map(|v| v * v).collect();
        let sm = (self.m as f64).sqrt();
        let d = x.len();
        let off = self.w1.len();
        let (mut f, mut norm) = (0.0, 0.0);
        for (i, row) in w1.chunks_exact(d).enumerate() {
            let pre = dot4(row, &x);
            if pre > 0.0 {
                let w2 = self.w2[i];
                f += w2 * pre;
                let c = sm * w2;
                norm += c * c * dot4(&x2, &inv[i * d..(i + 1) * d]);
                norm += (sm * pre).powi(2) * inv[off + i];
            }
        }
        (sm * f, norm)
    }

    fn value_and_weighted_norm_generic(&self, x: ArrayView1<f64>, inv: ArrayView1<f64>) -> (f64, f64) {
        let sm = (self.m as f64).sqrt();
        let d = self.d();
        let mut f = 0.0;
        let mut norm = 0.0;
        let off = self.w1.len();
        for (i, row) in self.w1.rows().into_iter().enumerate() {
            let pre = row.dot(&x);
            if pre > 0.0 {
                f += self.w2[i] * pre;
                let c = sm * self.w2[i];
                let block = inv.slice(s![i * d..(i + 1) * d]);
                norm += c * c * x.iter().zip(block).map(|(xv, iv)| xv * xv * iv).sum::<f64>();
                norm += (sm * pre).powi(2) * inv[off + i];
            }
        }
        (sm * f, norm)
    }

    /// `z += g²/m` and `inv = 1/(m·z)` for the gradient `g` at `x`, without allocating `g`
    /// (units inactive at `x` have zero gradient and are left alone).
    pub(crate) fn accumulate_squared_gradient(&self, x: ArrayView1<f64>, z: &mut Array1<f64>, inv: &mut Array1<f64>) {
        let m = self.m as f64;
        let sm = m.sqrt();
        let d = self.d();
        let off = self.w1.len();
        for (i, row) in self.w1.rows().into_iter().enumerate() {
            let pre = row.dot(&x);
            if pre > 0.0 {
                let c2 = (sm * self.w2[i]).powi(2) / m;
                for (j, xv) in x.iter().enumerate() {
                    let k = i * d + j;
                    z[k] += c2 * xv * xv;
                    inv[k] = 1.0 / (m * z[k]);
                }
                let k = off + i;
                z[k] += (sm * pre).powi(2) / m;
                inv[k] = 1.0 / (m * z[k]);
            }
        }
    }

    /// f(x) for many inputs (rows).
    pub fn values(&self, x: ArrayView2<f64>) -> Result<Array1<f64>> {
        for row in x.rows() {
            self.check_input(row)?;
        }
        let h = x.dot(&self.w1.t()).mapv(|v| v.max(0.0));
        Ok(h.dot(&self.w2) * (self.m as f64).sqrt())
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
        self.train_unchecked(x, y, lambda, lr, steps);
        Ok(())
    }

    pub(crate) fn train_unchecked(
        &mut self,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        lambda: f64,
        lr: f64,
        steps: usize,
    ) {
        let n = x.nrows();
        if n == 0 {
            return;
        }
        let sm = (self.m as f64).sqrt();
        let reg = self.m as f64 * lambda;
        for _ in 0..steps {
            let pre = x.dot(&self.w1.t()); // n × m
            let h = pre.mapv(|v| v.max(0.0));
            let f = h.dot(&self.w2) * sm;
            let err = (&f - &y) / n as f64; // dL/df / n
            // ∂/∂w2 = √m hᵀ err ; ∂/∂W1 = ((err ⊗ √m w2) ∘ 1[pre > 0])ᵀ x
            let gw2 = h.t().dot(&err) * sm + (&self.w2 - &self.w2_0) * (reg / n as f64);
            let mut delta = err.insert_axis(Axis(1)).dot(&(&self.w2 * sm).insert_axis(Axis(0))); // n × m
            delta.zip_mut_with(&pre, |d, p| {
                if *p <= 0.0 {
                    *d = 0.0;
                }
            });
            let gw1 = delta.t().dot(&x) + (&self.w1 - &self.w1_0) * (reg / n as f64);
            self.w1.scaled_add(-lr, &gw1);
            self.w2.scaled_add(-lr, &gw2);
        }
    }
}
