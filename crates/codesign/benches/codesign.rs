//! The exhaustive fully-coupled co-design of NAS-Bench-201 (15,625 architectures, real CIFAR-10
//! accuracies) on the thesis accelerator grid (1,296 accelerators): cost every pair with the
//! MAESTRO-compatible model, then find the most accurate pair under a latency/energy constraint.
//!
//! `cargo bench -p edgeopt-codesign --bench codesign`

use criterion::{Criterion, criterion_group, criterion_main};
use edgeopt_accel_sim::{EnergyModel, HardwareSpace};
use edgeopt_codesign::ArchTable;
use edgeopt_codesign::semi_decoupled::Problem;
use edgeopt_nas::{Lower, Nb201};
use edgeopt_predictors::data::DeviceTable;
use rayon::prelude::*;

fn bench(c: &mut Criterion) {
    let nb = Nb201::cifar10();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/nb201_hwnasbench_cifar10.csv.gz");
    let t = ArchTable::new(&nb, DeviceTable::read(&path).unwrap(), "arch_str").unwrap();
    let acc = t.complete("test_acc_cifar10").unwrap();
    let space = HardwareSpace::thesis();
    let admissible = vec![true; space.len()];
    let mut g = c.benchmark_group("codesign_nb201_x_thesis_grid");
    g.sample_size(10);
    g.bench_function("fully_coupled_exhaustive_including_cost_model", |b| {
        b.iter(|| {
            let nets: Vec<_> = t.archs.par_iter().map(|a| nb.layers(a)).collect();
            let m = space.cost_matrix(&nets, &EnergyModel::maestro());
            let lat: Vec<Vec<Option<f64>>> =
                m.cycles.iter().map(|r| r.iter().map(|c| c.map(|v| v as f64)).collect()).collect();
            let p = Problem { accuracy: &acc, latency: &lat, energy: &m.energy_nj, admissible: &admissible };
            p.fully_coupled(3.0e6, 2.0e5).unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
