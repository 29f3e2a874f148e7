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
