//! Leave-one-device-out evaluation of few-shot latency adaptation on NAS-Bench-201 × HW-NAS-Bench:
//! each of the six latency devices is the target in turn and the other five are the proxy pool.
//! For N = 10, 20, 40 target measurements and seeds 0–9 it reports the SRCC over every
//! architecture the target has, mean and worst over seeds, of
//! * single-proxy AdaProxy (eq. 3.3 on Pixel 3's linear predictor; for Pixel 3 itself the pool
//!   device with the highest SRCC to it), with N split 2:1 into training and validation, and
//! * the pool ([`PoolAdaProxy`], cross-validated on the same N),
//!
//! each with random, stratified and disagreement sample selection, plus the pool model's ceiling
//! (fitted on every architecture the target has, so the only limit left is the model); then alg. 5 (one-proxy NAS) with the single
//! proxy (40 samples) and with the pool (20 samples; also capped at 60 target measurements in all):
//! mean gap to the oracle front and measurements.
//!
//! `cargo run --release --example proxy_pool_loo`

use std::collections::HashMap;

use edgeopt::codesign::adapt::{adapt_selected, fit_proxy, predict_all};
use edgeopt::codesign::one_proxy::{OneProxyConfig, mean_gap_to_oracle, one_proxy};
use edgeopt::codesign::pool::{adapt_pool, fit_pool, one_proxy_pool, predict_pool};
use edgeopt::codesign::{ArchTable, Counted, Selection};
use edgeopt::nas::{Nb201, Nb201Arch};
use edgeopt::predictors::PoolAdaProxy;
use edgeopt::predictors::metrics::spearman;
use edgeopt::predictors::rand::SeedableRng;
use edgeopt::predictors::rand::rngs::ChaCha8Rng;

const DEVICES: [&str; 6] = ["edgegpu", "raspi4", "edgetpu", "pixel3", "eyeriss", "fpga"];
const SEEDS: u64 = 10;

fn stats(v: &[f64]) -> (f64, f64) {
    (v.iter().sum::<f64>() / v.len() as f64, v.iter().copied().fold(f64::INFINITY, f64::min))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let nb = Nb201::cifar10();
    let t = ArchTable::new(&nb, edgeopt::zoo::nb201_hwnasbench()?, "arch_str")?;
    let acc = t.complete("test_acc_cifar10")?;
    let acc_of: HashMap<Nb201Arch, f64> = t.archs.iter().copied().zip(acc.iter().copied()).collect();
    let accuracy = |a: &Nb201Arch| acc_of[a];
    let col = |d: &str| format!("latency_ms_{d}");
    let fitter = PoolAdaProxy::default();
    const SELECTIONS: [Selection; 3] = [Selection::Random, Selection::Stratified, Selection::Disagreement];
    println!(
        "| target | N | single random | single stratified | single disagreement | pool random | pool stratified | \
         pool disagreement |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut one_rows = Vec::new();
    let mut ceiling_rows = Vec::new();
    let mut summary: HashMap<(bool, usize, usize), Vec<f64>> = HashMap::new();
    for target in DEVICES {
        let dev = Counted::new(t.device(&col(target), None)?);
        let cands: Vec<Nb201Arch> = t.archs.iter().filter(|a| dev.inner().has(a)).copied().collect();
        let truth: Vec<f64> = cands.iter().map(|a| dev.inner().peek(a).map_or(f64::NAN, |m| m.latency)).collect();
        let names: Vec<String> = DEVICES.iter().filter(|d| **d != target).map(|d| col(d)).collect();
        let pool = t.proxy_pool(&nb, &names, &cands)?;
        // The single proxy: Pixel 3, or for Pixel 3 the pool device closest to it.
        let single = if target == "pixel3" {
            let mut best = (String::new(), f64::NEG_INFINITY);
            for (k, n) in names.iter().enumerate() {
                let r = spearman(&pool.values.column(k).to_vec(), &truth)?;
                if r > best.1 {
                    best = (n.clone(), r);
                }
            }
            best.0
        } else {
            col("pixel3")
        };
        let single_col = t.column(&single)?;
        let (sa, sl): (Vec<Nb201Arch>, Vec<f64>) =
            t.archs.iter().zip(&single_col).filter_map(|(a, l)| Some((*a, (*l)?))).unzip();
        let w = fit_proxy(&nb, &sa, &sl)?;
        for n in [10usize, 20, 40] {
            let mut cells = Vec::new();
            for pool_based in [false, true] {
                for (si, select) in SELECTIONS.into_iter().enumerate() {
                    let mut srcc = Vec::new();
                    for seed in 0..SEEDS {
                        let mut rng = ChaCha8Rng::seed_from_u64(seed);
                        let pred = if pool_based {
                            let ad = adapt_pool(&nb, &cands, &pool, &dev, n, select, &fitter, &mut rng)?;
                            predict_pool(&nb, &ad.predictor, &cands, &pool)?
                        } else {
                            let val = n / 3;
                            let ad = adapt_selected(&nb, &w, &dev, &cands, n - val, val, select, &mut rng)?;
                            predict_all(&nb, &ad.predictor, &cands)?
                        };
                        srcc.push(spearman(&pred, &truth)?);
                    }
                    let (mean, worst) = stats(&srcc);
                    summary.entry((pool_based, n, si)).or_default().push(mean);
                    cells.push(format!("{mean:.3} / {worst:.3}"));
                }
            }
            println!("| {target} | {n} | {} |", cells.join(" | "));
        }
        let every: Vec<usize> = (0..cands.len()).collect();
        let measured: Vec<(Nb201Arch, f64)> = cands.iter().copied().zip(truth.iter().copied()).collect();
        let ceiling = fit_pool(&nb, &pool, &PoolAdaProxy { repeats: 1, ..fitter.clone() }, &every, &measured)?;
        let pred = predict_pool(&nb, &ceiling, &cands, &pool)?;
        ceiling_rows.push(format!("| {target} | {:.3} | {:?} |", spearman(&pred, &truth)?, ceiling.scale));
        let all: Vec<(f64, f64)> = cands.iter().zip(&truth).map(|(a, l)| (acc_of[a], *l)).collect();
        let mut cells = Vec::new();
        for (pool_based, select, cap) in [
            (false, Selection::Random, None),
            (true, Selection::Random, None),
            (true, Selection::Stratified, None),
            (true, Selection::Stratified, Some(60)),
            (true, Selection::Disagreement, None),
            (true, Selection::Disagreement, Some(60)),
        ] {
            let (mut gaps, mut used) = (Vec::new(), Vec::new());
            for seed in 0..SEEDS {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                let (set, m) = if pool_based {
                    let cfg =
                        OneProxyConfig { samples: 20, select, max_measurements: cap, ..OneProxyConfig::default() };
                    let r = one_proxy_pool(&nb, &cands, &pool, &accuracy, &dev, &cfg, &fitter, &mut rng)?;
                    (r.set, r.measurements_used)
                } else {
                    let cfg = OneProxyConfig { select, ..OneProxyConfig::default() };
                    let r = one_proxy(&nb, &cands, &accuracy, &w, &dev, &cfg, &mut rng)?;
                    (r.set, r.measurements_used)
                };
                gaps.push(mean_gap_to_oracle(&set, &all, 20)?);
                used.push(m as f64);
            }
            let gmean = gaps.iter().sum::<f64>() / gaps.len() as f64;
            let gmax = gaps.iter().copied().fold(0.0, f64::max);
            let umax = used.iter().copied().fold(0.0, f64::max);
            cells.push(format!("{gmean:.3} / {gmax:.3} ({:.0} / {umax:.0})", stats(&used).0));
        }
        one_rows.push(format!("| {target} | {} |", cells.join(" | ")));
    }
    println!("\nMean over the six targets of the mean SRCC over seeds\n");
    println!(
        "| N | single random | single stratified | single disagreement | pool random | pool stratified | pool disagreement |"
    );
    println!("|---|---|---|---|---|---|---|");
    for n in [10usize, 20, 40] {
        let cells: Vec<String> = [false, true]
            .iter()
            .flat_map(|&p| (0..SELECTIONS.len()).map(move |si| (p, si)))
            .map(|(p, si)| {
                let v = &summary[&(p, n, si)];
                format!("{:.3}", v.iter().sum::<f64>() / v.len() as f64)
            })
            .collect();
        println!("| {n} | {} |", cells.join(" | "));
    }
    println!("\nCeiling: the pool model fitted on every architecture the target has (SRCC over the same)\n");
    println!("| target | SRCC | space |");
    println!("|---|---|---|");
    for r in ceiling_rows {
        println!("{r}");
    }
    println!("\nOne-proxy NAS (alg. 5): mean / worst gap to the oracle front (mean / most target measurements)\n");
    println!(
        "| target | single proxy, 40 samples | pool random, 20 samples | pool stratified, 20 samples | \
         pool stratified, 20 samples, ≤ 60 measurements | pool disagreement, 20 samples | \
         pool disagreement, 20 samples, ≤ 60 measurements |"
    );
    println!("|---|---|---|---|---|---|---|");
    for r in one_rows {
        println!("{r}");
    }
    Ok(())
}
