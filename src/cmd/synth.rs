//! `faultline synth DIR`: writes the deterministic aug15 scenario (event logs, probe and perfmon
//! CSVs) into a folder; `--scale N` writes a System.evtx of about N records for benchmarks.
use super::Diagnostics;
use crate::cli::SynthArgs;
use crate::error::Error;
use crate::synth::evtx_writer::{write_evtx, SynthRecord};
use crate::synth::{scale, scenario};
use crate::Outcome;
use std::io::Write;
use std::path::Path;

pub fn run(args: SynthArgs, diag: &Diagnostics, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let dir = args.out_dir.as_path();
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    if args.probe_exports || args.targets {
        let written = if args.targets {
            crate::synth::targets::write_targets(dir)?
        } else {
            crate::synth::probe_exports::write_probe_exports(dir).map_err(|e| Error::io(dir, e))?
        };
        for path in written {
            let size = std::fs::metadata(&path)
                .map_err(|e| Error::io(&path, e))?
                .len();
            writeln!(out, "wrote {}: {size} bytes", path.display())?;
        }
        return Ok(Outcome::Clean);
    }
    if let Some(n) = args.hosts {
        for (host, records) in crate::synth::hosts::host_logs(usize::from(n), args.scale) {
            let folder = dir.join(&host);
            std::fs::create_dir_all(&folder).map_err(|e| Error::io(&folder, e))?;
            write_log(&folder, "System.evtx", records, out)?;
        }
        return Ok(Outcome::Clean);
    }
    if args.exports {
        let written = match args.scale {
            Some(total) => crate::synth::exports::write_scaled_exports(dir, total)?,
            None => {
                crate::synth::exports::write_export_fixtures(dir).map_err(|e| Error::io(dir, e))?
            }
        };
        for path in written {
            let size = std::fs::metadata(&path)
                .map_err(|e| Error::io(&path, e))?
                .len();
            writeln!(out, "wrote {}: {size} bytes", path.display())?;
        }
        return Ok(Outcome::Clean);
    }
    let system = match args.scale {
        Some(total) => {
            diag.info(&format!("generating about {total} System records..."));
            scale::scaled_system_records(total)
        }
        None => scenario::system_records(),
    };
    write_log(dir, "System.evtx", system, out)?;
    write_log(
        dir,
        "Application.evtx",
        scenario::application_records(),
        out,
    )?;
    crate::synth::probes::write_probe_fixtures(dir).map_err(|e| Error::io(dir, e))?;
    let probe_files = [
        crate::synth::probes::REMOTE_FILE.to_string(),
        crate::synth::probes::local_file(),
    ];
    crate::synth::metrics::write_metric_fixtures(dir).map_err(|e| Error::io(dir, e))?;
    let metric_files = [
        crate::synth::metrics::PERFMON_FILE,
        crate::synth::metrics::TRAFFIC_FILE,
    ];
    for name in probe_files.iter().map(String::as_str).chain(metric_files) {
        let path = dir.join(name);
        let size = std::fs::metadata(&path)
            .map_err(|e| Error::io(&path, e))?
            .len();
        writeln!(out, "wrote {}: {size} bytes", path.display())?;
    }
    if let Some(rows) = args.probe_rows {
        let path = crate::synth::scale_csv::write_scaled_probes(dir, rows)
            .map_err(|e| Error::io(dir, e))?;
        writeln!(out, "wrote {}: about {rows} probe rows", path.display())?;
    }
    if let Some(size) = &args.perfmon {
        let (counters, samples) = crate::synth::scale_csv::parse_perfmon_size(size)
            .map_err(|m| Error::arg("--perfmon", m))?;
        let path = crate::synth::scale_csv::write_scaled_perfmon(dir, counters, samples)
            .map_err(|e| Error::io(dir, e))?;
        writeln!(
            out,
            "wrote {}: {counters} counters x {samples} samples",
            path.display()
        )?;
    }
    Ok(Outcome::Clean)
}

/// Writes one EVTX file and says what it holds.
fn write_log(
    dir: &Path,
    name: &str,
    records: Vec<SynthRecord>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let path = dir.join(name);
    let count = records.len();
    let span = records
        .first()
        .map(|r| r.time)
        .zip(records.last().map(|r| r.time));
    let bytes = write_evtx(&records);
    drop(records);
    crate::report_io::replace_file(&path, &bytes).map_err(|e| Error::io(&path, e))?;
    let span = span
        .map(|(a, b)| {
            format!(
                ", {} .. {}",
                crate::model::rfc3339(&a),
                crate::model::rfc3339(&b)
            )
        })
        .unwrap_or_default();
    writeln!(
        out,
        "wrote {}: {count} records, {} bytes{span}",
        path.display(),
        bytes.len()
    )?;
    Ok(())
}
