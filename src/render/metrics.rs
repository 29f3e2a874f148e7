//! The `metrics` summary (one row per series, threshold crossings marked) as table, JSON and CSV,
//! and the resampled series as one CSV for plotting.
use super::{cell_text, csv_safe, new_table};
use crate::analysis::series_stats::{AlignedTable, RuleCheck, SeriesStats};
use crate::knowledge::counters::{Direction, Severity};
use crate::model::{rfc3339, MetricSeries};
use crate::timefmt::Zone;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::io::Write;

/// One series' summary. JSON field names are part of the interface: `name, host, object, instance,
/// counter, samples, missing, first, last, min, max, mean, p95, threshold`.
#[derive(Debug, Clone, Serialize)]
pub struct SeriesSummary {
    pub name: String,
    pub host: Option<String>,
    pub object: Option<String>,
    pub instance: Option<String>,
    pub counter: Option<String>,
    pub samples: u64,
    pub missing: u64,
    #[serde(with = "crate::model::ser_time::option")]
    pub first: Option<DateTime<Utc>>,
    #[serde(with = "crate::model::ser_time::option")]
    pub last: Option<DateTime<Utc>>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub mean: Option<f64>,
    pub p95: Option<f64>,
    /// The counter rule and how the series stands against it; `null` when no rule covers it.
    pub threshold: Option<ThresholdInfo>,
}

/// A counter rule and the series against it.
#[derive(Debug, Clone, Serialize)]
pub struct ThresholdInfo {
    pub rule: String,
    pub direction: Direction,
    pub warning: Option<f64>,
    pub critical: Option<f64>,
    /// Worst level reached by the max (min for `below` rules): `warning`, `critical` or `null`.
    pub level: Option<Severity>,
    /// First sample past a threshold.
    #[serde(with = "crate::model::ser_time::option")]
    pub first_crossing: Option<DateTime<Utc>>,
    /// Sen's slope per hour (`series_stats::trend`; only for rules with a trend limit).
    pub trend_per_hour: Option<f64>,
    pub trend_limit_per_hour: Option<f64>,
    pub rising: bool,
    /// Machine-dependent threshold to compare by hand (e.g. "warning above 10% of RAM").
    pub relative: Option<String>,
    pub meaning: String,
    pub source: String,
}

impl SeriesSummary {
    pub fn new(series: &MetricSeries, stats: SeriesStats, check: Option<RuleCheck>) -> Self {
        SeriesSummary {
            name: series.name.clone(),
            host: series.host.clone(),
            object: series.object.clone(),
            instance: series.instance.clone(),
            counter: series.counter.clone(),
            samples: stats.samples,
            missing: stats.missing,
            first: stats.first,
            last: stats.last,
            min: stats.min,
            max: stats.max,
            mean: stats.mean,
            p95: stats.p95,
            threshold: check.map(|c| ThresholdInfo {
                rule: c.rule.id.clone(),
                direction: c.rule.direction,
                warning: c.rule.warning,
                critical: c.rule.critical,
                level: c.level,
                first_crossing: c.first_crossing,
                trend_per_hour: c.trend_per_hour,
                trend_limit_per_hour: c.rule.trend_per_hour,
                rising: c.rising,
                relative: c.rule.relative.clone(),
                meaning: c.rule.meaning.clone(),
                source: c.rule.source.clone(),
            }),
        }
    }

    /// `CRITICAL > 0.025 from 2011-08-15 16:50 PDT`, `rising 690/h (> 100/h)`, or empty.
    pub fn flag_text(&self, zone: Zone) -> String {
        let Some(t) = &self.threshold else {
            return String::new();
        };
        let mut parts = Vec::new();
        if let Some(level) = t.level {
            let limit = match level {
                Severity::Critical => t.critical,
                Severity::Warning => t.warning,
            };
            let op = match t.direction {
                Direction::Above => ">",
                Direction::Below => "<",
            };
            let word = match level {
                Severity::Critical => "CRITICAL",
                Severity::Warning => "warning",
            };
            let mut text = format!("{word} {op} {}", limit.map(fmt_num).unwrap_or_default());
            if let Some(first) = &t.first_crossing {
                text.push_str(&format!(" from {}", zone.format_short(first)));
            }
            parts.push(text);
        }
        if t.rising {
            if let (Some(trend), Some(limit)) = (t.trend_per_hour, t.trend_limit_per_hour) {
                parts.push(format!(
                    "rising {}/h (> {}/h)",
                    fmt_num(trend),
                    fmt_num(limit)
                ));
            }
        }
        parts.join("; ")
    }
}

/// A number for people: thousands separators from 1,000 up, else up to four decimals.
pub fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v.abs() >= 1000.0 {
        let digits = format!("{:.0}", v.abs());
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        return if v < 0.0 { format!("-{out}") } else { out };
    }
    let text = format!("{v:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.to_string()
    }
}

fn opt_num(v: Option<f64>) -> String {
    v.map(fmt_num).unwrap_or_default()
}

pub fn write_json(out: &mut dyn Write, rows: &[SeriesSummary]) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, rows)?;
    out.write_all(b"\n")
}

/// Local time with offset, e.g. `2011-08-15T16:50:00-07:00` (`Z` in UTC).
fn csv_time(zone: Zone, t: &Option<DateTime<Utc>>) -> String {
    t.map(|t| {
        t.with_timezone(&zone.0)
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    })
    .unwrap_or_default()
}

fn raw(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

pub fn write_csv(out: &mut dyn Write, rows: &[SeriesSummary], zone: Zone) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "name",
        "host",
        "object",
        "instance",
        "counter",
        "samples",
        "missing",
        "first",
        "last",
        "min",
        "max",
        "mean",
        "p95",
        "threshold_rule",
        "threshold_level",
        "first_crossing",
        "trend_per_hour",
    ])?;
    let text = |s: &Option<String>| csv_safe(s.as_deref().unwrap_or("")).into_owned();
    for r in rows {
        let t = r.threshold.as_ref();
        w.write_record([
            csv_safe(&r.name).into_owned(),
            text(&r.host),
            text(&r.object),
            text(&r.instance),
            text(&r.counter),
            r.samples.to_string(),
            r.missing.to_string(),
            csv_time(zone, &r.first),
            csv_time(zone, &r.last),
            raw(r.min),
            raw(r.max),
            raw(r.mean),
            raw(r.p95),
            t.map(|t| t.rule.clone()).unwrap_or_default(),
            t.and_then(|t| t.level)
                .map(|l| l.as_str().to_string())
                .unwrap_or_default(),
            csv_time(zone, &t.and_then(|t| t.first_crossing)),
            raw(t.and_then(|t| t.trend_per_hour)),
        ])?;
    }
    w.flush()
}

pub fn write_table(out: &mut dyn Write, rows: &[SeriesSummary], zone: Zone) -> std::io::Result<()> {
    let mut table = new_table(&[
        "series",
        "samples",
        "missing",
        "first",
        "last",
        "min",
        "max",
        "mean",
        "p95",
        "threshold",
    ]);
    for r in rows {
        table.add_row(vec![
            cell_text(&r.name, 60),
            r.samples.to_string(),
            r.missing.to_string(),
            r.first.map(|t| zone.format_short(&t)).unwrap_or_default(),
            r.last.map(|t| zone.format_short(&t)).unwrap_or_default(),
            opt_num(r.min),
            opt_num(r.max),
            opt_num(r.mean),
            opt_num(r.p95),
            r.flag_text(zone),
        ]);
    }
    writeln!(out, "{table}")?;
    let flagged = rows
        .iter()
        .filter(|r| {
            r.threshold
                .as_ref()
                .is_some_and(|t| t.level.is_some() || t.rising)
        })
        .count();
    writeln!(
        out,
        "{} series, {flagged} past a rule-of-thumb threshold (see data/counters.toml for sources)",
        rows.len()
    )
}

/// The aligned series: `time` (RFC 3339 in `zone`) then one column per series; empty = no sample.
pub fn write_resampled(
    out: &mut dyn Write,
    table: &AlignedTable,
    zone: Zone,
) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let mut header = vec!["time".to_string()];
    header.extend(table.columns.iter().map(|c| csv_safe(c).into_owned()));
    w.write_record(&header)?;
    for (i, t) in table.times.iter().enumerate() {
        let mut row = Vec::with_capacity(table.columns.len() + 1);
        row.push(if zone.is_utc() {
            rfc3339(t)
        } else {
            csv_time(zone, &Some(*t))
        });
        row.extend(
            table
                .values
                .iter()
                .map(|col| raw(col.get(i).copied().flatten())),
        );
        w.write_record(&row)?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(fmt_num(1_073_741_824.0), "1,073,741,824");
        assert_eq!(fmt_num(0.025), "0.025");
        assert_eq!(fmt_num(48.0), "48");
        assert_eq!(fmt_num(-1234.4), "-1,234");
    }
}
