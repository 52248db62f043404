//! `edgeopt codesign`: semi-decoupled co-design (alg. 6) of any space's architectures and an
//! accelerator grid, against the fully-coupled exhaustive optimum.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use edgeopt::accel_sim::{EnergyModel, HardwareSpace, cost_mixtures, sample_mixtures};
use edgeopt::codesign::ArchTable;
use edgeopt::codesign::semi_decoupled::{Design, Problem};
use edgeopt::nas::rand::SeedableRng;
use edgeopt::nas::rand::rngs::ChaCha8Rng;
use edgeopt::nas::rand::seq::index::sample as sample_indices;
use edgeopt::nas::{AttentiveNas, Darts, FbNet, Lower, MobileNetSpace, Nb201, SearchSpace};
use edgeopt::predictors::data::DeviceTable;
use rayon::prelude::*;
use serde_json::{Value, json};

use super::{CliError, CliResult, Out};

/// Arguments of `edgeopt codesign`.
#[derive(Debug, Args)]
pub struct CodesignArgs {
    /// Search space: nb201, mbv2, mbv2-1.0, mbv3, alphanet, attentivenas, fbnet, fbnet-cifar, darts.
    #[arg(long, default_value = "nb201")]
    space: String,
    /// Wide measurement table with an `arch_str` key column (with --accuracy).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Accuracy column of --data.
    #[arg(long, requires = "data")]
    accuracy: Option<String>,
    /// Accuracies as a CSV with columns `key,accuracy` (public accuracy data exist for NB201 only;
    /// bring yours for the other spaces).
    #[arg(long, conflicts_with_all = ["data", "accuracy"])]
    accuracy_file: Option<PathBuf>,
    /// Sample this many architectures (seeded): from the table's rows, or from the space, each of
    /// which must then be in --accuracy-file.
    #[arg(long, value_parser = super::args::count::<1, { super::args::MAX_COUNT }>)]
    archs: Option<usize>,
    /// Sample this many accelerators of the grid (seeded).
    #[arg(long, value_parser = super::args::count::<1, { super::args::MAX_COUNT }>)]
    accelerators: Option<usize>,
    /// `all` accelerators as proxies, or one index of the (sampled) grid.
    #[arg(long, default_value = "all")]
    proxy: String,
    /// Hardware grid: `thesis` (1296) or `calibration` (162).
    #[arg(long, default_value = "thesis")]
    grid: String,
    /// Resource budget: most PEs allowed.
    #[arg(long, value_parser = super::args::count_u64::<1, { u64::MAX }>)]
    max_pes: Option<u64>,
    /// Largest proxy Pareto set kept in stage 1 (K).
    #[arg(long, default_value_t = 100, value_parser = super::args::count::<1, { super::args::MAX_COUNT }>)]
    max_set: usize,
    /// Co-design over this many layer-wise dataflow mixtures instead of single accelerators (thesis
    /// sec. 4.5.3): each network is split into 22 parts (first layer, 20 groups, last layer) and
    /// each part runs on an accelerator drawn (seeded) from the grid or its --accelerators sample.
    /// --max-pes then bounds every part's accelerator.
    #[arg(long, value_parser = super::args::count::<1, { super::args::MAX_COUNT }>)]
    mixed: Option<usize>,
    /// Seed of the architecture and accelerator samples.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// Middle groups of the thesis's layer-wise split (22 parts with the first and last layer).
const MIX_GROUPS: usize = 20;

/// Most (architecture, accelerator or mixture) designs one run costs: 5× NB201 × the thesis grid.
const MAX_CELLS: usize = 100_000_000;

/// Inputs of a co-design study: accuracies and the latency/energy matrices.
pub struct Study {
    /// Label of every hardware column (an accelerator, or a mixture).
    pub labels: Vec<String>,
    /// PEs of every column (a mixture's largest part).
    pub pes: Vec<u64>,
    pub accuracy: Vec<f64>,
    pub latency: Vec<Vec<Option<f64>>>,
    pub energy: Vec<Vec<Option<f64>>>,
    pub keys: Vec<String>,
    pub cost_seconds: f64,
}

/// The architectures of the study with their accuracies.
fn candidates<S: SearchSpace>(space: &S, a: &CodesignArgs) -> CliResult<Vec<(S::Arch, f64)>> {
    let mut rng = ChaCha8Rng::seed_from_u64(a.seed);
    match (&a.data, &a.accuracy, &a.accuracy_file) {
        (Some(data), Some(col), None) => {
            let t = ArchTable::new(space, DeviceTable::read(data)?, "arch_str")?;
            let acc = t.column(col)?;
            let rows: Vec<(S::Arch, f64)> =
                t.archs.iter().cloned().zip(acc).filter_map(|(k, v)| Some((k, v?))).collect();
            match a.archs {
                Some(n) if n > rows.len() || n == 0 => Err(CliError::Usage(format!(
                    "--archs {n}: the table has {} architectures with `{col}`",
                    rows.len()
                ))),
                Some(n) => {
                    let mut idx = sample_indices(&mut rng, rows.len(), n).into_vec();
                    idx.sort_unstable();
                    Ok(idx.into_iter().map(|i| rows[i].clone()).collect())
                }
                None => Ok(rows),
            }
        }
        (None, None, Some(file)) => {
            let rows = super::search::read_accuracy_file(space, file)?;
            let Some(n) = a.archs else { return Ok(rows) };
            if n == 0 || (n as f64) > space.size() {
                return Err(CliError::Usage(format!(
                    "--archs {n}: must be between 1 and the space size {}",
                    space.size()
                )));
            }
            let known: std::collections::HashMap<S::Arch, f64> = rows.into_iter().collect();
            let mut seen = std::collections::HashSet::new();
            let mut out = Vec::with_capacity(n);
            let mut draws = 0usize;
            while out.len() < n {
                draws += 1;
                if draws > 100 * n + 1000 {
                    return Err(CliError::Usage(format!("--archs {n}: could not draw {n} distinct architectures")));
                }
                let arch = space.sample(&mut rng);
                if !seen.insert(arch.clone()) {
                    continue;
                }
                let acc = known.get(&arch).copied().ok_or_else(|| {
                    CliError::Usage(format!(
                        "{}: sampled architecture `{}` (seed {}) has no accuracy; the file must cover the keys of `edgeopt nas sample --space {} -n {n} --seed {}` (distinct draws)",
                        file.display(),
                        space.key(&arch),
                        a.seed,
                        a.space,
                        a.seed
                    ))
                })?;
                out.push((arch, acc));
            }
            Ok(out)
        }
        _ => Err(CliError::Usage("give accuracies as --data D.csv --accuracy COL or as --accuracy-file K.csv".into())),
    }
}

fn study_of<S: Lower>(space: &S, a: &CodesignArgs) -> CliResult<Study> {
    let rows = candidates(space, a)?;
    if rows.is_empty() {
        return Err(CliError::Usage("no architectures with an accuracy".into()));
    }
    let hw = match a.grid.as_str() {
        "thesis" => HardwareSpace::thesis(),
        "calibration" => HardwareSpace::calibration(),
        other => return Err(CliError::Usage(format!("--grid `{other}` (expected thesis or calibration)"))),
    };
    let all: Vec<usize> = match a.accelerators {
        Some(m) if m == 0 || m > hw.len() => {
            return Err(CliError::Usage(format!("--accelerators {m}: must be between 1 and the grid's {}", hw.len())));
        }
        Some(m) => {
            let mut idx = sample_indices(&mut ChaCha8Rng::seed_from_u64(a.seed ^ 0xACCE), hw.len(), m).into_vec();
            idx.sort_unstable();
            idx
        }
        None => (0..hw.len()).collect(),
    };
    // Every (architecture, column) pair keeps a latency and an energy (about 50 bytes with the
    // cost matrix): refused before anything that size is allocated.
    let columns = a.mixed.unwrap_or(all.len());
    let cells = rows.len().saturating_mul(columns);
    if cells > MAX_CELLS {
        return Err(CliError::Usage(format!(
            "{} architectures × {columns} {} = {cells} designs; at most {MAX_CELLS} in one run (a few GB): sample \
             fewer with --archs, --accelerators or --mixed",
            rows.len(),
            if a.mixed.is_some() { "mixtures" } else { "accelerators" },
        )));
    }
    let start = Instant::now();
    let nets: Vec<_> = rows.par_iter().map(|(arch, _)| space.layers(arch)).collect();
    let accs = all.iter().map(|&h| hw.get(h)).collect::<Result<Vec<_>, _>>()?;
    let (latency, energy, labels, pes) = match a.mixed {
        None => {
            let m = hw.cost_matrix(&nets, &EnergyModel::maestro());
            let pick = |r: &Vec<Option<f64>>| all.iter().map(|&h| r[h]).collect::<Vec<_>>();
            let latency: Vec<Vec<Option<f64>>> =
                m.cycles.iter().map(|r| all.iter().map(|&h| r[h].map(|v| v as f64)).collect()).collect();
            let energy: Vec<Vec<Option<f64>>> = m.energy_nj.iter().map(pick).collect();
            let labels = accs.iter().map(|acc| acc.label()).collect();
            (latency, energy, labels, accs.iter().map(|acc| acc.hardware.num_pes()).collect())
        }
        Some(n) => {
            let mut rng = ChaCha8Rng::seed_from_u64(a.seed ^ 0x3131);
            let mixtures = sample_mixtures(accs.len(), MIX_GROUPS + 2, n, &mut rng)?;
            let m = cost_mixtures(&nets, &accs, &mixtures, MIX_GROUPS)?;
            let rows_of = |v: &[f64]| -> Vec<Vec<Option<f64>>> {
                v.chunks(m.cols.max(1)).map(|r| r.iter().map(|x| (!x.is_nan()).then_some(*x)).collect()).collect()
            };
            let labels = (0..n).map(|k| format!("mixture{k}")).collect();
            let pes =
                mixtures.iter().map(|mix| mix.iter().map(|&p| accs[p].hardware.num_pes()).max().unwrap_or(0)).collect();
            (rows_of(&m.cycles), rows_of(&m.energy_nj), labels, pes)
        }
    };
    let cost_seconds = start.elapsed().as_secs_f64();
    Ok(Study {
        keys: rows.iter().map(|(arch, _)| space.key(arch)).collect(),
        labels,
        pes,
        accuracy: rows.iter().map(|r| r.1).collect(),
        latency,
        energy,
        cost_seconds,
    })
}

pub fn study(a: &CodesignArgs) -> CliResult<Study> {
    match a.space.as_str() {
        "nb201" => study_of(&Nb201::cifar10(), a),
        "mbv2" => study_of(&MobileNetSpace::ofa_proxyless(), a),
        "mbv2-1.0" => study_of(&MobileNetSpace::mobilenet_v2(), a),
        "mbv3" => study_of(&MobileNetSpace::ofa_mobilenet_v3(), a),
        "alphanet" => study_of(&MobileNetSpace::alphanet(), a),
        "attentivenas" => study_of(&AttentiveNas::alphanet(), a),
        "darts" => study_of(&Darts::cifar10(), a),
        "fbnet" => study_of(&FbNet::imagenet(), a),
        "fbnet-cifar" => study_of(&FbNet::cifar100(), a),
        other => Err(CliError::Usage(format!(
            "--space `{other}`: available spaces are nb201, mbv2, mbv2-1.0, mbv3, alphanet, attentivenas, fbnet, fbnet-cifar, darts"
        ))),
    }
}

impl Study {
    pub fn problem<'a>(&'a self, admissible: &'a [bool]) -> Problem<'a> {
        Problem { accuracy: &self.accuracy, latency: &self.latency, energy: &self.energy, admissible }
    }

    /// Representative constraint pairs: quantiles of each architecture's best latency and energy
    /// over the grid.
    /// An error when no architecture runs on any hardware column (e.g. every mixture has a part
    /// whose accelerator cannot run some layer).
    pub fn constraints(&self, quantiles: &[f64]) -> CliResult<Vec<(f64, f64)>> {
        let best = |m: &[Vec<Option<f64>>]| -> Vec<f64> {
            let mut v: Vec<f64> = m.iter().filter_map(|r| r.iter().flatten().copied().reduce(f64::min)).collect();
            v.sort_by(f64::total_cmp);
            v
        };
        let (l, e) = (best(&self.latency), best(&self.energy));
        if l.is_empty() || e.is_empty() {
            return Err(CliError::Usage(format!(
                "none of the {} architectures runs on any of the {} {}: nothing to co-design",
                self.accuracy.len(),
                self.labels.len(),
                if self.labels.first().is_some_and(|l| l.starts_with("mixture")) { "mixtures" } else { "accelerators" }
            )));
        }
        let q = |v: &[f64], p: f64| v[((p * (v.len() - 1) as f64).round() as usize).min(v.len() - 1)];
        Ok(quantiles.iter().map(|&p| (q(&l, p), q(&e, p))).collect())
    }
}

fn design_json(s: &Study, d: Option<Design>) -> Value {
    match d {
        Some(d) => {
            json!({"arch": s.keys[d.arch], "accelerator": s.labels.get(d.accel).cloned().unwrap_or_default(), "accuracy": d.accuracy})
        }
        None => Value::Null,
    }
}

pub fn run(a: &CodesignArgs) -> CliResult<Out> {
    let (proxy, max_pes, max_set) = (a.proxy.as_str(), a.max_pes, a.max_set);
    let mut out = Out::default();
    let total = Instant::now();
    let s = study(a)?;
    let n_hw = s.labels.len();
    let admissible: Vec<bool> = s.pes.iter().map(|&p| max_pes.is_none_or(|m| p <= m)).collect();
    let admitted = admissible.iter().filter(|a| **a).count();
    if admitted == 0 {
        let smallest = s.pes.iter().copied().min().unwrap_or(0);
        return Err(CliError::Usage(format!(
            "--max-pes {}: admits none of the {n_hw} {} (the smallest has {smallest} PEs{})",
            max_pes.unwrap_or(0),
            if a.mixed.is_some() { "mixtures" } else { "accelerators" },
            if a.mixed.is_some() { " in its largest part" } else { "" }
        )));
    }
    let p = s.problem(&admissible);
    let constraints = s.constraints(&[0.1, 0.3, 0.5, 0.7, 0.9])?;
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
    // Stage 1 on every proxy at once (one accuracy sort shared by all).
    let sets = p.pareto_sets(&proxies, max_set)?;
    let per_proxy: Vec<Vec<(Option<f64>, Value, usize)>> = proxies
        .par_iter()
        .zip(&sets)
        .map(|(&h0, set)| -> CliResult<Vec<(Option<f64>, Value, usize)>> {
            progress.tick();
            let decoupled = p.fully_decoupled_all(h0, &constraints)?;
            constraints
                .iter()
                .zip(&coupled)
                .zip(decoupled)
                .map(|((&(l, e), c), dec)| {
                    let semi = p.semi_decoupled(set, l, e)?;
                    let acc = |o: Option<Design>| o.map_or(f64::NAN, |d| d.accuracy);
                    // Without a coupled optimum there is nothing to match: such cases are
                    // reported but left out of the summary (`None`), never counted as matches.
                    let gap = match (c.design, semi.design) {
                        (Some(c), Some(sd)) => Some(c.accuracy - sd.accuracy),
                        (Some(c), None) => Some(c.accuracy),
                        (None, _) => None,
                    };
                    let v = json!({
                        "proxy": s.labels.get(h0).cloned().unwrap_or_default(), "proxy_index": h0,
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
    // No case with a coupled optimum leaves nothing to compare: a fraction of nothing is not a
    // result, so say why instead of printing a table of nulls.
    if gaps.is_empty() {
        return Err(CliError::Usage(format!(
            "no design meets any of the {} (latency, energy) bounds: {} architecture(s) on {admitted} admissible {} \
             are too few for co-design to compare; raise --archs or --accelerators{}",
            constraints.len(),
            s.accuracy.len(),
            if a.mixed.is_some() { "mixtures" } else { "accelerators" },
            if max_pes.is_some() { " or --max-pes" } else { "" },
        )));
    }
    let n = gaps.len() as f64;
    let same = gaps.iter().filter(|g| g.abs() < 1e-12).count() as f64 / n;
    let mean_gap = gaps.iter().sum::<f64>() / n;
    let eval_semi = flat.iter().map(|r| r.2).sum::<usize>() as f64 / flat.len() as f64;
    let eval_coupled = coupled.first().map_or(0, |c| c.evaluations);
    let results: Vec<&Value> = flat.iter().map(|r| &r.1).collect();
    out.line(json!({"results": results}));
    out.line(json!({
            "architectures": s.accuracy.len(), "accelerators": n_hw, "mixed": a.mixed.is_some(), "constraints": constraints.len(), "proxies": proxies.len(),
            "cases_with_coupled_optimum": gaps.len(), "same_optimum_fraction": same, "mean_gap": mean_gap,
            "evaluations_coupled": eval_coupled, "evaluations_semi_decoupled": eval_semi,
            "seconds_cost_model": s.cost_seconds, "seconds_coupled_search": coupled_seconds, "seconds_total": total.elapsed().as_secs_f64(),
    }));
    Ok(out)
}
