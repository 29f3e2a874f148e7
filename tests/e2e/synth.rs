//! End-to-end tests of `faultline synth`: deterministic output equal to the committed fixtures,
//! and `--scale` keeping the story.
use crate::common;

use common::{arg, aug15, jsonl, run_ok};
use faultline::synth::{scenario, story};

const LOGS: [&str; 2] = ["System.evtx", "Application.evtx"];

#[test]
fn synth_twice_gives_the_committed_bytes() {
    let a = tempfile::tempdir().expect("tempdir");
    let b = tempfile::tempdir().expect("tempdir");
    let said = run_ok(["synth", &arg(a.path())]);
    run_ok(["synth", &arg(b.path())]);
    for name in LOGS {
        let first = std::fs::read(a.path().join(name)).expect("written");
        let second = std::fs::read(b.path().join(name)).expect("written");
        assert!(first == second, "{name} differs between two runs");
        let committed = std::fs::read(aug15(name)).expect("fixture");
        assert!(
            first == committed,
            "{name} differs from fixtures/aug15: run `cargo run -- synth fixtures/aug15`"
        );
        assert!(said.contains(name), "synth says what it wrote:\n{said}");
    }
    let system = scenario::system_records().len();
    assert!(
        said.contains(&format!("System.evtx: {system} records")),
        "{said}"
    );
    // Every file the generator writes into a fresh folder is committed, byte for byte.
    for entry in std::fs::read_dir(a.path()).expect("dir") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let committed = std::fs::read(aug15(&name)).unwrap_or_default();
        assert!(
            std::fs::read(&path).expect("read") == committed,
            "{name} differs from fixtures/aug15"
        );
    }
}

#[test]
fn scale_writes_about_that_many_records_with_the_same_story() {
    let dir = tempfile::tempdir().expect("tempdir");
    run_ok(["synth", &arg(dir.path()), "--scale", "5000"]);
    let system = dir.path().join("System.evtx");
    let counts = jsonl(&run_ok([
        "events",
        &arg(&system),
        "--count",
        "--format",
        "jsonl",
    ]));
    let total: u64 = counts.iter().filter_map(|c| c["count"].as_u64()).sum();
    assert!((4_950..=5_000).contains(&total), "{total} records");
    let storm = jsonl(&run_ok([
        "events",
        &arg(&system),
        "--id",
        "333",
        "--from",
        &faultline::model::rfc3339(&story::aug15_storm_start()),
        "--format",
        "jsonl",
    ]));
    assert_eq!(storm.len(), story::AUG15_333_COUNT);
}
