//! What changed before an outage: installs and removals, new or reconfigured services, updates,
//! restarts and OS version changes at boot.
use crate::knowledge::events as kb;
use crate::knowledge::schema::ChangeKind;
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

/// Every event id `find_changes` reads (whatever the provider): the entries of data/events.toml
/// with a `change` kind. The report keeps these from the whole log (`scope.rs`).
pub fn change_event_ids() -> Vec<u32> {
    let mut ids: Vec<u32> = kb::all()
        .iter()
        .filter(|e| e.change.is_some())
        .filter_map(|e| e.id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Changes in the `CHANGE_LOOKBACK_DAYS` before `before`, newest first. `events` time-sorted.
pub fn find_changes(events: &[Event], before: DateTime<Utc>) -> Vec<Change> {
    let from = before - Duration::days(CHANGE_LOOKBACK_DAYS);
    let mut changes = Vec::new();
    let mut last_os: Option<String> = None;
    for e in events.iter().take_while(|e| e.time < before) {
        let Some(kind) = kb::lookup(&e.provider, e.event_id).and_then(|i| i.change) else {
            continue;
        };
        // Track the OS version across the whole log so the first boot in range can be compared.
        let os_change = if kind == ChangeKind::Boot {
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
        let description = match kind {
            ChangeKind::SoftwareInstall | ChangeKind::SoftwareRemoval => first_value(e),
            ChangeKind::ServiceInstalled => format!(
                "service {} installed ({})",
                e.data.get("ServiceName").unwrap_or("?"),
                e.data.get("ImagePath").unwrap_or("no image path")
            ),
            ChangeKind::ServiceStartType => format!(
                "start type of {} changed from {} to {}",
                e.data.get("param1").unwrap_or("?"),
                e.data.get("param2").unwrap_or("?"),
                e.data.get("param3").unwrap_or("?")
            ),
            ChangeKind::Update => e
                .data
                .get("updateTitle")
                .map(str::to_string)
                .unwrap_or_else(|| first_value(e)),
            ChangeKind::Restart => restart_text(e),
            ChangeKind::Boot => match &os_change {
                Some((prev, now)) => format!("OS version changed at boot: {prev} -> {now}"),
                None => format!(
                    "booted: {}",
                    e.data.unnamed().take(3).collect::<Vec<_>>().join(" ")
                ),
            },
        };
        let kind = match (kind, &os_change) {
            (ChangeKind::Boot, Some(_)) => "os-version",
            (kind, _) => change_name(kind),
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

/// The kind's name in the JSON, as data/events.toml spells it.
fn change_name(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::SoftwareInstall => "software-install",
        ChangeKind::SoftwareRemoval => "software-removal",
        ChangeKind::ServiceInstalled => "service-installed",
        ChangeKind::ServiceStartType => "service-start-type",
        ChangeKind::Update => "update",
        ChangeKind::Restart => "restart",
        ChangeKind::Boot => "boot",
    }
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
