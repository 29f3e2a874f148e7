//! Everything that yields probe evidence: probe CSVs (`csv`), monitoring stores read in place
//! (Uptime Kuma's database, Prometheus `query_range` JSON), state-change exports (UptimeRobot,
//! Nagios, Pingdom, Zabbix NDJSON and Problems CSV, Better Stack) and check results (Pingdom,
//! Datadog Synthetics), each sniffed by content.
pub mod betterstack;
pub mod csv;
pub mod datadog;
pub mod kuma;
pub mod line_blocks;
pub mod merge;
pub mod nagios;
pub mod pingdom;
pub mod prometheus;
pub mod states;
pub mod store;
pub mod targets;
pub mod uptimerobot;
pub mod zabbix;
pub mod zabbix_csv;

use self::store::ProbeStoreRead;
use crate::error::Result;
use crate::timefmt::Zone;
use std::path::Path;

pub use crate::model::StoreKind;

/// A reader's test of a file's first bytes.
type Sniff = fn(&[u8]) -> bool;

/// The readers asked, in order: binary first, then JSON shapes by their keys, then text lines.
const SNIFFERS: &[(StoreKind, Sniff)] = &[
    (StoreKind::KumaDb, kuma::sniff),
    (StoreKind::PrometheusJson, prometheus::sniff),
    (StoreKind::UptimeRobotJson, uptimerobot::sniff_json),
    (StoreKind::PingdomSummary, pingdom::sniff_summary),
    (StoreKind::PingdomResults, pingdom::sniff_results),
    (StoreKind::DatadogSynthetics, datadog::sniff),
    (StoreKind::BetterStackIncidents, betterstack::sniff),
    (StoreKind::ZabbixNdjson, zabbix::sniff),
    (StoreKind::ZabbixCsv, zabbix_csv::sniff),
    (StoreKind::NagiosLog, nagios::sniff),
    (StoreKind::UptimeRobotCsv, uptimerobot::sniff_csv),
];

/// Which store or state export `head` (the first bytes of a file) is, if any.
pub fn sniff(head: &[u8]) -> Option<StoreKind> {
    SNIFFERS
        .iter()
        .find(|(_, sniff)| sniff(head))
        .map(|(kind, _)| *kind)
}

/// Reads one store; its planned (maintenance) spans are said in the notes, in `zone`, which is
/// also the zone of the input's zone-less times (UptimeRobot's dashboard CSV, Zabbix's Problems
/// CSV).
pub fn read(
    path: &Path,
    kind: StoreKind,
    zone: Zone,
    vantage_label: Option<&str>,
) -> Result<ProbeStoreRead> {
    read_in(path, kind, zone, zone, vantage_label)
}

/// [`read`], with notes in `zone` and zone-less times in `input_tz`.
pub fn read_in(
    path: &Path,
    kind: StoreKind,
    zone: Zone,
    input_tz: Zone,
    vantage_label: Option<&str>,
) -> Result<ProbeStoreRead> {
    let mut read = match kind {
        StoreKind::KumaDb => kuma::read(path)?,
        StoreKind::PrometheusJson => prometheus::read(path, vantage_label)?,
        StoreKind::UptimeRobotCsv => uptimerobot::read_csv(path, input_tz)?,
        StoreKind::UptimeRobotJson => uptimerobot::read_json(path)?,
        StoreKind::NagiosLog => nagios::read(path, input_tz)?,
        StoreKind::PingdomSummary => pingdom::read_summary(path)?,
        StoreKind::PingdomResults => pingdom::read_results(path)?,
        StoreKind::ZabbixNdjson => zabbix::read(path)?,
        StoreKind::ZabbixCsv => zabbix_csv::read(path, input_tz)?,
        StoreKind::BetterStackIncidents => betterstack::read(path)?,
        StoreKind::DatadogSynthetics => datadog::read(path)?,
    };
    let planned: Vec<String> = read
        .planned
        .iter()
        .map(|p| {
            let name = read.probes.get(p.probe).map_or("?", |s| s.name.as_str());
            p.note(name, zone, "heartbeats")
        })
        .collect();
    read.notes.extend(planned);
    Ok(read)
}
