//! The Zabbix CSV reader's problems placed in time: each row's local times read in the zone, then
//! per target the opening and closing marks in time order, replayed into state changes.
use super::{RowBlock, StatesBuilder};
use crate::model::ProbeState;
use crate::timefmt::{RepeatedHour, Zone};
use chrono::{DateTime, Utc};

/// A problem opening or closing, in its series' list in file order.
#[derive(Debug, Clone, Copy)]
pub(super) struct Mark {
    pub time: DateTime<Utc>,
    pub opens: bool,
    pub down: bool,
}

/// The problems' marks by series, and what the notes say of them.
pub(super) struct Placed {
    marks: Vec<Vec<Mark>>,
    /// Problems with no recovery.
    pub open: usize,
    /// The earliest and latest time of any mark.
    span: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// The rows' local times in `zone`: a Time in a repeated DST hour is resolved by the file's order
/// (newest first, as the page sorts by default), a Recovery time takes its first reading not
/// before the Time. A time in a skipped hour is a damaged row.
pub(super) fn place_in_zone(b: &mut StatesBuilder, blocks: &[RowBlock], zone: Zone) -> Placed {
    let mut rows = blocks.iter().flat_map(|block| &block.rows);
    let descending = rows
        .next()
        .zip(rows.next_back())
        .is_some_and(|(f, l)| f.start > l.start);
    let mut hour = RepeatedHour::default();
    let mut out = Placed {
        marks: Vec::new(),
        open: 0,
        span: None,
    };
    let widen = |span: &mut Option<(DateTime<Utc>, DateTime<Utc>)>, t: DateTime<Utc>| {
        *span = Some(span.map_or((t, t), |(a, z)| (a.min(t), z.max(t))));
    };
    // Rows read and recoveries: counts (the vocabulary does not show the order of its reads).
    let (mut down_rows, mut recoveries) = (0u64, 0u64);
    for row in blocks.iter().flat_map(|block| &block.rows) {
        let Some(r) = row.start_reading else {
            b.damaged(format!(
                "line {}: {} does not exist in {} (skipped by a DST change)",
                row.line,
                row.start,
                zone.name()
            ));
            continue;
        };
        let start = hour.resolve(r, descending);
        let end = match row.recovery {
            None => None,
            Some((t, None)) => {
                b.damaged(format!(
                    "line {}: Recovery time {t} does not exist in {} (skipped by a DST change)",
                    row.line,
                    zone.name()
                ));
                continue;
            }
            Some((_, Some(r))) => {
                let end = [Some(r.time), r.later]
                    .into_iter()
                    .flatten()
                    .find(|t| *t >= start);
                let Some(end) = end else {
                    b.damaged(format!("line {}: Recovery time before its Time", row.line));
                    continue;
                };
                Some(end)
            }
        };
        let down = row.state == ProbeState::Down;
        if down {
            down_rows += 1;
        }
        let series = row.series as usize;
        if out.marks.len() <= series {
            out.marks.resize_with(series + 1, Vec::new);
        }
        let marks = &mut out.marks[series];
        marks.push(Mark {
            time: start,
            opens: true,
            down,
        });
        widen(&mut out.span, start);
        match end {
            Some(end) => {
                recoveries += 1;
                marks.push(Mark {
                    time: end,
                    opens: false,
                    down,
                });
                widen(&mut out.span, end);
            }
            None => out.open += 1,
        }
    }
    if down_rows > 0 {
        b.read_n("problem row", ProbeState::Down, down_rows);
    }
    if recoveries > 0 {
        b.vocabulary.add_n("Recovery time = up", recoveries);
    }
    if !zone.is_utc() || out.span.is_none() {
        b.note(format!(
            "times read in {} (the Zabbix user's zone: --input-tz)",
            zone.name()
        ));
    } else {
        b.note("times read as UTC: give the Zabbix user's zone with --input-tz if it is not UTC");
    }
    if let Some(n) = hour.note(zone, "problem times") {
        b.note(n);
    }
    if descending {
        b.note("newest first, as the Problems page exports: read in time order");
    }
    out
}

/// Edges per target from its problems in time order: down while any problem is open, unknown
/// while only problems of unknown status are, up once all closed (at one time, closes first).
/// Targets are replayed one after another: an edge's order matters only within its target.
pub(super) fn add_problems(b: &mut StatesBuilder, placed: Placed) {
    if let Some((first, last)) = placed.span {
        b.saw(first);
        b.saw(last);
    }
    let orders: Vec<Vec<u32>> = {
        use rayon::prelude::*;
        placed.marks.par_iter().map(|m| mark_order(m)).collect()
    };
    for (series, (marks, order)) in placed.marks.iter().zip(orders).enumerate() {
        // Open problems (down, unknown) and the state last given.
        let (mut down, mut unknown, mut shown) = (0u32, 0u32, None);
        for i in order {
            let mark = marks[i as usize];
            let n = if mark.down { &mut down } else { &mut unknown };
            if mark.opens {
                *n += 1;
            } else {
                *n = n.saturating_sub(1);
            }
            let now = if down > 0 {
                ProbeState::Down
            } else if unknown > 0 {
                ProbeState::Unknown
            } else {
                ProbeState::Up
            };
            if shown != Some(now) {
                shown = Some(now);
                b.edge(series, mark.time, now, u32::from(now == ProbeState::Down));
            }
        }
    }
}

/// One series' marks (in file order) sorted by time, closes before opens, then file order, as a
/// stable sort by the first two orders them. When the times are whole seconds and everything
/// fits, each mark is one `u64` (seconds from the first, opens, index) and the sort is of plain
/// integers, given in the order the file nearly has (newest first: reversed).
pub(super) fn mark_order(marks: &[Mark]) -> Vec<u32> {
    let bits = |n: u64| 64 - n.leading_zeros();
    let first = marks.iter().map(|m| m.time.timestamp()).min().unwrap_or(0);
    let last = marks.iter().map(|m| m.time.timestamp()).max().unwrap_or(0);
    let whole = marks.iter().all(|m| m.time.timestamp_subsec_nanos() == 0);
    let (span, ib) = (last.abs_diff(first), bits(marks.len() as u64));
    if whole && bits(span) + 1 + ib <= 64 && ib <= 32 {
        let key = |(i, m): (usize, &Mark)| {
            let secs = m.time.timestamp().abs_diff(first);
            (secs << 1 | u64::from(m.opens)) << ib | i as u64
        };
        let mut keys: Vec<u64> = marks.iter().enumerate().map(key).collect();
        if keys.first() > keys.last() {
            keys.reverse();
        }
        keys.sort_unstable();
        let mask = (1u64 << ib) - 1;
        return keys.into_iter().map(|k| (k & mask) as u32).collect();
    }
    let mut order: Vec<u32> = (0..marks.len() as u32).collect();
    order.sort_by_key(|&i| (marks[i as usize].time, marks[i as usize].opens));
    order
}
