//! The energy extension of bisection and the nested co-design baseline.

use edgeopt::codesign::semi_decoupled::Problem;
use edgeopt::codesign::{ArchTable, Bisection2, Counted};
use edgeopt::nas::{Nb201, Nb201Arch};
use edgeopt::predictors::data::DeviceTable;

#[test]
fn bisection_on_t1_t2_meets_latency_and_energy_bounds() {
    let nb = Nb201::cifar10();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/nb201_hwnasbench_cifar10.csv.gz");
    let t = ArchTable::new(&nb, DeviceTable::read(&path).unwrap(), "arch_str").unwrap();
    let acc = t.complete("test_acc_cifar10").unwrap();
    let dev = Counted::new(t.device("latency_ms_edgegpu", Some("energy_mj_edgegpu")).unwrap());
    let pool: Vec<(Nb201Arch, f64, f64, f64)> = t
        .archs
        .iter()
        .zip(&acc)
        .filter_map(|(a, &ac)| dev.inner().peek(a).filter(|m| m.energy > 0.0).map(|m| (*a, ac, m.latency, m.energy)))
        .collect();
    let (amax, lmax, emax) =
        pool.iter().fold((0.0f64, 0.0f64, 0.0f64), |m, p| (m.0.max(p.1), m.1.max(p.2), m.2.max(p.3)));
    // Predictors standing in for the proxy's: here the device's own (noise-free) values.
    let solve = |t1: f64, t2: f64| {
        let f =
            |p: &(Nb201Arch, f64, f64, f64)| -(1.0 - t1 - t2).max(0.0) * p.1 / amax + t1 * p.2 / lmax + t2 * p.3 / emax;
        let best = pool.iter().min_by(|x, y| f(x).total_cmp(&f(y)).then(x.0.cmp(&y.0))).unwrap();
        Ok((best.0, best.1))
    };
    let mut bis = Bisection2::new(solve);
    let mut lats: Vec<f64> = pool.iter().map(|p| p.2).collect();
    lats.sort_by(f64::total_cmp);
    let mut ens: Vec<f64> = pool.iter().map(|p| p.3).collect();
    ens.sort_by(f64::total_cmp);
    let (l, e) = (lats[lats.len() / 2], ens[ens.len() / 2]);
    let r = bis.find(&dev, l, e, (0.02 * l, 0.02 * e), 0.01).unwrap();
    assert!(
        r.measurements
            <= Bisection2::<Nb201Arch, fn(f64, f64) -> edgeopt::codesign::Result<(Nb201Arch, f64)>>::budget(0.01)
    );
    assert_eq!(r.measurements, dev.count());
    let arch = r.arch.expect("both bounds can be met");
    let m = dev.inner().peek(&arch).unwrap();
    assert!(m.latency <= 1.02 * l && m.energy <= 1.02 * e, "{m:?} vs ({l}, {e})");
}

#[test]
fn nested_search_with_an_exhaustive_inner_nas_equals_the_coupled_optimum() {
    let accuracy = vec![70.0, 80.0, 90.0, 95.0];
    // 4 architectures × 3 accelerators.
    let latency = vec![
        vec![Some(1.0), Some(2.0), Some(1.5)],
        vec![Some(2.0), Some(3.0), Some(2.5)],
        vec![Some(4.0), Some(2.5), Some(5.0)],
        vec![Some(9.0), Some(8.0), None],
    ];
    let energy = vec![vec![Some(1.0); 3]; 4];
    let admissible = vec![true, true, false];
    let p = Problem { accuracy: &accuracy, latency: &latency, energy: &energy, admissible: &admissible };
    let coupled = p.fully_coupled(3.0, 10.0).unwrap();
    assert_eq!(coupled.design.unwrap().arch, 2);
    assert_eq!(coupled.design.unwrap().accel, 1);
    assert_eq!(coupled.evaluations, 8);
    let inner = |h: usize| {
        let best = (0..4)
            .filter(|&a| latency[a][h].is_some_and(|l| l <= 3.0))
            .max_by(|&a, &b| accuracy[a].total_cmp(&accuracy[b]));
        Ok((best, 4))
    };
    let nested = p.nested(&inner).unwrap();
    assert_eq!(nested.design, coupled.design);
    assert_eq!(nested.evaluations, 8);
    let set = p.pareto_set(0, 10).unwrap();
    assert_eq!(set, vec![0, 1, 2, 3]);
    assert_eq!(p.semi_decoupled(&set, 3.0, 10.0).unwrap().design, coupled.design);
    let dec = p.fully_decoupled(0, 3.0, 10.0).unwrap();
    assert_eq!(dec.design.unwrap().arch, 1, "decoupled fixes the architecture on accelerator 0 first");
    // Mismatched shapes are errors, not panics.
    let bad = Problem { accuracy: &accuracy[..3], latency: &latency, energy: &energy, admissible: &admissible };
    assert!(bad.fully_coupled(1.0, 1.0).is_err());
    assert!(p.pareto_set(7, 10).is_err());
    // Indices from the caller are checked, not trusted.
    assert!(p.semi_decoupled(&[9], 3.0, 10.0).is_err());
    let bad_inner = |_: usize| Ok((Some(99), 1));
    assert!(p.nested(&bad_inner).is_err());
    let ragged = edgeopt::codesign::monotonicity::mean_srcc(&[vec![1.0, 0.5], vec![]]);
    assert_eq!(ragged[0], 0.5);
    assert!(ragged[1].is_nan());
    assert_eq!(
        edgeopt::codesign::one_proxy::choose_proxy(&[vec![1.0, 0.2, 0.9], vec![0.2, 1.0, 0.3], vec![0.9, 0.3, 1.0]]),
        Some(2)
    );
}
