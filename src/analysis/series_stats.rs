//! Summary statistics of one metric series (counts, first/last, min/max/mean/p95, trend per hour)
//! and resampling several series onto one time grid for plotting.
use super::stats::{self, Trend};
use crate::knowledge::counters::{CounterRule, Direction, Severity};
use crate::model::MetricSeries;
use chrono::{DateTime, Duration, Utc};

/// What one series did over the samples looked at.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesStats {
    /// Samples with a value.
    pub samples: u64,
    /// Rows of the file with no value for this series (blank or unreadable cell).
    pub missing: u64,
    /// Time of the first and last sample with a value.
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub mean: Option<f64>,
    /// 95th percentile, nearest-rank (`stats::percentile`).
    pub p95: Option<f64>,
    /// Time of the smallest and largest value (the first one when it repeats).
    pub min_time: Option<DateTime<Utc>>,
    pub max_time: Option<DateTime<Utc>>,
}

/// Stats over the samples of `series` within `[from, to]` (both inclusive, either open).
pub fn summarize(
    series: &MetricSeries,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> SeriesStats {
    let mut stats = SeriesStats {
        samples: 0,
        missing: 0,
        first: None,
        last: None,
        min: None,
        max: None,
        mean: None,
        p95: None,
        min_time: None,
        max_time: None,
    };
    let mut values = Vec::new();
    let mut sum = 0.0;
    // Sample indices, made times once at the end.
    let samples = &series.samples;
    let (mut first, mut last, mut min_at, mut max_at) = (None, None, None, None);
    for i in samples.within(from, to) {
        let Some(v) = samples.value(i) else {
            stats.missing += 1;
            continue;
        };
        stats.samples += 1;
        first.get_or_insert(i);
        last = Some(i);
        if stats.min.is_none_or(|m| v < m) {
            stats.min = Some(v);
            min_at = Some(i);
        }
        if stats.max.is_none_or(|m| v > m) {
            stats.max = Some(v);
            max_at = Some(i);
        }
        sum += v;
        values.push(v);
    }
    let time = |i: Option<usize>| i.map(|i| samples.time(i));
    (stats.first, stats.last) = (time(first), time(last));
    (stats.min_time, stats.max_time) = (time(min_at), time(max_at));
    if !values.is_empty() {
        stats.mean = Some(sum / values.len() as f64);
        stats.p95 = stats::percentile(&values, 95.0);
    }
    stats
}

/// The (time, value) pairs of a series within `[from, to]`.
pub fn in_range(
    series: &MetricSeries,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> impl Iterator<Item = (DateTime<Utc>, Option<f64>)> + '_ {
    let samples = &series.samples;
    samples
        .within(from, to)
        .map(|i| (samples.time(i), samples.value(i)))
}

/// The first time a value is past `is_past`, within `[from, to]`.
pub fn first_time_where(
    series: &MetricSeries,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    is_past: impl Fn(f64) -> bool,
) -> Option<DateTime<Utc>> {
    in_range(series, from, to).find_map(|(t, v)| v.filter(|v| is_past(*v)).map(|_| t))
}

/// Points are thinned to medians of this many minutes before the trend test (Mann-Kendall assumes
/// independent points; one-minute perfmon samples are strongly autocorrelated).
pub const TREND_BUCKET_MINUTES: i64 = 5;
/// At most this many thinned points go into the pairwise step (about 500k pairs); a longer span
/// keeps every k-th bucket. A report's lookback (hours) stays far below it.
pub const MAX_TREND_POINTS: usize = 1000;

/// The trend of time-ordered (time, value) points that end before `end`: medians of
/// `TREND_BUCKET_MINUTES` buckets counted back from `end`, then Sen's slope per hour with a
/// Mann-Kendall test (`stats::trend`). The one rule behind the report's "trend before start" and
/// `faultline metrics`' trend per hour. `None` with fewer than 4 buckets.
pub fn trend(points: &[(DateTime<Utc>, f64)], end: DateTime<Utc>) -> Option<Trend> {
    let thinned = thin(points, end);
    if thinned.len() > MAX_TREND_POINTS {
        let stride = thinned.len().div_ceil(MAX_TREND_POINTS);
        let kept: Vec<(f64, f64)> = thinned.into_iter().step_by(stride).collect();
        return stats::trend(&kept);
    }
    stats::trend(&thinned)
}

/// Medians of `TREND_BUCKET_MINUTES` buckets, as (hours from `end` (negative before it), value).
fn thin(points: &[(DateTime<Utc>, f64)], end: DateTime<Utc>) -> Vec<(f64, f64)> {
    let bucket = TREND_BUCKET_MINUTES * 60;
    let mut out = Vec::new();
    let mut current: Option<i64> = None;
    let mut values = Vec::new();
    let flush = |key: Option<i64>, values: &mut Vec<f64>, out: &mut Vec<(f64, f64)>| {
        if let (Some(k), Some(m)) = (key, stats::median(values)) {
            out.push(((k * bucket) as f64 / 3600.0, m));
        }
        values.clear();
    };
    for (t, v) in points {
        let key = (*t - end).num_seconds().div_euclid(bucket);
        if current != Some(key) {
            flush(current, &mut values, &mut out);
            current = Some(key);
        }
        values.push(*v);
    }
    flush(current, &mut values, &mut out);
    out
}

/// Rise per hour of `series` within `[from, to]`: [`trend`]'s Sen's slope, with the buckets counted
/// back from `to` (or from the last sample), so a long steady climb counts and a short drop (a
/// reboot) does not cancel it.
pub fn trend_per_hour(
    series: &MetricSeries,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Option<f64> {
    let points: Vec<(DateTime<Utc>, f64)> = in_range(series, from, to)
        .filter_map(|(t, v)| v.filter(|v| v.is_finite()).map(|v| (t, v)))
        .collect();
    let end = to.or_else(|| points.last().map(|p| p.0))?;
    trend(&points, end).map(|t| t.slope_per_hour)
}

/// Means of the values in each `step`-long bucket (aligned to the Unix epoch), empty buckets left
/// out; sorted by bucket start.
fn bucket_means(
    series: &MetricSeries,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    step: Duration,
) -> Vec<(DateTime<Utc>, f64)> {
    let step_ms = step.num_milliseconds().max(1);
    let mut sums: std::collections::BTreeMap<i64, (f64, u64)> = Default::default();
    for (t, v) in in_range(series, from, to) {
        if let Some(v) = v {
            let slot = sums
                .entry(t.timestamp_millis().div_euclid(step_ms))
                .or_default();
            slot.0 += v;
            slot.1 += 1;
        }
    }
    sums.into_iter()
        .filter_map(|(k, (sum, n))| {
            DateTime::from_timestamp_millis(k * step_ms).map(|t| (t, sum / n as f64))
        })
        .collect()
}

/// How a series stands against its counter rule.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleCheck {
    pub rule: &'static CounterRule,
    /// The worst level the max (or the min, for below-rules) reached.
    pub level: Option<Severity>,
    /// First sample past the lowest threshold the rule has.
    pub first_crossing: Option<DateTime<Utc>>,
    pub trend_per_hour: Option<f64>,
    /// The trend is over the rule's `trend_per_hour`.
    pub rising: bool,
}

impl RuleCheck {
    /// Past a threshold or rising faster than the rule allows.
    pub fn flagged(&self) -> bool {
        self.level.is_some() || self.rising
    }
}

/// Checks `series` against its counter rule (if it has one) over `[from, to]`.
pub fn check_rule(
    series: &MetricSeries,
    stats: &SeriesStats,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Option<RuleCheck> {
    let rule = crate::knowledge::counters::rule_for(series)?;
    let extreme = match rule.direction {
        Direction::Above => stats.max,
        Direction::Below => stats.min,
    };
    let level = extreme.and_then(|v| rule.severity_of(v));
    let first_crossing =
        level.and_then(|_| first_time_where(series, from, to, |v| rule.severity_of(v).is_some()));
    let trend = rule
        .trend_per_hour
        .and_then(|_| trend_per_hour(series, from, to));
    let rising = matches!((trend, rule.trend_per_hour), (Some(t), Some(limit)) if t > limit);
    Some(RuleCheck {
        rule,
        level,
        first_crossing,
        trend_per_hour: trend,
        rising,
    })
}

/// Several series on one time grid: row `i` is `times[i]`, `values[c][i]` the mean of column `c`'s
/// samples in `[times[i], times[i] + step)`, `None` when it had none.
#[derive(Debug, Clone, PartialEq)]
pub struct AlignedTable {
    pub step: Duration,
    pub times: Vec<DateTime<Utc>>,
    pub columns: Vec<String>,
    pub values: Vec<Vec<Option<f64>>>,
}

/// Resamples `series` onto buckets of `step` aligned to the Unix epoch, from the bucket of the
/// earliest sample to the bucket of the latest (within `[from, to]`). Column names are the series
/// names, made unique with `#2`, `#3` when two series share one.
pub fn resample(
    series: &[&MetricSeries],
    step: Duration,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> AlignedTable {
    let step_ms = step.num_milliseconds().max(1);
    let per_series: Vec<Vec<(DateTime<Utc>, f64)>> = series
        .iter()
        .map(|s| bucket_means(s, from, to, step))
        .collect();
    let start = per_series
        .iter()
        .filter_map(|b| b.first())
        .map(|b| b.0)
        .min();
    let end = per_series
        .iter()
        .filter_map(|b| b.last())
        .map(|b| b.0)
        .max();
    let mut times = Vec::new();
    if let (Some(start), Some(end)) = (start, end) {
        let mut t = start;
        while t <= end {
            times.push(t);
            t += Duration::milliseconds(step_ms);
        }
    }
    let index_of = |t: &DateTime<Utc>| -> Option<usize> {
        let first = times.first()?;
        usize::try_from((t.timestamp_millis() - first.timestamp_millis()) / step_ms).ok()
    };
    let mut values = Vec::with_capacity(series.len());
    for buckets in &per_series {
        let mut column = vec![None; times.len()];
        for (t, v) in buckets {
            if let Some(slot) = index_of(t).and_then(|i| column.get_mut(i)) {
                *slot = Some(*v);
            }
        }
        values.push(column);
    }
    let mut columns: Vec<String> = Vec::with_capacity(series.len());
    for s in series {
        let mut name = s.name.clone();
        let mut n = 1;
        while columns.contains(&name) {
            n += 1;
            name = format!("{}#{n}", s.name);
        }
        columns.push(name);
    }
    AlignedTable {
        step,
        times,
        columns,
        values,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn series(values: &[Option<f64>]) -> MetricSeries {
        let t0 = Utc.with_ymd_and_hms(2011, 8, 15, 0, 0, 0).unwrap();
        MetricSeries {
            name: "x".into(),
            host: None,
            object: None,
            instance: None,
            counter: None,
            samples: crate::model::Samples::from_pairs(
                (0..values.len() as i64).map(|i| (t0 + Duration::minutes(i), values[i as usize])),
            ),
            source_file: "t.csv".into(),
        }
    }

    #[test]
    fn stats_skip_missing_values() {
        let s = series(&[Some(4.0), None, Some(1.0), Some(7.0), None]);
        let st = summarize(&s, None, None);
        assert_eq!((st.samples, st.missing), (3, 2));
        assert_eq!((st.min, st.max, st.mean), (Some(1.0), Some(7.0), Some(4.0)));
        assert_eq!(st.p95, Some(7.0));
        assert_eq!(st.first, Some(s.samples.time(0)));
        assert_eq!(st.last, Some(s.samples.time(3)));
    }

    #[test]
    fn resample_means_per_bucket_and_leaves_empty_buckets_empty() {
        let values: Vec<Option<f64>> = (0..12)
            .map(|i| {
                if (5..10).contains(&i) {
                    None
                } else {
                    Some(i as f64)
                }
            })
            .collect();
        let s = series(&values);
        let table = resample(&[&s, &s], Duration::minutes(5), None, None);
        assert_eq!(table.times.len(), 3);
        assert_eq!(table.columns, vec!["x".to_string(), "x#2".to_string()]);
        assert_eq!(table.values[0], vec![Some(2.0), None, Some(10.5)]);
    }

    #[test]
    fn trend_counts_a_steady_climb_despite_a_drop_at_the_end() {
        let values: Vec<Option<f64>> = (0..(60 * 24))
            .map(|m| Some(if m < 60 * 22 { m as f64 } else { 0.0 }))
            .collect();
        let trend = trend_per_hour(&series(&values), None, None).unwrap();
        assert!((trend - 60.0).abs() < 1.0, "{trend}");
    }
}
