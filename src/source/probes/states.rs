//! What the state-change readers share (UptimeRobot, Nagios, Pingdom summaries, Zabbix): state
//! edges or intervals per target turned into `ProbeSeries` intervals, with the vocabulary read and
//! every unknown word counted and named, and the file's report.
use super::store::{Counted, ProbeStoreRead, ProbeTarget, RowTally, SHOWN_PROBLEMS};
use crate::model::{InputReport, ProbeSeries, ProbeState, StateInterval};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Arc;

/// A monitor's JSON export (a UTF-8 BOM allowed), parsed into `T`; a truncated or foreign file is
/// named with its line and column. `what` names the format ("Pingdom summary.outage").
pub(super) fn parse_json<T: serde::de::DeserializeOwned>(
    path: &std::path::Path,
    bytes: &[u8],
    what: &str,
) -> crate::Result<T> {
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    serde_json::from_slice(body).map_err(|e| {
        let at = format!("line {} column {}", e.line(), e.column());
        crate::Error::bad_input(
            path,
            if e.is_eof() {
                format!("the JSON ends early at {at} (truncated?): nothing read")
            } else {
                format!("not {what} JSON at {at} ({e})")
            },
        )
    })
}

/// A target entered `state` at `time` (it lasts until the next edge of the target).
#[derive(Debug, Clone, Copy)]
struct Edge {
    time: DateTime<Utc>,
    state: ProbeState,
    failures: u32,
    /// Order of arrival: of two edges at one time, the later one stands.
    seq: u64,
}

/// A target entered `state` at `time`, as a reader's worker found it (see `StatesBuilder::runs`).
#[derive(Debug, Clone, Copy)]
pub struct Change {
    pub time: DateTime<Utc>,
    pub state: ProbeState,
    pub failures: u32,
}

/// Changes added at once: met in the order of the list, or of the list reversed (`backwards`),
/// their arrival numbered from `seq`.
struct Run {
    changes: Vec<Change>,
    backwards: bool,
    seq: u64,
}

/// One target's evidence while the file is read.
#[derive(Default)]
struct Pending {
    edges: Vec<Edge>,
    intervals: Vec<StateInterval>,
    runs: Vec<Run>,
}

/// Collects state edges (or whole intervals) per series, then builds the series and the report.
pub struct StatesBuilder {
    kind: super::StoreKind,
    path: String,
    index: HashMap<(String, ProbeTarget), usize>,
    /// `series_for`'s answers by name, then by what is checked: found again without a key built.
    by_name: HashMap<String, Vec<(String, usize)>>,
    names: Vec<String>,
    targets: Vec<ProbeTarget>,
    rows: Vec<Pending>,
    seq: u64,
    /// Where a series' open last state ends, when the reader knows better than the file's end.
    ends: HashMap<usize, DateTime<Utc>>,
    /// State rows read (`checks`), unknown words, damaged rows, not-probe lines (`ignored`).
    pub tally: RowTally,
    /// The words read and what each meant, for `--explain`.
    pub vocabulary: Counted,
    /// Words read by `read`, with their meaning and count, until `finish` adds them up.
    words_read: Vec<(String, ProbeState, u64)>,
    unknown_words: Counted,
    problems: Vec<String>,
    pub notes: Vec<String>,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
}

impl StatesBuilder {
    pub fn new(path: &std::path::Path, kind: super::StoreKind) -> StatesBuilder {
        StatesBuilder {
            kind,
            path: path.display().to_string(),
            index: HashMap::new(),
            by_name: HashMap::new(),
            names: Vec::new(),
            targets: Vec::new(),
            rows: Vec::new(),
            seq: 0,
            ends: HashMap::new(),
            tally: RowTally::default(),
            vocabulary: Counted::default(),
            words_read: Vec::new(),
            unknown_words: Counted::default(),
            problems: Vec::new(),
            notes: Vec::new(),
            first: None,
            last: None,
        }
    }

    /// The series `name` of `target`, created on first use.
    pub fn series(&mut self, name: &str, target: ProbeTarget) -> usize {
        let key = (name.to_string(), target);
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        let i = self.targets.len();
        self.names.push(key.0.clone());
        self.targets.push(key.1.clone());
        self.index.insert(key, i);
        self.rows.push(Pending::default());
        i
    }

    /// The series `name` checking `what` (with no vantage), as `series(name, target(what, None))`
    /// gives it; found again per row without a String key or a host parse (a state log repeats a
    /// handful of targets a million times).
    pub fn series_for(&mut self, name: &str, what: &str) -> usize {
        let known = self
            .by_name
            .get(name)
            .and_then(|whats| whats.iter().find(|(w, _)| w == what));
        if let Some(&(_, i)) = known {
            return i;
        }
        let i = self.series(name, target(what, None));
        self.by_name
            .entry(name.to_string())
            .or_default()
            .push((what.to_string(), i));
        i
    }

    /// A time the file covers: the first and last of the report, and where open states end.
    pub fn saw(&mut self, t: DateTime<Utc>) {
        self.first = Some(self.first.map_or(t, |f| f.min(t)));
        self.last = Some(self.last.map_or(t, |l| l.max(t)));
    }

    /// The series entered `state` at `time`.
    pub fn edge(&mut self, series: usize, time: DateTime<Utc>, state: ProbeState, failures: u32) {
        self.saw(time);
        self.seq += 1;
        if let Some(p) = self.rows.get_mut(series) {
            p.edges.push(Edge {
                time,
                state,
                failures,
                seq: self.seq,
            });
        }
    }

    /// The series' changes in `runs`, as if each were given to `edge` in turn: the runs in order
    /// and each from its start, or (`backwards`, a file read from its end) the last run first and
    /// each from its end. Kept as they are and made edges in `finish`, on rayon's pool. The
    /// caller gives their earliest and latest time to `saw` (its workers found them).
    pub fn runs(&mut self, series: usize, runs: Vec<Vec<Change>>, backwards: bool) {
        let Some(p) = self.rows.get_mut(series) else {
            return;
        };
        let mut add = |changes: Vec<Change>, seq: &mut u64| {
            let run = Run {
                seq: *seq + 1,
                backwards,
                changes,
            };
            *seq += run.changes.len() as u64;
            p.runs.push(run);
        };
        if backwards {
            runs.into_iter().rev().for_each(|r| add(r, &mut self.seq));
        } else {
            runs.into_iter().for_each(|r| add(r, &mut self.seq));
        }
    }

    /// A whole interval the file states (Pingdom's `timefrom`..`timeto`).
    pub fn interval(&mut self, series: usize, iv: StateInterval) {
        self.saw(iv.start);
        self.saw(iv.end);
        if let Some(p) = self.rows.get_mut(series) {
            p.intervals.push(iv);
        }
    }

    /// The name a series was made with.
    pub fn series_name(&self, series: usize) -> &str {
        &self.names[series]
    }

    /// The series' last state lasts until `t` (UptimeRobot's duration of the newest event).
    pub fn ends_at(&mut self, series: usize, t: DateTime<Utc>) {
        self.saw(t);
        let e = self.ends.entry(series).or_insert(t);
        *e = (*e).max(t);
    }

    /// A state row read: its word counted in the vocabulary.
    pub fn read(&mut self, word: &str, meaning: ProbeState) {
        // A file uses a handful of words, each a million times: counted here without building
        // the vocabulary's line, which `finish` adds once per word.
        self.read_n(word, meaning, 1);
    }

    /// `n` state rows of one word read (a block's count of it, added at once).
    pub fn read_n(&mut self, word: &str, meaning: ProbeState, n: u64) {
        self.tally.checks += n;
        match self
            .words_read
            .iter_mut()
            .find(|(w, m, _)| *m == meaning && w == word)
        {
            Some((_, _, k)) => *k += n,
            None => self.words_read.push((word.to_string(), meaning, n)),
        }
    }

    /// `n` rows of one word outside the vocabulary (a block's count of it).
    pub fn unknown_word_n(&mut self, word: &str, n: u64) {
        self.tally.unknown += n;
        self.unknown_words.add_n(word, n);
    }

    /// A word outside the vocabulary: counted, named in the notes (the row is skipped as a state
    /// of its own; readers make the target unknown from there).
    pub fn unknown_word(&mut self, word: &str) {
        self.tally.unknown += 1;
        self.unknown_words.add(word);
    }

    /// A row that could not be read: counted, and named while few have been.
    pub fn damaged(&mut self, why: String) {
        self.tally.damaged += 1;
        if self.problems.len() < SHOWN_PROBLEMS {
            self.problems.push(why);
        }
    }

    /// A line that is not a probe state (a notification, a command): counted, not an error.
    pub fn not_probe(&mut self) {
        self.tally.ignored += 1;
    }

    pub fn note(&mut self, line: impl Into<String>) {
        self.notes.push(line.into());
    }

    /// Which zone an export's zone-less times were read in; `whose` names the zone (`the
    /// account's zone`). UTC with no time read says so too: nothing proves the zone right.
    pub fn note_zone(&mut self, zone: crate::timefmt::Zone, any_time_read: bool, whose: &str) {
        if !zone.is_utc() || !any_time_read {
            self.note(format!(
                "times read in {} ({whose}: --input-tz)",
                zone.name()
            ));
        } else {
            self.note(format!(
                "times read as UTC: give {whose} with --input-tz if it is not UTC"
            ));
        }
    }

    /// Series with their intervals (edges sorted; at one time the later edge stands; a state
    /// repeated continues the interval), the report, and the vocabulary in the notes.
    pub fn finish(mut self) -> ProbeStoreRead {
        for (word, meaning, n) in std::mem::take(&mut self.words_read) {
            self.vocabulary
                .add_n(&format!("{word} = {}", meaning.as_str()), n);
        }
        let source: Arc<str> = Arc::from(self.path.as_str());
        let file_end = self.last;
        let names = unique_names(&self.names, &self.targets);
        // Each series' intervals built on rayon's pool (a million edges took a tenth of a read on
        // one thread), then named and noted in series order.
        let ends: Vec<Option<DateTime<Utc>>> = (0..self.rows.len())
            .map(|i| self.ends.get(&i).copied().or(file_end))
            .collect();
        let built: Vec<(Vec<StateInterval>, u64, usize)> = {
            use rayon::prelude::*;
            (std::mem::take(&mut self.rows).into_par_iter().zip(ends))
                .map(|(pending, end)| series_intervals(pending, end))
                .collect()
        };
        let mut probes = Vec::with_capacity(built.len());
        let mut same_time = 0u64;
        for (i, ((kept, same, overlapping), name)) in built.into_iter().zip(names).enumerate() {
            same_time += same;
            if overlapping > 0 {
                self.notes.push(format!(
                    "{name}: {overlapping} states overlapping an earlier one were dropped"
                ));
            }
            let target = &self.targets[i];
            probes.push(ProbeSeries {
                name,
                target: Some(target.target.clone()),
                vantage: target.vantage.clone(),
                host: target.host.clone(),
                checks: Vec::new(),
                intervals: kept,
                source_file: source.clone(),
            });
        }
        if same_time > 0 {
            self.notes.push(format!(
                "{same_time} state changes at the same time as a later one of the same target: the later one stands"
            ));
        }
        if !self.vocabulary.is_empty() {
            self.notes
                .push(format!("vocabulary read: {}", self.vocabulary.render()));
        }
        if !self.unknown_words.is_empty() {
            self.notes.push(format!(
                "{} states with words faultline does not know (read as unknown): {}",
                self.unknown_words.total(),
                self.unknown_words.render()
            ));
        }
        if self.tally.ignored > 0 {
            self.notes.push(format!(
                "{} lines that are not probe states (notifications, commands, program messages): not read",
                self.tally.ignored
            ));
        }
        let report = InputReport {
            path: self.path,
            kind: crate::model::InputKind::ProbeStore(self.kind),
            records_read: self.tally.checks,
            records_skipped: self.tally.damaged + self.tally.unknown,
            copies_merged: 0,
            problems: self.problems,
            first: self.first,
            last: self.last,
            failed: false,
        };
        ProbeStoreRead {
            probes,
            targets: self.targets,
            planned: Vec::new(),
            tally: self.tally,
            report,
            notes: self.notes,
        }
    }
}

/// One series' intervals from its edges (sorted; at one time the later edge stands, counted; a
/// state repeated continues the interval) and whole intervals, the last edge's lasting until
/// `end`; overlapping intervals dropped, counted.
fn series_intervals(
    pending: Pending,
    end: Option<DateTime<Utc>>,
) -> (Vec<StateInterval>, u64, usize) {
    let Pending {
        mut edges,
        mut intervals,
        runs,
    } = pending;
    // The runs' changes in the order they were met.
    let met = || {
        runs.iter().flat_map(|r| {
            let (forwards, backwards) = if r.backwards {
                (None, Some(r.changes.iter().rev()))
            } else {
                (Some(r.changes.iter()), None)
            };
            forwards
                .into_iter()
                .flatten()
                .chain(backwards.into_iter().flatten())
        })
    };
    let count = edges.len() + runs.iter().map(|r| r.changes.len()).sum::<usize>();
    // At most one interval per edge: grown once, not copied as it doubles.
    intervals.reserve(count);
    // Runs alone and met in time order (a reader's usual case) are read as they are; else they
    // become edges, numbered in the order met, and are sorted with the others.
    let same_time = if edges.is_empty() && met().map(|c| c.time).is_sorted() {
        edge_intervals(
            met().map(|c| (c.time, c.state, c.failures)),
            end,
            &mut intervals,
        )
    } else {
        edges.reserve(count - edges.len());
        for run in &runs {
            let edge = |(k, c): (usize, &Change)| Edge {
                time: c.time,
                state: c.state,
                failures: c.failures,
                seq: run.seq + k as u64,
            };
            if run.backwards {
                edges.extend(run.changes.iter().rev().enumerate().map(edge));
            } else {
                edges.extend(run.changes.iter().enumerate().map(edge));
            }
        }
        // Most logs give a target's edges in time order already (or reversed, as a whole).
        if !edges.is_sorted_by_key(|e| (e.time, e.seq)) {
            edges.sort_by_key(|e| (e.time, e.seq));
        }
        let edges = edges.iter().map(|e| (e.time, e.state, e.failures));
        edge_intervals(edges, end, &mut intervals)
    };
    if !intervals.is_sorted_by_key(|iv| iv.start) {
        intervals.sort_by_key(|iv| iv.start);
    }
    let before = intervals.len();
    // Nearly always nothing overlaps: the list is kept as it is, not copied.
    let kept = if intervals.windows(2).all(|w| w[1].start >= w[0].end) {
        intervals
    } else {
        let mut kept: Vec<StateInterval> = Vec::with_capacity(before);
        for iv in intervals {
            match kept.last() {
                Some(prev) if iv.start < prev.end => {}
                _ => kept.push(iv),
            }
        }
        kept
    };
    let overlapping = before - kept.len();
    (kept, same_time, overlapping)
}

/// Intervals added to `intervals` from edges in time order (time, state, failures), each until
/// the next, the last until `end`: at one time the later edge stands (counted, returned), and a
/// state repeated continues the interval.
fn edge_intervals(
    edges: impl Iterator<Item = (DateTime<Utc>, ProbeState, u32)>,
    end: Option<DateTime<Utc>>,
    intervals: &mut Vec<StateInterval>,
) -> u64 {
    let mut same_time = 0u64;
    let mut edges = edges.peekable();
    while let Some((time, state, failures)) = edges.next() {
        let until = match edges.peek() {
            Some(next) if next.0 == time => {
                same_time += 1;
                continue;
            }
            Some(next) => next.0,
            None => end.unwrap_or(time).max(time),
        };
        match intervals.last_mut() {
            Some(prev) if prev.state == state && prev.end == time => {
                prev.end = until;
                prev.failures += failures;
            }
            _ => intervals.push(StateInterval {
                start: time,
                end: until,
                state,
                failures,
            }),
        }
    }
    same_time
}

/// Series names as given; ` [target]` added where two targets share a name.
fn unique_names(names: &[String], targets: &[ProbeTarget]) -> Vec<String> {
    let mut uses: HashMap<&str, usize> = HashMap::new();
    for n in names {
        *uses.entry(n.as_str()).or_default() += 1;
    }
    names
        .iter()
        .zip(targets)
        .map(|(n, t)| match uses.get(n.as_str()) {
            Some(k) if *k > 1 => format!("{n} [{}]", t.target),
            _ => n.clone(),
        })
        .collect()
}

/// A target of a state export: what was checked, with its host when it looks like one.
pub fn target(what: &str, vantage: Option<String>) -> ProbeTarget {
    ProbeTarget {
        target: what.to_string(),
        vantage,
        host: super::store::host_of(what),
        detail: None,
    }
}

/// Splits text into lines with their 1-based numbers, without a UTF-8 BOM.
pub fn text_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.trim_start_matches('\u{feff}')
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(m: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2011, 8, 15, 0, 0, 0).unwrap() + chrono::Duration::minutes(m)
    }

    #[test]
    fn edges_become_intervals_until_the_next_edge_and_the_last_until_the_end() {
        let mut b = StatesBuilder::new(
            std::path::Path::new("x"),
            crate::model::StoreKind::NagiosLog,
        );
        let s = b.series("web", target("https://a.example/", None));
        b.edge(s, t(10), ProbeState::Down, 1);
        b.edge(s, t(0), ProbeState::Up, 0);
        b.edge(s, t(20), ProbeState::Up, 0);
        b.edge(s, t(25), ProbeState::Up, 0);
        b.ends_at(s, t(30));
        let read = b.finish();
        let got: Vec<(DateTime<Utc>, DateTime<Utc>, ProbeState)> = read.probes[0]
            .intervals
            .iter()
            .map(|iv| (iv.start, iv.end, iv.state))
            .collect();
        assert_eq!(
            got,
            [
                (t(0), t(10), ProbeState::Up),
                (t(10), t(20), ProbeState::Down),
                (t(20), t(30), ProbeState::Up)
            ]
        );
        assert_eq!(read.probes[0].target.as_deref(), Some("https://a.example/"));
        assert_eq!(
            (read.report.first, read.report.last),
            (Some(t(0)), Some(t(30)))
        );
    }

    #[test]
    fn at_one_time_the_later_edge_stands_and_names_are_made_unique() {
        let mut b = StatesBuilder::new(
            std::path::Path::new("x"),
            crate::model::StoreKind::NagiosLog,
        );
        let a = b.series("web", target("a", None));
        let c = b.series("web", target("c", None));
        b.edge(a, t(0), ProbeState::Unknown, 0);
        b.edge(a, t(0), ProbeState::Up, 0);
        b.edge(c, t(5), ProbeState::Down, 0);
        let read = b.finish();
        assert_eq!(read.probes[0].intervals.len(), 1);
        assert_eq!(read.probes[0].intervals[0].state, ProbeState::Up);
        assert_eq!(read.probes[0].name, "web [a]");
        assert_eq!(read.probes[1].name, "web [c]");
        assert!(read
            .notes
            .iter()
            .any(|n| n.contains("the later one stands")));
    }

    /// Changes given as runs (forwards or backwards, in time order or not, equal times among
    /// them, beside edges given one by one) make the intervals `edge` makes when given the same
    /// changes one by one in the order the runs say they were met.
    #[test]
    fn runs_read_as_their_changes_given_one_by_one() {
        let c = |m: i64, state| Change {
            time: t(m),
            state,
            failures: u32::from(state == ProbeState::Down),
        };
        let (up, down, unknown) = (ProbeState::Up, ProbeState::Down, ProbeState::Unknown);
        let cases: Vec<(Vec<Vec<Change>>, Vec<Change>)> = vec![
            (
                vec![vec![c(0, up), c(5, down)], vec![c(5, up), c(9, up)]],
                vec![],
            ),
            (
                vec![vec![c(9, up), c(5, down)], vec![c(3, unknown), c(0, up)]],
                vec![],
            ),
            (
                vec![vec![c(4, down), c(1, up)], vec![c(4, up), c(2, down)]],
                vec![],
            ),
            (
                vec![vec![c(1, up), c(6, down)]],
                vec![c(3, unknown), c(6, up)],
            ),
        ];
        for (runs, one_by_one) in cases {
            for backwards in [false, true] {
                let mut met: Vec<Change> = Vec::new();
                for run in if backwards {
                    runs.iter().rev().collect::<Vec<_>>()
                } else {
                    runs.iter().collect()
                } {
                    if backwards {
                        met.extend(run.iter().rev());
                    } else {
                        met.extend(run.iter());
                    }
                }
                let read = |with_runs: bool| {
                    let mut b = StatesBuilder::new(
                        std::path::Path::new("x"),
                        crate::model::StoreKind::NagiosLog,
                    );
                    let s = b.series("web", target("a", None));
                    for e in &one_by_one {
                        b.edge(s, e.time, e.state, e.failures);
                    }
                    if with_runs {
                        for e in &met {
                            b.saw(e.time);
                        }
                        b.runs(s, runs.clone(), backwards);
                    } else {
                        for e in &met {
                            b.edge(s, e.time, e.state, e.failures);
                        }
                    }
                    let read = b.finish();
                    format!("{:?}\n{:?}\n{:?}", read.probes, read.report, read.notes)
                };
                assert_eq!(read(true), read(false), "{runs:?}, backwards {backwards}");
            }
        }
    }
}
