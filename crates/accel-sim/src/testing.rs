//! Tools for implementors (feature `testing`): proptest strategies for layers and dataflows, and
//! [`check_accelerator`], the conformance check every [`Accelerator`] should pass — the cost
//! model's own accelerators pass it in this crate's tests; run it on yours.

use proptest::prelude::*;

use crate::accelerator::Accelerator;
use crate::dataflow::Dataflow;
use crate::layer::{Layer, LayerType};

/// Every layer type.
pub fn layer_type() -> impl Strategy<Value = LayerType> {
    prop_oneof![
        Just(LayerType::Conv),
        Just(LayerType::DsConv),
        Just(LayerType::NgConv),
        Just(LayerType::TrConv),
        Just(LayerType::Gemm),
        Just(LayerType::Fc),
    ]
}

/// Small valid layers of every type (filters fit their inputs; FC is 1×1; GEMM has R = S = X = 1).
pub fn layer() -> impl Strategy<Value = Layer> {
    (layer_type(), 1u64..48, 1u64..48, 1u64..6, 1u64..6, 0u64..30, 0u64..30, 1u64..4, 1u64..5).prop_map(
        |(kind, k, c, r, s, dy, dx, stride, g)| {
            let mut l = Layer::conv("l", k, c, r, s, r + dy, s + dx, stride);
            l.kind = kind;
            match kind {
                LayerType::NgConv => l.groups = g,
                LayerType::Fc => (l.r, l.s, l.y, l.x) = (1, 1, 1, 1),
                LayerType::Gemm => (l.r, l.s, l.x, l.stride_y, l.stride_x) = (1, 1, 1, 1, 1),
                _ => {}
            }
            l
        },
    )
}

/// Networks of 1 to `max_layers` small valid layers.
pub fn network(max_layers: usize) -> impl Strategy<Value = Vec<Layer>> {
    proptest::collection::vec(layer(), 1..=max_layers.max(1))
}

/// The built-in dataflows.
pub fn dataflow() -> impl Strategy<Value = Dataflow> {
    prop_oneof![Just(Dataflow::KcP), Just(Dataflow::YrP), Just(Dataflow::XP)]
}

/// What every [`Accelerator`] must do on `layers`: either a typed error, or one cost per layer in
/// order (same names) whose totals are the (saturating) sums, finite non-negative energy, the same
/// answer twice, and `cycles()` equal to `evaluate().cycles`. Returns what was violated.
///
/// ```
/// use edgeopt_accel_sim::{Accel, Dataflow, HardwareConfig, Layer, testing::check_accelerator};
/// let acc = Accel::new(HardwareConfig::new(64, 300, 50).build().unwrap(), Dataflow::KcP);
/// check_accelerator(&acc, &[Layer::conv("c", 16, 16, 3, 3, 18, 18, 1)]).unwrap();
/// ```
pub fn check_accelerator<A: Accelerator + ?Sized>(acc: &A, layers: &[Layer]) -> Result<(), String> {
    let first = acc.evaluate(layers);
    let second = acc.evaluate(layers);
    let cost = match (first, second) {
        (Err(a), Err(b)) => return if a == b { Ok(()) } else { Err(format!("two different errors: {a} / {b}")) },
        (Ok(a), Ok(b)) if a != b => return Err("two evaluations of the same network differ".into()),
        (Ok(a), Ok(_)) => a,
        _ => return Err("one evaluation failed and the other did not".into()),
    };
    if cost.layers.len() != layers.len() {
        return Err(format!("{} layer costs for {} layers", cost.layers.len(), layers.len()));
    }
    if let Some((l, c)) = layers.iter().zip(&cost.layers).find(|(l, c)| l.name != c.name) {
        return Err(format!("layer `{}` reported as `{}`", l.name, c.name));
    }
    let cycles = cost.layers.iter().fold(0u64, |s, l| s.saturating_add(l.cycles));
    let macs = cost.layers.iter().fold(0u64, |s, l| s.saturating_add(l.macs));
    if cycles != cost.cycles || macs != cost.macs {
        return Err(format!("totals {}/{} are not the layer sums {cycles}/{macs}", cost.cycles, cost.macs));
    }
    if let Some(l) = cost.layers.iter().find(|l| !(l.energy_nj.is_finite() && l.energy_nj >= 0.0)) {
        return Err(format!("layer `{}` has energy {}", l.name, l.energy_nj));
    }
    match acc.cycles(layers) {
        Ok(c) if c == cost.cycles => Ok(()),
        Ok(c) => Err(format!("cycles() = {c} but evaluate().cycles = {}", cost.cycles)),
        Err(e) => Err(format!("cycles() failed where evaluate() did not: {e}")),
    }
}
