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
fn accel_eval_rows_of_repeated_shapes_and_quoted_names() {
    // Three copies of MobileNetV2, one layer renamed with a comma and a quote: every copy's rows
    // equal the first's (shapes are analysed once), and the odd name is quoted as CSV requires.
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/networks/mobilenetv2.csv")).unwrap();
    let (header, body) = text.split_once('\n').unwrap();
    let mut table = format!("{header}\n");
    for copy in 0..3 {
        for (i, line) in body.lines().enumerate() {
            let (_, rest) = line.split_once(',').unwrap();
            let name = if copy == 2 && i == 0 { "\"odd, \"\"name\"\"\"".to_string() } else { format!("L{i}") };
            table.push_str(&format!("{name},{rest}\n"));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("three.csv");
    std::fs::write(&path, table).unwrap();
    let (ok, out, err) = edgeopt(&[
        "accel",
        "eval",
        "--layers",
        path.to_str().unwrap(),
        "--dataflow",
        "x-p",
        "--pes",
        "128",
        "--noc-bw",
        "300",
        "--offchip-bw",
        "50",
    ]);
    assert!(ok, "{err}");
    let mut rdr = csv::Reader::from_reader(out.as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3 * 56 + 1);
    for i in 0..56 {
        for copy in 1..3 {
            let (a, b) = (&rows[i], &rows[copy * 56 + i]);
            assert_eq!(a.iter().skip(1).collect::<Vec<_>>(), b.iter().skip(1).collect::<Vec<_>>(), "layer {i}");
        }
    }
    assert_eq!(&rows[112][0], "odd, \"name\"");
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
fn codesign_over_layer_wise_dataflow_mixtures() {
    let base = "codesign --space nb201 --data data/nb201_hwnasbench_cifar10.csv.gz --accuracy test_acc_cifar10 --grid calibration --accelerators 12 --archs 60 --proxy 0";
    let (ok, out, err) = edgeopt_words(&format!("{base} --mixed 30"));
    assert!(ok, "{err}");
    let v = last_json(&out);
    assert_eq!((v["accelerators"].as_u64(), v["mixed"].as_bool()), (Some(30), Some(true)), "{v}");
    assert!(v["same_optimum_fraction"].as_f64().is_some(), "{v}");
    let results: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert!(results["results"][0]["proxy"].as_str().unwrap().starts_with("mixture"));
    // A PE budget below every mixture's largest part admits nothing: a clear error.
    let (ok, _, err) = edgeopt_words(&format!("{base} --mixed 30 --max-pes 8"));
    assert!(!ok && err.contains("--max-pes 8"), "{err}");
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
    // The measured-device world with the four-layer network; the best fixed model obeys the QoS filter.
    let (ok, out, err) =
        edgeopt_words("bandit --env devices --policy neural-ucb --depth 4 --width 8 --rounds 60 --qos-max-latency 10");
    assert!(ok, "{err}");
    assert!(out.lines().last().unwrap().parse::<f64>().is_ok(), "{out}");
    let (ok, out, err) = edgeopt_words("bandit --env devices --policy static --rounds 60 --qos-max-latency 10");
    assert!(ok && out.lines().last().unwrap().parse::<f64>().unwrap() >= 0.0, "{err}");
    let (ok, _, err) = h1(&["--depth", "17"]);
    assert!(!ok && err.contains("--depth") && err.lines().count() == 1, "{err}");
}

#[test]
fn search_runs_evolution_nsga2_and_the_sweep_and_resumes_checkpoints() {
    const D: &str = "data/nb201_hwnasbench_cifar10.csv.gz";
    let base = format!("search --space nb201 --data {D} --accuracy test_acc_cifar10 --population 20 --generations 4");
    // Evolution under a cost-model latency bound: the best member meets it.
    let (ok, out, err) = edgeopt_words(&format!("{base} --max-latency 2000000 --seed 3"));
    assert!(ok, "{err}");
    let last: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert!(last["best"]["latency"].as_f64().unwrap() <= 2e6, "{last}");
    assert_eq!(last["generations"], 4);
    // NSGA-II on a measured column: a non-dominated front, its size on the last line.
    let (ok, out, err) = edgeopt_words(&format!("{base} --latency latency_ms_pixel3 --algorithm nsga2"));
    assert!(ok, "{err}");
    let front: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let n = front.last().unwrap()["front"].as_u64().unwrap() as usize;
    assert_eq!(n, front.len() - 1);
    assert!(front[..n].windows(2).all(|w| w[0]["latency"].as_f64() <= w[1]["latency"].as_f64()));
    // The weighted-fitness sweep.
    let (ok, out, err) = edgeopt_words(&format!("{base} --latency latency_ms_raspi4 --sweep 0,0.5,1"));
    assert!(ok, "{err}");
    assert!(out.lines().last().unwrap().contains("pareto_points"), "{out}");
    // A checkpointed run stopped after 2 generations and resumed to 4 equals a straight run.
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("state.json");
    let ck = ck.to_str().unwrap();
    let straight = edgeopt_words(&format!("{base} --seed 5"));
    let short = format!("search --space nb201 --data {D} --accuracy test_acc_cifar10 --population 20 --seed 5");
    assert!(edgeopt_words(&format!("{short} --generations 2 --checkpoint {ck}")).0);
    let resumed = edgeopt_words(&format!("{short} --generations 4 --checkpoint {ck}"));
    assert!(resumed.0, "{}", resumed.2);
    let best =
        |out: &str| serde_json::from_str::<serde_json::Value>(out.lines().last().unwrap()).unwrap()["best"].clone();
    assert_eq!(best(&resumed.1), best(&straight.1));
    // A checkpoint of another run is refused, naming the file.
    let other = short.replace("--seed 5", "--seed 6");
    let (ok, _, err) = edgeopt_words(&format!("{other} --generations 4 --checkpoint {ck}"));
    assert!(!ok && err.contains("state.json") && err.contains("other settings"), "{err}");
}

#[test]
fn search_rejects_bad_inputs_with_the_cause() {
    const D: &str = "data/nb201_hwnasbench_cifar10.csv.gz";
    let dir = tempfile::tempdir().unwrap();
    let acc = dir.path().join("acc.csv");
    std::fs::write(&acc, "key,accuracy\nnot-a-key,1\n").unwrap();
    let bad_file = format!("search --space nb201 --accuracy-file {}", acc.display());
    for (line, want) in [
        (format!("search --space nb201 --data {D} --accuracy test_acc_cifar10 --algorithm sa"), "--algorithm `sa`"),
        ("search --space nb201".to_string(), "--accuracy-file"),
        (format!("search --space foo --data {D} --accuracy test_acc_cifar10"), "--space `foo`"),
        (bad_file, "not-a-key"),
        (format!("search --space nb201 --data {D} --accuracy test_acc_cifar10 --dataflow zz"), "--dataflow `zz`"),
        (format!("search --space nb201 --data {D} --accuracy nope"), "nope"),
        // The edge GPU column has gaps: the failing architecture and the cause are both named.
        (
            format!(
                "search --space nb201 --data {D} --accuracy test_acc_cifar10 --latency latency_ms_edgegpu --population 50"
            ),
            ": no latency for architecture",
        ),
        (
            format!("search --space nb201 --data {D} --accuracy test_acc_cifar10 --algorithm nsga2 --max-latency 100"),
            "--max-latency 100 applies to --algorithm evolution",
        ),
        (
            format!("search --space nb201 --data {D} --accuracy test_acc_cifar10 --algorithm nsga2 --sweep 0,1"),
            "--sweep applies to --algorithm evolution",
        ),
        (
            format!("search --space nb201 --data {D} --accuracy test_acc_cifar10 --population 7"),
            "--population 7: evolution keeps the best quarter as parents and needs two, so at least 8",
        ),
        (format!("search --space nb201 --data {D} --accuracy test_acc_cifar10 --population 1000001"), "1000001"),
    ] {
        let (ok, out, err) = edgeopt_words(&line);
        assert!(!ok, "{line} succeeded: {out}");
        assert!(err.contains(want) && err.lines().count() == 1, "{line}: {err}");
    }
    // Columns in another order are named as the file has them.
    std::fs::write(&acc, "accuracy,key\n1,x\n").unwrap();
    let (ok, _, err) = edgeopt_words(&format!("search --space nb201 --accuracy-file {}", acc.display()));
    assert!(!ok && err.contains("expected the columns `key,accuracy`, found `accuracy,key`"), "{err}");
    // A user's accuracy file drives the search on a space without public accuracy data.
    let keys = edgeopt_words("nas sample --space darts -n 12 --seed 1").1;
    let rows: String = keys.lines().enumerate().map(|(i, k)| format!("\"{k}\",{}\n", 90.0 + i as f64 * 0.1)).collect();
    std::fs::write(&acc, format!("key,accuracy\n{rows}")).unwrap();
    let (ok, out, err) = edgeopt_words(&format!(
        "search --space darts --accuracy-file {} --population 8 --generations 2 --pes 1024",
        acc.display()
    ));
    assert!(ok, "{err}");
    assert!(out.contains("\"best\""), "{out}");
}

#[test]
fn codesign_runs_on_any_space_with_a_users_accuracy_file() {
    let dir = tempfile::tempdir().unwrap();
    let acc = dir.path().join("darts_acc.csv");
    let keys = edgeopt_words("nas sample --space darts -n 30 --seed 4").1;
    let rows: String =
        keys.lines().enumerate().map(|(i, k)| format!("\"{k}\",{}\n", 90.0 + (i % 7) as f64 * 0.3)).collect();
    std::fs::write(&acc, format!("key,accuracy\n{rows}")).unwrap();
    let line = format!(
        "codesign --space darts --accuracy-file {} --archs 30 --accelerators 20 --grid calibration --proxy 3 --seed 4",
        acc.display()
    );
    let (ok, out, err) = edgeopt_words(&line);
    assert!(ok, "{err}");
    let summary: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(summary["architectures"], 30);
    assert_eq!(summary["accelerators"], 20);
    // Another seed samples architectures the file does not have: a clear error naming one.
    let (ok, _, err) = edgeopt_words(&line.replace("--seed 4", "--seed 5"));
    assert!(!ok && err.contains("has no accuracy") && err.contains("nas sample --space darts -n 30 --seed 5"), "{err}");
    for (bad, want) in [
        (line.replace("--archs 30", "--archs 0"), "--archs <ARCHS>"),
        (line.replace("--accelerators 20", "--accelerators 999"), "--accelerators 999"),
        (line.replace("--space darts", "--space nb201"), "bad nb201 architecture key"),
        ("codesign --space darts".to_string(), "--accuracy-file"),
    ] {
        let (ok, _, err) = edgeopt_words(&bad);
        assert!(!ok && err.contains(want), "{bad}: {err}");
    }
}

#[test]
fn bisect_meets_constraints_on_a_column_or_an_accelerator_with_counted_measurements() {
    const D: &str = "data/nb201_hwnasbench_cifar10.csv.gz";
    let base = format!("bisect --data {D} --accuracy test_acc_cifar10 --proxy latency_ms_pixel3");
    let (ok, out, err) =
        edgeopt_words(&format!("{base} --target latency_ms_raspi4 --constraint 20,40 --granularity 0.01"));
    assert!(ok, "{err}");
    let rows: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 3);
    for (r, c) in rows.iter().zip([20.0, 40.0]) {
        assert!(r["met"].as_bool().unwrap(), "{r}");
        assert!(r["latency"].as_f64().unwrap() <= 1.02 * c, "{r}");
        assert!(r["measurements"].as_u64().unwrap() <= 8, "⌈log2(100)⌉ + 1 at most: {r}");
    }
    let total: u64 = rows[..2].iter().map(|r| r["measurements"].as_u64().unwrap()).sum();
    assert_eq!(rows[2]["measurements"].as_u64().unwrap(), total);
    // An accelerator of the cost model as the target (cycles).
    let (ok, out, err) =
        edgeopt_words(&format!("{base} --target accel --pes 64 --constraint 3000000 --granularity 0.01"));
    assert!(ok, "{err}");
    assert!(out.lines().next().unwrap().contains("\"met\":true"), "{out}");
    for (bad, want) in [
        (format!("{base} --target latency_ms_raspi4 --constraint -1"), "invalid value '-1' for '--constraint"),
        (format!("{base} --target latency_ms_raspi4 --constraint 20 --delta 2"), "--delta 2"),
        (format!("{base} --target nope --constraint 20"), "nope"),
        (format!("{base} --target accel --dataflow q --constraint 20"), "--dataflow `q`"),
    ] {
        let (ok, _, err) = edgeopt_words(&bad);
        assert!(!ok && err.contains(want), "{bad}: {err}");
    }
}

const MOBILENET_ONNX: &str = "crates/onnx/tests/fixtures/mobilenetv2.onnx";

#[test]
fn accel_eval_on_an_onnx_model_equals_eval_on_its_imported_layer_table() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("layers.csv");
    let (ok, out, err) = edgeopt(&["import", "onnx", MOBILENET_ONNX, "--out", csv.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.trim_end().ends_with("lowered layers cover 100.00% of the model's 300774272 MACs"), "{err}");
    for df in ["kc-p", "yr-p", "x-p"] {
        let hw = format!("--dataflow {df} --pes 64 --noc-bw 300 --offchip-bw 50");
        let (ok1, from_onnx, err1) = edgeopt_words(&format!("accel eval --onnx {MOBILENET_ONNX} {hw}"));
        let (ok2, from_csv, err2) = edgeopt_words(&format!("accel eval --layers {} {hw}", csv.display()));
        assert!(ok1 && ok2, "{err1}{err2}");
        assert_eq!(from_onnx, from_csv, "{df}");
        assert_eq!(from_onnx.lines().count(), 1 + 53 + 1);
        assert!(from_onnx.lines().last().unwrap().starts_with("TOTAL,,"));
    }
}

#[test]
fn import_onnx_writes_csv_or_maestro_and_needs_dynamic_shapes() {
    let model = "crates/onnx/tests/fixtures/transformer_block.onnx";
    let (ok, _, err) = edgeopt(&["import", "onnx", model]);
    assert!(!ok);
    assert_eq!(
        err.trim(),
        "error: input `x` has dynamic dimension 0 (`batch`); give its shape, e.g. --input-shape x=1,16,64"
    );
    let (ok, csv, err) = edgeopt(&["import", "onnx", model, "--input-shape", "x=2,16,64"]);
    assert!(ok, "{err}");
    assert!(csv.starts_with("name,type,k,c,r,s,y,x,stride_y,stride_x,groups,batch\n"), "{csv}");
    assert!(csv.contains("attn/scores,GEMM,16,16,1,1,16,1,1,1,1,8\n"), "{csv}");
    assert!(err.contains("not modelled by the cost model: 1 softmax op,"), "{err}");
    let (ok, maestro, err) = edgeopt(&["import", "onnx", MOBILENET_ONNX, "--format", "maestro"]);
    assert!(ok, "{err}");
    assert!(
        maestro
            .starts_with("Network mobilenet_v2 {\n\tLayer features_0 {\n\t\tType: CONV\n\t\tStride { X: 2, Y: 2 }\n")
    );
    assert_eq!(maestro.matches("Type: DSCONV").count(), 17);
}

#[test]
fn import_onnx_refuses_bad_models_in_one_line_and_never_overwrites_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("m.onnx");
    std::fs::copy(MOBILENET_ONNX, &copy).unwrap();
    let before = std::fs::read(&copy).unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["crates/onnx/tests/fixtures/lstm.onnx"], "node `encoder_lstm` (LSTM)"),
        (vec!["crates/onnx/tests/fixtures/custom_op.onnx"], "node `fancy` (com.example:FancyConv)"),
        (vec!["data/networks/vgg16.csv"], "data/networks/vgg16.csv: not"),
        (vec!["no/such.onnx"], "no/such.onnx"),
        (vec![copy.to_str().unwrap(), "--out", copy.to_str().unwrap()], "is the input"),
        (vec![MOBILENET_ONNX, "--input-shape", "1,3,x,224"], "`x` is not a positive integer"),
    ];
    for (args, expected) in cases {
        let mut all = vec!["import", "onnx"];
        all.extend(args);
        let (ok, out, err) = edgeopt(&all);
        assert!(!ok, "{all:?} succeeded: {out}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.starts_with("error: ") && err.contains(expected), "{all:?}: {err}");
    }
    assert_eq!(std::fs::read(&copy).unwrap(), before);
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
    // A cap on the target measurements holds (the Pareto set is thinned to fit), and a cap
    // below the first samples is refused.
    for proxy in [pool, "latency_ms_pixel3"] {
        let line = format!(
            "one-proxy --data {NB201} --proxy {proxy} --target latency_ms_edgegpu --accuracy test_acc_cifar10 --samples 20 --select stratified --seed 2"
        );
        let (ok, out, err) = edgeopt_words(&format!("{line} --max-measurements 30"));
        assert!(ok, "{err}");
        let v = last_json(&out);
        assert!(v["measurements_used"].as_u64().unwrap() <= 30, "{v}");
        assert!(!v["set"].as_array().unwrap().is_empty(), "{v}");
        let (ok, _, err) = edgeopt_words(&format!("{line} --max-measurements 10"));
        assert!(!ok && err.contains("max measurements") && err.contains("10"), "{err}");
    }
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

#[test]
fn a_search_checkpoint_is_not_resumed_with_another_accuracy_source() {
    const D: &str = "data/nb201_hwnasbench_cifar10.csv.gz";
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("s.json");
    let run = |acc: &str| {
        edgeopt_words(&format!(
            "search --space nb201 --data {D} --accuracy {acc} --population 8 --generations 1 --checkpoint {}",
            ck.display()
        ))
    };
    assert!(run("test_acc_cifar10").0);
    let (ok, _, err) = run("test_acc_cifar100");
    assert!(!ok && err.contains("other settings"), "{err}");
}

#[test]
fn a_sharded_grid_merges_into_the_unsharded_table() {
    let dir = tempfile::tempdir().unwrap();
    let net = "data/networks/mobilenetv2.csv";
    let part = |i: usize| dir.path().join(format!("part-{i}.csv")).display().to_string();
    for i in 0..4 {
        let (ok, stdout, err) = edgeopt(&[
            "accel",
            "grid",
            "--layers",
            net,
            "--space",
            "calibration",
            "--shard",
            &format!("{i}/4"),
            "--out",
            &part(i),
        ]);
        assert!(ok && stdout.is_empty(), "{err}");
    }
    let (ok, full, _) = edgeopt(&["accel", "grid", "--layers", net, "--space", "calibration"]);
    assert!(ok);
    let rows: String = full.lines().filter(|l| !l.starts_with('#')).map(|l| format!("{l}\n")).collect();
    // Any order of the parts on the command line.
    let (ok, merged, err) = edgeopt(&["merge", &part(2), &part(0), &part(3), &part(1)]);
    assert!(ok, "{err}");
    assert_eq!(merged, rows);
    assert_eq!(merged.lines().count(), 163);
    // A missing part, a duplicate, and a part of another sweep are refused.
    let (ok, _, err) = edgeopt(&["merge", &part(0), &part(1), &part(3)]);
    assert!(!ok && err.contains("missing shard(s) 2 of 4"), "{err}");
    let (ok, _, err) = edgeopt(&["merge", &part(0), &part(1), &part(1), &part(2), &part(3)]);
    assert!(!ok && err.contains("given twice"), "{err}");
    let other = dir.path().join("other.csv").display().to_string();
    let args = [
        "accel",
        "grid",
        "--layers",
        "data/networks/vgg16.csv",
        "--space",
        "calibration",
        "--shard",
        "2/4",
        "--out",
        &other,
    ];
    assert!(edgeopt(&args).0);
    let (ok, _, err) = edgeopt(&["merge", &part(0), &part(1), &other, &part(3)]);
    assert!(!ok && err.contains("different sweeps"), "{err}");
    // Edited rows are refused by file and line: garbage, a non-number, a row whose label names
    // other hardware, another part's accelerator, another header. A byte-order mark is not an edit.
    let text = std::fs::read_to_string(part(1)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let other_part = std::fs::read_to_string(part(0)).unwrap();
    let stolen = other_part.lines().nth(2).unwrap();
    let swap_cycles = {
        let mut f: Vec<&str> = lines[2].split(',').collect();
        f[5] = "NaN";
        f.join(",")
    };
    let relabel = lines[2].replacen("/noc", "0/noc", 1);
    for (line, edit, needle) in [
        (2, "hello", "line 3: `hello` has 1 fields, not 7"),
        (2, swap_cycles.as_str(), "line 3:"),
        (2, relabel.as_str(), "does not name the hardware of its row"),
        (2, "kc-p/0pe/noc300/off50,kc-p,0,300,50,1,1.0", "num_pes"),
        (2, "sys/16pe/noc300/off50,sys,16,300,50,1,1.0", "`sys` is not a dataflow"),
        (3, stolen, "is also on line 3 of"),
        (1, "accelerator,dataflow,pes", "has the columns `accelerator,dataflow,pes`"),
    ] {
        let mut edited = lines.clone();
        edited[line] = edit;
        std::fs::write(part(1), edited.join("\n") + "\n").unwrap();
        let (ok, _, err) = edgeopt(&["merge", &part(0), &part(1), &part(2), &part(3)]);
        assert!(!ok && err.contains(needle), "{edit}: {err}");
    }
    std::fs::write(part(1), format!("\u{feff}{text}")).unwrap();
    let (ok, merged, err) = edgeopt(&["merge", &part(0), &part(1), &part(2), &part(3)]);
    assert!(ok && merged == rows, "{err}");
    // A part cut short (a job killed while writing without --out) is refused, naming the file.
    let text = std::fs::read_to_string(part(2)).unwrap();
    let cut: String = text.lines().take(5).map(|l| format!("{l}\n")).collect();
    std::fs::write(part(2), cut).unwrap();
    let (ok, _, err) = edgeopt(&["merge", &part(0), &part(1), &part(2), &part(3)]);
    assert!(!ok && err.contains("truncated") && err.contains("part-2.csv"), "{err}");
}

#[test]
fn l2o_trains_a_model_and_designs_for_an_unseen_device_from_its_reference_measurements() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.json");
    let train = |out: &std::path::Path, method: &str| {
        edgeopt(&[
            "l2o",
            "train",
            "--data",
            NB201,
            "--accuracy",
            "test_acc_cifar10",
            "--devices",
            "latency_ms_raspi4,latency_ms_eyeriss",
            "--synthetic",
            "2",
            "--method",
            method,
            "--references",
            "4",
            "--initial",
            "30",
            "--per-round",
            "10",
            "--rounds",
            "2",
            "--accuracy-designs",
            "50",
            "--perf-epochs",
            "5",
            "--epochs",
            "5",
            "--seed",
            "4",
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let (ok, out, err) = train(&model, "1");
    assert!(ok, "{err}");
    let v = last_json(&out);
    assert_eq!(v["measurements_per_device"], serde_json::json!([40, 40]));
    assert_eq!(v["references"].as_array().unwrap().len(), 4);
    // Same seed, same model file.
    let again = dir.path().join("again.json");
    assert!(train(&again, "1").0);
    assert_eq!(std::fs::read(&model).unwrap(), std::fs::read(&again).unwrap());
    let method2 = dir.path().join("m2.json");
    assert!(train(&method2, "2").0);
    let apply = |m: &std::path::Path, lambda: &str, decode: Option<&str>| {
        let mut args = vec![
            "l2o",
            "apply",
            "--model",
            m.to_str().unwrap(),
            "--data",
            NB201,
            "--target",
            "latency_ms_fpga",
            "--lambda",
            lambda,
        ];
        args.extend(decode.map(|d| ["--decode", d]).iter().flatten());
        let (ok, out, err) = edgeopt(&args);
        assert!(ok, "{err}");
        last_json(&out)
    };
    // The objective with table accuracy and predicted latency: what table decoding minimises.
    let objective = |v: &serde_json::Value, lambda: f64| {
        -v["table_accuracy"].as_f64().unwrap() + lambda * v["predicted_latency"].as_f64().unwrap()
    };
    for (m, lambda) in [(&model, "0"), (&model, "3"), (&method2, "0.5"), (&model, "0.05"), (&method2, "20")] {
        let v = apply(m, lambda, None);
        assert_eq!(v["measurements_used"], 4, "{v}");
        assert!(v["arch"].as_str().unwrap().starts_with('|'), "{v}");
        assert!(v["predicted_latency"].as_f64().unwrap() > 0.0, "{v}");
        assert!(v["predicted_accuracy"].as_f64().unwrap().is_finite(), "{v}");
        // The table has the model's accuracy column: table decoding by default.
        assert_eq!(v["decoding"], "table", "{v}");
        assert_eq!(v, apply(m, lambda, Some("table")));
        let plain = apply(m, lambda, Some("plain"));
        assert_eq!(plain["decoding"], "plain", "{plain}");
        // Table decoding scores plain's candidates too, so it is never worse by its objective.
        let l: f64 = lambda.parse().unwrap();
        assert!(objective(&v, l) <= objective(&plain, l) + 1e-9, "λ {lambda}: {v} vs {plain}");
    }
    let (ok, out, err) = edgeopt(&[
        "l2o",
        "apply",
        "--model",
        model.to_str().unwrap(),
        "--data",
        NB201,
        "--target",
        "latency_ms_fpga",
        "--max-latency",
        "1000",
    ]);
    assert!(ok, "{err}");
    assert!(last_json(&out)["predicted_latency"].as_f64().unwrap() <= 1000.0);
    assert_eq!(last_json(&out)["decoding"], "table");
}

/// Small settings so the debug build trains in seconds.
const L2O_SMALL: [&str; 12] = [
    "--initial",
    "20",
    "--per-round",
    "10",
    "--rounds",
    "1",
    "--accuracy-designs",
    "50",
    "--perf-epochs",
    "2",
    "--epochs",
    "2",
];

#[test]
fn l2o_with_energy_designs_under_an_energy_weight() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.json");
    let mut args = vec![
        "l2o",
        "train",
        "--data",
        NB201,
        "--accuracy",
        "test_acc_cifar10",
        "--devices",
        "latency_ms_edgegpu,latency_ms_fpga",
        "--energy",
        "energy_mj_edgegpu,energy_mj_fpga",
        "--references",
        "3",
        "--out",
        model.to_str().unwrap(),
    ];
    args.extend(L2O_SMALL);
    let (ok, out, err) = edgeopt(&args);
    assert!(ok, "{err}");
    assert_eq!(last_json(&out)["energy"], true);
    let apply = |l2: &str| {
        let (ok, out, err) = edgeopt(&[
            "l2o",
            "apply",
            "--model",
            model.to_str().unwrap(),
            "--data",
            NB201,
            "--target",
            "latency_ms_eyeriss",
            "--target-energy",
            "energy_mj_eyeriss",
            "--lambda",
            "0.1",
            "--energy-lambda",
            l2,
        ]);
        assert!(ok, "{err}");
        last_json(&out)
    };
    let v = apply("0.5");
    assert_eq!(v["measurements_used"], 3);
    assert_eq!(v["energy_lambda"], 0.5);
    assert!(v["predicted_energy"].as_f64().unwrap() > 0.0, "{v}");
}

#[test]
fn l2o_accelerators_train_on_the_thesis_grid_and_design_from_the_hardware_alone() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.json");
    let mut args = vec![
        "l2o",
        "train",
        "--accelerators",
        "2",
        "--synthetic",
        "1",
        "--references",
        "0",
        "--data",
        NB201,
        "--accuracy",
        "test_acc_cifar10",
        "--out",
        model.to_str().unwrap(),
    ];
    args.extend(L2O_SMALL);
    let (ok, out, err) = edgeopt(&args);
    assert!(ok, "{err}");
    let v = last_json(&out);
    assert_eq!(v["devices"].as_array().unwrap().len(), 3, "{v}");
    assert_eq!(v["measurements_per_device"][0], 20);
    let apply = |extra: &[&str]| {
        let mut args = vec![
            "l2o",
            "apply",
            "--model",
            model.to_str().unwrap(),
            "--accelerators",
            "kc-p/64pe/noc300/off50,x-p/512pe/noc900/off350",
            "--lambda",
            "1e-6",
            "--energy-lambda",
            "1e-7",
        ];
        args.extend(extra);
        let (ok, out, err) = edgeopt(&args);
        assert!(ok, "{err}");
        out.lines().map(|l| serde_json::from_str(l).unwrap()).collect::<Vec<serde_json::Value>>()
    };
    // Without a table there is no accuracy to decode by: plain.
    let lines = apply(&[]);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["accelerator"], "x-p/512pe/noc900/off350");
    for v in &lines {
        assert_eq!(v["measurements_used"], 0);
        assert_eq!(v["decoding"], "plain");
        assert!(v["arch"].as_str().unwrap().starts_with('|'), "{v}");
        assert!(v["predicted_cycles"].as_f64().unwrap() > 0.0 && v["predicted_energy_nj"].as_f64().unwrap() > 0.0);
    }
    let table = apply(&["--data", NB201]);
    let plain = apply(&["--data", NB201, "--decode", "plain"]);
    let objective = |v: &serde_json::Value| {
        -v["table_accuracy"].as_f64().unwrap()
            + 1e-6 * v["predicted_cycles"].as_f64().unwrap()
            + 1e-7 * v["predicted_energy_nj"].as_f64().unwrap()
    };
    for ((t, p), v) in table.iter().zip(&plain).zip(&lines) {
        assert_eq!((&t["decoding"], &p["decoding"]), (&"table".into(), &"plain".into()));
        assert_eq!(p["arch"], v["arch"], "a table does not change plain decoding");
        assert!(objective(t) <= objective(p) + 1e-9, "{t} vs {p}");
    }
}
