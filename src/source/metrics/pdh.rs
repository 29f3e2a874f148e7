//! typeperf / relog / perfmon "PDH-CSV 4.0" files -> `MetricSeries`: the header's zone bias turns
//! local sample times into UTC, counter paths split into host, object, instance and counter.
use super::columns::{parse_column, skip, unreadable_note, RowTimes};
use super::csv::{load_csv, set_time_span, text_cells, MetricFile, MetricReadOptions};
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
/// asking for `--input-tz`.
pub fn read_pdh_csv(path: &Path, opts: &MetricReadOptions) -> Result<MetricFile> {
    let mut report = InputReport {
        path: path.display().to_string(),
        kind: crate::model::InputKind::PdhCsv,
        ..Default::default()
    };
    let csv = load_csv(path, &mut report)?;
    let columns = csv.frame.columns();
    let Some(time_column) = columns.first() else {
        return Err(Error::bad_input(path, "no columns"));
    };
    let mut header = parse_pdh_header(time_column.name());
    let mut notes = csv.notes.clone();
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
                        "the first header cell {:?} has no usable time zone bias, so the local sample times cannot be placed in UTC: pass --input-tz ZONE (the server's zone, e.g. America/Los_Angeles; Etc/UTC if it really ran on UTC)",
                        time_column.name().as_str()
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
    // Times: parsed in parallel, then put in order (the repeated-hour rule needs the file's order).
    let time_cells = text_cells(time_column)?;
    let readings: Vec<Option<Reading>> = time_cells
        .par_iter()
        .with_min_len(4096)
        .map(|cell| cell.and_then(|c| parse_naive(c.trim())).and_then(&to_utc))
        .collect();
    let mut times = Vec::with_capacity(readings.len());
    let mut repeated = RepeatedHour::default();
    for (row, reading) in readings.into_iter().enumerate() {
        let t = reading.map(|r| repeated.resolve(r, false));
        if t.is_none() {
            skip(
                &mut report,
                format!(
                    "line {}: cannot read {:?} as a sample time; row skipped",
                    csv.line_of(row),
                    time_cells[row].unwrap_or("")
                ),
            );
        }
        times.push(t);
    }
    notes.extend(repeated.note(opts.input_tz, "sample times"));
    report.records_read = times.iter().filter(|t| t.is_some()).count() as u64;
    let source: std::sync::Arc<str> = report.path.as_str().into();
    let row_times = RowTimes::new(&times);
    // Values: every counter column in parallel (each in blocks of rows), named in column order.
    let parsed = columns[1..]
        .par_iter()
        .map(|column| {
            let cells = text_cells(column)?;
            let parsed = parse_column(&cells, &times);
            let bad: Vec<(usize, String)> = parsed
                .bad_rows
                .iter()
                .map(|&row| (row, cells[row].unwrap_or("").to_string()))
                .collect();
            Ok((parsed, bad))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut unreadable = 0;
    let mut series = Vec::with_capacity(parsed.len());
    for (column, (values, bad)) in columns[1..].iter().zip(parsed) {
        let name = column.name().trim().to_string();
        let parts = parse_counter_path(&name);
        values.report_bad(&mut report, &mut unreadable, |row| {
            let cell = bad.iter().find(|b| b.0 == row).map_or("", |b| b.1.as_str());
            format!(
                "line {}: {name}: cannot read {cell:?} as a number; counted as missing",
                csv.line_of(row),
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
    Ok(MetricFile {
        series,
        report,
        notes,
    })
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
mod tests {
    use super::*;

    #[test]
    fn header_cell_gives_zone_and_bias() {
        let h = parse_pdh_header("(PDH-CSV 4.0) (Pacific Daylight Time)(420)");
        assert_eq!(h.zone_name.as_deref(), Some("Pacific Daylight Time"));
        assert_eq!(h.bias_minutes, Some(420));
        let h = parse_pdh_header("(PDH-CSV 4.0) (W. Europe Daylight Time)(-120)");
        assert_eq!(h.bias_minutes, Some(-120));
        let h = parse_pdh_header("(PDH-CSV 4.0)");
        assert_eq!((h.zone_name, h.bias_minutes), (None, None));
    }

    #[test]
    fn counter_paths_split_with_awkward_instances() {
        let p = parse_counter_path(r"\\SIPSVR01\Process(mysqld)\Handle Count");
        assert_eq!(p.host.as_deref(), Some("SIPSVR01"));
        assert_eq!(p.object.as_deref(), Some("Process"));
        assert_eq!(p.instance.as_deref(), Some("mysqld"));
        assert_eq!(p.counter.as_deref(), Some("Handle Count"));
        let p = parse_counter_path(
            r"\\H\Network Interface(Intel(R) PRO/1000, Port 2#1)\Bytes Total/sec",
        );
        assert_eq!(p.object.as_deref(), Some("Network Interface"));
        assert_eq!(p.instance.as_deref(), Some("Intel(R) PRO/1000, Port 2#1"));
        let p = parse_counter_path(r"\\H\Memory\Pool Paged Bytes");
        assert_eq!((p.object.as_deref(), p.instance), (Some("Memory"), None));
    }

    #[test]
    fn a_file_across_the_autumn_change_is_noted() {
        let first = Utc.with_ymd_and_hms(2011, 11, 5, 12, 0, 0).unwrap();
        let last = Utc.with_ymd_and_hms(2011, 11, 7, 12, 0, 0).unwrap();
        assert!(dst_note("Pacific Daylight Time", 420, first, last).is_some());
        assert!(dst_note("Pacific Daylight Time", 420, first, first).is_none());
    }
}
