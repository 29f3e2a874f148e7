//! Text of exported event logs: decoding (UTF-8, UTF-16 with BOM, Windows-1252 fallback), the
//! numeric local dates whose day-month order the file's own values decide, the row collector that
//! turns them into UTC, and wevtutil's `qe /f:text` blocks (reader and fixture writer).
use super::export::{DateOrder, ExportOptions, ExportRead, LocalClock};
use super::export_csv::{level_from_word, AUDIT_KEYWORDS};
use crate::error::{Error, Result};
use crate::model::{DataField, Event, EventData, InputReport, Level};
use crate::source::csv_text::decode_windows_1252;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
        for (i, b) in buf.iter().take(n).enumerate() {
            if *b == b'\n' {
                index.breaks.push_back(self.read + i as u64);
            }
        }
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

/// A written time: day and month still to be told apart, year first, or with its own offset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Stamp {
    /// `a` and `b` are the first two numbers as written (day-month or month-day).
    Numeric {
        a: u32,
        b: u32,
        year: i32,
        time: NaiveTime,
    },
    Local(NaiveDateTime),
    Utc(DateTime<Utc>),
}

/// Removes the invisible direction marks Windows puts into localized dates.
pub(crate) fn strip_marks(s: &str) -> Cow<'_, str> {
    let mark = |c: char| matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}');
    if s.contains(mark) {
        Cow::Owned(s.chars().filter(|&c| !mark(c)).collect())
    } else {
        Cow::Borrowed(s)
    }
}

/// Parses `20/05/2026 21:31:47`, `10/7/2016 06:38:24 PM`, `27.10.2021 12:28:26`,
/// `05-07-2024 14:53:21`, `2021-10-27 10:28:26.1234567` and ISO `2011-08-15T16:58:03.123[Z]`.
/// The flag says the time was 12-hour with AM/PM. Localized AM/PM words are not read.
pub(crate) fn parse_stamp(raw: &str) -> std::result::Result<(Stamp, bool), String> {
    let s = strip_marks(raw);
    let s = s.trim();
    let (date, rest) = match s.find([' ', 'T']) {
        Some(i) => (
            s.get(..i).unwrap_or(""),
            s.get(i + 1..).unwrap_or("").trim(),
        ),
        None => return Err("no time of day".into()),
    };
    let mut tokens = rest.split_whitespace();
    let time_token = tokens.next().ok_or("no time of day")?;
    let suffix = tokens.next();
    if tokens.next().is_some() {
        return Err("unexpected text after the time".into());
    }
    let parts: Vec<&str> = date.split(['.', '/', '-']).collect();
    let [p0, p1, p2] = parts.as_slice() else {
        return Err(format!("date {date:?} is not three numbers"));
    };
    let num = |p: &str| {
        p.parse::<u32>()
            .map_err(|_| format!("date {date:?} is not numeric"))
    };
    let (n0, n1, n2) = (num(p0)?, num(p1)?, num(p2)?);
    let (clock, offset) = split_offset(time_token);
    let mut time = parse_clock(clock).ok_or_else(|| format!("time {time_token:?} not read"))?;
    let twelve_hour = match suffix.map(str::to_ascii_uppercase).as_deref() {
        None => false,
        Some(ampm @ ("AM" | "PM")) => {
            time = to_24h(time, ampm == "PM").ok_or("hour out of range for AM/PM")?;
            true
        }
        Some(other) => {
            return Err(format!(
                "{other:?} after the time is not AM/PM (localized AM/PM words are not read)"
            ))
        }
    };
    if p0.len() == 4 {
        let day = NaiveDate::from_ymd_opt(n0 as i32, n1, n2).ok_or("no such date")?;
        let naive = day.and_time(time);
        return Ok(match offset {
            None => (Stamp::Local(naive), twelve_hour),
            Some(minutes) => {
                let utc = naive
                    .checked_sub_signed(chrono::Duration::minutes(minutes))
                    .ok_or("time out of range")?;
                (Stamp::Utc(Utc.from_utc_datetime(&utc)), twelve_hour)
            }
        });
    }
    if p2.len() != 4 || offset.is_some() {
        return Err(format!("date {date:?} has no four-digit year"));
    }
    Ok((
        Stamp::Numeric {
            a: n0,
            b: n1,
            year: n2 as i32,
            time,
        },
        twelve_hour,
    ))
}

/// Splits `10:28:26.123Z` or `10:28:26+02:00` into the clock and the offset in minutes.
fn split_offset(token: &str) -> (&str, Option<i64>) {
    if let Some(clock) = token.strip_suffix(['Z', 'z']) {
        return (clock, Some(0));
    }
    if let Some(i) = token.rfind(['+', '-']) {
        let (clock, off) = token.split_at(i);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let digits: String = off.chars().filter(char::is_ascii_digit).collect();
        if let (Some(h), Some(m)) = (digits.get(..2), digits.get(2..4)) {
            if let (Ok(h), Ok(m)) = (h.parse::<i64>(), m.parse::<i64>()) {
                return (clock, Some(sign * (h * 60 + m)));
            }
        }
    }
    (token, None)
}

/// `H:mm`, `H:mm:ss` or `H:mm:ss.fffffff`.
fn parse_clock(clock: &str) -> Option<NaiveTime> {
    let (hms, frac) = match clock.split_once(['.', ',']) {
        Some((hms, frac)) => (hms, Some(frac)),
        None => (clock, None),
    };
    let mut it = hms.split(':');
    let h = it.next()?.parse().ok()?;
    let m = it.next()?.parse().ok()?;
    let s = it.next().map_or(Some(0), |s| s.parse().ok())?;
    if it.next().is_some() {
        return None;
    }
    let nanos = match frac {
        Some(f) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) => {
            let padded = format!("{f:0<9}");
            padded.parse().ok()?
        }
        Some(_) => return None,
        None => 0,
    };
    NaiveTime::from_hms_nano_opt(h, m, s, nanos)
}

fn to_24h(time: NaiveTime, pm: bool) -> Option<NaiveTime> {
    use chrono::Timelike;
    let h = match (time.hour(), pm) {
        (0, _) | (13.., _) => return None,
        (12, false) => 0,
        (12, true) => 12,
        (h, false) => h,
        (h, true) => h + 12,
    };
    time.with_hour(h)
}

/// What the numeric dates of a file say about their day-month order.
#[derive(Debug, Default)]
struct DateEvidence {
    day_first: Option<(u64, String)>,
    month_first: Option<(u64, String)>,
    numeric: u64,
    first: Option<(u32, u32, String)>,
    twelve_hour: bool,
}

impl DateEvidence {
    fn observe(&mut self, line: u64, raw: &str, stamp: &Stamp, twelve_hour: bool) {
        let Stamp::Numeric { a, b, .. } = *stamp else {
            return;
        };
        self.numeric += 1;
        self.twelve_hour |= twelve_hour;
        if self.first.is_none() {
            self.first = Some((a, b, raw.trim().to_string()));
        }
        if a > 12 && b <= 12 && self.day_first.is_none() {
            self.day_first = Some((line, raw.trim().to_string()));
        }
        if b > 12 && a <= 12 && self.month_first.is_none() {
            self.month_first = Some((line, raw.trim().to_string()));
        }
    }

    /// The order to read with, and the note when the values did not decide it.
    fn decide(
        &self,
        path: &Path,
        given: Option<DateOrder>,
        header: Option<(DateOrder, &str)>,
    ) -> Result<(DateOrder, Option<String>)> {
        match (&self.day_first, &self.month_first, given) {
            (_, _, Some(order)) if self.day_first.is_some() || self.month_first.is_some() => {
                return Ok((order, None));
            }
            (Some((l1, r1)), Some((l2, r2)), None) => {
                return Err(Error::bad_input(
                    path,
                    format!(
                        "dates in both day-month orders: line {l1} has {r1:?} (day first), line \
                         {l2} has {r2:?} (month first); give --date-order dmy or mdy"
                    ),
                ));
            }
            (Some(_), None, None) => return Ok((DateOrder::Dmy, None)),
            (None, Some(_), None) => return Ok((DateOrder::Mdy, None)),
            _ => {}
        }
        let (order, why) = match (given, header) {
            (Some(order), _) => (order, "as --date-order says".to_string()),
            (None, Some((order, language))) => (order, format!("from the {language} header")),
            (None, None) if self.twelve_hour => (
                DateOrder::Mdy,
                "because the times are 12-hour with AM/PM (the en-US style)".to_string(),
            ),
            (None, None) => (
                DateOrder::Dmy,
                "because the times are 24-hour (not the en-US style)".to_string(),
            ),
        };
        let first = self.first.as_ref().map_or(String::new(), |(a, b, raw)| {
            format!(
                " ({raw} could be {a} {} or {b} {})",
                month_name(*b),
                month_name(*a)
            )
        });
        let (reading, other) = match order {
            DateOrder::Mdy => ("month-first", "dmy"),
            _ => ("day-first", "mdy"),
        };
        let note = format!(
            "{}: all {} dates are ambiguous{first}: read {reading} {why}; give --date-order \
             {other} if wrong",
            path.display(),
            self.numeric
        );
        Ok((order, Some(note)))
    }
}

fn month_name(m: u32) -> &'static str {
    const NAMES: &str = "January February March April May June July August September October \
                         November December";
    let i = usize::try_from(m).unwrap_or(0);
    NAMES
        .split_whitespace()
        .nth(i.wrapping_sub(1))
        .unwrap_or("?")
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
    kind: &'static str,
    source: Arc<str>,
    rows: Vec<Row>,
    evidence: DateEvidence,
    skipped: u64,
    problems: Vec<String>,
    pub notes: Vec<String>,
}

impl Collector {
    pub fn new(path: &Path, kind: &'static str) -> Self {
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
            kind: self.kind.to_string(),
            records_read: events.len() as u64,
            records_skipped: self.skipped,
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

fn order_name(order: DateOrder) -> &'static str {
    match order {
        DateOrder::Dmy => "day-first",
        DateOrder::Mdy => "month-first",
        DateOrder::Ymd => "year-first",
    }
}

/// UTC when the stamp has a zone, else the local time; `None` when it is no real date.
fn resolve(
    stamp: &Stamp,
    order: DateOrder,
) -> Option<std::result::Result<DateTime<Utc>, NaiveDateTime>> {
    match *stamp {
        Stamp::Utc(t) => Some(Ok(t)),
        Stamp::Local(n) => Some(Err(n)),
        Stamp::Numeric { a, b, year, time } => {
            let (day, month) = match order {
                DateOrder::Mdy => (b, a),
                _ => (a, b),
            };
            NaiveDate::from_ymd_opt(year, month, day).map(|d| Err(d.and_time(time)))
        }
    }
}

/// The file is newest first when more of its steps go back in time than forward.
fn is_descending<'a>(times: impl Iterator<Item = &'a NaiveDateTime>) -> bool {
    let (mut back, mut forward) = (0u64, 0u64);
    let mut prev: Option<&NaiveDateTime> = None;
    for t in times {
        if let Some(p) = prev {
            if t < p {
                back += 1;
            } else if t > p {
                forward += 1;
            }
        }
        prev = Some(t);
    }
    back > forward
}

/// Reads `wevtutil qe LOG /f:text`: `Event[N]:` blocks of `  Label: value` lines, the
/// description on the lines after `Description:` up to the next block.
pub(crate) fn read_wevtutil(path: &Path, opts: &ExportOptions) -> Result<ExportRead> {
    let mut opened = open(path)?;
    let ends_with_newline = opened.ends_with_newline;
    let mut collector = Collector::new(path, "wevtutil_text");
    collector.notes.append(&mut opened.notes);
    let mut reader = BufReader::new(&mut opened.input);
    let mut decoder = Decoder::default();
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    let mut block: Option<Block> = None;
    let mut blocks = 0u64;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let text = decoder.text(&buf, line_no);
        let line = text.trim_end_matches(['\r', '\n']);
        if let Some(index) = block_start(line) {
            if let Some(done) = block.take() {
                done.finish(&mut collector, opts);
            }
            blocks += 1;
            block = Some(Block::new(index, line_no));
            continue;
        }
        match block.as_mut() {
            Some(b) if b.description.is_some() => {
                if let Some(d) = b.description.as_mut() {
                    if !d.is_empty() {
                        d.push('\n');
                    }
                    d.push_str(line);
                }
            }
            Some(b) => b.label_line(line),
            None if line.trim().is_empty() => {}
            None => collector.skip(format!("line {line_no}: text before the first Event[N]:")),
        }
    }
    if blocks == 0 {
        return Err(Error::bad_input(
            path,
            "no `Event[N]:` blocks (not wevtutil /f:text)",
        ));
    }
    if let Some(last) = block.take() {
        if ends_with_newline {
            last.finish(&mut collector, opts);
        } else if last.description.is_none() {
            collector.skip(format!(
                "event {} (line {}): the file ends inside this event (truncated); skipped",
                last.index, last.line
            ));
        } else {
            collector.note(format!(
                "{}: the file ends without a line break: the last event's description may be cut",
                path.display()
            ));
            last.finish(&mut collector, opts);
        }
    }
    if let Some(note) = decoder.note() {
        collector.note(note);
    }
    collector.finish(opts, None)
}

fn block_start(line: &str) -> Option<u64> {
    let inner = line.trim().strip_prefix("Event[")?.strip_suffix("]:")?;
    inner.parse().ok()
}

struct Block {
    index: u64,
    line: u64,
    labels: Vec<(String, String)>,
    description: Option<String>,
}

impl Block {
    fn new(index: u64, line: u64) -> Self {
        Block {
            index,
            line,
            labels: Vec::new(),
            description: None,
        }
    }

    fn label_line(&mut self, line: &str) {
        let Some((label, value)) = line.split_once(':') else {
            return;
        };
        let label = label.trim();
        if label == "Description" {
            self.description = Some(value.trim().to_string());
        } else {
            self.labels
                .push((label.to_string(), value.trim().to_string()));
        }
    }

    fn get(&self, label: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty() && *v != "N/A")
    }

    fn finish(self, c: &mut Collector, opts: &ExportOptions) {
        let (Some(date), Some(id)) = (self.get("Date"), self.get("Event ID")) else {
            c.skip(format!(
                "event {} (line {}): no Date or Event ID line; skipped",
                self.index, self.line
            ));
            return;
        };
        let Ok(event_id) = id.parse::<u32>() else {
            c.skip(format!(
                "event {} (line {}): Event ID {id:?} is not a number",
                self.index, self.line
            ));
            return;
        };
        let mut e = c.event();
        e.event_id = event_id;
        e.provider = self.get("Source").unwrap_or_default().to_string();
        e.channel = self
            .get("Log Name")
            .map(str::to_string)
            .or_else(|| opts.channel.clone())
            .unwrap_or_default();
        e.computer = self
            .get("Computer")
            .map(str::to_string)
            .or_else(|| opts.host.clone())
            .unwrap_or_default();
        if let Some(word) = self.get("Level") {
            e.level = level_from_word(word).unwrap_or_else(|| {
                c.note(format!("level word {word:?} not known: read as unknown"));
                Level::UNKNOWN
            });
        }
        let mut data = Vec::new();
        if let Some(task) = self.get("Task") {
            data.push(named("Task", task));
        }
        if let Some(kw) = self.get("Keyword").filter(|k| AUDIT_KEYWORDS.contains(k)) {
            data.push(named("Keywords", kw));
            if e.level == Level::UNKNOWN {
                e.level = Level::INFORMATION;
            }
        }
        if let Some(user) = self.get("User Name") {
            data.push(named("User Name", user));
        }
        e.data = EventData(data);
        e.message = self
            .description
            .as_deref()
            .map(|d| d.trim_end().to_string())
            .filter(|d| !d.is_empty());
        c.push(self.line, date, e);
    }
}

pub(crate) fn named(name: &str, value: &str) -> DataField {
    DataField {
        name: Some(name.to_string()),
        value: value.to_string(),
    }
}

/// Writes events as `wevtutil qe /f:text` does (oldest first, CRLF, local ISO times in `zone`).
pub(crate) fn write_wevtutil(events: &[&Event], zone: chrono_tz::Tz, out: &mut Vec<u8>) {
    for (i, e) in events.iter().enumerate() {
        let local = e.time.with_timezone(&zone).naive_local();
        let or_na = |s: &str| {
            if s.is_empty() {
                "N/A".to_string()
            } else {
                s.to_string()
            }
        };
        let keyword = e.data.get("Keywords").unwrap_or("N/A");
        let lines = [
            format!("Event[{i}]:"),
            format!("  Log Name: {}", e.channel),
            format!("  Source: {}", e.provider),
            format!("  Date: {}", local.format("%Y-%m-%dT%H:%M:%S%.3f")),
            format!("  Event ID: {}", e.event_id),
            format!("  Task: {}", e.data.get("Task").unwrap_or("N/A")),
            format!("  Level: {}", e.level.name()),
            "  Opcode: Info".to_string(),
            format!("  Keyword: {keyword}"),
            "  User: N/A".to_string(),
            format!(
                "  User Name: {}",
                or_na(e.data.get("User Name").unwrap_or(""))
            ),
            format!("  Computer: {}", e.computer),
            "  Description: ".to_string(),
        ];
        for line in lines {
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        let message = super::export_csv::message_or_placeholder(e);
        out.extend_from_slice(message.replace('\n', "\r\n").as_bytes());
        out.extend_from_slice(b"\r\n\r\n");
    }
}
