//! `faultline timeline` (being built).
use super::Diagnostics;
use crate::cli::TimelineArgs;
use crate::Outcome;
use std::io::Write;

pub fn run(
    _args: TimelineArgs,
    _diag: &Diagnostics,
    _out: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    anyhow::bail!("'faultline timeline' is not built yet")
}
