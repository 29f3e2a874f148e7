//! End-to-end tests of `faultline report --format grafana`, held to Grafana's HTTP API
//! documentation (Annotations, "Create Annotation"): each element is a body for
//! `POST /api/annotations` with `time` and, for a region, `timeEnd` as epoch milliseconds,
//! `tags` a list of strings, `text`, and the optional `dashboardUID` and `panelId`.
use crate::common;

use common::{aug15, run, run_ok};
use faultline::synth::story;
use serde_json::Value;

const FIELDS: [&str; 6] = ["dashboardUID", "panelId", "time", "timeEnd", "tags", "text"];

fn annotations(extra: &[&str]) -> Vec<Value> {
    let dir = aug15("").display().to_string();
    let args = [
        &["report", dir.as_str(), "-q", "--format", "grafana"],
        extra,
    ]
    .concat();
    let out: Value = serde_json::from_str(&run_ok(args)).expect("a JSON document");
    let list = out.as_array().expect("a JSON array").clone();
    for a in &list {
        let object = a.as_object().expect("each element an object");
        for key in object.keys() {
            assert!(
                FIELDS.contains(&key.as_str()),
                "{key} is not a field of the API"
            );
        }
        let time = a["time"].as_i64().expect("time in integer milliseconds");
        if let Some(end) = a.get("timeEnd") {
            assert!(end.as_i64().expect("timeEnd in integer milliseconds") > time);
        }
        let tags = a["tags"].as_array().expect("tags a list");
        assert!(tags.iter().all(Value::is_string));
        assert!(tags.contains(&Value::from("faultline")));
        assert!(!a["text"].as_str().expect("text a string").is_empty());
        assert!(!a["text"].as_str().unwrap().contains('\n'));
    }
    list
}

fn has_tag(a: &Value, tag: &str) -> bool {
    a["tags"].as_array().unwrap().contains(&Value::from(tag))
}

#[test]
fn each_window_is_a_region_with_its_kind_and_summary() {
    let list = annotations(&[]);
    // Four windows in the scenario (fixtures/aug15/README.md), and nothing else by default.
    assert_eq!(list.len(), 4);
    assert!(list.iter().all(|a| has_tag(a, "outage")));
    assert!(list
        .iter()
        .all(|a| a.get("dashboardUID").is_none() && a.get("panelId").is_none()));
    let w = story::outage_aug15();
    let main = list
        .iter()
        .find(|a| a["time"] == w.first_failure.timestamp_millis())
        .expect("the 15 August window starts at its first failed check");
    assert_eq!(main["timeEnd"], w.recovered_at.timestamp_millis());
    assert!(has_tag(main, "service") && has_tag(main, "SIPSVR01"));
    assert!(has_tag(main, "resource-exhaustion"), "{main}");
    let text = main["text"].as_str().unwrap();
    assert!(
        text.starts_with("SIPSVR01: service outage for 1h 30m"),
        "{text}"
    );
    assert!(text.contains("4 of 4 probes failed"), "{text}");
    assert!(
        text.contains("333 Registry I/O failed unrecoverably"),
        "{text}"
    );
    // Every kind in the scenario is tagged: service, network, partial.
    for kind in ["service", "network", "partial"] {
        assert!(list.iter().any(|a| has_tag(a, kind)), "{kind}");
    }
}

#[test]
fn events_mark_the_signature_events_and_the_dashboard_fields_are_filled() {
    let list = annotations(&[
        "--annotate",
        "events",
        "--dashboard-uid",
        "abc-123",
        "--panel-id",
        "7",
    ]);
    assert!(list
        .iter()
        .all(|a| a["dashboardUID"] == "abc-123" && a["panelId"] == 7));
    let at = |t: chrono::DateTime<chrono::Utc>, id: &str| {
        list.iter()
            .find(|a| a["time"] == t.timestamp_millis() && has_tag(a, id))
            .unwrap_or_else(|| panic!("no {id} annotation at {t}"))
    };
    // The 333 storm of 15 August, a region from its first to its last event.
    let storm = at(story::aug15_storm_start(), "event-333");
    assert_eq!(
        storm["timeEnd"],
        story::aug15_storm_last().timestamp_millis()
    );
    assert!(storm["text"]
        .as_str()
        .unwrap()
        .contains(&format!("{} times", story::AUG15_333_COUNT)));
    // System.evtx record 392 (python-evtx): User32 1074 at 2011-08-16 01:21:00 UTC, once.
    let restart = at(story::aug15_admin_restart(), "event-1074");
    assert_eq!(
        restart["time"],
        chrono::DateTime::parse_from_rfc3339("2011-08-16T01:21:00Z")
            .unwrap()
            .timestamp_millis()
    );
    assert!(
        restart.get("timeEnd").is_none(),
        "one event is a point: {restart}"
    );
    assert!(has_tag(restart, "planned-restart") && has_tag(restart, "event"));
    // Each window still comes first, then its events.
    assert!(has_tag(&list[0], "outage"));
    assert_eq!(list.iter().filter(|a| has_tag(a, "outage")).count(), 4);
}

#[test]
fn grafana_flags_need_the_grafana_format() {
    let dir = aug15("").display().to_string();
    let r = run(["report", dir.as_str(), "-q", "--dashboard-uid", "x"]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("--dashboard-uid"), "{}", r.stderr);
    let r = run([
        "report",
        dir.as_str(),
        "-q",
        "--format",
        "grafana",
        "--panel-id",
        "3",
    ]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("--dashboard-uid"), "{}", r.stderr);
}
