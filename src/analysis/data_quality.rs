//! The report's data-quality facts: what was read and skipped, the gaps in the data that touch a
//! window, and what the clocks say.
use super::event_findings;
use super::outages::{window_end, Outage, OutageAnalysis};
use crate::knowledge::events::{self as kb, EventRole};
use crate::model::{Event, InputReport, MetricSeries};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

#[derive(Debug, Default, Serialize)]
pub struct DataQuality {
    pub records_read: u64,
    pub records_skipped: u64,
    pub unusable_inputs: Vec<String>,
    /// Stretches without data that touch a window (probe unknown time, metric gaps).
    pub gaps: Vec<Gap>,
    pub clock: Vec<String>,
    /// Events whose time was corrected for a clock change (original times in `clock_changes`).
    pub corrected_event_times: u64,
    pub notes: Vec<String>,
    /// What `clock` is made of, kept so a fleet's reports can be joined (counts summed, windows
    /// numbered again): `clock` is `clock_parts.lines(..)`.
    #[serde(skip)]
    pub clock_parts: ClockParts,
}

/// The parts of the report's clock lines.
#[derive(Debug, Default, Clone)]
pub struct ClockParts {
    /// Per window with probes (0-based, in the report's order): the boot against its recovery.
    pub windows: Vec<(usize, String)>,
    /// Clock changes under a minute.
    pub small_adjustments: u64,
    /// Clock steps of a minute or more that moved no event.
    pub unlisted_steps: u64,
    /// One line per clock change that moved events (or undid one, or was seen in record order).
    pub listed: Vec<String>,
}

impl ClockParts {
    /// The clock lines, windows numbered as the report numbers them.
    pub fn lines(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .windows
            .iter()
            .map(|(i, text)| format!("Outage {}: {text}", i + 1))
            .collect();
        if self.small_adjustments > 0 {
            out.push(format!(
                "{} clock adjustments under a minute (routine time-service corrections) are counted, not listed.",
                self.small_adjustments
            ));
        }
        if self.unlisted_steps > 0 {
            out.push(format!(
                "{} clock steps of a minute or more moved no event (a resume from sleep, or a clock set right with nothing written in between): listed in the JSON's clock_changes.",
                self.unlisted_steps
            ));
        }
        out.extend(self.listed.iter().cloned());
        out
    }

    /// Adds another report's parts, its window `i` being window `renumber(i)` here.
    pub fn join(&mut self, other: ClockParts, renumber: impl Fn(usize) -> usize) {
        self.windows
            .extend(other.windows.into_iter().map(|(i, t)| (renumber(i), t)));
        self.windows.sort_by_key(|(i, _)| *i);
        self.small_adjustments += other.small_adjustments;
        self.unlisted_steps += other.unlisted_steps;
        self.listed.extend(other.listed);
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Gap {
    /// probe or metric
    pub source: String,
    pub name: String,
    #[serde(with = "crate::model::ser_time")]
    pub from: DateTime<Utc>,
    #[serde(with = "crate::model::ser_time")]
    pub to: DateTime<Utc>,
}

pub fn data_quality(
    inputs: &[InputReport],
    notes: Vec<String>,
    windows: &[Outage],
    analysis: &OutageAnalysis,
    metrics: &[MetricSeries],
    events: &[Event],
    lookback: Duration,
) -> DataQuality {
    let mut dq = DataQuality {
        records_read: inputs.iter().map(|i| i.records_read).sum(),
        records_skipped: inputs.iter().map(|i| i.records_skipped).sum(),
        unusable_inputs: inputs
            .iter()
            .filter(|i| i.failed)
            .map(|i| format!("{}: {}", i.path, i.problems.join("; ")))
            .collect(),
        notes,
        ..Default::default()
    };
    let touches = |from: DateTime<Utc>, to: DateTime<Utc>| {
        windows.iter().any(|w| {
            from <= window_end(w) + Duration::seconds(event_findings::AFTER_RECOVERY)
                && to >= w.start - lookback
        })
    };
    // Probe unknown stretches, from the transitions: unknown until the next known state.
    for (i, t) in analysis.transitions.iter().enumerate() {
        if t.state != "unknown" {
            continue;
        }
        let until = analysis.transitions[i + 1..]
            .iter()
            .find(|n| n.probe == t.probe)
            .map(|n| n.time);
        if let Some(until) = until {
            if touches(t.time, until) {
                dq.gaps.push(Gap {
                    source: "probe".into(),
                    name: t.probe.clone(),
                    from: t.time,
                    to: until,
                });
            }
        }
    }
    // A gap shared by every counter of one file is one gap (the collector stopped), not fifty.
    struct GapGroup {
        file: String,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        names: Vec<String>,
    }
    let mut metric_gap_groups: Vec<GapGroup> = Vec::new();
    // The series of one file share their sample times (one slice): their gaps are worked out
    // once, not once per counter (50 sorts of 86,400 steps were a fifth of a second).
    let mut last_gaps: Option<((usize, usize), Vec<Span>)> = None;
    for m in metrics {
        let times = m.samples.time_slice();
        let key = (times.as_ptr() as usize, times.len());
        if last_gaps.as_ref().is_none_or(|(k, _)| *k != key) {
            last_gaps = Some((key, metric_gaps(times)));
        }
        let Some((_, gaps)) = &last_gaps else {
            continue;
        };
        for &(from, to) in gaps {
            if !touches(from, to) {
                continue;
            }
            let file = m.source_file.to_string();
            match metric_gap_groups
                .iter_mut()
                .find(|g| g.file == file && g.from == from && g.to == to)
            {
                Some(g) => g.names.push(m.name.clone()),
                None => metric_gap_groups.push(GapGroup {
                    file,
                    from,
                    to,
                    names: vec![m.name.clone()],
                }),
            }
        }
    }
    for GapGroup {
        file,
        from,
        to,
        names,
    } in metric_gap_groups
    {
        let name = if names.len() == 1 {
            names[0].clone()
        } else {
            format!("all {} series of {file}", names.len())
        };
        dq.gaps.push(Gap {
            source: "metric".into(),
            name,
            from,
            to,
        });
    }
    dq.gaps
        .sort_by(|a, b| a.from.cmp(&b.from).then(a.name.cmp(&b.name)));
    dq.clock_parts.windows = clock_notes(windows, events);
    dq.clock = dq.clock_parts.lines();
    dq
}

/// From, to.
type Span = (DateTime<Utc>, DateTime<Utc>);

/// Gaps between samples longer than 2.5 times the series' median interval.
fn metric_gaps(times: &[DateTime<Utc>]) -> Vec<Span> {
    let steps: Vec<f64> = times
        .windows(2)
        .map(|w| (w[1] - w[0]).num_milliseconds() as f64)
        .collect();
    let Some(median) = super::stats::median(&steps) else {
        return Vec::new();
    };
    times
        .windows(2)
        .filter(|w| (w[1] - w[0]).num_milliseconds() as f64 > 2.5 * median)
        .map(|w| (w[0], w[1]))
        .collect()
}

/// Boot (6005) against the first good local check after it: how long until the service answered,
/// and whether the clocks disagree (a good check before the boot is impossible).
fn clock_notes(windows: &[Outage], events: &[Event]) -> Vec<(usize, String)> {
    let mut notes = Vec::new();
    // By the window's place: `ClockParts::lines` numbers them as the report does ("Outage 4").
    for (number, w) in windows.iter().enumerate() {
        let Some(recovered) = w.recovered_at.filter(|_| !w.probes.is_empty()) else {
            continue;
        };
        let boot = events.iter().find(|e| {
            kb::has_role(&e.provider, e.event_id, EventRole::LogStart)
                && e.time >= w.start
                && e.time <= recovered + Duration::minutes(30)
        });
        if let Some(boot) = boot {
            let gap = (recovered - boot.time).num_seconds();
            if gap >= 0 {
                notes.push((number, format!(
                    "the server booted (Event 6005) {} before the first good check; the probes and the server agree within that margin.",
                    crate::timefmt::human_duration(gap)
                )));
            } else {
                notes.push((number, format!(
                    "the first good check came {} BEFORE the server's boot event (6005): the server's clock and the probes' clocks disagree by at least that much.",
                    crate::timefmt::human_duration(-gap)
                )));
            }
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::ClockParts;

    /// Two hosts' clock parts joined: the counts are summed into one line each, and each window
    /// note takes the number its window has in the joined report.
    #[test]
    fn clock_parts_join_sums_counts_and_numbers_windows_again() {
        let mut a = ClockParts {
            windows: vec![(0, "a's first".into())],
            small_adjustments: 5,
            unlisted_steps: 0,
            listed: vec!["A step.".into()],
        };
        let b = ClockParts {
            windows: vec![(1, "b's second".into())],
            small_adjustments: 3,
            unlisted_steps: 2,
            listed: vec!["B step.".into()],
        };
        // a's window 0 is now the joined report's third; b's window 1 its first.
        a.windows = vec![(2, "a's first".into())];
        a.join(b, |i| if i == 1 { 0 } else { 9 });
        assert_eq!(
            a.lines(),
            [
                "Outage 1: b's second",
                "Outage 3: a's first",
                "8 clock adjustments under a minute (routine time-service corrections) are counted, not listed.",
                "2 clock steps of a minute or more moved no event (a resume from sleep, or a clock set right with nothing written in between): listed in the JSON's clock_changes.",
                "A step.",
                "B step.",
            ]
        );
    }
}
