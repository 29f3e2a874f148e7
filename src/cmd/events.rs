//! `faultline events`: EVTX records, filtered, in time order, as table, CSV, JSON Lines or JSON.
use super::{event_filter, Diagnostics};
use crate::cli::{EventsArgs, EventsFormat};
use crate::render::event_listing::Listing;
use crate::render::events::ListFormat;
use crate::source::events::export::ExportOptions;
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
    let listing = Listing {
        filter: &filter,
        threads: args.threads.unwrap_or(0),
        format: match args.format {
            Some(EventsFormat::Table) => ListFormat::Table,
            Some(EventsFormat::Csv) => ListFormat::Csv,
            Some(EventsFormat::Jsonl) => ListFormat::Jsonl,
            Some(EventsFormat::Json) => ListFormat::Json,
            None if std::io::stdout().is_terminal() => ListFormat::Table,
            None => ListFormat::Jsonl,
        },
        zone,
        count: args.count,
        progress: &bar,
    };
    // A count of one export (the filter on id and time, if any): nothing to merge it with.
    let counted_export = match (evtx_paths.as_slice(), exports.as_slice()) {
        ([], [only]) if args.count && filter.by_id_and_time_only() => match only.kind {
            InputKind::EventExport(kind) => Some((*only, kind)),
            _ => None,
        },
        _ => None,
    };
    let (reports, matched) = if exports.is_empty() {
        listing.write_evtx(out, &evtx_paths)?
    } else if let Some((input, kind)) = counted_export {
        // Counted as it is read: no event held.
        let opts = ExportOptions {
            threads: listing.threads,
            ..settings.inputs.for_path(&input.path).export_options()
        };
        let read = source::events::count_export(&input.path, kind, &opts, &filter);
        bar.file_done(&input.path);
        bar.finish();
        for note in &read.notes {
            diag.info(note);
        }
        let reports = vec![read.report];
        if super::nothing_usable(&reports) {
            return Ok(diag.summarize(&reports));
        }
        let matched = listing.write_counted(out, read.counts)?;
        (reports, matched)
    } else {
        // Exports are read whole into events, then listed with the EVTX events in time order.
        let exports: Vec<_> = exports
            .iter()
            .filter_map(|i| match i.kind {
                InputKind::EventExport(kind) => Some((
                    i.path.as_path(),
                    kind,
                    ExportOptions {
                        threads: listing.threads,
                        ..settings.inputs.for_path(&i.path).export_options()
                    },
                )),
                _ => None,
            })
            .collect();
        let on_file = |p: &std::path::Path| bar.file_done(p);
        let read = source::events::read_with_exports(
            &evtx_paths,
            &exports,
            &filter,
            listing.threads,
            &on_file,
        );
        bar.finish();
        for note in &read.notes {
            diag.info(note);
        }
        if read.merged > 0 {
            diag.info(&format!(
                "{} events were in more than one input (the same log in two formats): each listed once",
                read.merged
            ));
        }
        if super::nothing_usable(&read.reports) {
            return Ok(diag.summarize(&read.reports));
        }
        let matched = listing.write_events(out, &read.events)?;
        (read.reports, matched)
    };
    out.flush()?;
    let outcome = diag.summarize(&reports);
    diag.info(&format!("{matched} events matched"));
    Ok(outcome)
}
