//! Rank metrics against scipy on real data, and their invariants.

use edgeopt_predictors::data::DeviceTable;
use edgeopt_predictors::metrics::{
    average_ranks, bootstrap_srcc, kendall_tau, mape, pearson, rmse, spearman, srcc_matrix, within,
};
use edgeopt_predictors::rand::{SeedableRng, rngs::ChaCha8Rng};
use proptest::prelude::*;

fn nb201() -> DeviceTable {
    DeviceTable::read(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/nb201_hwnasbench_cifar10.csv.gz"),
    )
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
fn degenerate_inputs_are_errors_not_nan() {
    assert!(spearman(&[1.0, 2.0], &[1.0]).is_err());
    assert!(spearman(&[1.0], &[1.0]).is_err());
    assert!(spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]).unwrap_err().to_string().contains("constant"));
    assert!(spearman(&[1.0, f64::INFINITY], &[1.0, 2.0]).unwrap_err().to_string().contains("inf"));
    assert!(kendall_tau(&[2.0, 2.0], &[1.0, 3.0]).is_err());
    assert!(pearson(&[], &[]).is_err());
    assert!(mape(&[1.0], &[0.0]).is_err());
    assert!(rmse(&[f64::NAN], &[1.0]).is_err());
    assert!(srcc_matrix(&[vec![Some(1.0), None, Some(2.0)], vec![Some(1.0), Some(2.0), None]]).is_err());
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    assert!(bootstrap_srcc(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0], 100, 1.5, &mut rng).is_err());
}

#[test]
fn error_metrics() {
    assert!((rmse(&[1.0, 3.0], &[2.0, 2.0]).unwrap() - 1.0).abs() < 1e-12);
    assert!((mape(&[110.0, 90.0], &[100.0, 100.0]).unwrap() - 10.0).abs() < 1e-12);
    assert_eq!(within(&[105.0, 120.0], &[100.0, 100.0], 0.1).unwrap(), 0.5);
    assert_eq!(average_ranks(&[2.0, 2.0, 1.0]), vec![2.5, 2.5, 1.0]);
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

fn series() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    (3usize..40).prop_flat_map(|n| {
        (proptest::collection::vec(-1e3f64..1e3, n), proptest::collection::vec((-50i32..50).prop_map(f64::from), n))
    })
}

proptest! {
    #[test]
    fn spearman_is_invariant_under_increasing_transforms((x, y) in series()) {
        if let Ok(r) = spearman(&x, &y) {
            let fx: Vec<f64> = x.iter().map(|v| (v / 100.0).exp() * 3.0 + 1.0).collect();
            let gy: Vec<f64> = y.iter().map(|v| v * v * v + 7.0).collect();
            let r2 = spearman(&fx, &gy).unwrap();
            prop_assert!((r - r2).abs() < 1e-9, "{} vs {}", r, r2);
        }
    }

    #[test]
    fn spearman_is_symmetric_and_bounded((x, y) in series()) {
        match (spearman(&x, &y), spearman(&y, &x)) {
            (Ok(a), Ok(b)) => {
                prop_assert!((a - b).abs() < 1e-12);
                prop_assert!((-1.0..=1.0).contains(&a));
            }
            (Err(_), Err(_)) => {}
            other => prop_assert!(false, "asymmetric validity {:?}", other),
        }
    }

    #[test]
    fn kendall_is_bounded_and_agrees_in_sign_with_perfect_order(x in proptest::collection::vec(-1e3f64..1e3, 3..30)) {
        let y: Vec<f64> = x.iter().map(|v| 2.0 * v).collect();
        if let Ok(t) = kendall_tau(&x, &y) {
            prop_assert!((t - 1.0).abs() < 1e-12);
        }
    }
}
