//! Text of exported event logs: decoding (UTF-8, UTF-16 with BOM, Windows-1252 fallback), the
//! numeric local dates whose day-month order the file's own values decide, the row collector that
//! turns them into UTC, and wevtutil's `qe /f:text` blocks (reader and fixture writer).
use super::export::{DateOrder, ExportOptions, ExportRead, Keep, LocalClock};
use crate::error::{Error, Result};
use crate::model::{DataField, Event, EventData, InputReport, Level};
use crate::source::csv_text::decode_windows_1252;
use chrono::{DateTime, NaiveDateTime, Utc};
use std::borrow::Cow;
use std::fs::File;
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod dates;
mod wevtutil;

use self::dates::{order_name, resolve, DateEvidence, Stamp};
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

/// What a row is kept as until its time is known: its event, or its count group.
enum Item {
    Event(Event),
    Key(u32),
}

/// A row whose time waits for the whole file (see `Collector`).
struct Row {
    line: u64,
    raw: String,
    stamp: Stamp,
    item: Item,
}

/// Takes the rows of one file, in file order, and hands each to its `Keep` as soon as its time is
/// known in UTC: a numeric date once the file's values (or `--date-order`) say its day-month
/// order, a local time once it is clear of a repeated DST hour. Rows that cannot be placed yet
/// (numeric dates before any value decides the order; everything from a time in a repeated hour
/// on, since which pass of the hour it is depends on the whole file's direction) wait, in file
/// order, and are placed by `finish`, exactly as if the whole file had been read first.
pub(crate) struct Collector<'a> {
    path: PathBuf,
    kind: crate::model::TextFormat,
    source: Arc<str>,
    opts: &'a ExportOptions,
    keep: Keep<'a>,
    /// Rows not yet placed, in file order; once one waits, every later row waits behind it.
    pending: Vec<Row>,
    /// The day-month order of numeric dates, once known.
    order: Option<DateOrder>,
    clock: LocalClock,
    /// Steps back and forward between the local times placed so far, and the last of them.
    steps: (u64, u64, Option<NaiveDateTime>),
    local_count: u64,
    read: u64,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
    evidence: DateEvidence,
    skipped: u64,
    problems: Vec<String>,
    /// Problems found when times are placed: dates that are no date in the file's order, then
    /// times a DST change skipped (each list in file order, reported after the reading's own).
    late_problems: [Vec<String>; 2],
    pub notes: Vec<String>,
    /// Level words of this file already known to need no note (for a reader's own use).
    pub quiet_words: Vec<String>,
}

impl<'a> Collector<'a> {
    pub fn new(
        path: &Path,
        kind: crate::model::TextFormat,
        opts: &'a ExportOptions,
        keep: Keep<'a>,
    ) -> Self {
        Collector {
            path: path.to_path_buf(),
            kind,
            source: Arc::from(path.display().to_string()),
            opts,
            keep,
            pending: Vec::new(),
            order: opts.date_order,
            clock: LocalClock::new(opts.input_tz, false),
            steps: (0, 0, None),
            local_count: 0,
            read: 0,
            first: None,
            last: None,
            evidence: DateEvidence::default(),
            skipped: 0,
            problems: Vec::new(),
            late_problems: [Vec::new(), Vec::new()],
            notes: Vec::new(),
            quiet_words: Vec::new(),
        }
    }

    /// Only counts are kept: rows need only their channel, provider and id (`push_key`).
    pub fn counts_only(&self) -> bool {
        self.keep.counts_only()
    }

    /// A new event for this file; its time is set when it is placed.
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

    fn skip_late(&mut self, list: usize, problem: String) {
        self.skipped += 1;
        if let Some(problems) = self.late_problems.get_mut(list) {
            if problems.len() < MAX_PROBLEMS {
                problems.push(problem);
            }
        }
    }

    pub fn note(&mut self, note: String) {
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    /// A row whose time is local (or carries its own offset).
    pub fn push(&mut self, line: u64, raw_time: &str, event: Event) {
        self.push_stamp(line, raw_time, Item::Event(event), false);
    }

    /// A row whose time is UTC though written without a zone (EvtxECmd).
    pub fn push_utc(&mut self, line: u64, raw_time: &str, event: Event) {
        self.push_stamp(line, raw_time, Item::Event(event), true);
    }

    /// A row of a count (`counts_only`): what it is counted under; `utc` as for `push_utc`.
    pub fn push_key(
        &mut self,
        line: u64,
        raw_time: &str,
        (channel, provider, event_id): (&str, &str, u32),
        utc: bool,
    ) {
        let item = match &mut self.keep {
            Keep::Counts(tally) => Item::Key(tally.key(channel, provider, event_id)),
            Keep::Events(_) => {
                let mut e = self.event();
                e.channel = channel.to_string();
                e.provider = provider.to_string();
                e.event_id = event_id;
                Item::Event(e)
            }
        };
        self.push_stamp(line, raw_time, item, utc);
    }

    fn push_stamp(&mut self, line: u64, raw_time: &str, item: Item, utc: bool) {
        let parsed = parse_stamp(raw_time).and_then(|(stamp, twelve)| match stamp {
            Stamp::Local(n) if utc => Ok((Stamp::Utc(n.and_utc()), twelve)),
            Stamp::Numeric { .. } if utc => Err("a UTC time must be year first".to_string()),
            _ => Ok((stamp, twelve)),
        });
        let (stamp, twelve_hour) = match parsed {
            Ok(parsed) => parsed,
            Err(why) => {
                return self.skip(format!("line {line}: time {raw_time:?} not read: {why}"))
            }
        };
        self.evidence.observe(line, raw_time, &stamp, twelve_hour);
        if self.order.is_none() {
            // The first value over 12 decides; should the other order turn up too, `finish`
            // fails the whole file, so nothing placed by this order is ever seen.
            self.order = self.evidence.decided();
            if self.order.is_some() && !self.pending.is_empty() {
                self.pending.push(Row {
                    line,
                    raw: raw_time.trim().to_string(),
                    stamp,
                    item,
                });
                return self.place_pending();
            }
        }
        if !self.pending.is_empty() {
            self.pending.push(Row {
                line,
                raw: raw_time.trim().to_string(),
                stamp,
                item,
            });
            return;
        }
        if let Some(item) = self.place(line, raw_time.trim(), &stamp, item) {
            self.pending.push(Row {
                line,
                raw: raw_time.trim().to_string(),
                stamp,
                item,
            });
        }
    }

    /// Places the waiting rows that can be, in order, until one must still wait.
    fn place_pending(&mut self) {
        let mut rows = std::mem::take(&mut self.pending).into_iter();
        while let Some(row) = rows.next() {
            if let Some(item) = self.place(row.line, &row.raw, &row.stamp, row.item) {
                self.pending.push(Row { item, ..row });
                self.pending.extend(rows);
                return;
            }
        }
    }

    /// Places a row (or skips it, for a date that is none or a time a DST change skipped); gives
    /// the item back when its time cannot be known before the whole file is read.
    fn place(&mut self, line: u64, raw: &str, stamp: &Stamp, item: Item) -> Option<Item> {
        let order = match stamp {
            Stamp::Numeric { .. } => match self.order {
                Some(order) => order,
                None => return Some(item),
            },
            _ => DateOrder::Ymd,
        };
        let Some(t) = resolve(stamp, order) else {
            self.skip_late(
                0,
                format!(
                    "line {line}: {raw:?} is not a date when read {}",
                    order_name(order)
                ),
            );
            return None;
        };
        let naive = match t {
            Ok(utc) => {
                self.emit(utc, item);
                return None;
            }
            Err(naive) => naive,
        };
        match self.clock.to_utc_unless_ambiguous(naive) {
            Some(utc) => {
                self.local_time(line, raw, naive, utc, item);
                None
            }
            // A repeated hour: which pass it is waits for the whole file's direction.
            None => Some(item),
        }
    }

    /// A local time converted: counted for the file's direction and the zone note, then placed.
    fn local_time(
        &mut self,
        line: u64,
        raw: &str,
        naive: NaiveDateTime,
        utc: Option<DateTime<Utc>>,
        item: Item,
    ) {
        let (back, forward, prev) = &mut self.steps;
        match prev {
            Some(p) if naive < *p => *back += 1,
            Some(p) if naive > *p => *forward += 1,
            _ => {}
        }
        *prev = Some(naive);
        self.local_count += 1;
        match utc {
            Some(utc) => self.emit(utc, item),
            None => self.skip_late(
                1,
                format!(
                    "line {line}: local time {raw} does not exist in {} (skipped by a DST change)",
                    self.opts.input_tz
                ),
            ),
        }
    }

    fn emit(&mut self, time: DateTime<Utc>, item: Item) {
        self.read += 1;
        if self.first.is_none_or(|f| time < f) {
            self.first = Some(time);
        }
        if self.last.is_none_or(|l| time > l) {
            self.last = Some(time);
        }
        match (item, &mut self.keep) {
            (Item::Key(key), Keep::Counts(tally)) => tally.add(key, time),
            (Item::Event(mut e), keep) => {
                e.time = time;
                keep.event(e);
            }
            (Item::Key(_), Keep::Events(_)) => {}
        }
    }

    /// `header`: the date order the header's language tells, and the language's name. Places
    /// the rows still waiting, now that the whole file is read.
    pub fn finish(mut self, header: Option<(DateOrder, &str)>) -> Result<ExportRead<Keep<'a>>> {
        let opts = self.opts;
        let (order, note) = if self.evidence.numeric > 0 {
            self.evidence.decide(&self.path, opts.date_order, header)?
        } else {
            (DateOrder::Ymd, None)
        };
        if let Some(note) = note {
            self.notes.push(note);
        }
        self.order = Some(order);
        let rows = std::mem::take(&mut self.pending);
        let mut local = Vec::with_capacity(rows.len());
        for row in rows {
            match resolve(&row.stamp, order) {
                Some(t) => local.push((t, row)),
                None => self.skip_late(
                    0,
                    format!(
                        "line {}: {:?} is not a date when read {}",
                        row.line,
                        row.raw,
                        order_name(order)
                    ),
                ),
            }
        }
        // The direction of every local time of the file: those placed, then those waiting.
        let (mut back, mut forward, mut prev) = self.steps;
        for naive in local.iter().filter_map(|(t, _)| t.as_ref().err()) {
            match prev {
                Some(p) if *naive < p => back += 1,
                Some(p) if *naive > p => forward += 1,
                _ => {}
            }
            prev = Some(*naive);
        }
        self.clock.set_descending(back > forward);
        for (t, row) in local {
            match t {
                Ok(utc) => self.emit(utc, row.item),
                Err(naive) => {
                    let utc = self.clock.to_utc(naive);
                    self.local_time(row.line, &row.raw, naive, utc, row.item);
                }
            }
        }
        if self.local_count > 0 {
            self.notes.push(format!(
                "{}: {} times carry no zone: read as {} (give --input-tz if wrong)",
                self.path.display(),
                self.local_count,
                opts.input_tz
            ));
        }
        self.notes.extend(self.clock.note());
        let mut problems = self.problems;
        for late in self.late_problems {
            problems.extend(late);
        }
        problems.truncate(MAX_PROBLEMS);
        let report = InputReport {
            path: self.path.display().to_string(),
            kind: crate::model::InputKind::EventExport(crate::model::ExportKind::Text(self.kind)),
            records_read: self.read,
            records_skipped: self.skipped,
            copies_merged: 0,
            problems,
            first: self.first,
            last: self.last,
            failed: false,
        };
        Ok(ExportRead {
            events: self.keep,
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
