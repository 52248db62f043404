//! Lowering a MobileNet-style architecture to layers (stem, inverted-residual blocks, the head)
//! and its one-hot encoding.

use ndarray::Array1;

use super::{Head, MbArch, MobileNetSpace, STAGES};
use crate::space::lowering::{Lowering, Net, make_divisible};
use crate::{Encode, Layer, Lower};

impl MobileNetSpace {
    #[allow(clippy::too_many_arguments)]
    fn block(
        net: &mut Net,
        lw: &Lowering,
        name: &str,
        cin: u64,
        cout: u64,
        k: u64,
        e: u64,
        hw: u64,
        stride: u64,
        se: bool,
    ) -> u64 {
        let mid = cin * e;
        if e != 1 {
            net.conv(format!("{name}_expand"), cin, mid, 1, hw, 1, 1);
        }
        net.conv(format!("{name}_dw"), mid, mid, k, hw, stride, mid);
        let out_hw = hw.div_ceil(stride);
        if se {
            // Squeeze-and-excitation: pool, reduce to a quarter (multiple of 8), expand, scale.
            let squeezed = make_divisible(mid as f64 / 4.0, 8);
            if lw.pooling {
                net.pool(format!("{name}_se_pool"), mid, out_hw, out_hw, 1);
            }
            if lw.squeeze_excite {
                net.fc(format!("{name}_se_reduce"), mid, squeezed);
                net.fc(format!("{name}_se_expand"), squeezed, mid);
            }
            if lw.residual_adds {
                net.elementwise(format!("{name}_se_scale"), mid, out_hw);
            }
        }
        net.conv(format!("{name}_project"), mid, cout, 1, out_hw, 1, 1);
        if lw.residual_adds && stride == 1 && cin == cout {
            net.elementwise(format!("{name}_add"), cout, out_hw);
        }
        out_hw
    }

    /// Kernel of a used slot; malformed architectures (built by hand with short or zero entries)
    /// read the space's first choice instead of panicking — [`SearchSpace::parse_key`] validates.
    fn kernel_at(&self, a: &MbArch, slot: usize) -> u8 {
        a.kernels.get(slot).copied().filter(|&k| k > 0).unwrap_or(self.kernels[0])
    }

    fn expansion_at(&self, a: &MbArch, slot: usize) -> u8 {
        a.expansions.get(slot).copied().filter(|&e| e > 0).unwrap_or(self.expansions[0])
    }

    fn build(&self, a: &MbArch, lw: &Lowering) -> Net {
        let mut net = Net::default();
        net.conv("stem".into(), 3, self.first_conv, 3, a.resolution, 2, 1);
        let mut hw = a.resolution.div_ceil(2);
        hw = MobileNetSpace::block(&mut net, lw, "first", self.first_conv, self.first_block, 3, 1, hw, 1, false);
        let mut cin = self.first_block;
        let md = self.max_depth();
        for s in 0..STAGES {
            for d in 0..a.depths[s] as usize {
                let b = s * md + d;
                let stride = if d == 0 { self.stage_strides[s] } else { 1 };
                let (k, e) = (u64::from(self.kernel_at(a, b)), u64::from(self.expansion_at(a, b)));
                let name = format!("s{s}b{d}");
                hw = MobileNetSpace::block(
                    &mut net,
                    lw,
                    &name,
                    cin,
                    self.stage_widths[s],
                    k,
                    e,
                    hw,
                    stride,
                    self.squeeze_excite[s],
                );
                cin = self.stage_widths[s];
            }
        }
        match self.head {
            Head::Block { width, fixed, final_conv } => {
                let (k, e) =
                    fixed.unwrap_or_else(|| (self.kernel_at(a, STAGES * md), self.expansion_at(a, STAGES * md)));
                hw = MobileNetSpace::block(&mut net, lw, "last", cin, width, k.into(), e.into(), hw, 1, false);
                net.conv("final".into(), width, final_conv, 1, hw, 1, 1);
                if lw.pooling {
                    net.pool("global_pool".into(), final_conv, hw, hw, 1);
                }
                net.fc("classifier".into(), final_conv, self.classes);
            }
            Head::V3 { expand, mix } => {
                net.conv("final_expand".into(), cin, expand, 1, hw, 1, 1);
                if lw.pooling {
                    net.pool("global_pool".into(), expand, hw, hw, 1);
                }
                net.fc("feature_mix".into(), expand, mix);
                net.fc("classifier".into(), mix, self.classes);
            }
        }
        net
    }
}

impl Encode for MobileNetSpace {
    fn encode(&self, a: &MbArch) -> Array1<f64> {
        let (nk, ne) = (self.kernels.len(), self.expansions.len());
        let per_slot = if self.separate_onehots { nk + ne } else { nk * ne };
        let mut v = Array1::zeros(self.encoding_len());
        for b in 0..self.slots() {
            let ki = a.kernels.get(b).and_then(|kb| self.kernels.iter().position(|k| k == kb));
            let ei = a.expansions.get(b).and_then(|eb| self.expansions.iter().position(|e| e == eb));
            if let (Some(ki), Some(ei)) = (ki, ei) {
                if self.separate_onehots {
                    v[b * per_slot + ki] = 1.0;
                    v[b * per_slot + nk + ei] = 1.0;
                } else {
                    v[b * per_slot + ki * ne + ei] = 1.0;
                }
            }
        }
        let mut off = self.slots() * per_slot;
        if self.resolutions.len() > 1 {
            if let Some(ri) = self.resolutions.iter().position(|&r| r == a.resolution) {
                v[off + ri] = 1.0;
            }
            off += self.resolutions.len();
        }
        v[off] = 1.0;
        v
    }

    fn encoding_len(&self) -> usize {
        let (nk, ne) = (self.kernels.len(), self.expansions.len());
        let per_slot = if self.separate_onehots { nk + ne } else { nk * ne };
        let res = if self.resolutions.len() > 1 { self.resolutions.len() } else { 0 };
        self.slots() * per_slot + res + 1
    }
}

impl Lower for MobileNetSpace {
    fn layers_with(&self, arch: &MbArch, lowering: &Lowering) -> Vec<Layer> {
        self.build(arch, lowering).layers
    }

    fn layers(&self, arch: &MbArch) -> Vec<Layer> {
        self.build(arch, &self.lowering).layers
    }

    /// Convolutions, fully connected layers and squeeze-and-excitation layers.
    fn macs(&self, arch: &MbArch) -> u64 {
        self.build(arch, &Lowering::counted()).macs
    }

    fn params(&self, arch: &MbArch) -> u64 {
        self.build(arch, &Lowering::counted()).params
    }
}
