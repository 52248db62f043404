//! Where MAESTRO crashes or exits, accel-sim returns a typed error naming the cause.

use edgeopt_accel_sim::{
    Accel, Accelerator, Dataflow, Dim, Directive, Extent, HardwareConfig, Layer, Mapping, MixedAccelerator, SimError,
};

fn hw(pes: u64) -> edgeopt_accel_sim::Hardware {
    HardwareConfig::new(pes, 300, 50).build().unwrap()
}

fn t(dim: Dim, m: u64, o: u64) -> Directive {
    Directive::Temporal { dim, size: Extent::Fixed(m), offset: Extent::Fixed(o) }
}
fn s(dim: Dim, m: u64, o: u64) -> Directive {
    Directive::Spatial { dim, size: Extent::Fixed(m), offset: Extent::Fixed(o) }
}

#[test]
fn a_64_cluster_on_16_pes_is_an_error_not_a_division_by_zero() {
    // MAESTRO's stock kcp_ws template at 16 PEs.
    let mut dirs = Dataflow::KcP.mapping_for(64, false).0;
    dirs[6] = Directive::Cluster(Extent::Fixed(64));
    let acc = Accel::new(hw(16), Dataflow::Custom(Mapping(dirs)));
    let err = acc.evaluate(&[Layer::conv("c", 8, 8, 3, 3, 8, 8, 1)]).unwrap_err();
    assert_eq!(err, SimError::InsufficientPes { layer: "c".into(), needed: 64, available: 16 });
    // The built-in KC-P shrinks its cluster to the PE count instead.
    assert!(Accel::new(hw(16), Dataflow::KcP).evaluate(&[Layer::conv("c", 8, 8, 3, 3, 8, 8, 1)]).is_ok());
}

#[test]
fn kcp_on_a_depthwise_layer_names_the_missing_dimension() {
    let acc = Accel::new(hw(64), Dataflow::Custom(Dataflow::KcP.mapping_for(64, false)));
    let err = acc.evaluate(&[Layer::depthwise("dw", 32, 3, 3, 16, 16, 1)]).unwrap_err();
    assert!(matches!(err, SimError::DimensionNotFound { ref dim, .. } if dim == "K"), "{err}");
    // Under the built-in names every depthwise layer gets the depthwise template.
    for df in Dataflow::BUILT_IN {
        assert!(Accel::new(hw(64), df).evaluate(&[Layer::depthwise("dw", 32, 3, 3, 16, 16, 1)]).is_ok());
    }
}

#[test]
fn a_temporal_map_that_splits_the_filter_is_rejected() {
    let m = Mapping(vec![
        t(Dim::K, 1, 1),
        t(Dim::C, 1, 1),
        t(Dim::Y, 3, 1),
        s(Dim::X, 3, 1),
        t(Dim::R, 1, 1),
        t(Dim::S, 3, 3),
    ]);
    let err = Accel::new(hw(64), Dataflow::Custom(m)).evaluate(&[Layer::conv("c", 8, 8, 3, 3, 8, 8, 1)]).unwrap_err();
    assert!(err.to_string().contains("must cover the whole filter"), "{err}");
}

#[test]
fn row_stationary_with_x_narrower_than_s_is_rejected() {
    // MAESTRO divides by zero on some Cluster(3) mappings with X mapped smaller than S.
    let m = Mapping(vec![
        s(Dim::YOut, 1, 1),
        t(Dim::X, 1, 1),
        t(Dim::C, 1, 1),
        t(Dim::K, 16, 16),
        t(Dim::R, 3, 3),
        t(Dim::S, 3, 3),
        Directive::Cluster(Extent::Fixed(3)),
        s(Dim::Y, 1, 1),
        s(Dim::R, 1, 1),
        t(Dim::S, 3, 3),
    ]);
    let err =
        Accel::new(hw(64), Dataflow::Custom(m)).evaluate(&[Layer::conv("c", 32, 16, 3, 3, 20, 20, 1)]).unwrap_err();
    assert!(err.to_string().contains("narrower than the filter"), "{err}");
}

#[test]
fn malformed_mappings_are_rejected_with_reasons() {
    let layer = [Layer::conv("c", 8, 8, 3, 3, 8, 8, 1)];
    let cases: Vec<(Mapping, &str)> = vec![
        (Mapping(vec![t(Dim::K, 1, 1), t(Dim::C, 1, 1)]), "no SpatialMap"),
        (Mapping(vec![s(Dim::K, 0, 1)]), "at least 1"),
        (Mapping(vec![s(Dim::K, 1, 0)]), "at least 1"),
        (Mapping(vec![s(Dim::K, 1, 1), t(Dim::K, 2, 2)]), "mapped twice"),
        (Mapping(vec![s(Dim::YOut, 1, 1), t(Dim::Y, 3, 1), t(Dim::R, 3, 3)]), "both mapped"),
        (Mapping(vec![s(Dim::YOut, 1, 1)]), "without a R directive"),
        (Mapping(vec![s(Dim::K, 1, 1), Directive::Cluster(Extent::Fixed(0))]), "at least 1"),
    ];
    for (m, want) in cases {
        let err = Accel::new(hw(64), Dataflow::Custom(m.clone())).evaluate(&layer).unwrap_err().to_string();
        assert!(err.contains(want), "{m}: {err}");
    }
}

#[test]
fn bad_hardware_and_layers_name_the_value() {
    let err = HardwareConfig::new(64, 0, 50).build().unwrap_err().to_string();
    assert!(err.contains("noc_bw") && err.contains('0'), "{err}");
    let err = HardwareConfig::new(u64::MAX, 1, 1).build().unwrap_err().to_string();
    assert!(err.contains("num_pes"), "{err}");
    let acc = Accel::new(hw(64), Dataflow::KcP);
    let err = acc.evaluate(&[Layer::conv("tiny-input", 8, 8, 5, 5, 3, 3, 1)]).unwrap_err().to_string();
    assert!(err.contains("tiny-input") && err.contains("R = 5"), "{err}");
}

#[test]
fn mixed_assignment_must_cover_the_network() {
    let a = Accel::new(hw(64), Dataflow::KcP);
    let mixed = MixedAccelerator::new(vec![(2, a.clone())]).unwrap();
    let err = mixed.evaluate(&[Layer::conv("c", 8, 8, 3, 3, 8, 8, 1)]).unwrap_err();
    assert_eq!(err, SimError::AssignmentMismatch { assigned: 2, layers: 1 });
    assert_eq!(mixed.cycles(&[]).unwrap_err(), SimError::AssignmentMismatch { assigned: 2, layers: 0 });
    // Counts that add up past usize::MAX are a mismatch, not an overflow.
    let huge = MixedAccelerator::new(vec![(usize::MAX, a.clone()), (2, a.clone())]).unwrap();
    let net = [Layer::conv("c", 8, 8, 3, 3, 8, 8, 1)];
    assert_eq!(huge.cycles(&net).unwrap_err(), SimError::AssignmentMismatch { assigned: usize::MAX, layers: 1 });
    assert!(matches!(
        MixedAccelerator::new(vec![(usize::MAX, a.clone()), (1, a.clone()), (0, a.clone())]),
        Err(SimError::AssignmentMismatch { assigned: usize::MAX, .. })
    ));
    assert!(MixedAccelerator::new(vec![(0, a)]).is_err());
    assert!(MixedAccelerator::<Accel>::new(vec![]).is_err());
}
