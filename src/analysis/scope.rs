//! Which events a report needs, read in two passes so that a big log costs filtered reads, not a
//! full one. The first pass reads the story from the whole log: every shutdown, boot, crash,
//! clock change and install (`story_scope`). From the story and the probes, the second pass
//! reads what the analyses look at around them (`report_event_scope`): every event near a
//! probe failure or a boot (findings, the last record before a crash, the boot-vs-recovery
//! check), and a crashed service's state changes for a day after (`SERVICE_LOOKAHEAD`). A third
//! pass reads on to the host's next boot for a service not seen running again within that day
//! (`unsettled_service_scope`).
use crate::filter::{merge_spans, EventScope, IdsInSpans, Span};
use crate::knowledge::events::{self as kb, EventRole};
use crate::model::{Event, ProbeSeries, ProbeState};
use chrono::{DateTime, Duration, Utc};

/// Room kept around each failure and boot beyond the lookback and the findings' after-recovery
/// time: a window can start or end up to a check interval away from its failed checks, and a
/// boot's own records (6008, 41, 1076) come minutes after its first.
const MARGIN: Duration = Duration::hours(2);

/// How far after a service crash the second pass looks for its 7036 "running": most services
/// are back within minutes, and reading every 7036 up to the next boot (days, in a busy log
/// hundreds of thousands) would cost what the passes save. A crash still unsettled then gets a
/// third pass, up to the boot.
const SERVICE_LOOKAHEAD: Duration = Duration::days(1);

/// The roles the downtime and clock analyses read from the whole log: every shutdown, boot,
/// crash and clock change, wherever the probes are. A service's state changes (7036, hundreds
/// of thousands in a busy log) are not among them: only those after a crash are read.
const STORY_ROLES: &[EventRole] = &[
    EventRole::ShutdownRequest,
    EventRole::UnexpectedShutdownReason,
    EventRole::LogStop,
    EventRole::KernelStop,
    EventRole::KernelStart,
    EventRole::LogStart,
    EventRole::BootInfo,
    EventRole::UnexpectedShutdown,
    EventRole::PowerLoss,
    EventRole::Bugcheck,
    EventRole::ClockChange,
    EventRole::ServiceCrash,
    EventRole::ServiceFailure,
    EventRole::Rename,
];

const BOOT_ROLES: &[EventRole] = &[
    EventRole::KernelStart,
    EventRole::LogStart,
    EventRole::BootInfo,
];

fn has_any_role(e: &Event, roles: &[EventRole]) -> bool {
    roles
        .iter()
        .any(|&r| kb::has_role(&e.provider, e.event_id, r))
}

/// The first pass: the story's ids and the changes' ids, from anywhere in the log.
pub fn story_scope() -> EventScope {
    let mut ids_anywhere = super::changes::change_event_ids();
    ids_anywhere.extend(kb::ids_with_roles(STORY_ROLES));
    ids_anywhere.sort_unstable();
    ids_anywhere.dedup();
    EventScope {
        ids_anywhere,
        ..EventScope::default()
    }
}

/// The second pass of a report over `probes`, given `story` (time-sorted, read with
/// `story_scope`), with findings looking back `lookback` and failures up to `merge_gap` apart
/// joined into one window. It skips the story's ids: the first pass has them all.
pub fn report_event_scope(
    probes: &[ProbeSeries],
    story: &[Event],
    lookback: Duration,
    merge_gap: Duration,
) -> EventScope {
    let before = lookback + MARGIN;
    let after = Duration::seconds(super::event_findings::AFTER_RECOVERY) + merge_gap + MARGIN;
    let mut spans = failure_spans(probes, before, after);
    spans.extend(boot_spans(story, before, after));
    let mut service_ids = kb::ids_with_roles(&[EventRole::ServiceState]);
    service_ids.sort_unstable();
    EventScope {
        spans: merge_spans(spans),
        ids_anywhere: Vec::new(),
        ids_in_spans: Some(IdsInSpans {
            ids: service_ids,
            spans: merge_spans(service_spans(story)),
        }),
        skip_ids: story_scope().ids_anywhere,
    }
}

/// Around every failed check or failing state interval.
fn failure_spans(probes: &[ProbeSeries], before: Duration, after: Duration) -> Vec<Span> {
    let mut spans = Vec::new();
    for p in probes {
        let checks = &p.checks;
        for (i, c) in checks.iter().enumerate().filter(|(_, c)| !c.ok()) {
            // A window reaches from the check before a failure to the check after it.
            let previous = i.checked_sub(1).map_or(c.time, |j| checks[j].time);
            let next = checks.get(i + 1).map_or(c.time, |n| n.time);
            spans.push((previous.min(c.time) - before, next.max(c.time) + after));
        }
        // State series: a failing interval is its own window's stretch, edges exact.
        for iv in p.intervals.iter().filter(|iv| {
            matches!(
                iv.state,
                ProbeState::Down | ProbeState::Degraded | ProbeState::Blip
            )
        }) {
            spans.push((iv.start - before, iv.end + after));
        }
    }
    spans
}

/// Around every boot: from its host's previous story record (the downtime began after it, at
/// the last record before the boot, which the second pass must see) less the lookback, to the
/// boot's aftermath. A boot with no story record before it reaches back to the log's start.
fn boot_spans(story: &[Event], before: Duration, after: Duration) -> Vec<Span> {
    let mut spans = Vec::new();
    for (i, boot) in story.iter().enumerate() {
        if !has_any_role(boot, BOOT_ROLES) {
            continue;
        }
        let earlier = &story[..i];
        let previous = earlier
            .iter()
            .rev()
            .find(|e| e.computer == boot.computer && e.time < boot.time)
            // Renamed at this boot: the old name's records come before it.
            .or_else(|| earlier.iter().rev().find(|e| e.time < boot.time))
            .map_or(DateTime::<Utc>::MIN_UTC, |e| {
                e.time
                    .checked_sub_signed(before)
                    .unwrap_or(DateTime::<Utc>::MIN_UTC)
            });
        spans.push((previous, boot.time + after));
    }
    spans
}

/// A service crash's or failure's host's next boot after `i` in `events` (the log's end if none):
/// where service_downtime stops looking for the service's 7036 "running".
fn next_boot(events: &[Event], i: usize) -> DateTime<Utc> {
    let e = &events[i];
    events[i + 1..]
        .iter()
        .find(|b| {
            b.computer == e.computer
                && has_any_role(b, &[EventRole::KernelStart, EventRole::LogStart])
        })
        .map_or(DateTime::<Utc>::MAX_UTC, |b| b.time)
}

fn is_service_down(e: &Event) -> bool {
    has_any_role(e, &[EventRole::ServiceCrash, EventRole::ServiceFailure])
}

/// From every service crash or failure, a day on (or to its host's next boot, if sooner).
fn service_spans(story: &[Event]) -> Vec<Span> {
    let mut spans = Vec::new();
    for (i, e) in story.iter().enumerate().filter(|(_, e)| is_service_down(e)) {
        let end = next_boot(story, i).min(e.time + SERVICE_LOOKAHEAD);
        spans.push((e.time, end));
    }
    spans
}

/// The third pass: for every crashed service not seen running again in `read` (the events of
/// the first two passes, time-sorted), its 7036 records from where the second pass stopped to
/// its host's next boot. None when every crash is settled. `second` is what the second pass
/// read: the third never reads it again.
pub fn unsettled_service_scope(read: &[Event], second: &EventScope) -> Option<EventScope> {
    let downtime = super::service_downtime::find_service_downtime(read, &|c| c.to_string());
    let mut wanted = Vec::new();
    for d in downtime.iter().filter(|d| d.running_at.is_none()) {
        let Some(i) = read.iter().position(|e| {
            e.time == d.down_at && e.record_id == d.down_record && is_service_down(e)
        }) else {
            continue;
        };
        let from = d.down_at + SERVICE_LOOKAHEAD;
        let to = next_boot(read, i);
        if from < to {
            wanted.push((from, to));
        }
    }
    let mut read_already = second.spans.clone();
    if let Some(narrow) = &second.ids_in_spans {
        read_already.extend(narrow.spans.iter().copied());
    }
    let spans = subtract_spans(&merge_spans(wanted), &merge_spans(read_already));
    if spans.is_empty() {
        return None;
    }
    let mut ids = kb::ids_with_roles(&[EventRole::ServiceState]);
    ids.sort_unstable();
    Some(EventScope {
        ids_in_spans: Some(IdsInSpans { ids, spans }),
        ..EventScope::default()
    })
}

/// `spans` less `taken` (both sorted, not overlapping, inclusive): what is left, cut a
/// nanosecond clear of every taken span so that no instant is in both.
fn subtract_spans(spans: &[Span], taken: &[Span]) -> Vec<Span> {
    let tick = Duration::nanoseconds(1);
    let mut out = Vec::new();
    for &(start, end) in spans {
        let mut from = start;
        for &(t_start, t_end) in taken.iter().filter(|(s, e)| *e >= start && *s <= end) {
            if t_start > from {
                out.push((from, t_start - tick));
            }
            match t_end.checked_add_signed(tick) {
                Some(after) => from = from.max(after),
                // Taken to the end of time: nothing is left.
                None => {
                    from = DateTime::<Utc>::MAX_UTC;
                    break;
                }
            }
        }
        if from <= end && from != DateTime::<Utc>::MAX_UTC {
            out.push((from, end));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Check, EventData, Level};
    use chrono::TimeZone;
    use std::sync::Arc;

    fn at(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2011, 8, 15, 12, 0, 0).unwrap() + Duration::minutes(minute)
    }

    fn probe(failed_minutes: &[i64]) -> ProbeSeries {
        ProbeSeries {
            target: None,
            vantage: None,
            host: None,
            name: "p".into(),
            intervals: Vec::new(),
            checks: (0..600)
                .map(|m| Check::new(at(m), !failed_minutes.contains(&m), None))
                .collect(),
            source_file: Arc::from("p.csv"),
        }
    }

    fn ev(minute: i64, provider: &str, id: u32) -> Event {
        Event {
            time: at(minute),
            record_id: None,
            channel: "System".into(),
            provider: provider.into(),
            event_id: id,
            level: Level::INFORMATION,
            computer: "h".into(),
            message: None,
            data: EventData::default(),
            source_file: Arc::from("x"),
        }
    }

    fn hour() -> Duration {
        Duration::minutes(60)
    }

    #[test]
    fn spans_cover_failures_with_lookback_and_merge() {
        let scope = report_event_scope(
            &[probe(&[100, 101, 102, 500])],
            &[],
            hour(),
            Duration::zero(),
        );
        assert_eq!(scope.spans.len(), 2, "{:?}", scope.spans);
        // Before the first failure: lookback plus margin.
        assert!(scope.contains(4321, &(at(99) - Duration::minutes(179))));
        assert!(!scope.contains(4321, &(at(99) - Duration::minutes(181))));
        // Between the two failure groups, far from both: out.
        assert!(!scope.contains(4321, &at(300)));
        // After the last failure: findings' after-recovery time plus margin.
        assert!(scope.contains(4321, &(at(501) + Duration::minutes(149))));
        assert!(!scope.contains(4321, &(at(501) + Duration::minutes(151))));
    }

    #[test]
    fn the_story_is_read_anywhere_once() {
        let story = story_scope();
        assert!(story.contains(6005, &at(300)));
        assert!(story.contains(11707, &at(-10_000)));
        assert!(!story.contains(4321, &at(300)));
        // The second pass leaves the story's ids to the first, even inside a span.
        let rest = report_event_scope(&[probe(&[100])], &[], hour(), Duration::zero());
        assert!(rest.contains(4321, &at(100)));
        assert!(!rest.contains(6005, &at(100)));
    }

    #[test]
    fn a_down_interval_of_a_state_series_is_covered_to_its_edges() {
        let series = ProbeSeries {
            checks: Vec::new(),
            intervals: vec![crate::model::StateInterval {
                start: at(100),
                end: at(190),
                state: ProbeState::Down,
                failures: 1,
            }],
            ..probe(&[])
        };
        let scope = report_event_scope(&[series], &[], hour(), Duration::zero());
        assert_eq!(scope.spans.len(), 1);
        assert!(scope.contains(333, &(at(100) - Duration::minutes(179))));
        assert!(scope.contains(333, &(at(190) + Duration::minutes(149))));
        assert!(!scope.contains(333, &(at(190) + Duration::minutes(151))));
    }

    #[test]
    fn without_failures_or_boots_nothing_more_is_read() {
        let scope = report_event_scope(&[probe(&[])], &[], hour(), Duration::zero());
        assert!(scope.spans.is_empty());
        assert!(!scope.contains(333, &at(10)));
        assert!(!scope.contains(7036, &at(10)));
    }

    #[test]
    fn a_boot_reaches_back_to_the_story_record_before_it() {
        // A 6006 at minute 0 (clean stop), silence, the boot (Kernel-General 12) at minute 600:
        // the last record before the boot lies after the 6006, so from there less the lookback
        // up to the boot's aftermath is read.
        let story = [
            ev(0, "EventLog", 6006),
            ev(600, "Microsoft-Windows-Kernel-General", 12),
        ];
        let scope = report_event_scope(&[], &story, hour(), Duration::zero());
        assert!(scope.contains(333, &at(300)));
        assert!(scope.contains(333, &(at(0) - Duration::minutes(179))));
        assert!(!scope.contains(333, &(at(0) - Duration::minutes(181))));
        assert!(scope.contains(333, &(at(600) + Duration::minutes(149))));
        assert!(!scope.contains(333, &(at(600) + Duration::minutes(151))));
    }

    fn service(minute: i64, id: u32, name: &str, state: &str) -> Event {
        let field = |name: &str, value: &str| crate::model::DataField {
            name: Some(name.into()),
            value: value.into(),
        };
        Event {
            data: EventData(vec![field("param1", name), field("param2", state)]),
            ..ev(minute, "Service Control Manager", id)
        }
    }

    #[test]
    fn a_crashed_service_state_is_read_for_a_day_then_to_the_boot_if_unsettled() {
        let story = [
            service(0, 7031, "MySQL", ""),
            ev(4990, "EventLog", 6006),
            ev(5000, "Microsoft-Windows-Kernel-General", 12),
        ];
        let second = report_event_scope(&[], &story, hour(), Duration::zero());
        // The second pass: 7036 for a day after the crash, other ids not.
        assert!(second.contains(7036, &at(1000)));
        assert!(!second.contains(7036, &at(-1)));
        assert!(!second.contains(7036, &at(2000)));
        assert!(!second.contains(333, &at(1000)));
        // Not seen running in that day: the third pass reads on to the boot, and nothing the
        // second read (the day, the boot's span) again.
        let third = unsettled_service_scope(&story, &second).expect("unsettled");
        assert!(third.contains(7036, &at(2000)));
        assert!(!third.contains(7036, &at(1000)));
        assert!(!third.contains(7036, &at(4900)));
        assert!(!third.contains(7036, &at(5000 + 600)));
        assert!(!third.contains(333, &at(2000)));
        // Running again within the day: no third pass.
        let mut read = story.to_vec();
        read.insert(1, service(30, 7036, "MySQL", "running"));
        assert_eq!(unsettled_service_scope(&read, &second), None);
    }

    #[test]
    fn spans_less_taken_ones_leave_no_shared_instant() {
        let (a, b, c, d) = (at(0), at(10), at(20), at(30));
        let left = subtract_spans(&[(a, d)], &[(b, c)]);
        let tick = Duration::nanoseconds(1);
        assert_eq!(left, vec![(a, b - tick), (c + tick, d)]);
        assert!(subtract_spans(&[(b, c)], &[(a, DateTime::<Utc>::MAX_UTC)]).is_empty());
        assert_eq!(subtract_spans(&[(a, b)], &[(c, d)]), vec![(a, b)]);
    }
}
