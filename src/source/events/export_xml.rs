//! Event logs exported as XML (wevtutil `/f:xml`, Event Viewer "Save As", `evtx_dump -o xml`):
//! sniffing, a streaming reader that survives damaged events, and writers for fixtures; also the
//! text decoding and damage accounting the JSON exports share.
use super::export::{ExportOptions, ExportRead, Keep};
use crate::error::{Error, Result};
use std::borrow::Cow;
use std::io::BufRead;
use std::path::Path;
use std::sync::OnceLock;

mod decode;
mod fast;
mod parse;
mod write;

use self::decode::Encoding;
pub(super) use self::decode::{
    after_record_line, decode_head, event_id_of, level_from_name, level_from_number, open_text,
    parse_system_time, record_number, Collector, RawEvent,
};
use self::parse::{parse_event, Need};
pub use self::write::write;
pub(super) use self::write::{system_time, ticks};

/// The namespace of `<Event>` in every export.
pub const EVENT_NS: &str = "http://schemas.microsoft.com/win/2004/08/events/event";

/// The exports of event logs as XML or JSON that these readers know (named in the model).
pub use crate::model::MarkupFormat as ExportFormat;

/// The XML export `head` (the first bytes of a file) is, if any; JSON exports are
/// `export_json::sniff`'s.
pub fn sniff(head: &[u8]) -> Option<ExportFormat> {
    let text = decode_head(head);
    let text = text.trim_start();
    // An export of some other XML has no `<System>` and not the event namespace.
    let eventlike = text.contains(EVENT_NS) || text.contains("<System>");
    if let Some(rest) = after_record_line(text) {
        let rest = rest.trim_start();
        return (eventlike && (rest.starts_with("<?xml") || starts_with_tag(rest, "Event")))
            .then_some(ExportFormat::EvtxDumpXml);
    }
    let mut rest = text;
    let mut declared = false;
    loop {
        if let Some(r) = rest.strip_prefix("<?") {
            declared = true;
            rest = r.split_once("?>")?.1.trim_start();
        } else if let Some(r) = rest.strip_prefix("<!--") {
            rest = r.split_once("-->")?.1.trim_start();
        } else {
            break;
        }
    }
    if !eventlike {
        None
    } else if starts_with_tag(rest, "Events") {
        Some(ExportFormat::EventviewerXml)
    } else if starts_with_tag(rest, "Event") {
        // A declaration before each bare `<Event>` is evtx_dump's (`--dont-show-record-number`).
        Some(if declared {
            ExportFormat::EvtxDumpXml
        } else {
            ExportFormat::WevtutilXml
        })
    } else {
        None
    }
}

/// Reads one XML export (`events::read` sends JSON formats to `export_json::read`; this module
/// stays below that one).
///
/// XML is streamed: the decoded text is cut into `<Event>`…`</Event>` fragments as it arrives
/// (one event in memory at a time) and each fragment is parsed on its own with quick-xml, so a
/// damaged event is skipped and the reader picks up again at the next `<Event`.
pub fn read(path: &Path, format: ExportFormat, opts: &ExportOptions) -> Result<ExportRead> {
    read_into(path, format, opts, Keep::Events(Vec::new())).map(ExportRead::into_events)
}

/// `read`, each event handed to `keep` (kept, or only counted) as it is read.
pub fn read_into<'a>(
    path: &Path,
    format: ExportFormat,
    opts: &'a ExportOptions,
    keep: Keep<'a>,
) -> Result<ExportRead<Keep<'a>>> {
    if format.is_json() {
        return Err(Error::bad_input(
            path,
            format!("{} is read by the JSON reader", format.as_str()),
        ));
    }
    let text = open_text(path)?;
    let mut out = Collector::new(path, format, opts, keep);
    for note in text.notes {
        out.note(note);
    }
    let utf8 = text.encoding == Encoding::Utf8;
    let mut scan = Scan::new(text.reader, utf8);
    let started = scan_events(&mut scan, &mut out).map_err(|e| Error::io(path, e))?;
    if started == 0 && out.read.report.records_skipped > 0 {
        let why = out
            .read
            .report
            .problems
            .first()
            .cloned()
            .unwrap_or_default();
        return Err(Error::bad_input(
            path,
            format!(
                "no <Event> element in this {} file ({why})",
                format.as_str()
            ),
        ));
    }
    Ok(out.finish())
}

fn starts_with_tag(text: &str, name: &str) -> bool {
    text.strip_prefix('<')
        .and_then(|r| r.strip_prefix(name))
        .and_then(|r| r.chars().next())
        .is_some_and(|c| c.is_whitespace() || c == '>' || c == '/')
}

// ---------------------------------------------------------------------------------------------
// The stream of `<Event>` fragments.

/// A window on the decoded text: bytes before `pos` are done with.
struct Scan {
    src: Box<dyn BufRead>,
    buf: Vec<u8>,
    pos: usize,
    eof: bool,
    /// Byte offset (in the UTF-8 text) and line of `buf[pos]`.
    offset: u64,
    line: u64,
    /// Offsets are only the file's own for UTF-8 files.
    utf8: bool,
}

enum Found {
    At(usize),
    NeedMore,
    No,
}

impl Scan {
    fn new(src: Box<dyn BufRead>, utf8: bool) -> Self {
        Scan {
            src,
            buf: Vec::new(),
            pos: 0,
            eof: false,
            offset: 0,
            line: 1,
            utf8,
        }
    }

    fn rest(&self) -> &[u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    /// Reads the next piece of input; the consumed bytes are dropped first.
    fn more(&mut self) -> std::io::Result<()> {
        self.buf.drain(..self.pos.min(self.buf.len()));
        self.pos = 0;
        let chunk = self.src.fill_buf()?;
        if chunk.is_empty() {
            self.eof = true;
        }
        let n = chunk.len();
        self.buf.extend_from_slice(chunk);
        self.src.consume(n);
        Ok(())
    }

    fn consume(&mut self, n: usize) {
        let n = n.min(self.rest().len());
        let done = &self.buf[self.pos..self.pos + n];
        self.line += memchr::memchr_iter(b'\n', done).count() as u64;
        self.offset += n as u64;
        self.pos += n;
    }

    fn place(&self) -> Place {
        Place {
            line: self.line,
            offset: self.utf8.then_some(self.offset),
        }
    }
}

/// Where an event starts, written out only when a problem names it.
#[derive(Clone, Copy)]
struct Place {
    line: u64,
    /// The byte offset, when it is the file's own (UTF-8 files).
    offset: Option<u64>,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.offset {
            Some(offset) => write!(f, "line {} (byte {offset})", self.line),
            None => write!(f, "line {}", self.line),
        }
    }
}

/// Where `<Event` (not `<Events`, `<EventData`) next starts in `hay` from `from`.
fn find_start(hay: &[u8], from: usize) -> Found {
    let [start, _] = finders();
    find_tag(hay, from, start)
}

/// The searchers for `<Event` and `</Event`, looked for in every event, built once (building
/// one costs more than a search through one event).
fn finders() -> &'static [memchr::memmem::Finder<'static>; 2] {
    static FINDERS: OnceLock<[memchr::memmem::Finder<'static>; 2]> = OnceLock::new();
    FINDERS.get_or_init(|| {
        [
            memchr::memmem::Finder::new(b"<Event"),
            memchr::memmem::Finder::new(b"</Event"),
        ]
    })
}

/// Text of bytes that are UTF-8 (checked by simdutf8's validator, several times std's speed on
/// ASCII: the check of every event was 8% of an XML count), else with U+FFFD in place of what is
/// not: the same as `String::from_utf8_lossy`, quicker on the common case.
fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    match simdutf8::basic::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

fn find_tag(hay: &[u8], from: usize, finder: &memchr::memmem::Finder<'_>) -> Found {
    let tag = finder.needle();
    let mut at = from;
    while let Some(i) = hay.get(at..).and_then(|h| finder.find(h)) {
        let start = at + i;
        match hay.get(start + tag.len()) {
            None => return Found::NeedMore,
            Some(b' ' | b'\t' | b'\r' | b'\n' | b'>' | b'/') => return Found::At(start),
            Some(_) => at = start + 1,
        }
    }
    Found::No
}

/// How far the event starting at `hay[0]` reaches.
enum Extent {
    /// Complete, this many bytes long.
    Whole(usize),
    /// Another `<Event` starts here before this one is closed.
    Broken(usize),
    NeedMore,
    /// The input ends inside it.
    Cut,
}

fn extent(hay: &[u8], from: usize, eof: bool) -> Extent {
    let next = find_start(hay, from.max(1));
    let mut at = from.max(1);
    let end = loop {
        let Some(i) = hay.get(at..).and_then(|h| finders()[1].find(h)) else {
            break None;
        };
        let after = at + i + b"</Event".len();
        let rest = hay.get(after..).unwrap_or_default();
        let ws = rest.iter().take_while(|b| b.is_ascii_whitespace()).count();
        match rest.get(ws) {
            Some(b'>') => break Some(after + ws + 1),
            None => break Some(usize::MAX),
            Some(_) => at = after, // `</EventData>`
        }
    };
    match (next, end) {
        (Found::At(n), e) if e.is_none_or(|e| n < e) => Extent::Broken(n),
        (_, Some(e)) if e != usize::MAX => Extent::Whole(e),
        _ if eof => Extent::Cut,
        _ => Extent::NeedMore,
    }
}

/// Reads every event of the stream into `out`; returns how many events started.
fn scan_events(scan: &mut Scan, out: &mut Collector) -> std::io::Result<u64> {
    let mut started = 0;
    let mut hint: Option<u64> = None;
    let mut bad_text = 0u64;
    let need = match out.counts_only() {
        true => Need::CountKeys,
        false => Need::Everything,
    };
    loop {
        let start = loop {
            match find_start(scan.rest(), 0) {
                Found::At(i) => break Some(i),
                _ if !scan.eof => scan.more()?,
                _ => break None,
            }
        };
        let gap_len = start.unwrap_or(scan.rest().len());
        let gap = lossy(&scan.rest()[..gap_len]);
        if let Some(junk) = classify_gap(&gap, start.is_none(), &mut hint) {
            out.skip(
                &scan.place().to_string(),
                None,
                &format!("text outside any <Event>: {junk:?}"),
            );
        }
        scan.consume(gap_len);
        if start.is_none() {
            break;
        }
        started += 1;
        let place = scan.place();
        let mut from = 1;
        loop {
            match extent(scan.rest(), from, scan.eof) {
                Extent::Whole(len) => {
                    let bytes = &scan.rest()[..len];
                    let fragment = lossy(bytes);
                    if matches!(fragment, Cow::Owned(_)) {
                        bad_text += 1;
                    }
                    let quick = match need {
                        Need::CountKeys => fast::count_keys(&fragment),
                        Need::Everything => None,
                    };
                    match quick.map_or_else(|| parse_event(&fragment, need), Ok) {
                        Ok(raw) => out.accept_with(raw, || place.to_string()),
                        Err(why) => {
                            out.skip(&place.to_string(), record_in(bytes).or(hint), &why);
                        }
                    }
                    scan.consume(len);
                    break;
                }
                Extent::Broken(len) => {
                    let why = "the event is not closed before the next <Event> (damaged or cut)";
                    let record = record_in(&scan.rest()[..len]).or(hint);
                    out.skip(&place.to_string(), record, why);
                    scan.consume(len);
                    break;
                }
                Extent::Cut => {
                    let why = "the file ends inside this event (cut)";
                    out.skip(&place.to_string(), record_in(scan.rest()).or(hint), why);
                    let len = scan.rest().len();
                    scan.consume(len);
                    break;
                }
                Extent::NeedMore => {
                    from = scan.rest().len().saturating_sub(16).max(1);
                    scan.more()?;
                }
            }
        }
        hint = None;
    }
    if bad_text > 0 {
        out.note(format!(
            "{bad_text} events held bytes that are not UTF-8: read with U+FFFD in their place"
        ));
    }
    Ok(started)
}

/// The record id written in a (possibly damaged) event, to name it.
fn record_in(bytes: &[u8]) -> Option<u64> {
    let at = memchr::memmem::find(bytes, b"<EventRecordID>")? + b"<EventRecordID>".len();
    let digits: String = bytes
        .get(at..)?
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .map(|&b| b as char)
        .collect();
    digits.parse().ok()
}

/// Checks the text between events: declarations, comments, the `<Events>` root and evtx_dump's
/// `Record N` lines belong there; anything else is returned. At the end of the file a cut piece
/// of one of those is fine too.
fn classify_gap(gap: &str, at_eof: bool, hint: &mut Option<u64>) -> Option<String> {
    let mut rest = gap.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
    let closed = |rest: &str, open: &str, close: &str| -> Option<Option<usize>> {
        rest.strip_prefix(open)
            .map(|r| r.find(close).map(|i| open.len() + i + close.len()))
    };
    while !rest.is_empty() {
        let skip = if let Some(end) = closed(rest, "<?", "?>") {
            end
        } else if let Some(end) = closed(rest, "<!--", "-->") {
            end
        } else if starts_with_tag(rest, "Events") || rest.starts_with("</Events") {
            rest.find('>').map(|i| i + 1)
        } else if rest.starts_with("Record ") {
            let line = rest.split('\n').next().unwrap_or_default();
            *hint = record_number(line);
            Some(line.len())
        } else if at_eof
            && ["<?xml", "<!--", "<Events>", "</Events>", "Record "]
                .iter()
                .any(|t| t.starts_with(rest.trim_end()))
        {
            None
        } else {
            return Some(rest.chars().take(60).collect());
        };
        match skip {
            Some(n) => rest = rest.get(n..).unwrap_or_default().trim_start(),
            None if at_eof => return None,
            None => return Some(rest.chars().take(60).collect()),
        }
    }
    None
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::model::{DataField, Event, EventData, Level};
    use chrono::{TimeZone, Utc};
    use std::path::PathBuf;
    use std::sync::Arc;

    /// A file of its own per test under the system's temp directory.
    pub(crate) fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
        let path =
            std::env::temp_dir().join(format!("faultline-export-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn utf16le_bom(text: &str) -> Vec<u8> {
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        bytes
    }

    fn read_str(name: &str, bytes: &[u8], format: ExportFormat) -> ExportRead {
        read(&temp_file(name, bytes), format, &ExportOptions::default()).unwrap()
    }

    fn field(name: Option<&str>, value: &str) -> DataField {
        DataField {
            name: name.map(str::to_string),
            value: value.to_string(),
        }
    }

    // wevtutil /f:RenderedXml style, written by hand: no root, no declaration, single quotes.
    const WEVTUTIL: &str = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='EventLog'/><EventID Qualifiers='32768'>6008</EventID><Version>0</Version><Level>2</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x80000000000000</Keywords><TimeCreated SystemTime='2011-08-16T01:28:45.000000000Z'/><EventRecordID>1234</EventRecordID><Correlation/><Execution ProcessID='0' ThreadID='0'/><Channel>System</Channel><Computer>SIPSVR01</Computer><Security/></System><EventData><Data>1:34:44 AM</Data><Data Name='When'>8/16/2011</Data><Data></Data><Binary>0A0B</Binary></EventData><RenderingInfo Culture='en-US'><Message>The previous system shutdown at 1:34:44 AM on &#x200E;8/16/2011 was &lt;unexpected&gt;.</Message><Level>Error</Level><Task></Task><Opcode></Opcode><Channel>System</Channel><Provider></Provider><Keywords><Keyword>Classic</Keyword></Keywords></RenderingInfo></Event>\r\n<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Kernel-General' Guid='{A68CA8B7-004F-D7B6-A698-07E2DE0F1F5D}'/><EventID>1</EventID><Level>4</Level><TimeCreated SystemTime='2011-08-16T01:30:00.5Z'/><EventRecordID>1235</EventRecordID><Channel>System</Channel><Computer>SIPSVR01</Computer></System><UserData><TimeChange xmlns='http://manifests.microsoft.com/win/2004/08/windows/kernel'><NewTime>2011-08-16T01:30:00Z</NewTime><OldTime>2011-08-16T01:29:00Z</OldTime><Flag Id='x'/><Empty></Empty></TimeChange></UserData></Event>\r\n";

    #[test]
    fn wevtutil_events_without_a_root_keep_data_in_order_and_the_rendered_message() {
        assert_eq!(sniff(WEVTUTIL.as_bytes()), Some(ExportFormat::WevtutilXml));
        let r = read_str(
            "wevtutil.xml",
            WEVTUTIL.as_bytes(),
            ExportFormat::WevtutilXml,
        );
        assert_eq!((r.report.records_read, r.report.records_skipped), (2, 0));
        let e = &r.events[0];
        assert_eq!(e.event_id, 6008, "qualifiers are not part of the id");
        assert_eq!(
            e.time,
            Utc.with_ymd_and_hms(2011, 8, 16, 1, 28, 45).unwrap()
        );
        assert_eq!(e.record_id, Some(1234));
        assert_eq!(
            (e.channel.as_str(), e.provider.as_str()),
            ("System", "EventLog")
        );
        assert_eq!((e.computer.as_str(), e.level), ("SIPSVR01", Level::ERROR));
        assert_eq!(
            e.message.as_deref(),
            Some(
                "The previous system shutdown at 1:34:44 AM on \u{200E}8/16/2011 was <unexpected>."
            )
        );
        assert_eq!(
            e.data.0,
            vec![
                field(None, "1:34:44 AM"),
                field(Some("When"), "8/16/2011"),
                field(None, ""),
                field(Some("Binary"), "0A0B"),
            ]
        );
        let u = &r.events[1];
        assert_eq!((u.event_id, u.message.as_deref()), (1, None));
        assert_eq!(
            u.time,
            Utc.with_ymd_and_hms(2011, 8, 16, 1, 30, 0).unwrap()
                + chrono::Duration::milliseconds(500)
        );
        assert_eq!(
            u.data.0,
            vec![
                field(Some("NewTime"), "2011-08-16T01:30:00Z"),
                field(Some("OldTime"), "2011-08-16T01:29:00Z"),
                field(Some("Empty"), ""),
            ],
            "UserData leaves are named fields; an attributes-only leaf has no value"
        );
        assert_eq!(r.report.kind.as_str(), "wevtutil_xml");
        assert_eq!(r.report.first, Some(e.time));
        assert_eq!(r.report.last, Some(u.time));
        assert!(Arc::ptr_eq(&e.source_file, &u.source_file));
    }

    #[test]
    fn event_viewer_xml_in_utf16_with_a_bom_is_read() {
        let text = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-16\" standalone=\"yes\"?>\r\n<Events>{}</Events>",
            WEVTUTIL
        );
        let bytes = utf16le_bom(&text);
        assert_eq!(sniff(&bytes[..300]), Some(ExportFormat::EventviewerXml));
        let r = read_str("viewer16.xml", &bytes, ExportFormat::EventviewerXml);
        assert_eq!((r.report.records_read, r.report.records_skipped), (2, 0));
        assert_eq!(r.events[0].data.get("When"), Some("8/16/2011"));
        assert_eq!(
            r.events[1].data.get("OldTime"),
            Some("2011-08-16T01:29:00Z")
        );
        assert!(
            r.report.problems.is_empty() && r.notes.is_empty(),
            "{:?}",
            r.notes
        );
    }

    // The shape evtx_dump 0.15 prints with `-o xml` (seen on the repository's System.evtx).
    const DUMP: &str = "Record 1\n<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\n  <System>\n    <Provider Name=\"Service Control Manager\"/>\n    <EventID Qualifiers=\"16384\">7036</EventID>\n    <Level>4</Level>\n    <TimeCreated SystemTime=\"2011-08-01T11:05:19.0000000Z\"/>\n    <EventRecordID>1</EventRecordID>\n    <Channel>System</Channel>\n    <Computer>SIPSVR01</Computer>\n    <Security/>\n  </System>\n  <EventData>\n    <Data Name=\"param1\">Windows Error Reporting Service</Data>\n    <Data Name=\"param2\">running</Data>\n  </EventData>\n</Event>\n\nRecord 2\n<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\n  <System>\n    <Provider Name=\"EventLog\"/>\n    <EventID Qualifiers=\"32768\">6005</EventID>\n    <Level>4</Level>\n    <TimeCreated SystemTime=\"2011-08-01T11:06:00.1234567Z\"/>\n    <EventRecordID>2</EventRecordID>\n    <Channel>System</Channel>\n    <Computer>SIPSVR01</Computer>\n  </System>\n  <EventData>\n    <Binary>00</Binary>\n  </EventData>\n</Event>\n\n";

    #[test]
    fn evtx_dump_record_lines_separate_records() {
        assert_eq!(sniff(DUMP.as_bytes()), Some(ExportFormat::EvtxDumpXml));
        let r = read_str("dump.xml", DUMP.as_bytes(), ExportFormat::EvtxDumpXml);
        assert_eq!((r.report.records_read, r.report.records_skipped), (2, 0));
        assert_eq!(r.events[0].event_id, 7036);
        assert_eq!(r.events[0].data.get("param2"), Some("running"));
        assert_eq!(r.events[1].record_id, Some(2));
        assert_eq!(r.events[1].time.timestamp_subsec_nanos(), 123_456_700);
    }

    #[test]
    fn a_malformed_event_is_skipped_named_and_the_next_one_read() {
        let bad = WEVTUTIL.replacen("<Level>4</Level>", "<Level>4</Lvel>", 1);
        let third = WEVTUTIL.lines().next().unwrap().replace("1234", "1236");
        let text = format!("{bad}{third}\n");
        let r = read_str("bad.xml", text.as_bytes(), ExportFormat::WevtutilXml);
        assert_eq!((r.report.records_read, r.report.records_skipped), (2, 1));
        assert_eq!(
            r.events.iter().map(|e| e.record_id).collect::<Vec<_>>(),
            [Some(1234), Some(1236)]
        );
        let problem = &r.report.problems[0];
        assert!(problem.starts_with("line 2 (byte "), "{problem}");
        assert!(problem.contains("record 1235"), "{problem}");
        // No id, no time: skipped too.
        let text = WEVTUTIL
            .replace("<EventID Qualifiers='32768'>6008</EventID>", "")
            .replace("SystemTime='2011-08-16T01:30:00.5Z'", "");
        let r = read_str("noid.xml", text.as_bytes(), ExportFormat::WevtutilXml);
        assert_eq!((r.report.records_read, r.report.records_skipped), (0, 2));
        assert!(r.report.problems[0].ends_with("no event id"));
        assert!(r.report.problems[1].ends_with("no time"));
    }

    #[test]
    fn a_file_of_other_text_is_not_usable() {
        let path = temp_file("junk.xml", b"wevtutil: access denied\r\n");
        assert!(read(&path, ExportFormat::WevtutilXml, &ExportOptions::default()).is_err());
        assert_eq!(sniff(b"<?xml version=\"1.0\"?><rss><channel/></rss>"), None);
        assert_eq!(sniff(b"<Event><Name>party</Name></Event>"), None);
        assert_eq!(sniff(b"{\"Event\":{}}"), None);
    }

    pub(crate) fn sample_events() -> Vec<Event> {
        let source: Arc<str> = Arc::from("x");
        let t = Utc.with_ymd_and_hms(2011, 8, 15, 23, 50, 1).unwrap();
        vec![
            Event {
                time: t + chrono::Duration::nanoseconds(123_456_700),
                record_id: Some(41),
                channel: "System".into(),
                provider: "Microsoft-Windows-Kernel-Power".into(),
                event_id: 41,
                level: Level::CRITICAL,
                computer: "SIPSVR01".into(),
                message: Some("The system has rebooted <without> cleanly shutting down first & 'so' \"on\".\r\nSecond line\ttab".into()),
                data: EventData(vec![
                    field(Some("BugcheckCode"), "159"),
                    field(None, "unnamed one"),
                    field(Some("Comment"), " spaces kept "),
                    field(None, "<&>'\""),
                    field(Some("Binary"), "DEADBEEF"),
                ]),
                source_file: Arc::clone(&source),
            },
            Event {
                time: t + chrono::Duration::seconds(60),
                record_id: None,
                channel: String::new(),
                provider: "MySQL".into(),
                event_id: 100,
                level: Level::UNKNOWN,
                computer: String::new(),
                message: None,
                data: EventData::default(),
                source_file: source,
            },
        ]
    }

    fn same_events(read: &[Event], wrote: &[Event]) {
        assert_eq!(read.len(), wrote.len());
        for (r, w) in read.iter().zip(wrote) {
            let mut r = r.clone();
            r.source_file = Arc::clone(&w.source_file);
            assert_eq!(&r, w);
        }
    }

    #[test]
    fn written_xml_reads_back_the_same() {
        let events = sample_events();
        for format in [
            ExportFormat::WevtutilRenderedXml,
            ExportFormat::EventviewerXml,
            ExportFormat::EvtxDumpXml,
        ] {
            let bytes = write(&events, format);
            assert_eq!(bytes, write(&events, format), "deterministic");
            let sniffed = sniff(&bytes).unwrap();
            let r = read_str(&format!("rt-{}.xml", format.as_str()), &bytes, sniffed);
            assert_eq!(r.report.records_skipped, 0, "{:?}", r.report.problems);
            same_events(&r.events, &events);
        }
        // Without RenderingInfo the message is not there to read.
        let bytes = write(&events, ExportFormat::WevtutilXml);
        assert!(!String::from_utf8_lossy(&bytes).contains("RenderingInfo"));
        assert!(String::from_utf8_lossy(&bytes).starts_with("<Event xmlns='"));
        let r = read_str("rt-plain.xml", &bytes, ExportFormat::WevtutilXml);
        let mut plain = sample_events();
        plain[0].message = None;
        same_events(&r.events, &plain);
    }

    /// The counts of a cut file, from the text itself: complete events end with `</Event>`, and
    /// one that started (`<Event ` seen) but did not end is the one skipped.
    fn check_every_cut(name: &str, bytes: &[u8], format: ExportFormat, utf16: bool) {
        let text = if utf16 {
            decode_head(bytes)
        } else {
            String::from_utf8(bytes.to_vec()).unwrap()
        };
        for cut in 0..=bytes.len() {
            let prefix = &bytes[..cut];
            let seen = if utf16 {
                decode_head(prefix)
            } else {
                String::from_utf8_lossy(prefix).into_owned()
            };
            assert!(text.starts_with(seen.trim_end_matches('\u{FFFD}')));
            let ends = seen.matches("</Event>").count() as u64;
            let starts = seen.matches("<Event ").count() as u64;
            let path = temp_file(name, prefix);
            let r = match read(&path, format, &ExportOptions::default()) {
                Ok(r) => r,
                // Half a byte order mark is no export at all.
                Err(_) if starts == 0 && cut < 2 => continue,
                Err(e) => panic!("cut at {cut}: {e}"),
            };
            assert_eq!(
                r.report.records_read, ends,
                "cut at {cut}: {:?}",
                r.report.problems
            );
            assert_eq!(
                r.report.records_read + r.report.records_skipped,
                starts,
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn a_cut_file_keeps_what_was_read_and_counts_the_rest() {
        let events = sample_events();
        check_every_cut(
            "cut-wev.xml",
            WEVTUTIL.as_bytes(),
            ExportFormat::WevtutilXml,
            false,
        );
        check_every_cut(
            "cut-dump.xml",
            DUMP.as_bytes(),
            ExportFormat::EvtxDumpXml,
            false,
        );
        let viewer = write(&events, ExportFormat::EventviewerXml);
        check_every_cut(
            "cut-viewer.xml",
            &viewer,
            ExportFormat::EventviewerXml,
            false,
        );
        let text = String::from_utf8(viewer).unwrap();
        check_every_cut(
            "cut-viewer16.xml",
            &utf16le_bom(&text),
            ExportFormat::EventviewerXml,
            true,
        );
    }
}
