//! Environments: classification data sets turned into bandits, and the NeuralUCB paper's
//! synthetic rewards.

use std::path::Path;

use ndarray::{Array1, Array2};
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use rand::seq::SliceRandom;

use edgeopt_predictors::PredictorError;
use edgeopt_predictors::data::DeviceTable;

use crate::error::{BanditError, Result};
use crate::network::standard_normal;

/// What a round offers: one context row per arm, each arm's reward, and (optionally) each arm's
/// expected reward and its latency on this round's device for a QoS filter.
///
/// ```
/// use edgeopt_bandit::Round;
/// use edgeopt_bandit::ndarray::array;
/// let r = Round::new(array![[1.0, 0.0], [0.0, 1.0]], array![0.9, 0.2]).with_expected(array![0.8, 0.3]);
/// assert_eq!(r.mean_reward(0), Some(0.8));
/// assert_eq!(r.mean_reward(2), None); // no such arm
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Round {
    /// Contexts, arms × features.
    pub contexts: Array2<f64>,
    /// Reward each arm would pay this round (what the policy is told).
    pub rewards: Array1<f64>,
    /// Each arm's expected (noise-free) reward, when the environment knows it. The simulator
    /// measures regret, ranks and the oracle on it, so reward noise does not count as regret
    /// (pseudo-regret, as in the bandit literature).
    pub expected: Option<Array1<f64>>,
    /// Latency of each arm on this round's device, if the environment knows it.
    pub latency: Option<Array1<f64>>,
}

impl Round {
    /// A round without expected rewards or latencies.
    pub fn new(contexts: Array2<f64>, rewards: Array1<f64>) -> Round {
        Round { contexts, rewards, expected: None, latency: None }
    }

    /// With each arm's expected reward.
    pub fn with_expected(mut self, expected: Array1<f64>) -> Round {
        self.expected = Some(expected);
        self
    }

    /// With each arm's latency on this round's device.
    pub fn with_latency(mut self, latency: Array1<f64>) -> Round {
        self.latency = Some(latency);
        self
    }

    /// Arm `a`'s expected reward if known, else its reward; `None` if the round has no arm `a`.
    pub fn mean_reward(&self, a: usize) -> Option<f64> {
        self.expected.as_ref().and_then(|e| e.get(a)).or_else(|| self.rewards.get(a)).copied()
    }
}

/// The most arms (classes, models) an environment may offer per round.
pub const MAX_ARMS: usize = 4096;
/// The most context values (arms × context length) an environment may produce per round: 16 M
/// values, 128 MiB.
pub const MAX_ROUND_VALUES: usize = 1 << 24;

/// Refuse `arms` arms of `dim` context values each before anything of that size is allocated.
pub(crate) fn check_round_size(arms: usize, dim: usize) -> Result<()> {
    if arms > MAX_ARMS {
        return Err(BanditError::InvalidParam {
            name: "arms",
            value: arms.to_string(),
            reason: "at most 4096 arms (classes, models) per round",
        });
    }
    if arms.checked_mul(dim).is_none_or(|n| n > MAX_ROUND_VALUES) {
        return Err(BanditError::InvalidParam {
            name: "arms × context length",
            value: format!("{arms} × {dim}"),
            reason: "a round may hold at most 2^24 context values",
        });
    }
    Ok(())
}

/// A source of rounds.
pub trait Environment {
    /// Context length.
    fn dim(&self) -> usize;
    /// The next round.
    fn next_round(&mut self) -> Round;
}

impl<E: Environment + ?Sized> Environment for Box<E> {
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn next_round(&mut self) -> Round {
        (**self).next_round()
    }
}

/// A classification data set as a bandit (the NeuralUCB protocol; see `tests/data` README):
/// z-scored, unit-norm rows streamed in random permutations, one arm per class with the row in that
/// arm's block of a K·d context, reward 1 for the true class.
#[derive(Debug)]
pub struct Classification {
    rows: Array2<f64>,
    labels: Vec<usize>,
    classes: usize,
    order: Vec<usize>,
    pos: usize,
    rng: ChaCha8Rng,
}

/// A data file read with the workspace's CSV loader ([`DeviceTable`]: gzip, a size limit, blank
/// cells trimmed, unnamed or repeated columns refused), its errors in this crate's type.
pub(crate) fn read_table(path: &Path) -> Result<DeviceTable> {
    DeviceTable::read(path).map_err(|e| table_error(&path.display().to_string(), &e))
}

/// A loader error of `file` as [`BanditError::Data`], without naming the file twice.
pub(crate) fn table_error(file: &str, e: &PredictorError) -> BanditError {
    let text = e.to_string();
    let message = text.strip_prefix(&format!("{file}: ")).unwrap_or(&text).to_string();
    BanditError::Data { file: file.to_string(), message }
}

impl Classification {
    /// From features (rows) and labels in `0..classes`; the stream is seeded by `seed`.
    pub fn new(features: Array2<f64>, labels: Vec<usize>, seed: u64) -> Result<Classification> {
        let bad = |message: String| BanditError::Data { file: "<features>".into(), message };
        if features.nrows() == 0 || features.nrows() != labels.len() {
            return Err(bad(format!("{} rows but {} labels", features.nrows(), labels.len())));
        }
        if let Some(&v) = features.iter().find(|v| !v.is_finite()) {
            return Err(BanditError::NonFinite { what: "a feature", value: v });
        }
        let classes = labels.iter().max().map_or(0, |m| m.saturating_add(1));
        if classes < 2 {
            return Err(bad(format!("every label is {}: need at least two classes", classes.saturating_sub(1))));
        }
        // Contexts are classes × (classes · features): refused before the first round allocates them.
        check_round_size(classes, classes.saturating_mul(features.ncols()))?;
        let mut x = features;
        for mut col in x.columns_mut() {
            let mean = col.mean().unwrap_or(0.0);
            let sd = col.std(0.0);
            let sd = if sd == 0.0 { 1.0 } else { sd };
            col.mapv_inplace(|v| (v - mean) / sd);
        }
        for mut row in x.rows_mut() {
            let n = row.dot(&row).sqrt();
            if n > 0.0 {
                row.mapv_inplace(|v| v / n);
            }
        }
        let rng = ChaCha8Rng::seed_from_u64(seed);
        Ok(Classification { order: Vec::new(), pos: 0, rows: x, labels, classes, rng })
    }

    /// Read a CSV with feature columns and an integer `label` column (`.gz` decompressed).
    pub fn from_csv(path: &Path, seed: u64) -> Result<Classification> {
        let file = path.display().to_string();
        let bad = |message: String| BanditError::Data { file: file.clone(), message };
        let table = read_table(path)?;
        let labels = table
            .text("label")
            .map_err(|e| table_error(&file, &e))?
            .iter()
            .enumerate()
            .map(|(r, cell)| {
                cell.parse::<usize>()
                    .map_err(|_| bad(format!("row {}, column `label`: `{cell}` is not a class index", r + 1)))
            })
            .collect::<Result<Vec<_>>>()?;
        let features: Vec<&String> = table.headers().iter().filter(|h| *h != "label").collect();
        let mut x = Array2::zeros((labels.len(), features.len()));
        for (j, name) in features.iter().enumerate() {
            let column = table.numeric(name).map_err(|e| table_error(&file, &e))?;
            for (r, v) in column.into_iter().enumerate() {
                x[[r, j]] = v.ok_or_else(|| bad(format!("row {}, column `{name}`: empty", r + 1)))?;
            }
        }
        // The data errors of `new` name the file they came from.
        Classification::new(x, labels, seed).map_err(|e| match e {
            BanditError::Data { message, .. } => bad(message),
            e => e,
        })
    }

    /// Number of classes (arms).
    pub fn classes(&self) -> usize {
        self.classes
    }
}

impl Environment for Classification {
    fn dim(&self) -> usize {
        self.classes * self.rows.ncols()
    }

    fn next_round(&mut self) -> Round {
        if self.pos == self.order.len() {
            self.order = (0..self.rows.nrows()).collect();
            self.order.shuffle(&mut self.rng);
            self.pos = 0;
        }
        let i = self.order[self.pos];
        self.pos += 1;
        let d = self.rows.ncols();
        let mut contexts = Array2::zeros((self.classes, self.classes * d));
        for a in 0..self.classes {
            contexts.slice_mut(ndarray::s![a, a * d..(a + 1) * d]).assign(&self.rows.row(i));
        }
        let rewards = Array1::from_shape_fn(self.classes, |a| if a == self.labels[i] { 1.0 } else { 0.0 });
        Round::new(contexts, rewards)
    }
}

/// The synthetic reward functions of the NeuralUCB paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyntheticReward {
    /// h1(x) = 10 (xᵀa)²
    H1,
    /// h2(x) = xᵀAᵀAx
    H2,
    /// h3(x) = cos(3 xᵀa)
    H3,
}

/// K arms with contexts drawn uniformly from the unit sphere in `d` dimensions; reward h(x) plus
/// N(0, noise²).
#[derive(Debug)]
pub struct Synthetic {
    kind: SyntheticReward,
    arms: usize,
    a: Array1<f64>,
    big_a: Array2<f64>,
    noise: f64,
    rng: ChaCha8Rng,
}

impl Synthetic {
    /// A synthetic environment (the paper uses K = 4, d = 20).
    pub fn new(kind: SyntheticReward, arms: usize, d: usize, noise: f64, seed: u64) -> Result<Synthetic> {
        if arms < 2 || d == 0 || !(noise >= 0.0 && noise.is_finite()) {
            return Err(BanditError::InvalidParam {
                name: "arms/d/noise",
                value: format!("{arms}/{d}/{noise}"),
                reason: "need ≥ 2 arms, d ≥ 1 and a finite noise ≥ 0",
            });
        }
        check_round_size(arms, d)?;
        if d > 4096 {
            return Err(BanditError::InvalidParam { name: "d", value: d.to_string(), reason: "at most 4096 features" });
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut a = Array1::from_shape_fn(d, |_| standard_normal(&mut rng));
        let n = a.dot(&a).sqrt();
        a /= n;
        let big_a = Array2::from_shape_fn((d, d), |_| standard_normal(&mut rng));
        Ok(Synthetic { kind, arms, a, big_a, noise, rng })
    }

    fn h(&self, x: ndarray::ArrayView1<f64>) -> f64 {
        match self.kind {
            SyntheticReward::H1 => 10.0 * x.dot(&self.a).powi(2),
            SyntheticReward::H2 => {
                let ax = self.big_a.dot(&x);
                ax.dot(&ax)
            }
            SyntheticReward::H3 => (3.0 * x.dot(&self.a)).cos(),
        }
    }
}

impl Environment for Synthetic {
    fn dim(&self) -> usize {
        self.a.len()
    }

    fn next_round(&mut self) -> Round {
        let d = self.a.len();
        let mut contexts = Array2::from_shape_fn((self.arms, d), |_| standard_normal(&mut self.rng));
        for mut row in contexts.rows_mut() {
            let n = row.dot(&row).sqrt();
            row.mapv_inplace(|v| v / n);
        }
        let expected = Array1::from_shape_fn(self.arms, |k| self.h(contexts.row(k)));
        let rewards = expected.mapv(|h| h + self.noise * standard_normal(&mut self.rng));
        Round::new(contexts, rewards).with_expected(expected)
    }
}
