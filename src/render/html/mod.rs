//! The draft outage report as one self-contained HTML page: the markdown report's sections rendered
//! from the same report model, styles and the SVG chart inline, nothing fetched, no script.
//! Every string that came from an input goes through `esc`.
mod window;

use crate::analysis::report::Report;
use crate::render::markdown::{
    correlated, downtime_rows, host_rows, lead_words, no_window_text, plural, primary_index,
    service_rows, short_name, shown_windows, signature_events, summary_text, title_parts,
    windows_left_out, Clock, ShownWindows, DOWNTIME_HEADER, DOWNTIME_INTRO, HOSTS_HEADER,
    SERVICES_HEADER,
};
use crate::timefmt::{human_duration, Zone};
use std::fmt::Write as _;

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\r' | '\n' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Print-friendly and narrow-screen-friendly styles; tables scroll sideways in their own box
/// rather than pushing the page wider.
const CSS: &str = "\
:root{--ink:#222;--muted:#666;--rule:#d9d9d9;--head:#f3f4f6;--warn:#fdf3d8}
body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--ink);max-width:1200px;margin:0 auto;padding:1.5rem}
h1{font-size:1.6rem;margin:.2rem 0 1rem}h2{font-size:1.3rem;margin-top:2rem;border-bottom:2px solid var(--rule);padding-bottom:.2rem}
h3{font-size:1.12rem;margin-top:1.6rem}h4{font-size:1rem;margin:1.2rem 0 .4rem}
.intro{border-left:4px solid var(--rule);padding:.3rem .9rem;color:var(--muted);margin:0 0 1rem}
.table{overflow-x:auto;margin:.5rem 0 1rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border:1px solid var(--rule);padding:.3rem .5rem;text-align:left;vertical-align:top;overflow-wrap:break-word}
th{background:var(--head);font-weight:600}
td.num{text-align:right;white-space:nowrap}td.time{white-space:nowrap}
tbody tr:nth-child(even){background:#fafafa}
ul.facts{list-style:none;padding:0}ul.facts li{margin:.15rem 0}
figure{margin:1rem 0}figure svg{width:100%;height:auto;border:1px solid var(--rule)}
figcaption{color:var(--muted);font-size:.85rem}
.fill{background:var(--warn);padding:.4rem .7rem;border-radius:3px}
footer{margin-top:2rem;color:var(--muted);font-size:.85rem;border-top:1px solid var(--rule);padding-top:.5rem}
@media (max-width:700px){body{padding:.7rem;font-size:14px}table{font-size:.8rem}th,td{padding:.2rem .3rem}}
@media print{body{max-width:none;padding:0;font-size:10.5pt}.table{overflow:visible}
tr,figure,ul.facts{break-inside:avoid}h2,h3,h4{break-after:avoid}tbody tr:nth-child(even){background:none}
.fill{background:none;border:1px solid #999}@page{margin:1.5cm}}
";

/// The report as an HTML page; `chart` is the main window's SVG, drawn under its key facts.
pub fn render(report: &Report, zone: Zone, chart: Option<&str>) -> String {
    let clock = Clock { zone };
    let primary = primary_index(report);
    let shown = shown_windows(report, primary);
    let mut with_section = shown.detailed.clone();
    with_section.extend(primary);
    with_section.sort_unstable();
    let (host, date) = title_parts(report, zone);
    let title = format!("Outage report (draft): {}, {date}", esc(&host));
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"faultline {}\">\n<title>{title}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n<main>\n<h1>{title}</h1>\n",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(
        s,
        "<p class=\"intro\">Draft written by faultline from {} input files. Times are {}{}. Sections marked <strong>To fill in</strong> need a human; everything else comes from the evidence and says <em>coincided with</em> or <em>preceded</em>, never <em>caused</em>.</p>",
        report.inputs.len(),
        esc(zone.name()),
        if zone.is_utc() { "" } else { ", with UTC alongside" }
    );
    summary(&mut s, report, primary, &clock);
    overview(&mut s, report, primary, &shown, &with_section, &clock);
    if !report.downtime.is_empty() {
        let _ = writeln!(
            s,
            "<h2 id=\"downtime\">Downtime from the logs</h2>\n<p>{DOWNTIME_INTRO}</p>"
        );
        table(
            &mut s,
            &DOWNTIME_HEADER,
            &downtime_rows(report, &clock, &esc),
        );
    }
    if !report.service_downtime.is_empty() {
        let _ = writeln!(
            s,
            "<h2 id=\"services\">Services down</h2>\n<p>Services that crashed or failed (7031, 7034, 7023, 7024) until their 7036 said running again.</p>"
        );
        let (rows, more) = service_rows(report, &clock, &esc);
        table(&mut s, &SERVICES_HEADER, &rows);
        if more > 0 {
            let _ = writeln!(s, "<p>{more} more in the JSON's service_downtime.</p>");
        }
    }
    if let Some((rows, lines)) = host_rows(report, &clock, &esc) {
        let _ = writeln!(s, "<h2 id=\"hosts\">Hosts</h2>");
        table(&mut s, &HOSTS_HEADER, &rows);
        list(&mut s, &lines);
    }
    if let Some(pi) = primary {
        window::section(&mut s, pi, report, &clock, 2, chart);
    }
    if report.outages.len() > 1 {
        let _ = writeln!(s, "<h2>Other windows in the data</h2>");
        for &i in &shown.detailed {
            window::section(&mut s, i, report, &clock, 3, None);
        }
        if let Some(left) = windows_left_out(report, &with_section, "other", &clock) {
            let _ = writeln!(
                s,
                "<p><em>Without a section here: {}. <code>--from</code> and <code>--to</code> around one write its section.</em></p>",
                esc(&left)
            );
        }
    }
    blips(&mut s, report, &clock);
    changes(&mut s, report, &clock);
    data_quality(&mut s, report, &clock);
    human_sections(&mut s, report, primary, &clock);
    let _ = write!(
        s,
        "</main>\n<footer>Generated by faultline {} at the command line; check every number against the evidence before you send this.</footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    s
}

/// A table in its own sideways-scrolling box. Cells are HTML already (escaped by the caller);
/// a cell starting with `\u{1}` is numeric (right-aligned), `\u{2}` a time (kept on one line).
pub(crate) fn table(s: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let _ = write!(s, "<div class=\"table\"><table>\n<thead><tr>");
    for h in header {
        let _ = write!(s, "<th scope=\"col\">{}</th>", esc(h));
    }
    let _ = writeln!(s, "</tr></thead>\n<tbody>");
    for row in rows {
        s.push_str("<tr>");
        for cell in row {
            match (cell.strip_prefix('\u{1}'), cell.strip_prefix('\u{2}')) {
                (Some(n), _) => {
                    let _ = write!(s, "<td class=\"num\">{n}</td>");
                }
                (_, Some(t)) => {
                    let _ = write!(s, "<td class=\"time\">{t}</td>");
                }
                _ => {
                    let _ = write!(s, "<td>{cell}</td>");
                }
            }
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody></table></div>\n");
}

/// A numeric cell for `table`.
pub(crate) fn num(v: impl std::fmt::Display) -> String {
    format!("\u{1}{v}")
}

/// A time cell for `table` (escaped here).
pub(crate) fn time(text: &str) -> String {
    format!("\u{2}{}", esc(text))
}

fn summary(s: &mut String, report: &Report, primary: Option<usize>, clock: &Clock) {
    let _ = writeln!(s, "<h2 id=\"summary\">Summary</h2>");
    match primary {
        Some(pi) => {
            let text = summary_text(report, pi, clock, &esc, &|t| {
                format!("<strong>{t}</strong>")
            });
            let _ = writeln!(s, "<p>{text}</p>");
        }
        None => {
            let text = no_window_text(report, &|f| format!("<code>{f}</code>"));
            let _ = writeln!(s, "<p>{text}</p>");
        }
    }
}

/// The window table: links to the windows with a section (`with_section`, sorted).
fn overview(
    s: &mut String,
    report: &Report,
    primary: Option<usize>,
    shown: &ShownWindows,
    with_section: &[usize],
    clock: &Clock,
) {
    if report.outages.is_empty() {
        return;
    }
    let _ = writeln!(s, "<h2 id=\"windows\">Outage windows</h2>");
    let rows: Vec<Vec<String>> = shown
        .rows
        .iter()
        .map(|&i| {
            let o = &report.outages[i];
            let w = &o.window;
            let number = if with_section.binary_search(&i).is_ok() {
                format!("<a href=\"#outage-{0}\">{0}</a>", i + 1)
            } else {
                (i + 1).to_string()
            };
            let n = if Some(i) == primary {
                format!("{number} (main)")
            } else {
                number
            };
            vec![
                n,
                w.kind.as_str().to_string(),
                o.nature.as_str().to_string(),
                time(&clock.full(&w.start)),
                time(
                    &w.recovered_at
                        .map(|r| clock.full(&r))
                        .unwrap_or_else(|| "not in data".into()),
                ),
                num(esc(&w
                    .duration_seconds
                    .map(human_duration)
                    .unwrap_or_else(|| "open".into()))),
                esc(&window::probes_down(o).join(", ")),
            ]
        })
        .collect();
    table(
        s,
        &[
            "#",
            "kind",
            "nature",
            "start",
            "recovered",
            "duration",
            "probes down",
        ],
        &rows,
    );
    if let Some(left) = windows_left_out(report, &shown.rows, "shorter", clock) {
        let _ = writeln!(
            s,
            "<p><em>Not in this table: {}. Every window is in <code>--format json</code>.</em></p>",
            esc(&left)
        );
    }
}

fn blips(s: &mut String, report: &Report, clock: &Clock) {
    if report.blips.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "<h2 id=\"blips\">Blips (too short to count as outages)</h2>\n<ul>"
    );
    for b in &report.blips {
        let _ = writeln!(
            s,
            "<li>{}: {} at {}</li>",
            esc(&b.probe),
            plural(b.failures, "failed check", "failed checks"),
            esc(&clock.full(&b.start))
        );
    }
    let _ = writeln!(s, "</ul>");
}

fn changes(s: &mut String, report: &Report, clock: &Clock) {
    let _ = writeln!(s, "<h2 id=\"changes\">What changed before</h2>");
    if report.changes.is_empty() {
        let _ = writeln!(s, "<p>No installs, removals, new services, updates or restarts in the event logs in the 30 days before the first window.</p>");
        return;
    }
    let _ = writeln!(
        s,
        "<p>In the 30 days before the first window, newest first:</p>"
    );
    let rows: Vec<Vec<String>> = report
        .changes
        .iter()
        .map(|c| {
            vec![
                time(&clock.full(&c.time)),
                esc(&c.kind),
                esc(&c.description),
                format!("{} {}", esc(&c.provider), c.event_id),
            ]
        })
        .collect();
    table(s, &["when", "change", "what", "event"], &rows);
}

fn data_quality(s: &mut String, report: &Report, clock: &Clock) {
    let dq = &report.data_quality;
    let _ = writeln!(s, "<h2 id=\"data-quality\">Data quality</h2>");
    let rows: Vec<Vec<String>> = report
        .inputs
        .iter()
        .map(|i| {
            let covers = match (i.first, i.last) {
                (Some(a), Some(b)) => format!("{} to {}", clock.local(&a), clock.local(&b)),
                _ if i.failed => format!("unusable: {}", i.problems.join("; ")),
                _ => "-".into(),
            };
            vec![
                esc(&i.path),
                esc(i.kind.as_str()),
                num(i.records_read),
                num(i.records_skipped),
                esc(&covers),
            ]
        })
        .collect();
    table(s, &["input", "kind", "read", "skipped", "covers"], &rows);
    let _ = writeln!(
        s,
        "<p>{} records read, {} skipped.</p>",
        dq.records_read, dq.records_skipped
    );
    let mut items = Vec::new();
    for i in report
        .inputs
        .iter()
        .filter(|i| i.records_skipped > 0 && !i.failed)
    {
        let first: Vec<String> = i.problems.iter().take(3).cloned().collect();
        items.push(format!("{}: {}", esc(&i.path), esc(&first.join("; "))));
    }
    for g in &dq.gaps {
        items.push(format!(
            "Gap in the {} data ({}) from {} to {}: unknown, counted neither as good nor as bad.",
            esc(&g.source),
            esc(&g.name),
            esc(&clock.full(&g.from)),
            esc(&clock.full(&g.to))
        ));
    }
    items.extend(dq.clock.iter().map(|c| format!("Clock: {}", esc(c))));
    items.extend(dq.notes.iter().map(|n| esc(n)));
    list(s, &items);
}

/// A bulleted list of HTML items; nothing when there are none.
pub(crate) fn list(s: &mut String, items: &[String]) {
    if items.is_empty() {
        return;
    }
    s.push_str("<ul>\n");
    for i in items {
        let _ = writeln!(s, "<li>{i}</li>");
    }
    s.push_str("</ul>\n");
}

fn human_sections(s: &mut String, report: &Report, primary: Option<usize>, clock: &Clock) {
    let hint = primary.map(|i| &report.outages[i]);
    let _ = writeln!(s, "<h2 id=\"to-fill-in\">To fill in</h2>");
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
                .map(|m| esc(&short_name(m)))
                .collect::<Vec<_>>()
                .join(" and ")
        })
        .unwrap_or_default();
    let stood_out = if top.is_empty() {
        String::new()
    } else {
        format!("; {top} stood out")
    };
    let resolution = hint
        .and_then(|o| {
            o.events
                .iter()
                .find(|g| g.event_id == 1074 && g.provider.contains("User32"))
        })
        .map(|g| {
            format!(
                " The logs show a restart requested at {}.",
                esc(&clock.full(&g.first))
            )
        })
        .unwrap_or_default();
    let fill = "<strong>To fill in.</strong>";
    let parts = [
        ("Root cause", format!("What made the server stop answering? Candidates from the evidence (coincidences, not proof): {}{stood_out}.", esc(&sig))),
        ("Trigger", "What set it off at that moment (a load peak, a job, a deploy)?".to_string()),
        ("Resolution", format!("What brought it back, and was it a fix or a restart?{resolution}")),
        ("Detection", "Who or what noticed first, and when? Compare with when the window began, above (its first failed check or the monitor's down edge).".to_string()),
    ];
    for (heading, text) in parts {
        let _ = writeln!(s, "<h3>{heading}</h3>\n<p class=\"fill\">{fill} {text}</p>");
    }
    let _ = writeln!(s, "<h3>Action items</h3>\n<p class=\"fill\">{fill}</p>");
    table(
        s,
        &["action", "owner", "due"],
        &[vec![String::new(), String::new(), String::new()]],
    );
    let _ = writeln!(s, "<h3>Lessons learned</h3>\n<p class=\"fill\">{fill} What went well, what went wrong, where we got lucky.</p>");
}
