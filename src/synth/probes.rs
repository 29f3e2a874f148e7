//! The aug15 probe exports, from `story.rs`: one multi-probe remote export (UTC, status and
//! latency) and the on-box probe's own file (local time with offset, latency only).
use super::story;
use chrono::{DateTime, Duration, Utc};
use std::io::Write;
use std::path::Path;

/// The remote monitors' export: `timestamp,monitor,status,response_time_ms`.
pub const REMOTE_FILE: &str = "probes_remote.csv";
/// The on-box probe's export, named after the probe: `checked_at,latency_s`.
pub fn local_file() -> String {
    format!("{}.csv", story::LOCAL_PROBE)
}

/// How one check went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Answered,
    /// The call timed out after `PROBE_TIMEOUT_SECS`.
    TimedOut,
    /// No answer at all (connection refused while the server rebooted, or a dropped check).
    NoAnswer,
}

fn within(t: DateTime<Utc>, w: story::StoryWindow) -> bool {
    t >= w.first_failure && t < w.recovered_at
}

/// Service outages (8 and 15 Aug) as every probe saw them: timeouts, and no answer at all
/// from the moment the server shut down on 15 Aug.
fn service_outcome(t: DateTime<Utc>) -> Option<Outcome> {
    if within(t, story::outage_aug15()) && t >= story::aug15_eventlog_stopped() {
        Some(Outcome::NoAnswer)
    } else if within(t, story::outage_aug08()) || within(t, story::outage_aug15()) {
        Some(Outcome::TimedOut)
    } else {
        None
    }
}

/// The check of remote probe `probe` at `t`, or `None` when the export has no row (the gap).
pub fn remote_check(probe: &str, t: DateTime<Utc>) -> Option<Outcome> {
    let (gap_from, gap_to) = story::gap_aug14();
    if probe == story::GAP_PROBE && t >= gap_from && t < gap_to {
        return None;
    }
    if let Some(o) = service_outcome(t) {
        return Some(o);
    }
    if within(t, story::network_aug11()) && story::NETWORK_PROBES.contains(&probe) {
        return Some(Outcome::TimedOut);
    }
    if within(t, story::partial_aug12()) && probe == story::PARTIAL_PROBE {
        return Some(Outcome::TimedOut);
    }
    if t == story::blip_aug13() && probe == story::BLIP_PROBE {
        return Some(Outcome::NoAnswer);
    }
    Some(Outcome::Answered)
}

/// The on-box probe's check at `t`: it fails only in the service outages.
pub fn local_check(t: DateTime<Utc>) -> Outcome {
    service_outcome(t).unwrap_or(Outcome::Answered)
}

/// Every check time: `probes_start` .. `probes_end` (exclusive) every `PROBE_INTERVAL_SECS`.
pub fn check_times() -> impl Iterator<Item = DateTime<Utc>> {
    let start = story::probes_start();
    let step = Duration::seconds(story::PROBE_INTERVAL_SECS);
    let count = (story::probes_end() - start).num_seconds() / story::PROBE_INTERVAL_SECS;
    (0..count).map(move |i| start + step * i as i32)
}

/// A small deterministic spread in 0..span from an index (no randomness: fixtures must not change).
fn jitter(i: u64, salt: u64, span: u64) -> u64 {
    let mut x = i
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(salt.wrapping_mul(1_442_695_040_888_963_407));
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x % span
}

/// Base response time of each remote monitor, in ms (farther away is slower).
fn base_ms(probe: &str) -> u64 {
    match probe {
        "us-west" => 38,
        "us-east" => 92,
        _ => 161,
    }
}

/// Writes the remote export: one row per monitor per minute, UTC times with `Z`.
pub fn write_remote(w: &mut dyn Write) -> std::io::Result<()> {
    writeln!(w, "timestamp,monitor,status,response_time_ms")?;
    let timeout_ms = (story::PROBE_TIMEOUT_SECS * 1000.0) as u64;
    for (i, t) in check_times().enumerate() {
        let stamp = t.format("%Y-%m-%dT%H:%M:%SZ");
        for (k, probe) in story::REMOTE_PROBES.iter().enumerate() {
            let Some(outcome) = remote_check(probe, t) else {
                continue;
            };
            let (status, latency) = match outcome {
                Outcome::Answered => {
                    let ms = base_ms(probe) + jitter(i as u64, k as u64, 25);
                    ("up", ms.to_string())
                }
                Outcome::TimedOut => ("down", timeout_ms.to_string()),
                Outcome::NoAnswer => ("down", String::new()),
            };
            writeln!(w, "{stamp},{probe},{status},{latency}")?;
        }
    }
    Ok(())
}

/// Writes the on-box probe's export: local time with offset, latency in seconds (empty: no
/// answer; the timeout: timed out).
pub fn write_local(w: &mut dyn Write) -> std::io::Result<()> {
    let zone: chrono_tz::Tz = story::ZONE
        .parse()
        .unwrap_or(chrono_tz::Tz::America__Los_Angeles);
    writeln!(w, "checked_at,latency_s")?;
    for (i, t) in check_times().enumerate() {
        let stamp = t.with_timezone(&zone).format("%Y-%m-%dT%H:%M:%S%:z");
        let latency = match local_check(t) {
            Outcome::Answered => format!("{:.3}", 0.004 + jitter(i as u64, 7, 9) as f64 / 1000.0),
            Outcome::TimedOut => format!("{:.1}", story::PROBE_TIMEOUT_SECS),
            Outcome::NoAnswer => String::new(),
        };
        writeln!(w, "{stamp},{latency}")?;
    }
    Ok(())
}

/// Writes both probe exports into `dir`.
pub fn write_probe_fixtures(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut remote = std::io::BufWriter::new(std::fs::File::create(dir.join(REMOTE_FILE))?);
    write_remote(&mut remote)?;
    remote.flush()?;
    let mut local = std::io::BufWriter::new(std::fs::File::create(dir.join(local_file()))?);
    write_local(&mut local)?;
    local.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_story_windows_fail_and_the_rest_answers() {
        let w = story::outage_aug15();
        assert_eq!(
            remote_check("us-west", w.first_failure),
            Some(Outcome::TimedOut)
        );
        assert_eq!(
            remote_check("us-west", w.last_failure),
            Some(Outcome::NoAnswer)
        );
        assert_eq!(
            remote_check("us-west", w.recovered_at),
            Some(Outcome::Answered)
        );
        assert_eq!(
            local_check(w.first_failure - Duration::minutes(1)),
            Outcome::Answered
        );
        let (gap_from, gap_to) = story::gap_aug14();
        assert_eq!(remote_check("us-east", gap_from), None);
        assert_eq!(remote_check("us-east", gap_to), Some(Outcome::Answered));
        assert_eq!(remote_check("us-west", gap_from), Some(Outcome::Answered));
        assert_eq!(check_times().count(), 11 * 1440);
    }

    /// Regenerates the committed fixtures: `cargo test --lib synth::probes -- --ignored`.
    #[test]
    #[ignore]
    fn regenerate_fixtures() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/aug15");
        write_probe_fixtures(&dir).unwrap();
    }
}
