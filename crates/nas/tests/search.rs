//! Pareto tools and evolutionary search.

use edgeopt_nas::evolution::{
    Constraints, Evolution, EvolutionConfig, Fitness, Objectives, exhaustive, front, pareto_sweep,
};
use edgeopt_nas::pareto::{dominates, hypervolume, non_dominated, prune_by_measurement};
use edgeopt_nas::{Nb201, Nb201Arch, SearchSpace};
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
}

#[test]
fn hypervolume_3d_of_a_unit_cube_corner() {
    let hv = hypervolume(&[vec![0.0, 0.0, 0.0]], &[1.0, 2.0, 3.0]).unwrap();
    assert_eq!(hv, 6.0);
    assert!(hypervolume(&[vec![0.0, 0.0]], &[1.0, 1.0, 1.0]).is_err());
    assert!(hypervolume(&[vec![f64::NAN, 0.0]], &[1.0, 1.0]).is_err());
    assert_eq!(prune_by_measurement(&[1.0, 2.0, 3.0], &[70.0, 69.0, 80.0]).unwrap(), vec![0, 2]);
}

fn toy_objectives(space: &Nb201) -> (impl Fn(&Nb201Arch) -> f64 + Sync + '_, impl Fn(&Nb201Arch) -> f64 + Sync + '_) {
    let acc = |a: &Nb201Arch| {
        a.0.iter()
            .enumerate()
            .map(|(i, op)| match op {
                edgeopt_nas::Nb201Op::Conv3x3 => 3.0 + i as f64 * 0.1,
                edgeopt_nas::Nb201Op::Conv1x1 => 2.0,
                edgeopt_nas::Nb201Op::Skip => 1.0,
                _ => 0.0,
            })
            .sum::<f64>()
    };
    let lat = move |a: &Nb201Arch| space.macs(a) as f64 / 1e6;
    (acc, lat)
}

#[test]
fn evolution_finds_the_constrained_optimum_and_is_reproducible() {
    let space = Nb201::cifar10();
    let (acc, lat) = toy_objectives(&space);
    let cfg = EvolutionConfig { population: 60, generations: 15, seed: 3, ..EvolutionConfig::default() };
    let cons = Constraints { max_latency: Some(60.0), max_energy: None };
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let obj = Objectives { accuracy: &acc, latency: &lat, energy: None };
            Evolution::new(&space, obj, cons, Fitness::Accuracy, cfg).unwrap().run(None).unwrap()
        })
    };
    let a = run(1);
    let b = run(2);
    assert_eq!(a, b);
    // Exhaustive oracle.
    let obj = Objectives { accuracy: &acc, latency: &lat, energy: None };
    let all = exhaustive(&space, &obj).unwrap();
    let best = all.iter().filter(|(_, e)| e.latency <= 60.0).map(|(_, e)| e.accuracy).fold(f64::MIN, f64::max);
    assert_eq!(acc(&a.population[0]), best);
    assert!(lat(&a.population[0]) <= 60.0);
    assert!(!front(&all).unwrap().is_empty());
}

#[test]
fn resuming_a_checkpoint_gives_the_same_final_population() {
    let space = Nb201::cifar10();
    let (acc, lat) = toy_objectives(&space);
    let cfg = EvolutionConfig { population: 40, generations: 8, seed: 11, ..EvolutionConfig::default() };
    let make = || {
        Evolution::new(
            &space,
            Objectives { accuracy: &acc, latency: &lat, energy: None },
            Constraints::default(),
            Fitness::Weighted { t: 0.5 },
            cfg,
        )
        .unwrap()
    };
    let straight = make().run(None).unwrap();
    let mut first = make();
    let mut state = first.init().unwrap();
    for _ in 0..3 {
        first.step(&mut state).unwrap();
    }
    let json = serde_json::to_string(&state).unwrap();
    let restored = serde_json::from_str(&json).unwrap();
    let resumed = make().run(Some(restored)).unwrap();
    assert_eq!(straight.population, resumed.population);
}

#[test]
fn an_infeasible_constraint_stops_with_an_error() {
    let space = Nb201::cifar10();
    let (acc, lat) = toy_objectives(&space);
    let cfg = EvolutionConfig { population: 20, generations: 2, max_tries: 200, ..EvolutionConfig::default() };
    let mut evo = Evolution::new(
        &space,
        Objectives { accuracy: &acc, latency: &lat, energy: None },
        Constraints { max_latency: Some(-1.0), max_energy: None },
        Fitness::Accuracy,
        cfg,
    )
    .unwrap();
    assert!(matches!(evo.run(None), Err(edgeopt_nas::NasError::Infeasible { .. })));
    let bad = EvolutionConfig { population: 1, ..cfg };
    assert!(
        Evolution::new(
            &space,
            Objectives { accuracy: &acc, latency: &lat, energy: None },
            Constraints::default(),
            Fitness::Accuracy,
            bad
        )
        .is_err()
    );
}

#[test]
fn pareto_sweep_returns_a_non_dominated_set() {
    let space = Nb201::cifar10();
    let (acc, lat) = toy_objectives(&space);
    let cfg = EvolutionConfig { population: 40, generations: 6, ..EvolutionConfig::default() };
    let obj = Objectives { accuracy: &acc, latency: &lat, energy: None };
    let sweep = pareto_sweep(&space, &obj, Constraints::default(), &[0.0, 0.3, 0.6, 0.9, 1.0], cfg).unwrap();
    assert!(sweep.len() >= 2);
    for w in sweep.windows(2) {
        assert!(w[0].eval.latency < w[1].eval.latency && w[0].eval.accuracy < w[1].eval.accuracy);
    }
}

#[test]
fn nsga2_front_is_non_dominated_and_close_to_the_exhaustive_front() {
    use edgeopt_nas::nsga2::{Nsga2Config, crowding, front_ranks, nsga2};
    let space = Nb201::cifar10();
    let (acc, lat) = toy_objectives(&space);
    let neg_acc = |a: &Nb201Arch| -acc(a);
    let objectives: [&(dyn Fn(&Nb201Arch) -> f64 + Sync); 2] = [&lat, &neg_acc];
    let cfg = Nsga2Config { population: 60, generations: 25, seed: 4, ..Nsga2Config::default() };
    let front = nsga2(&space, &objectives, &cfg).unwrap();
    assert_eq!(front, nsga2(&space, &objectives, &cfg).unwrap(), "seeded");
    let pts: Vec<Vec<f64>> = front.iter().map(|f| f.1.clone()).collect();
    assert_eq!(non_dominated(&pts).unwrap().len(), pts.len());
    // Hypervolume within 10 % of the exhaustive front's.
    let obj = Objectives { accuracy: &acc, latency: &lat, energy: None };
    let all = exhaustive(&space, &obj).unwrap();
    let oracle: Vec<Vec<f64>> = front_ranks_oracle(&all);
    let reference = [200.0, 0.0];
    let hv_found = hypervolume(&pts, &reference).unwrap();
    let hv_oracle = hypervolume(&oracle, &reference).unwrap();
    assert!(hv_found >= 0.9 * hv_oracle, "{hv_found} vs {hv_oracle}");
    // Ranks and crowding on a tiny example.
    let p = vec![vec![1.0, 3.0], vec![2.0, 2.0], vec![3.0, 1.0], vec![3.0, 3.0]];
    let r = front_ranks(&p);
    assert_eq!(r, vec![0, 0, 0, 1]);
    let c = crowding(&p, &r);
    assert!(c[0].is_infinite() && c[2].is_infinite() && c[1].is_finite());
}

fn front_ranks_oracle(all: &[(Nb201Arch, edgeopt_nas::evolution::Evaluation)]) -> Vec<Vec<f64>> {
    front(all).unwrap().into_iter().map(|i| vec![all[i].1.latency, -all[i].1.accuracy]).collect()
}

#[test]
fn batched_evaluation_gives_the_same_search() {
    use edgeopt_nas::evolution::Evaluation;
    let space = Nb201::cifar10();
    let (acc, lat) = toy_objectives(&space);
    let batch = |archs: &[Nb201Arch]| -> Vec<Evaluation> {
        archs.iter().map(|a| Evaluation { accuracy: acc(a), latency: lat(a), energy: 0.0 }).collect()
    };
    let cfg = EvolutionConfig { population: 50, generations: 6, seed: 5, ..EvolutionConfig::default() };
    let make = || {
        Evolution::new(
            &space,
            Objectives { accuracy: &acc, latency: &lat, energy: None },
            Constraints::default(),
            Fitness::Weighted { t: 0.4 },
            cfg,
        )
        .unwrap()
    };
    let plain = make().run(None).unwrap();
    let batched = make().with_batch(&batch).run(None).unwrap();
    assert_eq!(plain, batched);
    let short = |_: &[Nb201Arch]| -> Vec<Evaluation> { vec![] };
    assert!(make().with_batch(&short).run(None).is_err());
}
