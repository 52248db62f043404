//! MobileNetV2 (the 56 MAESTRO calibration layers) on one accelerator (cold, full reports or
//! cycles only, and warm through a [`CachedAccel`] as in a search loop), split over three
//! dataflows as a [`MixedAccelerator`], and on the 162-point grid.
//!
//! `cargo bench -p edgeopt-accel-sim --bench cost_model`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use edgeopt_accel_sim::{
    Accel, Accelerator, CachedAccel, Dataflow, EnergyModel, HardwareConfig, HardwareSpace, MixedAccelerator,
    evaluate_batch, layer_csv, thesis_partition,
};

fn bench(c: &mut Criterion) {
    let net = layer_csv::parse(include_str!("mobilenetv2.csv"), "mobilenetv2.csv").unwrap();
    let mut g = c.benchmark_group("mobilenetv2");
    for df in Dataflow::BUILT_IN {
        let acc = Accel::new(HardwareConfig::new(256, 600, 150).build().unwrap(), df.clone());
        g.bench_function(format!("one_accelerator/{df}"), |b| b.iter(|| acc.evaluate(black_box(&net)).unwrap()));
        // Latency only, as a search over accelerators asks for it: nothing is kept between calls.
        g.bench_function(format!("one_accelerator_cycles/{df}"), |b| b.iter(|| acc.cycles(black_box(&net)).unwrap()));
        // A search loop: the shapes were analysed by earlier evaluations; only pricing remains.
        let cached = CachedAccel::new(acc.clone());
        cached.evaluate(&net).unwrap();
        g.bench_function(format!("one_accelerator_warm/{df}"), |b| {
            b.iter(|| cached.evaluate(black_box(&net)).unwrap())
        });
    }
    // The thesis's layer-wise split (sec. 4.5.3): 22 parts, the dataflows taking turns. Before
    // `MixedAccelerator::cycles` went through each part's cycles-only path, it was `evaluate`.
    let hw = HardwareConfig::new(256, 600, 150).build().unwrap();
    let parts = thesis_partition(net.len(), 20).unwrap();
    let mixed = MixedAccelerator::new(
        parts
            .iter()
            .zip(Dataflow::BUILT_IN.iter().cycle())
            .map(|(&n, df)| (n, Accel::new(hw.clone(), df.clone())))
            .collect(),
    )
    .unwrap();
    g.bench_function("mixed22/evaluate", |b| b.iter(|| mixed.evaluate(black_box(&net)).unwrap()));
    g.bench_function("mixed22/cycles", |b| b.iter(|| mixed.cycles(black_box(&net)).unwrap()));
    let grid = HardwareSpace::calibration().enumerate().unwrap();
    g.sample_size(20);
    g.bench_function("grid162/serial", |b| {
        b.iter(|| grid.iter().map(|a| a.evaluate(black_box(&net)).unwrap().cycles).sum::<u64>())
    });
    let nets = vec![net.clone()];
    g.bench_function("grid162/evaluate_batch", |b| b.iter(|| evaluate_batch(black_box(&nets), &grid)));
    let space = HardwareSpace::calibration();
    g.bench_function("grid162/space_evaluate", |b| {
        b.iter(|| space.evaluate(black_box(&nets), &EnergyModel::maestro()))
    });
    let thesis = HardwareSpace::thesis();
    g.bench_function("grid1296/space_evaluate", |b| {
        b.iter(|| thesis.evaluate(black_box(&nets), &EnergyModel::maestro()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
