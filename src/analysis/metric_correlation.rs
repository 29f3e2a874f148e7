//! Resource metrics around an outage window: baseline vs window, the trend that led up to it, and
//! threshold crossings, ranked by how unusual they were.
use super::{series_stats, stats};
use crate::knowledge::counters::{self, Direction};
use crate::model::MetricSeries;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// The baseline is the day before the lookback.
pub const BASELINE_HOURS: i64 = 24;
/// Significance level of the trend test.
pub const TREND_ALPHA: f64 = 0.05;
/// |robust z| from which a window peak is called unusual.
pub const UNUSUAL_Z: f64 = 3.5;
/// A significant trend counts towards "correlated" only when it moved the series by at least this
/// share of its baseline over the lookback (or faster than the counter's rule allows): a tiny but
/// steady drift is statistically significant and practically irrelevant.
pub const MATERIAL_TREND_SHARE: f64 = 0.02;

#[derive(Debug, Clone, Serialize)]
pub struct ThresholdCrossing {
    #[serde(with = "crate::model::ser_time")]
    pub time: DateTime<Utc>,
    /// Seconds from the window's start; negative = before it.
    pub seconds_from_start: i64,
    pub severity: String,
    pub threshold: f64,
    pub value: f64,
    pub rule: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct MetricFinding {
    pub name: String,
    pub host: Option<String>,
    pub object: Option<String>,
    pub instance: Option<String>,
    pub counter: Option<String>,
    pub baseline_median: Option<f64>,
    pub baseline_mad: Option<f64>,
    pub baseline_samples: usize,
    /// The window's most extreme value (farthest from the baseline median).
    pub peak: Option<f64>,
    pub window_median: Option<f64>,
    pub window_samples: usize,
    /// Peak against the baseline median, in percent.
    pub change_pct: Option<f64>,
    pub robust_z: Option<f64>,
    /// Sen's slope over the lookback before the start, per hour.
    pub trend_per_hour: Option<f64>,
    /// rising / falling (significant), flat, or "insufficient data".
    pub trend: String,
    pub trend_p_value: Option<f64>,
    pub first_threshold_crossing: Option<ThresholdCrossing>,
    /// Plain words for what is missing, e.g. "no data inside the window".
    pub note: Option<String>,
    /// A significant trend that also moved the series materially (see `MATERIAL_TREND_SHARE`).
    pub material_trend: bool,
    /// Ranking score (higher = more unusual).
    pub score: f64,
    /// Among the top unusual series: what the report calls correlated.
    pub correlated: bool,
    #[serde(skip)]
    pub direction: Option<Direction>,
}

impl MetricFinding {
    /// `Object(Instance)\\Counter`, as the report names a counter, else the series' name.
    pub fn short_name(&self) -> String {
        match (&self.object, &self.counter) {
            (Some(o), Some(c)) => match &self.instance {
                Some(i) => format!("{o}({i})\\{c}"),
                None => format!("{o}\\{c}"),
            },
            _ => self.name.clone(),
        }
    }
}

/// Correlates every series with the window [start, end]; ranked, most unusual first.
pub fn correlate(
    series: &[MetricSeries],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    lookback: Duration,
    top: usize,
) -> Vec<MetricFinding> {
    let mut findings: Vec<MetricFinding> = series
        .iter()
        .map(|s| finding_for(s, start, end, lookback))
        .collect();
    findings.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.name.cmp(&b.name)));
    for f in findings.iter_mut().take(top) {
        let unusual = f.robust_z.is_some_and(|z| z.abs() >= UNUSUAL_Z)
            || f.material_trend
            || f.first_threshold_crossing.is_some();
        f.correlated = unusual && f.window_samples > 0;
    }
    findings
}

fn values_in(
    s: &MetricSeries,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, f64)> {
    let samples = &s.samples;
    samples
        .between(Some(from), Some(to))
        .filter_map(|i| {
            samples
                .value(i)
                .filter(|v| v.is_finite())
                .map(|v| (samples.time(i), v))
        })
        .collect()
}

fn finding_for(
    s: &MetricSeries,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    lookback: Duration,
) -> MetricFinding {
    let lead_start = start - lookback;
    let baseline_from = lead_start - Duration::hours(BASELINE_HOURS);
    let baseline: Vec<f64> = values_in(s, baseline_from, lead_start)
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    // The window includes its end instant.
    let window: Vec<f64> = values_in(s, start, end + Duration::seconds(1))
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    let lead = values_in(s, lead_start, start);
    let rule = counters::rule_for(s);
    let baseline_median = stats::median(&baseline);
    let baseline_mad = stats::mad(&baseline);
    let window_median = stats::median(&window);
    // Peak in the direction the counter goes bad; else the value farthest from the baseline.
    let highest = window.iter().copied().max_by(f64::total_cmp);
    let lowest = window.iter().copied().min_by(f64::total_cmp);
    let peak = match (rule.map(|r| r.direction), baseline_median) {
        (Some(Direction::Above), _) => highest,
        (Some(Direction::Below), _) => lowest,
        (None, Some(m)) => window
            .iter()
            .copied()
            .max_by(|a, b| (a - m).abs().total_cmp(&(b - m).abs())),
        (None, None) => highest,
    };
    let robust_z = peak.and_then(|p| stats::robust_z(p, &baseline));
    let change_pct = match (peak, baseline_median) {
        (Some(p), Some(m)) if m != 0.0 => Some((p - m) / m.abs() * 100.0),
        _ => None,
    };
    let trend = series_stats::trend(&lead, start);
    let trend_word = trend.map_or("insufficient data", |t| t.word(TREND_ALPHA));
    let crossing = rule.and_then(|r| {
        values_in(s, baseline_from, end + Duration::seconds(1))
            .into_iter()
            .find_map(|(t, v)| {
                r.severity_of(v).map(|sev| ThresholdCrossing {
                    time: t,
                    seconds_from_start: (t - start).num_seconds(),
                    severity: sev.as_str().to_string(),
                    threshold: match sev {
                        counters::Severity::Critical => r.critical.unwrap_or(f64::NAN),
                        counters::Severity::Warning => r.warning.unwrap_or(f64::NAN),
                    },
                    value: v,
                    rule: r.id.clone(),
                })
            })
    });
    let note = if window.is_empty() {
        Some("no data inside the window".to_string())
    } else if baseline.is_empty() {
        Some("no baseline: no data in the day before the lookback".to_string())
    } else {
        None
    };
    let lookback_hours = lookback.num_seconds() as f64 / 3600.0;
    let material_trend = matches!(trend_word, "rising" | "falling")
        && trend.is_some_and(|t| {
            let moved = (t.slope_per_hour * lookback_hours).abs();
            let by_share = baseline_median
                .is_some_and(|m| m != 0.0 && moved >= MATERIAL_TREND_SHARE * m.abs());
            let by_rule = rule
                .and_then(|r| r.trend_per_hour)
                .is_some_and(|limit| t.slope_per_hour.abs() >= limit);
            by_share || by_rule
        });
    let mut score = 0.0;
    if !window.is_empty() {
        score += robust_z.map_or(0.0, |z| z.abs().min(100.0) / 10.0);
        if material_trend {
            score += 3.0;
        }
        if let Some(c) = &crossing {
            score += if c.severity == "critical" { 3.0 } else { 2.0 };
        }
    }
    MetricFinding {
        name: s.name.clone(),
        host: s.host.clone(),
        object: s.object.clone(),
        instance: s.instance.clone(),
        counter: s.counter.clone(),
        baseline_median,
        baseline_mad,
        baseline_samples: baseline.len(),
        peak,
        window_median,
        window_samples: window.len(),
        change_pct,
        robust_z,
        trend_per_hour: trend.map(|t| t.slope_per_hour),
        trend: trend_word.to_string(),
        trend_p_value: trend.map(|t| t.p_value),
        first_threshold_crossing: crossing,
        note,
        material_trend,
        score,
        correlated: false,
        direction: rule.map(|r| r.direction),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::sync::Arc;

    fn series(name: &str, f: impl Fn(i64) -> Option<f64>) -> MetricSeries {
        let t0 = Utc.with_ymd_and_hms(2011, 8, 14, 0, 0, 0).unwrap();
        MetricSeries {
            name: name.into(),
            host: None,
            object: None,
            instance: None,
            counter: None,
            samples: crate::model::Samples::from_pairs(
                (0..48 * 60).map(|m| (t0 + Duration::minutes(m), f(m))),
            ),
            source_file: Arc::from("test"),
        }
    }

    #[test]
    fn a_leak_ranks_above_a_flat_series_and_missing_data_is_said() {
        let start = Utc.with_ymd_and_hms(2011, 8, 15, 23, 0, 0).unwrap();
        let end = start + Duration::minutes(90);
        let leak = series("leak", |m| Some(1000.0 + m as f64 * 10.0 + (m % 3) as f64));
        let flat = series("flat", |m| Some(50.0 + (m % 5) as f64));
        let gone = series("gone", |m| if m < 46 * 60 { Some(1.0) } else { None });
        let found = correlate(&[flat, gone, leak], start, end, Duration::hours(2), 5);
        assert_eq!(found[0].name, "leak");
        assert_eq!(found[0].trend, "rising");
        assert!(found[0].correlated);
        let slope = found[0].trend_per_hour.unwrap();
        assert!((slope - 600.0).abs() < 30.0, "{slope}");
        let gone = found.iter().find(|f| f.name == "gone").unwrap();
        assert_eq!(gone.note.as_deref(), Some("no data inside the window"));
        assert_eq!(gone.peak, None);
        assert!(!gone.correlated);
        let flat = found.iter().find(|f| f.name == "flat").unwrap();
        assert!(!flat.correlated, "{flat:?}");
    }

    #[test]
    fn the_report_and_faultline_metrics_give_the_same_trend_for_the_same_span() {
        let start = Utc.with_ymd_and_hms(2011, 8, 15, 23, 0, 0).unwrap();
        let lookback = Duration::hours(2);
        let leak = series("leak", |m| Some(1000.0 + m as f64 * 10.0 + (m % 7) as f64));
        let found = correlate(
            std::slice::from_ref(&leak),
            start,
            start + Duration::minutes(30),
            lookback,
            5,
        );
        // The report's lead is [start - lookback, start); metrics' --to is inclusive.
        let metrics = series_stats::trend_per_hour(
            &leak,
            Some(start - lookback),
            Some(start - Duration::seconds(1)),
        );
        assert!(metrics.is_some());
        assert_eq!(found[0].trend_per_hour, metrics);
    }
}
