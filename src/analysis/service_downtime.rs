//! Service-level downtime: a service that crashed or stopped with an error (7031, 7034, 7023,
//! 7024) until its 7036 says it is running again, on the same host and before the next boot
//! (a boot starts every service afresh, and its own 7036 says which came back).
use crate::knowledge::events::{self as kb, EventRole};
use crate::model::Event;
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct ServiceDowntime {
    pub host: String,
    /// The service's display name as the event gives it.
    pub service: String,
    /// crashed (7031, 7034) or failed (7023, 7024)
    pub how: String,
    #[serde(with = "crate::model::ser_time")]
    pub down_at: DateTime<Utc>,
    pub down_record: Option<u64>,
    pub down_event_id: u32,
    /// Its first 7036 "running" after it, if the log has one.
    #[serde(with = "crate::model::ser_time::option")]
    pub running_at: Option<DateTime<Utc>>,
    pub running_record: Option<u64>,
    pub duration_seconds: Option<i64>,
    /// Further crash or failure records of the same service while it was still down.
    pub repeats: u64,
}

fn role(e: &Event, r: EventRole) -> bool {
    kb::has_role(&e.provider, e.event_id, r)
}

/// The service key in a Service Control Manager record's binary data (UTF-16LE, "Name" or
/// "Name/4"), lower-cased.
fn service_key(e: &Event) -> Option<String> {
    let hex = e.data.get("Binary")?;
    let bytes: Vec<u8> = (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .collect();
    let text = String::from_utf16(&units).ok()?;
    let key = text.split('/').next()?.trim().to_lowercase();
    (!key.is_empty()).then_some(key)
}

fn display_name(e: &Event) -> String {
    e.data
        .get("param1")
        .or_else(|| e.data.unnamed().next())
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// 7036's second value says the state; "running" in every English log, the word itself in others.
fn is_running(e: &Event) -> bool {
    let state = e
        .data
        .get("param2")
        .or_else(|| e.data.unnamed().nth(1))
        .unwrap_or_default()
        .to_lowercase();
    state.contains("running")
        || state.contains("wird ausgeführt")
        || state.contains("en cours")
        || state.contains("ejecución")
        || state.contains("em execução")
}

/// Every service downtime of `events` (time-sorted), `host_of` mapping Computer to host.
pub fn find_service_downtime(
    events: &[Event],
    host_of: &dyn Fn(&str) -> String,
) -> Vec<ServiceDowntime> {
    let mut out = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let how = if role(e, EventRole::ServiceCrash) {
            "crashed"
        } else if role(e, EventRole::ServiceFailure) {
            "failed"
        } else {
            continue;
        };
        let host = host_of(&e.computer);
        let (name, key) = (display_name(e), service_key(e));
        // Still down from an earlier record: one downtime, counted again.
        if let Some(open) = out.iter_mut().rev().find(|d: &&mut ServiceDowntime| {
            d.host == host
                && d.service.eq_ignore_ascii_case(&name)
                && d.running_at.is_none_or(|r| r > e.time)
        }) {
            open.repeats += 1;
            continue;
        }
        let same_service = |o: &Event| {
            let by_name = !name.is_empty() && display_name(o).eq_ignore_ascii_case(&name);
            let by_key = key.is_some() && service_key(o) == key;
            by_name || by_key
        };
        let mut running = None;
        for o in &events[i + 1..] {
            if host_of(&o.computer) != host {
                continue;
            }
            if role(o, EventRole::KernelStart) || role(o, EventRole::LogStart) {
                break;
            }
            if role(o, EventRole::ServiceState) && is_running(o) && same_service(o) {
                running = Some(o);
                break;
            }
        }
        out.push(ServiceDowntime {
            host,
            service: name,
            how: how.into(),
            down_at: e.time,
            down_record: e.record_id,
            down_event_id: e.event_id,
            running_at: running.map(|o| o.time),
            running_record: running.and_then(|o| o.record_id),
            duration_seconds: running.map(|o| (o.time - e.time).num_seconds()),
            repeats: 0,
        });
    }
    out
}
