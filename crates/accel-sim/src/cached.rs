//! An accelerator that remembers every layer shape it has analysed.
//!
//! A search evaluates thousands of architectures on the same accelerator, and they share a few
//! hundred layer shapes (a NAS-Bench-201 cell has 6 edges of 5 operations; an OFA block a few
//! kernel × expansion choices). The bandwidth-independent analysis is ~99 % of the cost of a cold
//! evaluation, so after a warm-up a search pays only for pricing.

use std::sync::{Arc, Mutex, PoisonError};

use rustc_hash::FxHashMap;

use crate::accelerator::{Accel, Accelerator, LayerCost, NetworkCost, NetworkReport};
use crate::error::Result;
use crate::layer::{Layer, LayerType};
use crate::model::CompiledLayer;

/// An [`Accel`] with a memo of analysed layer shapes, shared by every evaluation (and thread)
/// that uses it. Results are identical to the plain [`Accel`]'s.
///
/// ```
/// use edgeopt_accel_sim::{Accel, Accelerator, CachedAccel, Dataflow, HardwareConfig, Layer};
/// let acc = Accel::new(HardwareConfig::new(64, 300, 50).build().unwrap(), Dataflow::XP);
/// let cached = CachedAccel::new(acc.clone());
/// let net = [Layer::conv("a", 64, 64, 3, 3, 56, 56, 1), Layer::conv("b", 64, 64, 3, 3, 56, 56, 1)];
/// assert_eq!(cached.evaluate(&net).unwrap(), acc.evaluate(&net).unwrap());
/// assert_eq!(cached.cached_shapes(), 1);
/// ```
#[derive(Debug)]
pub struct CachedAccel {
    accel: Accel,
    memo: Mutex<FxHashMap<[u64; 11], Arc<CompiledLayer>>>,
}

impl CachedAccel {
    /// Wrap `accel` with an empty memo.
    pub fn new(accel: Accel) -> CachedAccel {
        CachedAccel { accel, memo: Mutex::new(FxHashMap::default()) }
    }

    /// The accelerator.
    pub fn accel(&self) -> &Accel {
        &self.accel
    }

    /// Distinct layer shapes analysed so far.
    pub fn cached_shapes(&self) -> usize {
        self.memo.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Forget every analysed shape.
    pub fn clear(&self) {
        self.memo.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }

    fn compiled(&self, layer: &Layer) -> Result<Arc<CompiledLayer>> {
        let key = layer.shape_key();
        if let Some(c) = self.memo.lock().unwrap_or_else(PoisonError::into_inner).get(&key) {
            return Ok(Arc::clone(c));
        }
        // Analyse outside the lock (another thread may do the same shape meanwhile: same result).
        let pes = self.accel.hardware.num_pes();
        let mapping = self.accel.dataflow.mapping_for(pes, layer.kind == LayerType::DsConv);
        let c = Arc::new(CompiledLayer::new(layer, &mapping, pes)?);
        self.memo.lock().unwrap_or_else(PoisonError::into_inner).insert(key, Arc::clone(&c));
        Ok(c)
    }
}

impl CachedAccel {
    /// Cost every layer with MAESTRO's detail (as [`Accel::report`]).
    pub fn report(&self, layers: &[Layer]) -> Result<NetworkReport> {
        let mut scratch = Vec::new();
        let costs = layers
            .iter()
            .map(|l| {
                let mut cost = self.compiled(l)?.cost_with(&self.accel.hardware, &self.accel.energy, &mut scratch)?;
                cost.name.clone_from(&l.name);
                Ok(cost)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(NetworkReport::from_layers(costs))
    }
}

impl Accelerator for CachedAccel {
    fn evaluate(&self, layers: &[Layer]) -> Result<NetworkCost> {
        let mut scratch = Vec::new();
        let costs = layers
            .iter()
            .map(|l| {
                let r = self.compiled(l)?.cost_with(&self.accel.hardware, &self.accel.energy, &mut scratch)?;
                Ok(LayerCost { name: l.name.clone(), cycles: r.cycles, energy_nj: r.energy_nj, macs: r.macs })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(NetworkCost::from_layers(costs))
    }

    fn cycles(&self, layers: &[Layer]) -> Result<u64> {
        let mut scratch = Vec::new();
        layers.iter().try_fold(0u64, |acc, l| {
            Ok(acc.saturating_add(self.compiled(l)?.cycles_with(&self.accel.hardware, &mut scratch)?))
        })
    }
}
