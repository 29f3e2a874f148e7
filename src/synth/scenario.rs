//! The aug15 scenario's System and Application event logs, retelling `story.rs` with background noise.
//!
//! Every story time comes from `story.rs`; the few times only the event logs need (the 1 Aug boot,
//! when the kernel started before each boot's EventLog 6005) are defined here. Background noise is
//! drawn from a fixed-seed generator, so the records, and the EVTX bytes, never change.
use super::evtx_writer::SynthRecord;
use super::story::{self, pdt, HOST};
use chrono::{DateTime, Duration, Utc};

pub const SYSTEM: &str = "System";
pub const APPLICATION: &str = "Application";

/// The EventID Qualifiers classic sources write (the top bits are the message severity).
const Q_SUCCESS: u16 = 0;
const Q_INFO: u16 = 0x4000;
const Q_WARNING: u16 = 0x8000;
const Q_ERROR: u16 = 0xC000;

const INFO: u8 = 4;
const WARNING: u8 = 3;
const ERROR: u8 = 2;

const SCM: &str = "Service Control Manager";
const EVENTLOG: &str = "EventLog";
const KERNEL_GENERAL: &str = "Microsoft-Windows-Kernel-General";
const DCOM: &str = "Microsoft-Windows-DistributedCOM";
const POPUP: &str = "Application Popup";
const SPP: &str = "Microsoft-Windows-Security-SPP";
const MYSQL: &str = "MySQL";

/// The registry-flush message of Event 333, as its unnamed Data.
pub const REGISTRY_333: &str = "An I/O operation initiated by the Registry failed unrecoverably. The Registry could not read in, or write out, or flush, one of the files that contain the system's image of the Registry.";
/// The paged-pool message of Srv 2020.
pub const SRV_2020: &str =
    "The server was unable to allocate from the system paged pool because the pool was empty.";
/// Srv 2020 every five minutes from `aug15_first_2020` until the admin restart.
pub const AUG15_2020_INTERVAL_SECS: i64 = 300;
/// MySQL's errors on the Application log during the 15 Aug storm, every ten minutes.
pub const AUG15_MYSQL_ERROR_INTERVAL_SECS: i64 = 600;

const MYSQLD: &str = "C:\\Program Files\\MySQL\\MySQL Server 5.5\\bin\\mysqld";
const MYSQL_VERSION: &str = "5.5.15";

/// 1 Aug: shutdown for the RAM upgrade (User32 1074 at `hardware_reboot`), then EventLog 6006.
pub fn aug01_eventlog_stopped() -> DateTime<Utc> {
    pdt(2011, 8, 1, 9, 40, 41)
}
/// 1 Aug: EventLog 6005 after the RAM upgrade.
pub fn aug01_boot() -> DateTime<Utc> {
    pdt(2011, 8, 1, 9, 58, 5)
}
/// 1 Aug: MySQL's service installed by the instance configuration wizard (7045), then started.
pub fn aug01_mysql_service_installed() -> DateTime<Utc> {
    pdt(2011, 8, 1, 10, 14, 6)
}
/// The kernel starts this long before EventLog writes 6009/6005 (Kernel-General 12's StartTime).
pub const KERNEL_LEAD_SECS: i64 = 18;
/// The boot before the logs begin (July's patch reboot): what 6013 counts from until 1 Aug.
pub fn previous_boot() -> DateTime<Utc> {
    pdt(2011, 7, 13, 3, 5, 21)
}

/// The System log, sorted by time (equal times keep the order they were told in).
mod outages;
use outages::{aug08_application, aug08_system, aug15_application, aug15_system, mysql_started};

pub fn system_records() -> Vec<SynthRecord> {
    let mut log = Log::default();
    system_background(&mut log);
    hardware_change_system(&mut log);
    aug08_system(&mut log);
    aug15_system(&mut log);
    log.finish()
}

/// The Application log, sorted by time.
pub fn application_records() -> Vec<SynthRecord> {
    let mut log = Log::default();
    application_background(&mut log);
    hardware_change_application(&mut log);
    aug08_application(&mut log);
    aug15_application(&mut log);
    log.finish()
}

/// Records being told, in story order; sorted stably by time at the end.
#[derive(Default)]
pub(crate) struct Log {
    records: Vec<SynthRecord>,
}

impl Log {
    pub(crate) fn with_capacity(n: usize) -> Self {
        Log {
            records: Vec::with_capacity(n),
        }
    }

    pub(crate) fn extend(&mut self, records: Vec<SynthRecord>) {
        self.records.extend(records);
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn push(
        &mut self,
        time: DateTime<Utc>,
        channel: &str,
        provider: &str,
        event_id: u16,
        qualifiers: Option<u16>,
        level: u8,
        data: Vec<(Option<String>, String)>,
    ) {
        self.records.push(SynthRecord {
            time,
            provider: provider.to_string(),
            event_id,
            qualifiers,
            level,
            channel: channel.to_string(),
            computer: HOST.to_string(),
            data,
        });
    }

    pub(crate) fn finish(mut self) -> Vec<SynthRecord> {
        self.records.sort_by_key(|r| r.time);
        self.records
    }
}

/// `<Data Name="..">` values.
pub(crate) fn named(pairs: &[(&str, &str)]) -> Vec<(Option<String>, String)> {
    pairs
        .iter()
        .map(|(n, v)| (Some((*n).to_string()), (*v).to_string()))
        .collect()
}

/// Unnamed `<Data>` values.
pub(crate) fn unnamed(values: &[&str]) -> Vec<(Option<String>, String)> {
    values.iter().map(|v| (None, (*v).to_string())).collect()
}

/// A small fixed-seed generator (splitmix64), so the noise is the same on every run.
pub(crate) struct Noise(u64);

impl Noise {
    pub(crate) fn new(seed: u64) -> Self {
        Noise(seed)
    }
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// 0..n
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

// ---------------------------------------------------------------- service control manager

pub(crate) fn service_state(log: &mut Log, t: DateTime<Utc>, service: &str, running: bool) {
    let state = if running { "running" } else { "stopped" };
    log.push(
        t,
        SYSTEM,
        SCM,
        7036,
        Some(Q_INFO),
        INFO,
        named(&[("param1", service), ("param2", state)]),
    );
}

/// Background services that start and stop on their own during the day.
pub(crate) const ROUTINE_SERVICES: [(&str, i64); 4] = [
    ("Windows Modules Installer", 900),
    ("WinHTTP Web Proxy Auto-Discovery Service", 1200),
    ("Application Experience", 600),
    ("Windows Error Reporting Service", 300),
];

/// One DCOM 10016 permission complaint (noise).
pub(crate) fn dcom_10016(log: &mut Log, t: DateTime<Utc>, which: u64) {
    const CLSIDS: [&str; 3] = [
        "{000C101C-0000-0000-C000-000000000046}",
        "{D63B10C5-BB46-4990-A94F-E40B9D520160}",
        "{C2F03A33-21F5-47FA-B4BB-156362A2F239}",
    ];
    let clsid = CLSIDS[(which % 3) as usize];
    let (domain, user, sid) = if which.is_multiple_of(2) {
        ("NT AUTHORITY", "NETWORK SERVICE", "S-1-5-20")
    } else {
        ("NT AUTHORITY", "LOCAL SERVICE", "S-1-5-19")
    };
    log.push(
        t,
        SYSTEM,
        DCOM,
        10016,
        Some(Q_SUCCESS),
        ERROR,
        named(&[
            ("param1", "application-specific"),
            ("param2", "Local"),
            ("param3", "Activation"),
            ("param4", clsid),
            ("param5", clsid),
            ("param6", domain),
            ("param7", user),
            ("param8", sid),
            ("param9", "LocalHost (Using LRPC)"),
        ]),
    );
}

/// EventLog 6013: uptime in seconds, and the zone as Windows writes it (bias in minutes).
fn uptime_6013(log: &mut Log, t: DateTime<Utc>, kernel_started: DateTime<Utc>) {
    let secs = (t - kernel_started).num_seconds().to_string();
    log.push(
        t,
        SYSTEM,
        EVENTLOG,
        6013,
        Some(Q_WARNING),
        INFO,
        unnamed(&["", "", "", "", &secs, "60", "420 Pacific Daylight Time"]),
    );
}

/// When the kernel started for the boot whose EventLog 6005 is at `boot`.
fn kernel_start(boot: DateTime<Utc>) -> DateTime<Utc> {
    boot - Duration::seconds(KERNEL_LEAD_SECS)
}

/// The latest kernel start at or before `t`.
fn kernel_started_before(t: DateTime<Utc>) -> DateTime<Utc> {
    [story::aug15_boot(), aug01_boot()]
        .into_iter()
        .map(kernel_start)
        .find(|k| *k <= t)
        .unwrap_or_else(previous_boot)
}

/// The machine was down (between EventLog 6006 and the next 6005): nothing is logged.
pub(crate) fn machine_down(t: DateTime<Utc>) -> bool {
    let aug01 = story::hardware_reboot()..aug01_boot() + Duration::seconds(120);
    let aug15 = story::aug15_admin_restart()..story::aug15_boot() + Duration::seconds(120);
    aug01.contains(&t) || aug15.contains(&t)
}

/// Days of the logs: (midnight PDT, day of month).
fn days() -> impl Iterator<Item = DateTime<Utc>> {
    let start = story::logs_start();
    let n = (story::logs_end() - start).num_days();
    (0..n).map(move |d| start + Duration::days(d))
}

fn system_background(log: &mut Log) {
    let mut noise = Noise::new(0x5195_5701);
    for day in days() {
        // Uptime at noon.
        let noon = day + Duration::hours(12);
        uptime_6013(log, noon, kernel_started_before(noon));
        // DCOM 10016, three to six a day.
        for _ in 0..3 + noise.below(4) {
            let t = day + Duration::seconds(noise.below(86_400) as i64);
            let which = noise.next();
            if !machine_down(t) {
                dcom_10016(log, t, which);
            }
        }
        // Two routine services start and stop on their own.
        for _ in 0..2 {
            let (service, runs) = ROUTINE_SERVICES[noise.below(4) as usize];
            let t = day + Duration::seconds(noise.below(86_400 - 3_600) as i64);
            let stop = t + Duration::seconds(runs + noise.below(120) as i64);
            if !machine_down(t) && !machine_down(stop) {
                service_state(log, t, service, true);
                service_state(log, stop, service, false);
            }
        }
        // Software Protection checks its licence once a day (with SPP 902/903 on Application).
        let (start, stop) = spp_times(day);
        service_state(log, start, "Software Protection", true);
        service_state(log, stop, "Software Protection", false);
    }
}

/// Software Protection's daily run: same times on both logs.
fn spp_times(day: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = day + Duration::hours(4) + Duration::minutes(17) + Duration::seconds(12);
    (start, start + Duration::seconds(31))
}

fn application_background(log: &mut Log) {
    for day in days() {
        let (start, stop) = spp_times(day);
        log.push(
            start + Duration::seconds(1),
            APPLICATION,
            SPP,
            902,
            Some(Q_INFO),
            INFO,
            unnamed(&["6.1.7601.17514"]),
        );
        log.push(stop, APPLICATION, SPP, 903, Some(Q_INFO), INFO, vec![]);
    }
}

// ---------------------------------------------------------------- shutdowns and boots

/// User32 1074: who restarted the machine, and why.
fn user32_1074(
    log: &mut Log,
    t: DateTime<Utc>,
    reason: &str,
    code: &str,
    kind: &str,
    comment: &str,
) {
    let process = format!("C:\\Windows\\system32\\winlogon.exe ({HOST})");
    let user = format!("{HOST}\\Administrator");
    log.push(
        t,
        SYSTEM,
        "User32",
        1074,
        Some(Q_WARNING),
        INFO,
        named(&[
            ("param1", &process),
            ("param2", HOST),
            ("param3", reason),
            ("param4", code),
            ("param5", kind),
            ("param6", comment),
            ("param7", &user),
        ]),
    );
}

fn eventlog_stopped(log: &mut Log, t: DateTime<Utc>) {
    log.push(t, SYSTEM, EVENTLOG, 6006, Some(Q_WARNING), INFO, vec![]);
}

/// The boot at `boot`: 6009 (OS version), 6005, Kernel-General 12 (kernel start), 6013 uptime,
/// then services starting.
fn boot_sequence(log: &mut Log, boot: DateTime<Utc>, mysql: bool) {
    let kernel = kernel_start(boot);
    log.push(
        boot,
        SYSTEM,
        EVENTLOG,
        6009,
        Some(Q_WARNING),
        INFO,
        unnamed(&[
            "6.01.",
            "7601",
            "Service Pack 1",
            "Multiprocessor Free",
            "17514",
        ]),
    );
    log.push(boot, SYSTEM, EVENTLOG, 6005, Some(Q_WARNING), INFO, vec![]);
    let start_time = kernel.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string();
    log.push(
        boot,
        SYSTEM,
        KERNEL_GENERAL,
        12,
        None,
        INFO,
        named(&[
            ("MajorVersion", "6"),
            ("MinorVersion", "1"),
            ("BuildVersion", "7601"),
            ("QfeVersion", "17514"),
            ("ServiceVersion", "1"),
            ("BootMode", "0"),
            ("StartTime", &start_time),
        ]),
    );
    uptime_6013(log, boot + Duration::seconds(15), kernel);
    service_state(
        log,
        boot + Duration::seconds(22),
        "Application Experience",
        true,
    );
    service_state(
        log,
        boot + Duration::seconds(25),
        "WinHTTP Web Proxy Auto-Discovery Service",
        true,
    );
    service_state(
        log,
        boot + Duration::seconds(38),
        "Software Protection",
        true,
    );
    if mysql {
        service_state(log, boot + Duration::seconds(61), "MySQL", true);
    }
    service_state(
        log,
        boot + Duration::seconds(69),
        "Software Protection",
        false,
    );
}

fn hardware_change_system(log: &mut Log) {
    user32_1074(
        log,
        story::hardware_reboot(),
        "Hardware: Installation (Planned)",
        "0x80010002",
        "power off",
        "RAM upgrade to 8 GB",
    );
    eventlog_stopped(log, aug01_eventlog_stopped());
    boot_sequence(log, aug01_boot(), false);
    let installed = aug01_mysql_service_installed();
    let image = format!(
        "\"{MYSQLD}\" --defaults-file=\"C:\\Program Files\\MySQL\\MySQL Server 5.5\\my.ini\" MySQL"
    );
    log.push(
        installed,
        SYSTEM,
        SCM,
        7045,
        Some(Q_INFO),
        INFO,
        named(&[
            ("ServiceName", "MySQL"),
            ("ImagePath", &image),
            ("ServiceType", "user mode service"),
            ("StartType", "auto start"),
            ("AccountName", "LocalSystem"),
        ]),
    );
    service_state(log, installed + Duration::seconds(4), "MySQL", true);
}

fn hardware_change_application(log: &mut Log) {
    let t = story::mysql_install();
    log.push(
        t,
        APPLICATION,
        "MsiInstaller",
        11707,
        Some(Q_SUCCESS),
        INFO,
        unnamed(&[
            "Product: MySQL Server 5.5 -- Installation completed successfully.",
            "(NULL)",
            "(NULL)",
            "(NULL)",
            "(NULL)",
            "(NULL)",
            "",
        ]),
    );
    log.push(
        t,
        APPLICATION,
        "MsiInstaller",
        1033,
        Some(Q_SUCCESS),
        INFO,
        unnamed(&[
            "MySQL Server 5.5",
            MYSQL_VERSION,
            "1033",
            "0",
            "Oracle Corporation",
            "(NULL)",
            "",
        ]),
    );
    mysql_started(
        log,
        aug01_mysql_service_installed() + Duration::seconds(4),
        false,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(records: &[SynthRecord], id: u16, from: DateTime<Utc>, to: DateTime<Utc>) -> usize {
        records
            .iter()
            .filter(|r| r.event_id == id && r.time >= from && r.time <= to)
            .count()
    }

    #[test]
    fn logs_are_sorted_and_inside_the_story_span() {
        for records in [system_records(), application_records()] {
            assert!(records.windows(2).all(|w| w[0].time <= w[1].time));
            assert!(records
                .iter()
                .all(|r| r.time >= story::logs_start() && r.time < story::logs_end()));
            assert!(records.iter().all(|r| r.computer == HOST));
        }
    }

    #[test]
    fn the_storm_has_the_story_count_and_ends() {
        let system = system_records();
        let day = (pdt(2011, 8, 15, 0, 0, 0), pdt(2011, 8, 15, 23, 59, 59));
        assert_eq!(count(&system, 333, day.0, day.1), story::AUG15_333_COUNT);
        let storm: Vec<_> = system
            .iter()
            .filter(|r| r.event_id == 333 && r.time >= day.0)
            .collect();
        assert_eq!(
            storm.first().map(|r| r.time),
            Some(story::aug15_storm_start())
        );
        assert_eq!(
            storm.last().map(|r| r.time),
            Some(story::aug15_storm_last())
        );
        assert_eq!(
            count(&system, 333, story::logs_start(), story::logs_end()),
            185
        );
    }

    #[test]
    fn nothing_is_logged_while_the_machine_is_down() {
        let system = system_records();
        let down = system
            .iter()
            .filter(|r| r.time > story::aug15_eventlog_stopped() && r.time < story::aug15_boot())
            .count();
        assert_eq!(down, 0);
    }

    #[test]
    fn uptime_restarts_at_each_boot() {
        let system = system_records();
        let after_boot = system
            .iter()
            .find(|r| r.event_id == 6013 && r.time > story::aug15_boot())
            .and_then(|r| r.data.get(4).map(|d| d.1.clone()));
        assert_eq!(after_boot.as_deref(), Some("33"));
    }
}
