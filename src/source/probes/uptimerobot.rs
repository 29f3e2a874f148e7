//! UptimeRobot's logs -> state series: the dashboard CSV (headerless `Event,Monitor,Date-Time,
//! Reason,Duration` rows in the account's zone, newest first, or the newer export with a header and
//! a Monitor URL column) and the API's `getMonitors` JSON with `logs[]` (epoch seconds).
use self::row_cells::{plain_cells, LineCells};
use super::line_blocks::{
    newest_first, parse_bytes_in_order, utf8_or_decoded, Block, Cut, Interned, NotUtf8, Split,
};
use super::states::{target, StatesBuilder};
use super::store::ProbeStoreRead;
use crate::error::{Error, Result};
use crate::model::ProbeState;
use crate::timefmt::{trim_plain, HourReadings, Reading, RepeatedHour, Zone};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use std::path::Path;

pub const KIND_CSV: super::StoreKind = super::StoreKind::UptimeRobotCsv;
pub const KIND_JSON: super::StoreKind = super::StoreKind::UptimeRobotJson;

/// The dashboard's event words.
fn event_state(word: &str) -> Option<ProbeState> {
    match word.trim().to_ascii_lowercase().as_str() {
        "up" => Some(ProbeState::Up),
        "down" | "err" | "error" => Some(ProbeState::Down),
        // The record begins: UptimeRobot logs a Down right after it when the first check fails,
        // so a start is up until then.
        "started" => Some(ProbeState::Up),
        "paused" | "pending" | "unknown" => Some(ProbeState::Unknown),
        "maintenance" => Some(ProbeState::Maintenance),
        _ => None,
    }
}

/// The API's log types.
fn type_state(code: i64) -> Option<(&'static str, ProbeState)> {
    match code {
        1 => Some(("down", ProbeState::Down)),
        2 => Some(("up", ProbeState::Up)),
        98 => Some(("started", ProbeState::Up)),
        99 => Some(("paused", ProbeState::Unknown)),
        _ => None,
    }
}

/// `15-08-2011 16:58:03` (the dashboard's day-first date).
fn dashboard_time(text: &str) -> Option<NaiveDateTime> {
    let s = trim_plain(text);
    if let Some(t) = exact_dashboard_time(s) {
        return Some(t);
    }
    ["%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%Y-%m-%d %H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
}

/// `DD-MM-YYYY HH:MM:SS` written with every digit, as the dashboard does, read by position
/// (chrono's format parser costs more than the rest of a row); anything else is `None` and
/// goes through the formats.
fn exact_dashboard_time(s: &str) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    if !dashboard_shape(b) {
        return None;
    }
    let date = chrono::NaiveDate::from_ymd_opt(
        digits(&b[6..10])? as i32,
        digits(&b[3..5])?,
        digits(&b[..2])?,
    )?;
    date.and_hms_opt(
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    )
}

/// `DD-MM-YYYY HH:MM:SS`'s separators where they belong.
fn dashboard_shape(b: &[u8]) -> bool {
    b.len() == 19 && [b[2], b[5], b[10], b[13], b[16]] == *b"-- ::"
}

/// ASCII digits as a number; `None` for anything else.
fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |n, d| {
        d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
    })
}

/// [`dashboard_time`] for a column's many cells: the day of the cell before remembered when it
/// was read by position (rows share days; `from_ymd_opt` per row was a tenth of a row's parse).
#[derive(Default)]
struct DashboardTimes {
    day: Option<([u8; 10], chrono::NaiveDate)>,
}

impl DashboardTimes {
    fn read(&mut self, text: &str) -> Option<NaiveDateTime> {
        let s = trim_plain(text);
        let b = s.as_bytes();
        if dashboard_shape(b) {
            if let Some((day, date)) = self.day {
                let time = || {
                    date.and_hms_opt(
                        digits(&b[11..13])?,
                        digits(&b[14..16])?,
                        digits(&b[17..19])?,
                    )
                };
                if b[..10] == day {
                    if let Some(t) = time() {
                        return Some(t);
                    }
                }
            }
            if let Some(t) = exact_dashboard_time(s) {
                self.day = b[..10].try_into().ok().map(|day| (day, t.date()));
                return Some(t);
            }
        }
        dashboard_time(s)
    }
}

/// Columns of the dashboard CSV: by header name, or the headerless order.
#[derive(Debug, Clone, Copy)]
struct Columns {
    event: usize,
    monitor: usize,
    url: Option<usize>,
    time: usize,
    duration: Option<usize>,
    /// `Duration (in mins.)`: a number of minutes.
    minutes: bool,
}

const HEADERLESS: Columns = Columns {
    event: 0,
    monitor: 1,
    url: None,
    time: 2,
    duration: Some(4),
    minutes: false,
};

fn header_columns(cells: &[String]) -> Option<Columns> {
    let norm: Vec<String> = cells
        .iter()
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    let pos = |want: &dyn Fn(&str) -> bool| norm.iter().position(|c| want(c));
    let duration = pos(&|c| c.starts_with("duration"));
    Some(Columns {
        event: pos(&|c| c == "event")?,
        monitor: pos(&|c| c == "monitor" || c == "monitor name")?,
        url: pos(&|c| c == "monitor url" || c == "url"),
        time: pos(&|c| c == "date-time" || c == "datetime" || c == "date time")?,
        duration,
        minutes: duration.is_some_and(|i| norm[i].contains("min")),
    })
}

/// The cells of one CSV line (quotes as the dashboard writes them).
fn cells(line: &str) -> Vec<String> {
    LineCells::new().cells(line)
}

/// The first line is the dashboard export's header, or one of its headerless rows.
pub fn sniff_csv(head: &[u8]) -> bool {
    let text = crate::source::text::decode_head(head);
    let Some(first) = text.lines().map(str::trim).find(|l| !l.is_empty()) else {
        return false;
    };
    let c = cells(first);
    if header_columns(&c).is_some() {
        return true;
    }
    c.len() >= 4
        && event_state(&c[0]).is_some()
        && c.get(2).and_then(|t| dashboard_time(t)).is_some()
}

/// A JSON object with `monitors` whose entries have `logs`.
pub fn sniff_json(head: &[u8]) -> bool {
    let text = crate::source::text::decode_head(head);
    let t = text.trim_start();
    t.starts_with('{')
        && t.contains("\"monitors\"")
        && t.contains("\"logs\"")
        && (t.contains("\"friendly_name\"") || t.contains("\"datetime\""))
}

/// One row, parsed; its event word and monitor are indices into the file's lists of them (a
/// file of a million rows has a handful of each), its time read in the zone on a worker.
struct Row {
    line: usize,
    word: u32,
    monitor: u32,
    local: NaiveDateTime,
    reading: Option<Reading>,
    duration: Lasted,
}

/// The distinct event words and monitors (name and URL) of one file, each read once.
#[derive(Default)]
struct Seen {
    /// Word, its state, and whether the vocabulary knows it (else counted as unknown already).
    words: Vec<(String, ProbeState, bool)>,
    monitors: Vec<(String, Option<String>)>,
    monitor_index: std::collections::HashMap<String, Vec<u32>>,
}

impl Seen {
    /// The word's index.
    fn word(&mut self, word: &str) -> u32 {
        if let Some(i) = self.words.iter().position(|(w, _, _)| w == word) {
            return i as u32;
        }
        let known = event_state(word);
        let state = known.unwrap_or(ProbeState::Unknown);
        self.words.push((word.to_string(), state, known.is_some()));
        (self.words.len() - 1) as u32
    }

    fn monitor(&mut self, name: &str, url: Option<&str>) -> u32 {
        let monitors = &self.monitors;
        let same = |&&i: &&u32| monitors[i as usize].1.as_deref() == url;
        if let Some(&i) = self
            .monitor_index
            .get(name)
            .and_then(|v| v.iter().find(same))
        {
            return i;
        }
        let i = self.monitors.len() as u32;
        self.monitors
            .push((name.to_string(), url.map(str::to_string)));
        self.monitor_index
            .entry(name.to_string())
            .or_default()
            .push(i);
        i
    }
}

/// Reads the dashboard CSV; zone-less times are in `zone` (the account's, from `--input-tz`).
pub fn read_csv(path: &Path, zone: Zone) -> Result<ProbeStoreRead> {
    let bytes = crate::memory::file_bytes(path).map_err(|e| Error::io(path, e))?;
    read_csv_bytes(path, &bytes, zone)
}

pub fn read_csv_bytes(path: &Path, bytes: &[u8], zone: Zone) -> Result<ProbeStoreRead> {
    read_csv_split(path, bytes, zone, Split::of_pool())
}

/// A block's rows (their words and monitors numbered in the block), how often each word came
/// with a readable time, and its damaged rows' problems in line order.
struct RowBlock {
    rows: Vec<Row>,
    words: Interned<String>,
    word_rows: Vec<u64>,
    /// Monitor names and URLs; a monitor is a pair of their numbers (`NO_URL` for none).
    names: Interned<String>,
    urls: Interned<String>,
    monitors: Interned<(u32, u32)>,
    damaged: Vec<String>,
    /// The first and last row's local time (for the file's direction), kept when they are placed.
    ends: Option<(NaiveDateTime, NaiveDateTime)>,
    /// The rows placed in time on the worker, when nothing in them depends on rows before.
    placed: Option<place::Placed>,
    /// The file's numbers of the block's words and monitors.
    file_words: Vec<u32>,
    file_monitors: Vec<u32>,
}

const NO_URL: u32 = u32::MAX;

/// Reads one block's rows (on a worker), the header line left out.
fn parse_rows(block: Block<'_>, columns: Columns, header: Option<usize>, zone: Zone) -> RowBlock {
    let mut out = RowBlock {
        rows: Vec::with_capacity(block.text.len() / 64),
        words: Interned::default(),
        word_rows: Vec::new(),
        names: Interned::default(),
        urls: Interned::default(),
        monitors: Interned::default(),
        damaged: Vec::new(),
        ends: None,
        placed: None,
        file_words: Vec::new(),
        file_monitors: Vec::new(),
    };
    // Made when a line first needs it (building the reader cost more than a block's plain lines).
    let mut line_cells: Option<LineCells> = None;
    let mut quick: Vec<&str> = Vec::new();
    let mut hours = HourReadings::new(zone);
    let mut times = DashboardTimes::default();
    for (line, text) in block.lines() {
        if Some(line) == header || text.trim().is_empty() {
            continue;
        }
        let plain = plain_cells(text, &mut quick);
        let c = if plain {
            None
        } else {
            line_cells.get_or_insert_with(LineCells::new).record(text)
        };
        let cell = |i: usize| {
            let cell = if plain {
                quick.get(i).copied()
            } else {
                c.and_then(|c| c.get(i))
            };
            cell.map(trim_plain).unwrap_or("")
        };
        let Some(local) = times.read(cell(columns.time)) else {
            out.damaged.push(format!(
                "line {line}: no Date-Time (DD-MM-YYYY HH:MM:SS) in {:?}",
                cell(columns.time)
            ));
            continue;
        };
        let word = out.words.id_of(cell(columns.event));
        if out.word_rows.len() <= word as usize {
            out.word_rows.push(0);
        }
        out.word_rows[word as usize] += 1;
        let monitor = cell(columns.monitor);
        if monitor.is_empty() {
            out.damaged.push(format!("line {line}: no monitor name"));
            continue;
        }
        let url = columns.url.map(cell).filter(|u| !u.is_empty());
        let pair = (
            out.names.id_of(monitor),
            url.map_or(NO_URL, |u| out.urls.id_of(u)),
        );
        out.rows.push(Row {
            line,
            word,
            monitor: out.monitors.id(pair),
            local,
            reading: hours.reading(local),
            duration: columns.duration.map_or(Lasted::Empty, |i| {
                Lasted::from_cell(cell(i), columns.minutes)
            }),
        });
    }
    place::place_block(&mut out);
    out
}

/// [`read_csv_bytes`], its lines cut and parsed as `split` says.
fn read_csv_split(path: &Path, bytes: &[u8], zone: Zone, split: Split) -> Result<ProbeStoreRead> {
    utf8_or_decoded(bytes, |body| read_body(path, body, zone, split))
        .unwrap_or_else(|NotUtf8| Err(Error::bad_input(path, "not UTF-8 once decoded")))
}

/// The first line that is not blank, with its number, as `states::text_lines` finds it;
/// `NotUtf8` if a line up to it is not UTF-8.
fn first_text_line(body: &[u8]) -> std::result::Result<Option<(usize, &str)>, NotUtf8> {
    for (i, line) in body.split(|&b| b == b'\n').enumerate() {
        let line = simdutf8::basic::from_utf8(line).map_err(|_| NotUtf8)?;
        let line = line.trim_end_matches('\r');
        if !line.trim().is_empty() {
            return Ok(Some((i + 1, line)));
        }
    }
    Ok(None)
}

/// The file's bytes after any BOM; `NotUtf8` when some of them are not UTF-8.
fn read_body(
    path: &Path,
    body: &[u8],
    zone: Zone,
    split: Split,
) -> std::result::Result<Result<ProbeStoreRead>, NotUtf8> {
    let mut b = StatesBuilder::new(path, KIND_CSV);
    let Some((first_line, first)) = first_text_line(body)? else {
        return Ok(Err(Error::bad_input(
            path,
            "empty: no UptimeRobot log rows",
        )));
    };
    let (columns, header) = match header_columns(&cells(first)) {
        Some(c) => {
            b.note("the export with a header (Monitor URL: the URL is the target)");
            (c, Some(first_line))
        }
        None => {
            b.note("the headerless dashboard export: Event, Monitor, Date-Time, Reason, Duration");
            (HEADERLESS, None)
        }
    };
    // The rows of each block, kept apart (not copied into one list).
    let mut blocks: Vec<RowBlock> = Vec::new();
    let mut seen = Seen::default();
    parse_bytes_in_order(
        body,
        1,
        Cut::Lines,
        split,
        |block| parse_rows(block, columns, header, zone),
        |mut block| {
            for problem in block.damaged.drain(..) {
                b.damaged(problem);
            }
            // The block's numbers as the file's.
            block.file_words = (block.words.list.iter().zip(&block.word_rows))
                .map(|(word, &n)| {
                    let i = seen.word(word);
                    if !seen.words[i as usize].2 {
                        b.unknown_word_n(word, n);
                    }
                    i
                })
                .collect();
            block.file_monitors = (block.monitors.list.iter())
                .map(|&(name, url)| {
                    let url = block.urls.list.get(url as usize).map(String::as_str);
                    seen.monitor(&block.names.list[name as usize], url)
                })
                .collect();
            blocks.push(block);
        },
    )?;
    // Newest first as exported: the order decides repeated DST hours.
    let descending = newest_first(blocks.iter().map(|block| block.ends));
    let mut hour = RepeatedHour::default();
    let timed = place::place_all(&mut b, &mut blocks, &mut hour, descending, zone);
    b.note_zone(zone, timed > 0, "the account's zone");
    if let Some(n) = hour.note(zone, "UptimeRobot events") {
        b.note(n);
    }
    if descending {
        b.note("newest first, as the dashboard exports: read in time order");
    }
    place::add_edges(&mut b, &seen, &mut blocks, descending);
    Ok(Ok(b.finish()))
}

#[derive(Deserialize)]
struct ApiAnswer {
    monitors: Vec<ApiMonitor>,
}

#[derive(Deserialize)]
struct ApiMonitor {
    #[serde(default)]
    friendly_name: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    id: Option<serde_json::Value>,
    #[serde(default)]
    logs: Vec<serde_json::Value>,
}

/// Reads the API's `getMonitors` answer (with `logs=1`).
pub fn read_json(path: &Path) -> Result<ProbeStoreRead> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    read_json_bytes(path, &bytes)
}

pub fn read_json_bytes(path: &Path, bytes: &[u8]) -> Result<ProbeStoreRead> {
    let answer: ApiAnswer = super::states::parse_json(path, bytes, "UptimeRobot getMonitors")?;
    let mut b = StatesBuilder::new(path, KIND_JSON);
    b.note("UptimeRobot API logs: type 1 down, 2 up, 98 started, 99 paused; epoch seconds");
    let mut rows: Vec<(usize, DateTime<Utc>, ProbeState, Lasted, String)> = Vec::new();
    for (mi, m) in answer.monitors.iter().enumerate() {
        let name = m
            .friendly_name
            .clone()
            .or_else(|| m.id.as_ref().map(|v| format!("monitor {v}")))
            .unwrap_or_else(|| format!("monitor #{}", mi + 1));
        let what = m
            .url
            .clone()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| name.clone());
        let s = b.series(&name, target(&what, None));
        for (li, log) in m.logs.iter().enumerate() {
            let at = format!("monitors[{mi}].logs[{li}]");
            let Some(code) = log.get("type").and_then(serde_json::Value::as_i64) else {
                b.damaged(format!("{at}: no numeric type"));
                continue;
            };
            let Some(t) = log
                .get("datetime")
                .and_then(serde_json::Value::as_i64)
                .and_then(|s| DateTime::from_timestamp(s, 0))
            else {
                b.damaged(format!("{at}: no epoch datetime"));
                continue;
            };
            let state = match type_state(code) {
                Some((word, state)) => {
                    b.read(&format!("type {code} ({word})"), state);
                    state
                }
                None => {
                    b.unknown_word(&format!("type {code}"));
                    ProbeState::Unknown
                }
            };
            let duration = Lasted::from_json(log.get("duration"));
            rows.push((s, t, state, duration, at));
        }
    }
    rows.sort_by_key(|r| r.1);
    let mut newest = std::collections::HashMap::new();
    for (s, t, state, duration, at) in rows {
        b.edge(s, t, state, u32::from(state == ProbeState::Down));
        newest.insert(s, (t, duration, at));
    }
    for (s, (t, duration, at)) in newest {
        end_newest(&mut b, s, t, duration, || at);
    }
    Ok(b.finish())
}

#[path = "uptimerobot_duration.rs"]
mod duration;
use duration::end_newest;
pub use duration::{parse_duration, Lasted};

#[path = "uptimerobot_cells.rs"]
mod row_cells;

#[path = "uptimerobot_place.rs"]
mod place;

#[cfg(test)]
#[path = "uptimerobot_tests.rs"]
mod tests;
