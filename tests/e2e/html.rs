//! End-to-end tests of `faultline report --format html`: one self-contained page with the
//! markdown report's sections, the chart inline, nothing loaded from elsewhere, every input
//! string escaped.
use crate::common;

use common::{aug15, run_ok};
use faultline::synth::story;

fn html_report(dir: &std::path::Path, extra: &[&str]) -> String {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("outage.html");
    let (dir, out_arg) = (dir.display().to_string(), out.display().to_string());
    let args = [
        &[
            "report",
            dir.as_str(),
            "-q",
            "--format",
            "html",
            "-o",
            out_arg.as_str(),
        ],
        extra,
    ]
    .concat();
    run_ok(args);
    std::fs::read_to_string(&out).expect("the page is written")
}

/// The text of every `<hN>` heading, tags inside it removed.
fn headings(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for level in 1..=6 {
        let (open, close) = (format!("<h{level}"), format!("</h{level}>"));
        for part in html.split(&open).skip(1) {
            let inner = part.split_once('>').map(|(_, r)| r).unwrap_or("");
            let text = inner.split(&close).next().unwrap_or("");
            out.push(strip_tags(text));
        }
    }
    out
}

fn strip_tags(text: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
}

/// What would make a browser fetch something: none may appear.
fn assert_self_contained(html: &str) {
    for needle in [
        "http://", "https://", "src=", "<link", "<script", "url(", "@import", "<iframe", "<object",
    ] {
        assert!(!html.contains(needle), "the page holds {needle:?}");
    }
}

#[test]
fn the_page_has_every_markdown_section_the_window_table_and_the_chart() {
    let html = html_report(&aug15(""), &[]);
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(html.trim_end().ends_with("</html>"));
    assert_self_contained(&html);
    // Every heading of the markdown report, in the HTML too.
    let dir = aug15("").display().to_string();
    let markdown = run_ok(["report", dir.as_str(), "-q"]);
    let html_headings = headings(&html);
    for line in markdown.lines().filter(|l| l.starts_with('#')) {
        let text = line.trim_start_matches('#').trim().replace('\\', "");
        assert!(
            html_headings.contains(&text),
            "heading {text:?} missing; the page has {html_headings:?}"
        );
    }
    // The window table: one row per window, the 15 August one with its UTC start and duration.
    let windows = html
        .split("<h2 id=\"windows\">")
        .nth(1)
        .and_then(|r| r.split("</tbody>").next())
        .expect("the window table");
    assert_eq!(
        windows.matches("<tr>").count(),
        1 + 4,
        "header and four windows"
    );
    let w = story::outage_aug15();
    let main_row = windows
        .split("<tr>")
        .find(|r| r.contains(&w.first_failure.format("%Y-%m-%d %H:%M").to_string()))
        .expect("a row for the 15 August window");
    assert!(
        main_row.contains("(main)") && main_row.contains("1h 30m"),
        "{main_row}"
    );
    // The chart, inline, once, scaled by its viewBox.
    assert_eq!(html.matches("<svg").count(), 1);
    assert!(html.contains("<svg viewBox=\"0 0 1200 "));
    assert!(html.contains("</svg>"));
}

#[test]
fn every_input_string_is_escaped() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let evil = "<script>x</script>";
    let mut csv = String::from("timestamp,monitor,status\n");
    for minute in 0..30 {
        let status = if (10..15).contains(&minute) {
            "down"
        } else {
            "up"
        };
        for probe in [evil, "b&b \"quoted\""] {
            csv.push_str(&format!(
                "2024-03-01T10:{minute:02}:00Z,\"{}\",{status}\n",
                probe.replace('"', "\"\"")
            ));
        }
    }
    std::fs::write(tmp.path().join("probes.csv"), csv).unwrap();
    let html = html_report(tmp.path(), &[]);
    assert!(!html.contains(evil), "a probe name came through unescaped");
    assert!(!html.contains("<script"));
    assert!(html.contains("&lt;script&gt;x&lt;/script&gt;"));
    assert!(html.contains("b&amp;b &quot;quoted&quot;"));
    assert_self_contained(&html);
    // The window is there, with its chart (whose labels are escaped by the SVG writer).
    assert!(html.contains("<svg"));
    assert!(headings(&html).iter().any(|h| h.starts_with("Outage 1: ")));
}
