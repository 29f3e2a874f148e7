//! The targets scenario: one monitor (Uptime Kuma on mon01, beside the server) checks three
//! targets of SIPSVR01 every minute: all three down together in the 15 Aug outage, MySQL alone
//! on 18 Aug, and a planned maintenance of all three on 20 Aug. Written as the Kuma database and
//! as a probe CSV with a target and a vantage column (`faultline synth --targets DIR`).
use super::story;
use chrono::{DateTime, Duration, Utc};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The folder under `fixtures/`.
pub const TARGETS_DIR: &str = "targets";
/// The Kuma database and the CSV of the same checks.
pub const KUMA_FILE: &str = "kuma.db";
pub const CSV_FILE: &str = "checks.csv";
/// Where the monitor runs: a machine beside the server, not the server itself.
pub const VANTAGE: &str = "mon01";

/// One target: the Kuma monitor's name and what it checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub name: &'static str,
    pub checks: &'static str,
}

pub const SIP: Target = Target {
    name: "SIP",
    checks: "https://sipsvr01.example.net/",
};
pub const WEB: Target = Target {
    name: "Web",
    checks: "https://sipsvr01.example.net/web",
};
pub const MYSQL: Target = Target {
    name: "MySQL",
    checks: "sipsvr01.example.net:3306",
};
/// The monitors in the order Kuma created them (ids 1, 2, 3).
pub const TARGETS: [Target; 3] = [SIP, WEB, MYSQL];

/// Checks every 60 s from 15 Aug 12:00 to 20 Aug 12:00 PDT (end exclusive).
pub fn checks_start() -> DateTime<Utc> {
    story::pdt(2011, 8, 15, 12, 0, 0)
}
pub fn checks_end() -> DateTime<Utc> {
    story::pdt(2011, 8, 20, 12, 0, 0)
}

/// 15 Aug: the scenario's outage (`story::outage_aug15`): every target fails, the host is down.
pub fn host_down() -> story::StoryWindow {
    story::outage_aug15()
}

/// 18 Aug 10:00-10:20 PDT: MySQL alone refuses connections; SIP and Web answer.
pub fn mysql_alone() -> story::StoryWindow {
    story::StoryWindow {
        first_failure: story::pdt(2011, 8, 18, 10, 0, 0),
        last_failure: story::pdt(2011, 8, 18, 10, 19, 0),
        recovered_at: story::pdt(2011, 8, 18, 10, 20, 0),
    }
}

/// 20 Aug 02:00-02:30 PDT: a maintenance window of all three monitors (Kuma status 3).
pub fn maintenance() -> (DateTime<Utc>, DateTime<Utc>) {
    (
        story::pdt(2011, 8, 20, 2, 0, 0),
        story::pdt(2011, 8, 20, 2, 30, 0),
    )
}

/// What one check of a target said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Up,
    Down,
    Maintenance,
}

impl Status {
    /// Kuma's heartbeat status: 0 down, 1 up, 3 maintenance.
    fn kuma(self) -> i64 {
        match self {
            Status::Down => 0,
            Status::Up => 1,
            Status::Maintenance => 3,
        }
    }

    fn word(self) -> &'static str {
        match self {
            Status::Up => "up",
            Status::Down => "down",
            Status::Maintenance => "maintenance",
        }
    }
}

fn within(t: DateTime<Utc>, w: story::StoryWindow) -> bool {
    t >= w.first_failure && t < w.recovered_at
}

/// The check of `target` at `t`.
pub fn status(target: Target, t: DateTime<Utc>) -> Status {
    let (m_from, m_to) = maintenance();
    if within(t, host_down()) || (target == MYSQL && within(t, mysql_alone())) {
        Status::Down
    } else if t >= m_from && t < m_to {
        Status::Maintenance
    } else {
        Status::Up
    }
}

/// Every check time.
pub fn check_times() -> impl Iterator<Item = DateTime<Utc>> {
    let start = checks_start();
    let step = Duration::seconds(story::PROBE_INTERVAL_SECS);
    let count = (checks_end() - start).num_seconds() / story::PROBE_INTERVAL_SECS;
    (0..count).map(move |i| start + step * i as i32)
}

/// A small deterministic ping in ms (no randomness: fixtures must not change).
fn ping_ms(i: usize, k: usize) -> i64 {
    let base = [21, 34, 3][k % 3];
    base + ((i * 7 + k * 13) % 11) as i64
}

/// The message Kuma keeps with a heartbeat.
fn message(target: Target, t: DateTime<Utc>, s: Status) -> &'static str {
    match s {
        Status::Up if target == MYSQL => "",
        Status::Up => "200 - OK",
        Status::Maintenance => "Monitor under maintenance",
        // From the shutdown on 15 Aug nothing listens: the port refuses.
        Status::Down if target == MYSQL || t >= story::aug15_eventlog_stopped() => {
            "connect ECONNREFUSED"
        }
        Status::Down => "timeout of 48000ms exceeded",
    }
}

/// Writes the Kuma 1.x database: three monitors, a heartbeat per monitor per minute.
pub fn write_kuma(path: &Path) -> crate::error::Result<()> {
    let monitors: Vec<(&str, &str)> = TARGETS.iter().map(|t| (t.name, t.checks)).collect();
    let times: Vec<(DateTime<Utc>, String)> = check_times()
        .map(|t| (t, t.format("%Y-%m-%d %H:%M:%S").to_string()))
        .collect();
    let mut heartbeats = Vec::with_capacity(times.len() * TARGETS.len());
    for (i, (t, text)) in times.iter().enumerate() {
        for (k, target) in TARGETS.iter().enumerate() {
            let s = status(*target, *t);
            let ping = (s == Status::Up).then(|| ping_ms(i, k));
            heartbeats.push((k, text.as_str(), s.kuma(), ping, message(*target, *t, s)));
        }
    }
    crate::source::probes::kuma::write_kuma_db(path, &monitors, &heartbeats)
}

/// Writes the CSV: `time,target,vantage,status,latency_ms`, UTC with `Z`, one row per target
/// per minute.
pub fn write_csv(w: &mut dyn Write) -> std::io::Result<()> {
    writeln!(w, "time,target,vantage,status,latency_ms")?;
    for (i, t) in check_times().enumerate() {
        let stamp = t.format("%Y-%m-%dT%H:%M:%SZ");
        for (k, target) in TARGETS.iter().enumerate() {
            let s = status(*target, t);
            let latency = match s {
                Status::Up => ping_ms(i, k).to_string(),
                _ => String::new(),
            };
            writeln!(
                w,
                "{stamp},{},{VANTAGE},{},{latency}",
                target.checks,
                s.word()
            )?;
        }
    }
    Ok(())
}

/// Writes both files into `dir`; returns the paths written.
pub fn write_targets(dir: &Path) -> crate::error::Result<Vec<PathBuf>> {
    use crate::error::Error;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let kuma = dir.join(KUMA_FILE);
    write_kuma(&kuma)?;
    let csv = dir.join(CSV_FILE);
    let io = |e| Error::io(&csv, e);
    let mut w = std::io::BufWriter::new(std::fs::File::create(&csv).map_err(io)?);
    write_csv(&mut w).map_err(io)?;
    w.flush().map_err(io)?;
    Ok(vec![kuma, csv])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_story_fails_and_plans_where_it_says() {
        let h = host_down();
        for t in TARGETS {
            assert_eq!(status(t, h.first_failure), Status::Down);
            assert_eq!(status(t, h.recovered_at), Status::Up);
            assert_eq!(status(t, maintenance().0), Status::Maintenance);
            assert_eq!(status(t, maintenance().1), Status::Up);
        }
        let m = mysql_alone();
        assert_eq!(status(MYSQL, m.last_failure), Status::Down);
        assert_eq!(status(SIP, m.last_failure), Status::Up);
        assert_eq!(status(WEB, m.first_failure), Status::Up);
        assert_eq!(check_times().count(), 5 * 1440);
    }
}
