//! The draft outage report as markdown: facts first, then prompts for what only a human can say.
//! Every string that came from an input is escaped (`md`) so it cannot break a table or inject HTML.
use crate::analysis::metric_correlation::MetricFinding;
use crate::analysis::report::{window_end, OutageReport, Report};
use crate::analysis::timeline::fmt_metric;
use crate::knowledge::events::EventRole;
use crate::timefmt::{human_duration, Zone};
use chrono::{DateTime, Utc};
use std::fmt::Write as _;

/// Escapes text from inputs for markdown tables and prose: no table breaks, no HTML, no code spans.
pub fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '\\' => out.push_str("\\\\"),
            '`' => out.push_str("\\`"),
            '*' => out.push_str("\\*"),
            '_' => out.push_str("\\_"),
            '[' => out.push_str("\\["),
            ']' => out.push_str("\\]"),
            '#' => out.push_str("\\#"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' | '\n' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// "16:58 PDT (23:58 UTC)" style, with the date when asked.
pub(crate) struct Clock {
    pub(crate) zone: Zone,
}

impl Clock {
    pub(crate) fn full(&self, t: &DateTime<Utc>) -> String {
        if self.zone.is_utc() {
            self.zone.format_short(t)
        } else {
            format!(
                "{} ({} UTC)",
                self.zone.format_short(t),
                t.format("%Y-%m-%d %H:%M")
            )
        }
    }
    pub(crate) fn local(&self, t: &DateTime<Utc>) -> String {
        self.zone.format(t)
    }
    /// "on 2011-08-15 from 16:58 to 18:28 PDT (23:58 to 01:28 UTC)", dates repeated only when needed.
    pub(crate) fn range(&self, a: &DateTime<Utc>, b: &DateTime<Utc>) -> String {
        let (la, lb) = (a.with_timezone(&self.zone.0), b.with_timezone(&self.zone.0));
        let same_day = la.date_naive() == lb.date_naive();
        let local = if same_day {
            format!(
                "on {} from {} to {}",
                la.format("%Y-%m-%d"),
                la.format("%H:%M"),
                lb.format("%H:%M %Z")
            )
        } else {
            format!(
                "from {} to {}",
                la.format("%Y-%m-%d %H:%M"),
                lb.format("%Y-%m-%d %H:%M %Z")
            )
        };
        if self.zone.is_utc() {
            local
        } else {
            format!(
                "{local} ({} to {} UTC)",
                a.format("%H:%M"),
                b.format("%H:%M")
            )
        }
    }
    pub(crate) fn local_short(&self, t: &DateTime<Utc>) -> String {
        t.with_timezone(&self.zone.0).format("%H:%M").to_string()
    }
    pub(crate) fn utc(&self, t: &DateTime<Utc>) -> String {
        t.format("%Y-%m-%d %H:%M:%S").to_string()
    }
}

/// The window the report is mostly about: the longest service outage, else the longest window.
pub fn primary_index(report: &Report) -> Option<usize> {
    let dur = |o: &OutageReport| {
        o.window
            .duration_seconds
            .unwrap_or_else(|| (o.window.last_failure - o.window.start).num_seconds())
    };
    let service = report
        .outages
        .iter()
        .enumerate()
        .filter(|(_, o)| o.window.kind == crate::model::OutageKind::Service)
        .max_by_key(|(_, o)| dur(o))
        .map(|(i, _)| i);
    service.or_else(|| {
        report
            .outages
            .iter()
            .enumerate()
            .max_by_key(|(_, o)| dur(o))
            .map(|(i, _)| i)
    })
}

pub fn render(report: &Report, zone: Zone) -> String {
    let clock = Clock { zone };
    let mut s = String::new();
    let host = match report.hosts.len() {
        0 | 1 => report.host.clone().unwrap_or_else(|| "unknown host".into()),
        n => format!("{n} hosts"),
    };
    let primary = primary_index(report);
    let date = primary
        .map(|i| {
            report.outages[i]
                .window
                .start
                .with_timezone(&zone.0)
                .format("%Y-%m-%d")
                .to_string()
        })
        .unwrap_or_else(|| "no outage found".into());
    let _ = writeln!(s, "# Outage report (draft): {}, {date}\n", md(&host));
    let _ = writeln!(
        s,
        "> Draft written by faultline from {} input files. Times are {}{}. Sections marked **To fill in** need a human; everything else comes from the evidence and says *coincided with* or *preceded*, never *caused*.\n",
        report.inputs.len(),
        zone.name(),
        if zone.is_utc() { "" } else { ", with UTC alongside" }
    );
    summary(&mut s, report, primary, &clock);
    overview(&mut s, report, &clock);
    downtime(&mut s, report, &clock);
    services_down(&mut s, report, &clock);
    hosts(&mut s, report, &clock);
    // The main outage in full first; the other windows after it, one level down.
    if let Some(pi) = primary {
        outage_section(&mut s, pi, &report.outages[pi], report, &clock, "##");
    }
    if report.outages.len() > 1 {
        let _ = writeln!(s, "## Other windows in the data\n");
        for (i, o) in report.outages.iter().enumerate() {
            if Some(i) != primary {
                outage_section(&mut s, i, o, report, &clock, "###");
            }
        }
    }
    blips(&mut s, report, &clock);
    changes(&mut s, report, &clock);
    data_quality(&mut s, report, &clock);
    human_sections(&mut s, report, primary, &clock);
    s
}

pub(crate) fn probes_down(o: &OutageReport) -> Vec<String> {
    o.window
        .probes
        .iter()
        .filter(|p| p.failures > 0)
        .map(|p| p.probe.clone())
        .collect()
}

pub(crate) fn signature_events(
    o: &OutageReport,
) -> Vec<&crate::analysis::event_findings::EventGroup> {
    o.events
        .iter()
        .filter(|g| {
            matches!(
                g.class.as_str(),
                "resource-exhaustion" | "crash" | "storage"
            )
        })
        .collect()
}

pub(crate) fn correlated(o: &OutageReport) -> Vec<&MetricFinding> {
    o.metrics.iter().filter(|m| m.correlated).collect()
}

pub(crate) fn kind_words(kind: &str) -> &'static str {
    match kind {
        "service" => "a service outage (the probe on the server itself failed too, so the server itself did not answer)",
        "network" => "a network problem (remote probes failed while the local probe kept answering)",
        "partial" => "a partial outage (a single probe failed while the others answered)",
        "host-down" => "the host down (no probe covers it: its own logs record the shutdown or crash and the boot)",
        _ => "an unclassified outage (all remote probes failed; no local probe is known)",
    }
}

fn summary(s: &mut String, report: &Report, primary: Option<usize>, clock: &Clock) {
    let _ = writeln!(s, "## Summary\n");
    let Some(pi) = primary else {
        let _ = writeln!(
            s,
            "No outage window was found: no probe failed ({} probes read) and the logs record no downtime{}. If the service was down, check that the probe exports cover the time and that `--timeout` matches the monitors' timeout.\n",
            report.probes.len(),
            if report.downtime.is_empty() {
                String::new()
            } else {
                format!(
                    " inside the probes' time ({} downtime period{} outside it are listed below)",
                    report.downtime.len(),
                    if report.downtime.len() == 1 { "" } else { "s" }
                )
            }
        );
        return;
    };
    let p = summary_text(report, pi, clock, &md, &|t| format!("**{t}**"));
    let _ = writeln!(s, "{p}\n");
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
    let host = esc(o
        .host
        .as_deref()
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
            let _ = write!(
                p,
                "It went down at {} ({}) and came back at {} ({}). ",
                clock.local_short(&d.down_at),
                esc(&d.down_basis),
                clock.local_short(&d.up_at),
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
            let _ = write!(
                p,
                "The host's logs record {} during it: down at {}, booted at {}. ",
                esc(&d.summary),
                clock.local_short(&d.down_at),
                clock.local_short(&d.up_at)
            );
        }
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
                    if w.probes.is_empty() {
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

/// "nature: resource exhaustion (Srv 2020 x21)": the nature and the first record that decided it.
pub(crate) fn nature_words(o: &OutageReport, esc: &dyn Fn(&str) -> String) -> String {
    match o.nature_evidence.first() {
        Some(first) if o.nature != crate::analysis::nature::Nature::Unknown => {
            // The records are in the window's own section; the sentence keeps the words.
            let first = first.split(" (records ").next().unwrap_or(first);
            format!("by its evidence, {}: {}", o.nature.words(), esc(first))
        }
        _ => "its nature is unknown from the evidence".into(),
    }
}

/// "1 time", "3 times".
pub(crate) fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub(crate) fn short_name(m: &MetricFinding) -> String {
    match (&m.object, &m.counter) {
        (Some(o), Some(c)) => match &m.instance {
            Some(i) => format!("{o}({i})\\{c}"),
            None => format!("{o}\\{c}"),
        },
        _ => m.name.clone(),
    }
}

fn overview(s: &mut String, report: &Report, clock: &Clock) {
    if report.outages.is_empty() {
        return;
    }
    let _ = writeln!(s, "## Outage windows\n");
    let _ = writeln!(
        s,
        "| # | kind | nature | start | recovered | duration | probes down |\n|---|---|---|---|---|---|---|"
    );
    for (i, o) in report.outages.iter().enumerate() {
        let w = &o.window;
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} |",
            if Some(i) == primary_index(report) {
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
}

/// One window's section; `h` is its heading level (`##` for the main outage, `###` for others).
fn outage_section(
    s: &mut String,
    i: usize,
    o: &OutageReport,
    report: &Report,
    clock: &Clock,
    h: &str,
) {
    let w = &o.window;
    let sub = format!("{h}#");
    let _ = writeln!(
        s,
        "{h} Outage {}: {} outage from {}\n",
        i + 1,
        w.kind.as_str(),
        clock.full(&w.start)
    );
    let _ = writeln!(s, "- **Kind:** {}", kind_words(w.kind.as_str()));
    let _ = writeln!(s, "- **Nature:** {}", o.nature.as_str());
    for e in &o.nature_evidence {
        let _ = writeln!(s, "  - {}", md(e));
    }
    if let Some(host) = &o.host {
        let _ = writeln!(s, "- **Host:** {}", md(host));
    }
    if w.probes.is_empty() {
        for d in &o.downtime {
            let _ = writeln!(
                s,
                "- **Went down:** {} ({})\n- **Came back:** {} ({})",
                clock.full(&d.down_at),
                md(&d.down_basis),
                clock.full(&d.up_at),
                md(&d.up_basis)
            );
        }
    } else {
        let _ = writeln!(s, "- **First failed check:** {}", clock.full(&w.start));
        let _ = writeln!(
            s,
            "- **Last failed check:** {}",
            clock.full(&w.last_failure)
        );
    }
    if !w.probes.is_empty() {
        let _ = writeln!(
            s,
            "- **Recovered (first good check of the last probe to recover):** {}",
            w.recovered_at
                .map(|r| clock.full(&r))
                .unwrap_or_else(|| "not in the data".into())
        );
    }
    let _ = writeln!(
        s,
        "- **Duration ({}):** {}\n",
        if w.probes.is_empty() {
            "down to boot"
        } else {
            "first failure to recovery; time to recover"
        },
        w.duration_seconds
            .map(human_duration)
            .unwrap_or_else(|| "unknown (no recovery)".into())
    );

    if !w.probes.is_empty() {
        probe_impact(s, o, clock, &sub);
    }
    timeline(s, o, clock, &sub);
    event_findings(s, o, clock, &sub);
    metric_findings(s, o, report, clock, &sub);
    if !o.related.is_empty() {
        let _ = writeln!(s, "{sub} Related incidents\n");
        for r in &o.related {
            let _ = writeln!(
                s,
                "- {} outage on {} lasting {}; shares {}",
                md(&r.kind),
                clock.full(&r.start),
                r.duration_seconds
                    .map(human_duration)
                    .unwrap_or_else(|| "unknown".into()),
                md(&r.shared_events.join(", "))
            );
        }
        let _ = writeln!(s);
    }
}

/// The table of each probe inside a window.
fn probe_impact(s: &mut String, o: &OutageReport, clock: &Clock, sub: &str) {
    let w = &o.window;
    let _ = writeln!(s, "{sub} Impact per probe\n");
    let _ = writeln!(
        s,
        "| probe | where | checks | failed | first failure | last failure | unknown (no data) |\n|---|---|---|---|---|---|---|"
    );
    for p in &w.probes {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} |",
            md(&p.probe),
            if p.local { "on the server" } else { "remote" },
            p.checks,
            p.failures,
            p.first_failure
                .map(|t| clock.local(&t))
                .unwrap_or_else(|| "-".into()),
            p.last_failure
                .map(|t| clock.local(&t))
                .unwrap_or_else(|| "-".into()),
            if p.unknown_seconds > 0 {
                human_duration(p.unknown_seconds)
            } else {
                "-".into()
            }
        );
    }
    let _ = writeln!(s);
}

fn timeline(s: &mut String, o: &OutageReport, clock: &Clock, sub: &str) {
    let _ = writeln!(s, "{sub} Timeline\n");
    let _ = writeln!(
        s,
        "| {} | UTC | source | what |\n|---|---|---|---|",
        if clock.zone.is_utc() {
            "time"
        } else {
            clock.zone.name()
        }
    );
    for e in &o.timeline {
        let what = if e.detail.is_empty() {
            md(&e.what)
        } else {
            format!("{}: {}", md(&e.what), md(&truncate(&e.detail, 160)))
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            clock.local(&e.time),
            clock.utc(&e.time),
            e.source,
            what
        );
    }
    let _ = writeln!(s);
    mermaid(s, o, clock);
}

/// A Mermaid gantt chart of the window: probes down, event groups, markers. GitHub renders it.
fn mermaid(s: &mut String, o: &OutageReport, clock: &Clock) {
    let name = |text: &str| -> String {
        text.chars()
            .map(|c| {
                if c.is_alphanumeric() || " -.()/".contains(c) {
                    c
                } else {
                    ' '
                }
            })
            .collect::<String>()
            .trim()
            .to_string()
    };
    let at = |t: &DateTime<Utc>| {
        t.with_timezone(&clock.zone.0)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    let _ = writeln!(s, "```mermaid\ngantt\n    dateFormat YYYY-MM-DD HH:mm:ss\n    axisFormat %H:%M\n    title Outage timeline ({})", name(clock.zone.name()));
    if o.window.probes.iter().any(|p| p.failures > 0) {
        let _ = writeln!(s, "    section Probes");
    }
    for p in o.window.probes.iter().filter(|p| p.failures > 0) {
        if let (Some(a), Some(b)) = (p.first_failure, p.last_failure) {
            let b = if b <= a {
                a + chrono::Duration::minutes(1)
            } else {
                b
            };
            let _ = writeln!(
                s,
                "    {} down :crit, {}, {}",
                name(&p.probe),
                at(&a),
                at(&b)
            );
        }
    }
    if o.events.iter().any(|g| g.rank < 8) {
        let _ = writeln!(s, "    section Events");
    }
    for g in o.events.iter().filter(|g| g.rank < 8).take(12) {
        let label = format!(
            "{} {}",
            g.event_id,
            g.title.as_deref().unwrap_or(&g.provider)
        );
        if g.count > 1 && g.last > g.first {
            let _ = writeln!(s, "    {} :{}, {}", name(&label), at(&g.first), at(&g.last));
        } else {
            let _ = writeln!(s, "    {} :milestone, {}, 0m", name(&label), at(&g.first));
        }
    }
    let _ = writeln!(s, "```\n");
}

pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut t: String = text.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

pub(crate) fn lead_words(seconds: i64) -> String {
    if seconds < 0 {
        format!("{} before", human_duration(-seconds))
    } else if seconds == 0 {
        "at the start".into()
    } else {
        format!("{} after", human_duration(seconds))
    }
}

fn event_findings(s: &mut String, o: &OutageReport, clock: &Clock, sub: &str) {
    let _ = writeln!(s, "{sub} Event findings\n");
    if o.events.is_empty() {
        let _ = writeln!(s, "No events in the logs around this window (from the lookback before it to 30 minutes after recovery).\n");
        return;
    }
    let _ = writeln!(
        s,
        "| event | class | count | first | last | first seen vs. window start | meaning |\n|---|---|---|---|---|---|---|"
    );
    for g in &o.events {
        let _ = writeln!(
            s,
            "| {} {} ({}) | {} | {} | {} | {} | {} | {} |",
            md(&g.provider),
            g.event_id,
            md(&g.channel),
            g.class,
            g.count,
            clock.local(&g.first),
            clock.local(&g.last),
            lead_words(g.lead_seconds),
            md(g.meaning.as_deref().unwrap_or(&format!(
                "{} level, not in the knowledge base; first said: {}",
                g.level,
                truncate(&g.sample, 120)
            )))
        );
    }
    let _ = writeln!(s);
    let notes_start = s.len();
    for g in o.events.iter().filter(|g| g.trap.is_some() && g.rank < 3) {
        let _ = writeln!(
            s,
            "- **Reading Event {}:** {}",
            g.event_id,
            md(g.trap.as_deref().unwrap_or_default())
        );
    }
    for g in o
        .events
        .iter()
        .filter(|g| g.check_next.is_some() && g.rank < 2)
    {
        let _ = writeln!(
            s,
            "- **Check next for Event {}:** {}",
            g.event_id,
            md(g.check_next.as_deref().unwrap_or_default())
        );
    }
    for c in &o.stated_crashes {
        let _ = writeln!(
            s,
            "- Event 6008 logged at {} says the previous shutdown at {} was unexpected{}.",
            clock.full(&c.logged_at),
            md(&c.stated_text),
            c.stated_time
                .map(|t| format!(" (read as {})", clock.full(&t)))
                .unwrap_or_else(|| " (time not readable)".into())
        );
    }
    if o.noise_folded > 0 {
        let _ = writeln!(
            s,
            "- {} (e.g. DCOM 10016) folded away.",
            plural(o.noise_folded, "noise event", "noise events")
        );
    }
    // A blank line closes the list of notes; the table above has its own.
    if s.len() > notes_start {
        let _ = writeln!(s);
    }
}

fn metric_findings(s: &mut String, o: &OutageReport, report: &Report, clock: &Clock, sub: &str) {
    let _ = writeln!(s, "{sub} Correlated resource metrics\n");
    if o.metrics.is_empty() {
        let _ = writeln!(s, "No metric series were given.\n");
        return;
    }
    if o.metrics.iter().all(|m| m.window_samples == 0) {
        let _ = writeln!(
            s,
            "No metric data covers this window ({} series given, none with samples inside it: missing, not zero).\n",
            o.metrics.len()
        );
        return;
    }
    let top = correlated(o);
    if top.is_empty() {
        let _ = writeln!(
            s,
            "No metric was unusual in this window against its baseline.\n"
        );
    } else {
        let _ = writeln!(
            s,
            "Baseline: median of the 24 h before the {} lookback. Trend: Sen's slope over the lookback before the start (5-minute medians), called rising or falling only when a Mann-Kendall test gives p < 0.05.\n",
            human_duration(report.lookback_seconds)
        );
        let _ = writeln!(
            s,
            "| metric | baseline median | window peak | change | robust z | trend before start | first threshold crossing |\n|---|---|---|---|---|---|---|"
        );
        for m in &top {
            let unit = |v: f64| fmt_metric(m.counter.as_deref(), v);
            let trend = match (m.trend.as_str(), m.trend_per_hour) {
                ("rising" | "falling", Some(slope)) => {
                    format!("{} ({}/h)", m.trend, unit(slope))
                }
                (word, _) => word.to_string(),
            };
            let crossing = m
                .first_threshold_crossing
                .as_ref()
                .map(|c| {
                    format!(
                        "{} {} at {} ({} the start)",
                        c.severity,
                        unit(c.threshold),
                        clock.local(&c.time),
                        lead_words(c.seconds_from_start)
                    )
                })
                .unwrap_or_else(|| "-".into());
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} |",
                md(&short_name(m)),
                m.baseline_median
                    .map(unit)
                    .unwrap_or_else(|| "no data".into()),
                m.peak.map(unit).unwrap_or_else(|| "no data".into()),
                m.change_pct
                    .map(|c| format!("{:+.0}%", c))
                    .unwrap_or_else(|| "-".into()),
                m.robust_z
                    .map(|z| match z {
                        z if z > 99.9 => ">99.9".to_string(),
                        z if z < -99.9 => "<-99.9".to_string(),
                        z => format!("{z:.1}"),
                    })
                    .unwrap_or_else(|| "-".into()),
                trend,
                md(&crossing)
            );
        }
        let _ = writeln!(s);
    }
    let missing: Vec<String> = o
        .metrics
        .iter()
        .filter(|m| m.window_samples == 0)
        .map(|m| md(&short_name(m)))
        .collect();
    if !missing.is_empty() {
        let _ = writeln!(
            s,
            "No data inside the window (not zero: missing) for: {}.\n",
            missing.join(", ")
        );
    }
}

/// The downtime table's header and rows, every input text through `esc` (markdown and HTML).
pub(crate) const DOWNTIME_HEADER: [&str; 7] = [
    "host",
    "nature",
    "went down",
    "came back",
    "down for",
    "what the log says",
    "records",
];

pub(crate) fn downtime_rows(
    report: &Report,
    clock: &Clock,
    esc: &dyn Fn(&str) -> String,
) -> Vec<Vec<String>> {
    report
        .downtime
        .iter()
        .map(|d| {
            let records: Vec<String> = d
                .evidence
                .iter()
                .map(|e| match e.record_id {
                    Some(r) => format!("{} #{r}", e.event_id),
                    None => e.event_id.to_string(),
                })
                .collect();
            vec![
                esc(&d.host),
                d.nature.as_str().to_string(),
                format!("{} ({})", clock.full(&d.down_at), esc(&d.down_basis)),
                format!("{} ({})", clock.full(&d.up_at), esc(&d.up_basis)),
                human_duration(d.duration_seconds),
                esc(&d.summary),
                records.join(", "),
            ]
        })
        .collect()
}

pub(crate) const DOWNTIME_INTRO: &str =
    "Every boot in the System log ends a downtime; the records before it say how it began.";

pub(crate) const HOSTS_HEADER: [&str; 5] = ["host", "also named", "events", "downtime", "windows"];

/// The hosts table (when there are several or one was renamed) and the lines under it.
pub(crate) fn host_rows(
    report: &Report,
    clock: &Clock,
    esc: &dyn Fn(&str) -> String,
) -> Option<(Vec<Vec<String>>, Vec<String>)> {
    let renamed = report.hosts.iter().any(|h| !h.former_names.is_empty());
    if report.hosts.len() < 2 && !renamed {
        return None;
    }
    let rows = report
        .hosts
        .iter()
        .map(|h| {
            vec![
                esc(&h.name),
                esc(&h.former_names.join(", ")),
                h.events.to_string(),
                human_duration(h.downtime_seconds),
                h.windows.to_string(),
            ]
        })
        .collect();
    let mut lines: Vec<String> = report
        .hosts
        .iter()
        .flat_map(|h| h.renames.iter().map(|r| format!("Renamed: {}.", esc(r))))
        .collect();
    for o in &report.overlaps {
        let numbers: Vec<String> = o.windows.iter().map(|n| format!("Outage {n}")).collect();
        lines.push(format!(
            "{} hosts were down together {} ({}: {}): a shared cause (their network, storage or hypervisor) is worth a look.",
            o.hosts.len(),
            clock.range(&o.from, &o.to),
            numbers.join(", "),
            esc(&o.hosts.join(", "))
        ));
    }
    Some((rows, lines))
}

fn md_table(s: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let _ = writeln!(s, "| {} |", header.join(" | "));
    let _ = writeln!(s, "|{}", "---|".repeat(header.len()));
    for r in rows {
        let _ = writeln!(s, "| {} |", r.join(" | "));
    }
    let _ = writeln!(s);
}

/// Every period a host was down, from its logs.
fn downtime(s: &mut String, report: &Report, clock: &Clock) {
    if report.downtime.is_empty() {
        return;
    }
    let _ = writeln!(s, "## Downtime from the logs\n\n{DOWNTIME_INTRO}\n");
    md_table(s, &DOWNTIME_HEADER, &downtime_rows(report, clock, &md));
}

/// How many service downtimes the report lists; the rest are counted (all are in the JSON).
pub(crate) const SERVICES_LISTED: usize = 20;

pub(crate) const SERVICES_HEADER: [&str; 5] =
    ["host", "service", "down", "running again", "down for"];

/// The service downtime rows (at most `SERVICES_LISTED`, longest first) and how many more.
pub(crate) fn service_rows(
    report: &Report,
    clock: &Clock,
    esc: &dyn Fn(&str) -> String,
) -> (Vec<Vec<String>>, usize) {
    let mut list: Vec<_> = report.service_downtime.iter().collect();
    list.sort_by_key(|d| {
        (
            std::cmp::Reverse(d.duration_seconds.unwrap_or(i64::MAX)),
            d.down_at,
        )
    });
    let rows = list
        .iter()
        .take(SERVICES_LISTED)
        .map(|d| {
            let record = |r: Option<u64>| r.map(|r| format!(" (#{r})")).unwrap_or_default();
            vec![
                esc(&d.host),
                esc(&d.service),
                format!(
                    "{} {} ({}{}){}",
                    clock.full(&d.down_at),
                    d.how,
                    d.down_event_id,
                    record(d.down_record),
                    if d.repeats > 0 {
                        format!(", then {} more times", d.repeats)
                    } else {
                        String::new()
                    }
                ),
                d.running_at
                    .map(|t| format!("{} (7036{})", clock.full(&t), record(d.running_record)))
                    .unwrap_or_else(|| "not in the log before the next boot".into()),
                d.duration_seconds
                    .map(human_duration)
                    .unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    (rows, list.len().saturating_sub(SERVICES_LISTED))
}

fn services_down(s: &mut String, report: &Report, clock: &Clock) {
    if report.service_downtime.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "## Services down\n\nServices that crashed or failed (7031, 7034, 7023, 7024) until their 7036 said running again.\n"
    );
    let (rows, more) = service_rows(report, clock, &md);
    md_table(s, &SERVICES_HEADER, &rows);
    if more > 0 {
        let _ = writeln!(s, "{more} more in the JSON's service\\_downtime.\n");
    }
}

/// Hosts, when there are several or one was renamed, and windows that overlapped across hosts.
fn hosts(s: &mut String, report: &Report, clock: &Clock) {
    let Some((rows, lines)) = host_rows(report, clock, &md) else {
        return;
    };
    let _ = writeln!(s, "## Hosts\n");
    md_table(s, &HOSTS_HEADER, &rows);
    for l in &lines {
        let _ = writeln!(s, "- {l}");
    }
    if !lines.is_empty() {
        let _ = writeln!(s);
    }
}

fn blips(s: &mut String, report: &Report, clock: &Clock) {
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

fn changes(s: &mut String, report: &Report, clock: &Clock) {
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

fn data_quality(s: &mut String, report: &Report, clock: &Clock) {
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

fn human_sections(s: &mut String, report: &Report, primary: Option<usize>, clock: &Clock) {
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
    let _ = writeln!(s, "### Detection\n**To fill in.** Who or what noticed first, and when? Compare with the first failed check above.\n");
    let _ = writeln!(s, "### Action items\n**To fill in.**\n\n| action | owner | due |\n|---|---|---|\n| | | |\n\n### Lessons learned\n**To fill in.** What went well, what went wrong, where we got lucky.\n");
    let _ = writeln!(s, "---\n*Generated by faultline {} at the command line; check every number against the evidence before you send this.*", env!("CARGO_PKG_VERSION"));
}

/// The end of a window, for callers that render windows elsewhere.
pub fn end_of(o: &OutageReport) -> DateTime<Utc> {
    window_end(&o.window)
}

/// The report with `![Outage chart](link)` under the main outage's key facts (the list after its
/// heading); without a main outage, the report as it is.
pub fn render_with_chart(report: &Report, zone: Zone, link: &str) -> String {
    let mut text = render(report, zone);
    let Some(pi) = primary_index(report) else {
        return text;
    };
    let heading = format!("# Outage {}: ", pi + 1);
    let Some(at) = text.find(&heading) else {
        return text;
    };
    // Heading, blank line, the key facts, blank line: the chart goes after the second break.
    let after_heading = text[at..].find("\n\n").map(|p| at + p + 2);
    let after_facts = after_heading.and_then(|h| text[h..].find("\n\n").map(|p| h + p + 2));
    if let Some(p) = after_facts {
        let target = if link.contains([' ', '(', ')', '<', '>']) {
            format!("<{}>", link.replace('<', "%3C").replace('>', "%3E"))
        } else {
            link.to_string()
        };
        text.insert_str(p, &format!("![Outage chart]({target})\n\n"));
    }
    text
}
