//! A PDH-CSV body read straight from its text, in parallel blocks of lines, when every line is
//! plain CSV (each field quoted without inner quotes, or unquoted without any, as many fields as
//! the header, no blank line, no line over the length limit): what typeperf, relog and perfmon
//! write. There polars would give the same cells, so the reader gives the same samples and the
//! same problem lines; any other file is `None` here and goes through polars (`csv::parse_text`).
use super::columns::{ParsedColumn, MAX_PROBLEMS};
use crate::model::to_stored;
use crate::source::csv_text::MAX_LINE_BYTES;
use crate::timefmt::{parse_naive, Reading};
use chrono::NaiveDateTime;
use rayon::prelude::*;

/// Bytes per block of lines read on one worker.
const BLOCK_BYTES: usize = 1 << 20;

/// The header of a plain body: the column names (the time column first) and the rows after it.
pub(crate) struct PlainBody<'a> {
    pub names: Vec<&'a str>,
    rows: &'a str,
}

/// The rows of a plain body, read.
pub(crate) struct PlainRows {
    /// Per data row, its time; `None` when it cannot be read (the row is skipped).
    pub readings: Vec<Option<Reading>>,
    /// The first unreadable time cells (at most `MAX_PROBLEMS` a block), by row.
    pub bad_times: Vec<(usize, String)>,
    /// Per counter column: its values by row and its unreadable cells (the first of them named,
    /// with their text).
    pub columns: Vec<(ParsedColumn, Vec<(usize, String)>)>,
}

/// The header of `body` (LF or CRLF line ends, never a lone CR) when it is plain, with at least
/// one counter column, names not blank and not repeated.
pub(crate) fn plain_header(body: &str) -> Option<PlainBody<'_>> {
    let (header, rows) = body.split_once('\n')?;
    let header = header.strip_suffix('\r').unwrap_or(header);
    if header.len() > MAX_LINE_BYTES {
        return None;
    }
    let mut names = Vec::new();
    for_each_field(header, |_, name| {
        names.push(name);
        true
    })?;
    let mut sorted = names.clone();
    sorted.sort_unstable();
    let repeated = sorted.windows(2).any(|w| w[0] == w[1]);
    if names.len() < 2 || repeated || names.iter().any(|n| n.is_empty()) {
        return None;
    }
    Some(PlainBody { names, rows })
}

impl PlainBody<'_> {
    /// Reads every row: the time cell with `parse_naive` then `to_utc`, every other cell with
    /// `columns::parse_value`. `None` as soon as a line is not plain.
    pub fn read(
        &self,
        to_utc: &(dyn Fn(NaiveDateTime) -> Option<Reading> + Send + Sync),
    ) -> Option<PlainRows> {
        let blocks = line_blocks(self.rows);
        let counts: Vec<usize> = blocks.par_iter().map(|b| line_count(b)).collect();
        let rows: usize = counts.iter().sum();
        if rows == 0 {
            return None;
        }
        let columns = self.names.len() - 1;
        let mut values: Vec<Vec<f64>> = (0..columns).map(|_| vec![f64::NAN; rows]).collect();
        let mut readings: Vec<Option<Reading>> = vec![None; rows];
        // Each block writes its own rows of every column.
        let mut slices: Vec<Vec<&mut [f64]>> = blocks.iter().map(|_| Vec::new()).collect();
        for column in &mut values {
            let mut rest: &mut [f64] = column;
            for (slice, &count) in slices.iter_mut().zip(&counts) {
                let (head, tail) = rest.split_at_mut(count);
                slice.push(head);
                rest = tail;
            }
        }
        let mut firsts = Vec::with_capacity(counts.len());
        let mut reading_slices = Vec::with_capacity(counts.len());
        let mut rest: &mut [Option<Reading>] = &mut readings;
        let mut first = 0;
        for &count in &counts {
            let (head, tail) = rest.split_at_mut(count);
            reading_slices.push(head);
            firsts.push(first);
            rest = tail;
            first += count;
        }
        let found: Vec<Option<BlockProblems>> = blocks
            .into_par_iter()
            .zip(slices)
            .zip(reading_slices)
            .zip(firsts)
            .map(|(((text, mut values), readings), first)| {
                read_block(text, first, &mut values, readings, to_utc)
            })
            .collect();
        let mut bad_times = Vec::new();
        let mut parsed: Vec<(ParsedColumn, Vec<(usize, String)>)> = values
            .into_iter()
            .map(|by_row| {
                let column = ParsedColumn {
                    by_row,
                    ..Default::default()
                };
                (column, Vec::new())
            })
            .collect();
        for block in found {
            let block = block?;
            bad_times.extend(block.times);
            for ((column, texts), bad) in parsed.iter_mut().zip(block.cells) {
                column.bad += bad.count;
                for (row, text) in bad.named {
                    if column.bad_rows.len() < MAX_PROBLEMS {
                        column.bad_rows.push(row);
                        texts.push((row, text));
                    }
                }
            }
        }
        Some(PlainRows {
            readings,
            bad_times,
            columns: parsed,
        })
    }
}

/// Unreadable cells of one block.
struct BlockProblems {
    times: Vec<(usize, String)>,
    cells: Vec<BadCells>,
}

#[derive(Default, Clone)]
struct BadCells {
    count: u64,
    named: Vec<(usize, String)>,
}

/// Reads the lines of one block (its first row is data row `first`) into `values` and
/// `readings`; `None` when a line is not plain.
fn read_block(
    text: &str,
    first: usize,
    values: &mut [&mut [f64]],
    readings: &mut [Option<Reading>],
    to_utc: &(dyn Fn(NaiveDateTime) -> Option<Reading> + Send + Sync),
) -> Option<BlockProblems> {
    let mut problems = BlockProblems {
        times: Vec::new(),
        cells: vec![BadCells::default(); values.len()],
    };
    for (i, line) in text.split_terminator('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() || line.len() > MAX_LINE_BYTES || i >= readings.len() {
            return None;
        }
        let row = first + i;
        let mut reading = None;
        let fields = for_each_field(line, |field, cell| {
            if field == 0 {
                reading = parse_naive(cell.trim()).and_then(to_utc);
                readings[i] = reading;
                if reading.is_none() && problems.times.len() < MAX_PROBLEMS {
                    problems.times.push((row, cell.to_string()));
                }
                return true;
            }
            let Some(column) = values.get_mut(field - 1) else {
                return false;
            };
            // A row without a time is skipped whole: its cells are neither kept nor named.
            if reading.is_none() {
                return true;
            }
            let value = super::columns::parse_value(Some(cell));
            if value.is_err() {
                let bad = &mut problems.cells[field - 1];
                bad.count += 1;
                if bad.named.len() < MAX_PROBLEMS {
                    bad.named.push((row, cell.to_string()));
                }
            }
            column[i] = to_stored(value.ok().flatten());
            true
        })?;
        if fields != values.len() + 1 {
            return None;
        }
    }
    Some(problems)
}

/// Calls `each(index, cell)` for every field of a plain line; the number of fields, or `None`
/// when the line is not plain or `each` says stop.
fn for_each_field<'a>(
    line: &'a str,
    mut each: impl FnMut(usize, &'a str) -> bool,
) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut start = 0;
    let mut field = 0;
    loop {
        let (cell, end) = if bytes.get(start) == Some(&b'"') {
            let close = start + 1 + memchr::memchr(b'"', &bytes[start + 1..])?;
            (&line[start + 1..close], close + 1)
        } else {
            let end =
                memchr::memchr2(b',', b'"', &bytes[start..]).map_or(bytes.len(), |i| start + i);
            (&line[start..end], end)
        };
        if !each(field, cell) {
            return None;
        }
        field += 1;
        match bytes.get(end) {
            None => return Some(field),
            Some(b',') => start = end + 1,
            Some(_) => return None,
        }
    }
}

/// `text` cut into blocks of about `BLOCK_BYTES`, each ending at a line end (the last one at the
/// end of the text).
fn line_blocks(text: &str) -> Vec<&str> {
    let mut blocks = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let target = (start + BLOCK_BYTES).min(text.len());
        let end = match memchr::memchr(b'\n', &text.as_bytes()[target..]) {
            Some(i) if target < text.len() => target + i + 1,
            _ => text.len(),
        };
        blocks.push(&text[start..end]);
        start = end;
    }
    blocks
}

/// Lines in a block (the last one may lack its line end).
fn line_count(block: &str) -> usize {
    let ends = memchr::memchr_iter(b'\n', block.as_bytes()).count();
    ends + usize::from(!block.is_empty() && !block.ends_with('\n'))
}
