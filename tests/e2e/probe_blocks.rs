//! End-to-end: a probe export of several read blocks (over 4 MiB, so that blocks after the first
//! are cut into cells without polars), read through `faultline probes`. What it must say is
//! worked out here while the file is written: each probe's checks and failures, the rows that
//! cannot be read and the lines they are on.
use crate::common;

use common::{arg, run};
use serde_json::Value;
use std::fmt::Write;

/// What the written file holds, counted as it is written.
#[derive(Default)]
struct Written {
    text: String,
    /// 1-based line of the next line to be written.
    line: usize,
    /// (checks, failures) per probe.
    probes: [(u64, u64); 3],
    /// (line, what is wrong), in file order.
    bad: Vec<(usize, &'static str)>,
}

impl Written {
    fn push(&mut self, line: &str) {
        self.text.push_str(line);
        self.text.push('\n');
        self.line += 1;
    }
}

const PROBES: [&str; 3] = ["us-west", "us-east", "eu-central"];
const START: &str = "2024-03-01T00:00:00Z";
/// The minutes us-east is down: deep in the file, in a later block.
const DOWN: std::ops::Range<i64> = 42_000..42_060;

fn export() -> Written {
    let mut w = Written {
        line: 1,
        ..Default::default()
    };
    w.push("timestamp,monitor,status,response_time_ms");
    let start = chrono::DateTime::parse_from_rfc3339(START).unwrap();
    // 3 probes a minute for 50,000 minutes: 5.4 MB, two blocks.
    for minute in 0..50_000i64 {
        let time = (start + chrono::Duration::minutes(minute)).format("%Y-%m-%dT%H:%M:%SZ");
        for (p, probe) in PROBES.iter().enumerate() {
            let down = p == 1 && DOWN.contains(&minute);
            let status = if down { "down" } else { "up" };
            let mut line = String::new();
            write!(
                line,
                "{time},{probe},{status},{}",
                20 + (minute + p as i64) % 50
            )
            .unwrap();
            w.probes[p].0 += 1;
            w.probes[p].1 += u64::from(down);
            w.push(&line);
        }
        match minute {
            45_000 => {
                w.bad.push((w.line, "cannot read time \"noon\""));
                w.push("noon,us-west,up,20");
            }
            45_001 => {
                // A blank line is no record: nothing to count.
                w.push("");
            }
            45_002 => {
                w.bad
                    .push((w.line, "status \"sideways\" is neither up nor down"));
                w.push(&format!("{time},us-west,sideways,20"));
            }
            45_003 => {
                w.bad.push((w.line, "no probe name"));
                w.push(&format!("{time},,up,20,extra,cells"));
            }
            _ => {}
        }
    }
    w
}

#[test]
fn an_export_of_many_blocks_reads_every_row_and_names_the_bad_lines() {
    let written = export();
    // The bad rows and the down hour lie past the first 4 MiB block.
    let down = written.text.find(",us-east,down,").unwrap();
    assert!(down > 4 << 20, "first down row at byte {down}");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("probes.csv");
    std::fs::write(&path, &written.text).unwrap();
    let out = run(["probes", "--format", "json", &arg(&path)]);
    let v: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"));
    for (p, name) in PROBES.iter().enumerate() {
        let probe = v["probes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == *name)
            .unwrap_or_else(|| panic!("no probe {name}: {}", v["probes"]));
        let (checks, failures) = written.probes[p];
        assert_eq!(probe["checks"], checks, "{name}");
        assert_eq!(probe["failures"], failures, "{name}");
    }
    let input = &v["inputs"][0];
    let total: u64 = written.probes.iter().map(|p| p.0).sum();
    assert_eq!(input["records_read"], total);
    assert_eq!(input["records_skipped"], written.bad.len() as u64);
    let problems: Vec<String> = written
        .bad
        .iter()
        .map(|(line, why)| format!("line {line}: {why}"))
        .collect();
    assert_eq!(input["problems"], serde_json::json!(problems));
    let outages = v["outages"].as_array().unwrap();
    assert_eq!(outages.len(), 1, "{outages:?}");
    let at = |minute: i64| {
        let start = chrono::DateTime::parse_from_rfc3339(START).unwrap();
        (start + chrono::Duration::minutes(minute))
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    assert_eq!(outages[0]["start"], at(DOWN.start));
    assert_eq!(outages[0]["recovered_at"], at(DOWN.end));
}
