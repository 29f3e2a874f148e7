//! Targets that share a host: when several checked targets live on one host (a Nagios host's
//! services, URLs and ports of one server), a window of one of them says which others were down
//! with it (the host) and which kept answering (this service alone).
use super::intervals::{Intervals, Span};
use super::outages::{window_end, Outage, ProbeSummary};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Serialize)]
pub struct SharedHost {
    /// The host the targets share.
    pub host: String,
    /// The other targets of that host with a window overlapping this one.
    pub down_together: Vec<String>,
    /// The other targets of that host without one.
    pub answering: Vec<String>,
}

/// The host a target names: a URL's host, a Nagios `host;service`'s host, a `host:port`'s host,
/// else the target itself; lower-cased.
pub fn target_host(target: &str) -> String {
    let t = target.trim();
    let t = t.split_once("://").map_or(t, |(_, rest)| rest);
    let t = t.split(['/', ';']).next().unwrap_or(t);
    let t = match t.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => t,
    };
    t.trim_matches(['[', ']']).to_ascii_lowercase()
}

/// The host a probe's target is on: the one its input says (a Kuma monitor's URL), else the
/// one the target names.
fn host_of_probe(host: Option<&str>, target: &str) -> String {
    host.map_or_else(|| target_host(target), str::to_ascii_lowercase)
}

/// For each window, the targets of its host down with it and answering (`None` when its host
/// has one target only, or the window has no target).
pub fn shared_hosts(windows: &[&Outage], probes: &[ProbeSummary]) -> Vec<Option<SharedHost>> {
    let targets = host_targets(probes);
    // A target named under several hosts is on the first of them (the pairs are sorted).
    let mut host_of: HashMap<&str, &str> = HashMap::new();
    let mut on_host: HashMap<&str, Vec<&str>> = HashMap::new();
    for (h, t) in &targets {
        host_of.entry(t).or_insert(h);
        on_host.entry(h).or_default().push(t);
    }
    let windows_of = windows_by_target(windows);
    windows
        .iter()
        .map(|w| {
            let target = w.target.as_deref()?;
            let host = host_of
                .get(target)
                .map_or_else(|| target_host(target), |h| h.to_string());
            let others: Vec<&str> = on_host
                .get(host.as_str())
                .into_iter()
                .flatten()
                .copied()
                .filter(|&t| t != target)
                .collect();
            if others.is_empty() {
                return None;
            }
            let down = |t: &str| {
                windows_of
                    .get(t)
                    .is_some_and(|ix| ix.first_overlapping(w.start, window_end(w)).is_some())
            };
            let (down_together, answering): (Vec<String>, Vec<String>) =
                others.into_iter().map(String::from).partition(|t| down(t));
            Some(SharedHost {
                host,
                down_together,
                answering,
            })
        })
        .collect()
}

/// The (host, target) pairs of the probes, sorted, once each.
fn host_targets(probes: &[ProbeSummary]) -> Vec<(String, String)> {
    let mut targets: Vec<(String, String)> = probes
        .iter()
        .filter_map(|p| {
            let t = p.target.clone()?;
            Some((host_of_probe(p.host.as_deref(), &t), t))
        })
        .collect();
    targets.sort();
    targets.dedup();
    targets
}

/// Each target's windows, indexed by time.
fn windows_by_target<'a>(windows: &[&'a Outage]) -> HashMap<&'a str, Intervals> {
    let mut spans: HashMap<&str, Vec<Span>> = HashMap::new();
    for w in windows {
        if let Some(t) = w.target.as_deref() {
            spans.entry(t).or_default().push((w.start, window_end(w)));
        }
    }
    spans
        .into_iter()
        .map(|(t, s)| (t, Intervals::new(s)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::intervals::tests::Rng;
    use crate::model::OutageKind;
    use chrono::{DateTime, Duration, TimeZone, Utc};

    // The all-pairs version the indexed one replaced: the reference of the random test.
    /// For each window, the targets of its host down with it and answering (`None` when its host
    /// has one target only, or the window has no target).
    fn shared_hosts_scan(windows: &[&Outage], probes: &[ProbeSummary]) -> Vec<Option<SharedHost>> {
        // The pairs as the indexed version makes them: only the per-window scan is the reference.
        let targets = host_targets(probes);
        windows
            .iter()
            .map(|w| {
                let target = w.target.as_deref()?;
                let host = targets
                    .iter()
                    .find(|(_, t)| t == target)
                    .map_or_else(|| target_host(target), |(h, _)| h.clone());
                let others: Vec<&String> = targets
                    .iter()
                    .filter(|(h, t)| *h == host && t != target)
                    .map(|(_, t)| t)
                    .collect();
                if others.is_empty() {
                    return None;
                }
                let overlaps = |o: &Outage| o.start <= window_end(w) && w.start <= window_end(o);
                let (down_together, answering): (Vec<String>, Vec<String>) =
                    others.into_iter().cloned().partition(|t| {
                        windows
                            .iter()
                            .any(|o| o.target.as_deref() == Some(t.as_str()) && overlaps(o))
                    });
                Some(SharedHost {
                    host,
                    down_together,
                    answering,
                })
            })
            .collect()
    }

    #[test]
    fn the_host_of_a_target_is_read_from_urls_ports_and_nagios_names() {
        assert_eq!(
            target_host("https://App.example.com:8443/health"),
            "app.example.com"
        );
        assert_eq!(target_host("db01:3306"), "db01");
        assert_eq!(target_host("SIPSVR01;MySQL"), "sipsvr01");
        assert_eq!(target_host("[2001:db8::1]:443"), "2001:db8::1");
        assert_eq!(target_host("web01"), "web01");
    }

    #[test]
    fn a_host_the_input_says_wins_over_the_target_name() {
        assert_eq!(host_of_probe(Some("DB01.lan"), "MySQL"), "db01.lan");
        assert_eq!(host_of_probe(None, "SIPSVR01;MySQL"), "sipsvr01");
    }

    fn at(m: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap() + Duration::minutes(m)
    }

    const TARGETS: [&str; 7] = [
        "web01:80",
        "web01:443",
        "db01;MySQL",
        "db01;Disk",
        "lone",
        "WEB01",
        "x",
    ];

    fn random_window(rng: &mut Rng) -> Outage {
        let start = rng.below(100) as i64;
        let last = start + rng.below(15) as i64;
        let target = (rng.below(8) > 0).then(|| TARGETS[rng.below(7) as usize].to_string());
        Outage {
            kind: OutageKind::Service,
            target,
            start: at(start),
            last_failure: at(last),
            recovered_at: (rng.below(3) > 0).then(|| at(last + rng.below(2) as i64)),
            duration_seconds: None,
            probes: Vec::new(),
            answered: Vec::new(),
        }
    }

    fn random_probe(rng: &mut Rng) -> ProbeSummary {
        ProbeSummary {
            name: format!("p{}", rng.below(5)),
            target: (rng.below(6) > 0).then(|| TARGETS[rng.below(7) as usize].to_string()),
            vantage: None,
            host: [None, Some("DB01"), Some("web01")][rng.below(3) as usize].map(String::from),
            local: false,
            source_file: String::new(),
            checks: 0,
            failures: 0,
            first_check: None,
            last_check: None,
            median_interval_seconds: None,
            up_seconds: 0,
            down_seconds: 0,
            unknown_seconds: 0,
            availability_percent: None,
            unknown: Vec::new(),
            state_changes: 0,
            degraded_seconds: 0,
            maintenance_seconds: 0,
        }
    }

    #[test]
    fn indexed_shared_hosts_match_the_all_pairs_scan_on_random_windows() {
        let mut rng = Rng(0x853c_49e6_748f_ea9b);
        for case in 0..500 {
            let mut windows: Vec<Outage> = (0..rng.below(25))
                .map(|_| random_window(&mut rng))
                .collect();
            windows.sort_by_key(|w| w.start);
            let refs: Vec<&Outage> = windows.iter().collect();
            let probes: Vec<ProbeSummary> =
                (0..rng.below(8)).map(|_| random_probe(&mut rng)).collect();
            let got = format!("{:?}", shared_hosts(&refs, &probes));
            assert_eq!(
                got,
                format!("{:?}", shared_hosts_scan(&refs, &probes)),
                "case {case}"
            );
        }
    }
}
