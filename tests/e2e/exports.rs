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
