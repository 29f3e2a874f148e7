//! Shared by the XML and JSON export readers: text decoding (BOM, UTF-16 transcoded as it is
//! read), damage accounting (the `Collector` of events and problems), one event's fields.
use crate::error::{Error, Result};
use crate::model::{DataField, Event, EventData, Level};
use crate::source::events::export::{ExportOptions, ExportRead, Keep, LocalClock};
use chrono::{DateTime, NaiveDateTime, Utc};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

/// How an export's text is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::source::events) enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
}

/// The encoding of a file from its first bytes, and the length of its byte order mark.
pub(in crate::source::events) fn detect_encoding(head: &[u8]) -> (Encoding, usize) {
    match head {
        [0xEF, 0xBB, 0xBF, ..] => (Encoding::Utf8, 3),
        [0xFF, 0xFE, ..] => (Encoding::Utf16Le, 2),
        [0xFE, 0xFF, ..] => (Encoding::Utf16Be, 2),
        // No BOM: ASCII text in UTF-16 has a zero byte beside every character.
        [a, 0, ..] if *a != 0 => (Encoding::Utf16Le, 0),
        [0, b, ..] if *b != 0 => (Encoding::Utf16Be, 0),
        _ => (Encoding::Utf8, 0),
    }
}

/// The head of a file as text (lossy: a character cut at the end of the head is dropped).
pub(in crate::source::events) fn decode_head(head: &[u8]) -> String {
    let (encoding, bom) = detect_encoding(head);
    let body = head.get(bom..).unwrap_or_default();
    match encoding {
        Encoding::Utf8 => String::from_utf8_lossy(body)
            .trim_end_matches('\u{FFFD}')
            .to_string(),
        Encoding::Utf16Le | Encoding::Utf16Be => {
            let even = body.get(..body.len() & !1).unwrap_or_default();
            let codec = if encoding == Encoding::Utf16Le {
                encoding_rs::UTF_16LE
            } else {
                encoding_rs::UTF_16BE
            };
            let (text, _) = codec.decode_without_bom_handling(even);
            text.trim_end_matches('\u{FFFD}').to_string()
        }
    }
}

/// An opened export, as UTF-8.
pub(in crate::source::events) struct TextFile {
    pub reader: Box<dyn BufRead>,
    pub encoding: Encoding,
    pub notes: Vec<String>,
}

/// Opens `path` and decodes it to UTF-8 as it is read (UTF-16 files are transcoded in chunks).
pub(in crate::source::events) fn open_text(path: &Path) -> Result<TextFile> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let head = reader.fill_buf().map_err(|e| Error::io(path, e))?;
    let (encoding, bom) = detect_encoding(head);
    reader.consume(bom);
    let mut notes = Vec::new();
    let reader: Box<dyn BufRead> = match encoding {
        Encoding::Utf8 => Box::new(reader),
        Encoding::Utf16Le | Encoding::Utf16Be => {
            let body = len.saturating_sub(bom as u64);
            // An odd last byte is half a character: a cut file. Dropped, and said.
            if body % 2 == 1 {
                notes.push(
                    "the UTF-16 file ends in half a character (cut?): its last byte was not read"
                        .to_string(),
                );
            }
            let codec = if encoding == Encoding::Utf16Le {
                encoding_rs::UTF_16LE
            } else {
                encoding_rs::UTF_16BE
            };
            Box::new(BufReader::new(Utf16Reader {
                inner: reader.take(body & !1),
                decoder: codec.new_decoder_without_bom_handling(),
                out: Vec::new(),
                pos: 0,
                done: false,
            }))
        }
    };
    Ok(TextFile {
        reader,
        encoding,
        notes,
    })
}

/// UTF-16 in, UTF-8 out, a chunk at a time.
struct Utf16Reader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    out: Vec<u8>,
    pos: usize,
    done: bool,
}

impl<R: Read> Read for Utf16Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos >= self.out.len() {
            if self.done {
                return Ok(0);
            }
            let mut input = vec![0u8; 32 * 1024];
            let n = self.inner.read(&mut input)?;
            let last = n == 0;
            let input = input.get(..n).unwrap_or_default();
            let room = self
                .decoder
                .max_utf8_buffer_length(n)
                .unwrap_or(n.saturating_mul(3) + 16);
            let mut text = String::with_capacity(room);
            let _ = self.decoder.decode_to_string(input, &mut text, last);
            self.out = text.into_bytes();
            self.pos = 0;
            self.done = last;
        }
        let available = self.out.get(self.pos..).unwrap_or_default();
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.pos += n;
        Ok(n)
    }
}

/// The problems listed in a report; the counts stay complete.
const MAX_PROBLEMS: usize = 20;

/// One event's fields as an export has them, before the checks that make it an `Event`.
#[derive(Debug, Default, PartialEq)]
pub(in crate::source::events) struct RawEvent {
    pub time: Option<DateTime<Utc>>,
    /// The time as written, for the problem line when it does not parse.
    pub time_text: Option<String>,
    pub event_id: Option<u32>,
    pub record_id: Option<u64>,
    pub channel: Option<String>,
    pub provider: Option<String>,
    pub computer: Option<String>,
    pub level: Option<Level>,
    /// A level's name (`RenderingInfo/Level`, `LevelDisplayName`, `EntryType`).
    pub level_name: Option<String>,
    pub message: Option<String>,
    pub data: Vec<DataField>,
}

/// The events of one file and what went wrong, as they are read.
pub(in crate::source::events) struct Collector<'a> {
    /// The events (kept, or only counted), the report and the notes.
    pub read: ExportRead<Keep<'a>>,
    source: Arc<str>,
    opts: &'a ExportOptions,
    /// For times written without a zone.
    pub clock: LocalClock,
}

impl<'a> Collector<'a> {
    pub fn new(
        path: &Path,
        kind: crate::model::MarkupFormat,
        opts: &'a ExportOptions,
        keep: Keep<'a>,
    ) -> Self {
        let mut read = ExportRead {
            events: keep,
            report: Default::default(),
            notes: Vec::new(),
        };
        read.report.path = path.display().to_string();
        read.report.kind =
            crate::model::InputKind::EventExport(crate::model::ExportKind::Markup(kind));
        Collector {
            read,
            source: Arc::from(path.display().to_string()),
            opts,
            clock: LocalClock::new(opts.input_tz, false),
        }
    }

    /// Turns `raw` into an event, or counts it as skipped; `place` says where it is.
    pub fn accept(&mut self, raw: RawEvent, place: &str) {
        self.accept_with(raw, || place.to_string());
    }

    /// `accept`, the place named only if the record is skipped.
    pub fn accept_with(&mut self, raw: RawEvent, place: impl FnOnce() -> String) {
        let record = raw.record_id;
        match self.event(raw) {
            Ok(event) => {
                let report = &mut self.read.report;
                report.records_read += 1;
                if report.first.is_none_or(|f| event.time < f) {
                    report.first = Some(event.time);
                }
                if report.last.is_none_or(|l| event.time > l) {
                    report.last = Some(event.time);
                }
                self.read.events.event(event);
            }
            Err(why) => self.skip(&place(), record, &why),
        }
    }

    /// Only counts are kept: a reader need not gather what a count does not read (data,
    /// message).
    pub fn counts_only(&self) -> bool {
        self.read.events.counts_only()
    }

    /// Counts one damaged record (or a run of text that is no record).
    pub fn skip(&mut self, place: &str, record: Option<u64>, why: &str) {
        let report = &mut self.read.report;
        report.records_skipped += 1;
        if report.problems.len() < MAX_PROBLEMS {
            let record = record.map(|r| format!(", record {r}")).unwrap_or_default();
            report.problems.push(format!("{place}{record}: {why}"));
        }
    }

    pub fn note(&mut self, note: String) {
        if !self.read.notes.contains(&note) {
            self.read.notes.push(note);
        }
    }

    pub fn finish(mut self) -> ExportRead<Keep<'a>> {
        if let Some(note) = self.clock.note() {
            self.note(note);
        }
        self.read
    }

    fn event(&self, raw: RawEvent) -> std::result::Result<Event, String> {
        let time = raw.time.ok_or_else(|| match &raw.time_text {
            Some(text) => format!("time {text:?} does not parse"),
            None => "no time".to_string(),
        })?;
        let event_id = raw.event_id.ok_or("no event id")?;
        let or_opt = |v: Option<String>, fallback: &Option<String>| {
            v.filter(|s| !s.is_empty())
                .or_else(|| fallback.clone())
                .unwrap_or_default()
        };
        let level = raw
            .level
            .or_else(|| raw.level_name.as_deref().and_then(level_from_name))
            .unwrap_or(Level::UNKNOWN);
        Ok(Event {
            time,
            record_id: raw.record_id,
            channel: or_opt(raw.channel, &self.opts.channel),
            provider: raw.provider.unwrap_or_default(),
            event_id,
            level,
            computer: or_opt(raw.computer, &self.opts.host),
            message: raw.message.filter(|m| !m.trim().is_empty()),
            data: EventData(raw.data),
            source_file: Arc::clone(&self.source),
        })
    }
}

/// A level from its English name (`Error`, the PowerShell and Get-EventLog names too).
pub(in crate::source::events) fn level_from_name(name: &str) -> Option<Level> {
    let name = name.trim();
    Level::parse(name).or(match name.to_ascii_lowercase().as_str() {
        // Get-EventLog's audit entry types: logged at level 0 (LogAlways) in EVTX.
        "successaudit" | "failureaudit" => Some(Level(0)),
        _ => None,
    })
}

/// A level number as written; 255 and beyond are not levels.
pub(in crate::source::events) fn level_from_number(n: u64) -> Level {
    u8::try_from(n)
        .ok()
        .filter(|&n| n != Level::UNKNOWN.0)
        .map_or(Level::UNKNOWN, Level)
}

/// `System/TimeCreated/@SystemTime`: UTC by the event schema, written with `Z` (or, from some
/// tools, without a zone; read as UTC, as the schema says).
pub(in crate::source::events) fn parse_system_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .map(|t| t.and_utc())
}

/// An event id without its qualifiers: ids are 16 bits in the schema, the rest are qualifiers.
pub(in crate::source::events) fn event_id_of(n: u64) -> u32 {
    (n & 0xFFFF) as u32
}

/// The text after a first line `Record N` (evtx_dump's separator), if the text starts so.
pub(in crate::source::events) fn after_record_line(text: &str) -> Option<&str> {
    let (line, rest) = text.split_once('\n').unwrap_or((text, ""));
    record_number(line).map(|_| rest)
}

/// `N` of an evtx_dump `Record N` line.
pub(in crate::source::events) fn record_number(line: &str) -> Option<u64> {
    line.trim().strip_prefix("Record ")?.trim().parse().ok()
}
