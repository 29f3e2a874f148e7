//! The row collector of text exports: each row placed in UTC as soon as its time is known (the
//! day-month order of numeric dates, a repeated DST hour's pass), the rest held until the whole
//! file is read; the events (or their counts) handed to the reader's `Keep`.
use super::dates::{order_name, parse_stamp, resolve, DateEvidence, Stamp};
use super::MAX_PROBLEMS;
use crate::error::Result;
use crate::model::{Event, EventData, InputReport, Level};
use crate::source::events::export::{DateOrder, ExportOptions, ExportRead, Keep, LocalClock};
use chrono::{DateTime, NaiveDateTime, Utc};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What a row is kept as until its time is known: its event, or its count group.
enum Item {
    Event(Event),
    Key(u32),
}

/// A row whose time waits for the whole file (see `Collector`).
struct Row {
    line: u64,
    raw: String,
    stamp: Stamp,
    item: Item,
}

/// Takes the rows of one file, in file order, and hands each to its `Keep` as soon as its time is
/// known in UTC: a numeric date once the file's values (or `--date-order`) say its day-month
/// order, a local time once it is clear of a repeated DST hour. Rows that cannot be placed yet
/// (numeric dates before any value decides the order; everything from a time in a repeated hour
/// on, since which pass of the hour it is depends on the whole file's direction) wait, in file
/// order, and are placed by `finish`, exactly as if the whole file had been read first.
pub(crate) struct Collector<'a> {
    path: PathBuf,
    kind: crate::model::TextFormat,
    source: Arc<str>,
    opts: &'a ExportOptions,
    keep: Keep<'a>,
    /// Rows not yet placed, in file order; once one waits, every later row waits behind it.
    pending: Vec<Row>,
    /// The day-month order of numeric dates, once known.
    order: Option<DateOrder>,
    clock: LocalClock,
    /// Steps back and forward between the local times placed so far, and the last of them.
    steps: (u64, u64, Option<NaiveDateTime>),
    local_count: u64,
    read: u64,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
    evidence: DateEvidence,
    skipped: u64,
    problems: Vec<String>,
    /// Problems found when times are placed: dates that are no date in the file's order, then
    /// times a DST change skipped (each list in file order, reported after the reading's own).
    late_problems: [Vec<String>; 2],
    pub notes: Vec<String>,
    /// Level words of this file already known to need no note (for a reader's own use).
    pub quiet_words: Vec<String>,
}

impl<'a> Collector<'a> {
    pub fn new(
        path: &Path,
        kind: crate::model::TextFormat,
        opts: &'a ExportOptions,
        keep: Keep<'a>,
    ) -> Self {
        Collector {
            path: path.to_path_buf(),
            kind,
            source: Arc::from(path.display().to_string()),
            opts,
            keep,
            pending: Vec::new(),
            order: opts.date_order,
            clock: LocalClock::new(opts.input_tz, false),
            steps: (0, 0, None),
            local_count: 0,
            read: 0,
            first: None,
            last: None,
            evidence: DateEvidence::default(),
            skipped: 0,
            problems: Vec::new(),
            late_problems: [Vec::new(), Vec::new()],
            notes: Vec::new(),
            quiet_words: Vec::new(),
        }
    }

    /// Only counts are kept: rows need only their channel, provider and id (`push_key`).
    pub fn counts_only(&self) -> bool {
        self.keep.counts_only()
    }

    /// A new event for this file; its time is set when it is placed.
    pub fn event(&self) -> Event {
        Event {
            time: DateTime::UNIX_EPOCH,
            record_id: None,
            channel: String::new(),
            provider: String::new(),
            event_id: 0,
            level: Level::UNKNOWN,
            computer: String::new(),
            message: None,
            data: EventData::default(),
            source_file: Arc::clone(&self.source),
        }
    }

    /// A record that could not be used: counted, and named among the first problems.
    pub fn skip(&mut self, problem: String) {
        self.skipped += 1;
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(problem);
        }
    }

    fn skip_late(&mut self, list: usize, problem: String) {
        self.skipped += 1;
        if let Some(problems) = self.late_problems.get_mut(list) {
            if problems.len() < MAX_PROBLEMS {
                problems.push(problem);
            }
        }
    }

    pub fn note(&mut self, note: String) {
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    /// A row whose time is local (or carries its own offset).
    pub fn push(&mut self, line: u64, raw_time: &str, event: Event) {
        self.push_stamp(line, raw_time, Item::Event(event), false);
    }

    /// A row whose time is UTC though written without a zone (EvtxECmd).
    pub fn push_utc(&mut self, line: u64, raw_time: &str, event: Event) {
        self.push_stamp(line, raw_time, Item::Event(event), true);
    }

    /// A row of a count (`counts_only`): what it is counted under; `utc` as for `push_utc`.
    pub fn push_key(
        &mut self,
        line: u64,
        raw_time: &str,
        (channel, provider, event_id): (&str, &str, u32),
        utc: bool,
    ) {
        let item = match &mut self.keep {
            Keep::Counts(tally) => Item::Key(tally.key(channel, provider, event_id)),
            Keep::Events(_) => {
                let mut e = self.event();
                e.channel = channel.to_string();
                e.provider = provider.to_string();
                e.event_id = event_id;
                Item::Event(e)
            }
        };
        self.push_stamp(line, raw_time, item, utc);
    }

    fn push_stamp(&mut self, line: u64, raw_time: &str, item: Item, utc: bool) {
        let parsed = parse_stamp(raw_time).and_then(|(stamp, twelve)| match stamp {
            Stamp::Local(n) if utc => Ok((Stamp::Utc(n.and_utc()), twelve)),
            Stamp::Numeric { .. } if utc => Err("a UTC time must be year first".to_string()),
            _ => Ok((stamp, twelve)),
        });
        let (stamp, twelve_hour) = match parsed {
            Ok(parsed) => parsed,
            Err(why) => {
                return self.skip(format!("line {line}: time {raw_time:?} not read: {why}"))
            }
        };
        self.evidence.observe(line, raw_time, &stamp, twelve_hour);
        if self.order.is_none() {
            // The first value over 12 decides; should the other order turn up too, `finish`
            // fails the whole file, so nothing placed by this order is ever seen.
            self.order = self.evidence.decided();
            if self.order.is_some() && !self.pending.is_empty() {
                self.pending.push(Row {
                    line,
                    raw: raw_time.trim().to_string(),
                    stamp,
                    item,
                });
                return self.place_pending();
            }
        }
        if !self.pending.is_empty() {
            self.pending.push(Row {
                line,
                raw: raw_time.trim().to_string(),
                stamp,
                item,
            });
            return;
        }
        if let Some(item) = self.place(line, raw_time.trim(), &stamp, item) {
            self.pending.push(Row {
                line,
                raw: raw_time.trim().to_string(),
                stamp,
                item,
            });
        }
    }

    /// Places the waiting rows that can be, in order, until one must still wait.
    fn place_pending(&mut self) {
        let mut rows = std::mem::take(&mut self.pending).into_iter();
        while let Some(row) = rows.next() {
            if let Some(item) = self.place(row.line, &row.raw, &row.stamp, row.item) {
                self.pending.push(Row { item, ..row });
                self.pending.extend(rows);
                return;
            }
        }
    }

    /// Places a row (or skips it, for a date that is none or a time a DST change skipped); gives
    /// the item back when its time cannot be known before the whole file is read.
    fn place(&mut self, line: u64, raw: &str, stamp: &Stamp, item: Item) -> Option<Item> {
        let order = match stamp {
            Stamp::Numeric { .. } => match self.order {
                Some(order) => order,
                None => return Some(item),
            },
            _ => DateOrder::Ymd,
        };
        let Some(t) = resolve(stamp, order) else {
            self.skip_late(
                0,
                format!(
                    "line {line}: {raw:?} is not a date when read {}",
                    order_name(order)
                ),
            );
            return None;
        };
        let naive = match t {
            Ok(utc) => {
                self.emit(utc, item);
                return None;
            }
            Err(naive) => naive,
        };
        match self.clock.to_utc_unless_ambiguous(naive) {
            Some(utc) => {
                self.local_time(line, raw, naive, utc, item);
                None
            }
            // A repeated hour: which pass it is waits for the whole file's direction.
            None => Some(item),
        }
    }

    /// A local time converted: counted for the file's direction and the zone note, then placed.
    fn local_time(
        &mut self,
        line: u64,
        raw: &str,
        naive: NaiveDateTime,
        utc: Option<DateTime<Utc>>,
        item: Item,
    ) {
        let (back, forward, prev) = &mut self.steps;
        match prev {
            Some(p) if naive < *p => *back += 1,
            Some(p) if naive > *p => *forward += 1,
            _ => {}
        }
        *prev = Some(naive);
        self.local_count += 1;
        match utc {
            Some(utc) => self.emit(utc, item),
            None => self.skip_late(
                1,
                format!(
                    "line {line}: local time {raw} does not exist in {} (skipped by a DST change)",
                    self.opts.input_tz
                ),
            ),
        }
    }

    fn emit(&mut self, time: DateTime<Utc>, item: Item) {
        self.read += 1;
        if self.first.is_none_or(|f| time < f) {
            self.first = Some(time);
        }
        if self.last.is_none_or(|l| time > l) {
            self.last = Some(time);
        }
        match (item, &mut self.keep) {
            (Item::Key(key), Keep::Counts(tally)) => tally.add(key, time),
            (Item::Event(mut e), keep) => {
                e.time = time;
                keep.event(e);
            }
            (Item::Key(_), Keep::Events(_)) => {}
        }
    }

    /// `header`: the date order the header's language tells, and the language's name. Places
    /// the rows still waiting, now that the whole file is read.
    pub fn finish(mut self, header: Option<(DateOrder, &str)>) -> Result<ExportRead<Keep<'a>>> {
        let opts = self.opts;
        let (order, note) = if self.evidence.numeric > 0 {
            self.evidence.decide(&self.path, opts.date_order, header)?
        } else {
            (DateOrder::Ymd, None)
        };
        if let Some(note) = note {
            self.notes.push(note);
        }
        self.order = Some(order);
        let rows = std::mem::take(&mut self.pending);
        let mut local = Vec::with_capacity(rows.len());
        for row in rows {
            match resolve(&row.stamp, order) {
                Some(t) => local.push((t, row)),
                None => self.skip_late(
                    0,
                    format!(
                        "line {}: {:?} is not a date when read {}",
                        row.line,
                        row.raw,
                        order_name(order)
                    ),
                ),
            }
        }
        // The direction of every local time of the file: those placed, then those waiting.
        let (mut back, mut forward, mut prev) = self.steps;
        for naive in local.iter().filter_map(|(t, _)| t.as_ref().err()) {
            match prev {
                Some(p) if *naive < p => back += 1,
                Some(p) if *naive > p => forward += 1,
                _ => {}
            }
            prev = Some(*naive);
        }
        self.clock.set_descending(back > forward);
        for (t, row) in local {
            match t {
                Ok(utc) => self.emit(utc, row.item),
                Err(naive) => {
                    let utc = self.clock.to_utc(naive);
                    self.local_time(row.line, &row.raw, naive, utc, row.item);
                }
            }
        }
        if self.local_count > 0 {
            self.notes.push(format!(
                "{}: {} times carry no zone: read as {} (give --input-tz if wrong)",
                self.path.display(),
                self.local_count,
                opts.input_tz
            ));
        }
        self.notes.extend(self.clock.note());
        let mut problems = self.problems;
        for late in self.late_problems {
            problems.extend(late);
        }
        problems.truncate(MAX_PROBLEMS);
        let report = InputReport {
            path: self.path.display().to_string(),
            kind: crate::model::InputKind::EventExport(crate::model::ExportKind::Text(self.kind)),
            records_read: self.read,
            records_skipped: self.skipped,
            copies_merged: 0,
            problems,
            first: self.first,
            last: self.last,
            failed: false,
        };
        Ok(ExportRead {
            events: self.keep,
            report,
            notes: self.notes,
        })
    }
}
