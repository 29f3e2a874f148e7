//! Event logs exported as JSON (`evtx_dump -o json` / `-o jsonl`, PowerShell `Get-WinEvent` and
//! `Get-EventLog` piped to `ConvertTo-Json`): sniffing, readers that survive damaged events, and
//! writers for fixtures.
use super::export::{ExportOptions, ExportRead, Keep};
use super::export_xml::{
    after_record_line, decode_head, event_id_of, level_from_number, open_text, parse_system_time,
    record_number, Collector, ExportFormat, RawEvent,
};
use crate::error::{Error, Result};
use crate::model::DataField;
use serde_json::{Map, Value};
use std::io::BufRead;
use std::path::Path;

mod batch;
mod powershell;
mod write;

use self::powershell::read_powershell;
pub use self::write::{write, write_powershell};

/// The JSON export `head` (the first bytes of a file) is, if any; XML exports are
/// `export_xml::sniff`'s. Other JSON (probe exports, metric queries, lists of anything) is not
/// claimed: PowerShell output must show the property names of event records.
pub fn sniff(head: &[u8]) -> Option<ExportFormat> {
    let text = decode_head(head);
    let text = text.trim_start();
    if let Some(rest) = after_record_line(text) {
        return starts_dump_object(rest.trim_start()).then_some(ExportFormat::EvtxDumpJson);
    }
    if starts_dump_object(text) {
        let first = text.lines().next().unwrap_or_default().trim();
        // Pretty output opens with a lone `{`; jsonl has the whole record on its first line.
        return Some(if first == "{" {
            ExportFormat::EvtxDumpJson
        } else {
            ExportFormat::EvtxDumpJsonl
        });
    }
    if !(text.starts_with('[') || text.starts_with('{')) {
        return None;
    }
    let keys = keys_in(text);
    let has = |k: &str| keys.iter().any(|x| x == k);
    let count = |ks: &[&str]| ks.iter().filter(|k| has(k)).count();
    let win_event = has("Id") && (has("TimeCreated") || count(WIN_EVENT_KEYS) >= 2);
    let event_log = has("EventID") && count(EVENT_LOG_KEYS) >= 2;
    (win_event || event_log).then_some(ExportFormat::PowershellJson)
}

/// Properties of `EventLogRecord` (Get-WinEvent) besides `Id`.
const WIN_EVENT_KEYS: &[&str] = &[
    "TimeCreated",
    "ProviderName",
    "LevelDisplayName",
    "RecordId",
    "LogName",
    "MachineName",
    "ProviderId",
    "ContainerLog",
    "OpcodeDisplayName",
    "TaskDisplayName",
    "KeywordsDisplayNames",
    "MatchedQueryIds",
];

/// Properties of `EventLogEntry` (Get-EventLog) besides `EventID`.
const EVENT_LOG_KEYS: &[&str] = &[
    "TimeGenerated",
    "TimeWritten",
    "EntryType",
    "ReplacementStrings",
    "InstanceId",
    "MachineName",
    "CategoryNumber",
    "Index",
    "Source",
];

/// `"Key":` names in a piece of JSON (the head may end anywhere).
fn keys_in(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find('"') {
        let after = &rest[i + 1..];
        let Some(j) = after.find('"') else { break };
        let (key, tail) = (&after[..j], &after[j + 1..]);
        if tail.trim_start().starts_with(':') && key.chars().all(|c| c.is_ascii_alphanumeric()) {
            keys.push(key.to_string());
        }
        rest = tail;
    }
    keys
}

fn starts_dump_object(text: &str) -> bool {
    let Some(rest) = text.strip_prefix('{') else {
        return false;
    };
    let rest = rest.trim_start();
    ["\"Event\"", "\"Event_attributes\""].iter().any(|k| {
        rest.strip_prefix(k)
            .is_some_and(|r| r.trim_start().starts_with(':'))
    })
}

/// Reads one JSON export; XML formats go to `export_xml::read`.
///
/// evtx_dump output is streamed line by line: a record starts at a `{` in the first column (and
/// a pretty one ends at a `}` there), so a line that does not parse costs that record only.
/// PowerShell output is one JSON array (or object), read whole into memory, then taken apart one
/// element at a time, so a damaged element is skipped and a cut file keeps what came before.
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
    if !format.is_json() {
        return super::export_xml::read_into(path, format, opts, keep);
    }
    let text = open_text(path)?;
    let mut out = Collector::new(path, format, opts, keep);
    for note in text.notes {
        out.note(note);
    }
    let started = match format {
        ExportFormat::PowershellJson => read_powershell(text.reader, &mut out),
        _ => read_dump(text.reader, &mut out, opts.threads),
    }
    .map_err(|e| Error::io(path, e))?;
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
            format!("no event in this {} file ({why})", format.as_str()),
        ));
    }
    Ok(out.finish())
}

// ---------------------------------------------------------------------------------------------
// evtx_dump

/// Reads evtx_dump's JSON records, parsed in batches on `threads` workers (1: on this thread, 0:
/// every core); returns how many started.
fn read_dump(
    mut src: Box<dyn BufRead>,
    out: &mut Collector,
    threads: usize,
) -> std::io::Result<u64> {
    let pool = (threads != 1)
        .then(|| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .ok()
        })
        .flatten();
    let pool = pool.as_ref();
    let mut batch = batch::DumpBatches::new(pool);
    let mut started = 0;
    let mut line_no = 0u64;
    let mut raw_line = Vec::new();
    // The record being gathered: its first line's number and its text.
    let mut open: Option<(u64, String)> = None;
    let mut hint: Option<u64> = None;
    let mut junk: Option<(u64, String)> = None;
    let flush_junk = |junk: &mut Option<(u64, String)>, out: &mut Collector| {
        if let Some((line, text)) = junk.take() {
            let why = format!("text that is no record: {text:?}");
            out.skip(&format!("line {line}"), None, &why);
        }
    };
    let cut = |open: &mut Option<(u64, String)>, hint: Option<u64>, out: &mut Collector| {
        if let Some((line, text)) = open.take() {
            let why = "the record ends before its closing brace (damaged or cut)";
            out.skip(&format!("line {line}"), record_in(&text).or(hint), why);
        }
    };
    loop {
        raw_line.clear();
        if src.read_until(b'\n', &mut raw_line)? == 0 {
            break;
        }
        line_no += 1;
        let line = match std::str::from_utf8(&raw_line) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(&raw_line),
        };
        let line = line
            .trim_end_matches(['\n', '\r'])
            .trim_start_matches('\u{FEFF}');
        // `Record N`, or a piece of one where the file was cut.
        let number = line.strip_prefix("Record ").map(str::trim);
        if number.is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
            || (!line.is_empty() && "Record ".starts_with(line))
        {
            if junk.is_some() || open.is_some() {
                // Their problems come after the records before them.
                batch.drain(out);
            }
            flush_junk(&mut junk, out);
            cut(&mut open, hint, out);
            hint = record_number(line);
            continue;
        }
        if line.starts_with('{') {
            if junk.is_some() || open.is_some() {
                batch.drain(out);
            }
            flush_junk(&mut junk, out);
            cut(&mut open, hint, out);
            started += 1;
            let trimmed = line.trim_end();
            if trimmed != "{" && trimmed.ends_with('}') {
                batch.push(line_no, trimmed, hint.take(), out);
            } else {
                open = Some((line_no, line.to_string()));
            }
            continue;
        }
        if let Some((first, text)) = &mut open {
            text.push('\n');
            text.push_str(line);
            if line.starts_with('}') {
                let (first, text) = (*first, std::mem::take(text));
                open = None;
                batch.push(first, &text, hint.take(), out);
            }
            continue;
        }
        if !line.trim().is_empty() && junk.is_none() {
            junk = Some((line_no, line.chars().take(60).collect()));
        }
    }
    batch.drain(out);
    cut(&mut open, hint, out);
    flush_junk(&mut junk, out);
    Ok(started)
}

/// The record id written in a (possibly damaged) record, to name it.
fn record_in(text: &str) -> Option<u64> {
    ["\"EventRecordID\"", "\"RecordId\"", "\"Index\""]
        .iter()
        .find_map(|key| {
            let at = text.find(key)? + key.len();
            let rest = text.get(at..)?.trim_start().strip_prefix(':')?;
            let rest = rest.trim_start().trim_start_matches('"');
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
}

fn is_attributes(key: &str) -> bool {
    key == "#attributes" || key.ends_with("_attributes")
}

/// An attribute in either of the crate's shapes: `{"#attributes":{..}}` or `X_attributes`.
fn attribute(parent: &Map<String, Value>, element: &str, name: &str) -> Option<String> {
    let nested = parent.get(element).and_then(|e| e.get("#attributes"));
    nested
        .or_else(|| parent.get(&format!("{element}_attributes")))
        .and_then(|a| a.get(name))
        .and_then(text)
}

/// A value as text: `#text` of an element with attributes, numbers as written.
fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Object(m) => m.get("#text").and_then(text),
        Value::Array(items) => Some(items.iter().filter_map(text).collect::<Vec<_>>().join(",")),
    }
}

fn number(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Object(m) => m.get("#text").and_then(number),
        _ => None,
    }
}

/// One evtx_dump record (`{"Event":{..}}`) as fields; without `full`, only those a count reads
/// (nothing that is left out can make a record fail).
fn dump_event(v: &Value, full: bool) -> std::result::Result<RawEvent, String> {
    let event = v
        .get("Event")
        .and_then(Value::as_object)
        .ok_or("no \"Event\" object")?;
    let system = event
        .get("System")
        .and_then(Value::as_object)
        .ok_or("no \"System\" object")?;
    let mut raw = RawEvent {
        provider: attribute(system, "Provider", "Name")
            .or_else(|| attribute(system, "Provider", "EventSourceName")),
        level: system.get("Level").and_then(number).map(level_from_number),
        record_id: system.get("EventRecordID").and_then(number),
        channel: system.get("Channel").and_then(text),
        computer: system.get("Computer").and_then(text),
        time_text: attribute(system, "TimeCreated", "SystemTime"),
        ..RawEvent::default()
    };
    raw.time = raw.time_text.as_deref().and_then(parse_system_time);
    if let Some(id) = system.get("EventID").filter(|v| !v.is_null()) {
        let n = number(id).ok_or_else(|| format!("EventID {id} is not a number"))?;
        raw.event_id = Some(event_id_of(n));
    }
    if !full {
        if raw.provider.is_none() {
            raw.provider = event
                .get("RenderingInfo")
                .and_then(Value::as_object)
                .and_then(|info| info.get("Provider"))
                .and_then(text);
        }
        return Ok(raw);
    }
    if let Some(data) = event.get("EventData") {
        event_data(data, &mut raw.data);
    }
    for section in ["UserData", "ProcessingErrorData"] {
        if let Some(Value::Object(m)) = event.get(section) {
            for (key, child) in m.iter().filter(|(k, _)| !is_attributes(k)) {
                leaves(key, child, &mut raw.data);
            }
        }
    }
    if let Some(info) = event.get("RenderingInfo").and_then(Value::as_object) {
        raw.message = info.get("Message").and_then(text);
        raw.level_name = info.get("Level").and_then(text);
        if raw.provider.is_none() {
            raw.provider = info.get("Provider").and_then(text);
        }
    }
    Ok(raw)
}

/// EventData: named `<Data Name>` are keys, unnamed ones sit under `Data` (a string, an array,
/// or `{"#text": ..}`), `Binary` and other elements are keys too.
fn event_data(v: &Value, out: &mut Vec<DataField>) {
    match v {
        Value::Null => {}
        Value::Object(m) => {
            let mut seen: Vec<&str> = Vec::new();
            for (key, value) in m {
                if is_attributes(key) {
                    // `--separate-json-attributes` writes an empty element with attributes as
                    // `X_attributes` alone: the element is there, empty.
                    let base = key.strip_suffix("_attributes").unwrap_or_default();
                    if !base.is_empty() && !m.contains_key(base) {
                        named(unsuffixed(base, &seen), &Value::Null, out);
                        seen.push(base);
                    }
                    continue;
                }
                if key == "Data" || key == "#text" {
                    unnamed(value, out);
                } else {
                    named(unsuffixed(key, &seen), value, out);
                    seen.push(key);
                }
            }
        }
        other => unnamed(other, out),
    }
}

fn unnamed(v: &Value, out: &mut Vec<DataField>) {
    match v {
        Value::Array(items) => items.iter().for_each(|item| unnamed(item, out)),
        Value::Object(m) => {
            let name = m
                .get("#attributes")
                .and_then(|a| a.get("Name"))
                .and_then(text)
                .filter(|n| !n.is_empty());
            match (name, m.get("#text")) {
                (Some(name), value) => out.push(DataField {
                    name: Some(name),
                    value: value.and_then(text).unwrap_or_default(),
                }),
                (None, Some(value)) => unnamed(value, out),
                (None, None) => out.push(DataField {
                    name: None,
                    value: String::new(),
                }),
            }
        }
        other => out.push(DataField {
            name: None,
            value: text(other).unwrap_or_default(),
        }),
    }
}

fn named(key: &str, v: &Value, out: &mut Vec<DataField>) {
    match v {
        // Repeated elements of one name.
        Value::Array(items) => items.iter().for_each(|item| named(key, item, out)),
        other => out.push(DataField {
            name: Some(key.to_string()),
            value: text(other).unwrap_or_default(),
        }),
    }
}

/// The element name behind a key: the evtx crate writes a repeated element `Name`, `Name_1`,
/// `Name_2`, …; the suffix goes when `Name` came before it in the same object.
fn unsuffixed<'k>(key: &'k str, seen: &[&str]) -> &'k str {
    match key.rsplit_once('_') {
        Some((base, n)) if n.parse::<u32>().is_ok() && seen.contains(&base) => base,
        _ => key,
    }
}

/// UserData: every leaf element is a field named after itself (as the EVTX reader does); an
/// element with only attributes carries no value.
fn leaves(key: &str, v: &Value, out: &mut Vec<DataField>) {
    match v {
        Value::Object(m) => {
            let children: Vec<(&String, &Value)> =
                m.iter().filter(|(k, _)| !is_attributes(k)).collect();
            match children.as_slice() {
                [] => {}
                [(k, value)] if k.as_str() == "#text" => out.push(DataField {
                    name: Some(key.to_string()),
                    value: text(value).unwrap_or_default(),
                }),
                _ => {
                    let mut seen: Vec<&str> = Vec::new();
                    for (k, child) in children.iter().filter(|(k, _)| k.as_str() != "#text") {
                        leaves(unsuffixed(k, &seen), child, out);
                        seen.push(k);
                    }
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| leaves(key, item, out)),
        other => out.push(DataField {
            name: Some(key.to_string()),
            value: text(other).unwrap_or_default(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Event, Level};
    use crate::source::events::export_xml::tests::{sample_events, temp_file};
    use chrono::TimeZone;
    use chrono::{DateTime, Utc};
    use chrono_tz::Tz;
    use std::sync::Arc;

    fn read_str(name: &str, bytes: &[u8], format: ExportFormat) -> ExportRead {
        read(&temp_file(name, bytes), format, &ExportOptions::default()).unwrap()
    }

    fn field(name: Option<&str>, value: &str) -> DataField {
        DataField {
            name: name.map(str::to_string),
            value: value.to_string(),
        }
    }

    fn utc_ms(ms: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(ms).unwrap()
    }

    // The shapes evtx_dump 0.15 writes (seen on the repository's samples): compact objects after
    // `Record N`; EventID with qualifiers as `#attributes`/`#text`; unnamed Data under `#text`.
    const DUMP_JSON: &str = r##"Record 7
{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"System":{"Provider":{"#attributes":{"Name":"EventLog"}},"EventID":{"#attributes":{"Qualifiers":32768},"#text":6009},"Level":4,"TimeCreated":{"#attributes":{"SystemTime":"2017-07-12T17:16:28.2141616Z"}},"EventRecordID":7,"Channel":"System","Computer":"WIN-P4SIAA0SQCO"},"EventData":{"Data":{"#text":["10.00.","15063","","Multiprocessor Free","0"]},"Binary":"00"}}}
Record 8
{
  "Event": {
    "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
    "System": {
      "Provider": {"#attributes": {"Name": "Microsoft-Windows-Kernel-General"}},
      "EventID": 1,
      "Level": 4,
      "TimeCreated": {"#attributes": {"SystemTime": "2017-07-12T17:17:00Z"}},
      "EventRecordID": 8,
      "Channel": "System",
      "Computer": "WIN-P4SIAA0SQCO"
    },
    "UserData": {"TimeChange": {"#attributes": {"xmlns": "x"}, "NewTime": "a", "OldTime": "b", "Flag": {"#attributes": {"Id": "1"}}}}
  }
}
Record 9
{"Event_attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"Event":{"System":{"Provider_attributes":{"Name":"MSExchange CmdletLogs"},"EventID_attributes":{"Qualifiers":"16384"},"EventID":"1","Level":"4","TimeCreated_attributes":{"SystemTime":"2021-11-19T16:52:33.833733500Z"},"EventRecordID":"9","Channel":"MSExchange Management","Computer":"WEC.ave.local"},"EventData":{"Data":{"#text":"Set-Mailbox"},"Header":"a","Header_1":"b","ComplexData_attributes":{"Name":"PerfState"}},"RenderingInfo":{"Message":"Cmdlet run"}}}
"##;

    #[test]
    fn evtx_dump_json_in_every_shape_the_crate_writes() {
        assert_eq!(
            sniff(DUMP_JSON.as_bytes()),
            Some(ExportFormat::EvtxDumpJson)
        );
        let r = read_str(
            "dump.json",
            DUMP_JSON.as_bytes(),
            ExportFormat::EvtxDumpJson,
        );
        assert_eq!(
            (r.report.records_read, r.report.records_skipped),
            (3, 0),
            "{:?}",
            r.report.problems
        );
        let [a, b, c] = &r.events[..] else { panic!() };
        assert_eq!(
            (a.event_id, a.record_id, a.level),
            (6009, Some(7), Level::INFORMATION)
        );
        assert_eq!(
            a.data.unnamed().collect::<Vec<_>>(),
            ["10.00.", "15063", "", "Multiprocessor Free", "0"]
        );
        assert_eq!(a.data.get("Binary"), Some("00"));
        assert_eq!(
            a.time,
            Utc.with_ymd_and_hms(2017, 7, 12, 17, 16, 28).unwrap()
                + chrono::Duration::nanoseconds(214_161_600)
        );
        assert_eq!(
            b.data.0,
            vec![field(Some("NewTime"), "a"), field(Some("OldTime"), "b")]
        );
        assert_eq!(
            (c.event_id, c.provider.as_str(), c.message.as_deref()),
            (1, "MSExchange CmdletLogs", Some("Cmdlet run"))
        );
        assert_eq!(
            c.data.0,
            vec![
                field(None, "Set-Mailbox"),
                field(Some("Header"), "a"),
                field(Some("Header"), "b"),
                field(Some("ComplexData"), "")
            ],
            "a repeated element loses the crate's _1 suffix"
        );
    }

    #[test]
    fn jsonl_skips_a_line_that_does_not_parse_and_reads_on() {
        let events = sample_events();
        let good = String::from_utf8(write(&events, ExportFormat::EvtxDumpJsonl)).unwrap();
        let lines: Vec<&str> = good.lines().collect();
        let broken = lines[0].replacen("\"System\":{", "\"System\":{{", 1);
        let text = format!("{}\n{broken}\n{}\n", lines[1], lines[0]);
        assert_eq!(sniff(text.as_bytes()), Some(ExportFormat::EvtxDumpJsonl));
        let r = read_str("bad.jsonl", text.as_bytes(), ExportFormat::EvtxDumpJsonl);
        assert_eq!((r.report.records_read, r.report.records_skipped), (2, 1));
        assert!(
            r.report.problems[0].starts_with("line 2, record 41: JSON does not parse"),
            "{:?}",
            r.report.problems
        );
        assert_eq!(r.events[1].record_id, Some(41));
    }

    /// Records parsed in batches on workers are handed on as one thread reads them: a file of
    /// 10,000 records, in both of evtx_dump's layouts, with damage on both sides of the batch
    /// edges (4,096 records), reads to the same events, counts, problems and notes on one
    /// thread and on the workers, and to the counts the file was made with.
    #[test]
    fn batches_on_workers_read_as_one_thread_reads() {
        let events = sample_events();
        for format in [ExportFormat::EvtxDumpJsonl, ExportFormat::EvtxDumpJson] {
            let one = String::from_utf8(write(&events[..1], format)).unwrap();
            let mut text = String::new();
            let (mut good, mut damaged) = (0u64, 0u64);
            for i in 0..10_000usize {
                let edge = [4095, 4096, 4097, 8191, 8192].contains(&i) || i % 997 == 0;
                match (edge, i % 3) {
                    (true, 0) => text.push_str(&one.replacen("\"System\":", "\"System\":{", 1)),
                    (true, 1) => text.push_str("a line of no record\n"),
                    _ => text.push_str(&one),
                }
                match (edge, i % 3) {
                    (true, 0) => damaged += 1,
                    (true, 1) => {
                        damaged += 1;
                        good += 1;
                        text.push_str(&one);
                    }
                    _ => good += 1,
                }
            }
            let path = temp_file("batches.json", text.as_bytes());
            let read_on = |threads: usize| {
                let opts = ExportOptions {
                    threads,
                    ..Default::default()
                };
                read(&path, format, &opts).unwrap()
            };
            let (serial, parallel) = (read_on(1), read_on(0));
            assert_eq!(
                (
                    parallel.report.records_read,
                    parallel.report.records_skipped
                ),
                (good, damaged),
                "{format:?}"
            );
            assert_eq!(parallel.report, serial.report, "{format:?}");
            assert_eq!(parallel.notes, serial.notes, "{format:?}");
            assert_eq!(parallel.events, serial.events, "{format:?}");
        }
    }

    // PowerShell 5.1's layout (two spaces after the colon), from the shape its docs show.
    const PS51: &str = r#"[
    {
        "Id":  13,
        "Version":  0,
        "Qualifiers":  null,
        "Level":  4,
        "Keywords":  -9223372036854775808,
        "RecordId":  2555,
        "ProviderName":  "Microsoft-Windows-Hyper-V-Netvsc",
        "LogName":  "System",
        "MachineName":  "DESKTOP-U3FCUKI",
        "TimeCreated":  "\/Date(1595374458918)\/",
        "LevelDisplayName":  "Information",
        "Properties":  [
                           "System.Diagnostics.Eventing.Reader.EventProperty",
                           "System.Diagnostics.Eventing.Reader.EventProperty"
                       ],
        "Message":  "Miniport NIC \u0027Microsoft Hyper-V Network Adapter #3\u0027 disconnected"
    },
    {
        "Id":  6008,
        "Level":  null,
        "ProviderName":  "EventLog",
        "TimeCreated":  "\/Date(1313458125000)\/",
        "LevelDisplayName":  "Error",
        "Properties":  [ { "Value":  "1:34:44 AM" }, { "Value":  { "BinaryLength": 12, "Value": "S-1-5-18" } }, { "Value":  [1, 255] } ]
    }
]"#;

    #[test]
    fn powershell_51_in_utf16_with_dates_in_milliseconds() {
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(PS51.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(sniff(&bytes[..400]), Some(ExportFormat::PowershellJson));
        let r = read_str("ps51.json", &bytes, ExportFormat::PowershellJson);
        assert_eq!((r.report.records_read, r.report.records_skipped), (2, 0));
        let [a, b] = &r.events[..] else { panic!() };
        assert_eq!(
            a.time,
            Utc.with_ymd_and_hms(2020, 7, 21, 23, 34, 18).unwrap()
                + chrono::Duration::milliseconds(918)
        );
        assert_eq!(
            (a.event_id, a.record_id, a.level),
            (13, Some(2555), Level::INFORMATION)
        );
        assert_eq!(
            (a.channel.as_str(), a.computer.as_str()),
            ("System", "DESKTOP-U3FCUKI")
        );
        assert_eq!(
            a.message.as_deref(),
            Some("Miniport NIC 'Microsoft Hyper-V Network Adapter #3' disconnected")
        );
        assert!(a.data.0.is_empty(), "placeholders are no values");
        assert!(
            r.notes.iter().any(|n| n.contains("-Depth 3")),
            "{:?}",
            r.notes
        );
        assert_eq!(
            b.time,
            Utc.with_ymd_and_hms(2011, 8, 16, 1, 28, 45).unwrap()
        );
        assert_eq!(
            (b.level, b.record_id, b.channel.as_str()),
            (Level::ERROR, None, "")
        );
        assert_eq!(
            b.data.unnamed().collect::<Vec<_>>(),
            ["1:34:44 AM", "S-1-5-18", "01FF"]
        );
    }

    #[test]
    fn powershell_7_single_objects_and_get_eventlog() {
        let ps7 = r#"{
  "Id": 7036,
  "Level": 4,
  "RecordId": 99,
  "ProviderName": "Service Control Manager",
  "LogName": "System",
  "TimeCreated": "2020-07-21T23:34:18.918+02:00",
  "Properties": [ { "Value": "MySQL" }, { "Value": "stopped" } ]
}"#;
        assert_eq!(sniff(ps7.as_bytes()), Some(ExportFormat::PowershellJson));
        let r = read_str("ps7.json", ps7.as_bytes(), ExportFormat::PowershellJson);
        assert_eq!(r.events.len(), 1);
        assert_eq!(
            r.events[0].time,
            Utc.with_ymd_and_hms(2020, 7, 21, 21, 34, 18).unwrap()
                + chrono::Duration::milliseconds(918)
        );
        assert_eq!(
            r.events[0].data.unnamed().collect::<Vec<_>>(),
            ["MySQL", "stopped"]
        );
        let legacy = r#"[{"MachineName": "DESKTOP-RQ3I7IP", "Data": [], "Index": 3566, "Category": "(0)", "CategoryNumber": 0, "EventID": 7040, "EntryType": 4, "Message": "The start type of the BITS service was changed.", "Source": "Service Control Manager", "ReplacementStrings": ["Background Intelligent Transfer Service", "auto start"], "InstanceId": 1073748864, "TimeGenerated": "\/Date(1709117220000)\/"},
 {"EventID": 1000, "EntryType": "Error", "Source": "Application Error", "Index": 3567, "MachineName": "X", "TimeGenerated": "\/Date(1709117220000+0100)\/", "Data": [1, 2]}]"#;
        assert_eq!(sniff(legacy.as_bytes()), Some(ExportFormat::PowershellJson));
        let r = read_str(
            "eventlog.json",
            legacy.as_bytes(),
            ExportFormat::PowershellJson,
        );
        let [a, b] = &r.events[..] else {
            panic!("{:?}", r.report)
        };
        assert_eq!(
            (a.event_id, a.record_id, a.level, a.provider.as_str()),
            (
                7040,
                Some(3566),
                Level::INFORMATION,
                "Service Control Manager"
            )
        );
        assert_eq!(
            a.time,
            Utc.with_ymd_and_hms(2024, 2, 28, 10, 47, 0).unwrap()
        );
        assert_eq!(
            a.data.unnamed().collect::<Vec<_>>(),
            ["Background Intelligent Transfer Service", "auto start"]
        );
        assert_eq!(
            (b.level, b.time, b.data.get("Binary")),
            (Level::ERROR, a.time, Some("0102"))
        );
    }

    #[test]
    fn a_damaged_powershell_element_is_skipped_and_the_next_read() {
        let text = String::from_utf8(write_powershell(&sample_events(), Some(Tz::UTC))).unwrap();
        let broken = text.replacen("\"Level\": 1,", "\"Level\": 1,,", 1);
        let r = read_str(
            "ps-bad.json",
            broken.as_bytes(),
            ExportFormat::PowershellJson,
        );
        assert_eq!(
            (r.report.records_read, r.report.records_skipped),
            (1, 1),
            "{:?}",
            r.report.problems
        );
        assert!(
            r.report.problems[0].starts_with("line 2, record 41: JSON does not parse"),
            "{:?}",
            r.report.problems
        );
        assert_eq!(r.events[0].provider, "MySQL");
    }

    #[test]
    fn sniffing_leaves_other_json_alone() {
        let others: [&str; 5] = [
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"instance":"a"},"values":[[1313452800,"1"]]}]}}"#,
            r#"[{"id":1,"monitor_id":2,"status":1,"msg":"OK","time":"2011-08-16 01:28:45","ping":12,"important":0}]"#,
            r#"[{"Id": 1, "Name": "x"}, {"Id": 2, "Name": "y"}]"#,
            r#"[{"metric":{"job":"blackbox"},"values":[[1,"0"]]}]"#,
            "Record of the meeting\n{\"a\": 1}",
        ];
        for other in others {
            assert_eq!(sniff(other.as_bytes()), None, "{other}");
        }
        let jsonl = write(&sample_events(), ExportFormat::EvtxDumpJsonl);
        assert_eq!(sniff(&jsonl), Some(ExportFormat::EvtxDumpJsonl));
    }

    fn unnamed_only(events: &[Event]) -> Vec<Event> {
        events
            .iter()
            .map(|e| {
                let mut e = e.clone();
                e.data.0.iter_mut().for_each(|f| f.name = None);
                e
            })
            .collect()
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
    fn written_json_reads_back_the_same() {
        let mut events = sample_events();
        // evtx_dump's JSON holds named Data first, unnamed ones where the first of them was.
        events[0].data.0.swap(1, 2);
        for format in [ExportFormat::EvtxDumpJsonl, ExportFormat::EvtxDumpJson] {
            let bytes = write(&events, format);
            assert_eq!(sniff(&bytes), Some(format));
            let r = read_str(&format!("rt-{}", format.as_str()), &bytes, format);
            same_events(&r.events, &events);
        }
        let events = unnamed_only(&sample_events());
        let ms = events[0].time.timestamp_millis();
        let mut ms_events = events.clone();
        ms_events[0].time = utc_ms(ms);
        ms_events[1].time = utc_ms(ms_events[1].time.timestamp_millis());
        let ps51 = write_powershell(&events, None);
        assert_eq!(&ps51[..2], &[0xFF, 0xFE]);
        let text = String::from_utf16(
            &ps51[2..]
                .chunks(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect::<Vec<_>>(),
        )
        .unwrap();
        assert!(
            text.contains(&format!("\"TimeCreated\":  \"\\/Date({ms})\\/\"")),
            "{text}"
        );
        let r = read_str("rt-ps51.json", &ps51, ExportFormat::PowershellJson);
        same_events(&r.events, &ms_events);
        let zone: Tz = "Europe/Berlin".parse().unwrap();
        let ps7 = write_powershell(&events, Some(zone));
        assert!(String::from_utf8_lossy(&ps7).contains("\"2011-08-16T01:50:01.1234567+02:00\""));
        let r = read_str("rt-ps7.json", &ps7, ExportFormat::PowershellJson);
        same_events(&r.events, &events);
        // One event is an object, as the pipeline writes it.
        let one = write_powershell(&events[..1], Some(zone));
        assert_eq!(one.first(), Some(&b'{'));
        assert_eq!(
            read_str("rt-one.json", &one, ExportFormat::PowershellJson)
                .events
                .len(),
            1
        );
    }

    /// Where each record of `text` starts (its first `{`) and ends (after its last `}`), found
    /// by markers of the layout, not by the reader.
    fn spans(text: &str, open: &str, close: &str) -> Vec<(usize, usize)> {
        let brace = open.find('{').unwrap_or_default();
        let starts = text.match_indices(open).map(|(i, _)| i + brace);
        let ends = text.match_indices(close).map(|(i, m)| i + m.len());
        starts.zip(ends).collect()
    }

    fn check_cuts(
        name: &str,
        bytes: &[u8],
        spans: &[(usize, usize)],
        chars: impl Fn(usize) -> usize,
    ) {
        assert!(!spans.is_empty());
        // A cut after one byte of a byte order mark leaves no text to speak of.
        for cut in (0..=bytes.len()).filter(|&c| c != 1 || bytes.first() != Some(&0xFF)) {
            let path = temp_file(name, &bytes[..cut]);
            let r = match read(
                &path,
                ExportFormat::PowershellJson.max_of(name),
                &ExportOptions::default(),
            ) {
                Ok(r) => r,
                Err(e) => panic!("{name} cut at {cut}: {e}"),
            };
            let seen = chars(cut);
            let complete = spans.iter().filter(|(_, end)| *end <= seen).count() as u64;
            let started = spans.iter().filter(|(start, _)| *start < seen).count() as u64;
            let (read_n, skipped) = (r.report.records_read, r.report.records_skipped);
            assert_eq!(
                read_n, complete,
                "{name} cut at {cut}: {:?}",
                r.report.problems
            );
            assert_eq!(
                read_n + skipped,
                started,
                "{name} cut at {cut}: {:?}",
                r.report.problems
            );
        }
    }

    impl ExportFormat {
        /// The format a test file's name says.
        fn max_of(self, name: &str) -> ExportFormat {
            match name {
                n if n.ends_with(".jsonl") => ExportFormat::EvtxDumpJsonl,
                n if n.starts_with("cut-dump") => ExportFormat::EvtxDumpJson,
                _ => self,
            }
        }
    }

    #[test]
    fn a_cut_json_file_keeps_what_was_read_and_counts_the_rest() {
        let events = sample_events();
        let jsonl = String::from_utf8(write(&events, ExportFormat::EvtxDumpJsonl)).unwrap();
        let lines = spans(&format!("\n{jsonl}"), "\n{", "}\n");
        let lines: Vec<_> = lines.iter().map(|&(s, e)| (s - 1, e - 2)).collect();
        check_cuts("cut.jsonl", jsonl.as_bytes(), &lines, |c| c);
        let mut dump = spans(DUMP_JSON, "\n{\"Event\"", "}}}\n");
        dump.iter_mut().for_each(|(_, e)| *e -= 1);
        dump.extend(
            spans(DUMP_JSON, "\n{\n", "\n}\n")
                .iter()
                .map(|&(s, e)| (s, e - 1)),
        );
        dump.extend(
            spans(DUMP_JSON, "\n{\"Event_", "\"Cmdlet run\"}}}")
                .iter()
                .copied(),
        );
        check_cuts("cut-dump.json", DUMP_JSON.as_bytes(), &dump, |c| c);
        let ps7 = String::from_utf8(write_powershell(&events, Some(Tz::UTC))).unwrap();
        check_cuts(
            "cut-ps7.json",
            ps7.as_bytes(),
            &spans(&ps7, "\n  {", "\n  }"),
            |c| c,
        );
        // PowerShell 5.1: UTF-16 (odd cuts end in half a character); the text is ASCII.
        let ps51 = write_powershell(&events, None);
        let text = String::from_utf16(
            &ps51[2..]
                .chunks(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect::<Vec<_>>(),
        )
        .unwrap();
        check_cuts(
            "cut-ps51.json",
            &ps51,
            &spans(&text, "\n    {", "\n    }"),
            |c| c.saturating_sub(2) / 2,
        );
    }
}
