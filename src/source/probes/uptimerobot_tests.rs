//! Unit tests of the UptimeRobot readers: both CSV shapes, zones, durations, BOM, order, words.
use super::*;
use chrono::{Duration, TimeZone};

fn csv(text: &str, zone: &str) -> ProbeStoreRead {
    read_csv_bytes(
        Path::new("robot.csv"),
        text.as_bytes(),
        Zone::parse(zone).unwrap(),
    )
    .unwrap()
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

const DASHBOARD: &str =
    "\u{feff}\"Up\",\"My server\",\"15-08-2011 18:28:03\",\"OK\",\"1 hrs, 2 mins\"\r\n\
\"Down\",\"My server\",\"15-08-2011 16:58:03\",\"Connection Timeout\",\"1 hrs, 30 mins\"\r\n\
\"Started\",\"My server\",\"15-08-2011 09:00:00\",\"\",\"7 hrs, 58 mins\"\r\n";

#[test]
fn sniffs_both_csv_shapes_and_the_api_json_but_not_a_probe_csv() {
    assert!(sniff_csv(DASHBOARD.as_bytes()));
    assert!(sniff_csv(
        b"Event, Monitor, Monitor URL, Date-Time, Reason, Duration (in mins.)\n"
    ));
    assert!(!sniff_csv(b"timestamp,monitor,status,response_time_ms\n"));
    assert!(!sniff_csv(b"\"Up\",\"x\",\"yesterday\",\"OK\"\n"));
    assert!(sniff_json(
        br#"{"stat":"ok","monitors":[{"friendly_name":"a","logs":[]}]}"#
    ));
    assert!(!sniff_json(br#"{"monitors":[]}"#));
}

#[test]
fn the_headerless_dashboard_export_in_the_account_zone_newest_first() {
    let read = csv(DASHBOARD, "America/Los_Angeles");
    assert_eq!(read.probes.len(), 1);
    let p = &read.probes[0];
    assert_eq!(
        (p.name.as_str(), p.target.as_deref()),
        ("My server", Some("My server"))
    );
    // PDT is UTC-7; the newest event lasts its duration (1 h 2 min).
    let got: Vec<(DateTime<Utc>, DateTime<Utc>, ProbeState)> = p
        .intervals
        .iter()
        .map(|i| (i.start, i.end, i.state))
        .collect();
    assert_eq!(
        got,
        [
            (
                utc(2011, 8, 15, 16, 0, 0),
                utc(2011, 8, 15, 23, 58, 3),
                ProbeState::Up
            ),
            (
                utc(2011, 8, 15, 23, 58, 3),
                utc(2011, 8, 16, 1, 28, 3),
                ProbeState::Down
            ),
            (
                utc(2011, 8, 16, 1, 28, 3),
                utc(2011, 8, 16, 2, 30, 3),
                ProbeState::Up
            ),
        ]
    );
    assert_eq!(
        (read.report.records_read, read.report.records_skipped),
        (3, 0)
    );
    assert!(read.notes.iter().any(|n| n.contains("newest first")));
    assert!(read.notes.iter().any(|n| n.contains("America/Los_Angeles")));
}

#[test]
fn the_newer_export_reads_its_header_url_and_minutes() {
    let text = "Event, Monitor, Monitor URL, Date-Time, Reason, Duration (in mins.)\n\
Up,web-eu,https://app.example/,2024-03-01 10:30:00,OK,15\n\
Down,web-eu,https://app.example/,2024-03-01 10:00:00,Timeout,30\n";
    let read = csv(text, "UTC");
    let p = &read.probes[0];
    assert_eq!(
        (p.name.as_str(), p.target.as_deref()),
        ("web-eu", Some("https://app.example/"))
    );
    assert_eq!(p.intervals.len(), 2);
    assert_eq!(p.intervals[1].end, utc(2024, 3, 1, 10, 45, 0));
}

#[test]
fn unknown_words_are_counted_and_named_and_bad_rows_say_their_line() {
    let text = "\"Up\",\"a\",\"15-08-2011 10:00:00\",\"OK\",\"0 hrs, 5 mins\"\n\
\"Exploded\",\"a\",\"15-08-2011 09:00:00\",\"?\",\"1 hrs, 0 mins\"\n\
\"Down\",\"a\",\"not a date\",\"x\",\"\"\n\
\"Paused\",\"a\",\"15-08-2011 08:00:00\",\"\",\"1 hrs, 0 mins\"\n";
    let read = csv(text, "UTC");
    assert_eq!(read.tally.unknown, 1);
    assert!(
        read.notes.iter().any(|n| n.contains("\"Exploded\" ×1")),
        "{:?}",
        read.notes
    );
    assert_eq!(read.report.problems.len(), 1);
    assert!(read.report.problems[0].starts_with("line 3:"));
    // Read: Up and Paused; skipped: the unknown word and the damaged row.
    assert_eq!(
        (read.report.records_read, read.report.records_skipped),
        (2, 2)
    );
    let states: Vec<ProbeState> = read.probes[0].intervals.iter().map(|i| i.state).collect();
    assert_eq!(states, [ProbeState::Unknown, ProbeState::Up]);
}

#[test]
fn durations_in_words_and_minutes() {
    assert_eq!(
        parse_duration("13 hrs, 2 mins", false),
        Some(Duration::minutes(782))
    );
    assert_eq!(
        parse_duration("1 days, 0 hrs, 1 mins", false),
        Some(Duration::minutes(1441))
    );
    assert_eq!(
        parse_duration("45 secs", false),
        Some(Duration::seconds(45))
    );
    assert_eq!(parse_duration("90", true), Some(Duration::minutes(90)));
    assert_eq!(parse_duration("soon", false), None);
    assert_eq!(parse_duration("", false), None);
}

/// chrono holds durations up to i64::MAX milliseconds (about 9.22e15 s): a damaged cell beyond
/// that is no duration, and one within it that ends past the year 262143 leaves the end open.
#[test]
fn durations_too_long_for_a_time_are_told_not_panicked_on() {
    // 1.6e14 minutes is 9.6e15 s; 1e20 saturates; 1e14 days is 8.64e18 s.
    assert_eq!(parse_duration("160000000000000", true), None);
    assert_eq!(parse_duration("99999999999999999999", true), None);
    assert_eq!(parse_duration("100000000000000 days", false), None);
    // 1.5e14 minutes (9.0e15 s) is a duration, but no time lies that far ahead.
    assert_eq!(
        parse_duration("150000000000000", true),
        Some(Duration::seconds(9_000_000_000_000_000))
    );
    for minutes in ["150000000000000", "160000000000000", "99999999999999999999"] {
        let text = format!(
            "Event, Monitor, Monitor URL, Date-Time, Reason, Duration (in mins.)\n\
Down,web-eu,https://app.example/,2024-03-01 10:30:00,Timeout,{minutes}\n\
Up,web-eu,https://app.example/,2024-03-01 10:00:00,OK,30\n"
        );
        let read = csv(&text, "UTC");
        assert_eq!(read.report.records_read, 2, "{minutes}");
        let p = &read.probes[0];
        assert_eq!(p.intervals[0].end, utc(2024, 3, 1, 10, 30, 0), "{minutes}");
        let told = |what: &str| read.notes.iter().any(|n| n.contains(what));
        let representable = minutes == "150000000000000";
        assert_eq!(
            (told("past the last time there is"), told("cannot be read")),
            (representable, !representable),
            "{minutes}: {:?}",
            read.notes
        );
    }
    let json =
        br#"{"stat":"ok","monitors":[{"id":7,"friendly_name":"api","url":"https://api.example/",
      "logs":[{"type":1,"datetime":1313446683,"duration":9000000000000000}]}]}"#;
    let read = read_json_bytes(Path::new("api.json"), json).unwrap();
    assert!(read
        .notes
        .iter()
        .any(|n| n.contains("past the last time there is")));
}

/// Only the newest row's duration is used; when it is there but cannot be read (or is less than
/// nothing) the note names its line and monitor, and the end stays where the events put it.
#[test]
fn a_newest_duration_that_cannot_be_read_is_told_with_its_line() {
    for (cell, readable) in [
        ("1 hrs, 2 mins", true),
        ("", true),
        ("soon", false),
        ("-5 mins", false),
        ("3 fortnights", false),
    ] {
        let text = format!(
            "\"Up\",\"db\",\"15-08-2011 18:28:03\",\"OK\",\"{cell}\"\r\n\
\"Down\",\"db\",\"15-08-2011 16:58:03\",\"Timeout\",\"1 hrs, 30 mins\"\r\n"
        );
        let read = csv(&text, "UTC");
        let end = read.probes[0].intervals.last().unwrap().end;
        let told: Vec<&String> = read
            .notes
            .iter()
            .filter(|n| n.contains("cannot be read"))
            .collect();
        if readable {
            assert!(told.is_empty(), "{cell:?}: {told:?}");
        } else {
            assert_eq!(end, utc(2011, 8, 15, 18, 28, 3), "{cell:?}");
            assert_eq!(told.len(), 1, "{cell:?}: {:?}", read.notes);
            assert!(
                told[0].starts_with("line 1: the duration of db's newest event"),
                "{}",
                told[0]
            );
        }
        if cell.is_empty() {
            assert_eq!(end, utc(2011, 8, 15, 18, 28, 3));
        } else if readable {
            assert_eq!(end, utc(2011, 8, 15, 19, 30, 3));
        }
    }
    for (duration, told) in [
        ("600", false),
        ("null", false),
        ("\"10 min\"", true),
        ("-5", true),
    ] {
        let json = format!(
            r#"{{"stat":"ok","monitors":[{{"id":7,"friendly_name":"api",
          "logs":[{{"type":1,"datetime":1313446683,"duration":{duration}}}]}}]}}"#
        );
        let read = read_json_bytes(Path::new("api.json"), json.as_bytes()).unwrap();
        let notes: Vec<&String> = (read.notes.iter())
            .filter(|n| n.contains("cannot be read"))
            .collect();
        assert_eq!(notes.len(), usize::from(told), "{duration}: {notes:?}");
        if told {
            assert!(notes[0].starts_with("monitors[0].logs[0]: the duration of api's"));
        }
    }
}

#[test]
fn the_api_json_reads_types_and_epochs() {
    let text = br#"{"stat":"ok","monitors":[{"id":7,"friendly_name":"api","url":"https://api.example/",
      "logs":[{"type":2,"datetime":1313452083,"duration":600,"reason":{"code":"200","detail":"OK"}},
              {"type":1,"datetime":1313446683,"duration":5400,"reason":{"code":"0","detail":"Timeout"}},
              {"type":42,"datetime":1313440000,"duration":10}]}]}"#;
    let read = read_json_bytes(Path::new("api.json"), text).unwrap();
    let p = &read.probes[0];
    assert_eq!(p.target.as_deref(), Some("https://api.example/"));
    let down = p
        .intervals
        .iter()
        .find(|i| i.state == ProbeState::Down)
        .unwrap();
    assert_eq!(
        (down.start.timestamp(), down.end.timestamp()),
        (1313446683, 1313452083)
    );
    assert_eq!(p.intervals.last().unwrap().end.timestamp(), 1313452683);
    assert!(read.notes.iter().any(|n| n.contains("\"type 42\" ×1")));
}

#[test]
fn truncation_at_every_byte_never_panics() {
    for n in 0..DASHBOARD.len() {
        let _ = read_csv_bytes(Path::new("t.csv"), &DASHBOARD.as_bytes()[..n], Zone::UTC);
    }
    let json =
        br#"{"monitors":[{"friendly_name":"a","logs":[{"type":1,"datetime":10,"duration":5}]}]}"#;
    for n in 0..json.len() {
        if let Ok(read) = read_json_bytes(Path::new("t.json"), &json[..n]) {
            assert!(read.probes.len() <= 1);
        }
    }
    assert!(
        read_json_bytes(Path::new("t.json"), &json[..json.len() - 3])
            .unwrap_err()
            .to_string()
            .contains("ends early")
    );
}

#[test]
fn the_shared_vocabulary_error_fails_pending_is_unknown() {
    assert_eq!(event_state("Error"), Some(ProbeState::Down));
    assert_eq!(event_state("err"), Some(ProbeState::Down));
    assert_eq!(event_state("Pending"), Some(ProbeState::Unknown));
    assert_eq!(event_state("Maintenance"), Some(ProbeState::Maintenance));
    assert_eq!(event_state("Rebooted"), None);
}

#[test]
fn the_reused_line_reader_splits_every_line_as_a_new_reader_would() {
    let lines = [
        "\"Up\",\"My server\",\"15-08-2011 18:28:03\",\"OK\",\"1 hrs, 2 mins\"",
        "Down,plain,15-08-2011 16:58:03,,",
        "\"a \"\"quoted\"\" word\",\"open quote, never closed",
        "",
        "one",
        "\"x\",\"y\"\"",
    ];
    let mut reused = LineCells::new();
    for _ in 0..2 {
        for line in lines {
            let fresh: Vec<String> = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(line.as_bytes())
                .records()
                .next()
                .and_then(|r| r.ok())
                .map(|r| r.iter().map(str::to_string).collect())
                .unwrap_or_default();
            assert_eq!(reused.cells(line), fresh, "{line:?}");
        }
    }
}

#[test]
fn dashboard_times_read_by_position_are_chronos() {
    let shapes = [
        "15-08-2011 16:58:03",
        "29-02-2012 00:00:00",
        "29-02-2011 00:00:00",
        "31-12-1999 23:59:59",
        "15-08-2011 24:00:00",
        "15-08-2011 23:59:60",
        "1-08-2011 16:58:03",
        "15-08-2011 16:58",
        "2011-08-15 16:58:03",
        "15/08/2011 16:58:03",
        "15-08-2011T16:58:03",
        "+5-08-2011 16:58:03",
        "15-08-2011 16:58:0x",
        " 15-08-2011 01:02:03 ",
        "15-08-2011 16:58:03",
    ];
    let chrono = |s: &str| {
        ["%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%Y-%m-%d %H:%M:%S"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(s.trim(), f).ok())
    };
    // One column's cells in turn, the day of the one before remembered.
    let mut times = DashboardTimes::default();
    for s in shapes {
        assert_eq!(dashboard_time(s), chrono(s), "{s}");
        assert_eq!(times.read(s), chrono(s), "{s}");
        if let Some(t) = exact_dashboard_time(s) {
            assert_eq!(Some(t), chrono(s), "{s}");
        }
    }
}

/// A whole number of minutes or seconds, read without the float parse, is what the float gives.
#[test]
fn whole_durations_are_the_floats() {
    for s in [
        "0",
        "1",
        "59",
        "1772",
        " 42 ",
        "000123",
        "99999999999",
        "12.5",
        "1e3",
    ] {
        for minutes in [false, true] {
            let n: f64 = s.trim().parse().unwrap();
            let unit = if minutes { 60.0 } else { 1.0 };
            let want = Duration::seconds((n * unit).round() as i64);
            assert_eq!(parse_duration(s, minutes), Some(want), "{s}");
        }
    }
}

/// Cut into blocks of any size and parsed on several workers, an export reads as it reads
/// whole: the same series, intervals, counts, problems (with their line numbers) and notes,
/// across a repeated DST hour, damaged rows and an unknown word.
#[test]
fn blocks_on_workers_read_like_the_whole_csv() {
    let text = "Event, Monitor, Monitor URL, Date-Time, Reason, Duration (in mins.)\r\n\
\"Up\",\"web\",\"https://a/\",\"07-11-2021 01:40:00\",\"OK\",\"5\"\r\n\
\"Down\",\"web\",\"https://a/\",\"07-11-2021 01:20:00\",\"x\",\"20\"\r\n\
\"Paws\",\"db\",\"\",\"07-11-2021 01:50:00\",\"?\",\"\"\r\n\
\"Up\",\"\",\"https://a/\",\"07-11-2021 01:10:00\",\"OK\",\"1\"\r\n\
\"Up\",\"web\",\"https://b/\",\"someday\",\"OK\",\"1\"\r\n\n\
\"Down\",\"web\",\"https://a/\",\"07-11-2021 01:30:00\",\"x\",\"10\"\r\n\
\"Up\",\"db\",\"\",\"14-03-2021 02:30:00\",\"OK\",\"3\"\r\n\
\"Started\",\"web\",\"https://a/\",\"07-11-2021 00:30:00\",\"\",\"50\"\r\n";
    let zone = Zone::parse("America/Los_Angeles").unwrap();
    let read = |split| {
        let r = read_csv_split(Path::new("r.csv"), text.as_bytes(), zone, split).unwrap();
        format!("{:?}\n{:?}\n{:?}", r.probes, r.report, r.notes)
    };
    let once = Split::every_cut_reads_as_one_block(text.len(), read);
    assert!(once.contains("line 6: no Date-Time"), "{once}");
    assert!(
        once.contains("line 9: 2021-03-14 02:30:00 does not exist"),
        "{once}"
    );
}

/// A byte that is not UTF-8 in a later block (or in the header): at every cut the export reads
/// as its text decoded whole (std's lossy decoding, a U+FFFD for the byte) reads.
#[test]
fn a_byte_not_utf8_in_any_block_reads_as_the_decoded_text() {
    let text = "\u{feff}Event, Monitor, Monitor URL, Date-Time, Reason, Duration (in mins.)\n\
\"Up\",\"web\",\"https://a/\",\"07-11-2021 01:40:00\",\"OK\",\"5\"\n\
\"Down\",\"web\",\"https://a/\",\"07-11-2021 01:20:00\",\"x\",\"20\"\n\
\"Up\",\"caf\u{e9}\",\"\",\"07-11-2021 01:10:00\",\"OK\",\"1\"\n";
    let zone = Zone::parse("America/Los_Angeles").unwrap();
    let show = |r: ProbeStoreRead| format!("{:?}\n{:?}\n{:?}", r.probes, r.report, r.notes);
    let name = text.find("caf").unwrap() + 3;
    for at in [name, 5] {
        let mut bytes = text.as_bytes().to_vec();
        bytes[at] = 0xFF;
        let decoded = String::from_utf8_lossy(&bytes).into_owned();
        let want = read_csv_split(
            Path::new("r.csv"),
            decoded.as_bytes(),
            zone,
            Split::of_pool(),
        );
        let want = show(want.unwrap());
        let read = |split| show(read_csv_split(Path::new("r.csv"), &bytes, zone, split).unwrap());
        assert_eq!(Split::every_cut_reads_as_one_block(bytes.len(), read), want);
        // A broken header is no header: the rows are read as the headerless export's.
        let shows = if at == name {
            "caf\u{fffd}"
        } else {
            "headerless"
        };
        assert!(want.contains(shows), "{want}");
    }
}

/// Lines that quote plainly are split as the CSV reader splits them; the others are left to it.
#[test]
fn plain_lines_are_split_as_the_csv_reader_splits_them() {
    let lines = [
        "\"Up\",\"web\",\"15-08-2011 18:28:03\",\"OK (200)\",\"1\"",
        "Up,web,,\"\",x",
        "\"a\",",
        ",",
        "a",
        " \"a\" ,b",
        "\"a\"\"b\",c",
        "\"a\"b,c",
        "a\"b,c",
        "\"open,c",
        "a\rb,c",
        "\u{feff}\"a\",b",
        "\"a,b\",c",
    ];
    let mut quick = Vec::new();
    let mut reader = LineCells::new();
    for line in lines {
        let expected: Vec<String> = reader.cells(line);
        if plain_cells(line, &mut quick) {
            assert_eq!(quick, expected, "{line:?}");
        }
    }
    assert!(plain_cells(lines[0], &mut quick));
    assert!(!plain_cells(lines[6], &mut quick));
}

/// Monitors become series in the order a read in time order meets them (from the file's end
/// when it is newest first), at every cut; each one's newest event lasts its own duration.
#[test]
fn series_come_in_time_order_and_each_newest_event_lasts_its_duration() {
    let newest_first = "\"Up\",\"b\",\"15-08-2011 10:00:00\",\"OK\",\"0 hrs, 5 mins\"
\"Down\",\"a\",\"15-08-2011 09:00:00\",\"x\",\"1 hrs, 0 mins\"
\"Up\",\"c\",\"15-08-2011 08:00:00\",\"OK\",\"0 hrs, 1 mins\"
\"Down\",\"b\",\"15-08-2011 07:00:00\",\"x\",\"3 hrs, 0 mins\"
\"Up\",\"a\",\"15-08-2011 06:00:00\",\"OK\",\"3 hrs, 0 mins\"
";
    let oldest_first: String = newest_first
        .lines()
        .rev()
        .map(|l| format!("{l}\n"))
        .collect();
    // Oldest first: a (06:00), b (07:00), c (08:00); newest: a 09:00 + 1 h, b 10:00 + 5 min, c 08:00 + 1 min.
    let want = [
        ("a", utc(2011, 8, 15, 10, 0, 0)),
        ("b", utc(2011, 8, 15, 10, 5, 0)),
        ("c", utc(2011, 8, 15, 8, 1, 0)),
    ];
    for text in [newest_first.to_string(), oldest_first] {
        let read = |split| {
            let r = read_csv_split(Path::new("r.csv"), text.as_bytes(), Zone::UTC, split).unwrap();
            format!("{:?}", r.probes)
        };
        Split::every_cut_reads_as_one_block(text.len(), read);
        let r = csv(&text, "UTC");
        let got: Vec<(&str, DateTime<Utc>)> = (r.probes.iter())
            .map(|p| (p.name.as_str(), p.intervals.last().unwrap().end))
            .collect();
        assert_eq!(got, want, "{text}");
        assert_eq!(r.probes[0].intervals[0].start, utc(2011, 8, 15, 6, 0, 0));
    }
}
