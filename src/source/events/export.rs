//! What every reader of exported event logs (Event Viewer, PowerShell, wevtutil, evtx_dump, .evt)
//! shares: its options, its result, and the one rule for local times without a zone.
use crate::model::{Event, InputReport};
use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

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
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            input_tz: Tz::UTC,
            date_order: None,
            channel: None,
            host: None,
        }
    }
}

/// One export file read: its events (in file order), how it went, and what was assumed.
#[derive(Debug, Default)]
pub struct ExportRead {
    pub events: Vec<Event>,
    pub report: InputReport,
    /// Assumptions a reader of the report must see (zone, date order, DST resolutions).
    pub notes: Vec<String>,
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

    pub fn to_utc(&mut self, naive: NaiveDateTime) -> Option<DateTime<Utc>> {
        let t = match self.zone.from_local_datetime(&naive) {
            LocalResult::Single(t) => t.with_timezone(&Utc),
            LocalResult::Ambiguous(early, late) => {
                let (early, late) = (early.with_timezone(&Utc), late.with_timezone(&Utc));
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
