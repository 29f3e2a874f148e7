//! `faultline explain` (being built).
use super::Diagnostics;
use crate::cli::ExplainArgs;
use crate::Outcome;
use std::io::Write;

pub fn run(_args: ExplainArgs, _diag: &Diagnostics, _out: &mut dyn Write) -> anyhow::Result<Outcome> {
    anyhow::bail!("'faultline explain' is not built yet")
}
