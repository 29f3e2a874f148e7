//! Probe CSV exports (any uptime monitor) -> `ProbeSeries`: read with polars as text, columns found
//! by name or content, many time shapes, status or latency-only checks; a probe column, or a
//! target and a vantage column (series per (target, vantage)); unreadable rows are counted and
//! named by their line numbers.
mod blocks;
pub mod detect;
mod explain;
mod plain;
mod rows;
mod series;
pub mod vocab;

use self::blocks::{Block, BlockReader, Next};
use self::detect::{Detected, LatencyUnit, Role};
use self::rows::{Plan, Rows};
use self::series::finish;
pub use super::merge::merge_probes;
use crate::error::{Error, Result};
use crate::memory::FileBytes;
use crate::model::{InputReport, ProbeSeries};
use crate::timefmt::{parse_timestamp, Zone};
use polars::prelude::*;
use std::path::Path;

/// How to read probe exports.
#[derive(Debug, Clone)]
pub struct ProbeReadOptions {
    /// Zone of timestamps that carry none.
    pub input_tz: Zone,
    /// A check whose latency is at or over this failed (used when there is no status column).
    pub timeout: chrono::Duration,
    /// `time=COL,probe=COL,status=COL,latency=COL,target=COL,vantage=COL`: overrides the detection.
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
    /// What a reader of the report must know about how times were read (DST resolutions).
    pub notes: Vec<String>,
}

/// Rows looked at to detect columns and units.
const SAMPLE_ROWS: usize = 200;
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
///
/// UTF-8 files are streamed: polars reads a block of records at a time and the rows are read in
/// parallel, so memory stays flat however long the export. Files that need a whole-file repair
/// (UTF-16, Windows-1252, lone CR line ends, an unclosed quote, an over-long line) are read whole.
pub fn read_probe_csv(path: &Path, opts: &ProbeReadOptions) -> Result<ProbeFile> {
    let head = read_head(path)?;
    let utf16 = head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]);
    let first_row = first_record(&crate::source::text::decode_head(&head));
    let headerless = first_row
        .iter()
        .any(|c| parse_timestamp(c, Zone::UTC).is_some());
    let why_whole = if utf16 {
        "UTF-16 text"
    } else {
        match read_streaming(path, opts, headerless)? {
            Streamed::Read(read) => return Ok(read),
            Streamed::NeedsRepair(why) => why,
        }
    };
    let mut read = read_whole(path, opts, headerless, utf16)?;
    read.detection
        .push(format!("  read whole rather than streamed: {why_whole}"));
    Ok(read)
}

/// What the block-by-block read gave.
enum Streamed {
    Read(ProbeFile),
    /// The file needs a repair only the whole-file read makes.
    NeedsRepair(&'static str),
}

/// Blocks read and parsed ahead of the one whose rows are being read.
const READ_AHEAD: usize = 2;

/// A block as polars parsed it, or why there are no more.
enum Parsed<'a> {
    Block(Block<'a>, Result<DataFrame>),
    /// A block after the first without a quote, with where its records lie: read here.
    Plain(Block<'a>, Vec<(usize, usize)>),
    End,
    NeedsRepair(&'static str),
}

/// The block-by-block read: one thread reads blocks and has polars parse them, ahead of the rows
/// being read on the others (polars' parse has stretches on one core; reading the rows fills them).
fn read_streaming(path: &Path, opts: &ProbeReadOptions, headerless: bool) -> Result<Streamed> {
    read_streaming_in(path, opts, headerless, blocks::BLOCK_BYTES)
}

fn read_streaming_in(
    path: &Path,
    opts: &ProbeReadOptions,
    headerless: bool,
    block_bytes: usize,
) -> Result<Streamed> {
    // Mapped: polars parses the blocks where they lie, with no copy into buffers first.
    let file = crate::memory::file_bytes(path).map_err(|e| Error::io(path, e))?;
    let file = &file;
    let release = |block: &Block| {
        if let FileBytes::Mapped(map) = file {
            map.done_with(block.span.0, block.span.1);
        }
    };
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel(READ_AHEAD);
        scope.spawn(move || {
            let mut blocks = BlockReader::with_block_size(file, block_bytes);
            // The first block has the header (unless the file has none); the rest get its names.
            let mut schema: Option<SchemaRef> = None;
            loop {
                let item = match blocks.next_block() {
                    Next::Block(block) if schema.is_some() && !block.quoted => {
                        let records = plain::record_spans(&block.bytes);
                        Ok(Parsed::Plain(block, records))
                    }
                    Next::Block(block) => {
                        let has_header = schema.is_none() && !headerless;
                        // Blocks are checked UTF-8: polars checks each block once rather than
                        // each cell (its lossy mode validates every cell on its own).
                        let frame = read_frame(
                            path,
                            &block.bytes,
                            has_header,
                            schema.clone(),
                            CsvEncoding::Utf8,
                            block.quoted,
                        );
                        if let (None, Ok(frame)) = (&schema, &frame) {
                            schema = Some(frame.schema().clone());
                        }
                        // polars has copied the cells: the block's pages can leave memory (a
                        // problem line read later faults them back in).
                        release(&block);
                        Ok(Parsed::Block(block, frame))
                    }
                    Next::End => Ok(Parsed::End),
                    Next::NeedsRepair(why) => Ok(Parsed::NeedsRepair(why)),
                };
                let more = matches!(item, Ok(Parsed::Block(_, Ok(_)) | Parsed::Plain(..)));
                // A closed channel means the reader stopped early: nothing more is wanted.
                if tx.send(item).is_err() || !more {
                    break;
                }
            }
        });
        read_blocks(path, opts, headerless, rx.iter(), release)
    })
}

fn read_blocks<'a>(
    path: &Path,
    opts: &ProbeReadOptions,
    headerless: bool,
    mut parsed: impl Iterator<Item = Result<Parsed<'a>>>,
    release: impl Fn(&Block),
) -> Result<Streamed> {
    let mut next = || parsed.next().unwrap_or(Ok(Parsed::End));
    let (first, frame) = match next()? {
        Parsed::Block(block, frame) => (block, frame?),
        // Never sent first (the header comes from polars); were it, the whole-file read is right.
        Parsed::Plain(..) => return Ok(Streamed::NeedsRepair("the first block was not parsed")),
        Parsed::End => return Ok(Streamed::NeedsRepair("empty file")),
        Parsed::NeedsRepair(why) => return Ok(Streamed::NeedsRepair(why)),
    };
    let (layout, columns) = lay_out(path, &frame, opts, headerless)?;
    let header_records = usize::from(!headerless);
    let mut rows = Rows::default();
    let first_problems = rows::interpret_onto(&layout.plan, &rows::Frame(&columns), &mut rows);
    drop((frame, columns));
    let mut problems = block_problems(&first, header_records, first_problems);
    if let Ok(meta) = std::fs::metadata(path) {
        let bytes_per_row = first.bytes.len() as f64 / (rows.read + rows.skipped).max(1) as f64;
        rows.reserve_for((meta.len() as f64 / bytes_per_row.max(1.0)) as u64);
    }
    loop {
        let (block, found) = match next()? {
            Parsed::Block(block, frame) => {
                let found = rows::interpret_onto(
                    &layout.plan,
                    &rows::Frame(&text_columns(path, &frame?)?),
                    &mut rows,
                );
                (block, found)
            }
            Parsed::Plain(block, records) => {
                // simdutf8's check: std's was 3% of the ingest.
                let found = match simdutf8::basic::from_utf8(&block.bytes) {
                    Ok(text) => {
                        let source = plain::PlainBlock::new(text, records, layout.names.len());
                        rows::interpret_onto(&layout.plan, &source, &mut rows)
                    }
                    Err(_) => return Ok(Streamed::NeedsRepair("not valid UTF-8")),
                };
                release(&block);
                (block, found)
            }
            Parsed::End => break,
            Parsed::NeedsRepair(why) => return Ok(Streamed::NeedsRepair(why)),
        };
        if problems.len() < rows::SHOWN_PROBLEMS {
            problems.extend(block_problems(&block, 0, found));
            problems.truncate(rows::SHOWN_PROBLEMS);
        }
    }
    Ok(Streamed::Read(finish(
        path, opts, &layout, rows, problems, 0,
    )))
}

/// The whole file in memory, repaired where needed, read in one frame.
fn read_whole(
    path: &Path,
    opts: &ProbeReadOptions,
    headerless: bool,
    utf16: bool,
) -> Result<ProbeFile> {
    let utf16_bytes = if utf16 {
        let all = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Some(crate::source::text::decode_head(&all).into_bytes())
    } else {
        None
    };
    let (repaired, repairs, long_lines) = crate::source::csv_text::repair_file(path, utf16_bytes)?;
    let bytes = match repaired {
        Some(bytes) => bytes,
        None => std::fs::read(path).map_err(|e| Error::io(path, e))?,
    };
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(&bytes);
    let frame = read_frame(path, body, !headerless, None, CsvEncoding::LossyUtf8, true)?;
    let (layout, columns) = lay_out(path, &frame, opts, headerless)?;
    let rows = rows::interpret(&layout.plan, &columns);
    let problems = name_lines(body, headerless, &rows.problems);
    let problems = [repairs, problems].concat();
    Ok(finish(path, opts, &layout, rows, problems, long_lines))
}

/// What the first rows told about the file.
struct Layout {
    names: Vec<String>,
    headerless: bool,
    found: Detected,
    unit_why: String,
    /// Times carry no zone.
    naive: bool,
    plan: Plan,
}

/// Finds the columns and units from the header and the first rows of `frame`.
fn lay_out(
    path: &Path,
    frame: &DataFrame,
    opts: &ProbeReadOptions,
    headerless: bool,
) -> Result<(Layout, Vec<StringChunked>)> {
    let names: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    if names.is_empty() {
        return Err(Error::bad_input(path, "empty file: no header and no rows"));
    }
    let columns = text_columns(path, frame)?;
    let pinned = pinned_columns(path, &names, opts.columns.as_deref())?;
    let sample: Vec<Vec<Option<&str>>> = columns
        .iter()
        .map(|ca| ca.iter().take(SAMPLE_ROWS).collect())
        .collect();
    let found = detect::detect(&names, &sample, &pinned, opts.input_tz, headerless);
    let list = names.join(", ");
    let Some(time) = found.time else {
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
    let naive = sample[time].iter().flatten().any(|s| is_naive_time(s));
    let default_name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "probe".to_string());
    // A target column names the series, with the vantage beside it; a vantage pinned alone
    // names them as a probe column would.
    let (label, vantage) = match (found.target, found.vantage) {
        (Some(t), v) => (Some(t), v),
        (None, Some(v)) => (Some(v), None),
        (None, None) => (found.probe, None),
    };
    let plan = Plan {
        time,
        probe: label,
        vantage,
        status: found.status,
        latency: found.latency,
        unit,
        timeout_ms: opts.timeout.num_milliseconds() as f64,
        zone: opts.input_tz,
        default_name,
        kuma_codes: detect::is_kuma_heartbeats(&names),
    };
    drop(sample);
    let layout = Layout {
        names,
        headerless,
        found,
        unit_why,
        naive,
        plan,
    };
    Ok((layout, columns))
}

fn text_columns(path: &Path, frame: &DataFrame) -> Result<Vec<StringChunked>> {
    frame
        .columns()
        .iter()
        .map(|col| {
            col.str()
                .cloned()
                .map_err(|e| Error::bad_input(path, format!("column {}: {e}", col.name())))
        })
        .collect()
}

/// The problem lines of one block (`line N: reason`, from its rows' problems), counted as the
/// file has them.
fn block_problems(
    block: &Block,
    header_records: usize,
    problems: Vec<(usize, String)>,
) -> Vec<String> {
    let wanted: Vec<usize> = problems
        .iter()
        .map(|(row, _)| row + header_records)
        .collect();
    let lines = record_lines(&block.bytes, &wanted);
    problems
        .into_iter()
        .zip(lines)
        .map(|((row, reason), line)| match line {
            Some(line) => format!("line {}: {reason}", block.first_line + line - 1),
            None => format!("row {}: {reason}", row + 1),
        })
        .collect()
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
    let mut reader = ::csv::ReaderBuilder::new()
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
/// `schema` names the columns of a block after the first (which has no header).
fn read_frame(
    path: &Path,
    bytes: &[u8],
    has_header: bool,
    schema: Option<SchemaRef>,
    encoding: CsvEncoding,
    quoted: bool,
) -> Result<DataFrame> {
    // Text without a quote character reads the same with quoting off, and polars' line count
    // and field split are cheaper without it (its serial line count was ~13% of the ingest).
    let quote = if quoted { Some(b'"') } else { None };
    let parse = CsvParseOptions::default()
        .with_quote_char(quote)
        .with_truncate_ragged_lines(true)
        .with_encoding(encoding)
        .with_missing_is_null(true);
    CsvReadOptions::default()
        .with_has_header(has_header)
        .with_infer_schema_length(Some(0))
        .with_schema(schema)
        .with_raise_if_empty(false)
        // polars cuts its input into 16 pieces per thread named here; the pieces still run on
        // every core. 16 pieces of a 4 MiB block cost ~17% less CPU than 32 (builders, arrays).
        .with_n_threads(Some(1))
        .with_parse_options(parse)
        .into_reader_with_file_handle(std::io::Cursor::new(bytes))
        .finish()
        .map_err(|e| {
            let e = crate::source::csv_text::one_line(&e.to_string());
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

/// Turns (data row, reason) into `line N: reason`, counting lines as the file has them.
fn name_lines(bytes: &[u8], headerless: bool, problems: &[(usize, String)]) -> Vec<String> {
    if problems.is_empty() {
        return Vec::new();
    }
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
