//! What the logs alone say: downtime periods, services down, and the hosts.
use super::text::*;
use crate::analysis::report::Report;
use crate::timefmt::human_duration;
use std::fmt::Write as _;

/// The downtime table's header and rows, every input text through `esc` (markdown and HTML).
pub(crate) const DOWNTIME_HEADER: [&str; 7] = [
    "host",
    "nature",
    "went down",
    "came back",
    "down for",
    "what the log says",
    "records",
];

pub(crate) fn downtime_rows(
    report: &Report,
    clock: &Clock,
    esc: &dyn Fn(&str) -> String,
) -> Vec<Vec<String>> {
    report
        .downtime
        .iter()
        .map(|d| {
            let records: Vec<String> = d
                .evidence
                .iter()
                .map(|e| match e.record_id {
                    Some(r) => format!("{} #{r}", e.event_id),
                    None => e.event_id.to_string(),
                })
                .collect();
            vec![
                esc(&d.host),
                d.nature.as_str().to_string(),
                format!("{} ({})", clock.full(&d.down_at), esc(&d.down_basis)),
                format!("{} ({})", clock.full(&d.up_at), esc(&d.up_basis)),
                d.duration_seconds
                    .map(human_duration)
                    .unwrap_or_else(|| "not known (clock set back)".into()),
                esc(&d.summary),
                records.join(", "),
            ]
        })
        .collect()
}

pub(crate) const DOWNTIME_INTRO: &str =
    "Every boot in the System log ends a downtime; the records before it say how it began.";

pub(crate) const HOSTS_HEADER: [&str; 5] = ["host", "also named", "events", "downtime", "windows"];

/// The hosts table (when there are several or one was renamed) and the lines under it.
pub(crate) fn host_rows(
    report: &Report,
    clock: &Clock,
    esc: &dyn Fn(&str) -> String,
) -> Option<(Vec<Vec<String>>, Vec<String>)> {
    let renamed = report.hosts.iter().any(|h| !h.former_names.is_empty());
    if report.hosts.len() < 2 && !renamed {
        return None;
    }
    let rows = report
        .hosts
        .iter()
        .map(|h| {
            vec![
                esc(&h.name),
                esc(&h.former_names.join(", ")),
                h.events.to_string(),
                match h.downtime_unknown {
                    0 => human_duration(h.downtime_seconds),
                    n => format!(
                        "{} + {n} of a length not known",
                        human_duration(h.downtime_seconds)
                    ),
                },
                h.windows.to_string(),
            ]
        })
        .collect();
    let mut lines: Vec<String> = report
        .hosts
        .iter()
        .flat_map(|h| h.renames.iter().map(|r| format!("Renamed: {}.", esc(r))))
        .collect();
    for o in &report.overlaps {
        let numbers: Vec<String> = o.windows.iter().map(|n| format!("Outage {n}")).collect();
        lines.push(format!(
            "{} hosts were down together {} ({}: {}): a shared cause (their network, storage or hypervisor) is worth a look.",
            o.hosts.len(),
            clock.range(&o.from, &o.to),
            numbers.join(", "),
            esc(&o.hosts.join(", "))
        ));
    }
    Some((rows, lines))
}

/// Every period a host was down, from its logs.
pub(crate) fn downtime(s: &mut String, report: &Report, clock: &Clock) {
    if report.downtime.is_empty() {
        return;
    }
    let _ = writeln!(s, "## Downtime from the logs\n\n{DOWNTIME_INTRO}\n");
    md_table(s, &DOWNTIME_HEADER, &downtime_rows(report, clock, &md));
}

/// How many service downtimes the report lists; the rest are counted (all are in the JSON).
pub(crate) const SERVICES_LISTED: usize = 20;

pub(crate) const SERVICES_HEADER: [&str; 5] =
    ["host", "service", "down", "running again", "down for"];

/// The service downtime rows (at most `SERVICES_LISTED`, longest first) and how many more.
pub(crate) fn service_rows(
    report: &Report,
    clock: &Clock,
    esc: &dyn Fn(&str) -> String,
) -> (Vec<Vec<String>>, usize) {
    let mut list: Vec<_> = report.service_downtime.iter().collect();
    list.sort_by_key(|d| {
        (
            std::cmp::Reverse(d.duration_seconds.unwrap_or(i64::MAX)),
            d.down_at,
        )
    });
    let rows = list
        .iter()
        .take(SERVICES_LISTED)
        .map(|d| {
            let record = |r: Option<u64>| r.map(|r| format!(" (#{r})")).unwrap_or_default();
            vec![
                esc(&d.host),
                esc(&d.service),
                format!(
                    "{} {} ({}{}){}",
                    clock.full(&d.down_at),
                    d.how,
                    d.down_event_id,
                    record(d.down_record),
                    if d.repeats > 0 {
                        format!(", then {} more times", d.repeats)
                    } else {
                        String::new()
                    }
                ),
                d.running_at
                    .map(|t| format!("{} (7036{})", clock.full(&t), record(d.running_record)))
                    .unwrap_or_else(|| "not in the log before the next boot".into()),
                d.duration_seconds
                    .map(human_duration)
                    .unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    (rows, list.len().saturating_sub(SERVICES_LISTED))
}

pub(crate) fn services_down(s: &mut String, report: &Report, clock: &Clock) {
    if report.service_downtime.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "## Services down\n\nServices that crashed or failed (7031, 7034, 7023, 7024) until their 7036 said running again.\n"
    );
    let (rows, more) = service_rows(report, clock, &md);
    md_table(s, &SERVICES_HEADER, &rows);
    if more > 0 {
        let _ = writeln!(s, "{more} more in the JSON's service\\_downtime.\n");
    }
}

/// Hosts, when there are several or one was renamed, and windows that overlapped across hosts.
pub(crate) fn hosts(s: &mut String, report: &Report, clock: &Clock) {
    let Some((rows, lines)) = host_rows(report, clock, &md) else {
        return;
    };
    let _ = writeln!(s, "## Hosts\n");
    md_table(s, &HOSTS_HEADER, &rows);
    for l in &lines {
        let _ = writeln!(s, "- {l}");
    }
    if !lines.is_empty() {
        let _ = writeln!(s);
    }
}
