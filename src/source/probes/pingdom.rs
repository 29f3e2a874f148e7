//! Pingdom exports: the `summary.outage` JSON of one check (its up/down/unknown states with
//! exact `timefrom`..`timeto` edges; the target is the file's stem) and the `results` JSON (one
//! check per probe run: `probeid` is the vantage, `status` up/down/unconfirmed_down/unknown).
use super::states::{target, StatesBuilder};
use super::store::{ProbeStoreRead, ProbeTarget, StoreBuilder};
use crate::error::{Error, Result};
use crate::model::{Check, ProbeState, StateInterval};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::path::Path;

pub const KIND_SUMMARY: super::StoreKind = super::StoreKind::PingdomSummary;
pub const KIND_RESULTS: super::StoreKind = super::StoreKind::PingdomResults;

fn head_text(head: &[u8]) -> String {
    crate::source::text::decode_head(head)
}

/// `{"summary":{"states":[{"status","timefrom","timeto"}]}}`
pub fn sniff_summary(head: &[u8]) -> bool {
    let t = head_text(head);
    t.trim_start().starts_with('{')
        && t.contains("\"summary\"")
        && t.contains("\"states\"")
        && t.contains("\"timefrom\"")
}

/// `{"results":[{"probeid","time","status"...}]}`
pub fn sniff_results(head: &[u8]) -> bool {
    let t = head_text(head);
    t.trim_start().starts_with('{')
        && t.contains("\"results\"")
        && t.contains("\"probeid\"")
        && t.contains("\"status\"")
}

/// The check's name: the file's stem (`summary.outage` files hold one check each).
fn check_name(path: &Path) -> String {
    path.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("pingdom check")
        .to_string()
}

fn parse(path: &Path, bytes: &[u8], what: &str) -> Result<Value> {
    super::states::parse_json(path, bytes, &format!("Pingdom {what}"))
}

/// An epoch (seconds) or RFC 3339 time.
fn time_of(v: Option<&Value>) -> Option<DateTime<Utc>> {
    match v? {
        Value::Number(n) => DateTime::from_timestamp(n.as_i64()?, 0),
        Value::String(s) => DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&Utc))
            .or_else(|| DateTime::from_timestamp(s.parse().ok()?, 0)),
        _ => None,
    }
}

pub fn read_summary(path: &Path) -> Result<ProbeStoreRead> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    read_summary_bytes(path, &bytes)
}

pub fn read_summary_bytes(path: &Path, bytes: &[u8]) -> Result<ProbeStoreRead> {
    let doc = parse(path, bytes, "summary.outage")?;
    let Some(states) = doc.pointer("/summary/states").and_then(Value::as_array) else {
        return Err(Error::bad_input(path, "no summary.states list"));
    };
    let mut b = StatesBuilder::new(path, KIND_SUMMARY);
    let name = check_name(path);
    b.note(format!(
        "one Pingdom check per summary.outage file: the target is the file's name, {name:?}"
    ));
    let s = b.series(&name, target(&name, None));
    for (i, st) in states.iter().enumerate() {
        let (Some(from), Some(to)) = (time_of(st.get("timefrom")), time_of(st.get("timeto")))
        else {
            b.damaged(format!("states[{i}]: no timefrom/timeto"));
            continue;
        };
        if to < from {
            b.damaged(format!("states[{i}]: timeto before timefrom"));
            continue;
        }
        let word = st.get("status").and_then(Value::as_str).unwrap_or("");
        let state = match word {
            "up" => ProbeState::Up,
            "down" | "err" | "error" => ProbeState::Down,
            "unknown" | "unconfirmed_down" | "paused" | "pending" => ProbeState::Unknown,
            "maintenance" => ProbeState::Maintenance,
            other => {
                b.unknown_word(other);
                b.interval(s, interval(from, to, ProbeState::Unknown));
                continue;
            }
        };
        b.read(word, state);
        b.interval(s, interval(from, to, state));
    }
    Ok(b.finish())
}

fn interval(start: DateTime<Utc>, end: DateTime<Utc>, state: ProbeState) -> StateInterval {
    StateInterval {
        start,
        end,
        state,
        failures: u32::from(state == ProbeState::Down),
    }
}

pub fn read_results(path: &Path) -> Result<ProbeStoreRead> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    read_results_bytes(path, &bytes)
}

pub fn read_results_bytes(path: &Path, bytes: &[u8]) -> Result<ProbeStoreRead> {
    let doc = parse(path, bytes, "results")?;
    let Some(results) = doc.get("results").and_then(Value::as_array) else {
        return Err(Error::bad_input(path, "no results list"));
    };
    let mut b = StoreBuilder::new(path, KIND_RESULTS);
    let name = check_name(path);
    let mut words = super::store::Counted::default();
    let mut unknown = super::store::Counted::default();
    for (i, r) in results.iter().enumerate() {
        let Some(t) = time_of(r.get("time")) else {
            b.damaged(format!("results[{i}]: no time"));
            continue;
        };
        let vantage = match r.get("probeid") {
            Some(Value::Number(n)) => Some(format!("probe {n}")),
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        };
        let p = b.probe(&ProbeTarget {
            target: name.clone(),
            vantage,
            host: None,
            detail: None,
        });
        let word = r.get("status").and_then(Value::as_str).unwrap_or("");
        let latency = r
            .get("responsetime")
            .and_then(Value::as_f64)
            .map(|ms| ms as f32);
        match word {
            "up" => b.check(p, Check::new(t, true, latency)),
            "down" | "err" | "error" => b.check(p, Check::new(t, false, latency)),
            "unconfirmed_down" | "unknown" | "pending" | "paused" => {
                b.tally.pending += 1;
            }
            other => {
                unknown.add(other);
                b.unknown(format!("results[{i}]: status {other:?}"));
                continue;
            }
        }
        words.add(word);
    }
    b.note(format!(
        "Pingdom results: the target is the file's name, {name:?}; probeid is the vantage"
    ));
    if !words.is_empty() {
        b.note(format!(
            "vocabulary read: {} (unconfirmed_down and unknown are neither up nor down)",
            words.render()
        ));
    }
    if !unknown.is_empty() {
        b.note(format!(
            "{} results with statuses faultline does not know (skipped): {}",
            unknown.total(),
            unknown.render()
        ));
    }
    Ok(b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_states_keep_their_edges_and_the_file_names_the_check() {
        let text = br#"{"summary":{"states":[
            {"status":"up","timefrom":1000,"timeto":1100},
            {"status":"down","timefrom":1100,"timeto":1250},
            {"status":"unknown","timefrom":1250,"timeto":1300},
            {"status":"sideways","timefrom":1300,"timeto":1400},
            {"status":"up","timefrom":1400}]}}"#;
        assert!(sniff_summary(text));
        let r = read_summary_bytes(Path::new("dir/sip-web.json"), text).unwrap();
        let p = &r.probes[0];
        assert_eq!(
            (p.name.as_str(), p.target.as_deref()),
            ("sip-web", Some("sip-web"))
        );
        let got: Vec<(i64, i64, ProbeState)> = p
            .intervals
            .iter()
            .map(|i| (i.start.timestamp(), i.end.timestamp(), i.state))
            .collect();
        assert_eq!(
            got,
            [
                (1000, 1100, ProbeState::Up),
                (1100, 1250, ProbeState::Down),
                (1250, 1300, ProbeState::Unknown),
                (1300, 1400, ProbeState::Unknown)
            ]
        );
        assert!(r.notes.iter().any(|n| n.contains("\"sideways\" ×1")));
        assert_eq!(r.report.problems, ["states[4]: no timefrom/timeto"]);
        assert_eq!((r.report.records_read, r.report.records_skipped), (3, 2));
    }

    #[test]
    fn results_are_checks_with_the_probe_as_vantage() {
        let text = br#"{"results":[
            {"probeid":33,"time":1000,"status":"up","responsetime":91,"statusdesc":"OK"},
            {"probeid":34,"time":1000,"status":"down","responsetime":0,"statusdesc":"Timeout"},
            {"probeid":34,"time":1060,"status":"unconfirmed_down","statusdesc":"?"},
            {"probeid":34,"time":1120,"status":"weird"}],"activeprobes":[33,34]}"#;
        assert!(sniff_results(text) && !sniff_summary(text));
        let r = read_results_bytes(Path::new("web.json"), text).unwrap();
        let names: Vec<&str> = r.probes.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["web @ probe 33", "web @ probe 34"]);
        assert_eq!(r.probes[1].vantage.as_deref(), Some("probe 34"));
        assert!(!r.probes[1].checks[0].ok());
        assert_eq!(r.probes[0].checks[0].latency_ms(), Some(91.0));
        assert_eq!((r.tally.pending, r.tally.unknown), (1, 1));
        assert!(r.notes.iter().any(|n| n.contains("\"weird\" ×1")));
    }

    #[test]
    fn truncation_at_every_byte_never_panics() {
        let text = br#"{"summary":{"states":[{"status":"down","timefrom":1,"timeto":2}]}}"#;
        for n in 0..text.len() {
            let _ = read_summary_bytes(Path::new("t.json"), &text[..n]);
            let _ = read_results_bytes(Path::new("t.json"), &text[..n]);
        }
        let err = read_summary_bytes(Path::new("t.json"), &text[..20]).unwrap_err();
        assert!(err.to_string().contains("ends early"), "{err}");
    }
}
