//! `faultline events`: EVTX records, filtered, in time order, as table, CSV, JSON Lines or JSON.
use super::{event_filter, failed_input, Diagnostics};
use crate::cli::{EventsArgs, EventsFormat};
use crate::filter::EventFilter;
use crate::model::{Event, InputReport};
use crate::render::event_runs::{self as runs, LineFormat, Run};
use crate::render::events::{self as render, ListFormat};
use crate::source::events::evtx::lines;
use crate::source::events::evtx::stream::{self, Block, Flush};
use crate::source::events::evtx::{ChunkMap, ChunkRead};
use crate::source::{self, InputKind};
use crate::Outcome;
use std::io::{IsTerminal, Write};

pub fn run(
    args: EventsArgs,
    diag: &Diagnostics,
    config: Option<&std::path::Path>,
    out: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let flags = super::flags(&args.input, &args.tz, None);
    let settings = super::settings(config, &args.input.paths, &flags, diag)?;
    let zone = settings.tz;
    let filter = event_filter(&args.filter, zone)?;
    if args.input.paths.is_empty() {
        anyhow::bail!(
            "no input: name .evtx files or folders (e.g. faultline events fixtures/aug15)"
        );
    }
    let inputs = source::discover(&args.input.paths, &[])?;
    let evtx_paths: Vec<&std::path::Path> = inputs
        .iter()
        .filter(|i| i.kind == InputKind::Evtx)
        .map(|i| i.path.as_path())
        .collect();
    let exports: Vec<&source::InputFile> = inputs
        .iter()
        .filter(|i| matches!(i.kind, InputKind::EventExport(_)))
        .collect();
    if evtx_paths.is_empty() && exports.is_empty() {
        anyhow::bail!(
            "no event logs found in the given paths (EVTX, .evt, or exports of Event Viewer, PowerShell, wevtutil, evtx_dump or EvtxECmd)"
        );
    }
    let mut all: Vec<std::path::PathBuf> = evtx_paths.iter().map(|p| p.to_path_buf()).collect();
    all.extend(exports.iter().map(|i| i.path.clone()));
    let bar = crate::progress::Progress::files(&all, diag.progress());
    let on_file = |p: &std::path::Path| bar.file_done(p);
    let threads = args.threads.unwrap_or(0);
    let format = match args.format {
        Some(EventsFormat::Table) => ListFormat::Table,
        Some(EventsFormat::Csv) => ListFormat::Csv,
        Some(EventsFormat::Jsonl) => ListFormat::Jsonl,
        Some(EventsFormat::Json) => ListFormat::Json,
        None if std::io::stdout().is_terminal() => ListFormat::Table,
        None => ListFormat::Jsonl,
    };
    let line_format = match format {
        ListFormat::Jsonl => Some(LineFormat::Jsonl),
        ListFormat::Csv => Some(LineFormat::Csv(zone)),
        ListFormat::Table | ListFormat::Json => None,
    };
    let mut reports = Vec::new();
    let matched = if !exports.is_empty() {
        // Exports are read whole into events, then listed with the EVTX events in time order.
        let keep = |events: Vec<Event>| events;
        let chunks = read_chunks(&evtx_paths, &filter, threads, &on_file, &keep, &mut reports);
        let mut events: Vec<Event> = chunks.into_iter().flatten().collect();
        for input in &exports {
            let InputKind::EventExport(kind) = input.kind else {
                continue;
            };
            let export_opts = settings.inputs.for_path(&input.path).export_options();
            match source::events::read(&input.path, kind, &export_opts) {
                Ok(read) => {
                    for note in &read.notes {
                        diag.info(&format!("{}: {note}", input.path.display()));
                    }
                    events.extend(read.events.into_iter().filter(|e| filter.matches(e)));
                    reports.push(read.report);
                }
                Err(err) => reports.push(failed_input(&input.path, kind.as_str(), &err)),
            }
            on_file(&input.path);
        }
        bar.finish();
        source::evidence::sort_events(&mut events);
        let merged = source::events::merge_copies(&mut events);
        if merged > 0 {
            diag.info(&format!(
                "{merged} events were in more than one input (the same log in two formats): each listed once"
            ));
        }
        if super::nothing_usable(&reports) {
            return Ok(diag.summarize(&reports));
        }
        if args.count {
            let counts = render::merge_counts([render::count_chunk(&events)]);
            render::write_counts(out, &counts, format, zone)?;
            counts.iter().map(|c| c.count).sum()
        } else {
            render::write_events(out, &events, format, zone)?;
            events.len() as u64
        }
    } else if args.count {
        // Counted per chunk on the workers and added up: no event is held.
        let count_chunk = |events: Vec<Event>| render::count_chunk(&events);
        let parts = read_chunks(
            &evtx_paths,
            &filter,
            threads,
            &on_file,
            &count_chunk,
            &mut reports,
        );
        bar.finish();
        let counts = render::merge_counts(parts);
        render::write_counts(out, &counts, format, zone)?;
        counts.iter().map(|c| c.count).sum()
    } else if let Some(line_format) = line_format {
        // Streamed: lines rendered per chunk on the workers, merged in time order as written.
        let (read, matched) =
            write_streamed(&evtx_paths, &filter, threads, line_format, &on_file, out)?;
        for (path, read) in evtx_paths.iter().zip(read) {
            match read {
                Ok(report) => reports.push(report),
                Err(err) => reports.push(failed_input(path, "evtx", &err)),
            }
        }
        bar.finish();
        matched
    } else {
        let keep = |events: Vec<Event>| events;
        let chunks = read_chunks(&evtx_paths, &filter, threads, &on_file, &keep, &mut reports);
        let mut events: Vec<Event> = chunks.into_iter().flatten().collect();
        bar.finish();
        // Chunk order is not time order: sort, keeping file and record order for equal times.
        source::evidence::sort_events(&mut events);
        render::write_events(out, &events, format, zone)?;
        events.len() as u64
    };
    out.flush()?;
    let outcome = diag.summarize(&reports);
    diag.info(&format!("{matched} events matched"));
    Ok(outcome)
}

/// Every file's chunks made into `map`'s output, in file and walk order; each file's report (or
/// why it could not be read) goes to `reports`.
fn read_chunks<M: ChunkMap>(
    paths: &[&std::path::Path],
    filter: &EventFilter,
    threads: usize,
    on_file: &(dyn Fn(&std::path::Path) + Sync),
    map: &M,
    reports: &mut Vec<InputReport>,
) -> Vec<M::Out> {
    let mut chunks = Vec::new();
    for (path, read) in
        source::events::evtx::read_evtx_files_chunks(paths, filter, threads, on_file, map)
    {
        match read {
            Ok(read) => {
                chunks.extend(read.chunks);
                reports.push(read.report);
            }
            Err(err) => reports.push(failed_input(&path, "evtx", &err)),
        }
    }
    chunks
}

/// The JSON Lines or CSV listing of `paths`, written to `out` as the files are read (see
/// `source::events::evtx::stream` and `render::event_runs`): each file's report (or why it could not be
/// read), and how many lines were written.
pub fn write_streamed(
    paths: &[&std::path::Path],
    filter: &EventFilter,
    threads: usize,
    format: LineFormat,
    on_file: &(dyn Fn(&std::path::Path) + Sync),
    out: &mut dyn Write,
) -> std::io::Result<(Vec<crate::error::Result<InputReport>>, u64)> {
    let render = Lines {
        format,
        direct: matches!(format, LineFormat::Jsonl) && filter.by_id_and_time_only(),
    };
    if matches!(format, LineFormat::Csv(_)) {
        let mut w = csv::Writer::from_writer(&mut *out);
        w.write_record(render::CSV_HEADER)?;
        w.flush()?;
    }
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let mut merger = runs::Merger::new(&names);
    let mut sink = |block: Block<Run>| {
        for run in block.chunks {
            merger.push(block.file, run)?;
        }
        match block.flush {
            Flush::Nothing => Ok(()),
            Flush::Before(t) => merger.flush(&mut *out, Some(t)),
            Flush::All => merger.flush(&mut *out, None),
        }
    };
    let reports = stream::stream_evtx_files(paths, filter, threads, on_file, &render, &mut sink)?;
    let written = merger.finish(out)?;
    Ok((reports, written))
}

/// Each chunk's events as a run of listing lines: JSON Lines written straight from the chunk's
/// bytes where event id and time alone decide what passes, else through `Event`s.
pub(crate) struct Lines {
    pub format: LineFormat,
    /// Straight from the chunk bytes (JSON Lines and a filter on id and time only).
    pub direct: bool,
}

impl ChunkMap for Lines {
    type Out = Run;

    fn events(&self, events: Vec<Event>) -> Run {
        runs::render_run(events, self.format)
    }

    fn fast(
        &self,
        data: &[u8],
        filter: &EventFilter,
        source_json: &[u8],
    ) -> Option<ChunkRead<Run>> {
        if !self.direct {
            return None;
        }
        let lines = lines::chunk_lines(data, filter, source_json)?;
        let first = lines.keys.iter().map(|k| k.0).min();
        let last = lines.keys.iter().map(|k| k.0).max();
        Some(ChunkRead {
            out: runs::run_of_lines(lines.keys, lines.ends, lines.bytes),
            records_read: lines.records_read,
            first,
            last,
            ..Default::default()
        })
    }
}
