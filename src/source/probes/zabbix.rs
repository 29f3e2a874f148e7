//! Zabbix problem events as NDJSON (the real-time export's `problems-*.ndjson`) -> state series
//! per host and problem name: `value:1` opens a problem (down from its `clock`), `value:0` with
//! `p_eventid` closes it (up from its `clock`).
use super::states::{target, text_lines, StatesBuilder};
use super::store::{Counted, ProbeStoreRead};
use crate::error::{Error, Result};
use crate::model::ProbeState;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

pub const KIND: super::StoreKind = super::StoreKind::ZabbixNdjson;

/// The first line is a JSON object with `clock`, `value` and an event id.
pub fn sniff(head: &[u8]) -> bool {
    let text = crate::source::text::decode_head(head);
    let Some(first) = text.lines().map(str::trim).find(|l| !l.is_empty()) else {
        return false;
    };
    first.starts_with('{')
        && first.contains("\"clock\"")
        && first.contains("\"value\"")
        && (first.contains("\"eventid\"") || first.contains("\"p_eventid\""))
}

/// A problem's target: `host: problem name` (the host's technical name, else its visible one).
fn problem_target(v: &Value) -> Option<String> {
    let name = v.get("name").and_then(Value::as_str)?;
    let host = v
        .get("hosts")
        .and_then(Value::as_array)
        .and_then(|h| h.first())
        .and_then(|h| h.get("host").or_else(|| h.get("name")))
        .and_then(Value::as_str);
    Some(match host {
        Some(h) => format!("{h}: {name}"),
        None => name.to_string(),
    })
}

fn id_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn time_of(v: &Value) -> Option<DateTime<Utc>> {
    let clock = match v.get("clock")? {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) => s.parse().ok()?,
        _ => return None,
    };
    let ns = v
        .get("ns")
        .and_then(Value::as_u64)
        .unwrap_or(0)
        .min(999_999_999);
    DateTime::from_timestamp(clock, ns as u32)
}

pub fn read(path: &Path) -> Result<ProbeStoreRead> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    read_bytes(path, &bytes)
}

pub fn read_bytes(path: &Path, bytes: &[u8]) -> Result<ProbeStoreRead> {
    let text = crate::source::text::decode_head(bytes);
    let mut b = StatesBuilder::new(path, KIND);
    b.note(
        "Zabbix problems: value 1 opens (down from its clock), value 0 with p_eventid closes (up)",
    );
    // Open problems: event id -> series; open problems per series.
    let mut open: HashMap<String, usize> = HashMap::new();
    let mut count: HashMap<usize, u32> = HashMap::new();
    let mut severities = Counted::default();
    let mut orphans = 0u64;
    for (line, text) in text_lines(&text) {
        if text.trim().is_empty() {
            continue;
        }
        let v: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                b.damaged(format!("line {line}: not a JSON object ({e})"));
                continue;
            }
        };
        let Some(t) = time_of(&v) else {
            b.damaged(format!("line {line}: no clock"));
            continue;
        };
        b.saw(t);
        match v.get("value").and_then(Value::as_i64) {
            Some(1) => {
                let (Some(id), Some(what)) = (id_of(v.get("eventid")), problem_target(&v)) else {
                    b.damaged(format!("line {line}: a problem without eventid or name"));
                    continue;
                };
                if let Some(sev) = v.get("severity") {
                    severities.add(&sev.to_string());
                }
                let s = b.series(&what, target(&what, None));
                b.read("value 1 (problem)", ProbeState::Down);
                let n = count.entry(s).or_default();
                *n += 1;
                if *n == 1 {
                    b.edge(s, t, ProbeState::Down, 1);
                }
                open.insert(id, s);
            }
            Some(0) => {
                let Some(pid) = id_of(v.get("p_eventid")) else {
                    b.damaged(format!("line {line}: a recovery without p_eventid"));
                    continue;
                };
                let Some(s) = open.remove(&pid) else {
                    // Its problem began before the export (or in another file).
                    orphans += 1;
                    b.not_probe();
                    continue;
                };
                b.read("value 0 (resolved)", ProbeState::Up);
                let n = count.entry(s).or_default();
                *n = n.saturating_sub(1);
                if *n == 0 {
                    b.edge(s, t, ProbeState::Up, 0);
                }
            }
            other => {
                let word = other.map_or_else(|| "no value".to_string(), |n| format!("value {n}"));
                b.unknown_word(&word);
            }
        }
    }
    if !severities.is_empty() {
        b.note(format!("severities: {}", severities.render()));
    }
    if orphans > 0 {
        b.note(format!(
            "{orphans} recoveries of problems not in the file (opened before it): not read"
        ));
    }
    if !open.is_empty() {
        b.note(format!(
            "{} problems still open at the end of the export: down until its end, not recovered",
            open.len()
        ));
    }
    let read = b.finish();
    if read.probes.is_empty() && read.report.records_skipped > 0 {
        return Err(Error::bad_input(
            path,
            format!(
                "no Zabbix problem could be read ({} lines damaged; first: {})",
                read.report.records_skipped,
                read.report.problems.first().map_or("", String::as_str)
            ),
        ));
    }
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NDJSON: &str = r#"{"clock":1000,"ns":0,"value":1,"eventid":"11","name":"HTTP down","severity":4,"hosts":[{"host":"web01","name":"Web 01"}]}
{"clock":1050,"ns":500000000,"value":1,"eventid":"12","name":"HTTP down","severity":4,"hosts":[{"host":"web01","name":"Web 01"}]}
{"clock":1100,"ns":0,"value":0,"eventid":"13","p_eventid":"11"}
{"clock":1200,"ns":0,"value":0,"eventid":"14","p_eventid":"12"}
{"clock":1300,"ns":0,"value":0,"eventid":"15","p_eventid":"9"}
{"clock":1400,"ns":0,"value":1,"eventid":"16","name":"Disk full","severity":2,"hosts":[{"host":"db01"}]}
{"clock":1500,"value":7}
{"clock":
"#;

    #[test]
    fn problems_open_and_close_by_event_id_and_overlaps_stay_down() {
        assert!(sniff(NDJSON.as_bytes()));
        let r = read_bytes(Path::new("problems.ndjson"), NDJSON.as_bytes()).unwrap();
        let web = r
            .probes
            .iter()
            .find(|p| p.name == "web01: HTTP down")
            .unwrap();
        let got: Vec<(i64, i64, ProbeState)> = web
            .intervals
            .iter()
            .map(|i| (i.start.timestamp(), i.end.timestamp(), i.state))
            .collect();
        // Two problems of one target overlap: down from the first open to the last close.
        assert_eq!(
            got,
            [(1000, 1200, ProbeState::Down), (1200, 1500, ProbeState::Up)]
        );
        let db = r
            .probes
            .iter()
            .find(|p| p.name == "db01: Disk full")
            .unwrap();
        assert_eq!(db.intervals[0].state, ProbeState::Down);
        assert!(r.notes.iter().any(|n| n.contains("still open")));
        assert!(r
            .notes
            .iter()
            .any(|n| n.contains("1 recoveries of problems not in the file")));
        assert!(r.notes.iter().any(|n| n.contains("\"value 7\" ×1")));
        assert_eq!(r.report.problems.len(), 1);
        assert!(r.report.problems[0].starts_with("line 8:"));
    }

    #[test]
    fn truncation_at_every_byte_never_panics() {
        for n in 0..NDJSON.len() {
            if let Ok(r) = read_bytes(Path::new("t.ndjson"), &NDJSON.as_bytes()[..n]) {
                assert!(r.probes.len() <= 2);
            }
        }
        assert!(!sniff(b"{\"foo\":1}\n"));
    }
}
