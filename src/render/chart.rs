//! The outage as a picture (SVG): probe latency and status, the correlated metrics as small
//! multiples on one time axis, the outage window shaded and the signature events marked.
mod lanes;
mod select;

pub use select::{chart_data, outage_chart, ChartData, Marker, MetricPanel};

use crate::model::{ProbeSeries, ProbeState};
use crate::timefmt::Zone;
use chrono::{DateTime, Duration, Utc};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

const WIDTH: u32 = 1200;
const LEFT: i32 = 150;
const RIGHT: i32 = 30;
const HEADER: u32 = 62;
const LABEL_ROW: u32 = 18;
const LATENCY_PANEL: u32 = 190;
const LANE: u32 = 15;
const METRIC_PANEL: u32 = 112;
const AXIS: u32 = 52;
const FONT: &str = "sans-serif";
/// Font size of labels and tick labels (plotters units).
const LABEL_SIZE: u32 = 14;
/// Font size of captions.
const CAPTION_SIZE: u32 = 15;

/// Fill of the outage window.
pub const WINDOW_SHADE: RGBColor = RGBColor(0xF2, 0xB8, 0xB5);
const UP: RGBColor = RGBColor(0x7F, 0xC9, 0x7F);
const DOWN: RGBColor = RGBColor(0xD6, 0x27, 0x28);
/// A state export's "answering, but not well" (Nagios WARNING).
const DEGRADED: RGBColor = RGBColor(0xF2, 0xB7, 0x05);
/// Planned downtime a monitor recorded.
const MAINTENANCE: RGBColor = RGBColor(0x6B, 0x8E, 0xC9);
const GRID: RGBColor = RGBColor(0xE3, 0xE3, 0xE3);
const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
const MUTED: RGBColor = RGBColor(0x66, 0x66, 0x66);
const METRIC_LINE: RGBColor = RGBColor(0x2B, 0x4C, 0x7E);
const PROBE_COLORS: [RGBColor; 6] = [
    RGBColor(0x1F, 0x77, 0xB4),
    RGBColor(0xFF, 0x7F, 0x0E),
    RGBColor(0x2C, 0xA0, 0x2C),
    RGBColor(0x94, 0x67, 0xBD),
    RGBColor(0x8C, 0x56, 0x4B),
    RGBColor(0xE3, 0x77, 0xC2),
];

/// Maps times to pixels in the plot column shared by every panel.
#[derive(Debug, Clone, Copy)]
struct XMap {
    from: DateTime<Utc>,
    span: f64,
    left: i32,
    right: i32,
}

impl XMap {
    fn minutes(&self, t: DateTime<Utc>) -> f64 {
        (t - self.from).num_milliseconds() as f64 / 60_000.0
    }
    fn px(&self, t: DateTime<Utc>) -> i32 {
        let f = (self.minutes(t) / self.span).clamp(0.0, 1.0);
        self.left + (f * f64::from(self.right - self.left)).round() as i32
    }
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("cannot draw the chart: {e:?}")
}

/// Draws the chart as an SVG document.
pub fn render_svg(data: &ChartData) -> Result<String, String> {
    if data.to <= data.from {
        return Err("cannot draw the chart: the time range is empty".into());
    }
    let xmap = XMap {
        from: data.from,
        span: (data.to - data.from).num_milliseconds() as f64 / 60_000.0,
        left: LEFT,
        right: WIDTH as i32 - RIGHT,
    };
    let label_rows = layout_labels(data, &xmap);
    let rows = label_rows.iter().copied().max().map_or(0, |r| r + 1) as u32;
    let strip = rows * LABEL_ROW + 8;
    // A window from the logs alone has no probes: no latency panel, no lanes.
    let has_probes = !data.probes.is_empty();
    let lanes = if has_probes {
        data.probes.len() as u32 * LANE + 26
    } else {
        0
    };
    // State-change exports carry no response times: no latency panel to draw then.
    let has_latency = data
        .probes
        .iter()
        .any(|p| p.checks.iter().any(|c| c.latency_ms().is_some()));
    let latency = if has_latency { LATENCY_PANEL } else { 0 };
    let height = HEADER + strip + latency + lanes + data.metrics.len() as u32 * METRIC_PANEL + AXIS;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let top = (HEADER + strip) as i32;
        let bottom = height as i32 - AXIS as i32;
        let (w0, w1) = (xmap.px(data.window.0), xmap.px(data.window.1));
        root.draw(&Rectangle::new(
            [(w0, top), (w1.max(w0 + 1), bottom)],
            WINDOW_SHADE.mix(0.45).filled(),
        ))
        .map_err(err)?;
        header(&root, data)?;
        grid(&root, data, &xmap, top, bottom)?;
        let (_, rest) = root.split_vertically(top);
        let mut rest = rest;
        if has_latency {
            let (latency_area, below) = rest.split_vertically(LATENCY_PANEL);
            latency_panel(&latency_area, data, &xmap)?;
            rest = below;
        }
        if has_probes {
            let (lane_area, below) = rest.split_vertically(lanes);
            lanes::status_lanes(&lane_area, data, &xmap)?;
            rest = below;
        }
        for panel in &data.metrics {
            let (area, next) = rest.split_vertically(METRIC_PANEL);
            metric_panel(&area, panel, data, &xmap)?;
            rest = next;
        }
        markers_and_labels(&root, data, &xmap, &label_rows, bottom)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

fn text_style(size: u32, color: RGBColor) -> TextStyle<'static> {
    (FONT, size).into_font().color(&color)
}

fn header(root: &Area, data: &ChartData) -> Result<(), String> {
    root.draw(&Text::new(
        data.title.clone(),
        (16, 10),
        (FONT, 24).into_font().style(FontStyle::Bold).color(&INK),
    ))
    .map_err(err)?;
    let zone = if data.zone.is_utc() {
        "UTC".to_string()
    } else {
        data.zone.name().to_string()
    };
    let legend = format!(
        "Times in {zone}. Shaded: the outage window (first failed check to recovery). Vertical lines: signature events (first occurrence).",
    );
    root.draw(&Text::new(
        legend,
        (16, 38),
        text_style(CAPTION_SIZE, MUTED),
    ))
    .map_err(err)?;
    Ok(())
}

/// Assigns each marker label a row so that labels on one row do not overlap.
fn layout_labels(data: &ChartData, xmap: &XMap) -> Vec<usize> {
    let mut row_ends: Vec<i32> = Vec::new();
    let mut rows = Vec::new();
    for m in &data.markers {
        let x = xmap.px(m.time);
        let width = label_width(&m.label, LABEL_SIZE);
        let (start, end) = label_span(x, width, xmap);
        let row = row_ends.iter().position(|&e| e + 8 < start);
        let row = match row {
            Some(r) => {
                row_ends[r] = end;
                r
            }
            None => {
                row_ends.push(end);
                row_ends.len() - 1
            }
        };
        rows.push(row);
    }
    rows
}

/// Rough width of a label (SVG has no text metrics; plotters writes font-size = size / 1.24, and
/// sans-serif averages about 0.6 em per character).
fn label_width(text: &str, size: u32) -> i32 {
    (text.chars().count() as f64 * f64::from(size) / 1.24 * 0.6).round() as i32
}

/// Labels start at their line, or end at it when they would run off the right edge.
fn label_span(x: i32, width: i32, xmap: &XMap) -> (i32, i32) {
    if x + 6 + width > xmap.right + RIGHT - 4 {
        (x - 6 - width, x - 6)
    } else {
        (x + 6, x + 6 + width)
    }
}

fn markers_and_labels(
    root: &Area,
    data: &ChartData,
    xmap: &XMap,
    rows: &[usize],
    bottom: i32,
) -> Result<(), String> {
    for (m, &row) in data.markers.iter().zip(rows) {
        let x = xmap.px(m.time);
        let y = HEADER as i32 + row as i32 * LABEL_ROW as i32 + 4;
        root.draw(&DashedPathElement::new(
            vec![(x, y), (x, bottom)],
            5,
            3,
            m.color.mix(0.85).stroke_width(1),
        ))
        .map_err(err)?;
        root.draw(&Circle::new((x, y + 8), 3, m.color.filled()))
            .map_err(err)?;
        // Left of the line when it would run off the edge: anchored at its end, so it ends at
        // the line whatever the font's real widths.
        let (start, _) = label_span(x, label_width(&m.label, LABEL_SIZE), xmap);
        let (anchor_x, hpos) = if start < x {
            (x - 6, HPos::Right)
        } else {
            (start, HPos::Left)
        };
        root.draw(&Text::new(
            m.label.clone(),
            (anchor_x, y + 1),
            text_style(LABEL_SIZE, m.color).pos(Pos::new(hpos, VPos::Top)),
        ))
        .map_err(err)?;
    }
    Ok(())
}

/// Vertical grid lines and the time labels under the last panel, at round local times.
fn grid(root: &Area, data: &ChartData, xmap: &XMap, top: i32, bottom: i32) -> Result<(), String> {
    let ticks = ticks(data.from, data.to, data.zone);
    let mut last_date = String::new();
    for t in ticks {
        let x = xmap.px(t);
        root.draw(&PathElement::new(vec![(x, top), (x, bottom)], GRID))
            .map_err(err)?;
        let local = t.with_timezone(&data.zone.0);
        root.draw(&Text::new(
            local.format("%H:%M").to_string(),
            (x, bottom + 6),
            text_style(LABEL_SIZE, INK).pos(Pos::new(HPos::Center, VPos::Top)),
        ))
        .map_err(err)?;
        let date = local.format("%a %b %-d").to_string();
        if date != last_date {
            root.draw(&Text::new(
                date.clone(),
                (x, bottom + 22),
                text_style(LABEL_SIZE - 1, MUTED).pos(Pos::new(HPos::Center, VPos::Top)),
            ))
            .map_err(err)?;
            last_date = date;
        }
    }
    root.draw(&PathElement::new(
        vec![(xmap.left, bottom), (xmap.right, bottom)],
        MUTED,
    ))
    .map_err(err)?;
    Ok(())
}

/// Tick times at a round step in the display zone, about 8 to 16 of them.
fn ticks(from: DateTime<Utc>, to: DateTime<Utc>, zone: Zone) -> Vec<DateTime<Utc>> {
    const STEPS: [i64; 10] = [5, 10, 15, 30, 60, 120, 180, 360, 720, 1440];
    let span = (to - from).num_minutes().max(1);
    let step = STEPS
        .iter()
        .copied()
        .find(|s| span / s <= 16)
        .unwrap_or(1440);
    let offset = from.with_timezone(&zone.0).naive_local() - from.naive_utc();
    let local_minutes = (from + offset).timestamp().div_euclid(60);
    let first = (local_minutes + step - 1).div_euclid(step) * step;
    let mut out = Vec::new();
    let mut m = first;
    while let Some(t) = DateTime::from_timestamp(m * 60, 0) {
        let t = t - offset;
        if t > to {
            break;
        }
        out.push(t);
        m += step;
    }
    out
}

/// Probe latency of good checks, one line per probe, on a log scale.
fn latency_panel(area: &Area, data: &ChartData, xmap: &XMap) -> Result<(), String> {
    let in_range = |t: DateTime<Utc>| t >= data.from && t <= data.to;
    let values: Vec<f64> = data
        .probes
        .iter()
        .flat_map(|p| p.checks.iter())
        .filter(|c| c.ok() && in_range(c.time))
        .filter_map(|c| c.latency_ms().map(f64::from))
        .filter(|v| *v > 0.0)
        .collect();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(0.0, f64::max);
    let (lo, hi) = if values.is_empty() {
        (1.0, 1000.0)
    } else {
        (
            10f64.powf((lo / 1.5).log10().floor()),
            10f64.powf((hi * 1.5).log10().ceil()),
        )
    };
    let mut chart = ChartBuilder::on(area)
        .margin_top(24)
        .margin_right(RIGHT as u32)
        .y_label_area_size(LEFT as u32)
        .build_cartesian_2d(0f64..xmap.span, (lo..hi).log_scale())
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(5)
        .y_label_formatter(&|v| compact(*v))
        .label_style(text_style(LABEL_SIZE, INK))
        .axis_desc_style(text_style(LABEL_SIZE, MUTED))
        .light_line_style(GRID.mix(0.6))
        .bold_line_style(GRID)
        .axis_style(MUTED)
        .draw()
        .map_err(err)?;
    for (i, p) in data.probes.iter().enumerate() {
        let color = PROBE_COLORS[i % PROBE_COLORS.len()];
        for segment in good_segments(p, data.from, data.to) {
            let points: Vec<(f64, f64)> = segment
                .iter()
                .map(|(t, v)| (xmap.minutes(*t), v.max(lo)))
                .collect();
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(1)))
                .map_err(err)?;
        }
    }
    // Caption and legend on one line above the panel, where they hide no data.
    let caption = "Probe latency of good checks (ms, log scale):";
    area.draw(&Text::new(
        caption,
        (xmap.left, 4),
        text_style(CAPTION_SIZE, INK),
    ))
    .map_err(err)?;
    let mut x = xmap.left + label_width(caption, CAPTION_SIZE) + 24;
    for (i, p) in data.probes.iter().enumerate() {
        let color = PROBE_COLORS[i % PROBE_COLORS.len()];
        let name = if data.local_probes.contains(&p.name) {
            format!("{} (on the server)", p.name)
        } else {
            p.name.clone()
        };
        area.draw(&PathElement::new(
            vec![(x, 11), (x + 18, 11)],
            color.stroke_width(3),
        ))
        .map_err(err)?;
        area.draw(&Text::new(
            name.clone(),
            (x + 24, 4),
            text_style(LABEL_SIZE, INK),
        ))
        .map_err(err)?;
        x += 24 + label_width(&name, LABEL_SIZE) + 20;
    }
    Ok(())
}

/// Runs of good checks with a latency, broken at failures and at gaps of over three intervals.
fn good_segments(
    p: &ProbeSeries,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<Vec<(DateTime<Utc>, f64)>> {
    let step = typical_step(p);
    let mut out: Vec<Vec<(DateTime<Utc>, f64)>> = vec![Vec::new()];
    let mut last: Option<DateTime<Utc>> = None;
    for c in p.checks.iter().filter(|c| c.time >= from && c.time <= to) {
        let broken = !c.ok() || last.is_some_and(|l| c.time - l > step * 3);
        if broken && out.last().is_some_and(|s| !s.is_empty()) {
            out.push(Vec::new());
        }
        last = Some(c.time);
        if let (true, Some(v)) = (c.ok(), c.latency_ms()) {
            if let Some(seg) = out.last_mut() {
                seg.push((c.time, f64::from(v)));
            }
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

/// The median interval between checks (one minute when unknown).
fn typical_step(p: &ProbeSeries) -> Duration {
    let mut steps: Vec<i64> = p
        .checks
        .windows(2)
        .map(|w| (w[1].time - w[0].time).num_seconds())
        .filter(|s| *s > 0)
        .collect();
    steps.sort_unstable();
    Duration::seconds(steps.get(steps.len() / 2).copied().unwrap_or(60))
}

/// One metric on its own y scale, with its warning/critical threshold when one was crossed.
fn metric_panel(
    area: &Area,
    panel: &MetricPanel,
    data: &ChartData,
    xmap: &XMap,
) -> Result<(), String> {
    let samples = &panel.series.samples;
    let points: Vec<(f64, f64)> = samples
        .within(Some(data.from), Some(data.to))
        .filter_map(|i| samples.value(i).map(|v| (xmap.minutes(samples.time(i)), v)))
        .filter(|(_, v)| v.is_finite())
        .collect();
    let mut lo = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let mut hi = points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    if let Some(t) = panel.threshold {
        lo = lo.min(t);
        hi = hi.max(t);
    }
    if !lo.is_finite() || !hi.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.12).max(hi.abs() * 0.01).max(1e-9);
    let (lo, hi) = (
        if lo >= 0.0 {
            (lo - pad).max(0.0)
        } else {
            lo - pad
        },
        hi + pad,
    );
    let mut chart = ChartBuilder::on(area)
        .margin_top(20)
        .margin_bottom(4)
        .margin_right(RIGHT as u32)
        .y_label_area_size(LEFT as u32)
        .build_cartesian_2d(0f64..xmap.span, lo..hi)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(3)
        .y_label_formatter(&|v| compact(*v))
        .label_style(text_style(LABEL_SIZE, INK))
        .light_line_style(GRID.mix(0.6))
        .bold_line_style(GRID)
        .axis_style(MUTED)
        .draw()
        .map_err(err)?;
    if let Some(t) = panel.threshold {
        chart
            .draw_series(std::iter::once(DashedPathElement::new(
                vec![(0.0, t), (xmap.span, t)],
                6,
                4,
                DOWN.mix(0.7).stroke_width(1),
            )))
            .map_err(err)?;
    }
    // Break the line where samples are missing (perfmon stops while the server reboots).
    let mut segment: Vec<(f64, f64)> = Vec::new();
    let step = points
        .windows(2)
        .map(|w| w[1].0 - w[0].0)
        .fold(f64::INFINITY, f64::min);
    for p in points {
        if segment.last().is_some_and(|l| p.0 - l.0 > step * 3.0) {
            chart
                .draw_series(LineSeries::new(
                    std::mem::take(&mut segment),
                    METRIC_LINE.stroke_width(2),
                ))
                .map_err(err)?;
        }
        segment.push(p);
    }
    chart
        .draw_series(LineSeries::new(segment, METRIC_LINE.stroke_width(2)))
        .map_err(err)?;
    let caption = match panel.threshold {
        Some(t) => format!("{}   (dashed: threshold {})", panel.label, compact(t)),
        None => panel.label.clone(),
    };
    area.draw(&Text::new(
        caption,
        (xmap.left, 4),
        text_style(CAPTION_SIZE, INK),
    ))
    .map_err(err)?;
    Ok(())
}

/// 1.07G, 29.9k, 42, 0.032.
pub fn compact(v: f64) -> String {
    let a = v.abs();
    let (scaled, suffix) = if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e4 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let text = if scaled.abs() >= 100.0 || scaled == scaled.trunc() {
        format!("{scaled:.0}")
    } else if scaled.abs() >= 10.0 {
        format!("{scaled:.1}")
    } else if scaled.abs() >= 0.1 {
        format!("{scaled:.2}")
    } else {
        format!("{scaled:.3}")
    };
    format!("{text}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_numbers_read_well() {
        assert_eq!(compact(1_074_551_381.0), "1.07G");
        assert_eq!(compact(29_981.0), "30.0k");
        assert_eq!(compact(42.0), "42");
        assert_eq!(compact(0.0321), "0.032");
    }

    #[test]
    fn ticks_fall_on_round_local_times() {
        let zone = Zone::parse("America/Los_Angeles").unwrap();
        let from = DateTime::parse_from_rfc3339("2011-08-15T21:58:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let to = from + Duration::hours(4);
        let t = ticks(from, to, zone);
        let hm = |t: &DateTime<Utc>| t.with_timezone(&zone.0).format("%H:%M").to_string();
        assert_eq!(t.len(), 16);
        assert_eq!(hm(&t[0]), "15:00");
        assert_eq!(hm(&t[1]), "15:15");
        assert_eq!(hm(&t[15]), "18:45");
    }
}
