//! Generic metric CSVs (wide: one numeric column per metric; long: `time,metric,value[,host]`)
//! -> `MetricSeries`, plus the CSV loading shared with the PDH reader (encodings, blank lines,
//! partial last lines, polars with every column read as text).
use super::columns::{
    parse_column, parse_value, skip, sorted_samples, unreadable_note, unreadable_value, Gathered,
    RowTimes,
};
use crate::error::{Error, Result};
use crate::model::{InputReport, MetricSeries, Samples};
use crate::timefmt::{parse_reading, parse_timestamp, RepeatedHour, Zone};
use polars::prelude::*;
use std::path::Path;

/// How to read metric files.
#[derive(Debug, Clone, Copy, Default)]
pub struct MetricReadOptions {
    /// Zone of timestamps without zone; for PDH files only used when the header has no bias.
    pub input_tz: Zone,
}

/// Everything read from one metric file.
#[derive(Debug, Clone, Default)]
pub struct MetricFile {
    pub series: Vec<MetricSeries>,
    pub report: InputReport,
    /// Facts about how the file was read (zone used, encoding, columns ignored), not problems.
    pub notes: Vec<String>,
}

/// A CSV file loaded into polars, every column as text.
pub(crate) struct LoadedCsv {
    pub frame: DataFrame,
    /// 1-based line number of the header in the file (after leading blank lines).
    pub header_line: u64,
    pub notes: Vec<String>,
}

impl LoadedCsv {
    /// 1-based line number in the file of data row `row` (0-based).
    pub fn line_of(&self, row: usize) -> u64 {
        self.header_line + 1 + row as u64
    }
}

/// Reads a file as text: UTF-16LE/BE with BOM and UTF-8 (BOM stripped) are decoded in memory,
/// CRLF becomes LF, leading blank lines are dropped, and a last line cut off mid-row is skipped
/// (counted in `report`). Then polars parses it with every column as text.
pub(crate) fn load_csv(path: &Path, report: &mut InputReport) -> Result<LoadedCsv> {
    let mut notes = Vec::new();
    let text = read_text(path, &mut notes)?;
    load_csv_text(path, text, notes, report)
}

/// `load_csv` on text `read_text` gave.
pub(crate) fn load_csv_text(
    path: &Path,
    mut text: String,
    mut notes: Vec<String>,
    report: &mut InputReport,
) -> Result<LoadedCsv> {
    if text.contains('\r') {
        text = text.replace("\r\n", "\n");
        if text.contains('\r') {
            notes.push("lines end in a lone CR (old Mac line ends); read as line breaks".into());
            text = text.replace('\r', "\n");
        }
    }
    let body = body_of(path, &text, report)?;
    let frame = parse_text(path, body.text, body.header_line, report)?;
    Ok(LoadedCsv {
        frame,
        header_line: body.header_line,
        notes,
    })
}

/// A file's bytes as text: UTF-16LE/BE with BOM and UTF-8 (BOM stripped) decoded (UTF-8 without
/// a copy), anything else read as Windows-1252; each decoding that is not plain UTF-8 is noted.
pub(crate) fn read_text(path: &Path, notes: &mut Vec<String>) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    Ok(decode(bytes, notes))
}

/// What is read as CSV of a file's text: from the header (leading blank lines dropped) to the
/// last whole row.
pub(crate) struct Body<'a> {
    pub text: &'a str,
    /// 1-based line number of the header in the file.
    pub header_line: u64,
}

/// Drops leading blank lines and a last line cut off mid-row (counted and named in `report`).
/// Line ends may be LF or CRLF (never a lone CR): the lines and their numbers are the same.
pub(crate) fn body_of<'a>(
    path: &Path,
    text: &'a str,
    report: &mut InputReport,
) -> Result<Body<'a>> {
    let mut blank_lines = 0u64;
    let mut start = 0;
    while let Some(end) = text[start..].find('\n') {
        if text[start..start + end].trim().is_empty() {
            blank_lines += 1;
            start += end + 1;
        } else {
            break;
        }
    }
    let mut body = &text[start..];
    if body.trim().is_empty() {
        return Err(Error::bad_input(path, "the file is empty"));
    }
    let header_fields = body.lines().next().map(count_fields).unwrap_or(0);
    if !body.ends_with('\n') {
        let last_start = body.rfind('\n').map_or(0, |i| i + 1);
        let last = &body[last_start..];
        if last_start > 0
            && (count_fields(last) < header_fields || last.matches('"').count() % 2 == 1)
        {
            let line = blank_lines + body[..last_start].matches('\n').count() as u64 + 1;
            skip(
                report,
                format!("line {line}: the file ends in the middle of a row; that row is skipped"),
            );
            body = &body[..last_start];
        }
    }
    Ok(Body {
        text: body,
        header_line: blank_lines + 1,
    })
}

/// Repairs `body` (LF line ends; the repairs named in `report`) and has polars read it, every
/// column as text.
pub(crate) fn parse_text(
    path: &Path,
    body: &str,
    header_line: u64,
    report: &mut InputReport,
) -> Result<DataFrame> {
    let repaired = crate::source::csv_text::repair(body, header_line);
    report.problems.extend(repaired.problems.iter().cloned());
    // A dropped long line stays as a blank row, which the row reader counts as skipped.
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .with_raise_if_empty(true)
        .map_parse_options(|p| {
            p.with_missing_is_null(true)
                .with_truncate_ragged_lines(true)
        })
        .into_reader_with_file_handle(std::io::Cursor::new(repaired.text.as_bytes()))
        .finish()
        .map_err(|e| {
            let e = crate::source::csv_text::one_line(&e.to_string());
            Error::bad_input(path, format!("cannot read as CSV: {e}"))
        })
}
/// Fields in one CSV line, commas inside double quotes not counted.
fn count_fields(line: &str) -> usize {
    let mut in_quotes = false;
    let mut fields = 1;
    for c in line.chars() {
        match c {
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => fields += 1,
            _ => {}
        }
    }
    fields
}

fn decode(mut bytes: Vec<u8>, notes: &mut Vec<String>) -> String {
    let utf16 = |rest: &[u8], le: bool, notes: &mut Vec<String>| {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|p| {
                if le {
                    u16::from_le_bytes([p[0], p[1]])
                } else {
                    u16::from_be_bytes([p[0], p[1]])
                }
            })
            .collect();
        notes.push(format!(
            "decoded from UTF-16{} (byte order mark)",
            if le { "LE" } else { "BE" }
        ));
        String::from_utf16_lossy(&units)
    };
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, true, notes);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, false, notes);
    }
    // UTF-8 (the usual case) becomes the text without a copy.
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).unwrap_or_else(|e| {
        notes.push("not valid UTF-8: read as Windows-1252".into());
        crate::source::csv_text::decode_windows_1252(e.as_bytes())
    })
}

/// A column's cells as text (every column is read as text).
pub(crate) fn text_cells(column: &Column) -> Result<Vec<Option<&str>>> {
    Ok(column
        .str()
        .map_err(|e| Error::Other(format!("column {}: {e}", column.name())))?
        .iter()
        .collect())
}

/// Sets the report's first/last time from the series.
pub(crate) fn set_time_span(report: &mut InputReport, series: &[MetricSeries]) {
    report.first = series.iter().filter_map(|s| s.samples.first_time()).min();
    report.last = series.iter().filter_map(|s| s.samples.last_time()).max();
}

const TIME_NAMES: &[&str] = &[
    "time",
    "timestamp",
    "datetime",
    "date",
    "ts",
    "epoch",
    "time_utc",
    "timestamp_utc",
    "date_time",
    "clock",
    "sample_time",
];
const METRIC_NAMES: &[&str] = &["metric", "metric_name", "name", "series", "counter"];
const VALUE_NAMES: &[&str] = &["value", "val", "reading"];
const HOST_NAMES: &[&str] = &["host", "hostname", "server", "computer", "instance"];

fn find_column(names: &[String], wanted: &[&str]) -> Option<usize> {
    names
        .iter()
        .position(|n| wanted.contains(&n.trim().to_ascii_lowercase().as_str()))
}

/// Reads a generic metric CSV: a time column (named like time/timestamp/date, or else the first
/// column when its values are times; zone-less times are in `opts.input_tz`, epoch seconds or
/// milliseconds are UTC) and numeric columns, wide or long (`time,metric,value[,host]`).
pub fn read_metric_csv(path: &Path, opts: &MetricReadOptions) -> Result<MetricFile> {
    let mut report = InputReport {
        path: path.display().to_string(),
        kind: crate::model::InputKind::MetricCsv,
        ..Default::default()
    };
    let csv = load_csv(path, &mut report)?;
    let names: Vec<String> = csv
        .frame
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let columns: Vec<Vec<Option<&str>>> = csv
        .frame
        .columns()
        .iter()
        .map(text_cells)
        .collect::<Result<_>>()?;
    let time_col = find_column(&names, TIME_NAMES)
        .or_else(|| {
            let first = columns
                .first()?
                .iter()
                .flatten()
                .find(|c| !c.trim().is_empty())?;
            parse_timestamp(first, opts.input_tz).map(|_| 0)
        })
        .ok_or_else(|| {
            Error::bad_input(
                path,
                "no time column: name one time, timestamp or date, or put the times first",
            )
        })?;
    let mut notes = csv.notes.clone();
    notes.push(format!(
        "time column {:?}; times without zone read as {}",
        names[time_col],
        opts.input_tz.name()
    ));
    // Times, row by row; unreadable times skip their row.
    let mut times = Vec::with_capacity(csv.frame.height());
    let mut repeated = RepeatedHour::default();
    for (row, cell) in columns[time_col].iter().enumerate() {
        let t = cell
            .and_then(|c| parse_reading(c, opts.input_tz))
            .map(|r| repeated.resolve(r, false));
        if t.is_none() {
            skip(
                &mut report,
                format!(
                    "line {}: cannot read {:?} as a time; row skipped",
                    csv.line_of(row),
                    cell.unwrap_or("")
                ),
            );
        }
        times.push(t);
    }
    notes.extend(repeated.note(opts.input_tz, "sample times"));
    report.records_read = times.iter().filter(|t| t.is_some()).count() as u64;
    let source: std::sync::Arc<str> = report.path.as_str().into();
    let mut unreadable = 0;
    let series = match (
        find_column(&names, METRIC_NAMES),
        find_column(&names, VALUE_NAMES),
    ) {
        (Some(metric_col), Some(value_col)) => {
            let host_col = find_column(&names, HOST_NAMES);
            notes.push("long layout (one row per time and metric)".into());
            read_long(
                &csv,
                &columns,
                &times,
                (metric_col, value_col, host_col),
                &source,
                &mut report,
                &mut unreadable,
            )
        }
        _ => read_wide(
            &csv,
            &names,
            &columns,
            &times,
            time_col,
            &source,
            &mut report,
            &mut unreadable,
            &mut notes,
        ),
    };
    notes.extend(unreadable_note(unreadable));
    set_time_span(&mut report, &series);
    if series.is_empty() {
        return Err(Error::bad_input(
            path,
            "no numeric columns besides the time",
        ));
    }
    Ok(MetricFile {
        series,
        report,
        notes,
    })
}

#[allow(clippy::too_many_arguments)]
fn read_wide(
    csv: &LoadedCsv,
    names: &[String],
    columns: &[Vec<Option<&str>>],
    times: &[Option<chrono::DateTime<chrono::Utc>>],
    time_col: usize,
    source: &std::sync::Arc<str>,
    report: &mut InputReport,
    unreadable: &mut u64,
    notes: &mut Vec<String>,
) -> Vec<MetricSeries> {
    let mut out = Vec::new();
    let row_times = RowTimes::new(times);
    let timed: Vec<bool> = times.iter().map(Option::is_some).collect();
    for (c, cells) in columns.iter().enumerate() {
        if c == time_col {
            continue;
        }
        let parsed = parse_column(cells, &timed);
        if parsed.numbers == 0 && parsed.texts > 0 {
            notes.push(format!("column {:?} is not numeric; ignored", names[c]));
            continue;
        }
        parsed.report_bad(report, unreadable, |row| {
            format!(
                "line {}: column {:?}: cannot read {:?} as a number; counted as missing",
                csv.line_of(row),
                names[c],
                cells[row].unwrap_or("")
            )
        });
        out.push(MetricSeries {
            name: names[c].trim().to_string(),
            host: None,
            object: None,
            instance: None,
            counter: None,
            samples: row_times.samples(parsed.by_row),
            source_file: source.clone(),
        });
    }
    out
}

fn read_long(
    csv: &LoadedCsv,
    columns: &[Vec<Option<&str>>],
    times: &[Option<chrono::DateTime<chrono::Utc>>],
    (metric_col, value_col, host_col): (usize, usize, Option<usize>),
    source: &std::sync::Arc<str>,
    report: &mut InputReport,
    unreadable: &mut u64,
) -> Vec<MetricSeries> {
    let mut out: Vec<MetricSeries> = Vec::new();
    // Each series' samples, gathered before they are sorted into it.
    let mut samples: Vec<Gathered> = Vec::new();
    let mut index: std::collections::HashMap<(String, String), usize> = Default::default();
    for (row, t) in times.iter().enumerate() {
        let Some(t) = *t else { continue };
        let metric = columns[metric_col][row].map(str::trim).unwrap_or("");
        if metric.is_empty() {
            skip(
                report,
                format!("line {}: no metric name; row skipped", csv.line_of(row)),
            );
            continue;
        }
        let host = host_col
            .and_then(|h| columns[h][row])
            .map(str::trim)
            .unwrap_or("");
        let cell = columns[value_col][row];
        let value = parse_value(cell).unwrap_or_else(|()| {
            unreadable_value(
                report,
                unreadable,
                format!(
                    "line {}: {metric}: cannot read {:?} as a number; counted as missing",
                    csv.line_of(row),
                    cell.unwrap_or("")
                ),
            );
            None
        });
        let key = (host.to_string(), metric.to_string());
        let i = *index.entry(key).or_insert_with(|| {
            out.push(MetricSeries {
                name: metric.to_string(),
                host: (!host.is_empty()).then(|| host.to_string()),
                object: None,
                instance: None,
                counter: None,
                samples: Samples::default(),
                source_file: source.clone(),
            });
            samples.push((Vec::new(), Vec::new()));
            out.len() - 1
        });
        samples[i].0.push(t);
        samples[i].1.push(value);
    }
    for (series, gathered) in out.iter_mut().zip(samples) {
        series.samples = sorted_samples(gathered);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_blank_is_missing_text_is_an_error() {
        assert_eq!(parse_value(Some(" ")), Ok(None));
        assert_eq!(parse_value(None), Ok(None));
        assert_eq!(parse_value(Some("12.5")), Ok(Some(12.5)));
        assert_eq!(parse_value(Some("12,5")), Ok(Some(12.5)));
        assert_eq!(parse_value(Some("n/a")), Err(()));
        assert_eq!(parse_value(Some("NaN")), Err(()));
    }

    #[test]
    fn fields_inside_quotes_are_not_split() {
        assert_eq!(count_fields(r#""a,b","c(1,2)",3"#), 3);
    }
}
