//! The UptimeRobot CSV reader's rows placed in time: per block (on its worker when no time in it
//! depends on the rows before, else on the reading thread in file order), each monitor's state
//! changes in file order, then handed to the builder per monitor without a pass over the rows.
use super::{event_state, Lasted, Row, RowBlock, Seen, StatesBuilder};
use crate::model::ProbeState;
use crate::source::probes::states::Change;
use crate::timefmt::{Reading, RepeatedHour, Zone};
use chrono::{DateTime, Utc};

/// A row's line (its place in the file), its time and its duration.
type At = (usize, DateTime<Utc>, Lasted);

/// One block's rows placed in time, by the block's monitors and words.
#[derive(Default)]
pub(super) struct Placed {
    /// By monitor: its changes in file order.
    changes: Vec<Vec<Change>>,
    /// By monitor: its first and last row.
    ends: Vec<Option<(At, At)>>,
    /// By word: rows placed.
    word_rows: Vec<u64>,
    span: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// The time of the last row placed (where the file's order stands for a repeated hour).
    last: Option<DateTime<Utc>>,
    placed: usize,
}

impl Placed {
    fn add(&mut self, row: &Row, t: DateTime<Utc>, states: &[ProbeState]) {
        let state = states[row.word as usize];
        let (m, w) = (row.monitor as usize, row.word as usize);
        if self.changes.len() <= m {
            self.changes.resize_with(m + 1, Vec::new);
            self.ends.resize(m + 1, None);
        }
        if self.word_rows.len() <= w {
            self.word_rows.resize(w + 1, 0);
        }
        self.changes[m].push(Change {
            time: t,
            state,
            failures: u32::from(state == ProbeState::Down),
        });
        let here = (row.line, t, row.duration);
        let ends = &mut self.ends[m];
        *ends = Some(ends.map_or((here, here), |(first, _)| (first, here)));
        self.word_rows[w] += 1;
        self.span = Some(self.span.map_or((t, t), |(a, z)| (a.min(t), z.max(t))));
        self.last = Some(t);
        self.placed += 1;
    }
}

/// The states of a block's words.
fn word_states(block: &RowBlock) -> Vec<ProbeState> {
    (block.words.list.iter())
        .map(|w| event_state(w).unwrap_or(ProbeState::Unknown))
        .collect()
}

/// A block's rows placed on its worker when each time in it is one instant (none in a repeated
/// or skipped DST hour, which depend on the rows before or are damaged): then the rows are
/// dropped. Their first and last local time are kept for the file's direction.
pub(super) fn place_block(block: &mut RowBlock) {
    let rows = &block.rows;
    block.ends = rows
        .first()
        .zip(rows.last())
        .map(|(f, l)| (f.local, l.local));
    if !rows
        .iter()
        .all(|r| r.reading.is_some_and(|r| r.later.is_none()))
    {
        return;
    }
    let states = word_states(block);
    let mut placed = Placed::default();
    for row in rows {
        if let Some(r) = row.reading {
            placed.add(row, r.time, &states);
        }
    }
    block.placed = Some(placed);
    block.rows = Vec::new();
}

/// Every block placed, in file order: a block placed on its worker as it is, the others here,
/// their repeated hours resolved by the file's order. Returns how many rows have a time.
pub(super) fn place_all(
    b: &mut StatesBuilder,
    blocks: &mut [RowBlock],
    hour: &mut RepeatedHour,
    descending: bool,
    zone: Zone,
) -> usize {
    let mut timed = 0;
    for block in blocks.iter_mut() {
        if block.placed.is_none() {
            let states = word_states(block);
            let mut placed = Placed::default();
            for row in &block.rows {
                match row.reading {
                    // The reading becomes the one instant chosen.
                    Some(r) => placed.add(row, hour.resolve(r, descending), &states),
                    None => b.damaged(format!(
                        "line {}: {} does not exist in {} (skipped by a DST change)",
                        row.line,
                        row.local,
                        zone.name()
                    )),
                }
            }
            block.placed = Some(placed);
        } else if let Some(t) = block.placed.as_ref().and_then(|p| p.last) {
            hour.resolve(Reading::exact(t), descending);
        }
        timed += block.placed.as_ref().map_or(0, |p| p.placed);
    }
    timed
}

/// Edges per monitor, as one read of the rows in time order (backwards through a file newest
/// first) gives them: series made in the order their monitors are first met, each monitor's
/// changes, its newest event lasting its duration (the time up to the export), the known words
/// read.
pub(super) fn add_edges(
    b: &mut StatesBuilder,
    seen: &Seen,
    blocks: &mut [RowBlock],
    backwards: bool,
) {
    let monitors = seen.monitors.len();
    // Where each monitor is first met, read in time order: (block, line), the latest when backwards.
    let mut met: Vec<Option<(usize, usize)>> = vec![None; monitors];
    // Each monitor's newest row: its line, time and duration.
    let mut newest: Vec<Option<At>> = vec![None; monitors];
    let mut runs: Vec<Vec<Vec<Change>>> = vec![Vec::new(); monitors];
    let mut known_rows = vec![0u64; seen.words.len()];
    let mut span: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
    for (k, block) in blocks.iter_mut().enumerate() {
        let Some(placed) = block.placed.as_mut() else {
            continue;
        };
        for (local, ends) in placed.ends.iter().enumerate() {
            let Some((first, last)) = *ends else {
                continue;
            };
            let m = block.file_monitors[local] as usize;
            let (here, end) = if backwards {
                ((k, last.0), first)
            } else {
                ((k, first.0), last)
            };
            let earlier = met[m].is_some_and(|at| if backwards { at > here } else { at < here });
            if !earlier {
                met[m] = Some(here);
            }
            // The newest row met: the block's last when forwards, the first block's first
            // when backwards.
            if !backwards || newest[m].is_none() {
                newest[m] = Some(end);
            }
            runs[m].push(std::mem::take(&mut placed.changes[local]));
        }
        for (local, &n) in placed.word_rows.iter().enumerate() {
            let w = block.file_words[local] as usize;
            if seen.words[w].2 {
                known_rows[w] += n;
            }
        }
        if let Some((a, z)) = placed.span {
            span = Some(span.map_or((a, z), |(x, y)| (x.min(a), y.max(z))));
        }
    }
    if let Some((first, last)) = span {
        b.saw(first);
        b.saw(last);
    }
    let mut order: Vec<usize> = (0..monitors).filter(|&m| met[m].is_some()).collect();
    if backwards {
        order.sort_by_key(|&m| std::cmp::Reverse(met[m]));
    } else {
        order.sort_by_key(|&m| met[m]);
    }
    let mut series = Vec::with_capacity(order.len());
    for m in order {
        let (monitor, url) = &seen.monitors[m];
        let s = b.series_for(monitor, url.as_deref().unwrap_or(monitor));
        b.runs(s, std::mem::take(&mut runs[m]), backwards);
        series.push((s, m));
    }
    for ((word, state, _), n) in seen.words.iter().zip(known_rows) {
        if n > 0 {
            b.read_n(word, *state, n);
        }
    }
    series.sort_unstable();
    for (s, m) in series {
        if let Some((line, t, duration)) = newest[m] {
            super::end_newest(b, s, t, duration, || format!("line {line}"));
        }
    }
}
