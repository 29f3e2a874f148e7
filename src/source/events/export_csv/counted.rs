//! A count of a mapped CSV export: its records found by `scan` (on a thread of their own unless
//! one thread is asked for), only the cells a count reads made text, each row counted as the csv
//! path counts it.
use super::reading::{Ending, Rows};
use super::rows::{row_event, COUNT_COLUMNS};
use super::scan::{Batch, Cell, Found, Scanner};
use super::Layout;
use crate::error::Result;
use crate::memory::MappedFile;
use std::borrow::Cow;
use std::sync::mpsc;

/// Batches the scanner may be ahead of the rows.
const AHEAD: usize = 8;

/// Mapped bytes the rows have passed before they are let go (see `MappedFile::done_with`); the
/// scanner is ahead of the rows, so nothing it still reads goes.
const RELEASE: usize = 4 << 20;

/// Counts the rows of the text at `start` in `map`, all but the last (for `Rows::finish`, which
/// checks it for a cut-off end as it does the csv path's).
pub(super) fn read<'p, 'a>(
    mut rows: Rows<'p, 'a>,
    map: &MappedFile,
    start: usize,
    delimiter: u8,
    own_thread: bool,
) -> Result<(Rows<'p, 'a>, Ending)> {
    let text = map.bytes().get(start..).unwrap_or_default();
    let mut count = Counting {
        text,
        map,
        start,
        needed: None,
        released: 0,
        pending: None,
        row: Vec::new(),
    };
    let open_quote = if own_thread {
        let (to_rows, batches) = mpsc::sync_channel::<Batch>(AHEAD);
        std::thread::scope(|scope| {
            let scanner = scope.spawn(move || {
                let mut scanner = Scanner::new(text, delimiter);
                while let Some(batch) = scanner.batch() {
                    if to_rows.send(batch).is_err() {
                        break;
                    }
                }
                scanner.open_quote()
            });
            let mut result = Ok(());
            for batch in &batches {
                result = count.batch(&mut rows, batch);
                if result.is_err() {
                    break;
                }
            }
            // A scanner still running stops at its next send.
            drop(batches);
            let open_quote = scanner.join().unwrap_or(None);
            result.map(|()| open_quote)
        })?
    } else {
        let mut scanner = Scanner::new(text, delimiter);
        while let Some(batch) = scanner.batch() {
            count.batch(&mut rows, batch)?;
        }
        scanner.open_quote()
    };
    let ending = count.last(&mut rows, open_quote)?;
    Ok((rows, ending))
}

struct Counting<'t> {
    text: &'t [u8],
    map: &'t MappedFile,
    start: usize,
    /// The columns a count reads, once the layout is known.
    needed: Option<Vec<bool>>,
    /// Text before this offset has been let go.
    released: usize,
    /// The batch last received: its last record may be the file's, which `finish` checks.
    pending: Option<Batch>,
    /// One row's cells, the allocation reused from row to row.
    row: Vec<Cow<'t, str>>,
}

impl<'t> Counting<'t> {
    /// Counts the rows of the batch held so far, and holds `batch`.
    fn batch(&mut self, rows: &mut Rows, batch: Batch) -> Result<()> {
        let Some(done) = self.pending.replace(batch) else {
            return Ok(());
        };
        for found in &done.records {
            self.found(rows, found, &done.cells)?;
        }
        if done.end >= self.released + RELEASE {
            self.map
                .done_with(self.start + self.released, done.end - self.released);
            self.released = done.end;
        }
        Ok(())
    }

    /// Counts the held batch's rows but its last, and gives that record back for `finish`.
    fn last(&mut self, rows: &mut Rows, open_quote: Option<bool>) -> Result<Ending> {
        let Some(mut batch) = self.pending.take() else {
            return Ok((None, open_quote));
        };
        let Some(last) = batch.records.pop() else {
            return Ok((None, open_quote));
        };
        for found in &batch.records {
            self.found(rows, found, &batch.cells)?;
        }
        let record = match last {
            Found::Scanned { line, cells, .. } => {
                let cells = batch.cells.get(cells).unwrap_or_default();
                (self.record(cells), line)
            }
            Found::Parsed(record, line) => (record, line),
            Found::Failed(problem) => {
                rows.c.skip(problem);
                return Ok((None, open_quote));
            }
        };
        // Only a row is checked for a cut-off end: a header (or `#TYPE`) last is read as one.
        if rows.layout.is_none() {
            rows.record(&record.0, record.1)?;
            return Ok((None, open_quote));
        }
        Ok((Some(record), open_quote))
    }

    fn found(&mut self, rows: &mut Rows, found: &Found, cells: &[Cell]) -> Result<()> {
        match found {
            Found::Failed(problem) => rows.c.skip(problem.clone()),
            Found::Parsed(record, line) => rows.record(record, *line)?,
            Found::Scanned {
                line,
                cells: range,
                bytes,
            } => {
                let cells = cells.get(range.clone()).unwrap_or_default();
                // One check for the record; a cell of it then starts and ends at ASCII bytes, so
                // it is UTF-8 too.
                let whole = self.text.get(bytes.clone()).unwrap_or_default();
                let (Some(layout), Ok(whole)) = (&rows.layout, simdutf8::basic::from_utf8(whole))
                else {
                    // The header, and rows not all UTF-8 (the decoder notes the first), are read
                    // as the csv path reads them.
                    return rows.record(&self.record(cells), *line);
                };
                let needed = self.needed.get_or_insert_with(|| needed_columns(layout));
                let mut row = std::mem::take(&mut self.row);
                row.clear();
                row.extend(
                    cells
                        .iter()
                        .enumerate()
                        .map(|(i, cell)| match needed.get(i) {
                            Some(true) => cell_text(whole, bytes.start, cell),
                            _ => Cow::Borrowed(""),
                        }),
                );
                row_event(layout, &row, *line, rows.opts, &mut rows.c);
                self.row = row;
            }
        }
        Ok(())
    }

    /// A scanned record as the csv crate would have given it.
    fn record(&self, cells: &[Cell]) -> csv::ByteRecord {
        let fields: Vec<Cow<[u8]>> = cells.iter().map(|c| c.bytes(self.text)).collect();
        csv::ByteRecord::from(fields)
    }
}

/// A cell's text, from its record's text (which starts at `base` in the file's text).
fn cell_text<'t>(record: &'t str, base: usize, cell: &Cell) -> Cow<'t, str> {
    let raw = record
        .get(cell.start - base..cell.end - base)
        .unwrap_or_default();
    if cell.doubled {
        // Inside quotes every quote is doubled (a single one would have closed the cell).
        Cow::Owned(raw.replace("\"\"", "\""))
    } else {
        Cow::Borrowed(raw)
    }
}

/// Which cells of a row a count reads: Event Viewer's first four (and how many there are), or
/// the named columns a count looks up.
fn needed_columns(layout: &Layout) -> Vec<bool> {
    match layout {
        Layout::Viewer { .. } => vec![true; 4],
        Layout::Named(cols) => {
            let mut needed = Vec::new();
            for i in COUNT_COLUMNS.iter().filter_map(|name| cols.index(name)) {
                if needed.len() <= i {
                    needed.resize(i + 1, false);
                }
                if let Some(n) = needed.get_mut(i) {
                    *n = true;
                }
            }
            needed
        }
    }
}
