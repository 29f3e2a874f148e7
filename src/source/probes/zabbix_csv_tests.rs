use super::*;

const CSV: &str = "\"Severity\",\"Time\",\"Recovery time\",\"Status\",\"Host\",\"Problem\",\"Duration\",\"Ack\",\"Actions\",\"Tags\"
\"Average\",\"2024-03-01 10:40:00\",\"\",\"PROBLEM\",\"db01\",\"Disk full\",\"20m\",\"No\",\"\",\"\"
\"High\",\"2024-03-01 10:05:00\",\"2024-03-01 10:30:00\",\"RESOLVED\",\"web01\",\"HTTP down\",\"25m\",\"No\",\"\",\"\"
\"High\",\"2024-03-01 10:00:00\",\"2024-03-01 10:20:00\",\"RESOLVED\",\"web01\",\"HTTP down\",\"20m\",\"Yes\",\"Messages (1)\",\"scope: availability\"
\"High\",\"yesterday\",\"\",\"PROBLEM\",\"web01\",\"HTTP down\",\"1d\",\"No\",\"\",\"\"
\"High\",\"2024-03-01 10:50:00\",\"\",\"RESOLVED\",\"web01\",\"HTTP down\",\"1m\",\"No\",\"\",\"\"
\"High\",\"2024-03-01 09:00:00\",\"2024-03-01 09:10:00\",\"MUTED\",\"app01, app02\",\"Queue stuck\",\"10m\",\"No\",\"\",\"\"
\"Warning\",\"2024-03-01 10:20:00\",\"2024-03-01 10:48:00\",\"RESOLVED\",\"dns01\",\"Lookup slow\",\"28m\",\"No\",\"\",\"\"
";

fn spans(r: &ProbeStoreRead, name: &str) -> Vec<(String, String, ProbeState)> {
    let p = r
        .probes
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no {name}"));
    p.intervals
        .iter()
        .map(|i| {
            (
                i.start.format("%H:%M").to_string(),
                i.end.format("%H:%M").to_string(),
                i.state,
            )
        })
        .collect()
}

#[test]
fn rows_are_down_from_time_to_recovery_and_open_ones_to_the_end() {
    assert!(sniff(CSV.as_bytes()));
    let r = read_bytes(
        Path::new("zbx_problems_export.csv"),
        CSV.as_bytes(),
        Zone::UTC,
    )
    .unwrap();
    // Two overlapping problems of one target: down from the first Time to the last recovery; the
    // file's data ends at the latest time read in it (10:48; the damaged 10:50 row is not read).
    assert_eq!(
        spans(&r, "web01: HTTP down"),
        [
            ("10:00".into(), "10:30".into(), ProbeState::Down),
            ("10:30".into(), "10:48".into(), ProbeState::Up)
        ]
    );
    assert_eq!(
        spans(&r, "db01: Disk full"),
        [("10:40".into(), "10:48".into(), ProbeState::Down)]
    );
    // An unknown Status: unknown from its Time, up after its recovery; the first host is used.
    assert_eq!(
        spans(&r, "app01: Queue stuck"),
        [
            ("09:00".into(), "09:10".into(), ProbeState::Unknown),
            ("09:10".into(), "10:48".into(), ProbeState::Up)
        ]
    );
    assert_eq!(r.report.records_read, 4);
    // Damaged: the bad Time (line 5) and the RESOLVED without recovery (line 6); the unknown word.
    assert_eq!(r.report.records_skipped, 3);
    assert!(
        r.report.problems[0].starts_with("line 5:"),
        "{:?}",
        r.report.problems
    );
    assert!(
        r.report.problems[1].starts_with("line 6:"),
        "{:?}",
        r.report.problems
    );
    let notes = r.notes.join("\n");
    assert!(notes.contains("\"MUTED\" ×1"), "{notes}");
    assert!(notes.contains("1 problems still open"), "{notes}");
    assert!(notes.contains("several hosts"), "{notes}");
    assert!(notes.contains("times read as UTC"), "{notes}");
}

#[test]
fn times_are_read_in_the_users_zone() {
    let zone = Zone::parse("America/Los_Angeles").unwrap();
    let r = read_bytes(Path::new("p.csv"), CSV.as_bytes(), zone).unwrap();
    let web = r
        .probes
        .iter()
        .find(|p| p.name == "web01: HTTP down")
        .unwrap();
    // 10:00 PST is 18:00 UTC.
    assert_eq!(
        web.intervals[0].start.to_rfc3339(),
        "2024-03-01T18:00:00+00:00"
    );
    assert!(r.notes.iter().any(|n| n.contains("America/Los_Angeles")));
}

#[test]
fn a_recovery_in_the_repeated_hour_is_the_reading_after_its_start() {
    let zone = Zone::parse("America/Los_Angeles").unwrap();
    // 3 Nov 2024: 01:00-02:00 PDT then again PST. Down 01:50 PDT, recovered 01:10 (PST).
    let text = "\"Severity\",\"Time\",\"Recovery time\",\"Status\",\"Host\",\"Problem\"\n\
                \"High\",\"2024-11-03 01:50:00\",\"2024-11-03 01:10:00\",\"RESOLVED\",\"w\",\"down\"\n";
    let r = read_bytes(Path::new("p.csv"), text.as_bytes(), zone).unwrap();
    let iv = r.probes[0].intervals[0];
    assert_eq!((iv.end - iv.start).num_minutes(), 20);
}

#[test]
fn a_foreign_or_cut_file_never_panics() {
    assert!(!sniff(b"\"Event\",\"Monitor\",\"Date-Time\"\n"));
    assert!(!sniff(b"time,status\n"));
    for n in 0..CSV.len() {
        let _ = read_bytes(Path::new("t.csv"), &CSV.as_bytes()[..n], Zone::UTC);
    }
    let only_bad = "\"Time\",\"Recovery time\",\"Status\",\"Host\",\"Problem\"\n\"x\",\"\",\"PROBLEM\",\"h\",\"p\"\n";
    let e = read_bytes(Path::new("bad.csv"), only_bad.as_bytes(), Zone::UTC).unwrap_err();
    assert!(e.to_string().contains("line 2"), "{e}");
}

/// Cut into blocks of any size and parsed on several workers, an export reads as it reads
/// whole, with quoted line breaks and doubled quotes in its fields; one whose quotes a count
/// would misread (a quote inside an unquoted field) is read as one block, the same way.
#[test]
fn blocks_on_workers_read_like_the_whole_csv() {
    let quoted = CSV.replace(
        "\"scope: availability\"",
        "\"scope: \"\"avail\"\"\nability\"",
    );
    let plain_broken = format!("{CSV}High,2024-03-01 11:00:00,,PROBLEM,db\"01,Disk \"x,1m\n");
    // The bad Time's line: one more below a quoted line break.
    for (text, bad) in [(CSV.to_string(), 5), (quoted, 6), (plain_broken, 5)] {
        let zone = Zone::parse("Europe/London").unwrap();
        let read = |split| {
            let r = read_split(Path::new("z.csv"), text.as_bytes(), zone, split).unwrap();
            format!("{:?}\n{:?}\n{:?}", r.probes, r.report, r.notes)
        };
        let once = Split::every_cut_reads_as_one_block(text.len(), read);
        assert!(once.contains(&format!("line {bad}: no Time")), "{once}");
    }
}

/// A byte that is not UTF-8 in a later block: at every cut the export reads as its text decoded
/// whole (std's lossy decoding, a U+FFFD for the byte) reads.
#[test]
fn a_byte_not_utf8_in_any_block_reads_as_the_decoded_text() {
    let mut bytes = CSV.as_bytes().to_vec();
    let at = CSV.find("dns01").unwrap() + 1;
    bytes[at] = 0xE9;
    let decoded = String::from_utf8_lossy(&bytes).into_owned();
    assert!(decoded.contains('\u{fffd}'));
    let zone = Zone::parse("Europe/London").unwrap();
    let show = |r: ProbeStoreRead| format!("{:?}\n{:?}\n{:?}", r.probes, r.report, r.notes);
    let want = show(
        read_split(
            Path::new("z.csv"),
            decoded.as_bytes(),
            zone,
            Split::of_pool(),
        )
        .unwrap(),
    );
    let read = |split| show(read_split(Path::new("z.csv"), &bytes, zone, split).unwrap());
    assert_eq!(Split::every_cut_reads_as_one_block(bytes.len(), read), want);
}

/// Blocks without a Time in a repeated hour are placed on their workers, the others by the file's
/// order on the reading thread: cut anywhere, an export with both reads as it reads whole.
#[test]
fn repeated_and_skipped_hours_read_alike_at_every_cut() {
    // Newest first, America/Los_Angeles: 3 Nov 2024 repeats 01:00-02:00, 10 Mar skips 02:00-03:00.
    let text = "\"Severity\",\"Time\",\"Recovery time\",\"Status\",\"Host\",\"Problem\"
\"High\",\"2024-11-03 02:10:00\",\"2024-11-03 02:20:00\",\"RESOLVED\",\"w\",\"down\"
\"High\",\"2024-11-03 01:40:00\",\"2024-11-03 01:45:00\",\"RESOLVED\",\"w\",\"down\"
\"High\",\"2024-11-03 01:20:00\",\"\",\"PROBLEM\",\"x\",\"up\"
\"High\",\"2024-11-03 01:50:00\",\"2024-11-03 01:10:00\",\"RESOLVED\",\"w\",\"down\"
\"High\",\"2024-11-03 01:30:00\",\"2024-11-03 01:35:00\",\"RESOLVED\",\"x\",\"up\"
\"High\",\"2024-11-03 00:30:00\",\"2024-11-03 00:20:00\",\"RESOLVED\",\"w\",\"down\"
\"High\",\"2024-03-10 02:30:00\",\"2024-03-10 03:10:00\",\"RESOLVED\",\"w\",\"down\"
\"High\",\"2024-03-10 01:30:00\",\"2024-03-10 02:10:00\",\"RESOLVED\",\"x\",\"up\"
\"High\",\"2024-03-10 01:00:00\",\"2024-03-10 01:10:00\",\"MUTED\",\"x\",\"up\"
";
    let zone = Zone::parse("America/Los_Angeles").unwrap();
    let read = |split| {
        let r = read_split(Path::new("z.csv"), text.as_bytes(), zone, split).unwrap();
        format!("{:?}\n{:?}\n{:?}", r.probes, r.report, r.notes)
    };
    let once = Split::every_cut_reads_as_one_block(text.len(), read);
    // Newest first: the later 01:40 and 01:20 are the hour's second pass, 01:50 and 01:30 its first.
    assert!(
        once.contains("2 read as its first pass, 2 as its second"),
        "{once}"
    );
    for damaged in [
        "line 7: Recovery time before",
        "line 8: 2024-03-10 02:30:00 does not",
        "line 9: Recovery time 2024-03-10 02:10:00",
    ] {
        assert!(once.contains(damaged), "{damaged}: {once}");
    }
}

/// The packed order is the stable sort's, over ties, both mark kinds and both file directions.
#[test]
fn marks_are_ordered_as_a_stable_sort_orders_them() {
    use chrono::{DateTime, TimeZone, Utc};
    use marks::{mark_order, Mark};
    let t0 = Utc.with_ymd_and_hms(2024, 3, 1, 0, 0, 0).unwrap();
    let stable = |marks: &[Mark]| {
        let mut order: Vec<u32> = (0..marks.len() as u32).collect();
        order.sort_by_key(|&i| (marks[i as usize].time, marks[i as usize].opens));
        order
    };
    let at = |s: i64| -> DateTime<Utc> { t0 + chrono::TimeDelta::seconds(s) };
    let mixed: Vec<Mark> = (0..2000i64)
        .map(|i| Mark {
            time: at(i * 7919 % 97),
            opens: i % 2 == 0,
            down: i % 3 == 0,
        })
        .collect();
    // Newest first, as the page exports: each problem opens, then closes two minutes later.
    let newest_first: Vec<Mark> = (0..2000i64)
        .map(|i| Mark {
            time: at((2000 - i / 2) * 60 + (i % 2) * 120 - (i % 5)),
            opens: i % 2 == 0,
            down: true,
        })
        .collect();
    // In one list or in lists of any length (as blocks place them), some empty.
    let lists = |marks: &[Mark], n: usize| -> Vec<Vec<Mark>> {
        let mut lists: Vec<Vec<Mark>> = marks.chunks(n).map(<[Mark]>::to_vec).collect();
        lists.insert(lists.len() / 2, Vec::new());
        lists
    };
    for marks in [mixed, newest_first] {
        // A fraction of a second takes the general sort, with the same answer.
        let mut odd = marks.clone();
        odd[5].time += chrono::TimeDelta::milliseconds(1);
        for marks in [marks, odd] {
            for n in [1, 7, 500, marks.len()] {
                assert_eq!(
                    mark_order(&lists(&marks, n)),
                    stable(&marks),
                    "lists of {n}"
                );
            }
        }
    }
}

/// The fixed-layout read of the UI's times gives `ui_time`'s answer for every shape, from the
/// day it remembers or not, and leaves every other shape (and value) to it.
#[test]
fn the_quick_time_read_is_the_general_one() {
    let shapes = [
        "2024-03-01 10:40:00",
        "2024-03-01 23:59:59",
        "2024-03-02 00:00:00",
        "2024-02-29 12:00:00",
        "2023-02-29 12:00:00",
        "2024-13-01 10:00:00",
        "2024-00-10 10:00:00",
        "2024-03-00 10:00:00",
        "2024-03-01 24:00:00",
        "2024-03-01 10:60:00",
        "2024-03-01 10:00:60",
        "2016-12-31 23:59:60",
        "0000-01-01 00:00:00",
        "9999-12-31 23:59:59",
        "+024-03-01 10:40:00",
        "2024-03-01 1:40:000",
        "2024-03-01T10:40:00",
        "2024/03/01 10:40:00",
        "2024-03-01 10:40",
        "2024-3-1 10:40:00",
        "2024-03-01 10:40:00.5",
        "2024-03-01  10:40:0",
        "2024-03-01 10:4a:00",
        "2024-03-01 10-40-00",
        "yesterday",
        "",
    ];
    let mut times = UiTimes::default();
    let mut quick = 0;
    // Twice over, in order and reversed, so that each shape meets a remembered day and a new one.
    for text in shapes
        .iter()
        .chain(shapes.iter().rev())
        .chain(shapes.iter())
    {
        assert_eq!(times.read(text), ui_time(text), "{text:?}");
        if UiTimes::default().quick(text.as_bytes()).is_some() {
            quick += 1;
        }
    }
    assert!(quick >= 3 * 6, "the quick read read only {quick}");
}

/// Lines that quote plainly, split directly, give the rows the CSV reader gives: blank lines,
/// CRLF ends, empty and missing cells, short rows and every damage the reader reports.
#[test]
fn plain_lines_read_as_the_csv_reader_reads_them() {
    let body = CSV.split_once('\n').unwrap().1;
    let extra = "\n\n\"High\",\"2024-03-01 11:00:00\"\n,,,\n \n\"Low\",\"2024-03-01 11:00:00\",,problem,h,\n\"Low\",\"2024-03-01 11:05:00\",\"2024-03-01 11:06:00\",Resolved,\"h1, h2\",\"p\",,,,,,extra\n";
    let crlf = format!("{body}{extra}").replace('\n', "\r\n");
    // Every third line end a CRLF, the last line without one.
    let mixed: String = (format!("{body}{extra}").split_inclusive('\n').enumerate())
        .map(|(i, l)| {
            if i % 3 == 1 {
                l.replace('\n', "\r\n")
            } else {
                l.to_string()
            }
        })
        .collect::<String>()
        .trim_end()
        .to_string();
    let columns = Columns {
        severity: Some(0),
        time: 1,
        recovery: 2,
        status: 3,
        host: 4,
        problem: 5,
    };
    for text in [body.to_string(), format!("{body}{extra}"), crlf, mixed] {
        for zone in [Zone::UTC, Zone::parse("America/Los_Angeles").unwrap()] {
            let block = Block {
                first_line: 2,
                text: &text,
            };
            let mut plain = RowReader::new(block, columns, zone, true);
            assert!(plain_rows(block, &mut plain), "{text:?}");
            let mut csv = RowReader::new(block, columns, zone, true);
            csv_rows(block, &mut csv);
            assert_eq!(summary(&plain.out), summary(&csv.out));
            let damaged = summary(&csv.out).matches("no Problem name").count();
            assert_eq!(damaged, if text.contains("extra") { 2 } else { 0 });
        }
    }
    // A line that does not quote plainly leaves the block to the reader.
    let block = Block {
        first_line: 2,
        text: "\"High\",\"2024-03-01 11:00:00\",,PROBLEM,\"a \"\"b\"\"\",p\n",
    };
    let mut plain = RowReader::new(block, columns, Zone::UTC, true);
    assert!(!plain_rows(block, &mut plain));
    let cut_at_lines = parse_rows(block, columns, Zone::UTC, true);
    assert!(!cut_at_lines.lines_plain && cut_at_lines.placed.is_none());
    let parsed = parse_rows(block, columns, Zone::UTC, false);
    assert_eq!(
        parsed.placed.map(|p| p.open),
        Some(1),
        "{:?}",
        parsed.damaged
    );
}

/// What a block's parse gave, to compare two parses.
fn summary(block: &RowBlock) -> String {
    let rows: Vec<String> = (block.rows.iter())
        .map(|r| {
            format!(
                "{} {} {:?} {} {:?} {:?}",
                r.line,
                block.whats.list[r.series as usize],
                r.state,
                r.start,
                r.start_reading,
                r.recovery
            )
        })
        .collect();
    let tally = |t: &Tally| format!("{:?}", t.each().collect::<Vec<_>>());
    format!(
        "{rows:#?}\n{:?}\n{}\n{}\n{} {}",
        block.damaged,
        tally(&block.statuses),
        tally(&block.severities),
        block.multi_host,
        block.plain
    )
}

#[test]
fn the_first_host_is_the_one_before_the_first_comma_and_space() {
    for host in [
        "", "a", "a, b", "a,b, c", "a ,b", ",  x", "a, ", ", ", "é, f, g", "a,",
    ] {
        assert_eq!(
            first_host(host),
            host.split(", ").next().unwrap(),
            "{host:?}"
        );
    }
}

/// A skipped row is named by the line it stands on, counted in the text here, whatever the
/// line ends, blank lines before it, and whether its block is split directly or by the reader
/// (a cell with a doubled quote sends it there).
#[test]
fn skipped_rows_name_their_own_lines() {
    let header = "\"Severity\",\"Time\",\"Recovery time\",\"Status\",\"Host\",\"Problem\"";
    let ok = "\"High\",\"2024-03-01 10:00:00\",\"2024-03-01 10:20:00\",\"RESOLVED\",\"web01\",\"HTTP down\"";
    let bad = "\"High\",\"not a time\",\"\",\"PROBLEM\",\"web01\",\"HTTP down\"";
    let lines = [header, ok, bad, "", "", ok, bad, "", bad, ok];
    for end in ["\n", "\r\n"] {
        for quoted in [false, true] {
            let text: String = lines
                .iter()
                .map(|l| {
                    let l = if quoted {
                        l.replace("HTTP down", "HTTP \"\"down\"\"")
                    } else {
                        l.to_string()
                    };
                    format!("{l}{end}")
                })
                .collect();
            let want: Vec<usize> = text
                .lines()
                .enumerate()
                .filter(|(_, l)| l.contains("not a time"))
                .map(|(i, _)| i + 1)
                .collect();
            let r = read_bytes(Path::new("problems.csv"), text.as_bytes(), Zone::UTC).unwrap();
            let got: Vec<usize> = r
                .report
                .problems
                .iter()
                .filter_map(|p| p.strip_prefix("line ")?.split(':').next()?.parse().ok())
                .collect();
            assert_eq!(
                got, want,
                "{end:?}, doubled quotes {quoted}: {:?}",
                r.report.problems
            );
        }
    }
}
