//! Targets that share a host: when several checked targets live on one host (a Nagios host's
//! services, URLs and ports of one server), a window of one of them says which others were down
//! with it (the host) and which kept answering (this service alone).
use super::outages::{window_end, Outage, ProbeSummary};
use serde::Serialize;

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
    let mut targets: Vec<(String, String)> = probes
        .iter()
        .filter_map(|p| {
            let t = p.target.clone()?;
            Some((host_of_probe(p.host.as_deref(), &t), t))
        })
        .collect();
    targets.sort();
    targets.dedup();
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
