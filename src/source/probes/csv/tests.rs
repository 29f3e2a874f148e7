//! Unit tests of the probe CSV reader: time shapes, status vocabularies, layouts, damage.
use super::*;
use crate::model::Check;
use chrono::{DateTime, Utc};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn write(dir: &tempfile::TempDir, name: &str, body: &[u8]) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, body).unwrap();
    p
}

fn read(body: &str, opts: &ProbeReadOptions) -> ProbeFile {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "probe.csv", body.as_bytes());
    read_probe_csv(&p, opts).unwrap()
}

fn la() -> ProbeReadOptions {
    ProbeReadOptions {
        input_tz: Zone::parse("America/Los_Angeles").unwrap(),
        ..Default::default()
    }
}

#[test]
fn every_time_shape_reads_to_the_same_instant() {
    // 15 Aug 2011 17:00 in Los Angeles (PDT, UTC-7) is 16 Aug 00:00 UTC.
    let want = utc("2011-08-16T00:00:00Z");
    for shape in [
        "2011-08-16T00:00:00Z",
        "2011-08-15T17:00:00-07:00",
        "2011-08-16T00:00:00.000+00:00",
        "2011-08-15T17:00:00",
        "2011-08-15 17:00:00",
        "2011-08-15 17:00:00.000",
        "2011-08-15 17:00",
        "08/15/2011 17:00:00",
        "08/15/2011 05:00:00 PM",
        "8/15/2011 5:00 PM",
        "1313452800",
        "1313452800000",
    ] {
        let file = read(&format!("time,status\n\"{shape}\",up\n"), &la());
        assert_eq!(file.report.records_skipped, 0, "{shape}");
        assert_eq!(file.probes[0].checks[0].time, want, "{shape}");
    }
}

#[test]
fn zone_less_times_are_said_to_be_read_in_the_input_zone() {
    let file = read("time,status\n2011-08-15 17:00:00,up\n", &la());
    assert_eq!(file.assumed_zone.as_deref(), Some("America/Los_Angeles"));
    assert!(file
        .detection
        .iter()
        .any(|l| l.contains("read in America/Los_Angeles")));
    let zoned = read("time,status\n2011-08-15T17:00:00-07:00,up\n", &la());
    assert_eq!(zoned.assumed_zone, None);
}

#[test]
fn each_status_vocabulary_decides_the_check() {
    for (good, bad) in [
        ("1", "0"),
        ("true", "false"),
        ("up", "down"),
        ("ok", "fail"),
        ("pass", "fail"),
        ("success", "timeout"),
        ("success", "error"),
        ("200", "503"),
        ("301", "404"),
    ] {
        let body =
            format!("timestamp,status\n2011-08-15T10:00:00Z,{good}\n2011-08-15T10:01:00Z,{bad}\n");
        let file = read(&body, &ProbeReadOptions::default());
        let oks: Vec<bool> = file.probes[0].checks.iter().map(|c| c.ok()).collect();
        assert_eq!(oks, [true, false], "{good}/{bad}");
    }
}

#[test]
fn latency_only_file_fails_checks_without_answer_or_at_the_timeout() {
    let body = "checked_at,latency_s\n\
        2011-08-15T16:55:00-07:00,0.008\n\
        2011-08-15T16:56:00-07:00,\n\
        2011-08-15T16:57:00-07:00,15.0\n\
        2011-08-15T16:58:00-07:00,14.9\n";
    let file = read(body, &ProbeReadOptions::default());
    let p = &file.probes[0];
    assert_eq!(p.name, "probe", "named after the file stem");
    let oks: Vec<bool> = p.checks.iter().map(|c| c.ok()).collect();
    assert_eq!(oks, [true, false, false, true]);
    assert_eq!(p.checks[0].latency_ms(), Some(8.0));
    assert_eq!(p.checks[0].time, utc("2011-08-15T23:55:00Z"));
}

#[test]
fn latency_unit_comes_from_the_name_or_is_guessed_and_said() {
    let named = read(
        "time,status,Response Time (ms)\n2011-08-15 10:00,up,42\n",
        &ProbeReadOptions::default(),
    );
    assert_eq!(named.probes[0].checks[0].latency_ms(), Some(42.0));
    let guessed = read(
        "time,rtt\n2011-08-15 10:00,0.25\n2011-08-15 10:01,0.5\n",
        &ProbeReadOptions::default(),
    );
    assert_eq!(guessed.probes[0].checks[0].latency_ms(), Some(250.0));
    assert!(guessed.detection.iter().any(|l| l.contains("guessed s")));
}

#[test]
fn multi_probe_file_splits_by_probe_column() {
    let body = "Time,Location,Result\n\
        2011-08-15 10:00,us-west,up\n\
        2011-08-15 10:00,eu,down\n\
        2011-08-15 10:01,us-west,up\n";
    let file = read(body, &ProbeReadOptions::default());
    let names: Vec<&str> = file.probes.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["us-west", "eu"]);
    assert_eq!(file.probes[0].checks.len(), 2);
}

#[test]
fn headerless_home_grown_export_is_read_by_content() {
    let body = "2011-08-15 10:00:00,http://sip.example/,True,0.31\n\
        2011-08-15 10:01:00,http://sip.example/,False,None\n";
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "home.csv", body.as_bytes());
    let first = first_record(body);
    assert!(header_looks_like_probes(&first));
    let file = read_probe_csv(&p, &ProbeReadOptions::default()).unwrap();
    assert_eq!(file.report.records_read, 2);
    let p = &file.probes[0];
    assert_eq!(p.name, "http://sip.example/");
    assert_eq!(
        p.checks.iter().map(|c| c.ok()).collect::<Vec<_>>(),
        [true, false]
    );
    assert_eq!(p.checks[0].latency_ms(), Some(310.0));
}

#[test]
fn bom_crlf_blank_lines_duplicates_and_disorder() {
    let body = "\u{feff}timestamp,status\r\n\
        2011-08-15T10:02:00Z,up\r\n\
        \r\n\
        2011-08-15T10:00:00Z,down\r\n\
        2011-08-15T10:01:00Z,up\r\n\
        2011-08-15T10:01:00Z,up\r\n";
    let file = read(body, &ProbeReadOptions::default());
    // The repeated 10:01 row is read but not used: skipped, and counted as such.
    assert_eq!(file.report.records_skipped, 1);
    assert_eq!(file.report.records_read, 3);
    let times: Vec<String> = file.probes[0]
        .checks
        .iter()
        .map(|c| crate::model::rfc3339(&c.time))
        .collect();
    assert_eq!(
        times,
        [
            "2011-08-15T10:00:00Z",
            "2011-08-15T10:01:00Z",
            "2011-08-15T10:02:00Z"
        ]
    );
    let rows = file.detection.last().unwrap();
    assert!(
        rows.contains("1 duplicate") && rows.contains("not in time order"),
        "{rows}"
    );
}

#[test]
fn utf16_export_is_read() {
    let text = "time,status\r\n2011-08-15 10:00,up\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "u16.csv", &bytes);
    let file = read_probe_csv(&p, &ProbeReadOptions::default()).unwrap();
    assert_eq!(file.report.records_read, 1);
}

#[test]
fn damaged_rows_are_skipped_with_their_line_numbers() {
    let body = "time,probe,status\n\
        2011-08-15 10:00,a,up\n\
        yesterday,a,up\n\
        2011-08-15 10:01,a\n\
        \"2011-08-15 10:02\",\"a\",\"maybe\nnot\"\n\
        2011-08-15 10:03,a,pending\n\
        2011-08-15 10:04,,up\n\
        2011-08-15 10:05,a,down,extra\n";
    let file = read(body, &ProbeReadOptions::default());
    assert_eq!(file.report.records_read, 2);
    // `pending` is no damage: neither up nor down, not a check, said in the notes.
    assert_eq!(file.report.records_skipped, 4);
    let p = &file.report.problems;
    assert_eq!(p[0], "line 3: cannot read time \"yesterday\"");
    assert_eq!(p[1], "line 4: no status");
    assert!(p[2].starts_with("line 5: status"), "{}", p[2]);
    assert_eq!(p[3], "line 8: no probe name");
    assert!(
        file.notes
            .iter()
            .any(|n| n == "1 rows say neither up nor down (\"pending\" ×1): unknown, not checks"),
        "{:?}",
        file.notes
    );
}

/// Maintenance rows are planned downtime (an interval from the first to the next check), never
/// failures; paused and pending are neither; all counted in the notes.
#[test]
fn maintenance_rows_are_planned_and_paused_is_neither() {
    let body = "time,status\n\
        2011-08-15T10:00:00Z,up\n\
        2011-08-15T10:01:00Z,maintenance\n\
        2011-08-15T10:02:00Z,Maintenance\n\
        2011-08-15T10:03:00Z,up\n\
        2011-08-15T10:04:00Z,paused\n\
        2011-08-15T10:05:00Z,pending\n\
        2011-08-15T10:06:00Z,down\n";
    let file = read(body, &ProbeReadOptions::default());
    let p = &file.probes[0];
    let oks: Vec<bool> = p.checks.iter().map(|c| c.ok()).collect();
    assert_eq!(oks, [true, true, false]);
    let ivs: Vec<_> = p
        .intervals
        .iter()
        .map(|iv| (iv.start, iv.end, iv.state))
        .collect();
    assert_eq!(
        ivs,
        [(
            utc("2011-08-15T10:01:00Z"),
            utc("2011-08-15T10:03:00Z"),
            crate::model::ProbeState::Maintenance
        )]
    );
    assert_eq!(
        (file.report.records_read, file.report.records_skipped),
        (5, 0)
    );
    let notes = file.notes.join("\n");
    assert!(notes.contains("2 rows say maintenance"), "{notes}");
    assert!(
        notes.contains("2 rows say neither up nor down (\"paused\" ×1, \"pending\" ×1)"),
        "{notes}"
    );
    assert!(
        notes.contains("from 2011-08-15 10:01:00 UTC to 2011-08-15 10:03:00 UTC (the first check after it) (2 rows)"),
        "{notes}"
    );
}

#[test]
fn columns_override_the_detection_and_name_missing_ones() {
    let body = "a,b,c\n2011-08-15 10:00,x,1\n";
    let opts = ProbeReadOptions {
        columns: Some("time=a,probe=b,status=C".into()),
        ..Default::default()
    };
    let file = read(body, &opts);
    assert_eq!(file.probes[0].name, "x");
    assert!(file.probes[0].checks[0].ok());
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "p.csv", body.as_bytes());
    let bad = ProbeReadOptions {
        columns: Some("time=zzz".into()),
        ..Default::default()
    };
    let err = read_probe_csv(&p, &bad).unwrap_err().to_string();
    assert!(err.contains("zzz") && err.contains("a, b, c"), "{err}");
}

#[test]
fn a_file_without_time_or_outcome_is_unusable_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "x.csv", b"host,status\nsip,up\n");
    let err = read_probe_csv(&p, &ProbeReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("no time column"), "{err}");
    let q = write(&dir, "y.csv", b"time,host\n2011-08-15 10:00,sip\n");
    let err = read_probe_csv(&q, &ProbeReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("no status or latency"), "{err}");
}

#[test]
fn probe_headers_are_recognized() {
    let h = |cols: &[&str]| cols.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(header_looks_like_probes(&h(&[
        "timestamp",
        "monitor",
        "status",
        "response_time_ms"
    ])));
    assert!(header_looks_like_probes(&h(&["checked_at", "latency_s"])));
    assert!(header_looks_like_probes(&h(&["time", "probe_success"])));
    assert!(!header_looks_like_probes(&h(&[
        "time",
        "Available MBytes",
        "Handle Count"
    ])));
}

#[test]
fn series_of_one_probe_merge_across_files() {
    let check = |s: &str, ok| Check::new(utc(s), ok, None);
    let a = ProbeSeries {
        target: None,
        vantage: None,
        host: None,
        name: "p".into(),
        intervals: Vec::new(),
        checks: vec![check("2011-08-15T10:01:00Z", true)],
        source_file: Arc::from("a.csv"),
    };
    let b = ProbeSeries {
        checks: vec![
            check("2011-08-15T10:00:00Z", false),
            check("2011-08-15T10:01:00Z", true),
        ],
        source_file: Arc::from("b.csv"),
        ..a.clone()
    };
    let report = |path: &str| InputReport {
        path: path.into(),
        records_read: 2,
        ..Default::default()
    };
    let mut reports = vec![report("a.csv"), report("b.csv")];
    let merged = merge_probes(vec![a, b], &mut reports);
    assert_eq!(merged.len(), 1);
    assert_eq!(merged[0].checks.len(), 2);
    // b's 10:01 check is a's: counted once, and the count says so in b's report.
    assert_eq!(
        (reports[0].records_read, reports[0].records_skipped),
        (2, 0)
    );
    assert_eq!(
        (reports[1].records_read, reports[1].records_skipped),
        (1, 1)
    );
    assert!(
        reports[1].problems[0].contains("also in a.csv"),
        "{:?}",
        reports[1].problems
    );
    assert!(!merged[0].checks[0].ok());
    assert_eq!(&*merged[0].source_file, "a.csv, b.csv");
}

#[test]
fn record_lines_follow_quoted_newlines() {
    let bytes = b"h\n1\n\"a\nb\"\n3\n";
    assert_eq!(
        record_lines(bytes, &[1, 2, 3, 9]),
        [Some(2), Some(3), Some(5), None]
    );
}

#[test]
fn a_header_only_export_is_empty_not_broken() {
    let file = read("timestamp,monitor,status\n", &ProbeReadOptions::default());
    assert!(file.probes.is_empty());
    assert_eq!(
        (file.report.records_read, file.report.records_skipped),
        (0, 0)
    );
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "empty.csv", b"");
    let err = read_probe_csv(&p, &ProbeReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("empty file"), "{err}");
}

/// Streamed in blocks of any size, a file reads exactly as it does whole: the same checks, counts
/// and problem lines (line numbers included), across CRLF ends, quoted line breaks and bad rows.
/// Without quotes, every block after the first is cut into cells by `plain.rs` rather than
/// polars: the same again, with blank lines, short and long rows, and cells of spaces.
#[test]
fn streamed_blocks_read_like_the_whole_file() {
    for quotes in [true, false] {
        let mut body = String::from("timestamp,monitor,status,note\r\n");
        for i in 0..40 {
            let status = match i % 7 {
                0 => "down",
                3 => "sideways",
                _ => "up",
            };
            let note = match i % 5 {
                0 if quotes => "\"two\r\nlines\"",
                0 => "x,extra,cells",
                1 => " ",
                _ => "x",
            };
            body.push_str(&format!(
                "2011-08-15T16:{:02}:00Z,{},{status},{note}\r\n",
                i,
                ["us-west", "eu-central"][i % 2]
            ));
            match i {
                17 => body.push_str("not a time,us-west,up,x\r\n\r\n"),
                23 => body.push_str("2011-08-15T17:00:00Z,us-west\r\n  \r\n,,,\r\n"),
                29 => body.push_str("2011-08-15T17:01:00Z, ,up\r\n,,,left\r\n"),
                _ => {}
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "probe.csv", body.as_bytes());
        let opts = ProbeReadOptions::default();
        let whole = read_whole(&path, &opts, false, false).unwrap();
        assert!(whole.report.records_skipped >= 6, "{:?}", whole.report);
        // Counted by hand: the header, 18 rows (0..=17), then the bad time; with quotes, the
        // rows 0, 5, 10 and 15 take two lines each.
        let bad_time = if quotes { 24 } else { 20 };
        assert!(
            whole
                .report
                .problems
                .iter()
                .any(|p| p.starts_with(&format!("line {bad_time}: cannot read time"))),
            "{:?}",
            whole.report.problems
        );
        for block_bytes in [1, 7, 64, 300, 1 << 20] {
            let Streamed::Read(streamed) =
                read_streaming_in(&path, &opts, false, block_bytes).unwrap()
            else {
                panic!("block size {block_bytes}: not streamed");
            };
            assert_eq!(streamed.probes, whole.probes, "block size {block_bytes}");
            assert_eq!(streamed.report, whole.report, "block size {block_bytes}");
        }
    }
}

#[test]
fn files_needing_repairs_are_read_whole_and_say_why() {
    let file = read(
        "timestamp,status\r2011-08-15T16:50:00Z,up\r",
        &ProbeReadOptions::default(),
    );
    assert_eq!(file.probes[0].checks.len(), 1);
    assert!(
        file.detection
            .iter()
            .any(|l| l.contains("read whole rather than streamed: lines end in a lone CR")),
        "{:?}",
        file.detection
    );
}

/// A status word outside the vocabulary skips its row, and every such word is counted by word
/// in the notes: none is dropped unsaid.
#[test]
fn unknown_status_words_are_counted_by_word() {
    let body = "time,probe,status\n\
        2011-08-15T10:00:00Z,a,up\n\
        2011-08-15T10:01:00Z,a,degraded\n\
        2011-08-15T10:02:00Z,a,up\n\
        2011-08-15T10:03:00Z,a,Degraded\n\
        2011-08-15T10:04:00Z,a,flapping\n\
        2011-08-15T10:05:00Z,a,down\n\
        2011-08-15T10:06:00Z,a,up\n\
        2011-08-15T10:07:00Z,a,degraded\n";
    let file = read(body, &ProbeReadOptions::default());
    assert_eq!(
        (file.report.records_read, file.report.records_skipped),
        (4, 4)
    );
    assert_eq!(
        file.report.problems[0],
        "line 3: status \"degraded\" is neither up nor down"
    );
    let notes = file.notes.join("\n");
    assert!(
        notes.contains(
            "4 rows skipped for a status word that is not known \
             (\"degraded\" ×2, \"Degraded\" ×1, \"flapping\" ×1): not checks"
        ),
        "{notes}"
    );
}

/// One monitor exported twice under two names (a Kuma database and its CSV): the checks are the
/// same to the latency, so the copy is counted once; two targets that were only up and down
/// together (no latencies to tell them apart) are not merged.
#[test]
fn a_series_exported_twice_under_two_names_is_counted_once() {
    let timed = |t: &str, ok: bool, ms: f32| Check::new(utc(t), ok, Some(ms));
    let series = |name: &str, file: &str, checks: Vec<Check>| ProbeSeries {
        target: None,
        vantage: None,
        host: None,
        name: name.into(),
        intervals: Vec::new(),
        checks,
        source_file: Arc::from(file),
    };
    let checks = vec![
        timed("2011-08-15T10:00:00Z", true, 21.0),
        timed("2011-08-15T10:01:00Z", false, 15000.0),
        timed("2011-08-15T10:02:00Z", true, 23.0),
    ];
    let mut other_latency = checks.clone();
    other_latency[2] = timed("2011-08-15T10:02:00Z", true, 24.0);
    let untimed: Vec<Check> = checks
        .iter()
        .map(|c| Check::new(c.time, c.ok(), None))
        .collect();
    let report = |path: &str, kind| InputReport {
        path: path.into(),
        kind,
        records_read: 3,
        ..Default::default()
    };
    let kuma = crate::model::InputKind::ProbeStore(crate::model::StoreKind::KumaDb);
    let csv = crate::model::InputKind::ProbeCsv;
    let mut reports = vec![report("kuma.db", kuma), report("checks.csv", csv)];
    // The CSV's copy comes first: the database's series, which names the monitor, is kept.
    let merged = merge_probes(
        vec![
            series("https://sip/", "checks.csv", checks.clone()),
            series("SIP", "kuma.db", checks),
            series("Web", "kuma.db", untimed.clone()),
            series("https://web/", "checks.csv", untimed),
            series("https://other/", "checks.csv", other_latency),
        ],
        &mut reports,
    );
    let names: Vec<&str> = merged.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["SIP", "Web", "https://web/", "https://other/"]);
    assert_eq!((reports[0].copies_merged, reports[1].copies_merged), (0, 3));
    assert!(
        reports[1].problems[0]
            .starts_with("the 3 checks of https://sip/ are those of SIP in kuma.db"),
        "{:?}",
        reports[1].problems
    );
}
