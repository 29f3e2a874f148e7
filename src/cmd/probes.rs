//! `faultline probes`: reads uptime-probe CSV exports and prints the outage windows (table, JSON
//! or CSV); `--explain` prints which columns and units each file was read with, and why.
use super::{failed_input, Diagnostics};
use crate::analysis::outages::{self, OutageAnalysis};
use crate::cli::{ProbesArgs, TableFormat};
use crate::render::probes as render;
use crate::source::probes::csv::{self as probe_csv, ProbeFile, ProbeReadOptions};
use crate::source::probes::StoreKind;
use crate::source::{self, InputKind};
use crate::{Error, Outcome};
use std::io::Write;
use std::path::PathBuf;

pub fn run(
    args: ProbesArgs,
    diag: &Diagnostics,
    config: Option<&std::path::Path>,
    out: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let flags = super::flags(&args.input, &args.tz, Some(&args.probe));
    let settings = super::settings(config, &args.input.paths, &flags, diag)?;
    let zone = settings.tz;
    let read_opts = ProbeReadOptions {
        input_tz: settings.input_tz,
        timeout: settings.timeout,
        columns: settings.columns.clone(),
    };
    let outage_opts = super::report::outage_options(&settings);
    if args.input.paths.is_empty() {
        anyhow::bail!(
            "no input: name probe CSV files or folders (e.g. faultline probes fixtures/aug15)"
        );
    }
    let paths = probe_paths(&args.input.paths)?;
    if paths.is_empty() {
        anyhow::bail!(
            "no probe evidence found in the given paths (probe CSVs, an Uptime Kuma database, Prometheus JSON; name a CSV to read it as one)"
        );
    }
    let mut series = Vec::new();
    let mut reports = Vec::new();
    let mut files: Vec<ProbeFile> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let all: Vec<PathBuf> = paths.iter().map(|(p, _)| p.clone()).collect();
    let bar = crate::progress::Progress::files(&all, diag.progress());
    for (path, store) in &paths {
        if let Some(kind) = store {
            let input_tz = settings.inputs.for_path(path).tz;
            let read = source::probes::read_in(
                path,
                *kind,
                zone,
                input_tz,
                settings.vantage_label.as_deref(),
            );
            bar.file_done(path);
            match read {
                Ok(store) => {
                    let mut detection = vec![format!(
                        "{}: {} ({} series)",
                        path.display(),
                        kind.as_str(),
                        store.probes.len()
                    )];
                    for (probe, target) in store.probes.iter().zip(&store.targets) {
                        let evidence = if probe.is_states() {
                            format!("{} state intervals", probe.intervals.len())
                        } else {
                            format!("{} checks", probe.checks.len())
                        };
                        detection.push(format!(
                            "  {}: target {}, vantage {}, {evidence}",
                            probe.name,
                            target.target,
                            target.vantage.as_deref().unwrap_or("not said"),
                        ));
                    }
                    for note in &store.notes {
                        let note = format!("{}: {note}", path.display());
                        diag.info(&note);
                        detection.push(format!("  {note}"));
                        notes.push(note);
                    }
                    reports.push(store.report.clone());
                    files.push(ProbeFile {
                        probes: store.probes,
                        report: store.report,
                        detection,
                        assumed_zone: None,
                        notes: Vec::new(),
                    });
                }
                Err(err) => reports.push(failed_input(
                    path,
                    crate::model::InputKind::ProbeStore(*kind),
                    &err,
                )),
            }
            continue;
        }
        let file_opts = ProbeReadOptions {
            input_tz: settings.inputs.for_path(path).tz,
            ..read_opts.clone()
        };
        let read = probe_csv::read_probe_csv(path, &file_opts);
        bar.file_done(path);
        match read {
            Ok(file) => {
                if let Some(zone_name) = &file.assumed_zone {
                    let note = format!(
                        "{}: times without zone read as {zone_name} (--input-tz)",
                        path.display()
                    );
                    diag.info(&note);
                    notes.push(note);
                }
                for note in &file.notes {
                    let note = format!("{}: {note}", path.display());
                    diag.info(&note);
                    notes.push(note);
                }
                reports.push(file.report.clone());
                files.push(file);
            }
            Err(err) => reports.push(failed_input(path, crate::model::InputKind::ProbeCsv, &err)),
        }
    }
    bar.finish();
    if super::nothing_usable(&reports) {
        return Ok(diag.summarize(&reports));
    }
    if args.explain {
        for file in &files {
            for line in &file.detection {
                writeln!(out, "{line}")?;
            }
        }
        out.flush()?;
        return Ok(diag.summarize(&reports));
    }
    for file in files {
        series.extend(file.probes);
    }
    let merged = probe_csv::merge_probes(series, &mut reports);
    let (probes, kept_note) = source::probes::targets::keep_targets(merged, &settings.targets)?;
    notes.extend(kept_note);
    if let Some(local) = &outage_opts.local {
        if outages::local_series(&probes, &outage_opts).is_empty() {
            let names: Vec<&str> = probes.iter().map(|p| p.name.as_str()).collect();
            return Err(Error::arg(
                "--local",
                format!(
                    "no probe or vantage named {local:?} (probes: {})",
                    names.join(", ")
                ),
            )
            .into());
        }
    }
    let analysis: OutageAnalysis = outages::find_outages(&probes, &outage_opts);
    match args.format {
        TableFormat::Table => render::write_table(out, &analysis, zone, &notes)?,
        TableFormat::Json => render::write_json(out, &analysis, &reports, &notes)?,
        TableFormat::Csv => render::write_csv(out, &analysis, zone)?,
    }
    out.flush()?;
    let outcome = diag.summarize(&reports);
    diag.info(&format!(
        "{} probes, {} outage windows, {} blips",
        analysis.probes.len(),
        analysis.outages.len(),
        analysis.blips.len()
    ));
    Ok(outcome)
}

/// Probe CSVs among the inputs: in folders, the files that look like probe exports; files named
/// on the command line are read as probe exports whatever their header says (not EVTX or PDH).
fn probe_paths(args: &[PathBuf]) -> crate::Result<Vec<(PathBuf, Option<StoreKind>)>> {
    let inputs = source::discover(args, &[])?;
    Ok(inputs
        .into_iter()
        .filter_map(|i| match i.kind {
            InputKind::ProbeStore(kind) => Some((i.path, Some(kind))),
            InputKind::ProbeCsv => Some((i.path, None)),
            InputKind::MetricCsv if args.contains(&i.path) => Some((i.path, None)),
            _ => None,
        })
        .collect())
}
