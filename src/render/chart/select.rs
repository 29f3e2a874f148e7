//! What the outage chart shows: the main window's time range, its probes, its correlated metrics
//! and its signature events, picked from the report.
use super::render_svg;
use crate::analysis::event_findings::EventGroup;
use crate::analysis::report::{marked_events, window_end, OutageReport, Report};
use crate::model::{MetricSeries, ProbeSeries};
use crate::timefmt::{human_duration, Zone};
use chrono::{DateTime, Duration, Utc};
use plotters::style::RGBColor;

/// How far after recovery the chart goes on.
pub const AFTER_RECOVERY_MINUTES: i64 = 30;
/// At most this many metric panels.
pub const MAX_METRICS: usize = 5;

/// A vertical line with a label: one signature event.
#[derive(Debug, Clone)]
pub struct Marker {
    pub time: DateTime<Utc>,
    pub label: String,
    pub color: RGBColor,
}

/// One metric panel: the series and what the report said about it.
#[derive(Debug, Clone)]
pub struct MetricPanel<'a> {
    pub series: &'a MetricSeries,
    pub label: String,
    pub threshold: Option<f64>,
}

/// Everything one chart shows.
#[derive(Debug, Clone)]
pub struct ChartData<'a> {
    pub title: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub window: (DateTime<Utc>, DateTime<Utc>),
    pub probes: &'a [ProbeSeries],
    /// Names of the probes that run on the server itself.
    pub local_probes: Vec<String>,
    pub metrics: Vec<MetricPanel<'a>>,
    pub markers: Vec<Marker>,
    pub zone: Zone,
}

/// The chart of the report's primary window, or `None` when the report has no window.
pub fn outage_chart(
    report: &Report,
    probes: &[ProbeSeries],
    metrics: &[MetricSeries],
    zone: Zone,
) -> Option<Result<String, String>> {
    let index = crate::render::markdown::primary_index(report)?;
    let o = &report.outages[index];
    let data = chart_data(report, o, probes, metrics, zone);
    Some(render_svg(&data))
}

/// Picks what to draw for one window: from `start - lookback` to recovery + 30 minutes.
pub fn chart_data<'a>(
    report: &Report,
    o: &OutageReport,
    probes: &'a [ProbeSeries],
    metrics: &'a [MetricSeries],
    zone: Zone,
) -> ChartData<'a> {
    let w = &o.window;
    let end = window_end(w);
    let from = w.start - Duration::seconds(report.lookback_seconds.max(0));
    let to = end + Duration::minutes(AFTER_RECOVERY_MINUTES);
    let panels = o
        .metrics
        .iter()
        .filter(|m| m.correlated)
        .filter_map(|m| {
            let series = metrics.iter().find(|s| s.name == m.name)?;
            let mut label = metric_label(series);
            if matches!(m.trend.as_str(), "rising" | "falling") {
                label.push_str(&format!(" ({} before the outage)", m.trend));
            }
            Some(MetricPanel {
                series,
                label,
                threshold: m.first_threshold_crossing.as_ref().map(|c| c.threshold),
            })
        })
        .take(MAX_METRICS)
        .collect();
    let host = o
        .host
        .as_deref()
        .or(report.host.as_deref())
        .unwrap_or("unknown host");
    let title = format!(
        "{host}: {} outage ({}) from {} to {} ({})",
        w.kind.as_str(),
        o.nature.as_str(),
        zone.format_short(&w.start),
        end_text(w.start, end, zone),
        w.duration_seconds
            .map(human_duration)
            .unwrap_or_else(|| "not recovered in the data".into())
    );
    ChartData {
        title,
        from,
        to,
        window: (w.start, end),
        probes,
        local_probes: report
            .probes
            .iter()
            .filter(|p| p.local)
            .map(|p| p.name.clone())
            .collect(),
        metrics: panels,
        markers: markers(o),
        zone,
    }
}

/// The end as `18:28` on the start's day, else with its date.
fn end_text(start: DateTime<Utc>, end: DateTime<Utc>, zone: Zone) -> String {
    let (s, e) = (start.with_timezone(&zone.0), end.with_timezone(&zone.0));
    if s.date_naive() == e.date_naive() {
        e.format("%H:%M").to_string()
    } else {
        zone.format_short(&end)
    }
}

/// `Object(Instance)\Counter`, or the column name.
fn metric_label(s: &MetricSeries) -> String {
    match (&s.object, &s.counter) {
        (Some(o), Some(c)) => match &s.instance {
            Some(i) => format!("{o}({i})\\{c}"),
            None => format!("{o}\\{c}"),
        },
        _ => s.name.clone(),
    }
}

/// Signature events (`report::marked_events`) as coloured markers at their first occurrence.
fn markers(o: &OutageReport) -> Vec<Marker> {
    let label = |g: &EventGroup| {
        let title = g.title.clone().unwrap_or_else(|| g.provider.clone());
        let mut text = format!("{} {}", g.event_id, shorten(&title, 30));
        if g.count > 1 {
            text.push_str(&format!(" ×{}", g.count));
        }
        text
    };
    // The crash a 6008 states is drawn at the time it states, not at the boot that logged it.
    let stated = o.stated_crashes.iter().filter_map(|c| {
        Some(Marker {
            time: c.stated_time?,
            label: "unexpected shutdown (stated by 6008)".into(),
            color: RGBColor(0xB2, 0x18, 0x2B),
        })
    });
    let mut out: Vec<Marker> = marked_events(o)
        .into_iter()
        .map(|g| Marker {
            time: g.first,
            label: label(g),
            color: match g.class.as_str() {
                "resource-exhaustion" => RGBColor(0x7B, 0x2C, 0xBF),
                "crash" => RGBColor(0xB2, 0x18, 0x2B),
                "storage" => RGBColor(0xA6, 0x56, 0x28),
                "planned-restart" => RGBColor(0x1F, 0x5F, 0xA8),
                _ => RGBColor(0x1B, 0x7F, 0x3B),
            },
        })
        .collect();
    out.extend(stated);
    out.sort_by_key(|m| m.time);
    out
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}
