//! UptimeRobot's durations: the dashboard's words or minutes, the API's seconds, and how long a
//! monitor's newest event lasted (its one row whose duration is used).
use super::StatesBuilder;
use crate::timefmt::trim_plain;
use chrono::{DateTime, Duration, Utc};

/// `13 hrs, 2 mins`, `1 days, 0 hrs, 5 mins`, `45 secs`, or plain minutes (`Duration (in mins.)`).
pub fn parse_duration(text: &str, plain_minutes: bool) -> Option<Duration> {
    let s = trim_plain(text);
    if s.is_empty() {
        return None;
    }
    // A whole number of a few digits (the usual minutes), exact as the float below reads it.
    if s.len() <= 15 {
        if let Some(n) = s.bytes().try_fold(0i64, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0'))
        }) {
            return Duration::try_seconds(if plain_minutes { n * 60 } else { n });
        }
    }
    if let Ok(n) = s.parse::<f64>() {
        let unit = if plain_minutes { 60.0 } else { 1.0 };
        // A number too large for a duration is no duration (`as` saturates, chrono refuses).
        return (n.is_finite() && n >= 0.0)
            .then(|| Duration::try_seconds((n * unit).round() as i64))
            .flatten();
    }
    let mut total = 0i64;
    for part in s.split(',') {
        let mut words = part.split_whitespace();
        let n: i64 = words.next()?.parse().ok()?;
        let unit = words.next()?.trim_end_matches('.').as_bytes();
        let starts = |word: &str| {
            unit.len() >= word.len() && unit[..word.len()].eq_ignore_ascii_case(word.as_bytes())
        };
        let secs = match () {
            _ if starts("day") => 86_400,
            _ if starts("hr") || starts("hour") => 3_600,
            _ if starts("min") => 60,
            _ if starts("sec") => 1,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(secs)?)?;
    }
    Duration::try_seconds(total)
}

/// A row's duration: none given, read, or given but not readable (a damaged cell, or one that
/// says less than nothing). Only a monitor's newest row's is used; an unreadable one is told.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Lasted {
    Empty,
    For(Duration),
    Unreadable,
}

impl Lasted {
    pub(super) fn from_cell(text: &str, plain_minutes: bool) -> Lasted {
        if trim_plain(text).is_empty() {
            return Lasted::Empty;
        }
        Lasted::from(parse_duration(text, plain_minutes))
    }

    pub(super) fn from_json(value: Option<&serde_json::Value>) -> Lasted {
        match value {
            None | Some(serde_json::Value::Null) => Lasted::Empty,
            Some(v) => Lasted::from(v.as_i64().and_then(Duration::try_seconds)),
        }
    }
}

impl From<Option<Duration>> for Lasted {
    fn from(d: Option<Duration>) -> Lasted {
        match d {
            Some(d) if d >= Duration::zero() => Lasted::For(d),
            _ => Lasted::Unreadable,
        }
    }
}

/// Series `s` ends when its newest event, at `t` (`row` says where it is in the file), has lasted
/// its duration. An unreadable duration, or one that runs past the last time there is (a damaged
/// cell), leaves the end where the events put it, and says so.
pub(in crate::source::probes) fn end_newest(
    b: &mut StatesBuilder,
    s: usize,
    t: DateTime<Utc>,
    duration: Lasted,
    row: impl FnOnce() -> String,
) {
    let end = match duration {
        Lasted::Empty => return,
        Lasted::Unreadable => None,
        Lasted::For(d) => t.checked_add_signed(d),
    };
    match end {
        Some(end) => b.ends_at(s, end),
        None => b.note(format!(
            "{}: the duration of {}'s newest event ({}) {}: its end is not known",
            row(),
            b.series_name(s),
            t.format("%Y-%m-%d %H:%M:%S UTC"),
            match duration {
                Lasted::For(d) =>
                    format!("lasts {} s, past the last time there is", d.num_seconds()),
                _ => "cannot be read".to_string(),
            }
        )),
    }
}
