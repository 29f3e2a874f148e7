//! The report's per-window lookups against the all-pairs scans they replaced, on random windows.
use super::*;
use crate::analysis::intervals::tests::Rng;
use chrono::TimeZone;

/// The all-pairs version of `overlap_groups` (as `overlaps` was, on the windows' hosts and spans).
fn overlap_groups_scan(windows: &[HostSpan]) -> Vec<Overlap> {
    let mut out: Vec<Overlap> = Vec::new();
    for (i, &(ha, sa, ea)) in windows.iter().enumerate() {
        let Some(ha) = ha else { continue };
        for (j, &(hb, sb, eb)) in windows.iter().enumerate().skip(i + 1) {
            let Some(hb) = hb else { continue };
            if ha == hb {
                continue;
            }
            let from = sa.max(sb);
            let to = ea.min(eb);
            if from > to {
                continue;
            }
            let joins =
                |o: &&mut Overlap| o.windows.contains(&(i + 1)) && o.from.max(from) <= o.to.min(to);
            match out.iter_mut().find(joins) {
                Some(o) => {
                    if !o.windows.contains(&(j + 1)) {
                        o.windows.push(j + 1);
                    }
                    if !o.hosts.iter().any(|h| h == hb) {
                        o.hosts.push(hb.to_string());
                    }
                    o.from = o.from.max(from);
                    o.to = o.to.min(to);
                }
                None => out.push(Overlap {
                    hosts: vec![ha.to_string(), hb.to_string()],
                    windows: vec![i + 1, j + 1],
                    from,
                    to,
                }),
            }
        }
    }
    out
}

/// The all-pairs version of `related_pairs` (as `add_related` was).
fn related_pairs_scan(
    sigs: &[Vec<String>],
    together: &[Vec<usize>],
) -> Vec<Vec<(usize, Vec<String>)>> {
    let mut out = vec![Vec::new(); sigs.len()];
    for (i, pairs) in out.iter_mut().enumerate() {
        for (j, other) in sigs.iter().enumerate() {
            if i == j || together[i].contains(&j) {
                continue;
            }
            let shared: Vec<String> = sigs[i]
                .iter()
                .filter(|s| other.contains(s))
                .cloned()
                .collect();
            if !shared.is_empty() {
                pairs.push((j, shared));
            }
        }
    }
    out
}

/// The scan of `downtime_inside` (as `build` filtered every period for every window).
fn downtime_inside_scan(
    periods: &[Downtime],
    windows: &[(Outage, Option<String>)],
) -> Vec<Vec<usize>> {
    windows
        .iter()
        .map(|(w, host)| {
            (0..periods.len())
                .filter(|&k| {
                    let d = &periods[k];
                    d.down_at <= window_end(w) && d.up_at >= w.start
                })
                .filter(|&k| {
                    let d = &periods[k];
                    d.host.is_empty() || host.as_ref().is_none_or(|h| *h == d.host)
                })
                .collect()
        })
        .collect()
}

fn at(m: u64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap() + Duration::minutes(m as i64)
}

/// A window on few minutes (ties), zero-length or not, recovered or not.
fn random_window(rng: &mut Rng, spread: u64) -> Outage {
    let start = rng.below(spread);
    let last = start + rng.below(20);
    Outage {
        kind: crate::model::OutageKind::Service,
        target: None,
        start: at(start),
        last_failure: at(last),
        recovered_at: (rng.below(4) > 0).then(|| at(last + rng.below(3))),
        duration_seconds: None,
        probes: Vec::new(),
        answered: Vec::new(),
    }
}

/// Up to 40 windows over 20 to 120 minutes: sparse, or crowded into long chains of overlaps.
fn random_windows(rng: &mut Rng) -> Vec<Outage> {
    let spread = 20 + rng.below(100);
    let mut windows: Vec<Outage> = (0..rng.below(40))
        .map(|_| random_window(rng, spread))
        .collect();
    windows.sort_by_key(|w| w.start);
    windows
}

const HOSTS: [Option<&str>; 4] = [None, Some("a"), Some("b"), Some("c")];

#[test]
fn overlap_groups_match_the_all_pairs_scan_on_random_windows() {
    let mut rng = Rng(0x6a09_e667_f3bc_c908);
    for case in 0..3000 {
        let windows = random_windows(&mut rng);
        let spans: Vec<HostSpan> = windows
            .iter()
            .map(|w| (HOSTS[rng.below(4) as usize], w.start, window_end(w)))
            .collect();
        let got = format!("{:?}", overlap_groups(&spans));
        assert_eq!(
            got,
            format!("{:?}", overlap_groups_scan(&spans)),
            "case {case}"
        );
    }
}

#[test]
fn related_pairs_match_the_all_pairs_scan_on_random_signatures() {
    let mut rng = Rng(0xbb67_ae85_84ca_a73b);
    let entries = [
        "Srv:2019",
        "Disk:7",
        "Ntfs:55",
        "Service Control Manager:7031",
    ];
    for case in 0..600 {
        let windows = random_windows(&mut rng);
        let together = attribution::overlapping(&windows);
        let sigs: Vec<Vec<String>> = windows
            .iter()
            .map(|_| {
                (0..rng.below(4))
                    .map(|_| entries[rng.below(4) as usize].to_string())
                    .collect()
            })
            .collect();
        assert_eq!(
            related_pairs(&sigs, &together),
            related_pairs_scan(&sigs, &together),
            "case {case}"
        );
    }
}

fn random_downtime(rng: &mut Rng) -> Downtime {
    let down = rng.below(130);
    Downtime {
        host: ["", "a", "b"][rng.below(3) as usize].into(),
        nature: crate::analysis::downtime::DowntimeNature::Unknown,
        clean: false,
        down_at: at(down),
        down_basis: String::new(),
        up_at: at(down + rng.below(15)),
        up_basis: String::new(),
        duration_seconds: Some(0),
        request: None,
        bugcheck: None,
        summary: String::new(),
        evidence: Vec::new(),
    }
}

#[test]
fn downtime_inside_windows_matches_the_scan_of_every_period() {
    let mut rng = Rng(0x3c6e_f372_fe94_f82b);
    for case in 0..600 {
        let windows: Vec<(Outage, Option<String>)> = random_windows(&mut rng)
            .into_iter()
            .map(|w| (w, HOSTS[rng.below(4) as usize].map(String::from)))
            .collect();
        // Periods by host, then time, as the downtime analysis lists them.
        let mut periods: Vec<Downtime> = (0..rng.below(20))
            .map(|_| random_downtime(&mut rng))
            .collect();
        periods.sort_by(|a, b| a.host.cmp(&b.host).then(a.down_at.cmp(&b.down_at)));
        assert_eq!(
            downtime_inside(&periods, &windows),
            downtime_inside_scan(&periods, &windows),
            "case {case}"
        );
    }
}
