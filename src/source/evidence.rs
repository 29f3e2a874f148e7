//! Loads every input of a report or timeline: sniffs each file, reads it with its source module,
//! and gathers events, probe checks and metric series with one `InputReport` per file.
use super::events;
use super::events::evtx;
use super::events::Twin;
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
use std::sync::Arc;

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
    /// The Prometheus label that says where a check ran from (`--vantage-label`).
    pub vantage_label: Option<String>,
    /// Keep only the probes whose target, name or host contains one of these (`--target`).
    pub probe_targets: Vec<String>,
    pub event_filter: EventFilter,
}

pub fn load(opts: &LoadOptions) -> Result<Evidence> {
    load_with_progress(opts, false)
}

/// `load`, with a progress bar on stderr over the files when `progress` is set (and stderr is
/// a terminal).
pub fn load_with_progress(opts: &LoadOptions, progress: bool) -> Result<Evidence> {
    load_scoped(opts, progress, None)
}

/// A report's read of the events in passes (analysis/scope.rs): `story` from the whole log
/// first, then what `rest` asks for, given the probes and the story events (time-sorted), then
/// what `more` still asks for, given every event read so far and the second pass's scope.
pub struct TwoPassScope<'a> {
    /// Whether the probes call for reading in passes at all (else the whole of every log).
    pub wanted: &'a dyn Fn(&[ProbeSeries]) -> bool,
    pub story: EventScope,
    pub rest: &'a dyn Fn(&[ProbeSeries], &[Event]) -> EventScope,
    pub more: &'a dyn Fn(&[Event], &EventScope) -> Option<EventScope>,
}

/// `load_with_progress`, reading probes and metrics first so that `scope` can say from them (and
/// from the story the first pass read) which events are wanted; the EVTX readers then skip the
/// rest before decoding it.
pub fn load_scoped(
    opts: &LoadOptions,
    progress: bool,
    scope: Option<&TwoPassScope>,
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
    // What the perfmon read freed goes back before the probe read's own peak comes.
    crate::memory::give_back_freed();
    let mut probe_inputs = read_probes(opts, &inputs, &bar, &mut evidence)?;
    evidence.notes.extend(metric_notes);
    let reader = EventReader {
        filter: &opts.event_filter,
        rules: &opts.inputs,
        inputs: &inputs,
        bar: &bar,
    };
    // Byte-identical EVTX files read once: their events are built where the merge keeps them.
    let mut twin_events = Vec::new();
    match scope.filter(|scope| (scope.wanted)(&evidence.probes)) {
        Some(scope) => reader.read_in_two_passes(scope, &mut evidence),
        None => {
            let (events, twins, reports) = reader.read_evtx_twinned(&opts.event_filter, true);
            evidence.events = events;
            evidence.inputs = reports;
            let exported = reader.read_exports(&mut evidence);
            evidence.events.extend(
                exported
                    .into_iter()
                    .filter(|e| opts.event_filter.matches(e)),
            );
            twin_events = twins;
        }
    }
    finish_events(&mut evidence, &twin_events);
    // Inputs are listed EVTX first, then probes, then metrics, whatever the reading order.
    evidence.inputs.append(&mut probe_inputs);
    evidence.inputs.append(&mut metric_inputs);
    bar.finish();
    Ok(evidence)
}

struct EventReader<'a> {
    filter: &'a EventFilter,
    rules: &'a InputRules,
    inputs: &'a [InputFile],
    bar: &'a Progress,
}

impl EventReader<'_> {
    /// The EVTX files' events passing `filter`, and one report per file.
    fn read_evtx(
        &self,
        filter: &EventFilter,
        count_progress: bool,
    ) -> (Vec<Event>, Vec<InputReport>) {
        let (mut events, twins, reports) = self.read_evtx_twinned(filter, count_progress);
        events::materialize(&mut events, &twins);
        (events, reports)
    }

    /// `read_evtx`, a file byte-identical to an earlier one left as a `Twin` of that one's events.
    fn read_evtx_twinned(
        &self,
        filter: &EventFilter,
        count_progress: bool,
    ) -> (Vec<Event>, Vec<Twin>, Vec<InputReport>) {
        let evtx_paths: Vec<&std::path::Path> = self
            .inputs
            .iter()
            .filter(|i| i.kind == InputKind::Evtx)
            .map(|i| i.path.as_path())
            .collect();
        let on_file = |p: &std::path::Path| {
            if count_progress {
                self.bar.file_done(p)
            }
        };
        let (mut events, mut twins, mut reports) = (Vec::new(), Vec::new(), Vec::new());
        // Where each file's events lie in `events`.
        let mut spans: Vec<std::ops::Range<usize>> = Vec::new();
        for (path, read, first) in evtx::read_evtx_files_twinned(&evtx_paths, filter, 0, &on_file) {
            let start = events.len();
            match read {
                Ok(read) => {
                    events.extend(read.events);
                    reports.push(read.report);
                }
                Err(err) => reports.push(unusable(&path, InputKind::Evtx, &err)),
            }
            spans.push(start..events.len());
            if let Some(first) = first {
                twins.push(Twin {
                    // The name the reader gives a file's events.
                    source: Arc::from(path.display().to_string()),
                    origin: spans[first].clone(),
                });
            }
        }
        (events, twins, reports)
    }

    /// Every event of the event exports (they are read whole: no reader skips by id), their
    /// reports into `evidence.inputs` and their notes into `evidence.notes`.
    fn read_exports(&self, evidence: &mut Evidence) -> Vec<Event> {
        let mut events = Vec::new();
        for input in self.inputs {
            let InputKind::EventExport(kind) = input.kind else {
                continue;
            };
            let read = events::read(
                &input.path,
                kind,
                &self.rules.for_path(&input.path).export_options(),
            );
            self.bar.file_done(&input.path);
            match read {
                Ok(read) => {
                    events.extend(read.events);
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
        events
    }

    /// The story from the whole of every log, then the rest it and the probes ask for. Each
    /// EVTX file's report is its first pass's (the second reads the same records again).
    fn read_in_two_passes(&self, two_pass: &TwoPassScope, evidence: &mut Evidence) {
        let with_scope = |scope: EventScope| EventFilter {
            scope: Some(scope),
            ..self.filter.clone()
        };
        let first = with_scope(two_pass.story.clone());
        let (mut story, reports) = self.read_evtx(&first, true);
        evidence.inputs = reports;
        let exported = self.read_exports(evidence);
        let (exported_story, exported_rest): (Vec<Event>, Vec<Event>) =
            exported.into_iter().partition(|e| first.matches(e));
        story.extend(exported_story);
        sort_events(&mut story);
        let second = with_scope((two_pass.rest)(&evidence.probes, &story));
        let (more, second_reports) = self.read_evtx(&second, false);
        self.note_failed_reread(evidence, second_reports);
        story.extend(more);
        let (exported_second, exported_rest): (Vec<Event>, Vec<Event>) =
            exported_rest.into_iter().partition(|e| second.matches(e));
        story.extend(exported_second);
        sort_events(&mut story);
        let third = second
            .scope
            .as_ref()
            .and_then(|scope| (two_pass.more)(&story, scope))
            .map(with_scope);
        if let Some(third) = third {
            let (more, third_reports) = self.read_evtx(&third, false);
            self.note_failed_reread(evidence, third_reports);
            story.extend(more);
            story.extend(exported_rest.into_iter().filter(|e| third.matches(e)));
        }
        evidence.events = story;
    }

    /// A file read whole the first time and not again: said in its report.
    fn note_failed_reread(&self, evidence: &mut Evidence, again: Vec<InputReport>) {
        for (report, again) in evidence.inputs.iter_mut().zip(again) {
            if again.failed && !report.failed {
                report.problems.push(format!(
                    "a later read (the events near the windows) failed: {}",
                    again.problems.join("; ")
                ));
            }
        }
    }
}

/// Time order, and one copy of an event that more than one input holds (`twins`' events among
/// them).
fn finish_events(evidence: &mut Evidence, twins: &[Twin]) {
    let by_file = events::sort_and_merge(&mut evidence.events, twins);
    for report in &mut evidence.inputs {
        report.copies_merged = by_file.get(report.path.as_str()).copied().unwrap_or(0);
    }
    let merged: u64 = by_file.values().sum();
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
) -> Result<Vec<InputReport>> {
    let probe_opts = ProbeReadOptions {
        input_tz: opts.input_tz,
        timeout: opts.probe_timeout,
        columns: opts.probe_columns.clone(),
    };
    let mut reports = Vec::new();
    let mut probes = Vec::new();
    for input in inputs {
        if let InputKind::ProbeStore(kind) = input.kind {
            let read = probes::read(
                &input.path,
                kind,
                opts.inputs.for_path(&input.path).tz,
                opts.vantage_label.as_deref(),
            );
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
    let merged = probe_csv::merge_probes(probes, &mut reports);
    let (kept, note) = probes::targets::keep_targets(merged, &opts.probe_targets)?;
    evidence.probes = kept;
    evidence.notes.extend(note);
    // The probe read's buffers are freed: give them back before the metrics and events come.
    crate::memory::give_back_freed();
    Ok(reports)
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
