//! Learning to optimize (thesis sec. 1.5, alg. 2, eqs. 1.8–1.10): one network that designs the
//! architecture for a device it has never seen.
//!
//! * [`DeviceFeatures`] — what a new device costs: its latency on `k` reference architectures
//!   chosen at training time, as a log-shape (normalised by the log-mean, so a fast and a slow
//!   device with the same relative costs look alike) and a log-scale.
//! * Stage 1 ([`train_performance`], alg. 2 lines 4–12) — an accuracy network `Acc(x)` and
//!   device-conditioned `Latency(x; d)` and `Energy(x; d)` networks (each a small ensemble), trained on real
//!   devices with an exploration loop that adds the designs the ensemble disagrees on most
//!   ([`Exploration::Disagreement`]) or random ones ([`Exploration::Random`]).
//! * [`Synthetic`] devices — geometric mixtures of two measured devices with per-choice
//!   perturbations, widening the device distribution of both stages at no measurement cost.
//! * Stage 2 ([`OptimizerNet::train`]) — the optimizer network `x̂_Θ(d, λ)` (per-choice logits,
//!   projected by argmax to a valid design) trained by Method 1 (eq. 1.9: labels `x*(d, λ)`
//!   from an exhaustive search of the *predicted* objective) or Method 2 (eq. 1.10: minimise the
//!   predicted objective through the frozen performance networks with a softmax relaxation).
//! * [`L2oModel`] — everything `apply` needs, serde with validation on load; with the training
//!   devices' optima per λ ([`TrainingOptima`]) scored by table accuracy when a table is at hand.
//! * The accelerator setting — devices described by their hardware ([`HardwareDescription`],
//!   normalised by [`HardwareNormaliser`]), alone (no measurement on a new accelerator) or with
//!   reference latencies; training accelerators from a grid ([`grid_sample_excluding`]) and
//!   synthetic ones from the box it spans ([`sample_accelerators`]).
//! * Approach 1 for comparison — one proxy chosen by its reference costs ([`choose_proxy`]) and
//!   a short list of its best designs measured on the target ([`proxy_shortlist`]).
//!
//! The objective is eq. 1.8: `f(x; d, λ, λ₂) = −accuracy(x) + λ·latency(x; d) + λ₂·energy(x; d)`,
//! accuracy in the table's unit and latency and energy in the device's units; the energy term
//! needs training devices with energy (`Energy(x; d)` is trained only then).

mod accel;
mod choices;
mod explore;
mod features;
mod hardware;
mod model;
mod optima;
mod optimizer;
mod performance;
mod proxy;
mod synthetic;

pub use accel::{ChoicesDevice, grid_sample_excluding, sample_accelerators};
pub use choices::{Categorical, ChoiceSpace};
pub use explore::{Exploration, Stage1, Stage1Config, train_performance};
pub use features::{DeviceFeatures, choose_references};
pub use hardware::{HARDWARE_FEATURES, HardwareDescription, HardwareNormaliser};
pub use model::{Applied, DECODE_POSITIONS, KnownAccuracy, L2oModel, MODEL_VERSION};
pub use optima::TrainingOptima;
pub use optimizer::{Method, OptimizerConfig, OptimizerNet, lambda_grid};
pub use performance::{Ensemble, PerformanceNets};
pub use proxy::{ProxyChoice, choose_proxy, proxy_shortlist};
pub use synthetic::Synthetic;

use crate::error::{CodesignError, Result};

/// The objective's weights λ (latency) and λ₂ (energy): finite and ≥ 0, or an error naming which.
pub(crate) fn check_lambdas(lambda: f64, energy_lambda: f64) -> Result<()> {
    for (name, l) in [("lambda", lambda), ("energy lambda", energy_lambda)] {
        if !(l.is_finite() && l >= 0.0) {
            return Err(CodesignError::InvalidParam {
                name,
                value: l.to_string(),
                reason: "must be finite and ≥ 0".into(),
            });
        }
    }
    Ok(())
}
