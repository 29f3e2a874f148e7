//! `faultline metrics` (being built).
use super::Diagnostics;
use crate::cli::MetricsArgs;
use crate::Outcome;
use std::io::Write;

pub fn run(_args: MetricsArgs, _diag: &Diagnostics, _out: &mut dyn Write) -> anyhow::Result<Outcome> {
    anyhow::bail!("'faultline metrics' is not built yet")
}
