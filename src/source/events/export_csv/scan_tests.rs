//! The scanner held to the csv crate: the same records, cells, lines and open quote over many
//! record shapes; and a count read through it held to a count read by the csv crate.
use super::*;
use crate::filter::EventFilter;
use crate::source::events::export::{ExportOptions, Keep, Tally};
use crate::source::events::export_csv::{read_csv, write, ExportFormat};

/// (cells, line) of every record, and the open quote, as the csv path finds them.
type Records = (Vec<(Vec<Vec<u8>>, u64)>, Option<bool>);

fn by_csv(text: &[u8], delimiter: u8) -> Records {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text);
    let mut out = Vec::new();
    let mut record = csv::ByteRecord::new();
    let mut last = None;
    while reader.read_byte_record(&mut record).unwrap() {
        let byte = record.position().unwrap().byte() as usize;
        let upto = (byte + 1).min(text.len());
        let line = 1 + text[..upto].iter().filter(|&&b| b == b'\n').count() as u64;
        out.push((record.iter().map(<[u8]>::to_vec).collect(), line));
        last = Some(byte);
    }
    let open = last.map(|b| text[b..].iter().filter(|&&q| q == b'"').count() % 2 == 1);
    (out, open)
}

/// The same by the scanner, and how many of the records it read itself.
fn by_scan(text: &[u8], delimiter: u8) -> (Records, usize) {
    let mut scanner = Scanner::new(text, delimiter);
    let (mut out, mut scanned) = (Vec::new(), 0);
    while let Some(batch) = scanner.batch() {
        for found in batch.records {
            match found {
                Found::Scanned { line, cells, bytes } => {
                    scanned += 1;
                    let cells = &batch.cells[cells];
                    assert!(cells
                        .iter()
                        .all(|c| bytes.start <= c.start && c.end < bytes.end));
                    let fields = cells.iter().map(|c| c.bytes(text).into_owned()).collect();
                    out.push((fields, line));
                }
                Found::Parsed(record, line) => {
                    out.push((record.iter().map(<[u8]>::to_vec).collect(), line));
                }
                Found::Failed(problem) => panic!("{problem}"),
            }
        }
    }
    ((out, scanner.open_quote()), scanned)
}

/// A small fixed generator: the shapes below in a different order each seed.
struct Lcg(u64);

impl Lcg {
    fn pick(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

const CELLS: [&[u8]; 16] = [
    b"",
    b"plain",
    b"two words",
    b"\"quoted\"",
    b"\"a, comma\"",
    b"\"doubled \"\"quotes\"\" here\"",
    b"\"\"\"\"",
    b"\"\"",
    b"\"line\r\nbreaks\r\n\r\ninside\"",
    b"\"lf\nonly\"",
    b"stray\"quote",
    b"\"text\"after",
    b"\"a\ttab\"",
    "caf\u{e9}".as_bytes(),
    b"\"caf\xe9 1252\"",
    b"\"end\"\"\"",
];

const ENDS: [&[u8]; 6] = [b"\r\n", b"\r\n", b"\n", b"\r", b"\r\n\r\n", b"\n\n\r\n"];

fn generated(seed: u64, records: usize, delimiter: u8) -> Vec<u8> {
    let mut g = Lcg(seed);
    let mut text = Vec::new();
    for _ in 0..records {
        let cells = 1 + g.pick(7);
        for i in 0..cells {
            if i > 0 {
                text.push(delimiter);
            }
            text.extend_from_slice(CELLS[g.pick(CELLS.len())]);
        }
        text.extend_from_slice(ENDS[g.pick(ENDS.len())]);
    }
    text
}

/// The records read by the scanner itself, and all records.
fn assert_same(text: &[u8], delimiter: u8) -> (usize, usize) {
    let (scanned, n) = by_scan(text, delimiter);
    let expected = by_csv(text, delimiter);
    assert_eq!(
        scanned,
        expected,
        "text {:?}",
        String::from_utf8_lossy(text)
    );
    (n, expected.0.len())
}

#[test]
fn the_scanner_finds_the_records_cells_and_lines_csv_core_finds() {
    let (mut scanned, mut all) = (0, 0);
    for seed in 0..300 {
        for delimiter in [b',', b'\t'] {
            let text = generated(seed, 1 + (seed as usize % 40), delimiter);
            let (n, of) = assert_same(&text, delimiter);
            (scanned, all) = (scanned + n, all + of);
            // Cut anywhere: a record left open at the end, a quote never closed.
            for cut in [1, 2, 3, 7, text.len() / 2] {
                let end = text.len().saturating_sub(cut);
                assert_same(&text[..end], delimiter);
            }
        }
    }
    // A record with text after a quote (one cell in 16) goes to csv_core; the rest not.
    assert!(
        scanned * 3 > all * 2,
        "{scanned} of {all} read by the scanner"
    );
}

#[test]
fn records_across_batches_keep_their_lines() {
    // Far more records than a batch, with line breaks inside quoted cells.
    let text = generated(7, 5 * BATCH + 3, b',');
    let (records, _) = by_scan(&text, b',');
    assert!(records.0.len() > 4 * BATCH);
    assert_same(&text, b',');
}

#[test]
fn edge_shapes_read_as_csv_core_reads_them() {
    for text in [
        &b""[..],
        b"\r\n\r\n",
        b"a",
        b"a,",
        b"a,\r\n",
        b",\r\n,",
        b"\"",
        b"\"a\"",
        b"\"a\"\r",
        b"\"a\"\"",
        b"a\rb\r\nc\n\rd",
        b"\"x\"\"\"\"y\",z\r\n\"\",\"\"\r\n",
        b"x\"y\"z,\"q\r\nq\" \r\n",
        b"\xEF\xBB\xBFa,b\r\n",
    ] {
        assert_same(text, b',');
    }
}

#[test]
fn doubled_quotes_come_out_single() {
    let cell = Cell {
        start: 0,
        end: 12,
        doubled: true,
    };
    assert_eq!(&cell.bytes(b"a\"\"b\"\"\"\"c\"\"d")[..], b"a\"b\"\"c\"d");
}

/// A count's result, read by the scanner or by the csv crate.
fn count(bytes: &[u8], format: ExportFormat, threads: usize, may_scan: bool) -> String {
    let dir = std::env::temp_dir().join(format!("faultline-scan-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{format:?}-{threads}.csv"));
    std::fs::write(&path, bytes).unwrap();
    let filter = EventFilter::default();
    let opts = ExportOptions {
        channel: Some("Chan".into()),
        threads,
        ..ExportOptions::default()
    };
    let keep = Keep::Counts(Tally::new(&filter));
    let read = read_csv(&path, format, &opts, keep, may_scan);
    format!("{:?}", read.map(|r| r.into_counts(&filter)))
}

fn assert_counts_same(bytes: &[u8], format: ExportFormat) {
    for threads in [0, 1] {
        assert_eq!(
            count(bytes, format, threads, true),
            count(bytes, format, threads, false),
            "{format:?} {:?}",
            String::from_utf8_lossy(bytes)
        );
    }
}

#[test]
fn a_scanned_count_is_the_csv_crates_count() {
    let zone = chrono_tz::Tz::UTC;
    let t = |h| chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2011, 8, 15, h, 1, 2).unwrap();
    let mut events = Vec::new();
    for (i, id) in [7036u32, 41, 6008, 7036, 1074, 7036]
        .into_iter()
        .enumerate()
    {
        let mut e = crate::model::Event {
            time: t(i as u32 + 3),
            record_id: Some(10 + i as u64),
            channel: "System".into(),
            provider: format!("Provider \"{}\"", i % 2),
            event_id: id,
            level: crate::model::Level(1 + (i % 4) as u8),
            computer: "SRV01".into(),
            message: Some(format!("Line one, \"quoted\".\nLine {i}.")),
            data: Default::default(),
            source_file: std::sync::Arc::from("s"),
        };
        if i == 2 {
            e.message = None;
        }
        events.push(e);
    }
    for format in ExportFormat::ALL {
        if format == ExportFormat::WevtutilText {
            continue;
        }
        for culture in ["en-US", "de-DE"] {
            let bytes = write(&events, format, culture, zone);
            assert_counts_same(&bytes, format);
            // Cut short, at the end of a line and inside a message.
            for cut in [2, 9, bytes.len() / 3] {
                assert_counts_same(&bytes[..bytes.len() - cut], format);
            }
            // A bad row (no number for its id), a row in Windows-1252, text after a quote.
            let text = String::from_utf8_lossy(&bytes).into_owned();
            for (from, to) in [(",41,", ",4x1,"), ("\"41\"", "\"4x1\"")] {
                assert_counts_same(text.replacen(from, to, 1).as_bytes(), format);
            }
            let mut odd = bytes.clone();
            if let Some(at) = odd.windows(4).position(|w| w == b"Line") {
                odd[at] = 0xE9;
                assert_counts_same(&odd, format);
                odd.splice(at..at, b"\"x\"y".iter().copied());
                assert_counts_same(&odd, format);
            }
        }
    }
}
