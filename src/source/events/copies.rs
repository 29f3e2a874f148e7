//! One copy of an event that more than one input holds (the same log in two formats, one file
//! given twice, byte-identical files read once: `Twin`s), merged after the time sort.
use super::sort_events;
use crate::model::Event;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

/// An input whose events are those of another, byte for byte (`evtx::read_evtx_files_twinned`):
/// `origin`, a range of the event list, under the file name `source`. `sort_and_merge` builds its
/// events only where they are not merged away as copies.
#[derive(Debug, Clone)]
pub struct Twin {
    pub source: Arc<str>,
    pub origin: Range<usize>,
}

/// The twins' events built and put after `events`, as if each twin had been decoded.
pub fn materialize(events: &mut Vec<Event>, twins: &[Twin]) {
    for twin in twins {
        for i in twin.origin.clone() {
            let event = renamed(&events[i], &twin.source);
            events.push(event);
        }
    }
}

fn renamed(event: &Event, source: &Arc<str>) -> Event {
    Event {
        source_file: Arc::clone(source),
        ..event.clone()
    }
}

/// `sort_events`, then `merge_copies_by_file`, over `events` and the twins' events after them;
/// the same events in the same order as with the twins' events built first.
pub fn sort_and_merge(events: &mut Vec<Event>, twins: &[Twin]) -> HashMap<Arc<str>, u64> {
    if twins.is_empty() {
        sort_events(events);
        return merge_copies_by_file(events);
    }
    // An item: the event it reads, and the twin it is named after (`None`: the event's own file).
    let mut items: Vec<(usize, Option<usize>)> = (0..events.len()).map(|i| (i, None)).collect();
    for (t, twin) in twins.iter().enumerate() {
        items.extend(twin.origin.clone().map(|i| (i, Some(t))));
    }
    let source = |(i, twin): (usize, Option<usize>)| match twin {
        Some(t) => &twins[t].source,
        None => &events[i].source_file,
    };
    // Time order as `sort_events` gives it: time, file name, record id, then position (items of
    // one name keep their file's order).
    let mut files: Vec<&Arc<str>> = twins.iter().map(|t| &t.source).collect();
    for e in events.iter() {
        if !files.last().is_some_and(|f| Arc::ptr_eq(f, &e.source_file)) {
            files.push(&e.source_file);
        }
    }
    files.sort();
    files.dedup();
    let rank = |file: &Arc<str>| files.partition_point(|f| **f < *file);
    let mut keys: Vec<(DateTime<Utc>, usize, Option<u64>, usize)> = items
        .iter()
        .enumerate()
        .map(|(p, &item)| {
            let e = &events[item.0];
            (e.time, rank(source(item)), e.record_id, p)
        })
        .collect();
    keys.sort_unstable();
    let order: Vec<(usize, Option<usize>)> = keys.into_iter().map(|k| items[k.3]).collect();
    let merge = plan(order.len(), |p| (&events[order[p].0], source(order[p])));
    // The kept events: a twin's built from its origin, then the decoded ones moved into place.
    let mut kept: Vec<Option<Event>> = order
        .iter()
        .zip(&merge.copy)
        .map(|(&(i, twin), &copy)| match (twin, copy) {
            (Some(t), false) => Some(renamed(&events[i], &twins[t].source)),
            _ => None,
        })
        .collect();
    let messages: Vec<(usize, Option<String>)> = merge
        .messages
        .iter()
        .map(|&(j, from)| (j, events[order[from].0].message.clone()))
        .collect();
    let mut decoded: Vec<Option<Event>> = std::mem::take(events).into_iter().map(Some).collect();
    for (p, &(i, twin)) in order.iter().enumerate() {
        if twin.is_none() && !merge.copy[p] {
            kept[p] = decoded[i].take();
        }
    }
    for (j, message) in messages {
        if let Some(e) = &mut kept[j] {
            e.message = message;
        }
    }
    for &(j, id) in &merge.record_ids {
        if let Some(e) = &mut kept[j] {
            e.record_id = Some(id);
        }
    }
    *events = kept.into_iter().flatten().collect();
    crate::memory::free_elsewhere(decoded);
    merge.by_file
}

/// Drops the second copy of events given twice (the same log in two formats, or one file given
/// twice): the same computer and record id where both copies have them, else the same second,
/// provider, id and computer. Only copies from different files are merged; the copy kept gains
/// the other's message and record id when it lacks them. Gives how many copies each file lost.
pub fn merge_copies_by_file(events: &mut Vec<Event>) -> HashMap<Arc<str>, u64> {
    // Only copies from different files merge: events of one file need no keys at all.
    if let Some(first) = events.first().map(|e| Arc::clone(&e.source_file)) {
        let one_file = events
            .iter()
            .all(|e| Arc::ptr_eq(&e.source_file, &first) || e.source_file == first);
        if one_file {
            return HashMap::new();
        }
    }
    let merge = plan(events.len(), |i| (&events[i], &events[i].source_file));
    for &(j, from) in &merge.messages {
        events[j].message = events[from].message.take();
    }
    for &(j, id) in &merge.record_ids {
        events[j].record_id = Some(id);
    }
    if !merge.by_file.is_empty() {
        let all = std::mem::take(events);
        let copies = merge.copy.iter().filter(|&&c| c).count();
        events.reserve_exact(all.len() - copies);
        let mut dropped = Vec::with_capacity(copies);
        for (event, copy) in all.into_iter().zip(merge.copy) {
            match copy {
                true => dropped.push(event),
                false => events.push(event),
            }
        }
        // In a folder of copies they are most of the events: the report need not wait for them.
        crate::memory::free_elsewhere(dropped);
    }
    merge.by_file
}

/// What merging decided, for items numbered in time order.
struct Merge {
    /// Whether the item is a copy of one before it (and left out).
    copy: Vec<bool>,
    /// (kept, copy): the kept item takes the copy's message (it had none).
    messages: Vec<(usize, usize)>,
    /// (kept, record id): the kept item takes its copy's record id (it had none).
    record_ids: Vec<(usize, u64)>,
    /// How many copies each file lost.
    by_file: HashMap<Arc<str>, u64>,
}

/// The merge of `n` time-sorted items, item `i` being `at(i)`: an event and its file's name.
fn plan<'a>(n: usize, at: impl Fn(usize) -> (&'a Event, &'a Arc<str>)) -> Merge {
    // Providers and computers compared without case, each as the number of its lowercase
    // spelling: a key then holds no text (a report's events are a few hundred thousand, the
    // distinct names a few dozen). Numbered apart: each sits in its own place of a key, and
    // each list mostly repeats its last name.
    let mut providers = Interner::default();
    let mut computers = Interner::default();
    let mut channels = Interner::default();
    let ids: Vec<(u32, u32, u32)> = (0..n)
        .map(|i| {
            let e = at(i).0;
            (
                providers.id(&e.provider),
                computers.id(&e.computer),
                channels.id(&e.channel),
            )
        })
        .collect();
    type Key = (Option<u64>, i64, u32, u32, u32);
    // Record numbers count per log: the record key is the log's (its channel in the provider's
    // place), so two logs of one computer whose numbers meet are not taken for each other.
    let key = |i: usize, e: &Event| -> Key {
        let (provider, computer, channel) = ids[i];
        match e.record_id.filter(|_| !e.computer.is_empty()) {
            Some(id) => (Some(id), 0, channel, 0, computer),
            None => (None, e.time.timestamp(), provider, e.event_id, computer),
        }
    };
    // An event with a record id is also findable by its time key, so that an export without ids
    // meets the EVTX copy that has them.
    let time_key = |i: usize, e: &Event| -> Key {
        let (provider, computer, _) = ids[i];
        (None, e.time.timestamp(), provider, e.event_id, computer)
    };
    let mut first: HashMap<Key, usize> = HashMap::with_capacity(n);
    let mut merge = Merge {
        copy: vec![false; n],
        messages: Vec::new(),
        record_ids: Vec::new(),
        by_file: HashMap::new(),
    };
    // Whether a kept item has gained a message or a record id from a copy.
    let (mut has_message, mut has_record_id) = (vec![false; n], vec![false; n]);
    for i in 0..n {
        let (e, file) = at(i);
        let keys = [key(i, e), time_key(i, e)];
        // Each key in turn: the first event under the record key may be another event of the
        // same number (a log cut and restarted), when the time key still finds the copy.
        let found = keys
            .iter()
            .filter_map(|k| first.get(k).copied())
            .find(|&j| {
                let (kept, kept_file) = at(j);
                kept_file != file
                    && kept.event_id == e.event_id
                    && kept.time.timestamp() == e.time.timestamp()
            });
        match found {
            Some(j) => {
                merge.copy[i] = true;
                *merge.by_file.entry(Arc::clone(file)).or_default() += 1;
                let kept = at(j).0;
                if kept.message.is_none() && !has_message[j] && e.message.is_some() {
                    merge.messages.push((j, i));
                    has_message[j] = true;
                }
                if let (None, false, Some(id)) = (kept.record_id, has_record_id[j], e.record_id) {
                    merge.record_ids.push((j, id));
                    has_record_id[j] = true;
                }
            }
            None => {
                for k in keys {
                    first.entry(k).or_insert(i);
                }
            }
        }
    }
    merge
}

/// Numbers for names compared without case: equal numbers for names whose lowercase spellings
/// are equal.
#[derive(Default)]
struct Interner {
    /// Each spelling seen, as given: its number.
    seen: HashMap<String, u32>,
    /// Each lowercase spelling: its number.
    lower: HashMap<String, u32>,
    /// The name asked for last, and its number.
    last: Option<(String, u32)>,
}

impl Interner {
    fn id(&mut self, name: &str) -> u32 {
        // Neighbouring events mostly repeat a name: a comparison, not a hash.
        if let Some((last, id)) = &self.last {
            if last == name {
                return *id;
            }
        }
        let id = match self.seen.get(name) {
            Some(&id) => id,
            None => {
                let next = self.lower.len() as u32;
                let id = *self.lower.entry(name.to_lowercase()).or_insert(next);
                self.seen.insert(name.to_string(), id);
                id
            }
        };
        match &mut self.last {
            Some((last, last_id)) => {
                last.clear();
                last.push_str(name);
                *last_id = id;
            }
            None => self.last = Some((name.to_string(), id)),
        }
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn event(file: &Arc<str>, second: u32, id: u32, record: Option<u64>, who: &str) -> Event {
        Event {
            time: Utc.with_ymd_and_hms(2011, 8, 15, 16, 0, second).unwrap(),
            record_id: record,
            channel: "System".into(),
            provider: "Service Control Manager".into(),
            event_id: id,
            level: crate::model::Level(4),
            computer: who.into(),
            message: None,
            data: Default::default(),
            source_file: Arc::clone(file),
        }
    }

    /// A System log, its byte-identical copy (a twin), the Application log of the same computer
    /// (record numbers that meet the System log's), and an export of the System log without
    /// record ids but with messages.
    fn evidence() -> (Vec<Event>, Vec<Twin>) {
        let (system, application, export, copy): (Arc<str>, Arc<str>, Arc<str>, Arc<str>) = (
            "a/System.evtx".into(),
            "a/Application.evtx".into(),
            "b/System.csv".into(),
            "c/System.evtx".into(),
        );
        let mut events = vec![
            event(&system, 1, 7036, Some(10), "SIPSVR01"),
            event(&system, 2, 7036, Some(11), "SIPSVR01"),
            event(&system, 2, 7036, Some(11), "SIPSVR01"),
            event(&system, 3, 6005, Some(12), "SIPSVR01"),
            event(&application, 0, 1000, Some(11), "SIPSVR01"),
            event(&export, 1, 7036, None, "sipsvr01"),
            event(&export, 3, 6005, None, "sipsvr01"),
        ];
        events[4].channel = "Application".into();
        events[5].message = Some("The service entered the running state.".into());
        let twin = Twin {
            source: copy,
            origin: 0..4,
        };
        (events, vec![twin])
    }

    #[test]
    fn twins_merge_as_their_built_events_would() {
        let (mut built, twins) = evidence();
        materialize(&mut built, &twins);
        assert_eq!(built.len(), 11);
        sort_events(&mut built);
        let built_by_file = merge_copies_by_file(&mut built);
        let (mut unbuilt, twins) = evidence();
        let unbuilt_by_file = sort_and_merge(&mut unbuilt, &twins);
        assert_eq!(unbuilt, built);
        assert_eq!(unbuilt_by_file, built_by_file);
        // What the merge found: every record of the copy (its two records 11 are the System
        // log's, not the Application log's record 11: record numbers count per log) and both of
        // the export's events are copies; the System log's own two records 11 both stay.
        let lost = |name: &str| unbuilt_by_file.get(name).copied();
        assert_eq!(lost("c/System.evtx"), Some(4));
        assert_eq!(lost("b/System.csv"), Some(2));
        assert_eq!(lost("a/Application.evtx"), None);
        assert_eq!(unbuilt.len(), 11 - 6);
        assert!(unbuilt[1].message.is_some(), "{:?}", unbuilt[1]);
    }
}
