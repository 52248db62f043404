//! Search spaces: published counts, keys, and invariants.

use edgeopt_nas::{Encode, Lower, Lowering, MobileNetSpace, Nb201, SearchSpace};
use proptest::prelude::*;
use rand::{SeedableRng, rngs::ChaCha8Rng};

#[test]
fn mobilenet_v2_has_its_published_size() {
    let space = MobileNetSpace::mobilenet_v2();
    let arch = space.mobilenet_v2_arch();
    let macs = space.macs(&arch) as f64;
    let params = space.params(&arch) as f64;
    assert!((macs / 300.8e6 - 1.0).abs() < 0.005, "MACs {macs}");
    assert!((params / 3.47e6 - 1.0).abs() < 0.01, "params {params}");
    let layers = space.layers_with(&arch, &Lowering::convolutions_only());
    // stem + first block (2) + 15 stage blocks × 3 + last block 3 + final conv + classifier
    assert_eq!(layers.len(), 1 + 2 + 15 * 3 + 3 + 1 + 1);
}

#[test]
fn ofa_proxyless_widths_and_extremes() {
    let space = MobileNetSpace::ofa_proxyless();
    assert_eq!(space.first_conv, 40);
    assert_eq!(space.stage_widths, [32, 56, 104, 128, 248]);
    assert_eq!(space.head, edgeopt_nas::Head::Block { width: 416, fixed: None, final_conv: 1664 });
    assert!(space.macs(&space.smallest().unwrap()) < space.macs(&space.largest().unwrap()));
    assert_eq!(space.encoding_len(), 190);
    let nb = Nb201::cifar10();
    assert!(nb.macs(&nb.smallest().unwrap()) < nb.macs(&nb.largest().unwrap()));
}

#[test]
fn bad_keys_are_named() {
    let nb = Nb201::cifar10();
    for bad in [
        "",
        "|none~0|",
        "|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|",
        "|none~1|+|none~0|none~1|+|none~0|none~1|none~2|",
    ] {
        let err = nb.parse_key(bad).unwrap_err().to_string();
        assert!(err.contains("nb201"), "{err}");
    }
    let mb = MobileNetSpace::ofa_proxyless();
    assert!(mb.parse_key("d2,2,2,2,9:k3:e3").is_err());
}

proptest! {
    #[test]
    fn nb201_mutation_and_crossover_stay_in_the_space(seed in any::<u64>(), p in 0.0f64..1.0) {
        let space = Nb201::cifar10();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let a = space.sample(&mut rng);
        let b = space.sample(&mut rng);
        for x in [space.mutate(&a, p, &mut rng), space.crossover(&a, &b, &mut rng)] {
            prop_assert_eq!(space.parse_key(&space.key(&x)).unwrap(), x);
            prop_assert_eq!(space.encode(&x).sum(), 7.0);
        }
    }

    #[test]
    fn mobilenet_mutation_and_crossover_stay_in_the_space(seed in any::<u64>(), p in 0.0f64..1.0, which in 0usize..3) {
        let space = [MobileNetSpace::ofa_proxyless(), MobileNetSpace::ofa_mobilenet_v3(), MobileNetSpace::alphanet()][which].clone();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let a = space.sample(&mut rng);
        let b = space.sample(&mut rng);
        for x in [a.clone(), space.mutate(&a, p, &mut rng), space.crossover(&a, &b, &mut rng)] {
            prop_assert_eq!(&space.parse_key(&space.key(&x)).unwrap(), &x);
            let blocks: usize = x.depths.iter().map(|&d| d as usize).sum::<usize>() + usize::from(which == 0);
            let per_block = if space.separate_onehots { 2 } else { 1 };
            let res = usize::from(space.resolutions.len() > 1);
            prop_assert_eq!(space.encode(&x).sum() as usize, blocks * per_block + res + 1);
            prop_assert!(space.macs(&x) >= space.macs(&space.smallest().unwrap()));
            prop_assert!(space.macs(&x) <= space.macs(&space.largest().unwrap()));
        }
    }
}

#[test]
fn fbnet_blocks_lower_with_grouped_convolutions_and_projections() {
    use edgeopt_accel_sim::LayerType;
    use edgeopt_nas::{FbArch, FbNet, FbOp};
    let space = FbNet::imagenet();
    let grouped = FbArch([FbOp::K3E1G2; 22]);
    let layers = space.layers_with(&grouped, &Lowering::convolutions_only());
    let ng: Vec<_> = layers.iter().filter(|l| l.kind == LayerType::NgConv).collect();
    assert_eq!(ng.len(), 44, "expand and project of every block are 2-group convolutions");
    assert!(ng.iter().all(|l| l.groups == 2));
    // Grouping halves the 1×1 MACs relative to the dense expansion-1 block.
    assert!(space.macs(&grouped) < space.macs(&FbArch([FbOp::K3E1; 22])));
    // All-skip keeps only the stem, the shape-changing projections, the final conv and the classifier.
    let skip = space.layers_with(&space.smallest().unwrap(), &Lowering::convolutions_only());
    assert_eq!(skip.len(), 1 + 6 + 1 + 1);
    let cifar = FbNet::cifar100();
    assert!(cifar.macs(&cifar.largest().unwrap()) < space.macs(&space.largest().unwrap()));
    for l in cifar.layers(&cifar.largest().unwrap()) {
        l.validate().unwrap();
    }
}

proptest! {
    #[test]
    fn fbnet_keys_round_trip_and_children_stay_in_the_space(seed in any::<u64>(), p in 0.0f64..1.0) {
        use edgeopt_nas::FbNet;
        let space = FbNet::imagenet();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let a = space.sample(&mut rng);
        let b = space.sample(&mut rng);
        for x in [a, space.mutate(&a, p, &mut rng), space.crossover(&a, &b, &mut rng)] {
            prop_assert_eq!(space.parse_key(&space.key(&x)).unwrap(), x);
            prop_assert_eq!(space.encode(&x).sum(), 23.0);
            prop_assert!(space.macs(&x) <= space.macs(&space.largest().unwrap()));
        }
    }
}

#[test]
fn depth_scaling_baseline_moves_macs_monotonically() {
    let space = MobileNetSpace::ofa_proxyless();
    let arch = space
        .parse_key("d2,3,4,3,3:k3,5,0,0,5,5,7,0,3,3,3,3,5,5,5,0,7,7,7,0,3:e6,4,0,0,4,4,6,0,6,6,6,6,4,4,4,0,6,6,6,0,6")
        .unwrap();
    let family = space.depth_scaling_family(&arch);
    assert_eq!(family.len(), 5);
    let macs: Vec<u64> = family.iter().map(|a| space.macs(a)).collect();
    assert!(macs.windows(2).all(|w| w[0] < w[1]), "{macs:?}");
    for a in &family {
        assert_eq!(space.parse_key(&space.key(a)).unwrap(), *a);
    }
    assert!(space.depth_scaled(&space.smallest().unwrap(), -1).is_none());
    assert!(space.depth_scaled(&space.largest().unwrap(), 1).is_none());
}

#[test]
fn mobilenet_family_sizes_and_malformed_archs() {
    use edgeopt_nas::MbArch;
    let v3 = MobileNetSpace::ofa_mobilenet_v3();
    assert_eq!(v3.encoding_len(), 128, "OFA's accuracy-predictor encoding");
    let (small, large) = (v3.macs(&v3.smallest().unwrap()), v3.macs(&v3.largest().unwrap()));
    assert!(small < large);
    // Published OFA MobileNetV3 supernet extremes: roughly 60 M to 1.2 G MACs at 128–224.
    assert!((20e6..150e6).contains(&(small as f64)), "{small}");
    assert!((0.5e9..2.5e9).contains(&(large as f64)), "{large}");
    let alpha = MobileNetSpace::alphanet();
    assert_eq!(alpha.slots(), 30);
    for l in alpha.layers(&alpha.largest().unwrap()) {
        l.validate().unwrap();
    }
    // Hand-built architectures with wrong lengths never panic.
    let broken = MbArch { resolution: 224, depths: [9, 0, 2, 2, 2], kernels: vec![3], expansions: vec![] };
    for space in [MobileNetSpace::ofa_proxyless(), v3, alpha] {
        let _ = space.layers(&broken);
        let _ = space.encode(&broken);
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let _ = space.mutate(&broken, 0.5, &mut rng);
        let _ = space.crossover(&broken, &broken, &mut rng);
        assert!(space.depth_scaled(&broken, 1).is_none());
    }
}

#[test]
fn darts_v2_has_its_published_size_and_genotypes_round_trip() {
    use edgeopt_nas::Darts;
    let space = Darts::cifar10();
    let v2 = Darts::darts_v2();
    let params = space.params(&v2) as f64;
    let macs = space.macs(&v2) as f64;
    // DARTS (2nd order) on CIFAR-10: 3.3 M parameters (its paper); about 0.53 G multiply-adds.
    assert!((params / 3.3e6 - 1.0).abs() < 0.06, "params {params}");
    assert!((0.45e9..0.62e9).contains(&macs), "MACs {macs}");
    let key = space.key(&v2);
    assert!(key.starts_with("Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1)"), "{key}");
    assert_eq!(space.parse_key(&key).unwrap(), v2);
    assert!(
        space.macs(&space.smallest().unwrap()) < space.macs(&v2)
            && space.macs(&v2) < space.macs(&space.largest().unwrap())
    );
    for l in space.layers(&v2) {
        l.validate().unwrap();
    }
    assert!(space.parse_key("Genotype(normal=[('sep_conv_3x3', 7)], reduce=[])").is_err());
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for _ in 0..50 {
        let a = space.sample(&mut rng);
        let b = space.mutate(&space.crossover(&a, &v2, &mut rng), 0.5, &mut rng);
        assert_eq!(space.parse_key(&space.key(&b)).unwrap(), b);
        assert_eq!(space.encode(&b).sum(), 33.0);
    }
}

#[test]
fn attentive_nas_space_lowers_and_round_trips() {
    use edgeopt_nas::AttentiveNas;
    let space = AttentiveNas::alphanet();
    let (small, large) = (space.macs(&space.smallest().unwrap()), space.macs(&space.largest().unwrap()));
    // AlphaNet models span roughly 0.2 G (192 px, smallest) to a few G MACs (288 px, largest).
    assert!((0.1e9..0.5e9).contains(&(small as f64)), "{small}");
    assert!((1.0e9..6.0e9).contains(&(large as f64)), "{large}");
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    for _ in 0..100 {
        let a = space.sample(&mut rng);
        let b = space.sample(&mut rng);
        for x in [a.clone(), space.mutate(&a, 0.3, &mut rng), space.crossover(&a, &b, &mut rng)] {
            assert_eq!(space.parse_key(&space.key(&x)).unwrap(), x);
            let m = space.macs(&x);
            assert!(m >= small && m <= large);
            assert_eq!(space.encode(&x).len(), space.encoding_len());
        }
    }
    for l in space.layers(&space.largest().unwrap()) {
        l.validate().unwrap();
    }
    assert!(space.parse_key("r224:s16").is_err());
}

#[test]
fn every_built_in_space_passes_the_conformance_checks() {
    use edgeopt_nas::testing::{check_encode, check_lower, check_search_space};
    use edgeopt_nas::{AttentiveNas, Darts, FbNet};
    fn all<S: Encode + Lower>(space: &S) {
        check_search_space(space, 40, 7).unwrap_or_else(|e| panic!("{}: {e}", space.name()));
        check_lower(space, 10, 7).unwrap_or_else(|e| panic!("{}: {e}", space.name()));
        check_encode(space, 40, 7).unwrap_or_else(|e| panic!("{}: {e}", space.name()));
    }
    all(&Nb201::cifar10());
    all(&MobileNetSpace::ofa_proxyless());
    all(&MobileNetSpace::mobilenet_v2());
    all(&FbNet::imagenet());
    all(&Darts::cifar10());
    all(&AttentiveNas::alphanet());
    all(&MobileNetSpace::ofa_mobilenet_v3());
    all(&MobileNetSpace::alphanet());
}

#[test]
fn nb201_feature_groups_count_each_operator() {
    let nb = Nb201::cifar10();
    let groups = nb.feature_groups();
    // Five operators, each on six edges; together they cover every one-hot column once.
    assert_eq!(groups.len(), 5);
    let mut cols: Vec<usize> = groups.iter().flatten().copied().collect();
    cols.sort();
    assert_eq!(cols, (0..30).collect::<Vec<_>>());
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    for _ in 0..20 {
        let a = nb.sample(&mut rng);
        let x = nb.encode(&a);
        let counts: Vec<f64> = groups.iter().map(|g| g.iter().map(|&j| x[j]).sum()).collect();
        assert_eq!(counts.iter().sum::<f64>(), 6.0);
        for (op, c) in counts.iter().enumerate() {
            assert_eq!(*c as usize, a.0.iter().filter(|o| **o as usize == op).count(), "{a:?}");
        }
    }
    // Spaces without groups say so.
    assert!(edgeopt_nas::MobileNetSpace::mobilenet_v2().feature_groups().is_empty());
}
