//! SVG plots for reports (plotters, SVG backend, no system fonts).

use std::path::Path;

use plotters::prelude::*;

mod axes;

use axes::{legend_corner, log_axis, robust_y, si, thin};

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

pub(super) fn range(vals: impl Iterator<Item = f64>, log: bool) -> (f64, f64) {
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
    legend: SeriesLabelPosition,
    perr: &dyn Fn(String) -> CliError,
) -> CliResult<()> {
    for (i, s) in series.iter().enumerate() {
        // A large series is the background cloud the others are read against: small and grey.
        let cloud = s.points.len() > 500 && series.len() > 1;
        let color = if cloud { RGBColor(170, 170, 170) } else { COLORS[i % COLORS.len()] };
        let size = if cloud {
            2
        } else if i == 0 {
            first_size
        } else {
            4
        };
        // A marker shape per series as well as a colour, so the series survive grey-scale print.
        let name = s.name.clone();
        match i % 3 {
            0 => {
                chart
                    .draw_series(s.points.iter().map(|&(x, y)| Circle::new((x, y), size, color.filled())))
                    .map_err(|e| perr(e.to_string()))?
                    .label(name)
                    .legend(move |(x, y)| Circle::new((x, y), 4, color.filled()));
            }
            1 => {
                chart
                    .draw_series(s.points.iter().map(|&(x, y)| TriangleMarker::new((x, y), size + 2, color.filled())))
                    .map_err(|e| perr(e.to_string()))?
                    .label(name)
                    .legend(move |(x, y)| TriangleMarker::new((x, y), 5, color.filled()));
            }
            _ => {
                chart
                    .draw_series(s.points.iter().map(|&(x, y)| Cross::new((x, y), size + 1, color.stroke_width(2))))
                    .map_err(|e| perr(e.to_string()))?
                    .label(name)
                    .legend(move |(x, y)| Cross::new((x, y), 4, color.stroke_width(2)));
            }
        }
    }
    chart
        .configure_series_labels()
        .position(legend)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(("sans-serif", 15))
        .draw()
        .map_err(|e| perr(e.to_string()))?;
    Ok(())
}

/// How a chart maps its plot area to data, written on the SVG root as `data-axes` so the HTML
/// report can show the values under the pointer: the plot area's pixel box (x from, x to, y top,
/// y bottom), the chart coordinates at its edges (x left, x right, y bottom, y top), and whether
/// each axis is log10 (coordinates are then log10 of the values).
struct AxesMeta {
    pixels: ((i32, i32), (i32, i32)),
    x: (f64, f64),
    y: (f64, f64),
    log: (bool, bool),
}

/// Write `meta` on the root `<svg` element of the finished file at `path`.
fn mark_axes(path: &Path, meta: &AxesMeta) -> CliResult<()> {
    let text = std::fs::read_to_string(path).map_err(crate::cli::io_err(path))?;
    let ((px0, px1), (py0, py1)) = meta.pixels;
    let attr = format!(
        "<svg data-axes=\"{px0} {px1} {py0} {py1} {} {} {} {} {} {}\"",
        meta.x.0,
        meta.x.1,
        meta.y.0,
        meta.y.1,
        u8::from(meta.log.0),
        u8::from(meta.log.1)
    );
    let marked = text.replacen("<svg", &attr, 1);
    std::fs::write(path, marked).map_err(crate::cli::io_err(path))
}

/// The plot area's pixel box of a chart.
fn pixel_box<DB: DrawingBackend, CT: CoordTranslate>(chart: &ChartContext<'_, DB, CT>) -> ((i32, i32), (i32, i32)) {
    let (x, y) = chart.plotting_area().get_pixel_range();
    ((x.start, x.end), (y.start, y.end))
}

/// The common frame of the charts: a title, margins and room for the axis labels.
fn frame<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    title: &str,
    title_size: u32,
    y_label_area: u32,
) -> ChartBuilder<'a, 'b, SVGBackend<'b>> {
    let mut builder = ChartBuilder::on(root);
    builder.caption(title, ("sans-serif", title_size)).margin(16).x_label_area_size(52).y_label_area_size(y_label_area);
    builder
}

/// The mesh style every chart shares: 15 px tick labels, 16 px axis titles, no minor grid.
fn style_mesh<X: Ranged, Y: Ranged>(mesh: &mut plotters::chart::MeshStyle<'_, '_, X, Y, SVGBackend<'_>>) {
    mesh.label_style(("sans-serif", 15)).axis_desc_style(("sans-serif", 16)).max_light_lines(0);
}

/// A scatter plot with log-scaled axes: 1-2-5 ticks labelled in SI notation, dense clouds thinned
/// to one point per pixel cell.
pub fn scatter_loglog(path: &Path, title: &str, x_label: &str, y_label: &str, series: &[Series]) -> CliResult<()> {
    let perr = |e: String| CliError::Plot(format!("{}: {e}", path.display()));
    let root = SVGBackend::new(path, (800, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| perr(e.to_string()))?;
    let (x0, x1) = range(series.iter().flat_map(|s| s.points.iter().map(|p| p.0)), true);
    let (y0, y1) = range(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)), true);
    // Plot log10 of the values on linear axes whose key points are the nice ticks.
    let logged: Vec<Series> = series
        .iter()
        .map(|s| Series {
            name: s.name.clone(),
            points: thin(
                &s.points
                    .iter()
                    .filter(|p| p.0 > 0.0 && p.1 > 0.0)
                    .map(|p| (p.0.log10(), p.1.log10()))
                    .collect::<Vec<_>>(),
                (x0.log10(), x1.log10()),
                (y0.log10(), y1.log10()),
                300,
                200,
            ),
        })
        .collect();
    let legend = legend_corner(&logged, (x0.log10(), x1.log10()), (y0.log10(), y1.log10()), (false, false));
    let mut chart = frame(&root, title, 22, 72)
        .build_cartesian_2d(log_axis(x0, x1), log_axis(y0, y1))
        .map_err(|e| perr(e.to_string()))?;
    let mut mesh = chart.configure_mesh();
    style_mesh(&mut mesh);
    mesh.x_desc(format!("{x_label} (log scale)"))
        .y_desc(format!("{y_label} (log scale)"))
        .x_label_formatter(&|v| si(10f64.powf(*v)))
        .y_label_formatter(&|v| si(10f64.powf(*v)))
        .draw()
        .map_err(|e| perr(e.to_string()))?;
    draw_points(&mut chart, &logged, 4, legend, &perr)?;
    let pixels = pixel_box(&chart);
    root.present().map_err(|e| perr(e.to_string()))?;
    mark_axes(path, &AxesMeta { pixels, x: (x0.log10(), x1.log10()), y: (y0.log10(), y1.log10()), log: (true, true) })
}

/// Lines over a shared x axis (e.g. layer index or round), linear x and log y with 1-2-5 ticks
/// in SI notation.
pub fn lines_logy(path: &Path, title: &str, x_label: &str, y_label: &str, series: &[Series]) -> CliResult<()> {
    let perr = |e: String| CliError::Plot(format!("{}: {e}", path.display()));
    let root = SVGBackend::new(path, (900, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| perr(e.to_string()))?;
    let (x0, x1) = range(series.iter().flat_map(|s| s.points.iter().map(|p| p.0)), false);
    let (y0, y1) = range(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)), true);
    let logged: Vec<Series> = series
        .iter()
        .map(|s| Series {
            name: s.name.clone(),
            points: s.points.iter().filter(|p| p.1 > 0.0).map(|p| (p.0, p.1.log10())).collect(),
        })
        .collect();
    let legend = legend_corner(&logged, (x0, x1), (y0.log10(), y1.log10()), (false, false));
    let mut chart =
        frame(&root, title, 22, 72).build_cartesian_2d(x0..x1, log_axis(y0, y1)).map_err(|e| perr(e.to_string()))?;
    let mut mesh = chart.configure_mesh();
    style_mesh(&mut mesh);
    mesh.x_desc(x_label)
        .y_desc(format!("{y_label} (log scale)"))
        .x_label_formatter(&|v| si(*v))
        .y_label_formatter(&|v| si(10f64.powf(*v)))
        .draw()
        .map_err(|e| perr(e.to_string()))?;
    for (i, s) in logged.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        // Dashes as well as colours tell the lines apart in grey-scale print.
        let style = color.stroke_width(if i % 2 == 0 { 3 } else { 2 });
        let drawn = if i % 2 == 0 {
            chart.draw_series(LineSeries::new(s.points.iter().copied(), style))
        } else {
            chart.draw_series(DashedLineSeries::new(s.points.iter().copied(), 8, 5, style))
        };
        let dashed = i % 2 == 1;
        drawn.map_err(|e| perr(e.to_string()))?.label(s.name.clone()).legend(move |(x, y)| {
            // The legend shows a dash gap for dashed lines.
            let end = if dashed { x + 8 } else { x + 20 };
            PathElement::new(vec![(x, y), (end, y)], style)
        });
    }
    chart
        .configure_series_labels()
        .position(legend)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(("sans-serif", 15))
        .draw()
        .map_err(|e| perr(e.to_string()))?;
    let pixels = pixel_box(&chart);
    root.present().map_err(|e| perr(e.to_string()))?;
    mark_axes(path, &AxesMeta { pixels, x: (x0, x1), y: (y0.log10(), y1.log10()), log: (false, true) })
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
    // White (lo) to blue (hi): the lightness alone orders the values, so grey-scale prints keep it.
    let shade = |v: f64| {
        let f = ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
        RGBColor((255.0 * (1.0 - f)) as u8, (255.0 * (1.0 - 0.6 * f)) as u8, 255)
    };
    for i in 0..n {
        for (j, &v) in m[i].iter().enumerate().take(n) {
            let color = shade(v);
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
    // Colour bar under the matrix: the scale from lo to hi with five labelled ticks.
    let (bar_x, bar_w, bar_y) = (left, cell * n as i32, top + cell * n as i32 + 70);
    // 5-pixel steps: smooth to the eye, a few dozen SVG rectangles.
    for px in (0..bar_w).step_by(5) {
        let v = lo + (hi - lo) * (f64::from(px) + 2.5) / f64::from(bar_w.max(1));
        root.draw(&Rectangle::new(
            [(bar_x + px, bar_y), ((bar_x + px + 5).min(bar_x + bar_w), bar_y + 18)],
            shade(v).filled(),
        ))
        .map_err(|e| perr(e.to_string()))?;
    }
    root.draw(&Rectangle::new([(bar_x, bar_y), (bar_x + bar_w, bar_y + 18)], BLACK.stroke_width(1)))
        .map_err(|e| perr(e.to_string()))?;
    for k in 0..=4 {
        let x = bar_x + bar_w * k / 4;
        let v = lo + (hi - lo) * f64::from(k) / 4.0;
        root.draw(&PathElement::new(vec![(x, bar_y + 18), (x, bar_y + 24)], BLACK)).map_err(|e| perr(e.to_string()))?;
        root.draw(&Text::new(format!("{v:.2}"), (x - 14, bar_y + 28), ("sans-serif", 13)))
            .map_err(|e| perr(e.to_string()))?;
    }
    root.present().map_err(|e| perr(e.to_string()))?;
    Ok(())
}

/// A scatter plot with linear axes. When a few outliers would squeeze the bulk of the points
/// into a sliver, the y axis starts at the 2nd percentile, the outliers are drawn on its lower
/// edge and the title says how many; dense clouds are thinned to one point per pixel cell.
pub fn scatter(path: &Path, title: &str, x_label: &str, y_label: &str, series: &[Series]) -> CliResult<()> {
    let perr = |e: String| CliError::Plot(format!("{}: {e}", path.display()));
    let root = SVGBackend::new(path, (800, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| perr(e.to_string()))?;
    let (x0, x1) = range(series.iter().flat_map(|s| s.points.iter().map(|p| p.0)), false);
    let ((y0, y1), below) = robust_y(series);
    let shown: Vec<Series> = series
        .iter()
        .map(|s| Series {
            name: s.name.clone(),
            points: thin(
                &s.points.iter().map(|&(x, y)| (x, y.max(y0))).collect::<Vec<_>>(),
                (x0, x1),
                (y0, y1),
                160,
                110,
            ),
        })
        .collect();
    let title = if below > 0 { format!("{title} ({below} outliers at the lower edge)") } else { title.to_string() };
    let legend = legend_corner(&shown, (x0, x1), (y0, y1), (false, false));
    let mut chart = frame(&root, &title, 20, 64).build_cartesian_2d(x0..x1, y0..y1).map_err(|e| perr(e.to_string()))?;
    let mut mesh = chart.configure_mesh();
    style_mesh(&mut mesh);
    mesh.x_desc(x_label)
        .y_desc(y_label)
        .x_label_formatter(&|v| si(*v))
        .y_label_formatter(&|v| si(*v))
        .draw()
        .map_err(|e| perr(e.to_string()))?;
    draw_points(&mut chart, &shown, 3, legend, &perr)?;
    let pixels = pixel_box(&chart);
    root.present().map_err(|e| perr(e.to_string()))?;
    mark_axes(path, &AxesMeta { pixels, x: (x0, x1), y: (y0, y1), log: (false, false) })
}
