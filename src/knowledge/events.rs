//! The event knowledge base: what an event id means in an outage, loaded from data/events.toml.
use std::sync::OnceLock;

use super::schema::EventFile;
pub use super::schema::{EventClass, EventInfo, EventRole};

const EVENTS_TOML: &str = include_str!("../../data/events.toml");

/// Every entry of data/events.toml (parsed once; the file is checked by a unit test).
pub fn all() -> &'static [EventInfo] {
    static TABLE: OnceLock<Vec<EventInfo>> = OnceLock::new();
    TABLE.get_or_init(|| {
        // build.rs checked this very text against the same schema: it cannot fail here.
        toml::from_str::<EventFile>(EVENTS_TOML)
            .map(|f| f.event)
            .expect("data/events.toml was checked by build.rs")
    })
}

/// Each entry's provider in lowercase, in the order of `all()` (made once, not per lookup: a
/// report looks up every event it reads, and the table is scanned in order).
fn lowercase_providers() -> &'static [String] {
    static TABLE: OnceLock<Vec<String>> = OnceLock::new();
    TABLE.get_or_init(|| all().iter().map(|e| e.provider.to_lowercase()).collect())
}

/// The entry for an event: same id and a matching provider (the entry's provider within the
/// event's, case aside) first, then a provider-wide entry.
pub fn lookup(provider: &str, event_id: u32) -> Option<&'static EventInfo> {
    // A report looks up every event it reads, several times: most have an id no entry names and
    // a provider no provider-wide entry matches, and an ASCII provider is compared in place.
    let lowered = (!provider.is_ascii()).then(|| provider.to_lowercase());
    let matches = |entry: &str| match &lowered {
        Some(lowered) => lowered.contains(entry),
        None => ascii_contains_lowercase(provider, entry),
    };
    let by_id = || {
        all()
            .iter()
            .zip(lowercase_providers())
            .find(|(e, p)| e.id == Some(event_id) && matches(p))
            .map(|(e, _)| e)
    };
    let provider_wide = || {
        provider_wide_entries()
            .iter()
            .find(|(_, p)| matches(p))
            .map(|&(e, _)| e)
    };
    id_is_named(event_id)
        .then(by_id)
        .flatten()
        .or_else(provider_wide)
}

/// `entry` (lowercase) within the ASCII `provider`, ASCII case aside: what
/// `provider.to_lowercase().contains(entry)` says, without the String.
fn ascii_contains_lowercase(provider: &str, entry: &str) -> bool {
    let (provider, entry) = (provider.as_bytes(), entry.as_bytes());
    entry.is_empty()
        || provider
            .windows(entry.len())
            .any(|w| w.eq_ignore_ascii_case(entry))
}

/// Whether some entry names `event_id` (made once: a sorted list).
fn id_is_named(event_id: u32) -> bool {
    static IDS: OnceLock<Vec<u32>> = OnceLock::new();
    let ids = IDS.get_or_init(|| {
        let mut ids: Vec<u32> = all().iter().filter_map(|e| e.id).collect();
        ids.sort_unstable();
        ids
    });
    ids.binary_search(&event_id).is_ok()
}

/// The entries that name no id, with their lowercase provider, in the order of `all()`.
fn provider_wide_entries() -> &'static [(&'static EventInfo, &'static str)] {
    static TABLE: OnceLock<Vec<(&'static EventInfo, &'static str)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        all()
            .iter()
            .zip(lowercase_providers())
            .filter(|(e, _)| e.id.is_none())
            .map(|(e, p)| (e, p.as_str()))
            .collect()
    })
}

/// The event plays `role` in the story (data/events.toml's `roles`).
pub fn has_role(provider: &str, event_id: u32, role: EventRole) -> bool {
    lookup(provider, event_id).is_some_and(|i| i.roles.contains(&role))
}

/// Every event id that has one of `roles` under some provider: what a scoped read keeps from the
/// whole log.
pub fn ids_with_roles(roles: &[EventRole]) -> Vec<u32> {
    let mut ids: Vec<u32> = all()
        .iter()
        .filter(|e| e.roles.iter().any(|r| roles.contains(r)))
        .filter_map(|e| e.id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Entries for an id whatever the provider (for `faultline explain 333`).
pub fn by_id(event_id: u32) -> Vec<&'static EventInfo> {
    all().iter().filter(|e| e.id == Some(event_id)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_file_parses_and_covers_the_outage_ids() {
        let parsed: EventFile = toml::from_str(EVENTS_TOML).expect("data/events.toml parses");
        assert!(parsed.event.len() >= 30);
        for id in [
            333, 2019, 2020, 2004, 6005, 6006, 6008, 6009, 6013, 41, 1074, 1076, 7000, 7001, 7009,
            7011, 7031, 7034, 7036, 1000, 1001, 1002, 7, 11, 15, 51, 129, 153, 55, 98, 10016,
        ] {
            assert!(!by_id(id).is_empty(), "no knowledge for event {id}");
        }
    }

    #[test]
    fn provider_decides_between_same_ids() {
        assert_eq!(
            lookup("Application Popup", 333).map(|e| e.class),
            Some(EventClass::ResourceExhaustion)
        );
        assert!(lookup("Some-Other-Provider", 333).is_none());
        assert_eq!(
            lookup("Microsoft-Windows-DistributedCOM", 10016).map(|e| e.class),
            Some(EventClass::Noise)
        );
        assert_eq!(
            lookup("MySQL", 100).map(|e| e.class),
            Some(EventClass::Service)
        );
    }

    #[test]
    fn providers_match_whatever_their_case() {
        // The entry's provider within the event's, case aside, ASCII or not.
        assert_eq!(
            lookup("mysql", 7).map(|e| e.class),
            Some(EventClass::Service)
        );
        assert_eq!(
            lookup("MICROSOFT-WINDOWS-DISTRIBUTEDCOM", 10016).map(|e| e.class),
            Some(EventClass::Noise)
        );
        assert_eq!(
            lookup("Ünïcode MYSQL Dienst", 100).map(|e| e.class),
            Some(EventClass::Service)
        );
        assert!(lookup("Ünïcode-Dienst", 10016).is_none());
        assert!(lookup("My", 100).is_none());
    }
}
