//! Loads every input of a report or timeline: sniffs each file, reads it with its source module,
//! and gathers events, probe checks and metric series with one `InputReport` per file.
use super::events;
use super::events::evtx;
use super::metrics::csv::{self as metric_csv, MetricReadOptions};
use super::metrics::pdh;
use super::per_input::InputRules;
use super::probes::csv::{self as probe_csv, ProbeReadOptions};
use super::{discover, probes, InputFile, InputKind};
use crate::error::{Error, Result};
use crate::filter::{EventFilter, EventScope};
use crate::model::{Event, InputReport, MetricSeries, ProbeSeries};
use crate::progress::Progress;
use crate::timefmt::Zone;
use std::path::PathBuf;

/// Everything read from the inputs, on one UTC timeline.
#[derive(Debug, Default)]
pub struct Evidence {
    /// Time-sorted.
    pub events: Vec<Event>,
    pub probes: Vec<ProbeSeries>,
    pub metrics: Vec<MetricSeries>,
    /// One per input file, in the order read (EVTX, probes, metrics).
    pub inputs: Vec<InputReport>,
    /// Notes from the readers (assumed zones, DST spans, detected units).
    pub notes: Vec<String>,
}

/// What to read and how.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub paths: Vec<PathBuf>,
    /// Files whose kind is forced (`--evtx`, `--probes`, `--metrics`).
    pub forced: Vec<(PathBuf, InputKind)>,
    pub input_tz: Zone,
    /// Per-input zones, date orders, log names and hosts (over `input_tz`).
    pub inputs: InputRules,
    pub probe_timeout: chrono::Duration,
    pub probe_columns: Option<String>,
    pub event_filter: EventFilter,
}

pub fn load(opts: &LoadOptions) -> Result<Evidence> {
    load_with_progress(opts, false)
}

/// `load`, with a progress bar on stderr over the files when `progress` is set (and stderr is
/// a terminal).
pub fn load_with_progress(opts: &LoadOptions, progress: bool) -> Result<Evidence> {
    load_scoped(opts, progress, &|_| None)
}

/// `load_with_progress`, reading probes and metrics first so that `scope` can say from the probes
/// which events are wanted; the EVTX readers then skip the rest before decoding it.
pub fn load_scoped(
    opts: &LoadOptions,
    progress: bool,
    scope: &dyn Fn(&[ProbeSeries]) -> Option<EventScope>,
) -> Result<Evidence> {
    let mut paths = opts.paths.clone();
    paths.retain(|p| !opts.forced.iter().any(|(f, _)| f == p));
    let inputs: Vec<InputFile> = discover(&paths, &opts.forced)?;
    if inputs.is_empty() {
        return Err(Error::arg(
            "PATH",
            "no input files found (give .evtx and .csv files or folders holding them)",
        ));
    }
    let all: Vec<PathBuf> = inputs.iter().map(|i| i.path.clone()).collect();
    let bar = Progress::files(&all, progress);
    let mut evidence = Evidence::default();
    // Metrics before probes: the peak of reading one then holds only what the other keeps.
    let (mut metric_inputs, metric_notes) = read_metrics(opts, &inputs, &bar, &mut evidence);
    let mut probe_inputs = read_probes(opts, &inputs, &bar, &mut evidence);
    evidence.notes.extend(metric_notes);
    let mut filter = opts.event_filter.clone();
    if let Some(scope) = scope(&evidence.probes) {
        filter.scope = Some(scope);
    }
    read_events(&filter, &opts.inputs, &inputs, &bar, &mut evidence);
    // Inputs are listed EVTX first, then probes, then metrics, whatever the reading order.
    evidence.inputs.append(&mut probe_inputs);
    evidence.inputs.append(&mut metric_inputs);
    bar.finish();
    Ok(evidence)
}

fn read_events(
    filter: &EventFilter,
    rules: &InputRules,
    inputs: &[InputFile],
    bar: &Progress,
    evidence: &mut Evidence,
) {
    let evtx_paths: Vec<&std::path::Path> = inputs
        .iter()
        .filter(|i| i.kind == InputKind::Evtx)
        .map(|i| i.path.as_path())
        .collect();
    let on_file = |p: &std::path::Path| bar.file_done(p);
    for (path, read) in evtx::read_evtx_files_with(&evtx_paths, filter, 0, &on_file) {
        match read {
            Ok(read) => {
                evidence.events.extend(read.events);
                evidence.inputs.push(read.report);
            }
            Err(err) => evidence.inputs.push(unusable(&path, InputKind::Evtx, &err)),
        }
    }
    for input in inputs {
        let InputKind::EventExport(kind) = input.kind else {
            continue;
        };
        let read = events::read(
            &input.path,
            kind,
            &rules.for_path(&input.path).export_options(),
        );
        bar.file_done(&input.path);
        match read {
            Ok(read) => {
                evidence
                    .events
                    .extend(read.events.into_iter().filter(|e| filter.matches(e)));
                evidence.notes.extend(
                    read.notes
                        .into_iter()
                        .map(|n| format!("{}: {n}", input.path.display())),
                );
                evidence.inputs.push(read.report);
            }
            Err(err) => evidence
                .inputs
                .push(unusable(&input.path, input.kind, &err)),
        }
    }
    sort_events(&mut evidence.events);
    let merged = events::merge_copies(&mut evidence.events);
    if merged > 0 {
        evidence.notes.push(format!(
            "{merged} events were in more than one input (the same log in two formats): each is counted once"
        ));
    }
}

pub use super::events::sort_events;

/// Reads the probe exports into `evidence.probes`; returns their input reports.
fn read_probes(
    opts: &LoadOptions,
    inputs: &[InputFile],
    bar: &Progress,
    evidence: &mut Evidence,
) -> Vec<InputReport> {
    let probe_opts = ProbeReadOptions {
        input_tz: opts.input_tz,
        timeout: opts.probe_timeout,
        columns: opts.probe_columns.clone(),
    };
    let mut reports = Vec::new();
    let mut probes = Vec::new();
    for input in inputs {
        if let InputKind::ProbeStore(kind) = input.kind {
            let read = probes::read(&input.path, kind, opts.inputs.for_path(&input.path).tz);
            bar.file_done(&input.path);
            match read {
                Ok(store) => {
                    evidence.notes.extend(
                        store
                            .notes
                            .iter()
                            .map(|n| format!("{}: {n}", input.path.display())),
                    );
                    probes.extend(store.probes);
                    reports.push(store.report);
                }
                Err(err) => reports.push(unusable(&input.path, input.kind, &err)),
            }
        }
    }
    for input in inputs.iter().filter(|i| i.kind == InputKind::ProbeCsv) {
        let probe_opts = ProbeReadOptions {
            input_tz: opts.inputs.for_path(&input.path).tz,
            ..probe_opts.clone()
        };
        let read = probe_csv::read_probe_csv(&input.path, &probe_opts);
        bar.file_done(&input.path);
        match read {
            Ok(file) => {
                if let Some(zone) = &file.assumed_zone {
                    evidence.notes.push(format!(
                        "{}: times without zone read as {zone}",
                        input.path.display()
                    ));
                }
                evidence.notes.extend(
                    file.notes
                        .iter()
                        .map(|n| format!("{}: {n}", input.path.display())),
                );
                probes.extend(file.probes);
                reports.push(file.report);
            }
            Err(err) => reports.push(unusable(&input.path, InputKind::ProbeCsv, &err)),
        }
    }
    evidence.probes = probe_csv::merge_probes(probes, &mut reports);
    reports
}

/// Reads the perfmon and metric CSVs into `evidence.metrics`; returns their input reports and
/// notes.
fn read_metrics(
    opts: &LoadOptions,
    inputs: &[InputFile],
    bar: &Progress,
    evidence: &mut Evidence,
) -> (Vec<InputReport>, Vec<String>) {
    let mut notes = Vec::new();
    let mut reports = Vec::new();
    for input in inputs {
        let metric_opts = MetricReadOptions {
            input_tz: opts.inputs.for_path(&input.path).tz,
        };
        let read = match input.kind {
            InputKind::PdhCsv => pdh::read_pdh_csv(&input.path, &metric_opts),
            InputKind::MetricCsv => metric_csv::read_metric_csv(&input.path, &metric_opts),
            _ => continue,
        };
        bar.file_done(&input.path);
        match read {
            Ok(file) => {
                evidence.metrics.extend(file.series);
                notes.extend(
                    file.notes
                        .into_iter()
                        .map(|n| format!("{}: {n}", input.path.display())),
                );
                reports.push(file.report);
            }
            Err(err) => reports.push(unusable(&input.path, input.kind, &err)),
        }
    }
    (reports, notes)
}

fn unusable(path: &std::path::Path, kind: InputKind, err: &Error) -> InputReport {
    let text = err.to_string();
    let prefix = format!("{}: ", path.display());
    let message = text.strip_prefix(&prefix).unwrap_or(&text).to_string();
    InputReport::unusable(path, kind, message)
}
