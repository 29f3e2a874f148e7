//! `faultline explain ID`: the knowledge-base entry for an event id (or provider:id).
use super::Diagnostics;
use crate::cli::ExplainArgs;
use crate::knowledge::events::{self, EventInfo};
use crate::{Error, Outcome};
use std::io::Write;

pub fn run(args: ExplainArgs, _diag: &Diagnostics, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let (provider, id_text) = match args.id.rsplit_once(':') {
        Some((p, id)) => (Some(p.trim()), id.trim()),
        None => (None, args.id.trim()),
    };
    let id: u32 = id_text.parse().map_err(|_| {
        Error::arg(
            "ID",
            format!("{id_text:?} is not an event id (e.g. 333 or EventLog:6008)"),
        )
    })?;
    let entries: Vec<&EventInfo> = match provider {
        Some(p) => events::lookup(p, id).into_iter().collect(),
        None => events::by_id(id),
    };
    if entries.is_empty() {
        writeln!(
            out,
            "Event {id}{}: not in faultline's knowledge base (data/events.toml).",
            provider.map(|p| format!(" from {p}")).unwrap_or_default()
        )?;
        return Ok(Outcome::Clean);
    }
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        let id_label = e.id.map(|i| i.to_string()).unwrap_or_else(|| "any".into());
        writeln!(out, "Event {id_label} ({}): {}", e.provider, e.title)?;
        writeln!(out, "  class:      {}", e.class.as_str())?;
        writeln!(out, "  meaning:    {}", e.meaning)?;
        writeln!(out, "  check next: {}", e.check_next)?;
        if let Some(trap) = &e.trap {
            writeln!(out, "  trap:       {trap}")?;
        }
        if !e.sources.is_empty() {
            writeln!(out, "  sources:    {}", e.sources.join("; "))?;
        }
    }
    Ok(Outcome::Clean)
}
