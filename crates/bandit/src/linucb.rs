//! LinUCB with one shared linear model (disjoint-to-joint contexts), `A⁻¹` kept by Sherman–Morrison.

use ndarray::{Array1, Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::error::{BanditError, Result, check_contexts};
use crate::policy::{Decision, Policy, Tickets, argmax_random, round_rng};

/// LinUCB: score `θᵀx + α·√(xᵀA⁻¹x)` with `A = λI + Σ xxᵀ` over rewarded contexts.
///
/// ```
/// use edgeopt_bandit::{LinUcb, Policy};
/// use edgeopt_bandit::ndarray::array;
/// let mut p = LinUcb::new(2, 1.0, 0.1, 0).unwrap();
/// let d = p.select(0, array![[1.0, 0.0], [0.0, 1.0]].view()).unwrap();
/// p.feedback(d.id, 1.0).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "LinUcbData")]
pub struct LinUcb {
    alpha: f64,
    a_inv: Array2<f64>,
    b: Array1<f64>,
    tickets: Tickets<Array1<f64>>,
    seed: u64,
}

#[derive(Deserialize)]
struct LinUcbData {
    alpha: f64,
    a_inv: Array2<f64>,
    b: Array1<f64>,
    tickets: Tickets<Array1<f64>>,
    seed: u64,
}

impl TryFrom<LinUcbData> for LinUcb {
    type Error = BanditError;
    fn try_from(s: LinUcbData) -> Result<LinUcb> {
        let d = s.b.len();
        let ok = d > 0
            && s.a_inv.dim() == (d, d)
            && s.alpha.is_finite()
            && s.alpha >= 0.0
            && s.tickets.values().all(|x| x.len() == d)
            && s.a_inv.iter().chain(s.b.iter()).all(|v| v.is_finite());
        if !ok {
            return Err(BanditError::Data {
                file: "<saved policy>".into(),
                message: "inconsistent LinUCB state".into(),
            });
        }
        Ok(LinUcb { alpha: s.alpha, a_inv: s.a_inv, b: s.b, tickets: s.tickets, seed: s.seed })
    }
}

impl LinUcb {
    /// LinUCB over contexts of length `d`, ridge `lambda` > 0, exploration `alpha` ≥ 0.
    pub fn new(d: usize, lambda: f64, alpha: f64, seed: u64) -> Result<LinUcb> {
        if d == 0 || !(lambda > 0.0 && lambda.is_finite()) || !(alpha >= 0.0 && alpha.is_finite()) {
            return Err(BanditError::InvalidParam {
                name: "d/lambda/alpha",
                value: format!("{d}/{lambda}/{alpha}"),
                reason: "need d ≥ 1, λ > 0 and α ≥ 0",
            });
        }
        Ok(LinUcb { alpha, a_inv: Array2::eye(d) / lambda, b: Array1::zeros(d), tickets: Tickets::default(), seed })
    }
}

impl Policy for LinUcb {
    fn name(&self) -> String {
        "lin-ucb".into()
    }

    fn select(&mut self, round: u64, arms: ArrayView2<f64>) -> Result<Decision> {
        check_contexts(arms, self.b.len(), round)?;
        let theta = self.a_inv.dot(&self.b);
        let mut scores = Vec::with_capacity(arms.nrows());
        let mut bonuses = Vec::with_capacity(arms.nrows());
        for x in arms.rows() {
            let bonus = self.alpha * x.dot(&self.a_inv.dot(&x)).max(0.0).sqrt();
            scores.push(theta.dot(&x) + bonus);
            bonuses.push(bonus);
        }
        let (arm, ties) = argmax_random(&scores, &mut round_rng(self.seed, round));
        let id = self.tickets.issue(arms.row(arm).to_owned());
        Ok(Decision { id, arm, score: scores[arm], bonus: bonuses[arm], propensity: 1.0 / ties as f64 })
    }

    fn pending(&self) -> usize {
        self.tickets.len()
    }

    fn expire(&mut self, before: u64) -> usize {
        self.tickets.expire(before)
    }

    fn feedback(&mut self, id: u64, reward: f64) -> Result<()> {
        let x = self.tickets.answer(id, reward)?;
        let ax = self.a_inv.dot(&x);
        let denom = 1.0 + x.dot(&ax);
        let outer = ax.view().insert_axis(ndarray::Axis(1)).dot(&ax.view().insert_axis(ndarray::Axis(0)));
        self.a_inv.scaled_add(-1.0 / denom, &outer);
        self.b.scaled_add(reward, &x);
        Ok(())
    }
}
