//! A user's own latency predictor — k-nearest neighbours over architecture encodings, adapted
//! to a new device by a linear recalibration — inside one-proxy NAS (thesis alg. 5): the proxy
//! is the Pixel 3, the target the Jetson edge GPU, and the workflow measures the target only
//! through a counted device.
//!
//! `cargo run --release --example custom_predictor`

use edgeopt::codesign::one_proxy::{OneProxyConfig, mean_gap_to_oracle, one_proxy};
use edgeopt::codesign::{ArchTable, Counted};
use edgeopt::nas::{Encode, Nb201, Nb201Arch};
use edgeopt::predictors::ndarray::{ArrayView1, ArrayView2, Axis, concatenate};
use edgeopt::predictors::rand::SeedableRng;
use edgeopt::predictors::rand::rngs::ChaCha8Rng;
use edgeopt::predictors::{AdaProxy, AdaptablePredictor, LatencyPredictor, PredictorError, Result};

/// Mean latency of the `k` training architectures nearest in L1 distance.
#[derive(Clone)]
struct Knn {
    x: Vec<Vec<f64>>,
    y: Vec<f64>,
    k: usize,
}

impl LatencyPredictor for Knn {
    fn n_features(&self) -> usize {
        self.x.first().map_or(0, Vec::len)
    }
    fn predict(&self, q: ArrayView1<f64>) -> Result<f64> {
        if q.len() != self.n_features() {
            return Err(PredictorError::DimensionMismatch {
                what: "knn query",
                expected: self.n_features(),
                got: q.len(),
            });
        }
        let mut d: Vec<(f64, f64)> =
            self.x.iter().zip(&self.y).map(|(x, &y)| (x.iter().zip(q).map(|(a, b)| (a - b).abs()).sum(), y)).collect();
        d.sort_by(|a, b| a.0.total_cmp(&b.0));
        Ok(d.iter().take(self.k).map(|p| p.1).sum::<f64>() / self.k.min(d.len()).max(1) as f64)
    }
}

/// The proxy's kNN rescaled to the target: `a · knn(x) + b`, fitted by least squares.
struct Recalibrated {
    base: Knn,
    a: f64,
    b: f64,
}

impl LatencyPredictor for Recalibrated {
    fn n_features(&self) -> usize {
        self.base.n_features()
    }
    fn predict(&self, q: ArrayView1<f64>) -> Result<f64> {
        Ok(self.a * self.base.predict(q)? + self.b)
    }
}

impl AdaptablePredictor for Knn {
    type Adapted = Recalibrated;
    fn adapt(
        &self,
        _: &AdaProxy,
        xt: ArrayView2<f64>,
        yt: ArrayView1<f64>,
        xv: ArrayView2<f64>,
        yv: ArrayView1<f64>,
    ) -> Result<Recalibrated> {
        // Validation rows are only for choosing hyperparameters; a two-parameter fit has none,
        // so it uses every measurement.
        let x = concatenate(Axis(0), &[xt, xv]).map_err(|source| PredictorError::Shape { what: "samples", source })?;
        let y: Vec<f64> = yt.iter().chain(yv.iter()).copied().collect();
        let p = x.rows().into_iter().map(|r| self.predict(r)).collect::<Result<Vec<f64>>>()?;
        let n = p.len() as f64;
        let (mp, my) = (p.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
        let cov: f64 = p.iter().zip(&y).map(|(a, b)| (a - mp) * (b - my)).sum();
        let var: f64 = p.iter().map(|a| (a - mp) * (a - mp)).sum();
        let a = if var > 0.0 { cov / var } else { 1.0 };
        Ok(Recalibrated { base: self.clone(), a, b: my - a * mp })
    }
}

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let space = Nb201::cifar10();
    let t = ArchTable::new(&space, edgeopt::zoo::nb201_hwnasbench()?, "arch_str")?;
    let acc = t.complete("test_acc_cifar10")?;
    let proxy_lat = t.complete("latency_ms_pixel3")?;
    // The proxy's predictor, from 1,000 proxy measurements.
    let train: Vec<usize> = (0..t.archs.len()).step_by(15).collect();
    let knn = Knn {
        x: train.iter().map(|&i| space.encode(&t.archs[i]).to_vec()).collect(),
        y: train.iter().map(|&i| proxy_lat[i]).collect(),
        k: 5,
    };
    let target = Counted::new(t.device("latency_ms_edgegpu", None)?);
    let pool: Vec<Nb201Arch> = t.archs.iter().step_by(5).filter(|a| target.inner().has(a)).copied().collect();
    let acc_of: std::collections::HashMap<Nb201Arch, f64> = t.archs.iter().copied().zip(acc).collect();
    let accuracy = |a: &Nb201Arch| acc_of[a];
    let cfg = OneProxyConfig { samples: 30, threshold: 0.95, ..Default::default() };
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let r = one_proxy(&space, &pool, &accuracy, &knn, &target, &cfg, &mut rng)?;
    let truth: Vec<(f64, f64)> =
        pool.iter().map(|a| (acc_of[a], target.inner().peek(a).map_or(f64::NAN, |m| m.latency))).collect();
    let gap = mean_gap_to_oracle(&r.set, &truth, 20)?;
    println!(
        "kNN proxy SRCC on the target {:.3} (adapted: {}), {} Pareto members, {} target measurements, mean gap {gap:.3} points",
        r.srcc_estimate,
        r.adapted,
        r.set.len(),
        target.count()
    );
    assert_eq!(r.measurements_used, target.count(), "the workflow reports what the device counted");
    assert!(r.set.windows(2).all(|w| w[0].latency <= w[1].latency && w[0].accuracy < w[1].accuracy));
    assert!(gap < 1.0, "within a point of the oracle front on average");
    Ok(())
}

#[test]
fn runs() {
    main().unwrap();
}
