//! Single-precision inference copies of trained networks.

use ndarray::{Array1, Array2, ArrayView2};

use super::{Activation, Mlp};
use crate::error::{PredictorError, Result, check_len};

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
