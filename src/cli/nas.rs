//! `edgeopt nas describe|sample`.

use clap::Subcommand;
use edgeopt::nas::rand::SeedableRng;
use edgeopt::nas::rand::rngs::ChaCha8Rng;
use edgeopt::nas::{AttentiveNas, Darts, FbNet, Lower, MobileNetSpace, Nb201, SearchSpace};
use serde_json::json;

use super::{CliError, CliResult, Out};

#[derive(Debug, Subcommand)]
pub enum NasCommand {
    /// Print an architecture as JSON: key, MACs, parameters and its accelerator layers.
    Describe {
        /// `nb201`, `mbv2` (OFA/ProxylessNAS widths ×1.3), `mbv2-1.0` (MobileNetV2's widths), `mbv3`
        /// (OFA MobileNetV3), `alphanet` (the thesis's fixed-width variant), `attentivenas` (the full
        /// AttentiveNAS/AlphaNet space), `fbnet`, `fbnet-cifar`, `darts` (DARTS / NAS-Bench-301 genotypes).
        #[arg(long)]
        space: String,
        /// An architecture key, `min` or `max`.
        #[arg(long)]
        arch: String,
    },
    /// Print random architecture keys, one per line.
    #[command(allow_negative_numbers = true)]
    Sample {
        /// Search space.
        #[arg(long)]
        space: String,
        /// How many (1 to 100,000,000).
        #[arg(short = 'n', long, default_value_t = 10, value_parser = super::args::count::<1, { super::args::MAX_COUNT }>)]
        n: usize,
        /// Seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
}

fn describe<S: Lower>(space: &S, arch: &str, out: &mut Out) -> CliResult<()> {
    let a = match arch {
        "min" => {
            space.smallest().ok_or_else(|| CliError::Usage(format!("space {} has no smallest member", space.name())))?
        }
        "max" => {
            space.largest().ok_or_else(|| CliError::Usage(format!("space {} has no largest member", space.name())))?
        }
        key => space.parse_key(key)?,
    };
    let layers: Vec<_> = space
        .layers(&a)
        .iter()
        .map(|l| json!({"name": l.name, "type": l.kind.to_string(), "k": l.k, "c": l.c, "r": l.r, "s": l.s, "y": l.y, "x": l.x, "stride": l.stride_y, "groups": l.groups, "macs": l.macs()}))
        .collect();
    out.line(
        json!({"space": space.name(), "key": space.key(&a), "macs": space.macs(&a), "params": space.params(&a), "layers": layers}),
    );
    Ok(())
}

fn sample<S: SearchSpace>(space: &S, n: usize, seed: u64, out: &mut Out) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // Nothing can fail once sampling starts, and 10⁸ DARTS keys (~700 bytes each) would not fit
    // in memory: keys go to stdout in blocks of a few MB rather than all at the end.
    let mut stdout = std::io::stdout().lock();
    for _ in 0..n {
        out.line(space.key(&space.sample(&mut rng)));
        if !out.send_to(&mut stdout, 1 << 22) {
            return;
        }
    }
}

pub fn run(cmd: NasCommand, out: &mut Out) -> CliResult<()> {
    let unknown = |s: &str| {
        CliError::Usage(format!(
            "--space `{s}`: available spaces are nb201, mbv2, mbv2-1.0, mbv3, alphanet, attentivenas, fbnet, fbnet-cifar, darts"
        ))
    };
    match cmd {
        NasCommand::Describe { space, arch } => match space.as_str() {
            "nb201" => describe(&Nb201::cifar10(), &arch, out),
            "mbv2" => describe(&MobileNetSpace::ofa_proxyless(), &arch, out),
            "mbv2-1.0" => describe(&MobileNetSpace::mobilenet_v2(), &arch, out),
            "mbv3" => describe(&MobileNetSpace::ofa_mobilenet_v3(), &arch, out),
            "alphanet" => describe(&MobileNetSpace::alphanet(), &arch, out),
            "darts" => describe(&Darts::cifar10(), &arch, out),
            "attentivenas" => describe(&AttentiveNas::alphanet(), &arch, out),
            "fbnet" => describe(&FbNet::imagenet(), &arch, out),
            "fbnet-cifar" => describe(&FbNet::cifar100(), &arch, out),
            other => Err(unknown(other)),
        },
        NasCommand::Sample { space, n, seed } => {
            match space.as_str() {
                "nb201" => sample(&Nb201::cifar10(), n, seed, out),
                "mbv2" => sample(&MobileNetSpace::ofa_proxyless(), n, seed, out),
                "mbv2-1.0" => sample(&MobileNetSpace::mobilenet_v2(), n, seed, out),
                "mbv3" => sample(&MobileNetSpace::ofa_mobilenet_v3(), n, seed, out),
                "alphanet" => sample(&MobileNetSpace::alphanet(), n, seed, out),
                "darts" => sample(&Darts::cifar10(), n, seed, out),
                "attentivenas" => sample(&AttentiveNas::alphanet(), n, seed, out),
                "fbnet" => sample(&FbNet::imagenet(), n, seed, out),
                "fbnet-cifar" => sample(&FbNet::cifar100(), n, seed, out),
                other => return Err(unknown(other)),
            }
            Ok(())
        }
    }
}
