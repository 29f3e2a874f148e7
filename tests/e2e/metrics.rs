//! End-to-end tests of `faultline metrics`: the aug15 perfmon and SIP traffic fixtures checked
//! against the story and against values computed here from the raw CSV, threshold flags,
//! resampling, and damaged or unusual files (other zones, UTF-16, unreadable cells, no bias).
use crate::common;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use common::{arg, aug15, run, run_ok};
use faultline::model::rfc3339;
use faultline::synth::story;
use serde_json::Value;
use std::path::Path;

const POOL_PAGED: &str = r"\\SIPSVR01\Memory\Pool Paged Bytes";

fn json(args: &[&str]) -> Vec<Value> {
    let mut all = vec!["metrics", "--format", "json"];
    all.extend_from_slice(args);
    let out = run_ok(all);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("bad JSON ({e}):\n{out}"));
    v.as_array().expect("a JSON array").clone()
}

fn series<'a>(all: &'a [Value], name: &str) -> &'a Value {
    all.iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no series {name} in {all:#?}"))
}

/// One row of the perfmon fixture: its UTC time and the cell text per counter.
type RawRow = (DateTime<Utc>, Vec<String>);

/// The perfmon fixture read independently: the header and every row.
fn raw_perfmon() -> (Vec<String>, Vec<RawRow>) {
    let text = std::fs::read_to_string(aug15("perfmon_SIPSVR01.csv")).unwrap();
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let split = |l: &str| -> Vec<String> {
        l.trim()
            .trim_matches('"')
            .split("\",\"")
            .map(str::to_string)
            .collect()
    };
    let header = split(lines.next().unwrap());
    assert!(header[0].ends_with("(420)"), "{}", header[0]);
    let rows = lines
        .map(|l| {
            let cells = split(l);
            let local = NaiveDateTime::parse_from_str(&cells[0], "%m/%d/%Y %H:%M:%S%.3f").unwrap();
            let utc = DateTime::from_naive_utc_and_offset(local + Duration::minutes(420), Utc);
            (utc, cells[1..].to_vec())
        })
        .collect();
    (header[1..].to_vec(), rows)
}

fn column_values(name: &str) -> Vec<(DateTime<Utc>, Option<f64>)> {
    let (header, rows) = raw_perfmon();
    let c = header.iter().position(|h| h == name).unwrap();
    rows.into_iter()
        .map(|(t, cells)| {
            let cell = cells[c].trim();
            (t, (!cell.is_empty()).then(|| cell.parse::<f64>().unwrap()))
        })
        .collect()
}

fn close(a: &Value, b: f64) {
    let a = a.as_f64().unwrap_or_else(|| panic!("{a} is not a number"));
    assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} != {b}");
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    arg(&path)
}

#[test]
fn pool_paged_bytes_first_last_counts_and_stats_match_the_raw_file() {
    let all = json(&[&arg(&aug15(""))]);
    let s = series(&all, POOL_PAGED);
    assert_eq!(s["host"], "SIPSVR01");
    assert_eq!(s["object"], "Memory");
    assert_eq!(s["instance"], Value::Null);
    assert_eq!(s["counter"], "Pool Paged Bytes");
    // Story: samples from 13 Aug 00:00 PDT (07:00Z) to the minute before 16 Aug 00:00 PDT.
    assert_eq!(s["first"], rfc3339(&story::perfmon_start()));
    assert_eq!(s["first"], "2011-08-13T07:00:00Z");
    assert_eq!(
        s["last"],
        rfc3339(&(story::perfmon_end() - Duration::minutes(1)))
    );
    let raw = column_values(POOL_PAGED);
    let (gap_start, gap_end) = story::perfmon_gap();
    let rows = (story::perfmon_end() - story::perfmon_start()).num_minutes()
        - (gap_end - gap_start).num_minutes();
    assert_eq!(raw.len() as i64, rows);
    let values: Vec<f64> = raw.iter().filter_map(|(_, v)| *v).collect();
    let missing = raw.len() - values.len();
    assert!(missing > 0, "the fixture has blank cells in this column");
    assert_eq!(s["samples"], values.len() as u64);
    assert_eq!(s["missing"], missing as u64);
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let mut sorted = values.clone();
    sorted.sort_by(f64::total_cmp);
    let p95 = sorted[(0.95 * sorted.len() as f64).ceil() as usize - 1];
    close(&s["min"], min);
    close(&s["max"], max);
    close(&s["mean"], mean);
    close(&s["p95"], p95);
}

#[test]
fn no_sample_falls_inside_the_reboot_gap() {
    let (gap_start, gap_end) = story::perfmon_gap();
    let raw = column_values(POOL_PAGED);
    assert!(raw.iter().all(|(t, _)| *t < gap_start || *t >= gap_end));
    let all = json(&[
        &arg(&aug15("perfmon_SIPSVR01.csv")),
        "--from",
        &rfc3339(&gap_start),
        "--to",
        &rfc3339(&(gap_end - Duration::seconds(1))),
    ]);
    assert!(all.iter().all(|s| s["samples"] == 0 && s["missing"] == 0));
}

#[test]
fn pool_paged_bytes_is_flagged_past_one_gib_on_15_aug_and_registry_quota_is_not() {
    let all = json(&[&arg(&aug15(""))]);
    let t = &series(&all, POOL_PAGED)["threshold"];
    assert_eq!(t["rule"], "pool_paged_bytes");
    assert_eq!(t["level"], "warning");
    close(&t["warning"], 1024.0 * 1024.0 * 1024.0);
    let first: DateTime<Utc> = t["first_crossing"].as_str().unwrap().parse().unwrap();
    assert!(first >= story::pdt(2011, 8, 15, 0, 0, 0) && first < story::aug15_storm_start());
    let quota = &series(&all, r"\\SIPSVR01\System\% Registry Quota In Use")["threshold"];
    assert_eq!(quota["level"], Value::Null);
    let disk = &series(
        &all,
        r"\\SIPSVR01\PhysicalDisk(0 C:)\Avg. Disk sec/Transfer",
    )["threshold"];
    assert_eq!(disk["level"], "critical");
    assert_eq!(disk["first_crossing"], rfc3339(&story::aug15_storm_start()));
    let handles = &series(&all, r"\\SIPSVR01\Process(mysqld)\Handle Count");
    assert_eq!(handles["instance"], "mysqld");
    assert_eq!(handles["threshold"]["rising"], true);
    assert_eq!(series(&all, "active_calls")["threshold"], Value::Null);

    let table = run_ok(["metrics", &arg(&aug15("")), "--match", "Pool Paged"]);
    let line = table
        .lines()
        .find(|l| l.contains("Pool Paged Bytes"))
        .unwrap();
    assert!(line.contains("warning > 1,073,741,824"), "{line}");
}

#[test]
fn the_traffic_csv_is_empty_while_the_server_was_down() {
    let all = json(&[&arg(&aug15("sip_traffic.csv"))]);
    let calls = series(&all, "active_calls");
    let w = story::outage_aug15();
    let down = (w.recovered_at - w.first_failure).num_minutes() as u64;
    let total = (story::perfmon_end() - story::perfmon_start()).num_minutes() as u64;
    assert_eq!(calls["missing"], down);
    assert_eq!(calls["samples"], total - down);
    assert_eq!(calls["first"], rfc3339(&story::perfmon_start()));
    assert_eq!(calls["host"], Value::Null);
}

#[test]
fn resample_prints_one_aligned_csv() {
    let out = run_ok(["metrics", &arg(&aug15("")), "--resample", "5m"]);
    let lines: Vec<&str> = out.lines().collect();
    let buckets = (story::perfmon_end() - story::perfmon_start()).num_minutes() / 5;
    assert_eq!(lines.len() as i64, buckets + 1);
    let header: Vec<&str> = lines[0].split(',').collect();
    assert_eq!(header[0], "time");
    assert_eq!(header.len(), 1 + 12 + 2, "{header:?}");
    assert!(lines.iter().all(|l| l.split(',').count() == header.len()));
    assert!(lines[1].starts_with(&rfc3339(&story::perfmon_start())));
    let only = run_ok([
        "metrics",
        &arg(&aug15("")),
        "--resample",
        "1h",
        "--match",
        "Handle",
    ]);
    assert_eq!(only.lines().count(), 72 + 1);
    assert_eq!(only.lines().next().unwrap().split(',').count(), 2);
}

#[test]
fn a_negative_bias_converts_right() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "weu.csv",
        "\"(PDH-CSV 4.0) (W. Europe Daylight Time)(-120)\",\"\\\\DB1\\Memory\\Available MBytes\"\n\
         \"08/15/2011 10:00:00.000\",\"512\"\n\
         \"08/15/2011 10:01:00.000\",\"500\"\n",
    );
    let all = json(&[&path]);
    assert_eq!(all[0]["first"], "2011-08-15T08:00:00Z");
    assert_eq!(all[0]["last"], "2011-08-15T08:01:00Z");
    assert_eq!(all[0]["host"], "DB1");
}

#[test]
fn unreadable_cells_are_counted_never_zeroed() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "bad.csv",
        "\"(PDH-CSV 4.0) (Pacific Daylight Time)(420)\",\"\\\\H\\Process(a, b (x)#1)\\Handle Count\"\n\
         \"08/15/2011 10:00:00.000\",\"10\"\n\
         \"08/15/2011 10:01:00.000\",\"abc\"\n\
         \"08/15/2011 10:02:00.000\",\" \"\n\
         \"08/15/2011 10:03:00.000\",\"30\"\n\
         \"not a time\",\"40\"\n",
    );
    let r = run(["metrics", "--format", "json", &path]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let all: Value = serde_json::from_str(&r.stdout).unwrap();
    let s = &all[0];
    assert_eq!(s["instance"], "a, b (x)#1");
    assert_eq!(s["samples"], 2);
    assert_eq!(s["missing"], 2);
    assert_eq!(s["min"], 10.0);
    assert_eq!(s["mean"], 20.0);
    assert!(
        r.stderr.contains("line 3") && r.stderr.contains("\"abc\""),
        "{}",
        r.stderr
    );
    // Skipped counts rows (the one without a time); the unreadable cell is counted apart.
    assert!(r.stderr.contains("4 read, 1 skipped"), "{}", r.stderr);
    assert!(
        r.stderr.contains("1 value could not be read"),
        "{}",
        r.stderr
    );
    let strict = run(["metrics", "--strict", &path]);
    assert_eq!(strict.code, Some(1));
}

#[test]
fn utf16_with_bom_blank_first_line_and_a_cut_last_row_reads() {
    let dir = tempfile::tempdir().unwrap();
    let text = "\r\n\"(PDH-CSV 4.0) (Pacific Daylight Time)(420)\",\"\\\\H\\Memory\\Pool Paged Bytes\",\"\\\\H\\System\\Threads\"\r\n\
                \"08/15/2011 00:00:00.000\",\"100\",\"900\"\r\n\
                \"08/15/2011 00:01:00.000\",\"300\",\"901\"\r\n\
                \"08/15/2011 00:02:00.000\",\"4";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let path = dir.path().join("u16.csv");
    std::fs::write(&path, bytes).unwrap();
    let r = run(["metrics", "--format", "json", &arg(&path)]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let all: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert_eq!(all[0]["samples"], 2);
    assert_eq!(all[0]["mean"], 200.0);
    assert_eq!(all[0]["first"], "2011-08-15T07:00:00Z");
    assert_eq!(all[1]["counter"], "Threads");
    assert!(r.stderr.contains("middle of a row"), "{}", r.stderr);
}

#[test]
fn a_header_without_bias_asks_for_input_tz() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "nobias.csv",
        "\"(PDH-CSV 4.0)\",\"\\\\H\\Memory\\Available MBytes\"\n\"08/15/2011 10:00:00.000\",\"512\"\n",
    );
    let r = run(["metrics", &path]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.stderr.contains("--input-tz") && r.stderr.contains("bias"),
        "{}",
        r.stderr
    );
    let all = json(&[&path, "--input-tz", "America/Los_Angeles"]);
    assert_eq!(all[0]["first"], "2011-08-15T17:00:00Z");
}

#[test]
fn a_file_across_a_dst_change_is_noted() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "dst.csv",
        "\"(PDH-CSV 4.0) (Pacific Daylight Time)(420)\",\"\\\\H\\Memory\\Available MBytes\"\n\
         \"11/05/2011 12:00:00.000\",\"512\"\n\
         \"11/07/2011 12:00:00.000\",\"500\"\n",
    );
    let r = run(["metrics", &path]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stderr.contains("DST change"), "{}", r.stderr);
}

#[test]
fn a_long_metric_csv_gives_one_series_per_host_and_metric() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "long.csv",
        "time,host,metric,value\n\
         2011-08-15T10:00:00Z,a,cpu,10\n\
         2011-08-15T10:00:00Z,b,cpu,20\n\
         2011-08-15T10:01:00Z,a,cpu,30\n\
         2011-08-15T10:01:00Z,b,cpu,\n",
    );
    let all = json(&[&path]);
    assert_eq!(all.len(), 2);
    assert_eq!(
        (&all[0]["host"], &all[0]["mean"]),
        (&Value::from("a"), &Value::from(20.0))
    );
    assert_eq!(
        (&all[1]["samples"], &all[1]["missing"]),
        (&Value::from(1), &Value::from(1))
    );
}
