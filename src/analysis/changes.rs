//! What changed before an outage: installs and removals, new or reconfigured services, updates,
//! restarts and OS version changes at boot.
use crate::model::Event;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// How far back changes are looked for before the first window.
pub const CHANGE_LOOKBACK_DAYS: i64 = 30;

#[derive(Debug, Clone, Serialize)]
pub struct Change {
    #[serde(with = "crate::model::ser_time")]
    pub time: DateTime<Utc>,
    /// software-install, software-removal, service-installed, service-start-type, update,
    /// restart, boot, os-version
    pub kind: String,
    pub description: String,
    pub provider: String,
    pub event_id: u32,
}

/// Every event id `find_changes` reads (whatever the provider), and the boot event (6005) the
/// report lines up with recovery: the report keeps these from the whole log (`scope.rs`).
pub const CHANGE_EVENT_IDS: &[u32] = &[11707, 1033, 11724, 1034, 7045, 7040, 19, 1074, 6009, 6005];

/// Changes in the `CHANGE_LOOKBACK_DAYS` before `before`, newest first. `events` time-sorted.
pub fn find_changes(events: &[Event], before: DateTime<Utc>) -> Vec<Change> {
    let from = before - Duration::days(CHANGE_LOOKBACK_DAYS);
    let mut changes = Vec::new();
    let mut last_os: Option<String> = None;
    for e in events.iter().take_while(|e| e.time < before) {
        let is_boot_version = e.event_id == 6009 && e.provider.contains("EventLog");
        // Track the OS version across the whole log so the first boot in range can be compared.
        let os_change = if is_boot_version {
            let os = e.data.unnamed().take(3).collect::<Vec<_>>().join(" ");
            let changed = last_os.as_ref().is_some_and(|prev| *prev != os);
            let previous = last_os.replace(os.clone());
            changed.then(|| (previous.unwrap_or_default(), os))
        } else {
            None
        };
        if e.time < from {
            continue;
        }
        let (kind, description) = match (e.provider.as_str(), e.event_id) {
            (p, 11707 | 1033) if p.contains("MsiInstaller") => ("software-install", first_value(e)),
            (p, 11724 | 1034) if p.contains("MsiInstaller") => ("software-removal", first_value(e)),
            (p, 7045) if p.contains("Service Control Manager") => (
                "service-installed",
                format!(
                    "service {} installed ({})",
                    e.data.get("ServiceName").unwrap_or("?"),
                    e.data.get("ImagePath").unwrap_or("no image path")
                ),
            ),
            (p, 7040) if p.contains("Service Control Manager") => (
                "service-start-type",
                format!(
                    "start type of {} changed from {} to {}",
                    e.data.get("param1").unwrap_or("?"),
                    e.data.get("param2").unwrap_or("?"),
                    e.data.get("param3").unwrap_or("?")
                ),
            ),
            (p, 19) if p.contains("WindowsUpdateClient") => (
                "update",
                e.data
                    .get("updateTitle")
                    .map(str::to_string)
                    .unwrap_or_else(|| first_value(e)),
            ),
            (p, 1074) if p.contains("User32") => ("restart", restart_text(e)),
            _ if is_boot_version => match &os_change {
                Some((prev, now)) => (
                    "os-version",
                    format!("OS version changed at boot: {prev} -> {now}"),
                ),
                None => (
                    "boot",
                    format!(
                        "booted: {}",
                        e.data.unnamed().take(3).collect::<Vec<_>>().join(" ")
                    ),
                ),
            },
            _ => continue,
        };
        changes.push(Change {
            time: e.time,
            kind: kind.to_string(),
            description,
            provider: e.provider.clone(),
            event_id: e.event_id,
        });
    }
    changes.reverse();
    changes
}

fn first_value(e: &Event) -> String {
    e.data
        .0
        .first()
        .map(|f| f.value.clone())
        .unwrap_or_else(|| format!("event {}", e.event_id))
}

fn restart_text(e: &Event) -> String {
    let get = |named: &str, pos: usize| {
        e.data
            .get(named)
            .map(str::to_string)
            .or_else(|| e.data.unnamed().nth(pos).map(str::to_string))
            .unwrap_or_default()
    };
    let who = get("param7", 6);
    let reason = get("param3", 2);
    let comment = get("param6", 5);
    let mut text = format!(
        "restart requested by {}",
        if who.is_empty() { "?" } else { &who }
    );
    if !reason.is_empty() {
        text.push_str(&format!(", reason: {reason}"));
    }
    if !comment.is_empty() {
        text.push_str(&format!(", comment: {comment}"));
    }
    text
}
