//! Reads legacy Windows `.evt` event logs (NT 4 to Server 2003), slack space included, and writes
//! them for fixtures.
//!
//! Layout (libyal's libevt, "Windows Event Log (EVT) format"): a 0x30-byte header, then a circular
//! buffer of `LfLe` records closed by a 0x28-byte end-of-file record. The buffer runs from the
//! oldest record to the end of the file and continues right after the header; a record may
//! straddle that point. Bytes outside the live range (slack) can still hold whole older records.
use crate::error::{Error, Result};
use crate::model::{DataField, Event, EventData, InputReport, Level};
use crate::source::events::export::{ExportOptions, ExportRead, Keep};
use chrono::{DateTime, TimeZone, Utc};
use std::cell::OnceCell;
use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

mod record;
mod ring;
mod write;

use self::record::{
    parse_record, record_bytes, record_is_valid, utf16_text, RawRecord, SourceNames,
};
use self::ring::{find_eof, magic_hits, magic_hits_in, Ring};
#[cfg(test)]
use self::write::encode_record;
pub use self::write::{write_evt, write_evt_with, EvtLayout};

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
    let bytes = file_bytes(path)?;
    parse_evt(path, &bytes, opts)
}

/// Reads an `.evt` file into `keep` (the events, or only their counts: a count holds no event).
pub fn read_evt_into<'k>(
    path: &Path,
    opts: &ExportOptions,
    keep: Keep<'k>,
) -> Result<ExportRead<Keep<'k>>> {
    let bytes = file_bytes(path)?;
    parse_evt_keep(path, &bytes, opts, keep).map(|(read, _, _)| read)
}

/// The file's bytes, mapped (see `memory::file_bytes`).
fn file_bytes(path: &Path) -> Result<crate::memory::FileBytes> {
    crate::memory::file_bytes(path).map_err(|e| Error::io(path, e))
}

/// Reads `.evt` bytes; `path` names the source in events and messages.
pub fn parse_evt(path: &Path, buf: &[u8], opts: &ExportOptions) -> Result<EvtRead> {
    let (read, live, slack) = parse_evt_keep(path, buf, opts, Keep::default())?;
    Ok(EvtRead {
        export: read.into_events(),
        live,
        slack,
    })
}

/// `parse_evt` into `keep`; also gives how many events are live and what slack space held.
fn parse_evt_keep<'k>(
    path: &Path,
    buf: &[u8],
    opts: &ExportOptions,
    keep: Keep<'k>,
) -> Result<(ExportRead<Keep<'k>>, usize, SlackCounts)> {
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
    let mut scan = Scan::new(path, opts, keep);
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
    // Where records could start, looked for only if the live log is damaged.
    let hits = OnceCell::new();
    let (pos, span) = scan.live_range(&ring, start, end);
    if start > end && max_size > buf.len() {
        scan.note(format!(
            "the file holds 0x{:x} bytes but its header says the log is 0x{max_size:x}: \
             the file may be cut short",
            buf.len()
        ));
    }
    scan.walk(&ring, &hits, pos, span, start > end);
    scan.sort_live_numbers();
    // What the log could hold bounds a believable record count (a cut file held more).
    let capacity = buf.len().max(max_size).max(end) - HEADER_SIZE;
    scan.count_missing(oldest, next, capacity);
    scan.recover_slack(buf);
    Ok(scan.finish())
}

/// The state of one read: what was found so far and where the bytes went.
#[derive(Default)]
struct Scan<'k> {
    channel: String,
    host: String,
    source_file: Arc<str>,
    report: InputReport,
    notes: Vec<String>,
    /// The events read (live ones first, then those recovered from slack), or their counts.
    kept: Keep<'k>,
    live: usize,
    /// The record numbers of the live log, in walk order (sorted and deduplicated once the walk
    /// is done: see `sort_live_numbers`).
    live_numbers: Vec<u32>,
    /// The source names met, decoded once each for a count.
    sources: SourceNames,
    recovered: usize,
    /// The earliest and latest time of the events kept.
    span: Option<(DateTime<Utc>, DateTime<Utc>)>,
    slack: SlackCounts,
    /// Damaged stretches of the live log.
    damaged: u64,
    /// Linear byte ranges `(start, end)` taken by the live log (records, damage, end record).
    covered: Vec<(usize, usize)>,
    audits: u64,
    unknown_types: u64,
}

impl<'k> Scan<'k> {
    fn new(path: &Path, opts: &ExportOptions, kept: Keep<'k>) -> Self {
        let shown = path.display().to_string();
        let mut scan = Scan {
            channel: opts.channel.clone().unwrap_or_default(),
            host: opts.host.clone().unwrap_or_default(),
            source_file: Arc::from(shown.as_str()),
            kept,
            report: InputReport {
                path: shown,
                kind: crate::model::InputKind::EventExport(crate::model::ExportKind::Evt),
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
        self.cover_linear(pos, pos + n.min(to_end));
        if n > to_end {
            self.cover_linear(HEADER_SIZE, HEADER_SIZE + (n - to_end));
        }
    }

    /// Records follow one another: a range that starts where the last one ends extends it (one
    /// range for a whole run of records rather than one each).
    fn cover_linear(&mut self, start: usize, end: usize) {
        match self.covered.last_mut() {
            Some(last) if last.1 == start => last.1 = end,
            _ => self.covered.push((start, end)),
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
    fn walk(
        &mut self,
        ring: &Ring,
        hits: &OnceCell<Vec<usize>>,
        mut pos: usize,
        span: usize,
        wrapped: bool,
    ) {
        let mut done = 0;
        while done < span {
            let room = span - done;
            let bytes = record_bytes(ring, pos, room);
            let record = match &bytes {
                Ok(bytes) => parse_record(bytes),
                Err(why) => Err(why.clone()),
            };
            let size = match record {
                Ok(raw) => {
                    if let Some(flaw) = &raw.flaw {
                        self.problem(format!("record {} at offset 0x{pos:x}: {flaw}", raw.number));
                    }
                    self.live_numbers.push(raw.number);
                    self.keep(&raw);
                    self.live += 1;
                    bytes.as_ref().map_or(0, |b| b.len())
                }
                Err(why) => {
                    let hits = hits.get_or_init(|| magic_hits(ring.buf));
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

    /// Sorts the live record numbers for the lookups below (a log's walk gives them in order,
    /// which the sort finds at once) and drops repeats, as the set of them they stand for.
    fn sort_live_numbers(&mut self) {
        self.live_numbers.sort_unstable();
        self.live_numbers.dedup();
    }

    fn is_live(&self, number: u32) -> bool {
        self.live_numbers.binary_search(&number).is_ok()
    }

    /// Counts as skipped the records the log's numbering says it holds but the walk did not
    /// read (at least one per damaged stretch).
    fn count_missing(&mut self, oldest: u32, next: u32, capacity: usize) {
        let expected = u64::from(next.saturating_sub(oldest));
        let mut missing = 0;
        if oldest > 0 && expected > 0 && expected <= (capacity / MIN_RECORD) as u64 + 1 {
            let numbers = oldest..next;
            let below = |n: u32| self.live_numbers.partition_point(|&live| live < n);
            let present = below(numbers.end) - below(numbers.start);
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
    fn recover_slack(&mut self, buf: &[u8]) {
        self.covered.sort_unstable();
        let (mut taken_until, mut numbers, mut first_fragment) = (0, HashSet::new(), None);
        for at in self.uncovered_hits(buf) {
            if at < taken_until {
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
            if self.is_live(raw.number) || !numbers.insert(raw.number) {
                self.slack.duplicates += 1;
            } else {
                self.keep(&raw);
                self.recovered += 1;
            }
        }
        let s = self.slack;
        if let (Some(lo), Some(hi)) = (numbers.iter().min(), numbers.iter().max()) {
            let kept = self.recovered;
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
        self.slack.recovered = self.recovered;
    }

    /// Where a record could start outside the (sorted) covered ranges: slack space.
    fn uncovered_hits(&self, buf: &[u8]) -> Vec<usize> {
        let mut hits = Vec::new();
        let mut from = HEADER_SIZE;
        for &(start, end) in self.covered.iter().chain([(buf.len(), buf.len())].iter()) {
            if start > from {
                hits.extend(magic_hits_in(buf, from, start));
            }
            from = from.max(end);
        }
        hits
    }

    /// Keeps one record: as an event, or only counted (its source name the only text decoded).
    fn keep(&mut self, raw: &RawRecord) {
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
        let t = epoch(raw.generated);
        self.span = Some(self.span.map_or((t, t), |(a, b)| (a.min(t), b.max(t))));
        match &mut self.kept {
            Keep::Counts(tally) => {
                let source = self.sources.text(raw.source);
                let key = tally.key(&self.channel, source, raw.event_id & 0xFFFF);
                tally.add(key, t);
            }
            Keep::Events(events) => {
                let event = event(raw, level, &self.channel, &self.host, &self.source_file);
                events.push(event);
            }
        }
    }

    fn finish(mut self) -> (ExportRead<Keep<'k>>, usize, SlackCounts) {
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
        self.report.records_read = (self.live + self.recovered) as u64;
        self.report.first = self.span.map(|(first, _)| first);
        self.report.last = self.span.map(|(_, last)| last);
        let read = ExportRead {
            events: self.kept,
            report: self.report,
            notes: self.notes,
        };
        (read, self.live, self.slack)
    }
}

/// One record as an event: every string decoded, the binary data as hex.
fn event(raw: &RawRecord, level: Level, channel: &str, host: &str, file: &Arc<str>) -> Event {
    let mut data: Vec<DataField> = raw
        .strings()
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
        channel: channel.to_string(),
        provider: utf16_text(raw.source),
        event_id: raw.event_id & 0xFFFF,
        level,
        computer: if raw.computer.is_empty() {
            host.to_string()
        } else {
            utf16_text(raw.computer)
        },
        message: None,
        data: EventData(data),
        source_file: Arc::clone(file),
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
        .find(|&(q, d)| d > 0 && record_is_valid(ring, q, room - d))
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

#[cfg(test)]
#[path = "evt_tests.rs"]
mod tests;
