//! The `--accelerators` forms of `edgeopt l2o train` / `apply`: devices are accel-sim
//! accelerators described by their hardware (PEs, L1/L2, NoC and off-chip bandwidth, dataflow),
//! latency in cycles and energy in nJ from the cost model.

use edgeopt::accel_sim::{Accel, Dataflow, HardwareConfig, HardwareSpace};
use edgeopt::codesign::l2o::{
    Categorical, ChoicesDevice, HardwareDescription, L2oModel, grid_sample_excluding, sample_accelerators,
};
use edgeopt::codesign::{AcceleratorDevice, ArchTable, Counted, Device};
use edgeopt::nas::{Nb201, Nb201Arch, SearchSpace};
use edgeopt::predictors::rand::rngs::ChaCha8Rng;
use serde_json::json;

use super::l2o::{ApplyArgs, TrainingSet, design, table_accuracy};
use super::workflows::nb201_table;
use super::{CliError, CliResult, Out};

/// `n` accelerators of the thesis grid outside the calibration grid (the test accelerators) and
/// `synthetic` more drawn off-grid, every table row with an accuracy as a candidate.
pub(super) fn training_set<'a>(
    nb: &'a Nb201,
    t: &ArchTable<Nb201Arch>,
    acc: &[Option<f64>],
    n: usize,
    synthetic: usize,
    rng: &mut ChaCha8Rng,
) -> CliResult<TrainingSet<'a>> {
    let thesis = HardwareSpace::thesis();
    let mut accels = grid_sample_excluding(&thesis, &HardwareSpace::calibration(), n, rng)?;
    accels.extend(sample_accelerators(&thesis, synthetic, rng)?);
    let candidates = t.archs.iter().zip(acc).filter_map(|(a, y)| Some((nb.to_choices(a), (*y)?))).collect();
    let hardware = accels.iter().map(HardwareDescription::of).collect::<Result<Vec<_>, _>>()?;
    let names = accels.iter().map(Accel::label).collect();
    let devices = accels
        .into_iter()
        .map(|a| {
            let dev = ChoicesDevice::new(nb, AcceleratorDevice::cached(nb, a));
            Counted::new(Box::new(dev) as Box<dyn Device<Vec<usize>> + 'a>)
        })
        .collect();
    Ok(TrainingSet { candidates, devices, names, hardware })
}

/// Parse `calibration`, `thesis` or comma-separated labels `DATAFLOW/<P>pe/noc<N>/off<O>`.
fn accelerators(spec: &str) -> CliResult<Vec<Accel>> {
    match spec {
        "calibration" => return Ok(HardwareSpace::calibration().enumerate()?),
        "thesis" => return Ok(HardwareSpace::thesis().enumerate()?),
        _ => {}
    }
    spec.split(',')
        .map(|label| {
            let bad = |why: &str| {
                CliError::Usage(format!(
                    "--accelerators `{label}`: {why} (expected calibration, thesis or labels like kc-p/256pe/noc600/off150)"
                ))
            };
            let parts: Vec<&str> = label.trim().split('/').collect();
            let [df, pes, noc, off] = parts[..] else { return Err(bad("not four `/`-separated fields")) };
            let df = Dataflow::parse(df).ok_or_else(|| bad("unknown dataflow"))?;
            let num = |s: Option<&str>, what: &str| -> CliResult<u64> {
                s.and_then(|v| v.parse().ok()).ok_or_else(|| bad(&format!("bad {what}")))
            };
            let pes = num(pes.strip_suffix("pe"), "PE count")?;
            let noc = num(noc.strip_prefix("noc"), "NoC bandwidth")?;
            let off = num(off.strip_prefix("off"), "off-chip bandwidth")?;
            Ok(Accel::new(HardwareConfig::new(pes, noc, off).build()?, df))
        })
        .collect()
}

/// Design for every accelerator of `spec`: its hardware description, plus the model's reference
/// architectures measured on it by accel-sim if the model has any; one JSON line each.
pub(super) fn apply(a: &ApplyArgs, model: &L2oModel, spec: &str, out: &mut Out) -> CliResult<()> {
    if model.performance.hardware.is_none() {
        return Err(CliError::Usage(format!(
            "--accelerators: {} was trained without hardware features (train it with --accelerators)",
            a.model.display()
        )));
    }
    let (nb, known) = match &a.data {
        Some(data) => {
            let (nb, t) = nb201_table(data, &model.space)?;
            let known = table_accuracy(a, model, &nb, &t)?;
            (nb, known)
        }
        None if a.decode == Some(super::l2o::DecodeArg::Table) => {
            return Err(CliError::Usage("--decode table: give --data, the table with the model's accuracy".into()));
        }
        None => (Nb201::cifar10(), None),
    };
    for accel in accelerators(spec)? {
        let desc = HardwareDescription::of(&accel)?;
        let label = accel.label();
        let target = Counted::new(AcceleratorDevice::cached(&nb, accel));
        let d = model.features_of(&nb, Some(&target), Some(&desc))?;
        let applied = design(a, model, &d, known.as_ref())?;
        let arch = nb.arch_of_choices(&applied.choices)?;
        out.line(json!({
            "accelerator": label,
            "arch": nb.key(&arch),
            "decoding": super::l2o::decoding(a, known.as_ref()),
            "table_accuracy": known.as_ref().and_then(|k| k.get(&applied.choices)),
            "lambda": applied.lambda,
            "energy_lambda": applied.energy_lambda,
            "measurements_used": target.count(),
            "predicted_accuracy": applied.predicted_accuracy,
            "predicted_cycles": applied.predicted_latency,
            "predicted_energy_nj": applied.predicted_energy,
        }));
    }
    Ok(())
}
