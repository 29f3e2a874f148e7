//! The columns of a metric CSV once polars has read them as text: sample times shared by a file's
//! series (`RowTimes`), and each column's cells read as numbers in parallel blocks of rows
//! (`parse_column`), with the unreadable ones remembered by row for the problem lines; and the
//! problem bookkeeping both metric readers share (`skip`, `unreadable_value`).
use crate::model::{to_stored, InputReport, Samples};
use chrono::{DateTime, Utc};
use rayon::prelude::*;
use std::sync::Arc;

/// At most this many problem lines are kept per file (the counts stay complete).
pub(crate) const MAX_PROBLEMS: usize = 10;

/// Counts one skipped record (row or cell) and keeps its message while there is room.
/// A row not used: counted in `records_skipped` (which counts rows, never cells), and named.
pub(crate) fn skip(report: &mut InputReport, message: String) {
    report.records_skipped += 1;
    name_problem(report, message);
}

/// A value that cannot be read: its sample is missing, its row still counts as read; named here
/// and counted in a note (`unreadable_note`).
pub(crate) fn unreadable_value(report: &mut InputReport, unreadable: &mut u64, message: String) {
    *unreadable += 1;
    name_problem(report, message);
}

/// The note for the values `unreadable_value` counted.
pub(crate) fn unreadable_note(unreadable: u64) -> Option<String> {
    (unreadable > 0).then(|| {
        let values = if unreadable == 1 { "value" } else { "values" };
        format!("{unreadable} {values} could not be read as numbers: counted as missing samples, their rows kept")
    })
}

fn name_problem(report: &mut InputReport, message: String) {
    if report.problems.len() < MAX_PROBLEMS {
        report.problems.push(message);
    }
}

/// One cell as a number: `None` for blank (`""`, `" "`), `Err` for text that is not a number.
/// A decimal comma (`12,5`) and thousands separators are accepted (see `numbers.rs`).
pub(crate) fn parse_value(cell: Option<&str>) -> std::result::Result<Option<f64>, ()> {
    let Some(text) = cell.map(str::trim) else {
        return Ok(None);
    };
    if text.is_empty() {
        return Ok(None);
    }
    // Thousands separators too (`1,234.5`); an ambiguous `1,234` is refused, not guessed.
    crate::source::numbers::parse_localized(text)
        .map(Some)
        .map_err(|_| ())
}

/// One series' sample times and values, as read.
pub(crate) type Gathered = (Vec<DateTime<Utc>>, Vec<Option<f64>>);

/// A series' samples in time order (stable when they are not in order).
pub(crate) fn sorted_samples((times, values): Gathered) -> Samples {
    let mut pairs: Vec<_> = times.into_iter().zip(values).collect();
    if !pairs.windows(2).all(|w| w[0].0 <= w[1].0) {
        pairs.sort_by_key(|p| p.0);
    }
    Samples::from_pairs(pairs)
}

/// The rows of a wide file that have a sample time, in time order (stable), and those times,
/// shared by the series of every column.
pub(crate) struct RowTimes {
    pub times: Arc<[DateTime<Utc>]>,
    /// `rows[i]` is the data row of `times[i]`; `None` when that is every row, in order.
    rows: Option<Vec<usize>>,
}

impl RowTimes {
    pub fn new(times: &[Option<DateTime<Utc>>]) -> RowTimes {
        let mut pairs: Vec<(DateTime<Utc>, usize)> = times
            .iter()
            .enumerate()
            .filter_map(|(row, t)| t.map(|t| (t, row)))
            .collect();
        let sorted = pairs.windows(2).all(|w| w[0].0 <= w[1].0);
        if !sorted {
            pairs.sort_by_key(|p| p.0);
        }
        let every_row = sorted && pairs.len() == times.len();
        RowTimes {
            times: pairs.iter().map(|p| p.0).collect(),
            rows: (!every_row).then(|| pairs.iter().map(|p| p.1).collect()),
        }
    }

    /// One value per row (in row order) put in time order, as a series' samples.
    pub fn samples(&self, by_row: Vec<f64>) -> Samples {
        let values = match &self.rows {
            None => by_row,
            Some(rows) => rows.iter().map(|&row| by_row[row]).collect(),
        };
        Samples::new(self.times.clone(), values)
    }
}

/// Rows per block when a column's cells are read in parallel.
const BLOCK_ROWS: usize = 16_384;

/// One column's cells read as numbers.
#[derive(Default)]
pub(crate) struct ParsedColumn {
    /// One value per data row; NaN when missing, unreadable, or the row has no time.
    pub by_row: Vec<f64>,
    /// Rows with a time whose cell is not a number: the first `MAX_PROBLEMS` of them...
    pub bad_rows: Vec<usize>,
    /// ...and how many there are.
    pub bad: u64,
    /// Over every cell, with a time or not: how many are numbers, how many text that is not.
    pub numbers: u64,
    pub texts: u64,
}

impl ParsedColumn {
    fn append(&mut self, block: ParsedColumn) {
        let room = MAX_PROBLEMS.saturating_sub(self.bad_rows.len());
        self.bad_rows.extend(block.bad_rows.into_iter().take(room));
        self.by_row.extend(block.by_row);
        self.bad += block.bad;
        self.numbers += block.numbers;
        self.texts += block.texts;
    }

    /// Counts and names the unreadable cells in `report` (row order), `message(row)` naming one.
    pub fn report_bad(
        &self,
        report: &mut InputReport,
        unreadable: &mut u64,
        message: impl Fn(usize) -> String,
    ) {
        for &row in &self.bad_rows {
            unreadable_value(report, unreadable, message(row));
        }
        *unreadable += self.bad - self.bad_rows.len() as u64;
    }
}

/// Reads a column's cells as numbers (`parse_value`), in blocks of rows on the rayon pool.
/// `timed[row]` is false for a row that was skipped: its cell is counted but not kept.
pub(crate) fn parse_column(cells: &[Option<&str>], timed: &[bool]) -> ParsedColumn {
    let blocks: Vec<ParsedColumn> = cells
        .par_chunks(BLOCK_ROWS)
        .zip(timed.par_chunks(BLOCK_ROWS))
        .enumerate()
        .map(|(block, (cells, timed))| {
            let mut out = ParsedColumn {
                by_row: Vec::with_capacity(cells.len()),
                ..Default::default()
            };
            for (i, (cell, &timed)) in cells.iter().zip(timed).enumerate() {
                let value = parse_value(*cell);
                match value {
                    Ok(Some(_)) => out.numbers += 1,
                    Err(()) => out.texts += 1,
                    Ok(None) => {}
                }
                if !timed {
                    out.by_row.push(f64::NAN);
                    continue;
                }
                if value.is_err() {
                    out.bad += 1;
                    if out.bad_rows.len() < MAX_PROBLEMS {
                        out.bad_rows.push(block * BLOCK_ROWS + i);
                    }
                }
                out.by_row.push(to_stored(value.ok().flatten()));
            }
            out
        })
        .collect();
    let mut column = ParsedColumn {
        by_row: Vec::with_capacity(cells.len()),
        ..Default::default()
    };
    for block in blocks {
        column.append(block);
    }
    column
}
