//! The story on real System logs alone: downtime, natures, clock corrections and renames.
//!
//! Every fact below was read from the logs by hand with python-evtx (`Evtx.Evtx`, each
//! record's XML: EventID, EventRecordID, TimeCreated and the EventData values), independently of
//! faultline, and is written down with the record ids that show it.
use crate::common::{arg, run_ok, shared};
use serde_json::Value;

fn report(path: &std::path::Path, extra: &[&str]) -> Value {
    let mut args = vec![
        "report".to_string(),
        arg(path),
        "--format".into(),
        "json".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push("-q".into());
    serde_json::from_str(&run_ok(&args)).expect("report JSON")
}

/// (nature, down_at prefix, up_at prefix, record ids in the evidence)
fn periods(r: &Value) -> Vec<(String, String, String, Vec<u64>)> {
    r["downtime"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let ids = d["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|e| e["record_id"].as_u64())
                .collect();
            (
                d["nature"].as_str().unwrap().to_string(),
                d["down_at"].as_str().unwrap()[..19].to_string(),
                d["up_at"].as_str().unwrap()[..19].to_string(),
                ids,
            )
        })
        .collect()
}

fn has_all(ids: &[u64], wanted: &[u64]) -> bool {
    wanted.iter().all(|w| ids.contains(w))
}

/// python-evtx's system.evtx (Windows 7, WKS-WIN764BITB):
/// - #12135 1074 "Operating System: Recovery (Planned)" 0x80020002 restart, #12178 Kernel-General
///   13 StopTime 07:08:12.96, #12180 Kernel-General 12 StartTime 07:08:54.5 (2012-03-15);
/// - #12345 1074 "Application: Installation (Planned)" 0x84040002 by SHIELDBASE\rsydow, #12387
///   StopTime 22:22:16.03, #12388 StartTime 22:22:53.5;
/// - #12484 1074 "No title for this reason could be found" 0x500ff (no planned flag), #12527
///   StopTime 22:33:27.06, #12528 StartTime 22:34:05.5;
/// - 2012-04-06: #13386 StartTime 14:06:51.5, #13388 6008 "9:59:13 AM 4/6/2012" whose binary
///   data holds the UTC SYSTEMTIME 13:59:13.029, #13392 Kernel-Power 41 BugcheckCode 65537
///   (0x10001), #13423 WER-SystemErrorReporting 1001 param1 0x00010001;
/// - #13528 StartTime 19:11:16.5, #13530 6008 "3:09:23 PM" with UTC 19:09:23.331 in its binary,
///   #13534 Kernel-Power 41 BugcheckCode 0.
#[test]
fn a_windows_7_system_log_alone_has_its_five_downtimes() {
    let Some(dir) = shared("evtx-samples") else {
        return;
    };
    let r = report(&dir.join("python-evtx/system.evtx"), &[]);
    let got = periods(&r);
    let expect: [(&str, &str, &str, &[u64]); 5] = [
        (
            "planned",
            "2012-03-15T07:08:12",
            "2012-03-15T07:08:54",
            &[12135, 12178, 12180],
        ),
        (
            "planned",
            "2012-03-15T22:22:16",
            "2012-03-15T22:22:53",
            &[12345, 12387, 12388],
        ),
        (
            "unknown",
            "2012-03-15T22:33:27",
            "2012-03-15T22:34:05",
            &[12484, 12527, 12528],
        ),
        (
            "crash",
            "2012-04-06T13:59:13",
            "2012-04-06T14:06:51",
            &[13386, 13388, 13392, 13423],
        ),
        (
            "crash",
            "2012-04-06T19:09:23",
            "2012-04-06T19:11:16",
            &[13528, 13530, 13534],
        ),
    ];
    assert_eq!(got.len(), expect.len(), "{got:?}");
    for (g, e) in got.iter().zip(expect) {
        assert_eq!(
            (g.0.as_str(), g.1.as_str(), g.2.as_str()),
            (e.0, e.1, e.2),
            "{g:?}"
        );
        assert!(has_all(&g.3, e.3), "evidence {:?} lacks {:?}", g.3, e.3);
    }
    let crash = &r["downtime"][3];
    assert_eq!(crash["bugcheck"], "0x00010001");
    assert_eq!(r["downtime"][0]["request"]["planned"], true);
    assert_eq!(r["downtime"][2]["request"]["reason_code"], "0x500ff");
    assert_eq!(r["downtime"][2]["request"]["planned"], false);
    // No probes: every downtime is a window of the report, with the downtime's nature.
    let natures: Vec<&str> = r["outages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["nature"].as_str().unwrap())
        .collect();
    assert_eq!(natures, ["planned", "planned", "unknown", "crash", "crash"]);
    assert!(r["outages"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["kind"] == "host-down"));
}

/// The 6008's text is the server's local time (Eastern: "9:59:13 AM" is 13:59:13Z), but its
/// binary data also holds the UTC SYSTEMTIME, so the stated time does not depend on the zone the
/// user guesses for the server.
#[test]
fn the_6008_stated_time_comes_from_its_binary_whatever_the_zone() {
    let Some(dir) = shared("evtx-samples") else {
        return;
    };
    let r = report(
        &dir.join("python-evtx/system.evtx"),
        &["--input-tz", "Asia/Tokyo"],
    );
    let stated: Vec<&str> = r["outages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["stated_crashes"].as_array().unwrap())
        .map(|c| c["stated_time"].as_str().unwrap())
        .collect();
    assert_eq!(stated.len(), 2, "{stated:?}");
    assert!(stated[0].starts_with("2012-04-06T13:59:13"), "{stated:?}");
    assert!(stated[1].starts_with("2012-04-06T19:09:23"), "{stated:?}");
}

/// omerbenamram's system.evtx (Windows 10):
/// - records 1-173 are WIN-P4SIAA0SQCO, #174 EventLog 6011 (rename) and everything after is
///   DESKTOP-2KGM189: one computer renamed at the boot of 17:18:17;
/// - #169 1074 "Operating System: Upgrade (Planned)" 0x80020003, #179 Kernel-General 13 StopTime
///   17:17:46.21, #180 Kernel-General 12 StartTime 17:18:03.50;
/// - #298 1074 by msiexec.exe, code 0x80030002 (planned flag), #313 StopTime 17:20:13.69, #314
///   StartTime 17:20:28.50;
/// - #218 Kernel-General 1: OldTime 17:18:24.40 NewTime 07:18:24.69 (set back 10 h), #296:
///   OldTime 07:35:10.84 NewTime 17:19:49.28 (set forward again): records 218-295 are dated
///   07:18-07:35 between records of 17:18 and 17:19.
#[test]
fn a_windows_10_log_with_a_rename_and_a_bad_time_sync() {
    let Some(dir) = shared("evtx-samples") else {
        return;
    };
    let r = report(&dir.join("omerbenamram-evtx/system.evtx"), &[]);
    let hosts = r["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 1, "{hosts:?}");
    assert_eq!(hosts[0]["name"], "DESKTOP-2KGM189");
    assert_eq!(hosts[0]["former_names"][0], "WIN-P4SIAA0SQCO");
    let got = periods(&r);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(
        (got[0].0.as_str(), got[0].1.as_str(), got[0].2.as_str()),
        ("planned", "2017-07-12T17:17:46", "2017-07-12T17:18:03")
    );
    assert!(has_all(&got[0].3, &[169, 179, 180]), "{:?}", got[0].3);
    assert_eq!(
        (got[1].0.as_str(), got[1].1.as_str(), got[1].2.as_str()),
        ("planned", "2017-07-12T17:20:13", "2017-07-12T17:20:28")
    );
    assert!(has_all(&got[1].3, &[298, 313, 314]), "{:?}", got[1].3);
    let steps = r["clock_changes"].as_array().unwrap();
    let undone = steps
        .iter()
        .find(|c| c["record_id"] == 218)
        .expect("the step at #218");
    assert_eq!(undone["verdict"], "undone");
    assert_eq!(undone["delta_seconds"], -35999);
    assert_eq!(undone["corrected_events"], 296 - 218);
    let undoes = steps
        .iter()
        .find(|c| c["record_id"] == 296)
        .expect("the step at #296");
    assert_eq!(undoes["verdict"], "undoes");
}

/// omerbenamram's 2-vss_7-System.evtx: #58 1074 "Operating System: Upgrade (Planned)"
/// 0x80020003, #70 StopTime 18:40:18.01, #71 StartTime 18:40:24.50 (2018-07-06); #361 1074
/// "Operating System: Service pack (Planned)" 0x80020010, #375 StopTime 00:41:44.51, #376
/// StartTime 00:41:50.50 (2018-07-12).
#[test]
fn a_volume_shadow_copy_of_a_system_log_has_two_planned_restarts() {
    let Some(dir) = shared("evtx-samples") else {
        return;
    };
    let r = report(&dir.join("omerbenamram-evtx/2-vss_7-System.evtx"), &[]);
    let got = periods(&r);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(
        (got[0].0.as_str(), got[0].1.as_str(), got[0].2.as_str()),
        ("planned", "2018-07-06T18:40:18", "2018-07-06T18:40:24")
    );
    assert!(has_all(&got[0].3, &[58, 70, 71]));
    assert_eq!(
        (got[1].0.as_str(), got[1].1.as_str(), got[1].2.as_str()),
        ("planned", "2018-07-12T00:41:44", "2018-07-12T00:41:50")
    );
    assert!(has_all(&got[1].3, &[361, 375, 376]));
}

/// The Windows XP `SysEvent.Evt` (../shared/samples) has no kernel start record: a boot is
/// dated by the log service's 6009/6005, and drivers' records from the boot are written after
/// them, generated earlier. libevt-python 20260705 (`pyevt`, each record's `identifier`,
/// `creation_time`, `written_time`, `source_name`, `event_identifier`) shows:
/// - #2338 USER32 1074 at 17:02:59, no 6006, #2339 6009 written 17:03:37, #2341 W32Time 35 at
///   17:04:06, #2342 vmdebug 3 generated 17:03:29, written 17:04:13 (2011-08-22);
/// - #3848 USER32 1074 at 07:04:51 and #3849 6006 at 07:04:54 written before #3850 6009 at
///   07:04:50: the clock went back across the restart; #3852 vmdebug 3 generated 07:04:37
///   (2011-09-16);
/// - #6568 atapi 9 at 03:21:33, then #6569 6009 written 06:23:14, #6571 vmdebug 3 generated
///   06:20:18 (2012-02-29).
#[test]
fn an_xp_log_dates_boots_by_what_was_logged_while_it_came_up() {
    let Some(dir) = shared("samples") else {
        return;
    };
    let r = report(&dir.join("SysEvent.Evt"), &[]);
    let all = r["downtime"].as_array().unwrap();
    let listed = periods(&r);
    let find = |day: &str| {
        let k = all
            .iter()
            .position(|d| d["up_at"].as_str().unwrap().starts_with(day))
            .unwrap_or_else(|| panic!("no boot on {day}"));
        (&all[k], &listed[k])
    };
    let (d, p) = find("2011-08-22");
    assert_eq!(
        (p.1.as_str(), p.2.as_str()),
        ("2011-08-22T17:02:59", "2011-08-22T17:03:29")
    );
    assert_eq!(d["duration_seconds"], 30);
    assert!(has_all(&p.3, &[2338, 2342, 2339]), "{:?}", p.3);
    assert!(d["summary"]
        .as_str()
        .unwrap()
        .contains("no clean stop followed"));
    assert!(d["up_basis"]
        .as_str()
        .unwrap()
        .starts_with("vmdebug 3 (#2342)"));

    let (d, p) = find("2011-09-16");
    assert_eq!(
        (p.1.as_str(), p.2.as_str()),
        ("2011-09-16T07:04:54", "2011-09-16T07:04:37")
    );
    assert!(d["duration_seconds"].is_null(), "{d}");
    assert!(has_all(&p.3, &[3848, 3849, 3850]), "{:?}", p.3);
    assert!(d["summary"]
        .as_str()
        .unwrap()
        .contains("the clock was set back across the restart"));

    let (d, p) = find("2012-02-29T06");
    assert_eq!(
        (p.1.as_str(), p.2.as_str()),
        ("2012-02-29T03:21:33", "2012-02-29T06:20:18")
    );
    assert_eq!(d["duration_seconds"], 2 * 3600 + 58 * 60 + 45);
    // The host's total counts it apart, not as nothing.
    assert_eq!(r["hosts"][0]["downtime_unknown"], 1);
    let known: i64 = all
        .iter()
        .filter_map(|d| d["duration_seconds"].as_i64())
        .sum();
    assert_eq!(r["hosts"][0]["downtime_seconds"], known);
    // The boot whose length is not known is listed, and the notes say why it is no window.
    let notes = r["data_quality"]["notes"].to_string();
    assert!(
        notes.contains("1 downtime period(s) whose shutdown is stamped after the boot"),
        "{notes}"
    );
}

/// The XP log's 2012-02-29 hang: libevt-python shows atapi 9 ("did not respond within the
/// timeout period", \Device\Ide\IdePort0) records before the boot, e.g. #6568 at 03:21:33. The
/// knowledge base classes them as storage, and a `.evt`, which names no log, shows no "()".
#[test]
fn an_xp_logs_atapi_timeouts_are_storage_and_its_events_name_no_log() {
    let Some(dir) = shared("samples") else {
        return;
    };
    let md = run_ok(["report", &arg(&dir.join("SysEvent.Evt")), "-q"]);
    assert!(md.contains("\n| atapi 9 | storage | "), "{md}");
    assert!(!md.contains(" () |"), "{md}");
}

/// `sample-with-zero-data-size-event.evtx` (python-evtx): #318 Kernel-General 13 StopTime
/// 2019-09-02 15:58:53, #319 Kernel-General 12 StartTime 2019-09-05 17:09:06, and the next 7031
/// (#362, Sync Host_Session2) at 2019-09-05 17:25:32, after that boot; #259, a 7031 at
/// 2019-09-02 15:57:40, came 12 s before the restart of #273. A service crash after a window
/// recovered is not its nature; one just before it is.
#[test]
fn a_service_crash_after_the_boot_is_not_the_nature_of_the_downtime_before_it() {
    let Some(dir) = shared("evtx-samples") else {
        return;
    };
    let r = report(
        &dir.join("omerbenamram-evtx/sample-with-zero-data-size-event.evtx"),
        &[],
    );
    let nature_from = |start: &str| {
        r["outages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["start"].as_str().unwrap().starts_with(start))
            .map(|o| o["nature"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no window from {start}"))
    };
    assert_eq!(nature_from("2019-09-02T15:58:53"), "unknown");
    assert_eq!(nature_from("2019-09-02T15:57:5"), "service-crash");
}

/// A Security log alone (python-evtx: 2,261 records of Microsoft-Windows-Security-Auditing and
/// -Eventlog, none a boot or shutdown record) gives no window: the report says that no probe data
/// was given and that the System log is what records downtime, not "no probe failed".
#[test]
fn logs_without_boots_and_no_probes_say_which_log_holds_downtime() {
    let Some(dir) = shared("evtx-samples") else {
        return;
    };
    let log = dir.join("omerbenamram-evtx/security.evtx");
    let md = run_ok(["report", &arg(&log), "-q"]);
    assert!(
        md.contains(
            "No outage window was found: no probe data was given, and the logs record no downtime"
        ),
        "{md}"
    );
    assert!(md.contains("The System log records every shutdown, crash and boot"));
    assert!(!md.contains("no probe failed"));
    let html = run_ok(["report", &arg(&log), "-q", "--format", "html"]);
    assert!(html.contains("<p>No outage window was found: no probe data was given"));
}

/// A downtime of seconds reads with its seconds in the summary (the same sample: down 18:40:18,
/// up 18:40:24 UTC, 20:40 CEST in Berlin), not "from 18:40 to 18:40"; an hour-long one keeps
/// minutes (tests/e2e/report.rs).
#[test]
fn a_downtime_of_seconds_is_told_in_seconds() {
    let Some(dir) = shared("evtx-samples") else {
        return;
    };
    let log = dir.join("omerbenamram-evtx/2-vss_7-System.evtx");
    let md = run_ok(["report", &arg(&log), "-q", "--tz", "Europe/Berlin"]);
    let summary = md.lines().find(|l| l.contains("was down for")).unwrap();
    assert!(
        summary.contains("on 2018-07-06 from 20:40:18 to 20:40:24 CEST (18:40:18 to 18:40:24 UTC)"),
        "{summary}"
    );
    assert!(
        summary.contains("It went down at 20:40:18 (StopTime")
            && summary.contains("came back at 20:40:24 (StartTime"),
        "{summary}"
    );
}

/// The scenario's probes cover 2011-08-05..15: its planned power-off of 2011-08-01 (#8 1074
/// "Hardware: Installation (Planned)", #9 6006, #12 Kernel-General 12) is listed as downtime but
/// is no window, and the restart during Outage 4 (#392 1074, #393 6006) is matched to it.
#[test]
fn with_probes_downtime_outside_them_is_listed_and_inside_is_matched() {
    let r = report(&crate::common::aug15(""), &[]);
    assert_eq!(r["outages"].as_array().unwrap().len(), 4);
    assert_eq!(r["downtime"][0]["nature"], "planned");
    assert!(r["downtime"][0]["down_at"]
        .as_str()
        .unwrap()
        .starts_with("2011-08-01T16:40:41"));
    let main = &r["outages"][3];
    assert_eq!(main["nature"], "resource-exhaustion");
    assert!(main["downtime"][0]["down_at"]
        .as_str()
        .unwrap()
        .starts_with("2011-08-16T01:22"));
}

/// The scenario's MySQL crash of 2011-08-08 (7031) and its restart (7036 running), as the story
/// module defines them, are one service downtime.
#[test]
fn a_crashed_service_is_down_until_it_runs_again() {
    use faultline::synth::story;
    let r = report(&crate::common::aug15(""), &[]);
    let services = r["service_downtime"].as_array().unwrap();
    let mysql: Vec<&Value> = services
        .iter()
        .filter(|d| d["service"] == "MySQL")
        .collect();
    assert_eq!(mysql.len(), 1, "{services:?}");
    let rfc = |t: chrono::DateTime<chrono::Utc>| faultline::model::rfc3339(&t);
    assert_eq!(mysql[0]["down_at"], rfc(story::aug08_mysql_crash()));
    assert_eq!(mysql[0]["running_at"], rfc(story::aug08_mysql_restart()));
    assert_eq!(mysql[0]["how"], "crashed");
}
