//! `faultline probes` (being built).
use super::Diagnostics;
use crate::cli::ProbesArgs;
use crate::Outcome;
use std::io::Write;

pub fn run(
    _args: ProbesArgs,
    _diag: &Diagnostics,
    _out: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    anyhow::bail!("'faultline probes' is not built yet")
}
