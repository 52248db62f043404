//! # edgeopt-accel-sim
//!
//! A MAESTRO-compatible analytical cost model for DNN accelerators: latency in cycles, energy,
//! buffer requirements and the twelve L1/L2 access counts of every layer on an accelerator made
//! of PEs, a NoC and an off-chip link, under a dataflow written as MAESTRO directives.
//!
//! * [`Layer`] — the workload language (MAESTRO's CONV, DSCONV, NGCONV, TRCONV, GEMM, plus FC).
//! * [`HardwareConfig`] → [`Hardware`] — validated once.
//! * [`Dataflow`] — the KC-P, YR-P and X-P templates, or any [`Mapping`] of directives.
//! * [`Accelerator`] — costs a whole network; implemented by [`Accel`] (hardware + dataflow) and
//!   [`MixedAccelerator`] (each part of a network on its own hardware and dataflow);
//!   [`CachedAccel`] remembers analysed layer shapes across evaluations (a search loop on one
//!   accelerator then pays only for pricing: NAS-Bench-201's 15,625 networks have 21 shapes).
//! * [`HardwareSpace`] — the thesis's design grid, enumerable and sampleable, with a
//!   [`ResourceBudget`].
//! * [`evaluate_batch`] — many networks × many accelerators in parallel, in deterministic order.
//! * [`maestro_file`] — readers for MAESTRO's mapping and hardware files; [`layer_csv`] for layer tables.
//!
//! ```
//! use edgeopt_accel_sim::{Accel, Accelerator, Dataflow, HardwareConfig, Layer};
//! let acc = Accel::new(HardwareConfig::new(256, 600, 150).build().unwrap(), Dataflow::KcP);
//! let net = vec![
//!     Layer::conv("conv", 32, 3, 3, 3, 226, 226, 2),
//!     Layer::depthwise("dw", 32, 3, 3, 114, 114, 1),
//! ];
//! let cost = acc.evaluate(&net).unwrap();
//! assert_eq!(cost.layers.len(), 2);
//! assert!(cost.cycles > 0 && cost.energy_nj > 0.0);
//! ```
//!
//! Nothing reachable from this API panics on user input: bad layers, hardware, mappings and files
//! give a [`SimError`] that names the offending value.
#![deny(missing_docs)]

mod accelerator;
mod batch;
mod cached;
mod dataflow;
mod energy;
mod error;
mod hardware;
mod layer;
pub mod layer_csv;
pub mod maestro_file;
mod mixture;
mod model;
mod space;
#[cfg(feature = "testing")]
pub mod testing;

pub use accelerator::{Accel, Accelerator, CompiledNetwork, LayerCost, MixedAccelerator, NetworkCost, NetworkReport};
pub use batch::{CostMatrix, DenseCostMatrix, evaluate_batch};
pub use cached::CachedAccel;
pub use dataflow::{Dataflow, Dim, Directive, Extent, Mapping, depthwise_template};
pub use energy::EnergyModel;
pub use error::{ExternalError, Result, SimError};
pub use hardware::{Hardware, HardwareConfig, MAX_PES};
pub use layer::{Layer, LayerType, MAX_DIM, MAX_MACS};
pub use mixture::{MAX_MIXTURE_GROUPS, cost_mixtures, sample_mixtures, thesis_partition};
pub use model::{AccessCounts, CompiledLayer, LayerReport, TensorAccesses, evaluate_layer};
pub use rand;
pub use space::{AreaModel, HardwareSpace, ResourceBudget};
