//! Nagios / Icinga 1 `nagios.log` -> state series per host and host;service: HARD problems are
//! down from their first failed (SOFT 1) attempt, SOFT problems that recover are blips, WARNING is
//! degraded, UNKNOWN unknown, downtime is maintenance; other log lines are counted, not errors.
use super::states::{text_lines, StatesBuilder};
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
    let rest = line.strip_prefix('[')?;
    let (stamp, body) = rest.split_once("] ")?;
    if stamp.bytes().all(|b| b.is_ascii_digit()) && !stamp.is_empty() {
        let t = stamp
            .parse::<i64>()
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0));
        return Some((t, body));
    }
    let t = NaiveDateTime::parse_from_str(stamp.trim(), "%a %b %e %H:%M:%S %Y")
        .ok()
        .and_then(|n| zone.to_utc(n));
    Some((t, body))
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
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    read_bytes(path, &bytes, zone)
}

pub fn read_bytes(path: &Path, bytes: &[u8], zone: Zone) -> Result<ProbeStoreRead> {
    let text = crate::source::text::decode_head(bytes);
    let mut b = StatesBuilder::new(path, KIND);
    b.note(
        "a target is down from its first failed attempt once the problem is HARD; SOFT problems \
         that recover are blips; WARNING is degraded (--warning-is-down makes it down)",
    );
    // Each series' target, by the builder's series index (dense from 0).
    let mut targets: Vec<Target> = Vec::new();
    let mut bracketed = false;
    let mut soft_open = 0u64;
    for (line, text) in text_lines(&text) {
        if text.trim().is_empty() {
            continue;
        }
        let Some((time, body)) = split_prefix(text, zone) else {
            b.damaged(format!("line {line}: no [time] prefix"));
            continue;
        };
        let Some(t) = time else {
            b.damaged(format!("line {line}: the time in [..] cannot be read"));
            continue;
        };
        bracketed |= !text.as_bytes().get(1).is_some_and(u8::is_ascii_digit);
        b.saw(t);
        if let Some(kind) = DOWNTIME.iter().find(|k| body.starts_with(**k)) {
            let fields: Vec<&str> = body[kind.len()..].split(';').collect();
            let host_only = kind.starts_with("HOST");
            let (name, word) = match (host_only, fields.as_slice()) {
                (true, [h, w, ..]) => (h.to_string(), *w),
                (false, [h, s, w, ..]) => (format!("{h};{s}"), *w),
                _ => {
                    b.damaged(format!("line {line}: a downtime alert without its fields"));
                    continue;
                }
            };
            let s = b.series_for(&name, &name);
            let tg = target_of(&mut targets, s);
            match word.trim() {
                "STARTED" => {
                    b.read("DOWNTIME STARTED", ProbeState::Maintenance);
                    tg.downtime = Some(tg.shown.unwrap_or(ProbeState::Unknown));
                    show(&mut b, s, tg, t, ProbeState::Maintenance, 0);
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
                    show(&mut b, s, tg, t, now, 0);
                }
                other => b.unknown_word(&format!("DOWNTIME {other}")),
            }
            continue;
        }
        let Some(kind) = ALERTS.iter().find(|k| body.starts_with(**k)) else {
            b.not_probe();
            continue;
        };
        let host_only = kind.contains("HOST");
        let current = kind.starts_with("CURRENT");
        let rest = &body[kind.len()..];
        // The fields the alert needs, without a list of every field per line.
        let mut fields = rest.split(';');
        let mut next = || fields.next();
        // The name is `host` or `host;service`: the start of `rest` as written.
        let parsed = if host_only {
            match (next(), next(), next(), next()) {
                (Some(h), Some(st), Some(ty), Some(at)) => Some((&rest[..h.len()], st, ty, at)),
                _ => None,
            }
        } else {
            match (next(), next(), next(), next(), next()) {
                (Some(h), Some(sv), Some(st), Some(ty), Some(at)) => {
                    Some((&rest[..h.len() + 1 + sv.len()], st, ty, at))
                }
                _ => None,
            }
        };
        let Some((name, word, kind_word, attempt)) = parsed else {
            b.damaged(format!(
                "line {line}: {} without its fields",
                kind.trim_end()
            ));
            continue;
        };
        let hard = match kind_word.trim() {
            "HARD" => true,
            "SOFT" => false,
            other => {
                b.damaged(format!("line {line}: {other:?} is neither HARD nor SOFT"));
                continue;
            }
        };
        let attempts: u32 = attempt.trim().parse().unwrap_or(1);
        let word = word.trim();
        let s = b.series_for(name, name);
        let state = match state_of(word) {
            Some(st) => {
                b.read(word, st);
                st
            }
            None => {
                b.unknown_word(word);
                ProbeState::Unknown
            }
        };
        let tg = target_of(&mut targets, s);
        alert(&mut b, s, tg, t, state, hard, attempts, current);
    }
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
