//! Learning to optimize (thesis sec. 1.5) in the accelerator setting: alg. 2 trains on a sample of
//! the thesis grid's accelerators (none of them a calibration-grid point), each described by its
//! hardware (PEs, L1/L2, NoC and off-chip bandwidth, dataflow) and costed by accel-sim on the
//! NB201 designs stage 1 explores; the test accelerators are the 162 points of the calibration
//! grid, never seen in training.
//!
//! For every test accelerator and λ on a grid (relative to the geometric-mean latency over all
//! test pairs, so one absolute λ per grid point: fast accelerators can afford larger designs) it
//! reports the regret `f(x̂) − min_x f(x)` with `f = −accuracy + λ·cycles (+ λ₂·energy)`, the
//! optimum exhaustive over all 15,625 NB201 architectures costed exactly, mean and worst, for
//! Method 1 and Method 2 with features from the hardware alone (no measurement on the target),
//! with and without synthetic accelerators (drawn off-grid from the box the grid spans), and from
//! the hardware plus four reference latencies. The baseline is one design per λ chosen without
//! the target: the exhaustive optimum of the mean objective over the training accelerators.
//!
//! Then the time of one `apply` against the exhaustive search it replaces.
//!
//! `cargo run --release --example l2o_accel`

use std::collections::HashMap;
use std::time::Instant;

use edgeopt::accel_sim::{Accel, EnergyModel, HardwareSpace};
use edgeopt::codesign::l2o::{
    Categorical, ChoiceSpace, ChoicesDevice, DeviceFeatures, Exploration, HardwareDescription, L2oModel, Method,
    OptimizerConfig, OptimizerNet, Stage1Config, grid_sample_excluding, lambda_grid, sample_accelerators,
    train_performance,
};
use edgeopt::codesign::{AcceleratorDevice, ArchTable, Device};
use edgeopt::nas::{Lower, Nb201};
use edgeopt::predictors::nn::TrainConfig;
use edgeopt::predictors::rand::SeedableRng;
use edgeopt::predictors::rand::rngs::ChaCha8Rng;
use rayon::prelude::*;

/// λ times the geometric-mean cycles over all test pairs (accuracy in %).
const LAMBDAS: [f64; 5] = [0.1, 0.5, 2.0, 8.0, 32.0];
/// λ₂ times the geometric-mean energy over all test pairs; 0 = latency only.
const ENERGY_LAMBDAS: [f64; 2] = [0.0, 2.0];
const TRAIN_ACCELERATORS: usize = 16;
const SYNTHETIC: usize = 32;

type Choice = Vec<usize>;

/// Exact costs of every design on a set of accelerators, row-major designs × accelerators.
struct Costs {
    cols: usize,
    cycles: Vec<f64>,
    energy: Vec<f64>,
}

impl Costs {
    fn objective(&self, acc: &[f64], i: usize, j: usize, lambda: f64, lambda2: f64) -> f64 {
        -acc[i] + lambda * self.cycles[i * self.cols + j] + lambda2 * self.energy[i * self.cols + j]
    }
    fn best(&self, acc: &[f64], j: usize, lambda: f64, lambda2: f64) -> f64 {
        (0..acc.len()).map(|i| self.objective(acc, i, j, lambda, lambda2)).fold(f64::INFINITY, f64::min)
    }
}

/// Every design on every accelerator of `accels` (one single-point space each).
fn cost_list(nets: &[Vec<edgeopt::accel_sim::Layer>], accels: &[Accel]) -> Costs {
    let per: Vec<edgeopt::accel_sim::DenseCostMatrix> = accels
        .iter()
        .map(|a| {
            let hw = a.hardware.config();
            let space = HardwareSpace {
                pes: vec![hw.num_pes],
                noc_bw: vec![hw.noc_bw],
                offchip_bw: vec![hw.offchip_bw],
                dataflows: vec![a.dataflow.clone()],
                base: hw.clone(),
            };
            space.cost_matrix_dense(nets, &EnergyModel::maestro())
        })
        .collect();
    let cols = accels.len();
    let mut cycles = vec![0.0; nets.len() * cols];
    let mut energy = vec![0.0; nets.len() * cols];
    for (j, m) in per.iter().enumerate() {
        for i in 0..nets.len() {
            cycles[i * cols + j] = m.cycles[i];
            energy[i * cols + j] = m.energy_nj[i];
        }
    }
    Costs { cols, cycles, energy }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let start = Instant::now();
    let nb = Nb201::cifar10();
    let t = ArchTable::new(&nb, edgeopt::zoo::nb201_hwnasbench()?, "arch_str")?;
    let acc = t.complete("test_acc_cifar10")?;
    let all: Vec<Choice> = t.archs.iter().map(|a| nb.to_choices(a)).collect();
    let acc_of: HashMap<Choice, f64> = all.iter().cloned().zip(acc.iter().copied()).collect();
    let nets: Vec<_> = t.archs.par_iter().map(|a| nb.layers(a)).collect();
    let calibration = HardwareSpace::calibration();
    let test_accels = calibration.enumerate()?;
    let dense = calibration.cost_matrix_dense(&nets, &EnergyModel::maestro());
    let test = Costs { cols: dense.cols, cycles: dense.cycles, energy: dense.energy_nj };
    if test.cycles.iter().chain(&test.energy).any(|v| !(v.is_finite() && *v > 0.0)) {
        return Err("a design cannot run on a calibration accelerator".into());
    }
    let geo = |v: &[f64]| (v.iter().map(|x| x.ln()).sum::<f64>() / v.len() as f64).exp();
    let (unit, unit_e) = (geo(&test.cycles), geo(&test.energy));
    eprintln!(
        "costed {} designs × {} test accelerators in {:.1} s",
        all.len(),
        test_accels.len(),
        start.elapsed().as_secs_f64()
    );
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let train_accels = grid_sample_excluding(&HardwareSpace::thesis(), &calibration, TRAIN_ACCELERATORS, &mut rng)?;
    let synthetic = sample_accelerators(&HardwareSpace::thesis(), SYNTHETIC, &mut rng)?;
    let choices = ChoiceSpace::new(nb.choice_counts())?;
    let perf_train = TrainConfig { epochs: 25, batch_size: Some(64), ..TrainConfig::default() };
    // Baseline: per (λ, λ₂) the design minimising the mean objective over the training accelerators.
    let train_costs = cost_list(&nets, &train_accels);
    let variants: [(&str, usize, usize); 3] = [
        ("hardware only, no synthetic", 0, 0),
        ("hardware only, 32 synthetic", 0, SYNTHETIC),
        ("hardware + 4 references, 32 synthetic", 4, SYNTHETIC),
    ];
    println!("| method | λ₂ | mean regret | worst regret | target measurements |");
    println!("|---|---|---|---|---|");
    let mut timing = None;
    for (name, k, n_syn) in variants {
        let accels: Vec<Accel> = train_accels.iter().chain(&synthetic[..n_syn]).cloned().collect();
        let devices: Vec<_> =
            accels.iter().map(|a| ChoicesDevice::new(&nb, AcceleratorDevice::cached(&nb, a.clone()))).collect();
        let refs: Vec<&dyn Device<Choice>> = devices.iter().map(|d| d as &dyn Device<Choice>).collect();
        let cfg = Stage1Config {
            initial: 200,
            per_round: 100,
            rounds: 3,
            references: k,
            exploration: Exploration::Disagreement,
            accuracy_designs: 4000,
            train: perf_train,
            energy: true,
            hardware: accels.iter().map(HardwareDescription::of).collect::<Result<_, _>>()?,
            ..Stage1Config::default()
        };
        let acc_fn = |x: &[usize]| Ok(acc_of[x]);
        let s1 = train_performance(&choices, &all, &acc_fn, &refs, &cfg, &mut ChaCha8Rng::seed_from_u64(1))?;
        eprintln!("{name}: stage 1 done at {:.0} s", start.elapsed().as_secs_f64());
        for method in [Method::Supervised, Method::Unsupervised] {
            let ocfg = OptimizerConfig {
                method,
                epochs: 60,
                lambdas: lambda_grid(0.05, 100.0, 12),
                energy_lambdas: vec![0.0, 0.5, 2.0, 8.0],
                ..OptimizerConfig::default()
            };
            let (net, _) = OptimizerNet::train(&s1.nets, &s1.devices, &all, &ocfg, &mut ChaCha8Rng::seed_from_u64(7))?;
            let model = L2oModel::new(&nb, method, &s1, net)?;
            for r2 in ENERGY_LAMBDAS {
                let mut regrets = Vec::new();
                for (j, a) in test_accels.iter().enumerate() {
                    let target = AcceleratorDevice::cached(&nb, a.clone());
                    let d = model.features_of(&nb, Some(&target), Some(&HardwareDescription::of(a)?))?;
                    for r in LAMBDAS {
                        let (l, l2) = (r / unit, r2 / unit_e);
                        let x = model.apply_features(&d, l, l2)?.choices;
                        let i = all.iter().position(|c| *c == x).ok_or("designed key not in table")?;
                        regrets.push(test.objective(&acc, i, j, l, l2) - test.best(&acc, j, l, l2));
                    }
                }
                report(&format!("L2O {method:?}, {name}"), r2, &regrets, k);
            }
            if timing.is_none() && k == 0 {
                timing = Some(time_apply(&model, &test_accels[80], &s1.nets, &all)?);
            }
        }
    }
    for r2 in ENERGY_LAMBDAS {
        let mut regrets = Vec::new();
        for r in LAMBDAS {
            let (l, l2) = (r / unit, r2 / unit_e);
            let mean = |i: usize| {
                (0..train_costs.cols).map(|j| train_costs.objective(&acc, i, j, l, l2)).sum::<f64>()
                    / train_costs.cols as f64
            };
            let i = (0..all.len()).min_by(|&a, &b| mean(a).total_cmp(&mean(b))).ok_or("no design")?;
            for j in 0..test_accels.len() {
                regrets.push(test.objective(&acc, i, j, l, l2) - test.best(&acc, j, l, l2));
            }
        }
        report("one design per λ (training-mean optimum, target ignored)", r2, &regrets, 0);
    }
    if let Some((apply, predicted, exact)) = timing {
        println!(
            "\napply (hardware features + one inference): mean {:.1} µs; exhaustive search of the predicted \
             objective over 15,625 designs: {:.1} ms; exact costing of 15,625 designs on one accelerator \
             (accel-sim, shape-deduplicated) + argmin: {:.1} ms",
            apply * 1e6,
            predicted * 1e3,
            exact * 1e3
        );
    }
    eprintln!("total {:.0} s", start.elapsed().as_secs_f64());
    Ok(())
}

fn report(name: &str, r2: f64, regrets: &[f64], measurements: usize) {
    let mean = regrets.iter().sum::<f64>() / regrets.len() as f64;
    let worst = regrets.iter().copied().fold(0.0, f64::max);
    println!("| {name} | {r2} | {mean:.3} | {worst:.3} | {measurements} |");
}

/// Seconds of one apply from the hardware description (features + inference), of an exhaustive
/// search of the predicted objective, and of exact costing + argmin on one accelerator.
fn time_apply(
    model: &L2oModel,
    accel: &Accel,
    nets: &edgeopt::codesign::l2o::PerformanceNets,
    all: &[Choice],
) -> Result<(f64, f64, f64), Box<dyn std::error::Error>> {
    let desc = HardwareDescription::of(accel)?;
    let reps = 2000;
    let t0 = Instant::now();
    for _ in 0..reps {
        let d = model.hardware_features(std::hint::black_box(&desc))?;
        std::hint::black_box(model.apply_features(&d, 1e-6, 0.0)?);
    }
    let apply = t0.elapsed().as_secs_f64() / reps as f64;
    let d: DeviceFeatures = model.hardware_features(&desc)?;
    let t1 = Instant::now();
    let x = nets.one_hots(all)?;
    let (a, l) = nets.predict_relative(x.view(), &d)?;
    let best = (0..all.len()).min_by(|&i, &j| (l[i] - a[i]).total_cmp(&(l[j] - a[j])));
    std::hint::black_box(best);
    let predicted = t1.elapsed().as_secs_f64();
    let nb = Nb201::cifar10();
    let t2 = Instant::now();
    let layers: Vec<_> =
        all.par_iter().map(|c| nb.arch_of_choices(c).map(|a| nb.layers(&a))).collect::<Result<_, _>>()?;
    let one = cost_list(&layers, std::slice::from_ref(accel));
    std::hint::black_box(one.cycles.iter().copied().fold(f64::INFINITY, f64::min));
    Ok((apply, predicted, t2.elapsed().as_secs_f64()))
}
