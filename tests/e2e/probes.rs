//! End-to-end tests of `faultline probes` on the aug15 fixtures: every window against the story,
//! the gap, the blip, local times, JSON and CSV output, and a damaged export.
use crate::common;

use chrono::{DateTime, Utc};
use common::{arg, aug15, run, run_ok};
use faultline::model::rfc3339;
use faultline::synth::story::{self, StoryWindow};
use serde_json::Value;

fn json(args: &[&str]) -> Value {
    let mut all = vec!["probes", "--format", "json"];
    all.extend_from_slice(args);
    let out = run_ok(all);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("bad JSON ({e}):\n{out}"))
}

fn z(t: DateTime<Utc>) -> String {
    rfc3339(&t)
}

fn aug15_dir() -> String {
    arg(&aug15(""))
}

/// (kind, window, probes that failed in it)
fn story_windows() -> Vec<(&'static str, StoryWindow, Vec<&'static str>)> {
    let all = vec!["local-sipsvr01", "us-west", "us-east", "eu-central"];
    vec![
        ("service", story::outage_aug08(), all.clone()),
        (
            "network",
            story::network_aug11(),
            story::NETWORK_PROBES.to_vec(),
        ),
        (
            "partial",
            story::partial_aug12(),
            vec![story::PARTIAL_PROBE],
        ),
        ("service", story::outage_aug15(), all),
    ]
}

#[test]
fn every_window_has_the_story_kind_start_recovery_and_duration() {
    let v = json(&[&aug15_dir()]);
    let outages = v["outages"].as_array().unwrap();
    let want = story_windows();
    assert_eq!(outages.len(), want.len(), "{outages:#?}");
    for (o, (kind, w, failed)) in outages.iter().zip(want) {
        let minutes = (w.recovered_at - w.first_failure).num_minutes() as u64;
        assert_eq!(o["kind"], kind, "{o}");
        assert_eq!(o["start"], z(w.first_failure));
        assert_eq!(o["last_failure"], z(w.last_failure));
        assert_eq!(o["recovered_at"], z(w.recovered_at));
        assert_eq!(
            o["duration_seconds"],
            (w.recovered_at - w.first_failure).num_seconds()
        );
        for p in o["probes"].as_array().unwrap() {
            let name = p["probe"].as_str().unwrap();
            assert_eq!(
                p["checks"], minutes,
                "{name} checks every minute of the window"
            );
            if failed.contains(&name) {
                assert_eq!(p["failures"], minutes, "{name} failed throughout");
                assert_eq!(p["first_failure"], z(w.first_failure));
                assert_eq!(p["last_failure"], z(w.last_failure));
                assert_eq!(p["recovered_at"], z(w.recovered_at));
            } else {
                assert_eq!(p["failures"], 0, "{name} answered");
            }
            assert_eq!(p["unknown_seconds"], 0);
        }
    }
    assert_eq!(v["skipped_rows"], 0);
}

#[test]
fn the_big_outage_is_ninety_minutes_and_the_local_probe_is_found_by_name() {
    let v = json(&[&aug15_dir()]);
    let big = &v["outages"][3];
    assert_eq!(big["duration_seconds"], 90 * 60);
    let local: Vec<&Value> = v["probes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["local"] == true)
        .collect();
    assert_eq!(local.len(), 1);
    assert_eq!(local[0]["name"], story::LOCAL_PROBE);
}

#[test]
fn the_gap_stays_unknown() {
    let v = json(&[&aug15_dir()]);
    let (from, to) = story::gap_aug14();
    let east = v["probes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == story::GAP_PROBE)
        .unwrap();
    let gap_secs = (to - from).num_seconds();
    assert_eq!(east["unknown_seconds"], gap_secs);
    assert_eq!(east["unknown"][0]["start"], z(from));
    assert_eq!(east["unknown"][0]["end"], z(to));
    assert_eq!(
        east["checks"],
        11 * 1440 - gap_secs / 60,
        "no rows in the gap"
    );
    // Neither up nor down: the probe's up + down time leaves the gap out.
    let covered = (story::probes_end() - story::probes_start()).num_seconds();
    let up = east["up_seconds"].as_i64().unwrap();
    let down = east["down_seconds"].as_i64().unwrap();
    assert_eq!(up + down, covered - gap_secs);
    // No window in the gap, and the transitions say unknown, then up again at its end.
    for o in v["outages"].as_array().unwrap() {
        let start = o["start"].as_str().unwrap();
        assert!(start < z(from).as_str() || start >= z(to).as_str());
    }
    let east_states: Vec<(&str, &str)> = v["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["probe"] == story::GAP_PROBE)
        .map(|t| (t["time"].as_str().unwrap(), t["state"].as_str().unwrap()))
        .filter(|(t, _)| *t >= z(from).as_str() && *t <= z(to).as_str())
        .collect();
    assert_eq!(
        east_states,
        [(z(from).as_str(), "unknown"), (z(to).as_str(), "up")]
    );
}

#[test]
fn the_lone_failure_is_a_blip_not_an_outage() {
    let v = json(&[&aug15_dir()]);
    let blips = v["blips"].as_array().unwrap();
    assert_eq!(blips.len(), 1, "{blips:#?}");
    assert_eq!(blips[0]["probe"], story::BLIP_PROBE);
    assert_eq!(blips[0]["start"], z(story::blip_aug13()));
    assert_eq!(blips[0]["failures"], 1);
    let day = &z(story::blip_aug13())[..10];
    assert!(v["outages"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| !o["start"].as_str().unwrap().starts_with(day)));
    // With --min-failures 1 it becomes a (partial) window.
    let v = json(&[&aug15_dir(), "--min-failures", "1"]);
    assert_eq!(v["blips"].as_array().unwrap().len(), 0);
    assert!(v["outages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["start"] == z(story::blip_aug13()) && o["kind"] == "partial"));
}

#[test]
fn the_local_time_file_is_converted_to_utc() {
    // checked_at carries -07:00 (PDT): 16:58 on 15 Aug is 23:58Z.
    let v = json(&[&arg(&aug15("local-sipsvr01.csv"))]);
    let p = &v["probes"][0];
    assert_eq!(p["name"], story::LOCAL_PROBE);
    assert_eq!(p["first_check"], z(story::probes_start()));
    assert_eq!(p["first_check"], "2011-08-06T07:00:00Z");
    assert_eq!(v["outages"][1]["start"], "2011-08-15T23:58:00Z");
    assert_eq!(
        v["outages"][1]["start"],
        z(story::outage_aug15().first_failure)
    );
}

#[test]
fn zone_less_summer_times_are_read_in_input_tz() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("naive.csv");
    std::fs::write(
        &path,
        "time,status\n2011-08-15 16:58:00,up\n2011-08-15 16:59:00,down\n2011-08-15 17:00:00,down\n2011-08-15 17:01:00,up\n",
    )
    .unwrap();
    let r = run([
        "probes",
        "--format",
        "json",
        "--input-tz",
        "America/Los_Angeles",
        &arg(&path),
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr.contains("read as America/Los_Angeles"),
        "{}",
        r.stderr
    );
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["outages"][0]["last_failure"], "2011-08-16T00:00:00Z");
    assert_eq!(v["outages"][0]["start"], "2011-08-15T23:59:00Z");
    let note = v["notes"][0].as_str().unwrap();
    assert!(note.contains("read as America/Los_Angeles"), "{note}");
    let table = run_ok(["probes", "--input-tz", "America/Los_Angeles", &arg(&path)]);
    assert!(
        table.contains("times without zone read as America/Los_Angeles"),
        "{table}"
    );
}

#[test]
fn csv_output_parses_with_times_in_the_display_zone() {
    let out = run_ok([
        "probes",
        "--format",
        "csv",
        "--tz",
        "America/Los_Angeles",
        &aug15_dir(),
    ]);
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header[..5],
        [
            "kind",
            "start",
            "last_failure",
            "recovered_at",
            "duration_seconds"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let kinds: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    assert_eq!(kinds, ["service", "network", "partial", "service", "blip"]);
    assert_eq!(&rows[3][1], "2011-08-15T16:58:00-07:00");
    assert_eq!(&rows[3][3], "2011-08-15T18:28:00-07:00");
    assert_eq!(&rows[3][4], "5400");
    assert_eq!(&rows[1][5], "us-east 15/15;eu-central 15/15");
    assert_eq!(&rows[4][5], story::BLIP_PROBE);
}

#[test]
fn table_output_names_the_zone_and_each_window() {
    let out = run_ok(["probes", "--tz", "America/Los_Angeles", &aug15_dir()]);
    assert!(out.contains("times in America/Los_Angeles"));
    assert!(out.contains("2011-08-15 16:58:00 PDT"));
    for kind in ["service", "network", "partial"] {
        assert!(out.contains(kind), "{kind}\n{out}");
    }
    assert!(out.contains("1h 30m"));
}

#[test]
fn without_the_local_probe_all_remote_windows_are_unclassified() {
    let v = json(&[&arg(&aug15("probes_remote.csv"))]);
    let kinds: Vec<&str> = v["outages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["unclassified", "unclassified", "partial", "unclassified"]
    );
    // Naming us-west as local turns 11 Aug into a network window.
    let v = json(&[&arg(&aug15("probes_remote.csv")), "--local", "us-west"]);
    assert_eq!(v["outages"][1]["kind"], "network");
}

#[test]
fn an_unknown_local_probe_is_an_error_naming_the_probes() {
    let r = run(["probes", "--local", "nope", &aug15_dir()]);
    assert_eq!(r.code, Some(2));
    assert!(
        r.stderr.contains("nope") && r.stderr.contains("us-west"),
        "{}",
        r.stderr
    );
}

#[test]
fn explain_says_what_was_detected_and_why() {
    let out = run_ok([
        "probes",
        "--explain",
        &arg(&aug15("local-sipsvr01.csv")),
        &arg(&aug15("probes_remote.csv")),
    ]);
    assert!(out.contains("\"checked_at\" (by its name)"), "{out}");
    assert!(
        out.contains("\"latency_s\" (by its name), unit s (from its name); decides each check"),
        "{out}"
    );
    assert!(
        out.contains("one probe named \"local-sipsvr01\" after the file"),
        "{out}"
    );
    assert!(
        out.contains("\"monitor\" (by its name): 3 probe(s): us-west, us-east, eu-central"),
        "{out}"
    );
    assert!(
        out.contains(
            "\"response_time_ms\" (by its name), unit ms (from its name); kept for information"
        ),
        "{out}"
    );
    assert!(out.contains("times carry their zone"));
}

#[test]
fn a_damaged_export_is_read_with_skipped_rows_counted_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged.csv");
    std::fs::write(
        &path,
        "timestamp,monitor,status,response_time_ms\n\
         2011-08-15T23:57:00Z,us-west,up,40\n\
         2011-08-15T23:58:00Z,us-west\n\
         not-a-time,us-west,down,15000\n\
         2011-08-15T23:59:00Z,us-west,down,15000,extra,fields\n\
         2011-08-16T00:00:00Z,us-west,down,15000\n\
         2011-08-16T00:01:00Z,us-west,up,41\n",
    )
    .unwrap();
    let r = run(["probes", "--format", "json", &arg(&path)]);
    assert_eq!(
        r.code,
        Some(0),
        "skipped rows are not fatal without --strict: {}",
        r.stderr
    );
    assert!(
        r.stderr.contains("line 3: no status and no latency"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("line 4: cannot read time \"not-a-time\""),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("4 read, 2 skipped"), "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["skipped_rows"], 2);
    assert_eq!(v["inputs"][0]["records_skipped"], 2);
    // The long row was read (extra fields dropped): the window is 23:59 .. 00:01.
    assert_eq!(v["outages"][0]["start"], "2011-08-15T23:59:00Z");
    assert_eq!(v["outages"][0]["recovered_at"], "2011-08-16T00:01:00Z");
    let strict = run(["--strict", "probes", "--format", "json", &arg(&path)]);
    assert_eq!(strict.code, Some(1));
}

#[test]
fn an_unusable_file_is_reported_and_the_rest_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "host,status\nsip,up\n").unwrap();
    let r = run([
        "probes",
        "--format",
        "json",
        &arg(&bad),
        &arg(&aug15("probes_remote.csv")),
    ]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("no time column"), "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["outages"].as_array().unwrap().len(), 4);
}

#[test]
fn the_committed_probe_fixtures_are_what_the_generator_writes() {
    let dir = tempfile::tempdir().unwrap();
    faultline::synth::probes::write_probe_fixtures(dir.path()).unwrap();
    for name in [
        faultline::synth::probes::REMOTE_FILE.to_string(),
        faultline::synth::probes::local_file(),
    ] {
        let fresh = std::fs::read(dir.path().join(&name)).unwrap();
        let committed = std::fs::read(aug15(&name)).unwrap();
        assert!(
            fresh == committed,
            "{name} differs from the generator's output: regenerate it"
        );
    }
}

/// Writes `text` to a new temporary file named `name`; the folder lives as long as the guard.
fn temp_csv(name: &str, text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write");
    (dir, path)
}

/// A probe export in local time through the night of 6 Nov 2011, when Los Angeles repeated
/// 01:00-01:59 (PDT, then PST): the second pass of that hour keeps its checks, and an outage
/// inside it is seen at its true time (01:00 PST = 09:00 UTC).
#[test]
fn checks_in_the_repeated_hour_of_a_dst_fall_back_are_all_kept() {
    let mut rows = vec!["time,probe,status".to_string()];
    let mut at = |hhmm: &str, status: &str| rows.push(format!("2011-11-06 {hhmm}:00,web,{status}"));
    for t in [
        "00:00", "00:15", "00:30", "00:45", "01:00", "01:15", "01:30", "01:45",
    ] {
        at(t, "up");
    }
    for t in ["01:00", "01:15", "01:30", "01:45"] {
        at(t, "down"); // the second 01:xx, in PST
    }
    for t in ["02:00", "02:15", "02:30", "02:45", "03:00"] {
        at(t, "up");
    }
    let (_dir, path) = temp_csv("fallback.csv", &(rows.join("\n") + "\n"));
    let r = run([
        "probes",
        &arg(&path),
        "--input-tz",
        "America/Los_Angeles",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(v["probes"][0]["checks"], 17, "{}", r.stdout);
    assert_eq!(v["inputs"][0]["records_skipped"], 0);
    let outages = v["outages"].as_array().expect("outages");
    assert_eq!(outages.len(), 1, "{}", r.stdout);
    assert_eq!(outages[0]["start"], "2011-11-06T09:00:00Z");
    assert_eq!(outages[0]["last_failure"], "2011-11-06T09:45:00Z");
    // The note says which times were read as the second pass.
    let notes = v["notes"].to_string();
    assert!(notes.contains("4 as its second"), "{notes}");
}

/// A newest-first export across the same night: the order runs backwards, and still every
/// check is kept.
#[test]
fn a_newest_first_export_across_a_fall_back_keeps_every_check() {
    let mut rows = vec!["time,probe,status".to_string()];
    for t in ["02:00", "01:30", "01:00", "01:30", "01:00", "00:30"] {
        rows.push(format!("2011-11-06 {t}:00,web,up"));
    }
    let (_dir, path) = temp_csv("newest_first.csv", &(rows.join("\n") + "\n"));
    let v = json(&[&arg(&path), "--input-tz", "America/Los_Angeles"]);
    assert_eq!(v["probes"][0]["checks"], 6, "{v}");
    assert_eq!(v["probes"][0]["first_check"], "2011-11-06T07:30:00Z");
    assert_eq!(v["probes"][0]["last_check"], "2011-11-06T10:00:00Z");
}

/// Two rows of one probe at the same time are one check: the other is counted as skipped and
/// said, never dropped in silence.
#[test]
fn duplicate_checks_are_counted_as_skipped() {
    let text = "time,probe,status\n2011-08-15T10:00:00Z,web,up\n2011-08-15T10:00:00Z,web,up\n2011-08-15T10:01:00Z,web,up\n";
    let (_dir, path) = temp_csv("dups.csv", text);
    let v = json(&[&arg(&path)]);
    assert_eq!(v["probes"][0]["checks"], 2);
    assert_eq!(v["inputs"][0]["records_read"], 2);
    assert_eq!(v["inputs"][0]["records_skipped"], 1);
    assert!(v["inputs"][0]["problems"][0]
        .as_str()
        .is_some_and(|p| p.contains("duplicates")));
}

/// A row whose columns in use are all empty is skipped and counted, not passed over.
#[test]
fn a_row_with_empty_used_columns_is_counted() {
    let text = "time,probe,status,comment\n2011-08-15T10:00:00Z,web,up,\n,,,only a comment\n2011-08-15T10:01:00Z,web,up,\n";
    let (_dir, path) = temp_csv("blank.csv", text);
    let v = json(&[&arg(&path)]);
    assert_eq!(v["inputs"][0]["records_read"], 2);
    assert_eq!(v["inputs"][0]["records_skipped"], 1, "{v}");
}

/// One monitor checking three targets (an Uptime Kuma database): windows are found per target, so
/// the database down alone is its own window of its own target, not a "partial outage" of the
/// others; all three down together are three windows at the same time.
#[test]
fn windows_are_found_per_target() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("kuma.db");
    let monitors = [
        ("SIP", "https://sip.example/"),
        ("Web", "https://www.example/"),
        ("MySQL", "mysql://db.example:3306"),
    ];
    // A check a minute from 10:00 to 10:59 for each; all down 10:10-10:14; MySQL alone down
    // 10:40-10:44.
    let times: Vec<String> = (0..60)
        .map(|m| format!("2011-08-15 10:{m:02}:00"))
        .collect();
    let mut beats = Vec::new();
    for (m, time) in times.iter().enumerate() {
        for target in 0..3usize {
            let down = (10..15).contains(&m) || (target == 2 && (40..45).contains(&m));
            beats.push((target, time.as_str(), i64::from(!down), Some(20), ""));
        }
    }
    faultline::source::probes::kuma::write_kuma_db(&db, &monitors, &beats).expect("db");
    let v = json(&[&arg(&db)]);
    let windows: Vec<(String, String)> = v["outages"]
        .as_array()
        .expect("outages")
        .iter()
        .map(|o| {
            (
                o["target"].as_str().unwrap_or("-").to_string(),
                o["start"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let at = |t: &str, s: &str| (t.to_string(), format!("2011-08-15T10:{s}:00Z"));
    assert_eq!(
        windows,
        [
            at("MySQL", "10"),
            at("SIP", "10"),
            at("Web", "10"),
            at("MySQL", "40")
        ],
        "{v}"
    );
    // No window mixes targets, and none is called partial.
    for o in v["outages"].as_array().expect("outages") {
        assert_ne!(o["kind"], "partial", "{o}");
        assert_eq!(o["probes"].as_array().map(Vec::len), Some(1), "{o}");
    }
    assert_eq!(v["probes"][0]["target"], "SIP");
}
