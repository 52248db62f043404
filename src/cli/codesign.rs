//! `edgeopt codesign`: semi-decoupled co-design of NAS-Bench-201 architectures and the thesis
//! accelerator grid, against the fully-coupled exhaustive optimum.

use std::path::Path;
use std::time::Instant;

use edgeopt::accel_sim::{EnergyModel, HardwareSpace};
use edgeopt::codesign::semi_decoupled::{Design, Problem};
use edgeopt::nas::SearchSpace;
use rayon::prelude::*;
use serde_json::{Value, json};

use super::workflows::nb201_table;
use super::{CliError, CliResult, Out};

/// Inputs of a co-design study: accuracies and the latency/energy matrices.
pub struct Study {
    pub space: HardwareSpace,
    pub accuracy: Vec<f64>,
    pub latency: Vec<Vec<Option<f64>>>,
    pub energy: Vec<Vec<Option<f64>>>,
    pub keys: Vec<String>,
    pub cost_seconds: f64,
}

pub fn study(data: &Path, space: &str, accuracy: &str, grid: &str) -> CliResult<Study> {
    let (nb, t) = nb201_table(data, space)?;
    let acc = t.complete(accuracy)?;
    let hw = match grid {
        "thesis" => HardwareSpace::thesis(),
        "calibration" => HardwareSpace::calibration(),
        other => return Err(CliError::Usage(format!("--grid `{other}` (expected thesis or calibration)"))),
    };
    let start = Instant::now();
    let nets: Vec<_> = t.archs.par_iter().map(|a| nb.layers(a)).collect();
    let m = hw.cost_matrix(&nets, &EnergyModel::maestro());
    let latency = m.cycles.iter().map(|r| r.iter().map(|c| c.map(|v| v as f64)).collect()).collect();
    let cost_seconds = start.elapsed().as_secs_f64();
    Ok(Study {
        keys: t.archs.iter().map(|a| nb.key(a)).collect(),
        space: hw,
        accuracy: acc,
        latency,
        energy: m.energy_nj,
        cost_seconds,
    })
}

impl Study {
    pub fn problem<'a>(&'a self, admissible: &'a [bool]) -> Problem<'a> {
        Problem { accuracy: &self.accuracy, latency: &self.latency, energy: &self.energy, admissible }
    }

    /// Representative constraint pairs: quantiles of each architecture's best latency and energy
    /// over the grid.
    pub fn constraints(&self, quantiles: &[f64]) -> Vec<(f64, f64)> {
        let best = |m: &[Vec<Option<f64>>]| -> Vec<f64> {
            let mut v: Vec<f64> = m.iter().filter_map(|r| r.iter().flatten().copied().reduce(f64::min)).collect();
            v.sort_by(f64::total_cmp);
            v
        };
        let (l, e) = (best(&self.latency), best(&self.energy));
        let q = |v: &[f64], p: f64| v[((p * (v.len() - 1) as f64).round() as usize).min(v.len() - 1)];
        quantiles.iter().map(|&p| (q(&l, p), q(&e, p))).collect()
    }
}

fn design_json(s: &Study, d: Option<Design>) -> Value {
    match d {
        Some(d) => {
            json!({"arch": s.keys[d.arch], "accelerator": s.space.get(d.accel).map(|a| a.label()).unwrap_or_default(), "accuracy": d.accuracy})
        }
        None => Value::Null,
    }
}

pub fn run(
    data: &Path,
    space: &str,
    accuracy: &str,
    proxy: &str,
    grid: &str,
    max_pes: Option<u64>,
    max_set: usize,
) -> CliResult<Out> {
    let mut out = Out::default();
    let total = Instant::now();
    let s = study(data, space, accuracy, grid)?;
    let n_hw = s.space.len();
    let admissible: Vec<bool> = (0..n_hw)
        .map(|h| max_pes.is_none_or(|m| s.space.get(h).map(|a| a.hardware.num_pes() <= m).unwrap_or(false)))
        .collect();
    let admitted = admissible.iter().filter(|a| **a).count();
    if admitted == 0 {
        let smallest = (0..n_hw).filter_map(|h| s.space.get(h).ok().map(|a| a.hardware.num_pes())).min().unwrap_or(0);
        return Err(CliError::Usage(format!(
            "--max-pes {}: admits none of the {n_hw} accelerators (the smallest has {smallest} PEs)",
            max_pes.unwrap_or(0)
        )));
    }
    let p = s.problem(&admissible);
    let constraints = s.constraints(&[0.1, 0.3, 0.5, 0.7, 0.9]);
    let coupled_start = Instant::now();
    let coupled = constraints.iter().map(|&(l, e)| p.fully_coupled(l, e)).collect::<Result<Vec<_>, _>>()?;
    let coupled_seconds = coupled_start.elapsed().as_secs_f64();
    let proxies: Vec<usize> = match proxy {
        "all" => (0..n_hw).collect(),
        i => vec![
            i.parse::<usize>()
                .ok()
                .filter(|&i| i < n_hw)
                .ok_or_else(|| CliError::Usage(format!("--proxy `{i}`: expected `all` or an index below {n_hw}")))?,
        ],
    };
    let progress = super::progress::Progress::new("proxies", proxies.len());
    let per_proxy: Vec<Vec<(Option<f64>, Value, usize)>> = proxies
        .par_iter()
        .map(|&h0| -> CliResult<Vec<(Option<f64>, Value, usize)>> {
            progress.tick();
            let set = p.pareto_set(h0, max_set)?;
            constraints
                .iter()
                .zip(&coupled)
                .map(|(&(l, e), c)| {
                    let semi = p.semi_decoupled(&set, l, e)?;
                    let dec = p.fully_decoupled(h0, l, e)?;
                    let acc = |o: Option<Design>| o.map_or(f64::NAN, |d| d.accuracy);
                    // Without a coupled optimum there is nothing to match: such cases are
                    // reported but left out of the summary (`None`), never counted as matches.
                    let gap = match (c.design, semi.design) {
                        (Some(c), Some(sd)) => Some(c.accuracy - sd.accuracy),
                        (Some(c), None) => Some(c.accuracy),
                        (None, _) => None,
                    };
                    let v = json!({
                        "proxy": s.space.get(h0).map(|a| a.label()).unwrap_or_default(), "proxy_index": h0,
                        "latency_bound": l, "energy_bound": e,
                        "coupled": design_json(&s, c.design), "semi_decoupled": design_json(&s, semi.design),
                        "fully_decoupled_accuracy": acc(dec.design), "accuracy_gap": gap,
                        "evaluations_coupled": c.evaluations, "evaluations_semi_decoupled": semi.evaluations,
                        "proxy_set_size": set.len(),
                    });
                    Ok((gap, v, semi.evaluations))
                })
                .collect()
        })
        .collect::<CliResult<Vec<_>>>()?;
    progress.finish();
    let flat: Vec<&(Option<f64>, Value, usize)> = per_proxy.iter().flatten().collect();
    let gaps: Vec<f64> = flat.iter().filter_map(|r| r.0).collect();
    // JSON null when no case has a coupled optimum: a fraction of nothing is not 1.0.
    let (same, mean_gap) = if gaps.is_empty() {
        (None, None)
    } else {
        let n = gaps.len() as f64;
        (Some(gaps.iter().filter(|g| g.abs() < 1e-12).count() as f64 / n), Some(gaps.iter().sum::<f64>() / n))
    };
    let eval_semi = flat.iter().map(|r| r.2).sum::<usize>() as f64 / flat.len() as f64;
    let eval_coupled = coupled.first().map_or(0, |c| c.evaluations);
    let results: Vec<&Value> = flat.iter().map(|r| &r.1).collect();
    out.line(json!({"results": results}));
    out.line(json!({
            "architectures": s.accuracy.len(), "accelerators": n_hw, "constraints": constraints.len(), "proxies": proxies.len(),
            "cases_with_coupled_optimum": gaps.len(), "same_optimum_fraction": same, "mean_gap": mean_gap,
            "evaluations_coupled": eval_coupled, "evaluations_semi_decoupled": eval_semi,
            "seconds_cost_model": s.cost_seconds, "seconds_coupled_search": coupled_seconds, "seconds_total": total.elapsed().as_secs_f64(),
    }));
    Ok(out)
}
