//! Learning to optimize (thesis sec. 1.5) leave-one-device-out on NAS-Bench-201 × HW-NAS-Bench:
//! each of the six latency devices is the unseen target in turn; the other five train alg. 2.
//! For a grid of λ (relative to the target's geometric-mean latency, from accuracy-first to
//! latency-first) it reports the regret `f(x̂) − min_x f(x)`, `f = −accuracy + λ·latency` with the
//! target's measured latency over all 15,625 designs, mean and worst over targets × λ, of
//! * Method 1 and Method 2, each with stage 1 exploring by ensemble disagreement without and with
//!   synthetic devices, and by random exploration with synthetic devices;
//! * Approach 1: the proxy's (Pixel 3; for Pixel 3, EdgeGPU) accuracy–latency path over t
//!   (weighted argmin of eq. 1.6 on the table's accuracy and the proxy's latency), searched on the
//!   target by ternary search over t with as many target measurements per λ as L2O spends in all.
//!
//! Then the time of one `apply` (features + one inference) against an evolutionary search of the
//! predicted objective for the same device and λ.
//!
//! `cargo run --release --example l2o_loo`

use std::collections::HashMap;
use std::time::Instant;

use edgeopt::codesign::l2o::{
    Categorical, ChoiceSpace, DECODE_POSITIONS, Ensemble, Exploration, Method, OptimizerConfig, OptimizerNet, Stage1,
    Stage1Config, train_performance,
};
use edgeopt::codesign::{ArchTable, Device, TableDevice, weighted_argmin};
use edgeopt::nas::{Evaluation, Evolution, EvolutionConfig, Fitness, Nb201, Search, SearchSpace};
use edgeopt::predictors::nn::TrainConfig;
use edgeopt::predictors::rand::SeedableRng;
use edgeopt::predictors::rand::rngs::ChaCha8Rng;

const DEVICES: [&str; 6] = ["edgegpu", "raspi4", "edgetpu", "pixel3", "eyeriss", "fpga"];
/// λ times the target's geometric-mean latency over the table.
const LAMBDAS: [f64; 5] = [0.1, 0.5, 2.0, 8.0, 32.0];
const K: usize = 8;

type Choice = Vec<usize>;

struct Row {
    name: String,
    regrets: Vec<f64>,
    measurements: Vec<usize>,
    /// Designs the target has no latency for in the table (no regret computable).
    unmeasured: usize,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let nb = Nb201::cifar10();
    let t = ArchTable::new(&nb, edgeopt::zoo::nb201_hwnasbench()?, "arch_str")?;
    let acc = t.complete("test_acc_cifar10")?;
    let all: Vec<Choice> = t.archs.iter().map(|a| nb.to_choices(a)).collect();
    let acc_of: HashMap<Choice, f64> = all.iter().cloned().zip(acc.iter().copied()).collect();
    // Edge GPU and Edge TPU lack some rows: a missing latency is `None` and is never asked for.
    let lat: Vec<Vec<Option<f64>>> =
        DEVICES.iter().map(|d| t.column(&format!("latency_ms_{d}"))).collect::<Result<_, _>>()?;
    let choices = ChoiceSpace::new(nb.choice_counts())?;
    let tables: Vec<TableDevice<Choice>> = DEVICES
        .iter()
        .zip(&lat)
        .map(|(n, l)| TableDevice::new(n, all.iter().zip(l).filter_map(|(a, l)| Some((a.clone(), (*l)?, 0.0)))))
        .collect();
    let perf_train = TrainConfig { epochs: 25, batch_size: Some(64), ..TrainConfig::default() };
    // The accuracy network does not depend on the device: trained once on 4,000 designs.
    let start = Instant::now();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let pick: Vec<usize> = (0..all.len()).step_by(all.len() / 4000).collect();
    let x = edgeopt::predictors::ndarray::Array2::from_shape_fn((pick.len(), choices.width()), |(i, j)| {
        choices.one_hot(&all[pick[i]]).map_or(0.0, |v| v[j])
    });
    let y = edgeopt::predictors::ndarray::Array1::from_iter(pick.iter().map(|&i| acc[i]));
    let accuracy =
        Ensemble::fit(x.view(), y.view(), 2, &[64, 64], &TrainConfig { epochs: 60, ..perf_train }, &mut rng)?;
    eprintln!("accuracy network: {:.1} s", start.elapsed().as_secs_f64());
    let variants: [(&str, Exploration, usize); 3] = [
        ("disagreement, no synthetic", Exploration::Disagreement, 0),
        ("disagreement, 10 synthetic", Exploration::Disagreement, 10),
        ("random, 10 synthetic", Exploration::Random, 10),
    ];
    let mut rows: Vec<Row> = Vec::new();
    for (v, _, _) in &variants {
        for m in ["Method 1", "Method 2"] {
            rows.push(Row { name: format!("L2O {m}, {v}"), regrets: vec![], measurements: vec![], unmeasured: 0 });
        }
    }
    rows.push(Row {
        name: "Approach 1 (proxy path + ternary search on t)".into(),
        regrets: vec![],
        measurements: vec![],
        unmeasured: 0,
    });
    let mut timing = Vec::new();
    for (ti, target) in DEVICES.iter().enumerate() {
        let train: Vec<&dyn Device<Choice>> =
            (0..DEVICES.len()).filter(|&j| j != ti).map(|j| &tables[j] as &dyn Device<Choice>).collect();
        let truth = &lat[ti];
        let cands: Vec<Choice> = (0..all.len())
            // Designs every device has, so the references chosen on the training devices can be
            // measured on the target too.
            .filter(|&i| (0..DEVICES.len()).all(|j| lat[j][i].is_some()))
            .map(|i| all[i].clone())
            .collect();
        // The task's λ in the target's unit: relative to its geometric-mean latency over the table
        // (evaluation knowledge only; no method sees it).
        let logs: Vec<f64> = truth.iter().flatten().map(|v| v.ln()).collect();
        let unit = (logs.iter().sum::<f64>() / logs.len() as f64).exp();
        let lambdas: Vec<f64> = LAMBDAS.iter().map(|r| r / unit).collect();
        for (vi, (_, exploration, synthetic)) in variants.iter().enumerate() {
            let cfg = Stage1Config {
                initial: 200,
                per_round: 100,
                rounds: 3,
                references: K,
                exploration: *exploration,
                synthetic: *synthetic,
                pretrained_accuracy: Some(accuracy.clone()),
                train: perf_train,
                ..Stage1Config::default()
            };
            let s1 = {
                let acc_fn = |x: &[usize]| Ok(acc_of[x]);
                train_performance(&choices, &cands, &acc_fn, &train, &cfg, &mut ChaCha8Rng::seed_from_u64(ti as u64))?
            };
            for (mi, method) in [Method::Supervised, Method::Unsupervised].into_iter().enumerate() {
                let ocfg = OptimizerConfig { method, epochs: 100, ..OptimizerConfig::default() };
                let (net, _) =
                    OptimizerNet::train(&s1.nets, &s1.devices, &cands, &ocfg, &mut ChaCha8Rng::seed_from_u64(7))?;
                let d = features(&s1, &tables[ti])?;
                let row = &mut rows[vi * 2 + mi];
                for &lambda in &lambdas {
                    // As `l2o apply` designs: the argmax decoded against the performance networks.
                    let x = net.design_decoded(&s1.nets, &d, (d.relative_lambda(lambda), 0.0), DECODE_POSITIONS)?;
                    let i = all.iter().position(|a| *a == x).ok_or("designed key not in table")?;
                    match f(&acc, truth, i, lambda) {
                        Some(v) => row.regrets.push(v - best(&acc, truth, lambda)),
                        None => {
                            row.unmeasured += 1;
                            row.regrets.push(f64::NAN);
                        }
                    }
                }
                row.measurements.push(K);
                if vi == 1 && mi == 0 {
                    timing.push(time_apply_vs_evolution(&nb, &s1, &net, &d)?);
                }
            }
        }
        // Approach 1 with the same budget per λ as L2O spends on the target in all.
        let proxy = if *target == "pixel3" { 0 } else { 3 };
        // The path over the designs both the proxy and the target have.
        let (pi, (pa, pl)): (Vec<usize>, (Vec<f64>, Vec<f64>)) = (0..all.len())
            .filter_map(|i| Some((i, (acc[i], lat[proxy][i]?))))
            .filter(|(i, _)| truth[*i].is_some())
            .unzip();
        let mut path: Vec<usize> = Vec::new();
        for s in 0..=1000 {
            let i = pi[weighted_argmin(&pa, &pl, s as f64 / 1000.0).ok_or("empty table")?];
            if !path.contains(&i) {
                path.push(i);
            }
        }
        let mut measured: HashMap<usize, f64> = HashMap::new();
        let row = rows.last_mut().ok_or("no rows")?;
        for &lambda in &lambdas {
            let i = ternary(&path, |i| {
                measured.insert(i, truth[i].unwrap_or(f64::NAN));
                f(&acc, truth, i, lambda).unwrap_or(f64::INFINITY)
            });
            let v = f(&acc, truth, i, lambda).ok_or("path design without a target latency")?;
            row.regrets.push(v - best(&acc, truth, lambda));
        }
        row.measurements.push(measured.len());
        eprintln!("{target}: done at {:.0} s", start.elapsed().as_secs_f64());
    }
    println!(
        "| method | mean regret | worst regret | target measurements per device (mean, all λ) | designs without a table latency |"
    );
    println!("|---|---|---|---|---|");
    for r in &rows {
        let ok: Vec<f64> = r.regrets.iter().copied().filter(|v| !v.is_nan()).collect();
        let mean = ok.iter().sum::<f64>() / ok.len() as f64;
        let worst = ok.iter().copied().fold(0.0, f64::max);
        let m = r.measurements.iter().sum::<usize>() as f64 / r.measurements.len() as f64;
        println!("| {} | {mean:.3} | {worst:.3} | {m:.1} | {} |", r.name, r.unmeasured);
    }
    println!("\nregret per target (accuracy points), λ_rel = {LAMBDAS:?}:");
    for r in &rows {
        let per: Vec<String> = r
            .regrets
            .chunks(LAMBDAS.len())
            .zip(DEVICES)
            .map(|(c, d)| {
                let ok: Vec<f64> = c.iter().copied().filter(|v| !v.is_nan()).collect();
                format!("{d} {:.2}", ok.iter().sum::<f64>() / ok.len() as f64)
            })
            .collect();
        println!("  {}: {}", r.name, per.join(", "));
    }
    let (apply, evo): (Vec<f64>, Vec<f64>) = timing.iter().copied().unzip();
    println!(
        "\napply (features + one inference): mean {:.3} ms; evolutionary search of the predicted objective \
         (population 100, 30 generations): mean {:.1} ms",
        1e3 * apply.iter().sum::<f64>() / apply.len() as f64,
        1e3 * evo.iter().sum::<f64>() / evo.len() as f64
    );
    Ok(())
}

fn f(acc: &[f64], lat: &[Option<f64>], i: usize, lambda: f64) -> Option<f64> {
    Some(-acc[i] + lambda * lat[i]?)
}

/// The optimum over every design the target has a latency for.
fn best(acc: &[f64], lat: &[Option<f64>], lambda: f64) -> f64 {
    (0..acc.len()).filter_map(|i| f(acc, lat, i, lambda)).fold(f64::INFINITY, f64::min)
}

/// The target's features from its latency on stage 1's references.
fn features(
    s1: &Stage1,
    target: &TableDevice<Choice>,
) -> Result<edgeopt::codesign::l2o::DeviceFeatures, Box<dyn std::error::Error>> {
    let l = s1
        .references
        .iter()
        .map(|r| Ok(target.measure(r)?.latency))
        .collect::<Result<Vec<_>, edgeopt::codesign::CodesignError>>()?;
    Ok(edgeopt::codesign::l2o::DeviceFeatures::from_latencies(&l)?)
}

/// Ternary search over the path (ordered accuracy-first to latency-first) with at most K
/// evaluations; the best evaluated index.
fn ternary(path: &[usize], mut eval: impl FnMut(usize) -> f64) -> usize {
    let mut seen: HashMap<usize, f64> = HashMap::new();
    let mut value = |p: usize, seen: &mut HashMap<usize, f64>| *seen.entry(p).or_insert_with(|| eval(path[p]));
    let (mut lo, mut hi) = (0usize, path.len() - 1);
    while hi - lo > 2 && seen.len() + 2 <= K {
        let (m1, m2) = (lo + (hi - lo) / 3, hi - (hi - lo) / 3);
        if value(m1, &mut seen) <= value(m2, &mut seen) {
            hi = m2;
        } else {
            lo = m1;
        }
    }
    if seen.len() < K {
        value((lo + hi) / 2, &mut seen);
    }
    let (p, _) =
        seen.iter().min_by(|a, b| a.1.total_cmp(b.1).then(a.0.cmp(b.0))).map(|(p, v)| (*p, *v)).unwrap_or((0, 0.0));
    path[p]
}

/// Seconds of one apply (from features) and of an evolutionary search of the same predicted
/// objective, for λ_rel = 2.
fn time_apply_vs_evolution(
    nb: &Nb201,
    s1: &Stage1,
    net: &OptimizerNet,
    d: &edgeopt::codesign::l2o::DeviceFeatures,
) -> Result<(f64, f64), Box<dyn std::error::Error>> {
    let rel = 2.0;
    let t0 = Instant::now();
    let reps = 200;
    for _ in 0..reps {
        std::hint::black_box(net.design_decoded(&s1.nets, d, (rel, 0.0), DECODE_POSITIONS)?);
    }
    let apply = t0.elapsed().as_secs_f64() / reps as f64;
    let objective = |a: &edgeopt::nas::Nb201Arch| -> Result<Evaluation, edgeopt::codesign::CodesignError> {
        let (acc, lat) = s1.nets.predict_relative(s1.nets.one_hots(&[nb.to_choices(a)])?.view(), d)?;
        Ok(Evaluation::new(acc[0] - rel * lat[0], 0.0))
    };
    let cfg = EvolutionConfig { population: 100, generations: 30, ..EvolutionConfig::default() };
    let t1 = Instant::now();
    let mut evo = Evolution::new(nb, &objective, Default::default(), Fitness::Accuracy, cfg)?;
    let state = evo.run(None)?;
    std::hint::black_box(nb.key(&state.population[0]));
    Ok((apply, t1.elapsed().as_secs_f64()))
}
