//! Everything that yields `Event`s besides EVTX: exports of Event Viewer, PowerShell, wevtutil,
//! evtx_dump and EvtxECmd, and legacy `.evt` files. One `sniff` and one `read` for the wing; each
//! format's reader lives in its own file.
pub mod evt;
pub mod evtx;
pub mod export;
pub mod export_csv;
pub mod export_json;
pub mod export_text;
pub mod export_xml;

use self::export::{ExportOptions, ExportRead, Keep};
use crate::error::Result;
use crate::filter::EventFilter;
use crate::model::{Event, InputReport};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

pub use crate::model::{ExportKind, MarkupFormat, TextFormat};

/// Which event export `head` (the first bytes of a file) is, if any.
pub fn sniff(head: &[u8]) -> Option<ExportKind> {
    if evt::sniff(head) {
        return Some(ExportKind::Evt);
    }
    export_xml::sniff(head)
        .or_else(|| export_json::sniff(head))
        .map(ExportKind::Markup)
        .or_else(|| export_csv::sniff(head).map(ExportKind::Text))
}

/// Reads one export into events (in file order) with its report and notes.
pub fn read(path: &Path, kind: ExportKind, opts: &ExportOptions) -> Result<ExportRead> {
    read_into(path, kind, opts, Keep::Events(Vec::new())).map(ExportRead::into_events)
}

/// `read`, each event handed to `keep` as it is read (`.evt` files are read whole first).
fn read_into<'a>(
    path: &Path,
    kind: ExportKind,
    opts: &'a ExportOptions,
    keep: Keep<'a>,
) -> Result<ExportRead<Keep<'a>>> {
    let mut read = match kind {
        ExportKind::Evt => {
            let read = evt::read_evt(path, opts)?;
            let mut keep = keep;
            for e in read.events {
                keep.event(e);
            }
            ExportRead {
                events: keep,
                report: read.report,
                notes: read.notes,
            }
        }
        ExportKind::Text(f) => export_csv::read_into(path, f, opts, keep)?,
        ExportKind::Markup(f) if f.is_json() => export_json::read_into(path, f, opts, keep)?,
        ExportKind::Markup(f) => export_xml::read_into(path, f, opts, keep)?,
    };
    read.report.kind = crate::model::InputKind::EventExport(kind);
    Ok(read)
}

/// One export counted per (channel, provider, event id) as it is read, no event held: the same
/// counts, report and notes as `read_with_exports` over this file alone and a count of its events
/// (one file has no copies to merge). `filter` must decide by id and time alone
/// (`EventFilter::by_id_and_time_only`).
pub fn count_export(
    path: &Path,
    kind: ExportKind,
    opts: &ExportOptions,
    filter: &EventFilter,
) -> ExportCounted {
    let keep = Keep::Counts(export::Tally::new(filter));
    match read_into(path, kind, opts, keep) {
        Ok(read) => {
            let read = read.into_counts(filter);
            ExportCounted {
                counts: read.events,
                notes: notes_of(path, &read.notes),
                report: read.report,
            }
        }
        Err(err) => ExportCounted {
            counts: Vec::new(),
            report: InputReport::unusable(
                path,
                crate::model::InputKind::EventExport(kind),
                err.message_for(path),
            ),
            notes: Vec::new(),
        },
    }
}

/// What `count_export` gave.
#[derive(Debug)]
pub struct ExportCounted {
    pub counts: Vec<export::Counted>,
    pub report: InputReport,
    /// What the reader noted, each line starting with the file.
    pub notes: Vec<String>,
}

/// A reader's notes, each starting with its file.
fn notes_of(path: &Path, notes: &[String]) -> Vec<String> {
    notes
        .iter()
        .map(|note| format!("{}: {note}", path.display()))
        .collect()
}

/// What reading EVTX files and exports together gave.
#[derive(Debug, Default)]
pub struct EventsRead {
    /// Events that pass the filter, in time order (then file, then record), each copy merged.
    pub events: Vec<Event>,
    /// One per input: the EVTX files first, then the exports, in the order given.
    pub reports: Vec<InputReport>,
    /// What the export readers noted, each line starting with its file.
    pub notes: Vec<String>,
    /// Events that were in more than one input (see `merge_copies`).
    pub merged: u64,
}

/// Reads EVTX files (whole, `threads` workers each; 0: all cores) and exports, each export with
/// its own options, into one list of the events that pass `filter`; `on_file` is called as each
/// file is done (for progress).
pub fn read_with_exports(
    evtx_paths: &[&Path],
    exports: &[(&Path, ExportKind, ExportOptions)],
    filter: &EventFilter,
    threads: usize,
    on_file: &(dyn Fn(&Path) + Sync),
) -> EventsRead {
    let keep = |events: Vec<Event>| events;
    let (chunks, mut reports) =
        evtx::read_evtx_files_mapped(evtx_paths, filter, threads, on_file, &keep);
    let mut events: Vec<Event> = chunks.into_iter().flatten().collect();
    let mut notes = Vec::new();
    for (path, kind, opts) in exports {
        match read(path, *kind, opts) {
            Ok(read) => {
                notes.extend(notes_of(path, &read.notes));
                if events.is_empty() {
                    // The first list is kept as it is (no copy of a million events into a
                    // growing list).
                    events = read.events;
                    events.retain(|e| filter.matches(e));
                } else {
                    events.extend(read.events.into_iter().filter(|e| filter.matches(e)));
                }
                reports.push(read.report);
            }
            Err(err) => reports.push(InputReport::unusable(
                path,
                crate::model::InputKind::EventExport(*kind),
                err.message_for(path),
            )),
        }
        on_file(path);
    }
    sort_events(&mut events);
    let merged = merge_copies(&mut events);
    EventsRead {
        events,
        reports,
        notes,
        merged,
    }
}

/// Time order; for equal times, the order the files were given and their record order.
///
/// The events are large: small keys (time, the file's rank among the names, record id, place)
/// are sorted instead, and each event then moved once to its place, rather than each event
/// moved at every step of a merge sort. The place makes the key sort as stable as `sort_by`.
pub fn sort_events(events: &mut [Event]) {
    let mut files: Vec<&Arc<str>> = Vec::new();
    for e in events.iter() {
        if !files.last().is_some_and(|f| Arc::ptr_eq(f, &e.source_file))
            && !files.iter().any(|f| **f == e.source_file)
        {
            files.push(&e.source_file);
        }
    }
    files.sort();
    let rank = |file: &Arc<str>| files.partition_point(|f| **f < *file);
    let mut last: Option<(&Arc<str>, usize)> = None;
    let mut keys: Vec<(DateTime<Utc>, usize, Option<u64>, usize)> = events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let r = match last {
                Some((f, r)) if Arc::ptr_eq(f, &e.source_file) => r,
                _ => rank(&e.source_file),
            };
            last = Some((&e.source_file, r));
            (e.time, r, e.record_id, i)
        })
        .collect();
    keys.sort_unstable();
    // Position k takes the event that was at keys[k].3: follow each cycle of the permutation.
    let mut from: Vec<usize> = keys.into_iter().map(|k| k.3).collect();
    for start in 0..from.len() {
        let mut k = start;
        while from[k] != start {
            let next = from[k];
            events.swap(k, next);
            from[k] = k;
            k = next;
        }
        from[k] = k;
    }
}

/// Drops the second copy of events given twice (the same log in two formats, or one file given
/// twice): the same computer and record id where both copies have them, else the same second,
/// provider, id and computer. Only copies from different files are merged; the copy kept gains
/// the other's message and record id when it lacks them. Gives how many were merged.
pub fn merge_copies(events: &mut Vec<Event>) -> u64 {
    merge_copies_by_file(events).values().sum()
}

/// `merge_copies`, giving how many copies each file lost.
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
    type Key = (Option<u64>, i64, String, u32, String);
    let key = |e: &Event| -> Key {
        match e.record_id.filter(|_| !e.computer.is_empty()) {
            Some(id) => (Some(id), 0, String::new(), 0, e.computer.to_lowercase()),
            None => (
                None,
                e.time.timestamp(),
                e.provider.to_lowercase(),
                e.event_id,
                e.computer.to_lowercase(),
            ),
        }
    };
    // An event with a record id is also findable by its time key, so that an export without ids
    // meets the EVTX copy that has them.
    let time_key = |e: &Event| -> Key {
        (
            None,
            e.time.timestamp(),
            e.provider.to_lowercase(),
            e.event_id,
            e.computer.to_lowercase(),
        )
    };
    let mut first: HashMap<Key, usize> = HashMap::with_capacity(events.len());
    let mut drop = vec![false; events.len()];
    let mut merged: HashMap<Arc<str>, u64> = HashMap::new();
    for i in 0..events.len() {
        let keys = [key(&events[i]), time_key(&events[i])];
        let found = keys
            .iter()
            .find_map(|k| first.get(k).copied())
            .filter(|&j| {
                events[j].source_file != events[i].source_file
                    && events[j].event_id == events[i].event_id
                    && events[j].time.timestamp() == events[i].time.timestamp()
            });
        match found {
            Some(j) => {
                drop[i] = true;
                *merged.entry(events[i].source_file.clone()).or_default() += 1;
                let (message, record_id) = (events[i].message.take(), events[i].record_id);
                let kept = &mut events[j];
                if kept.message.is_none() {
                    kept.message = message;
                }
                if kept.record_id.is_none() {
                    kept.record_id = record_id;
                }
            }
            None => {
                for k in keys {
                    first.entry(k).or_insert(i);
                }
            }
        }
    }
    if !merged.is_empty() {
        let mut i = 0;
        events.retain(|_| {
            i += 1;
            !drop[i - 1]
        });
    }
    merged
}
