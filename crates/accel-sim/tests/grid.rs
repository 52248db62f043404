//! Batch and grid evaluation agree with one-by-one evaluation, whatever the thread count.

use edgeopt_accel_sim::{
    Accelerator, AreaModel, EnergyModel, HardwareSpace, ResourceBudget, evaluate_batch, layer_csv, rand::SeedableRng,
};

fn mobilenet() -> Vec<edgeopt_accel_sim::Layer> {
    layer_csv::parse(include_str!("../benches/mobilenetv2.csv"), "mobilenetv2.csv").unwrap()
}

#[test]
fn grid_evaluation_equals_direct_evaluation() {
    let space = HardwareSpace::calibration();
    let nets = vec![mobilenet(), mobilenet()[..5].to_vec()];
    let accs = space.enumerate().unwrap();
    let fast = space.evaluate(&nets, &EnergyModel::maestro());
    let batch = evaluate_batch(&nets, &accs);
    assert_eq!(fast.len(), 2);
    for (i, net) in nets.iter().enumerate() {
        assert_eq!(fast[i].len(), 162);
        for j in (0..162).step_by(7) {
            let direct = accs[j].evaluate(net).unwrap();
            assert_eq!(fast[i][j].as_ref().unwrap(), &direct, "net {i} acc {}", accs[j].label());
            assert_eq!(batch[i][j].as_ref().unwrap(), &direct);
        }
    }
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let space = HardwareSpace::calibration();
    let nets = vec![mobilenet()];
    let accs = space.enumerate().unwrap();
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let (a, b) = one.install(|| (space.evaluate(&nets, &EnergyModel::maestro()), evaluate_batch(&nets, &accs)));
    let (c, d) = (space.evaluate(&nets, &EnergyModel::maestro()), evaluate_batch(&nets, &accs));
    assert_eq!(a, c);
    assert_eq!(b, d);
}

#[test]
fn spaces_enumerate_sample_and_filter() {
    let space = HardwareSpace::thesis();
    assert_eq!(space.len(), 1296);
    space.validate().unwrap();
    let all = space.enumerate().unwrap();
    assert_eq!(all[0].label(), "kc-p/16pe/noc300/off50");
    assert_eq!(all[1295].label(), "x-p/512pe/noc1000/off350");
    assert!(space.get(1296).is_err());

    let mut rng = edgeopt_accel_sim::rand::rngs::ChaCha8Rng::seed_from_u64(7);
    let s1: Vec<String> = space.sample(&mut rng, 20).unwrap().iter().map(|a| a.label()).collect();
    let mut rng = edgeopt_accel_sim::rand::rngs::ChaCha8Rng::seed_from_u64(7);
    let s2: Vec<String> = space.sample(&mut rng, 20).unwrap().iter().map(|a| a.label()).collect();
    assert_eq!(s1, s2);

    let area = AreaModel::default();
    let budget = ResourceBudget { max_pes: Some(64), ..ResourceBudget::default() };
    assert_eq!(space.enumerate_within(&budget, &area).unwrap().len(), 3 * 8 * 9 * 3);
    let tight = ResourceBudget { max_area_mm2: Some(area.area_mm2(&all[0].hardware)), ..ResourceBudget::default() };
    let within = space.enumerate_within(&tight, &area).unwrap();
    assert!(!within.is_empty() && within.iter().all(|a| a.hardware.num_pes() == 16));

    let empty = HardwareSpace { pes: vec![], ..HardwareSpace::thesis() };
    assert!(empty.validate().is_err());
    // An empty space costs nothing and does not panic.
    let nets = vec![mobilenet()];
    assert_eq!(empty.evaluate(&nets, &edgeopt_accel_sim::EnergyModel::maestro()), vec![Vec::new()]);
    assert!(empty.cost_matrix(&nets, &edgeopt_accel_sim::EnergyModel::maestro()).cycles[0].is_empty());
    assert!(empty.sample(&mut rng, 1).is_err());
    let bad = HardwareSpace { noc_bw: vec![0], ..HardwareSpace::thesis() };
    assert!(bad.validate().unwrap_err().to_string().contains("noc_bw"));
}

#[test]
fn a_cached_accelerator_equals_the_plain_one_across_networks_and_threads() {
    use edgeopt_accel_sim::{Accel, CachedAccel, Dataflow, HardwareConfig, Layer};
    use rayon::prelude::*;
    let net = mobilenet();
    for df in Dataflow::BUILT_IN {
        let acc = Accel::new(HardwareConfig::new(256, 600, 150).build().unwrap(), df.clone());
        let cached = CachedAccel::new(acc.clone());
        let plain = acc.evaluate(&net).unwrap();
        // Cold, then warm (names come from the network evaluated, not from the memo).
        assert_eq!(cached.evaluate(&net).unwrap(), plain);
        let shapes = cached.cached_shapes();
        assert!(shapes < net.len(), "{shapes} shapes for {} layers", net.len());
        let renamed: Vec<Layer> = net.iter().map(|l| Layer { name: format!("x{}", l.name), ..l.clone() }).collect();
        let warm = cached.evaluate(&renamed).unwrap();
        assert_eq!(warm, acc.evaluate(&renamed).unwrap());
        assert_eq!(cached.cached_shapes(), shapes);
        assert_eq!(cached.cycles(&net).unwrap(), plain.cycles);
        // Shared by threads: prefixes of the network, evaluated in parallel, equal the plain results.
        cached.clear();
        let par: Vec<u64> = (1..=net.len()).into_par_iter().map(|n| cached.cycles(&net[..n]).unwrap()).collect();
        let seq: Vec<u64> = (1..=net.len()).map(|n| acc.cycles(&net[..n]).unwrap()).collect();
        assert_eq!(par, seq);
    }
    // Errors are reported, not cached.
    let small = CachedAccel::new(Accel::new(HardwareConfig::new(16, 60, 10).build().unwrap(), Dataflow::YrP));
    let bad = [Layer::conv("wide", 8, 8, 9, 9, 4, 4, 1)];
    assert!(small.evaluate(&bad).is_err());
    assert_eq!(small.cached_shapes(), 0);
}

#[test]
fn a_networks_cost_matrix_row_does_not_depend_on_the_batch_to_the_last_bit() {
    use edgeopt_accel_sim::{EnergyModel, Layer};
    // Shapes shared across networks in different first-seen orders, and repeated in a network,
    // so the row sums would run in another order if they followed the batch's shape numbering.
    let a = Layer::conv("a", 32, 16, 3, 3, 30, 30, 1);
    let b = Layer::depthwise("b", 32, 3, 3, 30, 30, 2);
    let c = Layer::fc("c", 10, 512);
    let x = vec![c.clone(), b.clone(), a.clone(), b.clone(), c.clone(), a.clone(), a.clone()];
    let y = vec![a.clone(), b.clone(), c.clone()];
    let space = HardwareSpace::calibration();
    let e = EnergyModel::maestro();
    let together = space.cost_matrix(&[y.clone(), x.clone()], &e);
    let alone = space.cost_matrix(std::slice::from_ref(&x), &e);
    for j in 0..space.len() {
        assert_eq!(together.cycles[1][j], alone.cycles[0][j]);
        assert_eq!(
            together.energy_nj[1][j].map(f64::to_bits),
            alone.energy_nj[0][j].map(f64::to_bits),
            "accelerator {j}"
        );
    }
}

#[test]
fn leakage_energy_is_static_power_times_run_time_and_opens_a_latency_energy_trade_off() {
    use edgeopt_accel_sim::EnergyModel;
    let net = mobilenet();
    let space = HardwareSpace::calibration();
    let accs = space.enumerate().unwrap();
    let dynamic = space.evaluate(std::slice::from_ref(&net), &EnergyModel::extended()).swap_remove(0);
    let leaky = space.evaluate(std::slice::from_ref(&net), &EnergyModel::with_leakage()).swap_remove(0);
    let front_size = |costs: &[Result<edgeopt_accel_sim::NetworkCost, _>]| {
        let pts: Vec<(u64, f64)> = costs.iter().map(|c| c.as_ref().map(|c| (c.cycles, c.energy_nj)).unwrap()).collect();
        pts.iter().filter(|a| !pts.iter().any(|b| b.0 <= a.0 && b.1 <= a.1 && (b.0 < a.0 || b.1 < a.1))).count()
    };
    for (j, acc) in accs.iter().enumerate() {
        let (d, l) = (dynamic[j].as_ref().unwrap(), leaky[j].as_ref().unwrap());
        assert_eq!(d.cycles, l.cycles);
        let per_layer: f64 =
            d.layers.iter().map(|x| EnergyModel::with_leakage().static_nj(&acc.hardware, x.cycles)).sum();
        assert!((l.energy_nj - d.energy_nj - per_layer).abs() <= 1e-9 * l.energy_nj, "accelerator {j}");
    }
    // Dynamic energy ignores bandwidth, so the fastest design is also (nearly) the most frugal;
    // with static energy, faster-through-bandwidth designs pay for it and a front appears.
    assert!(front_size(&leaky) > front_size(&dynamic).max(2), "{} vs {}", front_size(&leaky), front_size(&dynamic));
}

#[test]
fn the_dense_cost_matrix_equals_the_nested_one_bit_for_bit() {
    use edgeopt_accel_sim::{EnergyModel, Layer};
    // The second network cannot run on YR-P with fewer than 21 PEs (NaN there).
    let wide = vec![Layer::conv("big", 8, 8, 21, 21, 40, 40, 1), Layer::fc("f", 10, 64)];
    let nets = vec![mobilenet(), wide];
    let space = HardwareSpace::calibration();
    let e = EnergyModel::with_leakage();
    let nested = space.cost_matrix(&nets, &e);
    let dense = space.cost_matrix_dense(&nets, &e);
    assert_eq!((dense.rows, dense.cols, dense.distinct_layers), (2, space.len(), nested.distinct_layers));
    let mut missing = 0;
    for i in 0..2 {
        for j in 0..space.len() {
            let (c, en) = (dense.cycles[i * dense.cols + j], dense.energy_nj[i * dense.cols + j]);
            match (nested.cycles[i][j], nested.energy_nj[i][j]) {
                (Some(nc), Some(ne)) => assert_eq!((c, en.to_bits()), (nc as f64, ne.to_bits()), "({i}, {j})"),
                _ => {
                    assert!(c.is_nan() && en.is_nan(), "({i}, {j})");
                    missing += 1;
                }
            }
        }
    }
    assert!(missing > 0, "the test must cover pairs that cannot run");
}
