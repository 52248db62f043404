//! The workflows on real NAS-Bench-201 / HW-NAS-Bench measurements.

use std::collections::HashMap;

use edgeopt::accel_sim::{Accelerator, EnergyModel, HardwareSpace};
use edgeopt::codesign::adapt::{adapt, fit_proxy, predict_all};
use edgeopt::codesign::one_proxy::{OneProxyConfig, mean_gap_to_oracle, one_proxy};
use edgeopt::codesign::semi_decoupled::Problem;
use edgeopt::codesign::{AcceleratorDevice, ArchTable, Bisection, Counted, Device, TwoStage};
use edgeopt::nas::{Lower, Nb201, Nb201Arch};
use edgeopt::predictors::data::DeviceTable;
use edgeopt::predictors::metrics::spearman;
use edgeopt::predictors::rand::SeedableRng;
use edgeopt::predictors::rand::rngs::ChaCha8Rng;
use edgeopt::predictors::{LatencyPredictor, LinearPredictor};

fn data() -> (Nb201, ArchTable<Nb201Arch>) {
    let nb = Nb201::cifar10();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/nb201_hwnasbench_cifar10.csv.gz");
    let t = ArchTable::new(&nb, DeviceTable::read(&path).unwrap(), "arch_str").unwrap();
    (nb, t)
}

fn proxy(nb: &Nb201, t: &ArchTable<Nb201Arch>) -> LinearPredictor {
    let lat: Vec<f64> = t.complete("latency_ms_pixel3").unwrap();
    fit_proxy(nb, &t.archs, &lat).unwrap()
}

#[test]
fn adaproxy_reaches_the_published_rank_correlations() {
    let (nb, t) = data();
    let w = proxy(&nb, &t);
    // Mean SRCC after adaptation over 20 seeds, N = 40 (+20 validation), Pixel 3 as proxy.
    for (target, floor) in [
        ("latency_ms_edgegpu", 0.86),
        ("latency_ms_edgetpu", 0.91),
        ("latency_ms_eyeriss", 0.99),
        ("latency_ms_fpga", 0.99),
    ] {
        let dev = Counted::new(t.device(target, None).unwrap());
        let pool: Vec<Nb201Arch> = t.archs.iter().filter(|a| dev.inner().has(a)).copied().collect();
        let truth: Vec<f64> = pool.iter().map(|a| dev.inner().peek(a).unwrap().latency).collect();
        let x = edgeopt::codesign::adapt::design_matrix(&nb, &pool);
        let before = spearman(&w.predict_batch(x.view()).unwrap().to_vec(), &truth).unwrap();
        let mut total = 0.0;
        for seed in 0..20 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let ad = adapt(&nb, &w, &dev, &pool, 40, 20, &mut rng).unwrap();
            total += spearman(&ad.predictor.predict_batch(x.view()).unwrap().to_vec(), &truth).unwrap();
        }
        let mean = total / 20.0;
        assert!(mean >= floor, "{target}: mean SRCC after {mean:.4} < {floor} (before {before:.4})");
        assert!(mean > before, "{target}: adaptation did not help ({before:.4} -> {mean:.4})");
        assert_eq!(dev.count(), 20 * 60);
    }
}

#[test]
fn one_proxy_stays_close_to_the_oracle_front_with_few_measurements() {
    let (nb, t) = data();
    let w = proxy(&nb, &t);
    let acc = t.complete("test_acc_cifar10").unwrap();
    let acc_of: HashMap<Nb201Arch, f64> = t.archs.iter().copied().zip(acc).collect();
    let accuracy = |a: &Nb201Arch| acc_of[a];
    let mut total_gap = 0.0;
    let targets =
        ["latency_ms_edgegpu", "latency_ms_edgetpu", "latency_ms_eyeriss", "latency_ms_fpga", "latency_ms_raspi4"];
    for target in targets {
        let dev = Counted::new(t.device(target, None).unwrap());
        let pool: Vec<Nb201Arch> = t.archs.iter().filter(|a| dev.inner().has(a)).copied().collect();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let r = one_proxy(&nb, &pool, &accuracy, &w, &dev, &OneProxyConfig::default(), &mut rng).unwrap();
        assert!(r.measurements_used <= 100, "{target}: {} measurements", r.measurements_used);
        assert_eq!(r.measurements_used, dev.count());
        let all: Vec<(f64, f64)> = pool.iter().map(|a| (acc_of[a], dev.inner().peek(a).unwrap().latency)).collect();
        let gap = mean_gap_to_oracle(&r.set, &all, 20).unwrap();
        assert!(gap <= 0.3, "{target}: gap {gap}");
        total_gap += gap;
        // The returned set is Pareto-optimal by measurement.
        for w2 in r.set.windows(2) {
            assert!(w2[0].latency <= w2[1].latency && w2[0].accuracy < w2[1].accuracy);
        }
    }
    assert!(total_gap / targets.len() as f64 <= 0.3);
}

#[test]
fn bisection_meets_a_latency_constraint_within_its_budget() {
    let (nb, t) = data();
    let w = proxy(&nb, &t);
    let acc = t.complete("test_acc_cifar10").unwrap();
    let dev = Counted::new(t.device("latency_ms_raspi4", None).unwrap());
    let pred = predict_all(&nb, &w, &t.archs).unwrap();
    // Eq. 1.6 solved exhaustively on the proxy's predictors.
    let solve = |tt: f64| {
        let best = edgeopt::codesign::weighted_argmin(&acc, &pred, tt).unwrap();
        Ok((t.archs[best], acc[best]))
    };
    let mut bis = Bisection::new(solve);
    let mut lats: Vec<f64> = t.archs.iter().map(|a| dev.inner().peek(a).unwrap().latency).collect();
    lats.sort_by(f64::total_cmp);
    let granularity = 0.001;
    for q in [0.2, 0.5, 0.8] {
        let bound = lats[(q * (lats.len() - 1) as f64) as usize];
        let delta = 0.02 * bound;
        let before = dev.count();
        let r = bis.find(&dev, bound, delta, granularity).unwrap();
        assert!(
            r.measurements
                <= Bisection::<Nb201Arch, fn(f64) -> edgeopt::codesign::Result<(Nb201Arch, f64)>>::budget(granularity)
        );
        assert_eq!(dev.count() - before, r.measurements);
        let arch = r.arch.expect("a design meets the constraint");
        assert!(dev.inner().peek(&arch).unwrap().latency <= bound + delta);
    }
}

#[test]
fn semi_decoupled_finds_the_coupled_optimum_on_the_accelerator_grid() {
    let (nb, t) = data();
    let acc = t.complete("test_acc_cifar10").unwrap();
    // Every 40th architecture keeps the test quick in debug builds.
    let idx: Vec<usize> = (0..t.archs.len()).step_by(40).collect();
    let archs: Vec<Nb201Arch> = idx.iter().map(|&i| t.archs[i]).collect();
    let accuracy: Vec<f64> = idx.iter().map(|&i| acc[i]).collect();
    let space = HardwareSpace::calibration();
    let nets: Vec<_> = archs.iter().map(|a| nb.layers(a)).collect();
    let m = space.cost_matrix(&nets, &EnergyModel::maestro());
    // The cost matrix equals direct evaluation through an AcceleratorDevice.
    for j in [0, 77, 161] {
        let dev = AcceleratorDevice::cached(&nb, space.get(j).unwrap());
        assert_eq!(dev.measure(&archs[3]).unwrap().latency, m.cycles[3][j].unwrap() as f64);
        assert_eq!(space.get(j).unwrap().evaluate(&nets[3]).unwrap().cycles, m.cycles[3][j].unwrap());
    }
    let latency: Vec<Vec<Option<f64>>> =
        m.cycles.iter().map(|r| r.iter().map(|c| c.map(|v| v as f64)).collect()).collect();
    let admissible = vec![true; space.len()];
    let p = Problem { accuracy: &accuracy, latency: &latency, energy: &m.energy_nj, admissible: &admissible };
    let mut all_lat: Vec<f64> = latency.iter().flatten().flatten().copied().collect();
    all_lat.sort_by(f64::total_cmp);
    let mut all_en: Vec<f64> = m.energy_nj.iter().flatten().flatten().copied().collect();
    all_en.sort_by(f64::total_cmp);
    let (mut same, mut total) = (0, 0);
    for q in [0.05, 0.2, 0.5] {
        let (l, e) = (all_lat[(q * all_lat.len() as f64) as usize], all_en[(q * all_en.len() as f64) as usize]);
        let coupled = p.fully_coupled(l, e).unwrap();
        for h0 in (0..space.len()).step_by(9) {
            let set = p.pareto_set(h0, 100).unwrap();
            let semi = p.semi_decoupled(&set, l, e).unwrap();
            assert!(semi.evaluations * 10 < coupled.evaluations || coupled.evaluations < 50_000);
            total += 1;
            if semi.design.map(|d| d.accuracy) == coupled.design.map(|d| d.accuracy) {
                same += 1;
            }
            let dec = p.fully_decoupled(h0, l, e).unwrap();
            if let (Some(d), Some(c)) = (dec.design, coupled.design) {
                assert!(d.accuracy <= c.accuracy);
            }
        }
    }
    assert!(same as f64 >= 0.95 * total as f64, "{same}/{total}");
}

#[test]
fn the_two_stage_driver_finds_the_matrix_designs_with_only_the_calls_it_reports() {
    let (nb, t) = data();
    let acc = t.complete("test_acc_cifar10").unwrap();
    // Every 31st architecture (504) × the 162 accelerators of the calibration grid.
    let idx: Vec<usize> = (0..t.archs.len()).step_by(31).collect();
    let archs: Vec<Nb201Arch> = idx.iter().map(|&i| t.archs[i]).collect();
    let accuracy: Vec<f64> = idx.iter().map(|&i| acc[i]).collect();
    let space = HardwareSpace::calibration();
    // The matrix form, every pair costed through the same (uncounted) accelerator devices.
    let full: Vec<Vec<edgeopt::codesign::Measurement>> = {
        use rayon::prelude::*;
        let devs: Vec<_> = (0..space.len()).map(|h| AcceleratorDevice::cached(&nb, space.get(h).unwrap())).collect();
        archs.par_iter().map(|a| devs.iter().map(|d| d.measure(a).unwrap()).collect()).collect()
    };
    let latency: Vec<Vec<Option<f64>>> = full.iter().map(|r| r.iter().map(|m| Some(m.latency)).collect()).collect();
    let energy: Vec<Vec<Option<f64>>> = full.iter().map(|r| r.iter().map(|m| Some(m.energy)).collect()).collect();
    // A resource budget that leaves out the largest arrays.
    let admissible: Vec<bool> = (0..space.len()).map(|h| space.get(h).unwrap().hardware.num_pes() <= 256).collect();
    let matrix = Problem { accuracy: &accuracy, latency: &latency, energy: &energy, admissible: &admissible };
    let devices: Vec<Counted<_>> =
        (0..space.len()).map(|h| Counted::new(AcceleratorDevice::cached(&nb, space.get(h).unwrap()))).collect();
    let lazy = TwoStage::new(&archs, &accuracy, &devices, &admissible).unwrap();
    let admitted = admissible.iter().filter(|&&a| a).count();
    for h0 in [0, 40, 121] {
        let calls_before: usize = devices.iter().map(Counted::count).sum();
        let proxy = lazy.proxy_stage(h0, 30).unwrap();
        assert_eq!(proxy.set, matrix.pareto_set(h0, 30).unwrap(), "same proxy Pareto set");
        let hw = lazy.hardware_stage(&proxy).unwrap();
        let calls: usize = devices.iter().map(Counted::count).sum::<usize>() - calls_before;
        assert_eq!(proxy.measurements, archs.len());
        assert_eq!(hw.measurements, proxy.set.len() * admitted);
        assert_eq!(calls, proxy.measurements + hw.measurements, "every reported evaluation is a real call");
        assert!(calls * 10 < archs.len() * space.len(), "{calls} calls instead of {}", archs.len() * space.len());
        for (l, e) in matrix.constraint_grid(h0, 3, 3).unwrap() {
            let want = matrix.semi_decoupled(&proxy.set, l, e).unwrap().design;
            assert_eq!(lazy.best(&proxy, &hw, l, e), want, "L {l}, E {e}, proxy {h0}");
        }
    }
    // A device that fails for another reason than the cost model stops the study with its error.
    let failing = [edgeopt::codesign::FnDevice::new("board", |_: &Nb201Arch| {
        Err::<edgeopt::codesign::Measurement, _>(std::io::Error::other("no answer"))
    })];
    let study = TwoStage::new(&archs[..5], &accuracy[..5], &failing, &[true]).unwrap();
    assert!(matches!(study.proxy_stage(0, 3), Err(edgeopt::codesign::CodesignError::Device { .. })));
    assert!(TwoStage::new(&archs[..5], &accuracy[..4], &failing, &[true]).is_err());
    assert!(TwoStage::new(&archs[..5], &[f64::NAN; 5], &failing, &[true]).is_err());
}
