//! The readers of other evidence, end to end on the real samples in `../shared/samples/`: a
//! legacy `.evt`, an Uptime Kuma database and a Prometheus capture. The facts each test holds the
//! tool to were read with independent readers (libevt-python, Python's sqlite3 and json), named
//! with each test.
use crate::common;

use common::{arg, jsonl, run, run_ok};
use serde_json::Value;
use std::collections::BTreeSet;

fn sample(name: &str) -> Option<std::path::PathBuf> {
    common::shared("samples").map(|d| d.join(name))
}

/// `SysEvent.Evt` (Windows XP System log, from plaso). libevt-python 20260705
/// (`pyevt.file().open(p)`; `number_of_records`, `get_record(i).identifier/written_time`, and
/// `number_of_recovered_records`) gives 6063 live records numbered 1392 to 7454, the first written
/// 2011-07-27 06:41:47 UTC and the last 2012-04-07 04:58:01 UTC; of its recovered records, those
/// numbered 1135 to 1391 are not in the live log (257), the rest repeat live numbers.
#[test]
fn a_legacy_evt_reads_like_libevt() {
    let Some(path) = sample("SysEvent.Evt") else {
        return;
    };
    let r = run(["events", &arg(&path), "--format", "jsonl"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let events = jsonl(&r.stdout);
    let ids: Vec<u64> = events
        .iter()
        .filter_map(|e| e["record_id"].as_u64())
        .collect();
    assert_eq!(ids.len(), events.len(), "every .evt record has its number");
    let unique: BTreeSet<u64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "no record twice");
    let live = unique.range(1392..=7454).count();
    let recovered = unique.range(1135..=1391).count();
    assert_eq!((live, recovered, unique.len()), (6063, 257, 6320));
    let time_of = |id: u64| {
        events
            .iter()
            .find(|e| e["record_id"] == id)
            .map(|e| e["time"].as_str().unwrap_or_default().to_string())
    };
    assert_eq!(time_of(1392).as_deref(), Some("2011-07-27T06:41:47Z"));
    assert_eq!(time_of(7454).as_deref(), Some("2012-04-07T04:58:01Z"));
    assert!(
        r.stderr.contains("257 records recovered from slack space"),
        "{}",
        r.stderr
    );
    // The file does not say which log it is: never invented.
    assert!(events.iter().all(|e| e["channel"] == ""));
}

/// `demo_kuma.db` (Uptime Kuma's demo database). Python's sqlite3: `SELECT m.name, h.status,
/// h.time, h.ping FROM heartbeat h JOIN monitor m ON m.id = h.monitor_id ORDER BY h.time` gives
/// three rows of "My Website", all status 1: 2021-09-02 14:26:37 (301 ms), 14:26:52 (141 ms),
/// 14:27:12 (425 ms).
#[test]
fn an_uptime_kuma_database_is_read_in_place() {
    let Some(path) = sample("demo_kuma.db") else {
        return;
    };
    let before = std::fs::read(&path).expect("read");
    let out = run_ok(["probes", &arg(&path), "--format", "json"]);
    let v: Value = serde_json::from_str(&out).expect("json");
    let probe = &v["probes"][0];
    assert_eq!(probe["name"], "My Website");
    assert_eq!(probe["checks"], 3);
    assert_eq!(probe["failures"], 0);
    assert_eq!(probe["first_check"], "2021-09-02T14:26:37Z");
    assert_eq!(probe["last_check"], "2021-09-02T14:27:12Z");
    assert_eq!(v["inputs"][0]["kind"], "kuma_db");
    assert_eq!(
        std::fs::read(&path).expect("read"),
        before,
        "opened read-only"
    );
}

/// `prometheus-up-range.json` (a bare `result` list of `up`). Python's json: 9 series, 6838
/// values, 379 of them "0"; every value is "0" or "1".
#[test]
fn a_prometheus_capture_gives_one_probe_per_series() {
    let Some(path) = sample("prometheus-up-range.json") else {
        return;
    };
    let out = run_ok(["probes", &arg(&path), "--format", "json"]);
    let v: Value = serde_json::from_str(&out).expect("json");
    let probes = v["probes"].as_array().expect("probes");
    assert_eq!(probes.len(), 9);
    let checks: u64 = probes.iter().filter_map(|p| p["checks"].as_u64()).sum();
    let failures: u64 = probes.iter().filter_map(|p| p["failures"].as_u64()).sum();
    assert_eq!((checks, failures), (6838, 379));
    assert_eq!(v["inputs"][0]["records_skipped"], 0);
}

/// A folder holding every kind of evidence: the report reads each by its content, and the
/// `.evt`'s events reach the report's inputs.
#[test]
fn the_report_reads_the_other_formats_by_content() {
    let Some(dir) = common::shared("samples") else {
        return;
    };
    let r = run(["report", &arg(&dir), "--format", "json", "-q"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).expect("json");
    let kinds: BTreeSet<&str> = v["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .filter_map(|i| i["kind"].as_str())
        .collect();
    for kind in ["evt", "kuma_db", "prometheus_json"] {
        assert!(kinds.contains(kind), "{kind} not read: {kinds:?}");
    }
}

/// The scenario's probe and metric CSVs, beside which each export stands in for the EVTX logs.
fn scenario_csvs() -> Vec<String> {
    [
        "probes_remote.csv",
        "local-sipsvr01.csv",
        "perfmon_SIPSVR01.csv",
        "sip_traffic.csv",
    ]
    .iter()
    .map(|f| arg(&common::aug15(f)))
    .collect()
}

fn exports_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/aug15-exports")
}

/// Per window: kind, start, recovery, and each event finding (provider, id, count, first, last).
type Story = Vec<(
    Value,
    Value,
    Value,
    BTreeSet<(String, u64, u64, String, String)>,
)>;

fn story_and_summary(logs: &[String]) -> (Story, String) {
    let mut args = vec!["report".to_string()];
    args.extend(scenario_csvs());
    args.extend(logs.iter().cloned());
    args.extend(["--input-tz", "America/Los_Angeles", "-q"].map(String::from));
    let mut json_args = args.clone();
    json_args.extend(["--format", "json"].map(String::from));
    let v: Value = serde_json::from_str(&run_ok(&json_args)).expect("json");
    let story = v["outages"]
        .as_array()
        .expect("outages")
        .iter()
        .map(|o| {
            let events = o["events"]
                .as_array()
                .expect("events")
                .iter()
                .map(|e| {
                    let text = |k: &str| e[k].as_str().unwrap_or_default().to_string();
                    let num = |k: &str| e[k].as_u64().unwrap_or_default();
                    (
                        text("provider"),
                        num("event_id"),
                        num("count"),
                        text("first"),
                        text("last"),
                    )
                })
                .collect();
            (
                o["kind"].clone(),
                o["start"].clone(),
                o["recovered_at"].clone(),
                events,
            )
        })
        .collect();
    let md = run_ok(&args);
    let summary = md
        .split("## Summary")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .unwrap_or_default()
        .trim()
        .to_string();
    (story, summary)
}

/// Every export of the scenario's logs tells the story the EVTX files tell: the same windows, the
/// same event findings (ids, counts, first and last to the second) and the same summary.
#[test]
fn every_export_format_tells_the_same_story_as_evtx() {
    let evtx = ["System.evtx", "Application.evtx"].map(|f| arg(&common::aug15(f)));
    let (want, want_summary) = story_and_summary(&evtx);
    assert!(want.len() >= 4 && want.iter().any(|w| !w.3.is_empty()));
    for suffix in faultline::synth::exports::suffixes() {
        let logs = ["System", "Application"]
            .map(|log| arg(&exports_dir().join(format!("{log}.{suffix}"))));
        let (got, summary) = story_and_summary(&logs);
        assert_eq!(got, want, "{suffix}");
        assert_eq!(summary, want_summary, "{suffix}");
    }
}

/// `faultline synth --exports` writes the committed export fixtures, byte for byte.
#[test]
fn synth_writes_the_committed_exports() {
    let dir = tempfile::tempdir().expect("tempdir");
    run_ok(["synth", "--exports", &arg(dir.path())]);
    let mut written = 0;
    for entry in std::fs::read_dir(dir.path()).expect("dir") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("name").to_owned();
        let committed = std::fs::read(exports_dir().join(&name)).unwrap_or_default();
        assert!(
            std::fs::read(&path).expect("read") == committed,
            "{name:?} differs from fixtures/aug15-exports: run `cargo run -- synth --exports fixtures/aug15-exports`"
        );
        written += 1;
    }
    assert_eq!(written, 2 * faultline::synth::exports::suffixes().len());
}

/// An Event Viewer CSV as "Save All Events As..." writes it (UTF-8 BOM, CRLF, newest first, five
/// header names and six fields a row), every date ambiguous (05/07 and 04/07).
const EVENT_VIEWER_CSV: &str = "\u{feff}Level,Date and Time,Source,Event ID,Task Category\r\n\
Error,05/07/2024 14:53:21,EventLog,6008,None,\"The previous system shutdown at 14:10:02 on 05/07/2024 was unexpected.\"\r\n\
Information,04/07/2024 09:00:00,EventLog,6005,None,\"The Event log service was started.\"\r\n";

/// Per-input settings: the zone, the day-month order, the log and the host of an export that
/// does not say them, each for the files a glob names; the ambiguous dates are said.
#[test]
fn per_input_zone_date_order_log_and_host() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("web01-system.csv");
    std::fs::write(&path, EVENT_VIEWER_CSV).expect("write");
    let p = arg(&path);
    // Nothing said: UTC, and the ambiguity named on stderr.
    let plain = run(["events", &p, "--format", "jsonl"]);
    assert_eq!(plain.code, Some(0), "{}", plain.stderr);
    assert!(plain.stderr.contains("ambiguous"), "{}", plain.stderr);
    let events = jsonl(&plain.stdout);
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["channel"], "");
    assert_eq!(events[0]["computer"], "");
    // Day first, Berlin (UTC+2 in July), log and host named for this file only.
    let r = run([
        "events",
        &p,
        "--format",
        "jsonl",
        "--input-tz",
        "UTC",
        "--input-tz",
        "web01-*.csv=Europe/Berlin",
        "--date-order",
        "web01-*=dmy",
        "--log-name",
        "web01-*=System",
        "--host",
        "web01-*=WEB01",
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let events = jsonl(&r.stdout);
    assert_eq!(events[0]["time"], "2024-07-04T07:00:00Z");
    assert_eq!(events[1]["time"], "2024-07-05T12:53:21Z");
    assert_eq!(events[1]["event_id"], 6008);
    assert_eq!(events[1]["channel"], "System");
    assert_eq!(events[1]["computer"], "WEB01");
    assert!(events[1]["message"]
        .as_str()
        .is_some_and(|m| m.contains("unexpected")));
    // Month first: 7 April and 7 May.
    let mdy = run(["events", &p, "--format", "jsonl", "--date-order", "mdy"]);
    let events = jsonl(&mdy.stdout);
    assert_eq!(events[0]["time"], "2024-04-07T09:00:00Z");
    assert_eq!(events[1]["time"], "2024-05-07T14:53:21Z");
}

/// Record numbers count per log: the System and Application logs of one computer both start
/// at one. Read beside the EVTX files, evtx_dump's JSON Lines of the same two logs (426 and 54
/// lines, one record a line: `wc -l`) are copies, every one, and each event is listed once.
#[test]
fn copies_of_two_logs_with_the_same_record_numbers_merge_per_log() {
    let dumps =
        ["System.evtx_dump.jsonl", "Application.evtx_dump.jsonl"].map(|f| exports_dir().join(f));
    let records: usize = dumps
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap().lines().count())
        .sum();
    let mut args: Vec<String> = vec!["events".into()];
    args.extend(dumps.iter().map(|p| arg(p)));
    args.push(arg(&common::aug15("System.evtx")));
    args.push(arg(&common::aug15("Application.evtx")));
    args.extend(["--format", "jsonl"].map(String::from));
    let r = run(&args);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(jsonl(&r.stdout).len(), records);
    let merged = format!("{records} events were in more than one input");
    assert!(r.stderr.contains(&merged), "{}", r.stderr);
}

/// `--target` keeps the probes of one server out of a capture of many. Python's json over
/// `prometheus-up-range.json`: the series of instance
/// `prometheus-anomaly-detector-prophet-1.cloud.paas.psi.redhat.com:80` has 360 values, 19 of
/// them "0"; the capture has 9 series. A `--target` no probe matches is an error naming them.
#[test]
fn target_keeps_one_servers_probes_and_says_what_it_left_out() {
    let Some(path) = sample("prometheus-up-range.json") else {
        return;
    };
    let out = run_ok([
        "probes",
        &arg(&path),
        "--target",
        "PROPHET-1",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_str(&out).expect("json");
    let probes = v["probes"].as_array().expect("probes");
    assert_eq!(probes.len(), 1, "{probes:?}");
    assert_eq!(
        (probes[0]["checks"].as_u64(), probes[0]["failures"].as_u64()),
        (Some(360), Some(19))
    );
    let notes = v["notes"].to_string();
    assert!(
        notes.contains("--target prophet-1: 1 of 9 probes kept; left out: "),
        "{notes}"
    );

    let r = run(["report", &arg(&path), "--target", "no-such-server", "-q"]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("no probe's target, name or host contains no-such-server (the probes: "),
        "{}",
        r.stderr
    );
}

/// The samples folder holds the XP log of WKS-WINXP32BIT and probes of 10 other machines (Python:
/// the Prometheus capture's 9 instance hosts, sqlite3: the Kuma monitor's `https://louislam.net`).
/// A window of one of them is told by its target, not as WKS-WINXP32BIT becoming unreachable, and
/// the data quality says why, with the way to keep one server's probes.
#[test]
fn windows_of_other_machines_are_told_by_their_target() {
    let Some(dir) = common::shared("samples") else {
        return;
    };
    let md = run_ok(["report", &arg(&dir), "-q"]);
    let summary = md
        .lines()
        .find(|l| l.contains("became unreachable"))
        .expect("summary");
    assert!(
        summary.starts_with("**prometheus-anomaly-detector-prophet-0.cloud.paas.psi.redhat.com:80 became unreachable"),
        "{summary}"
    );
    assert!(
        md.contains("The probes check 10 machines; 10 of them ("),
        "{md}"
    );
    assert!(md.contains("--target TEXT keeps only the probes"));
}
