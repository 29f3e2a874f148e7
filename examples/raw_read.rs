//! The reference reads for bench/run's rows of the export and store readers: the same file parsed
//! by the parser underneath, touching every field, with no interpretation. Prints the count of
//! records (CSV rows, JSON values, XML elements, SQLite rows, non-empty text lines).
//!
//! raw_read csv|jsonl|json|xml|sqlite|lines|evt FILE
use std::io::BufRead;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(kind), Some(path)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: raw_read csv|jsonl|json|xml|sqlite|lines|evt FILE");
        std::process::exit(2);
    };
    let count = match kind.as_str() {
        "csv" => csv_rows(path),
        "jsonl" => jsonl_values(path),
        "json" => json_values(path),
        "xml" => xml_elements(path),
        "sqlite" => sqlite_rows(path),
        "lines" => text_lines(path),
        "evt" => evt_records(path),
        _ => {
            eprintln!("raw_read: unknown kind {kind}");
            std::process::exit(2);
        }
    };
    println!("{count}");
}

fn csv_rows(path: &str) -> u64 {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .comment(Some(b'#'))
        .from_path(path)
        .expect("open");
    let mut record = csv::ByteRecord::new();
    let (mut rows, mut bytes) = (0u64, 0usize);
    while reader.read_byte_record(&mut record).expect("csv") {
        rows += 1;
        bytes += record.iter().map(<[u8]>::len).sum::<usize>();
    }
    std::hint::black_box(bytes);
    rows
}

/// A line log (Nagios): each line read as UTF-8 text and split at its `;` fields.
fn text_lines(path: &str) -> u64 {
    let mut file = std::io::BufReader::new(std::fs::File::open(path).expect("open"));
    let (mut n, mut bytes) = (0u64, 0usize);
    let mut line = String::new();
    while file.read_line(&mut line).expect("line") > 0 {
        if !line.trim().is_empty() {
            bytes += line.split(';').map(str::len).sum::<usize>();
            n += 1;
        }
        line.clear();
    }
    std::hint::black_box(bytes);
    n
}

fn jsonl_values(path: &str) -> u64 {
    let file = std::io::BufReader::new(std::fs::File::open(path).expect("open"));
    let mut n = 0;
    for line in file.lines() {
        let line = line.expect("line");
        if !line.trim().is_empty() {
            let v: serde_json::Value = serde_json::from_str(&line).expect("json");
            std::hint::black_box(&v);
            n += 1;
        }
    }
    n
}

fn json_values(path: &str) -> u64 {
    let file = std::io::BufReader::new(std::fs::File::open(path).expect("open"));
    let v: serde_json::Value = serde_json::from_reader(file).expect("json");
    fn count(v: &serde_json::Value) -> u64 {
        match v {
            serde_json::Value::Array(a) => a.iter().map(count).sum::<u64>() + 1,
            serde_json::Value::Object(o) => o.values().map(count).sum::<u64>() + 1,
            _ => 1,
        }
    }
    count(&v)
}

fn xml_elements(path: &str) -> u64 {
    let file = std::io::BufReader::new(std::fs::File::open(path).expect("open"));
    let mut reader = quick_xml::Reader::from_reader(file);
    let mut buf = Vec::new();
    let mut n = 0;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(quick_xml::events::Event::Start(_)) | Ok(quick_xml::events::Event::Empty(_)) => {
                n += 1
            }
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("xml: {e}"),
        }
        buf.clear();
    }
    n
}

fn sqlite_rows(path: &str) -> u64 {
    let db =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open");
    let mut stmt = db
        .prepare(
            "SELECT monitor_id, status, time, ping, msg FROM heartbeat ORDER BY monitor_id, time",
        )
        .expect("prepare");
    let mut rows = stmt.query([]).expect("query");
    let mut n = 0;
    while let Some(row) = rows.next().expect("row") {
        let t: String = row.get(2).expect("time");
        std::hint::black_box(t);
        n += 1;
    }
    n
}

/// A legacy `.evt` log: the file read whole, then each record found by its length and `LfLe`
/// signature, walked from the header on; its time and event id read, nothing else decoded (no
/// strings, no SID, no wrap of a circular log: the raw walk under an EVT reader).
fn evt_records(path: &str) -> u64 {
    let bytes = std::fs::read(path).expect("read");
    let u32_at =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let (mut at, mut n, mut sum) = (0x30usize, 0u64, 0u64);
    while at + 0x38 <= bytes.len() {
        let len = u32_at(at) as usize;
        if &bytes[at + 4..at + 8] == b"LfLe" && len >= 0x38 && at + len <= bytes.len() {
            sum = sum.wrapping_add(u64::from(u32_at(at + 8)) + u64::from(u32_at(at + 0x14)));
            n += 1;
            at += len;
        } else {
            at += 4;
        }
    }
    std::hint::black_box(sum);
    n
}
