//! The closing sections: blips, what changed before, data quality, and the prompts for a human.
use super::text::*;
use crate::analysis::report::Report;
use std::fmt::Write as _;

pub(crate) fn blips(s: &mut String, report: &Report, clock: &Clock) {
    if report.blips.is_empty() {
        return;
    }
    let _ = writeln!(s, "## Blips (too short to count as outages)\n");
    for b in &report.blips {
        let _ = writeln!(
            s,
            "- {}: {} at {}",
            md(&b.probe),
            plural(b.failures, "failed check", "failed checks"),
            clock.full(&b.start)
        );
    }
    let _ = writeln!(s);
}

pub(crate) fn changes(s: &mut String, report: &Report, clock: &Clock) {
    let _ = writeln!(s, "## What changed before\n");
    if report.changes.is_empty() {
        let _ = writeln!(s, "No installs, removals, new services, updates or restarts in the event logs in the 30 days before the first window.\n");
        return;
    }
    let _ = writeln!(s, "In the 30 days before the first window, newest first:\n");
    let _ = writeln!(s, "| when | change | what | event |\n|---|---|---|---|");
    for c in &report.changes {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} {} |",
            clock.full(&c.time),
            c.kind,
            md(&c.description),
            md(&c.provider),
            c.event_id
        );
    }
    let _ = writeln!(s);
}

pub(crate) fn data_quality(s: &mut String, report: &Report, clock: &Clock) {
    let dq = &report.data_quality;
    let _ = writeln!(s, "## Data quality\n");
    let _ = writeln!(
        s,
        "| input | kind | read | skipped | covers |\n|---|---|---|---|---|"
    );
    for i in &report.inputs {
        let covers = match (i.first, i.last) {
            (Some(a), Some(b)) => format!("{} to {}", clock.local(&a), clock.local(&b)),
            _ if i.failed => format!("unusable: {}", i.problems.join("; ")),
            _ => "-".into(),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            md(&i.path),
            i.kind,
            i.records_read,
            i.records_skipped,
            md(&covers)
        );
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "{} records read, {} skipped.",
        dq.records_read, dq.records_skipped
    );
    for i in report
        .inputs
        .iter()
        .filter(|i| i.records_skipped > 0 && !i.failed)
    {
        let _ = writeln!(
            s,
            "- {}: {}",
            md(&i.path),
            md(&i
                .problems
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join("; "))
        );
    }
    for g in &dq.gaps {
        let _ = writeln!(
            s,
            "- Gap in the {} data ({}) from {} to {}: unknown, counted neither as good nor as bad.",
            g.source,
            md(&g.name),
            clock.full(&g.from),
            clock.full(&g.to)
        );
    }
    for c in &dq.clock {
        let _ = writeln!(s, "- Clock: {}", md(c));
    }
    for n in &dq.notes {
        let _ = writeln!(s, "- {}", md(n));
    }
    let _ = writeln!(s);
}

pub(crate) fn human_sections(
    s: &mut String,
    report: &Report,
    primary: Option<usize>,
    clock: &Clock,
) {
    let hint = primary.map(|i| &report.outages[i]);
    let _ = writeln!(s, "## To fill in\n");
    let sig = hint
        .and_then(|o| {
            signature_events(o).first().map(|g| {
                format!(
                    "Event {} first logged {}",
                    g.event_id,
                    lead_words(g.lead_seconds)
                )
            })
        })
        .unwrap_or_else(|| "the events above".into());
    let top = hint
        .map(|o| {
            correlated(o)
                .iter()
                .take(2)
                .map(|m| md(&short_name(m)))
                .collect::<Vec<_>>()
                .join(" and ")
        })
        .unwrap_or_default();
    let _ = writeln!(s, "### Root cause\n**To fill in.** What made the server stop answering? Candidates from the evidence (coincidences, not proof): {sig}{}.\n", if top.is_empty() { String::new() } else { format!("; {top} stood out") });
    let _ = writeln!(s, "### Trigger\n**To fill in.** What set it off at that moment (a load peak, a job, a deploy)?\n");
    let resolution = hint
        .and_then(|o| {
            o.events
                .iter()
                .find(|g| g.event_id == 1074 && g.provider.contains("User32"))
        })
        .map(|g| {
            format!(
                " The logs show a restart requested at {}.",
                clock.full(&g.first)
            )
        })
        .unwrap_or_default();
    let _ = writeln!(s, "### Resolution\n**To fill in.** What brought it back, and was it a fix or a restart?{resolution}\n");
    let _ = writeln!(s, "### Detection\n**To fill in.** Who or what noticed first, and when? Compare with when the window began, above (its first failed check or the monitor's down edge).\n");
    let _ = writeln!(s, "### Action items\n**To fill in.**\n\n| action | owner | due |\n|---|---|---|\n| | | |\n\n### Lessons learned\n**To fill in.** What went well, what went wrong, where we got lucky.\n");
    let _ = writeln!(s, "---\n*Generated by faultline {} at the command line; check every number against the evidence before you send this.*", env!("CARGO_PKG_VERSION"));
}
