//! One window's section: its facts, the probes, the timeline, the events and the metrics.
use super::text::*;
use crate::analysis::report::{OutageReport, Report};
use crate::analysis::timeline::fmt_metric;
use crate::timefmt::human_duration;
use chrono::{DateTime, Utc};
use std::fmt::Write as _;

/// One window's section; `h` is its heading level (`##` for the main outage, `###` for others).
pub(crate) fn outage_section(
    s: &mut String,
    i: usize,
    o: &OutageReport,
    report: &Report,
    clock: &Clock,
    h: &str,
    chart: Option<&str>,
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
    if let Some(shared) = &o.shared_host {
        let _ = writeln!(
            s,
            "- **Other targets of {}:** {}",
            md(&shared.host),
            shared_words(shared)
        );
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
        let words = edge_words(o);
        let _ = writeln!(s, "- **{}:** {}", words.start, clock.full(&w.start));
        let _ = writeln!(s, "- **{}:** {}", words.last, clock.full(&w.last_failure));
        let _ = writeln!(
            s,
            "- **{}:** {}",
            words.recovered,
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
            edge_words(o).duration
        },
        w.duration_seconds
            .map(human_duration)
            .unwrap_or_else(|| "unknown (no recovery)".into())
    );
    if let Some(spans) = answered_words(o, clock) {
        // Printed after the blank line the duration ends with: pulled up into the list.
        s.truncate(s.len() - 1);
        let _ = writeln!(s, "- **Answering again inside it:** {spans}\n");
    }

    if let Some(target) = chart {
        let _ = writeln!(s, "![Outage chart]({target})\n");
    }
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

/// The labels of a window's edges: failed and good checks, or, for a window of state-change
/// exports only, the monitors' down and up edges (the timeline's markers say the same).
pub(crate) struct EdgeWords {
    pub start: &'static str,
    pub last: &'static str,
    pub recovered: &'static str,
    pub duration: &'static str,
    /// The duration's label in the HTML facts: `Duration (...)`.
    pub duration_fact: &'static str,
}

pub(crate) fn edge_words(o: &OutageReport) -> EdgeWords {
    if crate::analysis::outages::from_states(&o.window) {
        EdgeWords {
            start: "Went down (the monitor's down edge)",
            last: "Last second down",
            recovered: "Came back (up edge of the last target to recover)",
            duration: "down edge to up edge; time to recover",
            duration_fact: "Duration (down edge to up edge; time to recover)",
        }
    } else {
        EdgeWords {
            start: "First failed check",
            last: "Last failed check",
            recovered: "Recovered (first good check of the last probe to recover)",
            duration: "first failure to recovery; time to recover",
            duration_fact: "Duration (first failure to recovery; time to recover)",
        }
    }
}

/// The impact table's header: checks, or (a window of state-change exports only) what each
/// series' states say: when it went down and came back, and how many down intervals.
pub(crate) fn impact_header(o: &OutageReport) -> [&'static str; 7] {
    if crate::analysis::outages::from_states(&o.window) {
        [
            "probe",
            "where",
            "went down",
            "last second down",
            "came back",
            "down intervals",
            "unknown (no data)",
        ]
    } else {
        [
            "probe",
            "where",
            "checks",
            "failed",
            "first failure",
            "last failure",
            "unknown (no data)",
        ]
    }
}

/// One probe's cells under [`impact_header`]; `at` formats a time (or its absence). A state
/// series in a window that also has checks says its intervals in the checks' columns.
pub(crate) fn impact_cells(
    o: &OutageReport,
    p: &crate::analysis::outages::ProbeImpact,
    at: &dyn Fn(Option<DateTime<Utc>>) -> String,
) -> [String; 7] {
    let place = if p.local { "on the server" } else { "remote" }.to_string();
    let unknown = if p.unknown_seconds > 0 {
        human_duration(p.unknown_seconds)
    } else {
        "-".into()
    };
    if crate::analysis::outages::from_states(&o.window) {
        let came_back = match (p.failures, p.recovered_at) {
            (0, _) => "-".into(),
            (_, Some(r)) => at(Some(r)),
            (_, None) => "not in the data".into(),
        };
        let intervals = match (p.failures, p.checks) {
            (0, 0) => "0 (no state known)".into(),
            (0, _) => "0 (up throughout)".into(),
            (n, _) => n.to_string(),
        };
        return [
            p.probe.clone(),
            place,
            at(p.first_failure),
            at(p.last_failure),
            came_back,
            intervals,
            unknown,
        ];
    }
    let (checks, failed) = if p.states {
        (
            format!("{} states", p.checks),
            format!("{} down", p.failures),
        )
    } else {
        (p.checks.to_string(), p.failures.to_string())
    };
    [
        p.probe.clone(),
        place,
        checks,
        failed,
        at(p.first_failure),
        at(p.last_failure),
        unknown,
    ]
}

/// The table of each probe inside a window.
pub(crate) fn probe_impact(s: &mut String, o: &OutageReport, clock: &Clock, sub: &str) {
    let _ = writeln!(s, "{sub} Impact per probe\n");
    let header = impact_header(o);
    let _ = writeln!(
        s,
        "| {} |\n|{}",
        header.join(" | "),
        "---|".repeat(header.len())
    );
    let at = |t: Option<DateTime<Utc>>| t.map(|t| clock.local(&t)).unwrap_or_else(|| "-".into());
    for p in &o.window.probes {
        let mut cells = impact_cells(o, p, &at);
        cells[0] = md(&cells[0]);
        let _ = writeln!(s, "| {} |", cells.join(" | "));
    }
    let _ = writeln!(s);
}

pub(crate) fn timeline(s: &mut String, o: &OutageReport, clock: &Clock, sub: &str) {
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
pub(crate) fn mermaid(s: &mut String, o: &OutageReport, clock: &Clock) {
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

pub(crate) fn event_findings(s: &mut String, o: &OutageReport, clock: &Clock, sub: &str) {
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
            "| {} | {} | {} | {} | {} | {} | {} |",
            event_label(g, &md),
            g.class.as_str(),
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

pub(crate) fn metric_findings(
    s: &mut String,
    o: &OutageReport,
    report: &Report,
    clock: &Clock,
    sub: &str,
) {
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

/// "down together with A and B: the host" / "A and B kept answering: this target alone".
pub(crate) fn shared_words(shared: &crate::analysis::shared_host::SharedHost) -> String {
    let list = |v: &[String]| md(&v.join(", "));
    match (shared.down_together.is_empty(), shared.answering.is_empty()) {
        (false, true) => format!(
            "all down together with it ({}): the host, not one service",
            list(&shared.down_together)
        ),
        (true, false) => format!(
            "{} kept answering: this target alone",
            list(&shared.answering)
        ),
        _ => format!(
            "down together with it: {}; answering: {}",
            list(&shared.down_together),
            list(&shared.answering)
        ),
    }
}
