//! Everything that yields probe checks: probe CSVs (`csv`) and monitoring
//! stores read in place (Uptime Kuma's database, Prometheus `query_range` JSON).
pub mod csv;
pub mod kuma;
pub mod prometheus;
pub mod store;

use self::store::ProbeStoreRead;
use crate::error::Result;
use crate::timefmt::Zone;
use std::path::Path;

/// A monitoring store faultline reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreKind {
    KumaDb,
    PrometheusJson,
}

impl StoreKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StoreKind::KumaDb => kuma::KIND,
            StoreKind::PrometheusJson => prometheus::KIND,
        }
    }
}

/// Which store `head` (the first bytes of a file) is, if any.
pub fn sniff(head: &[u8]) -> Option<StoreKind> {
    if kuma::sniff(head) {
        Some(StoreKind::KumaDb)
    } else if prometheus::sniff(head) {
        Some(StoreKind::PrometheusJson)
    } else {
        None
    }
}

/// Reads one store; its planned (maintenance) spans are said in the notes, in `zone`.
pub fn read(path: &Path, kind: StoreKind, zone: Zone) -> Result<ProbeStoreRead> {
    let mut read = match kind {
        StoreKind::KumaDb => kuma::read(path)?,
        StoreKind::PrometheusJson => prometheus::read(path, None)?,
    };
    let planned: Vec<String> = read
        .planned
        .iter()
        .map(|p| {
            let name = read.probes.get(p.probe).map_or("?", |s| s.name.as_str());
            format!(
                "{name}: maintenance (planned downtime, not an outage) from {} to {} ({} heartbeats)",
                zone.format(&p.start),
                zone.format(&p.end),
                p.rows
            )
        })
        .collect();
    read.notes.extend(planned);
    Ok(read)
}
