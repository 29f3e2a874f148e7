//! End-to-end tests of `faultline timeline`: every source merged in time order, in every format.
use crate::common;

use common::{aug15, jsonl, run, run_ok};
use faultline::model::rfc3339;
use faultline::synth::story;

fn window_args(extra: &[&str]) -> Vec<String> {
    let w = story::outage_aug15();
    let mut args: Vec<String> = vec![
        "timeline".into(),
        aug15("").to_str().unwrap().into(),
        "-q".into(),
        "--from".into(),
        rfc3339(&(w.first_failure - chrono::Duration::hours(1))),
        "--to".into(),
        rfc3339(&(w.recovered_at + chrono::Duration::minutes(5))),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

#[test]
fn events_probe_transitions_and_threshold_crossings_are_merged_in_order() {
    let rows = jsonl(&run_ok(window_args(&["--format", "jsonl"])));
    let times: Vec<&str> = rows.iter().map(|r| r["time"].as_str().unwrap()).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted);
    let w = story::outage_aug15();
    let has = |source: &str, time: String, needle: &str| {
        rows.iter().any(|r| {
            r["source"] == source
                && r["time"] == time
                && r["what"].as_str().unwrap().contains(needle)
        })
    };
    assert!(has(
        "probe",
        rfc3339(&w.first_failure),
        "local-sipsvr01 down"
    ));
    assert!(has("probe", rfc3339(&w.recovered_at), "us-west up"));
    assert!(has("event", rfc3339(&story::aug15_storm_start()), "333"));
    assert!(has("event", rfc3339(&story::aug15_admin_restart()), "1074"));
    // The disk latency crossed its critical threshold when the storm began.
    assert!(has(
        "metric",
        rfc3339(&story::aug15_storm_start()),
        "Avg. Disk sec/Transfer past critical"
    ));
    let count_333 = rows
        .iter()
        .filter(|r| r["source"] == "event" && r["what"].as_str().unwrap().contains(" 333 "))
        .count();
    assert_eq!(count_333, story::AUG15_333_COUNT);
}

#[test]
fn event_filters_apply_and_csv_parses() {
    let out = run_ok(window_args(&[
        "--id",
        "333",
        "--format",
        "csv",
        "--tz",
        "America/Los_Angeles",
    ]));
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(
        &headers,
        &csv::StringRecord::from(vec!["time", "time_utc", "source", "kind", "what", "detail"])
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let events: Vec<_> = rows.iter().filter(|r| &r[2] == "event").collect();
    assert_eq!(events.len(), story::AUG15_333_COUNT);
    assert!(events[0][0].ends_with("-07:00"), "{:?}", events[0]);
    assert_eq!(&events[0][1], rfc3339(&story::aug15_storm_start()).as_str());
    // Probe transitions are still there: --id filters events only.
    assert!(rows.iter().any(|r| &r[2] == "probe"));
}

#[test]
fn parquet_reads_back_with_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("timeline.parquet");
    run_ok(window_args(&[
        "--format",
        "parquet",
        "-o",
        path.to_str().unwrap(),
    ]));
    let expected = jsonl(&run_ok(window_args(&["--format", "jsonl"]))).len();
    use polars::prelude::*;
    let file = std::fs::File::open(&path).unwrap();
    let df = ParquetReader::new(file).finish().unwrap();
    assert_eq!(df.height(), expected);
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert_eq!(names, vec!["time", "source", "kind", "what", "detail"]);
    assert!(matches!(
        df.column("time").unwrap().dtype(),
        DataType::Datetime(_, _)
    ));
}

#[test]
fn parquet_needs_an_output_file() {
    let r = run(window_args(&["--format", "parquet"]));
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("-o"), "{}", r.stderr);
}

/// A folder with evidence files of its own beside a sub-folder (the probe exports beside
/// `pingdom/`) is one unit of the partitioned dataset: its own files are not dropped for the
/// sub-folder's.
#[test]
fn partition_keeps_a_folders_own_files_beside_its_subfolders() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("ds");
    let folder =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/aug15-probe-exports");
    let said = crate::common::run_ok([
        "timeline",
        &crate::common::arg(&folder),
        "--input-tz",
        "America/Los_Angeles",
        "-q",
        "--format",
        "parquet",
        "--partition",
        "-o",
        &crate::common::arg(&out),
    ]);
    assert!(said.contains("timeline entries written"), "{said}");
    let mut hosts: Vec<String> = std::fs::read_dir(&out)
        .expect("dataset")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    hosts.sort();
    // One unit, named after the folder (no event names a computer), not after `pingdom/` alone.
    assert_eq!(hosts, ["host=aug15-probe-exports"]);
}
