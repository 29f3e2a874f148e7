//! System time changes, and the events whose times they show to be wrong.
//!
//! Virtual machines often boot with the clock hours off and correct it seconds later
//! (Kernel-General 1 with OldTime/NewTime, Security 4616). Records are written in order, so a
//! record's true time lies between its neighbours' in record order: events written between the
//! boot and a correction that sets the clock back carry times beyond the correction, and are moved
//! back by its delta; a step undone by the opposite step a few records later (a bad time source)
//! marks the records between the two as wrong, and they are mapped onto the true span. Forward
//! steps are listed, never applied: a clock that jumps forward is as often a machine that was
//! suspended as one whose clock was behind. Every correction is counted and the original time kept.
use crate::knowledge::events::{self as kb, EventRole};
use crate::model::Event;
use crate::timefmt::parse_event_time;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

/// Changes smaller than this are routine time-service adjustments: counted, not listed.
pub const LISTED_CHANGE: Duration = Duration::seconds(60);
/// Consecutive records (in record order) this far apart backwards, with no clock-change event to
/// explain it, are reported: the kernel writes its shutdown records at the next boot, minutes
/// after that boot's 6005, which stays under this.
const RECORD_ORDER_JUMP: Duration = Duration::minutes(15);

/// Boot markers this close in record order belong to one boot.
const BOOT_CLUSTER_RECORDS: usize = 20;

#[derive(Debug, Clone, Serialize)]
pub struct ClockChange {
    /// The computer that logged it.
    pub host: String,
    pub source_file: String,
    pub record_id: Option<u64>,
    /// "Kernel-General 1", "Security 4616" or "record order".
    pub evidence: String,
    /// The time the change was logged at (as corrected, when it was inside a wrong stretch).
    #[serde(with = "crate::model::ser_time")]
    pub time: DateTime<Utc>,
    #[serde(with = "crate::model::ser_time")]
    pub old_time: DateTime<Utc>,
    #[serde(with = "crate::model::ser_time")]
    pub new_time: DateTime<Utc>,
    /// new_time - old_time.
    pub delta_seconds: i64,
    /// ahead-since-boot, undone, undoes, behind-before-step, set-back, set-forward, record-order
    pub verdict: String,
    /// Events whose times this change showed to be wrong and were corrected.
    pub corrected_events: u64,
    pub explanation: String,
}

impl ClockChange {
    /// "clock set back by 3h (Kernel-General 1)".
    pub fn words(&self) -> String {
        format!(
            "clock {} by {} ({})",
            if self.delta_seconds < 0 {
                "set back"
            } else {
                "set forward"
            },
            crate::timefmt::human_duration(self.delta_seconds.abs()),
            self.evidence
        )
    }
}

#[derive(Debug, Default)]
pub struct ClockAnalysis {
    pub changes: Vec<ClockChange>,
    /// Clock changes under `LISTED_CHANGE`, counted.
    pub small_adjustments: u64,
    /// Original times of corrected events, by (source file, record id).
    pub original_times: HashMap<(Arc<str>, u64), DateTime<Utc>>,
}

impl ClockAnalysis {
    pub fn original_time(&self, e: &Event) -> Option<DateTime<Utc>> {
        let id = e.record_id?;
        self.original_times
            .get(&(e.source_file.clone(), id))
            .copied()
    }

    pub fn corrected_events(&self) -> usize {
        self.original_times.len()
    }
}

/// One clock-change event, read.
struct Step {
    index: usize,
    record_id: u64,
    old: DateTime<Utc>,
    new: DateTime<Utc>,
    evidence: &'static str,
}

impl Step {
    fn delta(&self) -> Duration {
        self.new - self.old
    }
}

/// Finds clock changes and corrects the events they show to be wrong; `events` stays time-sorted.
pub fn correct(events: &mut [Event]) -> ClockAnalysis {
    let mut analysis = ClockAnalysis::default();
    let mut by_file: HashMap<Arc<str>, Vec<usize>> = HashMap::new();
    for (i, e) in events.iter().enumerate() {
        if e.record_id.is_some() {
            by_file.entry(e.source_file.clone()).or_default().push(i);
        }
    }
    let mut files: Vec<_> = by_file.into_iter().collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, mut order) in files {
        order.sort_by_key(|&i| events[i].record_id);
        correct_file(events, &order, &mut analysis);
    }
    events.sort_by_key(|e| e.time);
    analysis.changes.sort_by_key(|c| c.time);
    analysis
}

fn correct_file(events: &mut [Event], order: &[usize], analysis: &mut ClockAnalysis) {
    let mut steps = Vec::new();
    for &i in order {
        let e = &events[i];
        if !kb::has_role(&e.provider, e.event_id, EventRole::ClockChange) {
            continue;
        }
        let Some((old, new, evidence)) = read_step(e) else {
            continue;
        };
        if (new - old).abs() < LISTED_CHANGE {
            analysis.small_adjustments += 1;
            continue;
        }
        steps.push(Step {
            index: i,
            record_id: e.record_id.unwrap_or_default(),
            old,
            new,
            evidence,
        });
    }
    let is_boot = |e: &Event| {
        [
            EventRole::KernelStart,
            EventRole::LogStart,
            EventRole::BootInfo,
        ]
        .iter()
        .any(|&r| kb::has_role(&e.provider, e.event_id, r))
    };
    let ids: Vec<Option<u64>> = order.iter().map(|&i| events[i].record_id).collect();
    let boot_at: Vec<bool> = order.iter().map(|&i| is_boot(&events[i])).collect();
    let position = |record_id: u64| ids.partition_point(|&id| id < Some(record_id));
    let mut handled = vec![false; steps.len()];
    for k in 0..steps.len() {
        if handled[k] {
            continue;
        }
        handled[k] = true;
        let s = &steps[k];
        let delta = s.delta();
        let at = position(s.record_id);
        let mut corrected = 0u64;
        let verdict;
        let explanation;
        // A set-back undone within the same boot by a forward step of about the same size.
        let boot_after = boot_at[at + 1..]
            .iter()
            .position(|&b| b)
            .map(|p| at + 1 + p);
        let undo = (k + 1..steps.len()).find(|&j| {
            let o = &steps[j];
            let within_boot = boot_after.is_none_or(|b| position(o.record_id) < b);
            within_boot
                && delta < Duration::zero()
                && o.delta() > Duration::zero()
                && (delta + o.delta()).abs() * 2 < delta.abs()
        });
        if let Some(j) = undo {
            handled[j] = true;
            let o = &steps[j];
            let end = position(o.record_id);
            // The wrong clock read s.new .. o.old while the true one ran s.old .. o.new.
            let (wrong_from, wrong_to) = (s.new, o.old);
            let (true_from, true_to) = (s.old, o.new);
            for &i in &order[at..end] {
                let t = events[i].time;
                let fixed = map_span(t, wrong_from, wrong_to, true_from, true_to);
                if fixed != t {
                    keep_original(analysis, &events[i]);
                    events[i].time = fixed;
                    corrected += 1;
                }
            }
            verdict = "undone";
            explanation = format!(
                "set back by {} and set forward again {} records later (record {}): the {} records between carry a wrong clock and were moved onto {} .. {} UTC",
                crate::timefmt::human_duration(-delta.num_seconds()),
                o.record_id - s.record_id,
                o.record_id,
                end - at,
                true_from.format("%Y-%m-%d %H:%M:%S"),
                true_to.format("%H:%M:%S"),
            );
            let undone_by = ClockChange {
                host: events[o.index].computer.clone(),
                source_file: events[o.index].source_file.to_string(),
                record_id: Some(o.record_id),
                evidence: o.evidence.to_string(),
                time: events[o.index].time,
                old_time: o.old,
                new_time: o.new,
                delta_seconds: o.delta().num_seconds(),
                verdict: "undoes".into(),
                corrected_events: 0,
                explanation: format!(
                    "undoes the step at record {}: the clock is right again from here",
                    s.record_id
                ),
            };
            analysis.changes.push(undone_by);
        } else if delta < Duration::zero() {
            // Set back: the records since this boot that carry times beyond the new time were
            // written with the clock ahead.
            // The boot's first record: its markers come in a cluster (6009, 6005, then the
            // kernel's Kernel-General 12 a few records later).
            let mut boot = boot_at[..at].iter().rposition(|&b| b);
            while let Some(b) = boot {
                match boot_at[b.saturating_sub(BOOT_CLUSTER_RECORDS)..b]
                    .iter()
                    .rposition(|&m| m)
                {
                    Some(p) => boot = Some(b.saturating_sub(BOOT_CLUSTER_RECORDS) + p),
                    None => break,
                }
            }
            if let Some(b) = boot {
                for &i in &order[b..at] {
                    if events[i].time > s.new {
                        keep_original(analysis, &events[i]);
                        events[i].time += delta;
                        corrected += 1;
                    }
                }
            }
            if corrected > 0 {
                verdict = "ahead-since-boot";
                explanation = format!(
                    "the clock was {} ahead from the boot until this correction: {corrected} events written in between were moved back by that much",
                    crate::timefmt::human_duration(-delta.num_seconds())
                );
            } else {
                verdict = "set-back";
                explanation = "set back; no earlier record of this boot carries a later time, so no event was moved".into();
            }
        } else {
            // Set forward: the records just before it that are dated before an earlier record
            // were written with the stale clock (after a resume, before the resync).
            let mut first = at;
            while first > 0 && events[order[first - 1]].time <= s.old {
                first -= 1;
            }
            let proof = first
                .checked_sub(1)
                .map(|k| events[order[k]].time)
                // The stale stretch may hold this boot's own records (a VM booted behind).
                .filter(|&t| t - s.old > RECORD_ORDER_JUMP && first < at);
            if let Some(proof) = proof {
                for &i in &order[first..at] {
                    keep_original(analysis, &events[i]);
                    events[i].time += delta;
                    corrected += 1;
                }
                verdict = "behind-before-step";
                explanation = format!(
                    "set forward; the {corrected} records just before it are dated before record {} ({} UTC) written ahead of them, so they carry the clock from before the step and were moved forward by it",
                    ids[first - 1].unwrap_or_default(),
                    proof.format("%Y-%m-%d %H:%M:%S")
                );
            } else {
                verdict = "set-forward";
                explanation = "set forward: a machine resumed from suspension or a clock that was behind; times before it are kept as logged".into();
            }
        }
        let e = &events[s.index];
        analysis.changes.push(ClockChange {
            host: e.computer.clone(),
            source_file: e.source_file.to_string(),
            record_id: Some(s.record_id),
            evidence: s.evidence.to_string(),
            time: e.time,
            old_time: s.old,
            new_time: s.new,
            delta_seconds: delta.num_seconds(),
            verdict: verdict.into(),
            corrected_events: corrected,
            explanation,
        });
    }
    record_order_jumps(events, order, analysis);
}

/// Backward jumps in record order that no clock-change event explains.
fn record_order_jumps(events: &[Event], order: &[usize], analysis: &mut ClockAnalysis) {
    let story = |e: &Event| {
        [
            EventRole::KernelStart,
            EventRole::KernelStop,
            EventRole::ClockChange,
            EventRole::PowerLoss,
            EventRole::LogStart,
            EventRole::BootInfo,
        ]
        .iter()
        .any(|&r| kb::has_role(&e.provider, e.event_id, r))
    };
    for pair in order.windows(2) {
        let (a, b) = (&events[pair[0]], &events[pair[1]]);
        if a.time - b.time > RECORD_ORDER_JUMP && !story(a) && !story(b) {
            analysis.changes.push(ClockChange {
                host: b.computer.clone(),
                source_file: b.source_file.to_string(),
                record_id: b.record_id,
                evidence: "record order".into(),
                time: b.time,
                old_time: a.time,
                new_time: b.time,
                delta_seconds: (b.time - a.time).num_seconds(),
                verdict: "record-order".into(),
                corrected_events: 0,
                explanation: format!(
                    "record {} is dated {} before record {} written just before it, and no clock-change event explains it: times around here are doubtful",
                    b.record_id.unwrap_or_default(),
                    crate::timefmt::human_duration((a.time - b.time).num_seconds()),
                    a.record_id.unwrap_or_default()
                ),
            });
        }
    }
}

fn keep_original(analysis: &mut ClockAnalysis, e: &Event) {
    if let Some(id) = e.record_id {
        analysis
            .original_times
            .entry((e.source_file.clone(), id))
            .or_insert(e.time);
    }
}

/// Maps `t` from the wrong span onto the true one, linearly, clamped to the true span.
fn map_span(
    t: DateTime<Utc>,
    wrong_from: DateTime<Utc>,
    wrong_to: DateTime<Utc>,
    true_from: DateTime<Utc>,
    true_to: DateTime<Utc>,
) -> DateTime<Utc> {
    let wrong = (wrong_to - wrong_from).num_milliseconds();
    let truth = (true_to - true_from).num_milliseconds().max(0);
    if wrong <= 0 {
        return (t + (true_from - wrong_from)).clamp(true_from, true_to.max(true_from));
    }
    let along = (t - wrong_from).num_milliseconds().clamp(0, wrong);
    true_from + Duration::milliseconds((along as i128 * truth as i128 / wrong as i128) as i64)
}

/// The old and new time of a clock-change event, from its named data.
fn read_step(e: &Event) -> Option<(DateTime<Utc>, DateTime<Utc>, &'static str)> {
    let (old, new, evidence) = match (e.data.get("OldTime"), e.data.get("PreviousTime")) {
        (Some(old), _) => (old, e.data.get("NewTime")?, "Kernel-General 1"),
        (None, Some(old)) => (old, e.data.get("NewTime")?, "Security 4616"),
        _ => return None,
    };
    Some((parse_event_time(old)?, parse_event_time(new)?, evidence))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DataField, EventData, Level};
    use chrono::TimeZone;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2017, 7, 12, h, m, s).unwrap()
    }

    fn ev(
        record: u64,
        time: DateTime<Utc>,
        provider: &str,
        id: u32,
        data: &[(&str, String)],
    ) -> Event {
        Event {
            time,
            record_id: Some(record),
            channel: "System".into(),
            provider: provider.into(),
            event_id: id,
            level: Level::INFORMATION,
            computer: "vm".into(),
            message: None,
            data: EventData(
                data.iter()
                    .map(|(n, v)| DataField {
                        name: Some(n.to_string()),
                        value: v.clone(),
                    })
                    .collect(),
            ),
            source_file: Arc::from("System.evtx"),
        }
    }

    fn change(record: u64, old: DateTime<Utc>, new: DateTime<Utc>) -> Event {
        let iso = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S%.fZ").to_string();
        ev(
            record,
            new,
            "Microsoft-Windows-Kernel-General",
            1,
            &[("NewTime", iso(new)), ("OldTime", iso(old))],
        )
    }

    fn sorted(mut v: Vec<Event>) -> Vec<Event> {
        v.sort_by_key(|e| e.time);
        v
    }

    #[test]
    fn a_clock_ahead_since_boot_is_moved_back_by_the_correction() {
        // Booted at 09:00 true time with the clock 3 hours ahead; corrected at record 4.
        let mut events = sorted(vec![
            ev(1, at(12, 0, 0), "Microsoft-Windows-Kernel-General", 12, &[]),
            ev(2, at(12, 0, 5), "EventLog", 6005, &[]),
            ev(3, at(12, 0, 20), "Service Control Manager", 7036, &[]),
            change(4, at(12, 0, 30), at(9, 0, 30)),
            ev(5, at(9, 0, 40), "Service Control Manager", 7036, &[]),
        ]);
        let a = correct(&mut events);
        assert_eq!(a.changes.len(), 1);
        assert_eq!(a.changes[0].verdict, "ahead-since-boot");
        assert_eq!(a.changes[0].corrected_events, 3);
        assert_eq!(a.changes[0].delta_seconds, -3 * 3600);
        let times: Vec<_> = events
            .iter()
            .map(|e| (e.record_id.unwrap(), e.time))
            .collect();
        assert_eq!(
            times,
            vec![
                (1, at(9, 0, 0)),
                (2, at(9, 0, 5)),
                (3, at(9, 0, 20)),
                (4, at(9, 0, 30)),
                (5, at(9, 0, 40))
            ]
        );
        assert_eq!(a.original_time(&events[2]), Some(at(12, 0, 20)));
        assert_eq!(a.original_time(&events[4]), None);
    }

    #[test]
    fn a_step_undone_a_few_records_later_marks_the_records_between() {
        // As in a real log: set back 10 h by a bad sync, set forward again later.
        let mut events = sorted(vec![
            ev(1, at(17, 18, 0), "EventLog", 6005, &[]),
            change(2, at(17, 18, 24), at(7, 18, 24)),
            ev(3, at(7, 18, 30), "Service Control Manager", 7036, &[]),
            change(4, at(7, 18, 40), at(17, 19, 0)),
            ev(5, at(17, 19, 5), "User32", 1074, &[]),
        ]);
        let a = correct(&mut events);
        let verdicts: Vec<&str> = a.changes.iter().map(|c| c.verdict.as_str()).collect();
        assert_eq!(verdicts, vec!["undone", "undoes"]);
        let order: Vec<u64> = events.iter().map(|e| e.record_id.unwrap()).collect();
        assert_eq!(
            order,
            vec![1, 2, 3, 4, 5],
            "record order and time order agree again"
        );
        // Record 3 is 6 of the 16 wrong seconds along: 6/16 of the 36 true seconds.
        let third = events.iter().find(|e| e.record_id == Some(3)).unwrap();
        assert_eq!(third.time, at(17, 18, 24) + Duration::milliseconds(13_500));
    }

    #[test]
    fn forward_steps_and_small_adjustments_move_nothing() {
        let mut events = sorted(vec![
            ev(1, at(8, 0, 0), "EventLog", 6005, &[]),
            change(2, at(8, 0, 10), at(8, 0, 10) + Duration::milliseconds(400)),
            ev(3, at(8, 1, 0), "Service Control Manager", 7036, &[]),
            change(4, at(8, 2, 0), at(14, 0, 0)),
        ]);
        let before: Vec<_> = events.iter().map(|e| e.time).collect();
        let a = correct(&mut events);
        assert_eq!(a.small_adjustments, 1);
        assert_eq!(a.changes.len(), 1);
        assert_eq!(a.changes[0].verdict, "set-forward");
        assert_eq!(a.corrected_events(), 0);
        assert_eq!(events.iter().map(|e| e.time).collect::<Vec<_>>(), before);
    }

    #[test]
    fn a_clock_behind_after_a_boot_is_moved_forward_by_the_correction() {
        // Shut down at 10:00; booted at 10:05 true time with the clock 5 hours behind; the time
        // service sets it forward at record 6.
        let mut events = sorted(vec![
            ev(1, at(9, 59, 0), "User32", 1074, &[]),
            ev(2, at(10, 0, 0), "EventLog", 6006, &[]),
            ev(3, at(5, 5, 0), "EventLog", 6009, &[]),
            ev(4, at(5, 5, 0), "EventLog", 6005, &[]),
            ev(5, at(5, 5, 30), "Service Control Manager", 7036, &[]),
            change(6, at(5, 6, 0), at(10, 6, 0)),
            ev(7, at(10, 6, 10), "Service Control Manager", 7036, &[]),
        ]);
        let a = correct(&mut events);
        assert_eq!(a.changes.len(), 1, "{:?}", a.changes);
        assert_eq!(a.changes[0].verdict, "behind-before-step");
        assert_eq!(a.changes[0].corrected_events, 3);
        let order: Vec<u64> = events.iter().map(|e| e.record_id.unwrap()).collect();
        assert_eq!(order, vec![1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(events[2].time, at(10, 5, 0));
    }

    #[test]
    fn an_unexplained_backward_jump_in_record_order_is_reported() {
        let mut events = sorted(vec![
            ev(1, at(10, 0, 0), "Service Control Manager", 7036, &[]),
            ev(2, at(9, 0, 0), "Service Control Manager", 7036, &[]),
        ]);
        let a = correct(&mut events);
        assert_eq!(a.changes.len(), 1);
        assert_eq!(a.changes[0].verdict, "record-order");
        assert_eq!(a.changes[0].delta_seconds, -3600);
    }
}
