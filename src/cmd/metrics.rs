//! `faultline metrics`: perfmon (PDH-CSV) and generic metric CSVs summarized per series, with
//! rule-of-thumb thresholds marked, or resampled onto one grid as a CSV for plotting.
use super::{failed_input, Diagnostics};
use crate::analysis::series_stats;
use crate::cli::{MetricsArgs, TableFormat};
use crate::model::{InputReport, MetricSeries};
use crate::render::metrics as render;
use crate::source::metrics::csv::{read_metric_csv, MetricReadOptions};
use crate::source::metrics::pdh::read_pdh_csv;
use crate::source::{self, InputKind};
use crate::timefmt::{parse_duration, parse_user_time};
use crate::{Error, Outcome};
use rayon::prelude::*;
use std::io::Write;

pub fn run(
    args: MetricsArgs,
    diag: &Diagnostics,
    config: Option<&std::path::Path>,
    out: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let flags = super::flags(&args.input, &args.tz, None);
    let settings = super::settings(config, &args.input.paths, &flags, diag)?;
    let zone = settings.tz;
    let file_opts = |path: &std::path::Path| MetricReadOptions {
        input_tz: settings.inputs.for_path(path).tz,
    };
    let from = args
        .from
        .as_deref()
        .map(|s| parse_user_time(s, zone).map_err(|m| Error::arg("--from", m)))
        .transpose()?;
    let to = args
        .to
        .as_deref()
        .map(|s| parse_user_time(s, zone).map_err(|m| Error::arg("--to", m)))
        .transpose()?;
    let pattern = args
        .match_
        .as_deref()
        .map(|m| regex::Regex::new(m).map_err(|e| Error::arg("--match", e.to_string())))
        .transpose()?;
    let step = args
        .resample
        .as_deref()
        .map(|s| {
            parse_duration(s)
                .and_then(|d| {
                    if d.num_milliseconds() > 0 {
                        Ok(d)
                    } else {
                        Err(format!("{s:?} is not a positive step"))
                    }
                })
                .map_err(|m| Error::arg("--resample", m))
        })
        .transpose()?;
    if args.input.paths.is_empty() {
        anyhow::bail!(
            "no input: name perfmon or metric CSV files or folders (e.g. faultline metrics fixtures/aug15)"
        );
    }
    let inputs = source::discover(&args.input.paths, &[])?;
    let ignored = inputs
        .iter()
        .filter(|i| !matches!(i.kind, InputKind::PdhCsv | InputKind::MetricCsv))
        .count();
    let mut series: Vec<MetricSeries> = Vec::new();
    let mut reports: Vec<InputReport> = Vec::new();
    for input in &inputs {
        let read = match input.kind {
            InputKind::PdhCsv => read_pdh_csv(&input.path, &file_opts(&input.path)),
            InputKind::MetricCsv => read_metric_csv(&input.path, &file_opts(&input.path)),
            _ => continue,
        };
        match read {
            Ok(file) => {
                for note in &file.notes {
                    diag.info(&format!("{}: {note}", input.path.display()));
                }
                series.extend(file.series);
                reports.push(file.report);
            }
            Err(err) => reports.push(failed_input(&input.path, input.kind, &err)),
        }
    }
    if reports.is_empty() {
        anyhow::bail!("no perfmon or metric CSV files found in the given paths");
    }
    if super::nothing_usable(&reports) {
        return Ok(diag.summarize(&reports));
    }
    if ignored > 0 {
        diag.info(&format!(
            "{ignored} other input file(s) ignored (not metric CSVs)"
        ));
    }
    if let Some(re) = &pattern {
        series.retain(|s| re.is_match(&s.name));
    }
    if let Some(step) = step {
        let refs: Vec<&MetricSeries> = series.iter().collect();
        check_resample_size(&refs, step, from, to)?;
        let table = series_stats::resample(&refs, step, from, to);
        render::write_resampled(out, &table, zone)?;
    } else {
        // Each series summarized on the pool (a 50-counter day of one-second samples is 4.3 M).
        let rows: Vec<render::SeriesSummary> = series
            .par_iter()
            .map(|s| {
                let stats = series_stats::summarize(s, from, to);
                let check = series_stats::check_rule(s, &stats, from, to);
                render::SeriesSummary::new(s, stats, check)
            })
            .collect();
        match args.format {
            TableFormat::Table => render::write_table(out, &rows, zone)?,
            TableFormat::Json => render::write_json(out, &rows)?,
            TableFormat::Csv => render::write_csv(out, &rows, zone)?,
        }
    }
    out.flush()?;
    let outcome = diag.summarize(&reports);
    diag.info(&format!("{} series", series.len()));
    Ok(outcome)
}

/// Most rows `--resample` writes: more is a mistake (a stray 1601 or 9999 time, a tiny step),
/// and building it would take all memory, so it is refused with a way out.
const MAX_RESAMPLE_ROWS: i64 = 5_000_000;

fn check_resample_size(
    series: &[&MetricSeries],
    step: chrono::Duration,
    from: Option<chrono::DateTime<chrono::Utc>>,
    to: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<(), Error> {
    let times = || {
        series.iter().flat_map(|s| {
            let range = s.samples.within(from, to);
            (!range.is_empty())
                .then(|| (s.samples.time(range.start), s.samples.time(range.end - 1)))
        })
    };
    let (Some(first), Some(last)) = (times().map(|t| t.0).min(), times().map(|t| t.1).max()) else {
        return Ok(());
    };
    let step_ms = step.num_milliseconds().max(1);
    let rows = (last - first).num_milliseconds() / step_ms + 1;
    if rows > MAX_RESAMPLE_ROWS {
        return Err(Error::arg(
            "--resample",
            format!(
                "a step of {}s from {} to {} makes {rows} rows, over the limit of {MAX_RESAMPLE_ROWS}: use --from/--to or a larger step",
                step_ms / 1000,
                crate::model::rfc3339(&first),
                crate::model::rfc3339(&last)
            ),
        ));
    }
    Ok(())
}
