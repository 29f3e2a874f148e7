//! Shared pieces of the markdown report: escaping, times in the reader's zone, the main window,
//! and the words and lists several sections use (the HTML report uses them too).
use crate::analysis::metric_correlation::MetricFinding;
use crate::analysis::report::{OutageReport, Report};
use crate::timefmt::{human_duration, Zone};
use chrono::{DateTime, Utc};
use std::fmt::Write as _;

/// Escapes text from inputs for markdown tables and prose: no table breaks, no HTML, no code spans.
pub fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '\\' => out.push_str("\\\\"),
            '`' => out.push_str("\\`"),
            '*' => out.push_str("\\*"),
            '_' => out.push_str("\\_"),
            '[' => out.push_str("\\["),
            ']' => out.push_str("\\]"),
            '#' => out.push_str("\\#"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' | '\n' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// "16:58 PDT (23:58 UTC)" style, with the date when asked.
pub(crate) struct Clock {
    pub(crate) zone: Zone,
}

impl Clock {
    pub(crate) fn full(&self, t: &DateTime<Utc>) -> String {
        if self.zone.is_utc() {
            self.zone.format_short(t)
        } else {
            format!(
                "{} ({} UTC)",
                self.zone.format_short(t),
                t.format("%Y-%m-%d %H:%M")
            )
        }
    }
    pub(crate) fn local(&self, t: &DateTime<Utc>) -> String {
        self.zone.format(t)
    }
    /// "on 2011-08-15 from 16:58 to 18:28 PDT (23:58 to 01:28 UTC)", dates repeated only when needed,
    /// seconds shown when the minutes alone would make a 6-second window read "18:40 to 18:40".
    pub(crate) fn range(&self, a: &DateTime<Utc>, b: &DateTime<Utc>) -> String {
        let (la, lb) = (a.with_timezone(&self.zone.0), b.with_timezone(&self.zone.0));
        let same_day = la.date_naive() == lb.date_naive();
        let hm = time_format(&self.zone.0, a, b);
        let local = if same_day {
            format!(
                "on {} from {} to {} {}",
                la.format("%Y-%m-%d"),
                la.format(hm),
                lb.format(hm),
                lb.format("%Z")
            )
        } else {
            format!(
                "from {} {} to {} {} {}",
                la.format("%Y-%m-%d"),
                la.format(hm),
                lb.format("%Y-%m-%d"),
                lb.format(hm),
                lb.format("%Z")
            )
        };
        if self.zone.is_utc() {
            local
        } else {
            format!("{local} ({} to {} UTC)", a.format(hm), b.format(hm))
        }
    }
    pub(crate) fn local_short(&self, t: &DateTime<Utc>) -> String {
        t.with_timezone(&self.zone.0).format("%H:%M").to_string()
    }
    /// Two times of one sentence ("went down at 18:40:18 and came back at 18:40:24"): with
    /// seconds when they fall in the same minute.
    pub(crate) fn local_pair(&self, a: &DateTime<Utc>, b: &DateTime<Utc>) -> (String, String) {
        let hm = time_format(&self.zone.0, a, b);
        let local = |t: &DateTime<Utc>| t.with_timezone(&self.zone.0).format(hm).to_string();
        (local(a), local(b))
    }
    pub(crate) fn utc(&self, t: &DateTime<Utc>) -> String {
        t.format("%Y-%m-%d %H:%M:%S").to_string()
    }
}

/// `%H:%M`, or `%H:%M:%S` when `a` and `b` are different times of one minute in `zone`.
fn time_format(zone: &chrono_tz::Tz, a: &DateTime<Utc>, b: &DateTime<Utc>) -> &'static str {
    let minute = |t: &DateTime<Utc>| {
        let local = t.with_timezone(zone).naive_local();
        local.and_utc().timestamp().div_euclid(60)
    };
    if a != b && minute(a) == minute(b) {
        "%H:%M:%S"
    } else {
        "%H:%M"
    }
}

/// "Srv 2020 (System)": an event group's provider, id and log; a file that does not say which log
/// it is (a legacy `.evt`) has no "()".
pub(crate) fn event_label(
    g: &crate::analysis::event_findings::EventGroup,
    esc: &dyn Fn(&str) -> String,
) -> String {
    if g.channel.is_empty() {
        format!("{} {}", esc(&g.provider), g.event_id)
    } else {
        format!("{} {} ({})", esc(&g.provider), g.event_id, esc(&g.channel))
    }
}

/// "on 2024-03-01 from 10:10 to 10:13 UTC (3m)": where a window's probes answered again inside
/// it (outages minutes apart, one window), `None` when they never did.
pub(crate) fn answered_words(o: &OutageReport, clock: &Clock) -> Option<String> {
    let spans: Vec<String> = o
        .window
        .answered
        .iter()
        .map(|a| {
            format!(
                "{} ({})",
                clock.range(&a.from, &a.to),
                human_duration((a.to - a.from).num_seconds())
            )
        })
        .collect();
    (!spans.is_empty()).then(|| spans.join("; "))
}

/// How long a window lasted: to its recovery, else to its last failed check.
fn window_seconds(o: &OutageReport) -> i64 {
    o.window
        .duration_seconds
        .unwrap_or_else(|| (o.window.last_failure - o.window.start).num_seconds())
}

/// Other windows given a section of their own after the main one, at most.
pub(crate) const OTHER_WINDOWS_DETAILED: usize = 10;
/// Rows of the window table, at most. Every window is in the JSON.
pub(crate) const WINDOW_TABLE_ROWS: usize = 100;

/// Which windows a report of many shows (a year of a System log has hundreds of boots, a monitor
/// export thousands of problems): the longest, in the report's order, and what is left out.
pub(crate) struct ShownWindows {
    /// The window table's rows: the main window and the longest others.
    pub(crate) rows: Vec<usize>,
    /// The windows after the main one with a section of their own.
    pub(crate) detailed: Vec<usize>,
}

pub(crate) fn shown_windows(report: &Report, primary: Option<usize>) -> ShownWindows {
    let longest = |n: usize| -> Vec<usize> {
        let mut order: Vec<usize> = (0..report.outages.len())
            .filter(|&i| Some(i) != primary)
            .collect();
        order.sort_by_key(|&i| (std::cmp::Reverse(window_seconds(&report.outages[i])), i));
        order.truncate(n);
        order.sort_unstable();
        order
    };
    let mut rows = longest(WINDOW_TABLE_ROWS.saturating_sub(usize::from(primary.is_some())));
    if let Some(p) = primary {
        rows.insert(rows.partition_point(|&i| i < p), p);
    }
    ShownWindows {
        rows,
        detailed: longest(OTHER_WINDOWS_DETAILED),
    }
}

/// "42 shorter windows, from 2011-08-01 02:00 to 2011-09-30 17:00, 3h 5m in all": the windows
/// not in `shown` (sorted), `which` ("shorter", "other") they are.
pub(crate) fn windows_left_out(
    report: &Report,
    shown: &[usize],
    which: &str,
    clock: &Clock,
) -> Option<String> {
    let mut out = (0..report.outages.len()).filter(|i| shown.binary_search(i).is_err());
    let first = out.next()?;
    let (mut n, mut last, mut seconds) = (1, first, window_seconds(&report.outages[first]));
    for i in out {
        (n, last) = (n + 1, i);
        seconds += window_seconds(&report.outages[i]);
    }
    Some(format!(
        "{} {which} window{}, from {} to {}, {} in all",
        n,
        if n == 1 { "" } else { "s" },
        clock.full(&report.outages[first].window.start),
        clock.full(&report.outages[last].window.start),
        human_duration(seconds)
    ))
}

/// The window the report is mostly about: the longest service outage, else the longest window.
pub fn primary_index(report: &Report) -> Option<usize> {
    let dur = window_seconds;
    let service = report
        .outages
        .iter()
        .enumerate()
        .filter(|(_, o)| o.window.kind == crate::model::OutageKind::Service)
        .max_by_key(|(_, o)| dur(o))
        .map(|(i, _)| i);
    service.or_else(|| {
        report
            .outages
            .iter()
            .enumerate()
            .max_by_key(|(_, o)| dur(o))
            .map(|(i, _)| i)
    })
}

pub(crate) fn probes_down(o: &OutageReport) -> Vec<String> {
    o.window
        .probes
        .iter()
        .filter(|p| p.failures > 0)
        .map(|p| p.probe.clone())
        .collect()
}

pub(crate) fn signature_events(
    o: &OutageReport,
) -> Vec<&crate::analysis::event_findings::EventGroup> {
    o.events
        .iter()
        .filter(|g| {
            matches!(
                g.class.as_str(),
                "resource-exhaustion" | "crash" | "storage"
            )
        })
        .collect()
}

pub(crate) fn correlated(o: &OutageReport) -> Vec<&MetricFinding> {
    o.metrics.iter().filter(|m| m.correlated).collect()
}

pub(crate) fn kind_words(kind: &str) -> &'static str {
    match kind {
        "service" => "a service outage (the probe on the server itself failed too, so the server itself did not answer)",
        "network" => "a network problem (remote probes failed while the local probe kept answering)",
        "partial" => "a partial outage (a single probe failed while the others answered)",
        "host-down" => "the host down (no probe covers it: its own logs record the shutdown or crash and the boot)",
        _ => "an unclassified outage (all remote probes failed; no local probe is known)",
    }
}

/// "1 time", "3 times".
pub(crate) fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub(crate) fn short_name(m: &MetricFinding) -> String {
    m.short_name()
}

pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut t: String = text.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

pub(crate) fn lead_words(seconds: i64) -> String {
    if seconds < 0 {
        format!("{} before", human_duration(-seconds))
    } else if seconds == 0 {
        "at the start".into()
    } else {
        format!("{} after", human_duration(seconds))
    }
}

pub(crate) fn md_table(s: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let _ = writeln!(s, "| {} |", header.join(" | "));
    let _ = writeln!(s, "|{}", "---|".repeat(header.len()));
    for r in rows {
        let _ = writeln!(s, "| {} |", r.join(" | "));
    }
    let _ = writeln!(s);
}

/// "nature: resource exhaustion (Srv 2020 x21)": the nature and the first record that decided it.
pub(crate) fn nature_words(o: &OutageReport, esc: &dyn Fn(&str) -> String) -> String {
    match o.nature_evidence.first() {
        Some(first) if o.nature != crate::analysis::nature::Nature::Unknown => {
            // The records are in the window's own section; the sentence keeps the words.
            let first = first.split(" (records ").next().unwrap_or(first);
            format!("by its evidence, {}: {}", o.nature.words(), esc(first))
        }
        _ => "its nature is unknown from the evidence".into(),
    }
}

/// The title's host ("N hosts" when several) and date (the main window's, in `zone`).
pub(crate) fn title_parts(report: &Report, zone: Zone) -> (String, String) {
    let host = match report.hosts.len() {
        0 | 1 => report.host.clone().unwrap_or_else(|| "unknown host".into()),
        n => format!("{n} hosts"),
    };
    let date = primary_index(report)
        .map(|i| {
            report.outages[i]
                .window
                .start
                .with_timezone(&zone.0)
                .format("%Y-%m-%d")
                .to_string()
        })
        .unwrap_or_else(|| "no outage found".into());
    (host, date)
}
