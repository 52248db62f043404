//! OFA-style evolutionary search: population 1000, 50 generations, accuracy from an MLP with
//! three hidden layers of 400 and latency from a linear predictor, on the OFA/ProxylessNAS space.
//!
//! `cargo bench -p edgeopt-nas --bench evolution`

use criterion::{Criterion, criterion_group, criterion_main};
use edgeopt_nas::{
    Batched, Constraints, Encode, Evaluation, Evolution, EvolutionConfig, Fitness, MbArch, MobileNetSpace, Search,
    infallible,
};
use edgeopt_predictors::ndarray::Array1;
use edgeopt_predictors::nn::{Activation, Mlp};
use edgeopt_predictors::{LatencyPredictor, LinearPredictor};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

fn bench(c: &mut Criterion) {
    let space = MobileNetSpace::ofa_proxyless();
    let p = space.encoding_len();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mlp = Mlp::new(&[p, 400, 400, 400, 1], Activation::Relu, Activation::Identity, &mut rng).unwrap();
    let lin = LinearPredictor { weights: Array1::from_iter((0..p).map(|_| rng.random_range(0.0..1.0))) };
    let accuracy = |a: &MbArch| mlp.predict1(space.encode(a).view()).unwrap();
    let latency = |a: &MbArch| lin.predict(space.encode(a).view()).unwrap();
    // Batched evaluation: one matrix of encodings, one forward pass (GEMM) per batch.
    let batch = Batched(|archs: &[MbArch]| -> Result<Vec<Evaluation>, std::convert::Infallible> {
        let mut x = edgeopt_predictors::ndarray::Array2::zeros((archs.len(), p));
        for (i, a) in archs.iter().enumerate() {
            x.row_mut(i).assign(&space.encode(a));
        }
        let acc = mlp.forward_batch(x.view()).unwrap();
        let lat = x.dot(&lin.weights);
        Ok((0..archs.len()).map(|i| Evaluation { accuracy: acc[(i, 0)], latency: lat[i], energy: 0.0 }).collect())
    });
    // The same with a single-precision inference copy of the MLP.
    let mlp32 = mlp.to_f32();
    let batch32 = Batched(|archs: &[MbArch]| -> Result<Vec<Evaluation>, std::convert::Infallible> {
        let mut x = edgeopt_predictors::ndarray::Array2::<f32>::zeros((archs.len(), p));
        for (i, a) in archs.iter().enumerate() {
            x.row_mut(i).assign(&space.encode(a).mapv(|v| v as f32));
        }
        let acc = mlp32.forward_batch(x.view()).unwrap();
        Ok((0..archs.len())
            .map(|i| Evaluation {
                accuracy: f64::from(acc[(i, 0)]),
                latency: lin.predict(space.encode(&archs[i]).view()).unwrap(),
                energy: 0.0,
            })
            .collect())
    });
    let single = infallible(|a: &MbArch| Evaluation::new(accuracy(a), latency(a)));
    let mut g = c.benchmark_group("evolution");
    g.sample_size(10);
    g.bench_function("pop1000_gen50_t0.5_batched_f32", |b| {
        b.iter(|| {
            let cfg = EvolutionConfig { seed: 1, ..EvolutionConfig::default() };
            Evolution::new(&space, &batch32, Constraints::default(), Fitness::Weighted { t: 0.5 }, cfg)
                .unwrap()
                .run(None)
                .unwrap()
        })
    });
    g.bench_function("pop1000_gen50_t0.5_batched", |b| {
        b.iter(|| {
            let cfg = EvolutionConfig { seed: 1, ..EvolutionConfig::default() };
            Evolution::new(&space, &batch, Constraints::default(), Fitness::Weighted { t: 0.5 }, cfg)
                .unwrap()
                .run(None)
                .unwrap()
        })
    });
    for t in [0.3, 0.7] {
        g.bench_function(format!("pop1000_gen50_t{t}"), |b| {
            b.iter(|| {
                let cfg = EvolutionConfig { seed: 1, ..EvolutionConfig::default() };
                Evolution::new(&space, &single, Constraints::default(), Fitness::Weighted { t }, cfg)
                    .unwrap()
                    .run(None)
                    .unwrap()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
