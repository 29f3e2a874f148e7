//! Reads legacy Windows `.evt` event logs (NT 4 to Server 2003), slack space included, and writes
//! them for fixtures.
//!
//! Layout (libyal's libevt, "Windows Event Log (EVT) format"): a 0x30-byte header, then a circular
//! buffer of `LfLe` records closed by a 0x28-byte end-of-file record. The buffer runs from the
//! oldest record to the end of the file and continues right after the header; a record may
//! straddle that point. Bytes outside the live range (slack) can still hold whole older records.
use crate::error::{Error, Result};
use crate::model::{DataField, Event, EventData, InputReport, Level};
use crate::source::events::export::{ExportOptions, ExportRead};
use chrono::{DateTime, TimeZone, Utc};
use std::borrow::Cow;
use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

const HEADER_SIZE: usize = 0x30;
const MAGIC: &[u8; 4] = b"LfLe";
const EOF_SIZE: usize = 0x28;
const EOF_SIGNATURE: [u8; 16] = [
    0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22, 0x33, 0x33, 0x33, 0x33, 0x44, 0x44, 0x44, 0x44,
];
/// The fixed part of a record, up to the source name.
const FIXED: usize = 56;
/// The smallest record: the fixed part, two empty names, the closing size.
const MIN_RECORD: usize = FIXED + 4 + 4;
const FLAG_DIRTY: u32 = 0x1;
const FLAG_WRAPPED: u32 = 0x2;
const MAX_PROBLEMS: usize = 20;

/// The file starts like an `.evt` header: size 0x30, then the `LfLe` signature.
pub fn sniff(head: &[u8]) -> bool {
    le32(head, 0) == Some(HEADER_SIZE as u32) && head.get(4..8) == Some(MAGIC.as_slice())
}

/// One `.evt` file read: the live log, then the records recovered from slack space.
#[derive(Debug, Default)]
pub struct EvtRead {
    /// `export.events[..live]` is the live log in log order; the rest were recovered from slack
    /// space (in file order), each with a record number the live log does not hold.
    pub export: ExportRead,
    pub live: usize,
    pub slack: SlackCounts,
}

/// What the scan of slack space found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SlackCounts {
    /// Valid records whose number is not in the live log: kept, after the live events.
    pub recovered: usize,
    /// Valid records whose number the live log (or an earlier slack copy) already holds.
    pub duplicates: usize,
    /// `LfLe` signatures whose record did not validate (overwritten remnants).
    pub fragments: usize,
}

impl EvtRead {
    pub fn live_events(&self) -> &[Event] {
        self.export.events.get(..self.live).unwrap_or_default()
    }
    pub fn recovered_events(&self) -> &[Event] {
        self.export.events.get(self.live..).unwrap_or_default()
    }
}

/// Reads an `.evt` file: the live records, then those recovered from slack space (see `EvtRead`).
pub fn read_evt(path: &Path, opts: &ExportOptions) -> Result<ExportRead> {
    read_evt_detailed(path, opts).map(|read| read.export)
}

/// Like `read_evt`, and says which events are live and what slack space held.
pub fn read_evt_detailed(path: &Path, opts: &ExportOptions) -> Result<EvtRead> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse_evt(path, &bytes, opts)
}

/// Reads `.evt` bytes; `path` names the source in events and messages.
pub fn parse_evt(path: &Path, buf: &[u8], opts: &ExportOptions) -> Result<EvtRead> {
    if !sniff(buf) {
        return Err(Error::bad_input(path, "not an .evt file (no LfLe header)"));
    }
    if buf.len() < HEADER_SIZE {
        let why = format!("header cut short ({} bytes)", buf.len());
        return Err(Error::bad_input(path, why));
    }
    let word = |o| le32(buf, o).unwrap_or(0);
    let (max_size, flags) = (word(32) as usize, word(36));
    let ring = Ring { buf };
    let mut scan = Scan::new(path, opts);
    // The end-of-file record is rewritten with every record; a dirty header can be stale.
    let (start, end, oldest, next) = match find_eof(&ring, word(20) as usize) {
        Some(eof) => {
            if flags & FLAG_DIRTY != 0 {
                scan.note(format!(
                    "the header is marked dirty (the log was not closed): offsets and record \
                     numbers taken from the end-of-file record at 0x{:x}",
                    eof.at
                ));
            }
            scan.cover(&ring, eof.at, EOF_SIZE);
            (eof.start as usize, eof.at, eof.oldest, eof.next)
        }
        None => {
            scan.problem("no end-of-file record: the file is cut short or was copied while open");
            (word(16) as usize, word(20) as usize, word(28), word(24))
        }
    };
    let hits = magic_hits(buf);
    let (pos, span) = scan.live_range(&ring, start, end);
    if start > end && max_size > buf.len() {
        scan.note(format!(
            "the file holds 0x{:x} bytes but its header says the log is 0x{max_size:x}: \
             the file may be cut short",
            buf.len()
        ));
    }
    scan.walk(&ring, &hits, pos, span, start > end);
    // What the log could hold bounds a believable record count (a cut file held more).
    let capacity = buf.len().max(max_size).max(end) - HEADER_SIZE;
    scan.count_missing(oldest, next, capacity);
    scan.recover_slack(buf, &hits);
    Ok(scan.finish())
}

/// The end-of-file record: where the live log ends, and its bounds as last written.
struct EofRecord {
    at: usize,
    start: u32,
    next: u32,
    oldest: u32,
    /// Its own end-of-file offset field names where it sits.
    names_itself: bool,
}

/// The end-of-file record at the header's end offset, else one found by its signature: among
/// several, one that names its own offset, with the highest next record number.
fn find_eof(ring: &Ring, header_end: usize) -> Option<EofRecord> {
    eof_at(ring, header_end).or_else(|| {
        memchr::memmem::find_iter(ring.buf, &EOF_SIGNATURE)
            .filter_map(|hit| eof_at(ring, hit.checked_sub(4)?))
            .max_by_key(|eof| (eof.names_itself, eof.next))
    })
}

fn eof_at(ring: &Ring, at: usize) -> Option<EofRecord> {
    let b = ring.bytes(at, EOF_SIZE)?;
    let word = |o| le32(&b, o).unwrap_or(0);
    let sized = word(0) as usize == EOF_SIZE && word(36) as usize == EOF_SIZE;
    (sized && b.get(4..20) == Some(EOF_SIGNATURE.as_slice())).then(|| EofRecord {
        at,
        start: word(20),
        next: word(28),
        oldest: word(32),
        names_itself: word(24) as usize == at,
    })
}

/// Offsets where a record could start: four bytes before each `LfLe` past the header.
fn magic_hits(buf: &[u8]) -> Vec<usize> {
    memchr::memmem::find_iter(buf, MAGIC)
        .filter_map(|hit| hit.checked_sub(4))
        .filter(|&at| at >= HEADER_SIZE)
        .collect()
}

/// The file past its header as a circular buffer: after the last byte comes offset 0x30.
struct Ring<'a> {
    buf: &'a [u8],
}

impl<'a> Ring<'a> {
    fn circumference(&self) -> usize {
        self.buf.len().saturating_sub(HEADER_SIZE)
    }

    fn contains(&self, pos: usize) -> bool {
        (HEADER_SIZE..self.buf.len()).contains(&pos)
    }

    fn advance(&self, pos: usize, n: usize) -> usize {
        let c = self.circumference().max(1);
        HEADER_SIZE + (pos.saturating_sub(HEADER_SIZE) + n) % c
    }

    /// Bytes from `from` forward to `to`, both inside the buffer.
    fn distance(&self, from: usize, to: usize) -> usize {
        let c = self.circumference().max(1);
        (to + c - from) % c
    }

    /// `n` bytes from `pos`, continuing after the header when they run past the end of the file.
    fn bytes(&self, pos: usize, n: usize) -> Option<Cow<'a, [u8]>> {
        if !self.contains(pos) || n > self.circumference() {
            return None;
        }
        if let Some(whole) = self.buf.get(pos..pos + n) {
            return Some(Cow::Borrowed(whole));
        }
        let mut joined = self.buf.get(pos..)?.to_vec();
        let rest = n - joined.len();
        joined.extend_from_slice(self.buf.get(HEADER_SIZE..HEADER_SIZE + rest)?);
        Some(Cow::Owned(joined))
    }
}

/// One record's values, before they become an `Event`.
struct RawRecord {
    number: u32,
    generated: u32,
    event_id: u32,
    event_type: u16,
    source: String,
    computer: String,
    strings: Vec<String>,
    data: Vec<u8>,
    /// What could not be read of a record that is otherwise sound.
    flaw: Option<String>,
}

type Parsed<T> = std::result::Result<T, String>;

/// The record at `pos`, no longer than `room` bytes: the record and its size, or why not.
fn record_at(ring: &Ring, pos: usize, room: usize) -> Parsed<(RawRecord, usize)> {
    let head = ring.bytes(pos, 8).unwrap_or_default();
    let size = le32(&head, 0).unwrap_or(0) as usize;
    if head.get(4..8) != Some(MAGIC.as_slice()) || size < MIN_RECORD {
        return Err("no record starts here".into());
    }
    if size > room {
        return Err(format!(
            "record of {size} bytes runs past the end of the log ({room} bytes left)"
        ));
    }
    let bytes = ring.bytes(pos, size).ok_or("record larger than the file")?;
    parse_record(&bytes).map(|raw| (raw, size))
}

/// Validates and reads one whole record (size, signature, closing size, names, strings).
fn parse_record(r: &[u8]) -> Parsed<RawRecord> {
    let size = r.len();
    if size < MIN_RECORD || r.get(4..8) != Some(MAGIC.as_slice()) {
        return Err("no record signature".into());
    }
    // Every offset below is inside the fixed part, which `size` covers.
    let word = |o| le32(r, o).unwrap_or(0) as usize;
    let half = |o| le16(r, o).unwrap_or(0);
    let closing = word(size - 4);
    if closing != size {
        return Err(format!(
            "closing size {closing} does not match the record size {size}"
        ));
    }
    let body_end = size - 4;
    let (source, after_source) = utf16z(r, FIXED, body_end).ok_or("source name unterminated")?;
    let (computer, _) = utf16z(r, after_source, body_end).ok_or("computer name unterminated")?;
    let (count, strings_at) = (half(26) as usize, word(36));
    let (data_len, data_at) = (word(48), word(52));
    let data_fits =
        data_len > 0 && data_at >= FIXED && data_at.saturating_add(data_len) <= body_end;
    let mut flaw = (data_len > 0 && !data_fits)
        .then(|| format!("its {data_len} bytes of data lie outside it"));
    let mut strings = Vec::with_capacity(count.min(64));
    if count > 0 && !(FIXED..=body_end).contains(&strings_at) {
        return Err(format!("strings offset {strings_at} outside the record"));
    }
    let limit = if data_fits && data_at >= strings_at {
        data_at
    } else {
        body_end
    };
    let mut at = strings_at;
    while strings.len() < count {
        let Some((s, next)) = utf16z(r, at, limit) else {
            flaw = Some(format!(
                "only {} of its {count} strings are whole",
                strings.len()
            ));
            break;
        };
        strings.push(s);
        at = next;
    }
    let data = match data_fits {
        true => r
            .get(data_at..data_at + data_len)
            .unwrap_or_default()
            .to_vec(),
        false => Vec::new(),
    };
    Ok(RawRecord {
        number: word(8) as u32,
        generated: word(12) as u32,
        event_id: word(20) as u32,
        event_type: half(24),
        source,
        computer,
        strings,
        data,
        flaw,
    })
}

/// The NUL-terminated UTF-16LE string at `at`, ending before `limit`, and the offset after it.
fn utf16z(r: &[u8], at: usize, limit: usize) -> Option<(String, usize)> {
    let units: Vec<u16> = r
        .get(at..limit.min(r.len()))?
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]))
        .take_while(|&u| u != 0)
        .collect();
    let end = at + units.len() * 2;
    (end + 2 <= limit).then(|| (String::from_utf16_lossy(&units), end + 2))
}

/// The state of one read: what was found so far and where the bytes went.
#[derive(Default)]
struct Scan {
    channel: String,
    host: String,
    source_file: Arc<str>,
    report: InputReport,
    notes: Vec<String>,
    live: Vec<Event>,
    live_numbers: HashSet<u32>,
    recovered: Vec<Event>,
    slack: SlackCounts,
    /// Damaged stretches of the live log.
    damaged: u64,
    /// Linear byte ranges `(start, end)` taken by the live log (records, damage, end record).
    covered: Vec<(usize, usize)>,
    audits: u64,
    unknown_types: u64,
}

impl Scan {
    fn new(path: &Path, opts: &ExportOptions) -> Self {
        let shown = path.display().to_string();
        let mut scan = Scan {
            channel: opts.channel.clone().unwrap_or_default(),
            host: opts.host.clone().unwrap_or_default(),
            source_file: Arc::from(shown.as_str()),
            report: InputReport {
                path: shown,
                kind: "evt".into(),
                ..Default::default()
            },
            ..Default::default()
        };
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_ascii_lowercase);
        let log = match name.as_deref() {
            Some("sysevent.evt") => "System",
            Some("appevent.evt") => "Application",
            Some("secevent.evt") => "Security",
            _ => "",
        };
        if opts.channel.is_none() && !log.is_empty() {
            scan.note(format!(
                "the file name suggests the {log} log; channel left empty (set it with --channel)"
            ));
        }
        scan
    }

    fn note(&mut self, note: String) {
        self.notes.push(note);
    }

    fn problem(&mut self, problem: impl Into<String>) {
        if self.report.problems.len() < MAX_PROBLEMS {
            self.report.problems.push(problem.into());
        }
    }

    /// Marks a circular span as taken, in one or two linear pieces.
    fn cover(&mut self, ring: &Ring, pos: usize, n: usize) {
        let to_end = ring.buf.len().saturating_sub(pos);
        self.covered.push((pos, pos + n.min(to_end)));
        if n > to_end {
            self.covered.push((HEADER_SIZE, HEADER_SIZE + (n - to_end)));
        }
    }

    /// Where the walk starts and how many bytes it covers, from the oldest-record and
    /// end-of-file offsets; says what is cut off when they point outside the file.
    fn live_range(&mut self, ring: &Ring, start: usize, end: usize) -> (usize, usize) {
        let len = ring.buf.len();
        if end > len {
            self.problem(format!(
                "the log ends at offset 0x{end:x} but the file at 0x{len:x}: the file is cut short"
            ));
        }
        let end = end.clamp(HEADER_SIZE, len);
        match (ring.contains(start), start <= end) {
            (true, true) => (start, end - start),
            (true, false) => (start, (len - start) + (end - HEADER_SIZE)),
            (false, unwrapped) => {
                let why = format!("the oldest record's offset 0x{start:x} lies outside the file");
                self.problem(format!("{why} (0x{len:x} bytes)"));
                // Wrapped with its older part gone: what follows the header remains.
                (HEADER_SIZE, if unwrapped { 0 } else { end - HEADER_SIZE })
            }
        }
    }

    /// Follows the live records from `pos` for `span` bytes, across the wrap; damaged stretches
    /// are skipped to the next valid record and reported with their offset.
    fn walk(&mut self, ring: &Ring, hits: &[usize], mut pos: usize, span: usize, wrapped: bool) {
        let mut done = 0;
        while done < span {
            let room = span - done;
            let size = match record_at(ring, pos, room) {
                Ok((raw, size)) => {
                    if let Some(flaw) = &raw.flaw {
                        self.problem(format!("record {} at offset 0x{pos:x}: {flaw}", raw.number));
                    }
                    self.live_numbers.insert(raw.number);
                    let event = self.event(raw);
                    self.live.push(event);
                    size
                }
                Err(why) => {
                    let next = resync(ring, hits, pos, room);
                    let gap = next.map_or(room, |q| ring.distance(pos, q));
                    // libevt: a wrapped log can leave unused bytes before the end of the file.
                    if wrapped && next == Some(HEADER_SIZE) && pos > HEADER_SIZE {
                        let at = format!("before the wrap at offset 0x{pos:x}");
                        self.note(format!("{gap} bytes of trailing data {at} ignored"));
                    } else {
                        self.damaged += 1;
                        self.problem(format!("offset 0x{pos:x}: {why}; {gap} bytes skipped"));
                    }
                    gap
                }
            };
            self.cover(ring, pos, size);
            pos = ring.advance(pos, size);
            done += size;
        }
    }

    /// Counts as skipped the records the log's numbering says it holds but the walk did not
    /// read (at least one per damaged stretch).
    fn count_missing(&mut self, oldest: u32, next: u32, capacity: usize) {
        let expected = u64::from(next.saturating_sub(oldest));
        let mut missing = 0;
        if oldest > 0 && expected > 0 && expected <= (capacity / MIN_RECORD) as u64 + 1 {
            let numbers = oldest..next;
            let present = self
                .live_numbers
                .iter()
                .filter(|n| numbers.contains(n))
                .count();
            missing = expected - present as u64;
            if missing > 0 {
                self.problem(format!(
                    "{missing} of the log's records {oldest} to {} were not read",
                    next - 1
                ));
            }
        }
        self.report.records_skipped = missing.max(self.damaged);
    }

    /// Keeps the valid records outside the live log that it does not already hold.
    fn recover_slack(&mut self, buf: &[u8], hits: &[usize]) {
        self.covered.sort_unstable();
        let (mut taken_until, mut numbers, mut first_fragment) = (0, HashSet::new(), None);
        for &at in hits {
            if at < taken_until || self.is_covered(at) {
                continue;
            }
            let size = le32(buf, at).unwrap_or(0) as usize;
            let record = buf
                .get(at..at.saturating_add(size))
                .and_then(|r| parse_record(r).ok())
                .filter(|raw| raw.flaw.is_none());
            let Some(raw) = record else {
                self.slack.fragments += 1;
                first_fragment.get_or_insert(at);
                continue;
            };
            taken_until = at + size;
            if self.live_numbers.contains(&raw.number) || !numbers.insert(raw.number) {
                self.slack.duplicates += 1;
            } else {
                let event = self.event(raw);
                self.recovered.push(event);
            }
        }
        let s = self.slack;
        if let (Some(lo), Some(hi)) = (numbers.iter().min(), numbers.iter().max()) {
            let kept = self.recovered.len();
            self.note(format!(
                "{kept} records recovered from slack space (not in the live log), \
                 record numbers {lo} to {hi}"
            ));
        }
        if s.duplicates > 0 {
            self.note(format!(
                "{} records in slack space repeat record numbers already read; not added again",
                s.duplicates
            ));
        }
        if let Some(at) = first_fragment {
            self.note(format!(
                "{} record remnants in slack space did not validate (the first at offset 0x{at:x})",
                s.fragments
            ));
        }
        self.slack.recovered = self.recovered.len();
    }

    fn is_covered(&self, at: usize) -> bool {
        let i = self.covered.partition_point(|&(start, _)| start <= at);
        i > 0 && self.covered.get(i - 1).is_some_and(|&(_, end)| at < end)
    }

    fn event(&mut self, raw: RawRecord) -> Event {
        let level = match raw.event_type {
            1 => Level::ERROR,
            2 => Level::WARNING,
            0 | 4 => Level::INFORMATION,
            // Audit success and failure: level 0 (LogAlways), as EVTX stores them.
            8 | 16 => Level(0),
            _ => Level::UNKNOWN,
        };
        self.audits += u64::from(level == Level(0));
        self.unknown_types += u64::from(level == Level::UNKNOWN);
        let mut data: Vec<DataField> = raw
            .strings
            .into_iter()
            .map(|value| DataField { name: None, value })
            .collect();
        if !raw.data.is_empty() {
            let value = raw.data.iter().map(|b| format!("{b:02X}")).collect();
            data.push(DataField {
                name: Some("Binary".into()),
                value,
            });
        }
        Event {
            time: epoch(raw.generated),
            record_id: Some(u64::from(raw.number)),
            channel: self.channel.clone(),
            provider: raw.source,
            event_id: raw.event_id & 0xFFFF,
            level,
            computer: if raw.computer.is_empty() {
                self.host.clone()
            } else {
                raw.computer
            },
            message: None,
            data: EventData(data),
            source_file: Arc::clone(&self.source_file),
        }
    }

    fn finish(mut self) -> EvtRead {
        if self.audits > 0 {
            self.note(format!(
                "{} audit records (success or failure) read as level 0, as EVTX stores them",
                self.audits
            ));
        }
        if self.unknown_types > 0 {
            self.note(format!(
                "{} records of an unknown event type: level unknown",
                self.unknown_types
            ));
        }
        let live = self.live.len();
        let mut events = self.live;
        events.append(&mut self.recovered);
        self.report.records_read = events.len() as u64;
        self.report.first = events.iter().map(|e| e.time).min();
        self.report.last = events.iter().map(|e| e.time).max();
        let export = ExportRead {
            events,
            report: self.report,
            notes: self.notes,
        };
        EvtRead {
            export,
            live,
            slack: self.slack,
        }
    }
}

/// The next offset after `pos`, less than `room` bytes on, where a valid record starts.
fn resync(ring: &Ring, hits: &[usize], pos: usize, room: usize) -> Option<usize> {
    let (before, after) = hits.split_at(hits.partition_point(|&q| q <= pos));
    after
        .iter()
        .chain(before)
        .map(|&q| (q, ring.distance(pos, q)))
        .take_while(|&(_, d)| d < room)
        .find(|&(q, d)| d > 0 && record_at(ring, q, room - d).is_ok())
        .map(|(q, _)| q)
}

fn epoch(seconds: u32) -> DateTime<Utc> {
    Utc.timestamp_opt(i64::from(seconds), 0)
        .single()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    let bytes: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(bytes))
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    let bytes: [u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(u16::from_le_bytes(bytes))
}

/// How `write_evt_with` lays out a file.
#[derive(Debug, Clone, Copy, Default)]
pub struct EvtLayout<'a> {
    /// How many bytes of the live log (records, then the end-of-file record) sit before the end
    /// of the file; the rest continues right after the header. `None` (or 0, or the whole log):
    /// no wrap. A value inside a record makes it straddle the wrap.
    pub wrap_at: Option<usize>,
    /// Records left in slack space, between the end-of-file record and the oldest record.
    pub slack: &'a [Event],
}

/// Writes events as an `.evt` file (for fixtures and tests); see `write_evt_with`.
pub fn write_evt(events: &[Event], wrap_at: Option<usize>) -> Vec<u8> {
    write_evt_with(
        events,
        &EvtLayout {
            wrap_at,
            slack: &[],
        },
    )
}

/// Writes events as an `.evt` file, the same bytes every time: records numbered by `record_id`
/// (else one more than the previous), the unnamed data as strings, `Binary` (hex) as the data,
/// the level as the event type; no SID, category 0, time written = time generated.
pub fn write_evt_with(events: &[Event], layout: &EvtLayout) -> Vec<u8> {
    let (log, numbers) = encode_records(events);
    let (slack, _) = encode_records(layout.slack);
    let total = log.len() + EOF_SIZE;
    let wrap = layout.wrap_at.filter(|&w| w > 0 && w < total);
    // Without a wrap the log starts after the header; with one, its first `w` bytes end the file.
    let (start, file_len, end) = match wrap {
        Some(w) => {
            let start = HEADER_SIZE + (total - w) + slack.len();
            let end = if log.len() >= w {
                HEADER_SIZE + log.len() - w
            } else {
                start + log.len()
            };
            (start, start + w, end)
        }
        None => (
            HEADER_SIZE,
            HEADER_SIZE + total + slack.len(),
            HEADER_SIZE + log.len(),
        ),
    };
    let oldest = numbers.first().copied().unwrap_or(0);
    let next = numbers.last().map_or(1, |&n| n.wrapping_add(1));
    let flags = if wrap.is_some() { FLAG_WRAPPED } else { 0 };
    let (start32, end32, len32) = (as32(start), as32(end), as32(file_len));
    let mut file = words(&[
        0x30,
        u32::from_le_bytes(*MAGIC),
        1,
        1,
        start32,
        end32,
        next,
        oldest,
    ]);
    file.extend(words(&[len32, flags, 0, 0x30]));
    file.resize(file_len, 0);
    let mut stream = log;
    stream.extend(words(&[
        0x28,
        0x1111_1111,
        0x2222_2222,
        0x3333_3333,
        0x4444_4444,
    ]));
    stream.extend(words(&[start32, end32, next, oldest, 0x28]));
    let before_wrap = (file_len - start).min(stream.len());
    file[start..start + before_wrap].copy_from_slice(&stream[..before_wrap]);
    let after = &stream[before_wrap..];
    file[HEADER_SIZE..HEADER_SIZE + after.len()].copy_from_slice(after);
    let slack_at = if wrap.is_some() {
        HEADER_SIZE + after.len()
    } else {
        HEADER_SIZE + total
    };
    file[slack_at..slack_at + slack.len()].copy_from_slice(&slack);
    file
}

fn encode_records(events: &[Event]) -> (Vec<u8>, Vec<u32>) {
    let (mut out, mut numbers) = (Vec::new(), Vec::<u32>::with_capacity(events.len()));
    for event in events {
        let after_previous = numbers.last().map_or(1, |n| n.wrapping_add(1));
        let number = event
            .record_id
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(after_previous);
        numbers.push(number);
        out.extend(encode_record(event, number));
    }
    (out, numbers)
}

fn encode_record(event: &Event, number: u32) -> Vec<u8> {
    let utf16z = |s: &str| -> Vec<u8> {
        s.encode_utf16()
            .chain([0])
            .flat_map(u16::to_le_bytes)
            .collect()
    };
    let mut names = utf16z(&event.provider);
    names.extend(utf16z(&event.computer));
    let strings: Vec<u8> = event.data.unnamed().flat_map(utf16z).collect();
    let data = event.data.get("Binary").and_then(unhex).unwrap_or_default();
    let strings_at = FIXED + names.len();
    let data_at = strings_at + strings.len();
    let size = (data_at + data.len() + 4).div_ceil(4) * 4;
    let (severity, event_type) = match event.level {
        Level::ERROR | Level::CRITICAL => (0xC000_0000u32, 1u32),
        Level::WARNING => (0x8000_0000, 2),
        _ => (0x4000_0000, 4),
    };
    let time = u32::try_from(event.time.timestamp()).unwrap_or(0);
    let count = as32(event.data.unnamed().count()).min(0xFFFF);
    let id = severity | (event.event_id & 0xFFFF);
    let mut out = words(&[
        as32(size),
        u32::from_le_bytes(*MAGIC),
        number,
        time,
        time,
        id,
    ]);
    // Type and string count (u16 each), category and flags, closing record number, strings
    // offset, SID size and offset, data size and offset.
    let (s, d) = (as32(strings_at), as32(data_at));
    out.extend(words(&[
        event_type | count << 16,
        0,
        0,
        s,
        0,
        s,
        as32(data.len()),
        d,
    ]));
    out.extend(names);
    out.extend(strings);
    out.extend(data);
    out.resize(size - 4, 0);
    out.extend(as32(size).to_le_bytes());
    out
}

fn words(values: &[u32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn as32(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let pairs = text.as_bytes().chunks_exact(2);
    pairs
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .collect()
}

#[cfg(test)]
#[path = "evt_tests.rs"]
mod tests;
