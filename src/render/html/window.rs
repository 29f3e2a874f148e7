//! One outage window's section of the HTML report: key facts, the chart, impact per probe, the
//! timeline, event findings, correlated metrics and related incidents.
use super::{esc, list, num, table, time};
use crate::analysis::report::{OutageReport, Report};
use crate::analysis::timeline::fmt_metric;
use crate::render::markdown::{
    answered_words, correlated, edge_words, event_label, impact_cells, impact_header, kind_words,
    lead_words, plural, short_name, truncate, Clock,
};
use crate::timefmt::human_duration;
use std::fmt::Write as _;

pub(crate) use crate::render::markdown::probes_down;

/// Window `i` of the report under a heading of `level` (2 for the main one, 3 for the others).
pub(crate) fn section(
    s: &mut String,
    i: usize,
    report: &Report,
    clock: &Clock,
    level: u8,
    chart: Option<&str>,
) {
    let o = &report.outages[i];
    let w = &o.window;
    let sub = level + 1;
    let _ = writeln!(
        s,
        "<section id=\"outage-{n}\">\n<h{level}>Outage {n}: {} outage from {}</h{level}>",
        w.kind.as_str(),
        esc(&clock.full(&w.start)),
        n = i + 1
    );
    let mut facts: Vec<(&str, String)> = vec![
        ("Kind", kind_words(w.kind.as_str()).to_string()),
        (
            "Nature",
            format!("{}: {}", o.nature.as_str(), o.nature_evidence.join("; ")),
        ),
    ];
    if let Some(host) = &o.host {
        facts.push(("Host", host.clone()));
    }
    if let Some(shared) = &o.shared_host {
        // shared_words escapes for markdown; the page wants the plain words.
        let words = match (shared.down_together.is_empty(), shared.answering.is_empty()) {
            (false, true) => format!(
                "all down together with it ({}): the host, not one service",
                shared.down_together.join(", ")
            ),
            (true, false) => format!(
                "{} kept answering: this target alone",
                shared.answering.join(", ")
            ),
            _ => format!(
                "down together with it: {}; answering: {}",
                shared.down_together.join(", "),
                shared.answering.join(", ")
            ),
        };
        facts.push(("Other targets of the host", words));
    }
    let duration = w
        .duration_seconds
        .map(human_duration)
        .unwrap_or_else(|| "unknown (no recovery)".into());
    if w.probes.is_empty() {
        for d in &o.downtime {
            facts.push((
                "Went down",
                format!("{} ({})", clock.full(&d.down_at), d.down_basis),
            ));
            facts.push((
                "Came back",
                format!("{} ({})", clock.full(&d.up_at), d.up_basis),
            ));
        }
        facts.push(("Duration (down to boot)", duration));
    } else {
        let words = edge_words(o);
        facts.push((words.start, clock.full(&w.start)));
        facts.push((words.last, clock.full(&w.last_failure)));
        facts.push((
            words.recovered,
            w.recovered_at
                .map(|r| clock.full(&r))
                .unwrap_or_else(|| "not in the data".into()),
        ));
        facts.push((words.duration_fact, duration));
    }
    if let Some(spans) = answered_words(o, clock) {
        facts.push(("Answering again inside it", spans));
    }
    s.push_str("<ul class=\"facts\">\n");
    for (k, v) in facts {
        let _ = writeln!(s, "<li><strong>{k}:</strong> {}</li>", esc(&v));
    }
    s.push_str("</ul>\n");
    if let Some(svg) = chart {
        let _ = writeln!(
            s,
            "<figure>\n{}\n<figcaption>The outage chart: probe latency and checks, the correlated metrics, the window shaded, the signature events marked.</figcaption>\n</figure>",
            inline_svg(svg)
        );
    }

    if !w.probes.is_empty() {
        probe_impact(s, o, clock, sub);
    }
    timeline(s, o, clock, sub);
    event_findings(s, o, clock, sub);
    metric_findings(s, o, report, clock, sub);
    if !o.related.is_empty() {
        let _ = writeln!(s, "<h{sub}>Related incidents</h{sub}>");
        let items: Vec<String> = o
            .related
            .iter()
            .map(|r| {
                format!(
                    "{} outage on {} lasting {}; shares {}",
                    esc(&r.kind),
                    esc(&clock.full(&r.start)),
                    r.duration_seconds
                        .map(human_duration)
                        .unwrap_or_else(|| "unknown".into()),
                    esc(&r.shared_events.join(", "))
                )
            })
            .collect();
        list(s, &items);
    }
    s.push_str("</section>\n");
}

/// The chart's SVG for inline use: no XML namespace (HTML gives it), scaled by the page's CSS
/// through its viewBox, labelled for screen readers.
fn inline_svg(svg: &str) -> String {
    let Some(open_end) = svg.find('>') else {
        return String::new();
    };
    let open = &svg[..open_end];
    let view_box = open
        .split("viewBox=\"")
        .nth(1)
        .and_then(|v| v.split('"').next())
        .unwrap_or("0 0 1200 800");
    format!(
        "<svg viewBox=\"{}\" role=\"img\" aria-label=\"Outage chart\"{}",
        esc(view_box),
        &svg[open_end..]
    )
}

fn timeline(s: &mut String, o: &OutageReport, clock: &Clock, sub: u8) {
    let _ = writeln!(s, "<h{sub}>Timeline</h{sub}>");
    let zone = if clock.zone.is_utc() {
        "time"
    } else {
        clock.zone.name()
    };
    let rows: Vec<Vec<String>> = o
        .timeline
        .iter()
        .map(|e| {
            let what = if e.detail.is_empty() {
                esc(&e.what)
            } else {
                format!("{}: {}", esc(&e.what), esc(&truncate(&e.detail, 160)))
            };
            vec![
                time(&clock.local(&e.time)),
                time(&clock.utc(&e.time)),
                esc(&e.source),
                what,
            ]
        })
        .collect();
    table(s, &[zone, "UTC", "source", "what"], &rows);
}

fn event_findings(s: &mut String, o: &OutageReport, clock: &Clock, sub: u8) {
    let _ = writeln!(s, "<h{sub}>Event findings</h{sub}>");
    if o.events.is_empty() {
        let _ = writeln!(s, "<p>No events in the logs around this window (from the lookback before it to 30 minutes after recovery).</p>");
        return;
    }
    let rows: Vec<Vec<String>> = o
        .events
        .iter()
        .map(|g| {
            let meaning = g.meaning.clone().unwrap_or_else(|| {
                format!(
                    "{} level, not in the knowledge base; first said: {}",
                    g.level,
                    truncate(&g.sample, 120)
                )
            });
            vec![
                event_label(g, &esc),
                esc(g.class.as_str()),
                num(g.count),
                time(&clock.local(&g.first)),
                time(&clock.local(&g.last)),
                esc(&lead_words(g.lead_seconds)),
                esc(&meaning),
            ]
        })
        .collect();
    table(
        s,
        &[
            "event",
            "class",
            "count",
            "first",
            "last",
            "first seen vs. window start",
            "meaning",
        ],
        &rows,
    );
    let mut notes = Vec::new();
    for g in o.events.iter().filter(|g| g.trap.is_some() && g.rank < 3) {
        notes.push(format!(
            "<strong>Reading Event {}:</strong> {}",
            g.event_id,
            esc(g.trap.as_deref().unwrap_or_default())
        ));
    }
    for g in o
        .events
        .iter()
        .filter(|g| g.check_next.is_some() && g.rank < 2)
    {
        notes.push(format!(
            "<strong>Check next for Event {}:</strong> {}",
            g.event_id,
            esc(g.check_next.as_deref().unwrap_or_default())
        ));
    }
    for c in &o.stated_crashes {
        notes.push(format!(
            "Event 6008 logged at {} says the previous shutdown at {} was unexpected{}.",
            esc(&clock.full(&c.logged_at)),
            esc(&c.stated_text),
            c.stated_time
                .map(|t| format!(" (read as {})", esc(&clock.full(&t))))
                .unwrap_or_else(|| " (time not readable)".into())
        ));
    }
    if o.noise_folded > 0 {
        notes.push(format!(
            "{} (e.g. DCOM 10016) folded away.",
            plural(o.noise_folded, "noise event", "noise events")
        ));
    }
    list(s, &notes);
}

fn metric_findings(s: &mut String, o: &OutageReport, report: &Report, clock: &Clock, sub: u8) {
    let _ = writeln!(s, "<h{sub}>Correlated resource metrics</h{sub}>");
    if o.metrics.is_empty() {
        let _ = writeln!(s, "<p>No metric series were given.</p>");
        return;
    }
    if o.metrics.iter().all(|m| m.window_samples == 0) {
        let _ = writeln!(
            s,
            "<p>No metric data covers this window ({} series given, none with samples inside it: missing, not zero).</p>",
            o.metrics.len()
        );
        return;
    }
    let top = correlated(o);
    if top.is_empty() {
        let _ = writeln!(
            s,
            "<p>No metric was unusual in this window against its baseline.</p>"
        );
    } else {
        let _ = writeln!(
            s,
            "<p>Baseline: median of the 24 h before the {} lookback. Trend: Sen's slope over the lookback before the start (5-minute medians), called rising or falling only when a Mann-Kendall test gives p &lt; 0.05.</p>",
            human_duration(report.lookback_seconds)
        );
        let rows: Vec<Vec<String>> = top
            .iter()
            .map(|m| {
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
                let z = m
                    .robust_z
                    .map(|z| match z {
                        z if z > 99.9 => ">99.9".to_string(),
                        z if z < -99.9 => "<-99.9".to_string(),
                        z => format!("{z:.1}"),
                    })
                    .unwrap_or_else(|| "-".into());
                vec![
                    esc(&short_name(m)),
                    num(esc(&m
                        .baseline_median
                        .map(unit)
                        .unwrap_or_else(|| "no data".into()))),
                    num(esc(&m.peak.map(unit).unwrap_or_else(|| "no data".into()))),
                    num(m
                        .change_pct
                        .map(|c| format!("{:+.0}%", c))
                        .unwrap_or_else(|| "-".into())),
                    num(esc(&z)),
                    esc(&trend),
                    esc(&crossing),
                ]
            })
            .collect();
        table(
            s,
            &[
                "metric",
                "baseline median",
                "window peak",
                "change",
                "robust z",
                "trend before start",
                "first threshold crossing",
            ],
            &rows,
        );
    }
    let missing: Vec<String> = o
        .metrics
        .iter()
        .filter(|m| m.window_samples == 0)
        .map(|m| esc(&short_name(m)))
        .collect();
    if !missing.is_empty() {
        let _ = writeln!(
            s,
            "<p>No data inside the window (not zero: missing) for: {}.</p>",
            missing.join(", ")
        );
    }
}

/// The table of each probe inside a window (the markdown's columns and words).
fn probe_impact(s: &mut String, o: &crate::analysis::report::OutageReport, clock: &Clock, sub: u8) {
    let _ = writeln!(s, "<h{sub}>Impact per probe</h{sub}>");
    let at = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| clock.local(&t)).unwrap_or_else(|| "-".into())
    };
    let states = crate::analysis::outages::from_states(&o.window);
    let rows: Vec<Vec<String>> = o
        .window
        .probes
        .iter()
        .map(|p| {
            let [probe, place, c2, c3, c4, c5, unknown] = impact_cells(o, p, &at);
            // Times are cells of their own kind; counts and words right-aligned as numbers.
            let (c2, c3, c5) = if states {
                (time(&c2), time(&c3), num(esc(&c5)))
            } else {
                (num(esc(&c2)), num(esc(&c3)), time(&c5))
            };
            vec![esc(&probe), place, c2, c3, time(&c4), c5, num(unknown)]
        })
        .collect();
    table(s, &impact_header(o), &rows);
}
