//! Reads what `write_evtx` writes back with the `evtx` crate, and dumps it for python-evtx.
use super::*;
use chrono::{Duration, SecondsFormat, TimeZone};
use evtx::{EvtxChunkData, EvtxFileHeader, EvtxParser, HeaderFlags, ParserSettings};
use serde_json::{json, Map, Value};

/// Text that has to come back exactly: XML syntax, shell syntax, line breaks, control
/// characters, bidi marks, non-BMP characters.
const TRICKY: &[&str] = &[
    "plain",
    "",
    "a|b|c",
    "<Data Name=\"x\">&amp;</Data>",
    "`rm -rf /` $(whoami)",
    "line1\nline2\r\nline3\rline4",
    "tab\tseparated\t",
    "naïve café — 日本語 🚀",
    "\u{200E}left-to-right\u{200F}",
    "]]> <![CDATA[",
    "  spaces around  ",
    "'single' \"double\"",
    "\u{1}\u{1f}\u{7f} control",
    "%1 %2 {0} %%",
    "C:\\Windows\\System32\\svchost.exe -k netsvcs",
    "\u{FEFF}bom and \u{FFFD}",
    "emoji 👩\u{200D}💻",
];

/// The ones without control characters, which XML renders as they are.
fn xml_safe(i: usize) -> &'static str {
    let safe: Vec<&str> = TRICKY
        .iter()
        .copied()
        .filter(|s| !s.chars().any(|c| c.is_control() && !"\t\n\r".contains(c)))
        .collect();
    safe[i % safe.len()]
}

fn tricky(i: usize) -> String {
    TRICKY[i % TRICKY.len()].to_string()
}

fn minimal(time: DateTime<Utc>) -> SynthRecord {
    SynthRecord {
        time,
        provider: "Service Control Manager".into(),
        event_id: 7036,
        qualifiers: Some(16384),
        level: 4,
        channel: "System".into(),
        computer: "web01.contoso.local".into(),
        data: vec![],
    }
}

/// `count` records of every shape the writer has to handle, enough of them to fill chunks.
fn sample(count: usize) -> Vec<SynthRecord> {
    let start = Utc.with_ymd_and_hms(2024, 3, 1, 23, 59, 0).unwrap();
    let providers = [
        "Service Control Manager",
        "Microsoft-Windows-Kernel-Power",
        "EventLog",
        "Application Error",
        "Prövider — ünïcode ‎",
    ];
    let channels = [
        "System",
        "Application",
        "Microsoft-Windows-Test/Operational",
    ];
    let computers = ["web01.contoso.local", "DB-02", "srv-ü.example"];
    (0..count)
        .map(|i| {
            let ticks = (i as i64 * 1_234_567) % 10_000_000;
            let time =
                start + Duration::seconds(i as i64 * 37) + Duration::nanoseconds(ticks * 100);
            let data = match i % 7 {
                0 => vec![],
                1 => (0..1 + i % 4).map(|j| (None, tricky(i + j))).collect(),
                2 => (0..1 + i % 5)
                    .map(|j| (Some(format!("param{}", j + 1)), tricky(i * 3 + j)))
                    .collect(),
                3 => vec![
                    (Some("ServiceName".into()), tricky(i)),
                    (Some("Name with spaces & <marks>".into()), tricky(i + 1)),
                    (Some("Ünïcode‎".into()), tricky(i + 2)),
                    (Some("x".into()), tricky(i + 3)),
                ],
                4 => vec![
                    (Some("first".into()), xml_safe(i).into()),
                    (None, xml_safe(i + 1).into()),
                    (Some("second".into()), xml_safe(i + 2).into()),
                    (None, xml_safe(i + 3).into()),
                ],
                5 => vec![(None, String::new())],
                _ => vec![
                    (
                        Some("Message".into()),
                        format!("{i}: {}", "long text ".repeat(300)),
                    ),
                    (Some("Tail".into()), tricky(i)),
                ],
            };
            SynthRecord {
                time,
                provider: providers[i % providers.len()].into(),
                event_id: [7036, 41, 6008, 1000, 0, 65535][i % 6],
                qualifiers: [Some(16384), None, Some(32768), Some(0)][i % 4],
                level: (i % 6) as u8,
                channel: channels[i % channels.len()].into(),
                computer: computers[i % computers.len()].into(),
                data,
            }
        })
        .collect()
}

fn settings() -> ParserSettings {
    ParserSettings::new()
        .separate_json_attributes(true)
        .validate_checksums(true)
        .num_threads(1)
}

fn parse(bytes: Vec<u8>) -> Vec<(u64, evtx::Timestamp, Value)> {
    let mut parser = EvtxParser::from_buffer(bytes)
        .expect("a valid file header")
        .with_configuration(settings());
    parser
        .records_json_value()
        .map(|record| {
            let record = record.expect("every record reads");
            (record.event_record_id, record.timestamp, record.data)
        })
        .collect()
}

/// A JSON scalar as text: evtx renders numbers as numbers.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Nanoseconds since 1970, to the 100 ns a FILETIME holds.
fn filetime_nanos(time: &DateTime<Utc>) -> i128 {
    let nanos =
        i128::from(time.timestamp()) * 1_000_000_000 + i128::from(time.timestamp_subsec_nanos());
    nanos - nanos.rem_euclid(100)
}

/// EventData as evtx's JSON shows it: named values by name (it leaves out unnamed ones
/// beside them), else the unnamed values under `Data.#text`.
fn expected_event_data(record: &SynthRecord) -> Value {
    if record.data.is_empty() {
        return Value::Null;
    }
    let named: Map<String, Value> = record
        .data
        .iter()
        .filter_map(|(name, value)| Some((name.clone()?, json!(value))))
        .collect();
    if !named.is_empty() {
        return Value::Object(named);
    }
    let values: Vec<&String> = record.data.iter().map(|(_, value)| value).collect();
    match values.as_slice() {
        [one] => json!({ "Data": { "#text": one } }),
        many => json!({ "Data": { "#text": many } }),
    }
}

fn assert_record(id: u64, timestamp: &evtx::Timestamp, event: &Value, want: &SynthRecord) {
    let system = &event["Event"]["System"];
    let at = format!("record {id}");
    let nanos = filetime_nanos(&want.time);
    assert_eq!(timestamp.as_nanosecond(), nanos, "{at}: header time");
    let system_time = text(&system["TimeCreated_attributes"]["SystemTime"]);
    let parsed = DateTime::parse_from_rfc3339(&system_time).expect("SystemTime is RFC 3339");
    assert_eq!(filetime_nanos(&parsed.to_utc()), nanos, "{at}: SystemTime");
    assert_eq!(text(&system["EventRecordID"]), id.to_string(), "{at}");
    assert_eq!(
        system["Provider_attributes"]["Name"],
        json!(want.provider),
        "{at}"
    );
    assert_eq!(text(&system["EventID"]), want.event_id.to_string(), "{at}");
    assert_eq!(
        system
            .get("EventID_attributes")
            .map(|a| text(&a["Qualifiers"])),
        want.qualifiers.map(|q| q.to_string()),
        "{at}: Qualifiers"
    );
    assert_eq!(text(&system["Level"]), want.level.to_string(), "{at}");
    assert_eq!(text(&system["Task"]), "0", "{at}");
    assert_eq!(text(&system["Opcode"]), "0", "{at}");
    assert_eq!(system["Keywords"], json!("0x80000000000000"), "{at}");
    assert_eq!(text(&system["Execution_attributes"]["ProcessID"]), "4");
    assert_eq!(text(&system["Execution_attributes"]["ThreadID"]), "8");
    assert_eq!(system["Channel"], json!(want.channel), "{at}");
    assert_eq!(system["Computer"], json!(want.computer), "{at}");
    assert_eq!(
        event["Event"]["EventData"],
        expected_event_data(want),
        "{at}: EventData"
    );
}

#[test]
fn every_field_reads_back_with_evtx() {
    let records = sample(300);
    let bytes = write_evtx(&records);
    let chunks = (bytes.len() - FILE_HEADER_SIZE) / CHUNK_SIZE;
    assert!(chunks >= 3, "300 records span several chunks, got {chunks}");
    let read = parse(bytes);
    assert_eq!(read.len(), records.len());
    for ((id, timestamp, event), (want_id, want)) in read.iter().zip((1u64..).zip(&records)) {
        assert_eq!(*id, want_id);
        assert_record(*id, timestamp, event, want);
    }
}

/// The `Data` elements, in order, in evtx's XML of each record.
fn xml_data(bytes: Vec<u8>) -> Vec<Vec<(Option<String>, String)>> {
    let element = regex::Regex::new(r#"(?s)<Data(?: Name="([^"]*)")?(?:/>|>(.*?)</Data>)"#)
        .expect("a valid pattern");
    let unescape = |s: &str| {
        s.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&")
    };
    let mut parser = EvtxParser::from_buffer(bytes)
        .expect("a valid file header")
        .with_configuration(settings());
    parser
        .records()
        .map(|record| {
            let xml = record.expect("every record reads").data;
            element
                .captures_iter(&xml)
                .map(|c| {
                    let name = c.get(1).map(|m| unescape(m.as_str()));
                    (name, unescape(c.get(2).map_or("", |m| m.as_str())))
                })
                .collect()
        })
        .collect()
}

/// JSON drops unnamed `Data` beside named ones; the XML shows every one, in order.
#[test]
fn mixed_named_and_unnamed_data_keep_their_order() {
    let records: Vec<SynthRecord> = sample(300)
        .into_iter()
        .filter(|r| {
            r.data.iter().any(|(n, _)| n.is_none()) && r.data.iter().any(|(n, _)| n.is_some())
        })
        .collect();
    assert!(records.len() > 10);
    let read = xml_data(write_evtx(&records));
    let want: Vec<_> = records.iter().map(|r| r.data.clone()).collect();
    assert_eq!(read, want);
}

#[test]
fn headers_and_checksums_are_valid() {
    let records = sample(300);
    let bytes = write_evtx(&records);
    assert_eq!((bytes.len() - FILE_HEADER_SIZE) % CHUNK_SIZE, 0);
    let chunk_count = (bytes.len() - FILE_HEADER_SIZE) / CHUNK_SIZE;

    let header = EvtxFileHeader::from_bytes(&bytes).expect("a file header");
    assert!(header.validate_checksum());
    assert_eq!(header.flags, HeaderFlags::EMPTY);
    assert_eq!(usize::from(header.chunk_count), chunk_count);
    assert_eq!(header.first_chunk_number, 0);
    assert_eq!(header.last_chunk_number, chunk_count as u64 - 1);
    assert_eq!(header.next_record_id, records.len() as u64 + 1);
    assert_eq!((header.major_version, header.minor_version), (3, 1));
    assert_eq!(header.header_block_size, 4096);

    let mut next_id = 1;
    for chunk in bytes[FILE_HEADER_SIZE..].chunks(CHUNK_SIZE) {
        let chunk = EvtxChunkData::new(chunk.to_vec(), true).expect("CRC32s match");
        let header = &chunk.header;
        assert!(chunk.validate_header_checksum() && chunk.validate_data_checksum());
        assert_eq!(header.flags.bits(), 0);
        assert_eq!(header.first_event_record_id, next_id);
        assert_eq!(header.first_event_record_number, next_id);
        assert_eq!(header.last_event_record_number, header.last_event_record_id);
        assert!(header.last_event_record_data_offset < header.free_space_offset);
        next_id = header.last_event_record_id + 1;
    }
    assert_eq!(next_id, records.len() as u64 + 1);
}

#[test]
fn output_is_deterministic() {
    let records = sample(120);
    assert_eq!(write_evtx(&records), write_evtx(&records));
}

#[test]
fn records_of_one_shape_share_a_template() {
    let time = Utc.with_ymd_and_hms(2024, 3, 1, 12, 0, 0).unwrap();
    let records: Vec<SynthRecord> = (0..50)
        .map(|i| SynthRecord {
            data: vec![(Some("param1".into()), format!("value {i}"))],
            ..minimal(time)
        })
        .collect();
    let bytes = write_evtx(&records);
    let chunk = &bytes[FILE_HEADER_SIZE..FILE_HEADER_SIZE + CHUNK_SIZE];
    let templates = chunk[384..512]
        .chunks(4)
        .filter(|offset| offset != &[0, 0, 0, 0])
        .count();
    assert_eq!(templates, 1);
    assert_eq!(parse(bytes).len(), 50);
}

#[test]
fn no_records_is_a_header_without_chunks() {
    let bytes = write_evtx(&[]);
    assert_eq!(bytes.len(), FILE_HEADER_SIZE);
    let header = EvtxFileHeader::from_bytes(&bytes).expect("a file header");
    assert!(header.validate_checksum());
    assert_eq!((header.chunk_count, header.next_record_id), (0, 1));
    assert!(parse(bytes).is_empty());
}

/// Where chunk `index`'s free space starts.
fn free_space(bytes: &[u8], index: usize) -> usize {
    let at = FILE_HEADER_SIZE + index * CHUNK_SIZE + 48;
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize
}

#[test]
fn a_record_that_nearly_fills_a_chunk_gets_one_of_its_own() {
    let time = Utc.with_ymd_and_hms(2024, 3, 1, 12, 0, 0).unwrap();
    let with_text = |len: usize| SynthRecord {
        data: vec![(None, "x".repeat(len))],
        ..minimal(time)
    };
    // The largest such record that fits in an empty chunk, template and all.
    let overhead = free_space(&write_evtx(&[with_text(0)]), 0);
    let big = with_text((CHUNK_SIZE - overhead) / 2);
    assert!(CHUNK_SIZE - free_space(&write_evtx(std::slice::from_ref(&big)), 0) < 2);

    let records = vec![minimal(time), big.clone(), big, minimal(time)];
    let bytes = write_evtx(&records);
    assert_eq!(bytes.len(), FILE_HEADER_SIZE + 4 * CHUNK_SIZE);
    let read = parse(bytes);
    assert_eq!(read.len(), 4);
    for ((id, timestamp, event), want) in read.iter().zip(&records) {
        assert_record(*id, timestamp, event, want);
    }
}

#[test]
#[should_panic(expected = "does not fit in an empty 64 KiB chunk")]
fn a_record_larger_than_a_chunk_panics() {
    let time = Utc.with_ymd_and_hms(2024, 3, 1, 12, 0, 0).unwrap();
    write_evtx(&[SynthRecord {
        data: vec![(None, "x".repeat(CHUNK_SIZE / 2))],
        ..minimal(time)
    }]);
}

/// The JSONL line `scripts/crosscheck_python_evtx.py` expects for `record`.
fn crosscheck_line(id: u64, record: &SynthRecord) -> Value {
    let mut data = Map::new();
    let mut unnamed = Vec::new();
    for (name, value) in &record.data {
        match name {
            Some(name) => {
                data.insert(name.clone(), json!(value));
            }
            None => unnamed.push(json!(value)),
        }
    }
    if !unnamed.is_empty() {
        data.insert("Data".into(), Value::Array(unnamed));
    }
    // Both precisions the script accepts: microseconds, and all 7 FILETIME digits.
    let precision = if id.is_multiple_of(2) {
        SecondsFormat::Micros
    } else {
        SecondsFormat::Nanos
    };
    json!({
        "record_id": id,
        "time": record.time.to_rfc3339_opts(precision, true),
        "provider": record.provider,
        "event_id": record.event_id,
        "qualifiers": record.qualifiers,
        "level": record.level,
        "channel": record.channel,
        "computer": record.computer,
        "data": data,
    })
}

/// Writes the sample to `$TMPDIR/faultline-synth.evtx` and `.jsonl` for
/// `python3 scripts/crosscheck_python_evtx.py $TMPDIR/faultline-synth.evtx $TMPDIR/faultline-synth.jsonl`.
#[test]
#[ignore = "writes files for scripts/crosscheck_python_evtx.py"]
fn dump_sample_for_python_evtx() {
    let records = sample(300);
    let dir = std::env::temp_dir();
    std::fs::write(dir.join("faultline-synth.evtx"), write_evtx(&records)).unwrap();
    let jsonl: String = (1u64..)
        .zip(&records)
        .map(|(id, record)| format!("{}\n", crosscheck_line(id, record)))
        .collect();
    std::fs::write(dir.join("faultline-synth.jsonl"), jsonl).unwrap();
    eprintln!(
        "wrote {}",
        dir.join("faultline-synth.{evtx,jsonl}").display()
    );
}
