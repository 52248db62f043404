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

/// [`edgeopt`] with the arguments of a command line without quoting.
fn edgeopt_words(line: &str) -> (bool, String, String) {
    edgeopt(&line.split_whitespace().collect::<Vec<_>>())
}

#[test]
fn accel_eval_prints_one_row_per_layer_with_maestros_cycles() {
    let (ok, out, err) = edgeopt_words(
        "accel eval --layers data/networks/mobilenetv2.csv --dataflow kc-p --pes 64 --noc-bw 300 --offchip-bw 50",
    );
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
    let (ok, _, err) =
        edgeopt_words("accel eval --layers data/networks/vgg16.csv --dataflow x-p --pes 0 --noc-bw 1 --offchip-bw 1");
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
    for svg in [
        "grid_mobilenetv2.svg",
        "grid_vgg16.svg",
        "mbv2_layers.svg",
        "device_srcc.svg",
        "one_proxy_edgegpu.svg",
        "accelerator_srcc_cdf.svg",
    ] {
        let text = std::fs::read_to_string(out_dir.join(svg)).unwrap();
        assert!(
            text.starts_with("<svg")
                && (text.contains("<circle") || text.contains("<polyline") || text.contains("<rect")),
            "{svg}"
        );
        assert!(report.contains(svg), "{svg} not linked");
    }
    assert!(out.lines().last().unwrap().starts_with("MobileNetV2 fastest accelerator: kc-p/512pe"), "{out}");
}

const NB201: &str = "data/nb201_hwnasbench_cifar10.csv.gz";

fn last_json(out: &str) -> serde_json::Value {
    serde_json::from_str(out.lines().last().unwrap()).unwrap()
}

#[test]
fn monotonicity_prints_a_symmetric_srcc_matrix() {
    let (ok, out, err) = edgeopt(&["monotonicity", "--data", NB201, "--metric", "energy"]);
    assert!(ok, "{err}");
    let rows: Vec<Vec<String>> =
        out.lines().filter(|l| !l.starts_with('#')).map(|l| l.split(',').map(String::from).collect()).collect();
    assert_eq!(rows[0][0], "device");
    let n = rows.len() - 1;
    assert_eq!(n, 3);
    for (i, row) in rows.iter().enumerate().skip(1) {
        assert_eq!(row[i], "1.000000");
        for (j, other) in rows.iter().enumerate().skip(1) {
            assert_eq!(row[j], other[i]);
        }
    }
    assert!(out.lines().last().unwrap().starts_with("# mean off-diagonal SRCC"));
}

#[test]
fn adapt_and_one_proxy_print_json() {
    let (ok, out, err) = edgeopt(&[
        "adapt",
        "--data",
        NB201,
        "--space",
        "nb201",
        "--proxy",
        "latency_ms_pixel3",
        "--target",
        "latency_ms_fpga",
        "--samples",
        "40",
        "--seed",
        "3",
    ]);
    assert!(ok, "{err}");
    let v = last_json(&out);
    assert_eq!(v["measurements_used"], 60);
    assert!(v["srcc_after"].as_f64().unwrap() > v["srcc_before"].as_f64().unwrap());
    let (ok, out, err) = edgeopt(&[
        "one-proxy",
        "--data",
        NB201,
        "--space",
        "nb201",
        "--proxy",
        "latency_ms_pixel3",
        "--target",
        "latency_ms_edgetpu",
        "--accuracy",
        "test_acc_cifar10",
        "--samples",
        "40",
        "--seed",
        "2",
    ]);
    assert!(ok, "{err}");
    let v = last_json(&out);
    assert!(v["mean_gap_to_oracle"].as_f64().unwrap() <= 0.3, "{v}");
    assert!(v["measurements_used"].as_u64().unwrap() <= 100);
    assert!(v["adapted"].as_bool().unwrap());
    assert!(!v["set"].as_array().unwrap().is_empty());
    let (ok, _, err) = edgeopt(&[
        "adapt",
        "--data",
        NB201,
        "--proxy",
        "latency_ms_pixel3",
        "--target",
        "no_such_column",
        "--samples",
        "40",
    ]);
    assert!(!ok && err.contains("no_such_column"), "{err}");
}

#[test]
fn codesign_summary_on_the_calibration_grid() {
    let (ok, out, err) = edgeopt(&[
        "codesign",
        "--space",
        "nb201",
        "--data",
        NB201,
        "--accuracy",
        "test_acc_cifar10",
        "--proxy",
        "40",
        "--grid",
        "calibration",
    ]);
    assert!(ok, "{err}");
    let v = last_json(&out);
    assert_eq!(v["accelerators"], 162);
    assert!(v["same_optimum_fraction"].as_f64().unwrap() >= 0.95, "{v}");
    assert!(v["evaluations_coupled"].as_f64().unwrap() >= 30.0 * v["evaluations_semi_decoupled"].as_f64().unwrap());
}

#[test]
fn nas_describe_and_sample() {
    let (ok, out, err) = edgeopt_words(
        "nas describe --space mbv2-1.0 --arch d2,3,4,3,3:k3,3,0,0,3,3,3,0,3,3,3,3,3,3,3,0,3,3,3,0,3:e6,6,0,0,6,6,6,0,6,6,6,6,6,6,6,0,6,6,6,0,6",
    );
    assert!(ok, "{err}");
    let v = last_json(&out);
    assert!((v["macs"].as_f64().unwrap() / 300.8e6 - 1.0).abs() < 0.005);
    let (ok, out, _) = edgeopt(&["nas", "describe", "--space", "nb201", "--arch", "max"]);
    assert!(ok);
    assert!(last_json(&out)["layers"].as_array().unwrap().len() > 40);
    let (ok, out, _) = edgeopt(&["nas", "sample", "--space", "nb201", "-n", "5", "--seed", "9"]);
    assert!(ok);
    assert_eq!(out.lines().count(), 5);
    let (ok2, out2, _) = edgeopt(&["nas", "sample", "--space", "nb201", "-n", "5", "--seed", "9"]);
    assert!(ok2 && out == out2);
    for space in ["mbv3", "alphanet", "attentivenas", "fbnet", "fbnet-cifar", "mbv2"] {
        let (ok, out, err) = edgeopt(&["nas", "sample", "--space", space, "-n", "2", "--seed", "1"]);
        assert!(ok, "{space}: {err}");
        let key = out.lines().next().unwrap().to_string();
        let (ok, out, err) = edgeopt(&["nas", "describe", "--space", space, "--arch", &key]);
        assert!(ok, "{space}: {err}");
        assert_eq!(last_json(&out)["key"], key.as_str());
    }
    let (ok, out, err) = edgeopt(&["nas", "describe", "--space", "darts", "--arch", "min"]);
    assert!(ok, "{err}");
    assert!(last_json(&out)["key"].as_str().unwrap().starts_with("Genotype(normal=["));
    let (ok, _, err) = edgeopt(&["nas", "describe", "--space", "nasbench101", "--arch", "min"]);
    assert!(!ok && err.contains("nasbench101"), "{err}");
}

#[test]
fn bandit_prints_the_final_regret_last_and_writes_a_curve() {
    let dir = tempfile::tempdir().unwrap();
    let curve = dir.path().join("curve.csv");
    let (ok, out, err) = edgeopt(&[
        "bandit",
        "--env",
        "classification",
        "--dataset",
        "crates/bandit/tests/data/wine.csv",
        "--policy",
        "lin-ucb",
        "--rounds",
        "300",
        "--delay-max",
        "10",
        "--seed",
        "2",
        "--out",
        curve.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let regret: f64 = out.lines().last().unwrap().parse().unwrap();
    let (_, rand_out, _) = edgeopt_words(
        "bandit --env classification --dataset crates/bandit/tests/data/wine.csv --policy random --rounds 300 --seed 2",
    );
    let random: f64 = rand_out.lines().last().unwrap().parse().unwrap();
    assert!(regret < random, "lin-ucb {regret} vs random {random}");
    assert_eq!(std::fs::read_to_string(&curve).unwrap().lines().count(), 301);
    let (ok, _, err) = edgeopt(&["bandit", "--env", "classification", "--policy", "random", "--rounds", "5"]);
    assert!(!ok && err.contains("--dataset"), "{err}");
    let (ok, out, err) =
        edgeopt_words("bandit --env synthetic --qoe rbf --policy oracle --rounds 50 --qos-max-latency 20");
    assert!(ok, "{err}");
    assert_eq!(out.lines().last().unwrap(), "0");
    // Hyperparameters of the neural policies, checked by the library.
    let h1 = |extra: &[&str]| {
        let mut args = vec!["bandit", "--env", "h1", "--policy", "neural-ucb", "--rounds", "40", "--width", "8"];
        args.extend_from_slice(extra);
        edgeopt(&args)
    };
    let (ok, out, err) = h1(&["--confidence", "last-layer", "--gamma", "0.05", "--no-geometric", "--lr", "0.02"]);
    assert!(ok, "{err}");
    assert!(out.lines().last().unwrap().parse::<f64>().is_ok(), "{out}");
    let (ok, _, err) = h1(&["--lr=-1"]);
    assert!(!ok && err.contains("lr") && err.lines().count() == 1, "{err}");
    let (ok, _, err) = h1(&["--confidence", "dense"]);
    assert!(!ok && err.contains("--confidence"), "{err}");
}

#[test]
fn adapt_and_one_proxy_take_a_pool_of_proxies_and_a_selection() {
    let pool = "latency_ms_pixel3,latency_ms_raspi4,latency_ms_eyeriss,latency_ms_fpga";
    let (ok, out, err) = edgeopt_words(&format!(
        "adapt --data {NB201} --proxy {pool} --target latency_ms_edgetpu --samples 20 --select stratified --seed 4"
    ));
    assert!(ok, "{err}");
    let v = last_json(&out);
    assert_eq!(v["measurements_used"], 20);
    assert_eq!(v["select"], "stratified");
    assert_eq!(v["proxies"].as_array().unwrap().len(), 4);
    // Every proxy gets a non-negative weight, as measured and as its linear predictor.
    let weights = v["weights"].as_object().unwrap();
    assert_eq!(weights.len(), 8);
    assert!(weights.values().all(|w| w.as_f64().unwrap() >= 0.0));
    assert!(weights.values().any(|w| w.as_f64().unwrap() > 0.0));
    assert!(v["srcc_after"].as_f64().unwrap() > 0.8 && v["cv_srcc"].as_f64().unwrap() > 0.8, "{v}");
    // One proxy named: the single-proxy AdaProxy path, with its validation split.
    let (ok, out, err) = edgeopt_words(&format!(
        "adapt --data {NB201} --proxy latency_ms_pixel3 --target latency_ms_fpga --samples 20 --validation 10 --select stratified"
    ));
    assert!(ok, "{err}");
    let v = last_json(&out);
    assert_eq!(v["measurements_used"], 30);
    assert!(v["alpha"].is_number() && v["weights"]["latency_ms_pixel3"] == v["alpha"], "{v}");
    let (ok, out, err) = edgeopt_words(&format!(
        "one-proxy --data {NB201} --proxy {pool} --target latency_ms_edgetpu --accuracy test_acc_cifar10 --samples 20 --seed 2"
    ));
    assert!(ok, "{err}");
    let v = last_json(&out);
    assert!(v["measurements_used"].as_u64().unwrap() <= 80, "{v}");
    assert!(v["mean_gap_to_oracle"].as_f64().unwrap() <= 0.3, "{v}");
    assert!(v["weights"].as_object().is_some_and(|w| !w.is_empty()), "{v}");
}

#[test]
fn bad_pool_and_selection_arguments_are_one_line_errors() {
    for (args, needle) in [
        ("--proxy latency_ms_pixel3 --select greedy", "greedy"),
        ("--proxy latency_ms_pixel3,latency_ms_fpga --select greedy", "greedy"),
        ("--proxy latency_ms_pixel3,,latency_ms_fpga", "empty column name"),
        ("--proxy latency_ms_pixel3,latency_ms_pixel3", "listed twice"),
        ("--proxy latency_ms_pixel3,latency_ms_edgegpu", "also the target"),
        ("--proxy latency_ms_pixel3,no_such_proxy", "no_such_proxy"),
        ("--proxy latency_ms_pixel3,latency_ms_fpga --validation 10", "--validation"),
    ] {
        let line = format!("adapt --data {NB201} --target latency_ms_edgegpu --samples 20 {args}");
        let (ok, out, err) = edgeopt_words(&line);
        assert!(!ok, "{line}: {out}");
        assert!(err.contains(needle), "{line}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(out.is_empty());
    }
    let (ok, _, err) = edgeopt_words(&format!(
        "adapt --data {NB201} --target latency_ms_edgegpu --proxy latency_ms_pixel3,latency_ms_fpga --samples 5"
    ));
    assert!(!ok && err.contains("need at least 6"), "{err}");
}
