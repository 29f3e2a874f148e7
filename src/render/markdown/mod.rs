//! The draft outage report as markdown: facts first, then prompts for what only a human can say.
//! Every string that came from an input is escaped (`md`) so it cannot break a table or inject HTML.
//! One file per part of the report; `text.rs` holds what they share (the HTML report too).
mod closing;
mod logs;
mod summary;
mod text;
mod window;

use crate::analysis::report::Report;
use crate::timefmt::Zone;
use closing::{blips, changes, data_quality, human_sections};
use logs::{downtime, hosts, services_down};
use std::fmt::Write as _;
use summary::{overview, summary};
use window::outage_section;

pub(crate) use logs::{
    downtime_rows, host_rows, service_rows, DOWNTIME_HEADER, DOWNTIME_INTRO, HOSTS_HEADER,
    SERVICES_HEADER,
};
pub(crate) use summary::{no_window_text, summary_text};
pub(crate) use text::{
    answered_words, correlated, event_label, kind_words, lead_words, plural, probes_down,
    short_name, shown_windows, signature_events, title_parts, truncate, windows_left_out, Clock,
    ShownWindows,
};
pub use text::{md, primary_index};
pub(crate) use window::{edge_words, impact_cells, impact_header};

pub fn render(report: &Report, zone: Zone) -> String {
    render_report(report, zone, None)
}

/// The report with `![Outage chart](link)` under the main outage's key facts.
pub fn render_with_chart(report: &Report, zone: Zone, link: &str) -> String {
    let target = if link.contains([' ', '(', ')', '<', '>']) {
        format!("<{}>", link.replace('<', "%3C").replace('>', "%3E"))
    } else {
        link.to_string()
    };
    render_report(report, zone, Some(&target))
}

fn render_report(report: &Report, zone: Zone, chart: Option<&str>) -> String {
    let clock = Clock { zone };
    let mut s = String::new();
    let primary = primary_index(report);
    let (host, date) = title_parts(report, zone);
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
        outage_section(&mut s, pi, &report.outages[pi], report, &clock, "##", chart);
    }
    if report.outages.len() > 1 {
        let _ = writeln!(s, "## Other windows in the data\n");
        let detailed = shown_windows(report, primary).detailed;
        for &i in &detailed {
            outage_section(&mut s, i, &report.outages[i], report, &clock, "###", None);
        }
        let mut with_section = detailed;
        with_section.extend(primary);
        with_section.sort_unstable();
        if let Some(left) = windows_left_out(report, &with_section, "other", &clock) {
            let _ = writeln!(
                s,
                "*Without a section here: {left}. `--from` and `--to` around one write its section.*\n"
            );
        }
    }
    blips(&mut s, report, &clock);
    changes(&mut s, report, &clock);
    data_quality(&mut s, report, &clock);
    human_sections(&mut s, report, primary, &clock);
    s
}
