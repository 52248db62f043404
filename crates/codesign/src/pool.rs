//! Adaptation and one-proxy NAS (alg. 5) from a *pool* of proxy devices: the target's samples
//! are chosen with the pool's help ([`Selection`](crate::Selection)) and [`PoolAdaProxy`] decides, by
//! cross-validation on them, between the best single proxy and a sparse combination, with
//! per-feature corrections, in latency or log-latency space.

use std::collections::HashMap;

use edgeopt_nas::Encode;
use edgeopt_predictors::metrics::spearman;
use edgeopt_predictors::ndarray::{Array1, Array2, Axis};
use edgeopt_predictors::{PoolAdaProxy, PoolAdapted};
use rand::Rng;

use crate::adapt::design_matrix;
use crate::device::Device;
use crate::error::{CodesignError, Result};
use crate::one_proxy::{Member, OneProxyConfig, measured_front};

/// The proxies' values for a list of candidate architectures: one row per candidate, one
/// column per proxy (measured latencies, or a proxy predictor's predictions).
#[derive(Debug, Clone, PartialEq)]
pub struct ProxyPool {
    /// Proxy names, one per column.
    pub names: Vec<String>,
    /// Candidates × proxies.
    pub values: Array2<f64>,
}

impl ProxyPool {
    /// From named columns, each holding one value per candidate; every value must be finite.
    ///
    /// ```
    /// use edgeopt_codesign::ProxyPool;
    /// let pool = ProxyPool::new(vec![("a".into(), vec![1.0, 2.0]), ("b".into(), vec![3.0, 5.0])]).unwrap();
    /// assert_eq!(pool.values.dim(), (2, 2));
    /// assert!(ProxyPool::new(vec![("a".into(), vec![1.0]), ("b".into(), vec![3.0, 5.0])]).is_err());
    /// ```
    pub fn new(columns: Vec<(String, Vec<f64>)>) -> Result<ProxyPool> {
        let Some(rows) = columns.first().map(|c| c.1.len()) else {
            return Err(invalid("proxies", "none".into(), "name at least one proxy".into()));
        };
        for (name, col) in &columns {
            if col.len() != rows {
                return Err(invalid(
                    "proxies",
                    name.clone(),
                    format!("{} values, the first proxy has {rows}", col.len()),
                ));
            }
            if let Some(i) = col.iter().position(|v| !v.is_finite()) {
                return Err(invalid(
                    "proxies",
                    name.clone(),
                    format!("value {} of candidate {i} is not finite", col[i]),
                ));
            }
        }
        let values = Array2::from_shape_fn((rows, columns.len()), |(i, k)| columns[k].1[i]);
        Ok(ProxyPool { names: columns.into_iter().map(|c| c.0).collect(), values })
    }

    /// Number of candidates.
    pub fn len(&self) -> usize {
        self.values.nrows()
    }

    /// Whether there are no candidates.
    pub fn is_empty(&self) -> bool {
        self.values.nrows() == 0
    }

    /// The rows of some candidates.
    fn rows(&self, idx: &[usize]) -> Array2<f64> {
        self.values.select(Axis(0), idx)
    }
}

fn invalid(name: &'static str, value: String, reason: String) -> CodesignError {
    CodesignError::InvalidParam { name, value, reason }
}

/// The outcome of a pool adaptation.
#[derive(Debug, Clone)]
pub struct PoolAdaptation<A> {
    /// The fitted pool model.
    pub predictor: PoolAdapted,
    /// Architectures measured on the target, with their latencies, in measurement order.
    pub measured: Vec<(A, f64)>,
    /// Their positions among the candidates.
    pub indices: Vec<usize>,
}

fn check_pool<A>(candidates: &[A], proxies: &ProxyPool) -> Result<()> {
    if candidates.len() != proxies.len() {
        return Err(invalid(
            "proxies",
            format!("{} rows", proxies.len()),
            format!("need one row per candidate ({})", candidates.len()),
        ));
    }
    Ok(())
}

/// Choose `samples` of the `candidates` with `selection` (guided by `proxies`, whose rows follow
/// `candidates`), measure them on `target` and fit `fitter`.
#[allow(clippy::too_many_arguments)]
pub fn adapt_pool<S, D, R>(
    space: &S,
    candidates: &[S::Arch],
    proxies: &ProxyPool,
    target: &D,
    samples: usize,
    selection: crate::Selection,
    fitter: &PoolAdaProxy,
    rng: &mut R,
) -> Result<PoolAdaptation<S::Arch>>
where
    S: Encode,
    D: Device<S::Arch> + ?Sized,
    R: Rng + ?Sized,
{
    check_pool(candidates, proxies)?;
    let indices = selection.choose(proxies.values.view(), &vec![false; candidates.len()], samples, rng)?;
    let measured = indices
        .iter()
        .map(|&i| Ok((candidates[i].clone(), target.measure(&candidates[i])?.latency)))
        .collect::<Result<Vec<_>>>()?;
    let predictor = fit_pool(space, proxies, fitter, &indices, &measured)?;
    Ok(PoolAdaptation { predictor, measured, indices })
}

/// Fit `fitter` on architectures already measured on the target (`indices`: their rows in
/// `proxies`). A fitter without feature groups takes the space's
/// ([`Encode::feature_groups`]), so that few samples can correct whole operator types.
pub fn fit_pool<S: Encode>(
    space: &S,
    proxies: &ProxyPool,
    fitter: &PoolAdaProxy,
    indices: &[usize],
    measured: &[(S::Arch, f64)],
) -> Result<PoolAdapted> {
    let archs: Vec<S::Arch> = measured.iter().map(|m| m.0.clone()).collect();
    let y = Array1::from_iter(measured.iter().map(|m| m.1));
    let x = design_matrix(space, &archs);
    if fitter.feature_groups.is_empty() {
        let fitter = PoolAdaProxy { feature_groups: space.feature_groups(), ..fitter.clone() };
        return Ok(fitter.fit(proxies.rows(indices).view(), x.view(), y.view())?);
    }
    Ok(fitter.fit(proxies.rows(indices).view(), x.view(), y.view())?)
}

/// The pool model's predictions for every candidate.
pub fn predict_pool<S: Encode>(
    space: &S,
    model: &PoolAdapted,
    candidates: &[S::Arch],
    proxies: &ProxyPool,
) -> Result<Vec<f64>> {
    check_pool(candidates, proxies)?;
    let x = design_matrix(space, candidates);
    Ok(model.predict_batch(proxies.values.view(), x.view())?.to_vec())
}

/// What the pool-based one-proxy workflow returns.
#[derive(Debug, Clone)]
pub struct PoolOneProxyResult<A> {
    /// Best single proxy's SRCC with the target on the first samples, and that proxy's column.
    pub srcc_estimate: f64,
    /// The proxy behind `srcc_estimate`.
    pub best_proxy: usize,
    /// The pool model, when the best single proxy was not good enough as is.
    pub adapted: Option<PoolAdapted>,
    /// Target measurements spent (samples, extra samples and the Pareto set, each once).
    pub measurements_used: usize,
    /// The target's Pareto-optimal set, by increasing latency.
    pub set: Vec<Member<A>>,
}

/// Alg. 5 with a pool: measure `cfg.samples` candidates chosen by `cfg.select`; if the best
/// single proxy already ranks them with SRCC ≥ `cfg.threshold`, use it as is; otherwise fit the
/// pool model, adding `cfg.extra_step` measurements while its cross-validated SRCC stays below
/// the threshold (at most `cfg.max_extra`); then measure the predicted Pareto set and keep what
/// is Pareto-optimal by measurement.
#[allow(clippy::too_many_arguments)]
pub fn one_proxy_pool<S, D, R>(
    space: &S,
    candidates: &[S::Arch],
    proxies: &ProxyPool,
    accuracy: &(dyn Fn(&S::Arch) -> f64 + Sync),
    target: &D,
    cfg: &OneProxyConfig,
    fitter: &PoolAdaProxy,
    rng: &mut R,
) -> Result<PoolOneProxyResult<S::Arch>>
where
    S: Encode,
    D: Device<S::Arch> + ?Sized,
    R: Rng + ?Sized,
{
    check_pool(candidates, proxies)?;
    let max_extra = cfg.checked_max_extra(candidates.len())?;
    let mut taken = vec![false; candidates.len()];
    let mut indices: Vec<usize> = Vec::new();
    let mut sample: Vec<(S::Arch, f64)> = Vec::new();
    let mut measure_more = |n: usize, rng: &mut R, indices: &mut Vec<usize>, sample: &mut Vec<(S::Arch, f64)>| {
        let n = n.min(taken.iter().filter(|t| !**t).count());
        for i in cfg.select.choose(proxies.values.view(), &taken, n, rng)? {
            taken[i] = true;
            indices.push(i);
            sample.push((candidates[i].clone(), target.measure(&candidates[i])?.latency));
        }
        Ok::<(), CodesignError>(())
    };
    measure_more(cfg.samples, rng, &mut indices, &mut sample)?;
    let lat: Vec<f64> = sample.iter().map(|s| s.1).collect();
    let (mut best_proxy, mut srcc_estimate) = (0, f64::NEG_INFINITY);
    for (k, col) in proxies.rows(&indices).columns().into_iter().enumerate() {
        let r = spearman(&col.to_vec(), &lat).unwrap_or(f64::NEG_INFINITY);
        if r > srcc_estimate {
            (best_proxy, srcc_estimate) = (k, r);
        }
    }
    let mut adapted = None;
    if srcc_estimate < cfg.threshold {
        let mut extra = 0;
        loop {
            let model = fit_pool(space, proxies, fitter, &indices, &sample)?;
            let good = model.cv_srcc >= cfg.threshold;
            adapted = Some(model);
            if good || extra >= max_extra {
                break;
            }
            let step = cfg.extra_step.max(1).min(max_extra - extra);
            measure_more(step, rng, &mut indices, &mut sample)?;
            extra += step;
        }
    }
    let predicted = match &adapted {
        Some(m) => predict_pool(space, m, candidates, proxies)?,
        None => proxies.values.column(best_proxy).to_vec(),
    };
    let mut measured: HashMap<S::Arch, f64> = sample.into_iter().collect();
    let set = measured_front(candidates, accuracy, &predicted, target, &mut measured, cfg.max_measurements)?;
    Ok(PoolOneProxyResult { srcc_estimate, best_proxy, adapted, measurements_used: measured.len(), set })
}
