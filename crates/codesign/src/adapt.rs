//! The proxy's linear latency predictor and its adaptation to a target device (thesis sec. 3.5).

use edgeopt_nas::Encode;
use edgeopt_predictors::ndarray::{Array1, Array2};
use edgeopt_predictors::{AdaProxy, AdaptablePredictor, Fit, LatencyPredictor, LinearPredictor, LinearRegression};
use rand::Rng;
use rand::seq::SliceRandom;

use crate::device::Device;
use crate::error::{CodesignError, Result};
use crate::select::Selection;

/// Encode architectures as the rows of a design matrix.
pub fn design_matrix<S: Encode>(space: &S, archs: &[S::Arch]) -> Array2<f64> {
    let p = space.encoding_len();
    let mut x = Array2::zeros((archs.len(), p));
    for (i, a) in archs.iter().enumerate() {
        x.row_mut(i).assign(&space.encode(a));
    }
    x
}

/// Relative ridge penalty of [`fit_proxy`] when the proxy has no more measured architectures than
/// the space has features (DARTS has 224): least squares has no unique solution there.
pub const SMALL_TABLE_RIDGE: f64 = 1e-3;

/// Fit the proxy device's linear (operator-level) latency predictor on measured architectures.
///
/// Least squares when there are more architectures than features; otherwise ridge regression
/// with [`SMALL_TABLE_RIDGE`], so a user's table of a hundred DARTS networks still gives a proxy.
pub fn fit_proxy<S: Encode>(space: &S, archs: &[S::Arch], latency: &[f64]) -> Result<LinearPredictor> {
    let x = design_matrix(space, archs);
    let fit = if archs.len() > space.encoding_len() {
        LinearRegression::default()
    } else {
        LinearRegression { ridge: SMALL_TABLE_RIDGE }
    };
    Ok(fit.fit(x.view(), Array1::from(latency.to_vec()).view())?)
}

/// Predictions of any latency predictor for many architectures.
pub fn predict_all<S: Encode, P: LatencyPredictor + ?Sized>(space: &S, p: &P, archs: &[S::Arch]) -> Result<Vec<f64>> {
    Ok(p.predict_batch(design_matrix(space, archs).view())?.to_vec())
}

/// The outcome of adapting a proxy to a target.
#[derive(Debug, Clone)]
pub struct Adaptation<A, P> {
    /// The adapted predictor.
    pub predictor: P,
    /// Architectures measured on the target, with their latencies (training first, then validation).
    pub measured: Vec<(A, f64)>,
}

/// Draw `samples + validation` distinct architectures of `pool`, measure them on `target`, and
/// adapt the proxy's predictor (any [`AdaptablePredictor`]: eq. 3.3 on its last linear layer)
/// with λ chosen on the last `validation` of them. Same as [`adapt_selected`] with
/// [`Selection::Random`].
pub fn adapt<S, P, D, R>(
    space: &S,
    proxy: &P,
    target: &D,
    pool: &[S::Arch],
    samples: usize,
    validation: usize,
    rng: &mut R,
) -> Result<Adaptation<S::Arch, P::Adapted>>
where
    S: Encode,
    P: AdaptablePredictor + ?Sized,
    D: Device<S::Arch> + ?Sized,
    R: Rng + ?Sized,
{
    adapt_selected(space, proxy, target, pool, samples, validation, Selection::Random, rng)
}

/// [`adapt`] with the `samples + validation` architectures chosen by `selection`, guided by the
/// proxy's predictions. Training and validation are split at random among the chosen ones, so
/// that both span what the strategy spans.
#[allow(clippy::too_many_arguments)]
pub fn adapt_selected<S, P, D, R>(
    space: &S,
    proxy: &P,
    target: &D,
    pool: &[S::Arch],
    samples: usize,
    validation: usize,
    selection: Selection,
    rng: &mut R,
) -> Result<Adaptation<S::Arch, P::Adapted>>
where
    S: Encode,
    P: AdaptablePredictor + ?Sized,
    D: Device<S::Arch> + ?Sized,
    R: Rng + ?Sized,
{
    if samples < 2 || validation < 2 {
        return Err(CodesignError::InvalidParam {
            name: "samples/validation",
            value: format!("{samples}/{validation}"),
            reason: "need at least 2 of each".into(),
        });
    }
    // Checked: a wrapped sum of two huge requests would pass the bound below.
    if samples.checked_add(validation).is_none_or(|n| n > pool.len()) {
        return Err(CodesignError::InvalidParam {
            name: "samples + validation",
            value: format!("{samples} + {validation}"),
            reason: format!("only {} architectures can be measured on the target", pool.len()),
        });
    }
    let chosen: Vec<usize> = match selection {
        Selection::Random => {
            let mut idx: Vec<usize> = (0..pool.len()).collect();
            idx.partial_shuffle(rng, samples + validation).0.to_vec()
        }
        _ => {
            let guide = Array2::from_shape_vec((pool.len(), 1), predict_all(space, proxy, pool)?)
                .map_err(|source| edgeopt_predictors::PredictorError::Shape { what: "proxy predictions", source })?;
            let mut c = selection.choose(guide.view(), &vec![false; pool.len()], samples + validation, rng)?;
            c.shuffle(rng);
            c
        }
    };
    let archs: Vec<S::Arch> = chosen.iter().map(|&i| pool[i].clone()).collect();
    let measured = archs.iter().map(|a| Ok((a.clone(), target.measure(a)?.latency))).collect::<Result<Vec<_>>>()?;
    let predictor = refit(space, proxy, &measured, samples)?;
    Ok(Adaptation { predictor, measured })
}

/// Adapt `proxy` on measured architectures, the first `train` for fitting, the rest for choosing λ.
pub fn refit<S: Encode, P: AdaptablePredictor + ?Sized>(
    space: &S,
    proxy: &P,
    measured: &[(S::Arch, f64)],
    train: usize,
) -> Result<P::Adapted> {
    let archs: Vec<S::Arch> = measured.iter().map(|m| m.0.clone()).collect();
    let x = design_matrix(space, &archs);
    let y = Array1::from(measured.iter().map(|m| m.1).collect::<Vec<_>>());
    let s = train.min(measured.len());
    let (xt, xv) = x.view().split_at(edgeopt_predictors::ndarray::Axis(0), s);
    let (yt, yv) = y.view().split_at(edgeopt_predictors::ndarray::Axis(0), s);
    Ok(proxy.adapt(&AdaProxy::default(), xt, yt, xv, yv)?)
}
