//! Pareto tools and evolutionary search.

use std::convert::Infallible;

use edgeopt_nas::evolution::front;
use edgeopt_nas::pareto::{dominates, hypervolume, non_dominated, prune_by_measurement};
use edgeopt_nas::{
    Batched, Constraints, Evaluation, Evolution, EvolutionConfig, Fitness, Lower, NasError, Nb201, Nb201Arch, Nsga2,
    Nsga2Config, Search, exhaustive, pareto_sweep,
};
use proptest::prelude::*;

fn points(d: usize) -> impl Strategy<Value = Vec<Vec<f64>>> {
    proptest::collection::vec(proptest::collection::vec((0i32..20).prop_map(f64::from), d), 1..40)
}

proptest! {
    #[test]
    fn front_equals_brute_force(pts in prop_oneof![points(2), points(3)]) {
        let got = non_dominated(&pts).unwrap();
        let want: Vec<usize> = (0..pts.len()).filter(|&i| !pts.iter().any(|q| dominates(q, &pts[i]))).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn hypervolume_never_decreases_when_a_point_is_added(pts in prop_oneof![points(2), points(3)], extra in proptest::collection::vec((0i32..20).prop_map(f64::from), 3)) {
        let d = pts[0].len();
        let reference = vec![21.0; d];
        let before = hypervolume(&pts, &reference).unwrap();
        let mut more = pts.clone();
        more.push(extra[..d].to_vec());
        let after = hypervolume(&more, &reference).unwrap();
        prop_assert!(after >= before - 1e-9, "{} < {}", after, before);
        // Dominated points add nothing.
        let front: Vec<Vec<f64>> = non_dominated(&pts).unwrap().into_iter().map(|i| pts[i].clone()).collect();
        prop_assert!((hypervolume(&front, &reference).unwrap() - before).abs() < 1e-9);
    }

    #[test]
    fn hypervolume_3d_counts_the_dominated_unit_cells(pts in points(3)) {
        // Integer points and reference 20: the volume is the number of unit cells [i, i+1)³ whose
        // lower corner some point weakly dominates — an oracle independent of any sweep.
        let cells = (0..20)
            .flat_map(|i| (0..20).flat_map(move |j| (0..20).map(move |k| [i, j, k].map(f64::from))))
            .filter(|c| pts.iter().any(|p| p.iter().zip(c).all(|(a, b)| a <= b)))
            .count();
        prop_assert_eq!(hypervolume(&pts, &[20.0; 3]).unwrap(), cells as f64);
    }
}

#[test]
fn negative_zero_is_zero_for_dominance() {
    // (0, 3) dominates (−0, 5): −0 == 0, whatever order a sort puts them in.
    assert_eq!(non_dominated(&[vec![-0.0, 5.0], vec![0.0, 3.0]]).unwrap(), vec![1]);
    assert_eq!(non_dominated(&[vec![-0.0, 5.0, 1.0], vec![0.0, 3.0, 1.0]]).unwrap(), vec![1]);
}

#[test]
fn hypervolume_3d_of_a_unit_cube_corner() {
    let hv = hypervolume(&[vec![0.0, 0.0, 0.0]], &[1.0, 2.0, 3.0]).unwrap();
    assert_eq!(hv, 6.0);
    assert!(hypervolume(&[vec![0.0, 0.0]], &[1.0, 1.0, 1.0]).is_err());
    assert!(hypervolume(&[vec![f64::NAN, 0.0]], &[1.0, 1.0]).is_err());
    assert_eq!(prune_by_measurement(&[1.0, 2.0, 3.0], &[70.0, 69.0, 80.0]).unwrap(), vec![0, 2]);
}

fn toy_accuracy(a: &Nb201Arch) -> f64 {
    a.0.iter()
        .enumerate()
        .map(|(i, op)| match op {
            edgeopt_nas::Nb201Op::Conv3x3 => 3.0 + i as f64 * 0.1,
            edgeopt_nas::Nb201Op::Conv1x1 => 2.0,
            edgeopt_nas::Nb201Op::Skip => 1.0,
            _ => 0.0,
        })
        .sum::<f64>()
}

/// Accuracy from the toy table, latency from MACs: a fallible objective that never fails.
fn toy(space: &Nb201) -> impl Fn(&Nb201Arch) -> Result<Evaluation, Infallible> + Sync + '_ {
    move |a| Ok(Evaluation::new(toy_accuracy(a), space.macs(a) as f64 / 1e6))
}

#[test]
fn evolution_finds_the_constrained_optimum_and_is_reproducible() {
    let space = Nb201::cifar10();
    let obj = toy(&space);
    let cfg = EvolutionConfig { population: 60, generations: 15, seed: 3, ..EvolutionConfig::default() };
    let cons = Constraints { max_latency: Some(60.0), max_energy: None };
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| Evolution::new(&space, &obj, cons, Fitness::Accuracy, cfg).unwrap().run(None).unwrap())
    };
    let a = run(1);
    let b = run(2);
    assert_eq!(a, b);
    // Exhaustive oracle.
    let all = exhaustive(&space, &obj).unwrap();
    let best = all.iter().filter(|(_, e)| e.latency <= 60.0).map(|(_, e)| e.accuracy).fold(f64::MIN, f64::max);
    let found = obj(&a.population[0]).unwrap();
    assert_eq!(found.accuracy, best);
    assert!(found.latency <= 60.0);
    assert!(!front(&all).unwrap().is_empty());
}

#[test]
fn resuming_a_checkpoint_gives_the_same_final_population() {
    let space = Nb201::cifar10();
    let obj = toy(&space);
    let cfg = EvolutionConfig { population: 40, generations: 8, seed: 11, ..EvolutionConfig::default() };
    let make = || Evolution::new(&space, &obj, Constraints::default(), Fitness::Weighted { t: 0.5 }, cfg).unwrap();
    let mut observed = Vec::new();
    let straight = make().run_observed(None, &mut |s| observed.push(s.generation)).unwrap();
    assert_eq!(observed, (0..=8).collect::<Vec<_>>(), "the observer sees every generation");
    let mut first = make();
    let mut state = first.init().unwrap();
    for _ in 0..3 {
        first.step(&mut state).unwrap();
    }
    let json = serde_json::to_string(&state).unwrap();
    let restored = serde_json::from_str(&json).unwrap();
    let resumed = make().run(Some(restored)).unwrap();
    assert_eq!(straight.population, resumed.population);
    // A state from a longer run, or with more members than the population, is refused rather
    // than returned as this run's result.
    let mut past: edgeopt_nas::EvolutionState<edgeopt_nas::Nb201Arch> = serde_json::from_str(&json).unwrap();
    past.generation = 9;
    let err = make().run(Some(past)).unwrap_err().to_string();
    assert!(err.contains("generation 9, past the 8 generations"), "{err}");
    let mut crowded: edgeopt_nas::EvolutionState<edgeopt_nas::Nb201Arch> = serde_json::from_str(&json).unwrap();
    while crowded.population.len() <= 40 {
        crowded.population.push(crowded.population[0]);
    }
    let err = make().run(Some(crowded)).unwrap_err().to_string();
    assert!(err.contains("41 members, more than the population of 40"), "{err}");
}

#[test]
fn an_infeasible_constraint_stops_with_an_error() {
    let space = Nb201::cifar10();
    let obj = toy(&space);
    let cfg = EvolutionConfig { population: 20, generations: 2, max_tries: 200, ..EvolutionConfig::default() };
    let cons = Constraints { max_latency: Some(-1.0), max_energy: None };
    let mut evo = Evolution::new(&space, &obj, cons, Fitness::Accuracy, cfg).unwrap();
    assert!(matches!(evo.run(None), Err(NasError::Infeasible { .. })));
    let bad = EvolutionConfig { population: 1, ..cfg };
    assert!(Evolution::new(&space, &obj, Constraints::default(), Fitness::Accuracy, bad).is_err());
    let nan = Constraints { max_latency: Some(f64::NAN), max_energy: None };
    assert!(Evolution::new(&space, &obj, nan, Fitness::Accuracy, cfg).is_err());
}

#[test]
fn a_failing_objective_stops_every_searcher_with_its_error_as_the_source() {
    let space = Nb201::cifar10();
    let failing = |a: &Nb201Arch| -> Result<Evaluation, std::io::Error> {
        if a.0.contains(&edgeopt_nas::Nb201Op::AvgPool) {
            return Err(std::io::Error::other("device timed out"));
        }
        Ok(Evaluation::new(toy_accuracy(a), 1.0))
    };
    let check = |e: NasError| {
        assert!(matches!(e, NasError::Objective { .. }), "{e}");
        assert!(e.to_string().contains("avg_pool_3x3"), "names the architecture: {e}");
        let source = std::error::Error::source(&e).expect("source kept");
        assert_eq!(source.to_string(), "device timed out");
    };
    let cfg = EvolutionConfig { population: 30, generations: 3, ..EvolutionConfig::default() };
    check(
        Evolution::new(&space, &failing, Constraints::default(), Fitness::Accuracy, cfg)
            .unwrap()
            .run(None)
            .unwrap_err(),
    );
    check(exhaustive(&space, &failing).unwrap_err());
    let vector = |a: &Nb201Arch| failing(a).map(|e| vec![e.latency, -e.accuracy]);
    let ncfg = Nsga2Config { population: 30, generations: 2, ..Nsga2Config::default() };
    check(Nsga2::new(&space, &vector, ncfg).unwrap().run(None).unwrap_err());
    // Non-finite values are refused by every searcher too, naming the objective.
    let nan = |_: &Nb201Arch| -> Result<Evaluation, Infallible> { Ok(Evaluation::new(f64::NAN, 1.0)) };
    let e = exhaustive(&space, &nan).unwrap_err();
    assert!(matches!(e, NasError::NonFiniteObjective { ref objective, .. } if objective == "accuracy"), "{e}");
}

#[test]
fn pareto_sweep_returns_a_non_dominated_set() {
    let space = Nb201::cifar10();
    let obj = toy(&space);
    let cfg = EvolutionConfig { population: 40, generations: 6, ..EvolutionConfig::default() };
    let sweep = pareto_sweep(&space, &obj, Constraints::default(), &[0.0, 0.3, 0.6, 0.9, 1.0], cfg).unwrap();
    assert!(sweep.len() >= 2);
    for w in sweep.windows(2) {
        assert!(w[0].eval.latency < w[1].eval.latency && w[0].eval.accuracy < w[1].eval.accuracy);
    }
}

#[test]
fn nsga2_front_is_non_dominated_and_close_to_the_exhaustive_front() {
    use edgeopt_nas::nsga2::{crowding, front_ranks};
    let space = Nb201::cifar10();
    let obj = toy(&space);
    let vector = |a: &Nb201Arch| obj(a).map(|e| vec![e.latency, -e.accuracy]);
    let cfg = Nsga2Config { population: 60, generations: 25, seed: 4, ..Nsga2Config::default() };
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let mut search = Nsga2::new(&space, &vector, cfg).unwrap();
            let state = search.run(None).unwrap();
            search.front(&state)
        })
    };
    let front_found = run(2);
    assert_eq!(front_found, run(1), "seeded, whatever the thread count");
    let pts: Vec<Vec<f64>> = front_found.iter().map(|f| f.1.clone()).collect();
    assert_eq!(non_dominated(&pts).unwrap().len(), pts.len());
    // Hypervolume within 10 % of the exhaustive front's.
    let all = exhaustive(&space, &obj).unwrap();
    let oracle: Vec<Vec<f64>> =
        front(&all).unwrap().into_iter().map(|i| vec![all[i].1.latency, -all[i].1.accuracy]).collect();
    let reference = [200.0, 0.0];
    let hv_found = hypervolume(&pts, &reference).unwrap();
    let hv_oracle = hypervolume(&oracle, &reference).unwrap();
    assert!(hv_found >= 0.9 * hv_oracle, "{hv_found} vs {hv_oracle}");
    // Resuming an NSGA-II checkpoint gives the same front.
    let mut first = Nsga2::new(&space, &vector, cfg).unwrap();
    let mut state = first.init().unwrap();
    for _ in 0..10 {
        first.step(&mut state).unwrap();
    }
    let restored = serde_json::from_str(&serde_json::to_string(&state).unwrap()).unwrap();
    let mut second = Nsga2::new(&space, &vector, cfg).unwrap();
    let done = second.run(Some(restored)).unwrap();
    assert_eq!(second.front(&done), front_found);
    // Ranks and crowding on a tiny example.
    let p = vec![vec![1.0, 3.0], vec![2.0, 2.0], vec![3.0, 1.0], vec![3.0, 3.0]];
    let r = front_ranks(&p);
    assert_eq!(r, vec![0, 0, 0, 1]);
    let c = crowding(&p, &r);
    assert!(c[0].is_infinite() && c[2].is_infinite() && c[1].is_finite());
}

#[test]
fn batched_evaluation_gives_the_same_search() {
    let space = Nb201::cifar10();
    let obj = toy(&space);
    let batch = Batched(|archs: &[Nb201Arch]| archs.iter().map(&obj).collect::<Result<Vec<_>, Infallible>>());
    let cfg = EvolutionConfig { population: 50, generations: 6, seed: 5, ..EvolutionConfig::default() };
    let cons = Constraints::default();
    let plain = Evolution::new(&space, &obj, cons, Fitness::Weighted { t: 0.4 }, cfg).unwrap().run(None).unwrap();
    let batched = Evolution::new(&space, &batch, cons, Fitness::Weighted { t: 0.4 }, cfg).unwrap().run(None).unwrap();
    assert_eq!(plain, batched);
    let short = Batched(|_: &[Nb201Arch]| -> Result<Vec<Evaluation>, Infallible> { Ok(vec![]) });
    assert!(Evolution::new(&space, &short, cons, Fitness::Accuracy, cfg).unwrap().run(None).is_err());
}
