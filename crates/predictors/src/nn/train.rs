//! Mini-batch training of a single-output [`Mlp`] on squared error.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use rand::Rng;
use rand::seq::SliceRandom;

use super::{Dense, Mlp, Optimizer, TrainConfig};
use crate::error::{PredictorError, Result, check_finite, check_len};

impl Mlp {
    /// Train on rows of `x` with targets `y` (single-output networks); returns the mean squared
    /// error (½ mean (f − y)²) after every epoch. Deterministic for a given `rng`.
    pub fn train<R: Rng + ?Sized>(
        &mut self,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        cfg: &TrainConfig,
        rng: &mut R,
    ) -> Result<Vec<f64>> {
        check_len("targets", x.nrows(), y.len())?;
        check_len("network input", self.n_inputs(), x.ncols())?;
        check_finite("features", x.iter().copied())?;
        check_finite("targets", y.iter().copied())?;
        if x.nrows() == 0 {
            return Err(PredictorError::TooFewSamples { what: "training", needed: 1, got: 0 });
        }
        let bad = |name, value: String, reason| Err(PredictorError::InvalidParam { name, value, reason });
        let lr = match cfg.optimizer {
            Optimizer::Sgd { lr } | Optimizer::Adam { lr, .. } => lr,
        };
        if !(lr > 0.0 && lr.is_finite()) {
            return bad("lr", lr.to_string(), "must be finite and > 0");
        }
        if cfg.batch_size == Some(0) {
            return bad("batch_size", "0".into(), "must be at least 1");
        }
        if !(cfg.l2_to_init >= 0.0 && cfg.l2_to_init.is_finite()) {
            return bad("l2_to_init", cfg.l2_to_init.to_string(), "must be finite and ≥ 0");
        }
        let init: Vec<Dense> = self.layers.clone();
        let mut m: Vec<(Array2<f64>, Array1<f64>)> =
            self.layers.iter().map(|l| (Array2::zeros(l.w.dim()), Array1::zeros(l.b.len()))).collect();
        let mut v = m.clone();
        let mut step = 0i32;
        let n = x.nrows();
        let bs = cfg.batch_size.unwrap_or(n).min(n);
        let mut order: Vec<usize> = (0..n).collect();
        let mut losses = Vec::with_capacity(cfg.epochs);
        for _ in 0..cfg.epochs {
            if bs < n {
                order.shuffle(rng);
            }
            for chunk in order.chunks(bs) {
                let mut grads: Vec<(Array2<f64>, Array1<f64>)> =
                    self.layers.iter().map(|l| (Array2::zeros(l.w.dim()), Array1::zeros(l.b.len()))).collect();
                for &i in chunk {
                    let out = self.forward_all(x.row(i)).1.pop().unwrap_or_default();
                    let mut dout = Array1::zeros(out.len());
                    dout[0] = (out[0] - y[i]) / chunk.len() as f64;
                    self.backward(x.row(i), &dout, |l, dw, db| {
                        grads[l].0 += &dw;
                        grads[l].1 += &db;
                    });
                }
                step += 1;
                for (l, layer) in self.layers.iter_mut().enumerate() {
                    if layer.frozen {
                        continue;
                    }
                    let (gw, gb) = &mut grads[l];
                    if cfg.l2_to_init > 0.0 {
                        gw.scaled_add(cfg.l2_to_init, &(&layer.w - &init[l].w));
                        gb.scaled_add(cfg.l2_to_init, &(&layer.b - &init[l].b));
                    }
                    match cfg.optimizer {
                        Optimizer::Sgd { lr } => {
                            layer.w.scaled_add(-lr, gw);
                            layer.b.scaled_add(-lr, gb);
                        }
                        Optimizer::Adam { lr, beta1, beta2, eps } => {
                            let (c1, c2) = (1.0 - beta1.powi(step), 1.0 - beta2.powi(step));
                            let upd = |p: &mut f64, g: f64, m: &mut f64, v: &mut f64| {
                                *m = beta1 * *m + (1.0 - beta1) * g;
                                *v = beta2 * *v + (1.0 - beta2) * g * g;
                                *p -= lr * (*m / c1) / ((*v / c2).sqrt() + eps);
                            };
                            for ((p, g), (mm, vv)) in
                                layer.w.iter_mut().zip(gw.iter()).zip(m[l].0.iter_mut().zip(v[l].0.iter_mut()))
                            {
                                upd(p, *g, mm, vv);
                            }
                            for ((p, g), (mm, vv)) in
                                layer.b.iter_mut().zip(gb.iter()).zip(m[l].1.iter_mut().zip(v[l].1.iter_mut()))
                            {
                                upd(p, *g, mm, vv);
                            }
                        }
                    }
                }
            }
            let pred = self.forward_batch(x)?;
            let loss = pred.column(0).iter().zip(y).map(|(p, t)| (p - t).powi(2)).sum::<f64>() / (2.0 * n as f64);
            if !loss.is_finite() {
                return Err(PredictorError::NonFinite {
                    what: "training loss (diverged; lower the learning rate)",
                    index: losses.len(),
                    value: loss,
                });
            }
            losses.push(loss);
        }
        Ok(losses)
    }
}
