//! The shapes of the knowledge files under data/: used by the tool and by build.rs, which checks
//! every data file against them, so a broken file fails the build with its line, never empties a
//! table at run time. Only serde here: build.rs compiles this file on its own.
use serde::Deserialize;

/// What kind of evidence an event is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize, PartialOrd, Ord,
)]
#[serde(rename_all = "kebab-case")]
pub enum EventClass {
    ResourceExhaustion,
    Crash,
    Storage,
    Service,
    PlannedRestart,
    Boot,
    Change,
    Info,
    Noise,
}

impl EventClass {
    pub fn as_str(self) -> &'static str {
        match self {
            EventClass::ResourceExhaustion => "resource-exhaustion",
            EventClass::Crash => "crash",
            EventClass::Storage => "storage",
            EventClass::Service => "service",
            EventClass::PlannedRestart => "planned-restart",
            EventClass::Boot => "boot",
            EventClass::Change => "change",
            EventClass::Info => "info",
            EventClass::Noise => "noise",
        }
    }
}

/// One knowledge-base entry.
#[derive(Debug, Clone, Deserialize)]
pub struct EventInfo {
    /// None: applies to every id of the provider.
    pub id: Option<u32>,
    #[serde(default)]
    pub provider: String,
    pub class: EventClass,
    pub title: String,
    pub meaning: String,
    pub check_next: String,
    /// A known trap in reading this event.
    pub trap: Option<String>,
    #[serde(default)]
    pub sources: Vec<String>,
}

/// The file: `[[event]]` entries.
#[derive(Deserialize)]
pub struct EventFile {
    pub event: Vec<EventInfo>,
}

/// Which way a counter goes bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Bad when high (pool bytes, CPU, latency).
    Above,
    /// Bad when low (available memory, free PTEs).
    Below,
}

#[derive(Deserialize)]
/// data/counters.toml: `[[rule]]` entries.
pub struct RuleFile {
    pub rule: Vec<RuleEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
/// One counter rule as written in the file.
pub struct RuleEntry {
    pub id: String,
    pub objects: Vec<String>,
    pub counter: String,
    pub direction: Direction,
    pub warning: Option<f64>,
    pub critical: Option<f64>,
    pub trend_per_hour: Option<f64>,
    pub relative: Option<String>,
    pub meaning: String,
    pub source: String,
}
