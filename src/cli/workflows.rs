//! `edgeopt monotonicity`, `edgeopt adapt`, `edgeopt one-proxy`.

use std::path::{Path, PathBuf};

use clap::Args;

use edgeopt::codesign::adapt::{adapt, fit_proxy, predict_all};
use edgeopt::codesign::one_proxy::{OneProxyConfig, mean_gap_to_oracle, one_proxy};
use edgeopt::codesign::{ArchTable, Counted};
use edgeopt::nas::{Nb201, Nb201Arch, SearchSpace};
use edgeopt::predictors::LinearPredictor;
use edgeopt::predictors::data::DeviceTable;
use edgeopt::predictors::metrics::{spearman, srcc_matrix};
use edgeopt::predictors::rand::SeedableRng;
use edgeopt::predictors::rand::rngs::ChaCha8Rng;
use serde_json::json;

use super::{CliError, CliResult, Out};

/// Load a NAS-Bench-201-keyed table (`arch_str` column).
pub fn nb201_table(data: &Path, space: &str) -> CliResult<(Nb201, ArchTable<Nb201Arch>)> {
    if space != "nb201" {
        return Err(CliError::Usage(format!("--space `{space}`: only nb201 data sets are supported here")));
    }
    let nb = Nb201::cifar10();
    let table = ArchTable::new(&nb, DeviceTable::read(data)?, "arch_str")?;
    Ok((nb, table))
}

pub fn monotonicity(data: &Path, metric: &str, out: &mut Out) -> CliResult<()> {
    let table = DeviceTable::read(data)?;
    let prefix = match metric {
        "latency" => "latency_",
        "energy" => "energy_",
        other => return Err(CliError::Usage(format!("--metric `{other}` (expected latency or energy)"))),
    };
    let cols = table.columns_with_prefix(prefix);
    if cols.len() < 2 {
        return Err(CliError::Usage(format!("{}: fewer than two `{prefix}*` columns", data.display())));
    }
    let values = cols.iter().map(|c| table.numeric(c)).collect::<Result<Vec<_>, _>>()?;
    let m = srcc_matrix(&values)?;
    out.record(std::iter::once("device".to_string()).chain(cols.iter().cloned()));
    for (c, row) in cols.iter().zip(&m) {
        out.record(std::iter::once(c.clone()).chain(row.iter().map(|v| format!("{v:.6}"))));
    }
    let off: Vec<f64> = (0..m.len())
        .flat_map(|i| (0..m.len()).filter(move |&j| j != i).map(move |j| (i, j)))
        .map(|(i, j)| m[i][j])
        .collect();
    out.line(format_args!("# mean off-diagonal SRCC {:.4}", off.iter().sum::<f64>() / off.len() as f64));
    Ok(())
}

/// The proxy's linear predictor, fitted on every row that has the proxy column.
fn proxy_predictor(nb: &Nb201, t: &ArchTable<Nb201Arch>, proxy: &str) -> CliResult<LinearPredictor> {
    let col = t.column(proxy)?;
    let (archs, lat): (Vec<Nb201Arch>, Vec<f64>) =
        t.archs.iter().zip(&col).filter_map(|(a, l)| Some((*a, (*l)?))).unzip();
    Ok(fit_proxy(nb, &archs, &lat)?)
}

/// The arguments `adapt` and `one-proxy` share: the measurement table, its space, the proxy and
/// target columns, and the seed.
#[derive(Debug, Args)]
pub struct ProxyTarget {
    /// Wide CSV with an `arch_str` column.
    #[arg(long)]
    pub data: PathBuf,
    /// Search space of the keys.
    #[arg(long, default_value = "nb201")]
    pub space: String,
    /// Proxy column.
    #[arg(long)]
    pub proxy: String,
    /// Target column.
    #[arg(long)]
    pub target: String,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// `edgeopt adapt`.
pub fn adapt_cmd(a: &ProxyTarget, samples: usize, validation: usize, out: &mut Out) -> CliResult<()> {
    let (proxy, target, seed) = (a.proxy.as_str(), a.target.as_str(), a.seed);
    let (nb, t) = nb201_table(&a.data, &a.space)?;
    let w = proxy_predictor(&nb, &t, proxy)?;
    let dev = Counted::new(t.device(target, None)?);
    let pool: Vec<Nb201Arch> = t.archs.iter().filter(|a| dev.inner().has(a)).copied().collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let ad = adapt(&nb, &w, &dev, &pool, samples, validation, &mut rng)?;
    let truth: Vec<f64> = pool.iter().map(|a| dev.inner().peek(a).map_or(f64::NAN, |m| m.latency)).collect();
    let before = spearman(&predict_all(&nb, &w, &pool)?, &truth)?;
    let after = spearman(&predict_all(&nb, &ad.predictor, &pool)?, &truth)?;
    out.line(json!({
            "proxy": proxy, "target": target, "srcc_before": before, "srcc_after": after,
            "measurements_used": dev.count(), "lambda": ad.predictor.lambda, "alpha": ad.predictor.alpha,
            "nonzero_corrections": ad.predictor.b.iter().filter(|v| **v != 0.0).count(),
    }));
    Ok(())
}

/// `edgeopt one-proxy`.
pub fn one_proxy_cmd(a: &ProxyTarget, accuracy: &str, samples: usize, threshold: f64, out: &mut Out) -> CliResult<()> {
    let (proxy, target, seed) = (a.proxy.as_str(), a.target.as_str(), a.seed);
    let (nb, t) = nb201_table(&a.data, &a.space)?;
    let acc = t.complete(accuracy)?;
    let acc_of: std::collections::HashMap<Nb201Arch, f64> = t.archs.iter().copied().zip(acc.iter().copied()).collect();
    let w = proxy_predictor(&nb, &t, proxy)?;
    let dev = t.device(target, None)?;
    let pool: Vec<Nb201Arch> = t.archs.iter().filter(|a| dev.has(a)).copied().collect();
    let cfg = OneProxyConfig { samples, threshold, ..OneProxyConfig::default() };
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let accuracy_fn = |a: &Nb201Arch| acc_of[a];
    let r = one_proxy(&nb, &pool, &accuracy_fn, &w, &dev, &cfg, &mut rng)?;
    let all: Vec<(f64, f64)> = pool.iter().map(|a| (acc_of[a], dev.peek(a).map_or(f64::NAN, |m| m.latency))).collect();
    let gap = mean_gap_to_oracle(&r.set, &all, 20)?;
    let set: Vec<_> =
        r.set.iter().map(|m| json!({"arch": nb.key(&m.arch), "accuracy": m.accuracy, "latency": m.latency})).collect();
    out.line(json!({
            "proxy": proxy, "target": target, "srcc_estimate": r.srcc_estimate, "adapted": r.adapted,
            "srcc_adapted": r.srcc_adapted, "measurements_used": r.measurements_used, "set": set,
            "mean_gap_to_oracle": gap,
    }));
    Ok(())
}
