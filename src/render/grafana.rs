//! The report's windows (and their signature events) as Grafana annotations: a JSON array of
//! bodies for `POST /api/annotations`, times in epoch milliseconds.
use crate::analysis::event_findings::EventGroup;
use crate::analysis::report::{marked_events, window_end, OutageReport, Report};
use crate::timefmt::human_duration;
use serde::Serialize;

/// What to annotate and where.
#[derive(Debug, Clone, Default)]
pub struct GrafanaOptions {
    /// Also each window's signature events, besides the windows.
    pub events: bool,
    /// The dashboard the annotations belong to (none: organization annotations).
    pub dashboard_uid: Option<String>,
    /// The panel on that dashboard.
    pub panel_id: Option<i64>,
}

/// One annotation, as Grafana's HTTP API takes it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Annotation {
    #[serde(rename = "dashboardUID", skip_serializing_if = "Option::is_none")]
    pub dashboard_uid: Option<String>,
    #[serde(rename = "panelId", skip_serializing_if = "Option::is_none")]
    pub panel_id: Option<i64>,
    /// Epoch milliseconds.
    pub time: i64,
    /// Epoch milliseconds; present for a region (a window, an event seen more than once).
    #[serde(rename = "timeEnd", skip_serializing_if = "Option::is_none")]
    pub time_end: Option<i64>,
    pub tags: Vec<String>,
    pub text: String,
}

/// The annotations: each window in report order, followed (with `events`) by its signature
/// events.
pub fn annotations(report: &Report, opts: &GrafanaOptions) -> Vec<Annotation> {
    let host = report.host.as_deref();
    let mut out = Vec::new();
    for o in &report.outages {
        out.push(window_annotation(o, host, opts));
        if opts.events {
            out.extend(
                marked_events(o)
                    .into_iter()
                    .map(|g| event_annotation(g, o, host, opts)),
            );
        }
    }
    out
}

/// The annotations as a pretty JSON array, ending in a newline.
pub fn render(report: &Report, opts: &GrafanaOptions) -> serde_json::Result<String> {
    let mut text = serde_json::to_string_pretty(&annotations(report, opts))?;
    text.push('\n');
    Ok(text)
}

fn base_tags(host: Option<&str>) -> Vec<String> {
    let mut tags = vec!["faultline".to_string()];
    tags.extend(host.map(str::to_string));
    tags
}

fn window_annotation(o: &OutageReport, host: Option<&str>, opts: &GrafanaOptions) -> Annotation {
    let w = &o.window;
    let mut tags = base_tags(host);
    tags.push("outage".into());
    tags.push(w.kind.as_str().into());
    for g in marked_events(o) {
        if !tags.iter().any(|t| t == g.class.as_str()) {
            tags.push(g.class.as_str().to_string());
        }
    }
    Annotation {
        dashboard_uid: opts.dashboard_uid.clone(),
        panel_id: opts.panel_id,
        time: w.start.timestamp_millis(),
        time_end: Some(window_end(w).timestamp_millis()),
        tags,
        text: window_summary(o, host),
    }
}

/// One line: "SIPSVR01: service outage for 1h 30m, 4 of 4 probes failed (a, b, c, d); signature
/// events: 2020 Paged pool empty ×21, 333 Registry I/O failed unrecoverably ×182".
pub fn window_summary(o: &OutageReport, host: Option<&str>) -> String {
    let w = &o.window;
    let length = match w.duration_seconds {
        Some(d) => format!("for {}", human_duration(d)),
        None => format!(
            "with no recovery in the data (last failed check {} after the first)",
            human_duration((w.last_failure - w.start).num_seconds())
        ),
    };
    let down: Vec<&str> = w
        .probes
        .iter()
        .filter(|p| p.failures > 0)
        .map(|p| p.probe.as_str())
        .collect();
    let mut text = format!(
        "{}{} outage {length}, {} of {} probes failed ({})",
        host.map(|h| format!("{h}: ")).unwrap_or_default(),
        w.kind.as_str(),
        down.len(),
        w.probes.len(),
        down.join(", ")
    );
    let signature: Vec<String> = marked_events(o)
        .into_iter()
        .filter(|g| crate::analysis::report::is_signature(g))
        .map(|g| format!("{} {} ×{}", g.event_id, title(g), g.count))
        .collect();
    if !signature.is_empty() {
        text.push_str(&format!("; signature events: {}", signature.join(", ")));
    }
    text.push_str(" (faultline draft: coincided with, not proof of cause)");
    flat(&text)
}

fn event_annotation(
    g: &EventGroup,
    o: &OutageReport,
    host: Option<&str>,
    opts: &GrafanaOptions,
) -> Annotation {
    let mut tags = base_tags(host);
    tags.push("event".into());
    tags.push(g.class.as_str().to_string());
    tags.push(format!("event-{}", g.event_id));
    let lead = match g.lead_seconds {
        s if s < 0 => format!("{} before", human_duration(-s)),
        0 => "at".to_string(),
        s => format!("{} after", human_duration(s)),
    };
    let when = if g.count == 1 {
        format!("once, {lead}")
    } else {
        format!("{} times, first {lead}", g.count)
    };
    let text = format!(
        "Event {} ({}) from {}, {when} the first failed check of the {} outage",
        g.event_id,
        title(g),
        g.provider,
        o.window.kind.as_str()
    );
    Annotation {
        dashboard_uid: opts.dashboard_uid.clone(),
        panel_id: opts.panel_id,
        time: g.first.timestamp_millis(),
        time_end: (g.last > g.first).then(|| g.last.timestamp_millis()),
        tags,
        text: flat(&text),
    }
}

fn title(g: &EventGroup) -> &str {
    g.title.as_deref().unwrap_or(&g.provider)
}

/// One line: control characters (newlines from an event's text) become spaces.
fn flat(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
