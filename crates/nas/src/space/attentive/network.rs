//! Lowering an AttentiveNAS architecture to layers, and its one-hot encoding.

use ndarray::Array1;

use super::{AttentiveArch, AttentiveNas};
use crate::space::lowering::{Lowering, Net, make_divisible};
use crate::{Encode, Layer, Lower};

impl AttentiveNas {
    fn build(&self, a: &AttentiveArch, lw: &Lowering) -> Net {
        let mut net = Net::default();
        let res = AttentiveNas::or_first(Some(&a.resolution), &self.resolutions);
        let stem = AttentiveNas::or_first(Some(&a.stem), &self.stem_widths);
        net.conv("stem".into(), 3, stem, 3, res, 2, 1);
        let mut hw = res.div_ceil(2);
        let mut cin = stem;
        let off = self.offsets();
        for (s, spec) in self.stages.iter().enumerate() {
            let cout = AttentiveNas::or_first(a.widths.get(s), &spec.widths);
            let depth = AttentiveNas::or_first(a.depths.get(s), &spec.depths);
            for d in 0..depth as usize {
                let k = u64::from(AttentiveNas::or_first(a.kernels.get(off[s] + d), &spec.kernels));
                let e = u64::from(AttentiveNas::or_first(a.expansions.get(off[s] + d), &spec.expansions));
                let stride = if d == 0 { spec.stride } else { 1 };
                let name = format!("s{s}b{d}");
                let mid = cin * e;
                if e != 1 {
                    net.conv(format!("{name}_expand"), cin, mid, 1, hw, 1, 1);
                }
                net.conv(format!("{name}_dw"), mid, mid, k, hw, stride, mid);
                let out_hw = hw.div_ceil(stride);
                if spec.se {
                    if lw.pooling {
                        net.pool(format!("{name}_se_pool"), mid, out_hw, out_hw, 1);
                    }
                    if lw.squeeze_excite {
                        let squeezed = make_divisible(mid as f64 / 4.0, 8);
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
                hw = out_hw;
                cin = cout;
            }
        }
        let expand = cin * 6;
        net.conv("head_expand".into(), cin, expand, 1, hw, 1, 1);
        if lw.pooling {
            net.pool("global_pool".into(), expand, hw, hw, 1);
        }
        let head = AttentiveNas::or_first(Some(&a.head), &self.head_widths);
        net.fc("feature_mix".into(), expand, head);
        net.fc("classifier".into(), head, self.classes);
        net
    }
}

fn onehot<T: PartialEq>(v: &mut Array1<f64>, off: &mut usize, choices: &[T], x: Option<&T>) {
    if let Some(i) = x.and_then(|x| choices.iter().position(|c| c == x)) {
        v[*off + i] = 1.0;
    }
    *off += choices.len();
}

impl Encode for AttentiveNas {
    fn encode(&self, a: &AttentiveArch) -> Array1<f64> {
        let mut v = Array1::zeros(self.encoding_len());
        let mut off = 0;
        onehot(&mut v, &mut off, &self.stem_widths, Some(&a.stem));
        let slot_off = self.offsets();
        for (s, spec) in self.stages.iter().enumerate() {
            onehot(&mut v, &mut off, &spec.widths, a.widths.get(s));
            onehot(&mut v, &mut off, &spec.depths, a.depths.get(s));
            for d in 0..AttentiveNas::max_depth(spec) {
                onehot(&mut v, &mut off, &spec.kernels, a.kernels.get(slot_off[s] + d));
                onehot(&mut v, &mut off, &spec.expansions, a.expansions.get(slot_off[s] + d));
            }
        }
        onehot(&mut v, &mut off, &self.head_widths, Some(&a.head));
        onehot(&mut v, &mut off, &self.resolutions, Some(&a.resolution));
        v[off] = 1.0;
        v
    }

    fn encoding_len(&self) -> usize {
        let stages: usize = self
            .stages
            .iter()
            .map(|s| {
                s.widths.len() + s.depths.len() + AttentiveNas::max_depth(s) * (s.kernels.len() + s.expansions.len())
            })
            .sum();
        self.stem_widths.len() + stages + self.head_widths.len() + self.resolutions.len() + 1
    }
}

impl Lower for AttentiveNas {
    fn layers_with(&self, a: &AttentiveArch, lowering: &Lowering) -> Vec<Layer> {
        self.build(a, lowering).layers
    }

    fn layers(&self, a: &AttentiveArch) -> Vec<Layer> {
        self.build(a, &self.lowering).layers
    }

    fn macs(&self, a: &AttentiveArch) -> u64 {
        self.build(a, &Lowering::counted()).macs
    }

    fn params(&self, a: &AttentiveArch) -> u64 {
        self.build(a, &Lowering::counted()).params
    }
}
