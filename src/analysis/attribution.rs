//! One event, one window: every event goes to at most one window, so two outages minutes apart
//! keep their own events and are never "related" by a single shared one. Windows that overlap
//! (several targets of a host down together) are one outage seen from each target: an event
//! owned by one of them is also given to each other it falls within reach of (its lookback,
//! the window, its aftermath), so every target's window shows the host's events.
//!
//! An event belongs to the window it falls in; else to the nearest following window whose
//! lookback reaches it; else to the preceding window's aftermath (at most `AFTER_RECOVERY`, never
//! into the next window's lookback). Boot records in a window's aftermath recover that window,
//! even where the next window's lookback reaches back over them.
use super::event_findings::AFTER_RECOVERY;
use super::outages::{window_end, Outage};
use crate::knowledge::events::{self as kb, EventRole};
use crate::model::Event;
use chrono::{DateTime, Duration, Utc};

/// The span a window takes its context from: its lookback and aftermath, cut where the
/// neighbours' begin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Claim {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

fn recovers(e: &Event) -> bool {
    [
        EventRole::KernelStart,
        EventRole::LogStart,
        EventRole::BootInfo,
    ]
    .iter()
    .any(|&r| kb::has_role(&e.provider, e.event_id, r))
}

/// The window (index into `windows`, which are sorted by start) `e` belongs to, among those
/// `mine` allows (the windows of the event's host).
fn owner(
    e: &Event,
    windows: &[Outage],
    mine: &dyn Fn(usize) -> bool,
    lookback: Duration,
) -> Option<usize> {
    let t = e.time;
    let after = Duration::seconds(AFTER_RECOVERY);
    if let Some(i) = windows
        .iter()
        .enumerate()
        .position(|(i, w)| mine(i) && w.start <= t && t <= window_end(w))
    {
        return Some(i);
    }
    let preceding = windows
        .iter()
        .enumerate()
        .filter(|(i, _)| mine(*i))
        .filter(|(_, w)| window_end(w) < t && t <= window_end(w) + after)
        .max_by_key(|(_, w)| window_end(w))
        .map(|(i, _)| i);
    let following = windows
        .iter()
        .enumerate()
        .filter(|(i, _)| mine(*i))
        .filter(|(_, w)| w.start > t && w.start - lookback <= t)
        .min_by_key(|(_, w)| w.start)
        .map(|(i, _)| i);
    match (preceding, following) {
        (Some(p), Some(_)) if recovers(e) => Some(p),
        (_, Some(f)) => Some(f),
        (p, None) => p,
    }
}

/// For each window, the indices of the events it owns, in time order. `hosts[i]` is window i's
/// host (`None`: any host's events); `host_of` maps an event's Computer to its host.
pub fn attribute(
    events: &[Event],
    windows: &[Outage],
    hosts: &[Option<String>],
    host_of: &dyn Fn(&str) -> String,
    lookback: Duration,
) -> Vec<Vec<usize>> {
    let mut owned = vec![Vec::new(); windows.len()];
    if windows.is_empty() {
        return owned;
    }
    let first = windows.iter().map(|w| w.start).min().expect("not empty") - lookback;
    let last = windows.iter().map(window_end).max().expect("not empty")
        + Duration::seconds(AFTER_RECOVERY);
    let lo = events.partition_point(|e| e.time < first);
    let hi = events.partition_point(|e| e.time <= last);
    let together = overlapping(windows);
    let after = Duration::seconds(AFTER_RECOVERY);
    let reaches =
        |w: &Outage, t: DateTime<Utc>| w.start - lookback <= t && t <= window_end(w) + after;
    for (i, e) in events.iter().enumerate().take(hi).skip(lo) {
        let host = host_of(&e.computer);
        let mine = |i: usize| {
            hosts
                .get(i)
                .and_then(|h| h.as_deref())
                .is_none_or(|h| host.is_empty() || h == host)
        };
        if let Some(w) = owner(e, windows, &mine, lookback) {
            owned[w].push(i);
            for &j in &together[w] {
                if mine(j) && reaches(&windows[j], e.time) {
                    owned[j].push(i);
                }
            }
        }
    }
    owned
}

/// For each window, the other windows that overlap it in time (down together).
pub fn overlapping(windows: &[Outage]) -> Vec<Vec<usize>> {
    windows
        .iter()
        .enumerate()
        .map(|(i, w)| {
            windows
                .iter()
                .enumerate()
                .filter(|&(j, o)| j != i && o.start <= window_end(w) && w.start <= window_end(o))
                .map(|(j, _)| j)
                .collect()
        })
        .collect()
}

/// Each window's claim: from its lookback (not before the previous window's end) to its
/// aftermath (not past the next window's start).
pub fn claims(windows: &[Outage], lookback: Duration) -> Vec<Claim> {
    let after = Duration::seconds(AFTER_RECOVERY);
    windows
        .iter()
        .map(|w| {
            let end = window_end(w);
            let previous_end = windows
                .iter()
                .map(window_end)
                .filter(|&e| e < w.start)
                .max();
            let next_start = windows.iter().map(|o| o.start).filter(|&s| s > end).min();
            let from = previous_end.map_or(w.start - lookback, |p| (w.start - lookback).max(p));
            let to = next_start.map_or(end + after, |n| (end + after).min(n));
            Claim { from, to }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EventData, Level, OutageKind};
    use chrono::TimeZone;
    use std::sync::Arc;

    fn at(m: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2011, 8, 15, 12, 0, 0).unwrap() + Duration::minutes(m)
    }

    fn window(start: i64, end: i64) -> Outage {
        Outage {
            kind: OutageKind::Service,
            target: None,
            start: at(start),
            last_failure: at(end - 1),
            recovered_at: Some(at(end)),
            duration_seconds: Some((end - start) * 60),
            probes: Vec::new(),
        }
    }

    fn ev(m: i64, provider: &str, id: u32) -> Event {
        Event {
            time: at(m),
            record_id: None,
            channel: "System".into(),
            provider: provider.into(),
            event_id: id,
            level: Level::ERROR,
            computer: "h".into(),
            message: None,
            data: EventData::default(),
            source_file: Arc::from("x"),
        }
    }

    #[test]
    fn two_close_windows_keep_their_own_events() {
        // Windows 0..10 and 25..40, lookback 60 minutes.
        let windows = [window(0, 10), window(25, 40)];
        let events = vec![
            ev(-30, "Srv", 2019),             // lookback of the first
            ev(5, "Srv", 2020),               // inside the first
            ev(12, "EventLog", 6005),         // boot after the first, in the second's lookback
            ev(15, "Application Popup", 333), // the second's lookback wins over the aftermath
            ev(30, "Srv", 2019),              // inside the second
            ev(65, "Srv", 2019),              // aftermath of the second
            ev(80, "Srv", 2019),              // nobody's
        ];
        let owned = attribute(
            &events,
            &windows,
            &[None, None],
            &|c| c.to_string(),
            Duration::minutes(60),
        );
        assert_eq!(owned, vec![vec![0, 1, 2], vec![3, 4, 5]]);
        let c = claims(&windows, Duration::minutes(60));
        assert_eq!(
            c[0],
            Claim {
                from: at(-60),
                to: at(25)
            }
        );
        assert_eq!(
            c[1],
            Claim {
                from: at(10),
                to: at(70)
            }
        );
    }

    #[test]
    fn windows_down_together_share_their_events_and_a_later_one_keeps_its_own() {
        // Two targets of the host down together (0..10 and 2..10), a third minutes later.
        let windows = [window(0, 10), window(2, 10), window(25, 40)];
        let events = vec![
            ev(-30, "Srv", 2019), // lookback of both down together
            ev(5, "Srv", 2020),   // inside both
            ev(30, "Srv", 2019),  // inside the later one only
        ];
        let owned = attribute(
            &events,
            &windows,
            &[None, None, None],
            &|c| c.to_string(),
            Duration::minutes(60),
        );
        assert_eq!(owned, vec![vec![0, 1], vec![0, 1], vec![2]]);
        assert_eq!(overlapping(&windows), vec![vec![1], vec![0], vec![]]);
    }
}
