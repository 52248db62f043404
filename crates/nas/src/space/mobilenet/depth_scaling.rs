//! The heuristic depth-scaling baseline (thesis ch. 3, baseline #2): an architecture made
//! deeper or shallower by whole blocks.

use super::{MbArch, MobileNetSpace, STAGES};

impl MobileNetSpace {
    /// The heuristic depth-scaling baseline (thesis ch. 3, baseline #2): `arch` with its total
    /// depth changed by `delta` blocks (|delta| ≤ 2 in the thesis). Blocks are added to the
    /// shallowest stages first (copying the kernel and expansion of the stage's last block) and
    /// removed from the deepest stages first; `None` when the depth choices do not allow it.
    pub fn depth_scaled(&self, arch: &MbArch, delta: i32) -> Option<MbArch> {
        if !arch.depths.iter().all(|d| self.depths.contains(d)) {
            return None;
        }
        let mut a = self.canonical(arch.clone());
        let md = self.max_depth();
        for _ in 0..delta.unsigned_abs() {
            let next_up = |d: u8| self.depths.iter().copied().filter(|&c| c > d).min();
            let next_down = |d: u8| self.depths.iter().copied().filter(|&c| c < d).max();
            if delta > 0 {
                let s = (0..STAGES).filter(|&s| next_up(a.depths[s]).is_some()).min_by_key(|&s| (a.depths[s], s))?;
                let last = s * md + a.depths[s] as usize - 1;
                let new_depth = next_up(a.depths[s])?;
                for slot in last + 1..s * md + new_depth as usize {
                    a.kernels[slot] = a.kernels[last];
                    a.expansions[slot] = a.expansions[last];
                }
                a.depths[s] = new_depth;
            } else {
                let s = (0..STAGES).filter(|&s| next_down(a.depths[s]).is_some()).max_by_key(|&s| (a.depths[s], s))?;
                a.depths[s] = next_down(a.depths[s])?;
            }
        }
        Some(self.canonical(a))
    }

    /// The depth-scaled family of `arch`: total depth −2 … +2 steps (those the space allows).
    pub fn depth_scaling_family(&self, arch: &MbArch) -> Vec<MbArch> {
        (-2..=2).filter_map(|d| self.depth_scaled(arch, d)).collect()
    }
}
