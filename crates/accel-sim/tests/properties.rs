//! Invariants of the cost model, and robustness on arbitrary input.

use edgeopt_accel_sim::{
    Accel, Accelerator, Dataflow, Dim, Directive, Extent, HardwareConfig, Layer, LayerType, Mapping, maestro_file,
};
use proptest::prelude::*;

use edgeopt_accel_sim::testing::{check_accelerator, dataflow, layer, layer_type as kind, network};
use edgeopt_accel_sim::{CachedAccel, MixedAccelerator};

fn accel(pes: u64, noc: u64, off: u64, df: Dataflow) -> Accel {
    Accel::new(HardwareConfig::new(pes, noc, off).build().unwrap(), df)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn every_built_in_accelerator_passes_the_conformance_check(
        net in network(5), df in dataflow(), pes in 3u64..300, noc in 1u64..400, off in 1u64..200,
    ) {
        let acc = accel(pes, noc, off, df.clone());
        prop_assert_eq!(check_accelerator(&acc, &net), Ok(()));
        prop_assert_eq!(check_accelerator(&CachedAccel::new(acc.clone()), &net), Ok(()));
        let mixed = MixedAccelerator::per_layer(vec![acc; net.len()]).unwrap();
        prop_assert_eq!(check_accelerator(&mixed, &net), Ok(()));
        prop_assert_eq!(check_accelerator(&&mixed, &[]), Ok(()), "an empty network is an error or zero cost");
    }

    #[test]
    fn more_bandwidth_never_costs_cycles(
        l in layer(), df in dataflow(), pes in 3u64..300,
        noc in 1u64..400, extra_noc in 0u64..400, off in 1u64..200, extra_off in 0u64..200,
    ) {
        let base = accel(pes, noc, off, df.clone()).evaluate(std::slice::from_ref(&l));
        let wider_noc = accel(pes, noc + extra_noc, off, df.clone()).evaluate(std::slice::from_ref(&l));
        let wider_off = accel(pes, noc, off + extra_off, df).evaluate(std::slice::from_ref(&l));
        match (base, wider_noc, wider_off) {
            (Ok(b), Ok(n), Ok(o)) => {
                prop_assert!(n.cycles <= b.cycles, "noc {} -> {}: {} > {}", noc, noc + extra_noc, n.cycles, b.cycles);
                prop_assert!(o.cycles <= b.cycles, "off {} -> {}: {} > {}", off, off + extra_off, o.cycles, b.cycles);
            }
            (Err(_), Err(_), Err(_)) => {}
            other => prop_assert!(false, "bandwidth changed validity: {:?}", other),
        }
    }

    #[test]
    fn macs_follow_the_layer_type(l in layer(), df in dataflow(), pes in 3u64..600) {
        let yo = (l.y - l.r) / l.stride_y + 1;
        let xo = (l.x - l.s) / l.stride_x + 1;
        let want = match l.kind {
            LayerType::DsConv => l.c * l.r * l.s * yo * xo,
            LayerType::NgConv => l.groups * l.k * l.c * l.r * l.s * yo * xo,
            _ => l.k * l.c * l.r * l.s * yo * xo,
        };
        prop_assert_eq!(l.macs(), want);
        if let Ok(c) = accel(pes, 64, 32, df).evaluate(std::slice::from_ref(&l)) {
            prop_assert_eq!(c.macs, want);
        }
    }

    #[test]
    fn built_in_dataflows_cost_every_valid_layer(l in layer(), df in dataflow(), pes in 3u64..600, noc in 1u64..1000, off in 1u64..400) {
        // KC-P needs no more PEs than it has (its cluster shrinks), YR-P needs R PEs.
        let c = accel(pes.max(l.r), noc, off, df).report(std::slice::from_ref(&l));
        let c = c.map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(c.cycles > 0);
        prop_assert!(c.energy_nj.is_finite() && c.energy_nj >= 0.0);
        prop_assert!(c.layers[0].avg_utilized_pes >= 0.0 && c.layers[0].avg_utilized_pes <= pes.max(l.r) as f64);
    }

    #[test]
    fn arbitrary_values_give_errors_not_panics(
        dims in proptest::collection::vec(any::<u64>(), 10), kind in kind(),
        pes in any::<u64>(), noc in any::<u64>(), off in any::<u64>(), df in dataflow(),
    ) {
        let l = Layer {
            name: "x".into(), kind, batch: dims[0] % 4, groups: dims[1], k: dims[2], c: dims[3], r: dims[4],
            s: dims[5], y: dims[6], x: dims[7], stride_y: dims[8], stride_x: dims[9],
        };
        if let Ok(hw) = HardwareConfig::new(pes, noc, off).build() {
            let _ = Accel::new(hw, df).evaluate(&[l]);
        }
    }

    #[test]
    fn random_mappings_never_panic(
        dirs in proptest::collection::vec((0usize..10, 0u64..70, 0u64..70), 0..14),
        l in layer(), pes in 1u64..300,
    ) {
        let m = Mapping(dirs.into_iter().map(|(d, m, o)| {
            let size = if m >= 64 { Extent::Full(Dim::ALL[(m % 9) as usize]) } else { Extent::Fixed(m) };
            match d {
                9 => Directive::Cluster(Extent::Fixed(m)),
                d if o % 2 == 0 => Directive::Spatial { dim: Dim::ALL[d], size, offset: Extent::Fixed(o / 2) },
                d => Directive::Temporal { dim: Dim::ALL[d], size, offset: Extent::Fixed(o / 2) },
            }
        }).collect());
        if let Ok(c) = accel(pes, 32, 16, Dataflow::Custom(m)).evaluate(&[l]) {
            prop_assert!(c.energy_nj.is_finite() && c.energy_nj >= 0.0);
        }
    }

    #[test]
    fn the_cycles_path_agrees_with_the_full_analysis_on_random_mappings(
        levels in proptest::collection::vec(
            (1u64..6, proptest::collection::vec((0usize..8, 0u64..12, 0u64..12, 0u8..20), 1..7)),
            1..4,
        ),
        l in layer(), other in layer(), pes in 1u64..300, noc in 1u64..400, off in 1u64..200,
    ) {
        // `cycles()` merges cases that cannot differ, prices them as it goes, shares the
        // lowered mapping and the inner-level analyses between layers; `evaluate()` visits
        // every case of every layer. Same cycles, or the same error, on any mapping. Levels map
        // each dimension once, with small tiles, so that most mappings are valid.
        let dims = [Dim::K, Dim::C, Dim::R, Dim::S, Dim::Y, Dim::X, Dim::YOut, Dim::XOut];
        let mut dirs = Vec::new();
        for (j, (cluster, own)) in levels.into_iter().enumerate() {
            if j > 0 {
                dirs.push(Directive::Cluster(Extent::Fixed(cluster)));
            }
            let mut used = [false; 8];
            for (d, m, o, kind) in own {
                if std::mem::replace(&mut used[d], true) {
                    continue;
                }
                let size = match m { 0 => Extent::Full(Dim::R), 1 => Extent::Full(Dim::S), m => Extent::Fixed(m - 1) };
                let offset = if o < 3 { size } else { Extent::Fixed(o - 2) };
                dirs.push(if kind < 7 {
                    Directive::Spatial { dim: dims[d], size, offset }
                } else {
                    Directive::Temporal { dim: dims[d], size, offset }
                });
            }
        }
        let acc = accel(pes, noc, off, Dataflow::Custom(Mapping(dirs)));
        let layers = [l.clone(), other, l];
        let full = acc.evaluate(&layers).map(|c| c.cycles).map_err(|e| e.to_string());
        let fast = acc.cycles(&layers).map_err(|e| e.to_string());
        prop_assert_eq!(fast, full);
    }

    #[test]
    fn the_mapping_reader_never_panics(text in "\\PC{0,200}") {
        let _ = maestro_file::parse_mapping(&text, "fuzz.m");
        let _ = maestro_file::parse_hardware(&text, "fuzz.m");
    }

    #[test]
    fn the_mapping_reader_never_panics_on_token_soup(
        toks in proptest::collection::vec(prop_oneof![
            Just("Network"), Just("Layer"), Just("Type:"), Just("CONV"), Just("GEMM"), Just("Dimensions"),
            Just("Dataflow"), Just("Stride"), Just("{"), Just("}"), Just("("), Just(")"), Just(","), Just(";"),
            Just(":"), Just("K"), Just("Y'"), Just("Sz(R)"), Just("SpatialMap"), Just("TemporalMap"),
            Just("Cluster"), Just("P"), Just("3"), Just("0"), Just("99999999999999999999999"), Just("Constant"),
        ], 0..60),
    ) {
        let text = toks.join(" ");
        if let Ok(net) = maestro_file::parse_mapping(&text, "soup.m") {
            for ml in net.layers {
                if let Some(df) = ml.dataflow {
                    let _ = accel(64, 32, 16, Dataflow::Custom(df)).evaluate(&[ml.layer]);
                }
            }
        }
    }
}

/// A two-level mapping: the top level takes the whole C and Y tiles of `y_tile` rows (or R),
/// the cluster level of two maps K (`c_inside`: also C) and inherits the rest.
fn two_level_mapping(y_tile: Option<u64>, c_inside: bool) -> Mapping {
    use Dim::*;
    use Extent::{Fixed, Full};
    let s = |dim, size, offset| Directive::Spatial { dim, size, offset };
    let t = |dim, size, offset| Directive::Temporal { dim, size, offset };
    let y = match y_tile {
        Some(rows) => t(Y, Fixed(rows), Fixed(rows)),
        None => t(Y, Full(R), Fixed(1)),
    };
    let mut dirs = vec![
        s(K, Fixed(1), Fixed(1)),
        t(C, Full(C), Full(C)),
        t(R, Full(R), Full(R)),
        t(S, Full(S), Full(S)),
        y,
        t(X, Full(S), Fixed(1)),
        Directive::Cluster(Fixed(2)),
        s(K, Fixed(1), Fixed(1)),
    ];
    if c_inside {
        dirs.push(s(C, Fixed(1), Fixed(1)));
    }
    Mapping(dirs)
}

#[test]
fn the_cycles_path_lowers_a_cluster_level_again_when_only_it_reads_a_changed_dimension() {
    // `cycles()` takes a layer's levels below the top from an earlier layer's when what their
    // lowering reads is the same. Here the top level tiles K by 4 (it hands down 4 whatever K
    // is), and only the cluster level reads the layer's K, as its tile of C: layers that differ
    // in K must not share their cluster level.
    use Dim::*;
    use Extent::{Fixed, Full};
    let s = |dim, size, offset| Directive::Spatial { dim, size, offset };
    let t = |dim, size, offset| Directive::Temporal { dim, size, offset };
    let mapping = Mapping(vec![
        s(K, Fixed(4), Fixed(4)),
        t(C, Full(C), Full(C)),
        t(R, Full(R), Full(R)),
        t(S, Full(S), Full(S)),
        t(Y, Full(R), Fixed(1)),
        t(X, Full(S), Fixed(1)),
        Directive::Cluster(Fixed(2)),
        s(K, Fixed(1), Fixed(1)),
        t(C, Full(K), Full(K)),
    ]);
    let acc = accel(64, 40, 10, Dataflow::Custom(mapping));
    for ks in [[8, 16], [16, 8], [8, 8]] {
        let net: Vec<Layer> = ks.iter().map(|&k| Layer::conv("k", k, 32, 3, 3, 6, 6, 1)).collect();
        assert_eq!(acc.cycles(&net).unwrap(), acc.evaluate(&net).unwrap().cycles, "K = {ks:?}");
    }
}

#[test]
fn the_cycles_path_agrees_past_the_limit_of_its_inner_level_store() {
    // `cycles()` keeps inner-level analyses for the network's later layers, in a store that
    // starts again once it holds 256. Both networks overflow it: in the first, every layer's
    // cluster level differs (it inherits a whole C, 300 distinct values); in the second, one
    // cluster level sees 300 distinct edge tiles (Y from 401 to 700 in tiles of 400 rows). The
    // totals must still be `evaluate()`'s.
    let distinct_levels: Vec<Layer> = (1..=300).map(|c| Layer::conv("c", 2, c, 3, 3, 5, 5, 1)).collect();
    let distinct_tiles: Vec<Layer> = (401..=700).map(|y| Layer::conv("y", 2, 3, 3, 3, y, 4, 1)).collect();
    for (net, mapping) in
        [(distinct_levels, two_level_mapping(None, false)), (distinct_tiles, two_level_mapping(Some(400), true))]
    {
        let acc = accel(64, 40, 10, Dataflow::Custom(mapping));
        assert_eq!(acc.cycles(&net).unwrap(), acc.evaluate(&net).unwrap().cycles);
    }
}
