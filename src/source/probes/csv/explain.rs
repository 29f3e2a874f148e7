//! The `--explain` lines of a probe export: which columns, units and zone it was read with, and why.
use super::detect::{Detected, Role};
use crate::model::{InputReport, ProbeSeries};
use crate::timefmt::Zone;
use std::path::Path;

/// What was found, for the `--explain` lines.
pub struct Facts<'a> {
    pub names: &'a [String],
    pub found: &'a Detected,
    pub headerless: bool,
    pub unit_why: &'a str,
    pub naive: bool,
    pub zone: Zone,
    pub timeout: chrono::Duration,
    pub probes: &'a [ProbeSeries],
    pub duplicates: usize,
    pub unsorted: bool,
    /// Status codes read as Uptime Kuma's (2 pending, 3 maintenance).
    pub kuma_codes: bool,
}

pub fn explain(path: &Path, f: &Facts, report: &InputReport) -> Vec<String> {
    let mut out = vec![format!("{}:", path.display())];
    if f.headerless {
        out.push(format!(
            "  no header row ({} columns): columns found by their content",
            f.names.len()
        ));
    } else {
        out.push(format!("  header: {}", f.names.join(", ")));
    }
    let why = |role: Role| {
        f.found
            .why
            .iter()
            .find(|(r, _, _)| *r == role)
            .map(|(_, col, why)| format!("column {:?} ({why})", f.names[*col]))
    };
    let zone_note = if f.naive {
        format!("times have no zone: read in {} (--input-tz)", f.zone.name())
    } else {
        "times carry their zone".to_string()
    };
    out.push(format!(
        "  time: {}; {zone_note}",
        why(Role::Time).unwrap_or_default()
    ));
    let names: Vec<&str> = f.probes.iter().map(|p| p.name.as_str()).collect();
    let distinct = |of: fn(&ProbeSeries) -> Option<&str>| {
        let mut seen: Vec<&str> = Vec::new();
        for v in f.probes.iter().filter_map(of) {
            if !seen.contains(&v) {
                seen.push(v);
            }
        }
        seen
    };
    if let Some(col) = why(Role::Target) {
        let targets = distinct(|p| p.target.as_deref());
        out.push(format!(
            "  target: {col}: {} target(s): {}; windows are found per target",
            targets.len(),
            targets.join(", ")
        ));
        match why(Role::Vantage) {
            Some(col) => {
                let vantages = distinct(|p| p.vantage.as_deref());
                out.push(format!(
                    "  vantage: {col}: {} vantage(s): {}; a window compares the vantages of its target",
                    vantages.len(),
                    vantages.join(", ")
                ));
            }
            None => out.push(
                "  vantage: no vantage column: each target is checked from one place".to_string(),
            ),
        }
        out.push(format!(
            "  series: one per (target, vantage): {}: {}",
            names.len(),
            names.join(", ")
        ));
    } else if let Some(col) = why(Role::Vantage) {
        out.push(format!(
            "  vantage: {col}: {} vantage(s) of one target: {}",
            names.len(),
            names.join(", ")
        ));
    } else {
        explain_probe(&mut out, why(Role::Probe), &names);
    }
    match why(Role::Status) {
        Some(col) if f.kuma_codes => out.push(format!(
            "  status: {col}: Uptime Kuma's heartbeat codes (the monitor_id and important columns): 1 answered, 0 failed, 2 pending (neither), 3 maintenance (planned downtime)"
        )),
        Some(col) => out.push(format!(
            "  status: {col}: decides each check (up/ok/1/true/2xx/3xx answered; down/fail/0/false/timeout/error/4xx/5xx failed)"
        )),
        None => out.push(format!(
            "  status: none: a check failed when it has no latency or one at or over {}s",
            f.timeout.num_milliseconds() as f64 / 1000.0
        )),
    }
    if let Some(col) = why(Role::Latency) {
        let role = if f.found.status.is_some() {
            "kept for information"
        } else {
            "decides each check"
        };
        out.push(format!("  latency: {col}, {}; {role}", f.unit_why));
    }
    let mut rows = format!(
        "  rows: {} read, {} skipped",
        report.records_read, report.records_skipped
    );
    if f.duplicates > 0 {
        rows.push_str(&format!("; {} duplicate checks dropped", f.duplicates));
    }
    if f.unsorted {
        rows.push_str("; rows were not in time order (sorted)");
    }
    out.push(rows);
    out
}

/// The probe line of a file of one implicit target: its probe column, or the one probe it is.
fn explain_probe(out: &mut Vec<String>, col: Option<String>, names: &[&str]) {
    match col {
        Some(col) => out.push(format!(
            "  probe: {col}: {} probe(s): {}",
            names.len(),
            names.join(", ")
        )),
        None => out.push(format!(
            "  probe: no probe column: one probe named {:?} after the file",
            names.first().copied().unwrap_or("")
        )),
    }
}
