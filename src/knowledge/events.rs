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
        entries_naming(event_id)
            .iter()
            .find(|(_, p)| matches(p))
            .map(|&(e, _)| e)
    };
    let provider_wide = || {
        provider_wide_entries()
            .iter()
            .find(|(_, p)| matches(p))
            .map(|&(e, _)| e)
    };
    by_id().or_else(provider_wide)
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

/// The entries that name `event_id`, with their lowercase provider, in the order of `all()`
/// (found by a binary search in a list sorted by id, made once).
fn entries_naming(event_id: u32) -> &'static [(&'static EventInfo, &'static str)] {
    type Entry = (&'static EventInfo, &'static str);
    static BY_ID: OnceLock<(Vec<u32>, Vec<Entry>)> = OnceLock::new();
    let (ids, entries) = BY_ID.get_or_init(|| {
        let mut by_id: Vec<(u32, Entry)> = all()
            .iter()
            .zip(lowercase_providers())
            .filter_map(|(e, p)| e.id.map(|id| (id, (e, p.as_str()))))
            .collect();
        // Stable: entries of one id stay in file order, the first match wins.
        by_id.sort_by_key(|&(id, _)| id);
        by_id.into_iter().unzip()
    });
    let from = ids.partition_point(|&id| id < event_id);
    let to = ids.partition_point(|&id| id <= event_id);
    &entries[from..to]
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
    // Most events cannot play the role whatever their provider: said from the id alone, without
    // reading the provider (in a big report, a cache miss per event and per question).
    could_have_role(event_id, role)
        && lookup(provider, event_id).is_some_and(|i| i.roles.contains(&role))
}

/// Whether an entry with `role` names `event_id` or names no id (made once: per role, whether a
/// provider-wide entry has it, and the sorted ids of the entries that have it).
fn could_have_role(event_id: u32, role: EventRole) -> bool {
    type ByRole = Vec<(EventRole, bool, Vec<u32>)>;
    static BY_ROLE: OnceLock<ByRole> = OnceLock::new();
    let by_role = BY_ROLE.get_or_init(|| {
        let mut by_role: ByRole = Vec::new();
        for entry in all() {
            for &r in &entry.roles {
                let at = match by_role.iter().position(|(known, _, _)| *known == r) {
                    Some(at) => at,
                    None => {
                        by_role.push((r, false, Vec::new()));
                        by_role.len() - 1
                    }
                };
                match entry.id {
                    Some(id) => by_role[at].2.push(id),
                    None => by_role[at].1 = true,
                }
            }
        }
        for (_, _, ids) in &mut by_role {
            ids.sort_unstable();
        }
        by_role
    });
    by_role
        .iter()
        .find(|(r, _, _)| *r == role)
        .is_some_and(|(_, any_id, ids)| *any_id || ids.binary_search(&event_id).is_ok())
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

    #[test]
    fn roles_follow_the_entry_the_lookup_finds() {
        for info in all() {
            let Some(id) = info.id else { continue };
            for &role in &info.roles {
                let found = lookup(&info.provider, id).is_some_and(|i| i.roles.contains(&role));
                assert_eq!(has_role(&info.provider, id, role), found);
            }
        }
        assert!(has_role("EventLog", 6005, EventRole::LogStart));
        assert!(!has_role("EventLog", 6005, EventRole::PowerLoss));
        assert!(!has_role("Some-Other-Provider", 6005, EventRole::LogStart));
        assert!(!has_role("MySQL", 6005, EventRole::LogStart));
    }
}
