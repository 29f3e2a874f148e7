//! End-to-end tests of the state-change exports in `fixtures/aug15-probe-exports`: every format
//! of the aug15 story gives the windows of the scenario's probe CSVs (exact to the second at the
//! state edges), maintenance is planned, the Nagios SOFT flap is a blip, unknown words are named.
//! The expected runs are read from the scenario's CSVs here, by hand, not from faultline.
use crate::common;

use chrono::{DateTime, NaiveDateTime, Utc};
use common::{arg, aug15, run, run_ok};
use faultline::model::rfc3339;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn exports(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/aug15-probe-exports")
        .join(name)
}

fn json(args: &[&str]) -> Value {
    let mut all = vec!["probes", "--format", "json"];
    all.extend_from_slice(args);
    let out = run_ok(all);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("bad JSON ({e}):\n{out}"))
}

/// A failure run of one probe: first failed check, first good check after it, failed checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RunOf {
    start: DateTime<Utc>,
    recovered: DateTime<Utc>,
    failures: usize,
}

/// Every probe's checks from the scenario's two CSVs, read by hand: the remote export's
/// `timestamp,monitor,status,...` and the on-box `checked_at,latency_s` (empty or the 15 s
/// timeout: failed).
fn scenario_checks() -> BTreeMap<String, Vec<(DateTime<Utc>, bool)>> {
    let mut out: BTreeMap<String, Vec<(DateTime<Utc>, bool)>> = BTreeMap::new();
    let remote = std::fs::read_to_string(aug15("probes_remote.csv")).expect("remote csv");
    for line in remote.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let t = DateTime::parse_from_rfc3339(f[0])
            .expect("time")
            .with_timezone(&Utc);
        out.entry(f[1].to_string())
            .or_default()
            .push((t, f[2] == "up"));
    }
    let local = std::fs::read_to_string(aug15("local-sipsvr01.csv")).expect("local csv");
    for line in local.lines().skip(1) {
        let (time, latency) = line.split_once(',').expect("two cells");
        let t = DateTime::parse_from_rfc3339(time)
            .expect("time")
            .with_timezone(&Utc);
        let ok = latency.parse::<f64>().is_ok_and(|s| s < 15.0);
        out.entry("local-sipsvr01".into())
            .or_default()
            .push((t, ok));
    }
    out
}

/// Failure runs of each probe (a run ends at the next good check).
fn scenario_runs() -> BTreeMap<String, Vec<RunOf>> {
    scenario_checks()
        .into_iter()
        .map(|(probe, checks)| {
            let mut runs = Vec::new();
            let mut open: Option<(DateTime<Utc>, usize)> = None;
            for (t, ok) in checks {
                match (ok, open) {
                    (false, None) => open = Some((t, 1)),
                    (false, Some((s, n))) => open = Some((s, n + 1)),
                    (true, Some((start, failures))) => {
                        runs.push(RunOf {
                            start,
                            recovered: t,
                            failures,
                        });
                        open = None;
                    }
                    (true, None) => {}
                }
            }
            (probe, runs)
        })
        .collect()
}

fn z(t: DateTime<Utc>) -> String {
    rfc3339(&t)
}

/// (start, recovered_at) of the windows of the target whose name contains `probe`.
fn windows_of(v: &Value, probe: &str) -> Vec<(String, String)> {
    v["outages"]
        .as_array()
        .expect("outages")
        .iter()
        .filter(|o| o["target"].as_str().is_some_and(|t| t.ends_with(probe)))
        .map(|o| {
            (
                o["start"].as_str().unwrap_or("").to_string(),
                o["recovered_at"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// The runs a confirming monitor reports as windows: two failed checks or more.
fn long_runs(runs: &[RunOf]) -> Vec<(String, String)> {
    runs.iter()
        .filter(|r| r.failures >= 2)
        .map(|r| (z(r.start), z(r.recovered)))
        .collect()
}

#[test]
fn the_scenario_has_the_runs_its_readme_tells() {
    // The README's story: four windows of all or some probes, one single-check blip on 13 Aug.
    let runs = scenario_runs();
    assert_eq!(runs.len(), 4);
    let blips: Vec<(&String, &RunOf)> = runs
        .iter()
        .flat_map(|(p, rs)| rs.iter().map(move |r| (p, r)))
        .filter(|(_, r)| r.failures == 1)
        .collect();
    assert_eq!(blips.len(), 1);
    assert_eq!(blips[0].0, "eu-central");
    assert_eq!(z(blips[0].1.start), "2011-08-13T10:17:00Z");
}

/// Each window's kind, start, recovery and duration, in order.
fn kinds_and_edges(v: &Value) -> Vec<(String, String, String, i64)> {
    v["outages"]
        .as_array()
        .expect("outages")
        .iter()
        .map(|o| {
            (
                o["kind"].as_str().unwrap_or("").to_string(),
                o["start"].as_str().unwrap_or("").to_string(),
                o["recovered_at"].as_str().unwrap_or("").to_string(),
                o["duration_seconds"].as_i64().unwrap_or(-1),
            )
        })
        .collect()
}

/// Against the hand-read runs: every window starts at the first failed check of its probes and
/// recovers at the last of their recoveries.
fn assert_each_window_follows_the_runs(v: &Value) {
    let runs = scenario_runs();
    for o in v["outages"].as_array().expect("outages") {
        let start = o["start"].as_str().unwrap_or("");
        let failing: Vec<&RunOf> = runs
            .values()
            .flatten()
            .filter(|r| r.failures >= 2 && z(r.start) == start)
            .collect();
        assert!(!failing.is_empty(), "{o}");
        let recovered = failing.iter().map(|r| r.recovered).max().expect("a run");
        assert_eq!(o["recovered_at"], z(recovered));
    }
}

#[test]
fn uptimerobot_csv_gives_the_windows_and_kinds_of_the_scenario_csvs() {
    let robot = json(&[
        "--input-tz",
        "America/Los_Angeles",
        &arg(&exports("uptimerobot-logs.csv")),
    ]);
    let csv = json(&[&arg(&aug15(""))]);
    assert_eq!(kinds_and_edges(&robot), kinds_and_edges(&csv));
    assert_each_window_follows_the_runs(&robot);
    // The us-east gap is a Paused..Started stretch: unknown, not up.
    let east = robot["probes"]
        .as_array()
        .expect("probes")
        .iter()
        .find(|p| p["name"] == "us-east")
        .expect("us-east");
    assert_eq!(east["unknown_seconds"], 7200);
    assert_eq!(robot["inputs"][0]["kind"], "uptimerobot_csv");
}

#[test]
fn nagios_zabbix_and_pingdom_summaries_give_each_probe_its_runs_to_the_second() {
    let runs = scenario_runs();
    for file in ["nagios.log", "zabbix-problems.ndjson", "pingdom/summary"] {
        let v = json(&[&arg(&exports(file))]);
        for (probe, rs) in &runs {
            assert_eq!(windows_of(&v, probe), long_runs(rs), "{file}: {probe}");
        }
        let kinds: Vec<&str> = v["outages"]
            .as_array()
            .expect("outages")
            .iter()
            .filter(|o| {
                o["target"]
                    .as_str()
                    .is_some_and(|t| t.ends_with("local-sipsvr01"))
            })
            .map(|o| o["kind"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(kinds, ["service", "service"], "{file}");
    }
}

#[test]
fn the_nagios_soft_flap_is_a_blip_and_only_nagios_reports_it() {
    let runs = scenario_runs();
    let flap = runs["eu-central"]
        .iter()
        .find(|r| r.failures == 1)
        .copied()
        .expect("the 13 Aug blip");
    let v = json(&[&arg(&exports("nagios.log"))]);
    let blips = v["blips"].as_array().expect("blips");
    assert_eq!(blips.len(), 1, "{blips:#?}");
    assert_eq!(blips[0]["probe"], "SIPSVR01;eu-central");
    assert_eq!(blips[0]["start"], z(flap.start));
    assert_eq!(blips[0]["recovered_at"], z(flap.recovered));
    for file in ["zabbix-problems.ndjson", "pingdom/summary"] {
        let v = json(&[&arg(&exports(file))]);
        assert_eq!(v["blips"].as_array().map(Vec::len), Some(0), "{file}");
    }
}

/// The downtime as the log says it, read by hand: (start, stop) of the backup service.
fn nagios_downtime() -> (String, String, String) {
    let log = std::fs::read_to_string(exports("nagios.log")).expect("log");
    let at = |word: &str| {
        log.lines()
            .find(|l| l.contains("SERVICE DOWNTIME ALERT") && l.contains(word))
            .and_then(|l| l[1..].split_once(']'))
            .and_then(|(s, _)| s.parse::<i64>().ok())
            .and_then(|s| DateTime::from_timestamp(s, 0))
            .map(z)
            .expect("a downtime line")
    };
    let target = log
        .lines()
        .find(|l| l.contains("SERVICE DOWNTIME ALERT"))
        .and_then(|l| l.split_once("ALERT: "))
        .map(|(_, rest)| rest.split(';').take(2).collect::<Vec<_>>().join(";"))
        .expect("target");
    (target, at(";STARTED;"), at(";STOPPED;"))
}

#[test]
fn nagios_downtime_is_maintenance_and_a_failure_inside_it_is_not_an_outage() {
    let (target, start, end) = nagios_downtime();
    let v = json(&[&arg(&exports("nagios.log"))]);
    let m = v["maintenance"].as_array().expect("maintenance");
    assert_eq!(m.len(), 1, "{m:#?}");
    assert_eq!(m[0]["target"], target.as_str());
    assert_eq!(
        (m[0]["start"].as_str(), m[0]["end"].as_str()),
        (Some(start.as_str()), Some(end.as_str()))
    );
    let log = std::fs::read_to_string(exports("nagios.log")).expect("log");
    assert!(
        log.contains(&format!("{target};CRITICAL;HARD")),
        "the fixture fails inside it"
    );
    assert!(v["outages"]
        .as_array()
        .expect("outages")
        .iter()
        .all(|o| o["target"] != target.as_str()));
}

#[test]
fn kuma_maintenance_heartbeats_are_listed_as_maintenance() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("kuma.db");
    let beats: Vec<(usize, String, i64)> = (0..20)
        .map(|m| {
            let status = if (5..10).contains(&m) { 3 } else { 1 };
            (0, format!("2024-03-01 10:{m:02}:00.000"), status)
        })
        .collect();
    let rows: Vec<(usize, &str, i64, Option<i64>, &str)> = beats
        .iter()
        .map(|(i, t, s)| (*i, t.as_str(), *s, Some(20), ""))
        .collect();
    faultline::source::probes::kuma::write_kuma_db(&db, &[("Shop", "https://shop.example")], &rows)
        .expect("db");
    let v = json(&[&arg(&db)]);
    let m = v["maintenance"].as_array().expect("maintenance");
    assert_eq!(m.len(), 1, "{v:#}");
    // First maintenance heartbeat to the first check after the last one.
    assert_eq!(m[0]["start"], "2024-03-01T10:05:00Z");
    assert_eq!(m[0]["end"], "2024-03-01T10:10:00Z");
    assert_eq!(v["outages"].as_array().map(Vec::len), Some(0));
}

#[test]
fn pingdom_results_are_checks_per_probe_and_give_the_15_aug_window() {
    let runs = scenario_runs();
    let aug15 = runs["local-sipsvr01"]
        .iter()
        .rfind(|r| r.failures >= 2)
        .copied()
        .expect("15 Aug");
    let v = json(&[
        "--local",
        "sipsvr01 @ probe 4",
        &arg(&exports("pingdom/results/sipsvr01.json")),
    ]);
    let o = v["outages"].as_array().expect("outages");
    assert_eq!(o.len(), 1, "{o:#?}");
    assert_eq!(o[0]["kind"], "service");
    assert_eq!(
        (o[0]["start"].clone(), o[0]["recovered_at"].clone()),
        (Value::from(z(aug15.start)), Value::from(z(aug15.recovered)))
    );
    let vantages: Vec<&str> = v["probes"]
        .as_array()
        .expect("probes")
        .iter()
        .filter_map(|p| p["vantage"].as_str())
        .collect();
    assert_eq!(vantages, ["probe 1", "probe 2", "probe 3", "probe 4"]);
}

#[test]
fn unknown_words_are_counted_and_named_in_the_notes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let robot = dir.path().join("robot.csv");
    std::fs::write(
        &robot,
        "\"Up\",\"web\",\"15-08-2011 18:28:00\",\"OK\",\"0 hrs, 10 mins\"\n\
         \"Rebooted\",\"web\",\"15-08-2011 18:20:00\",\"?\",\"0 hrs, 8 mins\"\n\
         \"Down\",\"web\",\"15-08-2011 16:58:00\",\"Timeout\",\"1 hrs, 22 mins\"\n",
    )
    .expect("write");
    let nagios = dir.path().join("nagios.log");
    std::fs::write(
        &nagios,
        "[100] SERVICE ALERT: h;s;OK;HARD;1;fine\n[200] SERVICE ALERT: h;s;SMOKING;HARD;1;x\n\
         [300] SERVICE ALERT: h;s;SMOKING;HARD;1;x\n[400] SERVICE NOTIFICATION: a;h;s;x\n",
    )
    .expect("write");
    let v = json(&[&arg(&robot), &arg(&nagios)]);
    let notes: Vec<&str> = v["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        notes.iter().any(|n| n.contains("\"Rebooted\" ×1")),
        "{notes:#?}"
    );
    assert!(
        notes.iter().any(|n| n.contains("\"SMOKING\" ×2")),
        "{notes:#?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("1 lines that are not probe states")),
        "{notes:#?}"
    );
    let skipped: Vec<u64> = v["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|i| i["records_skipped"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(skipped, [1, 2]);
    // The unknown state is not up: Rebooted..Up is unknown time, the Down before it has no up edge.
    let o = &v["outages"].as_array().expect("outages")[0];
    assert_eq!(o["recovered_at"], Value::Null);
}

#[test]
fn a_damaged_export_says_the_file_and_the_record() {
    let dir = tempfile::tempdir().expect("tempdir");
    let zabbix = dir.path().join("problems.ndjson");
    let good = std::fs::read_to_string(exports("zabbix-problems.ndjson")).expect("fixture");
    let mut lines: Vec<&str> = good.lines().collect();
    lines.insert(3, "{\"clock\":12,\"value\":1,\"eventid\":");
    std::fs::write(&zabbix, lines.join("\n")).expect("write");
    let r = run(["probes", "--format", "json", &arg(&zabbix)]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(v["inputs"][0]["records_skipped"], 1);
    assert!(v["inputs"][0]["problems"][0]
        .as_str()
        .is_some_and(|p| p.starts_with("line 4:")));
    let cut = dir.path().join("cut.json");
    let summary = std::fs::read(exports("pingdom/summary/us-west.json")).expect("fixture");
    std::fs::write(&cut, &summary[..summary.len() / 2]).expect("write");
    let r = run(["probes", &arg(&cut)]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.stderr.contains("cut.json") && r.stderr.contains("ends early"),
        "{}",
        r.stderr
    );
}

#[test]
fn explain_says_format_targets_vantages_and_vocabulary() {
    let out = run_ok(["probes", "--explain", &arg(&exports("nagios.log"))]);
    assert!(out.contains("nagios_log"), "{out}");
    assert!(
        out.contains("target SIPSVR01;us-west, vantage not said"),
        "{out}"
    );
    assert!(
        out.contains("vocabulary read:") && out.contains("\"CRITICAL = down\""),
        "{out}"
    );
    let out = run_ok([
        "probes",
        "--explain",
        &arg(&exports("pingdom/results/sipsvr01.json")),
    ]);
    assert!(
        out.contains("pingdom_results") && out.contains("vantage probe 4"),
        "{out}"
    );
}

#[test]
fn synth_writes_the_committed_probe_exports() {
    let dir = tempfile::tempdir().expect("tempdir");
    run_ok(["synth", "--probe-exports", &arg(dir.path())]);
    let names = faultline::synth::probe_exports::file_names();
    assert_eq!(names.len(), 11);
    for name in names {
        let written = std::fs::read(dir.path().join(&name)).expect("written");
        let committed = std::fs::read(exports(&name)).unwrap_or_default();
        assert!(
            written == committed,
            "{name} differs from fixtures/aug15-probe-exports: run `cargo run -- synth --probe-exports fixtures/aug15-probe-exports`"
        );
    }
}

/// A helper the tests above rely on: the hand parser reads what the CSV says.
#[test]
fn the_hand_parser_reads_the_local_probe_timeouts() {
    let checks = scenario_checks();
    let local = &checks["local-sipsvr01"];
    let t = NaiveDateTime::parse_from_str("2011-08-15 23:58:00", "%Y-%m-%d %H:%M:%S")
        .expect("time")
        .and_utc();
    assert_eq!(
        local.iter().find(|(at, _)| *at == t).map(|c| c.1),
        Some(false)
    );
}

#[test]
fn a_nagios_warning_is_shown_and_an_outage_only_with_warning_is_down() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("nagios.log");
    std::fs::write(
        &log,
        "[1313452000] CURRENT SERVICE STATE: web;HTTP;OK;HARD;1;ok\n\
         [1313452683] SERVICE ALERT: web;HTTP;WARNING;HARD;1;slow\n\
         [1313458083] SERVICE ALERT: web;HTTP;OK;HARD;1;ok\n\
         [1313460000] Auto-save of retention data completed successfully.\n",
    )
    .expect("write");
    let shown = json(&[&arg(&log)]);
    assert_eq!(shown["outages"].as_array().map(Vec::len), Some(0));
    assert_eq!(
        shown["probes"][0]["degraded_seconds"],
        1313458083 - 1313452683
    );
    assert!(shown["transitions"]
        .as_array()
        .expect("transitions")
        .iter()
        .any(|t| t["state"] == "degraded"));
    let down = json(&["--warning-is-down", &arg(&log)]);
    let o = &down["outages"][0];
    assert_eq!(
        o["start"],
        z(DateTime::from_timestamp(1313452683, 0).expect("t"))
    );
    assert_eq!(
        o["recovered_at"],
        z(DateTime::from_timestamp(1313458083, 0).expect("t"))
    );
}

/// The API exports are sniffed by content in a folder: UptimeRobot's getMonitors, Better Stack's
/// incidents (state changes) and Datadog's Synthetics results (checks per location).
#[test]
fn api_json_exports_in_a_folder_are_told_apart_by_content() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write =
        |name: &str, text: &str| std::fs::write(dir.path().join(name), text).expect("write");
    // 15 Aug 23:58:00Z down, 16 Aug 01:28:00Z up (the story's big outage), in each shape.
    write(
        "robot.json",
        r#"{"stat":"ok","monitors":[{"id":1,"friendly_name":"sip","url":"https://sip.example/","logs":[
          {"type":2,"datetime":1313458080,"duration":600},{"type":1,"datetime":1313452680,"duration":5400}]}]}"#,
    );
    write(
        "incidents.json",
        r#"{"data":[{"id":"9","type":"incident","attributes":{"name":"sip","url":"https://sip.example/","cause":"Timeout","started_at":"2011-08-15T23:58:00Z","resolved_at":"2011-08-16T01:28:00Z"}}]}"#,
    );
    write(
        "sip-test.json",
        r#"{"results":[
          {"check_time":1313452620000,"probe_dc":"aws:us-west-1","result":{"passed":true,"timings":{"total":80}}},
          {"check_time":1313452680000,"probe_dc":"aws:us-west-1","result":{"passed":false,"timings":{"total":30000}}},
          {"check_time":1313452740000,"probe_dc":"aws:us-west-1","result":{"passed":false,"timings":{"total":30000}}},
          {"check_time":1313458080000,"probe_dc":"aws:us-west-1","result":{"passed":true,"timings":{"total":75}}}]}"#,
    );
    let v = json(&[&arg(dir.path())]);
    let mut kinds: Vec<&str> = v["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .filter_map(|i| i["kind"].as_str())
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "betterstack_incidents",
            "datadog_synthetics",
            "uptimerobot_json"
        ]
    );
    let windows: Vec<(&str, &str)> = v["outages"]
        .as_array()
        .expect("outages")
        .iter()
        .map(|o| {
            (
                o["start"].as_str().unwrap_or(""),
                o["recovered_at"].as_str().unwrap_or(""),
            )
        })
        .collect();
    // Robot's and Better Stack's monitor share a name: one probe (their states merged), one
    // window; Datadog's test is a target of its own.
    let names: Vec<&str> = v["probes"]
        .as_array()
        .expect("probes")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["sip", "sip-test"]);
    assert_eq!(v["probes"][1]["vantage"], "aws:us-west-1");
    assert_eq!(
        windows,
        [
            ("2011-08-15T23:58:00Z", "2011-08-16T01:28:00Z"),
            ("2011-08-15T23:58:00Z", "2011-08-16T01:28:00Z")
        ]
    );
}

/// A report over the event logs and the UptimeRobot export finds, around the 15 Aug window, the
/// events the README tells of (the Event 333 storm: 182 from 16:50 PDT = 23:50Z), as it does with
/// the scenario's probe CSVs: the report reads the events near state intervals too.
#[test]
fn a_report_over_a_state_export_reads_the_events_around_its_windows() {
    let out = run_ok([
        "report",
        "--format",
        "json",
        "--input-tz",
        "America/Los_Angeles",
        &arg(&aug15("System.evtx")),
        &arg(&aug15("Application.evtx")),
        &arg(&exports("uptimerobot-logs.csv")),
    ]);
    let v: Value = serde_json::from_str(&out).expect("json");
    let last = v["outages"]
        .as_array()
        .and_then(|o| o.iter().find(|w| w["start"] == "2011-08-15T23:58:00Z"))
        .expect("the 15 Aug window");
    let storm = last["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["event_id"] == 333)
        .expect("Event 333 around the window");
    assert_eq!(
        (storm["count"].as_u64(), storm["first"].as_str()),
        (Some(182), Some("2011-08-15T23:50:00Z"))
    );
}

/// The Nagios log checks four services of host SIPSVR01 (and a MySQL backup). The scenario's
/// network problem of 11 Aug is us-east and eu-central down together while the others answered;
/// the partial outage of 12 Aug is us-west alone (fixtures/aug15/README.md).
#[test]
fn targets_of_one_host_say_which_were_down_together() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(exports("nagios.log"), dir.path().join("nagios.log")).unwrap();
    let out = run_ok(["report", &arg(dir.path()), "--format", "json", "-q"]);
    let r: Value = serde_json::from_str(&out).expect("report JSON");
    let windows = r["outages"].as_array().unwrap();
    let on = |day: &str, target: &str| {
        windows
            .iter()
            .find(|o| o["start"].as_str().unwrap().starts_with(day) && o["target"] == target)
            .unwrap_or_else(|| panic!("no window of {target} on {day}"))
    };
    let names = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_string())
            .collect()
    };
    let east = &on("2011-08-11", "SIPSVR01;us-east")["shared_host"];
    assert_eq!(east["host"], "sipsvr01");
    assert_eq!(names(&east["down_together"]), ["SIPSVR01;eu-central"]);
    assert!(names(&east["answering"]).contains(&"SIPSVR01;us-west".to_string()));
    let west = &on("2011-08-12", "SIPSVR01;us-west")["shared_host"];
    assert!(names(&west["down_together"]).is_empty());
    let md = run_ok(["report", &arg(dir.path()), "-q"]);
    assert!(
        md.contains("kept answering: this target alone"),
        "markdown says it"
    );
}

/// (target, start, recovered_at, kind) of every window, in the order given.
fn window_keys(v: &Value) -> Vec<(String, String, String, String)> {
    let s = |o: &Value, k: &str| o[k].as_str().unwrap_or("").to_string();
    v["outages"]
        .as_array()
        .expect("outages")
        .iter()
        .map(|o| {
            (
                s(o, "target"),
                s(o, "start"),
                s(o, "recovered_at"),
                s(o, "kind"),
            )
        })
        .collect()
}

/// Zabbix's Problems page CSV (times in the UI user's zone, PDT here) gives the NDJSON's windows,
/// to the second, and the runs read by hand from the scenario; `--explain`, `timeline` and
/// `report` know it by its header.
#[test]
fn zabbix_problems_csv_gives_the_windows_of_the_ndjson() {
    let tz = ["--input-tz", "America/Los_Angeles"];
    let csv = exports("zabbix-problems.csv");
    let v = json(&[tz[0], tz[1], &arg(&csv)]);
    let ndjson = json(&[&arg(&exports("zabbix-problems.ndjson"))]);
    assert_eq!(window_keys(&v), window_keys(&ndjson));
    for (probe, rs) in &scenario_runs() {
        assert_eq!(windows_of(&v, probe), long_runs(rs), "{probe}");
    }
    assert_eq!(v["inputs"][0]["kind"], "zabbix_csv");
    let out = run_ok(["probes", "--explain", tz[0], tz[1], &arg(&csv)]);
    assert!(out.contains("zabbix_csv"), "{out}");
    assert!(out.contains("times read in America/Los_Angeles"), "{out}");
    let out = run_ok(["timeline", tz[0], tz[1], &arg(&csv)]);
    assert!(out.contains("2011-08-15 23:58:00 UTC"), "{out}");
    let out = run_ok(["report", "--format", "json", tz[0], tz[1], &arg(&csv)]);
    let r: Value = serde_json::from_str(&out).expect("report JSON");
    assert_eq!(window_keys(&r).len(), window_keys(&ndjson).len());
}

/// A problem still open when the page was exported (Status PROBLEM, no Recovery time) is down to
/// the end of the file's data, as the NDJSON without its closing line; damaged rows are named.
#[test]
fn an_open_zabbix_problem_runs_to_the_end_in_csv_and_ndjson_alike() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(exports("zabbix-problems.csv")).expect("fixture");
    // The newest row (first after the header): its recovery removed, by hand.
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let newest = lines[1].clone();
    let cells: Vec<&str> = newest.split("\",\"").collect();
    let (start, recovery, problem) = (cells[1], cells[2], cells[5]);
    let mut open = cells.clone();
    open[2] = "";
    open[3] = "PROBLEM";
    lines[1] = open.join("\",\"");
    // And a row the reader cannot place, on line 3.
    lines.insert(
        2,
        "\"High\",\"15/08/2011\",\"\",\"PROBLEM\",\"SIPSVR01\",\"x\",\"\",\"No\",\"\",\"\"".into(),
    );
    let csv = dir.path().join("problems.csv");
    std::fs::write(&csv, lines.join("\n") + "\n").expect("write");
    // The NDJSON's closing line of that problem: the value 0 line of its name at its recovery.
    let zone: chrono_tz::Tz = "America/Los_Angeles".parse().expect("zone");
    let rec = NaiveDateTime::parse_from_str(recovery, "%Y-%m-%d %H:%M:%S")
        .expect("recovery")
        .and_local_timezone(zone)
        .single()
        .expect("one instant")
        .timestamp();
    let nd = std::fs::read_to_string(exports("zabbix-problems.ndjson")).expect("fixture");
    let kept: Vec<&str> = nd
        .lines()
        .filter(|l| {
            !(l.contains("\"value\":0")
                && l.contains(problem)
                && l.contains(&format!("\"clock\":{rec},")))
        })
        .collect();
    assert_eq!(
        kept.len() + 1,
        nd.lines().count(),
        "one closing line removed"
    );
    let ndjson = dir.path().join("problems.ndjson");
    std::fs::write(&ndjson, kept.join("\n") + "\n").expect("write");
    let a = json(&["--input-tz", "America/Los_Angeles", &arg(&csv)]);
    let b = json(&[&arg(&ndjson)]);
    assert_eq!(window_keys(&a), window_keys(&b));
    let started = NaiveDateTime::parse_from_str(start, "%Y-%m-%d %H:%M:%S")
        .expect("start")
        .and_local_timezone(zone)
        .single()
        .expect("one instant")
        .with_timezone(&Utc);
    let unrecovered: Vec<_> = window_keys(&a)
        .into_iter()
        .filter(|w| w.2.is_empty())
        .collect();
    assert_eq!(unrecovered.len(), 1, "{unrecovered:?}");
    assert!(unrecovered[0].0.ends_with(problem), "{unrecovered:?}");
    assert_eq!(unrecovered[0].1, z(started));
    assert_eq!(a["inputs"][0]["records_skipped"], 1);
    assert!(a["inputs"][0]["problems"][0]
        .as_str()
        .is_some_and(|p| p.starts_with("line 3:")));
}

/// A window of state changes says what the states say: the impact table gives when each target
/// went down and came back and its down intervals, not "checks 1 / failed 1", in markdown and
/// HTML alike, and the window's facts and timeline markers use the same words.
#[test]
fn a_state_change_window_says_went_down_and_came_back_not_checks() {
    let runs = scenario_runs();
    let aug15 = runs["local-sipsvr01"]
        .iter()
        .rfind(|r| r.failures >= 2)
        .copied()
        .expect("15 Aug");
    let fmt = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    let log = arg(&exports("nagios.log"));
    let md = run_ok(["report", "-q", &log]);
    let row = md
        .lines()
        .find(|l| l.starts_with("| SIPSVR01;local-sipsvr01 |") && l.contains(&fmt(aug15.start)))
        .unwrap_or_else(|| panic!("no impact row of the 15 Aug window:\n{md}"));
    assert!(row.contains(&fmt(aug15.recovered)), "{row}");
    assert!(row.ends_with("| 1 | - |"), "one down interval: {row}");
    assert!(md
        .contains("| probe | where | went down | last second down | came back | down intervals |"));
    assert!(!md.contains("| checks | failed |"), "{md}");
    assert!(md.contains("- **Went down (the monitor's down edge):**"));
    assert!(md.contains("outage begins: went down (the monitor's down edge)"));
    assert!(!md.contains("- **First failed check"), "{md}");
    assert!(!md.contains("outage begins: first failed check"), "{md}");
    let html = run_ok(["report", "-q", "--format", "html", &log]);
    assert!(html.contains("<th scope=\"col\">came back</th>"));
    assert!(!html.contains("<th scope=\"col\">checks</th>"));
    assert!(html.contains(&fmt(aug15.recovered)));
    // A window of checks keeps its words (the scenario's probe CSVs).
    let csv = run_ok(["report", "-q", &arg(&aug15_dir())]);
    assert!(csv.contains("| checks | failed |") && csv.contains("First failed check"));
}

fn aug15_dir() -> PathBuf {
    aug15("")
}

/// The Nagios log checks four services of SIPSVR01, all down together on 8 and 15 Aug: four
/// windows each day, one outage of the host. Each target's window shows the host's events the
/// README tells of (fixtures/aug15/README.md: Event 333 three times from 21:02Z and MySQL's 7031 at
/// 21:10:30Z on 8 Aug; the storm of 182 from 23:50Z on 15 Aug), not the first window alone; the
/// 11 Aug network windows, days apart, keep none of them; windows down together are not listed
/// as related incidents of each other.
#[test]
fn targets_down_together_each_show_the_hosts_events() {
    let out = run_ok([
        "report",
        "--format",
        "json",
        "-q",
        &arg(&aug15("System.evtx")),
        &arg(&aug15("Application.evtx")),
        &arg(&exports("nagios.log")),
    ]);
    let v: Value = serde_json::from_str(&out).expect("report JSON");
    let windows = v["outages"].as_array().expect("outages");
    let event = |o: &Value, id: u64| -> Option<(u64, String)> {
        o["events"]
            .as_array()?
            .iter()
            .find(|e| e["event_id"] == id)
            .map(|e| {
                (
                    e["count"].as_u64().unwrap_or(0),
                    e["first"].as_str().unwrap_or("").to_string(),
                )
            })
    };
    let on =
        |start: &str| -> Vec<&Value> { windows.iter().filter(|o| o["start"] == start).collect() };
    let aug08 = on("2011-08-08T21:10:00Z");
    assert_eq!(aug08.len(), 4, "the four services down together on 8 Aug");
    for o in &aug08 {
        assert_eq!(
            event(o, 333),
            Some((3, "2011-08-08T21:02:00Z".into())),
            "{}",
            o["target"]
        );
        assert_eq!(
            event(o, 7031).map(|e| e.1),
            Some("2011-08-08T21:10:30Z".into()),
            "{}",
            o["target"]
        );
    }
    let aug15 = on("2011-08-15T23:58:00Z");
    assert_eq!(aug15.len(), 4, "the four services down together on 15 Aug");
    for o in &aug15 {
        assert_eq!(
            event(o, 333),
            Some((182, "2011-08-15T23:50:00Z".into())),
            "{}",
            o["target"]
        );
        let related: Vec<&str> = o["related"]
            .as_array()
            .expect("related")
            .iter()
            .filter_map(|r| r["start"].as_str())
            .collect();
        assert!(!related.contains(&"2011-08-15T23:58:00Z"), "{related:?}");
    }
    for o in on("2011-08-11T16:20:00Z") {
        assert_eq!(event(o, 333), None, "{}", o["target"]);
    }
}

/// The scenario's checks as Uptime Kuma kept them, read by SQL (not faultline): per monitor,
/// (time, answered) in time order.
fn kuma_checks() -> BTreeMap<String, Vec<(DateTime<Utc>, bool)>> {
    let db = rusqlite::Connection::open_with_flags(
        exports("kuma.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open");
    let mut stmt = db
        .prepare(
            "SELECT m.name, h.time, h.status FROM heartbeat h \
             JOIN monitor m ON m.id = h.monitor_id ORDER BY m.name, h.time",
        )
        .expect("query");
    let rows: Vec<(String, String, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("read");
    let mut out: BTreeMap<String, Vec<(DateTime<Utc>, bool)>> = BTreeMap::new();
    for (name, time, status) in rows {
        let t = NaiveDateTime::parse_from_str(&time, "%Y-%m-%d %H:%M:%S")
            .expect("kuma time")
            .and_utc();
        out.entry(name).or_default().push((t, status == 1));
    }
    out
}

#[test]
fn the_kuma_database_holds_the_scenario_checks_and_gives_each_probe_its_runs() {
    // Every heartbeat is a check of the scenario's CSVs, and every check a heartbeat.
    assert_eq!(kuma_checks(), scenario_checks());
    let v = json(&[&arg(&exports("kuma.db"))]);
    assert_eq!(v["inputs"][0]["kind"], "kuma_db");
    // A monitor per probe: each is a target whose windows are its runs of two failed checks or
    // more, from the first failed check to the first good one after it.
    for (probe, rs) in &scenario_runs() {
        assert_eq!(windows_of(&v, probe), long_runs(rs), "{probe}");
    }
    // The single failed check of 13 Aug is a blip, not a window.
    let blips: Vec<&str> = v["blips"]
        .as_array()
        .expect("blips")
        .iter()
        .map(|b| b["start"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(blips, ["2011-08-13T10:17:00Z"]);
    // The monitor on the server itself is the local check: its windows are the service's.
    let local: Vec<&str> = v["outages"]
        .as_array()
        .expect("outages")
        .iter()
        .filter(|o| o["target"] == "local-sipsvr01")
        .map(|o| o["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(local, ["service", "service"]);
}

#[test]
fn prometheus_gives_the_windows_and_kinds_of_the_scenario_csvs() {
    let prom = json(&[&arg(&exports("prometheus-probe_success.json"))]);
    let csv = json(&[&arg(&aug15(""))]);
    assert_eq!(prom["inputs"][0]["kind"], "prometheus_json");
    // One target checked from four vantages (the `probe` label), as the scenario's CSVs tell.
    let mut vantages: Vec<&str> = prom["probes"]
        .as_array()
        .expect("probes")
        .iter()
        .map(|p| {
            assert_eq!(p["target"], "https://sipsvr01.example.net/");
            p["vantage"].as_str().unwrap_or("")
        })
        .collect();
    vantages.sort_unstable();
    assert_eq!(
        vantages,
        ["eu-central", "local-sipsvr01", "us-east", "us-west"]
    );
    assert_eq!(kinds_and_edges(&prom), kinds_and_edges(&csv));
    assert_eq!(prom["outages"].as_array().expect("outages").len(), 4);
    assert_each_window_follows_the_runs(&prom);
}

#[test]
fn vantage_label_names_the_prometheus_label_of_the_vantage() {
    // The fixture's `probe` label renamed to one faultline does not know.
    let text = std::fs::read_to_string(exports("prometheus-probe_success.json")).expect("read");
    let mut doc: Value = serde_json::from_str(&text).expect("json");
    for series in doc["data"]["result"].as_array_mut().expect("result") {
        let metric = series["metric"].as_object_mut().expect("metric");
        let probe = metric.remove("probe").expect("a probe label");
        metric.insert("pop".into(), probe);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("probe_success.json");
    std::fs::write(&file, doc.to_string()).expect("write");
    let vantages = |v: &Value| -> Vec<Value> {
        v["probes"]
            .as_array()
            .expect("probes")
            .iter()
            .map(|p| p["vantage"].clone())
            .collect()
    };
    let unnamed = json(&[&arg(&file)]);
    assert!(vantages(&unnamed).iter().all(Value::is_null));
    let said = run(["probes", &arg(&file)]).stderr;
    assert!(said.contains("name yours with --vantage-label"), "{said}");
    let named = json(&["--vantage-label", "pop", &arg(&file)]);
    assert_eq!(
        vantages(&named),
        ["eu-central", "local-sipsvr01", "us-east", "us-west"]
    );
    // The same windows as the scenario's CSVs, the local vantage telling service from network.
    let kinds: Vec<&str> = named["outages"]
        .as_array()
        .expect("outages")
        .iter()
        .map(|o| o["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(kinds, ["service", "network", "partial", "service"]);
}
