//! The `probes` output: probe summary and outage windows as tables, JSON or CSV.
use super::{cell_text, csv_safe, new_table};
use crate::analysis::outages::{Outage, OutageAnalysis};
use crate::model::InputReport;
use crate::timefmt::{human_duration, Zone};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::io::Write;

/// The JSON document of `faultline probes --format json`.
#[derive(Serialize)]
struct ProbesJson<'a> {
    #[serde(flatten)]
    analysis: &'a OutageAnalysis,
    skipped_rows: u64,
    inputs: &'a [InputReport],
    /// e.g. which zone zone-less times were read in.
    notes: &'a [String],
}

pub fn write_json(
    out: &mut dyn Write,
    analysis: &OutageAnalysis,
    inputs: &[InputReport],
    notes: &[String],
) -> std::io::Result<()> {
    let doc = ProbesJson {
        analysis,
        skipped_rows: inputs.iter().map(|i| i.records_skipped).sum(),
        inputs,
        notes,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")
}

/// Local time with offset, e.g. `2011-08-15T16:58:00-07:00`.
fn csv_time(zone: Zone, t: &DateTime<Utc>) -> String {
    t.with_timezone(&zone.0)
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Failed probes of a window: `us-west 90/90` (failed checks / checks in the window).
fn failed_probes(o: &Outage, sep: &str) -> String {
    o.probes
        .iter()
        .filter(|p| p.failures > 0)
        .map(|p| format!("{} {}/{}", p.probe, p.failures, p.checks))
        .collect::<Vec<_>>()
        .join(sep)
}

/// One row per window, then one per blip (kind `blip`); times in `zone` with their offset.
pub fn write_csv(
    out: &mut dyn Write,
    analysis: &OutageAnalysis,
    zone: Zone,
) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "kind",
        "start",
        "last_failure",
        "recovered_at",
        "duration_seconds",
        "failed_probes",
        "failures",
        "unknown_seconds",
    ])?;
    for o in &analysis.outages {
        w.write_record([
            o.kind.as_str(),
            &csv_time(zone, &o.start),
            &csv_time(zone, &o.last_failure),
            &o.recovered_at
                .map(|t| csv_time(zone, &t))
                .unwrap_or_default(),
            &o.duration_seconds
                .map(|d| d.to_string())
                .unwrap_or_default(),
            &csv_safe(&failed_probes(o, ";")),
            &o.probes.iter().map(|p| p.failures).sum::<u64>().to_string(),
            &o.probes
                .iter()
                .map(|p| p.unknown_seconds)
                .sum::<i64>()
                .to_string(),
        ])?;
    }
    for b in &analysis.blips {
        w.write_record([
            "blip",
            &csv_time(zone, &b.start),
            &csv_time(zone, &b.last_failure),
            &b.recovered_at
                .map(|t| csv_time(zone, &t))
                .unwrap_or_default(),
            &b.recovered_at
                .map(|r| (r - b.start).num_seconds().to_string())
                .unwrap_or_default(),
            &csv_safe(&b.probe),
            &b.failures.to_string(),
            "0",
        ])?;
    }
    // Planned downtime: its end is where the monitor says maintenance ended.
    for m in &analysis.maintenance {
        w.write_record([
            "maintenance",
            &csv_time(zone, &m.start),
            "",
            &csv_time(zone, &m.end),
            &m.seconds.to_string(),
            &csv_safe(&m.probe),
            "0",
            "0",
        ])?;
    }
    w.flush()
}

/// Tables of probes, windows and blips; `notes` (such as the zone assumed for zone-less times)
/// are printed under the probe table.
pub fn write_table(
    out: &mut dyn Write,
    analysis: &OutageAnalysis,
    zone: Zone,
    notes: &[String],
) -> std::io::Result<()> {
    writeln!(out, "Probes (times in {})", zone.name())?;
    let mut table = new_table(&[
        "probe",
        "local",
        "checks",
        "failed",
        "first check",
        "last check",
        "interval",
        "unknown",
        "available",
    ]);
    for p in &analysis.probes {
        table.add_row(vec![
            cell_text(&p.name, 30),
            if p.local { "yes" } else { "" }.to_string(),
            if p.state_changes > 0 {
                format!("{} states", p.state_changes)
            } else {
                p.checks.to_string()
            },
            p.failures.to_string(),
            p.first_check.map(|t| zone.format(&t)).unwrap_or_default(),
            p.last_check.map(|t| zone.format(&t)).unwrap_or_default(),
            p.median_interval_seconds
                .map(|s| human_duration(s.round() as i64))
                .unwrap_or_default(),
            human_duration(p.unknown_seconds),
            p.availability_percent
                .map(|a| format!("{a:.3}%"))
                .unwrap_or_default(),
        ]);
    }
    writeln!(out, "{table}")?;
    for note in notes {
        writeln!(out, "{note}")?;
    }
    if analysis.probes.iter().all(|p| !p.local) {
        writeln!(
            out,
            "No local probe known (--local NAME): windows where every remote probe failed are unclassified."
        )?;
    }
    writeln!(out)?;
    if analysis.outages.is_empty() {
        writeln!(out, "No outage windows.")?;
    } else {
        writeln!(out, "Outage windows")?;
        let mut table = new_table(&[
            "#",
            "kind",
            "start",
            "last failure",
            "recovered",
            "duration",
            "failed probes",
            "unknown",
        ]);
        for (i, o) in analysis.outages.iter().enumerate() {
            let unknown: i64 = o.probes.iter().map(|p| p.unknown_seconds).sum();
            table.add_row(vec![
                (i + 1).to_string(),
                o.kind.as_str().to_string(),
                zone.format(&o.start),
                zone.format(&o.last_failure),
                o.recovered_at
                    .map(|t| zone.format(&t))
                    .unwrap_or_else(|| "not in the data".into()),
                o.duration_seconds.map(human_duration).unwrap_or_default(),
                cell_text(&failed_probes(o, ", "), 80),
                if unknown > 0 {
                    human_duration(unknown)
                } else {
                    String::new()
                },
            ]);
        }
        writeln!(out, "{table}")?;
    }
    if !analysis.blips.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "Blips (fewer failed checks in a row than --min-failures)"
        )?;
        let mut table = new_table(&["probe", "first failure", "failures", "recovered"]);
        for b in &analysis.blips {
            table.add_row(vec![
                cell_text(&b.probe, 30),
                zone.format(&b.start),
                b.failures.to_string(),
                b.recovered_at.map(|t| zone.format(&t)).unwrap_or_default(),
            ]);
        }
        writeln!(out, "{table}")?;
    }
    if !analysis.maintenance.is_empty() {
        writeln!(out)?;
        writeln!(out, "Maintenance (planned downtime, not outages)")?;
        let mut table = new_table(&["probe", "start", "end", "duration"]);
        for m in &analysis.maintenance {
            table.add_row(vec![
                cell_text(&m.probe, 30),
                zone.format(&m.start),
                zone.format(&m.end),
                human_duration(m.seconds),
            ]);
        }
        writeln!(out, "{table}")?;
    }
    Ok(())
}
