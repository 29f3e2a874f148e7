//! The summary paragraph and the table of windows.
use super::text::*;
use crate::analysis::report::Report;
use crate::knowledge::events::EventRole;
use crate::timefmt::human_duration;
use std::fmt::Write as _;

pub(crate) fn summary(s: &mut String, report: &Report, primary: Option<usize>, clock: &Clock) {
    let _ = writeln!(s, "## Summary\n");
    let Some(pi) = primary else {
        let _ = writeln!(s, "{}\n", no_window_text(report, &|f| format!("`{f}`")));
        return;
    };
    let p = summary_text(report, pi, clock, &md, &|t| format!("**{t}**"));
    let _ = writeln!(s, "{p}\n");
}

/// Why a report has no window, and where to look: said apart for logs alone (no probe data).
/// `code` marks a flag (markdown backticks, HTML `<code>`). Shared by the markdown and the HTML.
pub(crate) fn no_window_text(report: &Report, code: &dyn Fn(&str) -> String) -> String {
    let periods = report.downtime.len();
    let listed = if periods == 1 {
        "the downtime period of the logs (listed below) is".to_string()
    } else {
        format!("the {periods} downtime periods of the logs (listed below) are")
    };
    match (report.probes.len(), periods) {
        (0, 0) => "No outage window was found: no probe data was given, and the logs record no downtime (no boot follows an earlier record of its host). The System log records every shutdown, crash and boot (6006, 6008, 41, Kernel-General 12 and 13): give it, or your monitor's exports.".to_string(),
        (0, _) => format!(
            "No outage window was found: no probe data was given, and {listed} outside {} and {}, too long to be an outage (a machine kept off) or of a length not known (Data quality says which).",
            code("--from"),
            code("--to")
        ),
        (n, _) => format!(
            "No outage window was found: no probe failed ({n} probes read) and the logs record no downtime{}. If the service was down, check that the probe exports cover the time and that {} matches the monitors' timeout.",
            if periods == 0 {
                String::new()
            } else {
                format!(
                    " inside the probes' time ({periods} downtime period{} outside it are listed below)",
                    if periods == 1 { "" } else { "s" }
                )
            },
            code("--timeout")
        ),
    }
}

/// The summary paragraph of the main window `pi`: every text from the inputs goes through `esc`,
/// the opening words through `strong`. Shared by the markdown and the HTML report.
pub(crate) fn summary_text(
    report: &Report,
    pi: usize,
    clock: &Clock,
    esc: &dyn Fn(&str) -> String,
    strong: &dyn Fn(&str) -> String,
) -> String {
    let o = &report.outages[pi];
    let w = &o.window;
    let down = probes_down(o);
    // A window pinned on no host is told by the machine its probes checked.
    let machine = w
        .target
        .as_deref()
        .filter(|t| crate::analysis::hosts::names_machine(t));
    let host = esc(o
        .host
        .as_deref()
        .or(machine)
        .or(report.host.as_deref())
        .unwrap_or("The server"));
    let verb = if w.probes.is_empty() {
        "down"
    } else {
        "unreachable"
    };
    let nature = nature_words(o, esc);
    let mut p = match (w.recovered_at, w.duration_seconds) {
        (Some(r), Some(d)) => format!(
            "{}, {}: {}; {nature}. ",
            strong(&format!("{host} was {verb} for {}", human_duration(d))),
            clock.range(&w.start, &r),
            kind_words(w.kind.as_str())
        ),
        _ => format!(
            "{} and no recovery is in the data (last failed check {}): {}. ",
            strong(&format!(
                "{host} became unreachable {}",
                clock.full(&w.start)
            )),
            clock.full(&w.last_failure),
            kind_words(w.kind.as_str())
        ),
    };
    if w.probes.is_empty() {
        for d in &o.downtime {
            let (down, up) = clock.local_pair(&d.down_at, &d.up_at);
            let _ = write!(
                p,
                "It went down at {down} ({}) and came back at {up} ({}). ",
                esc(&d.down_basis),
                esc(&d.up_basis)
            );
        }
    } else {
        let _ = write!(
            p,
            "{} of {} probes failed ({}). ",
            down.len(),
            w.probes.len(),
            esc(&down.join(", "))
        );
        for d in &o.downtime {
            let (down, up) = clock.local_pair(&d.down_at, &d.up_at);
            let _ = write!(
                p,
                "The host's logs record {} during it: down at {down}, booted at {up}. ",
                esc(&d.summary)
            );
        }
    }
    if let Some(spans) = answered_words(o, clock) {
        let _ = write!(
            p,
            "Its probes answered again {spans} inside it: failures less than --merge-gap apart are one window. "
        );
    }
    let sig = signature_events(o);
    if !sig.is_empty() {
        let parts: Vec<String> = sig
            .iter()
            .take(4)
            .map(|g| {
                format!(
                    "Event {} ({}) {} from {}, {} {}",
                    g.event_id,
                    esc(g.title.as_deref().unwrap_or(&g.provider)),
                    plural(g.count, "time", "times"),
                    clock.local_short(&g.first),
                    lead_words(g.lead_seconds),
                    if w.probes.is_empty() || w.probes.iter().all(|p| p.states) {
                        "it went down"
                    } else {
                        "the first failed check"
                    }
                )
            })
            .collect();
        let _ = write!(p, "The logs show {}. ", parts.join("; "));
    }
    let top = correlated(o);
    let trending = |word: &str| -> Vec<String> {
        top.iter()
            .filter(|m| m.material_trend && m.trend == word)
            .map(|m| esc(&short_name(m)))
            .collect()
    };
    let (rising, falling) = (trending("rising"), trending("falling"));
    let others: Vec<String> = top
        .iter()
        .filter(|m| !m.material_trend)
        .take(3)
        .map(|m| esc(&short_name(m)))
        .collect();
    if !rising.is_empty() {
        let _ = write!(p, "Rising in the hours before it: {}. ", rising.join(", "));
    }
    if !falling.is_empty() {
        let _ = write!(p, "Falling before it: {}. ", falling.join(", "));
    }
    if !others.is_empty() {
        let _ = write!(p, "Unusual during it: {}. ", others.join(", "));
    }
    let restart = o
        .events
        .iter()
        .find(|g| g.roles.contains(&EventRole::ShutdownRequest));
    let boot = o
        .events
        .iter()
        .find(|g| g.roles.contains(&EventRole::LogStart));
    match (restart, boot) {
        _ if !o.downtime.is_empty() => {}
        (Some(r), Some(b)) => {
            let _ = write!(
                p,
                "A restart was requested at {} (Event 1074) and the server booted at {} (Event 6005). ",
                clock.local_short(&r.first),
                clock.local_short(&b.first)
            );
        }
        (Some(r), None) => {
            let _ = write!(
                p,
                "A restart was requested at {} (Event 1074). ",
                clock.local_short(&r.first)
            );
        }
        (None, Some(b)) => {
            let _ = write!(
                p,
                "The server booted at {} (Event 6005). ",
                clock.local_short(&b.first)
            );
        }
        (None, None) => {}
    }
    let others = report.outages.len() - 1;
    if others > 0 {
        let related = o.related.len();
        let _ = write!(
            p,
            "The data holds {} other window{}{}.",
            others,
            if others == 1 { "" } else { "s" },
            if related > 0 {
                format!(", {related} of them with the same warning signs (see Related incidents)")
            } else {
                String::new()
            }
        );
    }
    p.trim_end().to_string()
}

pub(crate) fn overview(s: &mut String, report: &Report, clock: &Clock) {
    if report.outages.is_empty() {
        return;
    }
    let _ = writeln!(s, "## Outage windows\n");
    let _ = writeln!(
        s,
        "| # | kind | nature | start | recovered | duration | probes down |\n|---|---|---|---|---|---|---|"
    );
    // Found once: it scans every window.
    let primary = primary_index(report);
    let shown = shown_windows(report, primary);
    for &i in &shown.rows {
        let o = &report.outages[i];
        let w = &o.window;
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} |",
            if Some(i) == primary {
                format!("{} (main)", i + 1)
            } else {
                (i + 1).to_string()
            },
            w.kind.as_str(),
            o.nature.as_str(),
            clock.full(&w.start),
            w.recovered_at
                .map(|r| clock.full(&r))
                .unwrap_or_else(|| "not in data".into()),
            w.duration_seconds
                .map(human_duration)
                .unwrap_or_else(|| "open".into()),
            md(&probes_down(o).join(", "))
        );
    }
    let _ = writeln!(s);
    if let Some(left) = windows_left_out(report, &shown.rows, "shorter", clock) {
        let _ = writeln!(
            s,
            "*Not in this table: {left}. Every window is in `--format json`.*\n"
        );
    }
}
