//! Learning to optimize (thesis sec. 1.5) in the accelerator setting: alg. 2 trains on a sample of
//! the thesis grid's accelerators (none of them a calibration-grid point), each described by its
//! hardware (PEs, L1/L2, NoC and off-chip bandwidth, dataflow) and costed by accel-sim on the
//! NB201 designs stage 1 explores; the test accelerators are the 162 points of the calibration
//! grid, never seen in training.
//!
//! For every test accelerator and λ on a grid (relative to the geometric-mean latency over all
//! test pairs, so one absolute λ per grid point: fast accelerators can afford larger designs) it
//! reports the regret `f(x̂) − min_x f(x)` with `f = −accuracy + λ·cycles (+ λ₂·energy)`, the
//! optimum exhaustive over all 15,625 NB201 architectures costed exactly, mean and worst overall
//! and per λ, for Method 1 and Method 2 with features from the hardware alone (no measurement on
//! the target), with and without synthetic accelerators (drawn off-grid from the box the grid
//! spans), with stage 1 exploring by ensemble disagreement or at random, and from the hardware
//! plus four reference latencies. Every L2O row is also decoded two more ways: "+ training optima"
//! adds the training accelerators' exact optima for the λ and the training-mean optimum to the
//! argmax and its runner-ups as candidates scored by the predicted objective, and "table accuracy"
//! scores the same candidates with their accuracy from the table instead of the accuracy network
//! (latency and energy still predicted for the target); "table accuracy only" does the latter
//! without the extra candidates; "stored training optima" decodes as `l2o apply --data` does (the
//! model's `TrainingOptima`: table accuracy, costs predicted on the training accelerators). A last table gives how far the accuracy network over-predicts the
//! designs plain L2O returns.
//!
//! Baselines: one design per λ chosen without the target (the exhaustive optimum of the mean
//! objective over the training accelerators), and Approach 1 with a proxy: the four reference
//! architectures (chosen as stage 1 chooses them) are measured on the target, the training
//! accelerator whose cycles on them are the most nearly a constant multiple of the target's is the
//! proxy, its exact costs rescaled by that multiple rank all designs under the λ-objective, and
//! either its best design is taken (4 target measurements) or its best four per λ are measured on
//! the target and the best measured design (references included) is kept.
//!
//! Then the time of one `apply` against the exhaustive search it replaces.
//!
//! `cargo run --release --example l2o_accel --features data` (about 15 min); `-- --quick` (or
//! `L2O_ACCEL_QUICK=1`) tests on every sixth calibration accelerator with two exploration rounds
//! (of three) and fewer epochs, a smoke run whose figures are not the reported ones.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use edgeopt::accel_sim::{Accel, EnergyModel, HardwareSpace};
use edgeopt::codesign::l2o::{
    Categorical, ChoiceSpace, ChoicesDevice, DECODE_POSITIONS, DeviceFeatures, Exploration, HardwareDescription,
    L2oModel, Method, OptimizerConfig, OptimizerNet, Stage1Config, TrainingOptima, choose_proxy, choose_references,
    grid_sample_excluding, lambda_grid, proxy_shortlist, sample_accelerators, train_performance,
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
/// Reference architectures of the reference-feature variant and of Approach 1's proxy choice.
const K: usize = 4;
/// Proxy designs Approach 1 measures on the target per λ.
const SHORTLIST: usize = 4;

type Choice = Vec<usize>;
type BoxResult<T> = Result<T, Box<dyn std::error::Error>>;

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
    fn argmin(&self, acc: &[f64], j: usize, lambda: f64, lambda2: f64) -> usize {
        (0..acc.len()).fold(0, |b, i| {
            if self.objective(acc, i, j, lambda, lambda2) < self.objective(acc, b, j, lambda, lambda2) { i } else { b }
        })
    }
    fn column(&self, v: &[f64], j: usize) -> Vec<f64> {
        v.iter().skip(j).step_by(self.cols).copied().collect()
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

/// One row of the tables: regrets per λ index (over test accelerators) for one λ₂.
struct Row {
    name: String,
    r2: f64,
    regrets: Vec<Vec<f64>>,
    /// Mean target measurements per test accelerator, over all λ.
    measurements: f64,
    /// Predicted minus table accuracy of the designs (plain L2O rows only).
    over_prediction: Vec<f64>,
}

impl Row {
    fn new(name: String, r2: f64, measurements: f64) -> Row {
        Row { name, r2, regrets: vec![Vec::new(); LAMBDAS.len()], measurements, over_prediction: Vec::new() }
    }
}

fn main() -> BoxResult<()> {
    let quick = std::env::args().any(|a| a == "--quick") || std::env::var_os("L2O_ACCEL_QUICK").is_some();
    let start = Instant::now();
    let nb = Nb201::cifar10();
    let t = ArchTable::new(&nb, edgeopt::zoo::nb201_hwnasbench()?, "arch_str")?;
    let acc = t.complete("test_acc_cifar10")?;
    let all: Vec<Choice> = t.archs.iter().map(|a| nb.to_choices(a)).collect();
    let acc_of: HashMap<Choice, f64> = all.iter().cloned().zip(acc.iter().copied()).collect();
    let nets: Vec<_> = t.archs.par_iter().map(|a| nb.layers(a)).collect();
    let calibration = HardwareSpace::calibration();
    let dense = calibration.cost_matrix_dense(&nets, &EnergyModel::maestro());
    let full = Costs { cols: dense.cols, cycles: dense.cycles, energy: dense.energy_nj };
    if full.cycles.iter().chain(&full.energy).any(|v| !(v.is_finite() && *v > 0.0)) {
        return Err("a design cannot run on a calibration accelerator".into());
    }
    let geo = |v: &[f64]| (v.iter().map(|x| x.ln()).sum::<f64>() / v.len() as f64).exp();
    // λ's unit comes from all 162 test accelerators in both modes, so quick figures are comparable.
    let (unit, unit_e) = (geo(&full.cycles), geo(&full.energy));
    let (test_accels, test) = if quick {
        let keep: Vec<usize> = (0..full.cols).step_by(6).collect();
        let pick = |v: &[f64]| -> Vec<f64> {
            (0..all.len()).flat_map(|i| keep.iter().map(move |&j| v[i * full.cols + j])).collect()
        };
        let accels = calibration.enumerate()?;
        (
            keep.iter().map(|&j| accels[j].clone()).collect::<Vec<_>>(),
            Costs { cols: keep.len(), cycles: pick(&full.cycles), energy: pick(&full.energy) },
        )
    } else {
        (calibration.enumerate()?, full)
    };
    eprintln!(
        "costed {} designs × {} test accelerators in {:.1} s{}",
        all.len(),
        test_accels.len(),
        start.elapsed().as_secs_f64(),
        if quick { " (quick mode)" } else { "" }
    );
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let train_accels = grid_sample_excluding(&HardwareSpace::thesis(), &calibration, TRAIN_ACCELERATORS, &mut rng)?;
    let synthetic = sample_accelerators(&HardwareSpace::thesis(), SYNTHETIC, &mut rng)?;
    let choices = ChoiceSpace::new(nb.choice_counts())?;
    let perf_train = TrainConfig { epochs: if quick { 8 } else { 25 }, batch_size: Some(64), ..TrainConfig::default() };
    let train_costs = cost_list(&nets, &train_accels);
    // Per (λ, λ₂): the training-mean optimum (the baseline's design), then every training
    // accelerator's exact optimum — the extra decoding candidates of the "+ training optima" rows.
    let mut train_optima: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
    for (ri, r) in LAMBDAS.iter().enumerate() {
        for (qi, r2) in ENERGY_LAMBDAS.iter().enumerate() {
            let (l, l2) = (r / unit, r2 / unit_e);
            let mean = |i: usize| {
                (0..train_costs.cols).map(|j| train_costs.objective(&acc, i, j, l, l2)).sum::<f64>()
                    / train_costs.cols as f64
            };
            let base = (0..all.len()).min_by(|&a, &b| mean(a).total_cmp(&mean(b))).ok_or("no design")?;
            let mut v = vec![base];
            for j in 0..train_costs.cols {
                let i = train_costs.argmin(&acc, j, l, l2);
                if !v.contains(&i) {
                    v.push(i);
                }
            }
            train_optima.insert((ri, qi), v);
        }
    }
    let mut rows: Vec<Row> = Vec::new();
    let variants: [(&str, usize, usize, Exploration); 4] = [
        ("hardware only, no synthetic", 0, 0, Exploration::Disagreement),
        ("hardware only, 32 synthetic", 0, SYNTHETIC, Exploration::Disagreement),
        ("hardware only, 32 synthetic, random exploration", 0, SYNTHETIC, Exploration::Random),
        ("hardware + 4 references, 32 synthetic", K, SYNTHETIC, Exploration::Disagreement),
    ];
    let mut timing = None;
    for (name, k, n_syn, exploration) in variants {
        let accels: Vec<Accel> = train_accels.iter().chain(&synthetic[..n_syn]).cloned().collect();
        let devices: Vec<_> =
            accels.iter().map(|a| ChoicesDevice::new(&nb, AcceleratorDevice::cached(&nb, a.clone()))).collect();
        let refs: Vec<&dyn Device<Choice>> = devices.iter().map(|d| d as &dyn Device<Choice>).collect();
        let cfg = Stage1Config {
            initial: 200,
            per_round: 100,
            rounds: if quick { 2 } else { 3 },
            references: k,
            exploration,
            accuracy_designs: if quick { 1000 } else { 4000 },
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
                epochs: if quick { 10 } else { 60 },
                lambdas: lambda_grid(0.05, 100.0, 12),
                energy_lambdas: vec![0.0, 0.5, 2.0, 8.0],
                ..OptimizerConfig::default()
            };
            let (net, _) = OptimizerNet::train(&s1.nets, &s1.devices, &all, &ocfg, &mut ChaCha8Rng::seed_from_u64(7))?;
            // The optima `l2o train` stores (table accuracy, predicted costs on the training
            // accelerators), for the row decoded as `l2o apply --data` decodes.
            let table_acc = |x: &[usize]| acc_of.get(x).copied();
            let optima = TrainingOptima::find(&s1.nets, &s1.devices, &all, &ocfg, "test_acc_cifar10", &table_acc)?;
            let model = L2oModel::new(&nb, method, &s1, net)?.with_training_optima(optima)?;
            let features: Vec<DeviceFeatures> = test_accels
                .iter()
                .map(|a| {
                    let target = AcceleratorDevice::cached(&nb, a.clone());
                    model.features_of(&nb, Some(&target), Some(&HardwareDescription::of(a)?))
                })
                .collect::<Result<_, _>>()?;
            for (qi, r2) in ENERGY_LAMBDAS.into_iter().enumerate() {
                let mut plain = Row::new(format!("L2O {method:?}, {name}"), r2, k as f64);
                let mut plus = Row::new(format!("L2O {method:?}, {name}, + training optima"), r2, k as f64);
                let mut exact =
                    Row::new(format!("L2O {method:?}, {name}, + training optima, table accuracy"), r2, k as f64);
                let mut table = Row::new(format!("L2O {method:?}, {name}, table accuracy only"), r2, k as f64);
                let mut stored = Row::new(
                    format!("L2O {method:?}, {name}, stored training optima, table accuracy (l2o apply --data)"),
                    r2,
                    k as f64,
                );
                for (ri, r) in LAMBDAS.into_iter().enumerate() {
                    let (l, l2) = (r / unit, r2 / unit_e);
                    let extra: Vec<Choice> = train_optima[&(ri, qi)].iter().map(|&i| all[i].clone()).collect();
                    let known = |x: &[usize]| acc_of.get(x).copied();
                    let designs: Vec<([Choice; 5], f64)> = features
                        .par_iter()
                        .map(|d| {
                            let w = (d.relative_lambda(l), d.relative_energy_lambda(l2)?);
                            let applied = model.apply_features(d, l, l2)?;
                            let over = applied.predicted_accuracy - acc_of[&applied.choices];
                            let x = applied.choices;
                            let (perf, opt) = (&model.performance, &model.optimizer);
                            let y = opt.design_decoded_with(perf, d, w, DECODE_POSITIONS, &extra, &|_| None)?;
                            let z = opt.design_decoded_with(perf, d, w, DECODE_POSITIONS, &extra, &known)?;
                            let t = opt.design_decoded_with(perf, d, w, DECODE_POSITIONS, &[], &known)?;
                            let s = model.apply_features_with(d, l, l2, Some(&known))?.choices;
                            Ok(([x, y, z, t, s], over))
                        })
                        .collect::<Result<_, edgeopt::codesign::CodesignError>>()?;
                    for (j, ([x, y, z, t, s], over)) in designs.iter().enumerate() {
                        let best = test.best(&acc, j, l, l2);
                        plain.over_prediction.push(*over);
                        let all_rows =
                            [(&mut plain, x), (&mut plus, y), (&mut exact, z), (&mut table, t), (&mut stored, s)];
                        for (row, c) in all_rows {
                            let i = all.iter().position(|a| a == c).ok_or("designed key not in table")?;
                            row.regrets[ri].push(test.objective(&acc, i, j, l, l2) - best);
                        }
                    }
                }
                rows.push(plain);
                rows.push(plus);
                rows.push(exact);
                rows.push(table);
                rows.push(stored);
            }
            if timing.is_none() && k == 0 {
                timing = Some(time_apply(&model, &test_accels[test_accels.len() / 2], &s1.nets, &all)?);
            }
        }
        eprintln!("{name}: done at {:.0} s", start.elapsed().as_secs_f64());
    }
    for (qi, r2) in ENERGY_LAMBDAS.into_iter().enumerate() {
        let mut row = Row::new("one design per λ (training-mean optimum, target ignored)".into(), r2, 0.0);
        for (ri, r) in LAMBDAS.into_iter().enumerate() {
            let (l, l2) = (r / unit, r2 / unit_e);
            let i = train_optima[&(ri, qi)][0];
            row.regrets[ri] =
                (0..test.cols).map(|j| test.objective(&acc, i, j, l, l2) - test.best(&acc, j, l, l2)).collect();
        }
        rows.push(row);
    }
    rows.extend(approach1(&acc, &train_costs, &test, unit, unit_e)?);
    print_tables(&rows);
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

/// Approach 1 with one proxy (see the module docs): rows for the proxy's best design alone and
/// for its best [`SHORTLIST`] per λ measured on the target, for every λ₂.
fn approach1(acc: &[f64], train: &Costs, test: &Costs, unit: f64, unit_e: f64) -> BoxResult<Vec<Row>> {
    // The references as stage 1 chooses them: from the training accelerators' cycles.
    let per_train: Vec<Vec<f64>> = (0..train.cols).map(|j| train.column(&train.cycles, j)).collect();
    let refs = choose_references(&per_train, K)?;
    let at = |c: &Costs, v: &[f64], j: usize| -> Vec<f64> { refs.iter().map(|&i| v[i * c.cols + j]).collect() };
    let train_refs: Vec<Vec<f64>> = (0..train.cols).map(|j| at(train, &train.cycles, j)).collect();
    let mut rows = Vec::new();
    for r2 in ENERGY_LAMBDAS {
        let mut alone = Row::new("Approach 1: proxy's best design (proxy by 4 references)".into(), r2, K as f64);
        let mut listed =
            Row::new(format!("Approach 1: proxy's best {SHORTLIST} per λ measured (proxy by 4 references)"), r2, 0.0);
        let mut counts = Vec::new();
        for j in 0..test.cols {
            let proxy = choose_proxy(&train_refs, &at(test, &test.cycles, j))?;
            let p = proxy.index;
            let e_scale = choose_proxy(&[at(train, &train.energy, p)], &at(test, &test.energy, j))?.scale;
            let lat: Vec<f64> = train.column(&train.cycles, p).iter().map(|v| v * proxy.scale).collect();
            let en: Vec<f64> = train.column(&train.energy, p).iter().map(|v| v * e_scale).collect();
            let mut measured: HashSet<usize> = refs.iter().copied().collect();
            for (ri, r) in LAMBDAS.into_iter().enumerate() {
                let (l, l2) = (r / unit, r2 / unit_e);
                let best = test.best(acc, j, l, l2);
                let list = proxy_shortlist(acc, &lat, Some(&en), l, l2, SHORTLIST)?;
                alone.regrets[ri].push(test.objective(acc, list[0], j, l, l2) - best);
                let kept =
                    refs.iter().chain(&list).map(|&i| test.objective(acc, i, j, l, l2)).fold(f64::INFINITY, f64::min);
                listed.regrets[ri].push(kept - best);
                measured.extend(list);
            }
            counts.push(measured.len() as f64);
        }
        listed.measurements = counts.iter().sum::<f64>() / counts.len() as f64;
        rows.push(alone);
        rows.push(listed);
    }
    Ok(rows)
}

fn stats(v: &[f64]) -> (f64, f64) {
    (v.iter().sum::<f64>() / v.len() as f64, v.iter().copied().fold(0.0, f64::max))
}

fn print_tables(rows: &[Row]) {
    println!("| method | λ₂ | mean regret | worst regret | target measurements per accelerator (all λ) |");
    println!("|---|---|---|---|---|");
    for r in rows {
        let (mean, worst) = stats(&r.regrets.concat());
        println!("| {} | {} | {mean:.3} | {worst:.3} | {:.1} |", r.name, r.r2, r.measurements);
    }
    println!("\nper λ (λ_rel = λ × geometric-mean cycles): mean / worst regret");
    let head: Vec<String> = LAMBDAS.iter().map(|r| format!("λ_rel {r}")).collect();
    println!("| method | λ₂ | {} |", head.join(" | "));
    println!("|---|---|{}", "---|".repeat(LAMBDAS.len()));
    for r in rows {
        let cells: Vec<String> = r
            .regrets
            .iter()
            .map(|v| {
                let (m, w) = stats(v);
                format!("{m:.3} / {w:.3}")
            })
            .collect();
        println!("| {} | {} | {} |", r.name, r.r2, cells.join(" | "));
    }
    println!("\naccuracy network on the designs plain L2O returns: predicted − table accuracy (points)");
    println!("| method | λ₂ | mean | min | max |");
    println!("|---|---|---|---|---|");
    for r in rows.iter().filter(|r| !r.over_prediction.is_empty()) {
        let v = &r.over_prediction;
        let (lo, hi) = v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(*x), b.max(*x)));
        println!("| {} | {} | {:.2} | {lo:.2} | {hi:.2} |", r.name, r.r2, v.iter().sum::<f64>() / v.len() as f64);
    }
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
