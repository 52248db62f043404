//! The two orders in which a level's cases are visited: MAESTRO's odometer, and the merged
//! order of the cycles-only analysis, which visits cases that cannot differ once.

use super::analysis::{Analyzer, Work};
use super::cases::{Pos, SatAdd, St};
use super::plan::MAXD;

impl<'p> Work<'p> {
    /// Every case after the first, in MAESTRO's order: an odometer over the active directives'
    /// states (the others have one), innermost directive fastest.
    pub(super) fn odometer_cases(&mut self, an: &mut Analyzer<'p>, st: &mut [St; MAXD]) {
        let nact = self.tabs.fold.nact;
        let active: [usize; MAXD] = std::array::from_fn(|k| self.tabs.fold.active_at(k));
        let mut odo = [0usize; MAXD];
        while advance(&mut odo[..nact], |k| self.tabs.cnt[active[k]]) {
            let mut occ = 1i64;
            for (k, &i) in active[..nact].iter().enumerate() {
                let s = self.tabs.sts[i][odo[k]];
                st[i] = s;
                occ = occ.saturating_mul(s.occ);
            }
            // The changing directive: the innermost active one away from Init (state 0).
            let chg = (0..nact).rev().find(|&k| odo[k] != 0);
            self.case(an, st, &odo, occ, chg);
        }
    }

    /// Every case after the first, with the cases that cannot differ analysed once.
    ///
    /// A case is fixed by its changing directive `c` (the innermost one away from Init), that
    /// directive's state, and the states of the directives before it (those after it are at
    /// Init). Before `c`, a directive at Init and the same directive at Steady contribute the
    /// same factor to every volume, the same sub-level table and the same spatial summary (a
    /// directive with more than one state is never at an edge at Init). So each such directive
    /// takes two values, Init-or-Steady (occurrences summed) and Edge, instead of three.
    ///
    /// Only for levels whose factors are all non-negative: then every sum and product here is
    /// a saturating operation on non-negative numbers, which gives the same result in any order
    /// and grouping. The order of cases changes, so utilisation (a floating-point sum) is not
    /// computed in this mode.
    pub(super) fn merged_cases(&mut self, an: &mut Analyzer<'p>, st: &mut [St; MAXD]) {
        let nact = self.tabs.fold.nact;
        let active: [usize; MAXD] = std::array::from_fn(|k| self.tabs.fold.active_at(k));
        // Per directive: (state index, occurrences) of its one or two values before `c`.
        let mut values = [[(0usize, 0i64); 2]; MAXD];
        let mut nvalues = [1usize; MAXD];
        for (k, &i) in active[..nact].iter().enumerate() {
            let (s, n) = (&self.tabs.sts[i], self.tabs.cnt[i]);
            let mut occ = s[0].occ;
            let mut next = 1;
            if next < n && s[next].pos == Pos::Steady {
                occ = occ.sat_add(s[next].occ);
                next += 1;
            }
            values[k][0] = (0, occ);
            if next < n {
                values[k][1] = (next, s[next].occ);
                nvalues[k] = 2;
            }
        }
        let mut idx = [0usize; MAXD];
        for c in 0..nact {
            for s in 1..self.tabs.cnt[active[c]] {
                // (Each state is read from the table rather than from `st` right after it
                // is written there: such a read waits on the store.)
                idx[c] = s;
                let changing = self.tabs.sts[active[c]][s];
                st[active[c]] = changing;
                let mut tail = changing.occ;
                for k in c + 1..nact {
                    idx[k] = 0;
                    let init = self.tabs.sts[active[k]][0];
                    st[active[k]] = init;
                    tail = tail.saturating_mul(init.occ);
                }
                let mut pick = [0usize; MAXD];
                loop {
                    let mut occ = tail;
                    for k in 0..c {
                        let (si, o) = values[k][pick[k]];
                        idx[k] = si;
                        st[active[k]] = self.tabs.sts[active[k]][si];
                        occ = occ.saturating_mul(o);
                    }
                    self.case(an, st, &idx, occ, Some(c));
                    if !advance(&mut pick[..c], |k| nvalues[k]) {
                        break;
                    }
                }
            }
        }
    }
}

/// Step an odometer (last digit fastest; digit `k` runs below `radix(k)`); false once it has
/// wrapped back to all zeros.
fn advance(digits: &mut [usize], radix: impl Fn(usize) -> usize) -> bool {
    for k in (0..digits.len()).rev() {
        digits[k] += 1;
        if digits[k] < radix(k) {
            return true;
        }
        digits[k] = 0;
    }
    false
}
