//! Learning to optimize on a toy space where the optimum is analytic: accuracy and latency are
//! sums of per-position costs, so `argmin −accuracy + λ·latency` separates by position.

use edgeopt_codesign::l2o::{
    ChoiceSpace, Exploration, HardwareDescription, L2oModel, Method, OptimizerConfig, OptimizerNet, Stage1,
    Stage1Config, TrainingOptima, lambda_grid, train_performance,
};
use edgeopt_codesign::{Device, FnDevice, Measurement};
use edgeopt_nas::Nb201;
use edgeopt_predictors::nn::TrainConfig;
use edgeopt_predictors::rand::SeedableRng;
use edgeopt_predictors::rand::rngs::ChaCha8Rng;

const ACC: [[f64; 3]; 3] = [[0.0, 3.0, 5.0], [0.0, 2.0, 6.0], [1.0, 0.0, 4.0]];
/// Per-option latency on device j: BASE[p][c] · SPEED[j][c].
const BASE: [[f64; 3]; 3] = [[1.0, 2.0, 4.0], [1.0, 3.0, 5.0], [2.0, 1.0, 3.0]];
const SPEED: [[f64; 3]; 3] = [[1.0, 1.0, 1.0], [2.0, 1.0, 3.0], [0.5, 2.0, 1.5]];

fn accuracy(x: &[usize]) -> f64 {
    x.iter().enumerate().map(|(p, c)| ACC[p][*c]).sum()
}
fn latency(j: usize, x: &[usize]) -> f64 {
    x.iter().enumerate().map(|(p, c)| BASE[p][*c] * SPEED[j][*c]).sum()
}
fn optimum(j: usize, lambda: f64) -> Vec<usize> {
    (0..3)
        .map(|p| {
            (0..3)
                .min_by(|&a, &b| {
                    (-ACC[p][a] + lambda * BASE[p][a] * SPEED[j][a])
                        .total_cmp(&(-ACC[p][b] + lambda * BASE[p][b] * SPEED[j][b]))
                })
                .unwrap()
        })
        .collect()
}
fn objective(j: usize, x: &[usize], lambda: f64) -> f64 {
    -accuracy(x) + lambda * latency(j, x)
}
/// Energy on device j: relative option costs unlike latency's.
fn energy(j: usize, x: &[usize]) -> f64 {
    x.iter().enumerate().map(|(p, c)| BASE[2 - p][*c] * SPEED[2 - j][2 - *c]).sum()
}
fn description(j: usize) -> HardwareDescription {
    let pes = [16.0, 64.0, 256.0][j];
    HardwareDescription {
        pes,
        l1_bytes: 1024.0,
        l2_bytes: 1e6,
        noc_bw: 300.0,
        offchip_bw: 50.0,
        dataflow: "kc-p".into(),
    }
}

fn stage1() -> (ChoiceSpace, Vec<Vec<usize>>, Stage1) {
    stage1_with(false, false)
}

/// Stage 1 on the toy devices, with their energy and/or their hardware descriptions (then with
/// no reference architecture).
fn stage1_with(with_energy: bool, with_hardware: bool) -> (ChoiceSpace, Vec<Vec<usize>>, Stage1) {
    let space = ChoiceSpace::new(vec![3, 3, 3]).unwrap();
    let all = space.enumerate(100).unwrap();
    let devices: Vec<Box<dyn Device<Vec<usize>>>> = (0..3)
        .map(|j| {
            Box::new(FnDevice::new("toy", move |x: &Vec<usize>| {
                Ok::<_, std::convert::Infallible>(Measurement { latency: latency(j, x), energy: energy(j, x) })
            })) as Box<dyn Device<Vec<usize>>>
        })
        .collect();
    let refs: Vec<&dyn Device<Vec<usize>>> = devices.iter().map(|d| d.as_ref()).collect();
    let cfg = Stage1Config {
        initial: 20,
        per_round: 7,
        rounds: 2,
        references: if with_hardware { 0 } else { 3 },
        exploration: Exploration::Disagreement,
        pool: 27,
        accuracy_designs: 0,
        pretrained_accuracy: None,
        synthetic: 0,
        perturbation: 0.0,
        members: 2,
        hidden: vec![32],
        train: TrainConfig {
            epochs: 400,
            batch_size: None,
            ..TrainConfig { optimizer: edgeopt_predictors::nn::Optimizer::adam(0.01), ..TrainConfig::default() }
        },
        energy: with_energy,
        hardware: if with_hardware { (0..3).map(description).collect() } else { Vec::new() },
    };
    let acc = |x: &[usize]| Ok(accuracy(x));
    let s1 = train_performance(&space, &all, &acc, &refs, &cfg, &mut ChaCha8Rng::seed_from_u64(3)).unwrap();
    (space, all, s1)
}

fn optimizer(s1: &Stage1, all: &[Vec<usize>], method: Method, cfg: OptimizerConfig) -> (OptimizerNet, Vec<f64>) {
    let cfg = OptimizerConfig { method, ..cfg };
    OptimizerNet::train(&s1.nets, &s1.devices, all, &cfg, &mut ChaCha8Rng::seed_from_u64(5)).unwrap()
}

fn toy_config() -> OptimizerConfig {
    OptimizerConfig {
        hidden: vec![32],
        lambdas: lambda_grid(0.05, 20.0, 12),
        epochs: 300,
        batch: 12,
        lr: 0.01,
        ..OptimizerConfig::default()
    }
}

#[test]
fn stage1_measures_every_explored_design_once_and_predicts_latency() {
    let (_, _, s1) = stage1();
    assert_eq!(s1.measured.len(), 27);
    let mut uniq = s1.measured.clone();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), 27);
    for (j, d) in s1.devices.iter().enumerate() {
        let (_, lat) = s1.nets.predict(&s1.measured, d).unwrap();
        for (x, l) in s1.measured.iter().zip(&lat) {
            let truth = latency(j, x);
            assert!((l / truth - 1.0).abs() < 0.25, "device {j} {x:?}: {l} vs {truth}");
        }
    }
}

#[test]
fn method2_lowers_the_predicted_objective_monotonically() {
    let (_, all, s1) = stage1();
    let lambdas = lambda_grid(0.05, 20.0, 6);
    let n = s1.devices.len() * lambdas.len();
    let cfg = OptimizerConfig {
        lambdas,
        epochs: 40,
        batch: n,
        lr: 1e-3,
        temperature: (1.0, 1.0),
        straight_through: 0.0,
        ..toy_config()
    };
    let (_, losses) = optimizer(&s1, &all, Method::Unsupervised, cfg);
    for w in losses.windows(2) {
        assert!(w[1] <= w[0] + 1e-12, "{losses:?}");
    }
    assert!(losses[losses.len() - 1] < losses[0] - 1e-3, "{losses:?}");
}

#[test]
fn both_methods_recover_the_analytic_optimum() {
    let (_, all, s1) = stage1();
    for method in [Method::Supervised, Method::Unsupervised] {
        let (net, _) = optimizer(&s1, &all, method, toy_config());
        let mut regrets = Vec::new();
        for (j, d) in s1.devices.iter().enumerate() {
            for lam_rel in lambda_grid(0.07, 15.0, 9) {
                let lambda = lam_rel / d.scale.exp();
                let x = net.design(d, lam_rel, 0.0).unwrap();
                let best = optimum(j, lambda);
                regrets.push(objective(j, &x, lambda) - objective(j, &best, lambda));
                // Decoding never worsens the predicted objective of the argmax design.
                let decoded = net.design_decoded(&s1.nets, d, (lam_rel, 0.0), 6).unwrap();
                let predicted = |x: &Vec<usize>| {
                    let (a, l) =
                        s1.nets.predict_relative(s1.nets.one_hots(std::slice::from_ref(x)).unwrap().view(), d).unwrap();
                    -a[0] + lam_rel * l[0]
                };
                assert!(predicted(&decoded) <= predicted(&x) + 1e-12);
                // Extra candidates only ever help the predicted objective; with every design
                // among them the result is the predicted optimum.
                let with_all = net.design_decoded_with(&s1.nets, d, (lam_rel, 0.0), 6, &all, &|_| None).unwrap();
                let exhaustive = all.iter().map(predicted).fold(f64::INFINITY, f64::min);
                assert!(predicted(&with_all) <= predicted(&decoded) + 1e-12);
                assert!((predicted(&with_all) - exhaustive).abs() < 1e-12);
                // With the exact accuracy known, the score is −accuracy + λ·predicted latency.
                let known = |x: &[usize]| Some(accuracy(x));
                let hybrid = net.design_decoded_with(&s1.nets, d, (lam_rel, 0.0), 6, &all, &known).unwrap();
                let score = |x: &Vec<usize>| {
                    let (_, l) =
                        s1.nets.predict_relative(s1.nets.one_hots(std::slice::from_ref(x)).unwrap().view(), d).unwrap();
                    -accuracy(x) + lam_rel * l[0]
                };
                assert!((score(&hybrid) - all.iter().map(score).fold(f64::INFINITY, f64::min)).abs() < 1e-12);
            }
        }
        let mean = regrets.iter().sum::<f64>() / regrets.len() as f64;
        let exact = regrets.iter().filter(|r| **r < 1e-9).count();
        assert!(regrets.iter().all(|r| *r > -1e-9));
        assert!(
            mean < 0.3 && exact * 10 >= regrets.len() * 7,
            "{method:?}: mean {mean}, exact {exact}/{} {regrets:?}",
            regrets.len()
        );
    }
}

fn model() -> L2oModel {
    model_with(false, false)
}

fn model_with(with_energy: bool, with_hardware: bool) -> L2oModel {
    let (_, all, s1) = stage1_with(with_energy, with_hardware);
    let energy_lambdas = if with_energy { vec![0.0, 0.5, 5.0] } else { vec![0.0] };
    let cfg = OptimizerConfig { epochs: 20, energy_lambdas, ..toy_config() };
    let (net, _) = optimizer(&s1, &all, Method::Supervised, cfg);
    L2oModel::new(&ToySpace, Method::Supervised, &s1, net).unwrap()
}

#[test]
fn energy_and_hardware_models_round_trip_and_predict_energy() {
    let dev = FnDevice::new("d1", |x: &Vec<usize>| {
        Ok::<_, std::convert::Infallible>(Measurement { latency: latency(1, x), energy: energy(1, x) })
    });
    let m = model_with(true, false);
    let back: L2oModel = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
    for (l, l2) in [(0.1, 0.0), (0.1, 0.3), (0.0, 2.0)] {
        let (_, a) = back.apply(&ToySpace, &dev, l, l2).unwrap();
        assert_eq!(a, m.apply(&ToySpace, &dev, l, l2).unwrap().1);
        let (e, truth) = (a.predicted_energy.unwrap(), energy(1, &a.choices));
        assert!((e / truth - 1.0).abs() < 0.3, "{e} vs {truth}");
    }
    let h = model_with(true, true);
    assert!(h.references.is_empty());
    let back: L2oModel = serde_json::from_str(&serde_json::to_string(&h).unwrap()).unwrap();
    let d = h.hardware_features(&description(2)).unwrap();
    assert_eq!(back.hardware_features(&description(2)).unwrap(), d);
    for (l, l2) in [(0.0, 0.0), (0.05, 0.05), (1.0, 0.0)] {
        let a = h.apply_features(&d, l, l2).unwrap();
        assert_eq!(a, back.apply_features(&d, l, l2).unwrap());
        assert_eq!(a.measurements_used, 0);
    }
    let bad = HardwareDescription { noc_bw: -1.0, ..description(0) };
    assert!(h.hardware_features(&bad).unwrap_err().to_string().contains("noc_bw"));
    assert!(m.hardware_features(&description(0)).unwrap_err().to_string().contains("no hardware features"));
}

#[test]
fn energy_without_measured_energy_is_a_clear_error() {
    let space = ChoiceSpace::new(vec![3, 3, 3]).unwrap();
    let all = space.enumerate(100).unwrap();
    let dev = FnDevice::new("no-energy", |x: &Vec<usize>| {
        Ok::<_, std::convert::Infallible>(Measurement { latency: latency(0, x), energy: 0.0 })
    });
    let cfg = Stage1Config { initial: 10, rounds: 1, references: 2, energy: true, ..Stage1Config::default() };
    let acc = |x: &[usize]| Ok(accuracy(x));
    let e = train_performance(&space, &all, &acc, &[&dev], &cfg, &mut ChaCha8Rng::seed_from_u64(0)).unwrap_err();
    assert!(e.to_string().contains("non-positive energy"), "{e}");
    let (_, all, s1) = stage1();
    let cfg = OptimizerConfig { energy_lambdas: vec![0.0, 1.0], epochs: 1, ..toy_config() };
    let e = OptimizerNet::train(&s1.nets, &s1.devices, &all, &cfg, &mut ChaCha8Rng::seed_from_u64(0)).unwrap_err();
    assert!(e.to_string().contains("no energy"), "{e}");
}

#[test]
fn model_save_load_gives_the_same_designs() {
    let m = model();
    let text = serde_json::to_string(&m).unwrap();
    let back: L2oModel = serde_json::from_str(&text).unwrap();
    assert_eq!(back, m);
    let dev = FnDevice::new("d1", |x: &Vec<usize>| {
        Ok::<_, std::convert::Infallible>(Measurement { latency: latency(1, x), energy: 0.0 })
    });
    for lambda in [0.0, 0.1, 1.0] {
        assert_eq!(back.apply(&ToySpace, &dev, lambda, 0.0).unwrap(), m.apply(&ToySpace, &dev, lambda, 0.0).unwrap());
    }
    assert_eq!(m.apply(&ToySpace, &dev, 1.0, 0.0).unwrap().1.measurements_used, 3);
}

#[test]
fn extra_decoding_candidates_and_known_accuracies_must_be_valid() {
    let (_, all, s1) = stage1();
    let (net, _) = optimizer(&s1, &all, Method::Supervised, OptimizerConfig { epochs: 5, ..toy_config() });
    let d = &s1.devices[0];
    let none = |_: &[usize]| None;
    assert!(net.design_decoded_with(&s1.nets, d, (1.0, 0.0), 6, &[vec![0, 3, 0]], &none).is_err());
    assert!(net.design_decoded_with(&s1.nets, d, (1.0, 0.0), 6, &[vec![0, 1]], &none).is_err());
    assert!(net.design_decoded_with(&s1.nets, d, (1.0, 0.0), 6, &[], &|_| Some(f64::NAN)).is_err());
}

#[test]
fn training_optima_decode_by_table_accuracy_never_worse_than_plain() {
    let (_, all, s1) = stage1();
    // A short-trained optimizer, so the decodings have something to disagree on.
    let cfg = OptimizerConfig { epochs: 5, ..toy_config() };
    let (net, _) = optimizer(&s1, &all, Method::Supervised, cfg.clone());
    let known = |x: &[usize]| Some(accuracy(x));
    let optima = TrainingOptima::find(&s1.nets, &s1.devices, &all, &cfg, "acc", &known).unwrap();
    assert_eq!(optima.designs.len(), cfg.lambdas.len());
    let one = |x: &Vec<usize>, d| s1.nets.predict(std::slice::from_ref(x), d).unwrap().1[0];
    for (i, &lam) in cfg.lambdas.iter().enumerate() {
        let designs = &optima.designs[i];
        assert!(!designs.is_empty() && designs.len() <= s1.devices.len());
        assert_eq!(optima.nearest(lam, 0.0), designs.as_slice());
        // Every device's optimum of −accuracy + λ·predicted latency (relative units) is stored.
        for d in &s1.devices {
            let x = s1.nets.one_hots(&all).unwrap();
            let (_, rel) = s1.nets.predict_relative(x.view(), d).unwrap();
            let f = |k: usize| -accuracy(&all[k]) + lam * rel[k];
            let best = (0..all.len()).fold(0, |b, k| if f(k) < f(b) { k } else { b });
            assert!(designs.contains(&all[best]), "λ {lam}: {:?} not in {designs:?}", all[best]);
        }
    }
    let m = L2oModel::new(&ToySpace, Method::Supervised, &s1, net).unwrap().with_training_optima(optima).unwrap();
    let mut differ = 0;
    for d in &s1.devices {
        for lam in [0.0, 0.01, 0.1, 0.5, 2.0, 10.0] {
            let plain = m.apply_features(d, lam, 0.0).unwrap();
            let table = m.apply_features_with(d, lam, 0.0, Some(&known)).unwrap();
            let f = |x: &Vec<usize>| -accuracy(x) + lam * one(x, d);
            assert!(f(&table.choices) <= f(&plain.choices) + 1e-9, "λ {lam}: {table:?} vs {plain:?}");
            differ += usize::from(table.choices != plain.choices);
            assert_eq!(m.apply_features_with(d, lam, 0.0, None).unwrap(), plain);
        }
    }
    assert!(differ > 0, "table decoding never changed a design");
    let text = serde_json::to_string(&m).unwrap();
    assert_eq!(serde_json::from_str::<L2oModel>(&text).unwrap(), m);
    // Stored optima are validated on load: a design outside the space, a missing grid point.
    let first = serde_json::to_string(&m.optima.as_ref().unwrap().designs[0][0]).unwrap();
    let outside = text.replacen(&format!("\"designs\":[[{first}"), "\"designs\":[[[0,3,0]", 1);
    assert!(serde_json::from_str::<L2oModel>(&outside).unwrap_err().to_string().contains("[0, 3, 0]"));
    let mut short = m.optima.clone().unwrap();
    short.designs.pop();
    let e = m.clone().with_training_optima(short).unwrap_err().to_string();
    assert!(e.contains("training optima"), "{e}");
}

#[test]
fn bad_inputs_are_clear_errors() {
    let m = model();
    let d = edgeopt_codesign::l2o::DeviceFeatures::from_latencies(&[1.0, 2.0, 3.0]).unwrap();
    for bad in [-1.0, f64::NAN, f64::INFINITY] {
        let e = m.apply_features(&d, bad, 0.0).unwrap_err().to_string();
        assert!(e.contains("lambda"), "{e}");
        let e = m.apply_features(&d, 1.0, bad).unwrap_err().to_string();
        assert!(e.contains("energy lambda"), "{e}");
    }
    let e = m.apply_features(&d, 1.0, 0.5).unwrap_err().to_string();
    assert!(e.contains("trained without energy"), "{e}");
    assert!(edgeopt_codesign::l2o::DeviceFeatures::from_latencies(&[1.0, f64::NAN]).is_err());
    let e = m.apply(
        &Nb201::cifar10(),
        &FnDevice::new("x", |_: &edgeopt_nas::Nb201Arch| Ok::<_, std::convert::Infallible>(Measurement::default())),
        1.0,
        0.0,
    );
    assert!(e.unwrap_err().to_string().contains("trained on `toy`"));
    let text = serde_json::to_string(&m).unwrap();
    for old in ["1", "2"] {
        let v = text.replacen("\"version\":3", &format!("\"version\":{old}"), 1);
        let e = serde_json::from_str::<L2oModel>(&v).unwrap_err().to_string();
        assert!(e.contains("model version") && e.contains("reads version 3") && e.contains(old), "{e}");
    }
    let fewer = text.replacen("\"references\":[", "\"references\":[\"0-0-0\",", 1);
    assert!(serde_json::from_str::<L2oModel>(&fewer).unwrap_err().to_string().contains("reference"));
    let nan = text.replacen("\"y_std\":", "\"y_std\":null,\"_\":", 1);
    assert!(serde_json::from_str::<L2oModel>(&nan).is_err());
    assert!(serde_json::from_str::<L2oModel>(&text[..text.len() / 2]).is_err());
}

/// The toy space as a [`edgeopt_nas::SearchSpace`], for keys.
struct ToySpace;

impl edgeopt_nas::SearchSpace for ToySpace {
    type Arch = Vec<usize>;
    fn name(&self) -> &'static str {
        "toy"
    }
    fn sample<R: edgeopt_nas::rand::Rng + ?Sized>(&self, _: &mut R) -> Vec<usize> {
        vec![0; 3]
    }
    fn mutate<R: edgeopt_nas::rand::Rng + ?Sized>(&self, a: &Vec<usize>, _: f64, _: &mut R) -> Vec<usize> {
        a.clone()
    }
    fn crossover<R: edgeopt_nas::rand::Rng + ?Sized>(&self, a: &Vec<usize>, _: &Vec<usize>, _: &mut R) -> Vec<usize> {
        a.clone()
    }
    fn key(&self, a: &Vec<usize>) -> String {
        a.iter().map(|c| c.to_string()).collect::<Vec<_>>().join("-")
    }
    fn parse_key(&self, key: &str) -> edgeopt_nas::Result<Vec<usize>> {
        key.split('-')
            .map(|s| {
                s.parse().map_err(|_| edgeopt_nas::NasError::BadKey {
                    space: "toy",
                    key: key.into(),
                    reason: "digits".into(),
                })
            })
            .collect()
    }
}

impl edgeopt_codesign::l2o::Categorical for ToySpace {
    fn choice_counts(&self) -> Vec<usize> {
        vec![3, 3, 3]
    }
    fn to_choices(&self, a: &Vec<usize>) -> Vec<usize> {
        a.clone()
    }
    fn arch_of_choices(&self, c: &[usize]) -> edgeopt_codesign::Result<Vec<usize>> {
        ChoiceSpace::new(self.choice_counts())?.check(c)?;
        Ok(c.to_vec())
    }
}
