//! typeperf / relog / perfmon "PDH-CSV 4.0" files -> `MetricSeries`: the header's zone bias turns
//! local sample times into UTC, counter paths split into host, object, instance and counter.
use super::columns::{parse_column, skip, unreadable_note, ParsedColumn, RowTimes};
use super::csv::{
    body_of, load_csv_text, parse_text, read_text, set_time_span, text_cells, LoadedCsv,
    MetricFile, MetricReadOptions,
};
use super::pdh_rows;
use crate::error::{Error, Result};
use crate::model::{InputReport, MetricSeries};
use crate::timefmt::{parse_naive, Reading, RepeatedHour, Zone};
use chrono::{DateTime, Duration, Offset, TimeZone, Utc};
use rayon::prelude::*;
use std::path::Path;

/// What the first header cell says: `(PDH-CSV 4.0) (Pacific Daylight Time)(420)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdhHeader {
    /// Windows time zone name, e.g. `Pacific Daylight Time`.
    pub zone_name: Option<String>,
    /// Minutes to add to local time to get UTC.
    pub bias_minutes: Option<i64>,
}

/// Reads the first header cell. The bias is the last parenthesized integer; the zone name the
/// parenthesized text before it.
pub fn parse_pdh_header(cell: &str) -> PdhHeader {
    let groups: Vec<&str> = cell
        .split('(')
        .skip(1)
        .filter_map(|g| g.split(')').next())
        .map(str::trim)
        .collect();
    let bias_minutes = groups.last().and_then(|g| g.parse::<i64>().ok());
    let zone_name = groups
        .iter()
        .rev()
        .skip(usize::from(bias_minutes.is_some()))
        .find(|g| !g.starts_with("PDH-CSV") && !g.is_empty() && g.parse::<i64>().is_err())
        .map(|g| g.to_string());
    PdhHeader {
        zone_name,
        bias_minutes,
    }
}

/// Parts of a counter path `\\HOST\Object(Instance)\Counter`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CounterPath {
    pub host: Option<String>,
    pub object: Option<String>,
    pub instance: Option<String>,
    pub counter: Option<String>,
}

/// Splits a counter path. The counter is after the last backslash; the instance runs from the
/// first `(` after the object name to the last `)`, so it may hold commas, parentheses and `#1`.
pub fn parse_counter_path(path: &str) -> CounterPath {
    let p = path.trim();
    let (host, rest) = match p.strip_prefix("\\\\") {
        Some(rest) => match rest.split_once('\\') {
            Some((host, rest)) => (Some(host.to_string()), rest),
            None => return CounterPath::default(),
        },
        None => (None, p.strip_prefix('\\').unwrap_or(p)),
    };
    let Some((object_part, counter)) = rest.rsplit_once('\\') else {
        return CounterPath {
            host,
            ..Default::default()
        };
    };
    let (object, instance) = match (object_part.find('('), object_part.rfind(')')) {
        (Some(open), Some(close)) if close > open => (
            object_part[..open].trim().to_string(),
            Some(object_part[open + 1..close].to_string()),
        ),
        _ => (object_part.trim().to_string(), None),
    };
    CounterPath {
        host,
        object: Some(object),
        instance,
        counter: Some(counter.trim().to_string()),
    }
}

/// Windows zone names (standard and daylight spelling) and the IANA zone they stand for; used only
/// to notice a file spanning a DST change.
const WINDOWS_ZONES: &[(&str, &str)] = &[
    ("Pacific", "America/Los_Angeles"),
    ("Mountain", "America/Denver"),
    ("Central", "America/Chicago"),
    ("Eastern", "America/New_York"),
    ("Atlantic", "America/Halifax"),
    ("Alaskan", "America/Anchorage"),
    ("GMT", "Europe/London"),
    ("W. Europe", "Europe/Berlin"),
    ("Central Europe", "Europe/Budapest"),
    ("Romance", "Europe/Paris"),
    ("E. Europe", "Europe/Chisinau"),
    ("FLE", "Europe/Kiev"),
    ("Russian", "Europe/Moscow"),
    ("AUS Eastern", "Australia/Sydney"),
];

fn iana_for(zone_name: &str) -> Option<chrono_tz::Tz> {
    let base = zone_name
        .trim()
        .trim_end_matches("Daylight Time")
        .trim_end_matches("Standard Time")
        .trim_end_matches("Summer Time")
        .trim();
    WINDOWS_ZONES
        .iter()
        .find(|(w, _)| w.eq_ignore_ascii_case(base))
        .and_then(|(_, iana)| iana.parse().ok())
}

/// The largest zone bias a PDH header can honestly hold: a day, in minutes.
const MAX_BIAS_MINUTES: i64 = 24 * 60;

/// Reads a PDH-CSV file. UTC = local + the header's bias, fixed for the whole file; without a bias
/// the file is read in `opts.input_tz`, and when that is plain UTC (the default) it is an error
/// asking for `--input-tz`. A plain file (what typeperf, relog and perfmon write) is read straight
/// from its text in parallel blocks of rows (`pdh_rows`); any other through polars, as text
/// columns. Both give the same samples and the same problem lines.
pub fn read_pdh_csv(path: &Path, opts: &MetricReadOptions) -> Result<MetricFile> {
    read(path, opts, true)
}

/// `read_pdh_csv`; `try_plain` false reads every file through polars (for the tests that hold
/// the two ways of reading equal).
fn read(path: &Path, opts: &MetricReadOptions, try_plain: bool) -> Result<MetricFile> {
    let mut report = InputReport {
        path: path.display().to_string(),
        kind: crate::model::InputKind::PdhCsv,
        ..Default::default()
    };
    let mut notes = Vec::new();
    let text = read_text(path, &mut notes)?;
    // A lone CR changes where lines end, which `body_of` does not know of: polars' path.
    let lone_cr = memchr::memchr_iter(b'\r', text.as_bytes())
        .any(|i| text.as_bytes().get(i + 1) != Some(&b'\n'));
    if !lone_cr {
        let body = body_of(path, &text, &mut report)?;
        // (A header without a usable zone is left to polars' path too, which names it.)
        let plain = pdh_rows::plain_header(body.text)
            .filter(|_| try_plain)
            .and_then(|plain| Some((zone_of(path, plain.names[0], opts).ok()?, plain)));
        if let Some((zone, plain)) = plain {
            if let Some(rows) = plain.read(&*zone.to_utc) {
                let names = plain.names.iter().map(|n| n.to_string()).collect();
                let cells = Cells::from_plain(names, rows, body.header_line);
                notes.extend(zone.notes);
                return Ok(finish(cells, &zone.header, notes, report, opts));
            }
        }
        // Not plain: polars reads the body, from the same report (the cut-off row is named once).
        let lf = if body.text.contains('\r') {
            std::borrow::Cow::Owned(body.text.replace("\r\n", "\n"))
        } else {
            std::borrow::Cow::Borrowed(body.text)
        };
        let frame = parse_text(path, &lf, body.header_line, &mut report)?;
        let csv = LoadedCsv {
            frame,
            header_line: body.header_line,
            notes,
        };
        return read_frame(path, csv, report, opts);
    }
    let csv = load_csv_text(path, text, notes, &mut report)?;
    read_frame(path, csv, report, opts)
}

/// The header's zone: how local sample times become UTC, and the notes that say so.
struct FileZone {
    header: PdhHeader,
    to_utc: Box<dyn Fn(chrono::NaiveDateTime) -> Option<Reading> + Send + Sync>,
    notes: Vec<String>,
}

/// Reads the zone from the first header cell (`time_column`).
fn zone_of(path: &Path, time_column: &str, opts: &MetricReadOptions) -> Result<FileZone> {
    let mut header = parse_pdh_header(time_column);
    let mut notes = Vec::new();
    // A real bias is within a day of UTC; anything else is damage, and adding it would overflow.
    if let Some(bias) = header.bias_minutes.filter(|b| b.abs() > MAX_BIAS_MINUTES) {
        notes.push(format!(
            "the header's zone bias of {bias} minutes is not a real one (beyond ±{MAX_BIAS_MINUTES}): ignored"
        ));
        header.bias_minutes = None;
    }
    let to_utc: Box<dyn Fn(chrono::NaiveDateTime) -> Option<Reading> + Send + Sync> =
        match header.bias_minutes {
            Some(bias) => {
                notes.push(format!(
                    "local times converted with the header's bias of {bias} minutes ({}, UTC{}) for the whole file",
                    header.zone_name.as_deref().unwrap_or("zone not named"),
                    utc_offset_text(-bias)
                ));
                Box::new(move |n| {
                    n.checked_add_signed(Duration::minutes(bias))
                        .map(|utc| Reading::exact(Utc.from_utc_datetime(&utc)))
                })
            }
            None if opts.input_tz.is_utc() => {
                return Err(Error::bad_input(
                    path,
                    format!(
                        "the first header cell {time_column:?} has no usable time zone bias, so the local sample times cannot be placed in UTC: pass --input-tz ZONE (the server's zone, e.g. America/Los_Angeles; Etc/UTC if it really ran on UTC)",
                    ),
                ))
            }
            None => {
                let zone: Zone = opts.input_tz;
                notes.push(format!(
                    "the header has no time zone bias: local times read as {}",
                    zone.name()
                ));
                Box::new(move |n| zone.reading(n))
            }
        };
    Ok(FileZone {
        header,
        to_utc,
        notes,
    })
}

/// A file polars read: the times and every counter column read from its text columns in parallel.
fn read_frame(
    path: &Path,
    csv: LoadedCsv,
    report: InputReport,
    opts: &MetricReadOptions,
) -> Result<MetricFile> {
    let columns = csv.frame.columns();
    let Some(time_column) = columns.first() else {
        return Err(Error::bad_input(path, "no columns"));
    };
    let mut notes = csv.notes.clone();
    let zone = zone_of(path, time_column.name().as_str(), opts)?;
    notes.extend(zone.notes);
    // Times: parsed in parallel, then put in order (the repeated-hour rule needs the file's order).
    let time_cells = text_cells(time_column)?;
    let readings: Vec<Option<Reading>> = time_cells
        .par_iter()
        .with_min_len(4096)
        .map(|cell| {
            cell.and_then(|c| parse_naive(c.trim()))
                .and_then(&*zone.to_utc)
        })
        .collect();
    let bad_times = readings
        .iter()
        .zip(&time_cells)
        .enumerate()
        .filter(|(_, (r, _))| r.is_none())
        .map(|(row, (_, cell))| (row, cell.unwrap_or("").to_string()))
        .collect();
    let known: Vec<bool> = readings.iter().map(Option::is_some).collect();
    // Values: every counter column in parallel (each in blocks of rows).
    let parsed = columns[1..]
        .par_iter()
        .map(|column| {
            let cells = text_cells(column)?;
            let parsed = parse_column(&cells, &known);
            let bad: Vec<(usize, String)> = parsed
                .bad_rows
                .iter()
                .map(|&row| (row, cells[row].unwrap_or("").to_string()))
                .collect();
            Ok((parsed, bad))
        })
        .collect::<Result<Vec<_>>>()?;
    let cells = Cells {
        names: columns.iter().map(|c| c.name().to_string()).collect(),
        readings,
        bad_times,
        columns: parsed,
        header_line: csv.header_line,
    };
    Ok(finish(cells, &zone.header, notes, report, opts))
}

/// What either way of reading gives: column names (the time column first), each row's time, and
/// each counter column's values by row with its unreadable cells.
struct Cells {
    names: Vec<String>,
    readings: Vec<Option<Reading>>,
    /// Rows whose time cannot be read, with the cell (at least the first `MAX_PROBLEMS`).
    bad_times: Vec<(usize, String)>,
    columns: Vec<(ParsedColumn, Vec<(usize, String)>)>,
    header_line: u64,
}

impl Cells {
    fn from_plain(names: Vec<String>, rows: pdh_rows::PlainRows, header_line: u64) -> Cells {
        Cells {
            names,
            readings: rows.readings,
            bad_times: rows.bad_times,
            columns: rows.columns,
            header_line,
        }
    }

    /// 1-based line number in the file of data row `row`.
    fn line_of(&self, row: usize) -> u64 {
        self.header_line + 1 + row as u64
    }
}

/// The series of a file read: times in order (repeated hours resolved), the problem lines in
/// row order (times) then column order (values), the notes.
fn finish(
    cells: Cells,
    header: &PdhHeader,
    mut notes: Vec<String>,
    mut report: InputReport,
    opts: &MetricReadOptions,
) -> MetricFile {
    let mut times = Vec::with_capacity(cells.readings.len());
    let mut repeated = RepeatedHour::default();
    for (row, reading) in cells.readings.iter().enumerate() {
        let t = reading.map(|r| repeated.resolve(r, false));
        if t.is_none() {
            let cell = cells
                .bad_times
                .iter()
                .find(|b| b.0 == row)
                .map_or("", |b| b.1.as_str());
            skip(
                &mut report,
                format!(
                    "line {}: cannot read {cell:?} as a sample time; row skipped",
                    cells.line_of(row),
                ),
            );
        }
        times.push(t);
    }
    notes.extend(repeated.note(opts.input_tz, "sample times"));
    report.records_read = times.iter().filter(|t| t.is_some()).count() as u64;
    let source: std::sync::Arc<str> = report.path.as_str().into();
    let row_times = RowTimes::new(&times);
    let mut unreadable = 0;
    let mut series = Vec::with_capacity(cells.columns.len());
    for (name, (values, bad)) in cells.names[1..].iter().zip(cells.columns) {
        let name = name.trim().to_string();
        let parts = parse_counter_path(&name);
        values.report_bad(&mut report, &mut unreadable, |row| {
            let cell = bad.iter().find(|b| b.0 == row).map_or("", |b| b.1.as_str());
            format!(
                "line {}: {name}: cannot read {cell:?} as a number; counted as missing",
                cells.header_line + 1 + row as u64,
            )
        });
        series.push(MetricSeries {
            name,
            host: parts.host,
            object: parts.object,
            instance: parts.instance,
            counter: parts.counter,
            samples: row_times.samples(values.by_row),
            source_file: source.clone(),
        });
    }
    notes.extend(unreadable_note(unreadable));
    set_time_span(&mut report, &series);
    if let (Some(name), Some(bias), Some(first), Some(last)) = (
        &header.zone_name,
        header.bias_minutes,
        report.first,
        report.last,
    ) {
        if let Some(note) = dst_note(name, bias, first, last) {
            notes.push(note);
        }
    }
    if series.is_empty() {
        notes.push("no counter columns".into());
    }
    MetricFile {
        series,
        report,
        notes,
    }
}

fn utc_offset_text(minutes: i64) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    format!("{sign}{:02}:{:02}", minutes.abs() / 60, minutes.abs() % 60)
}

/// A note when the zone the header names changes its UTC offset between the first and last sample
/// or disagrees with the bias: PDH keeps one bias for the whole file, so part of it may be an hour
/// off.
fn dst_note(
    zone_name: &str,
    bias: i64,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
) -> Option<String> {
    let tz = iana_for(zone_name)?;
    let offset_at = |t: DateTime<Utc>| -> i64 {
        i64::from(
            tz.offset_from_utc_datetime(&t.naive_utc())
                .fix()
                .local_minus_utc(),
        ) / 60
    };
    let (at_first, at_last) = (offset_at(first), offset_at(last));
    if at_first != at_last {
        return Some(format!(
            "the file spans a DST change of {zone_name} ({}): its bias of {bias} minutes is used for every row, so samples on the other side of the change may be an hour off",
            tz.name()
        ));
    }
    if at_first != -bias {
        return Some(format!(
            "the bias of {bias} minutes does not match {zone_name} ({}, UTC{}) at these dates; the bias is used",
            tz.name(),
            utc_offset_text(at_first)
        ));
    }
    None
}

#[cfg(test)]
#[path = "pdh_tests.rs"]
mod tests;
