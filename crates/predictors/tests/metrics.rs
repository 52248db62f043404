//! Rank metrics against scipy on real data, and their invariants.

use edgeopt_predictors::metrics::{
    average_ranks, bootstrap_srcc, kendall_tau, mape, pearson, rmse, spearman, srcc_matrix, within,
};
use edgeopt_predictors::rand::{SeedableRng, rngs::ChaCha8Rng};
use proptest::prelude::*;

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
