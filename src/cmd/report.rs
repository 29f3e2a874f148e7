//! `faultline report` (being built).
use super::Diagnostics;
use crate::cli::ReportArgs;
use crate::Outcome;
use std::io::Write;

pub fn run(
    _args: ReportArgs,
    _diag: &Diagnostics,
    _out: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    anyhow::bail!("'faultline report' is not built yet")
}
