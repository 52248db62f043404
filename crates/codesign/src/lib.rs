//! # edgeopt-codesign
//!
//! The dissertation's workflows, built on the other crates:
//!
//! * [`Device`] — something measurable (a table column, any accelerator, a closure, a user's own
//!   type); [`Counted`] counts the measurements a workflow spends.
//! * [`one_proxy`](one_proxy::one_proxy) — hardware-aware NAS with one proxy device (alg. 5).
//! * [`Bisection`] — meet a latency constraint on a new device by bisection on `t` (alg. 1).
//! * [`semi_decoupled`] — two-stage architecture/accelerator co-design (alg. 6) with its
//!   fully-coupled and fully-decoupled baselines.
//! * [`TwoStage`] — alg. 6 measuring only what it needs: every candidate on one proxy device,
//!   then only the proxy's Pareto set on every admissible device.
//! * [`adapt`] — the proxy's linear predictor and AdaProxy adaptation to a target.
//! * [`l2o`] — learning to optimize (sec. 1.5, alg. 2): device-conditioned performance
//!   networks, an optimizer network trained by Method 1 or 2, applied to a new device from a few
//!   reference measurements.
//! * [`pool`] — adaptation and one-proxy NAS from a pool of proxies ([`ProxyPool`]), with
//!   measurements chosen by a [`Selection`] strategy.
#![deny(missing_docs)]

pub mod adapt;
mod bisection;
mod device;
mod error;
pub mod l2o;
pub mod monotonicity;
pub mod one_proxy;
pub mod pool;
mod select;
pub mod semi_decoupled;
mod table;
mod two_stage;

pub use bisection::{Bisection, Bisection2, Bisection2Result, BisectionResult, weighted_argmin};
pub use device::{AcceleratorDevice, Counted, Device, FnDevice, Measurement, TableDevice};
pub use error::{BoxError, CodesignError, Result};
pub use pool::ProxyPool;
pub use select::{DISAGREEMENT_SUBSAMPLE, Selection};
pub use table::ArchTable;
pub use two_stage::{HardwareStage, ProxyStage, TwoStage};
