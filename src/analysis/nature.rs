//! What kind of outage a window was (`nature`), from the evidence attributed to it, with the
//! records or checks that decided it. The first that applies wins: planned, network,
//! resource-exhaustion, crash, service-crash, unknown. Exhaustion comes before crash because a
//! crash that exhaustion preceded is told by the exhaustion.
use super::downtime::{Downtime, DowntimeNature};
use super::event_findings::EventGroup;
use super::metric_correlation::MetricFinding;
use super::outages::{Maintenance, Outage};
use crate::knowledge::events::EventRole;
use crate::knowledge::schema::EventClass;
use crate::model::OutageKind;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Nature {
    Planned,
    Network,
    ResourceExhaustion,
    Crash,
    ServiceCrash,
    Unknown,
}

impl Nature {
    pub fn as_str(self) -> &'static str {
        match self {
            Nature::Planned => "planned",
            Nature::Network => "network",
            Nature::ResourceExhaustion => "resource-exhaustion",
            Nature::Crash => "crash",
            Nature::ServiceCrash => "service-crash",
            Nature::Unknown => "unknown",
        }
    }

    /// Words for a sentence: "a planned restart", "a crash".
    pub fn words(self) -> &'static str {
        match self {
            Nature::Planned => "planned maintenance",
            Nature::Network => "a network problem",
            Nature::ResourceExhaustion => "resource exhaustion",
            Nature::Crash => "a crash",
            Nature::ServiceCrash => "a service crash",
            Nature::Unknown => "of unknown nature",
        }
    }
}

fn group_line(g: &EventGroup) -> String {
    format!(
        "{} {} x{} ({})",
        g.provider,
        g.event_id,
        g.count,
        g.title.as_deref().unwrap_or(g.class.as_str())
    )
}

/// Whether a counter speaks of memory or pool running out (perfmon's Memory and Process objects).
fn resource_counter(m: &MetricFinding) -> bool {
    let object = m.object.as_deref().unwrap_or_default().to_ascii_lowercase();
    (object == "memory" || object == "process") && m.first_threshold_crossing.is_some()
}

/// The nature of window `w` and what decided it.
pub fn nature_of(
    w: &Outage,
    groups: &[EventGroup],
    downtime: &[Downtime],
    maintenance: &[Maintenance],
    metrics: &[MetricFinding],
) -> (Nature, Vec<String>) {
    let end = super::outages::window_end(w);
    let planned: Vec<String> = downtime
        .iter()
        .filter(|d| d.nature == DowntimeNature::Planned)
        .map(|d| format!("{} ({})", d.summary, cite_evidence(d)))
        .chain(
            maintenance
                .iter()
                .filter(|m| m.start <= end && m.end >= w.start)
                .filter(|m| w.target.is_none() || m.target.is_none() || m.target == w.target)
                .map(|m| {
                    format!(
                        "maintenance of {} recorded by its monitor from {} to {}",
                        m.probe,
                        m.start.format("%Y-%m-%d %H:%M:%S UTC"),
                        m.end.format("%H:%M:%S UTC")
                    )
                }),
        )
        .collect();
    if !planned.is_empty() {
        return (Nature::Planned, planned);
    }
    if w.kind == OutageKind::Network {
        let remote: Vec<String> = w
            .probes
            .iter()
            .filter(|p| p.failures > 0 && !p.local)
            .map(|p| format!("probe {} failed {} checks", p.probe, p.failures))
            .chain(
                w.probes
                    .iter()
                    .filter(|p| p.local && p.failures == 0)
                    .map(|p| format!("local probe {} kept answering", p.probe)),
            )
            .collect();
        return (Nature::Network, remote);
    }
    // What began only after the window recovered cannot tell its nature (a service that crashed
    // at the next shutdown, days after the boot that ended a host-down window). The crash records
    // below are the exception: the boot after a crash writes them.
    let before_end = |g: &&EventGroup| g.first <= end;
    let exhaustion: Vec<String> = groups
        .iter()
        .filter(before_end)
        .filter(|g| g.class.is(EventClass::ResourceExhaustion))
        .map(group_line)
        .chain(
            metrics
                .iter()
                .filter(|m| resource_counter(m))
                .map(|m| format!("{} crossed its threshold", m.short_name())),
        )
        .collect();
    if !exhaustion.is_empty() {
        return (Nature::ResourceExhaustion, exhaustion);
    }
    let crash_roles = [
        EventRole::UnexpectedShutdown,
        EventRole::PowerLoss,
        EventRole::Bugcheck,
    ];
    let crash: Vec<String> = downtime
        .iter()
        .filter(|d| d.nature == DowntimeNature::Crash)
        .map(|d| format!("{} ({})", d.summary, cite_evidence(d)))
        .chain(
            groups
                .iter()
                .filter(|g| g.roles.iter().any(|r| crash_roles.contains(r)))
                .map(group_line),
        )
        .collect();
    if !crash.is_empty() {
        return (Nature::Crash, crash);
    }
    let service: Vec<String> = groups
        .iter()
        .filter(before_end)
        .filter(|g| g.roles.contains(&EventRole::ServiceCrash))
        .map(group_line)
        .collect();
    if !service.is_empty() {
        return (Nature::ServiceCrash, service);
    }
    let why = downtime
        .iter()
        .map(|d| format!("{} ({})", d.summary, cite_evidence(d)))
        .collect();
    (Nature::Unknown, why)
}

fn cite_evidence(d: &Downtime) -> String {
    let ids: Vec<String> = d
        .evidence
        .iter()
        .map(|e| match e.record_id {
            Some(r) => format!("{} #{r}", e.event_id),
            None => e.event_id.to_string(),
        })
        .collect();
    format!("records {}", ids.join(", "))
}
