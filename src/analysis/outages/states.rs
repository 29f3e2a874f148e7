//! Outage evidence from recorded states (state-change exports): failure runs, per-probe impact,
//! summaries, transitions and maintenance spans, exact to the edges the monitor wrote.
use super::{span, Maintenance, ProbeImpact, ProbeSummary, Run, Span, Transition};
use crate::model::{ProbeSeries, ProbeState, StateInterval};
use chrono::{DateTime, Duration, Utc};

/// The interval counts as down (a window), given whether WARNING is down.
pub(super) fn fails(state: ProbeState, warning_is_down: bool) -> bool {
    state == ProbeState::Down || (warning_is_down && state == ProbeState::Degraded)
}

/// The interval says up or down (not unknown, not planned).
fn known(state: ProbeState) -> bool {
    matches!(
        state,
        ProbeState::Up | ProbeState::Down | ProbeState::Degraded | ProbeState::Blip
    )
}

/// The last second an interval was in its state (its end is excluded).
fn last_second(iv: &StateInterval) -> DateTime<Utc> {
    (iv.end - Duration::seconds(1)).max(iv.start)
}

/// The up edge right after interval `i` (the next interval starts where it ends and is up).
fn up_edge(intervals: &[StateInterval], i: usize, warning_is_down: bool) -> Option<DateTime<Utc>> {
    let iv = &intervals[i];
    intervals
        .get(i + 1)
        .filter(|n| n.start == iv.end && known(n.state) && !fails(n.state, warning_is_down))
        .filter(|n| n.state != ProbeState::Blip)
        .map(|_| iv.end)
}

/// Down runs (decided windows) and blips of one series: contiguous failing intervals are one run.
pub(super) fn runs(probe: usize, series: &ProbeSeries, warning_is_down: bool) -> Vec<Run> {
    let ivs = &series.intervals;
    let mut out: Vec<Run> = Vec::new();
    let mut i = 0;
    while i < ivs.len() {
        let iv = &ivs[i];
        if iv.state == ProbeState::Blip {
            out.push(Run {
                probe,
                first: iv.start,
                last: last_second(iv),
                failures: u64::from(iv.failures.max(1)),
                recovered_at: up_edge(ivs, i, warning_is_down),
                down_until: iv.end,
                verdict: Some(false),
            });
            i += 1;
            continue;
        }
        if !fails(iv.state, warning_is_down) {
            i += 1;
            continue;
        }
        let first = i;
        while ivs
            .get(i + 1)
            .is_some_and(|n| n.start == ivs[i].end && fails(n.state, warning_is_down))
        {
            i += 1;
        }
        out.push(Run {
            probe,
            first: ivs[first].start,
            last: last_second(&ivs[i]),
            failures: ivs[first..=i]
                .iter()
                .map(|v| u64::from(v.failures.max(1)))
                .sum(),
            recovered_at: up_edge(ivs, i, warning_is_down),
            down_until: ivs[i].end,
            verdict: Some(true),
        });
        i += 1;
    }
    out
}

/// The intervals that overlap [from, to): found by halving, as the intervals are sorted and do
/// not overlap (the model's promise); a scan of every interval for every window was quadratic
/// (a Zabbix CSV of 20,000 problems took 2.7 s).
fn overlapping(
    ivs: &[StateInterval],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> std::ops::Range<usize> {
    let lo = ivs.partition_point(|iv| iv.end <= from);
    let hi = ivs.partition_point(|iv| iv.start < to);
    lo..hi.max(lo)
}

/// Seconds of [from, to) that no up/down interval covers.
fn unknown_within(series: &ProbeSeries, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    let known_secs: i64 = series.intervals[overlapping(&series.intervals, from, to)]
        .iter()
        .filter(|iv| known(iv.state))
        .map(|iv| super::overlap(from, to, iv.start, iv.end))
        .sum();
    ((to - from).num_seconds() - known_secs).max(0)
}

/// One state series inside one window: intervals overlapping it stand for checks.
pub(super) fn impact(
    series: &ProbeSeries,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    local: bool,
    warning_is_down: bool,
) -> ProbeImpact {
    let ivs = &series.intervals;
    let inside: Vec<usize> = overlapping(ivs, start, end)
        .filter(|&i| known(ivs[i].state) && ivs[i].start < end && ivs[i].end > start)
        .collect();
    let failed: Vec<usize> = inside
        .iter()
        .copied()
        .filter(|&i| fails(ivs[i].state, warning_is_down))
        .collect();
    let last = failed.last().copied();
    ProbeImpact {
        probe: series.name.clone(),
        local,
        checks: inside.len() as u64,
        failures: failed.len() as u64,
        first_failure: failed.first().map(|&i| ivs[i].start),
        last_failure: last.map(|i| last_second(&ivs[i])),
        recovered_at: last.and_then(|i| up_edge(ivs, i, warning_is_down)),
        unknown_seconds: unknown_within(series, start, end),
        states: true,
    }
}

/// Up, down, degraded and planned time of one state series; unknown is what no interval says.
pub(super) fn summary(series: &ProbeSeries, local: bool, warning_is_down: bool) -> ProbeSummary {
    let ivs = &series.intervals;
    let secs = |pick: &dyn Fn(ProbeState) -> bool| -> i64 {
        ivs.iter()
            .filter(|iv| pick(iv.state))
            .map(|iv| (iv.end - iv.start).num_seconds())
            .sum()
    };
    let down = secs(&|s| fails(s, warning_is_down) || s == ProbeState::Blip);
    let up = secs(&|s| known(s) && !fails(s, warning_is_down) && s != ProbeState::Blip);
    let mut unknown: Vec<Span> = Vec::new();
    for (i, iv) in ivs.iter().enumerate() {
        if let Some(prev) = i.checked_sub(1).map(|p| &ivs[p]) {
            if iv.start > prev.end {
                unknown.push(span(prev.end, iv.start));
            }
        }
        if iv.state == ProbeState::Unknown {
            match unknown.last_mut() {
                Some(u) if u.end == iv.start => *u = span(u.start, iv.end),
                _ => unknown.push(span(iv.start, iv.end)),
            }
        }
    }
    ProbeSummary {
        name: series.name.clone(),
        target: series.target.clone(),
        vantage: series.vantage.clone(),
        host: series.host.clone(),
        local,
        source_file: series.source_file.to_string(),
        checks: 0,
        failures: ivs
            .iter()
            .filter(|iv| fails(iv.state, warning_is_down))
            .count() as u64,
        first_check: ivs.first().map(|iv| iv.start),
        last_check: ivs.last().map(|iv| iv.end),
        median_interval_seconds: None,
        up_seconds: up,
        down_seconds: down,
        unknown_seconds: unknown.iter().map(|s| s.seconds).sum(),
        availability_percent: (up + down > 0).then(|| 100.0 * up as f64 / (up + down) as f64),
        unknown,
        state_changes: ivs.len() as u64,
        degraded_seconds: secs(&|s| s == ProbeState::Degraded),
        maintenance_seconds: secs(&|s| s == ProbeState::Maintenance),
    }
}

/// State changes at the edges the monitor wrote; `unknown` where no interval follows at once.
/// The first state is given only when it is not up.
pub(super) fn transitions(series: &ProbeSeries) -> Vec<Transition> {
    let mut out = Vec::new();
    let mut state = "up";
    let mut push = |time, s: &str| {
        out.push(Transition {
            time,
            probe: series.name.clone(),
            state: s.to_string(),
        })
    };
    let ivs = &series.intervals;
    for (i, iv) in ivs.iter().enumerate() {
        if let Some(prev) = i.checked_sub(1).map(|p| &ivs[p]) {
            if iv.start > prev.end && state != "unknown" {
                push(prev.end, "unknown");
                state = "unknown";
            }
        }
        let now = match iv.state {
            ProbeState::Blip => "down",
            s => s.as_str(),
        };
        if now != state {
            push(iv.start, now);
            state = now;
        }
    }
    out
}

/// Every maintenance interval of the series (beside checks or states): planned downtime.
pub(super) fn maintenance(series: &ProbeSeries) -> impl Iterator<Item = Maintenance> + '_ {
    series
        .intervals
        .iter()
        .filter(|iv| iv.state == ProbeState::Maintenance)
        .map(|iv| Maintenance {
            probe: series.name.clone(),
            target: series.target.clone(),
            start: iv.start,
            end: iv.end,
            seconds: (iv.end - iv.start).num_seconds(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::sync::Arc;

    fn at(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2011, 8, 15, 0, 0, 0).unwrap() + Duration::minutes(minute)
    }

    /// The windows' evidence found by halving is what a scan of every interval finds.
    #[test]
    fn impact_by_halving_equals_a_scan_of_every_interval() {
        // Up, down, degraded, unknown and blip intervals, with gaps no interval covers.
        let states = [
            ProbeState::Up,
            ProbeState::Down,
            ProbeState::Degraded,
            ProbeState::Unknown,
            ProbeState::Blip,
            ProbeState::Down,
        ];
        let mut intervals = Vec::new();
        let mut t = 0;
        for i in 0..60 {
            let (len, gap) = (1 + i % 4, i64::from(i % 3 == 0));
            intervals.push(StateInterval {
                start: at(t),
                end: at(t + len),
                state: states[(i % 6) as usize],
                failures: 1,
            });
            t += len + gap;
        }
        let series = ProbeSeries {
            name: "web".into(),
            target: Some("web".into()),
            vantage: None,
            host: None,
            checks: Vec::new(),
            intervals: intervals.clone(),
            source_file: Arc::from("states.csv"),
        };
        for from in -2..t + 2 {
            for len in [1, 2, 5, 17] {
                let (start, end) = (at(from), at(from + len));
                for warning_is_down in [false, true] {
                    let got = impact(&series, start, end, false, warning_is_down);
                    let inside: Vec<&StateInterval> = intervals
                        .iter()
                        .filter(|iv| known(iv.state) && iv.start < end && iv.end > start)
                        .collect();
                    let failed: Vec<&&StateInterval> = inside
                        .iter()
                        .filter(|iv| fails(iv.state, warning_is_down))
                        .collect();
                    let covered: i64 = inside
                        .iter()
                        .map(|iv| (iv.end.min(end) - iv.start.max(start)).num_seconds())
                        .sum();
                    let what = format!("[{from}, +{len}) warning_is_down={warning_is_down}");
                    assert_eq!(got.checks, inside.len() as u64, "{what}");
                    assert_eq!(got.failures, failed.len() as u64, "{what}");
                    assert_eq!(
                        got.first_failure,
                        failed.first().map(|iv| iv.start),
                        "{what}"
                    );
                    assert_eq!(got.unknown_seconds, len * 60 - covered, "{what}");
                }
            }
        }
    }
}
