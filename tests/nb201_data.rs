//! Checks on the embedded NAS-Bench-201 × HW-NAS-Bench table (the root package owns `data/`, so
//! these live here rather than in the crates they test).

use edgeopt::nas::{Nb201, SearchSpace};
use edgeopt::predictors::data::DeviceTable;
use edgeopt::predictors::metrics::{bootstrap_srcc, kendall_tau, spearman, srcc_matrix};
use edgeopt::predictors::rand::{SeedableRng, rngs::ChaCha8Rng};

fn nb201() -> DeviceTable {
    DeviceTable::read(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/nb201_hwnasbench_cifar10.csv.gz"))
        .unwrap()
}

#[test]
fn spearman_and_kendall_match_scipy_on_nb201_with_ties() {
    let table = nb201();
    assert_eq!(table.len(), 15_625);
    let mut rdr =
        csv::Reader::from_path(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/scipy_spearman_nb201.csv")).unwrap();
    let mut checked = 0;
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let (a, b) = (table.numeric(&rec[0]).unwrap(), table.numeric(&rec[1]).unwrap());
        let (x, y): (Vec<f64>, Vec<f64>) = a.iter().zip(&b).filter_map(|(p, q)| Some(((*p)?, (*q)?))).unzip();
        assert_eq!(x.len(), rec[2].parse::<usize>().unwrap());
        let rho: f64 = rec[3].parse().unwrap();
        let tau: f64 = rec[4].parse().unwrap();
        let ours = spearman(&x, &y).unwrap();
        assert!((ours - rho).abs() < 1e-9, "{} vs {}: {ours} vs scipy {rho}", &rec[0], &rec[1]);
        let ours_tau = kendall_tau(&x[..2000], &y[..2000]).unwrap();
        assert!((ours_tau - tau).abs() < 1e-9, "{} vs {}: tau {ours_tau} vs scipy {tau}", &rec[0], &rec[1]);
        checked += 1;
    }
    assert_eq!(checked, 55);
}

#[test]
fn srcc_matrix_uses_common_rows() {
    let table = nb201();
    let cols: Vec<Vec<Option<f64>>> = ["latency_ms_pixel3", "latency_ms_edgetpu", "latency_ms_raspi4"]
        .iter()
        .map(|c| table.numeric(c).unwrap())
        .collect();
    let m = srcc_matrix(&cols).unwrap();
    assert_eq!(m[0][0], 1.0);
    assert_eq!(m[0][1], m[1][0]);
    assert!(m[0][2] > 0.9, "pixel3 vs raspi4 {}", m[0][2]);
}

#[test]
fn bootstrap_interval_brackets_the_sample_srcc_and_is_seeded() {
    let table = nb201();
    let a: Vec<f64> = table.numeric("latency_ms_pixel3").unwrap().into_iter().take(40).map(|v| v.unwrap()).collect();
    let b: Vec<f64> = table.numeric("latency_ms_fpga").unwrap().into_iter().take(40).map(|v| v.unwrap()).collect();
    let e1 = bootstrap_srcc(&a, &b, 500, 0.9, &mut ChaCha8Rng::seed_from_u64(3)).unwrap();
    let e2 = bootstrap_srcc(&a, &b, 500, 0.9, &mut ChaCha8Rng::seed_from_u64(3)).unwrap();
    assert_eq!(e1, e2);
    assert!(e1.lower <= e1.estimate && e1.estimate <= e1.upper, "{e1:?}");
}

#[test]
fn nb201_flops_match_the_benchmark_for_every_architecture() {
    let table = nb201();
    let keys = table.text("arch_str").unwrap();
    let ops = table.text("ops").unwrap();
    let flops = table.numeric("flops_m").unwrap();
    let space = Nb201::cifar10();
    for ((key, digits), f) in keys.iter().zip(&ops).zip(&flops) {
        let arch = space.parse_key(key).unwrap();
        assert_eq!(space.key(&arch), *key);
        assert_eq!(arch.digits(), *digits);
        let ours = space.reported_flops(&arch) as f64 / 1e6;
        assert!((ours - f.unwrap()).abs() < 1e-5, "{key}: {ours} vs {}", f.unwrap());
    }
    assert_eq!(keys.len(), 15_625);
    let all = space.enumerate().unwrap();
    assert_eq!(all.len(), 15_625);
    let distinct: std::collections::HashSet<_> = all.iter().collect();
    assert_eq!(distinct.len(), 15_625);
}

#[test]
fn a_gcn_predicts_pixel3_latency_rankings_from_cell_graphs() {
    use edgeopt::predictors::GcnRegressor;
    use edgeopt::predictors::metrics::spearman;
    use edgeopt::predictors::ndarray::Array1;
    let table = nb201();
    let space = Nb201::cifar10();
    let keys = table.text("arch_str").unwrap();
    let lat = table.numeric("latency_ms_pixel3").unwrap();
    let graphs: Vec<_> = keys.iter().step_by(13).map(|k| space.graph(&space.parse_key(k).unwrap())).collect();
    let y: Vec<f64> = lat.iter().step_by(13).map(|v| v.unwrap()).collect();
    let (train, test) = graphs.split_at(600);
    let model = GcnRegressor { epochs: 40, ..GcnRegressor::default() }
        .fit(train, Array1::from(y[..600].to_vec()).view())
        .unwrap();
    let pred: Vec<f64> = test.iter().map(|g| model.predict_graph(g).unwrap()).collect();
    let srcc = spearman(&pred, &y[600..]).unwrap();
    assert!(srcc > 0.9, "GCN SRCC {srcc}");
}

#[test]
fn gcn_head_adaptation_moves_a_pixel3_predictor_towards_the_edge_gpu() {
    use edgeopt::predictors::metrics::spearman;
    use edgeopt::predictors::ndarray::Array1;
    use edgeopt::predictors::{AdaProxy, GcnRegressor, predict_adapted};
    let table = nb201();
    let space = Nb201::cifar10();
    let keys = table.text("arch_str").unwrap();
    let (p3, gpu) = (table.numeric("latency_ms_pixel3").unwrap(), table.numeric("latency_ms_edgegpu").unwrap());
    let rows: Vec<usize> = (0..keys.len()).step_by(11).filter(|&i| gpu[i].is_some()).collect();
    let graphs: Vec<_> = rows.iter().map(|&i| space.graph(&space.parse_key(keys[i]).unwrap())).collect();
    let y3: Vec<f64> = rows.iter().map(|&i| p3[i].unwrap()).collect();
    let yg: Vec<f64> = rows.iter().map(|&i| gpu[i].unwrap()).collect();
    let model = GcnRegressor { epochs: 40, ..GcnRegressor::default() }
        .fit(&graphs[..600], Array1::from(y3[..600].to_vec()).view())
        .unwrap();
    let head = model
        .adapt_head(
            &AdaProxy::default(),
            &graphs[600..640],
            Array1::from(yg[600..640].to_vec()).view(),
            &graphs[640..660],
            Array1::from(yg[640..660].to_vec()).view(),
        )
        .unwrap();
    let test = &graphs[660..];
    let before =
        spearman(&test.iter().map(|g| model.predict_graph(g).unwrap()).collect::<Vec<_>>(), &yg[660..]).unwrap();
    let after =
        spearman(&test.iter().map(|g| predict_adapted(&model, &head, g).unwrap()).collect::<Vec<_>>(), &yg[660..])
            .unwrap();
    assert!(after > before, "edge GPU SRCC {before} -> {after}");
}
