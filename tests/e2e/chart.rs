//! `faultline report --chart`: the SVG picture of the main outage, and the markdown's link to it.
use crate::common;

use common::{aug15, faultline, run};
use faultline::synth::story;

fn report_with_chart(dir: &std::path::Path, report: &str, chart: &str) -> (String, String) {
    faultline()
        .current_dir(dir)
        .args([
            "report",
            "-q",
            "--tz",
            story::ZONE,
            "-o",
            report,
            "--chart",
            chart,
        ])
        .arg(aug15(""))
        .assert()
        .success();
    let svg = std::fs::read_to_string(dir.join(chart)).expect("the chart is written");
    let md = std::fs::read_to_string(dir.join(report)).expect("the report is written");
    (svg, md)
}

#[test]
fn the_chart_is_an_svg_with_every_probe_and_the_shaded_window() {
    let dir = tempfile::tempdir().unwrap();
    let (svg, md) = report_with_chart(dir.path(), "outage.md", "outage.svg");
    assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(200)]);
    assert!(svg.trim_end().ends_with("</svg>"));
    for probe in story::REMOTE_PROBES.iter().chain([&story::LOCAL_PROBE]) {
        assert!(svg.contains(&format!("\n{probe}\n")), "no lane for {probe}");
    }
    // The window is shaded once, across every panel.
    assert_eq!(svg.matches("fill=\"#F2B8B5\"").count(), 1);
    // The signature events of the story are marked, in the display zone's hours on the axis.
    for label in ["2020 ", "333 ", "1074 ", "6005 "] {
        assert!(svg.contains(&format!("\n{label}")), "no marker for {label}");
    }
    assert!(svg.contains("\n16:00\n") && svg.contains("\n18:30\n"));
    assert!(svg.contains("Times in America/Los_Angeles"));
    // The correlated metrics the story put there have their own panels.
    assert!(svg.contains("Memory\\Pool Paged Bytes"));
    assert!(svg.contains("Process(mysqld)\\Handle Count"));
    // The title names the window from the story: pool exhaustion, 16:58 to 18:28 PDT, 1h 30m.
    assert!(
        svg.contains(
            "service outage (resource-exhaustion) from 2011-08-15 16:58 PDT to 18:28 (1h 30m)"
        ),
        "title"
    );
    assert!(md.contains("![Outage chart](outage.svg)"));
    // The link sits in the main outage's section, before its per-probe impact.
    let link = md.find("![Outage chart]").unwrap();
    let section = md.find("Outage 4: service outage").unwrap();
    let impact = md[section..].find("Impact per probe").unwrap() + section;
    assert!(section < link && link < impact);
}

#[test]
fn the_link_is_relative_to_the_report_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("reports")).unwrap();
    std::fs::create_dir(dir.path().join("charts")).unwrap();
    let (_, md) = report_with_chart(dir.path(), "reports/r.md", "charts/aug15.svg");
    assert!(md.contains("![Outage chart](../charts/aug15.svg)"), "link");
}

#[test]
fn without_a_window_there_is_nothing_to_draw() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("c.svg");
    let r = run([
        "report".as_ref(),
        aug15("Application.evtx").as_os_str(),
        "--chart".as_ref(),
        chart.as_os_str(),
    ]);
    assert_ne!(r.code, Some(0));
    assert!(r.stderr.contains("no outage window"), "{}", r.stderr);
    assert!(!chart.exists());
}

#[test]
fn the_chart_never_replaces_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("probes.csv");
    std::fs::copy(aug15("probes_remote.csv"), &input).unwrap();
    let before = std::fs::read(&input).unwrap();
    let r = run([
        "report".as_ref(),
        input.as_os_str(),
        "--chart".as_ref(),
        input.as_os_str(),
    ]);
    assert_ne!(r.code, Some(0));
    assert_eq!(std::fs::read(&input).unwrap(), before);
}

/// A state-change export (UptimeRobot) has intervals, not checks: its lanes are drawn from them,
/// and with no response times there is no latency panel. All four monitors were down in the
/// 15 Aug window (the scenario's story), so four red stretches are drawn.
#[test]
fn state_series_are_drawn_from_their_intervals() {
    let dir = tempfile::tempdir().unwrap();
    for log in ["System.evtx", "Application.evtx"] {
        std::fs::copy(aug15(log), dir.path().join(log)).unwrap();
    }
    let exports = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/aug15-probe-exports/uptimerobot-logs.csv");
    std::fs::copy(exports, dir.path().join("uptimerobot-logs.csv")).unwrap();
    let chart = dir.path().join("c.svg");
    let r = run([
        "report".as_ref(),
        dir.path().as_os_str(),
        "--input-tz".as_ref(),
        "America/Los_Angeles".as_ref(),
        "-q".as_ref(),
        "--chart".as_ref(),
        chart.as_os_str(),
        "-o".as_ref(),
        dir.path().join("r.md").as_os_str(),
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let svg = std::fs::read_to_string(&chart).unwrap();
    assert_eq!(
        svg.matches("fill=\"#D62728\"").count(),
        4,
        "four down stretches"
    );
    assert!(
        !svg.contains("Probe latency"),
        "no latency panel without response times"
    );
}
