//! One merged timeline: probe transitions, events and metric threshold crossings in time order.
use super::attribution::Claim;
use super::clock::{ClockAnalysis, ClockChange};
use super::event_findings::EventFindings;
use super::metric_correlation::MetricFinding;
use super::outages::{Outage, Transition};
use crate::knowledge::{counters, events as kb};
use crate::model::{Event, MetricSeries, ProbeSeries};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::Arc;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TimelineEntry {
    #[serde(with = "crate::model::ser_time")]
    pub time: DateTime<Utc>,
    /// probe, event, metric or window
    pub source: String,
    /// down/up/unknown, event, first/last (of a group), threshold, start/recovered
    pub kind: String,
    pub what: String,
    pub detail: String,
    /// Where the entry comes from, field by field, for exports that keep fields apart
    /// (Timesketch). Not in the table, CSV, JSONL or report JSON, which keep their columns.
    #[serde(skip)]
    pub refs: EntryRefs,
}

/// The fields behind one timeline entry: the event's, the probe's, the window it falls in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EntryRefs {
    pub event_id: Option<u32>,
    pub record_id: Option<u64>,
    pub level: Option<String>,
    pub provider: Option<String>,
    pub channel: Option<String>,
    pub computer: Option<String>,
    pub probe: Option<String>,
    pub metric: Option<String>,
    /// The outage window (1-based, in time order) the entry falls in, or marks.
    pub window: Option<usize>,
    pub source_file: Option<String>,
}

fn entry(
    time: DateTime<Utc>,
    source: &str,
    kind: &str,
    what: String,
    detail: String,
) -> TimelineEntry {
    TimelineEntry {
        time,
        source: source.into(),
        kind: kind.into(),
        what,
        detail,
        refs: EntryRefs::default(),
    }
}

/// The condensed timeline of one window: probe transitions in its claim (lookback to aftermath,
/// cut where the neighbours begin),
/// first/last of each event group, window markers, and threshold crossings (even earlier ones).
/// `transitions` are sorted by time, as `find_outages` gives them.
pub fn for_window(
    w: &Outage,
    findings: &EventFindings,
    metrics: &[MetricFinding],
    transitions: &[Transition],
    clock_changes: &[ClockChange],
    claim: Claim,
) -> Vec<TimelineEntry> {
    let Claim { from, to } = claim;
    let mut out = window_markers(w).to_vec();
    // The crash a 6008 states happened before the 6008 was written: mark it at its own time.
    for c in &findings.stated_crashes {
        if let Some(t) = c.stated_time {
            out.push(entry(
                t,
                "event",
                "stated",
                "unexpected shutdown (stated by the 6008 written at the next boot)".into(),
                format!(
                    "6008 logged at {} says: {}",
                    c.logged_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    c.stated_text
                ),
            ));
        }
    }
    for c in clock_changes
        .iter()
        .filter(|c| c.time >= from && c.time <= to)
    {
        let moved = if c.corrected_events > 0 {
            format!(
                "; {} events' times corrected for it (original times in the JSON's clock_changes)",
                c.corrected_events
            )
        } else {
            String::new()
        };
        out.push(entry(
            c.time,
            "clock",
            &c.verdict,
            c.words(),
            format!("{}{moved}", c.explanation),
        ));
    }
    for t in in_claim(transitions, from, to) {
        out.push(entry(
            t.time,
            "probe",
            &t.state,
            format!("probe {} {}", t.probe, t.state),
            String::new(),
        ));
    }
    for g in &findings.groups {
        // Routine information without knowledge-base meaning would drown the timeline.
        if g.rank >= 8 {
            continue;
        }
        let title = g.title.clone().unwrap_or_else(|| g.level.clone());
        let label = format!("{} {} ({title})", g.provider, g.event_id);
        if g.count == 1 {
            out.push(entry(g.first, "event", "event", label, g.sample.clone()));
        } else {
            out.push(entry(
                g.first,
                "event",
                "first",
                format!("first of {} x {label}", g.count),
                g.sample.clone(),
            ));
            out.push(entry(
                g.last,
                "event",
                "last",
                format!("last {label}"),
                String::new(),
            ));
        }
    }
    for m in metrics {
        if let Some(c) = &m.first_threshold_crossing {
            out.push(entry(
                c.time,
                "metric",
                "threshold",
                format!("{} past {} threshold", m.name, c.severity),
                format!(
                    "value {} (threshold {})",
                    fmt_value(c.value),
                    fmt_value(c.threshold)
                ),
            ));
        }
    }
    sort(&mut out);
    out
}

/// The transitions (sorted by time) from `from` to `to`: found by binary search, not by a scan
/// per window.
fn in_claim(transitions: &[Transition], from: DateTime<Utc>, to: DateTime<Utc>) -> &[Transition] {
    let lo = transitions.partition_point(|t| t.time < from);
    let hi = transitions.partition_point(|t| t.time <= to);
    &transitions[lo..hi.max(lo)]
}

/// A window's two markers: its start (first failed check) and its end (recovery, or the last
/// failed check when the data holds no recovery).
pub fn window_markers(w: &Outage) -> [TimelineEntry; 2] {
    if w.kind == crate::model::OutageKind::HostDown {
        let back = w.recovered_at.unwrap_or(w.last_failure);
        return [
            entry(
                w.start,
                "window",
                "start",
                "host went down (from its logs)".into(),
                String::new(),
            ),
            entry(
                back,
                "window",
                "recovered",
                "host came back (its boot)".into(),
                String::new(),
            ),
        ];
    }
    let states = super::outages::from_states(w);
    let start = entry(
        w.start,
        "window",
        "start",
        if states {
            format!(
                "{} outage begins: went down (the monitor's down edge)",
                w.kind.as_str()
            )
        } else {
            format!("{} outage begins: first failed check", w.kind.as_str())
        },
        String::new(),
    );
    let end = match w.recovered_at {
        Some(r) => entry(
            r,
            "window",
            "recovered",
            if states {
                "recovered: came back (up edge of the last target to recover)".into()
            } else {
                "recovered: first good check of the last probe to recover".into()
            },
            String::new(),
        ),
        None => entry(
            w.last_failure,
            "window",
            "last_failure",
            if states {
                "last second down (no up edge in the data)".into()
            } else {
                "last failed check (no recovery in the data)".into()
            },
            String::new(),
        ),
    };
    [start, end]
}

/// The merged timeline with each window's markers added and every entry inside a window
/// (start to end, both included) labelled with its number (1-based, in the given order).
pub fn with_windows(mut entries: Vec<TimelineEntry>, windows: &[Outage]) -> Vec<TimelineEntry> {
    for (i, w) in windows.iter().enumerate() {
        for mut m in window_markers(w) {
            m.refs.window = Some(i + 1);
            entries.push(m);
        }
    }
    sort(&mut entries);
    for e in entries.iter_mut().filter(|e| e.refs.window.is_none()) {
        e.refs.window = windows
            .iter()
            .position(|w| e.time >= w.start && e.time <= super::outages::window_end(w))
            .map(|i| i + 1);
    }
    entries
}

/// Names each probe entry's source file (the probe series' file).
pub fn name_probe_files(entries: &mut [TimelineEntry], probes: &[ProbeSeries]) {
    for e in entries.iter_mut() {
        if let Some(name) = &e.refs.probe {
            if let Some(p) = probes.iter().find(|p| &p.name == name) {
                e.refs.source_file = Some(p.source_file.to_string());
            }
        }
    }
}

/// Every event (as given), every probe transition and every threshold crossing, merged.
/// Says on each event entry whose time a clock change corrected what the log had, and adds the
/// clock changes themselves.
pub fn mark_clock_corrections(entries: &mut Vec<TimelineEntry>, clocks: &ClockAnalysis) {
    for row in entries.iter_mut().filter(|r| r.source == "event") {
        let (Some(file), Some(id)) = (&row.refs.source_file, row.refs.record_id) else {
            continue;
        };
        if let Some(original) = clocks.original_times.get(&(Arc::from(file.as_str()), id)) {
            row.detail = format!(
                "[time corrected for a clock change; the log says {}] {}",
                crate::model::rfc3339(original),
                row.detail
            )
            .trim_end()
            .to_string();
        }
    }
    for c in &clocks.changes {
        let mut row = entry(
            c.time,
            "clock",
            &c.verdict,
            c.words(),
            c.explanation.clone(),
        );
        row.refs.record_id = c.record_id;
        row.refs.computer = Some(c.host.clone());
        row.refs.source_file = Some(c.source_file.clone());
        entries.push(row);
    }
    sort(entries);
}

pub fn merged(
    events: &[Event],
    transitions: &[Transition],
    metrics: &[MetricSeries],
) -> Vec<TimelineEntry> {
    let mut out: Vec<TimelineEntry> = Vec::with_capacity(events.len() + transitions.len());
    for e in events {
        let title = kb::lookup(&e.provider, e.event_id)
            .map(|i| i.title.clone())
            .unwrap_or_else(|| e.level.name().to_string());
        let mut row = entry(
            e.time,
            "event",
            "event",
            format!("{} {} ({title})", e.provider, e.event_id),
            e.data.render(),
        );
        row.refs = EntryRefs {
            event_id: Some(e.event_id),
            record_id: e.record_id,
            level: Some(e.level.name().to_string()),
            provider: Some(e.provider.clone()),
            channel: Some(e.channel.clone()),
            computer: Some(e.computer.clone()).filter(|c| !c.is_empty()),
            source_file: Some(e.source_file.to_string()),
            ..Default::default()
        };
        out.push(row);
    }
    for t in transitions {
        let mut row = entry(
            t.time,
            "probe",
            &t.state,
            format!("probe {} {}", t.probe, t.state),
            String::new(),
        );
        row.refs.probe = Some(t.probe.clone());
        out.push(row);
    }
    for m in metrics {
        out.extend(threshold_crossings(m).into_iter().map(|mut row| {
            row.refs.metric = Some(m.name.clone());
            row.refs.computer = m.host.clone();
            row.refs.source_file = Some(m.source_file.to_string());
            row
        }));
    }
    sort(&mut out);
    out
}

/// Each time a series moves into a worse threshold band.
pub fn threshold_crossings(m: &MetricSeries) -> Vec<TimelineEntry> {
    let Some(rule) = counters::rule_for(m) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut band = None;
    for (t, v) in m.samples.iter() {
        let Some(v) = v else { continue };
        let now = rule.severity_of(v);
        if now > band {
            if let Some(sev) = now {
                let threshold = match sev {
                    counters::Severity::Critical => rule.critical,
                    counters::Severity::Warning => rule.warning,
                };
                out.push(entry(
                    t,
                    "metric",
                    "threshold",
                    format!("{} past {} threshold", m.name, sev.as_str()),
                    format!(
                        "value {} (threshold {})",
                        fmt_metric(m.counter.as_deref(), v),
                        threshold
                            .map(|t| fmt_metric(m.counter.as_deref(), t))
                            .unwrap_or_default()
                    ),
                ));
            }
        }
        band = now;
    }
    out
}

fn sort(entries: &mut [TimelineEntry]) {
    entries.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| order(a).cmp(&order(b))));
}

/// At equal times: window markers, then probes, metrics, events.
fn order(e: &TimelineEntry) -> u8 {
    match e.source.as_str() {
        "window" => 0,
        "probe" => 1,
        "metric" => 2,
        _ => 3,
    }
}

/// A metric value in the counter's unit: bytes as KiB/MiB/GiB, disk seconds as milliseconds,
/// anything else as a plain number.
pub fn fmt_metric(counter: Option<&str>, v: f64) -> String {
    let c = counter.unwrap_or("").to_ascii_lowercase();
    if !v.is_finite() {
        return fmt_value(v);
    }
    if c.ends_with("bytes")
        && !c.ends_with("mbytes")
        && !c.ends_with("kbytes")
        && !c.contains("/sec")
    {
        const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
        let mut value = v / 1024.0;
        if value.abs() < 1.0 {
            return format!("{} B", fmt_value(v));
        }
        let mut unit = 0;
        while value.abs() >= 1024.0 && unit < UNITS.len() - 1 {
            value /= 1024.0;
            unit += 1;
        }
        return format!("{value:.1} {}", UNITS[unit]);
    }
    if c.starts_with("avg. disk sec/") {
        return format!("{} ms", fmt_value(v * 1000.0));
    }
    fmt_value(v)
}

/// Numbers for people: thousands separated, at most 3 decimals, no trailing zeros.
pub fn fmt_value(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    let rounded = if v.abs() >= 100.0 {
        format!("{:.0}", v)
    } else if v.abs() >= 1.0 {
        format!("{:.2}", v)
    } else {
        format!("{:.4}", v)
    };
    let rounded = if rounded.contains('.') {
        rounded
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    } else {
        rounded
    };
    let (sign, digits) = match rounded.strip_prefix('-') {
        Some(d) => ("-", d.to_string()),
        None => ("", rounded),
    };
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i.to_string(), format!(".{f}")),
        None => (digits, String::new()),
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}{frac}")
}

#[cfg(test)]
mod tests {
    use super::fmt_value;

    #[test]
    fn metric_units_read_well() {
        use super::fmt_metric;
        assert_eq!(
            fmt_metric(Some("Pool Paged Bytes"), 1_073_741_824.0),
            "1.0 GiB"
        );
        assert_eq!(
            fmt_metric(Some("Pool Paged Bytes"), 157_286_400.0),
            "150.0 MiB"
        );
        assert_eq!(fmt_metric(Some("Available MBytes"), 2100.0), "2,100");
        assert_eq!(fmt_metric(Some("Avg. Disk sec/Transfer"), 0.025), "25 ms");
        assert_eq!(fmt_metric(None, 12.5), "12.5");
    }

    #[test]
    fn values_read_well() {
        assert_eq!(fmt_value(1_250_000_000.0), "1,250,000,000");
        assert_eq!(fmt_value(48_123.4), "48,123");
        assert_eq!(fmt_value(12.5), "12.5");
        assert_eq!(fmt_value(0.0312), "0.0312");
        assert_eq!(fmt_value(-1500.0), "-1,500");
        assert_eq!(fmt_value(f64::NAN), "n/a");
    }

    #[test]
    fn transitions_in_a_claim_match_a_filter_of_every_transition() {
        use super::{in_claim, Transition};
        use crate::analysis::intervals::tests::Rng;
        use chrono::{DateTime, Duration, TimeZone, Utc};
        let at = |m: u64| {
            Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap() + Duration::minutes(m as i64)
        };
        let mut rng = Rng(0xda94_2042_e4dd_58b5);
        for case in 0..300 {
            let mut times: Vec<DateTime<Utc>> =
                (0..rng.below(30)).map(|_| at(rng.below(60))).collect();
            times.sort();
            let transitions: Vec<Transition> = times
                .iter()
                .enumerate()
                .map(|(i, &time)| Transition {
                    time,
                    probe: format!("p{i}"),
                    state: "down".into(),
                })
                .collect();
            for _ in 0..10 {
                let from = at(rng.below(70));
                let to = at(rng.below(70));
                let want: Vec<&Transition> = transitions
                    .iter()
                    .filter(|t| t.time >= from && t.time <= to)
                    .collect();
                let got: Vec<&Transition> = in_claim(&transitions, from, to).iter().collect();
                assert_eq!(format!("{got:?}"), format!("{want:?}"), "case {case}");
            }
        }
    }
}
