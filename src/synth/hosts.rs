//! A second scenario, for the story the System log alone tells: `faultline synth --hosts N DIR`
//! writes one System log per host, `<HOST>/System.evtx`, for 2011-08-20 (UTC).
//!
//! - WEB01 (the server's zone is Europe/London, BST = UTC+1):
//!   - a planned restart: 1074 "Operating System: Upgrade (Planned)" 0x80020003 at 02:00:00,
//!     6006 at 02:00:30, Kernel-General 12 StartTime 02:01:40, 6005 at 02:02:00;
//!   - an unclean crash: the last record at 10:14:50, Kernel-General 12 StartTime 10:19:40, a
//!     6008 without binary data stating "11:15:00" "20/08/2011" (en-GB order, local time =
//!     10:15:00 UTC), Kernel-Power 41 with BugcheckCode 0;
//!   - a VM clock correction after a boot: a planned shutdown (1074 at 15:58:00, 6006 at
//!     15:58:20), then the boot written with the clock 3 hours ahead (Kernel-General 12 at
//!     18:59:40, 6005 at 19:00:00, 7036 at 19:00:30) and Kernel-General 1 setting it from 19:01:00
//!     back to 16:01:00: the boot really was at 15:59:40.
//! - DB01 and every further host: an unclean crash at 10:16:00 (the last record), booted at
//!   10:22:00 (StartTime), its 6008 carrying the UTC time in its binary data: down together with
//!   WEB01 from 10:16:00 to 10:19:40.
use super::evtx_writer::SynthRecord;
use super::scenario::{named, unnamed};
use chrono::{DateTime, Duration, TimeZone, Utc};

pub fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2011, 8, 20, h, m, s).unwrap()
}

/// The clock ahead after WEB01's third boot.
pub const CLOCK_AHEAD: Duration = Duration::hours(3);

/// The host names of an N-host scenario: WEB01, DB01, then HOST003...
pub fn host_names(n: usize) -> Vec<String> {
    (1..=n)
        .map(|i| match i {
            1 => "WEB01".to_string(),
            2 => "DB01".to_string(),
            i => format!("HOST{i:03}"),
        })
        .collect()
}

struct Writer {
    host: String,
    records: Vec<SynthRecord>,
    /// Between routine records: 10 minutes, less for a scaled-up log.
    routine_step: Duration,
}

impl Writer {
    fn push(
        &mut self,
        time: DateTime<Utc>,
        provider: &str,
        event_id: u16,
        level: u8,
        data: Vec<(Option<String>, String)>,
    ) {
        self.records.push(SynthRecord {
            time,
            provider: provider.into(),
            event_id,
            qualifiers: None,
            level,
            channel: "System".into(),
            computer: self.host.clone(),
            data,
        });
    }

    fn service(&mut self, time: DateTime<Utc>, name: &str, state: &str) {
        self.push(
            time,
            "Service Control Manager",
            7036,
            4,
            named(&[("param1", name), ("param2", state)]),
        );
    }

    /// Routine records every `routine_step` in [from, to).
    fn routine(&mut self, from: DateTime<Utc>, to: DateTime<Utc>) {
        let mut t = from;
        while t < to {
            self.service(t, "Windows Update", "running");
            t += self.routine_step;
        }
    }

    fn restart_request(&mut self, time: DateTime<Utc>, action: &str) {
        self.push(
            time,
            "User32",
            1074,
            4,
            named(&[
                ("param1", "C:\\Windows\\system32\\svchost.exe (WEB01)"),
                ("param2", &self.host.clone()),
                ("param3", "Operating System: Upgrade (Planned)"),
                ("param4", "0x80020003"),
                ("param5", action),
                ("param6", ""),
                ("param7", "CONTOSO\\admin"),
            ]),
        );
    }

    /// A boot: 6009 and 6005 at `logged`, Kernel-General 12 written after them with `start`.
    fn boot(&mut self, start: DateTime<Utc>, logged: DateTime<Utc>) {
        self.push(
            logged,
            "EventLog",
            6009,
            4,
            unnamed(&[
                "6.01.",
                "7601",
                "Service Pack 1",
                "Multiprocessor Free",
                "17514",
            ]),
        );
        self.push(logged, "EventLog", 6005, 4, Vec::new());
        let iso = start.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
        self.push(
            start,
            "Microsoft-Windows-Kernel-General",
            12,
            4,
            named(&[("MajorVersion", "6"), ("StartTime", &iso)]),
        );
    }

    fn power_loss(&mut self, time: DateTime<Utc>) {
        self.push(
            time,
            "Microsoft-Windows-Kernel-Power",
            41,
            1,
            named(&[("BugcheckCode", "0"), ("PowerButtonTimestamp", "0")]),
        );
    }
}

/// SYSTEMTIME bytes (little-endian words) as hex, for a 6008's binary data.
fn systemtime_hex(t: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    let words = [
        t.year() as u16,
        t.month() as u16,
        t.weekday().num_days_from_sunday() as u16,
        t.day() as u16,
        t.hour() as u16,
        t.minute() as u16,
        t.second() as u16,
        0,
    ];
    words
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .map(|b| format!("{b:02X}"))
        .collect()
}

fn web01(routine_step: Duration) -> Vec<SynthRecord> {
    let mut w = Writer {
        host: "WEB01".into(),
        records: Vec::new(),
        routine_step,
    };
    w.routine(at(0, 0, 0), at(2, 0, 0));
    // A planned restart.
    w.restart_request(at(2, 0, 0), "restart");
    w.push(at(2, 0, 30), "EventLog", 6006, 4, Vec::new());
    w.boot(at(2, 1, 40), at(2, 2, 0));
    w.routine(at(2, 10, 0), at(10, 15, 0));
    // An unclean crash: nothing written after 10:14:50 until the boot.
    w.service(at(10, 14, 50), "Print Spooler", "stopped");
    w.boot(at(10, 19, 40), at(10, 20, 0));
    w.push(
        at(10, 20, 5),
        "EventLog",
        6008,
        2,
        unnamed(&["11:15:00", "20/08/2011", "", "", "1234", "", ""]),
    );
    w.power_loss(at(10, 20, 2));
    w.routine(at(10, 30, 0), at(15, 58, 0));
    // A planned shutdown, then a boot with the clock 3 hours ahead until the correction.
    w.restart_request(at(15, 58, 0), "restart");
    w.push(at(15, 58, 20), "EventLog", 6006, 4, Vec::new());
    let ahead = CLOCK_AHEAD;
    w.boot(at(15, 59, 40) + ahead, at(16, 0, 0) + ahead);
    w.service(at(16, 0, 30) + ahead, "Windows Time", "running");
    w.push(
        at(16, 1, 0),
        "Microsoft-Windows-Kernel-General",
        1,
        4,
        named(&[
            ("NewTime", "2011-08-20T16:01:00.0000000Z"),
            ("OldTime", "2011-08-20T19:01:00.0000000Z"),
            ("Reason", "2"),
        ]),
    );
    w.routine(at(16, 10, 0), at(23, 50, 0));
    w.records
}

fn crashed_host(host: &str, routine_step: Duration) -> Vec<SynthRecord> {
    let mut w = Writer {
        host: host.into(),
        records: Vec::new(),
        routine_step,
    };
    w.routine(at(0, 5, 0), at(10, 15, 0));
    w.service(at(10, 16, 0), "SQL Server (MSSQLSERVER)", "running");
    let down = at(10, 16, 0);
    w.boot(at(10, 22, 0), at(10, 22, 20));
    let mut binary = systemtime_hex(down + Duration::hours(1));
    binary.push_str(&systemtime_hex(down));
    w.push(
        at(10, 22, 25),
        "EventLog",
        6008,
        2,
        vec![
            (None, "11:16:00".into()),
            (None, "20/08/2011".into()),
            (Some("Binary".into()), binary),
        ],
    );
    w.power_loss(at(10, 22, 21));
    w.routine(at(10, 30, 0), at(23, 50, 0));
    w.records
}

/// Each host's System log records, in the order they are written (record ids follow it).
/// `scale`: about that many records per host (routine records closer together), for benchmarks.
pub fn host_logs(n: usize, scale: Option<u64>) -> Vec<(String, Vec<SynthRecord>)> {
    // The routine records span about 23 hours of the day.
    let routine_step = match scale {
        Some(records) => Duration::milliseconds((23 * 3_600_000 / records.max(1) as i64).max(1)),
        None => Duration::minutes(10),
    };
    host_names(n)
        .into_iter()
        .map(|h| {
            let records = if h == "WEB01" {
                web01(routine_step)
            } else {
                crashed_host(&h, routine_step)
            };
            (h, records)
        })
        .collect()
}
