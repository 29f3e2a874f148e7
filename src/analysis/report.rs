//! The report model: everything the markdown and JSON reports say, computed once from the evidence.
use super::attribution;
use super::changes::{self, Change};
use super::clock::{self, ClockChange};
use super::downtime::{self, Downtime};
use super::event_findings::{self, EventFindings, StatedCrash};
use super::hosts::{self, Host};
use super::intervals::Intervals;
use super::metric_correlation::{self, MetricFinding};
use super::nature::{self, Nature};
use super::outages::{
    self, Blip, Maintenance, Outage, OutageAnalysis, OutageOptions, ProbeSummary, Transition,
};
use super::timeline::{self, TimelineEntry};
use crate::knowledge::events::{EventClass, EventRole};
use crate::model::{Event, InputReport, MetricSeries, ProbeSeries};
use crate::timefmt::Zone;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::HashMap;

pub const SCHEMA_VERSION: u32 = 1;
/// How many metrics are ranked as "correlated" per window at most.
pub const TOP_METRICS: usize = 5;

/// Downtime longer than this is listed, not made a window.
pub const LONGEST_DOWNTIME_WINDOW: Duration = Duration::days(7);

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
    /// The server, from the events' Computer field (or the counters' host): the host with the
    /// most events when there are several (see `hosts`).
    pub host: Option<String>,
    /// Every host of the evidence, renames joined.
    pub hosts: Vec<Host>,
    pub inputs: Vec<InputReport>,
    pub probes: Vec<ProbeSummary>,
    pub outages: Vec<OutageReport>,
    pub blips: Vec<Blip>,
    /// Planned downtime the monitors recorded (maintenance): never an outage.
    pub maintenance: Vec<Maintenance>,
    /// Every period a host was down, from its System log alone.
    pub downtime: Vec<Downtime>,
    /// Services that crashed or failed, until they ran again (7031/7034/7023/7024 to 7036).
    pub service_downtime: Vec<super::service_downtime::ServiceDowntime>,
    /// Windows of different hosts that overlapped: a shared cause is worth a look.
    pub overlaps: Vec<Overlap>,
    /// System time changes of a minute or more, and what was corrected for them.
    pub clock_changes: Vec<ClockChange>,
    /// Changes in the 30 days before the first window (or the end of the data), newest first.
    pub changes: Vec<Change>,
    pub data_quality: DataQuality,
    /// Seconds of lookback used for events and trends.
    pub lookback_seconds: i64,
}

#[derive(Debug, Serialize)]
pub struct OutageReport {
    #[serde(flatten)]
    pub window: Outage,
    /// The host the window is about, when known.
    pub host: Option<String>,
    pub nature: Nature,
    /// The events, checks or downtime records that decided `nature`.
    pub nature_evidence: Vec<String>,
    /// The host downtime (from the logs) inside this window.
    pub downtime: Vec<Downtime>,
    /// The other targets of this window's host: down with it, or answering.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_host: Option<super::shared_host::SharedHost>,
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

/// Windows of several hosts at once.
#[derive(Debug, Clone, Serialize)]
pub struct Overlap {
    pub hosts: Vec<String>,
    /// 1-based numbers of the windows, as the report numbers them.
    pub windows: Vec<usize>,
    #[serde(with = "crate::model::ser_time")]
    pub from: DateTime<Utc>,
    #[serde(with = "crate::model::ser_time")]
    pub to: DateTime<Utc>,
}

use super::data_quality::data_quality;
pub use super::data_quality::{DataQuality, Gap};
pub use super::outages::window_end;

/// `all_events` are taken by value: the clock corrections are made on them in place, with no copy of
/// a fleet's events.
pub fn build(
    mut all_events: Vec<Event>,
    probes: &[ProbeSeries],
    metrics: &[MetricSeries],
    inputs: Vec<InputReport>,
    mut notes: Vec<String>,
    opts: &ReportOptions,
) -> Report {
    // Clock corrections first: every later step uses the corrected times.
    let clocks = clock::correct(&mut all_events);
    let events = &all_events[..];
    let found_hosts = hosts::find_hosts(events, metrics, &inputs);
    let host_of = |c: &str| found_hosts.host_of(c);
    let downtime = downtime::find_downtime(events, &host_of, opts.server_zone);
    let service_downtime = super::service_downtime::find_service_downtime(events, &host_of);
    if downtime.implausible_times > 0 {
        notes.push(format!(
            "{} events dated before 1990 (a zero timestamp or an unset clock) are left out of the downtime analysis.",
            downtime.implausible_times
        ));
    }
    if downtime.boots_without_history > 0 {
        notes.push(format!(
            "{} boot(s) with no earlier record of the same host in the logs: the log begins there, so the downtime before cannot be sized.",
            downtime.boots_without_history
        ));
    }
    let analysis: OutageAnalysis = outages::find_outages(probes, &opts.outages);
    let in_range = |start: DateTime<Utc>, end: DateTime<Utc>| {
        opts.from.is_none_or(|f| end >= f) && opts.to.is_none_or(|t| start <= t)
    };
    // The machines the probes' targets name: a monitor of many is not all about the logs' host.
    let machines = hosts::target_machines(probes);
    notes.extend(found_hosts.many_machines_note(&machines));
    // Probe windows, then the downtime no probe covers as windows of its own.
    let mut windows: Vec<(Outage, Option<String>)> = analysis
        .outages
        .iter()
        .filter(|o| in_range(o.start, window_end(o)))
        .map(|o| (o.clone(), found_hosts.of_probe_window(o, &machines)))
        .collect();
    // With probes, the report is about the time they cover: downtime outside it is listed
    // (and is a change before the first window), not a window.
    let probe_span = probes
        .iter()
        .filter_map(|p| p.time_span())
        .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)));
    let mut long_downtime = 0;
    let mut unknown_length_downtime = 0;
    for d in &downtime.periods {
        let covered = probes.iter().any(|p| {
            p.time_span()
                .is_some_and(|(first, last)| first <= d.down_at && last >= d.up_at)
        });
        let outside = probe_span.is_some_and(|(from, to)| d.up_at < from || d.down_at > to);
        // Weeks without a record are a machine kept off or an image booted later, not an outage.
        let too_long = d
            .duration_seconds
            .is_some_and(|s| s > LONGEST_DOWNTIME_WINDOW.num_seconds());
        if too_long {
            long_downtime += 1;
        }
        let unknown_length = d.duration_seconds.is_none();
        if unknown_length && !covered && !outside {
            unknown_length_downtime += 1;
        }
        if !covered && !outside && !too_long && !unknown_length && in_range(d.down_at, d.up_at) {
            windows.push((downtime_window(d), Some(d.host.clone())));
        }
    }
    if long_downtime > 0 {
        notes.push(format!(
            "{long_downtime} downtime period(s) longer than {} days are listed but are no windows: a machine kept off, or an image first booted long after it was made.",
            LONGEST_DOWNTIME_WINDOW.num_days()
        ));
    }
    if unknown_length_downtime > 0 {
        notes.push(format!(
            "{unknown_length_downtime} downtime period(s) whose shutdown is stamped after the boot (the clock was set back across the restart) are listed but are no windows: how long they lasted is not known."
        ));
    }
    windows.sort_by_key(|(w, _)| w.start);
    let outages_only: Vec<Outage> = windows.iter().map(|(w, _)| w.clone()).collect();
    let window_hosts: Vec<Option<String>> = windows.iter().map(|(_, h)| h.clone()).collect();
    let owned = attribution::attribute(
        events,
        &outages_only,
        &window_hosts,
        &host_of,
        opts.lookback,
    );
    let claims = attribution::claims(&outages_only, opts.lookback);
    let inside = downtime_inside(&downtime.periods, &windows);
    let mut reports: Vec<OutageReport> = windows
        .iter()
        .enumerate()
        .map(|(i, (w, host))| {
            let mine: Vec<&Event> = owned[i].iter().map(|&k| &events[k]).collect();
            let down: Vec<Downtime> = inside[i]
                .iter()
                .map(|&k| downtime.periods[k].clone())
                .collect();
            outage_report(
                w,
                host.clone(),
                &mine,
                down,
                metrics,
                &analysis.transitions,
                &clocks.changes,
                &analysis.maintenance,
                claims[i],
                opts,
            )
        })
        .collect();
    add_related(&mut reports);
    let window_refs: Vec<&Outage> = reports.iter().map(|r| &r.window).collect();
    let shared = super::shared_host::shared_hosts(&window_refs, &analysis.probes);
    for (r, s) in reports.iter_mut().zip(shared) {
        r.shared_host = s;
    }
    let changes_before = outages_only
        .first()
        .map(|w| w.start)
        .or_else(|| events.last().map(|e| e.time + Duration::seconds(1)));
    let changes = changes_before
        .map(|t| changes::find_changes(events, t))
        .unwrap_or_default();
    let mut data_quality = data_quality(
        &inputs,
        notes,
        &outages_only,
        &analysis,
        metrics,
        events,
        opts.lookback,
    );
    data_quality.corrected_event_times = clocks.corrected_events() as u64;
    let (shown, kept): (Vec<&ClockChange>, Vec<&ClockChange>) =
        clocks.changes.iter().partition(|c| {
            c.corrected_events > 0 || c.verdict == "undoes" || c.verdict == "record-order"
        });
    let parts = &mut data_quality.clock_parts;
    parts.small_adjustments = clocks.small_adjustments;
    parts.unlisted_steps = kept.len() as u64;
    parts.listed = shown
        .iter()
        .map(|c| {
            format!(
                "{} {}: {}: {}.",
                c.host,
                c.time.format("%Y-%m-%d %H:%M:%S UTC"),
                c.words(),
                c.explanation
            )
        })
        .collect();
    data_quality.clock = data_quality.clock_parts.lines();
    let mut host_list = found_hosts.hosts.clone();
    for h in &mut host_list {
        let mine = || downtime.periods.iter().filter(|d| d.host == h.name);
        h.downtime_seconds = mine().filter_map(|d| d.duration_seconds).sum();
        h.downtime_unknown = mine().filter(|d| d.duration_seconds.is_none()).count() as u64;
        h.windows = reports
            .iter()
            .filter(|r| r.host.as_deref() == Some(h.name.as_str()))
            .count() as u64;
    }
    let overlaps = overlaps(&reports);
    let report = Report {
        schema_version: SCHEMA_VERSION,
        host: found_hosts.report_host(events, metrics),
        hosts: host_list,
        inputs,
        probes: analysis.probes,
        outages: reports,
        blips: analysis.blips,
        maintenance: analysis.maintenance,
        downtime: downtime.periods,
        service_downtime,
        overlaps,
        clock_changes: clocks.changes,
        changes,
        data_quality,
        lookback_seconds: opts.lookback.num_seconds(),
    };
    // Every event read, most of them never shown: freed while the report is written.
    crate::memory::free_elsewhere(all_events);
    report
}

/// A downtime no probe saw, as a window.
fn downtime_window(d: &Downtime) -> Outage {
    Outage {
        kind: crate::model::OutageKind::HostDown,
        target: None,
        start: d.down_at,
        last_failure: d.up_at,
        recovered_at: Some(d.up_at),
        duration_seconds: d.duration_seconds,
        probes: Vec::new(),
        answered: Vec::new(),
    }
}

/// The downtime periods inside each window (of its host, or of no host), in the periods' order.
fn downtime_inside(periods: &[Downtime], windows: &[(Outage, Option<String>)]) -> Vec<Vec<usize>> {
    // A shutdown stamped after its boot (clock set back) spans the two times either way.
    let index = Intervals::new(
        periods
            .iter()
            .map(|d| (d.down_at.min(d.up_at), d.down_at.max(d.up_at))),
    );
    windows
        .iter()
        .map(|(w, host)| {
            let mut inside = index.overlapping(w.start, window_end(w));
            inside.retain(|&k| {
                let d = &periods[k];
                d.host.is_empty() || host.as_ref().is_none_or(|h| *h == d.host)
            });
            inside
        })
        .collect()
}

/// Windows of different hosts that overlap in time, merged into groups.
pub(super) fn overlaps(reports: &[OutageReport]) -> Vec<Overlap> {
    let spans: Vec<HostSpan> = reports
        .iter()
        .map(|r| (r.host.as_deref(), r.window.start, window_end(&r.window)))
        .collect();
    overlap_groups(&spans)
}

/// A window's host (if known), start and end.
type HostSpan<'a> = (Option<&'a str>, DateTime<Utc>, DateTime<Utc>);

/// Each pair of windows of different hosts that overlap, in order (i, then j > i), joins the
/// first group of window i whose shared span stays open with it, else starts a group.
fn overlap_groups(windows: &[HostSpan]) -> Vec<Overlap> {
    let index = Intervals::new(windows.iter().map(|&(_, s, e)| (s, e)));
    let mut out: Vec<Overlap> = Vec::new();
    // The groups (places in `out`, ascending) each window is in.
    let mut groups_of: Vec<Vec<usize>> = vec![Vec::new(); windows.len()];
    for (i, &(ha, sa, ea)) in windows.iter().enumerate() {
        let Some(ha) = ha else { continue };
        for j in index.overlapping(sa, ea) {
            let (Some(hb), sb, eb) = windows[j] else {
                continue;
            };
            let (from, to) = (sa.max(sb), ea.min(eb));
            if j <= i || ha == hb || from > to {
                continue;
            }
            // Join the group of window i only while the span all of them share stays open.
            let joins = groups_of[i]
                .iter()
                .copied()
                .find(|&g| out[g].from.max(from) <= out[g].to.min(to));
            let g = joins.unwrap_or(out.len());
            match joins {
                Some(g) => {
                    let o = &mut out[g];
                    if !o.hosts.iter().any(|h| h == hb) {
                        o.hosts.push(hb.to_string());
                    }
                    o.from = o.from.max(from);
                    o.to = o.to.min(to);
                }
                None => {
                    out.push(Overlap {
                        hosts: vec![ha.to_string(), hb.to_string()],
                        windows: vec![i + 1],
                        from,
                        to,
                    });
                    groups_of[i].push(g);
                }
            }
            if let Err(at) = groups_of[j].binary_search(&g) {
                groups_of[j].insert(at, g);
                out[g].windows.push(j + 1);
            }
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn outage_report(
    w: &Outage,
    host: Option<String>,
    events: &[&Event],
    downtime: Vec<Downtime>,
    metrics: &[MetricSeries],
    transitions: &[Transition],
    clock_changes: &[ClockChange],
    maintenance: &[Maintenance],
    claim: attribution::Claim,
    opts: &ReportOptions,
) -> OutageReport {
    let end = window_end(w);
    let findings: EventFindings = event_findings::find_events(events, w.start, opts.server_zone);
    let metric_findings =
        metric_correlation::correlate(metrics, w.start, end, opts.lookback, TOP_METRICS);
    let (nature, nature_evidence) = nature::nature_of(
        w,
        &findings.groups,
        &downtime,
        maintenance,
        &metric_findings,
    );
    let timeline = timeline::for_window(
        w,
        &findings,
        &metric_findings,
        transitions,
        clock_changes,
        claim,
    );
    OutageReport {
        window: w.clone(),
        host,
        nature,
        nature_evidence,
        downtime,
        shared_host: None,
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
pub const SIGNATURE_CLASSES: [EventClass; 3] = [
    EventClass::ResourceExhaustion,
    EventClass::Crash,
    EventClass::Storage,
];

/// The group is part of a window's signature.
pub fn is_signature(g: &event_findings::EventGroup) -> bool {
    g.class.0.is_some_and(|c| SIGNATURE_CLASSES.contains(&c))
}

/// The events worth marking on a picture of a window (the chart, dashboard annotations): every
/// signature-class group, the first planned restart and the boot (6005, else the first boot
/// event), in time order.
pub fn marked_events(o: &OutageReport) -> Vec<&event_findings::EventGroup> {
    let mut out: Vec<&event_findings::EventGroup> =
        o.events.iter().filter(|g| is_signature(g)).collect();
    let first_of = |class: EventClass| {
        o.events
            .iter()
            .filter(|g| g.class.is(class))
            .min_by_key(|g| g.first)
    };
    out.extend(first_of(EventClass::PlannedRestart));
    let boot = o
        .events
        .iter()
        .find(|g| g.roles.contains(&EventRole::LogStart))
        .or_else(|| first_of(EventClass::Boot));
    out.extend(boot);
    out.sort_by_key(|g| g.first);
    out
}

/// Signature: the non-routine (provider, id) pairs of a window's events.
fn signature(r: &OutageReport) -> Vec<String> {
    r.events
        .iter()
        .filter(|g| is_signature(g))
        .map(|g| format!("{}:{}", g.provider, g.event_id))
        .collect()
}

pub(super) fn add_related(reports: &mut [OutageReport]) {
    let sigs: Vec<Vec<String>> = reports.iter().map(signature).collect();
    // Windows down together share their events: they are one outage, not related incidents.
    let windows: Vec<Outage> = reports.iter().map(|r| r.window.clone()).collect();
    let together = attribution::overlapping(&windows);
    let related = related_pairs(&sigs, &together);
    for (report, pairs) in reports.iter_mut().zip(related) {
        report.related = pairs
            .into_iter()
            .map(|(j, shared)| Related {
                start: windows[j].start,
                duration_seconds: windows[j].duration_seconds,
                kind: windows[j].kind.as_str().to_string(),
                shared_events: shared,
            })
            .collect();
    }
}

/// For each window, the other windows (ascending) that share entries of its signature, with
/// those entries in its signature's order; windows down together (`together`, ascending) are
/// left out. Only windows that carry one of its entries are looked at.
fn related_pairs(sigs: &[Vec<String>], together: &[Vec<usize>]) -> Vec<Vec<(usize, Vec<String>)>> {
    let mut carriers: HashMap<&str, Vec<usize>> = HashMap::new();
    for (j, sig) in sigs.iter().enumerate() {
        for s in sig {
            let list = carriers.entry(s).or_default();
            if list.last() != Some(&j) {
                list.push(j);
            }
        }
    }
    sigs.iter()
        .enumerate()
        .map(|(i, sig)| {
            let mut others: Vec<usize> = sig
                .iter()
                .flat_map(|s| carriers.get(s.as_str()).into_iter().flatten().copied())
                .collect();
            others.sort_unstable();
            others.dedup();
            others
                .into_iter()
                .filter(|&j| j != i && together[i].binary_search(&j).is_err())
                .map(|j| {
                    (
                        j,
                        sig.iter()
                            .filter(|s| sigs[j].contains(s))
                            .cloned()
                            .collect(),
                    )
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
#[path = "report_tests.rs"]
mod tests;
