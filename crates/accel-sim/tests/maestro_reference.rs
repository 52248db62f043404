//! Replays every row of the MAESTRO calibration data (tests/data/maestro, see its README):
//! cycles at all bandwidth points and the 12 access counts must be exact, energy within 5e-6.

use std::collections::HashMap;

use edgeopt_accel_sim::{Accel, Dataflow, HardwareConfig, Layer, LayerType, Mapping};

type Row = HashMap<String, String>;

fn read(name: &str) -> Vec<Row> {
    let path = format!("{}/tests/data/maestro/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut rdr = csv::Reader::from_path(&path).unwrap();
    rdr.deserialize().map(|r| r.unwrap()).collect()
}

fn num(r: &Row, k: &str) -> u64 {
    r[k].parse().unwrap_or_else(|_| panic!("column {k} = {:?}", r[k]))
}

fn float(r: &Row, k: &str) -> f64 {
    r[k].parse().unwrap()
}

fn shapes() -> HashMap<(String, String), Layer> {
    let mut m = HashMap::new();
    for r in read("layer_shapes.csv") {
        let kind = LayerType::parse(&r["type"]).unwrap();
        let mut l = Layer::conv(
            &r["layer_name"],
            num(&r, "K"),
            num(&r, "C"),
            num(&r, "R"),
            num(&r, "S"),
            num(&r, "Y"),
            num(&r, "X"),
            1,
        );
        l.kind = kind;
        l.stride_y = num(&r, "stride_y");
        l.stride_x = num(&r, "stride_x");
        if kind == LayerType::NgConv {
            l.groups = num(&r, "G");
        }
        assert_eq!(l.macs(), num(&r, "macs_maestro"), "{}", l.name);
        m.insert((r["model"].clone(), r["layer_idx"].clone()), l);
    }
    m
}

fn accel(dataflow: &str, pes: u64, noc: u64, off: u64) -> Accel {
    let hw = HardwareConfig::new(pes, noc, off).build().unwrap();
    Accel::new(hw, Dataflow::parse(dataflow).unwrap())
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-12)
}

#[test]
fn network_runtimes_match_maestro_at_every_bandwidth() {
    let shapes = shapes();
    let mut checked = 0;
    for r in read("layer_runtime.csv") {
        let layer = &shapes[&(r["model"].clone(), r["layer_idx"].clone())];
        for noc in [300, 600, 900] {
            for off in [50, 150, 350] {
                let want = num(&r, &format!("rt_n{noc}_o{off}"));
                let got = accel(&r["dataflow"], num(&r, "num_pes"), noc, off).evaluate_layer(layer).unwrap();
                assert_eq!(
                    got.cycles, want,
                    "{} {} {} pes={} noc={noc} off={off}",
                    r["model"], layer.name, r["dataflow"], r["num_pes"]
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 1242 * 9);
}

#[test]
fn access_counts_buffers_and_energy_match_maestro() {
    let shapes = shapes();
    let cols = [
        "input_l1_rd",
        "input_l1_wr",
        "input_l2_rd",
        "input_l2_wr",
        "filter_l1_rd",
        "filter_l1_wr",
        "filter_l2_rd",
        "filter_l2_wr",
        "output_l1_rd",
        "output_l1_wr",
        "output_l2_rd",
        "output_l2_wr",
    ];
    let mut checked = 0;
    for r in read("layer_static.csv") {
        let layer = &shapes[&(r["model"].clone(), r["layer_idx"].clone())];
        let got = accel(&r["dataflow"], num(&r, "num_pes"), 300, 50).evaluate_layer(layer).unwrap();
        let a = got.accesses;
        let vals = [
            a.input.l1_rd,
            a.input.l1_wr,
            a.input.l2_rd,
            a.input.l2_wr,
            a.filter.l1_rd,
            a.filter.l1_wr,
            a.filter.l2_rd,
            a.filter.l2_wr,
            a.output.l1_rd,
            a.output.l1_wr,
            a.output.l2_rd,
            a.output.l2_wr,
        ];
        let ctx = format!("{} {} {} pes={}", r["model"], layer.name, r["dataflow"], r["num_pes"]);
        for (c, v) in cols.iter().zip(vals) {
            assert_eq!(v, num(&r, c), "{ctx}: {c}");
        }
        // MAESTRO's num_macs column is dataflow-dependent for strided YR-P layers; MACs are checked
        // against layer_shapes.csv (macs_maestro) instead.
        assert_eq!(got.l1_elems, num(&r, "l1_size_req"), "{ctx}: l1");
        assert_eq!(got.l2_elems, num(&r, "l2_size_req"), "{ctx}: l2");
        assert!(
            rel(got.avg_utilized_pes, float(&r, "avg_utilized_pes")) < 5e-6,
            "{ctx}: util {}",
            got.avg_utilized_pes
        );
        let e = float(&r, "energy_nJ_recomputed");
        assert!(rel(got.energy_nj, e) < 5e-6, "{ctx}: energy {} vs {e}", got.energy_nj);
        checked += 1;
    }
    assert_eq!(checked, 1242);
}

#[test]
fn single_layer_runs_match_or_fail_cleanly() {
    let mut ok = 0;
    for r in read("single_layer_runs.csv") {
        let kind = LayerType::parse(&r["type"]).unwrap();
        let mut layer = Layer::conv(
            &r["layer"],
            num(&r, "K"),
            num(&r, "C"),
            num(&r, "R"),
            num(&r, "S"),
            num(&r, "Y"),
            num(&r, "X"),
            num(&r, "stride"),
        );
        layer.kind = kind;
        if r["rc"] != "0" {
            // MAESTRO crashed (KC-P / YR-P on a depthwise layer): we give the depthwise template's result.
            continue;
        }
        let pes = num(&r, "num_pes");
        let hw = HardwareConfig::new(pes, num(&r, "noc_bw"), num(&r, "offchip_bw")).build().unwrap();
        // Single-layer runs apply the named template literally, also to depthwise layers.
        let mapping: Mapping = match r["dataflow"].as_str() {
            "dpt" => edgeopt_accel_sim::depthwise_template(),
            other => Dataflow::parse(other).unwrap().mapping_for(pes, false),
        };
        let acc = Accel::new(hw, Dataflow::Custom(mapping));
        let got = acc.evaluate_layer(&layer).unwrap();
        let ctx = format!("{} {} pes={}", r["layer"], r["dataflow"], pes);
        assert_eq!(got.cycles, num(&r, "runtime_cycles"), "{ctx}");
        assert_eq!(got.l2_elems, num(&r, "l2_size_req"), "{ctx}");
        assert_eq!(got.l1_elems, num(&r, "l1_size_req"), "{ctx}");
        let e = float(&r, "energy_nJ_recomputed");
        assert!(rel(got.energy_nj, e) < 5e-6, "{ctx}: energy {} vs {e}", got.energy_nj);
        ok += 1;
    }
    assert!(ok >= 90, "{ok}");
}
