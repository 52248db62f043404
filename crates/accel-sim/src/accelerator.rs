//! The [`Accelerator`] trait and its two implementations.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::collections::hash_map::Entry;

use crate::dataflow::Dataflow;
use crate::energy::EnergyModel;
use crate::error::{Result, SimError};
use crate::hardware::Hardware;
use crate::layer::{Layer, LayerType};
use crate::model::{CompiledLayer, LayerReport};

/// Accelerator-neutral cost of one layer: what every [`Accelerator`] reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LayerCost {
    /// Layer name.
    pub name: String,
    /// Latency, cycles.
    pub cycles: u64,
    /// Energy, nJ.
    pub energy_nj: f64,
    /// Multiply-accumulates.
    pub macs: u64,
}

impl LayerCost {
    /// A layer's cost (for a user's own accelerator).
    pub fn new(name: &str, cycles: u64, energy_nj: f64, macs: u64) -> LayerCost {
        LayerCost { name: name.to_string(), cycles, energy_nj, macs }
    }
}

impl From<&LayerReport> for LayerCost {
    fn from(r: &LayerReport) -> LayerCost {
        LayerCost { name: r.name.clone(), cycles: r.cycles, energy_nj: r.energy_nj, macs: r.macs }
    }
}

/// Cost of a whole network (layers run one after another): what every [`Accelerator`] returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NetworkCost {
    /// Sum of the layers' cycles (saturating).
    pub cycles: u64,
    /// Sum of the layers' energies, nJ.
    pub energy_nj: f64,
    /// Sum of the layers' MACs (saturating).
    pub macs: u64,
    /// Per-layer costs, in network order.
    pub layers: Vec<LayerCost>,
}

impl NetworkCost {
    /// Totals of `layers` (cycles and MACs saturate instead of wrapping).
    pub fn from_layers(layers: Vec<LayerCost>) -> NetworkCost {
        NetworkCost {
            cycles: layers.iter().fold(0u64, |a, l| a.saturating_add(l.cycles)),
            energy_nj: layers.iter().map(|l| l.energy_nj).sum(),
            macs: layers.iter().fold(0u64, |a, l| a.saturating_add(l.macs)),
            layers,
        }
    }
}

/// A network's cost with MAESTRO's per-layer detail ([`LayerReport`]), from the cost model's own
/// accelerators ([`Accel::report`], [`CachedAccel::report`](crate::CachedAccel::report)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkReport {
    /// Sum of the layers' cycles (saturating).
    pub cycles: u64,
    /// Sum of the layers' energies, nJ.
    pub energy_nj: f64,
    /// Sum of the layers' MACs (saturating).
    pub macs: u64,
    /// Per-layer detail, in network order.
    pub layers: Vec<LayerReport>,
}

impl NetworkReport {
    pub(crate) fn from_layers(layers: Vec<LayerReport>) -> NetworkReport {
        NetworkReport {
            cycles: layers.iter().fold(0u64, |a, l| a.saturating_add(l.cycles)),
            energy_nj: layers.iter().map(|l| l.energy_nj).sum(),
            macs: layers.iter().fold(0u64, |a, l| a.saturating_add(l.macs)),
            layers,
        }
    }

    /// The accelerator-neutral summary.
    pub fn summary(&self) -> NetworkCost {
        NetworkCost {
            cycles: self.cycles,
            energy_nj: self.energy_nj,
            macs: self.macs,
            layers: self.layers.iter().map(LayerCost::from).collect(),
        }
    }
}

/// Something that can run a network and report its latency and energy: the cost model's own
/// accelerators, or a user's (a roofline model, a measured chip).
///
/// ```
/// use edgeopt_accel_sim::{Accelerator, Layer, LayerCost, NetworkCost, Result};
/// /// One MAC per cycle per PE, 1 pJ per MAC.
/// struct Ideal { pes: u64 }
/// impl Accelerator for Ideal {
///     fn evaluate(&self, layers: &[Layer]) -> Result<NetworkCost> {
///         Ok(NetworkCost::from_layers(layers.iter().map(|l| {
///             LayerCost::new(&l.name, l.macs().div_ceil(self.pes), l.macs() as f64 * 1e-3, l.macs())
///         }).collect()))
///     }
/// }
/// let cost = Ideal { pes: 64 }.evaluate(&[Layer::conv("c", 64, 64, 3, 3, 10, 10, 1)]).unwrap();
/// assert_eq!(cost.cycles, 64 * 64 * 9 * 64 / 64);
/// ```
pub trait Accelerator {
    /// Cost every layer of `layers`, in order.
    fn evaluate(&self, layers: &[Layer]) -> Result<NetworkCost>;

    /// Total cycles of the network (the fast path for searches that only need latency).
    fn cycles(&self, layers: &[Layer]) -> Result<u64> {
        Ok(self.evaluate(layers)?.cycles)
    }
}

macro_rules! forward_accelerator {
    ($($ptr:ty),*) => {$(
        impl<A: Accelerator + ?Sized> Accelerator for $ptr {
            fn evaluate(&self, layers: &[Layer]) -> Result<NetworkCost> {
                (**self).evaluate(layers)
            }
            fn cycles(&self, layers: &[Layer]) -> Result<u64> {
                (**self).cycles(layers)
            }
        }
    )*};
}

forward_accelerator!(&A, Box<A>, std::sync::Arc<A>);

/// One hardware configuration running one dataflow.
///
/// ```
/// use edgeopt_accel_sim::{Accel, Accelerator, Dataflow, HardwareConfig, Layer};
/// let acc = Accel::new(HardwareConfig::new(64, 300, 50).build().unwrap(), Dataflow::XP);
/// let cost = acc.evaluate(&[Layer::conv("c", 64, 64, 3, 3, 56, 56, 1)]).unwrap();
/// assert_eq!(cost.cycles, 1_990_658); // MAESTRO's figure
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Accel {
    /// Hardware.
    pub hardware: Hardware,
    /// Dataflow applied to every layer (depthwise layers get the depthwise template).
    pub dataflow: Dataflow,
    /// How access counts become energy.
    pub energy: EnergyModel,
}

impl Accel {
    /// An accelerator with MAESTRO's energy model.
    pub fn new(hardware: Hardware, dataflow: Dataflow) -> Accel {
        Accel { hardware, dataflow, energy: EnergyModel::maestro() }
    }

    /// Replace the energy model.
    pub fn with_energy(mut self, energy: EnergyModel) -> Accel {
        self.energy = energy;
        self
    }

    /// Cost one layer with MAESTRO's detail.
    pub fn evaluate_layer(&self, layer: &Layer) -> Result<LayerReport> {
        self.compile_layer(layer)?.cost(&self.hardware, &self.energy)
    }

    fn compile_layer(&self, layer: &Layer) -> Result<CompiledLayer> {
        let mapping = self.dataflow.mapping_for(self.hardware.num_pes(), layer.kind == LayerType::DsConv);
        CompiledLayer::new(layer, &mapping, self.hardware.num_pes())
    }

    /// A short label such as `kc-p/256pe/noc600/off150`.
    pub fn label(&self) -> String {
        format!(
            "{}/{}pe/noc{}/off{}",
            self.dataflow.name(),
            self.hardware.num_pes(),
            self.hardware.noc_bw(),
            self.hardware.offchip_bw()
        )
    }

    /// Analyse a network once for this accelerator's dataflow and PE count; the result prices
    /// any NoC / off-chip bandwidth (see [`CompiledNetwork`]). Layers of identical shape are
    /// analysed once.
    pub fn compile(&self, layers: &[Layer]) -> Result<CompiledNetwork> {
        let pes = self.hardware.num_pes();
        let dense = self.dataflow.mapping_for(pes, false);
        let depthwise = self.dataflow.mapping_for(pes, true);
        // Shape keys are not attacker-controlled: Fx hashing, not SipHash (which showed in profiles).
        let mut seen: FxHashMap<[u64; 11], usize> =
            FxHashMap::with_capacity_and_hasher(layers.len(), Default::default());
        let mut out: Vec<CompiledLayer> = Vec::with_capacity(layers.len());
        for layer in layers {
            let shape = layer.shape_key();
            let compiled = match seen.get(&shape) {
                Some(&i) => out[i].renamed(&layer.name),
                None => {
                    let mapping = if layer.kind == LayerType::DsConv { &depthwise } else { &dense };
                    let c = CompiledLayer::new(layer, mapping, pes)?;
                    seen.insert(shape, out.len());
                    c
                }
            };
            out.push(compiled);
        }
        Ok(CompiledNetwork { layers: out })
    }
}

impl Accel {
    /// Cost every layer with MAESTRO's detail (buffer needs, access counts, utilisation).
    pub fn report(&self, layers: &[Layer]) -> Result<NetworkReport> {
        self.compile(layers)?.report(&self.hardware, &self.energy)
    }
}

impl Accelerator for Accel {
    fn evaluate(&self, layers: &[Layer]) -> Result<NetworkCost> {
        self.compile(layers)?.cost(&self.hardware, &self.energy)
    }

    fn cycles(&self, layers: &[Layer]) -> Result<u64> {
        // Only the total is wanted: each distinct shape is analysed once, by the cycles-only
        // analysis (cases that cannot differ merged and priced as they go, the lowered mapping
        // and the inner-level analyses shared between layers), and no per-layer result (names,
        // access counts) is kept. Same totals and errors as `evaluate` (proptests in
        // tests/properties.rs).
        let pes = self.hardware.num_pes();
        let dense = self.dataflow.mapping_for(pes, false);
        let depthwise = self.dataflow.mapping_for(pes, true);
        let mut seen: FxHashMap<[u64; 11], u64> = FxHashMap::with_capacity_and_hasher(layers.len(), Default::default());
        let mut work = crate::model::CyclesWork::default();
        let mut total = 0u64;
        for layer in layers {
            let cycles = match seen.entry(layer.shape_key()) {
                Entry::Occupied(e) => *e.get(),
                Entry::Vacant(e) => {
                    let mapping = if layer.kind == LayerType::DsConv { &depthwise } else { &dense };
                    *e.insert(work.layer_cycles(layer, mapping, &self.hardware)?)
                }
            };
            total = total.saturating_add(cycles);
        }
        Ok(total)
    }
}

/// A network analysed for one dataflow and PE count. Pricing it at a bandwidth point costs a few
/// nanoseconds per layer, so bandwidth sweeps compile once.
///
/// ```
/// use edgeopt_accel_sim::{Accel, Accelerator, Dataflow, EnergyModel, HardwareConfig, Layer};
/// let net = [Layer::conv("c", 64, 64, 3, 3, 56, 56, 1)];
/// let acc = Accel::new(HardwareConfig::new(64, 300, 50).build().unwrap(), Dataflow::YrP);
/// let compiled = acc.compile(&net).unwrap();
/// let faster = HardwareConfig::new(64, 900, 350).build().unwrap();
/// let a = compiled.cost(&acc.hardware, &EnergyModel::maestro()).unwrap();
/// let b = compiled.cost(&faster, &EnergyModel::maestro()).unwrap();
/// assert_eq!(a.cycles, acc.evaluate(&net).unwrap().cycles);
/// assert!(b.cycles <= a.cycles);
/// ```
#[derive(Debug, Clone)]
pub struct CompiledNetwork {
    layers: Vec<CompiledLayer>,
}

impl CompiledNetwork {
    /// The compiled layers.
    pub fn layers(&self) -> &[CompiledLayer] {
        &self.layers
    }

    /// Cost on `hw`, whose PE count must be the compiled one.
    pub fn cost(&self, hw: &Hardware, energy: &EnergyModel) -> Result<NetworkCost> {
        let mut scratch = Vec::new();
        let layers = self
            .layers
            .iter()
            .map(|l| l.cost_with(hw, energy, &mut scratch).map(|r| LayerCost::from(&r)))
            .collect::<Result<_>>()?;
        Ok(NetworkCost::from_layers(layers))
    }

    /// Cost on `hw` with MAESTRO's per-layer detail.
    pub fn report(&self, hw: &Hardware, energy: &EnergyModel) -> Result<NetworkReport> {
        let mut scratch = Vec::new();
        let layers = self.layers.iter().map(|l| l.cost_with(hw, energy, &mut scratch)).collect::<Result<_>>()?;
        Ok(NetworkReport::from_layers(layers))
    }

    /// Total cycles on `hw`.
    pub fn cycles(&self, hw: &Hardware) -> Result<u64> {
        let mut scratch = Vec::new();
        self.layers.iter().try_fold(0u64, |acc, l| Ok(acc.saturating_add(l.cycles_with(hw, &mut scratch)?)))
    }
}

/// A network split into consecutive parts, each on its own accelerator (thesis sec. 4.5.3,
/// layer-wise mixed dataflows: each part on its own hardware and dataflow). Parts run one after
/// another. The parts are the cost model's [`Accel`]s by default, or any [`Accelerator`]:
///
/// ```
/// use edgeopt_accel_sim::{Accel, Accelerator, Dataflow, HardwareConfig, Layer, LayerCost, MixedAccelerator, NetworkCost, Result};
/// let hw = HardwareConfig::new(64, 300, 50).build().unwrap();
/// let mixed = MixedAccelerator::new(vec![
///     (1, Accel::new(hw.clone(), Dataflow::KcP)),
///     (1, Accel::new(hw, Dataflow::XP)),
/// ]).unwrap();
/// let net = [Layer::conv("a", 16, 16, 3, 3, 18, 18, 1), Layer::conv("b", 16, 16, 1, 1, 16, 16, 1)];
/// assert_eq!(mixed.evaluate(&net).unwrap().layers.len(), 2);
///
/// // A user's own chip for the first layer, the cost model for the second.
/// struct Ideal;
/// impl Accelerator for Ideal {
///     fn evaluate(&self, layers: &[Layer]) -> Result<NetworkCost> {
///         Ok(NetworkCost::from_layers(layers.iter().map(|l| LayerCost::new(&l.name, l.macs(), 0.0, l.macs())).collect()))
///     }
/// }
/// let x_p = Accel::new(HardwareConfig::new(64, 300, 50).build().unwrap(), Dataflow::XP);
/// let parts: Vec<(usize, Box<dyn Accelerator>)> = vec![(1, Box::new(Ideal)), (1, Box::new(x_p.clone()))];
/// let own = MixedAccelerator::new(parts).unwrap();
/// assert_eq!(own.cycles(&net).unwrap(), net[0].macs() + x_p.cycles(&net[1..]).unwrap());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MixedAccelerator<A = Accel> {
    parts: Vec<(usize, A)>,
}

impl<A> MixedAccelerator<A> {
    /// Parts as (number of consecutive layers, accelerator). Every count must be at least 1.
    pub fn new(parts: Vec<(usize, A)>) -> Result<MixedAccelerator<A>> {
        if parts.is_empty() || parts.iter().any(|(n, _)| *n == 0) {
            return Err(SimError::AssignmentMismatch { assigned: assigned(&parts), layers: 0 });
        }
        Ok(MixedAccelerator { parts })
    }

    /// One accelerator per layer.
    pub fn per_layer(accels: Vec<A>) -> Result<MixedAccelerator<A>> {
        MixedAccelerator::new(accels.into_iter().map(|a| (1, a)).collect())
    }

    /// Layers covered by the assignment (`usize::MAX` if the counts add up past it).
    pub fn layers_assigned(&self) -> usize {
        assigned(&self.parts)
    }

    /// The error for `layers` if the parts do not cover exactly that many layers.
    fn check_assignment(&self, layers: &[Layer]) -> Result<()> {
        let assigned = self.layers_assigned();
        if assigned != layers.len() {
            return Err(SimError::AssignmentMismatch { assigned, layers: layers.len() });
        }
        Ok(())
    }

    /// The parts.
    pub fn parts(&self) -> &[(usize, A)] {
        &self.parts
    }
}

impl<A: Accelerator> Accelerator for MixedAccelerator<A> {
    fn evaluate(&self, layers: &[Layer]) -> Result<NetworkCost> {
        self.check_assignment(layers)?;
        let mut costs = Vec::with_capacity(layers.len());
        let mut start = 0;
        for (n, acc) in &self.parts {
            costs.extend(acc.evaluate(&layers[start..start + n])?.layers);
            start += n;
        }
        Ok(NetworkCost::from_layers(costs))
    }

    fn cycles(&self, layers: &[Layer]) -> Result<u64> {
        // Each part through its accelerator's cycles-only path, so a part's repeated shapes are
        // analysed once. Parts run in order and each reports its first failing layer, so the
        // error is `evaluate`'s (tests/mixture.rs).
        self.check_assignment(layers)?;
        let mut start = 0;
        let mut total = 0u64;
        for (n, acc) in &self.parts {
            total = total.saturating_add(acc.cycles(&layers[start..start + n])?);
            start += n;
        }
        Ok(total)
    }
}

/// The layers `parts` cover, saturating: a user's counts may add up past `usize::MAX`.
fn assigned<A>(parts: &[(usize, A)]) -> usize {
    parts.iter().fold(0usize, |a, p| a.saturating_add(p.0))
}
