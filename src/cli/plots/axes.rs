//! Axis and point helpers for the plots: readable tick values and labels, thinning of dense
//! clouds, outlier-robust ranges and legend placement.

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::prelude::*;

use super::{Series, range};

/// A tick label: plain below 10,000 (0.95, 250, 1500), engineering notation with an SI prefix
/// above (25k, 2.5M, 1G) and for tiny values (20µ).
pub fn si(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let trim = |t: String| if t.contains('.') { t.trim_end_matches('0').trim_end_matches('.').to_string() } else { t };
    if (1e-3..1e4).contains(&v.abs()) {
        let decimals = (3 - v.abs().log10().floor() as i32).clamp(0, 4) as usize;
        return trim(format!("{v:.decimals$}"));
    }
    const PREFIXES: [(f64, &str); 8] =
        [(1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1e-3, "m"), (1e-6, "µ"), (1e-9, "n")];
    let (scale, prefix) = PREFIXES.iter().copied().find(|(s, _)| v.abs() >= *s * 0.9995).unwrap_or((1e-9, "n"));
    let x = v / scale;
    let text = if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    };
    format!("{}{prefix}", trim(text))
}

/// Tick values for a log axis over `[lo, hi]`: 1-2-5 steps (or only powers of ten over many
/// decades, or 1..9 within one decade), 3 to 10 of them, as log10 positions.
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let (a, b) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let within = |mantissas: &[f64]| -> Vec<f64> {
        (a..=b)
            .flat_map(|k| mantissas.iter().map(move |m| m * 10f64.powi(k)))
            .filter(|v| *v >= lo && *v <= hi)
            .map(f64::log10)
            .collect()
    };
    for mantissas in [&[1.0, 2.0, 5.0][..], &[1.0][..], &[1.0, 3.0][..]] {
        let t = within(mantissas);
        if (3..=10).contains(&t.len()) {
            return t;
        }
    }
    let fine = within(&[1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
    if fine.len() >= 3 {
        // Keep at most 8, evenly.
        let step = fine.len().div_ceil(8);
        return fine.into_iter().step_by(step).collect();
    }
    let (l, h) = (lo.log10(), hi.log10());
    (0..5).map(|i| l + (h - l) * i as f64 / 4.0).collect()
}

/// A linear axis over `lo..hi` whose ticks are exactly `ticks` (for log axes drawn as log10 values
/// on a linear axis, so the ticks can be 1-2-5 values instead of plotters' own choice).
#[derive(Clone)]
pub struct Ticked {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;
    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let f = (v - self.lo) / (self.hi - self.lo).max(f64::MIN_POSITIVE);
        limit.0 + (f * f64::from(limit.1 - limit.0)).round() as i32
    }
    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        let step = self.ticks.len().div_ceil(hint.max_num_points().max(1)).max(1);
        self.ticks.iter().copied().step_by(step).collect()
    }
    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// The log10 axis of `[lo, hi]` with readable ticks.
pub fn log_axis(lo: f64, hi: f64) -> Ticked {
    Ticked { lo: lo.log10(), hi: hi.log10(), ticks: log_ticks(lo, hi) }
}

/// At most one point per cell of a `cols × rows` grid over the plot (in plot coordinates):
/// 15,625-point clouds keep their shape in a few hundred kilobytes less.
pub fn thin(points: &[(f64, f64)], x: (f64, f64), y: (f64, f64), cols: usize, rows: usize) -> Vec<(f64, f64)> {
    if points.len() <= 2 * cols {
        return points.to_vec();
    }
    let mut seen = std::collections::HashSet::new();
    let cell = |v: f64, (lo, hi): (f64, f64), n: usize| {
        ((v - lo) / (hi - lo).max(f64::MIN_POSITIVE) * n as f64).floor() as i64
    };
    points.iter().copied().filter(|&(px, py)| seen.insert((cell(px, x, cols), cell(py, y, rows)))).collect()
}

/// The y range for the bulk of the points (2nd percentile up) when a few outliers would squeeze
/// it, and how many points fall below it.
pub fn robust_y(series: &[Series]) -> ((f64, f64), usize) {
    let mut ys: Vec<f64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).filter(|v| v.is_finite()).collect();
    ys.sort_by(f64::total_cmp);
    let full = range(ys.iter().copied(), false);
    if ys.len() < 50 {
        return (full, 0);
    }
    let q = |p: f64| ys[((ys.len() - 1) as f64 * p) as usize];
    let (q02, max) = (q(0.02), ys[ys.len() - 1]);
    if (max - ys[0]) <= 3.0 * (max - q02) {
        return (full, 0);
    }
    let pad = (max - q02) * 0.05;
    let lo = q02 - pad;
    ((lo, max + pad), ys.iter().filter(|v| **v < lo).count())
}

/// The legend corner holding the fewest points (fractions of the plot area).
pub fn legend_corner(series: &[Series], x: (f64, f64), y: (f64, f64), log: (bool, bool)) -> SeriesLabelPosition {
    let frac = |v: f64, (lo, hi): (f64, f64), log: bool| {
        if log { (v.ln() - lo.ln()) / (hi.ln() - lo.ln()) } else { (v - lo) / (hi - lo) }
    };
    let mut counts = [0usize; 4];
    for p in series.iter().flat_map(|s| &s.points) {
        let (fx, fy) = (frac(p.0, x, log.0), frac(p.1, y, log.1));
        let corner = match (fx < 0.35, fx > 0.65, fy < 0.35, fy > 0.65) {
            (true, _, _, true) => 0,
            (_, true, _, true) => 1,
            (true, _, true, _) => 2,
            (_, true, true, _) => 3,
            _ => continue,
        };
        counts[corner] += 1;
    }
    let best = (0..4).min_by_key(|&i| counts[i]).unwrap_or(1);
    [
        SeriesLabelPosition::UpperLeft,
        SeriesLabelPosition::UpperRight,
        SeriesLabelPosition::LowerLeft,
        SeriesLabelPosition::LowerRight,
    ][best]
        .clone()
}

#[cfg(test)]
mod tests {
    use super::{log_ticks, si, thin};

    #[test]
    fn si_labels_and_log_ticks_are_readable() {
        let labels: Vec<String> =
            [25e6, 1500.0, 0.32, 0.955, 999.0, 1e9, 25_000.0, 2e-5].iter().map(|&v| si(v)).collect();
        assert_eq!(labels, ["25M", "1500", "0.32", "0.955", "999", "1G", "25k", "20µ"]);
        // Within one decade: several ticks; over many decades: powers of ten; never crowded.
        for (lo, hi) in [(7e7, 1e8), (2e6, 9e6), (1.0, 1e9), (3e4, 4e4), (12.0, 95.0)] {
            let t = log_ticks(lo, hi);
            assert!((3..=10).contains(&t.len()), "{lo}..{hi}: {t:?}");
            assert!(t.iter().all(|v| 10f64.powf(*v) >= lo * 0.999 && 10f64.powf(*v) <= hi * 1.001));
        }
    }

    #[test]
    fn thinning_keeps_one_point_per_cell() {
        let pts: Vec<(f64, f64)> =
            (0..100_000).map(|i| ((i % 1000) as f64 / 1000.0, (i / 1000) as f64 / 100.0)).collect();
        let kept = thin(&pts, (0.0, 1.0), (0.0, 1.0), 100, 50);
        assert!(kept.len() <= 100 * 50 && kept.len() > 1000, "{}", kept.len());
    }
}
