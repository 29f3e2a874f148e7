//! The Zabbix CSV reader's problems placed in time: each row's local times read in the zone, then
//! per target the opening and closing marks in time order, replayed into state changes.
use super::{Row, RowBlock, StatesBuilder};
use crate::model::ProbeState;
use crate::source::probes::line_blocks::newest_first;
use crate::source::probes::states::Change;
use crate::timefmt::{Reading, RepeatedHour, Zone};
use chrono::{DateTime, Utc};

/// A problem opening or closing, in its series' list in file order.
#[derive(Debug, Clone, Copy)]
pub(super) struct Mark {
    pub time: DateTime<Utc>,
    pub opens: bool,
    pub down: bool,
}

/// Problems placed in time, of a block (on its worker, by block series) or of the file: marks by
/// series, rows that could not be placed, and what the notes count.
#[derive(Default)]
pub(super) struct Placed {
    /// By series, the marks in the lists they were placed in (blocks' lists moved, not copied).
    marks: Vec<Vec<Vec<Mark>>>,
    damaged: Vec<String>,
    down_rows: u64,
    recoveries: u64,
    /// Problems with no recovery.
    pub open: usize,
    /// The earliest and latest time of any mark.
    span: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// The last Time placed (where the file's order stands for a repeated hour after it).
    last_start: Option<DateTime<Utc>>,
}

impl Placed {
    /// A row whose Time is read as `start`: its marks, or its damage. A Recovery time takes its
    /// first reading not before the Time.
    fn add(&mut self, row: &Row, series: u32, start: DateTime<Utc>, zone: Zone) {
        self.last_start = Some(start);
        let end = match row.recovery {
            None => None,
            Some((t, None)) => {
                self.damaged.push(format!(
                    "line {}: Recovery time {t} does not exist in {} (skipped by a DST change)",
                    row.line,
                    zone.name()
                ));
                return;
            }
            Some((_, Some(r))) => {
                let end = [Some(r.time), r.later]
                    .into_iter()
                    .flatten()
                    .find(|t| *t >= start);
                let Some(end) = end else {
                    self.damaged
                        .push(format!("line {}: Recovery time before its Time", row.line));
                    return;
                };
                Some(end)
            }
        };
        let down = row.state == ProbeState::Down;
        self.down_rows += u64::from(down);
        self.widen(start);
        match end {
            Some(end) => {
                self.recoveries += 1;
                self.widen(end);
            }
            None => self.open += 1,
        }
        let series = series as usize;
        if self.marks.len() <= series {
            self.marks.resize_with(series + 1, Vec::new);
        }
        let lists = &mut self.marks[series];
        if lists.is_empty() {
            lists.push(Vec::new());
        }
        let Some(marks) = lists.last_mut() else {
            return;
        };
        marks.push(Mark {
            time: start,
            opens: true,
            down,
        });
        if let Some(end) = end {
            marks.push(Mark {
                time: end,
                opens: false,
                down,
            });
        }
    }

    /// A row whose Time does not exist in the zone.
    fn skipped(&mut self, row: &Row, zone: Zone) {
        self.damaged.push(format!(
            "line {}: {} does not exist in {} (skipped by a DST change)",
            row.line,
            row.start,
            zone.name()
        ));
    }

    fn widen(&mut self, t: DateTime<Utc>) {
        self.span = Some(self.span.map_or((t, t), |(a, z)| (a.min(t), z.max(t))));
    }

    /// A block's placed problems added after the ones before, its series numbered by `series`.
    fn extend(&mut self, block: &mut Placed, series: &[u32]) {
        for (local, lists) in block.marks.iter_mut().enumerate() {
            let global = series[local] as usize;
            if self.marks.len() <= global {
                self.marks.resize_with(global + 1, Vec::new);
            }
            self.marks[global].append(lists);
        }
        self.damaged.append(&mut block.damaged);
        self.down_rows += block.down_rows;
        self.recoveries += block.recoveries;
        self.open += block.open;
        if let Some((first, last)) = block.span {
            self.widen(first);
            self.widen(last);
        }
        self.last_start = block.last_start.or(self.last_start);
    }
}

/// A block's rows placed on its worker when no Time in it falls in a repeated hour (only such a
/// time depends on the rows before it): then the rows are dropped. Their first and last Time
/// are kept for the file's direction.
pub(super) fn place_block(block: &mut RowBlock, zone: Zone) {
    let rows = &block.rows;
    block.ends = rows
        .first()
        .zip(rows.last())
        .map(|(f, l)| (f.start, l.start));
    if rows
        .iter()
        .any(|r| r.start_reading.is_some_and(|s| s.later.is_some()))
    {
        return;
    }
    let mut placed = Placed::default();
    // Each series' list made at its size (at most two marks a row): grown, it was copied into
    // new pages as it doubled.
    let mut sizes: Vec<usize> = Vec::new();
    for row in rows {
        let series = row.series as usize;
        if sizes.len() <= series {
            sizes.resize(series + 1, 0);
        }
        sizes[series] += 2;
    }
    placed.marks = sizes.iter().map(|&n| vec![Vec::with_capacity(n)]).collect();
    for row in rows {
        match row.start_reading {
            Some(r) => placed.add(row, row.series, r.time, zone),
            None => placed.skipped(row, zone),
        }
    }
    block.placed = Some(placed);
    block.rows = Vec::new();
}

/// The rows' local times in `zone`: a Time in a repeated DST hour is resolved by the file's order
/// (newest first, as the page sorts by default). A time in a skipped hour is a damaged row.
/// Blocks placed on their workers are added as they are.
pub(super) fn place_in_zone(b: &mut StatesBuilder, blocks: &mut [RowBlock], zone: Zone) -> Placed {
    // The first and the last row's Time, as read.
    let descending = newest_first(blocks.iter().map(|block| block.ends));
    let mut hour = RepeatedHour::default();
    let mut out = Placed::default();
    for block in blocks.iter_mut() {
        if let Some(placed) = &mut block.placed {
            out.extend(placed, &block.series);
            if let Some(t) = placed.last_start {
                hour.resolve(Reading::exact(t), descending);
            }
            continue;
        }
        for row in &block.rows {
            match row.start_reading {
                Some(r) => {
                    let start = hour.resolve(r, descending);
                    out.add(row, block.series[row.series as usize], start, zone);
                }
                None => out.skipped(row, zone),
            }
        }
    }
    for problem in out.damaged.drain(..) {
        b.damaged(problem);
    }
    // Rows read and recoveries: counts (the vocabulary does not show the order of its reads).
    if out.down_rows > 0 {
        b.read_n("problem row", ProbeState::Down, out.down_rows);
    }
    if out.recoveries > 0 {
        b.vocabulary.add_n("Recovery time = up", out.recoveries);
    }
    b.note_zone(zone, out.span.is_some(), "the Zabbix user's zone");
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
/// Each target is replayed on its own, on rayon's pool: an edge's order matters only within its
/// target.
pub(super) fn add_problems(b: &mut StatesBuilder, placed: Placed) {
    if let Some((first, last)) = placed.span {
        b.saw(first);
        b.saw(last);
    }
    // Per target on rayon's pool: its marks ordered, then its changes.
    let changes: Vec<Vec<Change>> = {
        use rayon::prelude::*;
        placed.marks.par_iter().map(|m| changes(m)).collect()
    };
    for (series, changes) in changes.into_iter().enumerate() {
        if !changes.is_empty() {
            b.runs(series, vec![changes], false);
        }
    }
}

/// One target's state changes from its marks (in file order): replayed in time order.
fn changes(lists: &[Vec<Mark>]) -> Vec<Change> {
    let mut marks = Flat::new(lists);
    // Open problems (down, unknown) and the state last given.
    let (mut down, mut unknown, mut shown) = (0u32, 0u32, None);
    let mut changes = Vec::with_capacity(lists.iter().map(Vec::len).sum());
    in_order(lists, |i| {
        let mark = marks.get(i as usize);
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
            changes.push(Change {
                time: mark.time,
                state: now,
                failures: u32::from(now == ProbeState::Down),
            });
        }
    });
    changes
}

/// One series' marks (in file order) sorted by time, closes before opens, then file order, as a
/// stable sort by the first two orders them: their places in file order.
#[cfg(test)]
pub(super) fn mark_order(lists: &[Vec<Mark>]) -> Vec<u32> {
    let mut order = Vec::new();
    in_order(lists, |i| order.push(i));
    order
}

/// Gives `each` the place in file order of each of a series' marks (in file order), sorted by
/// time, closes before opens, then file order, as a stable sort by the first two orders them.
/// When the times are whole seconds and everything fits, each mark is one `u64` (seconds from
/// the first, opens, index): the opens and the closes are each nearly in order already
/// (reversed, in a file newest first), so each is sorted on its own, which costs nothing when it
/// is in order, and the two merged as they are given (no list of the order, no list of seconds:
/// a million marks' new pages cost more than working their seconds out twice).
fn in_order(lists: &[Vec<Mark>], mut each: impl FnMut(u32)) {
    let marks = || lists.iter().flatten();
    let count = lists.iter().map(Vec::len).sum::<usize>();
    let bits = |n: u64| 64 - n.leading_zeros();
    let (mut first, mut last, mut whole) = (i64::MAX, i64::MIN, true);
    for m in marks() {
        let s = m.time.timestamp();
        (first, last) = (first.min(s), last.max(s));
        whole &= m.time.timestamp_subsec_nanos() == 0;
    }
    let (span, ib) = (last.abs_diff(first), bits(count as u64));
    if count > 0 && whole && bits(span) + 1 + ib <= 64 && ib <= 32 {
        let (mut opens, mut closes) = (Vec::new(), Vec::new());
        for (i, m) in marks().enumerate() {
            let s = m.time.timestamp();
            let key = (s.abs_diff(first) << 1 | u64::from(m.opens)) << ib | i as u64;
            if m.opens { &mut opens } else { &mut closes }.push(key);
        }
        for keys in [&mut opens, &mut closes] {
            if keys.first() > keys.last() {
                keys.reverse();
            }
            if !keys.is_sorted() {
                keys.sort_unstable();
            }
        }
        let mask = (1u64 << ib) - 1;
        let (mut o, mut c) = (0, 0);
        while o < opens.len() && c < closes.len() {
            if opens[o] < closes[c] {
                each((opens[o] & mask) as u32);
                o += 1;
            } else {
                each((closes[c] & mask) as u32);
                c += 1;
            }
        }
        opens[o..]
            .iter()
            .chain(&closes[c..])
            .for_each(|k| each((k & mask) as u32));
        return;
    }
    let marks: Vec<&Mark> = marks().collect();
    let mut order: Vec<u32> = (0..count as u32).collect();
    order.sort_by_key(|&i| (marks[i as usize].time, marks[i as usize].opens));
    order.into_iter().for_each(each);
}

/// A series' marks, in the lists they were placed in, by their place in file order (the replay
/// asks for them nearly in order: the list of the last one is tried first).
struct Flat<'a> {
    lists: &'a [Vec<Mark>],
    starts: Vec<usize>,
    at: usize,
}

impl<'a> Flat<'a> {
    fn new(lists: &'a [Vec<Mark>]) -> Flat<'a> {
        let mut n = 0;
        let starts = (lists.iter())
            .map(|list| {
                n += list.len();
                n - list.len()
            })
            .collect();
        Flat {
            lists,
            starts,
            at: 0,
        }
    }

    fn get(&mut self, i: usize) -> Mark {
        let (start, len) = (self.starts[self.at], self.lists[self.at].len());
        if !(start..start + len).contains(&i) {
            // The last list starting at or before `i` (an empty one before it starts there too).
            self.at = self.starts.partition_point(|&s| s <= i) - 1;
        }
        self.lists[self.at][i - self.starts[self.at]]
    }
}
