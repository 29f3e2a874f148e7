//! The hosts the evidence is about: every Computer name in the events, with a computer renamed in
//! its log joined into one host (the name changes at a boot and the old name never comes back).
use super::outages::Outage;
use super::shared_host::target_host;
use crate::knowledge::events::{self as kb, EventRole};
use crate::model::{Event, InputReport, MetricSeries, ProbeSeries};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

#[derive(Debug, Clone, Serialize)]
pub struct Host {
    /// The latest name.
    pub name: String,
    /// Earlier names of the same computer, oldest first.
    pub former_names: Vec<String>,
    pub events: u64,
    #[serde(with = "crate::model::ser_time::option")]
    pub first_event: Option<DateTime<Utc>>,
    #[serde(with = "crate::model::ser_time::option")]
    pub last_event: Option<DateTime<Utc>>,
    /// Seconds of downtime found in its logs, of the periods whose length is known.
    pub downtime_seconds: i64,
    /// Downtime periods whose length is not known (the clock set back across the restart).
    #[serde(skip_serializing_if = "is_zero")]
    pub downtime_unknown: u64,
    /// Windows of the report on this host.
    pub windows: u64,
    /// How each rename was seen.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub renames: Vec<String>,
}

impl Host {
    /// A host with nothing counted yet.
    fn named(name: String) -> Host {
        Host {
            name,
            former_names: Vec::new(),
            events: 0,
            first_event: None,
            last_event: None,
            downtime_seconds: 0,
            downtime_unknown: 0,
            windows: 0,
            renames: Vec::new(),
        }
    }
}

#[derive(Debug, Default)]
pub struct Hosts {
    pub hosts: Vec<Host>,
    /// Every name seen, to its host's (latest) name.
    canonical: HashMap<String, String>,
}

impl Hosts {
    /// The host a Computer name belongs to (the name itself when unknown). An export without
    /// the field ("") belongs to the one host when there is only one, else stays "".
    pub fn host_of(&self, computer: &str) -> String {
        if computer.is_empty() && self.hosts.len() == 1 {
            return self.hosts[0].name.clone();
        }
        self.canonical
            .get(computer)
            .cloned()
            .unwrap_or_else(|| computer.to_string())
    }

    /// The host the report is about: the one with the most events (renames joined), else the
    /// first metric host.
    pub fn report_host(&self, events: &[Event], metrics: &[MetricSeries]) -> Option<String> {
        // Counted by Computer name first: one host lookup per name, not per event.
        let mut by_computer: HashMap<&str, usize> = HashMap::new();
        for e in events.iter().filter(|e| !e.computer.is_empty()) {
            *by_computer.entry(&e.computer).or_default() += 1;
        }
        let mut counts: HashMap<String, usize> = HashMap::new();
        for (computer, n) in by_computer {
            *counts.entry(self.host_of(computer)).or_default() += n;
        }
        counts
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|(h, _)| h)
            .or_else(|| metrics.iter().find_map(|m| m.host.clone()))
    }

    /// The host a probe window is about: the host its target names; else, with one host in the
    /// logs, that host, unless the target is a machine of its own among several the probes name
    /// (a monitor of many: its windows are told by their target, not pinned on the logs' host).
    pub fn of_probe_window(&self, o: &Outage, machines: &[String]) -> Option<String> {
        let target = o.target.as_deref().map(str::to_ascii_lowercase);
        let named = self.hosts.iter().find(|h| {
            let short = short_name(&h.name);
            !short.is_empty() && target.as_deref().is_some_and(|t| t.contains(&short))
        });
        if let Some(h) = named {
            return Some(h.name.clone());
        }
        let [only] = &self.hosts[..] else {
            return None;
        };
        let elsewhere = machines.len() >= 2
            && o.target
                .as_deref()
                .map(target_host)
                .is_some_and(|m| machine(&m));
        (!elsewhere).then(|| only.name.clone())
    }

    /// Said when the probes name several machines and the logs hold one host: which windows
    /// are read against that host, and how to keep only its probes.
    pub fn many_machines_note(&self, machines: &[String]) -> Option<String> {
        let [only] = &self.hosts[..] else {
            return None;
        };
        let short = short_name(&only.name);
        let others: Vec<&String> = machines.iter().filter(|m| short_name(m) != short).collect();
        if machines.len() < 2 || others.is_empty() {
            return None;
        }
        let listed: Vec<&str> = others.iter().take(5).map(|m| m.as_str()).collect();
        Some(format!(
            "The probes check {} machines; {} of them ({}{}) are not {}, the one host in the logs: their windows are told by their target, with {}'s events around them. --target TEXT keeps only the probes of the server the report is about.",
            machines.len(),
            others.len(),
            listed.join(", "),
            if others.len() > listed.len() { ", ..." } else { "" },
            only.name,
            only.name
        ))
    }
}

/// Counts each file of one host by its report: records read, first and last record.
fn whole_files(
    hosts: &mut BTreeMap<String, Host>,
    canonical: &HashMap<String, String>,
    events: &[Event],
    inputs: &[InputReport],
) {
    // Per file: its one host (None once a second appears) and how many events it gave.
    let mut files: HashMap<&str, (Option<&str>, u64)> = HashMap::new();
    for e in events.iter().filter(|e| !e.computer.is_empty()) {
        let host = canonical.get(&e.computer).map(String::as_str);
        let entry = files.entry(&e.source_file).or_insert((host, 0));
        if entry.0 != host {
            entry.0 = None;
        }
        entry.1 += 1;
    }
    for report in inputs.iter().filter(|r| r.kind.is_events()) {
        let Some(&(Some(host), kept)) = files.get(report.path.as_str()) else {
            continue;
        };
        let Some(h) = hosts.get_mut(host) else {
            continue;
        };
        // Copies merged into another input's events are counted there.
        let records = report.records_read.saturating_sub(report.copies_merged);
        if records <= kept {
            // Read whole: the events themselves count, with their corrected times.
            continue;
        }
        h.events += records - kept;
        // Read in part: the file's first and last records (as logged) bound the host's span.
        for t in [report.first, report.last].into_iter().flatten() {
            h.first_event = Some(h.first_event.map_or(t, |f| f.min(t)));
            h.last_event = Some(h.last_event.map_or(t, |l| l.max(t)));
        }
    }
}

/// A record that can open a new name: a boot, or the rename record written at it.
fn is_boot(e: &Event) -> bool {
    [
        EventRole::KernelStart,
        EventRole::LogStart,
        EventRole::BootInfo,
        EventRole::Rename,
    ]
    .iter()
    .any(|&r| kb::has_role(&e.provider, e.event_id, r))
}

/// The hosts of `events` (time-sorted), and of metric series where no event names one. A host's
/// event count and span are those of its logs as read (`inputs`), not only of the events the
/// report kept: a file whose kept events all name one host gives it every record it held.
pub fn find_hosts(events: &[Event], metrics: &[MetricSeries], inputs: &[InputReport]) -> Hosts {
    // Renames: per file, in record order, a name that gives way to another at a boot for good.
    let mut by_file: HashMap<Arc<str>, Vec<&Event>> = HashMap::new();
    for e in events.iter().filter(|e| !e.computer.is_empty()) {
        by_file.entry(e.source_file.clone()).or_default().push(e);
    }
    let mut renamed: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut files: Vec<_> = by_file.into_iter().collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    for (file, mut list) in files {
        list.sort_by_key(|e| (e.record_id, e.time));
        for (i, pair) in list.windows(2).enumerate() {
            let (a, b) = (pair[0], pair[1]);
            if a.computer == b.computer || !is_boot(b) {
                continue;
            }
            let comes_back = list[i + 2..].iter().any(|e| e.computer == a.computer);
            let seen_before = list[..i].iter().any(|e| e.computer == b.computer);
            if !comes_back && !seen_before {
                let how = format!(
                    "{} became {} at the boot of {} ({}, record {})",
                    a.computer,
                    b.computer,
                    b.time.format("%Y-%m-%d %H:%M:%S UTC"),
                    file,
                    b.record_id.map_or("?".into(), |r| r.to_string())
                );
                renamed.insert(a.computer.clone(), (b.computer.clone(), how));
            }
        }
    }
    let final_name = |name: &str| {
        let mut name = name.to_string();
        let mut hops = 0;
        while let Some((next, _)) = renamed.get(&name) {
            name = next.clone();
            hops += 1;
            if hops > renamed.len() {
                break;
            }
        }
        name
    };
    let mut hosts: BTreeMap<String, Host> = BTreeMap::new();
    let mut canonical = HashMap::new();
    for e in events.iter().filter(|e| !e.computer.is_empty()) {
        let name = match canonical.get(&e.computer) {
            Some(n) => String::clone(n),
            None => {
                let n = final_name(&e.computer);
                canonical.insert(e.computer.clone(), n.clone());
                n
            }
        };
        let h = hosts
            .entry(name.clone())
            .or_insert_with(|| Host::named(name));
        h.events += 1;
        h.first_event = Some(h.first_event.map_or(e.time, |t| t.min(e.time)));
        h.last_event = Some(h.last_event.map_or(e.time, |t| t.max(e.time)));
        if e.computer != h.name && !h.former_names.contains(&e.computer) {
            h.former_names.push(e.computer.clone());
        }
    }
    whole_files(&mut hosts, &canonical, events, inputs);
    for (old, (_, how)) in &renamed {
        if let Some(h) = canonical.get(old).and_then(|n| hosts.get_mut(n)) {
            h.renames.push(how.clone());
        }
    }
    if hosts.is_empty() {
        for m in metrics {
            if let Some(name) = &m.host {
                hosts
                    .entry(name.clone())
                    .or_insert_with(|| Host::named(name.clone()));
            }
        }
    }
    Hosts {
        hosts: hosts.into_values().collect(),
        canonical,
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The distinct machines (a DNS name or an address) the probes' targets or hosts name, sorted.
pub fn target_machines(probes: &[ProbeSeries]) -> Vec<String> {
    let mut machines: Vec<String> = probes
        .iter()
        .filter_map(|p| p.host.clone().or_else(|| p.target.clone()))
        .map(|t| target_host(&t))
        .filter(|m| machine(m))
        .collect();
    machines.sort();
    machines.dedup();
    machines
}

/// Whether a probe's target (a URL, `host:port`, a name) names a machine.
pub fn names_machine(target: &str) -> bool {
    machine(&target_host(target))
}

/// A DNS name with a domain or an IP address: not a monitor's free-text name ("us-west", "SIP
/// unreachable from eu-central"), which names no machine.
fn machine(name: &str) -> bool {
    name.contains(['.', ':'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'))
}

/// A host's first label, lower case: `SIPSVR01.corp.example` is `sipsvr01`.
fn short_name(name: &str) -> String {
    name.split('.').next().unwrap_or(name).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_dns_names_with_a_domain_and_addresses_are_machines() {
        let probe = |target: &str, host: Option<&str>| ProbeSeries {
            name: target.to_string(),
            target: Some(target.to_string()),
            vantage: None,
            host: host.map(str::to_string),
            checks: Vec::new(),
            intervals: Vec::new(),
            source_file: Arc::from("p.csv"),
        };
        let probes = [
            probe("https://sipsvr01.example.net/web", None),
            probe("sipsvr01.example.net:3306", None),
            probe("10.3.58.4:443", None),
            probe("us-west", None),
            probe("SIPSVR01: SIP unreachable from eu-central", None),
            probe("MySQL", Some("db01.corp.example")),
        ];
        assert_eq!(
            target_machines(&probes),
            ["10.3.58.4", "db01.corp.example", "sipsvr01.example.net"]
        );
    }
}
