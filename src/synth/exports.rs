//! The scenario's event logs as admins export them (Event Viewer, PowerShell, wevtutil,
//! evtx_dump, EvtxECmd, a legacy `.evt`), written beside the scenario folder so that a test can
//! run the report over each format in place of the EVTX files. Deterministic bytes.
use super::evtx_writer::SynthRecord;
use super::scenario;
use crate::model::{DataField, Event, EventData, Level};
use crate::source::events::{evt, export_csv, export_json, export_xml};
use chrono_tz::Tz;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The folder the exports go to, beside the scenario's own (not inside it: a report over the
/// scenario folder would read them too).
pub const EXPORT_DIR: &str = "aug15-exports";

/// One export format: a file-name suffix and its writer.
struct Format {
    suffix: &'static str,
    write: fn(&[Event]) -> Vec<u8>,
}

const LA: Tz = Tz::America__Los_Angeles;

const FORMATS: &[Format] = &[
    Format {
        suffix: "eventviewer-en-US.csv",
        write: |e| export_csv::write(e, export_csv::ExportFormat::EventViewerCsv, "en-US", LA),
    },
    Format {
        suffix: "eventviewer-en-GB.csv",
        write: |e| export_csv::write(e, export_csv::ExportFormat::EventViewerCsv, "en-GB", LA),
    },
    Format {
        suffix: "eventviewer-de-DE.txt",
        write: |e| export_csv::write(e, export_csv::ExportFormat::EventViewerTxt, "de-DE", LA),
    },
    Format {
        suffix: "get-winevent.csv",
        write: |e| export_csv::write(e, export_csv::ExportFormat::WinEventCsv, "en-US", LA),
    },
    Format {
        suffix: "get-eventlog.csv",
        write: |e| export_csv::write(e, export_csv::ExportFormat::EventLogCsv, "en-US", LA),
    },
    Format {
        suffix: "evtxecmd.csv",
        write: |e| export_csv::write(e, export_csv::ExportFormat::EvtxEcmdCsv, "en-US", LA),
    },
    Format {
        suffix: "wevtutil.txt",
        write: |e| export_csv::write(e, export_csv::ExportFormat::WevtutilText, "en-US", LA),
    },
    Format {
        suffix: "wevtutil.xml",
        write: |e| export_xml::write(e, export_xml::ExportFormat::WevtutilXml),
    },
    Format {
        suffix: "wevtutil-rendered.xml",
        write: |e| export_xml::write(e, export_xml::ExportFormat::WevtutilRenderedXml),
    },
    Format {
        suffix: "eventviewer.xml",
        write: |e| export_xml::write(e, export_xml::ExportFormat::EventviewerXml),
    },
    Format {
        suffix: "evtx_dump.jsonl",
        write: |e| export_json::write(e, export_xml::ExportFormat::EvtxDumpJsonl),
    },
    Format {
        suffix: "powershell5.json",
        write: |e| export_json::write_powershell(e, None),
    },
    Format {
        suffix: "powershell7.json",
        write: |e| export_json::write_powershell(e, Some(LA)),
    },
    Format {
        suffix: "evt",
        write: |e| evt::write_evt(e, None),
    },
];

/// The scenario's records as the model's events (record ids 1.. in log order).
pub fn events_of(records: &[SynthRecord]) -> Vec<Event> {
    let source: Arc<str> = Arc::from("");
    (1u64..)
        .zip(records)
        .map(|(id, r)| Event {
            time: r.time,
            record_id: Some(id),
            channel: r.channel.clone(),
            provider: r.provider.clone(),
            event_id: u32::from(r.event_id),
            level: Level(r.level),
            computer: r.computer.clone(),
            message: None,
            data: EventData(
                r.data
                    .iter()
                    .map(|(name, value)| DataField {
                        name: name.clone(),
                        value: value.clone(),
                    })
                    .collect(),
            ),
            source_file: Arc::clone(&source),
        })
        .collect()
}

/// The export suffixes, one per format (for tests that go through them all).
pub fn suffixes() -> Vec<&'static str> {
    FORMATS.iter().map(|f| f.suffix).collect()
}

/// Writes `System.SUFFIX` and `Application.SUFFIX` for every format into `dir`.
pub fn write_export_fixtures(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let logs = [
        ("System", events_of(&scenario::system_records())),
        ("Application", events_of(&scenario::application_records())),
    ];
    let mut written = Vec::new();
    for format in FORMATS {
        for (log, events) in &logs {
            let path = dir.join(format!("{log}.{}", format.suffix));
            std::fs::write(&path, (format.write)(events))?;
            written.push(path);
        }
    }
    Ok(written)
}

/// The formats written at benchmark scale (one per reader), by suffix.
const SCALED: &[&str] = &[
    "eventviewer-en-US.csv",
    "get-winevent.csv",
    "wevtutil.xml",
    "evtx_dump.jsonl",
    "powershell7.json",
    "evt",
];

/// For `bench/run`: a System log of about `total` records in one file per export reader, an
/// Uptime Kuma database and a Prometheus `query_range` answer of about `total` checks each, a
/// Nagios log of `total` alerts, an UptimeRobot CSV of `total` events and a Zabbix Problems CSV
/// of `total` problems.
pub fn write_scaled_exports(dir: &Path, total: u64) -> crate::error::Result<Vec<PathBuf>> {
    use crate::error::Error;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let events = events_of(&super::scale::scaled_system_records(total));
    let mut written = Vec::new();
    for format in FORMATS.iter().filter(|f| SCALED.contains(&f.suffix)) {
        let path = dir.join(format!("System.{}", format.suffix));
        std::fs::write(&path, (format.write)(&events)).map_err(|e| Error::io(&path, e))?;
        written.push(path);
    }
    drop(events);
    // Four monitors checked every 15 s, a failure every 97th check.
    let start = super::story::probes_start().timestamp();
    let checks = total.max(4);
    let when = |i: u64| start + (i / 4) as i64 * 15;
    let times: Vec<String> = (0..checks)
        .map(|i| {
            chrono::DateTime::from_timestamp(when(i), 0)
                .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                .unwrap_or_default()
        })
        .collect();
    let heartbeats: Vec<(usize, &str, i64, Option<i64>, &str)> = (0..checks)
        .map(|i| {
            let up = i % 97 != 0;
            let status = i64::from(up);
            (
                i as usize % 4,
                times[i as usize].as_str(),
                status,
                up.then_some(40),
                "",
            )
        })
        .collect();
    let monitors = [
        ("SIP", "https://sipsvr01.example/"),
        ("Web", "https://www.example/"),
        ("MySQL", "mysql://sipsvr01.example:3306"),
        ("API", "https://api.example/"),
    ];
    let kuma = dir.join("kuma.db");
    crate::source::probes::kuma::write_kuma_db(&kuma, &monitors, &heartbeats)?;
    written.push(kuma);
    let values: Vec<Vec<(f64, &str)>> = (0..4)
        .map(|m| {
            (m..checks)
                .step_by(4)
                .map(|i| (when(i) as f64, if i % 97 == 0 { "0" } else { "1" }))
                .collect()
        })
        .collect();
    let instances = ["sip:5060", "www:443", "mysql:3306", "api:443"];
    let series: Vec<crate::source::probes::prometheus::FixtureSeries> = instances
        .iter()
        .zip(values)
        .map(|(instance, v)| {
            (
                vec![("__name__", "probe_success"), ("instance", *instance)],
                v,
            )
        })
        .collect();
    let prom = dir.join("probe_success.json");
    std::fs::write(
        &prom,
        crate::source::probes::prometheus::write_query_range(&series),
    )
    .map_err(|e| Error::io(&prom, e))?;
    written.push(prom);
    let logs: [(&str, super::probe_exports::ScaledWriter); 3] = [
        ("nagios.log", super::probe_exports::write_scaled_nagios),
        (
            "uptimerobot-logs.csv",
            super::probe_exports::write_scaled_uptimerobot,
        ),
        (
            "zabbix-problems.csv",
            super::probe_exports::write_scaled_zabbix_csv,
        ),
    ];
    for (name, write) in logs {
        let path = dir.join(name);
        let file = std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
        let mut w = std::io::BufWriter::new(file);
        write(&mut w, checks)
            .and_then(|()| std::io::Write::flush(&mut w))
            .map_err(|e| Error::io(&path, e))?;
        written.push(path);
    }
    Ok(written)
}
