//! Unit tests of the Nagios log reader: HARD and SOFT, blips, warnings, rotation, downtime,
//! bracketed dates, other lines and truncation.
use super::*;
use crate::model::StateInterval;

fn read(text: &str) -> ProbeStoreRead {
    read_bytes(Path::new("nagios.log"), text.as_bytes(), Zone::UTC).unwrap()
}

fn states(read: &ProbeStoreRead, name: &str) -> Vec<(i64, i64, ProbeState)> {
    let p = read.probes.iter().find(|p| p.name == name).unwrap();
    p.intervals
        .iter()
        .map(|iv: &StateInterval| (iv.start.timestamp(), iv.end.timestamp(), iv.state))
        .collect()
}

const LOG: &str = "[1000] LOG ROTATION: DAILY\n\
[1000] LOG VERSION: 2.0\n\
[1000] CURRENT SERVICE STATE: web;HTTP;OK;HARD;1;HTTP OK\n\
[1000] CURRENT HOST STATE: web;UP;HARD;1;PING OK\n\
[1100] SERVICE ALERT: web;HTTP;CRITICAL;SOFT;1;connect timeout\n\
[1160] SERVICE ALERT: web;HTTP;CRITICAL;HARD;2;connect timeout\n\
[1160] SERVICE NOTIFICATION: admin;web;HTTP;CRITICAL;notify-by-email;timeout\n\
[1400] SERVICE ALERT: web;HTTP;OK;HARD;2;HTTP OK\n\
[1500] SERVICE ALERT: web;HTTP;CRITICAL;SOFT;1;slow\n\
[1560] SERVICE ALERT: web;HTTP;OK;SOFT;2;HTTP OK\n\
[1600] SERVICE ALERT: web;HTTP;WARNING;HARD;2;slowish\n\
[1700] SERVICE ALERT: web;HTTP;OK;HARD;2;HTTP OK\n\
[1800] EXTERNAL COMMAND: SCHEDULE_HOST_DOWNTIME;web;1800;2000\n\
[1800] HOST DOWNTIME ALERT: web;STARTED; Host has entered a period of scheduled downtime\n\
[1850] HOST ALERT: web;DOWN;HARD;1;PING CRITICAL\n\
[2000] HOST DOWNTIME ALERT: web;STOPPED; Host has exited from a period of scheduled downtime\n\
[2100] HOST ALERT: web;UP;HARD;1;PING OK\n";

#[test]
fn hard_problems_are_down_from_the_first_soft_attempt_and_soft_ones_are_blips() {
    let r = read(LOG);
    assert_eq!(
        states(&r, "web;HTTP"),
        [
            (1000, 1100, ProbeState::Up),
            (1100, 1400, ProbeState::Down),
            (1400, 1500, ProbeState::Up),
            (1500, 1560, ProbeState::Blip),
            (1560, 1600, ProbeState::Up),
            (1600, 1700, ProbeState::Degraded),
            (1700, 2100, ProbeState::Up),
        ]
    );
    assert_eq!(
        r.probes
            .iter()
            .find(|p| p.name == "web;HTTP")
            .unwrap()
            .intervals[1]
            .failures,
        2
    );
}

#[test]
fn downtime_is_maintenance_and_a_host_down_in_it_shows_when_it_ends() {
    let r = read(LOG);
    assert_eq!(
        states(&r, "web"),
        [
            (1000, 1800, ProbeState::Up),
            (1800, 2000, ProbeState::Maintenance),
            (2000, 2100, ProbeState::Down),
            (2100, 2100, ProbeState::Up),
        ]
    );
}

#[test]
fn other_lines_are_counted_not_errors_and_the_vocabulary_is_said() {
    let r = read(LOG);
    // LOG ROTATION, LOG VERSION, the notification, the external command.
    assert_eq!(r.tally.ignored, 4);
    assert!(r.report.problems.is_empty(), "{:?}", r.report.problems);
    assert!(
        r.notes.iter().any(|n| n.contains("\"CRITICAL = down\" ×3")),
        "{:?}",
        r.notes
    );
    assert!(r
        .notes
        .iter()
        .any(|n| n.contains("4 lines that are not probe states")));
}

#[test]
fn unknown_words_and_damaged_lines_are_named() {
    let r = read(
        "[100] SERVICE ALERT: a;b;OK;HARD;1;fine\n\
[200] SERVICE ALERT: a;b;MELTED;HARD;1;??\n\
[300] SERVICE ALERT: a;b\n\
[x] SERVICE ALERT: a;b;OK;HARD;1;fine\n\
no prefix at all\n\
[400] SERVICE ALERT: a;b;OK;HARD;1;fine\n",
    );
    assert!(
        r.notes.iter().any(|n| n.contains("\"MELTED\" ×1")),
        "{:?}",
        r.notes
    );
    assert_eq!(r.tally.unknown, 1);
    assert_eq!(r.tally.damaged, 3);
    assert!(r.report.problems[0].starts_with("line 3:"));
    assert_eq!(
        states(&r, "a;b"),
        [
            (100, 200, ProbeState::Up),
            (200, 400, ProbeState::Unknown),
            (400, 400, ProbeState::Up)
        ]
    );
}

#[test]
fn bracketed_dates_are_read_in_the_input_zone() {
    let text = "[Tue Jan 12 00:00:32 2016] SERVICE ALERT: h;s;CRITICAL;HARD;1;x\n\
[Tue Jan 12 00:10:32 2016] SERVICE ALERT: h;s;OK;HARD;1;y\n";
    assert!(sniff(text.as_bytes()));
    let zone = Zone::parse("Europe/Berlin").unwrap();
    let r = read_bytes(Path::new("n.log"), text.as_bytes(), zone).unwrap();
    let iv = r.probes[0].intervals[0];
    assert_eq!(crate::model::rfc3339(&iv.start), "2016-01-11T23:00:32Z");
    assert_eq!((iv.end - iv.start).num_seconds(), 600);
    assert!(r.notes.iter().any(|n| n.contains("Europe/Berlin")));
}

#[test]
fn a_soft_state_at_the_end_is_unknown_and_rotation_soft_states_are_said() {
    let r = read(
        "[100] CURRENT SERVICE STATE: a;b;CRITICAL;SOFT;2;x\n\
[200] SERVICE ALERT: a;b;CRITICAL;HARD;3;x\n\
[300] SERVICE ALERT: a;b;OK;HARD;3;y\n\
[400] SERVICE ALERT: a;b;CRITICAL;SOFT;1;x\n\
[500] PROGRAM RESTART\n",
    );
    assert_eq!(
        states(&r, "a;b"),
        [
            (100, 300, ProbeState::Down),
            (300, 400, ProbeState::Up),
            (400, 500, ProbeState::Unknown)
        ]
    );
    assert!(r.notes.iter().any(|n| n.contains("began before the file")));
    assert!(r
        .notes
        .iter()
        .any(|n| n.contains("neither HARD nor recovered")));
}

#[test]
fn sniffs_nagios_but_not_other_bracketed_text() {
    assert!(sniff(LOG.as_bytes()));
    assert!(!sniff(b"[2024-01-01] started\n[info] nothing\n"));
    assert!(!sniff(b"timestamp,monitor,status\n"));
}

#[test]
fn truncation_at_every_byte_never_panics() {
    for n in 0..LOG.len() {
        if let Ok(r) = read_bytes(Path::new("t.log"), &LOG.as_bytes()[..n], Zone::UTC) {
            let t = r.tally;
            assert_eq!(
                r.report.records_read + r.report.records_skipped,
                t.checks + t.damaged + t.unknown
            );
        }
    }
}

/// Cut into blocks of any size and parsed on several workers, a log reads as it reads whole:
/// the same series, intervals, counts, problems (with their line numbers) and notes.
#[test]
fn blocks_on_workers_read_like_the_whole_log() {
    let log = format!(
        "{LOG}\n[2200] SERVICE ALERT: web;HTTP;PURPLE;HARD;1;odd\n[x] SERVICE ALERT: a\n\
         no prefix\n[2300] SERVICE ALERT: web;HTTP;CRITICAL;MAYBE;1;x\n\
         [2400] HOST ALERT: db;DOWN;SOFT;1;PING\n[2500] SERVICE DOWNTIME ALERT: web;HTTP\n"
    );
    let whole = |split| {
        let r = read_split(Path::new("n.log"), log.as_bytes(), Zone::UTC, split).unwrap();
        format!("{:?}\n{:?}\n{:?}", r.probes, r.report, r.notes)
    };
    let once = Split::every_cut_reads_as_one_block(log.len(), whole);
    assert!(
        once.contains("line 22: \\\"MAYBE\\\" is neither HARD nor SOFT"),
        "{once}"
    );
}
