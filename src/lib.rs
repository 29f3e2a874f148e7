//! faultline: outage forensics for Windows servers.
//!
//! Data flows one way: `source` (EVTX, probe CSV, perfmon/metric CSV) -> `model` (one UTC timeline)
//! -> `analysis` (outage windows, correlation) -> `render` (markdown, JSON, tables, CSV).
//! `cmd` holds one file per subcommand and is the only layer that sees the command line.

pub mod analysis;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod error;
pub mod filter;
pub mod knowledge;
pub mod memory;
pub mod model;
pub mod progress;
pub mod render;
pub mod report_io;
pub mod source;
pub mod synth;
pub mod timefmt;

pub use error::{Error, Result};

/// What a command ended with, for the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything read.
    Clean,
    /// Done, but some input was skipped (exit 1 only with `--strict`).
    Skipped,
    /// At least one input could not be used at all (exit 2).
    Unusable,
}

/// Runs one parsed command line, writing results to `out` and diagnostics to stderr.
pub fn run(cli: cli::Cli, out: &mut dyn std::io::Write) -> anyhow::Result<Outcome> {
    cmd::dispatch(cli, out)
}
