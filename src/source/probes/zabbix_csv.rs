//! Zabbix's Problems page as CSV (Monitoring → Problems → Export to CSV): one row per problem,
//! `"Severity","Time","Recovery time","Status","Host","Problem",...,"Duration","Ack","Actions",
//! "Tags"`, times `Y-m-d H:i:s` in the UI user's zone. A row is down from its Time to its Recovery
//! time; a problem still open (`PROBLEM`, `CLOSING`, no Recovery time) is down to the end of the
//! file's data, as the NDJSON reader keeps an open problem. Targets are the NDJSON reader's:
//! `host: problem name`.
use super::line_blocks::{
    parse_bytes_in_order, plain_cells, quotes_plain, utf8_or_decoded, Block, Cut, Interned,
    NotUtf8, Split,
};
use super::states::StatesBuilder;
use super::store::{Counted, ProbeStoreRead};
use crate::error::{Error, Result};
use crate::model::ProbeState;
use crate::timefmt::{trim_plain, HourReadings, Reading, Zone};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
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
    csv_bytes_reader(text.as_bytes())
}

fn csv_bytes_reader(bytes: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes)
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

/// [`ui_time`] for one column's many cells: the UI's exact `YYYY-MM-DD HH:MM:SS` read by
/// position, the day of the cell before remembered (rows share days; the Time and Recovery time
/// columns each have their own), any other shape or value left to `ui_time`.
#[derive(Default)]
struct UiTimes {
    day: Option<([u8; 10], NaiveDate)>,
}

impl UiTimes {
    fn read(&mut self, text: &str) -> Option<NaiveDateTime> {
        self.quick(text.as_bytes()).or_else(|| ui_time(text))
    }

    /// `None` where `ui_time` may read the text some other way (a leap second among them).
    fn quick(&mut self, s: &[u8]) -> Option<NaiveDateTime> {
        if s.len() != 19 || s[10] != b' ' || s[13] != b':' || s[16] != b':' {
            return None;
        }
        let day: [u8; 10] = s[..10].try_into().ok()?;
        let date = match self.day {
            Some((known, date)) if known == day => date,
            _ => {
                if day[4] != b'-' || day[7] != b'-' {
                    return None;
                }
                let (y, m, d) = (number(&day[..4])?, number(&day[5..7])?, number(&day[8..])?);
                let date = NaiveDate::from_ymd_opt(y as i32, m, d)?;
                self.day = Some((day, date));
                date
            }
        };
        let (h, m, sec) = (number(&s[11..13])?, number(&s[14..16])?, number(&s[17..])?);
        if h > 23 || m > 59 || sec > 59 {
            return None;
        }
        let time = NaiveTime::from_num_seconds_from_midnight_opt(h * 3600 + m * 60 + sec, 0)?;
        Some(date.and_time(time))
    }
}

/// ASCII digits as a number; `None` for anything else (a sign among them).
fn number(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |n, &b| {
        b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
    })
}

/// What a row's Status says.
fn status_state(word: &str) -> Option<ProbeState> {
    match word.trim().to_ascii_uppercase().as_str() {
        "PROBLEM" | "CLOSING" | "RESOLVED" => Some(ProbeState::Down),
        _ => None,
    }
}

/// `host.split(", ").next()`, by a byte search (a string searcher was built per row).
fn first_host(host: &str) -> &str {
    let bytes = host.as_bytes();
    let mut commas = memchr::memchr_iter(b',', bytes);
    match commas.find(|&i| bytes.get(i + 1) == Some(&b' ')) {
        Some(i) => &host[..i],
        None => host,
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
    /// Every line was read as plain (see `plain_rows`); `false` for a block left unread.
    lines_plain: bool,
    /// The first and last row's Time (for the file's direction), kept when the rows are placed.
    ends: Option<(NaiveDateTime, NaiveDateTime)>,
    /// The rows placed in time on the worker, when nothing in them depends on rows before.
    placed: Option<marks::Placed>,
    /// The builder's series of the block's, by block series.
    series: Vec<u32>,
}

/// [`read_bytes`], its records cut and parsed as `split` says.
fn read_split(path: &Path, bytes: &[u8], zone: Zone, split: Split) -> Result<ProbeStoreRead> {
    utf8_or_decoded(bytes, |body| read_body(path, body, zone, split))
        .unwrap_or_else(|NotUtf8| Err(Error::bad_input(path, "not UTF-8 once decoded")))
}

/// The file's bytes after any BOM; `NotUtf8` when some of them are not UTF-8.
fn read_body(
    path: &Path,
    body: &[u8],
    zone: Zone,
    split: Split,
) -> std::result::Result<Result<ProbeStoreRead>, NotUtf8> {
    let mut b = StatesBuilder::new(path, KIND);
    b.note("Zabbix Problems CSV: down from Time to Recovery time; a problem with no Recovery time is down to the end of the file's data");
    let mut reader = csv_bytes_reader(body);
    let mut header = csv::StringRecord::new();
    let columns = loop {
        match reader.read_record(&mut header) {
            Ok(true) if header.iter().all(|c| c.trim().is_empty()) => continue,
            Ok(true) => {
                let cells: Vec<String> = header.iter().map(str::to_string).collect();
                match header_columns(&cells) {
                    Some(columns) => break columns,
                    None => return Ok(Err(Error::bad_input(path, "no Zabbix Problems header (Time, Recovery time, Status, Host, Problem) on its first line"))),
                }
            }
            Err(e) if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) => return Err(NotUtf8),
            Err(e) => return Ok(Err(Error::bad_input(path, format!("not CSV: {e}")))),
            Ok(false) => {
                return Ok(Err(Error::bad_input(
                    path,
                    "empty: no Zabbix Problems header",
                )))
            }
        }
    };
    // The rows after the header, cut into blocks after line breaks. When every line of every
    // block quotes plainly, each line break is outside quotes and the cut is the one outside
    // quotes; else the blocks are cut again outside quotes (the quotes counted first), and if a
    // block's quotes are not plain, the count that cut it may be wrong and the rows are read as
    // one.
    let at = reader.position();
    let (head, body) = body.split_at(at.byte() as usize);
    simdutf8::basic::from_utf8(head).map_err(|_| NotUtf8)?;
    let first_line = at.line() as usize;
    let mut blocks: Vec<RowBlock> = Vec::new();
    let parse = |block| parse_rows(block, columns, zone, true);
    parse_bytes_in_order(body, first_line, Cut::Lines, split, parse, |block| {
        blocks.push(block)
    })?;
    if blocks.iter().any(|block| !block.lines_plain) {
        blocks.clear();
        let parse = |block| parse_rows(block, columns, zone, false);
        parse_bytes_in_order(body, first_line, Cut::Records, split, parse, |block| {
            blocks.push(block)
        })?;
        if blocks.iter().any(|block| !block.plain) {
            blocks.clear();
            let whole = Split {
                block_bytes: usize::MAX / 2,
                workers: 1,
            };
            parse_bytes_in_order(body, first_line, Cut::Records, whole, parse, |block| {
                blocks.push(block)
            })?;
        }
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
        block.series = (block.whats.list.iter())
            .map(|what| b.series_for(what, what) as u32)
            .collect();
    }
    let placed = marks::place_in_zone(&mut b, &mut blocks, zone);
    drop(blocks);
    let open = placed.open;
    marks::add_problems(&mut b, placed);
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
    if open > 0 {
        b.note(format!(
            "{open} problems still open at the end of the export: down until its end, not recovered"
        ));
    }
    let read = b.finish();
    if read.probes.is_empty() && read.report.records_skipped > 0 {
        return Ok(Err(Error::bad_input(
            path,
            format!(
                "no Zabbix problem could be read ({} rows damaged; first: {})",
                read.report.records_skipped,
                read.report.problems.first().map_or("", String::as_str)
            ),
        )));
    }
    Ok(Ok(read))
}

/// Reads one block's rows (on a worker): cells, times and their readings in the zone. Lines
/// that all quote plainly are split directly, as the CSV reader would split them; a block with
/// any other line goes to the CSV reader whole, or (`at_lines`: the block was cut after any
/// line break) is left unread for the cut outside quotes.
fn parse_rows(block: Block<'_>, columns: Columns, zone: Zone, at_lines: bool) -> RowBlock {
    // Lines that each quote plainly quote plainly together: the cut holds.
    let mut rows = RowReader::new(block, columns, zone, true);
    let lines_plain = plain_rows(block, &mut rows);
    if !lines_plain {
        if at_lines {
            return RowBlock::default();
        }
        let plain = quotes_plain(block.text.as_bytes());
        rows = RowReader::new(block, columns, zone, plain);
        csv_rows(block, &mut rows);
    }
    marks::place_block(&mut rows.out, zone);
    rows.out.lines_plain = lines_plain;
    rows.out
}

/// The block's lines as records, when each is blank or plain (see `plain_cells`); `false` as
/// soon as one is not, the rows read so far then to be thrown away.
fn plain_rows(block: Block<'_>, rows: &mut RowReader) -> bool {
    let mut cells = Vec::new();
    for (i, line) in block.text.split_terminator('\n').enumerate() {
        // A CR anywhere but before the LF is not plain.
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            continue; // the reader skips a blank line
        }
        if !plain_cells(line, &mut cells) {
            return false;
        }
        let blank = cells.iter().all(|c| trim_plain(c).is_empty());
        let cell = |i: usize| cells.get(i).map_or("", |c| trim_plain(c));
        rows.row(block.first_line + i, blank, cell);
    }
    true
}

/// The block's records through the CSV reader.
fn csv_rows(block: Block<'_>, rows: &mut RowReader) {
    // The reader gives a record the position it started reading from: before the blank lines
    // it skipped, and after a CRLF before its LF. The record's own line is past those.
    let file_line = |p: &csv::Position| {
        let skipped = block.text.as_bytes()[(p.byte() as usize).min(block.text.len())..]
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .filter(|&&b| b == b'\n')
            .count();
        p.line() as usize + block.first_line - 1 + skipped
    };
    let mut reader = csv_reader(block.text);
    let mut r = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut r) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(0, file_line);
                rows.out
                    .damaged
                    .push(format!("line {line}: not a CSV row ({e})"));
                continue;
            }
        }
        let line = r.position().map_or(0, file_line);
        let blank = r.iter().all(|c| trim_plain(c).is_empty());
        rows.row(line, blank, |i| r.get(i).map(trim_plain).unwrap_or(""));
    }
}

/// One block's rows as they are read, with what carries from row to row.
struct RowReader {
    out: RowBlock,
    columns: Columns,
    what: String,
    /// Times and recoveries fall in different hours and days: one remembered of each.
    hours: HourReadings,
    recovery_hours: HourReadings,
    times: UiTimes,
    recovery_times: UiTimes,
}

impl RowReader {
    fn new(block: Block<'_>, columns: Columns, zone: Zone, plain: bool) -> RowReader {
        RowReader {
            out: RowBlock {
                rows: Vec::with_capacity(block.text.len() / 100),
                plain,
                ..RowBlock::default()
            },
            columns,
            what: String::new(),
            hours: HourReadings::new(zone),
            recovery_hours: HourReadings::new(zone),
            times: UiTimes::default(),
            recovery_times: UiTimes::default(),
        }
    }

    /// One record on file line `line`, its cells (trimmed) by column; `blank` if all are empty.
    fn row<'c>(&mut self, line: usize, blank: bool, cell: impl Fn(usize) -> &'c str) {
        let (columns, out) = (self.columns, &mut self.out);
        if blank {
            return;
        }
        let Some(start) = self.times.read(cell(columns.time)) else {
            out.damaged.push(format!(
                "line {line}: no Time (YYYY-MM-DD HH:MM:SS) in {:?}",
                cell(columns.time)
            ));
            return;
        };
        let recovery = match cell(columns.recovery) {
            "" => None,
            t => match self.recovery_times.read(t) {
                Some(t) => Some(t),
                None => {
                    out.damaged.push(format!(
                        "line {line}: a Recovery time that is not YYYY-MM-DD HH:MM:SS: {t:?}"
                    ));
                    return;
                }
            },
        };
        let (host, problem) = (cell(columns.host), cell(columns.problem));
        if problem.is_empty() {
            out.damaged.push(format!("line {line}: no Problem name"));
            return;
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
            return;
        }
        out.statuses.add(&status);
        // Upper case and trimmed already: matched as `status_state` matches, without its copy.
        let known = matches!(&*status, "PROBLEM" | "CLOSING" | "RESOLVED");
        let state = if known {
            ProbeState::Down
        } else {
            status_state(&status).unwrap_or(ProbeState::Unknown)
        };
        // Several hosts of one trigger are joined by ", ": the first is the NDJSON's host.
        let first_host = first_host(host);
        if first_host.len() < host.len() {
            out.multi_host += 1;
        }
        if let Some(i) = columns.severity {
            if !cell(i).is_empty() {
                out.severities.add(cell(i));
            }
        }
        let what = &mut self.what;
        what.clear();
        if !first_host.is_empty() {
            what.push_str(first_host);
            what.push_str(": ");
        }
        what.push_str(problem);
        out.rows.push(Row {
            line,
            series: out.whats.id_of(what),
            state,
            start,
            start_reading: self.hours.reading(start),
            recovery: recovery.map(|t| (t, self.recovery_hours.reading(t))),
        });
    }
}

#[path = "zabbix_csv_marks.rs"]
mod marks;

#[cfg(test)]
#[path = "zabbix_csv_tests.rs"]
mod tests;
