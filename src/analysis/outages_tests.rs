//! Unit tests of outage finding on small hand-made series.
use super::checks::{epoch_millis, stood_for_ms};
use super::*;
use crate::analysis::stats::median_of;
use crate::model::Check;
use chrono::TimeZone;
use std::sync::Arc;

fn t(min: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2011, 8, 15, 0, 0, 0).unwrap() + Duration::minutes(min)
}

/// A probe checking every minute from 0 to `len`, failing at the listed minutes, silent in `gaps`.
fn series(name: &str, len: i64, fails: &[i64], gaps: &[(i64, i64)]) -> ProbeSeries {
    let checks = (0..len)
        .filter(|m| !gaps.iter().any(|(a, b)| m >= a && m < b))
        .map(|m| Check::new(t(m), !fails.contains(&m), None))
        .collect();
    ProbeSeries {
        target: None,
        vantage: None,
        host: None,
        name: name.into(),
        intervals: Vec::new(),
        checks,
        source_file: Arc::from("test.csv"),
    }
}

fn range(a: i64, b: i64) -> Vec<i64> {
    (a..b).collect()
}

#[test]
fn service_window_when_the_local_probe_fails_too() {
    let probes = [
        series("us-west", 100, &range(10, 30), &[]),
        series("local-box", 100, &range(11, 29), &[]),
    ];
    let a = find_outages(&probes, &OutageOptions::default());
    assert_eq!(a.outages.len(), 1);
    let o = &a.outages[0];
    assert_eq!(o.kind, OutageKind::Service);
    assert_eq!(
        (o.start, o.last_failure, o.recovered_at),
        (t(10), t(29), Some(t(30)))
    );
    assert_eq!(o.duration_seconds, Some(1200));
    assert_eq!(o.probes[1].failures, 18);
    assert!(o.probes[1].local);
}

#[test]
fn network_partial_and_unclassified() {
    let remote_fail = range(20, 35);
    let probes = [
        series("a", 100, &remote_fail, &[]),
        series("b", 100, &remote_fail, &[]),
        series("c", 100, &range(60, 65), &[]),
        series("onbox", 100, &[], &[]),
    ];
    let a = find_outages(&probes, &OutageOptions::default());
    let kinds: Vec<OutageKind> = a.outages.iter().map(|o| o.kind).collect();
    assert_eq!(kinds, [OutageKind::Network, OutageKind::Partial]);
    // Without a local probe, all remote probes failing is unclassified.
    let all = [
        series("a", 50, &range(5, 9), &[]),
        series("b", 50, &range(5, 9), &[]),
    ];
    assert_eq!(
        find_outages(&all, &OutageOptions::default()).outages[0].kind,
        OutageKind::Unclassified
    );
}

#[test]
fn single_failures_are_blips_and_close_windows_merge() {
    let probes = [series("a", 100, &[3, 40, 41, 44, 45, 46], &[])];
    let a = find_outages(&probes, &OutageOptions::default());
    assert_eq!(a.blips.len(), 1);
    assert_eq!(a.blips[0].start, t(3));
    assert_eq!(
        a.outages.len(),
        1,
        "40-41 and 44-46 are 2 min apart: merged"
    );
    assert_eq!(
        (a.outages[0].start, a.outages[0].recovered_at),
        (t(40), Some(t(47)))
    );
    let apart = OutageOptions {
        merge_gap: Duration::minutes(1),
        ..Default::default()
    };
    assert_eq!(find_outages(&probes, &apart).outages.len(), 2);
    let strict = OutageOptions {
        min_failures: 3,
        ..Default::default()
    };
    let a = find_outages(&probes, &strict);
    assert_eq!((a.outages.len(), a.blips.len()), (1, 2));
}

#[test]
fn gaps_are_unknown_not_up_or_down() {
    let probes = [series("a", 300, &[], &[(100, 220)])];
    let a = find_outages(&probes, &OutageOptions::default());
    let p = &a.probes[0];
    assert_eq!(
        p.unknown,
        vec![Span {
            start: t(100),
            end: t(220),
            seconds: 7200
        }]
    );
    assert_eq!(p.unknown_seconds, 7200);
    assert_eq!(p.up_seconds, 180 * 60);
    assert_eq!(p.down_seconds, 0);
    assert_eq!(p.availability_percent, Some(100.0));
    assert!(a.outages.is_empty());
    let states: Vec<(DateTime<Utc>, &str)> = a
        .transitions
        .iter()
        .map(|t| (t.time, t.state.as_str()))
        .collect();
    assert_eq!(states, [(t(100), "unknown"), (t(220), "up")]);
}

#[test]
fn a_window_without_recovery_has_no_duration() {
    let probes = [
        series("a", 50, &range(45, 50), &[]),
        series("local", 50, &range(46, 50), &[]),
    ];
    let a = find_outages(&probes, &OutageOptions::default());
    let o = &a.outages[0];
    assert_eq!((o.recovered_at, o.duration_seconds), (None, None));
    assert_eq!(o.last_failure, t(49));
}

#[test]
fn unknown_time_inside_a_window_is_counted_per_probe() {
    let probes = [
        series("a", 100, &range(10, 40), &[]),
        series("b", 100, &range(10, 40), &[(20, 30)]),
    ];
    let a = find_outages(&probes, &OutageOptions::default());
    let o = &a.outages[0];
    assert_eq!(o.probes[0].unknown_seconds, 0);
    assert_eq!(o.probes[1].unknown_seconds, 600);
}

#[test]
fn local_probe_by_flag_word_or_host() {
    let probes = [
        series("us-west", 5, &[], &[]),
        series("SIPSVR01 agent", 5, &[], &[]),
    ];
    let host = OutageOptions {
        host: Some("sipsvr01".into()),
        ..Default::default()
    };
    assert_eq!(
        local_probe(&probes, &host).as_deref(),
        Some("SIPSVR01 agent")
    );
    assert_eq!(local_probe(&probes, &OutageOptions::default()), None);
    let flag = OutageOptions {
        local: Some("US-WEST".into()),
        ..Default::default()
    };
    assert_eq!(local_probe(&probes, &flag).as_deref(), Some("us-west"));
}

#[test]
fn json_names_and_times() {
    let probes = [series("a", 30, &range(10, 15), &[])];
    let a = find_outages(&probes, &OutageOptions::default());
    let v = serde_json::to_value(&a).unwrap();
    let o = &v["outages"][0];
    assert_eq!(o["kind"], "unclassified");
    assert_eq!(o["start"], "2011-08-15T00:10:00Z");
    assert_eq!(o["recovered_at"], "2011-08-15T00:15:00Z");
    assert_eq!(o["duration_seconds"], 300);
    assert_eq!(v["transitions"][0]["state"], "down");
}

#[test]
fn median_of_odd_even_and_empty() {
    let median = |v: &[u32]| median_of(|| v.iter().copied());
    assert_eq!(median(&[]), 0);
    assert_eq!(median(&[7]), 7);
    assert_eq!(median(&[9, 1, 5]), 5);
    assert_eq!(median(&[60_000, 1_000, 30_000, 2_000]), 16_000);
    assert_eq!(median(&[u32::MAX, u32::MAX - 2]), u32::MAX - 1);
    // Against a sort, on values spread over many buckets and piled in a few.
    let mut state = 12345u64;
    for len in [1usize, 2, 3, 10, 101, 1000, 4096] {
        let values: Vec<u32> = (0..len)
            .map(|i| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let r = (state >> 33) as u32;
                if i % 3 == 0 {
                    60_000 + r % 7
                } else {
                    r % 5_000_000
                }
            })
            .collect();
        let mut sorted = values.clone();
        sorted.sort_unstable();
        let (lo, hi) = (sorted[(len - 1) / 2], sorted[len / 2]);
        assert_eq!(median(&values), lo + (hi - lo) / 2, "{len} values");
    }
}

#[test]
fn sub_second_checks_still_add_up_to_time_up_and_down() {
    let t0 = Utc.with_ymd_and_hms(2011, 8, 15, 12, 0, 0).unwrap();
    let checks = (0..10_000)
        .map(|i| Check::new(t0 + Duration::milliseconds(250 * i), i % 10 != 0, None))
        .collect();
    let series = ProbeSeries {
        target: None,
        vantage: None,
        host: None,
        name: "fast".into(),
        intervals: Vec::new(),
        checks,
        source_file: Arc::from("fast.csv"),
    };
    let analysis = find_outages(&[series], &OutageOptions::default());
    let p = &analysis.probes[0];
    assert_eq!(p.up_seconds + p.down_seconds, 2500, "{p:?}");
    assert_eq!(p.down_seconds, 250);
    assert!(p
        .availability_percent
        .is_some_and(|a| (a - 90.0).abs() < 0.01));
}

#[test]
fn epoch_millis_and_check_durations_are_chronos() {
    // Days before and after 1970, sub-millisecond times, a day change, a leap second, a year end.
    let base = [
        Utc.with_ymd_and_hms(1969, 12, 31, 23, 59, 58).unwrap(),
        Utc.with_ymd_and_hms(2011, 8, 15, 23, 59, 59).unwrap(),
        Utc.with_ymd_and_hms(2016, 12, 31, 23, 59, 59).unwrap(),
    ];
    let mut times = Vec::new();
    for start in base {
        for step_us in [0, 1, 999, 1_000, 250_000, 1_000_500, 1_500_000] {
            times.push(start + Duration::microseconds(step_us));
        }
    }
    // 23:59:60.5 on 31 Dec 2016: chrono keeps a leap second as nanoseconds past 1e9.
    let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
        .unwrap()
        .and_hms_milli_opt(23, 59, 59, 1_500)
        .unwrap()
        .and_utc();
    times.push(leap);
    times.sort();
    let checks: Vec<Check> = times
        .iter()
        .enumerate()
        .map(|(i, &time)| Check::new(time, i % 3 != 0, None))
        .collect();
    let ours: Vec<i64> = epoch_millis(&checks).collect();
    let chronos: Vec<i64> = times.iter().map(|t| t.timestamp_millis()).collect();
    assert_eq!(ours, chronos);

    // What each check stands for: the whole-millisecond shortcut against chrono's duration.
    let series = ProbeSeries {
        target: None,
        vantage: None,
        host: None,
        name: "p".into(),
        intervals: Vec::new(),
        checks,
        source_file: Arc::from("test.csv"),
    };
    let tl = Timeline::new(&series);
    let chronos: Vec<i64> = (0..series.checks.len())
        .map(|i| (tl.end_of(i) - series.checks[i].time).num_milliseconds())
        .collect();
    assert_eq!(stood_for_ms(&tl).collect::<Vec<_>>(), chronos);
    // 1 ms -> 250 ms after a base time: both whole milliseconds, the shortcut.
    assert!(chronos.contains(&249), "{chronos:?}");
}

/// A state series from (start minute, end minute, state) triples; `failures` 0 each.
fn states(name: &str, ivs: &[(i64, i64, S)]) -> ProbeSeries {
    ProbeSeries {
        target: Some("https://app.example/".into()),
        vantage: None,
        host: None,
        name: name.into(),
        checks: Vec::new(),
        intervals: ivs
            .iter()
            .map(|&(a, b, state)| StateInterval {
                start: t(a),
                end: t(b),
                state,
                failures: 0,
            })
            .collect(),
        source_file: Arc::from("states.csv"),
    }
}

use crate::model::{ProbeState as S, StateInterval};

#[test]
fn a_down_interval_is_a_window_exact_to_its_edges() {
    let mut probe = states(
        "robot",
        &[(0, 10, S::Up), (10, 25, S::Down), (25, 60, S::Up)],
    );
    // Edges on odd seconds: the window keeps them to the second.
    probe.intervals[1].start += Duration::seconds(7);
    probe.intervals[0].end += Duration::seconds(7);
    probe.intervals[1].end += Duration::seconds(3);
    probe.intervals[2].start += Duration::seconds(3);
    let a = find_outages(&[probe], &OutageOptions::default());
    assert_eq!(a.outages.len(), 1, "{a:#?}");
    let o = &a.outages[0];
    let start = t(10) + Duration::seconds(7);
    let up = t(25) + Duration::seconds(3);
    assert_eq!((o.start, o.recovered_at), (start, Some(up)));
    assert_eq!(o.last_failure, up - Duration::seconds(1));
    assert_eq!(o.duration_seconds, Some((up - start).num_seconds()));
    assert_eq!(o.target.as_deref(), Some("https://app.example/"));
    assert_eq!((o.probes[0].checks, o.probes[0].failures), (1, 1));
    let s = &a.probes[0];
    assert_eq!(
        (s.down_seconds, s.up_seconds),
        (
            (up - start).num_seconds(),
            3600 - (up - start).num_seconds()
        )
    );
    assert_eq!(s.state_changes, 3);
    let states: Vec<(&str, DateTime<Utc>)> = a
        .transitions
        .iter()
        .map(|t| (t.state.as_str(), t.time))
        .collect();
    assert_eq!(states, [("down", start), ("up", up)]);
}

#[test]
fn time_outside_intervals_is_unknown_and_a_down_without_an_up_edge_did_not_recover() {
    // Down from 10 to 20, then nothing said until 30: not recovered in the data.
    let a = find_outages(
        &[states(
            "p",
            &[(0, 10, S::Up), (10, 20, S::Down), (30, 40, S::Up)],
        )],
        &OutageOptions::default(),
    );
    let o = &a.outages[0];
    assert_eq!(
        (o.start, o.recovered_at, o.duration_seconds),
        (t(10), None, None)
    );
    assert_eq!(o.last_failure, t(20) - Duration::seconds(1));
    let s = &a.probes[0];
    assert_eq!(s.unknown, vec![span(t(20), t(30))]);
    assert_eq!(
        (s.up_seconds, s.down_seconds, s.unknown_seconds),
        (1200, 600, 600)
    );
    assert!(a
        .transitions
        .iter()
        .any(|x| x.state == "unknown" && x.time == t(20)));
    // No interval at all before 0 and after 40: never up by default.
    assert_eq!((s.first_check, s.last_check), (Some(t(0)), Some(t(40))));
}

#[test]
fn maintenance_is_listed_and_never_an_outage() {
    let a = find_outages(
        &[states(
            "p",
            &[(0, 10, S::Up), (10, 40, S::Maintenance), (40, 50, S::Up)],
        )],
        &OutageOptions::default(),
    );
    assert!(a.outages.is_empty() && a.blips.is_empty(), "{a:#?}");
    assert_eq!(a.maintenance.len(), 1);
    let m = &a.maintenance[0];
    assert_eq!(
        (m.probe.as_str(), m.start, m.end, m.seconds),
        ("p", t(10), t(40), 1800)
    );
    assert_eq!(a.probes[0].maintenance_seconds, 1800);
    assert_eq!(
        (a.probes[0].up_seconds, a.probes[0].down_seconds),
        (1200, 0)
    );
}

#[test]
fn maintenance_beside_checks_is_listed_and_checks_decide_windows() {
    let mut probe = series("kuma", 60, &[], &[(20, 30)]);
    probe.intervals.push(StateInterval {
        start: t(20),
        end: t(30),
        state: S::Maintenance,
        failures: 0,
    });
    let plain = series("kuma", 60, &[], &[(20, 30)]);
    let with = find_outages(std::slice::from_ref(&probe), &OutageOptions::default());
    let without = find_outages(&[plain], &OutageOptions::default());
    assert_eq!(with.maintenance.len(), 1);
    assert_eq!(with.probes[0].maintenance_seconds, 600);
    // The gap the maintenance covers is planned, not unknown (issue 15: maintenance only).
    assert!(without.probes[0].unknown_seconds > 0, "{without:#?}");
    assert_eq!(with.probes[0].unknown_seconds, 0, "{with:#?}");
    assert!(with.probes[0].unknown.is_empty(), "{with:#?}");
    // Its transitions say maintenance where the gap began, not unknown, and up after it.
    let said = |a: &OutageAnalysis| -> Vec<(DateTime<Utc>, String)> {
        a.transitions
            .iter()
            .map(|x| (x.time, x.state.clone()))
            .collect()
    };
    assert_eq!(
        said(&without),
        [(t(20), "unknown".to_string()), (t(30), "up".to_string())]
    );
    assert_eq!(
        said(&with),
        [
            (t(20), "maintenance".to_string()),
            (t(30), "up".to_string())
        ]
    );
}

#[test]
fn a_blip_state_is_a_blip_and_degraded_is_down_only_when_asked() {
    let probe = states(
        "nagios",
        &[
            (0, 10, S::Up),
            (10, 11, S::Blip),
            (11, 20, S::Up),
            (20, 30, S::Degraded),
            (30, 40, S::Up),
        ],
    );
    let a = find_outages(std::slice::from_ref(&probe), &OutageOptions::default());
    assert!(a.outages.is_empty(), "{a:#?}");
    assert_eq!(a.blips.len(), 1);
    assert_eq!(
        (a.blips[0].start, a.blips[0].recovered_at),
        (t(10), Some(t(11)))
    );
    assert_eq!(a.probes[0].degraded_seconds, 600);
    assert!(a
        .transitions
        .iter()
        .any(|x| x.state == "degraded" && x.time == t(20)));
    let strict = OutageOptions {
        warning_is_down: true,
        ..OutageOptions::default()
    };
    let b = find_outages(&[probe], &strict);
    assert_eq!(b.outages.len(), 1);
    assert_eq!(
        (b.outages[0].start, b.outages[0].recovered_at),
        (t(20), Some(t(30)))
    );
}

#[test]
fn vantages_of_one_target_in_states_are_classified_like_checks() {
    let a = find_outages(
        &[
            states("us", &[(0, 10, S::Up), (10, 20, S::Down), (20, 60, S::Up)]),
            states("eu", &[(0, 60, S::Up)]),
        ],
        &OutageOptions::default(),
    );
    assert_eq!(a.outages.len(), 1);
    assert_eq!(a.outages[0].kind, OutageKind::Partial);
}

#[test]
fn a_local_vantage_is_local_for_every_target() {
    // Two targets, each checked from a remote vantage and from the server itself ("onbox").
    let of = |target: &str, vantage: &str, fails: &[i64]| ProbeSeries {
        target: Some(target.into()),
        vantage: Some(vantage.into()),
        ..series(&format!("{target} @ {vantage}"), 100, fails, &[])
    };
    let probes = [
        of("app", "us-west", &range(10, 20)),
        of("app", "us-east", &range(10, 20)),
        of("app", "onbox", &range(10, 20)),
        of("db", "us-west", &range(50, 60)),
        of("db", "us-east", &range(50, 60)),
        of("db", "onbox", &[]),
    ];
    let by_flag = OutageOptions {
        local: Some("onbox".into()),
        ..Default::default()
    };
    let mut names = local_series(&probes, &by_flag);
    names.sort();
    assert_eq!(names, ["app @ onbox", "db @ onbox"]);
    // Found by its name as well, without the flag: the same vantage for both targets.
    assert_eq!(local_series(&probes, &OutageOptions::default()).len(), 2);
    let a = find_outages(&probes, &by_flag);
    let kinds: Vec<OutageKind> = a.outages.iter().map(|o| o.kind).collect();
    // app: the server itself failed too (the service); db: answered on the server while two
    // remote vantages failed (the network).
    assert_eq!(kinds, [OutageKind::Service, OutageKind::Network]);
}

/// Two probes down in turn, then again after both answered: one window (within the 5-minute
/// merge gap), and only the stretch with neither down is "answered".
#[test]
fn a_window_says_where_all_its_probes_answered_again() {
    // a fails 10-14 (good at 15), b fails 13-17 (good at 18): no stretch with neither down.
    // a fails again 21-24: from 18 to 21 both answered.
    let a = series("a", 40, &[10, 11, 12, 13, 14, 21, 22, 23, 24], &[]);
    let b = series("b", 40, &[13, 14, 15, 16, 17], &[]);
    let found = find_outages(&[a, b], &OutageOptions::default());
    assert_eq!(found.outages.len(), 1, "{:?}", found.outages);
    let w = &found.outages[0];
    assert_eq!((w.start, w.recovered_at), (t(10), Some(t(25))));
    assert_eq!(
        w.answered,
        [Answered {
            from: t(18),
            to: t(21)
        }]
    );
    // A merge gap shorter than the 3 minutes makes them two windows, each with nothing inside.
    let opts = OutageOptions {
        merge_gap: Duration::minutes(2),
        ..OutageOptions::default()
    };
    let a = series("a", 40, &[10, 11, 12, 13, 14, 21, 22, 23, 24], &[]);
    let b = series("b", 40, &[13, 14, 15, 16, 17], &[]);
    let apart = find_outages(&[a, b], &opts);
    assert_eq!(apart.outages.len(), 2);
    assert!(apart.outages.iter().all(|w| w.answered.is_empty()));
}
