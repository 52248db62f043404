//! # edgeopt
//!
//! Reusable libraries for designing DNNs for thousands of diverse edge devices and accelerators,
//! after Lu, *Ultra-Efficient Edge Machine Learning* (2022). This facade re-exports the workspace
//! crates under short names:
//!
//! * [`accel_sim`] — a MAESTRO-compatible analytical cost model for DNN accelerators.
//! * [`predictors`] — latency/accuracy predictors, rank metrics, AdaProxy.
//! * [`nas`] — search spaces lowered to accelerator layers, evolutionary and exhaustive search.
//! * [`codesign`] — one-proxy NAS, bisection on `t`, semi-decoupled co-design.
//! * [`bandit`] — Aquaman: NeuralUCB model selection with delayed feedback.
//! * `onnx` (feature `onnx`) — ONNX models (shapes only) lowered to accelerator layers, unmodelled ops accounted.
//!
//! As a library, depend on it with `default-features = false`: the default `cli` feature builds
//! the `edgeopt` binary (clap, plotters) and `data` embeds the NB201 measurement table.
//!
//! ```
//! use edgeopt::accel_sim::{Accel, Accelerator, Dataflow, HardwareConfig, Layer};
//! let acc = Accel::new(HardwareConfig::new(64, 300, 50).build().unwrap(), Dataflow::KcP);
//! let cost = acc.evaluate(&[Layer::conv("c", 64, 64, 3, 3, 56, 56, 1)]).unwrap();
//! assert_eq!(cost.cycles, 4_292_352);
//! ```
#![deny(missing_docs)]

pub use edgeopt_accel_sim as accel_sim;
pub use edgeopt_bandit as bandit;
pub use edgeopt_codesign as codesign;
pub use edgeopt_nas as nas;
#[cfg(feature = "onnx")]
pub use edgeopt_onnx as onnx;
pub use edgeopt_predictors as predictors;

/// Networks embedded in the repository (layer tables from MAESTRO's model zoo; see `data/PROVENANCE.md`).
pub mod zoo {
    use crate::accel_sim::{Layer, Result, layer_csv};

    /// MobileNetV2 as in MAESTRO's model zoo: 56 layers, residual adds written as 1×1 depthwise layers.
    pub fn mobilenet_v2() -> Result<Vec<Layer>> {
        layer_csv::parse(include_str!("../data/networks/mobilenetv2.csv"), "data/networks/mobilenetv2.csv")
    }

    /// VGG16's 13 convolution layers as in MAESTRO's model zoo (unpadded inputs).
    pub fn vgg16() -> Result<Vec<Layer>> {
        layer_csv::parse(include_str!("../data/networks/vgg16.csv"), "data/networks/vgg16.csv")
    }

    /// NAS-Bench-201 × HW-NAS-Bench (CIFAR-10): 15,625 architectures with measured latencies,
    /// energies and accuracies (see `data/PROVENANCE.md`). Needs the `data` feature (on by default
    /// through `cli`).
    #[cfg(feature = "data")]
    pub fn nb201_hwnasbench() -> crate::predictors::Result<crate::predictors::data::DeviceTable> {
        crate::predictors::data::DeviceTable::parse_gz(
            include_bytes!("../data/nb201_hwnasbench_cifar10.csv.gz"),
            "data/nb201_hwnasbench_cifar10.csv.gz",
        )
    }
}
