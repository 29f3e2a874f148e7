//! Rows of a probe export turned into checks: the columns in use, read in parallel over row
//! ranges. Status words and probe names repeat on every row, so each range remembers the ones it
//! has read rather than reading them again. A series is one probe, or one (target, vantage).
use super::detect::LatencyUnit;
use super::vocab::{self, Said};
use crate::model::Check;
use crate::source::probes::store::Counted;
use crate::timefmt::{parse_reading, trim_cell, trim_plain, Reading, Zone};
use chrono::{DateTime, Utc};
use polars::prelude::*;
use rayon::prelude::*;
use std::collections::HashMap;

/// One chunk of a text column, as polars holds it.
type TextArray = <StringType as PolarsDataType>::Array;

/// Problem lines kept per file (the skipped count is complete).
pub const SHOWN_PROBLEMS: usize = 5;
/// Rows below which a frame is read on one thread (splitting costs more than it saves).
const PARALLEL_MIN_ROWS: usize = 20_000;

/// Which columns hold what, and how to read them.
#[derive(Debug, Clone)]
pub struct Plan {
    pub time: usize,
    /// The column naming each series: the probe; the target in a file of several targets; or
    /// the vantage when only that is pinned.
    pub probe: Option<usize>,
    /// The vantage column beside a target column: series are per (target, vantage).
    pub vantage: Option<usize>,
    pub status: Option<usize>,
    pub latency: Option<usize>,
    pub unit: LatencyUnit,
    pub timeout_ms: f64,
    pub zone: Zone,
    /// Probe name when there is no probe column (the file's stem).
    pub default_name: String,
    /// Uptime Kuma's heartbeat table (`monitor_id`, `important` columns): status 2 is pending
    /// (neither up nor down) and 3 maintenance, as in its database.
    pub kuma_codes: bool,
}

/// The checks of one series (one probe, or one target from one vantage).
#[derive(Debug)]
pub struct Series {
    /// The probe name, or the target (what `Plan::probe` holds).
    pub label: String,
    /// The vantage, when the file has a vantage column beside its targets.
    pub vantage: Option<String>,
    pub checks: Vec<Check>,
    /// Times of the rows that said maintenance (planned downtime), in the file's order.
    pub maintenance: Vec<DateTime<Utc>>,
}

impl Series {
    fn is(&self, label: &str, vantage: Option<&str>) -> bool {
        self.label == label && self.vantage.as_deref() == vantage
    }

    /// How the series is called in notes: `label`, or `label @ vantage`.
    pub fn shown(&self) -> String {
        match &self.vantage {
            Some(v) => format!("{} @ {v}", self.label),
            None => self.label.clone(),
        }
    }
}

/// Rows turned into checks, per series in order of first appearance.
#[derive(Debug, Default)]
pub struct Rows {
    pub series: Vec<Series>,
    /// Rows that became checks or maintenance.
    pub read: u64,
    /// Rows whose status says neither up nor down (pending, paused), by word: no check, not
    /// skipped either (the row was understood), said in the notes.
    pub neither: Counted,
    /// Rows skipped for a status word outside the vocabulary, by word (also in `skipped`).
    pub unknown: Counted,
    pub skipped: u64,
    /// (0-based row of the frame, reason) for the first few skipped rows.
    pub problems: Vec<(usize, String)>,
    /// Checks whose zone-less time fell in a repeated DST hour: (series, check, later instant);
    /// the file's order decides between the two instants once every row is read.
    pub ambiguous: Vec<(usize, usize, DateTime<Utc>)>,
}

impl Rows {
    /// Reserves room for about `total_rows` rows, shared among the probes as they share these
    /// rows, so the checks of a long export are not copied at every doubling. Room never written
    /// costs address space, not memory.
    pub fn reserve_for(&mut self, total_rows: u64) {
        let seen = self.read.max(1) as f64;
        for s in &mut self.series {
            let share = s.checks.len() as f64 / seen;
            let want = (total_rows as f64 * share * 1.1) as usize;
            s.checks.reserve(want.saturating_sub(s.checks.len()));
        }
    }

    /// Appends `other`, whose rows come after this one's.
    pub fn append(&mut self, mut other: Rows) {
        if self.series.is_empty() {
            // Nothing to add onto: take the lists as they are rather than copy them.
            std::mem::swap(&mut self.series, &mut other.series);
            self.ambiguous.append(&mut other.ambiguous);
        }
        self.read += other.read;
        self.skipped += other.skipped;
        self.neither.merge(std::mem::take(&mut other.neither));
        self.unknown.merge(std::mem::take(&mut other.unknown));
        let room = SHOWN_PROBLEMS.saturating_sub(self.problems.len());
        self.problems.extend(other.problems.into_iter().take(room));
        let mut index: HashMap<(String, Option<String>), usize> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| ((s.label.clone(), s.vantage.clone()), i))
            .collect();
        // Where each of `other`'s series lands here, and how many checks were there before it.
        let mut landing = Vec::with_capacity(other.series.len());
        for series in other.series {
            let key = (series.label.clone(), series.vantage.clone());
            match index.get(&key) {
                Some(&i) => {
                    landing.push((i, self.series[i].checks.len()));
                    self.series[i].checks.extend(series.checks);
                    self.series[i].maintenance.extend(series.maintenance);
                }
                None => {
                    index.insert(key, self.series.len());
                    landing.push((self.series.len(), 0));
                    self.series.push(series);
                }
            }
        }
        for (series, check, later) in other.ambiguous {
            if let Some(&(to, offset)) = landing.get(series) {
                self.ambiguous.push((to, offset + check, later));
            }
        }
    }
}

/// Rows to read: a frame's text columns as polars parsed them, or a quote-free block cut here
/// (`plain.rs`).
pub trait RowSource: Sync {
    /// Records in the source.
    fn height(&self) -> usize;
    /// Calls `each(offset, [time, probe, status, latency, vantage])` for rows `start..start+len`,
    /// in order.
    fn for_each_row(&self, plan: &Plan, start: usize, len: usize, each: impl FnMut(usize, Cells));
    /// Row `row` has a value (not blank) in some column, in use or not.
    fn other_values(&self, row: usize) -> bool;
}

/// A frame's columns, all text.
pub struct Frame<'a>(pub &'a [StringChunked]);

impl RowSource for Frame<'_> {
    fn height(&self) -> usize {
        self.0.first().map_or(0, |c| c.len())
    }

    fn for_each_row(&self, plan: &Plan, start: usize, len: usize, each: impl FnMut(usize, Cells)) {
        RangeColumns::new(plan, self.0, start, len).for_each_row(each);
    }

    fn other_values(&self, row: usize) -> bool {
        self.0
            .iter()
            .any(|c| c.get(row).is_some_and(|v| !v.trim().is_empty()))
    }
}

/// Reads every row of a frame's columns (all text), in parallel over row ranges.
pub fn interpret(plan: &Plan, columns: &[StringChunked]) -> Rows {
    let mut rows = Rows::default();
    rows.problems = interpret_onto(plan, &Frame(columns), &mut rows);
    rows
}

/// Reads every row of `source` onto the end of `total`: each range's checks are copied once,
/// straight onto its probe's list. Gives the source's first problems (row of the source,
/// reason); `total.problems` is left alone.
pub fn interpret_onto(
    plan: &Plan,
    source: &impl RowSource,
    total: &mut Rows,
) -> Vec<(usize, String)> {
    let height = source.height();
    let parts = if height < PARALLEL_MIN_ROWS {
        1
    } else {
        rayon::current_num_threads() * 4
    };
    let step = height.div_ceil(parts.max(1)).max(1);
    let ranges: Vec<(usize, usize)> = (0..height)
        .step_by(step)
        .map(|start| (start, step.min(height - start)))
        .collect();
    let parts: Vec<Rows> = ranges
        .into_par_iter()
        .map(|(start, len)| interpret_range(plan, source, start, len))
        .collect();
    let mut problems = Vec::new();
    for mut part in parts {
        problems.append(&mut part.problems);
        total.append(part);
    }
    problems.truncate(SHOWN_PROBLEMS);
    problems
}

/// The used columns of one row range, cut into pieces that line up: the columns of one polars
/// parse share their chunk boundaries, so the arrays are walked side by side (cheaper than a
/// flattening iterator per column); columns that do not line up are first made one chunk each.
struct RangeColumns {
    /// time, probe, status, latency, vantage; `None` for a column not in use.
    columns: [Option<StringChunked>; 5],
}

/// One row's cells: time, probe (or target), status, latency, vantage.
pub type Cells<'a> = [Option<&'a str>; 5];

impl RangeColumns {
    fn new(plan: &Plan, columns: &[StringChunked], start: usize, len: usize) -> Self {
        let slice = |i: usize| columns[i].slice(start as i64, len);
        let mut columns = [
            Some(slice(plan.time)),
            plan.probe.map(slice),
            plan.status.map(slice),
            plan.latency.map(slice),
            plan.vantage.map(slice),
        ];
        let lengths = |c: &StringChunked| c.chunk_lengths().collect::<Vec<_>>();
        let first = columns[0].as_ref().map(lengths);
        if columns.iter().flatten().any(|c| Some(lengths(c)) != first) {
            for c in columns.iter_mut().flatten() {
                *c = c.rechunk().into_owned();
            }
        }
        RangeColumns { columns }
    }

    /// Calls `each(offset, [time, probe, status, latency, vantage])` for every row, in order.
    fn for_each_row(&self, mut each: impl FnMut(usize, Cells)) {
        let arrays: Vec<Option<Vec<&TextArray>>> = self
            .columns
            .iter()
            .map(|c| c.as_ref().map(|c| c.downcast_iter().collect()))
            .collect();
        let chunks = arrays[0].as_ref().map_or(0, |a| a.len());
        let mut offset = 0;
        for k in 0..chunks {
            let piece = |i: usize| arrays[i].as_ref().map(|a| a[k]);
            let [time, probe, status, latency, vantage] =
                [piece(0), piece(1), piece(2), piece(3), piece(4)];
            let rows = time.map_or(0, |a| a.len());
            for i in 0..rows {
                let cells = [
                    cell(time, i),
                    cell(probe, i),
                    cell(status, i),
                    cell(latency, i),
                    cell(vantage, i),
                ];
                each(offset + i, cells);
            }
            offset += rows;
        }
    }
}

/// Row `i` of a chunk, when the column is in use and the cell is not null.
fn cell(a: Option<&TextArray>, i: usize) -> Option<&str> {
    a.and_then(|a| a.get(i))
}

fn interpret_range(plan: &Plan, source: &impl RowSource, start: usize, len: usize) -> Rows {
    let mut rows = Rows::default();
    let mut reader = RowReader::new(plan);
    // A label to its series (one per vantage beside a target column).
    let mut index: HashMap<String, Vec<usize>> = HashMap::new();
    let mut last: Option<usize> = None;
    source.for_each_row(plan, start, len, |offset, cells| {
        let blank = |c: Option<&str>| c.is_none_or(|c| c.trim().is_empty());
        let outcome = if cells.iter().all(|c| blank(*c)) {
            // A blank line is no record (a line the repair dropped is counted there); a row
            // with values only in columns not in use is a record that gives no check.
            if !source.other_values(start + offset) {
                return;
            }
            Err("no value in the columns in use".to_string())
        } else {
            reader.read(cells)
        };
        match outcome {
            Ok((_, Row::Neither(word))) => rows.neither.add(word),
            Ok((_, Row::Unknown(word))) => {
                rows.unknown.add(word);
                rows.skipped += 1;
                if rows.problems.len() < SHOWN_PROBLEMS {
                    let reason = format!("status {word:?} is neither up nor down");
                    rows.problems.push((start + offset, reason));
                }
            }
            Ok(((name, vantage), row)) => {
                rows.read += 1;
                // Consecutive rows are often the same probe: check the last one first.
                let known = last
                    .filter(|&i| rows.series[i].is(name, vantage))
                    .or_else(|| {
                        let few = rows.series.len() <= FEW_PROBES;
                        few.then(|| rows.series.iter().position(|s| s.is(name, vantage)))
                            .flatten()
                    })
                    .or_else(|| {
                        let mine = index.get(name)?;
                        mine.iter()
                            .copied()
                            .find(|&i| rows.series[i].vantage.as_deref() == vantage)
                    });
                let i = match known {
                    Some(i) => i,
                    None => {
                        let i = rows.series.len();
                        index.entry(name.to_string()).or_default().push(i);
                        // Room for the rest of the range: no regrowth (a range is a few
                        // hundred KB of checks at most, freed once appended).
                        rows.series.push(Series {
                            label: name.to_string(),
                            vantage: vantage.map(str::to_string),
                            checks: Vec::with_capacity(len - offset),
                            maintenance: Vec::new(),
                        });
                        i
                    }
                };
                last = Some(i);
                match row {
                    Row::Check(check, later) => {
                        if let Some(later) = later {
                            rows.ambiguous.push((i, rows.series[i].checks.len(), later));
                        }
                        rows.series[i].checks.push(check);
                    }
                    // A zone-less time in a repeated hour: its first instant (maintenance
                    // rows are not placed by the file's order as checks are).
                    Row::Maintenance(time) => rows.series[i].maintenance.push(time),
                    Row::Neither(_) | Row::Unknown(_) => {}
                }
            }
            Err(reason) => {
                rows.skipped += 1;
                if rows.problems.len() < SHOWN_PROBLEMS {
                    rows.problems.push((start + offset, reason));
                }
            }
        }
    });
    rows
}

/// What one row gave.
enum Row<'r> {
    /// A check, and the later instant of a zone-less time in a repeated DST hour.
    Check(Check, Option<DateTime<Utc>>),
    /// A row of planned downtime, at its time.
    Maintenance(DateTime<Utc>),
    /// A status word that says neither up nor down.
    Neither(&'r str),
    /// A status word outside the vocabulary: the row is skipped, the word counted.
    Unknown(&'r str),
}

/// Reads one row at a time, remembering the status words it has seen.
struct RowReader<'a> {
    plan: &'a Plan,
    statuses: Vec<(String, Option<Said>)>,
    /// The last time cell read, and what it gave: exports of several probes write each tick's
    /// time on a row per probe.
    last_time: (String, Option<Reading>),
}

/// Probes looked up by a scan rather than a hash (exports interleave a few probes row by row).
const FEW_PROBES: usize = 8;
/// Distinct status words remembered per range (exports use a handful).
const STATUS_CACHE: usize = 32;

impl<'a> RowReader<'a> {
    fn new(plan: &'a Plan) -> Self {
        RowReader {
            plan,
            statuses: Vec::new(),
            last_time: (String::new(), None),
        }
    }

    fn status(&mut self, text: &str) -> Option<Said> {
        if let Some((_, v)) = self.statuses.iter().find(|(s, _)| s == text) {
            return *v;
        }
        let v = match text.trim() {
            "2" if self.plan.kuma_codes => Some(Said::Neither),
            "3" if self.plan.kuma_codes => Some(Said::Maintenance),
            _ => vocab::parse_said(text),
        };
        if self.statuses.len() < STATUS_CACHE {
            self.statuses.push((text.to_string(), v));
        }
        v
    }

    /// One row: its series' label and vantage, and what it gave.
    #[allow(clippy::type_complexity)]
    fn read<'r>(
        &mut self,
        [time, probe, status, latency, vantage]: Cells<'r>,
    ) -> Result<((&'r str, Option<&'r str>), Row<'r>), String>
    where
        'a: 'r,
    {
        let plan = self.plan;
        let time_text = time.map(trim_cell).unwrap_or("");
        if time_text.is_empty() {
            return Err("no time".to_string());
        }
        if self.last_time.0 != time_text {
            self.last_time.0.clear();
            self.last_time.0.push_str(time_text);
            self.last_time.1 = parse_reading(time_text, plan.zone);
        }
        let reading = self.last_time.1.ok_or_else(|| {
            let text = time.unwrap_or("").trim();
            format!("cannot read time {text:?}")
        })?;
        let name = match (plan.probe, probe.map(trim_plain)) {
            (None, _) => plan.default_name.as_str(),
            (Some(_), Some(n)) if !n.is_empty() => n,
            (Some(_), _) => return Err("no probe name".to_string()),
        };
        let vantage = match (plan.vantage, vantage.map(trim_plain)) {
            (None, _) => None,
            (Some(_), Some(v)) if !v.is_empty() => Some(v),
            (Some(_), _) => return Err("no vantage".to_string()),
        };
        let latency_value = vocab::parse_latency(latency);
        let latency_ms = latency_value
            .ok()
            .flatten()
            .map(|v| v * plan.unit.ms_per_unit);
        let status_text = status.map(trim_plain).filter(|s| !s.is_empty());
        let ok = match (status_text, plan.latency.is_some()) {
            (Some(s), _) => match self.status(s) {
                Some(Said::Check(ok)) => ok,
                Some(Said::Maintenance) => {
                    return Ok(((name, vantage), Row::Maintenance(reading.time)))
                }
                Some(Said::Neither) => return Ok(((name, vantage), Row::Neither(s))),
                None => return Ok(((name, vantage), Row::Unknown(s))),
            },
            (None, true) if plan.status.is_some() && latency.is_none() => {
                return Err("no status and no latency".to_string());
            }
            (None, true) => {
                if latency_value.is_err() {
                    let text = latency.unwrap_or("").trim();
                    return Err(format!("cannot read latency {text:?}"));
                }
                latency_ms.is_some_and(|ms| ms < plan.timeout_ms)
            }
            (None, false) => return Err("no status".to_string()),
        };
        let check = Check::new(reading.time, ok, latency_ms.map(|ms| ms as f32));
        Ok(((name, vantage), Row::Check(check, reading.later)))
    }
}

/// Places the checks whose zone-less time fell in a repeated DST hour, probe by probe in the
/// file's order (before any sort); one note per probe that had such checks.
pub(super) fn resolve_repeated_hours(rows: &mut Rows, zone: Zone) -> Vec<String> {
    let mut ambiguous = std::mem::take(&mut rows.ambiguous);
    ambiguous.sort_by_key(|&(series, check, _)| (series, check));
    let mut notes = Vec::new();
    for (series, s) in rows.series.iter_mut().enumerate() {
        let checks = &mut s.checks;
        let start = ambiguous.partition_point(|a| a.0 < series);
        let end = ambiguous.partition_point(|a| a.0 <= series);
        let mine = &ambiguous[start..end];
        if mine.is_empty() {
            continue;
        }
        // The file's direction: most steps between neighbours (one jump, e.g. to another
        // day appended at the end, does not turn it).
        let (up, down) = checks.windows(2).fold((0u64, 0u64), |(up, down), w| {
            match w[1].time.cmp(&w[0].time) {
                std::cmp::Ordering::Greater => (up + 1, down),
                std::cmp::Ordering::Less => (up, down + 1),
                std::cmp::Ordering::Equal => (up, down),
            }
        });
        let descending = down > up;
        let mut hour = crate::timefmt::RepeatedHour::default();
        let mut next = mine.iter().peekable();
        for (i, check) in checks.iter_mut().enumerate() {
            let later = next.next_if(|a| a.1 == i).map(|a| a.2);
            let time = hour.resolve(
                crate::timefmt::Reading {
                    time: check.time,
                    later,
                },
                descending,
            );
            *check = Check::new(time, check.ok(), check.latency_ms());
        }
        notes.extend(hour.note(zone, &format!("checks of {}", s.shown())));
    }
    notes
}
