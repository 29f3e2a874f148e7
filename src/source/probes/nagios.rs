//! Nagios / Icinga 1 `nagios.log` -> state series per host and host;service: HARD problems are
//! down from their first failed (SOFT 1) attempt, SOFT problems that recover are blips, WARNING is
//! degraded, UNKNOWN unknown, downtime is maintenance; other log lines are counted, not errors.
use super::line_blocks::{file_text, parse_in_order, Block, Names, Split};
use super::states::StatesBuilder;
use super::store::ProbeStoreRead;
use crate::error::{Error, Result};
use crate::model::ProbeState;
use crate::timefmt::Zone;
use chrono::{DateTime, NaiveDateTime, Utc};
use std::path::Path;

pub const KIND: super::StoreKind = super::StoreKind::NagiosLog;

/// The line kinds read; anything else after a time prefix is a line that is not a probe state.
const ALERTS: [&str; 4] = [
    "SERVICE ALERT: ",
    "HOST ALERT: ",
    "CURRENT SERVICE STATE: ",
    "CURRENT HOST STATE: ",
];
const DOWNTIME: [&str; 2] = ["SERVICE DOWNTIME ALERT: ", "HOST DOWNTIME ALERT: "];
/// Words of a Nagios log's own lines, for sniffing.
const SIGNS: [&str; 4] = [
    "ALERT: ",
    "CURRENT HOST STATE: ",
    "CURRENT SERVICE STATE: ",
    "LOG ROTATION: ",
];

/// What a state word means: the state it is in once confirmed.
fn state_of(word: &str) -> Option<ProbeState> {
    match word {
        "OK" | "UP" => Some(ProbeState::Up),
        "CRITICAL" | "DOWN" | "UNREACHABLE" => Some(ProbeState::Down),
        "WARNING" => Some(ProbeState::Degraded),
        "UNKNOWN" | "PENDING" => Some(ProbeState::Unknown),
        _ => None,
    }
}

/// `[1313452683] ` or `[Tue Jan 12 00:00:32 2016] `: the time and the rest of the line.
fn split_prefix(line: &str, zone: Zone) -> Option<(Option<DateTime<Utc>>, &str)> {
    split_prefix_in(line, zone, &mut EpochDays::default())
}

/// [`split_prefix`], with the day of the last epoch time remembered.
fn split_prefix_in<'a>(
    line: &'a str,
    zone: Zone,
    days: &mut EpochDays,
) -> Option<(Option<DateTime<Utc>>, &'a str)> {
    let rest = line.strip_prefix('[')?;
    // The first `] ` (a byte search: a string searcher per line cost more than the rest).
    let bytes = rest.as_bytes();
    let mut from = 0;
    let close = loop {
        let i = from + bytes[from..].iter().position(|&c| c == b']')?;
        if bytes.get(i + 1) == Some(&b' ') {
            break i;
        }
        from = i + 1;
    };
    let (stamp, body) = (&rest[..close], &rest[close + 2..]);
    if !stamp.is_empty() && stamp.bytes().all(|b| b.is_ascii_digit()) {
        // Digits only: an overflow is a time that cannot be read, as `parse::<i64>` says.
        let secs = stamp.bytes().try_fold(0i64, |n, d| {
            n.checked_mul(10)?.checked_add(i64::from(d - b'0'))
        });
        return Some((secs.and_then(|s| days.time(s)), body));
    }
    let t = NaiveDateTime::parse_from_str(stamp.trim(), "%a %b %e %H:%M:%S %Y")
        .ok()
        .and_then(|n| zone.to_utc(n));
    Some((t, body))
}

/// The UTC midnight of the last epoch day read: the times of a log's lines share a day for
/// thousands of lines, and the date of a day number is the costly part of a timestamp.
#[derive(Default)]
struct EpochDays {
    last: Option<(i64, DateTime<Utc>)>,
}

impl EpochDays {
    /// `DateTime::from_timestamp(secs, 0)`, through the remembered day when it is the same.
    fn time(&mut self, secs: i64) -> Option<DateTime<Utc>> {
        let (day, second) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        let midnight = match self.last {
            Some((d, midnight)) if d == day => midnight,
            _ => {
                let midnight = DateTime::from_timestamp(day.checked_mul(86_400)?, 0)?;
                self.last = Some((day, midnight));
                midnight
            }
        };
        Some(midnight + chrono::TimeDelta::seconds(second))
    }
}

/// A few lines with a time prefix and a Nagios log word.
pub fn sniff(head: &[u8]) -> bool {
    let text = crate::source::text::decode_head(head);
    let mut signs = 0;
    for line in text.lines().take(200) {
        let Some((Some(_), body)) = split_prefix(line.trim_end(), Zone::UTC) else {
            continue;
        };
        if SIGNS.iter().any(|s| body.contains(s)) || body.starts_with("LOG VERSION: ") {
            signs += 1;
        }
    }
    signs >= 1
}

/// A problem not yet confirmed (SOFT) or confirmed (HARD), from its first failed attempt.
#[derive(Debug, Clone, Copy)]
struct Problem {
    start: DateTime<Utc>,
    state: ProbeState,
    attempts: u32,
    hard: bool,
}

/// One target while the log is read.
#[derive(Debug, Default)]
struct Target {
    problem: Option<Problem>,
    /// The state shown before a downtime began (restored when it ends).
    downtime: Option<ProbeState>,
    /// The last state given to the builder.
    shown: Option<ProbeState>,
}

/// Reads a `nagios.log` (or `icinga.log`); bracketed dates are in `zone`.
pub fn read(path: &Path, zone: Zone) -> Result<ProbeStoreRead> {
    let bytes = crate::memory::file_bytes(path).map_err(|e| Error::io(path, e))?;
    read_bytes(path, &bytes, zone)
}

pub fn read_bytes(path: &Path, bytes: &[u8], zone: Zone) -> Result<ProbeStoreRead> {
    read_split(path, bytes, zone, Split::of_pool())
}

/// [`read_bytes`], its lines cut and parsed as `split` says.
fn read_split(path: &Path, bytes: &[u8], zone: Zone, split: Split) -> Result<ProbeStoreRead> {
    let text = file_text(bytes);
    let mut b = StatesBuilder::new(path, KIND);
    b.note(
        "a target is down from its first failed attempt once the problem is HARD; SOFT problems \
         that recover are blips; WARNING is degraded (--warning-is-down makes it down)",
    );
    // Each series' target, by the builder's series index (dense from 0).
    let mut targets: Vec<Target> = Vec::new();
    let mut bracketed = false;
    let mut soft_open = 0u64;
    // Lines are parsed on workers, block by block; their states are followed here in file order.
    parse_in_order(
        &text,
        split,
        |block| parse_block(block, zone),
        |block| {
            bracketed |= block.bracketed;
            if let Some((first, last)) = block.span {
                b.saw(first);
                b.saw(last);
            }
            // The block's names as the builder's series, made when first met in file order.
            let mut series: Vec<Option<usize>> = vec![None; block.names.list.len()];
            let mut series_of = |b: &mut StatesBuilder, local: u32| {
                let slot = &mut series[local as usize];
                *slot.get_or_insert_with(|| {
                    let name = block.names.list[local as usize];
                    b.series_for(name, name)
                })
            };
            // Only counts and sets of words: their order among the block's lines does not show.
            for &(word, st, n) in &block.words {
                b.read_n(word, st, n);
            }
            for &(word, (), n) in &block.unknown {
                b.unknown_word_n(word, n);
            }
            for line in block.lines {
                match line {
                    Parsed::Damaged(why) => b.damaged(why),
                    Parsed::NotProbe => b.not_probe(),
                    Parsed::Downtime { t, series, word } => {
                        let s = series_of(&mut b, series);
                        downtime(&mut b, s, target_of(&mut targets, s), t, word);
                    }
                    Parsed::Alert {
                        t,
                        series,
                        state,
                        hard,
                        attempts,
                        current,
                    } => {
                        let s = series_of(&mut b, series);
                        let tg = target_of(&mut targets, s);
                        alert(&mut b, s, tg, t, state, hard, attempts, current);
                    }
                }
            }
        },
    );
    for (s, tg) in targets.iter_mut().enumerate() {
        if let Some(p) = tg.problem.take().filter(|p| !p.hard) {
            // Neither confirmed nor recovered in the file: unknown from its first attempt.
            soft_open += 1;
            show(&mut b, s, tg, p.start, ProbeState::Unknown, 0);
        }
    }
    if soft_open > 0 {
        b.note(format!(
            "{soft_open} SOFT problems neither HARD nor recovered at the end of the log: unknown"
        ));
    }
    if bracketed {
        b.note(format!(
            "bracketed dates read in {} (--input-tz)",
            zone.name()
        ));
    }
    let read = b.finish();
    if read.report.records_read == 0 && read.report.records_skipped > 0 {
        return Err(Error::bad_input(
            path,
            format!(
                "no Nagios state line could be read ({} damaged; first: {})",
                read.report.records_skipped,
                read.report.problems.first().map_or("", String::as_str)
            ),
        ));
    }
    Ok(read)
}

/// One line as a worker reads it: what the state machine needs, borrowed from the text.
enum Parsed<'a> {
    Damaged(String),
    NotProbe,
    Downtime {
        t: DateTime<Utc>,
        series: u32,
        word: &'a str,
    },
    /// An alert; its word already counted in the block's `words` (or `unknown`).
    Alert {
        t: DateTime<Utc>,
        series: u32,
        state: ProbeState,
        hard: bool,
        attempts: u32,
        current: bool,
    },
}

/// A block's lines, its names (series numbered in the block), the alerts' state words counted
/// (known ones with their meaning, unknown ones apart), the first and last time it holds and
/// whether a date was bracketed.
struct ParsedBlock<'a> {
    lines: Vec<Parsed<'a>>,
    names: Names<'a>,
    words: Vec<(&'a str, ProbeState, u64)>,
    unknown: Vec<(&'a str, (), u64)>,
    span: Option<(DateTime<Utc>, DateTime<Utc>)>,
    bracketed: bool,
}

/// Counts `word` in a block's list of words.
fn count<'a, K: PartialEq>(list: &mut Vec<(&'a str, K, u64)>, word: &'a str, key: K) {
    match list.iter_mut().find(|(w, k, _)| *k == key && *w == word) {
        Some((_, _, n)) => *n += 1,
        None => list.push((word, key, 1)),
    }
}

/// The first `N` `;`-separated fields of `text`, as `N` calls of `split(';').next()` give them;
/// `None` when it has fewer.
fn fields<const N: usize>(text: &str) -> Option<[&str; N]> {
    let bytes = text.as_bytes();
    let mut out = [""; N];
    let mut from = 0;
    for (k, field) in out.iter_mut().enumerate() {
        if from > bytes.len() {
            return None;
        }
        let end = bytes[from..]
            .iter()
            .position(|&c| c == b';')
            .map_or(bytes.len(), |i| from + i);
        *field = &text[from..end];
        if end == bytes.len() && k + 1 < N {
            return None;
        }
        from = end + 1;
    }
    Some(out)
}

/// Reads one block's lines (on a worker): everything that does not depend on earlier lines.
fn parse_block<'a>(block: Block<'a>, zone: Zone) -> ParsedBlock<'a> {
    let mut out = ParsedBlock {
        lines: Vec::with_capacity(block.text.len() / 64),
        names: Names::default(),
        words: Vec::new(),
        unknown: Vec::new(),
        span: None,
        bracketed: false,
    };
    let mut days = EpochDays::default();
    for (line, text) in block.lines() {
        if !text.starts_with('[') && text.trim().is_empty() {
            continue;
        }
        let Some((time, body)) = split_prefix_in(text, zone, &mut days) else {
            out.lines
                .push(Parsed::Damaged(format!("line {line}: no [time] prefix")));
            continue;
        };
        let Some(t) = time else {
            out.lines.push(Parsed::Damaged(format!(
                "line {line}: the time in [..] cannot be read"
            )));
            continue;
        };
        out.bracketed |= !text.as_bytes().get(1).is_some_and(u8::is_ascii_digit);
        out.span = Some(out.span.map_or((t, t), |(f, l)| (f.min(t), l.max(t))));
        // The alerts first: they are most lines (the kinds are not prefixes of each other).
        let Some(k) = ALERTS.iter().position(|k| body.starts_with(k)) else {
            if let Some(kind) = DOWNTIME.iter().find(|k| body.starts_with(**k)) {
                let rest = &body[kind.len()..];
                // The name is `host` or `host;service`: the start of `rest` as written.
                let parsed = if kind.starts_with("HOST") {
                    fields::<2>(rest).map(|[h, w]| (&rest[..h.len()], w))
                } else {
                    fields::<3>(rest).map(|[h, s, w]| (&rest[..h.len() + 1 + s.len()], w))
                };
                let Some((name, word)) = parsed else {
                    out.lines.push(Parsed::Damaged(format!(
                        "line {line}: a downtime alert without its fields"
                    )));
                    continue;
                };
                let series = out.names.id(name);
                out.lines.push(Parsed::Downtime { t, series, word });
            } else {
                out.lines.push(Parsed::NotProbe);
            }
            continue;
        };
        let kind = ALERTS[k];
        // `HOST ALERT: ` and `CURRENT HOST STATE: `; the `CURRENT` ones are states at rotation.
        let (host_only, current) = (k % 2 == 1, k >= 2);
        let rest = &body[kind.len()..];
        // The name is `host` or `host;service`: the start of `rest` as written.
        let parsed = if host_only {
            fields::<4>(rest).map(|[h, st, ty, at]| (&rest[..h.len()], st, ty, at))
        } else {
            fields::<5>(rest)
                .map(|[h, sv, st, ty, at]| (&rest[..h.len() + 1 + sv.len()], st, ty, at))
        };
        let Some((name, word, kind_word, attempt)) = parsed else {
            out.lines.push(Parsed::Damaged(format!(
                "line {line}: {} without its fields",
                kind.trim_end()
            )));
            continue;
        };
        let hard = match kind_word.trim() {
            "HARD" => true,
            "SOFT" => false,
            other => {
                out.lines.push(Parsed::Damaged(format!(
                    "line {line}: {other:?} is neither HARD nor SOFT"
                )));
                continue;
            }
        };
        let word = word.trim();
        let state = match state_of(word) {
            Some(st) => {
                count(&mut out.words, word, st);
                st
            }
            None => {
                count(&mut out.unknown, word, ());
                ProbeState::Unknown
            }
        };
        out.lines.push(Parsed::Alert {
            t,
            series: out.names.id(name),
            state,
            hard,
            attempts: attempt.trim().parse().unwrap_or(1),
            current,
        });
    }
    out
}

/// A downtime alert of one target: maintenance from STARTED, the state it would show from
/// STOPPED or CANCELLED.
fn downtime(b: &mut StatesBuilder, s: usize, tg: &mut Target, t: DateTime<Utc>, word: &str) {
    match word.trim() {
        "STARTED" => {
            b.read("DOWNTIME STARTED", ProbeState::Maintenance);
            tg.downtime = Some(tg.shown.unwrap_or(ProbeState::Unknown));
            show(b, s, tg, t, ProbeState::Maintenance, 0);
        }
        "STOPPED" | "CANCELLED" => {
            b.read(
                &format!("DOWNTIME {}", word.trim()),
                ProbeState::Maintenance,
            );
            let before = tg.downtime.take().unwrap_or(ProbeState::Unknown);
            let now = match tg.problem {
                Some(p) if p.hard => p.state,
                Some(_) => before,
                None => before,
            };
            show(b, s, tg, t, now, 0);
        }
        other => b.unknown_word(&format!("DOWNTIME {other}")),
    }
}

/// The target of series `s`, made when first met.
fn target_of(targets: &mut Vec<Target>, s: usize) -> &mut Target {
    if targets.len() <= s {
        targets.resize_with(s + 1, Target::default);
    }
    &mut targets[s]
}

/// Gives the builder a state change, unless the target is in downtime (then the state shows
/// when the downtime ends).
fn show(
    b: &mut StatesBuilder,
    s: usize,
    tg: &mut Target,
    t: DateTime<Utc>,
    st: ProbeState,
    n: u32,
) {
    if tg.downtime.is_some() && st != ProbeState::Maintenance {
        tg.downtime = Some(st);
        return;
    }
    if tg.shown != Some(st) || n > 0 {
        b.edge(s, t, st, n);
        tg.shown = Some(st);
    }
}

/// One alert (or the state at rotation) of one target.
#[allow(clippy::too_many_arguments)]
fn alert(
    b: &mut StatesBuilder,
    s: usize,
    tg: &mut Target,
    t: DateTime<Utc>,
    state: ProbeState,
    hard: bool,
    attempts: u32,
    current: bool,
) {
    if state == ProbeState::Up {
        if let Some(p) = tg.problem.take() {
            if !p.hard {
                // Recovered before HARD: a blip (a failure) or a passing warning (degraded).
                let was = match p.state {
                    ProbeState::Down => ProbeState::Blip,
                    other => other,
                };
                show(b, s, tg, p.start, was, p.attempts);
            }
        }
        show(b, s, tg, t, ProbeState::Up, 0);
        return;
    }
    match tg.problem.as_mut() {
        None => {
            let p = Problem {
                start: t,
                state,
                attempts: attempts.max(1),
                hard,
            };
            if current && !hard {
                b.note(format!(
                    "a SOFT state at rotation (attempt {attempts}): its problem began before the file"
                ));
            }
            tg.problem = Some(p);
            if hard {
                show(b, s, tg, t, state, p.attempts);
            }
        }
        Some(p) => {
            p.attempts = p.attempts.max(attempts);
            if p.hard {
                let changed = state != p.state;
                p.state = state;
                if changed {
                    show(b, s, tg, t, state, 1);
                }
            } else {
                p.state = worse(p.state, state);
                if hard {
                    p.hard = true;
                    let p = *p;
                    show(b, s, tg, p.start, p.state, p.attempts);
                }
            }
        }
    }
}

/// The worse of two problem states: down over degraded over unknown.
fn worse(a: ProbeState, b: ProbeState) -> ProbeState {
    let rank = |s: ProbeState| match s {
        ProbeState::Down => 3,
        ProbeState::Degraded => 2,
        _ => 1,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

#[cfg(test)]
#[path = "nagios_tests.rs"]
mod tests;
