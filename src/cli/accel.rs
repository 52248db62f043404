//! `edgeopt accel ...`

use std::collections::hash_map::Entry;
use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use edgeopt::accel_sim::{
    Accel, Dataflow, EnergyModel, HardwareConfig, HardwareSpace, Layer, Mapping, layer_csv, maestro_file,
};
use edgeopt::onnx::InputShapes;

use super::{CliError, CliResult, Out};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum EnergyArg {
    /// MAESTRO's formula on the layer's own counts.
    Maestro,
    /// MAESTRO's formula plus MAC, NoC and DRAM terms.
    Extended,
    /// `extended` plus static (leakage) energy per PE per cycle: slow accelerators cost energy.
    Leakage,
}

impl EnergyArg {
    fn model(self) -> EnergyModel {
        match self {
            EnergyArg::Maestro => EnergyModel::maestro(),
            EnergyArg::Extended => EnergyModel::extended(),
            EnergyArg::Leakage => EnergyModel::with_leakage(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum AccelCommand {
    /// Cost a layer table on one accelerator: one CSV row per layer, then a TOTAL row.
    Eval(EvalArgs),
    /// Cost a layer table on every accelerator of a hardware grid: one CSV row per accelerator.
    Grid {
        /// Layer table (`name,type,k,c,r,s,y,x,stride[,groups][,batch]`).
        #[arg(long)]
        layers: PathBuf,
        /// `thesis` (1296 points) or `calibration` (162 points).
        #[arg(long, default_value = "thesis")]
        space: String,
        /// Energy model.
        #[arg(long, value_enum, default_value = "maestro")]
        energy: EnergyArg,
        /// Cost only block I of N of the grid (for array jobs; join the parts with `edgeopt merge`).
        #[arg(long, value_parser = super::shard::parse_shard)]
        shard: Option<super::shard::ShardSpec>,
        /// Write the table to this file (atomically) instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
pub struct EvalArgs {
    /// Layer table (`name,type,k,c,r,s,y,x,stride[,groups][,batch]`) or a MAESTRO model file
    /// (`.m`). Optional when `--dataflow` is a MAESTRO mapping file with its own layers.
    #[arg(long, conflicts_with = "onnx")]
    layers: Option<PathBuf>,
    /// An ONNX model instead of a layer table (its unmodelled operators are summarised on stderr).
    #[arg(long)]
    onnx: Option<PathBuf>,
    /// Shape of a dynamic ONNX input: `1,3,224,224` (first input) or `name=1,3,224,224`; repeatable.
    #[arg(long, requires = "onnx")]
    input_shape: Vec<String>,
    /// `kc-p`, `yr-p`, `x-p`, or a MAESTRO mapping file (`.m`).
    #[arg(long)]
    dataflow: String,
    /// Processing elements.
    #[arg(long)]
    pes: u64,
    /// NoC bandwidth (elements/cycle).
    #[arg(long)]
    noc_bw: u64,
    /// Off-chip bandwidth (elements/cycle).
    #[arg(long)]
    offchip_bw: u64,
    /// L1 bytes per PE.
    #[arg(long, default_value_t = 1024)]
    l1_bytes: u64,
    /// L2 bytes.
    #[arg(long, default_value_t = 1 << 20)]
    l2_bytes: u64,
    /// Energy model.
    #[arg(long, value_enum, default_value = "maestro")]
    energy: EnergyArg,
}

pub fn run(cmd: AccelCommand, out: &mut Out) -> CliResult<()> {
    match cmd {
        AccelCommand::Eval(a) => eval(a, out),
        AccelCommand::Grid { layers, space, energy, shard, out: file } => {
            let mut table = Out::default();
            grid(&layers, &space, energy, shard, &mut table)?;
            match file {
                Some(path) => super::output::write_atomic(&path, table.as_str().as_bytes(), &[&layers]),
                None => {
                    out.push(table.as_str());
                    Ok(())
                }
            }
        }
    }
}

fn eval(a: EvalArgs, out: &mut Out) -> CliResult<()> {
    let hw = HardwareConfig {
        l1_bytes: a.l1_bytes,
        l2_bytes: a.l2_bytes,
        ..HardwareConfig::new(a.pes, a.noc_bw, a.offchip_bw)
    }
    .build()?;
    let energy = a.energy.model();
    // (layer, accelerator) pairs: a mapping file may carry one dataflow per layer.
    // Layers with their accelerator's index in `accels`.
    let mut accels: Vec<Accel> = Vec::new();
    // Kept as two vectors so a large table's layers are not copied again.
    let mut work: Vec<Layer> = Vec::new();
    let mut accel_of: Vec<usize> = Vec::new();
    let given = given_layers(&a)?;
    if let Some(df) = Dataflow::parse(&a.dataflow) {
        let Some(layers) = given else {
            return Err(CliError::Usage("--layers or --onnx is required with a built-in dataflow".into()));
        };
        accels.push(Accel::new(hw, df).with_energy(energy));
        accel_of = vec![0; layers.len()];
        work = layers;
    } else {
        let path = PathBuf::from(&a.dataflow);
        if !path.exists() {
            return Err(CliError::Usage(format!(
                "--dataflow `{}` is neither kc-p, yr-p, x-p nor an existing mapping file",
                a.dataflow
            )));
        }
        let text = layer_csv::read_text(&path)?;
        let net = maestro_file::parse_mapping(&text, &a.dataflow)?;
        // A layer's own dataflow, else the file's bare `Dataflow` block, else the first layer's.
        let dataflow_of = |own: Option<&Mapping>, layer_name: &str| -> CliResult<Dataflow> {
            own.or(net.dataflow.as_ref())
                .or_else(|| net.layers.iter().find_map(|m| m.dataflow.as_ref()))
                .map(|m| Dataflow::Custom(m.clone()))
                .ok_or_else(|| CliError::Usage(format!("{}: no dataflow for layer `{layer_name}`", a.dataflow)))
        };
        // The file's own layers keep their own blocks (by position); layers given with --layers or
        // --onnx find theirs by name, which must then say which block it means.
        let layers: Vec<(Layer, Dataflow)> = match given {
            None => net.layers.iter().map(|m| Ok((m.layer.clone(), dataflow_of(m.dataflow.as_ref(), &m.layer.name)?))).collect::<CliResult<_>>()?,
            Some(layers) => layers
                .into_iter()
                .map(|l| {
                    let mut named = net.layers.iter().filter(|m| m.layer.name == l.name);
                    let own = named.next().and_then(|m| m.dataflow.as_ref());
                    if named.any(|m| m.dataflow.as_ref() != own) {
                        return Err(CliError::Usage(format!(
                            "{}: several layers named `{}` with different dataflows; rename them apart to map layer `{}` of the network",
                            a.dataflow, l.name, l.name
                        )));
                    }
                    let df = dataflow_of(own, &l.name)?;
                    Ok((l, df))
                })
                .collect::<CliResult<_>>()?,
        };
        if layers.is_empty() {
            return Err(CliError::Usage(format!(
                "{}: the mapping file has no layers; pass --layers or --onnx",
                a.dataflow
            )));
        }
        for (l, df) in layers {
            let acc = Accel::new(hw.clone(), df).with_energy(energy);
            let i = accels.iter().position(|a| *a == acc).unwrap_or_else(|| {
                accels.push(acc);
                accels.len() - 1
            });
            work.push(l);
            accel_of.push(i);
        }
    }
    out.line("name,type,cycles,energy_nj,macs,avg_utilized_pes,l1_elems,l2_elems,noc_traffic,offchip_traffic");
    // Networks repeat layer shapes (and tables repeat networks): each (shape, accelerator) is
    // analysed and its row after the name formatted once; a repeat costs a lookup and a copy.
    // Keys are layer shapes, not attacker-chosen: Fx hashing (SipHash showed in the profile).
    let mut memo: rustc_hash::FxHashMap<([u64; 11], usize), CostedRow> = Default::default();
    let mut total = Totals::default();
    let mut row = String::with_capacity(160);
    // About 80 bytes a row: one allocation for the whole table.
    out.reserve(work.len().saturating_mul(80));
    for (layer, i) in work.iter().zip(&accel_of) {
        let (rest, cycles, energy_nj, macs) = match memo.entry((layer.shape_key(), *i)) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                let c = accels[*i].evaluate_layer(layer)?;
                let mut rest = String::with_capacity(96);
                let _ = writeln!(
                    rest,
                    ",{},{},{},{},{},{},{},{},{}",
                    layer.kind,
                    c.cycles,
                    c.energy_nj,
                    c.macs,
                    c.avg_utilized_pes,
                    c.l1_elems,
                    c.l2_elems,
                    c.accesses.noc_traffic(),
                    c.accesses.offchip_traffic()
                );
                e.insert((rest, c.cycles, c.energy_nj, c.macs))
            }
        };
        row.clear();
        push_csv_field(&mut row, &layer.name);
        row.push_str(rest);
        out.push(&row);
        total.add(*cycles, *energy_nj, *macs);
    }
    let Totals { cycles, energy_nj, macs } = total;
    out.line(format_args!("TOTAL,,{cycles},{energy_nj},{macs},,,,,"));
    Ok(())
}

/// A costed layer: its row after the name, and what the TOTAL row sums.
type CostedRow = (String, u64, f64, u64);

/// Append `field` as one CSV field, quoted (quotes doubled) when it holds a comma, a quote or a
/// line break, as the csv crate writes it.
fn push_csv_field(row: &mut String, field: &str) {
    if field.contains([',', '"', '\n', '\r']) {
        row.push('"');
        row.push_str(&field.replace('"', "\"\""));
        row.push('"');
    } else {
        row.push_str(field);
    }
}

/// Layers from `--layers` or `--onnx` (the import summary goes to stderr), if either is given.
fn given_layers(a: &EvalArgs) -> CliResult<Option<Vec<Layer>>> {
    if let Some(path) = &a.layers {
        return Ok(Some(read_layers(path)?));
    }
    let Some(model) = &a.onnx else { return Ok(None) };
    let net = edgeopt::onnx::load(model, &InputShapes::parse_all(&a.input_shape)?)?;
    eprintln!("{}", net.summary());
    Ok(Some(net.layers))
}

/// A layer table: our CSV, or a MAESTRO model file (`.m`, e.g. its zoo's `vgg16_model.m`).
fn read_layers(path: &std::path::Path) -> CliResult<Vec<Layer>> {
    if path.extension().is_none_or(|e| e != "m") {
        return Ok(layer_csv::read(path)?);
    }
    let name = path.display().to_string();
    let net = maestro_file::parse_mapping(&layer_csv::read_text(path)?, &name)?;
    let layers: Vec<Layer> = net.layers.into_iter().map(|m| m.layer).collect();
    if layers.is_empty() {
        return Err(CliError::Usage(format!("{name}: the file has no layers")));
    }
    for l in &layers {
        l.validate()?;
    }
    Ok(layers)
}

/// The TOTAL row of `accel eval`.
#[derive(Debug, Default, PartialEq)]
struct Totals {
    cycles: u64,
    energy_nj: f64,
    macs: u64,
}

impl Totals {
    /// Saturating like the library's network totals: a wrapped sum would be a small, wrong number.
    fn add(&mut self, cycles: u64, energy_nj: f64, macs: u64) {
        self.cycles = self.cycles.saturating_add(cycles);
        self.energy_nj += energy_nj;
        self.macs = self.macs.saturating_add(macs);
    }
}

fn grid(
    layers: &std::path::Path,
    space_name: &str,
    energy: EnergyArg,
    shard: Option<super::shard::ShardSpec>,
    out: &mut Out,
) -> CliResult<()> {
    let net = read_layers(layers)?;
    let space = match space_name {
        "thesis" => HardwareSpace::thesis(),
        "calibration" => HardwareSpace::calibration(),
        other => {
            return Err(CliError::Usage(format!("unknown --space `{other}` (expected thesis or calibration)")));
        }
    };
    let accs: Vec<Accel> = space.enumerate()?.into_iter().map(|a| a.with_energy(energy.model())).collect();
    let start = std::time::Instant::now();
    let (from, to) = shard.map_or((0, accs.len()), |s| s.range(accs.len()));
    let costs = match shard {
        // The whole grid shares each (dataflow, PE count)'s analysis; a block costs its own points.
        None => space.evaluate(std::slice::from_ref(&net), &energy.model()).swap_remove(0),
        Some(_) => edgeopt::accel_sim::evaluate_batch(std::slice::from_ref(&net), &accs[from..to]).swap_remove(0),
    };
    let elapsed = start.elapsed();
    if let Some(spec) = shard {
        let layer_bytes = std::fs::read(layers).unwrap_or_default();
        let print = super::shard::fingerprint(&[&layer_bytes, format!("{energy:?}").as_bytes()]);
        out.line(super::shard::header(spec, from, to, space_name, accs.len(), &print));
    }
    out.line(super::shard::GRID_COLUMNS);
    let accs = &accs[from..to];
    for (acc, r) in accs.iter().zip(&costs) {
        let c = r.as_ref().map_err(|e| CliError::Sim(e.clone()))?;
        let h = &acc.hardware;
        out.line(format_args!(
            "{},{},{},{},{},{},{}",
            acc.label(),
            acc.dataflow,
            h.num_pes(),
            h.noc_bw(),
            h.offchip_bw(),
            c.cycles,
            c.energy_nj
        ));
    }
    let per_pair = elapsed.as_secs_f64() * 1e6 / accs.len() as f64;
    out.line(format_args!(
        "# {} accelerators in {:.1} ms: {per_pair:.2} us per network-accelerator pair",
        accs.len(),
        elapsed.as_secs_f64() * 1e3
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Totals;

    #[test]
    fn totals_saturate_instead_of_wrapping() {
        // Two layers of 2^63 cycles: a `+=` total wraps to 0 (or panics in a debug build).
        let mut t = Totals::default();
        t.add(1 << 63, 1.0, 1 << 63);
        t.add(1 << 63, 2.0, 5);
        assert_eq!(t, Totals { cycles: u64::MAX, energy_nj: 3.0, macs: (1 << 63) + 5 });
    }
}
