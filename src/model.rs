//! The normalized types every stage shares: events, probe checks, metric series, outage windows.
use chrono::{DateTime, Utc};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use std::sync::Arc;

mod input_kind;
mod samples;
pub use input_kind::{ExportKind, InputKind, MarkupFormat, StoreKind, TextFormat};
pub use samples::{to_stored, Samples};

/// Windows event level, as stored in System/Level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Level(pub u8);

impl Level {
    pub const CRITICAL: Level = Level(1);
    pub const ERROR: Level = Level(2);
    pub const WARNING: Level = Level(3);
    pub const INFORMATION: Level = Level(4);
    pub const VERBOSE: Level = Level(5);
    /// The export has no level (kept apart from 0, LogAlways, which reads as Information).
    pub const UNKNOWN: Level = Level(u8::MAX);

    pub fn name(self) -> &'static str {
        match self.0 {
            1 => "Critical",
            2 => "Error",
            3 => "Warning",
            0 | 4 => "Information",
            5 => "Verbose",
            _ => "Unknown",
        }
    }

    /// Severity rank where smaller is worse; level 0 (LogAlways) counts as Information.
    pub fn severity(self) -> u8 {
        match self.0 {
            0 => 4,
            n => n,
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        // Compared in place (export readers ask once a row): no lower-cased copy.
        const WORDS: [(&str, Level); 15] = [
            ("critical", Level::CRITICAL),
            ("crit", Level::CRITICAL),
            ("1", Level::CRITICAL),
            ("error", Level::ERROR),
            ("err", Level::ERROR),
            ("2", Level::ERROR),
            ("warning", Level::WARNING),
            ("warn", Level::WARNING),
            ("3", Level::WARNING),
            ("information", Level::INFORMATION),
            ("info", Level::INFORMATION),
            ("4", Level::INFORMATION),
            ("verbose", Level::VERBOSE),
            ("debug", Level::VERBOSE),
            ("5", Level::VERBOSE),
        ];
        WORDS
            .iter()
            .find(|(word, _)| word.eq_ignore_ascii_case(s))
            .map(|&(_, level)| level)
    }
}

/// One value of an event's EventData/UserData; unnamed `<Data>` values have no name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataField {
    pub name: Option<String>,
    pub value: String,
}

/// An event's data: named values in order, unnamed ones kept in order under `Data`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventData(pub Vec<DataField>);

impl EventData {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|f| f.name.as_deref() == Some(name))
            .map(|f| f.value.as_str())
    }

    /// Values without a name, in order.
    pub fn unnamed(&self) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(|f| f.name.is_none())
            .map(|f| f.value.as_str())
    }

    /// One line, `name=value` pairs and unnamed values separated by `; ` (for tables and grep).
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (i, field) in self.0.iter().enumerate() {
            if i > 0 {
                out.push_str("; ");
            }
            if let Some(name) = &field.name {
                out.push_str(name);
                out.push('=');
            }
            out.push_str(&field.value);
        }
        out
    }
}

impl Serialize for EventData {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let unnamed: Vec<&str> = self.unnamed().collect();
        let named = self.0.iter().filter(|f| f.name.is_some()).count();
        let mut map = serializer.serialize_map(Some(named + usize::from(!unnamed.is_empty())))?;
        for field in &self.0 {
            if let Some(name) = &field.name {
                map.serialize_entry(name, &field.value)?;
            }
        }
        if !unnamed.is_empty() {
            map.serialize_entry("Data", &unnamed)?;
        }
        map.end()
    }
}

/// One Windows event record, normalized.
///
/// EVTX has every field but the rendered message; exports (Event Viewer CSV, PowerShell, .evt)
/// lack some: a field the input does not carry is `None` or empty, never invented.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub time: DateTime<Utc>,
    /// `None`: the export carries no record id (Event Viewer CSV, most PowerShell selections).
    pub record_id: Option<u64>,
    /// Empty: the input does not say which log (and the user gave no `--channel`).
    pub channel: String,
    pub provider: String,
    /// Event id with the qualifiers removed.
    pub event_id: u32,
    /// `Level::UNKNOWN` when the export has no level.
    pub level: Level,
    /// Empty: the input does not name the computer.
    pub computer: String,
    /// The rendered description, where the export has it (EVTX does not: it lives in DLLs).
    pub message: Option<String>,
    pub data: EventData,
    pub source_file: Arc<str>,
}

/// One check of one probe: it answered (ok) or not, and its response time when the export has it.
///
/// 16 bytes: a probe export can hold tens of millions of checks, so the answer and the response
/// time share one `f32` (the sign says failed, NaN says no response time).
#[derive(Clone, Copy)]
pub struct Check {
    pub time: DateTime<Utc>,
    packed: f32,
}

impl Check {
    pub fn new(time: DateTime<Utc>, ok: bool, latency_ms: Option<f32>) -> Check {
        let magnitude = latency_ms.map_or(f32::NAN, f32::abs);
        let sign = if ok { 1.0 } else { -1.0 };
        Check {
            time,
            packed: magnitude.copysign(sign),
        }
    }

    /// The probe answered.
    pub fn ok(&self) -> bool {
        self.packed.is_sign_positive()
    }

    /// Response time in milliseconds.
    pub fn latency_ms(&self) -> Option<f32> {
        let ms = self.packed.abs();
        (!ms.is_nan()).then_some(ms)
    }
}

impl PartialEq for Check {
    fn eq(&self, other: &Check) -> bool {
        self.time == other.time && self.packed.to_bits() == other.packed.to_bits()
    }
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Check")
            .field("time", &self.time)
            .field("ok", &self.ok())
            .field("latency_ms", &self.latency_ms())
            .finish()
    }
}

/// Every check of one probe, sorted by time, duplicates removed.
///
/// A probe is one vantage checking one target. Outage windows are found per target, and a
/// window's kind compares the vantages of that target.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeSeries {
    pub name: String,
    /// What was checked (a URL, host:port, a Kuma monitor); `None`: the file's one implicit
    /// target (every probe of it looks at the same server).
    pub target: Option<String>,
    /// Where the checks ran from, when the input says.
    pub vantage: Option<String>,
    /// The host of the target when the input says it apart from the target's name (a Kuma
    /// monitor named "MySQL" checking `db01:3306`): targets of one host are compared by it.
    pub host: Option<String>,
    pub checks: Vec<Check>,
    /// The states the monitor recorded (state-change exports: UptimeRobot, Pingdom, Nagios,
    /// Zabbix), sorted, not overlapping. A series without checks is read from these alone: a down
    /// interval is down, an up interval up, and time outside every interval is unknown. Beside
    /// checks (Uptime Kuma) only maintenance intervals are kept: planned downtime.
    pub intervals: Vec<StateInterval>,
    pub source_file: Arc<str>,
}

impl ProbeSeries {
    /// The series is read from its state intervals, not from checks.
    pub fn is_states(&self) -> bool {
        self.checks.is_empty() && !self.intervals.is_empty()
    }

    /// The first and last time the series says anything about: its first and last check, or,
    /// for a state series, the start of its first interval and the end of its last.
    pub fn time_span(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if self.is_states() {
            let first = self.intervals.iter().map(|iv| iv.start).min()?;
            let last = self.intervals.iter().map(|iv| iv.end).max()?;
            return Some((first, last));
        }
        Some((self.checks.first()?.time, self.checks.last()?.time))
    }
}

/// What a monitor said a target was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProbeState {
    Up,
    Down,
    /// Answering, but not well (Nagios WARNING): shown, an outage only with `--warning-is-down`.
    Degraded,
    /// Planned downtime: never an outage.
    Maintenance,
    /// Paused, pending, unconfirmed, unknown: neither up nor down.
    Unknown,
    /// Failing, but the monitor never confirmed it (Nagios SOFT attempts that recovered before
    /// HARD): a blip, never a window.
    Blip,
}

impl ProbeState {
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeState::Up => "up",
            ProbeState::Down => "down",
            ProbeState::Degraded => "degraded",
            ProbeState::Maintenance => "maintenance",
            ProbeState::Unknown => "unknown",
            ProbeState::Blip => "blip",
        }
    }
}

/// One state with exact edges: from `start` (included) to `end` (excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateInterval {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub state: ProbeState,
    /// Failed checks the monitor counted in it (Nagios attempts); 0 when it does not say.
    pub failures: u32,
}

/// One resource metric over time.
///
/// Samples are plain vectors, not polars frames: polars reads the CSVs, but the analysis walks a
/// few thousand to a few hundred thousand samples per series in time order (stats, trends,
/// windows), which plain slices do simply and without copying into and out of frames.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSeries {
    /// Full counter path or column name.
    pub name: String,
    pub host: Option<String>,
    pub object: Option<String>,
    pub instance: Option<String>,
    pub counter: Option<String>,
    /// Sample times (UTC, sorted) and values; the counters of one file share one list of times.
    pub samples: Samples,
    pub source_file: Arc<str>,
}

/// What kind of outage a window was, from which probes failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutageKind {
    /// The local probe failed too: the server itself did not answer.
    Service,
    /// Two or more remote probes failed while the local probe kept answering.
    Network,
    /// A single probe failed while the others answered.
    Partial,
    /// No local probe is known and all remote probes failed.
    Unclassified,
    /// No probe saw it: the host's own logs say it was down (a shutdown or crash until a boot).
    #[serde(rename = "host-down")]
    HostDown,
}

impl OutageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OutageKind::Service => "service",
            OutageKind::Network => "network",
            OutageKind::Partial => "partial",
            OutageKind::Unclassified => "unclassified",
            OutageKind::HostDown => "host-down",
        }
    }
}

/// How one input file was read: for the data-quality sections and the summary lines.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct InputReport {
    pub path: String,
    /// What the file was read as (serialized as `evtx`, `probe_csv`, `kuma_db`...).
    pub kind: InputKind,
    pub records_read: u64,
    pub records_skipped: u64,
    /// Events read here that another input holds too (the same log in two formats): counted
    /// there, not here.
    #[serde(skip_serializing_if = "is_zero")]
    pub copies_merged: u64,
    /// One line per problem, first few only (the count above is complete).
    pub problems: Vec<String>,
    #[serde(with = "ser_time::option")]
    pub first: Option<DateTime<Utc>>,
    #[serde(with = "ser_time::option")]
    pub last: Option<DateTime<Utc>>,
    /// The whole file was unusable.
    pub failed: bool,
}

impl InputReport {
    /// The report of a file not read yet: nothing read, nothing skipped, no problem.
    pub fn new(path: impl std::fmt::Display, kind: InputKind) -> Self {
        InputReport {
            path: path.to_string(),
            kind,
            records_read: 0,
            records_skipped: 0,
            copies_merged: 0,
            problems: Vec::new(),
            first: None,
            last: None,
            failed: false,
        }
    }

    /// The report of a file that could not be used at all; `message` should not repeat the path.
    pub fn unusable(path: &std::path::Path, kind: InputKind, message: String) -> Self {
        InputReport {
            problems: vec![message],
            failed: true,
            ..InputReport::new(path.display(), kind)
        }
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Writes a timestamp as RFC 3339 UTC with `Z` (whole seconds unless there is a fraction).
pub fn rfc3339(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// serde helpers for `DateTime<Utc>` as RFC 3339 with `Z`.
pub mod ser_time {
    use chrono::{DateTime, Utc};
    use serde::Serializer;

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::rfc3339(t))
    }

    pub mod option {
        use chrono::{DateTime, Utc};
        use serde::Serializer;
        pub fn serialize<S: Serializer>(
            t: &Option<DateTime<Utc>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => s.serialize_str(&super::super::rfc3339(t)),
                None => s.serialize_none(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_check_keeps_its_answer_and_response_time_in_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<Check>(), 16);
        let t = Utc.with_ymd_and_hms(2011, 8, 15, 23, 50, 0).unwrap();
        for ok in [true, false] {
            for latency in [None, Some(0.0), Some(15_000.0), Some(0.25)] {
                let c = Check::new(t, ok, latency);
                assert_eq!((c.time, c.ok(), c.latency_ms()), (t, ok, latency));
                assert_eq!(c, Check::new(t, ok, latency));
            }
        }
        assert_ne!(Check::new(t, true, None), Check::new(t, false, None));
    }

    #[test]
    fn a_series_spans_its_checks_or_its_intervals() {
        let t = |m: i64| {
            Utc.with_ymd_and_hms(2011, 8, 15, 0, 0, 0).unwrap() + chrono::Duration::minutes(m)
        };
        let mut p = ProbeSeries {
            name: "p".into(),
            target: None,
            vantage: None,
            host: None,
            checks: Vec::new(),
            intervals: Vec::new(),
            source_file: Arc::from("p"),
        };
        assert_eq!(p.time_span(), None);
        p.intervals.push(StateInterval {
            start: t(5),
            end: t(50),
            state: ProbeState::Down,
            failures: 1,
        });
        assert_eq!(p.time_span(), Some((t(5), t(50))));
        p.checks = vec![Check::new(t(10), true, None), Check::new(t(20), true, None)];
        assert_eq!(p.time_span(), Some((t(10), t(20))));
    }
}
