//! `adapt` and `one-proxy` on a space other than NAS-Bench-201, with a user's own table.

use std::process::Command;

use edgeopt::accel_sim::{Accel, Accelerator, Dataflow, HardwareConfig};
use edgeopt::nas::{Darts, Lower, SearchSpace};
use edgeopt::predictors::rand::SeedableRng;
use edgeopt::predictors::rand::rngs::ChaCha8Rng;

fn edgeopt(line: &str) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_edgeopt")).args(line.split_whitespace()).output().unwrap();
    (out.status.success(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

/// A DARTS table as a user would bring it: keys, an accuracy column, and latencies measured on
/// three devices (here three accelerators, costed by accel-sim).
fn darts_table(dir: &std::path::Path) -> std::path::PathBuf {
    let space = Darts::cifar10();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let devices: Vec<Accel> =
        [(256, 600, 150, Dataflow::KcP), (64, 64, 16, Dataflow::XP), (1024, 256, 64, Dataflow::YrP)]
            .into_iter()
            .map(|(p, n, o, df)| Accel::new(HardwareConfig::new(p, n, o).build().unwrap(), df))
            .collect();
    let mut text = String::from("arch_str,accuracy,dev_a,dev_b,dev_c\n");
    for i in 0..120 {
        let arch = space.sample(&mut rng);
        let layers = space.layers(&arch);
        let cycles: Vec<String> = devices.iter().map(|d| d.cycles(&layers).unwrap().to_string()).collect();
        let accuracy = 90.0 + (i * 37 % 50) as f64 / 10.0;
        text.push_str(&format!("\"{}\",{accuracy},{}\n", space.key(&arch), cycles.join(",")));
    }
    let path = dir.join("darts_latency.csv");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn adapt_and_one_proxy_run_on_darts_with_a_users_table() {
    let dir = tempfile::tempdir().unwrap();
    let data = darts_table(dir.path());
    let base = format!("--data {} --space darts --target dev_b --samples 20 --seed 2", data.display());

    let (ok, out, err) = edgeopt(&format!("adapt {base} --proxy dev_a"));
    assert!(ok, "{err}");
    let single: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert!(single["srcc_after"].as_f64().unwrap() > 0.5, "{single}");
    assert_eq!(single["measurements_used"], 40, "20 samples and 20 validation measurements");

    let (ok, out, err) = edgeopt(&format!("adapt {base} --proxy dev_a,dev_c --select stratified"));
    assert!(ok, "{err}");
    let pool: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(pool["measurements_used"], 20);
    assert!(pool["weights"].as_object().unwrap().contains_key("dev_c"), "{pool}");

    let (ok, out, err) = edgeopt(&format!("one-proxy {base} --proxy dev_a --accuracy accuracy --max-measurements 40"));
    assert!(ok, "{err}");
    let r: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert!(r["measurements_used"].as_u64().unwrap() <= 40, "{r}");
    let set = r["set"].as_array().unwrap();
    assert!(!set.is_empty());
    assert!(set[0]["arch"].as_str().unwrap().starts_with("Genotype("), "keys are DARTS genotypes: {r}");

    // The same table read as another space names the key it cannot parse; an unknown space lists the known ones.
    let (ok, _, err) = edgeopt(&format!("adapt {} --proxy dev_a", base.replace("--space darts", "--space mbv2")));
    assert!(!ok && err.contains("bad mbv2 architecture key") && err.lines().count() == 1, "{err}");
    let (ok, _, err) = edgeopt(&format!(
        "one-proxy {} --proxy dev_a --accuracy accuracy",
        base.replace("--space darts", "--space vgg")
    ));
    assert!(!ok && err.contains("--space `vgg`") && err.contains("darts"), "{err}");
}
