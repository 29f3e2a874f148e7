//! The report model: everything the markdown and JSON reports say, computed once from the evidence.
use super::changes::{self, Change};
use super::event_findings::{self, EventFindings, StatedCrash};
use super::metric_correlation::{self, MetricFinding};
use super::outages::{self, Blip, Outage, OutageAnalysis, OutageOptions, ProbeSummary, Transition};
use super::timeline::{self, TimelineEntry};
use crate::model::{Event, InputReport, MetricSeries, ProbeSeries};
use crate::timefmt::Zone;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

pub const SCHEMA_VERSION: u32 = 1;
/// How many metrics are ranked as "correlated" per window at most.
pub const TOP_METRICS: usize = 5;

/// Settings of one report.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    pub outages: OutageOptions,
    pub lookback: Duration,
    /// Zone the server's own local times (6008's stated time) are read in.
    pub server_zone: Zone,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub schema_version: u32,
    /// The server, from the events' Computer field (or the counters' host).
    pub host: Option<String>,
    pub inputs: Vec<InputReport>,
    pub probes: Vec<ProbeSummary>,
    pub outages: Vec<OutageReport>,
    pub blips: Vec<Blip>,
    /// Changes in the 30 days before the first window, newest first.
    pub changes: Vec<Change>,
    pub data_quality: DataQuality,
    /// Seconds of lookback used for events and trends.
    pub lookback_seconds: i64,
}

#[derive(Debug, Serialize)]
pub struct OutageReport {
    #[serde(flatten)]
    pub window: Outage,
    pub events: Vec<event_findings::EventGroup>,
    pub noise_folded: u64,
    pub stated_crashes: Vec<StatedCrash>,
    pub metrics: Vec<MetricFinding>,
    pub related: Vec<Related>,
    pub timeline: Vec<TimelineEntry>,
}

/// Another window whose event signature overlaps this one's.
#[derive(Debug, Clone, Serialize)]
pub struct Related {
    #[serde(with = "crate::model::ser_time")]
    pub start: DateTime<Utc>,
    pub duration_seconds: Option<i64>,
    pub kind: String,
    /// The (provider, event id) pairs both windows share, as `Provider:ID`.
    pub shared_events: Vec<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct DataQuality {
    pub records_read: u64,
    pub records_skipped: u64,
    pub unusable_inputs: Vec<String>,
    /// Stretches without data that touch a window (probe unknown time, metric gaps).
    pub gaps: Vec<Gap>,
    pub clock: Vec<String>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Gap {
    /// probe or metric
    pub source: String,
    pub name: String,
    #[serde(with = "crate::model::ser_time")]
    pub from: DateTime<Utc>,
    #[serde(with = "crate::model::ser_time")]
    pub to: DateTime<Utc>,
}

pub use super::outages::window_end;

pub fn build(
    events: &[Event],
    probes: &[ProbeSeries],
    metrics: &[MetricSeries],
    inputs: Vec<InputReport>,
    notes: Vec<String>,
    opts: &ReportOptions,
) -> Report {
    let analysis: OutageAnalysis = outages::find_outages(probes, &opts.outages);
    let in_range = |o: &Outage| {
        opts.from.is_none_or(|f| window_end(o) >= f) && opts.to.is_none_or(|t| o.start <= t)
    };
    let windows: Vec<Outage> = analysis
        .outages
        .iter()
        .filter(|o| in_range(o))
        .cloned()
        .collect();
    let mut reports: Vec<OutageReport> = windows
        .iter()
        .map(|w| outage_report(w, events, metrics, &analysis.transitions, opts))
        .collect();
    add_related(&mut reports);
    let changes = windows
        .first()
        .map(|w| changes::find_changes(events, w.start))
        .unwrap_or_default();
    let data_quality = data_quality(&inputs, notes, &windows, &analysis, metrics, events, opts);
    Report {
        schema_version: SCHEMA_VERSION,
        host: host_of(events, metrics),
        inputs,
        probes: analysis.probes,
        outages: reports,
        blips: analysis.blips,
        changes,
        data_quality,
        lookback_seconds: opts.lookback.num_seconds(),
    }
}

fn outage_report(
    w: &Outage,
    events: &[Event],
    metrics: &[MetricSeries],
    transitions: &[Transition],
    opts: &ReportOptions,
) -> OutageReport {
    let end = window_end(w);
    let findings: EventFindings =
        event_findings::find_events(events, w.start, end, opts.lookback, opts.server_zone);
    let metric_findings =
        metric_correlation::correlate(metrics, w.start, end, opts.lookback, TOP_METRICS);
    let timeline = timeline::for_window(
        w,
        &findings,
        &metric_findings,
        transitions,
        events,
        opts.lookback,
    );
    OutageReport {
        window: w.clone(),
        events: findings.groups,
        noise_folded: findings.noise_folded,
        stated_crashes: findings.stated_crashes,
        metrics: metric_findings,
        related: Vec::new(),
        timeline,
    }
}

/// The event classes whose groups are a window's signature: what ran out, crashed or failed to
/// store.
pub const SIGNATURE_CLASSES: [&str; 3] = ["resource-exhaustion", "crash", "storage"];

/// The events worth marking on a picture of a window (the chart, dashboard annotations): every
/// signature-class group, the first planned restart and the boot (6005, else the first boot
/// event), in time order.
pub fn marked_events(o: &OutageReport) -> Vec<&event_findings::EventGroup> {
    let mut out: Vec<&event_findings::EventGroup> = o
        .events
        .iter()
        .filter(|g| SIGNATURE_CLASSES.contains(&g.class.as_str()))
        .collect();
    let first_of = |class: &str| {
        o.events
            .iter()
            .filter(|g| g.class == class)
            .min_by_key(|g| g.first)
    };
    out.extend(first_of("planned-restart"));
    let boot = o
        .events
        .iter()
        .find(|g| g.class == "boot" && g.event_id == 6005)
        .or_else(|| first_of("boot"));
    out.extend(boot);
    out.sort_by_key(|g| g.first);
    out
}

/// Signature: the non-routine (provider, id) pairs of a window's events.
fn signature(r: &OutageReport) -> Vec<String> {
    r.events
        .iter()
        .filter(|g| {
            matches!(
                g.class.as_str(),
                "resource-exhaustion" | "crash" | "storage"
            )
        })
        .map(|g| format!("{}:{}", g.provider, g.event_id))
        .collect()
}

fn add_related(reports: &mut [OutageReport]) {
    let sigs: Vec<Vec<String>> = reports.iter().map(signature).collect();
    let summaries: Vec<(DateTime<Utc>, Option<i64>, String)> = reports
        .iter()
        .map(|r| {
            (
                r.window.start,
                r.window.duration_seconds,
                r.window.kind.as_str().to_string(),
            )
        })
        .collect();
    for (i, report) in reports.iter_mut().enumerate() {
        for (j, other) in sigs.iter().enumerate() {
            if i == j {
                continue;
            }
            let shared: Vec<String> = sigs[i]
                .iter()
                .filter(|s| other.contains(s))
                .cloned()
                .collect();
            if !shared.is_empty() {
                report.related.push(Related {
                    start: summaries[j].0,
                    duration_seconds: summaries[j].1,
                    kind: summaries[j].2.clone(),
                    shared_events: shared,
                });
            }
        }
    }
}

/// The most frequent Computer name in the events, else the first metric host.
fn host_of(events: &[Event], metrics: &[MetricSeries]) -> Option<String> {
    let mut counts: std::collections::HashMap<&str, usize> = Default::default();
    for e in events {
        if !e.computer.is_empty() {
            *counts.entry(e.computer.as_str()).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .map(|(h, _)| h.to_string())
        .or_else(|| metrics.iter().find_map(|m| m.host.clone()))
}

fn data_quality(
    inputs: &[InputReport],
    notes: Vec<String>,
    windows: &[Outage],
    analysis: &OutageAnalysis,
    metrics: &[MetricSeries],
    events: &[Event],
    opts: &ReportOptions,
) -> DataQuality {
    let mut dq = DataQuality {
        records_read: inputs.iter().map(|i| i.records_read).sum(),
        records_skipped: inputs.iter().map(|i| i.records_skipped).sum(),
        unusable_inputs: inputs
            .iter()
            .filter(|i| i.failed)
            .map(|i| format!("{}: {}", i.path, i.problems.join("; ")))
            .collect(),
        notes,
        ..Default::default()
    };
    let touches = |from: DateTime<Utc>, to: DateTime<Utc>| {
        windows.iter().any(|w| {
            from <= window_end(w) + Duration::seconds(event_findings::AFTER_RECOVERY)
                && to >= w.start - opts.lookback
        })
    };
    // Probe unknown stretches, from the transitions: unknown until the next known state.
    for (i, t) in analysis.transitions.iter().enumerate() {
        if t.state != "unknown" {
            continue;
        }
        let until = analysis.transitions[i + 1..]
            .iter()
            .find(|n| n.probe == t.probe)
            .map(|n| n.time);
        if let Some(until) = until {
            if touches(t.time, until) {
                dq.gaps.push(Gap {
                    source: "probe".into(),
                    name: t.probe.clone(),
                    from: t.time,
                    to: until,
                });
            }
        }
    }
    // A gap shared by every counter of one file is one gap (the collector stopped), not fifty.
    struct GapGroup {
        file: String,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        names: Vec<String>,
    }
    let mut metric_gap_groups: Vec<GapGroup> = Vec::new();
    for m in metrics {
        for (from, to) in metric_gaps(m) {
            if !touches(from, to) {
                continue;
            }
            let file = m.source_file.to_string();
            match metric_gap_groups
                .iter_mut()
                .find(|g| g.file == file && g.from == from && g.to == to)
            {
                Some(g) => g.names.push(m.name.clone()),
                None => metric_gap_groups.push(GapGroup {
                    file,
                    from,
                    to,
                    names: vec![m.name.clone()],
                }),
            }
        }
    }
    for GapGroup {
        file,
        from,
        to,
        names,
    } in metric_gap_groups
    {
        let name = if names.len() == 1 {
            names[0].clone()
        } else {
            format!("all {} series of {file}", names.len())
        };
        dq.gaps.push(Gap {
            source: "metric".into(),
            name,
            from,
            to,
        });
    }
    dq.gaps
        .sort_by(|a, b| a.from.cmp(&b.from).then(a.name.cmp(&b.name)));
    dq.clock = clock_notes(windows, events);
    dq
}

/// Gaps between samples longer than 2.5 times the series' median interval.
fn metric_gaps(m: &MetricSeries) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let steps: Vec<f64> = m
        .times
        .windows(2)
        .map(|w| (w[1] - w[0]).num_milliseconds() as f64)
        .collect();
    let Some(median) = super::stats::median(&steps) else {
        return Vec::new();
    };
    m.times
        .windows(2)
        .filter(|w| (w[1] - w[0]).num_milliseconds() as f64 > 2.5 * median)
        .map(|w| (w[0], w[1]))
        .collect()
}

/// Boot (6005) against the first good local check after it: how long until the service answered,
/// and whether the clocks disagree (a good check before the boot is impossible).
fn clock_notes(windows: &[Outage], events: &[Event]) -> Vec<String> {
    let mut notes = Vec::new();
    // Numbered as the report numbers its windows ("Outage 4"), which it shows in the reader's zone.
    for (number, w) in (1..).zip(windows) {
        let Some(recovered) = w.recovered_at else {
            continue;
        };
        let boot = events.iter().find(|e| {
            e.event_id == 6005
                && e.provider.contains("EventLog")
                && e.time >= w.start
                && e.time <= recovered + Duration::minutes(30)
        });
        if let Some(boot) = boot {
            let gap = (recovered - boot.time).num_seconds();
            if gap >= 0 {
                notes.push(format!(
                    "Outage {number}: the server booted (Event 6005) {} before the first good check; the probes and the server agree within that margin.",
                    crate::timefmt::human_duration(gap)
                ));
            } else {
                notes.push(format!(
                    "Outage {number}: the first good check came {} BEFORE the server's boot event (6005): the server's clock and the probes' clocks disagree by at least that much.",
                    crate::timefmt::human_duration(-gap)
                ));
            }
        }
    }
    notes
}
