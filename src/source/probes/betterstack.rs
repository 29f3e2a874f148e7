//! Better Stack (Better Uptime) incidents JSON -> state series per monitor: down from an
//! incident's `started_at` to its `resolved_at` (up from there); unresolved: down to the file's end.
use super::states::{target, StatesBuilder};
use super::store::ProbeStoreRead;
use crate::error::{Error, Result};
use crate::model::ProbeState;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

pub const KIND: super::StoreKind = super::StoreKind::BetterStackIncidents;

/// `{"data":[{"attributes":{"started_at",...}}]}`
pub fn sniff(head: &[u8]) -> bool {
    let t = crate::source::text::decode_head(head);
    t.trim_start().starts_with('{')
        && t.contains("\"data\"")
        && t.contains("\"attributes\"")
        && t.contains("\"started_at\"")
}

fn time_of(v: Option<&Value>) -> Option<DateTime<Utc>> {
    let s = v?.as_str()?;
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

pub fn read(path: &Path) -> Result<ProbeStoreRead> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    read_bytes(path, &bytes)
}

pub fn read_bytes(path: &Path, bytes: &[u8]) -> Result<ProbeStoreRead> {
    let doc: Value = super::states::parse_json(path, bytes, "Better Stack incidents")?;
    let Some(data) = doc.get("data").and_then(Value::as_array) else {
        return Err(Error::bad_input(path, "no data list of incidents"));
    };
    let mut b = StatesBuilder::new(path, KIND);
    b.note("Better Stack incidents: down from started_at to resolved_at; the url is the target");
    let mut causes = super::store::Counted::default();
    // (series, time, opens): applied in time order so overlapping incidents stay down.
    let mut changes: Vec<(usize, DateTime<Utc>, bool)> = Vec::new();
    let mut open_at_end = 0u64;
    for (i, incident) in data.iter().enumerate() {
        let a = incident.get("attributes").unwrap_or(incident);
        let Some(start) = time_of(a.get("started_at")) else {
            b.damaged(format!("data[{i}]: no started_at"));
            continue;
        };
        let name = a
            .get("name")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        let url = a
            .get("url")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        let Some(what) = url.or(name) else {
            b.damaged(format!("data[{i}]: neither name nor url"));
            continue;
        };
        let s = b.series(name.unwrap_or(what), target(what, None));
        if let Some(cause) = a.get("cause").and_then(Value::as_str) {
            causes.add(cause);
        }
        b.read("incident", ProbeState::Down);
        changes.push((s, start, true));
        match a.get("resolved_at") {
            Some(Value::Null) | None => {
                open_at_end += 1;
                b.saw(start);
            }
            v => match time_of(v) {
                Some(end) if end >= start => changes.push((s, end, false)),
                _ => b.damaged(format!(
                    "data[{i}]: resolved_at is not a time after started_at"
                )),
            },
        }
    }
    changes.sort_by_key(|c| (c.1, !c.2));
    let mut open: HashMap<usize, u32> = HashMap::new();
    for (s, t, opens) in changes {
        let n = open.entry(s).or_default();
        if opens {
            *n += 1;
            if *n == 1 {
                b.edge(s, t, ProbeState::Down, 1);
            }
        } else {
            *n = n.saturating_sub(1);
            if *n == 0 {
                b.edge(s, t, ProbeState::Up, 0);
            }
        }
    }
    if !causes.is_empty() {
        b.note(format!("causes: {}", causes.render()));
    }
    if open_at_end > 0 {
        b.note(format!(
            "{open_at_end} incidents not resolved in the file: down to its end, not recovered"
        ));
    }
    Ok(b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: &str = r#"{"data":[
      {"id":"1","type":"incident","attributes":{"name":"Shop","url":"https://shop.example/","cause":"Status 503","started_at":"2024-03-01T10:00:00.000Z","resolved_at":"2024-03-01T10:07:30.000Z"}},
      {"id":"2","type":"incident","attributes":{"name":"Shop","url":"https://shop.example/","cause":"Timeout","started_at":"2024-03-01T12:00:00Z","resolved_at":null}},
      {"id":"3","type":"incident","attributes":{"name":"Shop","started_at":"yesterday"}}],
      "pagination":{"next":null}}"#;

    #[test]
    fn incidents_are_down_to_their_resolution_and_unresolved_ones_stay_down() {
        assert!(sniff(JSON.as_bytes()));
        let r = read_bytes(Path::new("incidents.json"), JSON.as_bytes()).unwrap();
        let p = &r.probes[0];
        assert_eq!(
            (p.name.as_str(), p.target.as_deref()),
            ("Shop", Some("https://shop.example/"))
        );
        let got: Vec<(String, String, ProbeState)> = p
            .intervals
            .iter()
            .map(|i| {
                (
                    crate::model::rfc3339(&i.start),
                    crate::model::rfc3339(&i.end),
                    i.state,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "2024-03-01T10:00:00Z".into(),
                    "2024-03-01T10:07:30Z".into(),
                    ProbeState::Down
                ),
                (
                    "2024-03-01T10:07:30Z".into(),
                    "2024-03-01T12:00:00Z".into(),
                    ProbeState::Up
                ),
                (
                    "2024-03-01T12:00:00Z".into(),
                    "2024-03-01T12:00:00Z".into(),
                    ProbeState::Down
                ),
            ]
        );
        assert_eq!(r.report.problems, ["data[2]: no started_at"]);
        assert!(r
            .notes
            .iter()
            .any(|n| n.contains("1 incidents not resolved")));
    }

    #[test]
    fn truncation_at_every_byte_never_panics() {
        for n in 0..JSON.len() {
            let _ = read_bytes(Path::new("t.json"), &JSON.as_bytes()[..n]);
        }
    }
}
