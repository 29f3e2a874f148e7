//! The several-hosts scenario (`faultline synth --hosts 3 fixtures/hosts`): each host's System
//! log alone tells its downtime; a planned restart, an unclean crash dated by an en-GB 6008, a VM
//! clock correction and a crash shared by three hosts. The facts are the scenario's story as
//! `src/synth/hosts.rs` tells it in its opening comment.
use crate::common::{arg, run_ok};
use serde_json::Value;
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/hosts")
}

fn report() -> Value {
    let out = run_ok([
        "report",
        &arg(&fixtures()),
        "--input-tz",
        "Europe/London",
        "--format",
        "json",
        "-q",
    ]);
    serde_json::from_str(&out).expect("JSON")
}

#[test]
fn synth_hosts_gives_the_committed_bytes() {
    let dir = tempfile::tempdir().unwrap();
    run_ok(["synth", "--hosts", "3", &arg(dir.path())]);
    for host in ["WEB01", "DB01", "HOST003"] {
        let written = std::fs::read(dir.path().join(host).join("System.evtx")).unwrap();
        let committed = std::fs::read(fixtures().join(host).join("System.evtx")).unwrap();
        assert!(
            written == committed,
            "{host} differs: run `cargo run -- synth --hosts 3 fixtures/hosts`"
        );
    }
}

/// Each host counts every record of its own log (python-evtx: WEB01 158, DB01 and HOST003 147),
/// though the report reads only the story and what lies near the downtime.
#[test]
fn each_host_counts_the_records_of_its_log() {
    let r = report();
    let got: Vec<(String, u64)> = r["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["name"].as_str().unwrap().to_string(),
                h["events"].as_u64().unwrap(),
            )
        })
        .collect();
    let want = [("DB01", 147), ("HOST003", 147), ("WEB01", 158)];
    assert_eq!(got.len(), want.len(), "{got:?}");
    for (name, records) in want {
        assert!(
            got.contains(&(name.to_string(), records)),
            "{name}: {got:?}"
        );
    }
}

#[test]
fn each_host_has_its_own_downtime_and_nature() {
    let r = report();
    let got: Vec<(String, String, String, String)> = r["downtime"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["host"].as_str().unwrap().to_string(),
                d["nature"].as_str().unwrap().to_string(),
                d["down_at"].as_str().unwrap().to_string(),
                d["up_at"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = [
        (
            "WEB01",
            "planned",
            "2011-08-20T02:00:30Z",
            "2011-08-20T02:01:40Z",
        ),
        // The 6008 says "11:15:00" "20/08/2011": BST, day first.
        (
            "WEB01",
            "crash",
            "2011-08-20T10:15:00Z",
            "2011-08-20T10:19:40Z",
        ),
        (
            "DB01",
            "crash",
            "2011-08-20T10:16:00Z",
            "2011-08-20T10:22:00Z",
        ),
        (
            "HOST003",
            "crash",
            "2011-08-20T10:16:00Z",
            "2011-08-20T10:22:00Z",
        ),
        // Booted with the clock 3 h ahead: the boot is where the correction puts it.
        (
            "WEB01",
            "planned",
            "2011-08-20T15:58:20Z",
            "2011-08-20T15:59:40Z",
        ),
    ];
    let want: Vec<(String, String, String, String)> = want
        .iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
        .collect();
    assert_eq!(got, want);
}

/// Read without `--input-tz`, WEB01's 6008 "11:15:00" is 11:15 UTC, after the boot it preceded
/// (StartTime 10:19:40): the zone is wrong, not the clock, so the crash is dated by the last
/// record before the boot (10:14:50) and the evidence asks for `--input-tz`.
#[test]
fn a_6008_stated_after_its_boot_asks_for_the_zone() {
    let out = run_ok(["report", &arg(&fixtures()), "--format", "json", "-q"]);
    let r: Value = serde_json::from_str(&out).expect("JSON");
    let crash = r["downtime"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["host"] == "WEB01" && d["nature"] == "crash")
        .expect("WEB01's crash");
    assert_eq!(crash["down_at"], "2011-08-20T10:14:50Z");
    assert_eq!(crash["up_at"], "2011-08-20T10:19:40Z");
    assert_eq!(crash["duration_seconds"], 290);
    let says = crash["evidence"].to_string();
    assert!(
        says.contains("2011-08-20 11:15:00 UTC, is after the boot"),
        "{says}"
    );
    assert!(says.contains("--input-tz"), "{says}");
}

#[test]
fn the_clock_correction_is_found_and_applied() {
    let r = report();
    let steps = r["clock_changes"].as_array().unwrap();
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert_eq!(steps[0]["host"], "WEB01");
    assert_eq!(steps[0]["delta_seconds"], -3 * 3600);
    assert_eq!(steps[0]["verdict"], "ahead-since-boot");
    // 6009, 6005, Kernel-General 12 and one 7036 were written before the correction.
    assert_eq!(steps[0]["corrected_events"], 4);
    assert_eq!(r["data_quality"]["corrected_event_times"], 4);
}

#[test]
fn hosts_are_told_apart_and_the_shared_crash_is_one_overlap() {
    let r = report();
    let names: Vec<&str> = r["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["DB01", "HOST003", "WEB01"]);
    let overlaps = r["overlaps"].as_array().unwrap();
    assert_eq!(overlaps.len(), 1, "{overlaps:?}");
    assert_eq!(overlaps[0]["from"], "2011-08-20T10:16:00Z");
    assert_eq!(overlaps[0]["to"], "2011-08-20T10:19:40Z");
    assert_eq!(overlaps[0]["hosts"].as_array().unwrap().len(), 3);
    let md = run_ok([
        "report",
        &arg(&fixtures()),
        "--input-tz",
        "Europe/London",
        "-q",
    ]);
    assert!(
        md.starts_with("# Outage report (draft): 3 hosts,"),
        "{}",
        &md[..80]
    );
    assert!(md.contains("3 hosts were down together"), "overlap said");
    assert!(md.contains("## Hosts"));
}

#[test]
fn the_timeline_says_which_times_were_corrected() {
    let out = run_ok([
        "timeline",
        &arg(&fixtures().join("WEB01")),
        "--format",
        "jsonl",
        "-q",
    ]);
    let rows = crate::common::jsonl(&out);
    let corrected: Vec<&Value> = rows
        .iter()
        .filter(|r| {
            r["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("time corrected")
        })
        .collect();
    assert_eq!(corrected.len(), 4);
    // The 6005 written at 19:00:00 by the clock 3 h ahead is placed at 16:00:00.
    let boot = corrected
        .iter()
        .find(|r| r["what"].as_str().unwrap().starts_with("EventLog 6005"))
        .unwrap();
    assert_eq!(boot["time"], "2011-08-20T16:00:00Z");
    assert!(boot["detail"]
        .as_str()
        .unwrap()
        .contains("2011-08-20T19:00:00Z"));
    assert!(rows.iter().any(|r| r["source"] == "clock"));
}

#[test]
fn the_fleet_dataset_is_partitioned_by_host_and_date_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path().join("ds");
    let said = run_ok([
        "timeline",
        &arg(&fixtures()),
        "--format",
        "parquet",
        "--partition",
        "-o",
        &arg(&ds),
        "-q",
    ]);
    assert!(said.contains("written to 3 parquet files"), "{said}");
    for host in ["WEB01", "DB01", "HOST003"] {
        let part = ds
            .join(format!("host={host}"))
            .join("date=2011-08-20")
            .join("part-0.parquet");
        let bytes = std::fs::read(&part).unwrap_or_else(|e| panic!("{}: {e}", part.display()));
        assert_eq!(&bytes[..4], b"PAR1", "{}", part.display());
    }
    let again = crate::common::run([
        "timeline",
        &arg(&fixtures()),
        "--format",
        "parquet",
        "--partition",
        "-o",
        &arg(&ds),
    ]);
    assert_ne!(again.code, Some(0));
    assert!(
        again.stderr.contains("must be new or empty"),
        "{}",
        again.stderr
    );
}

/// The report's JSON with its data-quality notes taken out (and returned).
fn without_notes(mut v: Value) -> (Value, Vec<String>) {
    let notes = v["data_quality"]["notes"].take();
    let notes = notes
        .as_array()
        .map(|n| {
            n.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    (v, notes)
}

/// A folder of host folders is read a host at a time (memory holds one host's events) and says
/// so; what it reports is what reading the same folders together reports, the windows of several
/// hosts at once included.
#[test]
fn a_fleet_folder_read_a_host_at_a_time_reports_what_a_whole_read_does() {
    let (fleet, fleet_notes) = without_notes(report());
    let mut whole_args = vec!["report".to_string()];
    for host in ["DB01", "HOST003", "WEB01"] {
        whole_args.push(arg(&fixtures().join(host)));
    }
    whole_args.extend(["--input-tz", "Europe/London", "--format", "json", "-q"].map(String::from));
    let whole: Value = serde_json::from_str(&run_ok(&whole_args)).expect("JSON");
    let (whole, whole_notes) = without_notes(whole);
    assert_eq!(fleet, whole);
    assert!(!fleet["overlaps"].as_array().expect("overlaps").is_empty());
    assert!(
        fleet_notes
            .iter()
            .any(|n| n.starts_with("Read as a fleet: 3 host folders, one at a time")),
        "{fleet_notes:?}"
    );
    assert!(!whole_notes.iter().any(|n| n.contains("fleet")));
}

/// Folders that are not one host each (here one server's System and Application logs in two
/// folders) are read together: a host's story is only whole read as one.
#[test]
fn folders_sharing_a_host_are_read_together() {
    let dir = tempfile::tempdir().expect("tempdir");
    let aug15 = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/aug15");
    for (sub, log) in [
        ("system", "System.evtx"),
        ("application", "Application.evtx"),
    ] {
        std::fs::create_dir_all(dir.path().join(sub)).expect("mkdir");
        std::fs::copy(aug15.join(log), dir.path().join(sub).join(log)).expect("copy");
    }
    let r = crate::common::run(["report", &arg(dir.path()), "--format", "json"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr.contains("host SIPSVR01 is in") && r.stderr.contains("read together"),
        "{}",
        r.stderr
    );
    let v: Value = serde_json::from_str(&r.stdout).expect("JSON");
    let (_, notes) = without_notes(v.clone());
    assert!(!notes.iter().any(|n| n.contains("fleet")), "{notes:?}");
    // One host, its 15 Aug events attributed as when both logs sit in one folder.
    assert_eq!(v["hosts"].as_array().expect("hosts").len(), 1);
    let events: u64 = v["hosts"][0]["events"].as_u64().expect("events");
    assert_eq!(events, 480);
}

/// A folder of folders that hold several hosts each (logs of many computers side by side) is
/// read together, as before: only a folder per host is read a host at a time.
#[test]
fn folders_of_several_hosts_each_are_read_together() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (sub, hosts) in [
        ("web", ["WEB01", "DB01"]),
        ("other", ["HOST003", "HOST003"]),
    ] {
        for host in hosts {
            let to = dir.path().join(sub).join(host);
            std::fs::create_dir_all(&to).expect("mkdir");
            std::fs::copy(
                fixtures().join(host).join("System.evtx"),
                to.join("System.evtx"),
            )
            .expect("copy");
        }
    }
    let r = crate::common::run(["report", &arg(dir.path()), "--format", "json"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("2 hosts, not one: the folders are read together"),
        "{}",
        r.stderr
    );
    let v: Value = serde_json::from_str(&r.stdout).expect("JSON");
    let (_, notes) = without_notes(v.clone());
    assert!(!notes.iter().any(|n| n.contains("fleet")), "{notes:?}");
    assert_eq!(v["hosts"].as_array().expect("hosts").len(), 3);
}
