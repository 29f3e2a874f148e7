//! Outage evidence from probe checks: one probe's checks cut into runs, gaps (unknown) and
//! states, its impact inside a window, its summary and its transitions.
use super::{overlap, span, states, ProbeImpact, ProbeSummary, Span, Transition, GAP_FACTOR};
use crate::analysis::stats::median_of;
use crate::model::{Check, ProbeSeries};
use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};

/// One probe's checks cut into runs and states.
pub(super) struct Timeline<'a> {
    pub(super) series: &'a ProbeSeries,
    /// Median interval; zero with fewer than two checks.
    pub(super) median: Duration,
    /// Index i: a gap (unknown) follows check i before check i+1.
    pub(super) gap_after: Vec<bool>,
    /// The gaps as stretches, in time order.
    pub(super) gaps: Vec<Span>,
}

impl<'a> Timeline<'a> {
    pub(super) fn new(series: &'a ProbeSeries) -> Self {
        let checks = &series.checks;
        // The step from each check to the next (0 after the last).
        let steps = || {
            epoch_millis(checks)
                .zip(epoch_millis(checks).skip(1))
                .map(|(this, next)| next - this)
                .chain(std::iter::once(0))
        };
        // u32 milliseconds (steps over 49 days are clamped; the median never comes near that).
        let positive = || {
            steps()
                .filter(|ms| *ms > 0)
                .map(|ms| u32::try_from(ms).unwrap_or(u32::MAX))
        };
        let median_ms = i64::from(median_of(positive));
        let limit = median_ms as f64 * GAP_FACTOR;
        let gap_after = steps()
            .map(|ms| median_ms > 0 && ms as f64 > limit)
            .collect();
        let mut tl = Timeline {
            series,
            median: Duration::milliseconds(median_ms),
            gap_after,
            gaps: Vec::new(),
        };
        // Maintenance is planned downtime, not unknown: the gaps it covers are cut out of the
        // unknown stretches (a gap still ends a run of failures).
        let planned: Vec<(DateTime<Utc>, DateTime<Utc>)> = states::maintenance(series)
            .map(|m| (m.start, m.end))
            .collect();
        tl.gaps = (0..checks.len())
            .filter(|i| tl.gap_after[*i])
            .flat_map(|i| outside(tl.end_of(i), checks[i + 1].time, &planned))
            .collect();
        tl
    }

    /// The end of the stretch check i stands for: the next check, or one interval after it.
    pub(super) fn end_of(&self, i: usize) -> DateTime<Utc> {
        let checks = &self.series.checks;
        match checks.get(i + 1) {
            Some(next) if !self.gap_after[i] => next.time,
            _ => checks[i].time + self.median,
        }
    }

    /// Runs of consecutive failed checks (a gap ends a run), as (first, last) indexes.
    pub(super) fn runs(&self) -> Vec<(usize, usize)> {
        let checks = &self.series.checks;
        let mut runs = Vec::new();
        let mut open: Option<usize> = None;
        for (i, c) in checks.iter().enumerate() {
            if c.ok() {
                continue;
            }
            let first = *open.get_or_insert(i);
            let next_ok = checks.get(i + 1).is_none_or(|n| n.ok());
            if self.gap_after[i] || next_ok {
                runs.push((first, i));
                open = None;
            }
        }
        runs
    }

    /// Seconds of [from, to) with no check standing for them (gaps, before the first check,
    /// after the last one's interval).
    pub(super) fn unknown_within(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        let checks = &self.series.checks;
        let (Some(first), Some(_)) = (checks.first(), checks.last()) else {
            return (to - from).num_seconds().max(0);
        };
        let covered_end = self.end_of(checks.len() - 1);
        let mut unknown = overlap(from, to, from.min(first.time), first.time)
            + overlap(from, to, covered_end, to.max(covered_end));
        let first_gap = self.gaps.partition_point(|g| g.end <= from);
        for g in self.gaps[first_gap..].iter().take_while(|g| g.start < to) {
            unknown += overlap(from, to, g.start, g.end);
        }
        unknown
    }
}

/// The parts of [start, end) outside every one of `cuts` (sorted by start, not overlapping).
fn outside(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    cuts: &[(DateTime<Utc>, DateTime<Utc>)],
) -> Vec<Span> {
    let mut out = Vec::new();
    let mut from = start;
    for &(a, b) in cuts.iter().filter(|(a, b)| *a < end && *b > start) {
        if a > from {
            out.push(span(from, a));
        }
        from = from.max(b);
    }
    if from < end {
        out.push(span(from, end));
    }
    out
}

/// Milliseconds since the epoch of each check, as `DateTime::timestamp_millis` gives them, with
/// the start of the day remembered: consecutive checks nearly always share the day, and chrono
/// works the day out from the year each time (millions of checks per probe).
pub(super) fn epoch_millis(checks: &[Check]) -> impl Iterator<Item = i64> + '_ {
    let mut day: Option<(NaiveDate, i64)> = None;
    checks.iter().map(move |c| {
        // naive_utc: the stored value as it is (date_naive and time go through the offset).
        let naive = c.time.naive_utc();
        let date = naive.date();
        let start = match day {
            Some((d, ms)) if d == date => ms,
            _ => {
                let ms = date
                    .and_time(chrono::NaiveTime::MIN)
                    .and_utc()
                    .timestamp_millis();
                day = Some((date, ms));
                ms
            }
        };
        let time = naive.time();
        start
            + i64::from(time.num_seconds_from_midnight()) * 1000
            + i64::from(time.nanosecond() / 1_000_000)
    })
}

/// How long each check stands for (to `end_of`), in milliseconds as chrono's duration gives them.
pub(super) fn stood_for_ms<'t>(tl: &'t Timeline) -> impl Iterator<Item = i64> + 't {
    let checks = &tl.series.checks;
    let next_millis = epoch_millis(checks)
        .skip(1)
        .map(Some)
        .chain(std::iter::once(None));
    checks
        .iter()
        .zip(epoch_millis(checks))
        .zip(next_millis)
        .enumerate()
        .map(|(i, ((c, this), next))| match next {
            // Both on whole milliseconds: the difference of the two is the exact duration.
            Some(next) if !tl.gap_after[i] && whole_ms(c) && whole_ms(&checks[i + 1]) => {
                next - this
            }
            _ => (tl.end_of(i) - c.time).num_milliseconds(),
        })
}

/// The check's time is on a whole millisecond (and not in a leap second).
pub(super) fn whole_ms(c: &Check) -> bool {
    let nanos = c.time.naive_utc().nanosecond();
    nanos < 1_000_000_000 && nanos.is_multiple_of(1_000_000)
}

pub(super) fn impact(
    tl: &Timeline,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    local: bool,
) -> ProbeImpact {
    let checks = &tl.series.checks;
    let lo = checks.partition_point(|c| c.time < start);
    let hi = checks.partition_point(|c| c.time < end);
    let inside = &checks[lo..hi];
    let failed: Vec<DateTime<Utc>> = inside.iter().filter(|c| !c.ok()).map(|c| c.time).collect();
    let last_failure = failed.last().copied();
    let recovered_at = last_failure.and_then(|lf| {
        checks[lo..]
            .iter()
            .find(|c| c.time > lf && c.ok())
            .map(|c| c.time)
    });
    ProbeImpact {
        probe: tl.series.name.clone(),
        local,
        checks: inside.len() as u64,
        failures: failed.len() as u64,
        first_failure: failed.first().copied(),
        last_failure,
        recovered_at,
        unknown_seconds: tl.unknown_within(start, end),
        states: false,
    }
}

pub(super) fn summary(tl: &Timeline, local: bool) -> ProbeSummary {
    let checks = &tl.series.checks;
    // Summed in milliseconds: checks less than a second apart (or at fractional intervals) would
    // each round down to nothing in whole seconds.
    let (mut up_ms, mut down_ms) = (0i64, 0i64);
    for (c, ms) in checks.iter().zip(stood_for_ms(tl)) {
        if c.ok() {
            up_ms += ms;
        } else {
            down_ms += ms;
        }
    }
    let (up, down) = (up_ms / 1000, down_ms / 1000);
    let unknown = tl.gaps.clone();
    let median = (checks.len() >= 2).then(|| tl.median.num_milliseconds() as f64 / 1000.0);
    ProbeSummary {
        name: tl.series.name.clone(),
        target: tl.series.target.clone(),
        vantage: tl.series.vantage.clone(),
        host: tl.series.host.clone(),
        local,
        source_file: tl.series.source_file.to_string(),
        checks: checks.len() as u64,
        failures: checks.iter().filter(|c| !c.ok()).count() as u64,
        first_check: checks.first().map(|c| c.time),
        last_check: checks.last().map(|c| c.time),
        median_interval_seconds: median,
        up_seconds: up,
        down_seconds: down,
        unknown_seconds: unknown.iter().map(|s| s.seconds).sum(),
        availability_percent: (up + down > 0).then(|| 100.0 * up as f64 / (up + down) as f64),
        unknown,
        state_changes: 0,
        degraded_seconds: 0,
        maintenance_seconds: states::maintenance(tl.series).map(|m| m.seconds).sum(),
    }
}

/// State changes of one probe: down/up at the check that changed it, unknown where a gap begins
/// (maintenance where a planned span covers it), and the state of the first check after a gap. The first state is given only when it is down.
pub(super) fn transitions_of(tl: &Timeline) -> Vec<Transition> {
    let checks = &tl.series.checks;
    let planned: Vec<(DateTime<Utc>, DateTime<Utc>)> = states::maintenance(tl.series)
        .map(|m| (m.start, m.end))
        .collect();
    let mut out = Vec::new();
    let mut state = "up";
    let mut push = |time, s: &str| {
        out.push(Transition {
            time,
            probe: tl.series.name.clone(),
            state: s.to_string(),
        })
    };
    for (i, c) in checks.iter().enumerate() {
        let now = if c.ok() { "up" } else { "down" };
        if now != state {
            push(c.time, now);
            state = now;
        }
        if tl.gap_after[i] {
            // A gap is unknown, but where maintenance covers it, planned downtime.
            let (from, to) = (tl.end_of(i), checks[i + 1].time);
            let mut marks: Vec<(DateTime<Utc>, &str)> = planned
                .iter()
                .filter(|(a, b)| *a < to && *b > from)
                .map(|(a, _)| ((*a).max(from), "maintenance"))
                .collect();
            marks.extend(
                outside(from, to, &planned)
                    .into_iter()
                    .map(|g| (g.start, "unknown")),
            );
            marks.sort();
            for (time, now) in marks {
                if now != state {
                    push(time, now);
                    state = now;
                }
            }
        }
    }
    out
}
