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
use super::intervals::{Intervals, Span};
use super::outages::{window_end, Outage};
use crate::knowledge::events::{self as kb, EventRole};
use crate::model::Event;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;

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

/// The windows the events of one host may go to (its own and those of no host), looked up by
/// time instead of scanned: one per host, built when its first event comes.
struct HostWindows {
    /// Indices into `windows`, ascending.
    index: Vec<usize>,
    /// Their spans, start to end.
    within: Intervals,
    /// (end, window) sorted: the latest end before a time.
    by_end: Vec<(DateTime<Utc>, usize)>,
    /// (start, window) sorted: the earliest start after a time.
    by_start: Vec<(DateTime<Utc>, usize)>,
}

impl HostWindows {
    fn new(windows: &[Outage], mine: impl Fn(usize) -> bool) -> Self {
        let index: Vec<usize> = (0..windows.len()).filter(|&i| mine(i)).collect();
        let within = Intervals::new(index.iter().map(|&i| span(&windows[i])));
        let mut by_end: Vec<_> = index
            .iter()
            .map(|&i| (window_end(&windows[i]), i))
            .collect();
        let mut by_start: Vec<_> = index.iter().map(|&i| (windows[i].start, i)).collect();
        by_end.sort_unstable();
        by_start.sort_unstable();
        HostWindows {
            index,
            within,
            by_end,
            by_start,
        }
    }
}

fn span(w: &Outage) -> Span {
    (w.start, window_end(w))
}

/// The window (index into `windows`, which are sorted by start) `e` belongs to, among `mine`
/// (the windows of the event's host): the first it falls in, else the nearest following
/// (earliest start, then lowest index) whose lookback reaches it, else the preceding one (latest
/// end, then highest index) whose aftermath reaches it; a boot record with both goes to the
/// preceding one.
fn owner(e: &Event, mine: &HostWindows, lookback: Duration) -> Option<usize> {
    let t = e.time;
    let after = Duration::seconds(AFTER_RECOVERY);
    // Windows sorted by start: the first in start order is the first by index.
    if let Some(k) = mine.within.first_overlapping(t, t) {
        return Some(mine.index[k]);
    }
    let before = mine.by_end.partition_point(|&(end, _)| end < t);
    let preceding = before
        .checked_sub(1)
        .map(|k| mine.by_end[k])
        .filter(|&(end, _)| t <= end + after)
        .map(|(_, i)| i);
    let next = mine.by_start.partition_point(|&(start, _)| start <= t);
    let following = mine
        .by_start
        .get(next)
        .filter(|&&(start, _)| start - lookback <= t)
        .map(|&(_, i)| i);
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
    debug_assert!(windows.windows(2).all(|p| p[0].start <= p[1].start));
    let first = windows.iter().map(|w| w.start).min().expect("not empty") - lookback;
    let last = windows.iter().map(window_end).max().expect("not empty")
        + Duration::seconds(AFTER_RECOVERY);
    let lo = events.partition_point(|e| e.time < first);
    let hi = events.partition_point(|e| e.time <= last);
    if lo >= hi {
        return owned;
    }
    let together = overlapping(windows);
    let after = Duration::seconds(AFTER_RECOVERY);
    let reaches =
        |w: &Outage, t: DateTime<Utc>| w.start - lookback <= t && t <= window_end(w) + after;
    let mut by_host: HashMap<String, HostWindows> = HashMap::new();
    for (i, e) in events.iter().enumerate().take(hi).skip(lo) {
        let host = host_of(&e.computer);
        let mine = |i: usize| {
            hosts
                .get(i)
                .and_then(|h| h.as_deref())
                .is_none_or(|h| host.is_empty() || h == host)
        };
        let group = by_host
            .entry(host.clone())
            .or_insert_with(|| HostWindows::new(windows, mine));
        if let Some(w) = owner(e, group, lookback) {
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

/// For each window, the other windows that overlap it in time (down together), ascending.
pub fn overlapping(windows: &[Outage]) -> Vec<Vec<usize>> {
    let index = Intervals::new(windows.iter().map(span));
    windows
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let mut others = index.overlapping(w.start, window_end(w));
            others.retain(|&j| j != i);
            others
        })
        .collect()
}

/// Each window's claim: from its lookback (not before the previous window's end) to its
/// aftermath (not past the next window's start).
pub fn claims(windows: &[Outage], lookback: Duration) -> Vec<Claim> {
    let after = Duration::seconds(AFTER_RECOVERY);
    let mut ends: Vec<DateTime<Utc>> = windows.iter().map(window_end).collect();
    let mut starts: Vec<DateTime<Utc>> = windows.iter().map(|w| w.start).collect();
    ends.sort_unstable();
    starts.sort_unstable();
    windows
        .iter()
        .map(|w| {
            let end = window_end(w);
            // The latest end before this start, the earliest start after this end.
            let previous_end = ends[..ends.partition_point(|&e| e < w.start)].last();
            let next_start = starts.get(starts.partition_point(|&s| s <= end));
            let from = previous_end.map_or(w.start - lookback, |&p| (w.start - lookback).max(p));
            let to = next_start.map_or(end + after, |&n| (end + after).min(n));
            Claim { from, to }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::intervals::tests::Rng;
    use crate::model::{EventData, Level, OutageKind};
    use chrono::TimeZone;
    use std::sync::Arc;

    // The all-pairs versions the indexed ones replaced: the reference of the random tests.
    /// The window (index into `windows`, which are sorted by start) `e` belongs to, among those
    /// `mine` allows (the windows of the event's host).
    fn owner_scan(
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
    fn attribute_scan(
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
        let together = overlapping_scan(windows);
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
            if let Some(w) = owner_scan(e, windows, &mine, lookback) {
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
    fn overlapping_scan(windows: &[Outage]) -> Vec<Vec<usize>> {
        windows
            .iter()
            .enumerate()
            .map(|(i, w)| {
                windows
                    .iter()
                    .enumerate()
                    .filter(|&(j, o)| {
                        j != i && o.start <= window_end(w) && w.start <= window_end(o)
                    })
                    .map(|(j, _)| j)
                    .collect()
            })
            .collect()
    }

    /// Each window's claim: from its lookback (not before the previous window's end) to its
    /// aftermath (not past the next window's start).
    fn claims_scan(windows: &[Outage], lookback: Duration) -> Vec<Claim> {
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
            answered: Vec::new(),
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

    /// A random window: starts on few minutes (ties), zero-length or not, recovered or not.
    fn random_window(rng: &mut Rng) -> Outage {
        let start = rng.below(200) as i64 - 20;
        let last = start + rng.below(25) as i64;
        let recovered = (rng.below(4) > 0).then(|| at(last + rng.below(3) as i64));
        Outage {
            kind: OutageKind::Service,
            target: None,
            start: at(start),
            last_failure: at(last),
            recovered_at: recovered,
            duration_seconds: None,
            probes: Vec::new(),
            answered: Vec::new(),
        }
    }

    fn random_event(rng: &mut Rng) -> Event {
        let (provider, id) =
            [("Srv", 2019), ("EventLog", 6005), ("EventLog", 6006)][rng.below(3) as usize];
        let mut e = ev(rng.below(320) as i64 - 80, provider, id);
        e.computer = ["", "a", "b", "c"][rng.below(4) as usize].into();
        e
    }

    /// A random case: windows sorted by start, their hosts, events in time order, a lookback.
    type Case = (Vec<Outage>, Vec<Option<String>>, Vec<Event>, Duration);

    fn random_cases() -> Vec<Case> {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        (0..600)
            .map(|case| {
                let n = rng.below(30) as usize + case % 2;
                let mut windows: Vec<Outage> = (0..n).map(|_| random_window(&mut rng)).collect();
                windows.sort_by_key(|w| w.start);
                let hosts: Vec<Option<String>> = (0..n)
                    .map(|_| [None, Some("a"), Some("b")][rng.below(3) as usize].map(String::from))
                    .collect();
                let mut events: Vec<Event> =
                    (0..rng.below(60)).map(|_| random_event(&mut rng)).collect();
                events.sort_by_key(|e| e.time);
                let lookback = Duration::minutes(rng.below(90) as i64);
                (windows, hosts, events, lookback)
            })
            .collect()
    }

    #[test]
    fn indexed_attribution_matches_the_all_pairs_scan_on_random_windows() {
        let host_of = |c: &str| c.to_string();
        for (case, (windows, hosts, events, lookback)) in random_cases().iter().enumerate() {
            assert_eq!(
                attribute(events, windows, hosts, &host_of, *lookback),
                attribute_scan(events, windows, hosts, &host_of, *lookback),
                "case {case}"
            );
        }
    }

    #[test]
    fn indexed_overlapping_matches_the_all_pairs_scan_on_random_windows() {
        for (case, (windows, _, _, _)) in random_cases().iter().enumerate() {
            assert_eq!(
                overlapping(windows),
                overlapping_scan(windows),
                "case {case}"
            );
        }
    }

    #[test]
    fn claims_by_binary_search_match_the_all_pairs_scan_on_random_windows() {
        for (case, (windows, _, _, lookback)) in random_cases().iter().enumerate() {
            assert_eq!(
                claims(windows, *lookback),
                claims_scan(windows, *lookback),
                "case {case}"
            );
        }
    }
}
