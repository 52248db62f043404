//! `edgeopt accel ...`

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use edgeopt::accel_sim::{Accel, Dataflow, EnergyModel, HardwareConfig, HardwareSpace, Layer, layer_csv, maestro_file};
use edgeopt::onnx::InputShapes;

use super::{CliError, CliResult, io_err};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum EnergyArg {
    /// MAESTRO's formula on the layer's own counts.
    Maestro,
    /// MAESTRO's formula plus MAC, NoC and DRAM terms.
    Extended,
}

impl EnergyArg {
    fn model(self) -> EnergyModel {
        match self {
            EnergyArg::Maestro => EnergyModel::maestro(),
            EnergyArg::Extended => EnergyModel::extended(),
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
    },
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Layer table (`name,type,k,c,r,s,y,x,stride[,groups][,batch]`). Optional when `--dataflow` is a
    /// MAESTRO mapping file with its own layers.
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

pub fn run(cmd: AccelCommand) -> CliResult<()> {
    match cmd {
        AccelCommand::Eval(a) => eval(a),
        AccelCommand::Grid { layers, space, energy } => grid(&layers, &space, energy),
    }
}

fn eval(a: EvalArgs) -> CliResult<()> {
    let hw = HardwareConfig {
        l1_bytes: a.l1_bytes,
        l2_bytes: a.l2_bytes,
        ..HardwareConfig::new(a.pes, a.noc_bw, a.offchip_bw)
    }
    .build()?;
    let energy = a.energy.model();
    // (layer, accelerator) pairs: a mapping file may carry one dataflow per layer.
    let mut work: Vec<(Layer, Accel)> = Vec::new();
    let given = given_layers(&a)?;
    if let Some(df) = Dataflow::parse(&a.dataflow) {
        let Some(layers) = given else {
            return Err(CliError::Usage("--layers or --onnx is required with a built-in dataflow".into()));
        };
        let acc = Accel::new(hw, df).with_energy(energy);
        work.extend(layers.into_iter().map(|l| (l, acc.clone())));
    } else {
        let path = PathBuf::from(&a.dataflow);
        if !path.exists() {
            return Err(CliError::Usage(format!(
                "--dataflow `{}` is neither kc-p, yr-p, x-p nor an existing mapping file",
                a.dataflow
            )));
        }
        let text = std::fs::read_to_string(&path).map_err(io_err(&path))?;
        let net = maestro_file::parse_mapping(&text, &a.dataflow)?;
        let custom = |layer_name: &str| -> CliResult<Dataflow> {
            net.layers
                .iter()
                .find(|m| m.layer.name == layer_name)
                .and_then(|m| m.dataflow.clone())
                .or_else(|| net.dataflow.clone())
                .or_else(|| net.layers.iter().find_map(|m| m.dataflow.clone()))
                .map(Dataflow::Custom)
                .ok_or_else(|| CliError::Usage(format!("{}: no dataflow for layer `{layer_name}`", a.dataflow)))
        };
        let layers: Vec<Layer> = match given {
            Some(layers) => layers,
            None => net.layers.iter().map(|m| m.layer.clone()).collect(),
        };
        if layers.is_empty() {
            return Err(CliError::Usage(format!(
                "{}: the mapping file has no layers; pass --layers or --onnx",
                a.dataflow
            )));
        }
        for l in layers {
            let df = custom(&l.name)?;
            work.push((l, Accel::new(hw.clone(), df).with_energy(energy)));
        }
    }
    let mut out = std::io::stdout().lock();
    let w = |e: std::io::Error| CliError::Io { path: "<stdout>".into(), source: e };
    writeln!(out, "name,type,cycles,energy_nj,macs,avg_utilized_pes,l1_elems,l2_elems,noc_traffic,offchip_traffic")
        .map_err(w)?;
    let (mut cycles, mut energy_nj, mut macs) = (0u64, 0f64, 0u64);
    for (layer, acc) in &work {
        let c = acc.evaluate_layer(layer)?;
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{}",
            c.name,
            layer.kind,
            c.cycles,
            c.energy_nj,
            c.macs,
            c.avg_utilized_pes,
            c.l1_elems,
            c.l2_elems,
            c.accesses.noc_traffic(),
            c.accesses.offchip_traffic()
        )
        .map_err(w)?;
        cycles += c.cycles;
        energy_nj += c.energy_nj;
        macs += c.macs;
    }
    writeln!(out, "TOTAL,,{cycles},{energy_nj},{macs},,,,,").map_err(w)?;
    Ok(())
}

/// Layers from `--layers` or `--onnx` (the import summary goes to stderr), if either is given.
fn given_layers(a: &EvalArgs) -> CliResult<Option<Vec<Layer>>> {
    if let Some(path) = &a.layers {
        return Ok(Some(layer_csv::read(path)?));
    }
    let Some(model) = &a.onnx else { return Ok(None) };
    let net = edgeopt::onnx::load(model, &InputShapes::parse_all(&a.input_shape)?)?;
    eprintln!("{}", net.summary());
    Ok(Some(net.layers))
}

fn grid(layers: &std::path::Path, space: &str, energy: EnergyArg) -> CliResult<()> {
    let net = layer_csv::read(layers)?;
    let space = match space {
        "thesis" => HardwareSpace::thesis(),
        "calibration" => HardwareSpace::calibration(),
        other => {
            return Err(CliError::Usage(format!("unknown --space `{other}` (expected thesis or calibration)")));
        }
    };
    let accs: Vec<Accel> = space.enumerate()?.into_iter().map(|a| a.with_energy(energy.model())).collect();
    let start = std::time::Instant::now();
    let table = space.evaluate(std::slice::from_ref(&net), &energy.model());
    let elapsed = start.elapsed();
    let mut out = std::io::stdout().lock();
    let w = |e: std::io::Error| CliError::Io { path: "<stdout>".into(), source: e };
    writeln!(out, "accelerator,dataflow,pes,noc_bw,offchip_bw,cycles,energy_nj").map_err(w)?;
    for (acc, r) in accs.iter().zip(&table[0]) {
        let c = r.as_ref().map_err(|e| CliError::Sim(e.clone()))?;
        let h = &acc.hardware;
        writeln!(
            out,
            "{},{},{},{},{},{},{}",
            acc.label(),
            acc.dataflow,
            h.num_pes(),
            h.noc_bw(),
            h.offchip_bw(),
            c.cycles,
            c.energy_nj
        )
        .map_err(w)?;
    }
    let per_pair = elapsed.as_secs_f64() * 1e6 / accs.len() as f64;
    writeln!(
        out,
        "# {} accelerators in {:.1} ms: {per_pair:.2} us per network-accelerator pair",
        accs.len(),
        elapsed.as_secs_f64() * 1e3
    )
    .map_err(w)?;
    Ok(())
}
