//! `edgeopt monotonicity`, `edgeopt adapt`, `edgeopt one-proxy`.

use std::path::{Path, PathBuf};

use clap::Args;

use edgeopt::codesign::adapt::{adapt_selected, fit_proxy, predict_all};
use edgeopt::codesign::one_proxy::{Member, OneProxyConfig, mean_gap_to_oracle, one_proxy};
use edgeopt::codesign::pool::{adapt_pool, one_proxy_pool, predict_pool};
use edgeopt::codesign::{ArchTable, Counted, ProxyPool, Selection};
use edgeopt::nas::{AttentiveNas, Darts, Encode, FbNet, MobileNetSpace, Nb201, Nb201Arch, SearchSpace};
use edgeopt::predictors::data::DeviceTable;
use edgeopt::predictors::metrics::{spearman, srcc_matrix};
use edgeopt::predictors::rand::SeedableRng;
use edgeopt::predictors::rand::rngs::ChaCha8Rng;
use edgeopt::predictors::{LinearPredictor, PoolAdaProxy, PoolAdapted};
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

/// A table keyed by architectures of `space` (`arch_str` column; each key must parse in the space).
fn space_table<S: SearchSpace>(space: &S, data: &Path) -> CliResult<ArchTable<S::Arch>> {
    Ok(ArchTable::new(space, DeviceTable::read(data)?, "arch_str")?)
}

/// Run `$body` with `$s` bound to the built-in space named `$name` (as `--space` spells it).
macro_rules! with_space {
    ($name:expr, |$s:ident| $body:expr) => {
        match $name {
            "nb201" => {
                let $s = &Nb201::cifar10();
                $body
            }
            "mbv2" => {
                let $s = &MobileNetSpace::ofa_proxyless();
                $body
            }
            "mbv2-1.0" => {
                let $s = &MobileNetSpace::mobilenet_v2();
                $body
            }
            "mbv3" => {
                let $s = &MobileNetSpace::ofa_mobilenet_v3();
                $body
            }
            "alphanet" => {
                let $s = &MobileNetSpace::alphanet();
                $body
            }
            "attentivenas" => {
                let $s = &AttentiveNas::alphanet();
                $body
            }
            "darts" => {
                let $s = &Darts::cifar10();
                $body
            }
            "fbnet" => {
                let $s = &FbNet::imagenet();
                $body
            }
            "fbnet-cifar" => {
                let $s = &FbNet::cifar100();
                $body
            }
            other => Err(CliError::Usage(format!(
                "--space `{other}`: available spaces are nb201, mbv2, mbv2-1.0, mbv3, alphanet, attentivenas, \
                 fbnet, fbnet-cifar, darts"
            ))),
        }
    };
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
    // Named here: the correlation itself only knows a series is constant, not which column.
    for (c, v) in cols.iter().zip(&values) {
        let mut present = v.iter().flatten();
        if let Some(first) = present.next()
            && present.all(|x| x == first)
        {
            return Err(CliError::Usage(format!(
                "{}: column `{c}` has one value ({first}) in every row, so it ranks nothing",
                data.display()
            )));
        }
    }
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
fn proxy_predictor<S: Encode>(space: &S, t: &ArchTable<S::Arch>, proxy: &str) -> CliResult<LinearPredictor> {
    let col = t.column(proxy)?;
    let (archs, lat): (Vec<S::Arch>, Vec<f64>) =
        t.archs.iter().zip(&col).filter_map(|(a, l)| Some((a.clone(), (*l)?))).unzip();
    Ok(fit_proxy(space, &archs, &lat)?)
}

/// The arguments `adapt` and `one-proxy` share: the measurement table, its space, the proxy
/// column(s), the target column, how target samples are chosen, and the seed.
#[derive(Debug, Args)]
pub struct ProxyTarget {
    /// Wide CSV with an `arch_str` column.
    #[arg(long)]
    pub data: PathBuf,
    /// Search space of the keys.
    #[arg(long, default_value = "nb201")]
    pub space: String,
    /// Proxy column, or a comma-separated pool of columns (adapted jointly, chosen by
    /// cross-validation on the target samples).
    #[arg(long)]
    pub proxy: String,
    /// Target column.
    #[arg(long)]
    pub target: String,
    /// Which architectures to measure on the target: random, stratified over the proxies'
    /// latency ranking, or disagreement (greedy max-min over the proxies' normalised ranks).
    #[arg(long, default_value = "random")]
    pub select: String,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

impl ProxyTarget {
    /// The proxy columns, checked: none empty, no duplicates, not the target.
    fn proxies(&self) -> CliResult<Vec<String>> {
        let names: Vec<String> = self.proxy.split(',').map(|p| p.trim().to_string()).collect();
        for (i, n) in names.iter().enumerate() {
            if n.is_empty() {
                return Err(CliError::Usage(format!("--proxy `{}`: empty column name", self.proxy)));
            }
            if names[..i].contains(n) {
                return Err(CliError::Usage(format!("--proxy `{}`: `{n}` is listed twice", self.proxy)));
            }
            if *n == self.target {
                return Err(CliError::Usage(format!("--proxy `{}`: `{n}` is also the target", self.proxy)));
            }
        }
        Ok(names)
    }

    fn selection(&self) -> CliResult<Selection> {
        Ok(self.select.parse::<Selection>()?)
    }
}

/// The JSON fields describing a pool model: its proxies' weights and what was chosen.
fn pool_json(names: &[String], m: &PoolAdapted) -> serde_json::Value {
    let weights: serde_json::Map<String, serde_json::Value> =
        names.iter().zip(&m.weights).map(|(n, w)| (n.clone(), json!(w))).collect();
    json!({
        "weights": weights, "scale": m.scale, "single_proxy": m.single.map(|k| names[k].clone()),
        "cv_srcc": m.cv_srcc, "lambda": m.lambda_correction,
        "nonzero_corrections": m.corrections.iter().filter(|v| **v != 0.0).count(),
    })
}

/// Merge `extra`'s fields into `base`.
fn merged(mut base: serde_json::Value, extra: serde_json::Value) -> serde_json::Value {
    if let (Some(b), serde_json::Value::Object(e)) = (base.as_object_mut(), extra) {
        b.extend(e);
    }
    base
}

/// `edgeopt adapt`.
pub fn adapt_cmd(a: &ProxyTarget, samples: usize, validation: Option<usize>, stdout: &mut Out) -> CliResult<()> {
    with_space!(a.space.as_str(), |space| adapt_in(space, a, samples, validation, stdout))
}

fn adapt_in<S: Encode>(
    nb: &S,
    a: &ProxyTarget,
    samples: usize,
    validation: Option<usize>,
    stdout: &mut Out,
) -> CliResult<()> {
    let (names, select) = (a.proxies()?, a.selection()?);
    let t = space_table(nb, &a.data)?;
    let dev = Counted::new(t.device(&a.target, None)?);
    let cands: Vec<S::Arch> = t.archs.iter().filter(|x| dev.inner().has(x)).cloned().collect();
    let truth: Vec<f64> = cands.iter().map(|x| dev.inner().peek(x).map_or(f64::NAN, |m| m.latency)).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(a.seed);
    let common = json!({"proxies": names, "target": a.target, "select": select.name()});
    let out = if let [proxy] = names.as_slice() {
        let w = proxy_predictor(nb, &t, proxy)?;
        let ad = adapt_selected(nb, &w, &dev, &cands, samples, validation.unwrap_or(20), select, &mut rng)?;
        let before = spearman(&predict_all(nb, &w, &cands)?, &truth)?;
        let after = spearman(&predict_all(nb, &ad.predictor, &cands)?, &truth)?;
        json!({
            "proxy": proxy, "srcc_before": before, "srcc_after": after, "measurements_used": dev.count(),
            "weights": {proxy.as_str(): ad.predictor.alpha}, "lambda": ad.predictor.lambda,
            "alpha": ad.predictor.alpha,
            "nonzero_corrections": ad.predictor.b.iter().filter(|v| **v != 0.0).count(),
        })
    } else {
        if let Some(v) = validation {
            return Err(CliError::Usage(format!(
                "--validation {v}: a pool of proxies is cross-validated on the --samples measurements; \
                 --validation applies to a single proxy"
            )));
        }
        let pool = t.proxy_pool(nb, &names, &cands)?;
        let ad = adapt_pool(nb, &cands, &pool, &dev, samples, select, &PoolAdaProxy::default(), &mut rng)?;
        let before = best_single_srcc(&pool, &ad.indices, &ad.measured, &truth)?;
        let after = spearman(&predict_pool(nb, &ad.predictor, &cands, &pool)?, &truth)?;
        merged(
            json!({"srcc_before": before, "srcc_after": after, "measurements_used": dev.count()}),
            pool_json(&pool.names, &ad.predictor),
        )
    };
    stdout.line(merged(common, out));
    Ok(())
}

/// The SRCC over all candidates of the proxy that ranks the measured samples best (what one would
/// use without adapting).
fn best_single_srcc<A>(pool: &ProxyPool, idx: &[usize], measured: &[(A, f64)], truth: &[f64]) -> CliResult<f64> {
    let lat: Vec<f64> = measured.iter().map(|m| m.1).collect();
    let mut best = (0, f64::NEG_INFINITY);
    for k in 0..pool.values.ncols() {
        let col: Vec<f64> = idx.iter().map(|&i| pool.values[(i, k)]).collect();
        let r = spearman(&col, &lat).unwrap_or(f64::NEG_INFINITY);
        if r > best.1 {
            best = (k, r);
        }
    }
    Ok(spearman(&pool.values.column(best.0).to_vec(), truth)?)
}

/// `edgeopt one-proxy`.
pub fn one_proxy_cmd(
    a: &ProxyTarget,
    accuracy: &str,
    (samples, max_measurements): (usize, Option<usize>),
    threshold: f64,
    stdout: &mut Out,
) -> CliResult<()> {
    with_space!(a.space.as_str(), |space| one_proxy_in(
        space,
        a,
        accuracy,
        (samples, max_measurements),
        threshold,
        stdout
    ))
}

fn one_proxy_in<S: Encode>(
    nb: &S,
    a: &ProxyTarget,
    accuracy: &str,
    (samples, max_measurements): (usize, Option<usize>),
    threshold: f64,
    stdout: &mut Out,
) -> CliResult<()> {
    let (names, select) = (a.proxies()?, a.selection()?);
    let t = space_table(nb, &a.data)?;
    let acc = t.complete(accuracy)?;
    let acc_of: std::collections::HashMap<S::Arch, f64> = t.archs.iter().cloned().zip(acc.iter().copied()).collect();
    let dev = t.device(&a.target, None)?;
    let cands: Vec<S::Arch> = t.archs.iter().filter(|x| dev.has(x)).cloned().collect();
    let cfg = OneProxyConfig { samples, threshold, select, max_measurements, ..OneProxyConfig::default() };
    let mut rng = ChaCha8Rng::seed_from_u64(a.seed);
    let accuracy_fn = |x: &S::Arch| acc_of[x];
    let all: Vec<(f64, f64)> = cands.iter().map(|x| (acc_of[x], dev.peek(x).map_or(f64::NAN, |m| m.latency))).collect();
    let set_json = |set: &[Member<S::Arch>]| -> Vec<serde_json::Value> {
        set.iter().map(|m| json!({"arch": nb.key(&m.arch), "accuracy": m.accuracy, "latency": m.latency})).collect()
    };
    let common = json!({"proxies": names, "target": a.target, "select": select.name()});
    let out = if let [proxy] = names.as_slice() {
        let w = proxy_predictor(nb, &t, proxy)?;
        let r = one_proxy(nb, &cands, &accuracy_fn, &w, &dev, &cfg, &mut rng)?;
        json!({
            "proxy": proxy, "srcc_estimate": r.srcc_estimate, "adapted": r.adapted,
            "srcc_adapted": r.srcc_adapted, "measurements_used": r.measurements_used, "set": set_json(&r.set),
            "mean_gap_to_oracle": mean_gap_to_oracle(&r.set, &all, 20)?,
        })
    } else {
        let pool = t.proxy_pool(nb, &names, &cands)?;
        let r = one_proxy_pool(nb, &cands, &pool, &accuracy_fn, &dev, &cfg, &PoolAdaProxy::default(), &mut rng)?;
        let model = match &r.adapted {
            Some(m) => pool_json(&pool.names, m),
            None => {
                let best = &pool.names[r.best_proxy];
                json!({"weights": {best.as_str(): 1.0}, "single_proxy": best})
            }
        };
        merged(
            json!({
                "srcc_estimate": r.srcc_estimate, "adapted": r.adapted.is_some(),
                "srcc_adapted": r.adapted.as_ref().map(|m| m.cv_srcc), "measurements_used": r.measurements_used,
                "set": set_json(&r.set), "mean_gap_to_oracle": mean_gap_to_oracle(&r.set, &all, 20)?,
            }),
            model,
        )
    };
    stdout.line(merged(common, out));
    Ok(())
}
