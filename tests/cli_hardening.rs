//! The `edgeopt` binary against hostile input and hostile output: every bad value gets a one-line
//! error naming it, nothing is printed before a result is complete, a closed pipe ends the program
//! quietly, and no output ever replaces an input.

use std::process::{Command, Stdio};

const NB201: &str = "data/nb201_hwnasbench_cifar10.csv.gz";
const WINE: &str = "crates/bandit/tests/data/wine.csv";
const VGG: &str = "data/networks/vgg16.csv";

fn cmd(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_edgeopt"));
    c.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = cmd(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// One bad command line: it must fail, print nothing on stdout, and give exactly one line on
/// stderr that contains `needle`.
fn assert_refused(args: &[&str], needle: &str) {
    let (code, out, err) = run(args);
    assert!(code.is_some_and(|c| c != 0), "{args:?} succeeded: {out}");
    assert!(out.is_empty(), "{args:?} printed before failing: {out}");
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    assert!(err.starts_with("error"), "{args:?}: {err}");
    assert!(!err.contains("panicked") && !err.contains("backtrace"), "{args:?}: {err}");
    assert!(err.contains(needle), "{args:?}: `{needle}` not in {err}");
}

/// Run `args` with stdout a pipe whose reader is gone before the program starts.
fn closed_pipe(args: &[&str]) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = cmd(args).stdout(writer).stderr(Stdio::piped()).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

const COMMANDS: [&str; 9] = [
    "nas sample --space nb201 -n 20000 --seed 1",
    "nas describe --space mbv2 --arch max",
    "monotonicity --data data/nb201_hwnasbench_cifar10.csv.gz",
    "adapt --data data/nb201_hwnasbench_cifar10.csv.gz --proxy latency_ms_pixel3 --target latency_ms_fpga --samples 20",
    "one-proxy --data data/nb201_hwnasbench_cifar10.csv.gz --proxy latency_ms_pixel3 --target latency_ms_fpga --accuracy test_acc_cifar10 --samples 20",
    "codesign --data data/nb201_hwnasbench_cifar10.csv.gz --accuracy test_acc_cifar10 --grid calibration --proxy 3",
    "bandit --env h1 --policy lin-ucb --rounds 50",
    "accel eval --layers data/networks/vgg16.csv --dataflow kc-p --pes 64 --noc-bw 64 --offchip-bw 64",
    // About 8 MB of keys, sent to stdout in blocks while they are sampled.
    "nas sample --space darts -n 20000",
];

#[test]
fn a_closed_pipe_ends_every_command_quietly() {
    for line in COMMANDS {
        let (code, err) = closed_pipe(&words(line));
        // 141 is what a shell reports for a process ended by SIGPIPE, as `seq 1 1000000 | head -1`.
        assert_eq!(code, Some(141), "{line}: {err}");
        assert!(err.is_empty(), "{line}: {err}");
    }
}

#[test]
fn a_full_disk_on_stdout_is_a_one_line_error() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else { return };
    for line in COMMANDS {
        let out = cmd(&words(line)).stdout(full.try_clone().unwrap()).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{line}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{line}: {err}");
        assert!(err.starts_with("error: writing stdout"), "{line}: {err}");
    }
}

#[test]
fn codesign_never_counts_a_case_without_a_coupled_optimum_as_a_match() {
    // 1 PE admits none of the grid: an error, not `same_optimum_fraction: 1.0`.
    assert_refused(
        &words(
            "codesign --data data/nb201_hwnasbench_cifar10.csv.gz --accuracy test_acc_cifar10 --grid calibration --max-pes 1",
        ),
        "admits none",
    );
    // 64 PEs admit only the smallest accelerators: the tight constraints have no coupled optimum.
    let (code, out, err) = run(&words(
        "codesign --data data/nb201_hwnasbench_cifar10.csv.gz --accuracy test_acc_cifar10 --grid calibration --proxy 0 --max-pes 64",
    ));
    assert_eq!(code, Some(0), "{err}");
    let results: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let summary: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    let results = results["results"].as_array().unwrap();
    let with_optimum: Vec<&serde_json::Value> = results.iter().filter(|r| !r["coupled"].is_null()).collect();
    assert!(with_optimum.len() < results.len(), "the budget must leave some constraint infeasible");
    assert_eq!(summary["cases_with_coupled_optimum"], with_optimum.len());
    let same = with_optimum.iter().filter(|r| r["accuracy_gap"].as_f64().unwrap().abs() < 1e-12).count();
    let expected = same as f64 / with_optimum.len() as f64;
    assert!((summary["same_optimum_fraction"].as_f64().unwrap() - expected).abs() < 1e-12, "{summary}");
    // A study too large for memory is refused before it is costed.
    assert_refused(
        &words("codesign --data data/nb201_hwnasbench_cifar10.csv.gz --accuracy test_acc_cifar10 --mixed 100000"),
        "15625 architectures × 100000 mixtures = 1562500000 designs; at most 100000000",
    );
    // One architecture meets none of the bounds anywhere: an error that says so, not a table of nulls.
    assert_refused(
        &words(
            "codesign --data data/nb201_hwnasbench_cifar10.csv.gz --accuracy test_acc_cifar10 --archs 1 --accelerators 20",
        ),
        "no design meets any of the 5 (latency, energy) bounds: 1 architecture(s) on 20 admissible accelerators",
    );
}

#[test]
fn bandit_never_writes_its_curve_over_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d.csv");
    std::fs::copy(WINE, &data).unwrap();
    let before = std::fs::read(&data).unwrap();
    let link = dir.path().join("link.csv");
    std::os::unix::fs::symlink(&data, &link).unwrap();
    let via_dotdot = dir.path().join("sub");
    std::fs::create_dir(&via_dotdot).unwrap();
    let via_dotdot = via_dotdot.join("..").join("d.csv");
    for out in [&data, &link, &via_dotdot] {
        assert_refused(
            &[
                "bandit",
                "--env",
                "classification",
                "--dataset",
                data.to_str().unwrap(),
                "--policy",
                "random",
                "--rounds",
                "5",
                "--out",
                out.to_str().unwrap(),
            ],
            "is the input",
        );
    }
    assert_eq!(std::fs::read(&data).unwrap(), before);
    // A curve goes to its own file, whole, with no temporary left beside it.
    let curve = dir.path().join("curve.csv");
    let (code, _, err) = run(&[
        "bandit",
        "--env",
        "classification",
        "--dataset",
        data.to_str().unwrap(),
        "--policy",
        "random",
        "--rounds",
        "5",
        "--out",
        curve.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(std::fs::read_to_string(&curve).unwrap().lines().count(), 6);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 4, "d.csv, link.csv, sub, curve.csv");
}

#[test]
fn the_demo_replaces_an_old_report_whole_and_never_an_unrelated_folder() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report");
    std::fs::create_dir(&report).unwrap();
    std::fs::write(report.join("report.md"), "old").unwrap();
    std::fs::write(report.join("stale.svg"), "old").unwrap();
    // Run with stdout a closed pipe: the report is still written, and the run ends quietly.
    let (code, err) = closed_pipe(&["demo", "--out", report.to_str().unwrap()]);
    assert_eq!(code, Some(141), "{err}");
    assert!(err.is_empty(), "{err}");
    assert!(std::fs::read_to_string(report.join("report.md")).unwrap().starts_with("# edgeopt demo report"));
    assert!(!report.join("stale.svg").exists(), "a file of the old report survived");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "a temporary folder was left");
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    std::fs::write(home.join("notes.txt"), "keep").unwrap();
    assert_refused(&["demo", "--out", home.to_str().unwrap()], "refusing to replace");
    assert_eq!(std::fs::read_to_string(home.join("notes.txt")).unwrap(), "keep");
    let file = dir.path().join("file");
    std::fs::write(&file, "keep").unwrap();
    assert_refused(&["demo", "--out", file.to_str().unwrap()], "not a folder");
}

/// Files with one defect each, for the table below.
fn bad_files(dir: &std::path::Path) -> Vec<(&'static str, String)> {
    let files: [(&str, &[u8]); 15] = [
        ("misspelt.csv", b"name,type,k,c,r,s,y,x,stirde\nc,CONV,8,8,3,3,9,9,2\n"),
        ("twice.csv", b"name,type,k,c,r,s,y,x,k\nc,CONV,8,8,3,3,9,9,8\n"),
        ("empty.csv", b""),
        ("header_only.csv", b"name,type,k,c,r,s,y,x,stride\n"),
        ("filter_too_big.csv", b"name,type,k,c,r,s,y,x,stride\nc,CONV,8,8,3,3,2,2,1\n"),
        ("nan_k.csv", b"name,type,k,c,r,s,y,x,stride\nc,CONV,NaN,8,3,3,9,9,1\n"),
        ("bad_type.csv", b"name,type,k,c,r,s,y,x,stride\nc,POOL,8,8,3,3,9,9,1\n"),
        ("bad.m", b"Network n { Layer l { Type: CONV Dimensions { K: 8, C: 8, R: 3, S: 3, Y: 9, X: 9, Q: 4 } } }"),
        ("dup_cols.csv", b"arch_str,latency_a,latency_a\nx,1,2\n"),
        ("one_device.csv", b"arch_str,latency_a\nx,1\ny,2\n"),
        ("words.csv", b"arch_str,latency_a,latency_b\nx,1,fast\ny,2,3\n"),
        ("not.gz", b"this is not gzip"),
        ("ragged.csv", b"arch_str,latency_a,latency_b\nx,1\n"),
        ("labels.csv", b"f0,f1,label\n1,2,zero\n"),
        ("constant.csv", b"arch_str,latency_a,latency_b\nx,1,5\ny,2,5\nz,3,5\n"),
    ];
    files
        .iter()
        .map(|(name, bytes)| {
            let path = dir.join(name);
            std::fs::write(&path, bytes).unwrap();
            (*name, path.display().to_string())
        })
        .collect()
}

#[test]
fn every_flag_refuses_bad_values_with_a_one_line_error_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let files = bad_files(dir.path());
    let f = |name: &str| files.iter().find(|(n, _)| *n == name).unwrap().1.clone();
    // Renamed to end in .gz so that the gzip reader gets it.
    let not_gz = dir.path().join("not.csv.gz");
    std::fs::rename(f("not.gz"), &not_gz).unwrap();
    let not_gz = not_gz.display().to_string();
    let eval = "accel eval --dataflow kc-p --pes 64 --noc-bw 64 --offchip-bw 64 --layers";
    let mono = "monotonicity --data";
    let adapt = format!("adapt --data {NB201} --proxy latency_ms_pixel3 --target latency_ms_fpga");
    let one = format!(
        "one-proxy --data {NB201} --proxy latency_ms_pixel3 --target latency_ms_fpga --accuracy test_acc_cifar10"
    );
    let cod = format!("codesign --data {NB201} --accuracy test_acc_cifar10 --grid calibration");
    let band = "bandit --env h1 --policy neural-ucb --rounds 10 --width 8";
    let srch =
        format!("search --space nb201 --data {NB201} --accuracy test_acc_cifar10 --generations 1 --population 8");
    let bis = format!(
        "bisect --data {NB201} --accuracy test_acc_cifar10 --proxy latency_ms_pixel3 --target latency_ms_raspi4"
    );
    let cases: Vec<(String, &str)> = vec![
        // accel eval: every flag
        (format!("accel eval --layers {VGG} --dataflow kc-p --pes 0 --noc-bw 64 --offchip-bw 64"), "num_pes"),
        (format!("accel eval --layers {VGG} --dataflow kc-p --pes -1 --noc-bw 64 --offchip-bw 64"), "--pes"),
        (format!("accel eval --layers {VGG} --dataflow kc-p --pes 1e3 --noc-bw 64 --offchip-bw 64"), "--pes"),
        (
            format!("accel eval --layers {VGG} --dataflow kc-p --pes 18446744073709551616 --noc-bw 64 --offchip-bw 64"),
            "--pes",
        ),
        (format!("accel eval --layers {VGG} --dataflow kc-p --pes 64 --noc-bw 0 --offchip-bw 64"), "noc_bw"),
        (format!("accel eval --layers {VGG} --dataflow kc-p --pes 64 --noc-bw 64 --offchip-bw 0"), "offchip_bw"),
        (format!("accel eval --layers {VGG} --dataflow kc-p --pes 64 --noc-bw 64 --offchip-bw x"), "--offchip-bw"),
        (format!("{eval} {VGG} --l1-bytes 0"), "l1"),
        (format!("{eval} {VGG} --l2-bytes 0"), "l2"),
        (format!("{eval} {VGG} --l1-bytes -5"), "--l1-bytes"),
        (format!("{eval} {VGG} --energy joules"), "--energy"),
        (format!("accel eval --layers {VGG} --dataflow diagonal --pes 64 --noc-bw 64 --offchip-bw 64"), "diagonal"),
        ("accel eval --dataflow kc-p --pes 64 --noc-bw 64 --offchip-bw 64".into(), "--layers"),
        (format!("accel eval --dataflow {} --pes 64 --noc-bw 64 --offchip-bw 64", f("bad.m")), "`Q`"),
        (format!("{eval} no/such.csv"), "no/such.csv"),
        (format!("{eval} {}", f("misspelt.csv")), "`stirde`"),
        (format!("{eval} {}", f("twice.csv")), "twice"),
        (format!("{eval} {}", f("empty.csv")), "empty.csv"),
        (format!("{eval} {}", f("header_only.csv")), "no layers"),
        (format!("{eval} {}", f("filter_too_big.csv")), "R = 3"),
        (format!("{eval} {}", f("nan_k.csv")), "row 1"),
        (format!("{eval} {}", f("bad_type.csv")), "POOL"),
        (format!("{eval} {VGG} --bogus 1"), "--bogus"),
        // accel grid
        (format!("accel grid --layers {VGG} --space huge"), "huge"),
        (format!("accel grid --layers {VGG} --energy joules"), "--energy"),
        ("accel grid --layers no/such.csv".into(), "no/such.csv"),
        (format!("accel grid --layers {VGG} --shard 4/4"), "4/4"),
        (format!("accel grid --layers {VGG} --shard 1"), "I/N"),
        (format!("accel grid --layers {VGG} --shard 1/x"), "1/x"),
        (format!("accel grid --layers {VGG} --out {VGG}"), "is the input"),
        ("merge".into(), "part files"),
        ("merge no/such-part.csv".into(), "no/such-part.csv"),
        (format!("merge {VGG}"), "not an `accel grid --shard` part"),
        (format!("accel grid --layers {}", f("misspelt.csv")), "`stirde`"),
        // nas
        ("nas describe --space nasbench101 --arch min".into(), "nasbench101"),
        ("nas describe --space nb201 --arch |nope~0|".into(), "nope"),
        ("nas describe --space mbv2 --arch d9:k3:e6".into(), "d9"),
        ("nas describe --space mbv2-1.0 --arch garbage".into(), "garbage"),
        ("nas describe --space mbv3 --arch garbage".into(), "garbage"),
        ("nas describe --space alphanet --arch garbage".into(), "garbage"),
        ("nas describe --space attentivenas --arch garbage".into(), "garbage"),
        ("nas describe --space fbnet --arch garbage".into(), "garbage"),
        ("nas describe --space fbnet-cifar --arch garbage".into(), "garbage"),
        ("nas describe --space darts --arch garbage".into(), "garbage"),
        ("nas sample --space nb201 -n 0".into(), "-n"),
        ("nas sample --space nb201 -n -3".into(), "-n"),
        ("nas sample --space nb201 -n 1000000000000".into(), "100000000"),
        ("nas sample --space nb201 --seed -1".into(), "--seed"),
        ("nas sample --space foo".into(), "foo"),
        // monotonicity
        (format!("{mono} {NB201} --metric power"), "power"),
        (format!("{mono} no/such.csv"), "no/such.csv"),
        (format!("{mono} {}", f("dup_cols.csv")), "`latency_a`"),
        (format!("{mono} {}", f("one_device.csv")), "fewer than two"),
        (format!("{mono} {}", f("words.csv")), "`fast`"),
        (format!("{mono} {}", f("constant.csv")), "column `latency_b` has one value (5) in every row"),
        (format!("{mono} {not_gz}"), "not.csv.gz"),
        (format!("{mono} {}", f("ragged.csv")), "row 1"),
        (format!("{mono} {}", f("empty.csv")), "no header"),
        // adapt
        (format!("{adapt} --samples 1"), "--samples"),
        (format!("{adapt} --samples 18446744073709551615"), "18446744073709551615 + 20"),
        (format!("{adapt} --samples 10 --validation 1"), "--validation"),
        (format!("{adapt} --samples 10 --validation 100000"), "100000"),
        (format!("adapt --data {NB201} --proxy nope --target latency_ms_fpga --samples 10"), "nope"),
        (format!("adapt --data {NB201} --proxy latency_ms_pixel3 --target nope --samples 10"), "nope"),
        (format!("{adapt} --samples 10 --space mbv2"), "mbv2"),
        (format!("{adapt} --samples 10 --seed x"), "--seed"),
        (format!("adapt --data {} --proxy a --target b --samples 10", f("dup_cols.csv")), "`latency_a`"),
        // one-proxy
        (format!("{one} --threshold NaN"), "--threshold"),
        (format!("{one} --threshold 1.5"), "--threshold"),
        (format!("{one} --threshold inf"), "--threshold"),
        (format!("{one} --samples 0"), "--samples"),
        (format!("{one} --samples 1000000000"), "1000000000"),
        (
            format!("one-proxy --data {NB201} --proxy latency_ms_pixel3 --target latency_ms_fpga --accuracy nope"),
            "nope",
        ),
        // codesign
        (format!("codesign --data {NB201} --accuracy test_acc_cifar10 --grid huge"), "huge"),
        (format!("{cod} --proxy 99999"), "99999"),
        (format!("{cod} --proxy first"), "first"),
        (format!("{cod} --max-pes 0"), "--max-pes"),
        (format!("{cod} --max-pes 1"), "admits none"),
        (format!("{cod} --max-set 0"), "--max-set"),
        (format!("{cod} --space darts"), "darts"),
        (format!("codesign --data {NB201} --accuracy nope --grid calibration"), "nope"),
        (format!("{cod} --archs 0"), "--archs"),
        (format!("{cod} --accelerators 100000"), "--accelerators 100000"),
        ("codesign --space darts --accuracy-file no/such.csv".into(), "no/such.csv"),
        // search
        (format!("{srch} --population 1"), "--population"),
        (format!("{srch} --generations -1"), "--generations"),
        (format!("{srch} --max-latency NaN"), "--max-latency"),
        (format!("{srch} --max-latency -5"), "--max-latency"),
        (format!("{srch} --sweep 0,2"), "--sweep"),
        (format!("{srch} --pes 0"), "--pes"),
        (format!("{srch} --algorithm annealing"), "annealing"),
        (format!("{srch} --latency nope"), "nope"),
        // bisect
        (format!("{bis} --constraint NaN"), "--constraint"),
        (format!("{bis} --constraint 20 --granularity 2"), "--granularity"),
        (
            format!("{bis} --constraint 20 --granularity 0"),
            "'0' for '--granularity <GRANULARITY>': 0 is outside (0, 1)",
        ),
        (format!("{bis} --constraint 1e400"), "`1e400` is not finite"),
        (format!("{bis} --constraint 20 --delta -0.5"), "--delta"),
        (format!("{bis} --constraint 20 --noc-bw 0"), "--noc-bw"),
        // bandit
        ("bandit --env mars --policy random --rounds 5".into(), "mars"),
        ("bandit --env h1 --policy genius --rounds 5".into(), "genius"),
        ("bandit --env h1 --policy random --rounds 0".into(), "--rounds"),
        ("bandit --env h1 --policy random --rounds 1000000000000".into(), "--rounds"),
        ("bandit --env h1 --policy random --rounds 5 --delay-max 0".into(), "--delay-max"),
        ("bandit --env h1 --policy random --rounds 5 --missing 1.5".into(), "--missing"),
        ("bandit --env h1 --policy random --rounds 5 --missing NaN".into(), "--missing"),
        (format!("{band} --qos-max-latency 5"), "--qos-max-latency 5: the `h1` world has no latencies"),
        (
            format!("bandit --env synthetic --policy random --rounds 10 --dataset {WINE}"),
            "the `synthetic` world reads no file",
        ),
        (format!("{band} --retrain-every 0"), "--retrain-every"),
        (format!("{band} --retrain-steps 100000000"), "--retrain-steps"),
        (format!("{band} --width 1"), "--width"),
        (format!("{band} --width 1000000"), "--width"),
        (format!("{band} --lambda NaN"), "--lambda"),
        (format!("{band} --lambda 0"), "lambda"),
        (format!("{band} --lr inf"), "--lr"),
        (format!("{band} --lr=-1"), "lr"),
        (format!("{band} --gamma=-inf"), "--gamma"),
        ("bandit --env h1 --policy eps-greedy --rounds 5 --width 8 --epsilon 2".into(), "--epsilon"),
        (format!("{band} --confidence dense"), "--confidence"),
        ("bandit --env h1 --policy neural-ucb --rounds 5 --width 5000 --confidence last-layer".into(), "width"),
        ("bandit --env synthetic --qoe cubic --policy random --rounds 5".into(), "cubic"),
        ("bandit --env synthetic --policy random --rounds 5 --qos-max-latency NaN".into(), "--qos-max-latency"),
        ("bandit --env synthetic --policy random --rounds 5 --qos-max-latency -3".into(), "--qos-max-latency"),
        ("bandit --env classification --policy random --rounds 5".into(), "--dataset"),
        ("bandit --env table --policy random --rounds 5".into(), "--dataset"),
        ("bandit --env classification --dataset no/such.csv --policy random --rounds 5".into(), "no/such.csv"),
        (format!("bandit --env classification --dataset {} --policy random --rounds 5", f("labels.csv")), "zero"),
        (format!("bandit --env h1 --policy random --rounds 5 --seed {}", u128::MAX), "--seed"),
        // the top level
        ("".into(), "subcommand"),
        ("frobnicate".into(), "frobnicate"),
    ];
    for (line, needle) in &cases {
        assert_refused(&words(line), needle);
    }
    // Reported in the hardening note: how many distinct bad command lines this covers.
    let distinct: std::collections::HashSet<&String> = cases.iter().map(|(l, _)| l).collect();
    assert_eq!(distinct.len(), cases.len());
    eprintln!("{} distinct bad command lines refused", cases.len());
}

#[test]
fn accel_reads_maestros_own_model_files_as_layer_tables() {
    // The style of MAESTRO's `data/model/vgg16_model.m`: `K 64` without colons, no dataflow.
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("vgg16_model.m");
    std::fs::write(
        &model,
        "Network vgg16 {\nLayer CONV1 {\nType: CONV\nStride { X: 1, Y: 1 }\nDimensions { K 64,C 3,R 3,S 3,Y 224,X 224 }\n}\n\n\
         Layer CONV2 {\nType: CONV\nDimensions { K 64,C 64,R 3,S 3,Y 224,X 224 }\n}\n}\n",
    )
    .unwrap();
    let csv = dir.path().join("vgg16_head.csv");
    let head: Vec<&str> = include_str!("../data/networks/vgg16.csv").lines().take(3).collect();
    std::fs::write(&csv, head.join("\n")).unwrap();
    let eval = |layers: &std::path::Path| {
        let (code, out, err) = run(&[
            "accel",
            "eval",
            "--layers",
            layers.to_str().unwrap(),
            "--dataflow",
            "kc-p",
            "--pes",
            "64",
            "--noc-bw",
            "64",
            "--offchip-bw",
            "64",
        ]);
        assert_eq!(code, Some(0), "{err}");
        out
    };
    let (from_model, from_csv) = (eval(&model), eval(&csv));
    assert_eq!(from_model.lines().count(), 4);
    assert_eq!(from_model, from_csv);
}

#[test]
fn an_interrupted_demo_leaves_the_old_report_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report");
    std::fs::create_dir(&report).unwrap();
    std::fs::write(report.join("report.md"), "old").unwrap();
    let mut child = cmd(&["demo", "--out", report.to_str().unwrap()]).stdout(Stdio::null()).spawn().unwrap();
    // Interrupt once the run has started writing (its SVGs come early), as Ctrl-C would.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let _ = child.wait();
    let names: Vec<String> =
        std::fs::read_dir(&report).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names, vec!["report.md".to_string()], "new files beside the old report");
    assert_eq!(std::fs::read_to_string(report.join("report.md")).unwrap(), "old");
}

#[test]
fn a_layer_failing_late_prints_no_partial_table() {
    // The first layer costs out; the second's mapping is invalid (S mapped twice in one level).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("late.m");
    std::fs::write(
        &path,
        "Network n {
         Layer ok { Type: CONV Dimensions { K: 8, C: 8, R: 3, S: 3, Y: 10, X: 10 }
           Dataflow { TemporalMap(1,1) K; TemporalMap(1,1) C; SpatialMap(Sz(R),1) Y; TemporalMap(Sz(S),1) X;
                      TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S; } }
         Layer bad { Type: CONV Dimensions { K: 8, C: 8, R: 3, S: 3, Y: 10, X: 10 }
           Dataflow { TemporalMap(1,1) K; TemporalMap(1,1) C; SpatialMap(Sz(R),1) Y; TemporalMap(Sz(S),1) X;
                      TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S; TemporalMap(1,1) S; } } }",
    )
    .unwrap();
    assert_refused(
        &["accel", "eval", "--dataflow", path.to_str().unwrap(), "--pes", "64", "--noc-bw", "64", "--offchip-bw", "64"],
        "`bad`",
    );
}

#[test]
fn l2o_refuses_bad_columns_values_and_model_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.json");
    let out = out.to_str().unwrap();
    let train = "l2o train --data data/nb201_hwnasbench_cifar10.csv.gz --accuracy test_acc_cifar10";
    for (extra, needle) in [
        ("--devices latency_ms_pixel3,no_such_column", "no_such_column"),
        ("--devices latency_ms_pixel3 --references 11", "11"),
        (
            "--devices latency_ms_pixel3,latency_ms_fpga,latency_ms_pixel3",
            "`latency_ms_pixel3` is listed twice (position 3)",
        ),
        ("--devices latency_ms_pixel3 --method 3", "3"),
        ("--devices latency_ms_pixel3 --synthetic -1", "-1"),
        ("--devices latency_ms_pixel3 --initial 99999", "99999"),
    ] {
        assert_refused(&words(&format!("{train} {extra} --out {out}")), needle);
    }
    assert!(!dir.path().join("m.json").exists());
    assert_refused(
        &words(&format!("{train} --devices latency_ms_pixel3 --out data/nb201_hwnasbench_cifar10.csv.gz")),
        "is the input",
    );
    let apply = "l2o apply --data data/nb201_hwnasbench_cifar10.csv.gz --target latency_ms_fpga";
    assert_refused(&words(&format!("{apply} --model {out} --lambda -1")), "-1");
    assert_refused(&words(&format!("{apply} --model {out} --lambda NaN")), "NaN");
    assert_refused(&words(&format!("{apply} --model {out} --lambda 1")), "m.json");
    assert_refused(&words(&format!("{apply} --model data/networks/vgg16.csv --lambda 1")), "not a valid l2o model");
    std::fs::write(dir.path().join("m.json"), r#"{"version": 9}"#).unwrap();
    assert_refused(&words(&format!("{apply} --model {out} --lambda 1")), "not a valid l2o model");
}

#[test]
fn l2o_refuses_bad_energy_and_accelerator_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.json");
    let out = out.to_str().unwrap();
    let data = "--data data/nb201_hwnasbench_cifar10.csv.gz --accuracy test_acc_cifar10";
    let small = "--initial 20 --per-round 10 --rounds 1 --accuracy-designs 0 --perf-epochs 1 --epochs 1";
    let train = format!("l2o train {data} {small} --out {out}");
    assert_refused(
        &words(&format!("{train} --devices latency_ms_fpga,latency_ms_pixel3 --energy energy_mj_fpga")),
        "--energy has 1 columns for 2",
    );
    assert_refused(&words(&format!("{train} --devices latency_ms_fpga --references 0")), "references");
    assert_refused(&words(&format!("{train} --accelerators 2000")), "2000");
    assert_refused(&words(&format!("{train} --accelerators 2 --devices latency_ms_fpga")), "--devices");
    assert!(!dir.path().join("m.json").exists());
    // A latency-only model: λ₂ > 0 is an error, not a silently ignored weight.
    let (code, _, err) = run(&words(&format!("{train} --devices latency_ms_fpga,latency_ms_pixel3 --references 2")));
    assert_eq!(code, Some(0), "{err}");
    let apply = format!("l2o apply --model {out} --lambda 1");
    let table = "--data data/nb201_hwnasbench_cifar10.csv.gz --target latency_ms_raspi4";
    assert_refused(&words(&format!("{apply} {table} --energy-lambda 0.5")), "trained without energy");
    assert_refused(&words(&format!("{apply} {table} --energy-lambda -1")), "-1");
    // An edited model whose latency scale overflows designs nothing rather than print a latency of 0.
    let mut model: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    model["performance"]["latency"]["y_std"] = serde_json::json!(1e308);
    let damaged = dir.path().join("damaged.json");
    std::fs::write(&damaged, model.to_string()).unwrap();
    assert_refused(
        &words(&format!("l2o apply --model {} --lambda 1 {table}", damaged.display())),
        "`l2o model` = predicted latency 0",
    );
    assert_refused(&words(&format!("{apply} --accelerators kc-p/64pe/noc300/off50")), "without hardware features");
    let (code, _, err) = run(&words(&format!("{train} --accelerators 2 --references 0")));
    assert_eq!(code, Some(0), "{err}");
    for (bad, needle) in
        [("kc-p/64pe/noc300", "four"), ("systolic/64pe/noc300/off50", "dataflow"), ("kc-p/0pe/noc300/off50", "0")]
    {
        assert_refused(&words(&format!("{apply} --accelerators {bad}")), needle);
    }
    let accel = format!("{apply} --accelerators kc-p/64pe/noc300/off50");
    assert_refused(&words(&format!("{accel} --decode exact")), "exact");
    assert_refused(&words(&format!("{accel} --decode table")), "--data");
    // A table without the model's accuracy column cannot decode by it.
    let text = std::fs::read_to_string(out).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(v["optima"]["designs"].as_array().is_some_and(|d| !d.is_empty()), "no optima stored");
    v["optima"]["accuracy"] = "no_such_accuracy".into();
    std::fs::write(out, v.to_string()).unwrap();
    let with_table = format!("{accel} --data data/nb201_hwnasbench_cifar10.csv.gz");
    assert_refused(&words(&format!("{with_table} --decode table")), "no accuracy column `no_such_accuracy`");
    let (code, stdout, err) = run(&words(&with_table));
    assert_eq!(code, Some(0), "{err}");
    assert!(stdout.contains(r#""decoding":"plain""#), "{stdout}");
    // A version-2 model (no training optima) is refused, naming the version.
    v["version"] = 2.into();
    v.as_object_mut().unwrap().remove("optima");
    std::fs::write(out, v.to_string()).unwrap();
    assert_refused(&words(&accel), "model version");
    assert_refused(&words(&accel), "reads version 3");
}

#[test]
fn a_mapping_files_layers_keep_their_own_dataflows_even_under_one_name() {
    // Two layers named `L`, one shape, two dataflows: each row is costed with its own block; a
    // network layer named `L` cannot say which block it means.
    let dir = tempfile::tempdir().unwrap();
    let dims = "Type: CONV Dimensions { K: 64, C: 64, R: 3, S: 3, Y: 56, X: 56 }";
    let kc = "SpatialMap(1,1) K; TemporalMap(64,64) C; TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S; \
              TemporalMap(Sz(R),1) Y; TemporalMap(Sz(S),1) X;";
    let yr = "TemporalMap(1,1) K; TemporalMap(1,1) C; SpatialMap(Sz(R),1) Y; TemporalMap(Sz(S),1) X; \
              TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S;";
    let mapping = dir.path().join("two.m");
    std::fs::write(
        &mapping,
        format!(
            "Network n {{\nLayer L {{ {dims} Dataflow {{ {kc} }} }}\nLayer L {{ {dims} Dataflow {{ {yr} }} }}\n}}\n"
        ),
    )
    .unwrap();
    let hw = "--pes 256 --noc-bw 600 --offchip-bw 150";
    let (code, out, err) = run(&words(&format!("accel eval --dataflow {} {hw}", mapping.display())));
    assert_eq!(code, Some(0), "{err}");
    let cycles: Vec<&str> = out.lines().skip(1).take(2).map(|l| l.split(',').nth(2).unwrap()).collect();
    assert_ne!(cycles[0], cycles[1], "the second `L` was costed with the first one's dataflow: {out}");
    let layers = dir.path().join("l.csv");
    std::fs::write(&layers, "name,type,k,c,r,s,y,x,stride\nL,CONV,64,64,3,3,56,56,1\n").unwrap();
    assert_refused(
        &words(&format!("accel eval --layers {} --dataflow {} {hw}", layers.display(), mapping.display())),
        "several layers named `L` with different dataflows",
    );
}

#[test]
fn an_error_does_not_repeat_a_cause_it_already_words() {
    let dir = tempfile::tempdir().unwrap();
    let line =
        format!("accel eval --layers {} --dataflow kc-p --pes 64 --noc-bw 64 --offchip-bw 64", dir.path().display());
    let (code, _, err) = run(&words(&line));
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(err.matches("os error").count(), 1, "{err}");
}
