//! Approach 1 in the form learning to optimize is compared with under a λ-objective: one proxy
//! device, chosen among the training devices by how well its costs on the reference architectures
//! match the target's up to a constant factor, whose exact costs, rescaled to the target by that
//! factor, rank the designs; the target then measures only a short list of the best-ranked ones.
//!
//! Alg. 1 of the thesis bisects a latency *constraint* over the proxy's accuracy–latency path
//! ([`crate::Bisection`]); for `f = −accuracy + λ·latency (+ λ₂·energy)` there is no constraint to
//! bisect, so the proxy's ranking under the same `f` stands in for the path and the measurement
//! budget is spent on its head.

use super::check_lambdas;
use crate::error::{CodesignError, Result};

/// The proxy chosen for a target by [`choose_proxy`].
#[derive(Debug, Clone, PartialEq)]
pub struct ProxyChoice {
    /// Index of the proxy among the training devices.
    pub index: usize,
    /// Factor taking the proxy's costs to the target's: the geometric mean of target / proxy over
    /// the references.
    pub scale: f64,
    /// Variance over the references of `ln target − ln proxy` (0 when the target is an exact
    /// multiple of the proxy): the mismatch the proxy was chosen by.
    pub mismatch: f64,
}

fn check_costs(what: &'static str, values: &[f64]) -> Result<()> {
    if let Some((i, v)) = values.iter().enumerate().find(|(_, v)| !(v.is_finite() && **v > 0.0)) {
        return Err(CodesignError::InvalidParam {
            name: what,
            value: v.to_string(),
            reason: format!("entry {i} must be finite and > 0"),
        });
    }
    Ok(())
}

/// Mean and variance of `ln target − ln proxy` over the references.
fn log_ratio(proxy: &[f64], target: &[f64]) -> (f64, f64) {
    let r: Vec<f64> = proxy.iter().zip(target).map(|(p, t)| t.ln() - p.ln()).collect();
    let mean = r.iter().sum::<f64>() / r.len() as f64;
    (mean, r.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / r.len() as f64)
}

/// Choose the proxy for a target from the costs of the reference architectures:
/// `training[device][reference]` on the training devices and `target[reference]` measured on the
/// target. The proxy is the training device whose log-costs differ from the target's by the most
/// nearly constant amount (smallest variance of the log-ratio; the first on ties), so that one
/// factor, [`ProxyChoice::scale`], carries its costs over.
///
/// ```
/// use edgeopt_codesign::l2o::choose_proxy;
/// let training = vec![vec![1.0, 2.0, 8.0], vec![3.0, 1.0, 1.0]];
/// let p = choose_proxy(&training, &[10.0, 20.0, 80.0]).unwrap();
/// assert_eq!(p.index, 0);
/// assert!((p.scale - 10.0).abs() < 1e-9 && p.mismatch < 1e-12);
/// ```
pub fn choose_proxy(training: &[Vec<f64>], target: &[f64]) -> Result<ProxyChoice> {
    if target.is_empty() {
        return Err(CodesignError::InvalidParam {
            name: "target reference costs",
            value: "[]".into(),
            reason: "need at least one reference".into(),
        });
    }
    check_costs("target reference costs", target)?;
    let mut best: Option<ProxyChoice> = None;
    for (index, dev) in training.iter().enumerate() {
        if dev.len() != target.len() {
            return Err(CodesignError::InvalidParam {
                name: "training reference costs",
                value: format!("{} values for device {index}", dev.len()),
                reason: format!("need one per reference ({})", target.len()),
            });
        }
        check_costs("training reference costs", dev)?;
        let (mean, mismatch) = log_ratio(dev, target);
        if best.as_ref().is_none_or(|b| mismatch < b.mismatch) {
            best = Some(ProxyChoice { index, scale: mean.exp(), mismatch });
        }
    }
    best.ok_or_else(|| CodesignError::InvalidParam {
        name: "training devices",
        value: "0".into(),
        reason: "need at least one to choose a proxy from".into(),
    })
}

/// Indices of the `n` designs (fewer if there are fewer) with the smallest objective
/// `−accuracy + λ·latency + λ₂·energy`, best first, ties by index: the short list the target
/// measures. `latency` and `energy` are the proxy's costs already in the target's units
/// ([`ProxyChoice::scale`]); `energy` may be `None` when `energy_lambda` is 0.
///
/// ```
/// use edgeopt_codesign::l2o::proxy_shortlist;
/// let acc = [70.0, 72.0, 75.0];
/// let lat = [1.0, 2.0, 10.0];
/// assert_eq!(proxy_shortlist(&acc, &lat, None, 0.0, 0.0, 2).unwrap(), vec![2, 1]);
/// assert_eq!(proxy_shortlist(&acc, &lat, None, 1.0, 0.0, 1).unwrap(), vec![1]);
/// ```
pub fn proxy_shortlist(
    accuracy: &[f64],
    latency: &[f64],
    energy: Option<&[f64]>,
    lambda: f64,
    energy_lambda: f64,
    n: usize,
) -> Result<Vec<usize>> {
    check_lambdas(lambda, energy_lambda)?;
    let lens = [Some(latency.len()), energy.map(<[f64]>::len)];
    if let Some(len) = lens.into_iter().flatten().find(|l| *l != accuracy.len()) {
        return Err(CodesignError::InvalidParam {
            name: "proxy costs",
            value: format!("{len} values"),
            reason: format!("need one per design ({})", accuracy.len()),
        });
    }
    if energy_lambda > 0.0 && energy.is_none() {
        return Err(CodesignError::InvalidParam {
            name: "energy lambda",
            value: energy_lambda.to_string(),
            reason: "the proxy's energy is not given, so only 0 is possible".into(),
        });
    }
    let f = |i: usize| {
        let e = energy.map_or(0.0, |e| if energy_lambda > 0.0 { energy_lambda * e[i] } else { 0.0 });
        -accuracy[i] + lambda * latency[i] + e
    };
    let objective: Vec<f64> = (0..accuracy.len()).map(f).collect();
    if let Some((i, v)) = objective.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(CodesignError::InvalidParam {
            name: "proxy objective",
            value: v.to_string(),
            reason: format!("design {i}: accuracy and costs must be finite"),
        });
    }
    let mut order: Vec<usize> = (0..accuracy.len()).collect();
    order.sort_by(|&a, &b| objective[a].total_cmp(&objective[b]).then(a.cmp(&b)));
    order.truncate(n);
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proxy_is_the_device_the_target_is_a_multiple_of() {
        // Device 1 is the target ÷ 3 exactly; device 0 is closer in absolute terms but not in shape.
        let target = [3.0, 6.0, 30.0, 12.0];
        let training = vec![vec![3.1, 6.5, 25.0, 12.0], target.iter().map(|v| v / 3.0).collect(), vec![1.0; 4]];
        let p = choose_proxy(&training, &target).unwrap();
        assert_eq!(p.index, 1);
        assert!((p.scale - 3.0).abs() < 1e-9);
        assert!(choose_proxy(&training, &[1.0, 2.0]).is_err());
        assert!(choose_proxy(&training, &[1.0, 2.0, f64::NAN, 1.0]).is_err());
        assert!(choose_proxy(&[], &target).is_err());
    }

    #[test]
    fn the_shortlist_is_ordered_by_the_objective_and_starts_at_its_argmin() {
        let acc: Vec<f64> = (0..50).map(|i| 60.0 + f64::from(i % 17)).collect();
        let lat: Vec<f64> = (0..50).map(|i| 1.0 + f64::from((i * 7) % 11)).collect();
        let en: Vec<f64> = (0..50).map(|i| 2.0 + f64::from((i * 3) % 5)).collect();
        let (l, l2) = (0.8, 0.5);
        let f = |i: usize| -acc[i] + l * lat[i] + l2 * en[i];
        let s = proxy_shortlist(&acc, &lat, Some(&en), l, l2, 10).unwrap();
        assert_eq!(s.len(), 10);
        assert!(s.windows(2).all(|w| f(w[0]) <= f(w[1])));
        let rest_min = (0..50).filter(|i| !s.contains(i)).map(f).fold(f64::INFINITY, f64::min);
        assert!(f(s[9]) <= rest_min);
        assert_eq!(proxy_shortlist(&acc, &lat, None, l, 0.0, 100).unwrap().len(), 50);
        assert!(proxy_shortlist(&acc, &lat, None, l, 1.0, 3).is_err());
        assert!(proxy_shortlist(&acc, &lat[..3], None, l, 0.0, 3).is_err());
        assert!(proxy_shortlist(&acc, &lat, None, -1.0, 0.0, 3).is_err());
    }
}
