//! Everything that yields `Event`s besides EVTX: exports of Event Viewer, PowerShell, wevtutil,
//! evtx_dump and EvtxECmd, and legacy `.evt` files. One `sniff` and one `read` for the wing; each
//! format's reader lives in its own file.
mod copies;
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
use std::path::Path;
use std::sync::Arc;

pub use crate::model::{ExportKind, MarkupFormat, TextFormat};
pub use copies::{materialize, merge_copies_by_file, sort_and_merge, Twin};

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
        ExportKind::Evt => evt::read_evt_into(path, opts, keep)?,
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

#[cfg(test)]
mod copies_tests {
    use super::*;
    use chrono::{TimeZone, Timelike};

    fn event(
        file: &Arc<str>,
        second: u32,
        id: u32,
        record: Option<u64>,
        who: (&str, &str),
    ) -> Event {
        Event {
            time: Utc.with_ymd_and_hms(2011, 8, 15, 16, 0, second).unwrap(),
            record_id: record,
            channel: "System".into(),
            provider: who.0.into(),
            event_id: id,
            level: crate::model::Level(4),
            computer: who.1.into(),
            message: None,
            data: Default::default(),
            source_file: Arc::clone(file),
        }
    }

    #[test]
    fn copies_merge_across_files_by_record_id_or_time_key_whatever_the_case() {
        let (evtx, export): (Arc<str>, Arc<str>) = ("System.evtx".into(), "System.csv".into());
        let scm = ("Service Control Manager", "SIPSVR01.corp");
        let mut events = vec![
            event(&evtx, 1, 7036, Some(10), scm),
            event(&evtx, 2, 7036, Some(11), scm),
            event(&evtx, 3, 6005, Some(12), ("EventLog", "SIPSVR01.corp")),
            // The export's copies: no record id and other case (time key), or the same record id.
            event(
                &export,
                1,
                7036,
                None,
                ("service control manager", "sipsvr01.CORP"),
            ),
            event(
                &export,
                2,
                7036,
                Some(11),
                ("Service Control Manager", "sipsvr01.corp"),
            ),
            // Not copies: another id at the same second, another computer, another second.
            event(&export, 3, 6006, None, ("eventlog", "sipsvr01.corp")),
            event(&export, 3, 6005, None, ("eventlog", "OTHER")),
            event(&export, 4, 6005, None, ("eventlog", "sipsvr01.corp")),
        ];
        events[3].message = Some("The service entered the running state.".into());
        let merged = merge_copies_by_file(&mut events);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged.get(&export), Some(&2));
        assert_eq!(events.len(), 6);
        // The kept copy gained the export's message.
        assert_eq!(
            events[0].message.as_deref(),
            Some("The service entered the running state.")
        );
        let left: Vec<(u32, u32, &str)> = events
            .iter()
            .skip(3)
            .map(|e| (e.time.second(), e.event_id, e.computer.as_str()))
            .collect();
        assert_eq!(
            left,
            [
                (3, 6006, "sipsvr01.corp"),
                (3, 6005, "OTHER"),
                (4, 6005, "sipsvr01.corp")
            ]
        );
        // One file: nothing to merge, even exact repeats.
        let mut one = vec![
            event(&evtx, 1, 7036, None, scm),
            event(&evtx, 1, 7036, None, scm),
        ];
        assert!(merge_copies_by_file(&mut one).is_empty());
        assert_eq!(one.len(), 2);
    }
}
