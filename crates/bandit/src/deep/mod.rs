//! A NeuralUCB network of any depth L ≥ 2 (the thesis's QoE predictor has four fully-connected
//! layers): `f(x) = √m · w_Lᵀ ReLU(W_{L−1} … ReLU(W_1 x))`, every hidden layer of width m, in the
//! NTK parametrisation of Zhou et al. (2020), with their symmetric start `f(x; θ0) = 0`.
//!
//! Weights are stored transposed (`in × out`), so a forward pass is one `axpy` per non-zero input:
//! each unit then sums its inputs in the same order, which is what keeps the two mirrored halves of
//! the symmetric start bit-identical (and `f(x; θ0)` exactly 0) at every depth.

use ndarray::{Array1, Array2, ArrayView1};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::error::{BanditError, Result};
use crate::network::{relu_dot, standard_normal};

/// Parameters θ of an L-layer network and their initial values θ0.
///
/// ```
/// use edgeopt_bandit::DeepNetwork;
/// use edgeopt_bandit::ndarray::array;
/// use rand::SeedableRng;
/// let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(0);
/// let mut net = DeepNetwork::new(3, 16, 4, &mut rng).unwrap(); // the thesis's four layers
/// let x = array![[1.0, 0.0, 0.0], [0.0, 0.6, 0.8]];
/// assert_eq!(net.values(x.view()).unwrap(), array![0.0, 0.0]); // symmetric start: exactly 0
/// net.train(x.view(), array![0.9, 0.1].view(), 1e-3, 0.05, 400).unwrap();
/// let f = net.values(x.view()).unwrap();
/// assert!((f[0] - 0.9).abs() < 0.1 && (f[1] - 0.1).abs() < 0.1);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "DeepData")]
pub struct DeepNetwork {
    m: usize,
    d: usize,
    /// `W_lᵀ` for l = 1..L−1, `in × out`.
    layers: Vec<Array2<f64>>,
    out: Array1<f64>,
    layers_0: Vec<Array2<f64>>,
    out_0: Array1<f64>,
}

#[derive(Deserialize)]
struct DeepData {
    m: usize,
    d: usize,
    layers: Vec<Array2<f64>>,
    out: Array1<f64>,
    layers_0: Vec<Array2<f64>>,
    out_0: Array1<f64>,
}

impl TryFrom<DeepData> for DeepNetwork {
    type Error = BanditError;
    fn try_from(n: DeepData) -> Result<DeepNetwork> {
        let shape = |l: usize| if l == 0 { (n.d, n.m) } else { (n.m, n.m) };
        let ok = n.m >= 2
            && n.m.is_multiple_of(2)
            && !n.layers.is_empty()
            && n.layers.len() == n.layers_0.len()
            && n.layers
                .iter()
                .zip(&n.layers_0)
                .enumerate()
                .all(|(l, (w, w0))| w.dim() == shape(l) && w0.dim() == shape(l))
            && n.out.len() == n.m
            && n.out_0.len() == n.m
            && n.layers.iter().chain(&n.layers_0).flatten().chain(&n.out).chain(&n.out_0).all(|v| v.is_finite());
        if !ok {
            return Err(BanditError::Data {
                file: "<saved network>".into(),
                message: "inconsistent or non-finite deep network parameters".into(),
            });
        }
        Ok(DeepNetwork { m: n.m, d: n.d, layers: n.layers, out: n.out, layers_0: n.layers_0, out_0: n.out_0 })
    }
}

/// The most layers a network may have.
pub const MAX_DEPTH: usize = 16;

/// Reusable buffers of the per-arm paths (never saved).
#[derive(Debug, Clone, Default)]
pub(crate) struct DeepScratch {
    /// Pre-activations and activations per hidden layer.
    pre: Vec<Vec<f64>>,
    h: Vec<Vec<f64>>,
    delta: Vec<f64>,
    next: Vec<f64>,
    q: Vec<f64>,
    x: Vec<f64>,
}

impl PartialEq for DeepScratch {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// `out = wᵀ·input` (see [`forward_layer`](crate::network::forward_layer)).
#[inline(always)]
fn forward_layer(w: &Array2<f64>, input: &[f64], out: &mut Vec<f64>) {
    crate::network::forward_layer(w.as_slice().expect("row-major weights"), w.ncols(), input.iter().copied(), out);
}

fn relu(v: f64) -> f64 {
    v * f64::from(u8::from(v > 0.0))
}

impl DeepNetwork {
    /// `depth` layers (2 ≤ depth ≤ [`MAX_DEPTH`]) over inputs of length `d`, hidden width `m` (an
    /// odd `m` is rounded down). Symmetric start: the first layer is `[W; W]`, each further hidden
    /// layer `diag(U, U)` (entries of W and U drawn N(0, 4/m)), the output `(v, −v)` (N(0, 2/m)).
    pub fn new<R: Rng + ?Sized>(d: usize, m: usize, depth: usize, rng: &mut R) -> Result<DeepNetwork> {
        if !(2..=MAX_DEPTH).contains(&depth) {
            return Err(BanditError::InvalidParam {
                name: "depth",
                value: depth.to_string(),
                reason: "must be from 2 to 16 layers",
            });
        }
        if d == 0 || m < 2 {
            return Err(BanditError::InvalidParam {
                name: "d/width",
                value: format!("{d}/{m}"),
                reason: "need d ≥ 1 and width ≥ 2",
            });
        }
        let half = m / 2;
        let m = 2 * half;
        let sd_hidden = (4.0 / m as f64).sqrt();
        // W in row-major order (unit by unit), as the two-layer Network draws it.
        let w: Vec<f64> = (0..half * d).map(|_| standard_normal(rng) * sd_hidden).collect();
        let mut first = Array2::zeros((d, m));
        for i in 0..half {
            for j in 0..d {
                first[(j, i)] = w[i * d + j];
                first[(j, half + i)] = w[i * d + j];
            }
        }
        let mut layers = vec![first];
        for _ in 2..depth {
            let u: Vec<f64> = (0..half * half).map(|_| standard_normal(rng) * sd_hidden).collect();
            let mut wt = Array2::zeros((m, m));
            for i in 0..half {
                for j in 0..half {
                    wt[(j, i)] = u[i * half + j];
                    wt[(half + j, half + i)] = u[i * half + j];
                }
            }
            layers.push(wt);
        }
        let v: Vec<f64> = (0..half).map(|_| standard_normal(rng) * (2.0 / m as f64).sqrt()).collect();
        let out: Array1<f64> = v.iter().copied().chain(v.iter().map(|x| -x)).collect();
        Ok(DeepNetwork { m, d, layers_0: layers.clone(), out_0: out.clone(), layers, out })
    }

    /// Hidden width m.
    pub fn m(&self) -> usize {
        self.m
    }

    /// Input length.
    pub fn d(&self) -> usize {
        self.d
    }

    /// Number of layers L.
    pub fn depth(&self) -> usize {
        self.layers.len() + 1
    }

    /// Number of parameters p = d·m + (L−2)·m² + m.
    pub fn n_params(&self) -> usize {
        self.layers.iter().map(|w| w.len()).sum::<usize>() + self.m
    }

    fn check_input(&self, x: ArrayView1<f64>) -> Result<()> {
        crate::network::check_context(self.d, x)
    }

    /// All parameters: each `W_lᵀ` row-major (`in × out`), then `w_L`.
    pub fn params(&self) -> Array1<f64> {
        self.layers.iter().flatten().chain(&self.out).copied().collect()
    }

    /// Overwrite all parameters (layout of [`DeepNetwork::params`]).
    pub fn set_params(&mut self, p: ArrayView1<f64>) -> Result<()> {
        if p.len() != self.n_params() {
            return Err(BanditError::ContextLength { expected: self.n_params(), got: p.len() });
        }
        if let Some(&v) = p.iter().find(|v| !v.is_finite()) {
            return Err(BanditError::NonFinite { what: "a parameter", value: v });
        }
        for (dst, v) in self.layers.iter_mut().flat_map(|w| w.iter_mut()).chain(self.out.iter_mut()).zip(p) {
            *dst = *v;
        }
        Ok(())
    }

    /// Forward pass into `s.pre` and `s.h`; returns f(x).
    fn forward(&self, x: ArrayView1<f64>, s: &mut DeepScratch) -> f64 {
        let hidden = self.layers.len();
        s.pre.resize(hidden, Vec::new());
        s.h.resize(hidden, Vec::new());
        s.x.clear();
        s.x.extend(x.iter().copied());
        for (l, w) in self.layers.iter().enumerate() {
            let input = if l == 0 { &s.x } else { &s.h[l - 1] };
            forward_layer(w, input, &mut s.pre[l]);
            let (pre, h) = (&s.pre[l], &mut s.h[l]);
            h.clear();
            h.extend(pre.iter().map(|&v| relu(v)));
        }
        (self.m as f64).sqrt() * relu_dot(&s.pre[hidden - 1], self.out.as_slice().expect("contiguous"))
    }

    /// Back-propagate from the output: calls `visit(l, input, delta)` for every layer from the last
    /// hidden one down, where `delta = ∂f/∂pre_l` and `input` is that layer's input (so the
    /// gradient of `W_lᵀ[j, i]` is `input_j · delta_i`). Needs [`DeepNetwork::forward`] first.
    fn backward(&self, s: &mut DeepScratch, mut visit: impl FnMut(usize, &[f64], &[f64])) {
        let sm = (self.m as f64).sqrt();
        let hidden = self.layers.len();
        s.delta.clear();
        s.delta.extend(s.pre[hidden - 1].iter().zip(&self.out).map(|(p, w)| if *p > 0.0 { sm * w } else { 0.0 }));
        for l in (0..hidden).rev() {
            let input = if l == 0 { &s.x } else { &s.h[l - 1] };
            visit(l, input, &s.delta);
            if l == 0 {
                break;
            }
            // delta_{l−1} = (W_l delta_l) ⊙ 1[pre_{l−1} > 0]; row j of W_lᵀ holds W_l[:, j].
            let w = &self.layers[l];
            s.next.clear();
            s.next.extend(
                w.rows()
                    .into_iter()
                    .zip(&s.pre[l - 1])
                    .map(|(row, p)| if *p > 0.0 { row.iter().zip(&s.delta).map(|(a, b)| a * b).sum() } else { 0.0 }),
            );
            std::mem::swap(&mut s.delta, &mut s.next);
        }
    }

    /// f(x) and ∂f/∂θ for one input (gradient in the layout of [`DeepNetwork::params`]).
    pub fn value_and_gradient(&self, x: ArrayView1<f64>) -> Result<(f64, Array1<f64>)> {
        self.check_input(x)?;
        Ok(self.value_and_gradient_unchecked(x, &mut DeepScratch::default()))
    }

    pub(crate) fn value_and_gradient_unchecked(&self, x: ArrayView1<f64>, s: &mut DeepScratch) -> (f64, Array1<f64>) {
        let f = self.forward(x, s);
        let mut g = Array1::zeros(self.n_params());
        let offsets = self.offsets();
        let gs = g.as_slice_mut().expect("contiguous");
        let sm = (self.m as f64).sqrt();
        let last = &s.h[self.layers.len() - 1];
        gs[offsets[self.layers.len()]..].iter_mut().zip(last).for_each(|(gv, h)| *gv = sm * h);
        let m = self.m;
        self.backward(s, |l, input, delta| {
            let block = &mut gs[offsets[l]..offsets[l] + input.len() * m];
            for (row, &a) in block.chunks_exact_mut(m).zip(input) {
                if a != 0.0 {
                    row.iter_mut().zip(delta).for_each(|(gv, dv)| *gv = a * dv);
                }
            }
        });
        (f, g)
    }

    /// Start of each layer's block in the parameter layout (and of `w_L` last).
    fn offsets(&self) -> Vec<usize> {
        let mut o = vec![0];
        for w in &self.layers {
            o.push(o.last().copied().unwrap_or(0) + w.len());
        }
        o
    }

    /// f(x) and `Σ_k g_k² · inv[k]` without materialising `g` (the diagonal UCB bonus).
    pub(crate) fn value_and_weighted_norm(&self, x: ArrayView1<f64>, inv: &[f64], s: &mut DeepScratch) -> (f64, f64) {
        crate::simd::dispatch(|| {
            let f = self.forward(x, s);
            let offsets = self.offsets();
            let m = self.m;
            let hidden = self.layers.len();
            let last = &s.h[hidden - 1];
            let mut norm: f64 = last.iter().zip(&inv[offsets[hidden]..]).map(|(h, i)| m as f64 * h * h * i).sum();
            let mut q = std::mem::take(&mut s.q);
            self.backward(s, |l, input, delta| {
                // Σ_{j,i} input_j² delta_i² inv[j, i] = Σ_i delta_i² q_i with q_i = Σ_j input_j² inv[j, i].
                q.clear();
                q.resize(m, 0.0);
                let block = &inv[offsets[l]..offsets[l] + input.len() * m];
                for (row, &a) in block.chunks_exact(m).zip(input) {
                    if a != 0.0 {
                        q.iter_mut().zip(row).for_each(|(qv, iv)| *qv += a * a * iv);
                    }
                }
                norm += q.iter().zip(delta).map(|(qv, dv)| qv * dv * dv).sum::<f64>();
            });
            s.q = q;
            (f, norm)
        })
    }

    /// `z += g²/m` and `inv = 1/(m·z)` for the gradient at `x`, without materialising `g`.
    pub(crate) fn accumulate_squared_gradient(
        &self,
        x: ArrayView1<f64>,
        z: &mut [f64],
        inv: &mut [f64],
        s: &mut DeepScratch,
    ) {
        crate::simd::dispatch(|| {
            self.forward(x, s);
            let offsets = self.offsets();
            let m = self.m;
            let mf = m as f64;
            let hidden = self.layers.len();
            for (k, h) in s.h[hidden - 1].iter().enumerate() {
                let at = offsets[hidden] + k;
                z[at] += h * h;
                inv[at] = 1.0 / (mf * z[at]);
            }
            self.backward(s, |l, input, delta| {
                for (j, &a) in input.iter().enumerate() {
                    if a != 0.0 {
                        let at = offsets[l] + j * m;
                        let (zj, ij) = (&mut z[at..at + m], &mut inv[at..at + m]);
                        for i in 0..m {
                            zj[i] += a * a * delta[i] * delta[i] / mf;
                            ij[i] = 1.0 / (mf * zj[i]);
                        }
                    }
                }
            });
        })
    }

    /// f(x) for many inputs (rows).
    pub fn values(&self, x: ndarray::ArrayView2<f64>) -> Result<Array1<f64>> {
        for row in x.rows() {
            self.check_input(row)?;
        }
        let mut s = DeepScratch::default();
        Ok(x.rows().into_iter().map(|row| self.forward(row, &mut s)).collect())
    }
}

mod training;

#[cfg(test)]
mod tests;
