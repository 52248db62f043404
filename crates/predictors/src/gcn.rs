//! A graph-convolutional predictor in the BRP-NAS style: an architecture is a DAG whose nodes
//! carry one-hot operations; stacked graph convolutions `H' = ReLU(Â H W)` over the normalised
//! adjacency (with self loops, both edge directions), a mean-pooled readout and a linear head.

use ndarray::{Array1, Array2, ArrayView1, Axis};
use rand::RngExt;
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::AdaProxy;
use crate::LatencyPredictor;
use crate::adaproxy::AdaptedPredictor;
use crate::error::{PredictorError, Result, check_finite, check_len};

/// One architecture as a graph: adjacency (`n × n`, `a[i][j] = 1` for an edge i → j) and node
/// features (`n × f`, e.g. one-hot operations).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Graph {
    /// Directed adjacency.
    pub adjacency: Array2<f64>,
    /// Node features.
    pub features: Array2<f64>,
}

impl Graph {
    fn check(&self, f: Option<usize>) -> Result<()> {
        let n = self.adjacency.nrows();
        check_len("adjacency columns", n, self.adjacency.ncols())?;
        check_len("feature rows", n, self.features.nrows())?;
        if n == 0 {
            return Err(PredictorError::TooFewSamples { what: "graph nodes", needed: 1, got: 0 });
        }
        if let Some(f) = f {
            check_len("node features", f, self.features.ncols())?;
        }
        check_finite("adjacency", self.adjacency.iter().copied())?;
        check_finite("node features", self.features.iter().copied())
    }

    /// `D^{-1/2} (A + Aᵀ + I) D^{-1/2}`.
    fn normalised(&self) -> Array2<f64> {
        let n = self.adjacency.nrows();
        let mut a = &self.adjacency + &self.adjacency.t() + Array2::<f64>::eye(n);
        a.mapv_inplace(|v| v.clamp(0.0, 1.0));
        let d: Vec<f64> = a.rows().into_iter().map(|r| r.sum().sqrt().recip()).collect();
        Array2::from_shape_fn((n, n), |(i, j)| a[(i, j)] * d[i] * d[j])
    }
}

/// Hyperparameters: widths of the graph convolutions, Adam step, epochs, seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GcnRegressor {
    /// Hidden width of each graph convolution.
    pub hidden: Vec<usize>,
    /// Adam learning rate.
    pub lr: f64,
    /// Epochs (one Adam step per graph per epoch).
    pub epochs: usize,
    /// Seed of initialisation and shuffling.
    pub seed: u64,
}

impl Default for GcnRegressor {
    fn default() -> Self {
        GcnRegressor { hidden: vec![32, 32, 32], lr: 3e-3, epochs: 60, seed: 0 }
    }
}

/// A fitted GCN predictor (deserialisation checks that the layer shapes chain).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "GcnData")]
pub struct GcnPredictor {
    weights: Vec<Array2<f64>>,
    head: Array1<f64>,
    bias: f64,
    y_mean: f64,
    y_std: f64,
}

#[derive(Deserialize)]
struct GcnData {
    weights: Vec<Array2<f64>>,
    head: Array1<f64>,
    bias: f64,
    y_mean: f64,
    y_std: f64,
}

impl TryFrom<GcnData> for GcnPredictor {
    type Error = PredictorError;
    fn try_from(d: GcnData) -> Result<GcnPredictor> {
        let chained = !d.weights.is_empty()
            && d.weights.windows(2).all(|w| w[0].ncols() == w[1].nrows())
            && d.weights.last().is_some_and(|w| w.ncols() == d.head.len());
        if !chained {
            return Err(PredictorError::Serde("GCN layer shapes do not chain".into()));
        }
        check_finite(
            "saved GCN",
            d.weights.iter().flatten().chain(d.head.iter()).copied().chain([d.bias, d.y_mean, d.y_std]),
        )?;
        Ok(GcnPredictor { weights: d.weights, head: d.head, bias: d.bias, y_mean: d.y_mean, y_std: d.y_std })
    }
}

struct Adam {
    m: Vec<f64>,
    v: Vec<f64>,
    t: i32,
}

impl Adam {
    fn step(&mut self, params: &mut [&mut f64], grads: &[f64], lr: f64) {
        self.t += 1;
        let (b1, b2) = (0.9f64, 0.999f64);
        let (c1, c2) = (1.0 - b1.powi(self.t), 1.0 - b2.powi(self.t));
        for (k, p) in params.iter_mut().enumerate() {
            self.m[k] = b1 * self.m[k] + (1.0 - b1) * grads[k];
            self.v[k] = b2 * self.v[k] + (1.0 - b2) * grads[k] * grads[k];
            **p -= lr * (self.m[k] / c1) / ((self.v[k] / c2).sqrt() + 1e-8);
        }
    }
}

impl GcnPredictor {
    /// Readout (mean of the last graph convolution over nodes) — the penultimate features.
    fn forward(&self, a: &Array2<f64>, x: &Array2<f64>) -> (Vec<Array2<f64>>, Vec<Array2<f64>>, Array1<f64>) {
        let mut hs = vec![x.clone()];
        let mut zs = Vec::new();
        for w in &self.weights {
            let z = a.dot(&hs[hs.len() - 1]).dot(w);
            hs.push(z.mapv(|v| v.max(0.0)));
            zs.push(z);
        }
        let r = hs[hs.len() - 1].mean_axis(Axis(0)).unwrap_or_default();
        (hs, zs, r)
    }

    /// Readout features of a graph with a trailing constant 1.
    pub fn features(&self, g: &Graph) -> Result<Array1<f64>> {
        g.check(Some(self.weights[0].nrows()))?;
        let (_, _, r) = self.forward(&g.normalised(), &g.features);
        let mut v = r.to_vec();
        v.push(1.0);
        Ok(Array1::from(v))
    }

    /// The head as weights over [`GcnPredictor::features`], in output units.
    pub fn head_weights(&self) -> Array1<f64> {
        let mut w: Vec<f64> = self.head.iter().map(|v| v * self.y_std).collect();
        w.push(self.bias * self.y_std + self.y_mean);
        Array1::from(w)
    }

    /// Predict one graph.
    pub fn predict_graph(&self, g: &Graph) -> Result<f64> {
        Ok(self.head_weights().dot(&self.features(g)?))
    }

    /// Adapt the head to a new device with [`AdaProxy`] on the readout features (thesis footnote 3).
    pub fn adapt_head(
        &self,
        ada: &AdaProxy,
        train: &[Graph],
        y_train: ArrayView1<f64>,
        val: &[Graph],
        y_val: ArrayView1<f64>,
    ) -> Result<AdaptedPredictor> {
        let feats = |gs: &[Graph]| -> Result<Array2<f64>> {
            let rows = gs.iter().map(|g| self.features(g)).collect::<Result<Vec<_>>>()?;
            let p = rows.first().map_or(0, Array1::len);
            Ok(Array2::from_shape_fn((rows.len(), p), |(i, j)| rows[i][j]))
        };
        ada.fit(self.head_weights().view(), feats(train)?.view(), y_train, feats(val)?.view(), y_val)
    }
}

/// An adapted head used on graphs.
pub fn predict_adapted(base: &GcnPredictor, head: &AdaptedPredictor, g: &Graph) -> Result<f64> {
    head.predict(base.features(g)?.view())
}

impl GcnRegressor {
    /// Fit on graphs (all with the same node-feature width) and targets.
    pub fn fit(&self, graphs: &[Graph], y: ArrayView1<f64>) -> Result<GcnPredictor> {
        check_len("targets", graphs.len(), y.len())?;
        if graphs.len() < 2 {
            return Err(PredictorError::TooFewSamples { what: "GCN fit", needed: 2, got: graphs.len() });
        }
        check_finite("targets", y.iter().copied())?;
        if self.hidden.is_empty() || self.hidden.contains(&0) || !(self.lr > 0.0 && self.lr.is_finite()) {
            return Err(PredictorError::InvalidParam {
                name: "hidden/lr",
                value: format!("{:?}/{}", self.hidden, self.lr),
                reason: "need at least one width ≥ 1 and a finite lr > 0",
            });
        }
        let f = graphs[0].features.ncols();
        for g in graphs {
            g.check(Some(f))?;
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut dims = vec![f];
        dims.extend(&self.hidden);
        let weights: Vec<Array2<f64>> = dims
            .windows(2)
            .map(|w| {
                let s = (6.0 / (w[0] + w[1]) as f64).sqrt();
                Array2::from_shape_fn((w[0], w[1]), |_| rng.random_range(-s..s))
            })
            .collect();
        let last = *dims.last().unwrap_or(&1);
        let head = Array1::from_shape_fn(last, |_| rng.random_range(-0.1..0.1));
        let y_mean = y.mean().unwrap_or(0.0);
        let y_std = y.std(0.0).max(1e-12);
        let mut model = GcnPredictor { weights, head, bias: 0.0, y_mean, y_std };
        let n_params = model.weights.iter().map(Array2::len).sum::<usize>() + last + 1;
        let mut adam = Adam { m: vec![0.0; n_params], v: vec![0.0; n_params], t: 0 };
        let norm: Vec<Array2<f64>> = graphs.iter().map(Graph::normalised).collect();
        let mut order: Vec<usize> = (0..graphs.len()).collect();
        for _ in 0..self.epochs {
            rand::seq::SliceRandom::shuffle(order.as_mut_slice(), &mut rng);
            for &i in &order {
                let (a, x) = (&norm[i], &graphs[i].features);
                let (hs, zs, r) = model.forward(a, x);
                let target = (y[i] - y_mean) / y_std;
                let dy = model.head.dot(&r) + model.bias - target;
                let mut grads = Vec::with_capacity(n_params);
                let d_head = &r * dy;
                let n = x.nrows() as f64;
                let mut dh = Array2::from_shape_fn(hs[hs.len() - 1].dim(), |(_, j)| dy * model.head[j] / n);
                let mut dws: Vec<Array2<f64>> = Vec::with_capacity(model.weights.len());
                for l in (0..model.weights.len()).rev() {
                    let mut dz = dh.clone();
                    dz.zip_mut_with(&zs[l], |d, z| {
                        if *z <= 0.0 {
                            *d = 0.0;
                        }
                    });
                    let ah = a.dot(&hs[l]);
                    dws.push(ah.t().dot(&dz));
                    dh = a.t().dot(&dz).dot(&model.weights[l].t());
                }
                dws.reverse();
                for dw in &dws {
                    grads.extend(dw.iter());
                }
                grads.extend(d_head.iter());
                grads.push(dy);
                let mut params: Vec<&mut f64> = Vec::with_capacity(n_params);
                for w in model.weights.iter_mut() {
                    params.extend(w.iter_mut());
                }
                params.extend(model.head.iter_mut());
                params.push(&mut model.bias);
                adam.step(&mut params, &grads, self.lr);
            }
        }
        if model.weights.iter().any(|w| w.iter().any(|v| !v.is_finite())) {
            return Err(PredictorError::NonFinite {
                what: "GCN weights (training diverged; lower lr)",
                index: 0,
                value: f64::NAN,
            });
        }
        Ok(model)
    }
}
