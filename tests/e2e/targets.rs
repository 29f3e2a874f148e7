//! End-to-end tests of the targets scenario (`fixtures/targets`, its README): one monitor checks
//! three targets of SIPSVR01; windows are found per target, the 15 Aug outage is the three down
//! together, 18 Aug is MySQL alone, and the 20 Aug maintenance is planned, never an outage.
use crate::common::{arg, run_ok};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn targets(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/targets")
        .join(name)
}

/// The monitors of the README: Kuma's name and what it checks.
const MONITORS: [(&str, &str); 3] = [
    ("SIP", "https://sipsvr01.example.net/"),
    ("Web", "https://sipsvr01.example.net/web"),
    ("MySQL", "sipsvr01.example.net:3306"),
];

/// The scenario's database, read-only, for reading it by hand with SQL.
fn open_kuma() -> rusqlite::Connection {
    rusqlite::Connection::open_with_flags(
        targets("kuma.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open")
}

fn report_json(file: &Path) -> Value {
    let out = run_ok(["report", &arg(file), "--format", "json", "-q"]);
    serde_json::from_str(&out).expect("report JSON")
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("{v} is not a string"))
}

/// Each window as (target, start, last failure, recovery, duration), sorted.
fn windows(r: &Value) -> Vec<(String, String, String, String, i64)> {
    let mut out: Vec<_> = r["outages"]
        .as_array()
        .expect("outages")
        .iter()
        .map(|o| {
            (
                text(&o["target"]).to_string(),
                text(&o["start"]).to_string(),
                text(&o["last_failure"]).to_string(),
                text(&o["recovered_at"]).to_string(),
                o["duration_seconds"].as_i64().expect("a duration"),
            )
        })
        .collect();
    out.sort();
    out
}

/// The README's windows, with each target named as `name` names it.
fn story_windows(name: impl Fn(usize) -> String) -> Vec<(String, String, String, String, i64)> {
    let host = |k: usize| {
        (
            name(k),
            "2011-08-15T23:58:00Z".to_string(),
            "2011-08-16T01:27:00Z".to_string(),
            "2011-08-16T01:28:00Z".to_string(),
            5400,
        )
    };
    let mut out = vec![
        host(0),
        host(1),
        host(2),
        (
            name(2),
            "2011-08-18T17:00:00Z".to_string(),
            "2011-08-18T17:19:00Z".to_string(),
            "2011-08-18T17:20:00Z".to_string(),
            1200,
        ),
    ];
    out.sort();
    out
}

/// The maintenance the report lists, and that no window touches it.
fn assert_maintenance_is_planned(r: &Value, name: impl Fn(usize) -> String) {
    let mut listed: Vec<(String, String, String, i64)> = r["maintenance"]
        .as_array()
        .expect("maintenance listed")
        .iter()
        .map(|m| {
            (
                text(&m["target"]).to_string(),
                text(&m["start"]).to_string(),
                text(&m["end"]).to_string(),
                m["seconds"].as_i64().expect("seconds"),
            )
        })
        .collect();
    listed.sort();
    let mut want: Vec<(String, String, String, i64)> = (0..3)
        .map(|k| {
            (
                name(k),
                "2011-08-20T09:00:00Z".to_string(),
                "2011-08-20T09:30:00Z".to_string(),
                1800,
            )
        })
        .collect();
    want.sort();
    assert_eq!(listed, want);
    for o in r["outages"].as_array().expect("outages") {
        assert!(
            !text(&o["start"]).starts_with("2011-08-20"),
            "the maintenance is not an outage: {o}"
        );
    }
    // The README: every other check answers, no gap: the maintenance is planned, not unknown.
    for p in r["probes"].as_array().expect("probes") {
        assert_eq!(p["maintenance_seconds"], 1800, "{p}");
        assert_eq!(p["unknown_seconds"], 0, "{p}");
    }
}

#[test]
fn synth_writes_the_committed_targets_scenario() {
    let dir = tempfile::tempdir().expect("tempdir");
    let said = run_ok(["synth", "--targets", &arg(dir.path())]);
    for name in ["kuma.db", "checks.csv"] {
        assert!(said.contains(name), "synth says what it wrote:\n{said}");
        let written = std::fs::read(dir.path().join(name)).expect("written");
        let committed = std::fs::read(targets(name)).unwrap_or_default();
        assert!(
            written == committed,
            "{name} differs from fixtures/targets: run `cargo run -- synth --targets fixtures/targets`"
        );
    }
}

/// A hand reading of the database (SQL, not faultline): 7200 heartbeats per monitor, down 90
/// (SIP, Web) and 110 (MySQL: 90 + 20), 30 in maintenance; the report counts the same checks
/// (maintenance is not a check) and failures.
#[test]
fn the_kuma_database_holds_the_story_and_the_report_counts_it() {
    let db = open_kuma();
    let count = |monitor: &str, status: i64| -> i64 {
        db.query_row(
            "SELECT COUNT(*) FROM heartbeat h JOIN monitor m ON m.id = h.monitor_id \
             WHERE m.name = ?1 AND h.status = ?2",
            rusqlite::params![monitor, status],
            |row| row.get(0),
        )
        .expect("count")
    };
    let r = report_json(&targets("kuma.db"));
    for (name, _) in MONITORS {
        let down = count(name, 0);
        let (up, planned) = (count(name, 1), count(name, 3));
        assert_eq!(down, if name == "MySQL" { 110 } else { 90 }, "{name}");
        assert_eq!((up + down + planned, planned), (7200, 30), "{name}");
        let probe = r["probes"]
            .as_array()
            .expect("probes")
            .iter()
            .find(|p| p["target"] == name)
            .unwrap_or_else(|| panic!("a probe of {name}"));
        assert_eq!(probe["checks"].as_i64(), Some(up + down), "{name}");
        assert_eq!(probe["failures"].as_i64(), Some(down), "{name}");
    }
}

#[test]
fn the_kuma_database_gives_a_window_per_target_to_the_second() {
    let r = report_json(&targets("kuma.db"));
    assert_eq!(
        windows(&r),
        story_windows(|k| MONITORS[k].0.to_string()),
        "three targets down together on 15 Aug, MySQL alone on 18 Aug"
    );
    // Each window is its own target's: one probe, the one of that target.
    for o in r["outages"].as_array().expect("outages") {
        let probes = o["probes"].as_array().expect("probes");
        assert_eq!(probes.len(), 1, "{o}");
        assert_eq!(probes[0]["probe"], o["target"], "{o}");
    }
}

#[test]
fn the_kuma_maintenance_is_planned_not_an_outage() {
    let r = report_json(&targets("kuma.db"));
    assert_maintenance_is_planned(&r, |k| MONITORS[k].0.to_string());
}

/// The names in a `shared_host` list, sorted.
fn names(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .unwrap_or_else(|| panic!("{v} is not a list"))
        .iter()
        .map(|t| text(t).to_string())
        .collect();
    out.sort();
    out
}

/// The README: on 15 Aug the three were down together (the host), on 18 Aug MySQL alone while
/// SIP and Web answered; the three monitors check one host, sipsvr01.example.net.
fn assert_shared_host(r: &Value, name: impl Fn(usize) -> String) {
    let windows = r["outages"].as_array().expect("outages");
    let on = |day: &str, target: &str| {
        windows
            .iter()
            .find(|o| text(&o["start"]).starts_with(day) && o["target"] == target)
            .unwrap_or_else(|| panic!("no window of {target} on {day}"))
    };
    for k in 0..3 {
        let shared = &on("2011-08-15", &name(k))["shared_host"];
        assert_eq!(shared["host"], "sipsvr01.example.net", "{shared}");
        let mut others: Vec<String> = (0..3).filter(|o| *o != k).map(&name).collect();
        others.sort();
        assert_eq!(names(&shared["down_together"]), others, "{shared}");
        assert!(names(&shared["answering"]).is_empty(), "{shared}");
    }
    let alone = &on("2011-08-18", &name(2))["shared_host"];
    assert!(names(&alone["down_together"]).is_empty(), "{alone}");
    let mut answering = vec![name(0), name(1)];
    answering.sort();
    assert_eq!(names(&alone["answering"]), answering, "{alone}");
}

#[test]
fn the_kuma_monitors_of_one_host_say_which_were_down_together() {
    let kuma = targets("kuma.db");
    assert_shared_host(&report_json(&kuma), |k| MONITORS[k].0.to_string());
    let md = run_ok(["report", &arg(&kuma), "-q"]);
    assert!(
        md.contains("all down together with it (MySQL, Web): the host, not one service"),
        "the 15 Aug window of SIP says the host was down:\n{md}"
    );
    assert!(
        md.contains("SIP, Web kept answering: this target alone"),
        "the 18 Aug window of MySQL says it was down alone:\n{md}"
    );
}

/// The CSV holds the database's checks, row for row (both read by hand: SQL and a split on
/// commas), so the two files tell one story: the same target (by the monitor's URL), time and
/// status, the vantage mon01, a latency on up rows only.
#[test]
fn the_csv_holds_the_same_checks_as_the_kuma_database() {
    let db = open_kuma();
    let mut stmt = db
        .prepare(
            "SELECT m.url, h.time, h.status, h.ping FROM heartbeat h \
             JOIN monitor m ON m.id = h.monitor_id ORDER BY h.time, m.id",
        )
        .expect("query");
    let kuma: Vec<(String, String, i64, Option<i64>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows");
    let csv = std::fs::read_to_string(targets("checks.csv")).expect("csv");
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("time,target,vantage,status,latency_ms"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), kuma.len());
    assert_eq!(kuma.len(), 21600);
    for (row, (url, time, status, ping)) in rows.iter().zip(&kuma) {
        let cells: Vec<&str> = row.split(',').collect();
        let word = match status {
            0 => "down",
            1 => "up",
            3 => "maintenance",
            other => panic!("status {other} is not in the story"),
        };
        let stamp = format!("{}Z", time.replace(' ', "T"));
        let latency = ping.map(|p| p.to_string()).unwrap_or_default();
        assert_eq!(
            cells,
            [
                stamp.as_str(),
                url.as_str(),
                "mon01",
                word,
                latency.as_str()
            ],
            "{row}"
        );
    }
}

/// `probes --explain` of the CSV: its `target` column is the target and its `vantage` column
/// the vantage (the README's header), three targets from one vantage, mon01.
#[test]
fn the_csv_explain_names_the_target_and_vantage_columns() {
    let out = run_ok(["probes", &arg(&targets("checks.csv")), "--explain"]);
    let urls: Vec<&str> = MONITORS.iter().map(|(_, url)| *url).collect();
    assert!(
        out.contains(&format!(
            "target: column \"target\" (by its name: what was checked): 3 target(s): {}",
            urls.join(", ")
        )),
        "{out}"
    );
    assert!(
        out.contains("vantage: column \"vantage\" (by its name: where the checks ran from): 1 vantage(s): mon01"),
        "{out}"
    );
    assert!(!out.contains("  probe: "), "no probe column: {out}");
}

/// The CSV with its header renamed to words no detection knows: `--columns` pins the roles,
/// and the series are the README's three targets from mon01, as with the names found.
#[test]
fn columns_pin_the_target_and_the_vantage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = std::fs::read_to_string(targets("checks.csv")).expect("csv");
    let body = csv.replacen(
        "time,target,vantage,status,latency_ms",
        "when,what,wherefrom,outcome,latency_ms",
        1,
    );
    let renamed = dir.path().join("renamed.csv");
    std::fs::write(&renamed, body).expect("write");
    let out = run_ok([
        "probes",
        &arg(&renamed),
        "--columns",
        "time=when,target=what,vantage=wherefrom",
        "--format",
        "json",
        "-q",
    ]);
    let v: Value = serde_json::from_str(&out).expect("JSON");
    let mut got: Vec<(String, String)> = v["probes"]
        .as_array()
        .expect("probes")
        .iter()
        .map(|p| {
            (
                text(&p["target"]).to_string(),
                text(&p["vantage"]).to_string(),
            )
        })
        .collect();
    got.sort();
    let mut want: Vec<(String, String)> = MONITORS
        .iter()
        .map(|(_, url)| (url.to_string(), "mon01".to_string()))
        .collect();
    want.sort();
    assert_eq!(got, want);
    let explain = run_ok([
        "probes",
        &arg(&renamed),
        "--columns",
        "time=when,target=what,vantage=wherefrom",
        "--explain",
    ]);
    assert!(
        explain.contains("target: column \"what\" (set with --columns)")
            && explain.contains("vantage: column \"wherefrom\" (set with --columns)"),
        "{explain}"
    );
}

/// Two targets checked from two places each (a hand-written file): `app` fails from both
/// vantages at 10:01 and 10:02, `www` from eu alone at 10:05 and 10:06. Windows are per target:
/// app's compares app's two vantages (all failed), www's is partial (us answered); neither is
/// a partial outage of the other. Series are `target @ vantage`.
#[test]
fn several_vantages_of_several_targets_are_told_apart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut body = String::from("timestamp,url,location,result\n");
    for minute in 0..10 {
        for (target, vantage) in [
            ("https://app.example/", "eu"),
            ("https://app.example/", "us"),
            ("https://www.example/", "eu"),
            ("https://www.example/", "us"),
        ] {
            let down = (target.contains("app") && (1..=2).contains(&minute))
                || (target.contains("www") && vantage == "eu" && (5..=6).contains(&minute));
            let word = if down { "down" } else { "up" };
            body.push_str(&format!(
                "2024-03-01T10:{minute:02}:00Z,{target},{vantage},{word}\n"
            ));
        }
    }
    let file = dir.path().join("two.csv");
    std::fs::write(&file, body).expect("write");
    let out = run_ok(["probes", &arg(&file), "--format", "json", "-q"]);
    let v: Value = serde_json::from_str(&out).expect("JSON");
    let mut names: Vec<&str> = v["probes"]
        .as_array()
        .expect("probes")
        .iter()
        .map(|p| text(&p["name"]))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "https://app.example/ @ eu",
            "https://app.example/ @ us",
            "https://www.example/ @ eu",
            "https://www.example/ @ us"
        ]
    );
    let got: Vec<(String, String, String, usize)> = v["outages"]
        .as_array()
        .expect("outages")
        .iter()
        .map(|o| {
            (
                text(&o["target"]).to_string(),
                text(&o["start"]).to_string(),
                text(&o["kind"]).to_string(),
                o["probes"].as_array().expect("probes").len(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "https://app.example/".to_string(),
                "2024-03-01T10:01:00Z".to_string(),
                "unclassified".to_string(),
                2
            ),
            (
                "https://www.example/".to_string(),
                "2024-03-01T10:05:00Z".to_string(),
                "partial".to_string(),
                2
            ),
        ]
    );
}

/// The CSV gives the README's windows per target (each URL), to the second, as the database
/// does per monitor: the same windows once each target is named by what it checks.
#[test]
fn the_csv_gives_the_windows_of_the_database_per_target() {
    let csv = report_json(&targets("checks.csv"));
    assert_eq!(
        windows(&csv),
        story_windows(|k| MONITORS[k].1.to_string()),
        "three targets down together on 15 Aug, MySQL alone on 18 Aug"
    );
    let url_of = |name: &str| {
        MONITORS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, url)| url.to_string())
            .unwrap_or_else(|| panic!("{name} is no monitor of the README"))
    };
    let mut kuma: Vec<_> = windows(&report_json(&targets("kuma.db")))
        .into_iter()
        .map(|(t, a, b, c, d)| (url_of(&t), a, b, c, d))
        .collect();
    kuma.sort();
    assert_eq!(windows(&csv), kuma, "the CSV and the database agree");
}

/// The CSV's maintenance rows are the README's 20 Aug maintenance: planned, listed, never an
/// outage, as the database's status 3 heartbeats are.
#[test]
fn the_csv_maintenance_is_planned_as_the_databases() {
    let r = report_json(&targets("checks.csv"));
    assert_maintenance_is_planned(&r, |k| MONITORS[k].1.to_string());
    let md = run_ok(["report", &arg(&targets("checks.csv")), "-q"]);
    assert!(
        !md.contains("neither up nor down"),
        "maintenance is a word the CSV reader knows:\n{md}"
    );
}

/// The CSV's three URLs are of one host: on 15 Aug the host, on 18 Aug MySQL's port alone, as
/// the database says of its monitors.
#[test]
fn the_csv_targets_of_one_host_say_which_were_down_together() {
    let r = report_json(&targets("checks.csv"));
    assert_shared_host(&r, |k| MONITORS[k].1.to_string());
}

/// The database and the CSV exported from it, read together (the whole folder): each monitor
/// once, under Kuma's name, each README window once, and the CSV's checks counted as copies.
#[test]
fn the_database_and_its_csv_read_together_count_each_check_once() {
    // The CSV's checks, by hand: every row but the maintenance ones.
    let csv = std::fs::read_to_string(targets("checks.csv")).expect("csv");
    let checks = csv
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(3).is_none_or(|s| s != "maintenance"))
        .count() as u64;
    let r = report_json(&targets(""));
    assert_eq!(windows(&r), story_windows(|k| MONITORS[k].0.to_string()));
    let names: Vec<&str> = r["probes"]
        .as_array()
        .expect("probes")
        .iter()
        .map(|p| text(&p["name"]))
        .collect();
    assert_eq!(names, ["SIP", "Web", "MySQL"]);
    let input = |suffix: &str| {
        r["inputs"]
            .as_array()
            .expect("inputs")
            .iter()
            .find(|i| text(&i["path"]).ends_with(suffix))
            .cloned()
            .expect("the input")
    };
    let from_csv = input("checks.csv");
    assert_eq!(from_csv["copies_merged"].as_u64(), Some(checks));
    assert!(input("kuma.db").get("copies_merged").is_none());
    let said = from_csv["problems"].to_string();
    for (name, url) in MONITORS {
        assert!(
            said.contains(&format!("checks of {url} are those of {name} in ")),
            "{said}"
        );
    }
}

/// Uptime Kuma's heartbeat table as users export it (`monitor_id,monitor_name,status,time,msg,
/// ping,important`, made here from the database with SQL): the series are named by the monitors'
/// names, not their ids, status 3 is maintenance and the windows are the README's.
#[test]
fn the_kuma_heartbeat_export_names_monitors_and_keeps_maintenance() {
    let db = open_kuma();
    let mut stmt = db
        .prepare(
            "SELECT h.monitor_id, m.name, h.status, h.time, h.msg, h.ping, h.important \
             FROM heartbeat h JOIN monitor m ON m.id = h.monitor_id ORDER BY h.id",
        )
        .expect("query");
    let mut csv = String::from("monitor_id,monitor_name,status,time,msg,ping,important\n");
    let rows = stmt
        .query_map([], |r| {
            let ping: Option<i64> = r.get(5)?;
            Ok(format!(
                "{},{},{},{},\"{}\",{},{}\n",
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                ping.map(|p| p.to_string()).unwrap_or_default(),
                r.get::<_, i64>(6)?,
            ))
        })
        .expect("rows");
    for row in rows {
        csv.push_str(&row.expect("row"));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("heartbeats.csv");
    std::fs::write(&file, csv).expect("write");
    let r = report_json(&file);
    assert_eq!(windows(&r), story_windows(|k| MONITORS[k].0.to_string()));
    assert_maintenance_is_planned(&r, |k| MONITORS[k].0.to_string());
    assert_eq!(r["inputs"][0]["records_skipped"], 0);
    let out = run_ok(["probes", &arg(&file), "--explain"]);
    assert!(out.contains("column \"monitor_name\""), "{out}");
    assert!(out.contains("Uptime Kuma's heartbeat codes"), "{out}");
}
