//! SVG plots for reports (plotters, SVG backend, no system fonts).

use std::path::Path;

use plotters::prelude::*;

use super::{CliError, CliResult};

/// One named series of (x, y) points.
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

const COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

fn range(vals: impl Iterator<Item = f64>, log: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in vals.filter(|v| v.is_finite() && (!log || *v > 0.0)) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (1.0, 10.0);
    }
    if log {
        (lo / 1.2, hi * 1.2)
    } else {
        let pad = ((hi - lo) * 0.05).max(1e-9);
        (lo - pad, hi + pad)
    }
}

/// Draw point series with a legend on any chart of f64 axes (linear or log).
fn draw_points<'a, DB: DrawingBackend + 'a, X: Ranged<ValueType = f64>, Y: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    series: &[Series],
    first_size: u32,
    perr: &dyn Fn(String) -> CliError,
) -> CliResult<()> {
    for (i, s) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let size = if i == 0 { first_size } else { 4 };
        chart
            .draw_series(s.points.iter().map(|&(x, y)| Circle::new((x, y), size, color.filled())))
            .map_err(|e| perr(e.to_string()))?
            .label(s.name.clone())
            .legend(move |(x, y)| Circle::new((x, y), 4, color.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| perr(e.to_string()))?;
    Ok(())
}

/// A scatter plot with log-scaled axes.
pub fn scatter_loglog(path: &Path, title: &str, x_label: &str, y_label: &str, series: &[Series]) -> CliResult<()> {
    let perr = |e: String| CliError::Plot(format!("{}: {e}", path.display()));
    let root = SVGBackend::new(path, (800, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| perr(e.to_string()))?;
    let (x0, x1) = range(series.iter().flat_map(|s| s.points.iter().map(|p| p.0)), true);
    let (y0, y1) = range(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)), true);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())
        .map_err(|e| perr(e.to_string()))?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .x_label_formatter(&|v| format!("{v:.2e}"))
        .y_label_formatter(&|v| format!("{v:.2e}"))
        .draw()
        .map_err(|e| perr(e.to_string()))?;
    draw_points(&mut chart, series, 3, &perr)?;
    root.present().map_err(|e| perr(e.to_string()))?;
    Ok(())
}

/// Lines over a shared integer x axis (e.g. layer index), linear x and log y.
pub fn lines_logy(path: &Path, title: &str, x_label: &str, y_label: &str, series: &[Series]) -> CliResult<()> {
    let perr = |e: String| CliError::Plot(format!("{}: {e}", path.display()));
    let root = SVGBackend::new(path, (900, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| perr(e.to_string()))?;
    let (x0, x1) = range(series.iter().flat_map(|s| s.points.iter().map(|p| p.0)), false);
    let (y0, y1) = range(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)), true);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(x0..x1, (y0..y1).log_scale())
        .map_err(|e| perr(e.to_string()))?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .y_label_formatter(&|v| format!("{v:.1e}"))
        .draw()
        .map_err(|e| perr(e.to_string()))?;
    for (i, s) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        chart
            .draw_series(LineSeries::new(s.points.iter().copied(), color.stroke_width(2)))
            .map_err(|e| perr(e.to_string()))?
            .label(s.name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| perr(e.to_string()))?;
    root.present().map_err(|e| perr(e.to_string()))?;
    Ok(())
}

/// A labelled heatmap of a square matrix (e.g. SRCC between devices), values in [lo, hi].
pub fn heatmap(path: &Path, title: &str, labels: &[String], m: &[Vec<f64>], lo: f64, hi: f64) -> CliResult<()> {
    let perr = |e: String| CliError::Plot(format!("{}: {e}", path.display()));
    let n = labels.len();
    let cell = 70i32;
    let left = 190i32;
    let top = 60i32;
    let w = (left + cell * n as i32 + 20) as u32;
    let h = (top + cell * n as i32 + 150) as u32;
    let root = SVGBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| perr(e.to_string()))?;
    root.draw(&Text::new(title.to_string(), (10, 20), ("sans-serif", 20))).map_err(|e| perr(e.to_string()))?;
    for i in 0..n {
        for (j, &v) in m[i].iter().enumerate().take(n) {
            let f = ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
            let color = RGBColor((255.0 * (1.0 - f)) as u8, (255.0 * (1.0 - 0.6 * f)) as u8, 255);
            let (x0, y0) = (left + cell * j as i32, top + cell * i as i32);
            root.draw(&Rectangle::new([(x0, y0), (x0 + cell, y0 + cell)], color.filled()))
                .map_err(|e| perr(e.to_string()))?;
            root.draw(&Text::new(format!("{v:.2}"), (x0 + 18, y0 + 28), ("sans-serif", 15)))
                .map_err(|e| perr(e.to_string()))?;
        }
        let short = labels[i].trim_start_matches("latency_ms_").trim_start_matches("energy_mj_");
        root.draw(&Text::new(short.to_string(), (10, top + cell * i as i32 + 30), ("sans-serif", 15)))
            .map_err(|e| perr(e.to_string()))?;
        root.draw(&Text::new(
            short.to_string(),
            (left + cell * i as i32 + 5, top + cell * n as i32 + 20),
            ("sans-serif", 13),
        ))
        .map_err(|e| perr(e.to_string()))?;
    }
    root.present().map_err(|e| perr(e.to_string()))?;
    Ok(())
}

/// A scatter plot with linear axes.
pub fn scatter(path: &Path, title: &str, x_label: &str, y_label: &str, series: &[Series]) -> CliResult<()> {
    let perr = |e: String| CliError::Plot(format!("{}: {e}", path.display()));
    let root = SVGBackend::new(path, (800, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| perr(e.to_string()))?;
    let (x0, x1) = range(series.iter().flat_map(|s| s.points.iter().map(|p| p.0)), false);
    let (y0, y1) = range(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)), false);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| perr(e.to_string()))?;
    chart.configure_mesh().x_desc(x_label).y_desc(y_label).draw().map_err(|e| perr(e.to_string()))?;
    draw_points(&mut chart, series, 2, &perr)?;
    root.present().map_err(|e| perr(e.to_string()))?;
    Ok(())
}
