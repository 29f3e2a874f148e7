//! A CSV export read record by record: the header found, each row made an event (or counted),
//! the last row checked for a cut-off end. The records come from the csv crate here, or for a
//! count of a mapped file from `scan` (see `counted`).
use super::records::{each_record, Parsed};
use super::rows::row_event;
use super::{make_layout, ExportFormat, Layout};
use crate::error::{Error, Result};
use crate::source::events::export::{ExportOptions, ExportRead, Keep};
use crate::source::events::export_text::{Collector, Decoder, Input};
use std::borrow::Cow;
use std::path::Path;

/// What one file's reading has found so far, whichever way its records are found.
pub(super) struct Rows<'p, 'a> {
    path: &'p Path,
    format: ExportFormat,
    pub opts: &'a ExportOptions,
    pub c: Collector<'a>,
    decoder: Decoder,
    pub layout: Option<Layout>,
    header_len: usize,
    /// One list of cells, its allocation reused from row to row.
    spare: Vec<Cow<'static, str>>,
}

impl<'a> Rows<'_, 'a> {
    /// A record: the `#TYPE` line or the header until the layout is known, then a row.
    pub fn record(&mut self, record: &csv::ByteRecord, line: u64) -> Result<()> {
        let Some(layout) = &self.layout else {
            let cells: Vec<String> = record
                .iter()
                .map(|f| self.decoder.text(f, line).into_owned())
                .collect();
            if cells.first().is_some_and(|f| f.starts_with("#TYPE")) {
                return Ok(());
            }
            self.header_len = cells.len();
            self.layout = Some(make_layout(self.path, self.format, &cells, &mut self.c)?);
            return Ok(());
        };
        let mut row = recycle(std::mem::take(&mut self.spare));
        decode_into(&mut self.decoder, record, line, &mut row);
        row_event(layout, &row, line, self.opts, &mut self.c);
        self.spare = recycle(row);
        Ok(())
    }

    /// The last row of the file, checked for a cut-off end, then the file's result.
    pub fn finish(
        mut self,
        (last, open_quote): Ending,
        ends_with_newline: bool,
    ) -> Result<ExportRead<Keep<'a>>> {
        let Some(layout) = self.layout else {
            return Err(Error::bad_input(self.path, "no header row"));
        };
        let c = &mut self.c;
        if let Some((record, line)) = &last {
            let line = *line;
            let row = decode_row(&mut self.decoder, record, line);
            let expected = match layout {
                Layout::Viewer { .. } => 6,
                Layout::Named(_) => self.header_len,
            };
            let open_quote = open_quote.unwrap_or(false);
            if !ends_with_newline && (open_quote || row.len() < expected) {
                c.skip(format!(
                    "line {line}: the file ends inside this record (truncated); skipped"
                ));
            } else {
                row_event(&layout, &row, line, self.opts, c);
            }
        }
        if let Some(note) = self.decoder.note() {
            c.note(note);
        }
        let header_order = match &layout {
            Layout::Viewer { lang: Some(l), .. } => l.order().map(|o| (o, l.name.as_str())),
            _ => None,
        };
        self.c.finish(header_order)
    }
}

impl<'p, 'a> Rows<'p, 'a> {
    pub fn new(
        path: &'p Path,
        format: ExportFormat,
        opts: &'a ExportOptions,
        c: Collector<'a>,
    ) -> Self {
        Rows {
            path,
            format,
            opts,
            c,
            decoder: Decoder::default(),
            layout: None,
            header_len: 0,
            spare: Vec::new(),
        }
    }
}

/// How a file's records ended: its last record (a row held back for `Rows::finish`, with its
/// line) and whether the text from that record on holds an odd number of quotes (`None`: no
/// record at all).
pub(super) type Ending = (Option<(csv::ByteRecord, u64)>, Option<bool>);

/// Reads the records of `input` with the csv crate, all but the last row into `rows`.
pub(super) fn each_row<'p, 'a>(
    mut rows: Rows<'p, 'a>,
    input: Input,
    delimiter: u8,
    text_start: u64,
    own_thread: bool,
) -> Result<(Rows<'p, 'a>, Ending)> {
    // Rows go one behind the parser, so the last one can be checked for a cut-off end: the held
    // row's bytes and line (the two records swap, so no row is copied).
    let mut held: Option<u64> = None;
    let mut held_record = csv::ByteRecord::new();
    let open_quote = each_record(input, delimiter, text_start, own_thread, |parsed| {
        let (mut record, line) = match parsed {
            Parsed::Record(record, line) => (record, line),
            Parsed::Failed(problem) => {
                rows.c.skip(problem);
                return Ok(None);
            }
        };
        if rows.layout.is_none() {
            rows.record(&record, line)?;
            return Ok(Some(record));
        }
        if let Some(l) = held.take() {
            rows.record(&held_record, l)?;
        }
        std::mem::swap(&mut held_record, &mut record);
        held = Some(line);
        Ok(Some(record))
    })?;
    let last = held.map(|line| (held_record, line));
    Ok((rows, (last, open_quote)))
}

/// An emptied list of cells, ready for cells of another lifetime: the allocation is kept (the
/// map never runs on an empty list; collecting into the same layout reuses the buffer).
pub(super) fn recycle<'b>(mut cells: Vec<Cow<'_, str>>) -> Vec<Cow<'b, str>> {
    cells.clear();
    cells
        .into_iter()
        .map(|c| Cow::Owned(c.into_owned()))
        .collect()
}

/// A row's cells as text (borrowed where they are UTF-8).
pub(super) fn decode_row<'a>(
    decoder: &mut Decoder,
    record: &'a csv::ByteRecord,
    line: u64,
) -> Vec<Cow<'a, str>> {
    let mut row = Vec::with_capacity(record.len());
    decode_into(decoder, record, line, &mut row);
    row
}

/// `decode_row` into `row`. The record's bytes are checked as UTF-8 at once (one call rather than
/// one a cell: a Get-WinEvent row has 27); a cell is then borrowed when it starts and ends on
/// character boundaries, which is exactly when it is UTF-8 on its own; other cells, and every
/// cell of a record that is not UTF-8, go through the decoder as before.
fn decode_into<'a>(
    decoder: &mut Decoder,
    record: &'a csv::ByteRecord,
    line: u64,
    row: &mut Vec<Cow<'a, str>>,
) {
    // simdutf8: the same answer as std's check, several times faster on ASCII.
    let Ok(whole) = simdutf8::basic::from_utf8(record.as_slice()) else {
        row.extend(record.iter().map(|f| decoder.text(f, line)));
        return;
    };
    for (i, field) in record.iter().enumerate() {
        match record.range(i).and_then(|r| whole.get(r)) {
            Some(cell) => row.push(Cow::Borrowed(cell)),
            None => row.push(decoder.text(field, line)),
        }
    }
}
