//! The multi-layer perceptron: construction, checked loading, parameters, forward pass and
//! backpropagation.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use super::{Activation, Dense};
use crate::error::{PredictorError, Result, check_finite, check_len};

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
    pub(super) layers: Vec<Dense>,
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
    pub(super) fn forward_all(&self, x: ArrayView1<f64>) -> (Vec<Array1<f64>>, Vec<Array1<f64>>) {
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
    pub(super) fn backward(
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
}
