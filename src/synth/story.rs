//! The aug15 scenario's facts in one place: every fixture generator and the story README use these.
//! All wall-clock times are Pacific Daylight Time (UTC-7), the server's zone.
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

pub const HOST: &str = "SIPSVR01";
pub const ZONE: &str = "America/Los_Angeles";
/// PDT is UTC-7 for the whole scenario (no DST change inside it).
pub const PDT_OFFSET_HOURS: i64 = -7;

/// A wall-clock time in PDT as UTC.
pub fn pdt(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    let local = NaiveDate::from_ymd_opt(y, mo, d)
        .and_then(|day| day.and_hms_opt(h, mi, s))
        .expect("story times are valid dates");
    Utc.from_utc_datetime(&local) - chrono::Duration::hours(PDT_OFFSET_HOURS)
}

/// Event logs cover 2011-08-01 00:00 .. 2011-08-18 00:00 PDT.
pub fn logs_start() -> DateTime<Utc> {
    pdt(2011, 8, 1, 0, 0, 0)
}
pub fn logs_end() -> DateTime<Utc> {
    pdt(2011, 8, 18, 0, 0, 0)
}

/// Hardware change (RAM upgrade) reboot, then MySQL 5.5 installed, two weeks before the outage.
pub fn hardware_reboot() -> DateTime<Utc> {
    pdt(2011, 8, 1, 9, 40, 0)
}
pub fn mysql_install() -> DateTime<Utc> {
    pdt(2011, 8, 1, 10, 12, 0)
}

/// Probes check every 60 s from 2011-08-06 00:00 to 2011-08-17 00:00 PDT.
pub fn probes_start() -> DateTime<Utc> {
    pdt(2011, 8, 6, 0, 0, 0)
}
pub fn probes_end() -> DateTime<Utc> {
    pdt(2011, 8, 17, 0, 0, 0)
}
pub const PROBE_INTERVAL_SECS: i64 = 60;
/// Remote monitors (one multi-probe export) and the probe on the server itself (its own file).
pub const REMOTE_PROBES: [&str; 3] = ["us-west", "us-east", "eu-central"];
pub const LOCAL_PROBE: &str = "local-sipsvr01";
pub const PROBE_TIMEOUT_SECS: f64 = 15.0;

/// A window in which probes failed: first failed check .. first good check after it.
#[derive(Debug, Clone, Copy)]
pub struct StoryWindow {
    pub first_failure: DateTime<Utc>,
    pub last_failure: DateTime<Utc>,
    pub recovered_at: DateTime<Utc>,
}

/// 8 Aug: a 20-minute service outage (all four probes), a few 333s and a MySQL crash/restart.
pub fn outage_aug08() -> StoryWindow {
    StoryWindow {
        first_failure: pdt(2011, 8, 8, 14, 10, 0),
        last_failure: pdt(2011, 8, 8, 14, 29, 0),
        recovered_at: pdt(2011, 8, 8, 14, 30, 0),
    }
}
/// 8 Aug: the 333s that came before it, and the MySQL service crash and restart.
pub fn aug08_333_times() -> [DateTime<Utc>; 3] {
    [
        pdt(2011, 8, 8, 14, 2, 0),
        pdt(2011, 8, 8, 14, 5, 30),
        pdt(2011, 8, 8, 14, 9, 10),
    ]
}
pub fn aug08_mysql_crash() -> DateTime<Utc> {
    pdt(2011, 8, 8, 14, 10, 30)
}
pub fn aug08_mysql_restart() -> DateTime<Utc> {
    pdt(2011, 8, 8, 14, 29, 40)
}

/// 11 Aug: a 15-minute network problem: us-east and eu-central fail, us-west and local answer.
pub fn network_aug11() -> StoryWindow {
    StoryWindow {
        first_failure: pdt(2011, 8, 11, 9, 20, 0),
        last_failure: pdt(2011, 8, 11, 9, 34, 0),
        recovered_at: pdt(2011, 8, 11, 9, 35, 0),
    }
}
pub const NETWORK_PROBES: [&str; 2] = ["us-east", "eu-central"];

/// 12 Aug: us-west alone fails for 5 minutes (partial).
pub fn partial_aug12() -> StoryWindow {
    StoryWindow {
        first_failure: pdt(2011, 8, 12, 13, 0, 0),
        last_failure: pdt(2011, 8, 12, 13, 4, 0),
        recovered_at: pdt(2011, 8, 12, 13, 5, 0),
    }
}
pub const PARTIAL_PROBE: &str = "us-west";

/// 13 Aug: one failed check of eu-central (a blip, not an outage).
pub fn blip_aug13() -> DateTime<Utc> {
    pdt(2011, 8, 13, 3, 17, 0)
}
pub const BLIP_PROBE: &str = "eu-central";

/// 14 Aug: us-east exported no data for two hours (unknown, neither up nor down).
pub fn gap_aug14() -> (DateTime<Utc>, DateTime<Utc>) {
    (pdt(2011, 8, 14, 2, 0, 0), pdt(2011, 8, 14, 4, 0, 0))
}
pub const GAP_PROBE: &str = "us-east";

/// 15 Aug: the 90-minute outage. Pool pressure (2020) from 16:40, the 333 storm from 16:50,
/// probes fail from 16:58, admin restart 18:21, boot 18:25:30, first good checks 18:28.
pub fn outage_aug15() -> StoryWindow {
    StoryWindow {
        first_failure: pdt(2011, 8, 15, 16, 58, 0),
        last_failure: pdt(2011, 8, 15, 18, 27, 0),
        recovered_at: pdt(2011, 8, 15, 18, 28, 0),
    }
}
pub fn aug15_first_2020() -> DateTime<Utc> {
    pdt(2011, 8, 15, 16, 40, 0)
}
pub fn aug15_storm_start() -> DateTime<Utc> {
    pdt(2011, 8, 15, 16, 50, 0)
}
/// Event 333 every 30 s from the storm start; the last one before the shutdown.
pub const AUG15_333_INTERVAL_SECS: i64 = 30;
pub fn aug15_storm_last() -> DateTime<Utc> {
    pdt(2011, 8, 15, 18, 20, 30)
}
/// Number of Event 333 on 15 Aug: 16:50:00 .. 18:20:30 every 30 s.
pub const AUG15_333_COUNT: usize = 182;
pub fn aug15_admin_restart() -> DateTime<Utc> {
    pdt(2011, 8, 15, 18, 21, 0)
}
pub fn aug15_eventlog_stopped() -> DateTime<Utc> {
    pdt(2011, 8, 15, 18, 22, 0)
}
pub fn aug15_boot() -> DateTime<Utc> {
    pdt(2011, 8, 15, 18, 25, 30)
}

/// Perfmon: one-minute samples from 2011-08-13 00:00 to 2011-08-16 00:00 PDT, none while rebooting.
pub fn perfmon_start() -> DateTime<Utc> {
    pdt(2011, 8, 13, 0, 0, 0)
}
pub fn perfmon_end() -> DateTime<Utc> {
    pdt(2011, 8, 16, 0, 0, 0)
}
/// No perfmon samples from the shutdown until the collector restarts after boot.
pub fn perfmon_gap() -> (DateTime<Utc>, DateTime<Utc>) {
    (pdt(2011, 8, 15, 18, 22, 0), pdt(2011, 8, 15, 18, 27, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_storm_count_matches_its_times() {
        let span = (aug15_storm_last() - aug15_storm_start()).num_seconds();
        assert_eq!(span / AUG15_333_INTERVAL_SECS + 1, AUG15_333_COUNT as i64);
    }

    #[test]
    fn pdt_is_utc_minus_seven() {
        assert_eq!(
            pdt(2011, 8, 15, 17, 0, 0).to_rfc3339(),
            "2011-08-16T00:00:00+00:00"
        );
    }

    #[test]
    fn the_big_outage_lasts_ninety_minutes() {
        let w = outage_aug15();
        assert_eq!((w.recovered_at - w.first_failure).num_minutes(), 90);
    }
}
