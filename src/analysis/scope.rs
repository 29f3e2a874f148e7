//! Which events a report needs, decided from the probes before any event is read: the report
//! only looks at events near its outage windows (`event_findings`, the boot-vs-recovery check)
//! and at installs, service changes and boots anywhere (`changes`). Windows are made of failed
//! checks or failing state intervals, so spans around every failure cover them; the rest of a big
//! log is skipped before its data is decoded, which keeps the report's memory and time from
//! growing with the log.
use crate::filter::EventScope;
use crate::knowledge::events::{self as kb, EventRole};
use crate::model::{ProbeSeries, ProbeState};
use chrono::Duration;

/// Room kept around each failure beyond the lookback and the findings' after-recovery time: a
/// window can start or end up to a check interval away from its failed checks.
const MARGIN: Duration = Duration::hours(2);

/// The roles the downtime and clock analyses read from the whole log: every shutdown, boot,
/// crash and clock change, wherever the probes are.
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
    EventRole::ServiceState,
    EventRole::Rename,
];

/// The events a report over `probes` needs, with findings looking back `lookback` and failures
/// up to `merge_gap` apart joined into one window.
pub fn report_event_scope(
    probes: &[ProbeSeries],
    lookback: Duration,
    merge_gap: Duration,
) -> EventScope {
    let before = lookback + MARGIN;
    let after = Duration::seconds(super::event_findings::AFTER_RECOVERY) + merge_gap + MARGIN;
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
    spans.sort_unstable();
    let mut merged: Vec<(_, _)> = Vec::new();
    for (start, end) in spans {
        match merged.last_mut() {
            Some((_, last_end)) if start <= *last_end => *last_end = (*last_end).max(end),
            _ => merged.push((start, end)),
        }
    }
    let mut ids_anywhere = super::changes::change_event_ids();
    ids_anywhere.extend(kb::ids_with_roles(STORY_ROLES));
    ids_anywhere.sort_unstable();
    ids_anywhere.dedup();
    EventScope {
        spans: merged,
        ids_anywhere,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Check;
    use chrono::{DateTime, TimeZone, Utc};
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

    #[test]
    fn spans_cover_failures_with_lookback_and_merge() {
        let scope = report_event_scope(
            &[probe(&[100, 101, 102, 500])],
            Duration::minutes(60),
            Duration::zero(),
        );
        assert_eq!(scope.spans.len(), 2, "{:?}", scope.spans);
        // Before the first failure: lookback plus margin.
        assert!(scope.contains(4321, &(at(99) - Duration::minutes(179))));
        assert!(!scope.contains(4321, &(at(99) - Duration::minutes(181))));
        // Between the two failure groups, far from both: out, unless the id is a change.
        assert!(!scope.contains(4321, &at(300)));
        assert!(scope.contains(6005, &at(300)));
        assert!(scope.contains(11707, &at(-10_000)));
        // After the last failure: findings' after-recovery time plus margin.
        assert!(scope.contains(4321, &(at(501) + Duration::minutes(149))));
        assert!(!scope.contains(4321, &(at(501) + Duration::minutes(151))));
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
        let scope = report_event_scope(&[series], Duration::minutes(60), Duration::zero());
        assert_eq!(scope.spans.len(), 1);
        assert!(scope.contains(333, &(at(100) - Duration::minutes(179))));
        assert!(scope.contains(333, &(at(190) + Duration::minutes(149))));
        assert!(!scope.contains(333, &(at(190) + Duration::minutes(151))));
    }

    #[test]
    fn without_failures_only_changes_are_kept() {
        let scope = report_event_scope(&[probe(&[])], Duration::minutes(60), Duration::zero());
        assert!(scope.spans.is_empty());
        assert!(!scope.contains(333, &at(10)));
        assert!(scope.contains(7045, &at(10)));
    }
}
