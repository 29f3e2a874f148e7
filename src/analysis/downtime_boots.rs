//! The boots of one host's log: the boot records that belong together, when the system came up,
//! and which records were written before each boot by their place in its log.
use super::{cite, role, BOOT_CLUSTER};
use crate::knowledge::events::EventRole;
use crate::model::Event;
use crate::timefmt::parse_event_time;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// One boot: its records within `BOOT_CLUSTER`, at most one of each kind.
pub(super) struct Boot<'a> {
    pub(super) records: Vec<&'a Event>,
    pub(super) at: DateTime<Utc>,
    pub(super) basis: String,
    /// The log file of the boot's records and the lowest record number among them.
    first_id: Option<(Arc<str>, u64)>,
}

pub(super) fn boots<'a>(events: &[&'a Event]) -> Vec<Boot<'a>> {
    let mut out: Vec<Boot> = Vec::new();
    let kinds = [
        EventRole::KernelStart,
        EventRole::LogStart,
        EventRole::BootInfo,
    ];
    for e in events.iter().copied() {
        let Some(kind) = kinds.iter().position(|&r| role(e, r)) else {
            continue;
        };
        let joins = out.last().is_some_and(|b| {
            e.time - b.records[0].time <= BOOT_CLUSTER
                && !b
                    .records
                    .iter()
                    .any(|r| kinds.iter().position(|&k| role(r, k)) == Some(kind))
        });
        if joins {
            out.last_mut().expect("joins needs a last").records.push(e);
        } else {
            out.push(Boot {
                records: vec![e],
                at: e.time,
                basis: String::new(),
                first_id: None,
            });
        }
    }
    for b in &mut out {
        let kernel = b.records.iter().find(|e| role(e, EventRole::KernelStart));
        b.first_id = first_record(&b.records);
        // A StartTime far from its record's own time was written with a clock corrected since
        // (clock.rs moved the record, not the value inside it): the record's time is the truth.
        let start = kernel
            .and_then(|e| e.data.get("StartTime").and_then(parse_event_time))
            .filter(|t| kernel.is_some_and(|e| (e.time - *t).abs() <= BOOT_CLUSTER));
        (b.at, b.basis) = match (kernel, start) {
            (Some(e), Some(t)) => (t, format!("StartTime of {}", cite(e))),
            _ => {
                let first = b
                    .records
                    .iter()
                    .min_by_key(|e| e.time)
                    .expect("a boot has a record");
                (first.time, cite(first))
            }
        };
        if kernel.is_none() {
            logged_during(b, events);
        }
    }
    out
}

/// The file and the lowest record number of a boot's records: what was written before the boot.
fn first_record(records: &[&Event]) -> Option<(Arc<str>, u64)> {
    records
        .iter()
        .filter_map(|e| Some((e.source_file.clone(), e.record_id?)))
        .min_by_key(|(_, id)| *id)
}

/// Whether `e` was written before the boot `b` began, by its place in the boot's own log.
pub(super) fn written_before(e: &Event, b: &Boot) -> Option<bool> {
    let (file, first) = b.first_id.as_ref()?;
    (e.source_file == *file)
        .then_some(e.record_id)
        .flatten()
        .map(|id| id < *first)
}

/// Without a kernel start record (Windows XP and 2003, whose `.evt` logs have none), the boot is
/// dated by the log service's start, and what drivers logged while the system came up before it
/// is written after it, stamped earlier. The earliest of those dates the boot: the system was up.
fn logged_during<'a>(b: &mut Boot<'a>, events: &[&'a Event]) {
    // Not a stop record of the run before, nor a record of the time service, stamped by a clock
    // it may just have set back.
    let excluded = [
        EventRole::LogStop,
        EventRole::KernelStop,
        EventRole::ShutdownRequest,
        EventRole::ClockChange,
        EventRole::TimeSync,
    ];
    // `events` are in time order: only the cluster's span before the boot is looked at.
    let from = events.partition_point(|e| e.time < b.at - BOOT_CLUSTER);
    let to = events.partition_point(|e| e.time < b.at);
    let during = events[from..to]
        .iter()
        .filter(|e| written_before(e, b) == Some(false))
        .filter(|e| !excluded.iter().any(|&r| role(e, r)))
        .min_by_key(|e| (e.time, e.record_id));
    if let Some(e) = during {
        b.records.push(e);
        b.basis = format!(
            "{}, logged while the system came up, before {}",
            cite(e),
            b.basis
        );
        b.at = e.time;
    }
}
