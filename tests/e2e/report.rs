//! End-to-end tests of `faultline report` on the aug15 scenario: every fact is checked against the
//! story (src/synth/story.rs), never against the tool's own output pasted back.
use crate::common;

use chrono::{DateTime, Utc};
use common::{aug15, run, run_ok};
use faultline::model::rfc3339;
use faultline::synth::story;
use serde_json::Value;
use std::sync::OnceLock;

fn report_json() -> &'static Value {
    static REPORT: OnceLock<Value> = OnceLock::new();
    REPORT.get_or_init(|| {
        let out = run_ok([
            "report",
            aug15("").to_str().unwrap(),
            "--format",
            "json",
            "-q",
        ]);
        serde_json::from_str(&out).expect("report JSON parses")
    })
}

fn t(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a time string: {v}"))
        .to_string()
}

fn outages() -> &'static Vec<Value> {
    report_json()["outages"].as_array().expect("outages array")
}

fn outage_starting(at: DateTime<Utc>) -> &'static Value {
    outages()
        .iter()
        .find(|o| o["start"] == rfc3339(&at))
        .unwrap_or_else(|| panic!("no outage starting at {}", rfc3339(&at)))
}

#[test]
fn windows_match_the_story() {
    let expected = [
        ("service", story::outage_aug08()),
        ("network", story::network_aug11()),
        ("partial", story::partial_aug12()),
        ("service", story::outage_aug15()),
    ];
    assert_eq!(outages().len(), expected.len(), "{:#?}", outages());
    for (o, (kind, w)) in outages().iter().zip(expected) {
        assert_eq!(o["kind"], kind);
        assert_eq!(t(&o["start"]), rfc3339(&w.first_failure));
        assert_eq!(t(&o["last_failure"]), rfc3339(&w.last_failure));
        assert_eq!(t(&o["recovered_at"]), rfc3339(&w.recovered_at));
        assert_eq!(
            o["duration_seconds"].as_i64(),
            Some((w.recovered_at - w.first_failure).num_seconds())
        );
    }
    assert_eq!(report_json()["schema_version"], 1);
    assert_eq!(report_json()["host"], story::HOST);
}

#[test]
fn event_333_leads_the_aug15_window_with_the_whole_storm() {
    let o = outage_starting(story::outage_aug15().first_failure);
    let events = o["events"].as_array().unwrap();
    let g = events
        .iter()
        .find(|g| g["event_id"] == 333)
        .expect("a 333 group");
    assert_eq!(g["provider"], "Application Popup");
    assert_eq!(g["count"].as_u64(), Some(story::AUG15_333_COUNT as u64));
    assert_eq!(t(&g["first"]), rfc3339(&story::aug15_storm_start()));
    assert_eq!(t(&g["last"]), rfc3339(&story::aug15_storm_last()));
    let lead = (story::aug15_storm_start() - story::outage_aug15().first_failure).num_seconds();
    assert!(lead < 0);
    assert_eq!(g["lead_seconds"].as_i64(), Some(lead));
    assert_eq!(g["class"], "resource-exhaustion");
    // Noise is folded, not listed.
    assert!(events.iter().all(|g| g["event_id"] != 10016));
}

#[test]
fn pool_exhaustion_and_the_restart_sequence_are_in_the_timeline() {
    let o = outage_starting(story::outage_aug15().first_failure);
    let timeline = o["timeline"].as_array().unwrap();
    let at = |time: DateTime<Utc>, needle: &str| {
        timeline.iter().any(|e| {
            e["time"] == rfc3339(&time) && e["what"].as_str().unwrap_or("").contains(needle)
        })
    };
    assert!(at(story::aug15_first_2020(), "Srv 2020"), "{timeline:#?}");
    assert!(at(story::aug15_admin_restart(), "User32 1074"));
    assert!(at(story::aug15_eventlog_stopped(), "EventLog 6006"));
    assert!(at(story::aug15_boot(), "EventLog 6005"));
    assert!(at(
        story::outage_aug15().first_failure,
        "probe local-sipsvr01 down"
    ));
    assert!(at(
        story::outage_aug15().recovered_at,
        "probe local-sipsvr01 up"
    ));
    let times: Vec<String> = timeline.iter().map(|e| t(&e["time"])).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "timeline is in time order");
}

#[test]
fn leaking_handles_and_paged_pool_rank_as_rising_before_the_outage() {
    let o = outage_starting(story::outage_aug15().first_failure);
    let metrics = o["metrics"].as_array().unwrap();
    for counter in ["Process(mysqld)\\Handle Count", "Memory\\Pool Paged Bytes"] {
        let m = metrics
            .iter()
            .find(|m| m["name"].as_str().unwrap().ends_with(counter))
            .unwrap_or_else(|| panic!("no finding for {counter}"));
        assert_eq!(m["trend"], "rising", "{m:#}");
        assert!(m["trend_per_hour"].as_f64().unwrap() > 0.0);
        assert_eq!(m["correlated"], true, "{m:#}");
        assert!(m["first_threshold_crossing"].is_object(), "{m:#}");
    }
    // Pool Paged Bytes crossed 1 GiB hours before the outage, not during it.
    let pool = metrics
        .iter()
        .find(|m| m["name"].as_str().unwrap().ends_with("Pool Paged Bytes"))
        .unwrap();
    assert!(
        pool["first_threshold_crossing"]["seconds_from_start"]
            .as_i64()
            .unwrap()
            < -3600
    );
}

#[test]
fn the_mysql_install_is_what_changed_before() {
    let changes = report_json()["changes"].as_array().unwrap();
    let install = changes
        .iter()
        .find(|c| {
            c["kind"] == "software-install"
                && c["description"]
                    .as_str()
                    .unwrap()
                    .contains("MySQL Server 5.5")
        })
        .expect("the MySQL install is listed");
    assert_eq!(t(&install["time"]), rfc3339(&story::mysql_install()));
    assert!(changes.iter().any(|c| c["kind"] == "service-installed"
        && c["description"].as_str().unwrap().contains("MySQL")));
    let times: Vec<String> = changes.iter().map(|c| t(&c["time"])).collect();
    let mut newest_first = times.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, newest_first);
}

#[test]
fn the_aug08_outage_is_related_to_aug15_and_the_network_window_is_not() {
    let big = outage_starting(story::outage_aug15().first_failure);
    let related = big["related"].as_array().unwrap();
    assert_eq!(related.len(), 1, "{related:#?}");
    assert_eq!(
        t(&related[0]["start"]),
        rfc3339(&story::outage_aug08().first_failure)
    );
    assert!(related[0]["shared_events"].to_string().contains("333"));
    let network = outage_starting(story::network_aug11().first_failure);
    assert!(network["related"].as_array().unwrap().is_empty());
}

#[test]
fn data_quality_names_the_reboot_gap_and_every_input() {
    let dq = &report_json()["data_quality"];
    assert_eq!(dq["records_skipped"], 0);
    let (gap_from, _) = story::perfmon_gap();
    let gaps = dq["gaps"].as_array().unwrap();
    assert!(
        gaps.iter()
            .any(|g| g["source"] == "metric" && t(&g["from"]) <= rfc3339(&gap_from)),
        "{gaps:#?}"
    );
    // The collector stopped: one gap for all the counters of the perfmon file (its header's
    // columns after the time), not one per counter.
    let perfmon = std::fs::read_to_string(aug15("perfmon_SIPSVR01.csv")).unwrap();
    let header = perfmon.lines().find(|l| !l.trim().is_empty()).unwrap();
    let counters = header.split("\",\"").count() - 1;
    let metric_gaps: Vec<&str> = gaps
        .iter()
        .filter(|g| g["source"] == "metric")
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert!(
        matches!(&metric_gaps[..], [one] if one.starts_with(&format!("all {counters} series of "))
            && one.ends_with("perfmon_SIPSVR01.csv")),
        "{metric_gaps:?}"
    );
    let inputs = report_json()["inputs"].as_array().unwrap();
    let kinds: Vec<&str> = inputs.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    for kind in ["evtx", "probe_csv", "pdh_csv", "metric_csv"] {
        assert!(kinds.contains(&kind), "{kinds:?}");
    }
}

/// The report reads only the story and the events near its windows, yet the host counts every
/// record of its logs: python-evtx reads 426 records in System.evtx and 54 in Application.evtx,
/// from 2011-08-01 07:02:50 to 2011-08-18 05:58:22 UTC.
#[test]
fn the_host_counts_every_record_of_its_logs_not_only_those_read() {
    let hosts = report_json()["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 1, "{hosts:#?}");
    assert_eq!(hosts[0]["name"], "SIPSVR01");
    assert_eq!(hosts[0]["events"], 426 + 54);
    assert_eq!(hosts[0]["first_event"], "2011-08-01T07:02:50Z");
    assert_eq!(hosts[0]["last_event"], "2011-08-18T05:58:22Z");
}

#[test]
fn markdown_gives_times_in_pdt_with_utc_and_the_human_prompts() {
    let md = run_ok([
        "report",
        aug15("").to_str().unwrap(),
        "--tz",
        "America/Los_Angeles",
        "-q",
    ]);
    assert!(md.starts_with("# Outage report (draft): SIPSVR01, 2011-08-15"));
    assert!(md.contains("2011-08-15 16:58 PDT (2011-08-15 23:58 UTC)"));
    assert!(md.contains("2011-08-15 18:28 PDT (2011-08-16 01:28 UTC)"));
    assert!(md.contains(
        "was unreachable for 1h 30m**, on 2011-08-15 from 16:58 to 18:28 PDT (23:58 to 01:28 UTC)"
    ));
    assert!(md.contains("```mermaid\ngantt"));
    for section in [
        "### Root cause",
        "### Trigger",
        "### Resolution",
        "### Detection",
        "### Action items",
        "### Lessons learned",
    ] {
        assert!(md.contains(section), "missing {section}");
    }
    assert!(!md.to_lowercase().contains("caused by"));
}

#[test]
fn markdown_snapshot() {
    let md = common::faultline()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "report",
            "fixtures/aug15",
            "--tz",
            "America/Los_Angeles",
            "-q",
        ])
        .output()
        .expect("runs");
    assert!(md.status.success());
    insta::assert_snapshot!("aug15_report_markdown", String::from_utf8_lossy(&md.stdout));
}

#[test]
fn output_file_is_written_and_never_over_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("outage.md");
    run_ok([
        "report",
        aug15("").to_str().unwrap(),
        "-q",
        "-o",
        out.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("# Outage report (draft)"));
    // No temp files left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    let input = aug15("System.evtx");
    let before = std::fs::read(&input).unwrap();
    let r = run([
        "report",
        aug15("").to_str().unwrap(),
        "-q",
        "-o",
        input.to_str().unwrap(),
    ]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("refusing to overwrite"), "{}", r.stderr);
    assert_eq!(std::fs::read(&input).unwrap(), before);
}

/// `|` not preceded by a backslash escape.
fn unescaped_pipes(line: &str) -> usize {
    let mut count = 0;
    let mut escaped = false;
    for c in line.chars() {
        match (escaped, c) {
            (true, _) => escaped = false,
            (false, '\\') => escaped = true,
            (false, '|') => count += 1,
            _ => {}
        }
    }
    count
}

#[test]
fn hostile_input_strings_cannot_break_the_markdown() {
    use faultline::synth::evtx_writer::{write_evtx, SynthRecord};
    let dir = tempfile::tempdir().unwrap();
    let hostile = "a | b `code` <script>alert(1)</script>\nnew | line ** [link](x) # head";
    let start = story::pdt(2011, 8, 15, 17, 0, 0);
    let record = |minutes: i64, provider: &str, id: u16| SynthRecord {
        time: start + chrono::Duration::minutes(minutes),
        provider: provider.into(),
        event_id: id,
        qualifiers: None,
        level: 2,
        channel: "System".into(),
        computer: "EVIL|HOST<b>".into(),
        data: vec![(None, hostile.into())],
    };
    let records = vec![
        record(-5, "Application Popup", 333),
        record(-3, "Evil|Provider `x` <i>", 4242),
        record(2, "Application Popup", 333),
    ];
    std::fs::write(dir.path().join("System.evtx"), write_evtx(&records)).unwrap();
    let mut csv = String::from("timestamp,probe,status\n");
    for m in -60..60i64 {
        let time = rfc3339(&(start + chrono::Duration::minutes(m)));
        let down = (0..10).contains(&m);
        for probe in ["local-box", "remote|<script>"] {
            csv.push_str(&format!(
                "{time},\"{probe}\",{}\n",
                if down { "down" } else { "up" }
            ));
        }
    }
    std::fs::write(dir.path().join("probes.csv"), csv).unwrap();
    let md = run_ok(["report", dir.path().to_str().unwrap(), "-q"]);
    assert!(!md.contains("<script>"), "{md}");
    assert!(!md.contains("<i>") && !md.contains("<b>"));
    assert!(md.contains("&lt;script&gt;"));
    // Every row of a table has as many cell separators as its header.
    let mut header_pipes = None;
    for line in md.lines() {
        if line.starts_with('|') {
            let n = unescaped_pipes(line);
            match header_pipes {
                None => header_pipes = Some(n),
                Some(h) => assert_eq!(n, h, "row breaks its table: {line}"),
            }
        } else {
            header_pipes = None;
        }
    }
    // The hostile event made it into the report, escaped, on one line.
    assert!(md.contains("Evil\\|Provider"), "{md}");
}

/// A monitor export of 120 outages, 30 minutes apart, outage k lasting 2 + (37k mod 120) minutes
/// (every length from 2 to 121 once): the window table keeps the 100 longest (the 20 of 2-21
/// minutes, 230 minutes in all, are named as left out), and after the main one (121 minutes) only
/// the 10 next longest (111-120 minutes) get a section; the other 109 are named.
#[test]
fn a_report_of_many_windows_details_the_longest_and_names_the_rest() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let start = chrono::DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z")
        .unwrap()
        .to_utc();
    let minutes = |k: i64| 2 + (37 * k) % 120;
    let mut csv = String::from("timestamp,monitor,status,response_time_ms\n");
    let mut at = 0i64;
    let mut starts = Vec::new();
    for k in 0..120 {
        for _ in 0..30 {
            let t = rfc3339(&(start + chrono::Duration::minutes(at)));
            csv.push_str(&format!("{t},web,up,20\n"));
            at += 1;
        }
        starts.push(start + chrono::Duration::minutes(at));
        for _ in 0..minutes(k) {
            let t = rfc3339(&(start + chrono::Duration::minutes(at)));
            csv.push_str(&format!("{t},web,down,15000\n"));
            at += 1;
        }
    }
    for _ in 0..30 {
        let t = rfc3339(&(start + chrono::Duration::minutes(at)));
        csv.push_str(&format!("{t},web,up,20\n"));
        at += 1;
    }
    let path = tmp.path().join("probes.csv");
    std::fs::write(&path, csv).expect("write");
    let md = run_ok(["report", &common::arg(&path), "-q"]);

    let table_rows = md
        .lines()
        .skip_while(|l| *l != "## Outage windows")
        // The heading, a blank line, the table's header and its rule.
        .skip(4)
        .take_while(|l| l.starts_with("| "))
        .count();
    assert_eq!(table_rows, 100, "{md}");
    let short: Vec<usize> = (0..120).filter(|&k| minutes(k as i64) <= 21).collect();
    let fmt = |t: &DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    let left = format!(
        "*Not in this table: 20 shorter windows, from {} to {}, 3h 50m in all.",
        fmt(&starts[short[0]]),
        fmt(&starts[*short.last().unwrap()])
    );
    assert!(md.contains(&left), "{left}\n{md}");

    let main = (0..120).find(|&k| minutes(k) == 121).unwrap() as usize;
    assert!(md.contains(&format!("## Outage {}:", main + 1)));
    let mut detailed: Vec<usize> = md
        .lines()
        .filter_map(|l| l.strip_prefix("### Outage "))
        .map(|l| l.split(':').next().unwrap().parse::<usize>().unwrap() - 1)
        .collect();
    detailed.sort_unstable();
    let longest: Vec<usize> = (0..120)
        .filter(|&k| (111..=120).contains(&minutes(k as i64)))
        .collect();
    assert_eq!(detailed, longest);
    assert!(
        md.contains("*Without a section here: 109 other windows, from "),
        "{md}"
    );

    let html = run_ok(["report", &common::arg(&path), "-q", "--format", "html"]);
    assert_eq!(html.matches("id=\"outage-").count(), 11);
    assert_eq!(html.matches("href=\"#outage-").count(), 11);
    assert!(html.contains("Not in this table: 20 shorter windows"));
}

/// Two probes down from 10:00 to 10:09, answering from 10:10 to 10:12, down again from 10:13 to
/// 10:19 (a check a minute from 09:30 to 10:59): one window of 20 minutes within the 5-minute
/// merge gap, and the report says where the probes answered inside it; with `--merge-gap 2m`
/// they are two windows.
#[test]
fn outages_minutes_apart_say_where_they_answered_in_between() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let start = chrono::DateTime::parse_from_rfc3339("2024-03-01T09:30:00Z")
        .unwrap()
        .to_utc();
    let mut csv = String::from("timestamp,monitor,status,response_time_ms\n");
    for m in 0..90 {
        let t = rfc3339(&(start + chrono::Duration::minutes(m)));
        let down = (30..40).contains(&m) || (43..50).contains(&m);
        for probe in ["us-west", "us-east"] {
            let (status, ms) = if down { ("down", 15000) } else { ("up", 30) };
            csv.push_str(&format!("{t},{probe},{status},{ms}\n"));
        }
    }
    let path = tmp.path().join("probes.csv");
    std::fs::write(&path, csv).expect("write");
    let md = run_ok(["report", &common::arg(&path), "-q"]);
    assert!(
        md.contains("was unreachable for 20m**, on 2024-03-01 from 10:00 to 10:20 UTC"),
        "{md}"
    );
    assert!(md.contains(
        "Its probes answered again on 2024-03-01 from 10:10 to 10:13 UTC (3m) inside it"
    ));
    assert!(
        md.contains("- **Answering again inside it:** on 2024-03-01 from 10:10 to 10:13 UTC (3m)")
    );
    let json = run_ok(["report", &common::arg(&path), "-q", "--format", "json"]);
    let v: Value = serde_json::from_str(&json).expect("json");
    assert_eq!(
        v["outages"][0]["answered"],
        serde_json::json!([{"from": "2024-03-01T10:10:00Z", "to": "2024-03-01T10:13:00Z"}])
    );
    let json = run_ok([
        "report",
        &common::arg(&path),
        "-q",
        "--format",
        "json",
        "--merge-gap",
        "2m",
    ]);
    let v: Value = serde_json::from_str(&json).expect("json");
    let outages = v["outages"].as_array().expect("outages");
    assert_eq!(outages.len(), 2);
    assert!(outages.iter().all(|o| o.get("answered").is_none()));
}
