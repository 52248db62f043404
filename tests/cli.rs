//! The `edgeopt` binary end to end.

use std::process::Command;

fn edgeopt(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_edgeopt"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn accel_eval_prints_one_row_per_layer_with_maestros_cycles() {
    let (ok, out, err) = edgeopt(&[
        "accel",
        "eval",
        "--layers",
        "data/networks/mobilenetv2.csv",
        "--dataflow",
        "kc-p",
        "--pes",
        "64",
        "--noc-bw",
        "300",
        "--offchip-bw",
        "50",
    ]);
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1 + 56 + 1);
    assert!(lines[0].starts_with("name,type,cycles,energy_nj,macs"));
    // MAESTRO: CONV1 of MobileNetV2 on KC-P, 64 PEs, NoC 300, off-chip 50 = 802,817 cycles.
    assert!(lines[1].starts_with("CONV1,CONV,802817,"), "{}", lines[1]);
    let total: Vec<&str> = lines[57].split(',').collect();
    let sum: u64 = lines[1..57].iter().map(|l| l.split(',').nth(2).unwrap().parse::<u64>().unwrap()).sum();
    assert_eq!(total[0], "TOTAL");
    assert_eq!(total[2].parse::<u64>().unwrap(), sum);
}

#[test]
fn accel_eval_reads_a_maestro_mapping_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("xp.m");
    std::fs::write(
        &path,
        "Network n { Layer conv3x3 { Type: CONV Stride { X: 1, Y: 1 } Dimensions { K: 64, C: 64, R: 3, S: 3, Y: 56, X: 56 }
         Dataflow { TemporalMap(1,1) K; TemporalMap(1,1) C; TemporalMap(Sz(R),1) Y; SpatialMap(Sz(S),1) X;
                    TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S; } } }",
    )
    .unwrap();
    let (ok, out, err) = edgeopt(&[
        "accel",
        "eval",
        "--dataflow",
        path.to_str().unwrap(),
        "--pes",
        "64",
        "--noc-bw",
        "300",
        "--offchip-bw",
        "50",
    ]);
    assert!(ok, "{err}");
    assert!(out.lines().nth(1).unwrap().starts_with("conv3x3,CONV,1990658,"), "{out}");
}

#[test]
fn bad_input_exits_nonzero_with_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "name,type,k,c,r,s,y,x,stride\nc,CONV,8,8,3,3,2,2,1\n").unwrap();
    let cases: Vec<Vec<String>> = vec![
        vec!["--layers".into(), bad.display().to_string(), "--dataflow".into(), "kc-p".into()],
        vec!["--layers".into(), "no/such.csv".into(), "--dataflow".into(), "kc-p".into()],
        vec!["--layers".into(), "data/networks/vgg16.csv".into(), "--dataflow".into(), "diagonal".into()],
    ];
    for extra in cases {
        let mut args = vec!["accel", "eval", "--pes", "64", "--noc-bw", "300", "--offchip-bw", "50"];
        args.extend(extra.iter().map(String::as_str));
        let (ok, out, err) = edgeopt(&args);
        assert!(!ok, "{args:?} succeeded: {out}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.starts_with("error: "), "{err}");
    }
    let (ok, _, err) = edgeopt(&[
        "accel",
        "eval",
        "--layers",
        "data/networks/vgg16.csv",
        "--dataflow",
        "x-p",
        "--pes",
        "0",
        "--noc-bw",
        "1",
        "--offchip-bw",
        "1",
    ]);
    assert!(!ok && err.contains("num_pes"), "{err}");
}

#[test]
fn demo_writes_a_report_and_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("report");
    let (ok, out, err) = edgeopt(&["demo", "--out", out_dir.to_str().unwrap()]);
    assert!(ok, "{err}");
    let report = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
    assert!(report.contains("# edgeopt demo report"));
    for svg in ["grid_mobilenetv2.svg", "grid_vgg16.svg", "mbv2_layers.svg"] {
        let text = std::fs::read_to_string(out_dir.join(svg)).unwrap();
        assert!(text.starts_with("<svg") && text.contains("<circle") || text.contains("<polyline"), "{svg}");
        assert!(report.contains(svg), "{svg} not linked");
    }
    assert!(out.lines().last().unwrap().starts_with("MobileNetV2 fastest accelerator: kc-p/512pe"), "{out}");
}
