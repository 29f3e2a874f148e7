//! A scaled-up System log for benchmarks: the aug15 story plus proportional background noise.
//!
//! The noise (service state changes, DCOM complaints, time sync, start-type changes) is spread
//! evenly over the story's days and merged in time order with the story's own records, so the
//! story's answers (e.g. the 182 Event 333 on 15 Aug) do not change with the scale.
use super::evtx_writer::SynthRecord;
use super::scenario::{
    self, dcom_10016, named, service_state, Log, Noise, ROUTINE_SERVICES, SYSTEM,
};
use super::story;
use chrono::Duration;

/// The System log with about `total` records (never fewer than the story's own).
///
/// The EVTX writer takes a slice, so all records are held in memory at once: about 1.5 KB per
/// record with the output (200,000 records peak at about 300 MB); memory grows with `total`.
pub fn scaled_system_records(total: u64) -> Vec<SynthRecord> {
    let story_records = scenario::system_records();
    let extra = total.saturating_sub(story_records.len() as u64);
    let mut log = Log::with_capacity(story_records.len() + extra as usize);
    log.extend(story_records);
    add_noise(&mut log, extra);
    // A stable sort: at equal times the story's records stay first.
    log.finish()
}

/// Adds `count` background records, evenly spread over the logs' span.
fn add_noise(log: &mut Log, count: u64) {
    if count == 0 {
        return;
    }
    let start = story::logs_start();
    let span_ms = (story::logs_end() - start).num_milliseconds().max(1) as u128;
    let mut noise = Noise::new(0x0005_CA1E);
    let mut i = 0u64;
    while i < count {
        let t =
            start + Duration::milliseconds((span_ms * u128::from(i) / u128::from(count)) as i64);
        let roll = noise.below(10);
        if scenario::machine_down(t) {
            // Nothing is logged while the machine is off.
            i += 1;
            continue;
        }
        if roll < 6 && i + 1 < count {
            // A routine service runs for a while: two records.
            let (service, _) =
                ROUTINE_SERVICES[noise.below(ROUTINE_SERVICES.len() as u64) as usize];
            service_state(log, t, service, true);
            let next = start
                + Duration::milliseconds((span_ms * u128::from(i + 1) / u128::from(count)) as i64);
            service_state(log, next, service, false);
            i += 2;
            continue;
        }
        match roll {
            0..=8 => dcom_10016(log, t, noise.next()),
            _ => other_noise(log, t, noise.next()),
        }
        i += 1;
    }
}

/// Time sync and start-type changes: the ids other than 7036/10016.
fn other_noise(log: &mut Log, t: chrono::DateTime<chrono::Utc>, which: u64) {
    if which.is_multiple_of(2) {
        log.push(
            t,
            SYSTEM,
            "Microsoft-Windows-Time-Service",
            37,
            None,
            4,
            named(&[(
                "TimeSource",
                "time.windows.com,0x9 (ntp.m|0x9|0.0.0.0:123->65.55.56.206:123)",
            )]),
        );
    } else {
        log.push(
            t,
            SYSTEM,
            "Service Control Manager",
            7040,
            Some(0x4000),
            4,
            named(&[
                ("param1", "Background Intelligent Transfer Service"),
                ("param2", "auto start"),
                ("param3", "demand start"),
                ("param4", "BITS"),
            ]),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_logs_have_about_the_asked_size_and_the_same_story() {
        let records = scaled_system_records(20_000);
        assert!(
            (19_800..=20_001).contains(&records.len()),
            "{}",
            records.len()
        );
        assert!(records.windows(2).all(|w| w[0].time <= w[1].time));
        let storm = records
            .iter()
            .filter(|r| r.event_id == 333 && r.time >= story::aug15_storm_start())
            .count();
        assert_eq!(storm, story::AUG15_333_COUNT);
    }

    #[test]
    fn a_scale_below_the_story_keeps_the_story() {
        assert_eq!(
            scaled_system_records(10).len(),
            scenario::system_records().len()
        );
    }
}
