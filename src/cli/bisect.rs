//! `edgeopt bisect`: meet a latency constraint on a new device by bisection on the trade-off
//! weight t (thesis alg. 1), reusing the proxy device's linear latency predictor. The target is a
//! column of the measurement table or an accelerator of the cost model; every target measurement
//! is counted.

use std::path::PathBuf;

use clap::Args;
use edgeopt::codesign::adapt::{fit_proxy, predict_all};
use edgeopt::codesign::{AcceleratorDevice, ArchTable, Bisection, Counted, Device, weighted_argmin};
use edgeopt::nas::Nb201;
use edgeopt::predictors::data::DeviceTable;
use serde_json::json;

use super::{CliError, CliResult, Out};

/// Arguments of `edgeopt bisect`.
#[derive(Debug, Args)]
pub struct BisectArgs {
    /// Wide measurement table of NAS-Bench-201 architectures (`arch_str` keys).
    #[arg(long)]
    data: PathBuf,
    /// Accuracy column.
    #[arg(long)]
    accuracy: String,
    /// Proxy latency column (its linear predictor ranks the candidates).
    #[arg(long)]
    proxy: String,
    /// Target: a latency column of --data, or `accel` (the cost model with --dataflow/--pes/...).
    #[arg(long)]
    target: String,
    /// Latency constraints (the target's unit), comma-separated.
    #[arg(long, value_delimiter = ',', required = true, allow_negative_numbers = true, value_parser = super::args::positive)]
    constraint: Vec<f64>,
    /// Tolerance δ around the constraint, as a fraction of it.
    #[arg(long, default_value_t = 0.02)]
    delta: f64,
    /// Step of t.
    #[arg(long, default_value_t = 0.001, value_parser = super::args::open_fraction)]
    granularity: f64,
    /// The target accelerator (`--target accel`).
    #[command(flatten)]
    accel: super::search::AccelArgs,
}

pub fn run(a: &BisectArgs, out: &mut Out) -> CliResult<()> {
    if let Some(c) = a.constraint.iter().find(|c| !(c.is_finite() && **c > 0.0)) {
        return Err(CliError::Usage(format!("--constraint {c}: must be a positive number")));
    }
    if !(a.delta.is_finite() && (0.0..1.0).contains(&a.delta)) {
        return Err(CliError::Usage(format!("--delta {}: must be in [0, 1)", a.delta)));
    }
    let nb = Nb201::cifar10();
    let t = ArchTable::new(&nb, DeviceTable::read(&a.data)?, "arch_str")?;
    let acc = t.complete(&a.accuracy)?;
    let proxy_lat = t.complete(&a.proxy)?;
    let predictor = fit_proxy(&nb, &t.archs, &proxy_lat)?;
    let predicted = predict_all(&nb, &predictor, &t.archs)?;
    let solve = |tt: f64| {
        let i = weighted_argmin(&acc, &predicted, tt).unwrap_or(0);
        Ok((t.archs[i], acc[i]))
    };
    let target: Box<dyn Device<edgeopt::nas::Nb201Arch>> = match a.target.as_str() {
        "accel" => Box::new(AcceleratorDevice::cached(&nb, a.accel.accel()?)),
        col => Box::new(t.device(col, None)?),
    };
    let target = Counted::new(target);
    let mut bis = Bisection::new(solve);
    for &c in &a.constraint {
        let before = target.count();
        let r = bis.find(&target, c, a.delta * c, a.granularity)?;
        let arch = r.arch.map(|x| edgeopt::nas::SearchSpace::key(&nb, &x));
        let accuracy = r.arch.and_then(|x| t.archs.iter().position(|y| *y == x)).map(|i| acc[i]);
        out.line(
            json!({"constraint": c, "arch": arch, "t": r.t, "latency": r.latency.is_finite().then_some(r.latency),
                   "accuracy": accuracy, "met": r.arch.is_some(), "measurements": target.count() - before}),
        );
    }
    out.line(json!({"target": target.name(), "constraints": a.constraint.len(), "measurements": target.count()}));
    Ok(())
}
