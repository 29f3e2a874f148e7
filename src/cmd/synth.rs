//! `faultline synth` (being built).
use super::Diagnostics;
use crate::cli::SynthArgs;
use crate::Outcome;
use std::io::Write;

pub fn run(_args: SynthArgs, _diag: &Diagnostics, _out: &mut dyn Write) -> anyhow::Result<Outcome> {
    anyhow::bail!("'faultline synth' is not built yet")
}
