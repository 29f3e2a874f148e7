//! `faultline timeline`: every event, probe transition and threshold crossing in time order.
use super::{event_filter, Diagnostics};
use crate::analysis::report::{self, ReportOptions};
use crate::analysis::timeline::TimelineEntry;
use crate::analysis::{outages, timeline};
use crate::cli::{TimelineArgs, TimelineFormat};
use crate::render::{timeline as render, timesketch};
use crate::source::evidence::{self, LoadOptions};
use crate::Outcome;
use std::io::Write;
use std::path::{Path, PathBuf};

pub fn run(
    args: TimelineArgs,
    diag: &Diagnostics,
    config: Option<&std::path::Path>,
    out: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let flags = super::flags(&args.input, &args.tz, Some(&args.probe));
    let settings = super::settings(config, &args.input.paths, &flags, diag)?;
    let (zone, input_tz, timeout) = (settings.tz, settings.input_tz, settings.timeout);
    let filter = event_filter(&args.filter, zone)?;
    if args.input.paths.is_empty() {
        anyhow::bail!("no input: name files or folders (e.g. faultline timeline fixtures/aug15)");
    }
    if args.format == TimelineFormat::Parquet && args.output.is_none() {
        anyhow::bail!("--format parquet writes a binary file: give it with -o FILE");
    }
    if args.partition {
        if args.format != TimelineFormat::Parquet {
            return Err(crate::Error::arg("--partition", "only goes with --format parquet").into());
        }
        let dir = args.output.clone().expect("checked above");
        return partitioned(&args, &settings, &filter, &dir, diag, out);
    }
    let load = LoadOptions {
        paths: args.input.paths.clone(),
        forced: Vec::new(),
        input_tz,
        inputs: settings.inputs.clone(),
        probe_timeout: timeout,
        probe_columns: settings.columns.clone(),
        vantage_label: settings.vantage_label.clone(),
        probe_targets: settings.targets.clone(),
        event_filter: filter.clone(),
    };
    let evidence = evidence::load_with_progress(&load, diag.progress())?;
    let outcome = diag.summarize(&evidence.inputs);
    if super::nothing_usable(&evidence.inputs) {
        return Ok(outcome);
    }
    let analysis =
        outages::find_outages(&evidence.probes, &super::report::outage_options(&settings));
    // Times a clock change showed to be wrong are corrected, and said to be.
    let mut events = evidence.events;
    let clocks = crate::analysis::clock::correct(&mut events);
    let mut entries = timeline::merged(&events, &analysis.transitions, &evidence.metrics);
    timeline::mark_clock_corrections(&mut entries, &clocks);
    let timesketch = matches!(
        args.format,
        TimelineFormat::Timesketch | TimelineFormat::TimesketchJsonl
    );
    if timesketch {
        // Timesketch gets the windows too: their markers, and each entry's window number.
        entries = timeline::with_windows(entries, &analysis.outages);
        timeline::name_probe_files(&mut entries, &evidence.probes);
    }
    // The time bounds apply to every source, not only to events.
    entries.retain(|e| {
        filter.from.is_none_or(|f| e.time >= f) && filter.to.is_none_or(|t| e.time <= t)
    });
    let mut buf: Vec<u8> = Vec::new();
    match args.format {
        TimelineFormat::Table => render::write_table(&mut buf, &entries, zone)?,
        TimelineFormat::Csv => render::write_csv(&mut buf, &entries, zone)?,
        TimelineFormat::Jsonl => render::write_jsonl(&mut buf, &entries)?,
        TimelineFormat::Parquet => buf = render::parquet_bytes(&entries)?,
        TimelineFormat::Timesketch => timesketch::write_csv(&mut buf, &entries)?,
        TimelineFormat::TimesketchJsonl => timesketch::write_jsonl(&mut buf, &entries)?,
    }
    match &args.output {
        Some(path) => {
            let mut inputs = args.input.paths.clone();
            inputs.extend(
                crate::source::discover(&args.input.paths, &[])
                    .unwrap_or_default()
                    .into_iter()
                    .map(|i| i.path),
            );
            crate::report_io::write_atomic(path, &buf, &inputs)?;
            diag.info(&format!(
                "{} timeline entries written to {}",
                entries.len(),
                path.display()
            ));
        }
        None => out.write_all(&buf)?,
    }
    Ok(outcome)
}

/// The folders read one at a time: each host folder of a fleet folder (`source::host_folders`),
/// else each input as given. A folder with evidence files of its own beside sub-folders is one
/// unit: its files are not dropped.
fn fleet_units(paths: &[PathBuf]) -> Vec<Vec<PathBuf>> {
    let mut units = Vec::new();
    for p in paths {
        match crate::source::host_folders(std::slice::from_ref(p)) {
            Some(folders) => units.extend(folders.into_iter().map(|f| vec![f])),
            None => units.push(vec![p.clone()]),
        }
    }
    units
}

/// `--partition`: the timeline of each host folder, with the report's windows marked, written into
/// a Hive-partitioned parquet dataset before the next folder is read.
fn partitioned(
    args: &TimelineArgs,
    settings: &crate::config::Settings,
    filter: &crate::filter::EventFilter,
    dir: &Path,
    diag: &Diagnostics,
    out: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    if dir.exists() && std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
        anyhow::bail!(
            "{}: the dataset folder must be new or empty (parts are never overwritten)",
            dir.display()
        );
    }
    let mut outcome = Outcome::Clean;
    let mut files = 0usize;
    let mut rows = 0usize;
    for unit in fleet_units(&args.input.paths) {
        let load = LoadOptions {
            paths: unit.clone(),
            forced: Vec::new(),
            input_tz: settings.input_tz,
            inputs: settings.inputs.clone(),
            probe_timeout: settings.timeout,
            probe_columns: settings.columns.clone(),
            vantage_label: settings.vantage_label.clone(),
            probe_targets: settings.targets.clone(),
            event_filter: filter.clone(),
        };
        let evidence = match evidence::load_with_progress(&load, diag.progress()) {
            Ok(e) => e,
            Err(e) => {
                diag.info(&format!("{}: {e}", unit[0].display()));
                continue;
            }
        };
        outcome = match (outcome, diag.summarize(&evidence.inputs)) {
            (Outcome::Unusable, _) | (_, Outcome::Unusable) => Outcome::Unusable,
            (Outcome::Skipped, _) | (_, Outcome::Skipped) => Outcome::Skipped,
            _ => Outcome::Clean,
        };
        if super::nothing_usable(&evidence.inputs) {
            continue;
        }
        let opts = ReportOptions {
            outages: super::report::outage_options(settings),
            lookback: settings.lookback,
            server_zone: super::report::server_zone(settings.input_tz, settings.tz),
            from: None,
            to: None,
        };
        let analysis = outages::find_outages(&evidence.probes, &opts.outages);
        // The report takes its events by value; the timeline below needs them too.
        let model = report::build(
            evidence.events.clone(),
            &evidence.probes,
            &evidence.metrics,
            Vec::new(),
            Vec::new(),
            &opts,
        );
        let mut events = evidence.events;
        let clocks = crate::analysis::clock::correct(&mut events);
        let found =
            crate::analysis::hosts::find_hosts(&events, &evidence.metrics, &evidence.inputs);
        let mut entries = timeline::merged(&events, &analysis.transitions, &evidence.metrics);
        timeline::mark_clock_corrections(&mut entries, &clocks);
        let windows: Vec<_> = model.outages.iter().map(|o| o.window.clone()).collect();
        entries = timeline::with_windows(entries, &windows);
        entries.retain(|e| {
            filter.from.is_none_or(|f| e.time >= f) && filter.to.is_none_or(|t| e.time <= t)
        });
        let folder_name = unit[0]
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let host_of = |e: &TimelineEntry| -> String {
            if let Some(c) = e.refs.computer.as_deref().filter(|c| !c.is_empty()) {
                return found.host_of(c);
            }
            let window_host = e
                .refs
                .window
                .and_then(|n| model.outages.get(n - 1))
                .and_then(|o| o.host.clone());
            window_host
                .or_else(|| model.host.clone())
                .unwrap_or_else(|| folder_name.clone())
        };
        let written = render::write_partitioned(dir, &entries, &host_of)?;
        files += written.len();
        rows += entries.len();
    }
    writeln!(
        out,
        "{rows} timeline entries written to {files} parquet files under {}",
        dir.display()
    )?;
    Ok(outcome)
}
