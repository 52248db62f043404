//! QoE worlds for model selection (thesis sec. 2.5): a synthetic world with a performance
//! generator and a QoE generator, and a table world built from per-user ratings.
//!
//! The thesis fitted its generators to its own device measurements and 15-user study, which are
//! not public. [`QoeWorld`] keeps their structure — device features and DNN features → kernel ridge
//! performance generator → (linear / RBF / Laplacian) QoE generator + noise — with documented
//! synthetic anchors, so that policies can be compared under the same kind of non-linear,
//! device-dependent QoE.

use edgeopt_predictors::{Fit, Kernel, KernelRidge, KernelRidgeModel, LatencyPredictor};
use ndarray::{Array1, Array2, ArrayView1};
use rand::rngs::ChaCha8Rng;
use rand::{Rng, RngExt, SeedableRng};

use crate::env::{Environment, Round};
use crate::error::{BanditError, Result};
use crate::network::standard_normal;

/// Device features: CPU GHz, cores, RAM GB, RAM MHz, battery mAh.
pub const DEVICE_FEATURES: usize = 5;
/// DNN features: MMACs, Mparams, size MB, graph nodes, layers.
pub const MODEL_FEATURES: usize = 5;

/// The QoE generator's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QoeKind {
    /// Linear regression on (accuracy, latency, energy).
    Linear,
    /// RBF kernel ridge regression.
    Rbf,
    /// Laplacian kernel ridge regression.
    Laplacian,
    /// Each arriving device is one of the three at random.
    RandomMix,
}

fn sample_device<R: Rng + ?Sized>(rng: &mut R) -> [f64; DEVICE_FEATURES] {
    [
        rng.random_range(1.2..3.0),
        [4.0, 6.0, 8.0][rng.random_range(0..3)],
        [2.0, 3.0, 4.0, 6.0, 8.0][rng.random_range(0..5)],
        [1333.0, 1600.0, 1866.0, 2133.0][rng.random_range(0..4)],
        rng.random_range(2000.0..5000.0),
    ]
}

/// A DNN's features from its MACs and parameters (size at 4 bytes per parameter).
pub fn model_features(mmacs: f64, mparams: f64, nodes: f64, layers: f64) -> [f64; MODEL_FEATURES] {
    [mmacs, mparams, 4.0 * mparams, nodes, layers]
}

/// `v / ‖v‖₂` (a zero vector stays zero).
fn unit(v: Array1<f64>) -> Array1<f64> {
    let n = v.dot(&v).sqrt();
    if n > 0.0 { v / n } else { v }
}

/// Synthetic anchors of the performance generator: latency (ms) from compute and memory,
/// energy (mJ) from latency and cores, accuracy (%) saturating in MACs. Compute runs at about one
/// MMAC per ms per GHz·core^0.7 — a 600-MMAC model takes ~190 ms on a 1.2 GHz quad-core and ~45 ms
/// on a 3 GHz octa-core, the spread of mobile CPUs — so the latency penalty of the QoE anchor bites
/// on slow devices and the best model depends on the device.
fn anchor_performance(d: &[f64; DEVICE_FEATURES], m: &[f64; MODEL_FEATURES]) -> [f64; 3] {
    let compute = m[0] / (d[0] * d[1].powf(0.7));
    let memory = m[2] * 2000.0 / d[3] / d[2].sqrt();
    let latency = compute + memory + 0.02 * m[4];
    let energy = latency * (0.4 + 0.15 * d[1]);
    let accuracy = 40.0 + 38.0 * (1.0 - (-m[0] / 250.0).exp());
    [accuracy, latency, energy]
}

/// Synthetic anchor of the QoE generator (a 1–5 rating): accuracy is worth little below ~60 %,
/// latency beyond ~100 ms and energy beyond a battery-dependent budget are penalised.
fn anchor_qoe(perf: &[f64; 3], battery: f64) -> f64 {
    let acc = 1.0 / (1.0 + (-(perf[0] - 62.0) / 4.0).exp());
    let lat = 1.0 / (1.0 + ((perf[1] - 100.0) / 25.0).exp());
    let en = (-perf[2] / (battery / 40.0)).exp();
    1.0 + 4.0 * acc * (0.6 * lat + 0.4 * en)
}

/// The synthetic QoE world: every round a device with random features arrives; arm `a` is model
/// `a`; its context is the standardised concatenation of device and model features (plus a
/// constant); its reward is the generated QoE rescaled from 1–5 to 0–1, plus N(0, noise²).
pub struct QoeWorld {
    models: Vec<[f64; MODEL_FEATURES]>,
    perf: [KernelRidgeModel; 3],
    qoe: [KernelRidgeModel; 3],
    kind: QoeKind,
    noise: f64,
    scale: (Array1<f64>, Array1<f64>),
    rng: ChaCha8Rng,
}

impl QoeWorld {
    /// A world over `models` (features from [`model_features`]); `seed` drives the anchors,
    /// devices and noise.
    pub fn new(models: Vec<[f64; MODEL_FEATURES]>, kind: QoeKind, noise: f64, seed: u64) -> Result<QoeWorld> {
        if models.len() < 2 || !(noise >= 0.0 && noise.is_finite()) {
            return Err(BanditError::InvalidParam {
                name: "models/noise",
                value: format!("{}/{noise}", models.len()),
                reason: "need at least two models and a finite noise ≥ 0",
            });
        }
        crate::env::check_round_size(models.len(), DEVICE_FEATURES + MODEL_FEATURES + 1)?;
        if let Some(&v) = models.iter().flatten().find(|v| !(v.is_finite() && **v >= 0.0)) {
            return Err(BanditError::NonFinite { what: "a model feature", value: v });
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        // Anchors: 200 (device, model) pairs for the performance generator (KRR, RBF kernel).
        let n = 200;
        let mut x = Array2::zeros((n, DEVICE_FEATURES + MODEL_FEATURES));
        let mut ys = [Array1::zeros(n), Array1::zeros(n), Array1::zeros(n)];
        let mut q_in = Array2::zeros((n, 3));
        let mut q_out = Array1::zeros(n);
        for i in 0..n {
            let d = sample_device(&mut rng);
            let m = models[rng.random_range(0..models.len())];
            let p = anchor_performance(&d, &m);
            for (j, v) in d.iter().chain(m.iter()).enumerate() {
                x[(i, j)] = *v;
            }
            for k in 0..3 {
                ys[k][i] = p[k];
                q_in[(i, k)] = p[k];
            }
            q_out[i] = anchor_qoe(&p, d[4]);
        }
        let mean = x.mean_axis(ndarray::Axis(0)).unwrap_or_default();
        let sd = x.std_axis(ndarray::Axis(0), 0.0).mapv(|s| if s > 0.0 { s } else { 1.0 });
        let xs = (&x - &mean) / &sd;
        let fit = |k: Kernel, x: &Array2<f64>, y: &Array1<f64>| -> Result<KernelRidgeModel> {
            KernelRidge { kernel: k, alpha: 1e-2 }.fit(x.view(), y.view()).map_err(|e| BanditError::InvalidParam {
                name: "generator",
                value: e.to_string(),
                reason: "fit failed",
            })
        };
        let rbf = Kernel::Rbf { gamma: 0.1 };
        let perf = [fit(rbf, &xs, &ys[0])?, fit(rbf, &xs, &ys[1])?, fit(rbf, &xs, &ys[2])?];
        let q_scale = [100.0, 200.0, 200.0];
        let qn = Array2::from_shape_fn((n, 3), |(i, k)| q_in[(i, k)] / q_scale[k]);
        let mut with_bias = Array2::ones((n, 4));
        with_bias.slice_mut(ndarray::s![.., ..3]).assign(&qn);
        let qoe = [
            fit(Kernel::Linear, &with_bias, &q_out)?,
            fit(Kernel::Rbf { gamma: 2.0 }, &with_bias, &q_out)?,
            fit(Kernel::Laplacian { gamma: 2.0 }, &with_bias, &q_out)?,
        ];
        Ok(QoeWorld { models, perf, qoe, kind, noise, scale: (mean, sd), rng })
    }

    /// A default zoo of ten models from 50 to 600 MMACs.
    pub fn default_models() -> Vec<[f64; MODEL_FEATURES]> {
        (0..10)
            .map(|i| {
                let mmacs = 50.0 + 60.0 * i as f64;
                model_features(mmacs, 1.0 + mmacs / 60.0, 60.0 + 12.0 * i as f64, 20.0 + 5.0 * i as f64)
            })
            .collect()
    }

    /// Standardised features.
    fn features(&self, d: &[f64; DEVICE_FEATURES], m: &[f64; MODEL_FEATURES]) -> Array1<f64> {
        let raw: Array1<f64> = d.iter().chain(m.iter()).copied().collect();
        (&raw - &self.scale.0) / &self.scale.1
    }

    /// Standardised features plus a constant 1 (so that intercept-free models — LinUCB, the NeuralUCB
    /// network — can represent an offset), scaled to unit L2 norm as in the classification protocol.
    /// NeuralUCB assumes ‖x‖ = 1: its default step is stable only for contexts of about that norm, and
    /// the standardised model features are strongly correlated, so unscaled rows reach norm 1.5+.
    fn context(&self, d: &[f64; DEVICE_FEATURES], m: &[f64; MODEL_FEATURES]) -> Array1<f64> {
        let mut v = self.features(d, m).to_vec();
        v.push(1.0);
        unit(Array1::from(v))
    }

    /// Generated (accuracy %, latency ms, energy mJ) of a model on a device.
    pub fn performance(&self, x: ArrayView1<f64>) -> [f64; 3] {
        // The three generators share their anchors and kernel: one kernel evaluation per anchor.
        let p = self.perf[0].predict_shared(&[&self.perf[1], &self.perf[2]], x).unwrap_or_else(|_| vec![f64::NAN; 3]);
        [p[0], p[1].max(0.1), p[2].max(0.01)]
    }
}

impl Environment for QoeWorld {
    fn dim(&self) -> usize {
        DEVICE_FEATURES + MODEL_FEATURES + 1
    }

    fn next_round(&mut self) -> Round {
        let d = sample_device(&mut self.rng);
        let which = match self.kind {
            QoeKind::Linear => 0,
            QoeKind::Rbf => 1,
            QoeKind::Laplacian => 2,
            QoeKind::RandomMix => self.rng.random_range(0..3),
        };
        let k = self.models.len();
        let mut contexts = Array2::zeros((k, self.dim()));
        let mut rewards = Array1::zeros(k);
        let mut expected = Array1::zeros(k);
        let mut latency = Array1::zeros(k);
        for (a, m) in self.models.iter().enumerate() {
            let x = self.features(&d, m);
            let p = self.performance(x.view());
            let ctx = self.context(&d, m);
            let q = ndarray::array![p[0] / 100.0, p[1] / 200.0, p[2] / 200.0, 1.0];
            let qoe = self.qoe[which].predict(q.view()).unwrap_or(f64::NAN);
            contexts.row_mut(a).assign(&ctx);
            // QoE ratings 1–5 rescaled to 0–1.
            expected[a] = (qoe - 1.0) / 4.0;
            rewards[a] = expected[a] + self.noise * standard_normal(&mut self.rng);
            latency[a] = p[1];
        }
        Round::new(contexts, rewards).with_expected(expected).with_latency(latency)
    }
}

/// A table world: devices × models with several users' ratings per cell (like the thesis's
/// 15-user study). Every round a device is drawn uniformly; arm `a`'s reward is the mean of a
/// bootstrap resample of that cell's ratings; its context is the device's features followed by the
/// model's, scaled to unit L2 norm (NeuralUCB's assumption).
pub struct TableWorld {
    device_features: Array2<f64>,
    model_features: Array2<f64>,
    ratings: Vec<Vec<Vec<f64>>>,
    rng: ChaCha8Rng,
}

impl TableWorld {
    /// `ratings[device][model]` holds the users' ratings of that pair (at least one each).
    pub fn new(
        device_features: Array2<f64>,
        model_features: Array2<f64>,
        ratings: Vec<Vec<Vec<f64>>>,
        seed: u64,
    ) -> Result<TableWorld> {
        let bad = |message: String| BanditError::Data { file: "<table world>".into(), message };
        let (nd, nm) = (device_features.nrows(), model_features.nrows());
        if nd == 0 || nm < 2 {
            return Err(bad(format!("{nd} devices and {nm} models: need at least one device and two models")));
        }
        crate::env::check_round_size(nm, device_features.ncols().saturating_add(model_features.ncols()))?;
        if ratings.len() != nd || ratings.iter().any(|r| r.len() != nm) {
            return Err(bad(format!("ratings must be {nd} devices × {nm} models")));
        }
        if let Some((i, j)) =
            (0..nd).flat_map(|i| (0..nm).map(move |j| (i, j))).find(|&(i, j)| ratings[i][j].is_empty())
        {
            return Err(bad(format!("device {i}, model {j} has no rating")));
        }
        if let Some(&v) = ratings
            .iter()
            .flatten()
            .flatten()
            .chain(device_features.iter())
            .chain(model_features.iter())
            .find(|v| !v.is_finite())
        {
            return Err(BanditError::NonFinite { what: "a table value", value: v });
        }
        Ok(TableWorld { device_features, model_features, ratings, rng: ChaCha8Rng::seed_from_u64(seed) })
    }
}

impl TableWorld {
    /// Read ratings from a CSV with columns `device,model,rating` (one row per user rating).
    /// Devices and models are described by one-hot features of their names; every (device, model)
    /// pair needs at least one rating.
    pub fn from_ratings_csv(path: &std::path::Path, seed: u64) -> Result<TableWorld> {
        let file = path.display().to_string();
        let bad = |message: String| BanditError::Data { file: file.clone(), message };
        let table = crate::env::read_table(path)?;
        let column_error = |e: edgeopt_predictors::PredictorError| crate::env::table_error(&file, &e);
        let (device, model) = (table.text("device").map_err(column_error)?, table.text("model").map_err(column_error)?);
        let rating = table.numeric("rating").map_err(column_error)?;
        let (mut devices, mut models): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
        let mut rows = Vec::with_capacity(rating.len());
        for (i, r) in rating.into_iter().enumerate() {
            let rating = r.ok_or_else(|| bad(format!("row {}, column `rating`: empty", i + 1)))?;
            let idx = |names: &mut Vec<String>, v: &str| match names.iter().position(|n| n == v) {
                Some(k) => k,
                None => {
                    names.push(v.to_string());
                    names.len() - 1
                }
            };
            let (d, m) = (idx(&mut devices, device[i]), idx(&mut models, model[i]));
            rows.push((d, m, rating));
        }
        // One-hot features and the devices × models grid: refused before they are allocated.
        crate::env::check_round_size(models.len(), devices.len().saturating_add(models.len()))?;
        if devices.len() > crate::env::MAX_ARMS {
            return Err(bad(format!(
                "{} devices: at most {} (they are one-hot encoded)",
                devices.len(),
                crate::env::MAX_ARMS
            )));
        }
        let mut ratings = vec![vec![Vec::new(); models.len()]; devices.len()];
        for (d, m, r) in rows {
            ratings[d][m].push(r);
        }
        let (nd, nm) = (devices.len(), models.len());
        // Named here, where the names are known (`new` sees indices only).
        if let Some((d, m)) =
            (0..nd).flat_map(|d| (0..nm).map(move |m| (d, m))).find(|&(d, m)| ratings[d][m].is_empty())
        {
            return Err(bad(format!(
                "device `{}` has no rating of model `{}`; every (device, model) pair needs at least one",
                devices[d], models[m]
            )));
        }
        TableWorld::new(Array2::eye(nd), Array2::eye(nm), ratings, seed)
    }
}

impl Environment for TableWorld {
    fn dim(&self) -> usize {
        self.device_features.ncols() + self.model_features.ncols()
    }

    fn next_round(&mut self) -> Round {
        let d = self.rng.random_range(0..self.device_features.nrows());
        let k = self.model_features.nrows();
        let mut contexts = Array2::zeros((k, self.dim()));
        let mut rewards = Array1::zeros(k);
        let mut expected = Array1::zeros(k);
        let dc = self.device_features.ncols();
        for a in 0..k {
            contexts.row_mut(a).slice_mut(ndarray::s![..dc]).assign(&self.device_features.row(d));
            contexts.row_mut(a).slice_mut(ndarray::s![dc..]).assign(&self.model_features.row(a));
            let row = unit(contexts.row(a).to_owned());
            contexts.row_mut(a).assign(&row);
            let cell = &self.ratings[d][a];
            let mean =
                (0..cell.len()).map(|_| cell[self.rng.random_range(0..cell.len())]).sum::<f64>() / cell.len() as f64;
            rewards[a] = mean;
            expected[a] = cell.iter().sum::<f64>() / cell.len() as f64;
        }
        Round::new(contexts, rewards).with_expected(expected)
    }
}
