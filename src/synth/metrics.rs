//! The aug15 metric fixtures: SIPSVR01's perfmon CSV (PDH-CSV 4.0, Pacific Daylight Time) and a
//! generic SIP traffic CSV, generated deterministically from the story's facts.
use super::story;
use chrono::{DateTime, Duration, Timelike, Utc};
use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

pub const PERFMON_FILE: &str = "perfmon_SIPSVR01.csv";
pub const TRAFFIC_FILE: &str = "sip_traffic.csv";

/// The counters in the perfmon fixture, in column order.
pub const PERFMON_COUNTERS: [&str; 12] = [
    r"Memory\Pool Paged Bytes",
    r"Memory\Pool Nonpaged Bytes",
    r"Process(mysqld)\Handle Count",
    r"Process(mysqld)\Thread Count",
    r"System\% Registry Quota In Use",
    r"Memory\Available MBytes",
    r"Memory\% Committed Bytes In Use",
    r"Memory\Free System Page Table Entries",
    r"Processor(_Total)\% Processor Time",
    r"System\Processor Queue Length",
    r"PhysicalDisk(0 C:)\Avg. Disk sec/Transfer",
    r"System\Threads",
];

/// Cells left blank (`" "`, a missing sample) as (row, column) of the data rows.
pub const BLANK_CELLS: [(usize, usize); 6] = [
    (777, 0),
    (2048, 0),
    (100, 2),
    (1500, 5),
    (3000, 8),
    (3500, 11),
];

const MIB: f64 = 1024.0 * 1024.0;

/// Writes both metric fixtures into `dir`.
pub fn write_metric_fixtures(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::File::create(dir.join(PERFMON_FILE))?.write_all(perfmon_csv().as_bytes())?;
    std::fs::File::create(dir.join(TRAFFIC_FILE))?.write_all(traffic_csv().as_bytes())?;
    Ok(())
}

/// Deterministic noise in [-0.5, 0.5) from a row index and a column (splitmix64).
fn noise(row: usize, column: usize) -> f64 {
    let mut z = (row as u64)
        .wrapping_mul(1_000_003)
        .wrapping_add(column as u64)
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64 - 0.5
}

fn hours(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_seconds() as f64 / 3600.0
}

/// Sample times of the perfmon collector: every minute, none while the server was rebooting.
fn perfmon_times() -> Vec<DateTime<Utc>> {
    let (gap_start, gap_end) = story::perfmon_gap();
    let mut times = Vec::new();
    let mut t = story::perfmon_start();
    while t < story::perfmon_end() {
        if t < gap_start || t >= gap_end {
            times.push(t);
        }
        t += Duration::seconds(60);
    }
    times
}

/// One row of counter values at `t` (row index `i` feeds the noise).
fn counter_values(i: usize, t: DateTime<Utc>) -> [f64; 12] {
    let start = story::perfmon_start();
    let storm = story::aug15_storm_start();
    let (shutdown, restart) = story::perfmon_gap();
    let n = |c: usize| noise(i, c);
    let local_hour = (t + Duration::hours(story::PDT_OFFSET_HOURS)).hour() as f64
        + (t + Duration::hours(story::PDT_OFFSET_HOURS)).minute() as f64 / 60.0;
    let daily_cpu = 16.5 - 8.5 * ((local_hour - 4.0) / 24.0 * std::f64::consts::TAU).cos();
    if t >= restart {
        // After the reboot: pools, handles and registry back to fresh-boot levels.
        let h = hours(restart, t);
        return [
            (150.0 + 1.5 * h + 2.0 * n(0)) * MIB,
            (62.0 + 2.0 * n(1)) * MIB,
            (500.0 + 40.0 * h + 10.0 * n(2)).round(),
            (38.0 + 4.0 * n(3)).round(),
            22.0 + 0.4 * n(4),
            (3000.0 + 30.0 * n(5)).round(),
            35.0 + n(6),
            (170_000.0 + 500.0 * n(7)).round(),
            (daily_cpu + 3.0 * n(8)).max(0.5),
            (n(9) + 0.5).floor().max(0.0),
            0.005 + 0.002 * n(10),
            (780.0 + 10.0 * n(11)).round(),
        ];
    }
    let h = hours(start, t);
    let to_storm = h / hours(start, storm);
    let to_shutdown = h / hours(start, shutdown);
    let to_failure = (h / hours(start, story::outage_aug15().first_failure)).min(1.0);
    let in_storm = t >= storm;
    [
        // Paged pool: a slow climb that speeds up, past 1 GiB early on 15 Aug, 1.25 GiB at the storm.
        (700.0 + 580.0 * to_storm.powi(3) + 2.0 * n(0)) * MIB,
        (95.0 + 0.05 * h + 3.0 * n(1)) * MIB,
        // mysqld leaks handles: ~3,000 to ~48,000 by the first failed probe.
        (3000.0 + 45_000.0 * to_failure + 20.0 * n(2)).round(),
        (60.0 + 4.0 * n(3)).round(),
        30.0 + 18.0 * to_shutdown + 0.4 * n(4),
        (2100.0 - 200.0 * to_shutdown + 30.0 * n(5)).round(),
        45.0 + 17.0 * to_shutdown + n(6),
        (160_000.0 - 25_000.0 * to_shutdown + 500.0 * n(7)).round(),
        if in_storm {
            88.0 + 10.0 * n(8)
        } else {
            (daily_cpu + 3.0 * n(8)).max(0.5)
        },
        if in_storm {
            (19.0 + 14.0 * n(9)).round()
        } else {
            (n(9) + 0.5).floor().max(0.0)
        },
        if in_storm {
            0.035 + 0.015 * n(10)
        } else {
            0.005 + 0.002 * n(10)
        },
        (900.0 + 50.0 * to_shutdown + 10.0 * n(11)).round(),
    ]
}

/// The PDH-CSV text: a leading blank line (as typeperf writes), CRLF, every cell quoted.
pub fn perfmon_csv() -> String {
    let mut out = String::from("\r\n\"(PDH-CSV 4.0) (Pacific Daylight Time)(420)\"");
    for counter in PERFMON_COUNTERS {
        let _ = write!(out, ",\"\\\\{}\\{counter}\"", story::HOST);
    }
    out.push_str("\r\n");
    for (i, t) in perfmon_times().into_iter().enumerate() {
        let local = t + Duration::hours(story::PDT_OFFSET_HOURS);
        let _ = write!(out, "\"{}\"", local.format("%m/%d/%Y %H:%M:%S%.3f"));
        for (c, v) in counter_values(i, t).iter().enumerate() {
            if BLANK_CELLS.contains(&(i, c)) {
                out.push_str(",\" \"");
            } else {
                let _ = write!(out, ",\"{v:.6}\"");
            }
        }
        out.push_str("\r\n");
    }
    out
}

/// SIP traffic per minute from another monitor, UTC epoch seconds; empty while the server was down.
pub fn traffic_csv() -> String {
    let mut out = String::from("timestamp,active_calls,registrations_per_min\n");
    let outage = story::outage_aug15();
    let storm = story::aug15_storm_start();
    let mut t = story::perfmon_start();
    let mut i = 0usize;
    while t < story::perfmon_end() {
        if t >= outage.first_failure && t < outage.recovered_at {
            let _ = writeln!(out, "{},,", t.timestamp());
        } else {
            let local = t + Duration::hours(story::PDT_OFFSET_HOURS);
            let hour = local.hour() as f64 + local.minute() as f64 / 60.0;
            let business = ((hour - 7.0) / 12.0 * std::f64::consts::PI).sin().max(0.0);
            let mut calls = 40.0 + 180.0 * business + 10.0 * noise(i, 20);
            let mut registrations = 300.0 + 20.0 * noise(i, 21);
            if t >= storm && t < outage.first_failure {
                // Calls fall away as the server stalls.
                let f = 1.0 - 0.7 * hours(storm, t) / hours(storm, outage.first_failure);
                calls *= f;
                registrations *= f;
            }
            let _ = writeln!(
                out,
                "{},{},{}",
                t.timestamp(),
                calls.round().max(0.0),
                registrations.round()
            );
        }
        t += Duration::seconds(60);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture_dir() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/aug15")
    }

    /// Rewrites the committed fixtures: `cargo test --lib synth::metrics -- --ignored`.
    #[test]
    #[ignore]
    fn regenerate_metric_fixtures() {
        write_metric_fixtures(&fixture_dir()).unwrap();
    }

    #[test]
    fn committed_fixtures_match_the_generator() {
        for (file, text) in [(PERFMON_FILE, perfmon_csv()), (TRAFFIC_FILE, traffic_csv())] {
            let committed = std::fs::read_to_string(fixture_dir().join(file)).unwrap();
            assert!(
                committed == text,
                "{file} is stale: run the ignored regenerate test"
            );
        }
    }

    #[test]
    fn pool_paged_crosses_one_gib_on_the_morning_of_15_aug() {
        let times = perfmon_times();
        let gib = 1024.0 * MIB;
        let first = times
            .iter()
            .enumerate()
            .find(|(i, t)| counter_values(*i, **t)[0] > gib)
            .map(|(_, t)| *t)
            .unwrap();
        assert!(
            first > story::pdt(2011, 8, 15, 4, 0, 0) && first < story::pdt(2011, 8, 15, 9, 0, 0)
        );
    }
}
