//! Stages of alg. 6 against brute force over every (architecture, accelerator) pair.

use edgeopt_codesign::semi_decoupled::{Design, Problem};
use proptest::prelude::*;

type Matrix = Vec<Vec<Option<f64>>>;

fn problem() -> impl Strategy<Value = (Vec<f64>, Matrix, Matrix, Vec<bool>)> {
    (1usize..12, 1usize..8).prop_flat_map(|(na, nh)| {
        let cell = proptest::option::weighted(0.9, (0i32..10).prop_map(f64::from));
        (
            proptest::collection::vec((0i32..5).prop_map(f64::from), na),
            proptest::collection::vec(proptest::collection::vec(cell.clone(), nh), na),
            proptest::collection::vec(proptest::collection::vec(cell, nh), na),
            proptest::collection::vec(proptest::bool::weighted(0.8), nh),
        )
    })
}

/// The most accurate pair meeting (L, E) among `archs` × admissible accelerators; ties go to the
/// lower (architecture, accelerator).
fn brute(p: &Problem, archs: &[usize], l: f64, e: f64) -> Option<Design> {
    let mut best: Option<Design> = None;
    for &a in archs {
        for h in 0..p.admissible.len() {
            let ok =
                p.admissible[h] && matches!((p.latency[a][h], p.energy[a][h]), (Some(x), Some(y)) if x <= l && y <= e);
            let better = best.is_none_or(|b| {
                p.accuracy[a] > b.accuracy || (p.accuracy[a] == b.accuracy && (a, h) < (b.arch, b.accel))
            });
            if ok && better {
                best = Some(Design { arch: a, accel: h, accuracy: p.accuracy[a] });
            }
        }
    }
    best
}

proptest! {
    #[test]
    fn stage_two_and_the_decoupled_baseline_equal_brute_force(
        (acc, lat, en, adm) in problem(),
        l in 0i32..10,
        e in 0i32..10,
        set_mask in proptest::collection::vec(any::<bool>(), 12),
        h0 in 0usize..8,
    ) {
        let p = Problem { accuracy: &acc, latency: &lat, energy: &en, admissible: &adm };
        let (l, e) = (f64::from(l), f64::from(e));
        let set: Vec<usize> = (0..acc.len()).filter(|&a| set_mask[a]).collect();
        prop_assert_eq!(p.semi_decoupled(&set, l, e).unwrap().design, brute(&p, &set, l, e));
        // The order of the set does not matter.
        let reversed: Vec<usize> = set.iter().rev().copied().collect();
        prop_assert_eq!(p.semi_decoupled(&reversed, l, e).unwrap().design, brute(&p, &set, l, e));
        let all: Vec<usize> = (0..acc.len()).collect();
        prop_assert_eq!(p.fully_coupled(l, e).unwrap().design, brute(&p, &all, l, e));
        let h0 = h0 % adm.len();
        // Fully decoupled: the proxy's most accurate architecture under (L, E), then its first fit.
        let on_proxy = brute(&Problem { admissible: &(0..adm.len()).map(|h| h == h0).collect::<Vec<_>>(), ..p.clone() }, &all, l, e);
        let want = on_proxy.and_then(|d| brute(&p, &[d.arch], l, e));
        prop_assert_eq!(p.fully_decoupled(h0, l, e).unwrap().design, want);
        let pairs = [(l, e), (l + 1.0, e), (l, e + 2.0)];
        let many = p.fully_decoupled_all(h0, &pairs).unwrap();
        for (&(l, e), o) in pairs.iter().zip(&many) {
            prop_assert_eq!(o.design, p.fully_decoupled(h0, l, e).unwrap().design);
        }
        prop_assert_eq!(p.proxy_set(h0, &[(l, e)]).unwrap(), on_proxy.map(|d| d.arch).into_iter().collect::<Vec<_>>());
        // Stage 1's Pareto set: every runnable architecture no other beats in latency, energy and
        // accuracy on the proxy, thinned evenly by latency when larger than `max`.
        let runs = |a: usize| lat[a][h0].is_some() && en[a][h0].is_some();
        let beats = |b: usize, a: usize| {
            let (lb, eb, la, ea) = (lat[b][h0].unwrap(), en[b][h0].unwrap(), lat[a][h0].unwrap(), en[a][h0].unwrap());
            lb <= la && eb <= ea && acc[b] >= acc[a] && (lb < la || eb < ea || acc[b] > acc[a])
        };
        let mut front: Vec<usize> = (0..acc.len()).filter(|&a| runs(a) && !(0..acc.len()).any(|b| runs(b) && beats(b, a))).collect();
        front.sort_by(|&x, &y| lat[x][h0].unwrap().total_cmp(&lat[y][h0].unwrap()).then(x.cmp(&y)));
        for max in [1usize, 2, 3, 100] {
            let mut want = front.clone();
            if want.len() > max {
                let n = want.len();
                want = (0..max).map(|k| want[if max == 1 { n - 1 } else { k * (n - 1) / (max - 1) }]).collect();
                want.dedup();
            }
            want.sort_unstable();
            prop_assert_eq!(p.pareto_set(h0, max).unwrap(), want.clone());
            prop_assert_eq!(p.pareto_sets(&[h0, h0], max).unwrap(), vec![want.clone(), want]);
        }
    }
}

#[test]
fn a_nan_accuracy_is_an_error_naming_the_architecture() {
    let acc = [90.0, f64::NAN];
    let m = vec![vec![Some(1.0)]; 2];
    let p = Problem { accuracy: &acc, latency: &m, energy: &m, admissible: &[true] };
    let err = p.fully_coupled(2.0, 2.0).unwrap_err().to_string();
    assert!(err.contains("architecture 1") && err.contains("NaN"), "{err}");
    assert!(p.pareto_set(0, 5).is_err() && p.semi_decoupled(&[0], 2.0, 2.0).is_err());
}
