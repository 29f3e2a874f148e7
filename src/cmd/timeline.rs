//! `faultline timeline`: every event, probe transition and threshold crossing in time order.
use super::{event_filter, Diagnostics};
use crate::analysis::{outages, timeline};
use crate::cli::{TimelineArgs, TimelineFormat};
use crate::render::{timeline as render, timesketch};
use crate::source::evidence::{self, LoadOptions};
use crate::Outcome;
use std::io::Write;

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
    let load = LoadOptions {
        paths: args.input.paths.clone(),
        forced: Vec::new(),
        input_tz,
        inputs: settings.inputs.clone(),
        probe_timeout: timeout,
        probe_columns: settings.columns.clone(),
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
