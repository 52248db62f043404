//! Mixture sweeps agree with costing each mixture as a `MixedAccelerator`.

use edgeopt_accel_sim::rand::SeedableRng;
use edgeopt_accel_sim::rand::rngs::ChaCha8Rng;
use edgeopt_accel_sim::testing::network;
use edgeopt_accel_sim::{
    Accel, Accelerator, Dataflow, HardwareConfig, Layer, MixedAccelerator, SimError, cost_mixtures, sample_mixtures,
    thesis_partition,
};
use proptest::prelude::*;

fn shapes() -> Vec<Layer> {
    vec![
        Layer::conv("a", 16, 8, 3, 3, 18, 18, 1),
        Layer::conv("b", 32, 16, 1, 1, 16, 16, 1),
        Layer::depthwise("c", 16, 3, 3, 18, 18, 1),
        Layer::conv("d", 64, 64, 3, 3, 10, 10, 2),
    ]
}

fn accelerators() -> Vec<Accel> {
    let mut out = Vec::new();
    for (pes, noc, off) in [(16, 300, 50), (64, 600, 150), (256, 900, 350)] {
        for df in Dataflow::BUILT_IN {
            out.push(Accel::new(HardwareConfig::new(pes, noc, off).build().unwrap(), df));
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn a_sweep_equals_one_mixed_accelerator_per_mixture(
        nets in proptest::collection::vec(proptest::collection::vec(0usize..4, 1..30), 1..4),
        groups in 0usize..5,
        seed in 0u64..1000,
    ) {
        let shapes = shapes();
        let nets: Vec<Vec<Layer>> = nets.iter().map(|n| n.iter().map(|&s| shapes[s].clone()).collect()).collect();
        let accs = accelerators();
        let mixtures = sample_mixtures(accs.len(), groups + 2, 6, &mut ChaCha8Rng::seed_from_u64(seed)).unwrap();
        let m = cost_mixtures(&nets, &accs, &mixtures, groups).unwrap();
        prop_assert_eq!((m.rows, m.cols), (nets.len(), mixtures.len()));
        for (i, net) in nets.iter().enumerate() {
            let sizes = thesis_partition(net.len(), groups).unwrap();
            prop_assert_eq!(sizes.iter().sum::<usize>(), net.len());
            for (k, mix) in mixtures.iter().enumerate() {
                // MixedAccelerator takes non-empty parts only.
                let parts: Vec<(usize, Accel)> =
                    sizes.iter().zip(mix).filter(|(n, _)| **n > 0).map(|(&n, &a)| (n, accs[a].clone())).collect();
                let want = MixedAccelerator::new(parts).unwrap().evaluate(net);
                let (c, e) = (m.cycles[i * m.cols + k], m.energy_nj[i * m.cols + k]);
                match want {
                    Ok(w) => {
                        prop_assert_eq!(c, w.cycles as f64);
                        prop_assert!((e - w.energy_nj).abs() <= 1e-9 * w.energy_nj.abs().max(1.0));
                    }
                    Err(_) => prop_assert!(c.is_nan() && e.is_nan()),
                }
            }
        }
    }

    #[test]
    fn a_mixed_accelerators_cycles_are_its_evaluations_or_the_same_error(
        net in network(10),
        repeat in any::<bool>(),
        bad in proptest::option::of(0usize..21),
        cuts in proptest::collection::vec(1usize..21, 0..4),
        picks in proptest::collection::vec(0usize..9, 5),
    ) {
        // `cycles()` costs each part through its accelerator's cycles-only path (repeated shapes
        // analysed once per part); `evaluate()` costs layer by layer. Networks repeat their
        // shapes across parts, and may hold a layer no dataflow can map (R = 5 on 3 rows), so
        // the first failing layer must be the same on both paths.
        let mut net = net;
        if repeat {
            net.extend(net.clone());
        }
        if let Some(i) = bad {
            net.insert(i.min(net.len()), Layer::conv("unmappable", 8, 8, 5, 5, 3, 3, 1));
        }
        let mut cuts: Vec<usize> = cuts.into_iter().filter(|&c| c < net.len()).collect();
        cuts.sort_unstable();
        cuts.dedup();
        let accs = accelerators();
        let mut parts = Vec::new();
        let mut start = 0;
        for (j, end) in cuts.into_iter().chain([net.len()]).enumerate() {
            parts.push((end - start, accs[picks[j]].clone()));
            start = end;
        }
        let mixed = MixedAccelerator::new(parts).unwrap();
        let full = mixed.evaluate(&net).map(|c| c.cycles).map_err(|e| e.to_string());
        prop_assert_eq!(mixed.cycles(&net).map_err(|e| e.to_string()), full);
    }
}

#[test]
fn bad_mixtures_are_named() {
    let accs = accelerators();
    let nets = vec![shapes()];
    let err = cost_mixtures(&nets, &accs, &[vec![0, 0, 0], vec![0, 99, 0]], 1).unwrap_err();
    assert!(matches!(err, SimError::InvalidMixture { index: 1, .. }), "{err}");
    assert!(err.to_string().contains("99"), "{err}");
    let err = cost_mixtures(&nets, &accs, &[vec![0, 0]], 1).unwrap_err();
    assert!(err.to_string().contains("mixture 0") && err.to_string().contains("3"), "{err}");
    // Absurd group counts are errors, not panics or huge allocations.
    assert!(cost_mixtures(&nets, &accs, &[], usize::MAX).is_err());
    assert!(sample_mixtures(accs.len(), usize::MAX, 1, &mut ChaCha8Rng::seed_from_u64(0)).is_err());
    // No mixtures: an empty matrix, not an error.
    assert_eq!(cost_mixtures(&nets, &accs, &[], 1).unwrap().cycles.len(), 0);
}

/// A user's own accelerator: one cycle and one nJ per MAC, and no depthwise layers.
struct PerMac;

impl Accelerator for PerMac {
    fn evaluate(&self, layers: &[Layer]) -> edgeopt_accel_sim::Result<edgeopt_accel_sim::NetworkCost> {
        let mut costs = Vec::new();
        for l in layers {
            if l.kind == edgeopt_accel_sim::LayerType::DsConv {
                return Err(SimError::InvalidLayer { layer: l.name.clone(), reason: "no depthwise support".into() });
            }
            costs.push(edgeopt_accel_sim::LayerCost::new(&l.name, l.macs(), l.macs() as f64, l.macs()));
        }
        Ok(edgeopt_accel_sim::NetworkCost::from_layers(costs))
    }
}

#[test]
fn a_users_own_accelerator_can_take_parts_of_a_mixture() {
    let shapes = shapes();
    let conv_only = vec![shapes[0].clone(), shapes[1].clone(), shapes[3].clone()];
    let m = cost_mixtures(&[conv_only.clone(), shapes.clone()], &[PerMac], &[vec![0, 0, 0]], 1).unwrap();
    let macs: u64 = conv_only.iter().map(Layer::macs).sum();
    assert_eq!(m.cycles[0], macs as f64);
    // The depthwise layer cannot run on it: NaN, not an error or a panic.
    assert!(m.cycles[1].is_nan() && m.energy_nj[1].is_nan());
}
