//! Text of exported event logs: decoding (UTF-8, UTF-16 with BOM, Windows-1252 fallback), the
//! numeric local dates whose day-month order the file's own values decide, the row collector that
//! turns them into UTC, and wevtutil's `qe /f:text` blocks (reader and fixture writer).
use super::export::{DateOrder, ExportOptions, ExportRead, LocalClock};
use crate::error::{Error, Result};
use crate::model::{DataField, Event, EventData, InputReport, Level};
use crate::source::csv_text::decode_windows_1252;
use chrono::DateTime;
use std::borrow::Cow;
use std::fs::File;
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod dates;
mod wevtutil;

use self::dates::{is_descending, order_name, resolve, DateEvidence, Stamp};
pub(crate) use self::dates::{parse_stamp, strip_marks};
pub(crate) use self::wevtutil::{read_wevtutil, write_wevtutil};

/// Problem lines kept per file (the skip count stays complete).
const MAX_PROBLEMS: usize = 20;

/// The bytes a reader parses: the file itself (UTF-8 or 1252) or its UTF-16 text as UTF-8.
pub(crate) enum Input {
    File(File),
    Memory(Cursor<Vec<u8>>),
}

impl Read for Input {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Input::File(f) => f.read(buf),
            Input::Memory(c) => c.read(buf),
        }
    }
}

/// Counts the lines of what it reads, so a record's byte offset gives its line number (the csv
/// crate's own line numbers lag by one after CRLF line ends).
pub(crate) struct LineCounting<R> {
    inner: R,
    read: u64,
    index: std::rc::Rc<std::cell::RefCell<LineIndex>>,
}

/// Offsets of the line breaks read but not yet passed by the records.
#[derive(Default)]
pub(crate) struct LineIndex {
    passed: u64,
    breaks: std::collections::VecDeque<u64>,
}

impl LineIndex {
    /// The 1-based line of a record starting at byte `offset` (offsets must not go backwards).
    /// After a CRLF the csv crate starts the next record at the LF, which is counted here.
    pub fn line_at(&mut self, offset: u64) -> u64 {
        while self.breaks.front().is_some_and(|&b| b <= offset) {
            self.breaks.pop_front();
            self.passed += 1;
        }
        self.passed + 1
    }
}

impl<R: Read> LineCounting<R> {
    pub fn new(inner: R) -> (Self, std::rc::Rc<std::cell::RefCell<LineIndex>>) {
        let index = std::rc::Rc::default();
        let reader = LineCounting {
            inner,
            read: 0,
            index: std::rc::Rc::clone(&index),
        };
        (reader, index)
    }

    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Read for LineCounting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut index = self.index.borrow_mut();
        let read = buf.get(..n).unwrap_or_default();
        index
            .breaks
            .extend(memchr::memchr_iter(b'\n', read).map(|i| self.read + i as u64));
        self.read += n as u64;
        Ok(n)
    }
}

/// An opened export: where its text starts and what the decoder had to do.
pub(crate) struct Opened {
    pub input: Input,
    /// Bytes of the file before the text (a UTF-8 BOM); 0 for in-memory text.
    pub text_start: u64,
    /// The text ends with a line break (a file cut short usually does not).
    pub ends_with_newline: bool,
    pub notes: Vec<String>,
}

impl Input {
    /// Up to 1 MiB of the text from `offset` (a position in the parsed bytes) to its end;
    /// `text_start` is where the text begins in the file (after a BOM).
    pub fn tail_from(&mut self, text_start: u64, offset: u64) -> Vec<u8> {
        let mut tail = Vec::new();
        let limit = 1024 * 1024;
        match self {
            Input::File(f) => {
                if f.seek(SeekFrom::Start(text_start.saturating_add(offset)))
                    .is_ok()
                {
                    let _ = f.by_ref().take(limit).read_to_end(&mut tail);
                }
            }
            Input::Memory(c) => {
                let bytes = c.get_ref();
                let start = usize::try_from(offset)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len());
                let end = start.saturating_add(limit as usize).min(bytes.len());
                tail.extend_from_slice(bytes.get(start..end).unwrap_or_default());
            }
        }
        tail
    }
}

/// Opens an export for streaming: a UTF-8 BOM is skipped; UTF-16 (with a BOM, or LE without
/// one) is decoded once into memory, since the CSV parser wants UTF-8 bytes.
pub(crate) fn open(path: &Path) -> Result<Opened> {
    let io = |e| Error::io(path, e);
    let mut file = File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let mut head = [0u8; 4];
    let got = read_up_to(&mut file, &mut head).map_err(io)?;
    let head = head.get(..got).unwrap_or_default();
    if head.is_empty() {
        return Err(Error::bad_input(path, "the file is empty"));
    }
    let utf16 = match head {
        [0xFF, 0xFE, ..] => Some((true, 2)),
        [0xFE, 0xFF, ..] => Some((false, 2)),
        [a, 0, b, 0] if *a != 0 && *b != 0 => Some((true, 0)),
        _ => None,
    };
    if let Some((little, bom)) = utf16 {
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        let mut raw = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        file.read_to_end(&mut raw).map_err(io)?;
        let body = raw.get(bom..).unwrap_or_default();
        let (text, bad) = decode_utf16(body, little);
        drop(raw);
        let mut notes = vec![format!(
            "decoded as UTF-16{}",
            if little { "LE" } else { "BE" }
        )];
        if bad > 0 {
            notes.push(format!("{bad} invalid UTF-16 units replaced by U+FFFD"));
        }
        let ends_with_newline = text.ends_with('\n');
        return Ok(Opened {
            input: Input::Memory(Cursor::new(text.into_bytes())),
            text_start: 0,
            ends_with_newline,
            notes,
        });
    }
    let text_start = if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    };
    let mut last = [0u8; 1];
    file.seek(SeekFrom::End(-1)).map_err(io)?;
    let ends_with_newline = read_up_to(&mut file, &mut last).map_err(io)? == 1 && last[0] == b'\n';
    file.seek(SeekFrom::Start(text_start)).map_err(io)?;
    Ok(Opened {
        input: Input::File(file),
        text_start,
        ends_with_newline,
        notes: Vec::new(),
    })
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read(buf.get_mut(got..).unwrap_or_default())? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

/// UTF-16 text and the count of unpaired surrogates replaced.
pub(crate) fn decode_utf16(body: &[u8], little: bool) -> (String, u64) {
    let units = body.chunks_exact(2).map(|p| match p {
        [a, b] if little => u16::from_le_bytes([*a, *b]),
        [a, b] => u16::from_be_bytes([*a, *b]),
        _ => 0,
    });
    let mut bad = 0;
    let text = char::decode_utf16(units)
        .map(|c| {
            c.unwrap_or_else(|_| {
                bad += 1;
                char::REPLACEMENT_CHARACTER
            })
        })
        .collect();
    (text, bad)
}

/// Turns field bytes into text: UTF-8, else Windows-1252 (noted once, with the first line).
#[derive(Default)]
pub(crate) struct Decoder {
    pub first_1252_line: Option<u64>,
}

impl Decoder {
    pub fn text<'a>(&mut self, bytes: &'a [u8], line: u64) -> Cow<'a, str> {
        match std::str::from_utf8(bytes) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => {
                self.first_1252_line.get_or_insert(line);
                Cow::Owned(decode_windows_1252(bytes))
            }
        }
    }

    pub fn note(&self) -> Option<String> {
        self.first_1252_line.map(|line| {
            format!("not valid UTF-8 (first at line {line}): such text read as Windows-1252")
        })
    }
}

struct Row {
    line: u64,
    raw: String,
    stamp: Stamp,
    event: Event,
}

/// Gathers the rows of one file, then decides the date order and turns local times into UTC.
pub(crate) struct Collector {
    path: PathBuf,
    kind: crate::model::TextFormat,
    source: Arc<str>,
    rows: Vec<Row>,
    evidence: DateEvidence,
    skipped: u64,
    problems: Vec<String>,
    pub notes: Vec<String>,
}

impl Collector {
    pub fn new(path: &Path, kind: crate::model::TextFormat) -> Self {
        Collector {
            path: path.to_path_buf(),
            kind,
            source: Arc::from(path.display().to_string()),
            rows: Vec::new(),
            evidence: DateEvidence::default(),
            skipped: 0,
            problems: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// A new event for this file; its time is set by `finish`.
    pub fn event(&self) -> Event {
        Event {
            time: DateTime::UNIX_EPOCH,
            record_id: None,
            channel: String::new(),
            provider: String::new(),
            event_id: 0,
            level: Level::UNKNOWN,
            computer: String::new(),
            message: None,
            data: EventData::default(),
            source_file: Arc::clone(&self.source),
        }
    }

    /// A record that could not be used: counted, and named among the first problems.
    pub fn skip(&mut self, problem: String) {
        self.skipped += 1;
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(problem);
        }
    }

    pub fn note(&mut self, note: String) {
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    /// A row whose time is local (or carries its own offset).
    pub fn push(&mut self, line: u64, raw_time: &str, event: Event) {
        self.push_stamp(line, raw_time, event, false);
    }

    /// A row whose time is UTC though written without a zone (EvtxECmd).
    pub fn push_utc(&mut self, line: u64, raw_time: &str, event: Event) {
        self.push_stamp(line, raw_time, event, true);
    }

    fn push_stamp(&mut self, line: u64, raw_time: &str, event: Event, utc: bool) {
        let parsed = parse_stamp(raw_time).and_then(|(stamp, twelve)| match stamp {
            Stamp::Local(n) if utc => Ok((Stamp::Utc(n.and_utc()), twelve)),
            Stamp::Numeric { .. } if utc => Err("a UTC time must be year first".to_string()),
            _ => Ok((stamp, twelve)),
        });
        match parsed {
            Ok((stamp, twelve_hour)) => {
                self.evidence.observe(line, raw_time, &stamp, twelve_hour);
                self.rows.push(Row {
                    line,
                    raw: raw_time.trim().to_string(),
                    stamp,
                    event,
                });
            }
            Err(why) => self.skip(format!("line {line}: time {raw_time:?} not read: {why}")),
        }
    }

    /// `header`: the date order the header's language tells, and the language's name.
    pub fn finish(
        mut self,
        opts: &ExportOptions,
        header: Option<(DateOrder, &str)>,
    ) -> Result<ExportRead> {
        let (order, note) = if self.evidence.numeric > 0 {
            self.evidence.decide(&self.path, opts.date_order, header)?
        } else {
            (DateOrder::Ymd, None)
        };
        if let Some(note) = note {
            self.notes.push(note);
        }
        let rows = std::mem::take(&mut self.rows);
        let mut local = Vec::with_capacity(rows.len());
        for row in rows {
            match resolve(&row.stamp, order) {
                Some(t) => local.push((t, row)),
                None => self.skip(format!(
                    "line {}: {:?} is not a date when read {}",
                    row.line,
                    row.raw,
                    order_name(order)
                )),
            }
        }
        let descending = is_descending(local.iter().filter_map(|(t, _)| t.as_ref().err()));
        let mut clock = LocalClock::new(opts.input_tz, descending);
        let mut events = Vec::with_capacity(local.len());
        let mut local_count = 0u64;
        for (t, mut row) in local {
            let utc = match t {
                Ok(utc) => Some(utc),
                Err(naive) => {
                    local_count += 1;
                    clock.to_utc(naive)
                }
            };
            match utc {
                Some(utc) => {
                    row.event.time = utc;
                    events.push(row.event);
                }
                None => self.skip(format!(
                    "line {}: local time {} does not exist in {} (skipped by a DST change)",
                    row.line, row.raw, opts.input_tz
                )),
            }
        }
        if local_count > 0 {
            self.notes.push(format!(
                "{}: {local_count} times carry no zone: read as {} (give --input-tz if wrong)",
                self.path.display(),
                opts.input_tz
            ));
        }
        self.notes.extend(clock.note());
        let report = InputReport {
            path: self.path.display().to_string(),
            kind: crate::model::InputKind::EventExport(crate::model::ExportKind::Text(self.kind)),
            records_read: events.len() as u64,
            records_skipped: self.skipped,
            copies_merged: 0,
            problems: self.problems,
            first: events.iter().map(|e| e.time).min(),
            last: events.iter().map(|e| e.time).max(),
            failed: false,
        };
        Ok(ExportRead {
            events,
            report,
            notes: self.notes,
        })
    }
}

pub(crate) fn named(name: &str, value: &str) -> DataField {
    DataField {
        name: Some(name.to_string()),
        value: value.to_string(),
    }
}
