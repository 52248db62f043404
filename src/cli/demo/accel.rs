//! Demo section: MAESTRO-zoo networks on the thesis accelerator grid, and mixed dataflows.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use edgeopt::accel_sim::{
    Accel, Accelerator, AreaModel, Dataflow, EnergyModel, HardwareConfig, HardwareSpace, Layer, MixedAccelerator,
    NetworkCost,
};
use edgeopt::zoo;

use super::Report;
use crate::cli::CliResult;
use crate::cli::plots::{Series, lines_logy, scatter_loglog};

/// The area budget of the demo's eq. 4.4 example, mm² (between the grid's smallest accelerator,
/// about 4.4 mm², and its largest, about 6.7 mm², at 45 nm).
const AREA_BUDGET_MM2: f64 = 5.0;

struct NetResult {
    name: &'static str,
    layers: Vec<Layer>,
    costs: Vec<NetworkCost>,
    /// Energy of each accelerator with static (leakage) energy, nJ.
    leak: Vec<f64>,
}

/// Returns the fastest MobileNetV2 accelerator's label and cycles.
pub fn section(r: &mut Report) -> CliResult<(String, u64)> {
    let out: &Path = &r.dir.clone();
    let md = &mut r.md;
    let summary = &mut r.summary;
    let _ = writeln!(
        md,
        "Networks from MAESTRO's model zoo (embedded in `data/networks/`), costed by `edgeopt-accel-sim`, \
         a reimplementation of MAESTRO's analytical model that reproduces its cycles and access counts exactly.\n"
    );

    // 1. Every network on the thesis hardware grid.
    let space = HardwareSpace::thesis();
    let accs = space.enumerate()?;
    let nets: Vec<(&'static str, Vec<Layer>)> = vec![("MobileNetV2", zoo::mobilenet_v2()?), ("VGG16", zoo::vgg16()?)];
    let layer_lists: Vec<Vec<Layer>> = nets.iter().map(|n| n.1.clone()).collect();
    let start = Instant::now();
    let table = space.evaluate(&layer_lists, &EnergyModel::maestro());
    let grid_time = start.elapsed();
    // The same grid with static (leakage) energy, under which slow accelerators cost energy.
    let leaky = space.evaluate(&layer_lists, &EnergyModel::with_leakage());
    let mut results = Vec::new();
    for (((name, layers), row), leak_row) in nets.into_iter().zip(table).zip(leaky) {
        let costs = row.into_iter().collect::<Result<Vec<_>, _>>()?;
        let leak: Vec<f64> = leak_row.into_iter().map(|c| c.map(|c| c.energy_nj)).collect::<Result<_, _>>()?;
        results.push(NetResult { name, layers, costs, leak });
    }
    let pairs = accs.len() * results.len();
    let us_per_pair = grid_time.as_secs_f64() * 1e6 / pairs as f64;
    let _ = writeln!(md, "## 1. Two networks on the thesis hardware grid\n");
    let _ = writeln!(
        md,
        "{} accelerators (PEs {:?} × NoC {:?} × off-chip {:?} × KC-P/YR-P/X-P), {} network–accelerator pairs \
         in {:.1} ms ({:.1} µs per pair; MAESTRO takes about 0.25 s per network run).\n",
        accs.len(),
        space.pes,
        space.noc_bw,
        space.offchip_bw,
        pairs,
        grid_time.as_secs_f64() * 1e3,
        us_per_pair
    );
    let _ = writeln!(
        summary,
        "grid: {} accelerators x {} networks in {:.1} ms ({us_per_pair:.1} us/pair)",
        accs.len(),
        results.len(),
        grid_time.as_secs_f64() * 1e3
    );
    for r in &results {
        let _ = writeln!(md, "### {}\n", r.name);
        let _ = writeln!(
            md,
            "| dataflow | fastest accelerator | cycles | energy (nJ) | lowest-energy accelerator | energy (nJ) |"
        );
        let _ = writeln!(md, "|---|---|---:|---:|---|---:|");
        for df in Dataflow::BUILT_IN {
            let idx: Vec<usize> = (0..accs.len()).filter(|&i| accs[i].dataflow == df).collect();
            let fast = *idx.iter().min_by_key(|&&i| (r.costs[i].cycles, i)).expect("non-empty dataflow slice");
            let frugal = *idx
                .iter()
                .min_by(|&&a, &&b| r.costs[a].energy_nj.total_cmp(&r.costs[b].energy_nj))
                .expect("non-empty");
            let _ = writeln!(
                md,
                "| {} | {} | {} | {:.0} | {} | {:.0} |",
                df,
                accs[fast].label(),
                r.costs[fast].cycles,
                r.costs[fast].energy_nj,
                accs[frugal].label(),
                r.costs[frugal].energy_nj
            );
        }
        let front_of = |energy: &dyn Fn(usize) -> f64| -> CliResult<usize> {
            let objectives: Vec<Vec<f64>> =
                (0..accs.len()).map(|i| vec![r.costs[i].cycles as f64, energy(i)]).collect();
            Ok(edgeopt::nas::pareto::non_dominated(&objectives)?.len())
        };
        let dynamic_front = front_of(&|i| r.costs[i].energy_nj)?;
        let leaky_front = front_of(&|i| r.leak[i])?;
        let _ = writeln!(
            summary,
            "{}: {} latency-energy Pareto-optimal accelerators of {} ({} with leakage energy)",
            r.name,
            dynamic_front,
            accs.len(),
            leaky_front
        );
        // The area model (published 45 nm figures) turns eq. 4.4's HardwareResource(h) ≤ H into mm².
        let area = AreaModel::cmos_45nm();
        let fastest = (0..accs.len()).min_by_key(|&i| (r.costs[i].cycles, i)).expect("a non-empty grid");
        let within = (0..accs.len())
            .filter(|&i| area.area_mm2(&accs[i].hardware) <= AREA_BUDGET_MM2)
            .min_by_key(|&i| (r.costs[i].cycles, i));
        let mm2 = |i: usize| area.area_mm2(&accs[i].hardware);
        let budget_line = match within {
            Some(b) => format!(
                "Under an area budget of {AREA_BUDGET_MM2} mm² (`AreaModel::cmos_45nm`: published 45 nm MAC and SRAM-cell \
                 areas, so the 1 MiB L2 alone is 4.4 mm²), the fastest accelerator is {} ({:.2} mm², {} cycles), \
                 {:.2}× slower than the fastest overall, {} ({:.2} mm², {} cycles).",
                accs[b].label(),
                mm2(b),
                r.costs[b].cycles,
                r.costs[b].cycles as f64 / r.costs[fastest].cycles as f64,
                accs[fastest].label(),
                mm2(fastest),
                r.costs[fastest].cycles
            ),
            None => format!("No accelerator of the grid fits an area budget of {AREA_BUDGET_MM2} mm²."),
        };
        let series: Vec<Series> = Dataflow::BUILT_IN
            .iter()
            .map(|df| Series {
                name: df.to_string(),
                points: (0..accs.len())
                    .filter(|&i| accs[i].dataflow == *df)
                    .map(|i| (r.costs[i].cycles as f64, r.leak[i]))
                    .collect(),
            })
            .collect();
        let file = format!("grid_{}.svg", r.name.to_lowercase());
        scatter_loglog(
            &out.join(&file),
            &format!("{} on {} accelerators, energy with leakage", r.name, accs.len()),
            "latency (cycles)",
            "energy (nJ)",
            &series,
        )?;
        let _ = writeln!(
            md,
            "\n{name}: under MAESTRO's dynamic-only energy, {dynamic_front} of the accelerators are latency–energy \
             Pareto-optimal: that energy counts accesses, not time, so it does not grow with run time and the \
             lowest-energy design is (nearly) the fastest — there is no trade-off to show. Adding static energy \
             (`EnergyModel::with_leakage`, also with MAESTRO's missing MAC, NoC and DRAM terms: 0.1 MAC-energies per \
             PE and 0.05 per unit of bandwidth, per cycle — stated assumptions) makes PEs and wide interfaces cost \
             energy for as long as a layer runs, and {leaky_front} accelerators form the front.\n\n\
             ![{name} on the thesis grid with leakage energy: the lower-left edge of the cloud is the \
             latency–energy front ({leaky_front} accelerators); each dataflow forms its own band]({file})\n\n\
             {budget_line}\n",
            name = r.name,
        );
    }

    // 2. Layer-wise mixed dataflow (thesis sec. 4.5.3).
    let mbv2 = &results[0];
    let hw = HardwareConfig::new(256, 600, 150).build()?;
    let singles: Vec<Accel> = Dataflow::BUILT_IN.iter().map(|df| Accel::new(hw.clone(), df.clone())).collect();
    let single_costs = singles.iter().map(|a| a.evaluate(&mbv2.layers)).collect::<Result<Vec<_>, _>>()?;
    let per_layer: Vec<Accel> = (0..mbv2.layers.len())
        .map(|i| {
            let best =
                (0..singles.len()).min_by_key(|&d| (single_costs[d].layers[i].cycles, d)).expect("three dataflows");
            singles[best].clone()
        })
        .collect();
    let mixed = MixedAccelerator::per_layer(per_layer.clone())?.evaluate(&mbv2.layers)?;
    let best_single = (0..singles.len()).min_by_key(|&d| single_costs[d].cycles).expect("three dataflows");
    let speedup = single_costs[best_single].cycles as f64 / mixed.cycles as f64;
    let _ = writeln!(md, "## 2. Layer-wise mixed dataflow (thesis sec. 4.5.3)\n");
    let _ = writeln!(
        md,
        "MobileNetV2 on 256 PEs, NoC 600, off-chip 150.\n\n| dataflow | cycles | energy (nJ) |\n|---|---:|---:|"
    );
    for (a, c) in singles.iter().zip(&single_costs) {
        let _ = writeln!(md, "| {} | {} | {:.0} |", a.dataflow, c.cycles, c.energy_nj);
    }
    let counts: Vec<String> = Dataflow::BUILT_IN
        .iter()
        .map(|df| format!("{} {}", per_layer.iter().filter(|a| a.dataflow == *df).count(), df))
        .collect();
    let _ = writeln!(md, "| per-layer best ({}) | {} | {:.0} |\n", counts.join(", "), mixed.cycles, mixed.energy_nj);
    let _ = writeln!(
        md,
        "Choosing the dataflow per layer is {speedup:.2}× faster than the best single dataflow ({}).\n",
        singles[best_single].dataflow
    );
    let _ = writeln!(
        summary,
        "mixed dataflow on MobileNetV2 (256 PEs): {speedup:.2}x faster than best single ({})",
        singles[best_single].dataflow
    );
    let series: Vec<Series> = singles
        .iter()
        .zip(&single_costs)
        .map(|(a, c)| Series {
            name: a.dataflow.to_string(),
            points: c.layers.iter().enumerate().map(|(i, l)| (i as f64, l.cycles.max(1) as f64)).collect(),
        })
        .collect();
    lines_logy(&out.join("mbv2_layers.svg"), "MobileNetV2 per-layer latency, 256 PEs", "layer", "cycles", &series)?;
    let _ = writeln!(
        md,
        "![Per-layer latency of MobileNetV2 on 256 PEs under each dataflow (log scale): the mixed assignment takes the lowest line at every layer, which is where its speed-up over the best single dataflow comes from](mbv2_layers.svg)\n"
    );

    let best = (0..accs.len()).min_by_key(|&i| (mbv2.costs[i].cycles, i)).unwrap_or(0);
    Ok((accs[best].label(), mbv2.costs[best].cycles))
}
