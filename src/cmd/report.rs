//! `faultline report`: the draft outage report from all the evidence, as markdown, JSON, HTML
//! or Grafana annotations.
use super::Diagnostics;
use crate::analysis::outages::OutageOptions;
use crate::analysis::report::{self, ReportOptions};
use crate::analysis::scope;
use crate::cli::{Annotate, ReportArgs, ReportFormat};
use crate::config::Settings;
use crate::render::grafana::{self, GrafanaOptions};
use crate::render::{chart, html, markdown};
use crate::source::evidence::{self, LoadOptions};
use crate::source::InputKind;
use crate::timefmt::{parse_user_time, Zone};
use crate::{Error, Outcome};
use std::io::Write;
use std::path::{Component, Path, PathBuf};

/// Outage-detection settings from the shared probe settings.
pub fn outage_options(settings: &Settings) -> OutageOptions {
    OutageOptions {
        min_failures: settings.min_failures.max(1),
        merge_gap: settings.merge_gap,
        local: settings.local.clone(),
        host: None,
        warning_is_down: settings.warning_is_down,
    }
}

pub fn run(
    args: ReportArgs,
    diag: &Diagnostics,
    config: Option<&Path>,
    out: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let mut flags = super::flags(&args.input, &args.tz, Some(&args.probe));
    flags.lookback = args.lookback.clone();
    let mut config_inputs = args.input.paths.clone();
    config_inputs.extend(
        args.evtx
            .iter()
            .chain(&args.probes)
            .chain(&args.metrics)
            .cloned(),
    );
    let settings = super::settings(config, &config_inputs, &flags, diag)?;
    let (zone, input_tz) = (settings.tz, settings.input_tz);
    let (lookback, timeout) = (settings.lookback, settings.timeout);
    let mut forced = Vec::new();
    forced.extend(args.evtx.iter().map(|p| (p.clone(), InputKind::Evtx)));
    forced.extend(args.probes.iter().map(|p| (p.clone(), InputKind::ProbeCsv)));
    for p in &args.metrics {
        let kind = match crate::source::sniff::sniff_file(p)? {
            InputKind::PdhCsv => InputKind::PdhCsv,
            _ => InputKind::MetricCsv,
        };
        forced.push((p.clone(), kind));
    }
    let grafana_only = [
        ("--annotate", args.annotate.is_some()),
        ("--dashboard-uid", args.dashboard_uid.is_some()),
        ("--panel-id", args.panel_id.is_some()),
    ];
    if let Some((flag, _)) = grafana_only
        .iter()
        .find(|(_, given)| *given && args.format != ReportFormat::Grafana)
    {
        return Err(Error::arg(*flag, "only goes with --format grafana").into());
    }
    if args.input.paths.is_empty() && forced.is_empty() {
        anyhow::bail!("no input: name files or folders (e.g. faultline report fixtures/aug15)");
    }
    let parse_bound = |flag: &str, v: &Option<String>| -> Result<_, Error> {
        v.as_deref()
            .map(|s| parse_user_time(s, zone).map_err(|m| Error::arg(flag, m)))
            .transpose()
    };
    let from = parse_bound("--from", &args.from)?;
    let to = parse_bound("--to", &args.to)?;
    let load = LoadOptions {
        paths: args.input.paths.clone(),
        forced,
        input_tz,
        inputs: settings.inputs.clone(),
        probe_timeout: timeout,
        probe_columns: settings.columns.clone(),
        vantage_label: settings.vantage_label.clone(),
        probe_targets: settings.targets.clone(),
        event_filter: Default::default(),
    };
    // The report reads the story (boots, shutdowns, crashes, changes) from the whole log, then
    // the events near probe failures and boots (analysis/scope.rs): a big System.evtx costs two
    // filtered reads (three when a crashed service stays down for over a day), not a full one.
    let merge_gap = settings.merge_gap;
    let rest = |probes: &[crate::model::ProbeSeries], story: &[crate::model::Event]| {
        scope::report_event_scope(probes, story, lookback, merge_gap)
    };
    // With no failed check the windows come from the logs themselves and their story needs
    // every record (hosts, the record-order clock checks): the whole log is read.
    let scoped = |probes: &[crate::model::ProbeSeries]| {
        probes.iter().any(|p| {
            p.checks.iter().any(|c| !c.ok())
                || p.intervals
                    .iter()
                    .any(|iv| iv.state == crate::model::ProbeState::Down)
        })
    };
    let two_pass = evidence::TwoPassScope {
        wanted: &scoped,
        story: scope::story_scope(),
        rest: &rest,
        more: &scope::unsettled_service_scope,
    };
    // One report of the inputs as given, or of one host folder.
    let report_of = |paths: &[PathBuf]| -> anyhow::Result<Unit> {
        let load = LoadOptions {
            paths: paths.to_vec(),
            ..load.clone()
        };
        let evidence = evidence::load_scoped(&load, diag.progress(), Some(&two_pass))?;
        let mut outages = outage_options(&settings);
        outages.host = most_common_host(&evidence.events);
        let opts = ReportOptions {
            outages,
            lookback,
            server_zone: server_zone(input_tz, zone),
            from,
            to,
        };
        let model = report::build(
            evidence.events,
            &evidence.probes,
            &evidence.metrics,
            evidence.inputs,
            evidence.notes,
            &opts,
        );
        Ok(Unit {
            model,
            probes: evidence.probes,
            metrics: evidence.metrics,
        })
    };
    // A folder of host folders is read a host at a time: memory holds one host's events.
    let fleet = match crate::source::host_folders(&load.paths).filter(|_| load.forced.is_empty()) {
        Some(folders) => fleet_report(&folders, &report_of, diag)?,
        None => None,
    };
    let Unit {
        model,
        probes,
        metrics,
    } = match fleet {
        Some(unit) => unit,
        None => report_of(&load.paths)?,
    };
    let outcome = diag.summarize(&model.inputs);
    if super::nothing_usable(&model.inputs) {
        return Ok(outcome);
    }
    // The HTML page carries the chart inline, with or without --chart.
    let inline_chart = match args.format {
        ReportFormat::Html => chart::outage_chart(&model, &probes, &metrics, zone)
            .transpose()
            .map_err(|m| Error::Other(format!("the chart: {m}")))?,
        _ => None,
    };
    let chart_link = match &args.chart {
        Some(path) => {
            let svg = match &inline_chart {
                Some(svg) => svg.clone(),
                None => match chart::outage_chart(&model, &probes, &metrics, zone) {
                    Some(svg) => {
                        svg.map_err(|m| Error::Other(format!("{}: {m}", path.display())))?
                    }
                    None => {
                        anyhow::bail!("--chart: no outage window in the data, nothing to draw")
                    }
                },
            };
            crate::report_io::write_atomic(path, svg.as_bytes(), &protected_inputs(&args))?;
            diag.info(&format!("chart written to {}", path.display()));
            Some(chart_link(path, args.output.as_deref()))
        }
        None => None,
    };
    let text = match args.format {
        ReportFormat::Markdown => match &chart_link {
            Some(link) => markdown::render_with_chart(&model, zone, link),
            None => markdown::render(&model, zone),
        },
        ReportFormat::Json => {
            let mut s = serde_json::to_string_pretty(&model)?;
            s.push('\n');
            s
        }
        ReportFormat::Html => html::render(&model, zone, inline_chart.as_deref()),
        ReportFormat::Grafana => {
            let opts = GrafanaOptions {
                events: args.annotate == Some(Annotate::Events),
                dashboard_uid: args.dashboard_uid.clone(),
                panel_id: args.panel_id,
            };
            if model.outages.is_empty() {
                diag.info("no outage window in the data: no annotations");
            }
            grafana::render(&model, &opts)?
        }
    };
    match &args.output {
        Some(path) => {
            crate::report_io::write_atomic(path, text.as_bytes(), &protected_inputs(&args))?;
            diag.info(&format!("report written to {}", path.display()));
        }
        None => out.write_all(text.as_bytes())?,
    }
    Ok(outcome)
}

/// Every input file and folder: output files must never replace one.
fn protected_inputs(args: &ReportArgs) -> Vec<PathBuf> {
    let mut inputs = args.input.paths.clone();
    inputs.extend(args.evtx.iter().cloned());
    inputs.extend(args.probes.iter().cloned());
    inputs.extend(args.metrics.iter().cloned());
    let discovered = crate::source::discover(&args.input.paths, &[]).unwrap_or_default();
    inputs.extend(discovered.into_iter().map(|i| i.path));
    inputs
}

/// The chart's path as the report links it: relative to the report's folder with `-o`, else as
/// given (relative to where the report is printed from).
fn chart_link(chart: &Path, report: Option<&Path>) -> String {
    let link = match report {
        Some(report) => {
            let base = absolute(report.parent().unwrap_or(Path::new("")));
            relative_to(&absolute(chart), &base)
        }
        None => chart.to_path_buf(),
    };
    link.to_string_lossy().replace('\\', "/")
}

/// A path made absolute against the current folder, with `.` and `..` resolved lexically.
fn absolute(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut out = PathBuf::new();
    for part in joined.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// `target` relative to the folder `base` (both absolute): `../charts/outage.svg`.
fn relative_to(target: &Path, base: &Path) -> PathBuf {
    let t: Vec<Component> = target.components().collect();
    let b: Vec<Component> = base.components().collect();
    let common = t.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for part in &t[common..] {
        out.push(part);
    }
    out
}

/// The server's own zone for times it writes as local text (6008): `--input-tz` when given,
/// else the display zone.
pub(super) fn server_zone(input_tz: Zone, display: Zone) -> Zone {
    if input_tz.is_utc() {
        display
    } else {
        input_tz
    }
}

/// A report and what its chart draws from.
struct Unit {
    model: report::Report,
    probes: Vec<crate::model::ProbeSeries>,
    metrics: Vec<crate::model::MetricSeries>,
}

/// The fleet's report from one report per host folder (analysis/fleet.rs), or `None` when the
/// folders are not one host each (a folder with no host or several, or a host in two folders: its
/// story is only whole read together), which the caller then reads whole.
fn fleet_report(
    folders: &[PathBuf],
    report_of: &dyn Fn(&[PathBuf]) -> anyhow::Result<Unit>,
    diag: &Diagnostics,
) -> anyhow::Result<Option<Unit>> {
    let mut owner: std::collections::HashMap<String, &PathBuf> = Default::default();
    let (mut reports, mut probes, mut metrics) = (Vec::new(), Vec::new(), Vec::new());
    for folder in folders {
        let unit = report_of(std::slice::from_ref(folder))?;
        let hosts = &unit.model.hosts;
        let names = hosts
            .iter()
            .flat_map(|h| std::iter::once(&h.name).chain(&h.former_names));
        for name in names {
            if let Some(other) = owner.insert(name.to_ascii_lowercase(), folder) {
                diag.info(&format!(
                    "{}: host {name} is in {} too: the folders are read together",
                    folder.display(),
                    other.display()
                ));
                return Ok(None);
            }
        }
        if hosts.len() != 1 {
            let what = match hosts.len() {
                0 => "no host of its own".to_string(),
                n => format!("{n} hosts"),
            };
            diag.info(&format!(
                "{}: {what}, not one: the folders are read together",
                folder.display()
            ));
            return Ok(None);
        }
        reports.push(unit.model);
        probes.extend(unit.probes);
        metrics.extend(unit.metrics);
    }
    let Some(mut model) = crate::analysis::fleet::merge(reports) else {
        return Ok(None);
    };
    model.data_quality.notes.push(format!(
        "Read as a fleet: {} host folders, one at a time; windows of several hosts at once and related windows were found across all of them.",
        folders.len()
    ));
    Ok(Some(Unit {
        model,
        probes,
        metrics,
    }))
}

fn most_common_host(events: &[crate::model::Event]) -> Option<String> {
    let mut counts: std::collections::HashMap<&str, usize> = Default::default();
    for e in events {
        *counts.entry(e.computer.as_str()).or_default() += 1;
    }
    counts
        .into_iter()
        .filter(|(h, _)| !h.is_empty())
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .map(|(h, _)| h.split('.').next().unwrap_or(h).to_string())
}
