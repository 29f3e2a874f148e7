//! What every reader of exported event logs (Event Viewer, PowerShell, wevtutil, evtx_dump, .evt)
//! shares: its options, its result (the events, or only their counts), and the one rule for
//! local times without a zone.
use crate::filter::EventFilter;
use crate::model::{Event, InputReport};
use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use std::collections::HashMap;

/// Day-month order of numeric dates in an export written in some culture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    Dmy,
    Mdy,
    Ymd,
}

/// How to read an export: what the file cannot say about itself.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// Zone of times written without one (`--input-tz` for this file).
    pub input_tz: Tz,
    /// `--date-order` for this file; `None`: decide from the file's values.
    pub date_order: Option<DateOrder>,
    /// `--channel`: the log's name when the export does not say it.
    pub channel: Option<String>,
    /// `--host`: the computer when the export does not name it.
    pub host: Option<String>,
    /// `--threads`: 1 keeps a reader on the caller's thread (0: as many as help).
    pub threads: usize,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            input_tz: Tz::UTC,
            date_order: None,
            channel: None,
            host: None,
            threads: 0,
        }
    }
}

/// One export file read: its events (in file order; or, as the readers fill it, a `Keep`), how
/// it went, and what was assumed.
#[derive(Debug, Default)]
pub struct ExportRead<K = Vec<Event>> {
    pub events: K,
    pub report: InputReport,
    /// Assumptions a reader of the report must see (zone, date order, DST resolutions).
    pub notes: Vec<String>,
}

/// What a reader keeps of each event it reads: the events, or only their counts (so that
/// counting a file never holds its events).
#[derive(Debug)]
pub enum Keep<'f> {
    Events(Vec<Event>),
    Counts(Tally<'f>),
}

impl Default for Keep<'_> {
    fn default() -> Self {
        Keep::Events(Vec::new())
    }
}

impl Keep<'_> {
    /// Only counts are kept: a reader need not build what a count does not read.
    pub fn counts_only(&self) -> bool {
        matches!(self, Keep::Counts(_))
    }

    pub fn event(&mut self, event: Event) {
        match self {
            Keep::Events(events) => events.push(event),
            Keep::Counts(tally) => {
                let key = tally.key(&event.channel, &event.provider, event.event_id);
                tally.add(key, event.time);
            }
        }
    }
}

impl<'f> ExportRead<Keep<'f>> {
    /// The read with its events (empty when only counts were kept).
    pub fn into_events(self) -> ExportRead {
        ExportRead {
            events: match self.events {
                Keep::Events(events) => events,
                Keep::Counts(_) => Vec::new(),
            },
            report: self.report,
            notes: self.notes,
        }
    }

    /// The read with its counts (the kept events counted, if events were kept).
    pub fn into_counts(self, filter: &'f EventFilter) -> ExportRead<Vec<Counted>> {
        let tally = match self.events {
            Keep::Counts(tally) => tally,
            Keep::Events(events) => {
                let mut tally = Tally::new(filter);
                for e in &events {
                    let key = tally.key(&e.channel, &e.provider, e.event_id);
                    tally.add(key, e.time);
                }
                tally
            }
        };
        ExportRead {
            events: tally.into_counts(),
            report: self.report,
            notes: self.notes,
        }
    }
}

/// The events of one (channel, provider, event id) that pass a filter: how many, first, last.
#[derive(Debug, Clone)]
pub struct Counted {
    pub channel: String,
    pub provider: String,
    pub event_id: u32,
    pub count: u64,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
}

/// Counts per (channel, provider, event id) of the events that pass a filter on id and time (the
/// only filter a count without events can apply; see `EventFilter::by_id_and_time_only`).
/// A row's key is found by its id and then its strings, without allocating once it is known.
#[derive(Debug)]
pub struct Tally<'f> {
    filter: &'f EventFilter,
    groups: Vec<(Counted, Option<u32>)>,
    /// The first group of each id below 65,536 (ids are 16 bits in EVTX), `u32::MAX` for none;
    /// larger ids (from text exports) in `wide`.
    heads: Vec<u32>,
    wide: HashMap<u32, u32>,
}

impl<'f> Tally<'f> {
    pub fn new(filter: &'f EventFilter) -> Self {
        Tally {
            filter,
            groups: Vec::new(),
            heads: Vec::new(),
            wide: HashMap::new(),
        }
    }

    /// The group of (channel, provider, id), made if new.
    pub fn key(&mut self, channel: &str, provider: &str, event_id: u32) -> u32 {
        let head = match usize::try_from(event_id).ok().filter(|&i| i < 1 << 16) {
            Some(i) => {
                if self.heads.is_empty() {
                    self.heads = vec![u32::MAX; 1 << 16];
                }
                self.heads.get(i).copied().unwrap_or(u32::MAX)
            }
            None => self.wide.get(&event_id).copied().unwrap_or(u32::MAX),
        };
        let mut at = head;
        while let Some((g, next)) = self.groups.get(at as usize) {
            if same(&g.channel, channel) && same(&g.provider, provider) {
                return at;
            }
            at = next.unwrap_or(u32::MAX);
        }
        let new = u32::try_from(self.groups.len()).unwrap_or(u32::MAX);
        self.groups.push((
            Counted {
                channel: channel.to_string(),
                provider: provider.to_string(),
                event_id,
                count: 0,
                first: DateTime::<Utc>::MAX_UTC,
                last: DateTime::<Utc>::MIN_UTC,
            },
            (head != u32::MAX).then_some(head),
        ));
        match usize::try_from(event_id).ok().filter(|&i| i < 1 << 16) {
            Some(i) => {
                if let Some(h) = self.heads.get_mut(i) {
                    *h = new;
                }
            }
            None => {
                self.wide.insert(event_id, new);
            }
        }
        new
    }

    /// One event of group `key` at `time`, counted if it passes the filter.
    pub fn add(&mut self, key: u32, time: DateTime<Utc>) {
        if let Some((g, _)) = self.groups.get_mut(key as usize) {
            if self.filter.wants_id_and_time(g.event_id, &time) {
                g.count += 1;
                g.first = g.first.min(time);
                g.last = g.last.max(time);
            }
        }
    }

    /// The groups with at least one event counted, in no particular order.
    pub fn into_counts(self) -> Vec<Counted> {
        self.groups
            .into_iter()
            .map(|(g, _)| g)
            .filter(|g| g.count > 0)
            .collect()
    }
}

/// `a == b`, with empty strings told apart before `memcmp` is called: glibc's AVX-512 `memcmp`
/// reads a zero-length pointer with a masked load, and an empty `String`'s dangling pointer makes
/// that load fault (suppressed, but at the cost of a microcode assist each time: 15% of a count
/// of an Event Viewer CSV, whose channel is empty).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && (a.is_empty() || a == b)
}

/// Turns local wall-clock times of one file into UTC, in file order.
///
/// An ambiguous time (the repeated hour of a DST fall-back) takes the earlier instant unless that
/// would put it before the previous time of the same file by more than it puts the later one: the
/// file's own order says which of the two hours it is in. Times that do not exist (the skipped
/// hour of spring-forward) are `None`; the caller counts them.
#[derive(Debug)]
pub struct LocalClock {
    zone: Tz,
    previous: Option<DateTime<Utc>>,
    /// Rows whose ambiguous time was resolved to the later instant by the file's order.
    pub resolved_later: u64,
    /// Rows whose ambiguous time took the earlier instant.
    pub resolved_earlier: u64,
    /// The file is newest first: the order test runs backwards.
    descending: bool,
}

impl LocalClock {
    pub fn new(zone: Tz, descending: bool) -> Self {
        LocalClock {
            zone,
            previous: None,
            resolved_later: 0,
            resolved_earlier: 0,
            descending,
        }
    }

    /// The file's direction, once it is known (see `new`).
    pub fn set_descending(&mut self, descending: bool) {
        self.descending = descending;
    }

    /// `to_utc`, unless `naive` falls in a repeated hour, whose reading needs the file's
    /// direction: then `None`, and nothing changes.
    pub fn to_utc_unless_ambiguous(
        &mut self,
        naive: NaiveDateTime,
    ) -> Option<Option<DateTime<Utc>>> {
        match self.local(naive) {
            LocalResult::Ambiguous(..) => None,
            LocalResult::Single(t) => {
                self.previous = Some(t);
                Some(Some(t))
            }
            LocalResult::None => Some(None),
        }
    }

    /// `naive` in the zone, as UTC instants.
    fn local(&self, naive: NaiveDateTime) -> LocalResult<DateTime<Utc>> {
        if self.zone == Tz::UTC {
            // No transitions: the same answer as the zone's, without its table search.
            return LocalResult::Single(naive.and_utc());
        }
        match self.zone.from_local_datetime(&naive) {
            LocalResult::Single(t) => LocalResult::Single(t.with_timezone(&Utc)),
            LocalResult::Ambiguous(a, b) => {
                LocalResult::Ambiguous(a.with_timezone(&Utc), b.with_timezone(&Utc))
            }
            LocalResult::None => LocalResult::None,
        }
    }

    pub fn to_utc(&mut self, naive: NaiveDateTime) -> Option<DateTime<Utc>> {
        let t = match self.local(naive) {
            LocalResult::Single(t) => t,
            LocalResult::Ambiguous(early, late) => {
                // In file order time does not step back (or forward, in a newest-first file):
                // the reading that keeps the order is the right one.
                let pick_late = match self.previous {
                    Some(prev) if self.descending => late <= prev,
                    Some(prev) => early < prev,
                    None => false,
                };
                if pick_late {
                    self.resolved_later += 1;
                    late
                } else {
                    self.resolved_earlier += 1;
                    early
                }
            }
            LocalResult::None => return None,
        };
        self.previous = Some(t);
        Some(t)
    }

    /// The note for the report, if any ambiguous time was met.
    pub fn note(&self) -> Option<String> {
        let total = self.resolved_later + self.resolved_earlier;
        (total > 0).then(|| {
            format!(
                "{total} local times fell in a repeated DST hour of {}: {} read as the first pass of that hour, {} as the second (by the file's order)",
                self.zone, self.resolved_earlier, self.resolved_later
            )
        })
    }
}
