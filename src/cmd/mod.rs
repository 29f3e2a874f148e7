//! One file per subcommand; the only layer that sees clap types and turns them into settings.
pub mod completions;
pub mod events;
pub mod explain;
pub mod metrics;
pub mod probes;
pub mod report;
pub mod synth;
pub mod timeline;

use crate::cli::{Cli, Command, EventFilterArgs, InputArgs, ProbeArgs};
use crate::config::{Flags, Settings};
use crate::filter::EventFilter;
use crate::model::InputReport;
use crate::timefmt::Zone;
use crate::{Error, Outcome};
use std::io::Write;

pub fn dispatch(cli: Cli, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let diag = Diagnostics { quiet: cli.quiet };
    let config = cli.config.as_deref();
    match cli.command {
        Command::Events(args) => events::run(args, &diag, config, out),
        Command::Probes(args) => probes::run(args, &diag, config, out),
        Command::Metrics(args) => metrics::run(args, &diag, config, out),
        Command::Report(args) => report::run(args, &diag, config, out),
        Command::Timeline(args) => timeline::run(args, &diag, config, out),
        Command::Synth(args) => synth::run(args, &diag, out),
        Command::Explain(args) => explain::run(args, &diag, out),
        Command::Completions(args) => completions::completions(args, out),
        Command::Man => completions::man(out),
    }
}

/// Where progress and per-file summaries go: stderr, unless `--quiet`. Problems always print.
#[derive(Debug, Clone, Copy)]
pub struct Diagnostics {
    pub quiet: bool,
}

impl Diagnostics {
    pub fn info(&self, line: &str) {
        if !self.quiet {
            eprintln!("{line}");
        }
    }

    /// Whether progress bars may be drawn (they also need stderr to be a terminal).
    pub fn progress(&self) -> bool {
        !self.quiet
    }

    pub fn problem(&self, line: &str) {
        eprintln!("faultline: {line}");
    }

    /// Prints each input's problems and a `read/skipped` summary line; returns the outcome.
    pub fn summarize(&self, reports: &[InputReport]) -> Outcome {
        let mut outcome = Outcome::Clean;
        for r in reports {
            for p in &r.problems {
                self.problem(&format!("{}: {p}", r.path));
            }
            // Problem lines are the first few, and some are notes or cover many records: the
            // summary line below has the complete count, so no arithmetic on lines here.
            if r.records_skipped > r.problems.len() as u64 && !r.failed {
                self.problem(&format!(
                    "{}: {} records skipped in all; the lines above name the first problems",
                    r.path, r.records_skipped
                ));
            }
            if r.failed {
                outcome = Outcome::Unusable;
            } else {
                self.info(&format!(
                    "{}: {} read, {} skipped ({})",
                    r.path, r.records_read, r.records_skipped, r.kind
                ));
                if r.records_skipped > 0 && outcome == Outcome::Clean {
                    outcome = Outcome::Skipped;
                }
            }
        }
        outcome
    }
}

/// Every input was unusable: the command writes nothing on stdout (the errors are on stderr and
/// the exit code is 2), rather than empty tables that look like an answer.
pub fn nothing_usable(reports: &[InputReport]) -> bool {
    !reports.is_empty() && reports.iter().all(|r| r.failed)
}

/// The flags a user can also set in `faultline.toml`, as given on the command line.
pub fn flags(input: &InputArgs, tz: &Option<String>, probe: Option<&ProbeArgs>) -> Flags {
    let mut flags = Flags {
        input_tz: input.input_tz.clone(),
        date_order: input.date_order.clone(),
        log_name: input.log_name.clone(),
        host: input.host.clone(),
        tz: tz.clone(),
        ..Default::default()
    };
    if let Some(p) = probe {
        flags.local = p.local.clone();
        flags.timeout = p.timeout.clone();
        flags.merge_gap = p.merge_gap.clone();
        flags.min_failures = p.min_failures;
        flags.columns = p.columns.clone();
        flags.warning_is_down = p.warning_is_down;
        flags.vantage_label = p.vantage_label.clone();
        flags.targets = p.targets.clone();
    }
    flags
}

/// The command's settings: its flags over the config file (`--config`, or `faultline.toml` in
/// the first input folder) over the defaults; says on stderr which file was read.
pub fn settings(
    config: Option<&std::path::Path>,
    paths: &[std::path::PathBuf],
    flags: &Flags,
    diag: &Diagnostics,
) -> Result<Settings, Error> {
    let settings = crate::config::load(config, paths, flags)?;
    if let Some(file) = &settings.file {
        diag.info(&format!("settings from {}", file.display()));
    }
    Ok(settings)
}

/// Builds an event filter from its flags; times without zone are read in `zone`.
pub fn event_filter(args: &EventFilterArgs, zone: Zone) -> Result<EventFilter, Error> {
    let mut filter = EventFilter::default();
    if let Some(ids) = &args.id {
        filter.ids = EventFilter::parse_ids(ids).map_err(|m| Error::arg("--id", m))?;
    }
    filter.provider = args.provider.clone();
    filter.channel = args.channel.clone();
    if let Some(level) = &args.level {
        filter.max_severity = Some(crate::model::Level::parse(level).ok_or_else(|| {
            Error::arg(
                "--level",
                format!("{level:?} (use critical, error, warning, information or verbose)"),
            )
        })?);
    }
    if let Some(from) = &args.from {
        filter.from =
            Some(crate::timefmt::parse_user_time(from, zone).map_err(|m| Error::arg("--from", m))?);
    }
    if let Some(to) = &args.to {
        filter.to =
            Some(crate::timefmt::parse_user_time(to, zone).map_err(|m| Error::arg("--to", m))?);
    }
    if let Some(grep) = &args.grep {
        filter.grep =
            Some(regex::Regex::new(grep).map_err(|e| Error::arg("--grep", e.to_string()))?);
    }
    Ok(filter)
}

/// Failed-input report for a file that could not be used at all.
pub fn failed_input(
    path: &std::path::Path,
    kind: crate::model::InputKind,
    err: &Error,
) -> InputReport {
    InputReport::unusable(path, kind, err.message_for(path))
}
