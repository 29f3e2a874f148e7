//! End-to-end tests of `faultline events` on the aug15 fixtures, damaged copies and real samples.
//! Expected values come from the story (`faultline::synth::story`), never from pasted output.
use crate::common;

use chrono::{DateTime, Duration, Utc};
use common::{arg, aug15, jsonl, run, run_ok};
use faultline::synth::evtx_writer::{write_evtx, SynthRecord};
use faultline::synth::{scenario, story};
use serde_json::Value;

const LA: &str = "America/Los_Angeles";

fn z(t: DateTime<Utc>) -> String {
    faultline::model::rfc3339(&t)
}

fn times(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["time"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn ids(events: &[Value]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| e["event_id"].as_u64())
        .collect()
}

#[test]
fn the_aug15_storm_has_the_story_count_first_and_last() {
    let dir = arg(&aug15(""));
    // The day in the server's zone, given as local times.
    let out = run_ok([
        "events",
        &dir,
        "--id",
        "333",
        "--from",
        "2011-08-15 00:00",
        "--to",
        "2011-08-15 23:59:59",
        "--tz",
        LA,
        "--format",
        "jsonl",
    ]);
    let events = jsonl(&out);
    assert_eq!(events.len(), story::AUG15_333_COUNT);
    let t = times(&events);
    assert_eq!(t.first(), Some(&z(story::aug15_storm_start())));
    assert_eq!(t.last(), Some(&z(story::aug15_storm_last())));
    assert_eq!(t.first().map(String::as_str), Some("2011-08-15T23:50:00Z"));
    assert_eq!(t.last().map(String::as_str), Some("2011-08-16T01:20:30Z"));
    for e in &events {
        assert_eq!(e["provider"], "Application Popup");
        assert_eq!(e["channel"], "System");
        assert_eq!(e["level"], 2);
        assert_eq!(e["level_name"], "Error");
        assert_eq!(e["computer"], story::HOST);
        assert_eq!(e["data"]["Data"][0], scenario::REGISTRY_333);
    }
    // Every 30 s, in time order.
    let parsed: Vec<DateTime<Utc>> = t.iter().filter_map(|s| s.parse().ok()).collect();
    assert!(parsed
        .windows(2)
        .all(|w| w[1] - w[0] == Duration::seconds(story::AUG15_333_INTERVAL_SECS)));
}

#[test]
fn utc_bounds_select_the_same_storm_and_the_aug08_333s_are_apart() {
    let dir = arg(&aug15(""));
    let from = z(story::aug15_storm_start());
    let to = z(story::aug15_storm_last());
    let out = run_ok(["events", &dir, "--id", "333", "--from", &from, "--to", &to]);
    assert_eq!(jsonl(&out).len(), story::AUG15_333_COUNT);
    let out = run_ok([
        "events",
        &dir,
        "--id",
        "333",
        "--to",
        "2011-08-09T00:00:00Z",
        "--format",
        "jsonl",
    ]);
    let expected: Vec<String> = story::aug08_333_times().into_iter().map(z).collect();
    assert_eq!(times(&jsonl(&out)), expected);
}

#[test]
fn level_and_channel_combine() {
    let out = run_ok([
        "events",
        &arg(&aug15("")),
        "--level",
        "error",
        "--channel",
        "system",
        "--format",
        "jsonl",
    ]);
    let events = jsonl(&out);
    assert!(events
        .iter()
        .all(|e| e["channel"] == "System"
            && e["level"].as_u64().is_some_and(|l| (1..=2).contains(&l))));
    let all_ids = ids(&events);
    for id in [333, 2020, 7031, 7000, 7009, 7011, 10016] {
        assert!(all_ids.contains(&id), "no {id} among System errors");
    }
    assert!(!all_ids.contains(&7036), "7036 is Information");
    assert_eq!(
        all_ids.iter().filter(|&&id| id == 333).count(),
        story::AUG15_333_COUNT + 3
    );
}

#[test]
fn provider_filter_is_a_case_insensitive_substring() {
    let out = run_ok([
        "events",
        &arg(&aug15("")),
        "--provider",
        "msiinst",
        "--format",
        "jsonl",
    ]);
    let events = jsonl(&out);
    assert_eq!(ids(&events), vec![11707, 1033]);
    assert!(events
        .iter()
        .all(|e| e["time"] == z(story::mysql_install())));
    assert_eq!(
        events[0]["data"]["Data"][0],
        "Product: MySQL Server 5.5 -- Installation completed successfully."
    );
}

#[test]
fn grep_searches_the_rendered_data() {
    let out = run_ok([
        "events",
        &arg(&aug15("")),
        "--grep",
        "paged pool",
        "--format",
        "jsonl",
    ]);
    let events = jsonl(&out);
    let mut expected = Vec::new();
    let mut t = story::aug15_first_2020();
    while t < story::aug15_admin_restart() {
        expected.push(z(t));
        t += Duration::seconds(scenario::AUG15_2020_INTERVAL_SECS);
    }
    assert_eq!(times(&events), expected);
    assert!(ids(&events).iter().all(|&id| id == 2020));
    // Combined with a provider and an id range.
    let out = run_ok([
        "events",
        &arg(&aug15("")),
        "--grep",
        "param1=MySQL",
        "--id",
        "7000-7040",
        "--provider",
        "service control",
        "--format",
        "jsonl",
    ]);
    let events = jsonl(&out);
    let mysql_ids = ids(&events);
    assert!(mysql_ids.iter().all(|id| (7000..=7040).contains(id)));
    assert!(mysql_ids.contains(&7031) && mysql_ids.contains(&7036));
    let crash: Vec<&Value> = events.iter().filter(|e| e["event_id"] == 7031).collect();
    assert_eq!(crash.len(), 1);
    assert_eq!(crash[0]["time"], z(story::aug08_mysql_crash()));
}

#[test]
fn id_ranges_and_lists() {
    let out = run_ok([
        "events",
        &arg(&aug15("System.evtx")),
        "--id",
        "7000-7040",
        "--format",
        "jsonl",
    ]);
    let all = ids(&jsonl(&out));
    assert!(!all.is_empty());
    assert!(all.iter().all(|id| (7000..=7040).contains(id)));
    assert!(!all.contains(&7045), "7045 is outside 7000-7040");
    let out = run_ok([
        "events",
        &arg(&aug15("")),
        "--id",
        "6005,6006,1074",
        "--format",
        "jsonl",
    ]);
    let events = jsonl(&out);
    let got: Vec<(u64, String)> = events
        .iter()
        .map(|e| {
            (
                e["event_id"].as_u64().unwrap_or(0),
                e["time"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let expected = vec![
        (1074, z(story::hardware_reboot())),
        (6006, z(scenario::aug01_eventlog_stopped())),
        (6005, z(scenario::aug01_boot())),
        (1074, z(story::aug15_admin_restart())),
        (6006, z(story::aug15_eventlog_stopped())),
        (6005, z(story::aug15_boot())),
    ];
    assert_eq!(got, expected);
    let restart = &events[3]["data"];
    assert_eq!(restart["param3"], "Other (Unplanned)");
    assert_eq!(restart["param7"], "SIPSVR01\\Administrator");
}

/// The same selection in every format: csv, jsonl, json and table agree.
#[test]
fn every_format_parses_back_to_the_same_events() {
    let dir = arg(&aug15(""));
    let base = [
        "events",
        dir.as_str(),
        "--id",
        "6005,6006,6009,7031",
        "--tz",
        LA,
    ];
    let with = |format: &str| {
        let mut args: Vec<&str> = base.to_vec();
        args.extend(["--format", format]);
        run_ok(args)
    };
    let lines = jsonl(&with("jsonl"));
    assert_eq!(lines.len(), 7);

    let json: Vec<Value> = serde_json::from_str(&with("json")).expect("json is one array");
    assert_eq!(json, lines);

    let csv_text = with("csv");
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers().expect("csv header").clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        [
            "time",
            "record_id",
            "channel",
            "provider",
            "event_id",
            "level",
            "level_name",
            "computer",
            "data",
            "source_file"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("csv row")).collect();
    assert_eq!(rows.len(), lines.len());
    for (row, line) in rows.iter().zip(&lines) {
        let utc: DateTime<Utc> = DateTime::parse_from_rfc3339(&row[0])
            .expect("csv time")
            .into();
        assert_eq!(z(utc), line["time"]);
        assert!(row[0].ends_with("-07:00"), "csv shows PDT: {}", &row[0]);
        assert_eq!(row[4], line["event_id"].to_string());
        assert_eq!(&row[3], line["provider"].as_str().unwrap_or_default());
        assert_eq!(row[1], line["record_id"].to_string());
    }
    let crash = rows.iter().find(|r| &r[4] == "7031").expect("7031 row");
    assert_eq!(&crash[0], "2011-08-08T14:10:30-07:00");
    assert!(crash[8].contains("param5=Restart the service"));

    let table = with("table");
    assert!(table.contains("2011-08-15 18:25:30 PDT"), "{table}");
    assert!(table.contains("2011-08-08 14:10:30 PDT"));
    assert!(table.contains("Service Control Manager"));
    assert_eq!(table.matches("EventLog").count(), 6);
}

#[test]
fn jsonl_stays_utc_whatever_the_tz() {
    let dir = arg(&aug15(""));
    let at_boot = z(story::aug15_boot());
    let args = |format: &'static str| {
        vec![
            "events".to_string(),
            dir.clone(),
            "--id".into(),
            "6005".into(),
            "--from".into(),
            at_boot.clone(),
            "--tz".into(),
            LA.into(),
            "--format".into(),
            format.into(),
        ]
    };
    let lines = jsonl(&run_ok(args("jsonl")));
    assert_eq!(times(&lines), vec!["2011-08-16T01:25:30Z".to_string()]);
    let csv = run_ok(args("csv"));
    assert!(csv.contains("2011-08-15T18:25:30-07:00"), "{csv}");
    let table = run_ok(args("table"));
    assert!(table.contains("2011-08-15 18:25:30 PDT"), "{table}");
    assert!(!table.contains("01:25:30"));
}

#[test]
fn count_groups_by_channel_provider_and_id() {
    let dir = arg(&aug15(""));
    let out = run_ok(["events", &dir, "--count", "--format", "jsonl"]);
    let counts = jsonl(&out);
    let top = &counts[0];
    assert_eq!(top["event_id"], 333);
    assert_eq!(top["provider"], "Application Popup");
    assert_eq!(top["count"], story::AUG15_333_COUNT + 3);
    assert_eq!(top["first"], z(story::aug08_333_times()[0]));
    assert_eq!(top["last"], z(story::aug15_storm_last()));
    let sorted = counts
        .windows(2)
        .all(|w| w[0]["count"].as_u64() >= w[1]["count"].as_u64());
    assert!(sorted, "counts are sorted, largest first");
    let total: u64 = counts.iter().filter_map(|c| c["count"].as_u64()).sum();
    let records = scenario::system_records().len() + scenario::application_records().len();
    assert_eq!(total, records as u64);

    let out = run_ok([
        "events",
        &dir,
        "--count",
        "--id",
        "333",
        "--from",
        "2011-08-15T12:00:00Z",
        "--format",
        "csv",
    ]);
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][3], story::AUG15_333_COUNT.to_string().as_str());
    let table = run_ok([
        "events", &dir, "--count", "--id", "333", "--format", "table",
    ]);
    assert!(table.contains(&(story::AUG15_333_COUNT + 3).to_string()));
}

/// Chunk record-id ranges from each chunk header: (first id, last id).
fn chunk_ranges(bytes: &[u8]) -> Vec<(u64, u64)> {
    let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().expect("8 bytes"));
    (4096..bytes.len())
        .step_by(0x1_0000)
        .filter(|&o| o + 0x1_0000 <= bytes.len() && &bytes[o..o + 8] == b"ElfChnk\0")
        .map(|o| (u64_at(o + 24), u64_at(o + 32)))
        .collect()
}

fn record_ids(stdout: &str) -> Vec<u64> {
    jsonl(stdout)
        .iter()
        .filter_map(|e| e["record_id"].as_u64())
        .collect()
}

/// A truncated copy and a copy with a chunk zeroed: every record outside the damage still reads.
#[test]
fn damaged_copies_keep_the_other_records() {
    let bytes = std::fs::read(aug15("System.evtx")).expect("fixture");
    let chunks = chunk_ranges(&bytes);
    assert!(chunks.len() >= 3, "the fixture spans several chunks");
    let tmp = tempfile::tempdir().expect("tempdir");

    let truncated = tmp.path().join("truncated.evtx");
    std::fs::write(&truncated, &bytes[..4096 + 2 * 0x1_0000 + 30_000]).expect("write");
    let r = run(["events", &arg(&truncated), "--format", "jsonl"]);
    assert_ne!(r.code, Some(101), "panicked: {}", r.stderr);
    let expected: Vec<u64> = (1..=chunks[1].1).collect();
    let mut got = record_ids(&r.stdout);
    got.sort_unstable();
    assert_eq!(got, expected, "the first two chunks read whole");

    let zeroed = tmp.path().join("zeroed.evtx");
    let mut copy = bytes.clone();
    copy[4096 + 0x1_0000..4096 + 2 * 0x1_0000].fill(0);
    std::fs::write(&zeroed, &copy).expect("write");
    let r = run(["events", &arg(&zeroed), "--format", "jsonl"]);
    assert_ne!(r.code, Some(101), "panicked: {}", r.stderr);
    let mut got = record_ids(&r.stdout);
    got.sort_unstable();
    let total = scenario::system_records().len() as u64;
    let expected: Vec<u64> = (1..=total)
        .filter(|id| !(chunks[1].0..=chunks[1].1).contains(id))
        .collect();
    assert_eq!(got, expected, "every record outside chunk 1 reads");
}

/// The loss in those damaged copies must be said on stderr, with the file's name.
#[test]
fn damaged_copies_report_the_loss() {
    let bytes = std::fs::read(aug15("System.evtx")).expect("fixture");
    let tmp = tempfile::tempdir().expect("tempdir");
    let truncated = tmp.path().join("truncated.evtx");
    std::fs::write(&truncated, &bytes[..4096 + 2 * 0x1_0000 + 30_000]).expect("write");
    let mut zeroed_bytes = bytes.clone();
    zeroed_bytes[4096 + 0x1_0000..4096 + 2 * 0x1_0000].fill(0);
    let zeroed = tmp.path().join("zeroed.evtx");
    std::fs::write(&zeroed, &zeroed_bytes).expect("write");
    for path in [&truncated, &zeroed] {
        let r = run(["events", &arg(path), "--format", "jsonl"]);
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let summary = r
            .stderr
            .lines()
            .find(|l| l.contains(name) && l.contains("skipped"))
            .unwrap_or_else(|| panic!("no summary for {name}:\n{}", r.stderr));
        assert!(
            !summary.contains(" 0 skipped"),
            "loss not reported: {summary}"
        );
    }
}

#[test]
fn a_file_that_is_not_evtx_fails_alone_with_exit_code_2() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let bogus = tmp.path().join("bogus.evtx");
    std::fs::write(&bogus, "this is a text file, not an event log\n").expect("write");
    std::fs::copy(
        aug15("Application.evtx"),
        tmp.path().join("Application.evtx"),
    )
    .expect("copy");
    let r = run(["events", &arg(tmp.path()), "--format", "jsonl"]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    let about_bogus: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains("bogus.evtx"))
        .collect();
    assert_eq!(
        about_bogus.len(),
        1,
        "one line names the file:\n{}",
        r.stderr
    );
    assert!(about_bogus[0].contains("not an EVTX file"));
    assert_eq!(
        jsonl(&r.stdout).len(),
        scenario::application_records().len()
    );
}

/// Event data with characters that break naive renderers round-trips through jsonl and csv.
#[test]
fn awkward_event_data_round_trips() {
    let awkward = [
        "pipe | in the middle",
        "back`ticks` and ```fences```",
        "two\nlines\r\nand a tab\t.",
        "<script>alert('x')</script> & \"quotes\"",
        "=cmd|' /C calc'!A0",
        "ünïcödé ✓ 日本語",
    ];
    // Each text twice: as a named value and as an unnamed one (real events do not mix the two).
    let records: Vec<SynthRecord> = (0..awkward.len() * 2)
        .map(|i| SynthRecord {
            time: story::aug15_storm_start() + Duration::seconds(i as i64),
            provider: "Test|Provider".into(),
            event_id: 1000 + i as u16,
            qualifiers: None,
            level: 4,
            channel: "Application".into(),
            computer: story::HOST.into(),
            data: vec![((i % 2 == 0).then(|| "Text".into()), awkward[i / 2].into())],
        })
        .collect();
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("awkward.evtx");
    std::fs::write(&path, write_evtx(&records)).expect("write");
    let events = jsonl(&run_ok(["events", &arg(&path), "--format", "jsonl"]));
    assert_eq!(events.len(), records.len());
    for (i, e) in events.iter().enumerate() {
        let text = awkward[i / 2];
        if i % 2 == 0 {
            assert_eq!(e["data"]["Text"], text);
        } else {
            assert_eq!(e["data"]["Data"][0], text);
        }
        assert_eq!(e["provider"], "Test|Provider");
    }
    let out = run_ok(["events", &arg(&path), "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("csv row")).collect();
    assert_eq!(rows.len(), records.len());
    assert!(
        rows[2][8].contains("back`ticks` and ```fences```"),
        "{:?}",
        &rows[2]
    );
}

/// (sample path, records evtx_dump printed) from `../shared/evtx-samples/SOURCES.md`, if present.
fn real_samples() -> Vec<(std::path::PathBuf, String, usize)> {
    let Some(samples) = common::shared("evtx-samples") else {
        return Vec::new();
    };
    let sources = std::fs::read_to_string(samples.join("SOURCES.md")).expect("SOURCES.md");
    let mut found = Vec::new();
    for line in sources.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let (Some(file), Some(records)) = (cells.get(1), cells.get(5)) else {
            continue;
        };
        let file = file.trim_matches('`');
        let path = samples.join(file);
        if let (Ok(records), true) = (records.parse::<usize>(), path.exists()) {
            found.push((path, file.to_string(), records));
        }
    }
    assert!(
        !found.is_empty(),
        "no sample listed in {}",
        samples.display()
    );
    found
}

/// The real samples beside the project: as many lines as `evtx_dump` gives, and never a panic.
#[test]
fn real_samples_read_like_evtx_dump() {
    for (path, file, records) in real_samples() {
        let r = run(["events", &arg(&path), "--format", "jsonl"]);
        assert_ne!(r.code, Some(101), "{file} panicked: {}", r.stderr);
        assert!(r.code.is_some(), "{file} was killed");
        assert_eq!(r.stdout.lines().count(), records, "{file}: {}", r.stderr);
    }
}

/// `--count`, counted chunk by chunk on the workers, agrees with grouping the full listing, on
/// every real sample (many chunks, several providers, chunks out of time order).
#[test]
fn counts_agree_with_the_listing_on_real_samples() {
    use std::collections::BTreeMap;
    for (path, file, _) in real_samples() {
        let listing = run(["events", &arg(&path), "--format", "jsonl"]);
        let mut want: BTreeMap<(String, String, u64), (u64, String, String)> = BTreeMap::new();
        for e in jsonl(&listing.stdout) {
            let key = (
                e["channel"].as_str().unwrap_or_default().to_string(),
                e["provider"].as_str().unwrap_or_default().to_string(),
                e["event_id"].as_u64().unwrap_or_default(),
            );
            let text = e["time"].as_str().unwrap_or_default().to_string();
            let at = |t: &str| DateTime::parse_from_rfc3339(t).map(|t| t.with_timezone(&Utc));
            let g = want.entry(key).or_insert((0, text.clone(), text.clone()));
            g.0 += 1;
            if at(&text).ok() < at(&g.1).ok() {
                g.1 = text.clone();
            }
            if at(&text).ok() > at(&g.2).ok() {
                g.2 = text;
            }
        }
        let counted = run(["events", &arg(&path), "--count", "--format", "jsonl"]);
        let got: BTreeMap<_, _> = jsonl(&counted.stdout)
            .iter()
            .map(|c| {
                let key = (
                    c["channel"].as_str().unwrap_or_default().to_string(),
                    c["provider"].as_str().unwrap_or_default().to_string(),
                    c["event_id"].as_u64().unwrap_or_default(),
                );
                let text = |k: &str| c[k].as_str().unwrap_or_default().to_string();
                (
                    key,
                    (
                        c["count"].as_u64().unwrap_or_default(),
                        text("first"),
                        text("last"),
                    ),
                )
            })
            .collect();
        assert_eq!(got, want, "{file}");
    }
}

/// An event whose data mixes named and unnamed `<Data>` keeps both (python-evtx shows both).
#[test]
fn mixed_named_and_unnamed_data_keeps_both() {
    let record = SynthRecord {
        time: story::aug15_storm_start(),
        provider: "Mixed".into(),
        event_id: 1,
        qualifiers: None,
        level: 4,
        channel: "Application".into(),
        computer: story::HOST.into(),
        data: vec![
            (Some("Name".into()), "named".into()),
            (None, "unnamed".into()),
        ],
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("mixed.evtx");
    std::fs::write(&path, write_evtx(&[record])).expect("write");
    let events = jsonl(&run_ok(["events", &arg(&path), "--format", "jsonl"]));
    assert_eq!(events[0]["data"]["Name"], "named");
    assert_eq!(events[0]["data"]["Data"][0], "unnamed");
}
