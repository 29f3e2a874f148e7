//! The numeric local dates of text exports: a written time parsed, the day-month order the
//! file's own values decide, and a stamp read in that order.
use crate::error::{Error, Result};
use crate::source::events::export::DateOrder;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use std::borrow::Cow;
use std::path::Path;

/// A written time: day and month still to be told apart, year first, or with its own offset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Stamp {
    /// `a` and `b` are the first two numbers as written (day-month or month-day).
    Numeric {
        a: u32,
        b: u32,
        year: i32,
        time: NaiveTime,
    },
    Local(NaiveDateTime),
    Utc(DateTime<Utc>),
}

/// Removes the invisible direction marks Windows puts into localized dates.
pub(crate) fn strip_marks(s: &str) -> Cow<'_, str> {
    let mark = |c: char| matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}');
    if s.contains(mark) {
        Cow::Owned(s.chars().filter(|&c| !mark(c)).collect())
    } else {
        Cow::Borrowed(s)
    }
}

/// Parses `20/05/2026 21:31:47`, `10/7/2016 06:38:24 PM`, `27.10.2021 12:28:26`,
/// `05-07-2024 14:53:21`, `2021-10-27 10:28:26.1234567` and ISO `2011-08-15T16:58:03.123[Z]`.
/// The flag says the time was 12-hour with AM/PM. Localized AM/PM words are not read.
pub(crate) fn parse_stamp(raw: &str) -> std::result::Result<(Stamp, bool), String> {
    match parse_plain(raw.trim().as_bytes()) {
        Some(plain) => Ok(plain),
        None => parse_general(raw),
    }
}

fn parse_general(raw: &str) -> std::result::Result<(Stamp, bool), String> {
    let s = strip_marks(raw);
    let s = s.trim();
    let (date, rest) = match s.find([' ', 'T']) {
        Some(i) => (
            s.get(..i).unwrap_or(""),
            s.get(i + 1..).unwrap_or("").trim(),
        ),
        None => return Err("no time of day".into()),
    };
    let mut tokens = rest.split_whitespace();
    let time_token = tokens.next().ok_or("no time of day")?;
    let suffix = tokens.next();
    if tokens.next().is_some() {
        return Err("unexpected text after the time".into());
    }
    let mut parts = date.split(['.', '/', '-']);
    let (Some(p0), Some(p1), Some(p2), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(format!("date {date:?} is not three numbers"));
    };
    let num = |p: &str| {
        p.parse::<u32>()
            .map_err(|_| format!("date {date:?} is not numeric"))
    };
    let (n0, n1, n2) = (num(p0)?, num(p1)?, num(p2)?);
    let (clock, offset) = split_offset(time_token);
    let mut time = parse_clock(clock).ok_or_else(|| format!("time {time_token:?} not read"))?;
    let twelve_hour = match suffix {
        None => false,
        Some(ampm) if ampm.eq_ignore_ascii_case("AM") || ampm.eq_ignore_ascii_case("PM") => {
            let pm = ampm.eq_ignore_ascii_case("PM");
            time = to_24h(time, pm).ok_or("hour out of range for AM/PM")?;
            true
        }
        Some(other) => {
            let other = other.to_ascii_uppercase();
            return Err(format!(
                "{other:?} after the time is not AM/PM (localized AM/PM words are not read)"
            ));
        }
    };
    if p0.len() == 4 {
        let day = NaiveDate::from_ymd_opt(n0 as i32, n1, n2).ok_or("no such date")?;
        let naive = day.and_time(time);
        return Ok(match offset {
            None => (Stamp::Local(naive), twelve_hour),
            Some(minutes) => {
                let utc = naive
                    .checked_sub_signed(chrono::Duration::minutes(minutes))
                    .ok_or("time out of range")?;
                (Stamp::Utc(Utc.from_utc_datetime(&utc)), twelve_hour)
            }
        });
    }
    if p2.len() != 4 || offset.is_some() {
        return Err(format!("date {date:?} has no four-digit year"));
    }
    Ok((
        Stamp::Numeric {
            a: n0,
            b: n1,
            year: n2 as i32,
            time,
        },
        twelve_hour,
    ))
}

/// `parse_stamp` of the plain shapes exports write, read byte by byte: three numbers between
/// `/`, `.` or `-`, a space (or `T`), `H:MM[:SS[.fffffff]]` and an optional ` AM`/` PM`, all
/// ASCII. The same stamp as the general path; `None` for anything else (a zone, other words,
/// longer numbers, a value out of range), which the general path reads or explains.
fn parse_plain(s: &[u8]) -> Option<(Stamp, bool)> {
    // Up to `max` digits at `at`: the value and how many digits.
    let number = |at: &mut usize, max: usize| -> Option<(u32, usize)> {
        let start = *at;
        let mut value = 0u32;
        while let Some(&b) = s.get(*at).filter(|b| b.is_ascii_digit()) {
            if *at - start == max {
                return None;
            }
            value = value * 10 + u32::from(b - b'0');
            *at += 1;
        }
        (*at > start).then_some((value, *at - start))
    };
    let mut at = 0;
    let mut date = [(0u32, 0usize); 3];
    for (i, part) in date.iter_mut().enumerate() {
        if i > 0 {
            matches!(s.get(at), Some(b'/' | b'.' | b'-')).then_some(())?;
            at += 1;
        }
        *part = number(&mut at, 9)?;
    }
    matches!(s.get(at), Some(b' ' | b'T')).then_some(())?;
    at += 1;
    while s.get(at) == Some(&b' ') {
        at += 1;
    }
    let h = number(&mut at, 2)?.0;
    (s.get(at) == Some(&b':')).then_some(())?;
    at += 1;
    let m = number(&mut at, 2)?.0;
    let mut sec = 0;
    let mut nanos = 0;
    if s.get(at) == Some(&b':') {
        at += 1;
        sec = number(&mut at, 2)?.0;
        if matches!(s.get(at), Some(b'.' | b',')) {
            at += 1;
            let (frac, digits) = number(&mut at, 9)?;
            nanos = frac * 10u32.pow(u32::try_from(9 - digits).ok()?);
        }
    }
    let mut time = NaiveTime::from_hms_nano_opt(h, m, sec, nanos)?;
    let mut twelve_hour = false;
    if at < s.len() {
        let spaces = s.get(at..)?.iter().take_while(|&&b| b == b' ').count();
        let suffix = s.get(at + spaces..)?;
        let pm = if spaces == 0 {
            return None;
        } else if suffix.eq_ignore_ascii_case(b"PM") {
            true
        } else if suffix.eq_ignore_ascii_case(b"AM") {
            false
        } else {
            return None;
        };
        time = to_24h(time, pm)?;
        twelve_hour = true;
    }
    let [(n0, l0), (n1, _), (n2, l2)] = date;
    if l0 == 4 {
        let day = NaiveDate::from_ymd_opt(i32::try_from(n0).ok()?, n1, n2)?;
        return Some((Stamp::Local(day.and_time(time)), twelve_hour));
    }
    if l2 != 4 {
        return None;
    }
    let year = i32::try_from(n2).ok()?;
    Some((
        Stamp::Numeric {
            a: n0,
            b: n1,
            year,
            time,
        },
        twelve_hour,
    ))
}

/// Splits `10:28:26.123Z` or `10:28:26+02:00` into the clock and the offset in minutes.
fn split_offset(token: &str) -> (&str, Option<i64>) {
    if let Some(clock) = token.strip_suffix(['Z', 'z']) {
        return (clock, Some(0));
    }
    if let Some(i) = token.rfind(['+', '-']) {
        let (clock, off) = token.split_at(i);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let digits: String = off.chars().filter(char::is_ascii_digit).collect();
        if let (Some(h), Some(m)) = (digits.get(..2), digits.get(2..4)) {
            if let (Ok(h), Ok(m)) = (h.parse::<i64>(), m.parse::<i64>()) {
                return (clock, Some(sign * (h * 60 + m)));
            }
        }
    }
    (token, None)
}

/// `H:mm`, `H:mm:ss` or `H:mm:ss.fffffff`.
fn parse_clock(clock: &str) -> Option<NaiveTime> {
    let (hms, frac) = match clock.split_once(['.', ',']) {
        Some((hms, frac)) => (hms, Some(frac)),
        None => (clock, None),
    };
    let mut it = hms.split(':');
    let h = it.next()?.parse().ok()?;
    let m = it.next()?.parse().ok()?;
    let s = it.next().map_or(Some(0), |s| s.parse().ok())?;
    if it.next().is_some() {
        return None;
    }
    let nanos = match frac {
        Some(f) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) => {
            let padded = format!("{f:0<9}");
            padded.parse().ok()?
        }
        Some(_) => return None,
        None => 0,
    };
    NaiveTime::from_hms_nano_opt(h, m, s, nanos)
}

fn to_24h(time: NaiveTime, pm: bool) -> Option<NaiveTime> {
    use chrono::Timelike;
    let h = match (time.hour(), pm) {
        (0, _) | (13.., _) => return None,
        (12, false) => 0,
        (12, true) => 12,
        (h, false) => h,
        (h, true) => h + 12,
    };
    time.with_hour(h)
}

/// What the numeric dates of a file say about their day-month order.
#[derive(Debug, Default)]
pub(super) struct DateEvidence {
    day_first: Option<(u64, String)>,
    month_first: Option<(u64, String)>,
    pub(super) numeric: u64,
    first: Option<(u32, u32, String)>,
    twelve_hour: bool,
}

impl DateEvidence {
    pub(super) fn observe(&mut self, line: u64, raw: &str, stamp: &Stamp, twelve_hour: bool) {
        let Stamp::Numeric { a, b, .. } = *stamp else {
            return;
        };
        self.numeric += 1;
        self.twelve_hour |= twelve_hour;
        if self.first.is_none() {
            self.first = Some((a, b, raw.trim().to_string()));
        }
        if a > 12 && b <= 12 && self.day_first.is_none() {
            self.day_first = Some((line, raw.trim().to_string()));
        }
        if b > 12 && a <= 12 && self.month_first.is_none() {
            self.month_first = Some((line, raw.trim().to_string()));
        }
    }

    /// The order the values have decided so far: a value over 12 first, not (yet) the other.
    pub(super) fn decided(&self) -> Option<DateOrder> {
        match (&self.day_first, &self.month_first) {
            (Some(_), None) => Some(DateOrder::Dmy),
            (None, Some(_)) => Some(DateOrder::Mdy),
            _ => None,
        }
    }

    /// The order to read with, and the note when the values did not decide it.
    pub(super) fn decide(
        &self,
        path: &Path,
        given: Option<DateOrder>,
        header: Option<(DateOrder, &str)>,
    ) -> Result<(DateOrder, Option<String>)> {
        match (&self.day_first, &self.month_first, given) {
            (_, _, Some(order)) if self.day_first.is_some() || self.month_first.is_some() => {
                return Ok((order, None));
            }
            (Some((l1, r1)), Some((l2, r2)), None) => {
                return Err(Error::bad_input(
                    path,
                    format!(
                        "dates in both day-month orders: line {l1} has {r1:?} (day first), line \
                         {l2} has {r2:?} (month first); give --date-order dmy or mdy"
                    ),
                ));
            }
            (Some(_), None, None) => return Ok((DateOrder::Dmy, None)),
            (None, Some(_), None) => return Ok((DateOrder::Mdy, None)),
            _ => {}
        }
        let (order, why) = match (given, header) {
            (Some(order), _) => (order, "as --date-order says".to_string()),
            (None, Some((order, language))) => (order, format!("from the {language} header")),
            (None, None) if self.twelve_hour => (
                DateOrder::Mdy,
                "because the times are 12-hour with AM/PM (the en-US style)".to_string(),
            ),
            (None, None) => (
                DateOrder::Dmy,
                "because the times are 24-hour (not the en-US style)".to_string(),
            ),
        };
        let first = self.first.as_ref().map_or(String::new(), |(a, b, raw)| {
            format!(
                " ({raw} could be {a} {} or {b} {})",
                month_name(*b),
                month_name(*a)
            )
        });
        let (reading, other) = match order {
            DateOrder::Mdy => ("month-first", "dmy"),
            _ => ("day-first", "mdy"),
        };
        let note = format!(
            "{}: all {} dates are ambiguous{first}: read {reading} {why}; give --date-order \
             {other} if wrong",
            path.display(),
            self.numeric
        );
        Ok((order, Some(note)))
    }
}

fn month_name(m: u32) -> &'static str {
    const NAMES: &str = "January February March April May June July August September October \
                         November December";
    let i = usize::try_from(m).unwrap_or(0);
    NAMES
        .split_whitespace()
        .nth(i.wrapping_sub(1))
        .unwrap_or("?")
}

pub(super) fn order_name(order: DateOrder) -> &'static str {
    match order {
        DateOrder::Dmy => "day-first",
        DateOrder::Mdy => "month-first",
        DateOrder::Ymd => "year-first",
    }
}

/// UTC when the stamp has a zone, else the local time; `None` when it is no real date.
pub(super) fn resolve(
    stamp: &Stamp,
    order: DateOrder,
) -> Option<std::result::Result<DateTime<Utc>, NaiveDateTime>> {
    match *stamp {
        Stamp::Utc(t) => Some(Ok(t)),
        Stamp::Local(n) => Some(Err(n)),
        Stamp::Numeric { a, b, year, time } => {
            let (day, month) = match order {
                DateOrder::Mdy => (b, a),
                _ => (a, b),
            };
            NaiveDate::from_ymd_opt(year, month, day).map(|d| Err(d.and_time(time)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_path_reads_every_shape_as_the_general_one() {
        let shapes = [
            "8/17/2011 11:59:52 PM",
            "8/17/2011 12:00:00 AM",
            "8/17/2011 12:00:00 pm",
            "20/05/2026 21:31:47",
            "27.10.2021 12:28:26",
            "05-07-2024 14:53:21",
            "2021-10-27 10:28:26.1234567",
            "2021-10-27T10:28:26.5",
            "2021-10-27 10:28:26,25",
            "2021-10-27 10:28",
            "  5/7/2024   2:53 PM  ",
            "1/1/2024 0:00:00",
            "31/02/2024 10:00:00",
            "2024-02-31 10:00:00",
            "5/7/2024 24:00:00",
            "5/7/2024 13:00:00 PM",
            "5/7/2024 0:00:00 AM",
            "5/7/24 10:00:00",
            "5/7/2024 10:00:00 nachm.",
            "5/7/2024 10:00:00Z",
            "2011-08-15T16:58:03.123Z",
            "2011-08-15T16:58:03+02:00",
            "5/7/2024",
            "5/7/2024 10:61:00",
            "0005/7/2024 10:00:00",
            "5/7/2024\t10:00:00",
            "\u{200E}5/7/2024 10:00:00",
            "5/7/2024 10:00:00.1234567891",
            "5/7/2024 10:00:60",
            "5/7/2024 10.5",
        ];
        for raw in shapes {
            let general = parse_general(raw);
            if let Some(plain) = parse_plain(raw.trim().as_bytes()) {
                assert_eq!(Ok(plain), general, "{raw:?}");
            }
            assert_eq!(parse_stamp(raw), general, "{raw:?}");
        }
        // The common shapes take the plain path.
        for raw in [
            "8/17/2011 11:59:52 PM",
            "27.10.2021 12:28:26",
            "2021-10-27 10:28:26.1234567",
        ] {
            assert!(parse_plain(raw.as_bytes()).is_some(), "{raw}");
        }
    }
}
