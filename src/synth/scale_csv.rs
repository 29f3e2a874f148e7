//! Scaled-up probe and perfmon CSVs for benchmarks (`faultline synth --scale N --probe-rows R
//! --perfmon CxS`): the remote probe export replaced by a denser one over the same days (the same
//! story outcomes at every check, times to the millisecond), and a second perfmon export of C counters x S one-second
//! samples. Both are written row by row: memory does not grow with the row count.
use super::probes::{remote_check, Outcome, REMOTE_FILE};
use super::story;
use chrono::{DateTime, Duration, Utc};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// The scaled perfmon export's name (beside the story-sized `perfmon_SIPSVR01.csv`).
pub const SCALED_PERFMON_FILE: &str = "perfmon_scaled.csv";

/// Parses `CxS` (counters x samples), e.g. `50x86400`.
pub fn parse_perfmon_size(text: &str) -> Result<(usize, usize), String> {
    let bad = || format!("{text:?} is not COUNTERSxSAMPLES, e.g. 50x86400");
    let (c, s) = text.split_once(['x', 'X']).ok_or_else(bad)?;
    let c: usize = c.trim().parse().map_err(|_| bad())?;
    let s: usize = s.trim().parse().map_err(|_| bad())?;
    if c == 0 || s == 0 {
        return Err(bad());
    }
    Ok((c, s))
}

/// Writes `probes_remote.csv` with about `rows` rows: every remote monitor checked at an even
/// step over the probes' span, each check's outcome from the story.
pub fn write_scaled_probes(dir: &Path, rows: u64) -> std::io::Result<PathBuf> {
    let path = dir.join(REMOTE_FILE);
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
    writeln!(w, "timestamp,monitor,status,response_time_ms")?;
    let probes = story::REMOTE_PROBES;
    let checks = (rows / probes.len() as u64).max(1);
    let start = story::probes_start();
    let span_ms = (story::probes_end() - start).num_milliseconds().max(1) as u128;
    let timeout_ms = (story::PROBE_TIMEOUT_SECS * 1000.0) as u64;
    for i in 0..checks {
        let t =
            start + Duration::milliseconds((span_ms * u128::from(i) / u128::from(checks)) as i64);
        // Milliseconds: 10 million rows over the story's days check more than once a second.
        let stamp = t.format("%Y-%m-%dT%H:%M:%S%.3fZ");
        for (k, probe) in probes.iter().enumerate() {
            let Some(outcome) = remote_check(probe, t) else {
                continue;
            };
            match outcome {
                Outcome::Answered => {
                    let ms = 30 + spread(i, k as u64, 40);
                    writeln!(w, "{stamp},{probe},up,{ms}")?;
                }
                Outcome::TimedOut => writeln!(w, "{stamp},{probe},down,{timeout_ms}")?,
                Outcome::NoAnswer => writeln!(w, "{stamp},{probe},down,")?,
            }
        }
    }
    w.flush()?;
    Ok(path)
}

/// Writes a PDH-CSV (UTC) of `counters` x `samples` one-second samples ending at the end of the
/// logs: the story's day at perfmon's finest usual interval.
pub fn write_scaled_perfmon(
    dir: &Path,
    counters: usize,
    samples: usize,
) -> std::io::Result<PathBuf> {
    let path = dir.join(SCALED_PERFMON_FILE);
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
    write!(w, "\"(PDH-CSV 4.0) (Coordinated Universal Time)(0)\"")?;
    for c in 0..counters {
        write!(w, ",\"\\\\{}\\Bench({c})\\Counter {c}\"", story::HOST)?;
    }
    writeln!(w)?;
    let end: DateTime<Utc> = story::logs_end();
    let start = end - Duration::seconds(samples as i64);
    let mut line = String::with_capacity(24 + counters * 14);
    for s in 0..samples {
        use std::fmt::Write as _;
        line.clear();
        let t = start + Duration::seconds(s as i64);
        let _ = write!(line, "\"{}\"", t.format("%m/%d/%Y %H:%M:%S%.3f"));
        for c in 0..counters {
            let base = 100.0 * (c + 1) as f64;
            let value = base + spread(s as u64, c as u64, 1000) as f64 / 100.0;
            let _ = write!(line, ",\"{value:.6}\"");
        }
        line.push('\n');
        w.write_all(line.as_bytes())?;
    }
    w.flush()?;
    Ok(path)
}

/// A deterministic spread in 0..span from an index and a salt (no randomness: same files each run).
fn spread(i: u64, salt: u64, span: u64) -> u64 {
    let mut x = i
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(salt.wrapping_mul(1_442_695_040_888_963_407));
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x % span
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_perfmon_size("50x86400"), Ok((50, 86_400)));
        assert!(parse_perfmon_size("50").is_err());
        assert!(parse_perfmon_size("0x10").is_err());
    }

    #[test]
    fn scaled_files_have_the_asked_size() {
        let dir = tempfile::tempdir().expect("tempdir");
        let probes = write_scaled_probes(dir.path(), 30_000).expect("probes");
        let rows = std::fs::read_to_string(probes)
            .expect("read")
            .lines()
            .count()
            - 1;
        // The story's gap drops some rows of one monitor.
        assert!((28_000..=30_000).contains(&rows), "{rows}");
        let perfmon = write_scaled_perfmon(dir.path(), 5, 100).expect("perfmon");
        let text = std::fs::read_to_string(perfmon).expect("read");
        assert_eq!(text.lines().count(), 101);
        assert_eq!(text.lines().nth(1).map(|l| l.split(',').count()), Some(6));
    }
}
