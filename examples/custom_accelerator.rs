//! A user's own accelerator model — a roofline (compute-bound or memory-bound per layer, static
//! power while it runs) written outside the crates — plugged into edgeopt's workflows:
//! measuring NAS-Bench-201 networks through `AcceleratorDevice`, performance monotonicity across
//! a family of such accelerators, and semi-decoupled co-design (alg. 6) against the exhaustive
//! coupled optimum.
//!
//! `cargo run --release --example custom_accelerator`

use edgeopt::accel_sim::{Accelerator, Layer, LayerCost, NetworkCost, Result as SimResult};
use edgeopt::codesign::monotonicity::{mean_srcc, srcc_across};
use edgeopt::codesign::semi_decoupled::Problem;
use edgeopt::codesign::{AcceleratorDevice, ArchTable, Counted, Device};
use edgeopt::nas::{Nb201, SearchSpace};

/// Peak `macs_per_cycle`, `bytes_per_cycle` of off-chip bandwidth, 8-bit data, 1 pJ per MAC,
/// 20 pJ per off-chip byte and `static_pj` per cycle of leakage.
struct Roofline {
    macs_per_cycle: u64,
    bytes_per_cycle: u64,
    static_pj: f64,
}

impl Accelerator for Roofline {
    fn evaluate(&self, layers: &[Layer]) -> SimResult<NetworkCost> {
        let costs = layers
            .iter()
            .map(|l| {
                let bytes = l.input_elems().saturating_add(l.weights()).saturating_add(l.output_elems());
                let cycles = l.macs().div_ceil(self.macs_per_cycle).max(bytes.div_ceil(self.bytes_per_cycle)).max(1);
                let pj = l.macs() as f64 + 20.0 * bytes as f64 + self.static_pj * cycles as f64;
                LayerCost::new(&l.name, cycles, pj / 1e3, l.macs())
            })
            .collect();
        Ok(NetworkCost::from_layers(costs))
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let space = Nb201::cifar10();
    let table = ArchTable::new(&space, edgeopt::zoo::nb201_hwnasbench()?, "arch_str")?;
    let acc_col = table.column("test_acc_cifar10")?;
    // Every 25th architecture: 625 networks.
    let idx: Vec<usize> = (0..table.archs.len()).step_by(25).collect();
    let accuracy: Vec<f64> = idx.iter().map(|&i| acc_col[i].ok_or("missing accuracy")).collect::<Result<_, _>>()?;
    // A hardware family: 4 compute sizes × 4 bandwidths; the resource is the MAC array.
    let hardware: Vec<Roofline> = [64, 256, 1024, 4096]
        .into_iter()
        .flat_map(|m| {
            [4, 16, 64, 256].into_iter().map(move |b| Roofline {
                macs_per_cycle: m,
                bytes_per_cycle: b,
                static_pj: m as f64 / 8.0,
            })
        })
        .collect();
    let admissible: Vec<bool> = hardware.iter().map(|h| h.macs_per_cycle <= 1024).collect();

    // Each accelerator is a measurable device; one of them counts what we spend on it.
    let first = Counted::new(AcceleratorDevice::new(&space, &hardware[0], "roofline-64-4"));
    let mut latency = vec![vec![None; hardware.len()]; idx.len()];
    let mut energy = latency.clone();
    for (h, hw) in hardware.iter().enumerate() {
        let dev = AcceleratorDevice::new(&space, hw, "roofline");
        for (r, &i) in idx.iter().enumerate() {
            let m = if h == 0 { first.measure(&table.archs[i])? } else { dev.measure(&table.archs[i])? };
            (latency[r][h], energy[r][h]) = (Some(m.latency), Some(m.energy));
        }
    }
    assert_eq!(first.count(), idx.len());

    // Monotonicity: how well one roofline's latency ranking stands in for another's.
    let srcc = srcc_across(&latency, 1)?;
    let means = mean_srcc(&srcc);
    let worst = means.iter().copied().fold(f64::INFINITY, f64::min);
    println!("mean latency SRCC to the other rooflines: worst {worst:.3}");

    // Semi-decoupled co-design on proxy 0 vs the coupled optimum, at three constraint pairs.
    let problem = Problem { accuracy: &accuracy, latency: &latency, energy: &energy, admissible: &admissible };
    let pairs = problem.constraint_grid(5, 3, 3)?;
    let set = problem.pareto_set(5, 40)?;
    let mut same = 0;
    for &(l, e) in &pairs {
        let coupled = problem.fully_coupled(l, e)?;
        let semi = problem.semi_decoupled(&set, l, e)?;
        let (c, s) = (coupled.design.map(|d| d.accuracy), semi.design.map(|d| d.accuracy));
        println!(
            "L ≤ {l:.0}, E ≤ {e:.1}: coupled {c:?} ({} pairs), semi-decoupled {s:?} ({} pairs)",
            coupled.evaluations, semi.evaluations
        );
        assert!(c.is_some(), "every grid pair is feasible on the proxy itself");
        same += usize::from(c == s);
    }
    println!("semi-decoupled matched the coupled optimum on {same} of {} constraint pairs", pairs.len());
    assert!(worst > 0.5, "rooflines rank NB201 networks alike");
    assert!(same * 3 >= pairs.len() * 2, "the proxy's Pareto set holds the coupled optimum in most cases");
    let key = space.key(&table.archs[idx[0]]);
    println!("first network: {key}");
    Ok(())
}

#[test]
fn runs() {
    main().unwrap();
}
