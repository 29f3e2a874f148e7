//! The records of a mapped export found with memchr, for a count: a cell's end is the next
//! delimiter or line break, a quoted cell's the first `"` not doubled, so the long quoted message
//! a count never reads is passed over at memchr's speed instead of byte by byte in csv_core. A
//! record this scanner cannot be sure csv_core reads the same way (text after a closing quote, a
//! quote or record left open at the end of the file) is read by the csv crate itself, from the
//! same place: records, cells and line numbers are the csv path's, only found faster.
use crate::source::events::export_text::count_breaks;
use memchr::{memchr, memchr3};
use std::io::Cursor;
use std::ops::Range;

/// A cell's text in the file: inside the quotes of a quoted cell, whose doubled quotes (`""`
/// for `"`) are then still in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Cell {
    pub start: usize,
    pub end: usize,
    pub doubled: bool,
}

impl Cell {
    /// The cell's bytes as csv_core gives them: doubled quotes made single.
    pub fn bytes<'t>(&self, text: &'t [u8]) -> std::borrow::Cow<'t, [u8]> {
        let raw = text.get(self.start..self.end).unwrap_or_default();
        if !self.doubled {
            return raw.into();
        }
        let mut out = Vec::with_capacity(raw.len());
        let mut rest = raw;
        while let Some(q) = memchr(b'"', rest) {
            out.extend_from_slice(rest.get(..=q).unwrap_or_default());
            // The second quote of the pair is dropped.
            rest = rest.get(q + 2..).unwrap_or_default();
        }
        out.extend_from_slice(rest);
        out.into()
    }
}

/// One record, with the 1-based line that the csv path gives it.
pub(super) enum Found {
    /// Read here: its cells are `Batch::cells[cells]`, its bytes `text[bytes]`.
    Scanned {
        line: u64,
        cells: Range<usize>,
        bytes: Range<usize>,
    },
    /// Read by the csv crate (see the module's comment).
    Parsed(csv::ByteRecord, u64),
    /// What the csv crate could not read, the line named (it fails only on I/O, so never on
    /// bytes in memory; kept so nothing it might say is lost).
    Failed(String),
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Records sent at a time.
const BATCH: usize = 256;

/// Records in file order, with the cells of their scanned records; `end`: the text offset the
/// scan has passed once they are found.
#[derive(Default)]
pub(super) struct Batch {
    pub records: Vec<Found>,
    pub cells: Vec<Cell>,
    pub end: usize,
}

/// Walks the records of `text` (from the start of the text, after any BOM).
pub(super) struct Scanner<'t> {
    text: &'t [u8],
    delimiter: u8,
    pos: usize,
    /// Line breaks before `counted_to` (the csv path's `LineIndex`, on bytes already here).
    breaks: u64,
    counted_to: usize,
    /// The start of the last record found.
    last: Option<usize>,
    csv: csv::Reader<Cursor<&'t [u8]>>,
}

impl<'t> Scanner<'t> {
    pub fn new(text: &'t [u8], delimiter: u8) -> Self {
        let csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(Cursor::new(text));
        Scanner {
            text,
            delimiter,
            pos: 0,
            breaks: 0,
            counted_to: 0,
            last: None,
            csv,
        }
    }

    /// The next batch of records, `None` once the text has no more.
    pub fn batch(&mut self) -> Option<Batch> {
        let mut batch = Batch {
            records: Vec::with_capacity(BATCH),
            ..Batch::default()
        };
        while batch.records.len() < BATCH {
            match self.next(&mut batch.cells) {
                Some(found) => batch.records.push(found),
                None => break,
            }
        }
        batch.end = self.pos;
        (!batch.records.is_empty()).then_some(batch)
    }

    /// Whether the text from the start of the last record on holds an odd number of quotes (up
    /// to 1 MiB of it, as the csv path reads its tail); `None` when there was no record.
    pub fn open_quote(&self) -> Option<bool> {
        let start = self.last?;
        let end = start.saturating_add(1024 * 1024).min(self.text.len());
        let tail = self.text.get(start..end).unwrap_or_default();
        Some(tail.iter().filter(|&&b| b == b'"').count() % 2 == 1)
    }

    /// The next record, its cells added to `cells`.
    fn next(&mut self, cells: &mut Vec<Cell>) -> Option<Found> {
        let pos = self.pos;
        // csv_core passes over a UTF-8 BOM at the start of its input (one after the BOM `open`
        // passed over), within the first record.
        let from = match pos {
            0 if self.text.starts_with(BOM) => BOM.len(),
            _ => pos,
        };
        let rest = self.text.get(from..)?;
        // csv_core passes over line breaks between records; only breaks left: no more records.
        let skip = rest.iter().position(|&b| b != b'\r' && b != b'\n')?;
        let start = from + skip;
        let line = self.line_at(pos);
        let first = cells.len();
        match self.cells(start, cells) {
            Some(next) => {
                self.pos = next;
                self.last = Some(pos);
                Some(Found::Scanned {
                    line,
                    cells: first..cells.len(),
                    bytes: start..next,
                })
            }
            None => {
                cells.truncate(first);
                self.parse(pos, line)
            }
        }
    }

    /// The cells of the record starting at `start`, and where the next record's search starts
    /// (after its line break); `None` for a record to leave to csv_core.
    fn cells(&self, start: usize, cells: &mut Vec<Cell>) -> Option<usize> {
        let (text, delimiter) = (self.text, self.delimiter);
        let mut at = start;
        loop {
            if text.get(at) == Some(&b'"') {
                let mut from = at + 1;
                let mut doubled = false;
                let close = loop {
                    let q = from + memchr(b'"', text.get(from..)?)?;
                    if text.get(q + 1) != Some(&b'"') {
                        break q;
                    }
                    doubled = true;
                    from = q + 2;
                };
                cells.push(Cell {
                    start: at + 1,
                    end: close,
                    doubled,
                });
                match text.get(close + 1) {
                    Some(&b) if b == delimiter => at = close + 2,
                    Some(b'\r' | b'\n') => return Some(close + 2),
                    // Text after the closing quote (csv_core joins it to the cell), or the end.
                    _ => return None,
                }
            } else {
                // A quote inside an unquoted cell is a plain byte to csv_core too; a record
                // that runs to the end of the text without a line break is left to it.
                let end = at + memchr3(delimiter, b'\r', b'\n', text.get(at..)?)?;
                cells.push(Cell {
                    start: at,
                    end,
                    doubled: false,
                });
                if text.get(end) == Some(&delimiter) {
                    at = end + 1;
                } else {
                    // A lone `\r` ends a record for csv_core as `\n` does; after `\r\n` the
                    // `\n` is passed over as the next record's first line break.
                    return Some(end + 1);
                }
            }
        }
    }

    /// The record at `pos` read by the csv crate.
    fn parse(&mut self, pos: usize, line: u64) -> Option<Found> {
        // A fresh csv_core passes over a BOM at the start of its input: it starts at the line
        // break before the record (passed over as between records), not at a BOM there.
        let from = match pos.checked_sub(1) {
            Some(before) if matches!(self.text.get(before), Some(b'\r' | b'\n')) => before,
            _ => pos,
        };
        let mut at = csv::Position::new();
        at.set_byte(from as u64);
        let mut record = csv::ByteRecord::new();
        let read = self
            .csv
            .seek_raw(std::io::SeekFrom::Start(from as u64), at)
            .and_then(|()| self.csv.read_byte_record(&mut record));
        let after = self.csv.position().byte();
        self.pos = usize::try_from(after).unwrap_or(usize::MAX).max(pos + 1);
        match read {
            Ok(true) => {
                self.last = Some(pos);
                Some(Found::Parsed(record, line))
            }
            Ok(false) => None,
            Err(e) => {
                self.pos = self.text.len();
                Some(Found::Failed(format!("line {line}: {e}")))
            }
        }
    }

    /// The 1-based line of a record starting at `offset`, as `LineIndex::line_at` counts it.
    fn line_at(&mut self, offset: usize) -> u64 {
        let to = offset.saturating_add(1).min(self.text.len());
        if let Some(bytes) = self.text.get(self.counted_to..to) {
            self.breaks += count_breaks(bytes);
            self.counted_to = to;
        }
        self.breaks + 1
    }
}

#[cfg(test)]
#[path = "scan_tests.rs"]
mod tests;
