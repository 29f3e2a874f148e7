//! End-to-end tests of `faultline timeline --format timesketch|timesketch-jsonl`, held to
//! Timesketch's import documentation ("Create timeline from JSON/JSONL/CSV file"): the mandatory
//! `message`, `datetime` (ISO 8601 with its offset) and `timestamp_desc` in every row, any other
//! columns as extra fields, and `timestamp` in microseconds as in its examples.
use crate::common;

use common::{aug15, jsonl, run_ok};
use faultline::model::rfc3339;
use faultline::synth::story;
use serde_json::Value;

/// The aug15 timeline in both formats, as one list of objects each (CSV cells as strings).
fn both_formats(extra: &[&str]) -> (Vec<Value>, Vec<Value>) {
    let dir = aug15("").display().to_string();
    let mut args = vec!["timeline", dir.as_str(), "-q", "--format"];
    let csv_out = run_ok([&args[..], &["timesketch"], extra].concat());
    let mut reader = csv::Reader::from_reader(csv_out.as_bytes());
    let headers = reader.headers().expect("a header line").clone();
    let csv_rows: Vec<Value> = reader
        .records()
        .map(|r| {
            let r = r.expect("a CSV row");
            Value::Object(
                headers
                    .iter()
                    .zip(r.iter())
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
                    .collect(),
            )
        })
        .collect();
    args.push("timesketch-jsonl");
    let json_rows = jsonl(&run_ok([&args[..], extra].concat()));
    (csv_rows, json_rows)
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[test]
fn every_row_has_the_mandatory_fields_and_a_zoned_iso_time() {
    let (csv_rows, json_rows) = both_formats(&["--tz", "America/Los_Angeles"]);
    assert!(!csv_rows.is_empty());
    assert_eq!(csv_rows.len(), json_rows.len());
    for (c, j) in csv_rows.iter().zip(&json_rows) {
        for field in ["message", "datetime", "timestamp_desc"] {
            assert!(!text(&j[field]).is_empty(), "{field} missing in {j}");
            assert_eq!(text(&c[field]), text(&j[field]));
        }
        // ISO 8601 with an offset, and always UTC whatever --tz says: a column of mixed offsets
        // is one that pandas (Timesketch's CSV reader) refuses as a whole chunk.
        let dt = text(&j["datetime"]);
        let parsed = chrono::DateTime::parse_from_rfc3339(&dt).expect("RFC 3339 datetime");
        assert!(dt.ends_with("+00:00"), "{dt}");
        assert_eq!(j["timestamp"].as_i64(), Some(parsed.timestamp_micros()));
        assert_eq!(text(&c["timestamp"]), text(&j["timestamp"]));
    }
}

#[test]
fn events_keep_their_fields_apart() {
    let (csv_rows, json_rows) = both_formats(&[]);
    // System.evtx record 392, read with python-evtx: User32 1074 at 2011-08-16 01:21:00 UTC,
    // channel System, computer SIPSVR01, level 4 (Information).
    let restart = json_rows
        .iter()
        .position(|r| r["record_id"] == 392 && r["event_id"] == 1074)
        .expect("the 1074 of record 392");
    let r = &json_rows[restart];
    assert_eq!(r["timestamp_desc"], "Event Logged");
    assert_eq!(r["datetime"], "2011-08-16T01:21:00.000000+00:00");
    assert_eq!(r["provider"], "User32");
    assert_eq!(r["channel"], "System");
    assert_eq!(r["computer"], "SIPSVR01");
    assert_eq!(r["level"], "Information");
    assert_eq!(r["data_type"], "faultline:event");
    assert!(text(&r["source_file"]).ends_with("System.evtx"), "{r}");
    assert!(text(&r["message"]).contains("winlogon.exe"), "{r}");
    // The CSV holds the same cells, numbers as text.
    assert_eq!(csv_rows[restart]["event_id"], "1074");
    assert_eq!(csv_rows[restart]["record_id"], "392");
    // The restart falls inside the 15 August window: it carries that window's number.
    let w = story::outage_aug15();
    let start = json_rows
        .iter()
        .find(|r| {
            r["timestamp_desc"] == "Window Start" && r["datetime"] == micros(&w.first_failure)
        })
        .expect("the 15 August window starts at the first failed check");
    assert_eq!(r["window"], start["window"]);
    // Record 103 is the first 333 (Application Popup, level 2), on 8 August.
    let first_333 = json_rows
        .iter()
        .find(|r| r["event_id"] == 333)
        .expect("a 333");
    assert_eq!(first_333["record_id"], 103);
    assert_eq!(first_333["provider"], "Application Popup");
    assert_eq!(first_333["level"], "Error");
    assert_eq!(first_333["datetime"], "2011-08-08T21:02:00.000000+00:00");
}

/// A UTC time as the export writes it.
fn micros(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, false)
}

#[test]
fn windows_probes_and_thresholds_have_their_own_descriptions() {
    let (_, rows) = both_formats(&[]);
    let w = story::outage_aug15();
    let find = |desc: &str, t: &chrono::DateTime<chrono::Utc>| -> Vec<&Value> {
        rows.iter()
            .filter(|r| r["timestamp_desc"] == desc && r["datetime"] == micros(t))
            .collect()
    };
    let start = find("Window Start", &w.first_failure);
    let end = find("Window End", &w.recovered_at);
    assert_eq!((start.len(), end.len()), (1, 1));
    assert_eq!(start[0]["window"], end[0]["window"]);
    assert_eq!(start[0]["data_type"], "faultline:window");
    // Four windows in the scenario (fixtures/aug15/README.md), numbered in time order.
    let starts: Vec<i64> = rows
        .iter()
        .filter(|r| r["timestamp_desc"] == "Window Start")
        .map(|r| r["window"].as_i64().unwrap())
        .collect();
    assert_eq!(starts, [1, 2, 3, 4]);
    let down = find("Probe Down", &w.first_failure);
    let local = down
        .iter()
        .find(|r| r["probe"] == "local-sipsvr01")
        .expect("the local probe goes down at the first failed check");
    assert!(text(&local["source_file"]).ends_with("local-sipsvr01.csv"));
    assert_eq!(local["window"], start[0]["window"]);
    assert!(find("Probe Up", &w.recovered_at)
        .iter()
        .any(|r| r["probe"] == "us-west"));
    let crossed = find("Threshold Crossed", &story::aug15_storm_start());
    assert!(
        crossed
            .iter()
            .any(|r| text(&r["metric"]).ends_with("Avg. Disk sec/Transfer")),
        "{crossed:?}"
    );
    // Rows outside every window carry no window number.
    assert!(rows
        .iter()
        .any(|r| r["timestamp_desc"] == "Event Logged" && r.get("window").is_none()));
    // Every description is one of the documented ones.
    let known = [
        "Event Logged",
        "Probe Down",
        "Probe Up",
        "Probe Silent",
        "Threshold Crossed",
        "Window Start",
        "Window End",
        "Window Last Failure",
    ];
    for r in &rows {
        assert!(known.contains(&text(&r["timestamp_desc"]).as_str()), "{r}");
    }
}

#[test]
fn time_bounds_apply_and_the_window_markers_inside_them_stay() {
    let w = story::outage_aug15();
    let from = rfc3339(&(w.first_failure - chrono::Duration::minutes(10)));
    let to = rfc3339(&w.recovered_at);
    let (_, rows) = both_formats(&["--from", &from, "--to", &to]);
    let (from_us, to_us) = (
        (w.first_failure - chrono::Duration::minutes(10)).timestamp_micros(),
        w.recovered_at.timestamp_micros(),
    );
    assert!(rows.iter().all(|r| {
        let t = r["timestamp"].as_i64().unwrap();
        t >= from_us && t <= to_us
    }));
    assert!(rows.iter().any(|r| r["timestamp_desc"] == "Window Start"));
    assert!(rows.iter().any(|r| r["timestamp_desc"] == "Window End"));
    assert_eq!(
        rows.iter()
            .filter(|r| r["timestamp_desc"] == "Window Start")
            .count(),
        1
    );
}
