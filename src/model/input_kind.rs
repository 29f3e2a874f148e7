//! What kind of file an input is: the registry's answer after sniffing, kept on each
//! `InputReport` and serialized under the names the JSON has always used (`evtx`, `probe_csv`,
//! `eventviewer_csv`, `kuma_db`...). The sniffers and readers live in `source/`; the names live
//! here so that every stage can hold the kind without importing a reader.
use serde::{Serialize, Serializer};

/// The kinds of input faultline reads. The default is EVTX because the EVTX reader's reports
/// start from `InputReport::default()`; every other reader sets its own kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum InputKind {
    #[default]
    Evtx,
    /// Events exported by Event Viewer, PowerShell, wevtutil, evtx_dump, EvtxECmd; `.evt`.
    EventExport(ExportKind),
    ProbeCsv,
    /// A monitoring store or state-change export read in place (Uptime Kuma's database,
    /// Prometheus JSON, UptimeRobot, Nagios...).
    ProbeStore(StoreKind),
    /// typeperf / relog / perfmon "PDH-CSV 4.0".
    PdhCsv,
    /// Any other CSV of numeric columns over time.
    MetricCsv,
}

impl InputKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Evtx => "evtx",
            InputKind::EventExport(k) => k.as_str(),
            InputKind::ProbeCsv => "probe_csv",
            InputKind::ProbeStore(k) => k.as_str(),
            InputKind::PdhCsv => "pdh_csv",
            InputKind::MetricCsv => "metric_csv",
        }
    }

    /// Yields events.
    pub fn is_events(self) -> bool {
        matches!(self, InputKind::Evtx | InputKind::EventExport(_))
    }

    /// Yields probe checks.
    pub fn is_probes(self) -> bool {
        matches!(self, InputKind::ProbeCsv | InputKind::ProbeStore(_))
    }
}

impl Serialize for InputKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for InputKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event export faultline reads, by format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportKind {
    /// Legacy `.evt` (Windows NT to 2003).
    Evt,
    /// Event Viewer CSV/TXT, Get-WinEvent/Get-EventLog CSV, EvtxECmd CSV, wevtutil text.
    Text(TextFormat),
    /// wevtutil/Event Viewer XML, evtx_dump XML/JSON/JSONL, PowerShell JSON.
    Markup(MarkupFormat),
}

impl ExportKind {
    /// The name in `InputReport.kind` and `--explain`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportKind::Evt => "evt",
            ExportKind::Text(f) => f.as_str(),
            ExportKind::Markup(f) => f.as_str(),
        }
    }
}

/// The text exports of event logs: delimited columns, or wevtutil's text blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextFormat {
    EventViewerCsv,
    EventViewerTxt,
    WinEventCsv,
    EventLogCsv,
    EvtxEcmdCsv,
    WevtutilText,
}

impl TextFormat {
    pub const ALL: [TextFormat; 6] = [
        TextFormat::EventViewerCsv,
        TextFormat::EventViewerTxt,
        TextFormat::WinEventCsv,
        TextFormat::EventLogCsv,
        TextFormat::EvtxEcmdCsv,
        TextFormat::WevtutilText,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TextFormat::EventViewerCsv => "eventviewer_csv",
            TextFormat::EventViewerTxt => "eventviewer_txt",
            TextFormat::WinEventCsv => "winevent_csv",
            TextFormat::EventLogCsv => "eventlog_csv",
            TextFormat::EvtxEcmdCsv => "evtxecmd_csv",
            TextFormat::WevtutilText => "wevtutil_text",
        }
    }
}

impl Serialize for TextFormat {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The exports of event logs as XML or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MarkupFormat {
    /// `wevtutil qe LOG /f:xml`: `<Event>` elements back to back, no root, no declaration.
    WevtutilXml,
    /// `wevtutil qe LOG /f:RenderedXml`: the same with `<RenderingInfo>`. Written for fixtures;
    /// sniffing says `WevtutilXml`, whose reader reads both.
    WevtutilRenderedXml,
    /// Event Viewer "Save As" XML: the events inside an `<Events>` root.
    EventviewerXml,
    /// `evtx_dump -o xml`: `Record N` lines, each record with its own XML declaration.
    EvtxDumpXml,
    /// `evtx_dump -o json`: `Record N` lines, each followed by one JSON object.
    EvtxDumpJson,
    /// `evtx_dump -o jsonl`: one compact JSON object a line.
    EvtxDumpJsonl,
    /// `Get-WinEvent | ConvertTo-Json` or `Get-EventLog | ConvertTo-Json` (PowerShell 5.1 or 7).
    PowershellJson,
}

impl MarkupFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            MarkupFormat::WevtutilXml => "wevtutil_xml",
            MarkupFormat::WevtutilRenderedXml => "wevtutil_rendered_xml",
            MarkupFormat::EventviewerXml => "eventviewer_xml",
            MarkupFormat::EvtxDumpXml => "evtx_dump_xml",
            MarkupFormat::EvtxDumpJson => "evtx_dump_json",
            MarkupFormat::EvtxDumpJsonl => "evtx_dump_jsonl",
            MarkupFormat::PowershellJson => "powershell_json",
        }
    }

    pub fn is_json(self) -> bool {
        matches!(
            self,
            MarkupFormat::EvtxDumpJson | MarkupFormat::EvtxDumpJsonl | MarkupFormat::PowershellJson
        )
    }
}

/// A monitoring store or state-change export faultline reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreKind {
    KumaDb,
    PrometheusJson,
    UptimeRobotCsv,
    UptimeRobotJson,
    NagiosLog,
    PingdomSummary,
    PingdomResults,
    ZabbixNdjson,
    ZabbixCsv,
    BetterStackIncidents,
    DatadogSynthetics,
}

impl StoreKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StoreKind::KumaDb => "kuma_db",
            StoreKind::PrometheusJson => "prometheus_json",
            StoreKind::UptimeRobotCsv => "uptimerobot_csv",
            StoreKind::UptimeRobotJson => "uptimerobot_json",
            StoreKind::NagiosLog => "nagios_log",
            StoreKind::PingdomSummary => "pingdom_summary",
            StoreKind::PingdomResults => "pingdom_results",
            StoreKind::ZabbixNdjson => "zabbix_ndjson",
            StoreKind::ZabbixCsv => "zabbix_csv",
            StoreKind::BetterStackIncidents => "betterstack_incidents",
            StoreKind::DatadogSynthetics => "datadog_synthetics",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_serialize_under_their_names() {
        let kinds = [
            InputKind::Evtx,
            InputKind::ProbeCsv,
            InputKind::PdhCsv,
            InputKind::EventExport(ExportKind::Evt),
            InputKind::EventExport(ExportKind::Text(TextFormat::WinEventCsv)),
            InputKind::EventExport(ExportKind::Markup(MarkupFormat::PowershellJson)),
            InputKind::ProbeStore(StoreKind::KumaDb),
        ];
        let json: Vec<String> = kinds
            .iter()
            .map(|k| serde_json::to_string(k).unwrap())
            .collect();
        assert_eq!(
            json,
            [
                "\"evtx\"",
                "\"probe_csv\"",
                "\"pdh_csv\"",
                "\"evt\"",
                "\"winevent_csv\"",
                "\"powershell_json\"",
                "\"kuma_db\""
            ]
        );
    }
}
