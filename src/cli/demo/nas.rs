//! Demo sections on NAS-Bench-201 × HW-NAS-Bench: device monotonicity, AdaProxy, one-proxy NAS,
//! bisection on t and evolutionary search.

use std::collections::HashMap;
use std::fmt::Write as _;

use edgeopt::codesign::adapt::{adapt, fit_proxy, predict_all};
use edgeopt::codesign::one_proxy::{OneProxyConfig, mean_gap_to_oracle, one_proxy};
use edgeopt::codesign::{ArchTable, Bisection, Counted, weighted_argmin};
use edgeopt::nas::pareto::non_dominated;
use edgeopt::nas::{Constraints, Evaluation, Evolution, EvolutionConfig, Fitness, Search, infallible};
use edgeopt::nas::{Nb201, Nb201Arch};
use edgeopt::predictors::metrics::{spearman, srcc_matrix};
use edgeopt::predictors::rand::SeedableRng;
use edgeopt::predictors::rand::rngs::ChaCha8Rng;
use edgeopt::zoo;

use super::Report;
use crate::cli::CliResult;
use crate::cli::plots::{Series, heatmap, scatter};

pub fn section(r: &mut Report) -> CliResult<()> {
    let nb = Nb201::cifar10();
    let t = ArchTable::new(&nb, zoo::nb201_hwnasbench()?, "arch_str")?;
    let acc = t.complete("test_acc_cifar10")?;
    let acc_of: HashMap<Nb201Arch, f64> = t.archs.iter().copied().zip(acc.iter().copied()).collect();

    // Monotonicity across real devices.
    let cols = t.table.columns_with_prefix("latency_");
    let values = cols.iter().map(|c| t.column(c)).collect::<Result<Vec<_>, _>>()?;
    let m = srcc_matrix(&values)?;
    heatmap(&r.dir.join("device_srcc.svg"), "Latency SRCC between devices (NAS-Bench-201)", &cols, &m, 0.3, 1.0)?;
    let _ = writeln!(r.md, "## 3. Latency monotonicity across devices\n");
    let _ = writeln!(
        r.md,
        "Spearman rank correlation of the 15,625 NAS-Bench-201 architectures' measured latencies (HW-NAS-Bench).\n\n![Latency rank correlation (SRCC) between every pair of HW-NAS-Bench devices over the 15,625 cells: dark cells are devices a proxy ranks well; read off the weakest pair for the hardest proxy transfer](device_srcc.svg)\n"
    );

    // AdaProxy: Pixel 3 to every other device.
    let lat3 = t.complete("latency_ms_pixel3")?;
    let w = fit_proxy(&nb, &t.archs, &lat3)?;
    let _ = writeln!(
        r.md,
        "## 4. One proxy device: Pixel 3\n\n### AdaProxy (eq. 3.3), 40 + 20 target measurements, mean of 5 seeds\n"
    );
    let _ = writeln!(r.md, "| target | SRCC before | SRCC after |\n|---|---:|---:|");
    for target in cols.iter().filter(|c| c.as_str() != "latency_ms_pixel3") {
        let dev = t.device(target, None)?;
        let pool: Vec<Nb201Arch> = t.archs.iter().filter(|a| dev.has(a)).copied().collect();
        let truth: Vec<f64> = pool.iter().filter_map(|a| dev.peek(a).map(|m| m.latency)).collect();
        let before = spearman(&predict_all(&nb, &w, &pool)?, &truth)?;
        let mut after = 0.0;
        for seed in 0..5 {
            let ad = adapt(&nb, &w, &dev, &pool, 40, 20, &mut ChaCha8Rng::seed_from_u64(seed))?;
            after += spearman(&predict_all(&nb, &ad.predictor, &pool)?, &truth)? / 5.0;
        }
        let _ = writeln!(r.md, "| {target} | {before:.3} | {after:.3} |");
        if target == "latency_ms_edgegpu" {
            let _ =
                writeln!(r.summary, "AdaProxy pixel3 -> edgegpu: SRCC {before:.3} -> {after:.3} with 60 measurements");
        }
    }

    // One-proxy NAS to the edge GPU.
    let dev = t.device("latency_ms_edgegpu", None)?;
    let pool: Vec<Nb201Arch> = t.archs.iter().filter(|a| dev.has(a)).copied().collect();
    let accuracy = |a: &Nb201Arch| acc_of[a];
    let res =
        one_proxy(&nb, &pool, &accuracy, &w, &dev, &OneProxyConfig::default(), &mut ChaCha8Rng::seed_from_u64(1))?;
    let all: Vec<(f64, f64)> = pool.iter().map(|a| (acc_of[a], dev.peek(a).map_or(f64::NAN, |m| m.latency))).collect();
    let gap = mean_gap_to_oracle(&res.set, &all, 20)?;
    let pts: Vec<Vec<f64>> = all.iter().map(|(a, l)| vec![*l, -a]).collect();
    let oracle: Vec<(f64, f64)> = non_dominated(&pts)?.into_iter().map(|i| (all[i].1, all[i].0)).collect();
    scatter(
        &r.dir.join("one_proxy_edgegpu.svg"),
        "One proxy (Pixel 3) -> edge GPU",
        "edge GPU latency (ms)",
        "CIFAR-10 accuracy (%)",
        &[
            Series {
                name: "all architectures".into(),
                points: all.iter().map(|(a, l)| (*l, *a)).filter(|p| p.1 > 80.0).collect(),
            },
            Series { name: "oracle front".into(), points: oracle },
            Series { name: "returned set".into(), points: res.set.iter().map(|m| (m.latency, m.accuracy)).collect() },
        ],
    )?;
    let _ = writeln!(
        r.md,
        "\n### One-proxy NAS (alg. 5) to the edge GPU\n\nSRCC estimate on 40 samples {:.3} → adapted ({}; held-out SRCC {:.3}); {} target measurements in total; \
         {} architectures returned; mean gap to the oracle front over 20 latency constraints **{gap:.3}** accuracy points.\n\n![Accuracy against edge-GPU latency of every NB201 cell (grey cloud), the true Pareto front (triangles) and the set one-proxy NAS returns from Pixel 3 (crosses): the closer the crosses sit to the triangles, the smaller the gap](one_proxy_edgegpu.svg)\n",
        res.srcc_estimate,
        res.adapted,
        res.srcc_adapted.unwrap_or(f64::NAN),
        res.measurements_used,
        res.set.len()
    );
    let _ =
        writeln!(r.summary, "one-proxy pixel3 -> edgegpu: gap {gap:.3} points, {} measurements", res.measurements_used);

    // Bisection on t for the Raspberry Pi 4.
    let rpi = Counted::new(t.device("latency_ms_raspi4", None)?);
    let pred = predict_all(&nb, &w, &t.archs)?;
    let solve = |tt: f64| {
        let i = weighted_argmin(&acc, &pred, tt).unwrap_or(0);
        Ok((t.archs[i], acc[i]))
    };
    let mut bis = Bisection::new(solve);
    let _ = writeln!(
        r.md,
        "### Bisection on t (alg. 1) for the Raspberry Pi 4, granularity 0.001\n\n| constraint (ms) | found latency (ms) | accuracy | measurements |\n|---:|---:|---:|---:|"
    );
    for bound in [20.0, 40.0, 60.0] {
        let b = bis.find(&rpi, bound, 0.5, 0.001)?;
        let a = b.arch.map_or(f64::NAN, |x| acc_of[&x]);
        let _ = writeln!(r.md, "| {bound} | {:.2} | {a:.2} | {} |", b.latency, b.measurements);
    }
    let _ = writeln!(r.summary, "bisection on raspi4: 3 constraints met with {} measurements in total", rpi.count());

    // Evolutionary search on the proxy's predictors vs the exhaustive optimum.
    let pred_of: HashMap<Nb201Arch, f64> = t.archs.iter().copied().zip(pred.iter().copied()).collect();

    let bound = 8.0;
    let cfg = EvolutionConfig { population: 200, generations: 20, seed: 7, ..EvolutionConfig::default() };
    let obj = infallible(|a: &Nb201Arch| Evaluation::new(accuracy(a), pred_of[a]));
    let cons = Constraints { max_latency: Some(bound), max_energy: None };
    let mut evo = Evolution::new(&nb, &obj, cons, Fitness::Accuracy, cfg)?;
    let progress = crate::cli::progress::Progress::new("evolution generations", cfg.generations + 1);
    let state = evo.run_observed(None, &mut |_| progress.tick())?;
    progress.finish();
    let found = acc_of[&state.population[0]];
    let best = t.archs.iter().filter(|a| pred_of[*a] <= bound).map(|a| acc_of[a]).fold(f64::MIN, f64::max);
    let _ = writeln!(
        r.md,
        "\n### Evolutionary search (population 200, 20 generations) under predicted Pixel 3 latency ≤ {bound} ms\n\n\
         Best found {found:.2} % after {} distinct evaluations; exhaustive optimum {best:.2} %.\n",
        evo.evaluations()
    );
    let _ = writeln!(
        r.summary,
        "evolution on nb201: {found:.2}% vs exhaustive {best:.2}% ({} evaluations)",
        evo.evaluations()
    );
    Ok(())
}
