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

/// What an event tells the story: the parts of a shutdown, a boot, a crash, a clock change or a
/// change that the analysis looks for. An entry may have several (1074 is a shutdown request and a
/// change).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventRole {
    /// A process or user asked for a shutdown or restart (User32 1074).
    ShutdownRequest,
    /// The reason typed in at the next logon for an unexpected shutdown (1076).
    UnexpectedShutdownReason,
    /// The Event Log service stopped: the last record of a clean shutdown (6006).
    LogStop,
    /// The kernel stopped (Kernel-General 13, StopTime) or began its power transition (109).
    KernelStop,
    /// The kernel started (Kernel-General 12, StartTime).
    KernelStart,
    /// The Event Log service started: the boot as the log sees it (6005).
    LogStart,
    /// Written at every boot (6009 OS version, 6013 uptime).
    BootInfo,
    /// The previous shutdown was unexpected, with its time stated inside (6008).
    UnexpectedShutdown,
    /// The system rebooted without cleanly shutting down first (Kernel-Power 41).
    PowerLoss,
    /// The computer rebooted from a bugcheck (1001 BugCheck / WER-SystemErrorReporting).
    Bugcheck,
    /// The system time was changed, with the old and new time inside (Kernel-General 1, 4616).
    ClockChange,
    /// A service terminated unexpectedly (7031, 7034).
    ServiceCrash,
    /// A service failed to start or stopped with an error (7023, 7024).
    ServiceFailure,
    /// A service entered the running or stopped state (7036).
    ServiceState,
    /// The computer was renamed (6011, written at the first boot under the new name).
    Rename,
    /// The time service synchronized with its source (Time-Service / W32Time 35, 37): the clock
    /// may have been set as the record was written, so its time is no measure of a boot.
    TimeSync,
}

/// What an event records as a change, for "what changed before" (`Change.kind` in the JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    SoftwareInstall,
    SoftwareRemoval,
    ServiceInstalled,
    ServiceStartType,
    Update,
    Restart,
    /// A boot, or an OS version change when the version differs from the previous boot's.
    Boot,
}

/// One knowledge-base entry.
#[derive(Debug, Clone, Deserialize)]
pub struct EventInfo {
    /// None: applies to every id of the provider.
    pub id: Option<u32>,
    #[serde(default)]
    pub provider: String,
    pub class: EventClass,
    /// The parts of the story this event plays (empty for most).
    #[serde(default)]
    pub roles: Vec<EventRole>,
    /// The change this event records, if it is one.
    pub change: Option<ChangeKind>,
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
