//! A small dense neural network: forward, backpropagation, SGD/Adam training, per-sample
//! gradients with respect to every parameter, and freezing of early layers.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::seq::SliceRandom;
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::error::{PredictorError, Result, check_finite, check_len};

/// Element-wise activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Activation {
    /// max(0, x)
    Relu,
    /// tanh(x)
    Tanh,
    /// 1 / (1 + e^(−x))
    Sigmoid,
    /// x
    Identity,
}

impl Activation {
    fn apply(self, x: f64) -> f64 {
        match self {
            Activation::Relu => x.max(0.0),
            Activation::Tanh => x.tanh(),
            Activation::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            Activation::Identity => x,
        }
    }
    /// Derivative, given the pre-activation `z` and the output `a`.
    fn grad(self, z: f64, a: f64) -> f64 {
        match self {
            Activation::Relu => {
                if z > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::Tanh => 1.0 - a * a,
            Activation::Sigmoid => a * (1.0 - a),
            Activation::Identity => 1.0,
        }
    }
}

/// One dense layer `act(W x + b)`, `W` of shape (outputs, inputs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dense {
    /// Weights (outputs × inputs).
    pub w: Array2<f64>,
    /// Biases.
    pub b: Array1<f64>,
    /// Activation.
    pub act: Activation,
    /// Frozen layers are not updated by training.
    pub frozen: bool,
}

/// Optimiser of [`Mlp::train`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Optimizer {
    /// Plain gradient descent.
    Sgd {
        /// Learning rate.
        lr: f64,
    },
    /// Adam (Kingma & Ba, 2015).
    Adam {
        /// Learning rate.
        lr: f64,
        /// First-moment decay.
        beta1: f64,
        /// Second-moment decay.
        beta2: f64,
        /// Numerical floor.
        eps: f64,
    },
}

impl Optimizer {
    /// Adam with the usual defaults and learning rate `lr`.
    pub fn adam(lr: f64) -> Optimizer {
        Optimizer::Adam { lr, beta1: 0.9, beta2: 0.999, eps: 1e-8 }
    }
}

/// Training settings: squared-error loss `½ mean (f − y)²`, plus `l2_to_init/2 · ‖θ − θ₀‖²`
/// towards the parameters `θ₀` at the start of training (NeuralUCB's regulariser) when non-zero.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Optimiser.
    pub optimizer: Optimizer,
    /// Passes over the data.
    pub epochs: usize,
    /// Mini-batch size; `None` for full-batch.
    pub batch_size: Option<usize>,
    /// Weight of the pull towards the initial parameters.
    pub l2_to_init: f64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig { optimizer: Optimizer::adam(1e-3), epochs: 100, batch_size: Some(32), l2_to_init: 0.0 }
    }
}

/// A multi-layer perceptron with a single output or several.
///
/// ```
/// use edgeopt_predictors::nn::{Activation, Mlp, TrainConfig, Optimizer};
/// use edgeopt_predictors::ndarray::{array, Array2};
/// use edgeopt_predictors::rand::{SeedableRng, rngs::ChaCha8Rng};
/// let mut rng = ChaCha8Rng::seed_from_u64(0);
/// let mut net = Mlp::new(&[2, 16, 1], Activation::Tanh, Activation::Identity, &mut rng).unwrap();
/// let x = Array2::from_shape_fn((64, 2), |(i, j)| ((i >> j) & 1) as f64);
/// let y = x.column(0).to_owned() * 2.0 - x.column(1).to_owned();
/// let cfg = TrainConfig { optimizer: Optimizer::adam(0.02), epochs: 300, batch_size: None, l2_to_init: 0.0 };
/// let losses = net.train(x.view(), y.view(), &cfg, &mut rng).unwrap();
/// assert!(losses.last().unwrap() < &1e-3);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "MlpData")]
pub struct Mlp {
    layers: Vec<Dense>,
}

/// The serialised form; loading goes through [`Mlp::from_layers`] so shapes are checked.
#[derive(Deserialize)]
struct MlpData {
    layers: Vec<Dense>,
}

impl TryFrom<MlpData> for Mlp {
    type Error = PredictorError;
    fn try_from(d: MlpData) -> Result<Mlp> {
        for l in &d.layers {
            check_finite("saved weights", l.w.iter().chain(l.b.iter()).copied())?;
        }
        Mlp::from_layers(d.layers)
    }
}

impl Mlp {
    /// A network with the given layer widths (`[inputs, hidden..., outputs]`), `hidden` activation
    /// between layers and `output` at the end. Weights are He-initialised (ReLU) or
    /// Xavier-initialised (others) from `rng`, biases zero.
    pub fn new<R: Rng + ?Sized>(widths: &[usize], hidden: Activation, output: Activation, rng: &mut R) -> Result<Mlp> {
        if widths.len() < 2 || widths.contains(&0) {
            return Err(PredictorError::InvalidParam {
                name: "widths",
                value: format!("{widths:?}"),
                reason: "need at least an input and an output width, all ≥ 1",
            });
        }
        let n = widths.len() - 1;
        let layers = (0..n)
            .map(|l| {
                let (fan_in, fan_out) = (widths[l], widths[l + 1]);
                let act = if l + 1 == n { output } else { hidden };
                let scale = if act == Activation::Relu {
                    (6.0 / fan_in as f64).sqrt()
                } else {
                    (6.0 / (fan_in + fan_out) as f64).sqrt()
                };
                let w = Array2::from_shape_fn((fan_out, fan_in), |_| rng.random_range(-scale..scale));
                Dense { w, b: Array1::zeros(fan_out), act, frozen: false }
            })
            .collect();
        Ok(Mlp { layers })
    }

    /// Build from explicit layers (shapes must chain).
    pub fn from_layers(layers: Vec<Dense>) -> Result<Mlp> {
        if layers.is_empty() {
            return Err(PredictorError::InvalidParam {
                name: "layers",
                value: "[]".into(),
                reason: "need at least one",
            });
        }
        for l in &layers {
            check_len("layer biases", l.w.nrows(), l.b.len())?;
        }
        for pair in layers.windows(2) {
            check_len("layer input width", pair[0].w.nrows(), pair[1].w.ncols())?;
        }
        Ok(Mlp { layers })
    }

    /// The layers.
    pub fn layers(&self) -> &[Dense] {
        &self.layers
    }

    /// Input width.
    pub fn n_inputs(&self) -> usize {
        self.layers[0].w.ncols()
    }

    /// Output width.
    pub fn n_outputs(&self) -> usize {
        self.layers[self.layers.len() - 1].w.nrows()
    }

    /// Total number of parameters.
    pub fn n_params(&self) -> usize {
        self.layers.iter().map(|l| l.w.len() + l.b.len()).sum()
    }

    /// Freeze the first `n` layers (they keep their values during training); unfreeze the rest.
    pub fn freeze_first(&mut self, n: usize) {
        for (i, l) in self.layers.iter_mut().enumerate() {
            l.frozen = i < n;
        }
    }

    /// All parameters flattened layer by layer (weights row-major, then biases).
    pub fn params(&self) -> Array1<f64> {
        let mut v = Vec::with_capacity(self.n_params());
        for l in &self.layers {
            v.extend(l.w.iter());
            v.extend(l.b.iter());
        }
        Array1::from(v)
    }

    /// Overwrite all parameters from a flat vector (the layout of [`Mlp::params`]).
    pub fn set_params(&mut self, p: ArrayView1<f64>) -> Result<()> {
        check_len("parameters", self.n_params(), p.len())?;
        check_finite("parameters", p.iter().copied())?;
        let mut k = 0;
        for l in &mut self.layers {
            for v in l.w.iter_mut().chain(l.b.iter_mut()) {
                *v = p[k];
                k += 1;
            }
        }
        Ok(())
    }

    fn check_input(&self, x: ArrayView1<f64>) -> Result<()> {
        check_len("network input", self.n_inputs(), x.len())?;
        check_finite("network input", x.iter().copied())
    }

    /// Activations of every layer for one input: `acts[0] = x`, `acts[l+1]` = output of layer `l`.
    fn forward_all(&self, x: ArrayView1<f64>) -> (Vec<Array1<f64>>, Vec<Array1<f64>>) {
        let mut acts = vec![x.to_owned()];
        let mut pre = Vec::with_capacity(self.layers.len());
        for l in &self.layers {
            let z = l.w.dot(&acts[acts.len() - 1]) + &l.b;
            let a = z.mapv(|v| l.act.apply(v));
            pre.push(z);
            acts.push(a);
        }
        (pre, acts)
    }

    /// Network output for one input.
    pub fn forward(&self, x: ArrayView1<f64>) -> Result<Array1<f64>> {
        self.check_input(x)?;
        Ok(self.forward_all(x).1.pop().unwrap_or_default())
    }

    /// First output for one input (single-output networks).
    pub fn predict1(&self, x: ArrayView1<f64>) -> Result<f64> {
        Ok(self.forward(x)?[0])
    }

    /// Outputs for every row (rows × outputs).
    pub fn forward_batch(&self, x: ArrayView2<f64>) -> Result<Array2<f64>> {
        check_len("network input", self.n_inputs(), x.ncols())?;
        check_finite("network input", x.iter().copied())?;
        let mut a = x.to_owned();
        for l in &self.layers {
            let mut z = a.dot(&l.w.t());
            z += &l.b;
            a = z.mapv(|v| l.act.apply(v));
        }
        Ok(a)
    }

    /// The input of the last layer (the "penultimate" features of thesis footnote 3).
    pub fn penultimate(&self, x: ArrayView1<f64>) -> Result<Array1<f64>> {
        self.check_input(x)?;
        let (_, mut acts) = self.forward_all(x);
        acts.truncate(self.layers.len());
        Ok(acts.pop().unwrap_or_default())
    }

    /// Backpropagate `dout` (gradient w.r.t. the output) for one input; calls `sink(layer, dW, db)`
    /// and returns the gradient with respect to the input.
    fn backward(
        &self,
        x: ArrayView1<f64>,
        dout: &Array1<f64>,
        mut sink: impl FnMut(usize, Array2<f64>, Array1<f64>),
    ) -> Array1<f64> {
        let (pre, acts) = self.forward_all(x);
        let mut delta = dout.clone();
        for l in (0..self.layers.len()).rev() {
            let layer = &self.layers[l];
            let dz: Array1<f64> = delta
                .iter()
                .zip(pre[l].iter().zip(acts[l + 1].iter()))
                .map(|(d, (z, a))| d * layer.act.grad(*z, *a))
                .collect();
            let dw = dz.view().insert_axis(Axis(1)).dot(&acts[l].view().insert_axis(Axis(0)));
            delta = layer.w.t().dot(&dz);
            sink(l, dw, dz);
        }
        delta
    }

    /// Vector–Jacobian products for one input: given `dout` (the gradient of a loss with respect to
    /// the outputs), the gradient of that loss with respect to every parameter (layout of
    /// [`Mlp::params`]; zero for frozen layers) and with respect to the input. This is what a
    /// caller needs to train through a network with its own loss, or to differentiate through a
    /// frozen network with respect to its input.
    ///
    /// ```
    /// use edgeopt_predictors::nn::{Activation, Mlp};
    /// use edgeopt_predictors::ndarray::array;
    /// use edgeopt_predictors::rand::{SeedableRng, rngs::ChaCha8Rng};
    /// let net = Mlp::new(&[2, 1], Activation::Identity, Activation::Identity, &mut ChaCha8Rng::seed_from_u64(1)).unwrap();
    /// let (_, dx) = net.backprop(array![0.3, -1.0].view(), array![1.0].view()).unwrap();
    /// // A linear network's input gradient is its weight row.
    /// assert!((dx[0] - net.layers()[0].w[[0, 0]]).abs() < 1e-12);
    /// ```
    pub fn backprop(&self, x: ArrayView1<f64>, dout: ArrayView1<f64>) -> Result<(Array1<f64>, Array1<f64>)> {
        self.check_input(x)?;
        check_len("output gradient", self.n_outputs(), dout.len())?;
        check_finite("output gradient", dout.iter().copied())?;
        let mut parts: Vec<Option<(Array2<f64>, Array1<f64>)>> = vec![None; self.layers.len()];
        let dx = self.backward(x, &dout.to_owned(), |l, dw, db| parts[l] = Some((dw, db)));
        let mut g = Vec::with_capacity(self.n_params());
        for (l, (dw, db)) in parts.into_iter().flatten().enumerate() {
            if self.layers[l].frozen {
                g.extend(std::iter::repeat_n(0.0, dw.len() + db.len()));
            } else {
                g.extend(dw.iter());
                g.extend(db.iter());
            }
        }
        Ok((Array1::from(g), dx))
    }

    /// Gradient of the first output with respect to every parameter, for one input, in the layout
    /// of [`Mlp::params`] (NeuralUCB's `g(x; θ)`).
    pub fn gradient(&self, x: ArrayView1<f64>) -> Result<Array1<f64>> {
        self.check_input(x)?;
        let mut dout = Array1::zeros(self.n_outputs());
        dout[0] = 1.0;
        let mut parts: Vec<Option<(Array2<f64>, Array1<f64>)>> = vec![None; self.layers.len()];
        self.backward(x, &dout, |l, dw, db| parts[l] = Some((dw, db)));
        let mut g = Vec::with_capacity(self.n_params());
        for (dw, db) in parts.into_iter().flatten() {
            g.extend(dw.iter());
            g.extend(db.iter());
        }
        Ok(Array1::from(g))
    }

    /// Train on rows of `x` with targets `y` (single-output networks); returns the mean squared
    /// error (½ mean (f − y)²) after every epoch. Deterministic for a given `rng`.
    pub fn train<R: Rng + ?Sized>(
        &mut self,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        cfg: &TrainConfig,
        rng: &mut R,
    ) -> Result<Vec<f64>> {
        check_len("targets", x.nrows(), y.len())?;
        check_len("network input", self.n_inputs(), x.ncols())?;
        check_finite("features", x.iter().copied())?;
        check_finite("targets", y.iter().copied())?;
        if x.nrows() == 0 {
            return Err(PredictorError::TooFewSamples { what: "training", needed: 1, got: 0 });
        }
        let bad = |name, value: String, reason| Err(PredictorError::InvalidParam { name, value, reason });
        let lr = match cfg.optimizer {
            Optimizer::Sgd { lr } | Optimizer::Adam { lr, .. } => lr,
        };
        if !(lr > 0.0 && lr.is_finite()) {
            return bad("lr", lr.to_string(), "must be finite and > 0");
        }
        if cfg.batch_size == Some(0) {
            return bad("batch_size", "0".into(), "must be at least 1");
        }
        if !(cfg.l2_to_init >= 0.0 && cfg.l2_to_init.is_finite()) {
            return bad("l2_to_init", cfg.l2_to_init.to_string(), "must be finite and ≥ 0");
        }
        let init: Vec<Dense> = self.layers.clone();
        let mut m: Vec<(Array2<f64>, Array1<f64>)> =
            self.layers.iter().map(|l| (Array2::zeros(l.w.dim()), Array1::zeros(l.b.len()))).collect();
        let mut v = m.clone();
        let mut step = 0i32;
        let n = x.nrows();
        let bs = cfg.batch_size.unwrap_or(n).min(n);
        let mut order: Vec<usize> = (0..n).collect();
        let mut losses = Vec::with_capacity(cfg.epochs);
        for _ in 0..cfg.epochs {
            if bs < n {
                order.shuffle(rng);
            }
            for chunk in order.chunks(bs) {
                let mut grads: Vec<(Array2<f64>, Array1<f64>)> =
                    self.layers.iter().map(|l| (Array2::zeros(l.w.dim()), Array1::zeros(l.b.len()))).collect();
                for &i in chunk {
                    let out = self.forward_all(x.row(i)).1.pop().unwrap_or_default();
                    let mut dout = Array1::zeros(out.len());
                    dout[0] = (out[0] - y[i]) / chunk.len() as f64;
                    self.backward(x.row(i), &dout, |l, dw, db| {
                        grads[l].0 += &dw;
                        grads[l].1 += &db;
                    });
                }
                step += 1;
                for (l, layer) in self.layers.iter_mut().enumerate() {
                    if layer.frozen {
                        continue;
                    }
                    let (gw, gb) = &mut grads[l];
                    if cfg.l2_to_init > 0.0 {
                        gw.scaled_add(cfg.l2_to_init, &(&layer.w - &init[l].w));
                        gb.scaled_add(cfg.l2_to_init, &(&layer.b - &init[l].b));
                    }
                    match cfg.optimizer {
                        Optimizer::Sgd { lr } => {
                            layer.w.scaled_add(-lr, gw);
                            layer.b.scaled_add(-lr, gb);
                        }
                        Optimizer::Adam { lr, beta1, beta2, eps } => {
                            let (c1, c2) = (1.0 - beta1.powi(step), 1.0 - beta2.powi(step));
                            let upd = |p: &mut f64, g: f64, m: &mut f64, v: &mut f64| {
                                *m = beta1 * *m + (1.0 - beta1) * g;
                                *v = beta2 * *v + (1.0 - beta2) * g * g;
                                *p -= lr * (*m / c1) / ((*v / c2).sqrt() + eps);
                            };
                            for ((p, g), (mm, vv)) in
                                layer.w.iter_mut().zip(gw.iter()).zip(m[l].0.iter_mut().zip(v[l].0.iter_mut()))
                            {
                                upd(p, *g, mm, vv);
                            }
                            for ((p, g), (mm, vv)) in
                                layer.b.iter_mut().zip(gb.iter()).zip(m[l].1.iter_mut().zip(v[l].1.iter_mut()))
                            {
                                upd(p, *g, mm, vv);
                            }
                        }
                    }
                }
            }
            let pred = self.forward_batch(x)?;
            let loss = pred.column(0).iter().zip(y).map(|(p, t)| (p - t).powi(2)).sum::<f64>() / (2.0 * n as f64);
            if !loss.is_finite() {
                return Err(PredictorError::NonFinite {
                    what: "training loss (diverged; lower the learning rate)",
                    index: losses.len(),
                    value: loss,
                });
            }
            losses.push(loss);
        }
        Ok(losses)
    }
}

/// A frozen single-precision copy of an [`Mlp`] for fast batched inference (e.g. an accuracy
/// predictor queried thousands of times per search generation). Predictions agree with the `f64`
/// network to single-precision rounding.
#[derive(Debug, Clone, PartialEq)]
pub struct InferenceMlp {
    layers: Vec<(Array2<f32>, Array1<f32>, Activation)>,
}

impl Mlp {
    /// A single-precision inference copy.
    pub fn to_f32(&self) -> InferenceMlp {
        InferenceMlp {
            layers: self.layers.iter().map(|l| (l.w.t().mapv(|v| v as f32), l.b.mapv(|v| v as f32), l.act)).collect(),
        }
    }
}

impl InferenceMlp {
    /// Outputs for every row (rows × outputs).
    pub fn forward_batch(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        check_len("network input", self.layers[0].0.nrows(), x.ncols())?;
        if let Some((i, v)) = x.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(PredictorError::NonFinite { what: "network input", index: i, value: f64::from(*v) });
        }
        let mut a = x.to_owned();
        for (wt, b, act) in &self.layers {
            let mut z = a.dot(wt);
            z += b;
            a = z.mapv(|v| act.apply(f64::from(v)) as f32);
        }
        Ok(a)
    }
}

/// Adam over a flat parameter vector (the layout of [`Mlp::params`]), for callers that train a
/// network with their own loss through [`Mlp::backprop`].
///
/// ```
/// use edgeopt_predictors::nn::AdamState;
/// use edgeopt_predictors::ndarray::array;
/// let mut p = array![3.0];
/// let mut adam = AdamState::new(1, 0.1).unwrap();
/// for _ in 0..300 {
///     let g = &p * 2.0; // d/dp p²
///     adam.step(&mut p, g.view()).unwrap();
/// }
/// assert!(p[0].abs() < 0.05);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AdamState {
    lr: f64,
    m: Array1<f64>,
    v: Array1<f64>,
    step: i32,
}

impl AdamState {
    /// Zero moments for `n` parameters, learning rate `lr` (β₁ = 0.9, β₂ = 0.999).
    pub fn new(n: usize, lr: f64) -> Result<AdamState> {
        if !(lr > 0.0 && lr.is_finite()) {
            return Err(PredictorError::InvalidParam {
                name: "lr",
                value: lr.to_string(),
                reason: "must be finite and > 0",
            });
        }
        Ok(AdamState { lr, m: Array1::zeros(n), v: Array1::zeros(n), step: 0 })
    }

    /// One update of `params` along the gradient `grad`.
    pub fn step(&mut self, params: &mut Array1<f64>, grad: ArrayView1<f64>) -> Result<()> {
        check_len("parameters", self.m.len(), params.len())?;
        check_len("gradient", self.m.len(), grad.len())?;
        check_finite("gradient", grad.iter().copied())?;
        let (beta1, beta2, eps) = (0.9, 0.999, 1e-8);
        self.step = self.step.saturating_add(1);
        let (c1, c2) = (1.0 - f64::powi(beta1, self.step), 1.0 - f64::powi(beta2, self.step));
        for (((p, g), m), v) in params.iter_mut().zip(grad).zip(self.m.iter_mut()).zip(self.v.iter_mut()) {
            *m = beta1 * *m + (1.0 - beta1) * g;
            *v = beta2 * *v + (1.0 - beta2) * g * g;
            *p -= self.lr * (*m / c1) / ((*v / c2).sqrt() + eps);
        }
        Ok(())
    }
}
