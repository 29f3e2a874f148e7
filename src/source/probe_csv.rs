//! Probe CSV exports (any uptime monitor) -> `ProbeSeries`: read with polars as text, columns found
//! by name or content, many time shapes, status or latency-only checks; unreadable rows are counted
//! and named by their line numbers.
pub mod detect;
mod explain;
pub mod vocab;

use self::detect::{Detected, LatencyUnit, Role};
use self::explain::{explain, Facts};
use crate::error::{Error, Result};
use crate::model::{Check, InputReport, ProbeSeries};
use crate::timefmt::{parse_timestamp, Zone};
use polars::prelude::*;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// How to read probe exports.
#[derive(Debug, Clone)]
pub struct ProbeReadOptions {
    /// Zone of timestamps that carry none.
    pub input_tz: Zone,
    /// A check whose latency is at or over this failed (used when there is no status column).
    pub timeout: chrono::Duration,
    /// `time=COL,probe=COL,status=COL,latency=COL`: overrides the detection.
    pub columns: Option<String>,
}

impl Default for ProbeReadOptions {
    fn default() -> Self {
        ProbeReadOptions {
            input_tz: Zone::UTC,
            timeout: chrono::Duration::seconds(15),
            columns: None,
        }
    }
}

/// One probe export, read.
#[derive(Debug, Clone)]
pub struct ProbeFile {
    pub probes: Vec<ProbeSeries>,
    pub report: InputReport,
    /// What was detected and why, one human line each (for `--explain`).
    pub detection: Vec<String>,
    /// The zone zone-less times were read in, when the file had such times.
    pub assumed_zone: Option<String>,
}

/// Rows looked at to detect columns and units.
const SAMPLE_ROWS: usize = 200;
/// Problem lines kept per file (the skipped count is complete).
const SHOWN_PROBLEMS: usize = 5;
/// How much of the file is looked at for the header and encoding.
const HEAD_BYTES: u64 = 64 * 1024;

/// Whether a CSV header (its first row) looks like a probe export: a column named like a status,
/// latency or probe column, or, without a header, a time next to a status word (`True`, `down`).
pub fn header_looks_like_probes(header: &[String]) -> bool {
    const SIGNAL_WORDS: &[&str] = &[
        "status", "result", "success", "probe", "monitor", "latency", "ping", "rtt", "uptime",
    ];
    let named = header.iter().any(|h| {
        let norm = detect::normalize(h);
        let words: Vec<&str> = norm.split('_').collect();
        words.iter().any(|w| SIGNAL_WORDS.contains(w))
            || (words.contains(&"response") && words.contains(&"time"))
            || matches!(norm.as_str(), "up" | "ok" | "checked_at")
    });
    let headerless = header
        .iter()
        .any(|h| parse_timestamp(h, Zone::UTC).is_some())
        && header.iter().any(|h| vocab::is_status_word(h));
    named || headerless
}

/// Reads one probe export. Fails only when the file cannot be used at all (unreadable, not CSV,
/// no time column, neither status nor latency); bad rows are skipped and counted in the report.
pub fn read_probe_csv(path: &Path, opts: &ProbeReadOptions) -> Result<ProbeFile> {
    let head = read_head(path)?;
    let utf16 = head.starts_with(&[0xFF, 0xFE]);
    let first_row = first_record(&super::sniff::decode_head(&head));
    let headerless = first_row
        .iter()
        .any(|c| parse_timestamp(c, Zone::UTC).is_some());
    let utf16_bytes = if utf16 {
        let all = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Some(super::sniff::decode_head(&all).into_bytes())
    } else {
        None
    };
    let (utf16_bytes, repairs, long_lines) = super::csv_text::repair_file(path, utf16_bytes)?;
    let df = read_frame(path, utf16_bytes.as_deref(), headerless)?;
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    if names.is_empty() {
        return Err(Error::bad_input(path, "empty file: no header and no rows"));
    }
    let mut columns: Vec<StringChunked> = Vec::with_capacity(names.len());
    for col in df.columns() {
        let ca = col
            .str()
            .map_err(|e| Error::bad_input(path, format!("column {}: {e}", col.name())))?;
        columns.push(ca.clone());
    }
    let pinned = pinned_columns(path, &names, opts.columns.as_deref())?;
    let sample: Vec<Vec<Option<&str>>> = columns
        .iter()
        .map(|ca| ca.iter().take(SAMPLE_ROWS).collect())
        .collect();
    let found = detect::detect(&names, &sample, &pinned, opts.input_tz, headerless);
    let list = names.join(", ");
    let Some(time_col) = found.time else {
        return Err(Error::bad_input(
            path,
            format!("no time column found (columns: {list}); name it with --columns time=COL"),
        ));
    };
    if found.status.is_none() && found.latency.is_none() {
        return Err(Error::bad_input(
            path,
            format!("no status or latency column found (columns: {list}); name one with --columns status=COL or latency=COL"),
        ));
    }
    let (unit, unit_why) = latency_unit(&found, &names, &sample);
    let naive = sample[time_col].iter().flatten().any(|s| is_naive_time(s));
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "probe".to_string());
    let layout = Layout {
        time: &columns[time_col],
        probe: found.probe.map(|i| &columns[i]),
        status: found.status.map(|i| &columns[i]),
        latency: found.latency.map(|i| &columns[i]),
        unit,
        timeout_ms: opts.timeout.num_milliseconds() as f64,
        zone: opts.input_tz,
        default_name: &stem,
    };
    let mut rows = interpret(&layout);
    let problems = name_lines(path, utf16_bytes.as_deref(), headerless, &rows.problems);
    let problems = [repairs, problems].concat();
    let source: Arc<str> = Arc::from(path.display().to_string());
    let mut probes = Vec::new();
    let mut duplicates = 0;
    let mut unsorted = false;
    for (name, mut checks) in rows.series.drain(..) {
        unsorted |= checks.windows(2).any(|w| w[1].time < w[0].time);
        checks.sort_by_key(|c| c.time);
        let before = checks.len();
        checks.dedup_by_key(|c| c.time);
        duplicates += before - checks.len();
        probes.push(ProbeSeries {
            name,
            local: false,
            checks,
            source_file: source.clone(),
        });
    }
    let first = probes
        .iter()
        .filter_map(|p| p.checks.first())
        .map(|c| c.time)
        .min();
    let last = probes
        .iter()
        .filter_map(|p| p.checks.last())
        .map(|c| c.time)
        .max();
    let report = InputReport {
        path: path.display().to_string(),
        kind: "probe_csv".to_string(),
        records_read: rows.read,
        records_skipped: rows.skipped + long_lines,
        problems,
        first,
        last,
        failed: false,
    };
    let facts = Facts {
        names: &names,
        found: &found,
        headerless,
        unit_why: &unit_why,
        naive,
        zone: opts.input_tz,
        timeout: opts.timeout,
        probes: &probes,
        duplicates,
        unsorted,
    };
    let detection = explain(path, &facts, &report);
    Ok(ProbeFile {
        probes,
        report,
        detection,
        assumed_zone: naive.then(|| opts.input_tz.name().to_string()),
    })
}

/// Merges series of the same probe name (from several files): checks sorted, duplicates dropped.
pub fn merge_probes(series: Vec<ProbeSeries>) -> Vec<ProbeSeries> {
    let mut merged: Vec<ProbeSeries> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for s in series {
        match index.get(&s.name) {
            Some(&i) => {
                let m = &mut merged[i];
                m.checks.extend(s.checks);
                m.local |= s.local;
                if !m.source_file.split(", ").any(|f| f == &*s.source_file) {
                    m.source_file = Arc::from(format!("{}, {}", m.source_file, s.source_file));
                }
            }
            None => {
                index.insert(s.name.clone(), merged.len());
                merged.push(s);
            }
        }
    }
    for m in &mut merged {
        m.checks.sort_by_key(|c| c.time);
        m.checks.dedup_by_key(|c| c.time);
    }
    merged
}

fn read_head(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut head = Vec::new();
    file.take(HEAD_BYTES)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(path, e))?;
    Ok(head)
}

/// The first non-empty line of `text` split as one CSV record.
fn first_record(text: &str) -> Vec<String> {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line.as_bytes());
    reader
        .records()
        .next()
        .and_then(|r| r.ok())
        .map(|r| r.iter().map(|c| c.trim().to_string()).collect())
        .unwrap_or_default()
}

/// Every column as text; short rows are padded with nulls, long rows cut (polars' ragged mode).
fn read_frame(path: &Path, utf8: Option<&[u8]>, headerless: bool) -> Result<DataFrame> {
    let parse = CsvParseOptions::default()
        .with_truncate_ragged_lines(true)
        .with_encoding(CsvEncoding::LossyUtf8)
        .with_missing_is_null(true);
    let options = CsvReadOptions::default()
        .with_has_header(!headerless)
        .with_infer_schema_length(Some(0))
        .with_raise_if_empty(false)
        .with_parse_options(parse);
    let frame = match utf8 {
        Some(bytes) => options
            .into_reader_with_file_handle(std::io::Cursor::new(bytes.to_vec()))
            .finish(),
        None => options
            .try_into_reader_with_file_path(Some(path.to_path_buf()))
            .and_then(|r| r.finish()),
    };
    frame.map_err(|e| {
        let e = super::csv_text::one_line(&e.to_string());
        Error::bad_input(path, format!("cannot read as CSV: {e}"))
    })
}

fn pinned_columns(path: &Path, names: &[String], map: Option<&str>) -> Result<Vec<(Role, usize)>> {
    let Some(map) = map else {
        return Ok(Vec::new());
    };
    let roles = detect::parse_column_map(map).map_err(|m| Error::arg("--columns", m))?;
    roles
        .into_iter()
        .map(|(role, col)| {
            detect::find_column(names, &col)
                .map(|i| (role, i))
                .ok_or_else(|| {
                    Error::bad_input(
                        path,
                        format!(
                            "--columns {}={col}: no such column (columns: {})",
                            role.as_str(),
                            names.join(", ")
                        ),
                    )
                })
        })
        .collect()
}

fn latency_unit(
    found: &Detected,
    names: &[String],
    sample: &[Vec<Option<&str>>],
) -> (LatencyUnit, String) {
    let Some(i) = found.latency else {
        return (detect::MILLISECONDS, String::new());
    };
    if let Some(unit) = detect::unit_from_name(&names[i]) {
        return (unit, format!("unit {} (from its name)", unit.name));
    }
    let values: Vec<f64> = sample[i]
        .iter()
        .filter_map(|v| vocab::parse_latency(*v).ok().flatten())
        .collect();
    let (unit, why) = detect::unit_from_values(&values);
    (unit, format!("unit {} ({why})", unit.name))
}

/// A time without zone reads differently in two zones.
fn is_naive_time(s: &str) -> bool {
    let a = parse_timestamp(s, Zone::UTC);
    let b = parse_timestamp(s, Zone(chrono_tz::Tz::Asia__Tokyo));
    a.is_some() && a != b
}

/// The columns in use and how to read them.
struct Layout<'a> {
    time: &'a StringChunked,
    probe: Option<&'a StringChunked>,
    status: Option<&'a StringChunked>,
    latency: Option<&'a StringChunked>,
    unit: LatencyUnit,
    timeout_ms: f64,
    zone: Zone,
    default_name: &'a str,
}

/// Rows turned into checks, per probe in order of first appearance.
struct Rows {
    series: Vec<(String, Vec<Check>)>,
    read: u64,
    skipped: u64,
    /// (0-based data row, reason) for the first few skipped rows.
    problems: Vec<(usize, String)>,
}

fn interpret(layout: &Layout) -> Rows {
    let mut rows = Rows {
        series: Vec::new(),
        read: 0,
        skipped: 0,
        problems: Vec::new(),
    };
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut probe_it = layout.probe.map(|c| c.iter());
    let mut status_it = layout.status.map(|c| c.iter());
    let mut latency_it = layout.latency.map(|c| c.iter());
    for (row, time) in layout.time.iter().enumerate() {
        let probe = probe_it.as_mut().and_then(|it| it.next()).flatten();
        let status = status_it.as_mut().and_then(|it| it.next()).flatten();
        let latency = latency_it.as_mut().and_then(|it| it.next()).flatten();
        if time.is_none() && probe.is_none() && status.is_none() && latency.is_none() {
            continue; // a blank line
        }
        match read_row(layout, time, probe, status, latency) {
            Ok((name, check)) => {
                rows.read += 1;
                let i = match index.get(name) {
                    Some(&i) => i,
                    None => {
                        index.insert(name.to_string(), rows.series.len());
                        rows.series.push((name.to_string(), Vec::new()));
                        rows.series.len() - 1
                    }
                };
                rows.series[i].1.push(check);
            }
            Err(reason) => {
                rows.skipped += 1;
                if rows.problems.len() < SHOWN_PROBLEMS {
                    rows.problems.push((row, reason));
                }
            }
        }
    }
    rows
}

fn read_row<'a>(
    layout: &'a Layout,
    time: Option<&str>,
    probe: Option<&'a str>,
    status: Option<&str>,
    latency: Option<&str>,
) -> std::result::Result<(&'a str, Check), String> {
    let time_text = time.map(str::trim).unwrap_or("");
    if time_text.is_empty() {
        return Err("no time".to_string());
    }
    let time = parse_timestamp(time_text, layout.zone)
        .ok_or_else(|| format!("cannot read time {time_text:?}"))?;
    let name = match (layout.probe, probe.map(str::trim)) {
        (None, _) => layout.default_name,
        (Some(_), Some(n)) if !n.is_empty() => n,
        (Some(_), _) => return Err("no probe name".to_string()),
    };
    let latency_value = vocab::parse_latency(latency);
    let latency_ms = latency_value
        .ok()
        .flatten()
        .map(|v| v * layout.unit.ms_per_unit);
    let status_text = status.map(str::trim).filter(|s| !s.is_empty());
    let ok = match (status_text, layout.latency.is_some()) {
        (Some(s), _) => {
            vocab::parse_status(s).ok_or_else(|| format!("status {s:?} is neither up nor down"))?
        }
        (None, true) if layout.status.is_some() && latency.is_none() => {
            return Err("no status and no latency".to_string());
        }
        (None, true) => {
            if latency_value.is_err() {
                let text = latency.unwrap_or("").trim();
                return Err(format!("cannot read latency {text:?}"));
            }
            latency_ms.is_some_and(|ms| ms < layout.timeout_ms)
        }
        (None, false) => return Err("no status".to_string()),
    };
    Ok((
        name,
        Check {
            time,
            ok,
            latency_ms,
        },
    ))
}

/// Turns (data row, reason) into `line N: reason`, counting lines as the file has them.
fn name_lines(
    path: &Path,
    utf8: Option<&[u8]>,
    headerless: bool,
    problems: &[(usize, String)],
) -> Vec<String> {
    if problems.is_empty() {
        return Vec::new();
    }
    let owned;
    let bytes = match utf8 {
        Some(b) => b,
        None => {
            owned = std::fs::read(path).unwrap_or_default();
            &owned
        }
    };
    let offset = usize::from(!headerless);
    let wanted: Vec<usize> = problems.iter().map(|(row, _)| row + offset).collect();
    let lines = record_lines(bytes, &wanted);
    problems
        .iter()
        .zip(lines)
        .map(|((row, reason), line)| match line {
            Some(line) => format!("line {line}: {reason}"),
            None => format!("row {}: {reason}", row + 1),
        })
        .collect()
}

/// 1-based line numbers at which the given 0-based CSV records start (quotes may hold newlines).
pub fn record_lines(bytes: &[u8], records: &[usize]) -> Vec<Option<u64>> {
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let max = records.iter().copied().max().unwrap_or(0);
    let mut starts: Vec<u64> = vec![1];
    let mut line = 1u64;
    let mut quoted = false;
    for (i, &b) in body.iter().enumerate() {
        if starts.len() > max {
            break;
        }
        if b == b'"' {
            quoted = !quoted;
        } else if b == b'\n' {
            line += 1;
            if !quoted && i + 1 < body.len() {
                starts.push(line);
            }
        }
    }
    records.iter().map(|r| starts.get(*r).copied()).collect()
}

#[cfg(test)]
mod tests;
