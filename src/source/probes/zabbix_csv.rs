//! Zabbix's Problems page as CSV (Monitoring → Problems → Export to CSV): one row per problem,
//! `"Severity","Time","Recovery time","Status","Host","Problem",...,"Duration","Ack","Actions",
//! "Tags"`, times `Y-m-d H:i:s` in the UI user's zone. A row is down from its Time to its Recovery
//! time; a problem still open (`PROBLEM`, `CLOSING`, no Recovery time) is down to the end of the
//! file's data, as the NDJSON reader keeps an open problem. Targets are the NDJSON reader's:
//! `host: problem name`.
use super::line_blocks::{file_text, parse_records_in_order, quotes_plain, Block, Interned, Split};
use super::states::StatesBuilder;
use super::store::{Counted, ProbeStoreRead};
use crate::error::{Error, Result};
use crate::model::ProbeState;
use crate::timefmt::{HourReadings, Reading, RepeatedHour, Zone};
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

/// One problem row, its times still local, read in the zone on a worker.
struct Row {
    line: usize,
    series: u32,
    /// Down, or unknown for a Status faultline does not know.
    state: ProbeState,
    start: NaiveDateTime,
    start_reading: Option<Reading>,
    recovery: Option<(NaiveDateTime, Option<Reading>)>,
}

/// Reads the Problems CSV; its times are in `zone` (the Zabbix user's, from `--input-tz`).
pub fn read(path: &Path, zone: Zone) -> Result<ProbeStoreRead> {
    let bytes = crate::memory::file_bytes(path).map_err(|e| Error::io(path, e))?;
    read_bytes(path, &bytes, zone)
}

pub fn read_bytes(path: &Path, bytes: &[u8], zone: Zone) -> Result<ProbeStoreRead> {
    read_split(path, bytes, zone, Split::of_pool())
}

/// Words of one block with how many rows had each.
#[derive(Default)]
struct Tally {
    words: Interned<String>,
    rows: Vec<u64>,
}

impl Tally {
    fn add(&mut self, word: &str) {
        let i = self.words.id_of(word) as usize;
        if self.rows.len() <= i {
            self.rows.push(0);
        }
        self.rows[i] += 1;
    }

    fn each(&self) -> impl Iterator<Item = (&str, u64)> {
        self.words
            .list
            .iter()
            .map(String::as_str)
            .zip(self.rows.iter().copied())
    }
}

/// A block's rows (series numbered in the block by their `host: problem` names), the Status
/// and Severity words counted, its damaged rows' problems in order, and whether its quotes are
/// plain enough for the cut (else the file is read as one block).
#[derive(Default)]
struct RowBlock {
    rows: Vec<Row>,
    whats: Interned<String>,
    statuses: Tally,
    severities: Tally,
    damaged: Vec<String>,
    multi_host: u64,
    plain: bool,
}

/// [`read_bytes`], its records cut and parsed as `split` says.
fn read_split(path: &Path, bytes: &[u8], zone: Zone, split: Split) -> Result<ProbeStoreRead> {
    let text = file_text(bytes);
    let text = text.trim_start_matches('\u{feff}');
    let mut b = StatesBuilder::new(path, KIND);
    b.note("Zabbix Problems CSV: down from Time to Recovery time; a problem with no Recovery time is down to the end of the file's data");
    let mut reader = csv_reader(text);
    let mut header = csv::StringRecord::new();
    let columns = loop {
        match reader.read_record(&mut header) {
            Ok(true) if header.iter().all(|c| c.trim().is_empty()) => continue,
            Ok(true) => {
                let cells: Vec<String> = header.iter().map(str::to_string).collect();
                break header_columns(&cells).ok_or_else(|| {
                    Error::bad_input(path, "no Zabbix Problems header (Time, Recovery time, Status, Host, Problem) on its first line")
                })?;
            }
            Err(e) => return Err(Error::bad_input(path, format!("not CSV: {e}"))),
            Ok(false) => return Err(Error::bad_input(path, "empty: no Zabbix Problems header")),
        }
    };
    // The rows after the header, cut into blocks at line breaks outside quotes; if a block's
    // quotes are not plain, the count that cut it may be wrong and the rows are read as one.
    let at = reader.position();
    let (body, first_line) = (&text[at.byte() as usize..], at.line() as usize);
    let parse = |block| parse_rows(block, columns, zone);
    let mut blocks: Vec<RowBlock> = Vec::new();
    parse_records_in_order(body, first_line, split, parse, |block| blocks.push(block));
    if blocks.iter().any(|block| !block.plain) {
        blocks.clear();
        let whole = Split {
            block_bytes: usize::MAX / 2,
            workers: 1,
        };
        parse_records_in_order(body, first_line, whole, parse, |block| blocks.push(block));
    }
    let mut statuses = Counted::default();
    let mut severities = Counted::default();
    let mut multi_host = 0u64;
    for block in &mut blocks {
        for problem in block.damaged.drain(..) {
            b.damaged(problem);
        }
        for (status, n) in block.statuses.each() {
            if status_state(status).is_some() {
                statuses.add_n(status, n);
            } else {
                b.unknown_word_n(status, n);
            }
        }
        for (severity, n) in block.severities.each() {
            severities.add_n(severity, n);
        }
        multi_host += block.multi_host;
        // The block's series as the builder's, made in order of first use as before.
        let series: Vec<u32> = (block.whats.list.iter())
            .map(|what| b.series_for(what, what) as u32)
            .collect();
        for row in &mut block.rows {
            row.series = series[row.series as usize];
        }
    }
    let timed = place_in_zone(&mut b, &blocks, zone);
    drop(blocks);
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

/// Reads one block's rows (on a worker): cells, times and their readings in the zone.
fn parse_rows(block: Block<'_>, columns: Columns, zone: Zone) -> RowBlock {
    let mut out = RowBlock {
        rows: Vec::with_capacity(block.text.len() / 100),
        plain: quotes_plain(block.text.as_bytes()),
        ..RowBlock::default()
    };
    // Line numbers of the block's reader, counted from 1, as the file's.
    let file_line = |p: &csv::Position| p.line() as usize + block.first_line - 1;
    let mut reader = csv_reader(block.text);
    let mut r = csv::StringRecord::new();
    let mut what = String::new();
    // Times and recoveries fall in different hours: one remembered hour each.
    let (mut hours, mut recovery_hours) = (HourReadings::new(zone), HourReadings::new(zone));
    loop {
        match reader.read_record(&mut r) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(0, file_line);
                out.damaged
                    .push(format!("line {line}: not a CSV row ({e})"));
                continue;
            }
        }
        let line = r.position().map_or(0, file_line);
        let cell = |i: usize| r.get(i).map(str::trim).unwrap_or("");
        if r.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let Some(start) = ui_time(cell(columns.time)) else {
            out.damaged.push(format!(
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
                    out.damaged.push(format!(
                        "line {line}: a Recovery time that is not YYYY-MM-DD HH:MM:SS: {t:?}"
                    ));
                    continue;
                }
            },
        };
        let (host, problem) = (cell(columns.host), cell(columns.problem));
        if problem.is_empty() {
            out.damaged.push(format!("line {line}: no Problem name"));
            continue;
        }
        let status = cell(columns.status);
        let status: std::borrow::Cow<str> = if status.bytes().any(|c| c.is_ascii_lowercase()) {
            status.to_ascii_uppercase().into()
        } else {
            status.into()
        };
        if status == "RESOLVED" && recovery.is_none() {
            out.damaged
                .push(format!("line {line}: RESOLVED without a Recovery time"));
            continue;
        }
        out.statuses.add(&status);
        let state = status_state(&status).unwrap_or(ProbeState::Unknown);
        // Several hosts of one trigger are joined by ", ": the first is the NDJSON's host.
        let first_host = host.split(", ").next().unwrap_or("");
        if first_host.len() < host.len() {
            out.multi_host += 1;
        }
        if let Some(i) = columns.severity {
            if !cell(i).is_empty() {
                out.severities.add(cell(i));
            }
        }
        what.clear();
        if !first_host.is_empty() {
            what.push_str(first_host);
            what.push_str(": ");
        }
        what.push_str(problem);
        out.rows.push(Row {
            line,
            series: out.whats.id_of(&what),
            state,
            start,
            start_reading: hours.reading(start),
            recovery: recovery.map(|t| (t, recovery_hours.reading(t))),
        });
    }
    out
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
fn place_in_zone(b: &mut StatesBuilder, blocks: &[RowBlock], zone: Zone) -> Vec<Problem> {
    let mut rows = blocks.iter().flat_map(|block| &block.rows);
    let descending = rows
        .next()
        .zip(rows.next_back())
        .is_some_and(|(f, l)| f.start > l.start);
    let mut hour = RepeatedHour::default();
    let mut out = Vec::with_capacity(blocks.iter().map(|block| block.rows.len()).sum());
    // Rows read and recoveries: counts (the vocabulary does not show the order of its reads).
    let (mut down_rows, mut recoveries) = (0u64, 0u64);
    for row in blocks.iter().flat_map(|block| &block.rows) {
        let Some(r) = row.start_reading else {
            b.damaged(format!(
                "line {}: {} does not exist in {} (skipped by a DST change)",
                row.line,
                row.start,
                zone.name()
            ));
            continue;
        };
        let start = hour.resolve(r, descending);
        let end = match row.recovery {
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
            down_rows += 1;
        }
        if end.is_some() {
            recoveries += 1;
        }
        out.push(Problem {
            series: row.series as usize,
            state: row.state,
            start,
            end,
        });
    }
    if down_rows > 0 {
        b.read_n("problem row", ProbeState::Down, down_rows);
    }
    if recoveries > 0 {
        b.vocabulary.add_n("Recovery time = up", recoveries);
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
    // (time, opens, series, state) in file order: opening = 1 sorts after closing = 0; at one
    // time, opens and series, marks keep their file order.
    let mut marks: Vec<(DateTime<Utc>, u8, usize, ProbeState)> =
        Vec::with_capacity(problems.len() * 2);
    for p in problems {
        b.saw(p.start);
        marks.push((p.start, 1, p.series, p.state));
        if let Some(end) = p.end {
            b.saw(end);
            marks.push((end, 0, p.series, p.state));
        }
    }
    let order = mark_order(&marks);
    let marks = order.into_iter().map(|i| marks[i]);
    // Open problems per series (down, unknown) and the state last given.
    let mut open: Vec<(u32, u32, Option<ProbeState>)> = Vec::new();
    for (t, opens, series, state) in marks {
        if open.len() <= series {
            open.resize(series + 1, (0, 0, None));
        }
        let counts = &mut open[series];
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

/// The marks' indices sorted by (time, opens, series, index), as a stable sort by the first
/// three orders them. When the times are whole seconds and everything fits, each mark is one
/// `u64` (seconds from the first, opens, series, index) and the sort is of plain integers: the
/// tuples' sort was a tenth of the read.
fn mark_order(marks: &[(DateTime<Utc>, u8, usize, ProbeState)]) -> Vec<usize> {
    let bits = |n: u64| 64 - n.leading_zeros();
    let first = marks.iter().map(|m| m.0.timestamp()).min().unwrap_or(0);
    let last = marks.iter().map(|m| m.0.timestamp()).max().unwrap_or(0);
    let series = marks.iter().map(|m| m.2).max().unwrap_or(0) as u64;
    let whole = marks.iter().all(|m| m.0.timestamp_subsec_nanos() == 0);
    let (span, sb, ib) = (last.abs_diff(first), bits(series), bits(marks.len() as u64));
    if whole && bits(span) + 1 + sb + ib <= 64 {
        let mut keys: Vec<u64> = marks
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let secs = m.0.timestamp().abs_diff(first);
                let key = (secs << 1 | u64::from(m.1)) << sb | m.2 as u64;
                key << ib | i as u64
            })
            .collect();
        keys.sort_unstable();
        let mask = (1u64 << ib) - 1;
        return keys.into_iter().map(|k| (k & mask) as usize).collect();
    }
    let mut order: Vec<usize> = (0..marks.len()).collect();
    order.sort_by_key(|&i| (marks[i].0, marks[i].1, marks[i].2));
    order
}

#[cfg(test)]
#[path = "zabbix_csv_tests.rs"]
mod tests;
