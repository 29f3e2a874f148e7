//! Series of one probe from several files (any format) merged into one: checks sorted with the
//! duplicates of an earlier file dropped and counted, state intervals kept where they do not overlap;
//! and a series that is a copy of another file's under another name (a Kuma database and the CSV
//! exported from it) counted once.
use crate::model::{Check, InputKind, InputReport, ProbeSeries, StateInterval};
use std::collections::HashMap;
use std::sync::Arc;

/// Merges series of the same probe name (from several files): checks sorted, and a check at the
/// time of one from an earlier file dropped, counted as skipped in its own file's report.
pub fn merge_probes(series: Vec<ProbeSeries>, reports: &mut [InputReport]) -> Vec<ProbeSeries> {
    let mut merged: Vec<ProbeSeries> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for s in series {
        match index.get(&s.name) {
            Some(&i) => {
                let m = &mut merged[i];
                let duplicates = shared_times(&m.checks, &s.checks);
                if duplicates > 0 {
                    if let Some(r) = reports.iter_mut().find(|r| *r.path == *s.source_file) {
                        r.records_read = r.records_read.saturating_sub(duplicates);
                        r.records_skipped += duplicates;
                        r.problems.push(format!(
                            "{duplicates} checks of {} also in {} at the same times: counted once (duplicates skipped)",
                            s.name, m.source_file
                        ));
                    }
                }
                m.checks.extend(s.checks);
                // Stable: at equal times the earlier file's check comes first and is kept.
                m.checks.sort_by_key(|c| c.time);
                m.checks.dedup_by_key(|c| c.time);
                let overlapping = merge_intervals(&mut m.intervals, s.intervals);
                if overlapping > 0 {
                    if let Some(r) = reports.iter_mut().find(|r| *r.path == *s.source_file) {
                        r.problems.push(format!(
                            "{overlapping} states of {} overlap states in {}: the earlier file's kept",
                            s.name, m.source_file
                        ));
                    }
                }
                if !m.source_file.split(", ").any(|f| f == &*s.source_file) {
                    m.source_file = Arc::from(format!("{}, {}", m.source_file, s.source_file));
                }
            }
            None => {
                index.insert(s.name.clone(), merged.len());
                merged.push(s);
            }
        }
    }
    drop_copies(merged, reports)
}

/// Checks that prove two series are one monitor's: the same times, outcomes and latencies, with a
/// latency on at least half of them (up-down alone is shared by every target of a host down
/// together, and so are the times of one monitor's schedule).
fn same_checks(a: &[Check], b: &[Check]) -> bool {
    let timed = a.iter().filter(|c| c.latency_ms().is_some()).count();
    a.len() >= 2
        && a.len() == b.len()
        && timed * 2 >= a.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.time == y.time && x.ok() == y.ok() && x.latency_ms() == y.latency_ms())
}

/// Drops a series whose checks are another file's series' check for check (the same monitor
/// exported twice under two names): the monitoring store's series is kept (it names the monitor
/// as the monitor does), else the first read; the copy is counted in its file's `copies_merged`
/// and named in its problems.
fn drop_copies(series: Vec<ProbeSeries>, reports: &mut [InputReport]) -> Vec<ProbeSeries> {
    let from_store = |reports: &[InputReport], s: &ProbeSeries| {
        reports
            .iter()
            .find(|r| *r.path == *s.source_file)
            .is_some_and(|r| matches!(r.kind, InputKind::ProbeStore(_)))
    };
    let mut kept: Vec<ProbeSeries> = Vec::with_capacity(series.len());
    for s in series {
        let original = kept.iter().position(|k| {
            k.source_file != s.source_file
                && k.intervals == s.intervals
                && same_checks(&k.checks, &s.checks)
        });
        let Some(i) = original else {
            kept.push(s);
            continue;
        };
        let copy = if from_store(reports, &s) && !from_store(reports, &kept[i]) {
            std::mem::replace(&mut kept[i], s)
        } else {
            s
        };
        let original = &kept[i];
        if let Some(r) = reports.iter_mut().find(|r| *r.path == *copy.source_file) {
            let n = copy.checks.len() as u64;
            r.copies_merged += n;
            r.problems.push(format!(
                "the {n} checks of {} are those of {} in {} (the same times, outcomes and latencies): one monitor exported twice, counted once there",
                copy.name, original.name, original.source_file
            ));
        }
    }
    kept
}
/// Adds `more` to `kept` (both sorted, not overlapping): an interval of `more` that overlaps one
/// already kept is dropped, so the earlier file's states stand. Returns how many were dropped.
fn merge_intervals(kept: &mut Vec<StateInterval>, more: Vec<StateInterval>) -> usize {
    if more.is_empty() {
        return 0;
    }
    let before = more.len();
    let fresh: Vec<StateInterval> = more
        .into_iter()
        .filter(|iv| {
            // The first kept interval ending after iv starts is the only one that can overlap.
            let i = kept.partition_point(|k| k.end <= iv.start);
            kept.get(i).is_none_or(|k| k.start >= iv.end)
        })
        .collect();
    let dropped = before - fresh.len();
    kept.extend(fresh);
    kept.sort_by_key(|iv| iv.start);
    dropped
}

/// How many times of `b` are also times of `a` (both sorted, each without repeats).
fn shared_times(a: &[Check], b: &[Check]) -> u64 {
    let (mut i, mut j, mut shared) = (0, 0, 0);
    while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
        match x.time.cmp(&y.time) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    shared
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ProbeState;
    use chrono::{DateTime, TimeZone, Utc};

    fn t(m: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2011, 8, 15, 0, 0, 0).unwrap() + chrono::Duration::minutes(m)
    }

    fn iv(a: i64, b: i64, state: ProbeState) -> StateInterval {
        StateInterval {
            start: t(a),
            end: t(b),
            state,
            failures: 0,
        }
    }

    #[test]
    fn intervals_of_a_later_file_fill_in_where_the_earlier_one_says_nothing() {
        let series = |file: &str, intervals| ProbeSeries {
            name: "web".into(),
            target: Some("web".into()),
            vantage: None,
            host: None,
            checks: Vec::new(),
            intervals,
            source_file: Arc::from(file),
        };
        let a = series(
            "a.csv",
            vec![iv(0, 10, ProbeState::Up), iv(10, 20, ProbeState::Down)],
        );
        let b = series(
            "b.csv",
            vec![iv(15, 30, ProbeState::Up), iv(30, 40, ProbeState::Down)],
        );
        let mut reports = [InputReport {
            path: "b.csv".into(),
            ..Default::default()
        }];
        let merged = merge_probes(vec![a, b], &mut reports);
        assert_eq!(
            reports[0].problems,
            ["1 states of web overlap states in a.csv: the earlier file's kept"]
        );
        assert_eq!(merged.len(), 1);
        let got: Vec<(DateTime<Utc>, ProbeState)> = merged[0]
            .intervals
            .iter()
            .map(|i| (i.start, i.state))
            .collect();
        assert_eq!(
            got,
            [
                (t(0), ProbeState::Up),
                (t(10), ProbeState::Down),
                (t(30), ProbeState::Down)
            ]
        );
        assert_eq!(&*merged[0].source_file, "a.csv, b.csv");
    }
}
