//! Zabbix's Problems page as CSV (Monitoring → Problems → Export to CSV): one row per problem,
//! `"Severity","Time","Recovery time","Status","Host","Problem",...,"Duration","Ack","Actions",
//! "Tags"`, times `Y-m-d H:i:s` in the UI user's zone. A row is down from its Time to its Recovery
//! time; a problem still open (`PROBLEM`, `CLOSING`, no Recovery time) is down to the end of the
//! file's data, as the NDJSON reader keeps an open problem. Targets are the NDJSON reader's:
//! `host: problem name`.
use super::states::StatesBuilder;
use super::store::{Counted, ProbeStoreRead};
use crate::error::{Error, Result};
use crate::model::ProbeState;
use crate::timefmt::{RepeatedHour, Zone};
use chrono::{DateTime, NaiveDateTime, Utc};
use std::path::Path;

pub const KIND: super::StoreKind = super::StoreKind::ZabbixCsv;

/// Where the columns the reader needs are, by their (English) header names.
#[derive(Debug, Clone, Copy)]
struct Columns {
    time: usize,
    recovery: usize,
    status: usize,
    host: usize,
    problem: usize,
    severity: Option<usize>,
}

fn header_columns(cells: &[String]) -> Option<Columns> {
    let norm: Vec<String> = cells
        .iter()
        .map(|c| c.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let pos = |name: &str| norm.iter().position(|c| c == name);
    Some(Columns {
        time: pos("time")?,
        recovery: pos("recovery time")?,
        status: pos("status")?,
        host: pos("host")?,
        problem: pos("problem")?,
        severity: pos("severity"),
    })
}

fn csv_reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
}

/// The first line is the Problems page's CSV header.
pub fn sniff(head: &[u8]) -> bool {
    let text = crate::source::text::decode_head(head);
    let text = text.trim_start_matches('\u{feff}');
    let Some(first) = text.lines().map(str::trim).find(|l| !l.is_empty()) else {
        return false;
    };
    let cells: Vec<String> = csv_reader(first)
        .records()
        .next()
        .and_then(|r| r.ok())
        .map(|r| r.iter().map(str::to_string).collect())
        .unwrap_or_default();
    header_columns(&cells).is_some()
}

/// `2011-08-15 16:58:03` (the UI's `Y-m-d H:i:s`).
fn ui_time(text: &str) -> Option<NaiveDateTime> {
    let s = text.trim();
    // The UI's own shape, read by position (chrono's format parser was the largest cost of a row).
    if s.len() == 19 && s.as_bytes()[10] == b' ' {
        if let Some(t) = crate::timefmt::parse_zoneless_utc_quick(s) {
            return Some(t.naive_utc());
        }
    }
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
}

/// What a row's Status says.
fn status_state(word: &str) -> Option<ProbeState> {
    match word.trim().to_ascii_uppercase().as_str() {
        "PROBLEM" | "CLOSING" | "RESOLVED" => Some(ProbeState::Down),
        _ => None,
    }
}

/// One problem row, its times still local.
struct Row {
    line: u64,
    series: usize,
    /// Down, or unknown for a Status faultline does not know.
    state: ProbeState,
    start: NaiveDateTime,
    recovery: Option<NaiveDateTime>,
}

/// Reads the Problems CSV; its times are in `zone` (the Zabbix user's, from `--input-tz`).
pub fn read(path: &Path, zone: Zone) -> Result<ProbeStoreRead> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    read_bytes(path, &bytes, zone)
}

pub fn read_bytes(path: &Path, bytes: &[u8], zone: Zone) -> Result<ProbeStoreRead> {
    let text = crate::source::text::decode_head(bytes);
    let text = text.trim_start_matches('\u{feff}');
    let mut b = StatesBuilder::new(path, KIND);
    b.note("Zabbix Problems CSV: down from Time to Recovery time; a problem with no Recovery time is down to the end of the file's data");
    let mut records = csv_reader(text).into_records();
    let columns = loop {
        match records.next() {
            Some(Ok(r)) if r.iter().all(|c| c.trim().is_empty()) => continue,
            Some(Ok(r)) => {
                let cells: Vec<String> = r.iter().map(str::to_string).collect();
                break header_columns(&cells).ok_or_else(|| {
                    Error::bad_input(path, "no Zabbix Problems header (Time, Recovery time, Status, Host, Problem) on its first line")
                })?;
            }
            Some(Err(e)) => return Err(Error::bad_input(path, format!("not CSV: {e}"))),
            None => return Err(Error::bad_input(path, "empty: no Zabbix Problems header")),
        }
    };
    let mut rows: Vec<Row> = Vec::new();
    let mut statuses = Counted::default();
    let mut severities = Counted::default();
    let mut multi_host = 0u64;
    for record in records {
        let r = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                b.damaged(format!("line {line}: not a CSV row ({e})"));
                continue;
            }
        };
        let line = r.position().map_or(0, |p| p.line());
        let cell = |i: usize| r.get(i).map(str::trim).unwrap_or("");
        if r.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let Some(start) = ui_time(cell(columns.time)) else {
            b.damaged(format!(
                "line {line}: no Time (YYYY-MM-DD HH:MM:SS) in {:?}",
                cell(columns.time)
            ));
            continue;
        };
        let recovery = match cell(columns.recovery) {
            "" => None,
            t => match ui_time(t) {
                Some(t) => Some(t),
                None => {
                    b.damaged(format!(
                        "line {line}: a Recovery time that is not YYYY-MM-DD HH:MM:SS: {t:?}"
                    ));
                    continue;
                }
            },
        };
        let (host, problem) = (cell(columns.host), cell(columns.problem));
        if problem.is_empty() {
            b.damaged(format!("line {line}: no Problem name"));
            continue;
        }
        let status = cell(columns.status).to_ascii_uppercase();
        if status == "RESOLVED" && recovery.is_none() {
            b.damaged(format!("line {line}: RESOLVED without a Recovery time"));
            continue;
        }
        let state = match status_state(&status) {
            Some(s) => {
                statuses.add(&status);
                s
            }
            None => {
                b.unknown_word(&status);
                ProbeState::Unknown
            }
        };
        // Several hosts of one trigger are joined by ", ": the first is the NDJSON's host.
        let first_host = host.split(", ").next().unwrap_or("");
        if first_host.len() < host.len() {
            multi_host += 1;
        }
        if let Some(i) = columns.severity {
            if !cell(i).is_empty() {
                severities.add(cell(i));
            }
        }
        let what = if first_host.is_empty() {
            problem.to_string()
        } else {
            format!("{first_host}: {problem}")
        };
        let series = b.series_for(&what, &what);
        rows.push(Row {
            line,
            series,
            state,
            start,
            recovery,
        });
    }
    let timed = place_in_zone(&mut b, rows, zone);
    add_problems(&mut b, &timed);
    if !statuses.is_empty() {
        b.note(format!("statuses: {}", statuses.render()));
    }
    if !severities.is_empty() {
        b.note(format!("severities: {}", severities.render()));
    }
    if multi_host > 0 {
        b.note(format!(
            "{multi_host} problems of triggers on several hosts: read as the first host's"
        ));
    }
    let open = timed.iter().filter(|p| p.end.is_none()).count();
    if open > 0 {
        b.note(format!(
            "{open} problems still open at the end of the export: down until its end, not recovered"
        ));
    }
    let read = b.finish();
    if read.probes.is_empty() && read.report.records_skipped > 0 {
        return Err(Error::bad_input(
            path,
            format!(
                "no Zabbix problem could be read ({} rows damaged; first: {})",
                read.report.records_skipped,
                read.report.problems.first().map_or("", String::as_str)
            ),
        ));
    }
    Ok(read)
}

/// A problem with its times in UTC.
struct Problem {
    series: usize,
    state: ProbeState,
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
}

/// The rows' local times in `zone`: a Time in a repeated DST hour is resolved by the file's order
/// (newest first, as the page sorts by default), a Recovery time takes its first reading not
/// before the Time. A time in a skipped hour is a damaged row.
fn place_in_zone(b: &mut StatesBuilder, rows: Vec<Row>, zone: Zone) -> Vec<Problem> {
    let descending = rows
        .first()
        .zip(rows.last())
        .is_some_and(|(f, l)| f.start > l.start);
    let mut hour = RepeatedHour::default();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(r) = zone.reading(row.start) else {
            b.damaged(format!(
                "line {}: {} does not exist in {} (skipped by a DST change)",
                row.line,
                row.start,
                zone.name()
            ));
            continue;
        };
        let start = hour.resolve(r, descending);
        let end = match row.recovery.map(|t| (t, zone.reading(t))) {
            None => None,
            Some((t, None)) => {
                b.damaged(format!(
                    "line {}: Recovery time {t} does not exist in {} (skipped by a DST change)",
                    row.line,
                    zone.name()
                ));
                continue;
            }
            Some((_, Some(r))) => {
                let end = [Some(r.time), r.later]
                    .into_iter()
                    .flatten()
                    .find(|t| *t >= start);
                let Some(end) = end else {
                    b.damaged(format!("line {}: Recovery time before its Time", row.line));
                    continue;
                };
                Some(end)
            }
        };
        if row.state == ProbeState::Down {
            b.read("problem row", row.state);
        }
        if end.is_some() {
            b.vocabulary.add("Recovery time = up");
        }
        out.push(Problem {
            series: row.series,
            state: row.state,
            start,
            end,
        });
    }
    if !zone.is_utc() || out.is_empty() {
        b.note(format!(
            "times read in {} (the Zabbix user's zone: --input-tz)",
            zone.name()
        ));
    } else {
        b.note("times read as UTC: give the Zabbix user's zone with --input-tz if it is not UTC");
    }
    if let Some(n) = hour.note(zone, "problem times") {
        b.note(n);
    }
    if descending {
        b.note("newest first, as the Problems page exports: read in time order");
    }
    out
}

/// Edges per target from its problems in time order: down while any problem is open, unknown
/// while only problems of unknown status are, up once all closed (at one time, closes first).
fn add_problems(b: &mut StatesBuilder, problems: &[Problem]) {
    // (time, opens, series, state): opening = 1 sorts after closing = 0.
    let mut marks: Vec<(DateTime<Utc>, u8, usize, ProbeState)> = Vec::new();
    for p in problems {
        b.saw(p.start);
        marks.push((p.start, 1, p.series, p.state));
        if let Some(end) = p.end {
            b.saw(end);
            marks.push((end, 0, p.series, p.state));
        }
    }
    marks.sort_by_key(|m| (m.0, m.1, m.2));
    let mut open: std::collections::HashMap<usize, (u32, u32, Option<ProbeState>)> =
        std::collections::HashMap::new();
    for (t, opens, series, state) in marks {
        let counts = open.entry(series).or_default();
        let n = if state == ProbeState::Down {
            &mut counts.0
        } else {
            &mut counts.1
        };
        if opens == 1 {
            *n += 1;
        } else {
            *n = n.saturating_sub(1);
        }
        let now = if counts.0 > 0 {
            ProbeState::Down
        } else if counts.1 > 0 {
            ProbeState::Unknown
        } else {
            ProbeState::Up
        };
        let shown = &mut counts.2;
        if *shown != Some(now) {
            *shown = Some(now);
            b.edge(series, t, now, u32::from(now == ProbeState::Down));
        }
    }
}

#[cfg(test)]
#[path = "zabbix_csv_tests.rs"]
mod tests;
