//! Options and helpers for lowering networks to accelerator layers.

use edgeopt_accel_sim::Layer;
use serde::{Deserialize, Serialize};

/// Which non-convolution operators a lowering emits. MAESTRO-style studies keep only
/// convolutions and fully connected layers; the default keeps everything, written as MAESTRO's
/// model zoo does: pooling as a depthwise layer with the pooling window, residual additions and
/// other element-wise operations as 1×1 depthwise layers.
///
/// ```
/// use edgeopt_nas::{Lower, Lowering, Nb201, SearchSpace};
/// let space = Nb201::cifar10();
/// let arch = space.largest().unwrap();
/// let all = space.layers(&arch);
/// let convs = space.layers_with(&arch, &Lowering::convolutions_only());
/// assert!(convs.len() < all.len());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Lowering {
    /// Emit pooling layers.
    pub pooling: bool,
    /// Emit residual additions and node sums.
    pub residual_adds: bool,
    /// Emit squeeze-and-excitation layers.
    pub squeeze_excite: bool,
}

impl Default for Lowering {
    fn default() -> Self {
        Lowering { pooling: true, residual_adds: true, squeeze_excite: true }
    }
}

impl Lowering {
    /// Convolutions and fully connected layers only.
    pub fn convolutions_only() -> Lowering {
        Lowering { pooling: false, residual_adds: false, squeeze_excite: false }
    }

    /// What MAC and parameter counts include, as the papers count them: convolutions, fully
    /// connected and squeeze-and-excitation layers, no pooling or residual additions.
    pub fn counted() -> Lowering {
        Lowering { squeeze_excite: true, ..Lowering::convolutions_only() }
    }
}

/// Accumulates layers and their MAC / parameter counts.
#[derive(Debug, Default)]
pub(crate) struct Net {
    pub layers: Vec<Layer>,
    pub macs: u64,
    pub params: u64,
}

impl Net {
    /// A "same"-padded convolution. Parameters count the weights only: batch norm folds into the
    /// convolution at inference (this is the count behind MobileNetV2's published 3.47 M).
    #[allow(clippy::too_many_arguments)]
    pub fn conv(&mut self, name: String, cin: u64, cout: u64, k: u64, hw: u64, stride: u64, groups: u64) {
        let layer = if groups == 1 {
            Layer::conv_same(&name, cout, cin, k, k, hw, hw, stride)
        } else if groups == cin && groups == cout {
            Layer::depthwise_same(&name, cin, k, k, hw, hw, stride)
        } else {
            let mut l = Layer::conv_same(&name, cout / groups, cin / groups, k, k, hw, hw, stride);
            l.kind = edgeopt_accel_sim::LayerType::NgConv;
            l.groups = groups;
            l
        };
        self.macs += layer.macs();
        self.params += cout * (cin / groups) * k * k;
        self.layers.push(layer);
    }

    /// A fully connected layer with bias.
    pub fn fc(&mut self, name: String, cin: u64, cout: u64) {
        let layer = Layer::fc(&name, cout, cin);
        self.macs += layer.macs();
        self.params += cin * cout + cout;
        self.layers.push(layer);
    }

    /// An element-wise operation over `c × hw × hw`, written as a 1×1 depthwise layer.
    pub fn elementwise(&mut self, name: String, c: u64, hw: u64) {
        self.layers.push(Layer::depthwise(&name, c, 1, 1, hw, hw, 1));
    }

    /// A `k×k` pooling with stride, written as a depthwise layer ("same" padding when stride is 1).
    pub fn pool(&mut self, name: String, c: u64, k: u64, hw: u64, stride: u64) {
        let layer = if stride == 1 {
            Layer::depthwise_same(&name, c, k, k, hw, hw, 1)
        } else {
            Layer::depthwise(&name, c, k, k, hw, hw, stride)
        };
        self.layers.push(layer);
    }
}

/// `v` rounded to the nearest multiple of `divisor`, never below 90 % of `v` (the usual
/// `make_divisible` of MobileNet code bases).
pub fn make_divisible(v: f64, divisor: u64) -> u64 {
    let d = divisor as f64;
    let mut new = ((v + d / 2.0) / d).floor().max(1.0) * d;
    if new < 0.9 * v {
        new += d;
    }
    new as u64
}
