//! Full-batch gradient descent of the [`DeepNetwork`]: one matrix product per layer, forward and
//! back, over the distinct training rows.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayView1};

use super::{DeepNetwork, relu};
use crate::error::Result;

impl DeepNetwork {
    /// `steps` full-batch gradient-descent steps on `L/n`, warm-started from the current θ, with
    /// `L = ½Σ(f − y)² + (mλ/2)‖θ − θ0‖²`.
    pub fn train(
        &mut self,
        x: ndarray::ArrayView2<f64>,
        y: ArrayView1<f64>,
        lambda: f64,
        lr: f64,
        steps: usize,
    ) -> Result<()> {
        crate::network::check_training(self.d, x, y)?;
        let ones = vec![1.0; y.len()];
        self.train_rows(&x.to_owned(), &ones, y.as_slice().unwrap_or(&y.to_vec()), x.nrows() as f64, lambda, lr, steps);
        Ok(())
    }

    /// Full-batch descent on distinct rows `x`, row `r` standing for `count[r]` rewards summing to
    /// `sum[r]`, over `n` rewards in all: matrix products per layer, forward and back.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn train_rows(
        &mut self,
        x: &Array2<f64>,
        count: &[f64],
        sum: &[f64],
        n: f64,
        lambda: f64,
        lr: f64,
        steps: usize,
    ) {
        if x.nrows() == 0 || steps == 0 {
            return;
        }
        let (rows, m, hidden) = (x.nrows(), self.m, self.layers.len());
        let sm = (m as f64).sqrt();
        let reg = m as f64 * lambda / n;
        let mut h: Vec<Array2<f64>> = (0..hidden).map(|_| Array2::zeros((rows, m))).collect();
        let mut delta = Array2::zeros((rows, m));
        let mut back = Array2::zeros((rows, m));
        let mut grads: Vec<Array2<f64>> = self.layers.iter().map(|w| Array2::zeros(w.dim())).collect();
        crate::simd::dispatch(|| {
            for _ in 0..steps {
                for l in 0..hidden {
                    let (done, rest) = h.split_at_mut(l);
                    let input = if l == 0 { x.view() } else { done[l - 1].view() };
                    general_mat_mul(1.0, &input, &self.layers[l], 0.0, &mut rest[0]);
                    rest[0].mapv_inplace(relu);
                }
                // e_r = (c_r·f_r − S_r)/n; ∂/∂w_L = √m Σ_r e_r h_r.
                let f = h[hidden - 1].dot(&self.out) * sm;
                let e: Array1<f64> = f.iter().zip(count).zip(sum).map(|((f, c), y)| (c * f - y) / n).collect();
                let g_out = h[hidden - 1].t().dot(&e) * sm;
                for ((mut d, hr), er) in delta.rows_mut().into_iter().zip(h[hidden - 1].rows()).zip(&e) {
                    d.iter_mut().zip(hr).zip(&self.out).for_each(|((dv, hv), w)| {
                        *dv = if *hv > 0.0 { sm * er * w } else { 0.0 };
                    });
                }
                for l in (0..hidden).rev() {
                    let input = if l == 0 { x.view() } else { h[l - 1].view() };
                    general_mat_mul(1.0, &input.t(), &delta, 0.0, &mut grads[l]);
                    if l > 0 {
                        general_mat_mul(1.0, &delta, &self.layers[l].t(), 0.0, &mut back);
                        back.zip_mut_with(&h[l - 1], |b, hv| *b *= f64::from(u8::from(*hv > 0.0)));
                        std::mem::swap(&mut delta, &mut back);
                    }
                }
                for ((w, w0), g) in self.layers.iter_mut().zip(&self.layers_0).zip(&grads) {
                    ndarray::Zip::from(w).and(w0).and(g).for_each(|w, w0, g| *w -= lr * (g + (*w - w0) * reg));
                }
                ndarray::Zip::from(&mut self.out).and(&self.out_0).and(&g_out).for_each(|w, w0, g| {
                    *w -= lr * (g + (*w - w0) * reg);
                });
            }
        });
    }
}
