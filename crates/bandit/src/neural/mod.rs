//! NeuralUCB (thesis ch. 2, Aquaman's engine) and its neural baselines: NeuralTS and neural
//! ε-greedy, all on the same network, confidence matrix and retraining schedule.

use ndarray::{Array1, Array2, ArrayView2};
use rand::RngExt;
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::confidence::{diag_inverse, sherman_morrison, sparse_quadratic_form};
use crate::deep::{DeepNetwork, MAX_DEPTH};
use crate::error::{BanditError, Result, check_contexts};
use crate::model::{Model, ModelScratch};
use crate::network::Network;
use crate::observations::Observations;
use crate::policy::{Decision, Policy, Tickets, argmax_random, round_rng};

mod config;
pub use config::{Confidence, Exploration, NeuralConfig, ZUpdate};

/// A neural contextual bandit with a diagonal confidence matrix.
///
/// ```
/// use edgeopt_bandit::{NeuralBandit, NeuralConfig, Policy};
/// use edgeopt_bandit::ndarray::array;
/// let mut p = NeuralBandit::new(2, NeuralConfig { width: 8, ..NeuralConfig::default() }).unwrap();
/// let d = p.select(0, array![[1.0, 0.0], [0.0, 1.0]].view()).unwrap();
/// p.feedback(d.id, 1.0).unwrap();
/// assert!(p.feedback(d.id, 1.0).is_err()); // already answered
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "NeuralBanditData")]
pub struct NeuralBandit {
    cfg: NeuralConfig,
    net: Model,
    /// Diagonal of Z, in the network's internal parameter layout (empty for the full forms).
    z: Vec<f64>,
    /// Z⁻¹ for the full and last-layer forms.
    z_inv: Option<Array2<f64>>,
    /// Per open decision: its context, and its gradient when Z waits for the reward.
    tickets: Tickets<(Array1<f64>, Option<Array1<f64>>)>,
    obs: Observations,
    since_retrain: usize,
    retrains: u64,
    /// `1/(m·z)` for the diagonal form, kept in step with `z` (derived, not saved).
    #[serde(skip)]
    inv: Vec<f64>,
    #[serde(skip)]
    scratch: ModelScratch,
}

/// The serialised form, checked before it becomes a [`NeuralBandit`].
#[derive(Deserialize)]
struct NeuralBanditData {
    cfg: NeuralConfig,
    net: Model,
    z: Vec<f64>,
    z_inv: Option<Array2<f64>>,
    /// Per open decision: its context, and its gradient when Z waits for the reward.
    tickets: Tickets<(Array1<f64>, Option<Array1<f64>>)>,
    obs: Observations,
    since_retrain: usize,
    retrains: u64,
}

impl TryFrom<NeuralBanditData> for NeuralBandit {
    type Error = BanditError;
    fn try_from(s: NeuralBanditData) -> Result<NeuralBandit> {
        // The constructor's checks build a network of the configured width: make sure that is
        // the saved network's width first, so a small file cannot ask for a huge allocation.
        if s.cfg.width / 2 * 2 != s.net.m() {
            return Err(BanditError::Data {
                file: "<saved policy>".into(),
                message: format!("configured width {} but the saved network has {}", s.cfg.width, s.net.m()),
            });
        }
        // Re-validate the configuration through the constructor's checks.
        NeuralBandit::new(s.net.d(), s.cfg)?;
        let (p, m, d) = (s.net.n_params(), s.net.m(), s.net.d());
        let z_len = match (&s.cfg.confidence, &s.z_inv) {
            (Confidence::Diagonal, None) => s.z.len() == p && s.z.iter().all(|v| *v > 0.0),
            (Confidence::Full, Some(zi)) => zi.dim() == (p, p),
            (Confidence::LastLayer, Some(zi)) => zi.dim() == (m, m),
            _ => false,
        };
        let g_len = if s.cfg.confidence == Confidence::LastLayer { m } else { p };
        let consistent = z_len
            && s.obs.d() == d
            && s.tickets.values().all(|(x, g)| x.len() == d && g.as_ref().is_none_or(|g| g.len() == g_len));
        if !consistent {
            return Err(BanditError::Data {
                file: "<saved policy>".into(),
                message: "inconsistent NeuralUCB state".into(),
            });
        }
        let inv = diag_inverse(&s.z, m);
        Ok(NeuralBandit {
            inv,
            cfg: s.cfg,
            net: s.net,
            z: s.z,
            z_inv: s.z_inv,
            tickets: s.tickets,
            obs: s.obs,
            since_retrain: s.since_retrain,
            retrains: s.retrains,
            scratch: ModelScratch::default(),
        })
    }
}

/// The most first-layer weights (width × d) a network may have: 1 GiB of `f64`.
const MAX_PARAMS: usize = 1 << 27;

impl NeuralBandit {
    /// A bandit over contexts of length `d`.
    pub fn new(d: usize, cfg: NeuralConfig) -> Result<NeuralBandit> {
        let bad = |name, value: String, reason| Err(BanditError::InvalidParam { name, value, reason });
        if d == 0 {
            return bad("d", "0".into(), "contexts need at least one feature");
        }
        if cfg.width < 2 {
            return bad("width", cfg.width.to_string(), "must be at least 2");
        }
        for (name, v) in [("lambda", cfg.lambda), ("gamma", cfg.gamma), ("lr", cfg.lr)] {
            if !(v >= 0.0 && v.is_finite()) {
                return bad(name, v.to_string(), "must be finite and ≥ 0");
            }
        }
        if cfg.lambda == 0.0 {
            return bad("lambda", "0".into(), "must be > 0 (it is Z's initial diagonal)");
        }
        if cfg.retrain_every == 0 {
            return bad("retrain_every", "0".into(), "must be at least 1");
        }
        if let Exploration::EpsilonGreedy(e) = cfg.exploration
            && !(0.0..=1.0).contains(&e)
        {
            return bad("epsilon", e.to_string(), "must be in [0, 1]");
        }
        // Refused before allocating: a network of width × d weights, and an m × m last-layer Z.
        if d.checked_mul(cfg.width).is_none_or(|n| n > MAX_PARAMS) {
            return bad("width", format!("{} (with d = {d})", cfg.width), "width × d must be at most 2^27");
        }
        if !(2..=MAX_DEPTH).contains(&cfg.depth) {
            return bad("depth", cfg.depth.to_string(), "must be from 2 to 16 layers");
        }
        // Hidden-to-hidden layers of a deep network: (L − 2)·m² weights.
        let hidden_params = (cfg.depth - 2).checked_mul(cfg.width).and_then(|n| n.checked_mul(cfg.width));
        if hidden_params.is_none_or(|n| n > MAX_PARAMS) {
            return bad(
                "width",
                format!("{} (with depth {})", cfg.width, cfg.depth),
                "(depth − 2) × width² must be at most 2^27",
            );
        }
        if cfg.confidence == Confidence::LastLayer && cfg.width > 4096 {
            return bad("width", cfg.width.to_string(), "a last-layer Z needs width ≤ 4096");
        }
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        let net = if cfg.depth == 2 {
            Model::Shallow(Network::new(d, cfg.width, &mut rng))
        } else {
            Model::Deep(DeepNetwork::new(d, cfg.width, cfg.depth, &mut rng)?)
        };
        let p = net.n_params();
        let width_m = net.m() as f64;
        let z_inv = match cfg.confidence {
            Confidence::Diagonal => None,
            Confidence::Full if p > 4096 => {
                return bad(
                    "confidence",
                    format!("Full with {p} parameters"),
                    "a full Z needs p ≤ 4096; use Diagonal or LastLayer",
                );
            }
            Confidence::Full => Some(Array2::eye(p) / cfg.lambda),
            Confidence::LastLayer => Some(Array2::eye(net.m()) / cfg.lambda),
        };
        Ok(NeuralBandit {
            cfg,
            net,
            inv: if z_inv.is_some() { Vec::new() } else { vec![1.0 / (width_m * cfg.lambda); p] },
            z: if z_inv.is_some() { Vec::new() } else { vec![cfg.lambda; p] },
            z_inv,
            tickets: Tickets::default(),
            obs: Observations::new(d),
            since_retrain: 0,
            retrains: 0,
            scratch: ModelScratch::default(),
        })
    }

    /// The two-layer network (`None` for a deeper one).
    pub fn network(&self) -> Option<&Network> {
        match &self.net {
            Model::Shallow(n) => Some(n),
            Model::Deep(_) => None,
        }
    }

    /// The network of three or more layers (`None` for the two-layer one).
    pub fn deep_network(&self) -> Option<&DeepNetwork> {
        match &self.net {
            Model::Deep(n) => Some(n),
            Model::Shallow(_) => None,
        }
    }

    /// Rewards received so far.
    pub fn observations(&self) -> usize {
        self.obs.len()
    }

    /// Retrains so far (each of up to `retrain_steps` full-batch steps).
    pub fn retrains(&self) -> u64 {
        self.retrains
    }

    /// The part of the gradient Z covers.
    fn z_part(&self, g: Array1<f64>) -> Array1<f64> {
        match self.cfg.confidence {
            Confidence::LastLayer => g.slice(ndarray::s![g.len() - self.net.m()..]).to_owned(),
            _ => g,
        }
    }

    /// f(x) and ‖g/√m‖²_{Z⁻¹}.
    fn value_and_variance(&mut self, x: ndarray::ArrayView1<f64>) -> (f64, f64) {
        let m = self.net.m() as f64;
        match &self.z_inv {
            None => self.net.value_and_weighted_norm(x, &self.inv, &mut self.scratch),
            Some(zi) => {
                let (f, g) = self.net.value_and_gradient(x, &mut self.scratch);
                let g = self.z_part(g);
                (f, sparse_quadratic_form(zi, g.as_slice().expect("contiguous")).max(0.0) / m)
            }
        }
    }

    /// Z ← Z + g gᵀ/m (diagonal: its diagonal; full forms: Sherman–Morrison on Z⁻¹).
    fn update_z(&mut self, g: &Array1<f64>) {
        let m = self.net.m() as f64;
        match &mut self.z_inv {
            None => {
                for (k, gk) in g.iter().enumerate() {
                    self.z[self.net.internal_index(k)] += gk * gk / m;
                }
                self.inv = diag_inverse(&self.z, self.net.m());
            }
            Some(zi) => sherman_morrison(zi, g.as_slice().expect("contiguous"), m),
        }
    }

    fn retrain_due(&self) -> bool {
        let n = self.obs.len();
        self.since_retrain >= self.cfg.retrain_every
            || (self.cfg.geometric_start && n < self.cfg.retrain_every && n.is_power_of_two())
    }

    fn retrain(&mut self) {
        // Early (geometric) retrains on a handful of rewards take proportionally fewer steps, so the
        // network does not overfit its first few observations.
        let n = self.obs.len();
        let steps = if n < self.cfg.retrain_every {
            (self.cfg.retrain_steps * n).div_ceil(self.cfg.retrain_every).max(1)
        } else {
            self.cfg.retrain_steps
        };
        let lr = self.cfg.lr / self.obs.max_squared_norm().max(1.0);
        self.net.train_on(&self.obs, self.cfg.lambda, lr, steps, self.cfg.f32_training);
        self.since_retrain = 0;
        self.retrains += 1;
    }
}

impl Policy for NeuralBandit {
    fn name(&self) -> String {
        match self.cfg.exploration {
            Exploration::Ucb => "neural-ucb".into(),
            Exploration::Thompson => "neural-ts".into(),
            Exploration::EpsilonGreedy(_) => "eps-greedy".into(),
        }
    }

    fn select(&mut self, round: u64, arms: ArrayView2<f64>) -> Result<Decision> {
        check_contexts(arms, self.net.d(), round)?;
        let mut rng = round_rng(self.cfg.seed, round);
        let mut scores = Vec::with_capacity(arms.nrows());
        let mut values = Vec::with_capacity(arms.nrows());
        for x in arms.rows() {
            let (f, var) = self.value_and_variance(x);
            if !f.is_finite() {
                return Err(BanditError::NonFinite { what: "network output (training diverged; lower lr)", value: f });
            }
            let sd = self.cfg.gamma * var.sqrt();
            let score = match self.cfg.exploration {
                Exploration::Ucb => f + sd,
                Exploration::Thompson => f + sd * crate::network::standard_normal(&mut rng),
                Exploration::EpsilonGreedy(_) => f,
            };
            scores.push(score);
            values.push(f);
        }
        let (mut arm, ties) = argmax_random(&scores, &mut rng);
        let mut propensity = 1.0 / ties as f64;
        if let Exploration::EpsilonGreedy(eps) = self.cfg.exploration {
            let k = arms.nrows() as f64;
            if rng.random_bool(eps) {
                arm = rng.random_range(0..arms.nrows());
            }
            propensity = (1.0 - eps) * propensity + eps / k;
        }
        let f = values[arm];
        let g_for_z = match (self.cfg.z_update, self.z_inv.is_none()) {
            (ZUpdate::AtSelection, true) => {
                // Diagonal Z: fold g² in without materialising g.
                self.net.accumulate_squared_gradient(arms.row(arm), &mut self.z, &mut self.inv, &mut self.scratch);
                None
            }
            (ZUpdate::AtSelection, false) => {
                let g = self.net.value_and_gradient(arms.row(arm), &mut self.scratch).1;
                let g = self.z_part(g);
                self.update_z(&g);
                None
            }
            (ZUpdate::OnArrival, _) => {
                let g = self.net.value_and_gradient(arms.row(arm), &mut self.scratch).1;
                Some(self.z_part(g))
            }
        };
        let id = self.tickets.issue((arms.row(arm).to_owned(), g_for_z));
        Ok(Decision { id, arm, score: scores[arm], bonus: scores[arm] - f, propensity })
    }

    fn pending(&self) -> usize {
        self.tickets.len()
    }

    fn expire(&mut self, before: u64) -> usize {
        self.tickets.expire(before)
    }

    fn feedback(&mut self, id: u64, reward: f64) -> Result<()> {
        let (x, g) = self.tickets.answer(id, reward)?;
        if let Some(g) = g {
            self.update_z(&g);
        }
        self.obs.push(x.view(), reward);
        self.since_retrain += 1;
        if self.retrain_due() {
            self.retrain();
        }
        Ok(())
    }
}
