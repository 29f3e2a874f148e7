//! The end of a probe CSV read: checks sorted per series and duplicates dropped, each series
//! named (a probe, or a target from a vantage), and the input report and `--explain` lines.
use super::detect::Detected;
use super::explain::{explain, Facts};
use super::rows::{self, resolve_repeated_hours, Rows};
use super::{Layout, ProbeFile, ProbeReadOptions};
use crate::model::{InputReport, ProbeSeries};
use crate::source::probes::store;
use crate::timefmt::Zone;
use rayon::prelude::*;
use std::path::Path;
use std::sync::Arc;

/// Checks sorted per probe, duplicates dropped, and the input report and `--explain` lines.
pub(super) fn finish(
    path: &Path,
    opts: &ProbeReadOptions,
    layout: &Layout,
    mut rows: Rows,
    problems: Vec<String>,
    extra_skipped: u64,
) -> ProbeFile {
    let source: Arc<str> = Arc::from(path.display().to_string());
    let mut probes = Vec::new();
    let mut duplicates = 0;
    let mut unsorted = false;
    let mut notes = resolve_repeated_hours(&mut rows, opts.input_tz);
    // A unit guessed from the values is a x1000 error if wrong: the report must say it.
    if layout.unit_why.contains("guessed") || layout.unit_why.contains("assumed") {
        notes.push(format!(
            "latency read with {}; if that is wrong, name the column with its unit (latency_ms, latency_s)",
            layout.unit_why
        ));
    }
    let mut problems = problems;
    let labels = series_labels(&layout.found, &rows.series);
    let mut planned = 0u64;
    for (i, (series, label)) in rows.series.drain(..).zip(labels).enumerate() {
        let mut checks = series.checks;
        if checks.windows(2).any(|w| w[1].time < w[0].time) {
            unsorted = true;
            checks.par_sort_by_key(|c| c.time);
        }
        let before = checks.len();
        checks.dedup_by_key(|c| c.time);
        duplicates += before - checks.len();
        checks.shrink_to_fit();
        // Maintenance rows as the stores have them: runs with no check between them, each
        // planned downtime from its first row to the next check.
        let mut maintenance = series.maintenance;
        maintenance.sort();
        let before = maintenance.len();
        maintenance.dedup();
        duplicates += before - maintenance.len();
        planned += maintenance.len() as u64;
        let spans = store::planned_spans(i, &maintenance, &checks);
        notes.extend(spans.iter().map(|s| s.note(&label.name, Zone::UTC, "rows")));
        probes.push(ProbeSeries {
            name: label.name,
            target: label.target,
            vantage: label.vantage,
            host: label.host,
            intervals: spans.iter().map(store::PlannedSpan::interval).collect(),
            checks,
            source_file: source.clone(),
        });
    }
    if !rows.neither.is_empty() {
        notes.push(format!(
            "{} rows say neither up nor down ({}): unknown, not checks",
            rows.neither.total(),
            rows.neither.render()
        ));
    }
    if !rows.unknown.is_empty() {
        notes.push(format!(
            "{} rows skipped for a status word that is not known ({}): not checks",
            rows.unknown.total(),
            rows.unknown.render()
        ));
    }
    if planned > 0 {
        notes.push(format!(
            "{planned} rows say maintenance: planned downtime, never a failure"
        ));
    }
    let times = || {
        probes.iter().flat_map(|p| {
            let ends = [p.checks.first(), p.checks.last()];
            let checks = ends.into_iter().flatten().map(|c| c.time);
            checks.chain(p.intervals.iter().flat_map(|iv| [iv.start, iv.end]))
        })
    };
    let (first, last) = (times().min(), times().max());
    if duplicates > 0 {
        problems.push(format!(
            "{duplicates} checks at the same time as an earlier check of the same probe: counted once (duplicates skipped)"
        ));
    }
    let report = InputReport {
        path: path.display().to_string(),
        kind: crate::model::InputKind::ProbeCsv,
        // A duplicate is a row read but not used: it counts as skipped, not read.
        records_read: rows.read - duplicates as u64,
        records_skipped: rows.skipped + extra_skipped + duplicates as u64,
        copies_merged: 0,
        problems,
        first,
        last,
        failed: false,
    };
    let facts = Facts {
        names: &layout.names,
        found: &layout.found,
        headerless: layout.headerless,
        unit_why: &layout.unit_why,
        naive: layout.naive,
        zone: opts.input_tz,
        timeout: opts.timeout,
        probes: &probes,
        duplicates,
        unsorted,
        kuma_codes: layout.plan.kuma_codes,
    };
    let detection = explain(path, &facts, &report);
    ProbeFile {
        probes,
        report,
        detection,
        assumed_zone: layout.naive.then(|| opts.input_tz.name().to_string()),
        notes,
    }
}

/// What one series is called and what it checked from where.
struct SeriesLabel {
    name: String,
    target: Option<String>,
    vantage: Option<String>,
    host: Option<String>,
}

/// Each series' name, target and vantage. A probe column names probes of the file's one implicit
/// target (no target, no vantage: as every probe CSV was read before targets); a target column
/// names targets, each `target` or `target @ vantage` when it has several vantages (as the stores
/// name theirs), its host from the URL or `host:port`; a vantage pinned alone names vantages.
fn series_labels(found: &Detected, series: &[rows::Series]) -> Vec<SeriesLabel> {
    if found.target.is_none() {
        let vantages = found.vantage.is_some();
        return series
            .iter()
            .map(|s| SeriesLabel {
                name: s.label.clone(),
                target: None,
                vantage: vantages.then(|| s.label.clone()),
                host: None,
            })
            .collect();
    }
    let targets: Vec<store::ProbeTarget> = series
        .iter()
        .map(|s| store::ProbeTarget {
            target: s.label.clone(),
            vantage: s.vantage.clone(),
            host: store::host_of(&s.label),
            detail: None,
        })
        .collect();
    store::series_names(&targets)
        .into_iter()
        .zip(targets)
        .map(|(name, t)| SeriesLabel {
            name,
            target: Some(t.target),
            vantage: t.vantage,
            host: t.host,
        })
        .collect()
}
