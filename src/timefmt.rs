//! Time parsing and display shared by every source and renderer: the many timestamp shapes found in
//! exports, IANA zones with correct DST, durations like `5m`, and display in a chosen zone.
use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// A display/input zone: UTC or an IANA zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(pub Tz);

impl Default for Zone {
    fn default() -> Self {
        Zone(Tz::UTC)
    }
}

impl Zone {
    pub const UTC: Zone = Zone(Tz::UTC);

    /// Parses an IANA name (`America/Los_Angeles`) or `UTC`/`Z`.
    pub fn parse(name: &str) -> Result<Zone, String> {
        let trimmed = name.trim();
        if trimmed.eq_ignore_ascii_case("utc") || trimmed == "Z" {
            return Ok(Zone::UTC);
        }
        trimmed.parse::<Tz>().map(Zone).map_err(|_| {
            format!("unknown time zone {trimmed:?} (use an IANA name such as America/Los_Angeles, or UTC)")
        })
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    pub fn is_utc(&self) -> bool {
        self.0 == Tz::UTC
    }

    /// Interprets a wall-clock time in this zone. In the repeated hour of a DST change the earlier
    /// instant is taken; a time inside the skipped hour does not exist and gives `None`.
    /// Readers of files use `reading` and `RepeatedHour`, which let the file's order decide.
    pub fn to_utc(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        self.reading(local).map(|r| r.time)
    }

    /// A wall-clock time in this zone, with the later instant when it falls in a repeated hour.
    pub fn reading(&self, local: NaiveDateTime) -> Option<Reading> {
        match self.0.from_local_datetime(&local) {
            LocalResult::Single(t) => Some(Reading::exact(t.with_timezone(&Utc))),
            LocalResult::Ambiguous(early, late) => Some(Reading {
                time: early.with_timezone(&Utc),
                later: Some(late.with_timezone(&Utc)),
            }),
            LocalResult::None => None,
        }
    }

    /// `2011-08-15 16:50:00 PDT`
    pub fn format(&self, t: &DateTime<Utc>) -> String {
        let local = t.with_timezone(&self.0);
        if self.is_utc() {
            local.format("%Y-%m-%d %H:%M:%S UTC").to_string()
        } else {
            local.format("%Y-%m-%d %H:%M:%S %Z").to_string()
        }
    }

    /// Short form without seconds: `2011-08-15 16:50 PDT`.
    pub fn format_short(&self, t: &DateTime<Utc>) -> String {
        let local = t.with_timezone(&self.0);
        if self.is_utc() {
            local.format("%Y-%m-%d %H:%M UTC").to_string()
        } else {
            local.format("%Y-%m-%d %H:%M %Z").to_string()
        }
    }
}

/// A timestamp as read: its instant, and for a local time in the repeated hour of a DST
/// fall-back, the other (later) instant it may stand for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    /// The earlier instant (the only one, for most times).
    pub time: DateTime<Utc>,
    /// The later instant of an ambiguous local time.
    pub later: Option<DateTime<Utc>>,
}

impl Reading {
    pub fn exact(time: DateTime<Utc>) -> Reading {
        Reading { time, later: None }
    }
}

/// `Zone::reading` for the many times of one file, the zone's offset kept per local hour: an
/// hour whose first and last instant read as one time each, at one offset, holds no DST change
/// (no zone changes twice within an hour), so every time inside it reads at that offset; any
/// other hour is read time by time.
#[derive(Debug, Clone)]
pub struct HourReadings {
    zone: Zone,
    /// The local hour last asked for, and its one offset (local minus UTC) if it has one.
    hour: Option<(NaiveDateTime, Option<chrono::TimeDelta>)>,
}

impl HourReadings {
    pub fn new(zone: Zone) -> HourReadings {
        HourReadings { zone, hour: None }
    }

    pub fn reading(&mut self, local: NaiveDateTime) -> Option<Reading> {
        use chrono::Timelike;
        if self.zone.is_utc() {
            return Some(Reading::exact(local.and_utc()));
        }
        let Some(start) = local.date().and_hms_opt(local.hour(), 0, 0) else {
            return self.zone.reading(local);
        };
        let offset = match self.hour {
            Some((hour, offset)) if hour == start => offset,
            _ => {
                let last = start + chrono::TimeDelta::nanoseconds(3_599_999_999_999);
                let offset_at = |t: NaiveDateTime| match self.zone.reading(t) {
                    Some(Reading { time, later: None }) => Some(t - time.naive_utc()),
                    _ => None,
                };
                let offset = offset_at(start).filter(|o| offset_at(last) == Some(*o));
                self.hour = Some((start, offset));
                offset
            }
        };
        match offset {
            Some(o) => Some(Reading::exact((local - o).and_utc())),
            None => self.zone.reading(local),
        }
    }
}

/// Resolves the local times of one file that fell in a repeated DST hour by the file's own
/// order: a time whose earlier reading would step back past the previous time (forward, in a
/// newest-first file) is the second pass of that hour. Feed it the readings in file order.
#[derive(Debug, Default)]
pub struct RepeatedHour {
    previous: Option<DateTime<Utc>>,
    /// Readings that were ambiguous, and how many of them took the later instant.
    pub ambiguous: u64,
    pub later: u64,
    /// The first and last ambiguous instants met (earlier readings), for the note.
    pub span: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

impl RepeatedHour {
    /// The instant of `r`, given the file's direction (`descending`: newest first).
    pub fn resolve(&mut self, r: Reading, descending: bool) -> DateTime<Utc> {
        let t = match (r.later, self.previous) {
            (None, _) => r.time,
            (Some(later), previous) => {
                self.ambiguous += 1;
                self.span = Some(match self.span {
                    Some((a, b)) => (a.min(r.time), b.max(r.time)),
                    None => (r.time, r.time),
                });
                let take_later = match previous {
                    Some(prev) if descending => later <= prev,
                    Some(prev) => r.time < prev,
                    None => false,
                };
                if take_later {
                    self.later += 1;
                    later
                } else {
                    r.time
                }
            }
        };
        self.previous = Some(t);
        t
    }

    /// One line for the notes, when any time was ambiguous: which times, and how they were read.
    pub fn note(&self, zone: Zone, what: &str) -> Option<String> {
        let (first, last) = self.span?;
        let local = |t: &DateTime<Utc>| t.with_timezone(&zone.0).format("%Y-%m-%d %H:%M:%S");
        Some(format!(
            "{} {what} between {} and {} local fell in the hour {} repeats at the DST fall-back: {} read as its first pass, {} as its second (by the file's order)",
            self.ambiguous,
            local(&first),
            local(&last),
            zone.name(),
            self.ambiguous - self.later,
            self.later
        ))
    }
}

/// Epoch values at or above this are milliseconds (year 2286 in seconds; 1973 in milliseconds).
const EPOCH_MS_THRESHOLD: f64 = 1.0e11;

/// Parses a timestamp as found in exports. Zone-less times are wall-clock times in `zone`.
///
/// Accepted: RFC 3339 / ISO 8601 with or without zone (`T` or space, fractions), `YYYY/MM/DD`,
/// US `MM/DD/YYYY HH:MM[:SS[.fff]][ AM/PM]`, a bare date, and epoch seconds or milliseconds
/// (told apart by magnitude).
pub fn parse_timestamp(text: &str, zone: Zone) -> Option<DateTime<Utc>> {
    parse_reading(text, zone).map(|r| r.time)
}

/// `parse_timestamp`, keeping the later instant of a zone-less time in a repeated DST hour.
pub fn parse_reading(text: &str, zone: Zone) -> Option<Reading> {
    let s = trim_cell(text);
    if s.is_empty() {
        return None;
    }
    parse_iso_quick(s.as_bytes(), zone).or_else(|| parse_general(s, zone))
}

/// `str::trim`, with a shortcut for the usual cell that starts and ends with a visible ASCII
/// character (millions of rows go through here).
pub fn trim_plain(text: &str) -> &str {
    let bytes = text.as_bytes();
    let visible = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_graphic());
    if visible(bytes.first()) && visible(bytes.last()) {
        text
    } else {
        text.trim()
    }
}

/// A cell without surrounding whitespace and quotes: `text.trim().trim_matches('"').trim()`.
pub fn trim_cell(text: &str) -> &str {
    let trimmed = trim_plain(text);
    if trimmed.starts_with('"') || trimmed.ends_with('"') {
        trimmed.trim_matches('"').trim()
    } else {
        trimmed
    }
}

/// Every accepted shape, through chrono; `s` is trimmed and not empty.
fn parse_general(s: &str, zone: Zone) -> Option<Reading> {
    parse_general_zoned(s)
        .map(Reading::exact)
        .or_else(|| parse_naive(s).and_then(|n| zone.reading(n)))
}

/// The shapes that carry their own zone (or are epoch numbers).
fn parse_general_zoned(s: &str) -> Option<DateTime<Utc>> {
    if let Some(t) = parse_epoch(s) {
        return Some(t);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    // ISO with a space and/or an offset without colon, e.g. "2011-08-15 16:50:00+0000".
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Some(t.with_timezone(&Utc));
        }
    }
    let rest = s.strip_suffix('Z').or_else(|| s.strip_suffix(" UTC"))?;
    parse_naive(rest).map(|n| Utc.from_utc_datetime(&n))
}

/// `YYYY-MM-DD[T ]HH:MM:SS[.f]` with no zone, read as UTC by position; `None` for any other
/// shape (an offset among them), which the caller then reads its own way. Gives what chrono's
/// `%Y-%m-%d %H:%M:%S%.f` gives wherever both read the text.
pub fn parse_zoneless_utc_quick(text: &str) -> Option<DateTime<Utc>> {
    let s = text.as_bytes();
    let tail_plain = s
        .get(19..)
        .is_some_and(|tail| tail.iter().all(|b| b.is_ascii_digit() || *b == b'.'));
    if !tail_plain {
        return None;
    }
    parse_iso_quick(s, Zone::UTC).map(|r| r.time)
}

/// The shape nearly every export uses, read by position without chrono's format machinery
/// (probe exports run to millions of rows): `YYYY-MM-DD[T ]HH:MM:SS[.f]` with `Z`, `+HH:MM`,
/// `+HHMM` or no zone. `None` when the text is not exactly that shape or not a valid time; the
/// general parser then decides, so this only ever gives what it would.
fn parse_iso_quick(s: &[u8], zone: Zone) -> Option<Reading> {
    if s.len() < 19 || s[16] != b':' {
        return None;
    }
    let (date, hour, minute) = quick_minute(s)?;
    let second = digits(s, 17, 2)?;
    if second > 59 {
        return None; // leap seconds: left to chrono
    }
    let mut at = 19;
    let mut nanos = 0u32;
    if s.get(at) == Some(&b'.') {
        let count = s[at + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if count == 0 || count > 9 {
            return None;
        }
        nanos = digits(s, at + 1, count)? * 10u32.pow(9 - count as u32);
        at += 1 + count;
    }
    let local = date.and_time(NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?);
    let offset_secs = match &s[at..] {
        [] => return zone.reading(local),
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (h, m) = match rest {
                [_, _, b':', _, _] | [_, _, _, _] => {
                    (digits(rest, 0, 2)?, digits(rest, rest.len() - 2, 2)?)
                }
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let secs = i64::from(h * 3600 + m * 60);
            if *sign == b'-' {
                -secs
            } else {
                secs
            }
        }
        _ => return None,
    };
    if offset_secs == 0 {
        return Some(Reading::exact(Utc.from_utc_datetime(&local)));
    }
    let utc = local.checked_sub_signed(chrono::Duration::seconds(offset_secs))?;
    Some(Reading::exact(Utc.from_utc_datetime(&utc)))
}

/// The `n` ASCII digits of `s` from `at` as a number; `None` if any is not a digit.
fn digits(s: &[u8], at: usize, n: usize) -> Option<u32> {
    let field = s.get(at..at + n)?;
    field.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

/// Date, hour, minute.
type Minute = (NaiveDate, u32, u32);

/// The `YYYY-MM-DD[T ]HH:MM` that starts `s`, as date, hour and minute. Consecutive rows of an
/// export nearly always share the minute, so the last one read on this thread is remembered.
fn quick_minute(s: &[u8]) -> Option<Minute> {
    thread_local! {
        static LAST: std::cell::Cell<Option<([u8; 16], Minute)>> =
            const { std::cell::Cell::new(None) };
    }
    let text: [u8; 16] = s.get(..16)?.try_into().ok()?;
    if let Some((last, minute)) = LAST.get() {
        if last == text {
            return Some(minute);
        }
    }
    if text[4] != b'-' || text[7] != b'-' || !matches!(text[10], b'T' | b' ') || text[13] != b':' {
        return None;
    }
    let (year, month, day) = (
        digits(&text, 0, 4)?,
        digits(&text, 5, 2)?,
        digits(&text, 8, 2)?,
    );
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;
    let (hour, minute) = (digits(&text, 11, 2)?, digits(&text, 14, 2)?);
    if hour > 23 || minute > 59 {
        return None;
    }
    LAST.set(Some((text, (date, hour, minute))));
    Some((date, hour, minute))
}

/// Parses a zone-less date/time in any of the accepted shapes.
pub fn parse_naive(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    parse_pdh_quick(s.as_bytes()).or_else(|| parse_naive_formats(s))
}

/// PDH's `MM/DD/YYYY HH:MM:SS[.f]` (typeperf, relog and perfmon write one per row), read by
/// position without chrono's format machinery. `None` when `s` is not exactly that shape (two-digit
/// month and day, 1-9 fraction digits) or not a valid time: `parse_naive_formats` then decides, so
/// this only ever gives what its `%m/%d/%Y %H:%M:%S%.f` gives (no earlier format there reads
/// this shape).
fn parse_pdh_quick(s: &[u8]) -> Option<NaiveDateTime> {
    thread_local! {
        static LAST: std::cell::Cell<Option<([u8; 16], Minute)>> =
            const { std::cell::Cell::new(None) };
    }
    if s.len() < 19 || s[16] != b':' {
        return None;
    }
    let text: [u8; 16] = s[..16].try_into().ok()?;
    let (date, hour, minute) = match LAST.get() {
        Some((last, minute)) if last == text => minute,
        _ => {
            if text[2] != b'/' || text[5] != b'/' || text[10] != b' ' || text[13] != b':' {
                return None;
            }
            let (month, day, year) = (
                digits(&text, 0, 2)?,
                digits(&text, 3, 2)?,
                digits(&text, 6, 4)?,
            );
            let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;
            let (hour, minute) = (digits(&text, 11, 2)?, digits(&text, 14, 2)?);
            if hour > 23 || minute > 59 {
                return None;
            }
            LAST.set(Some((text, (date, hour, minute))));
            (date, hour, minute)
        }
    };
    let second = digits(s, 17, 2)?;
    if second > 59 {
        return None; // leap seconds: left to chrono
    }
    let nanos = match &s[19..] {
        [] => 0,
        [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => {
            digits(fraction, 0, fraction.len())? * 10u32.pow(9 - fraction.len() as u32)
        }
        _ => return None,
    };
    Some(date.and_time(NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?))
}

/// `parse_naive` through chrono's formats only.
fn parse_naive_formats(s: &str) -> Option<NaiveDateTime> {
    const FORMATS: &[&str] = &[
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S%.f",
        "%Y/%m/%d %H:%M",
        "%m/%d/%Y %H:%M:%S%.f",
        "%m/%d/%Y %H:%M",
        "%m/%d/%Y %I:%M:%S %p",
        "%m/%d/%Y %I:%M:%S%.f %p",
        "%m/%d/%Y %I:%M %p",
    ];
    for fmt in FORMATS {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t);
        }
    }
    for fmt in ["%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
            return d.and_hms_opt(0, 0, 0);
        }
    }
    None
}

fn parse_epoch(s: &str) -> Option<DateTime<Utc>> {
    if !s.bytes().all(|b| b.is_ascii_digit() || b == b'.') || s.starts_with('.') {
        return None;
    }
    // Eight digits are a compact date (20110815), not an epoch.
    if s.len() < 9 {
        return None;
    }
    let value: f64 = s.parse().ok()?;
    let millis = if value >= EPOCH_MS_THRESHOLD {
        value
    } else {
        value * 1000.0
    };
    DateTime::from_timestamp_millis(millis.round() as i64)
}

/// Parses a user-given bound for `--from`/`--to`: RFC 3339, or a date/time in `zone`.
pub fn parse_user_time(s: &str, zone: Zone) -> Result<DateTime<Utc>, String> {
    parse_timestamp(s, zone).ok_or_else(|| {
        format!("cannot read {s:?} as a time (use RFC 3339 like 2011-08-15T23:50:00Z, or 'YYYY-MM-DD HH:MM' in --tz)")
    })
}

/// Parses a duration such as `90s`, `5m`, `2h`, `1d`, `1h30m` or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<chrono::Duration, String> {
    let text = s.trim();
    let bad = || format!("cannot read {s:?} as a duration (examples: 15s, 5m, 2h, 1d, 1h30m)");
    if text.is_empty() {
        return Err(bad());
    }
    if let Ok(secs) = text.parse::<f64>() {
        return duration_from_secs(secs).ok_or_else(bad);
    }
    let mut total = 0.0;
    let mut number = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let mut unit = String::from(c);
        while let Some(&next) = chars.peek() {
            if next.is_ascii_alphabetic() {
                unit.push(next);
                chars.next();
            } else {
                break;
            }
        }
        let value: f64 = number.parse().map_err(|_| bad())?;
        number.clear();
        let scale = match unit.to_ascii_lowercase().as_str() {
            "ms" => 0.001,
            "s" | "sec" | "secs" => 1.0,
            "m" | "min" | "mins" => 60.0,
            "h" | "hr" | "hrs" => 3600.0,
            "d" | "day" | "days" => 86400.0,
            _ => return Err(bad()),
        };
        total += value * scale;
    }
    if !number.is_empty() {
        return Err(bad());
    }
    duration_from_secs(total).ok_or_else(bad)
}

fn duration_from_secs(secs: f64) -> Option<chrono::Duration> {
    if !secs.is_finite() || !(0.0..=1.0e10).contains(&secs) {
        return None;
    }
    Some(chrono::Duration::milliseconds(
        (secs * 1000.0).round() as i64
    ))
}

/// `1h 35m`, `20m`, `45s`: a human duration for reports.
pub fn human_duration(seconds: i64) -> String {
    let sign = if seconds < 0 { "-" } else { "" };
    let s = seconds.unsigned_abs();
    let (d, h, m, sec) = (s / 86400, (s % 86400) / 3600, (s % 3600) / 60, s % 60);
    let text = if d > 0 {
        match (h, m) {
            (0, 0) => format!("{d}d"),
            (h, 0) => format!("{d}d {h}h"),
            (h, m) => format!("{d}d {h}h {m}m"),
        }
    } else if h > 0 {
        if m > 0 {
            format!("{h}h {m}m")
        } else {
            format!("{h}h")
        }
    } else if m > 0 {
        if sec > 0 {
            format!("{m}m {sec}s")
        } else {
            format!("{m}m")
        }
    } else {
        format!("{sec}s")
    };
    format!("{sign}{text}")
}

/// An ISO 8601 time as event data carries it (`2017-07-12T07:18:24.687853300Z`, or with a space
/// for the `T`; a time without a zone is UTC): Kernel-General's StartTime, StopTime, OldTime...
pub fn parse_event_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim().replace(' ', "T");
    DateTime::parse_from_rfc3339(&text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|n| n.and_utc())
        })
}

#[cfg(test)]
mod tests {
    /// Held to `Zone::reading` minute by minute (and at odd seconds) over the DST days of zones
    /// that change at 2:00, at midnight, by half an hour, and not at all.
    #[test]
    fn hour_readings_agree_with_the_zone_around_dst_changes() {
        let days = [
            (2021, 3, 14),
            (2021, 11, 7),
            (2021, 3, 28),
            (2021, 10, 31),
            (2021, 4, 4),
        ];
        for name in [
            "America/Los_Angeles",
            "Europe/London",
            "America/Havana",
            "Australia/Lord_Howe",
            "UTC",
        ] {
            let zone = Zone::parse(name).unwrap();
            let mut hours = HourReadings::new(zone);
            for (y, m, d) in days {
                let day = NaiveDate::from_ymd_opt(y, m, d)
                    .unwrap()
                    .and_hms_opt(0, 0, 0)
                    .unwrap();
                for minute in (-60..26 * 60).step_by(1) {
                    let t = day
                        + chrono::TimeDelta::minutes(minute)
                        + chrono::TimeDelta::seconds(minute % 7 * 8);
                    assert_eq!(hours.reading(t), zone.reading(t), "{name} {t}");
                }
            }
        }
    }

    use super::*;

    fn la() -> Zone {
        Zone::parse("America/Los_Angeles").unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn summer_time_in_los_angeles_is_utc_minus_seven() {
        assert_eq!(
            parse_timestamp("2011-08-15 17:00:00", la()),
            Some(utc("2011-08-16T00:00:00Z"))
        );
        assert_eq!(
            parse_timestamp("08/15/2011 05:00:00 PM", la()),
            Some(utc("2011-08-16T00:00:00Z"))
        );
    }

    #[test]
    fn winter_time_in_los_angeles_is_utc_minus_eight() {
        assert_eq!(
            parse_timestamp("2011-01-15 17:00", la()),
            Some(utc("2011-01-16T01:00:00Z"))
        );
    }

    #[test]
    fn explicit_offsets_win_over_the_input_zone() {
        assert_eq!(
            parse_timestamp("2011-08-15T17:00:00-07:00", Zone::UTC),
            Some(utc("2011-08-16T00:00:00Z"))
        );
        assert_eq!(
            parse_timestamp("2011-08-16T00:00:00Z", la()),
            Some(utc("2011-08-16T00:00:00Z"))
        );
        assert_eq!(
            parse_timestamp("2011-08-16 00:00:00+0000", la()),
            Some(utc("2011-08-16T00:00:00Z"))
        );
    }

    #[test]
    fn shapes_without_zone() {
        let want = Some(utc("2011-08-15T23:50:00Z"));
        for s in [
            "2011-08-15T23:50:00",
            "2011-08-15 23:50:00.000",
            "2011-08-15 23:50",
            "2011/08/15 23:50:00",
            "08/15/2011 23:50:00.000",
            "08/15/2011 11:50:00 PM",
            "8/15/2011 11:50 PM",
        ] {
            assert_eq!(parse_timestamp(s, Zone::UTC), want, "{s}");
        }
    }

    #[test]
    fn epoch_seconds_and_milliseconds_by_magnitude() {
        let want = Some(utc("2011-08-16T00:00:00Z"));
        assert_eq!(parse_timestamp("1313452800", la()), want);
        assert_eq!(parse_timestamp("1313452800000", la()), want);
        assert_eq!(parse_timestamp("1313452800.0", la()), want);
    }

    #[test]
    fn the_skipped_hour_does_not_exist_and_the_repeated_hour_takes_the_first() {
        assert_eq!(parse_timestamp("2011-03-13 02:30:00", la()), None);
        assert_eq!(
            parse_timestamp("2011-11-06 01:30:00", la()),
            Some(utc("2011-11-06T08:30:00Z"))
        );
    }

    /// The quick reader of the common shape never disagrees with the general parser.
    #[test]
    fn zoneless_utc_quick_gives_what_chronos_format_gives() {
        let mut read = 0;
        for date in ["2024-05-01", "2024-02-29", "2023-02-29"] {
            for sep in ["T", " "] {
                for time in ["10:00:00", "23:59:59", "24:00:00", "9:00:00", "10:00:60"] {
                    for tail in ["", ".5", ".123", ".123456789", ".", "+02:00", "-0700", "x"] {
                        let text = format!("{date}{sep}{time}{tail}");
                        let chrono = NaiveDateTime::parse_from_str(
                            &text.replacen('T', " ", 1),
                            "%Y-%m-%d %H:%M:%S%.f",
                        )
                        .ok()
                        .map(|t| t.and_utc());
                        if let Some(quick) = parse_zoneless_utc_quick(&text) {
                            assert_eq!(Some(quick), chrono, "{text}");
                            read += 1;
                        }
                    }
                }
            }
        }
        // Kuma's shapes are read by position (4 fractions x 2 separators x 2 valid dates x 2 times).
        assert_eq!(read, 32);
        assert_eq!(parse_zoneless_utc_quick("2024-05-01 10:00:00+02:00"), None);
    }

    #[test]
    fn quick_iso_reader_agrees_with_the_general_parser() {
        let dates = [
            "2011-08-15",
            "2011-03-13",
            "2011-11-06",
            "2012-02-29",
            "2011-02-29",
        ];
        let times = [
            "00:00:00", "02:30:00", "01:30:00", "23:59:59", "16:50:07", "24:00:00",
        ];
        let fractions = ["", ".5", ".123", ".123456789", ".1234567891", "."];
        let zones = [
            "", "Z", "+00:00", "-07:00", "+0530", "+05:3", "-25:00", " UTC", "z",
        ];
        for date in dates {
            for sep in ["T", " ", "_"] {
                for time in times {
                    for fraction in fractions {
                        for z in zones {
                            let text = format!("{date}{sep}{time}{fraction}{z}");
                            for zone in [Zone::UTC, la()] {
                                let quick = parse_iso_quick(text.as_bytes(), zone);
                                let general = parse_general(text.trim(), zone);
                                if let Some(q) = quick {
                                    assert_eq!(Some(q), general, "{text} in {}", zone.name());
                                }
                            }
                        }
                    }
                }
            }
        }
        // The shapes exports use are read by the quick path.
        for text in [
            "2011-08-15T16:50:00Z",
            "2011-08-15 16:50:00.250-07:00",
            "2011-08-15T16:50:00",
        ] {
            assert!(parse_iso_quick(text.as_bytes(), la()).is_some(), "{text}");
        }
    }

    #[test]
    fn quick_pdh_reader_agrees_with_the_chrono_formats() {
        let mut cases: Vec<String> = Vec::new();
        for date in [
            "08/15/2011",
            "02/29/2012",
            "02/29/2011",
            "13/01/2011",
            "00/10/2011",
            "12/31/9999",
            "01/01/0000",
            "8/15/2011",
            "08/5/2011",
            "08-15-2011",
            "08/15/11",
            "1a/15/2011",
        ] {
            for time in [
                "16:00:00", "00:00:00", "23:59:59", "24:00:00", "12:60:00", "12:00:60", "7:00:00",
                "12:00", "12:0a:00", "12-00-00",
            ] {
                for fraction in [
                    "",
                    ".000",
                    ".5",
                    ".123",
                    ".123456",
                    ".123456789",
                    ".1234567891",
                    ".",
                    ".12a",
                    " PM",
                    " ",
                    "Z",
                ] {
                    for sep in [" ", "T", "  "] {
                        cases.push(format!("{date}{sep}{time}{fraction}"));
                    }
                }
            }
        }
        // A fixed-seed walk over digit strings in the PDH layout, one byte changed now and then.
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut text = format!(
                "{:02}/{:02}/{:04} {:02}:{:02}:{:02}.{:03}",
                seed % 14,
                (seed >> 8) % 33,
                1990 + (seed >> 16) % 60,
                (seed >> 24) % 25,
                (seed >> 32) % 61,
                (seed >> 40) % 61,
                (seed >> 48) % 1000
            )
            .into_bytes();
            if seed >> 60 == 0 {
                let at = (seed >> 4) as usize % text.len();
                text[at] = b"0/: .x9"[(seed >> 56) as usize % 7];
            }
            cases.push(String::from_utf8(text).unwrap());
        }
        let mut quick_reads = 0;
        for text in &cases {
            let quick = parse_pdh_quick(text.as_bytes());
            quick_reads += usize::from(quick.is_some());
            if quick.is_some() {
                let chrono = NaiveDateTime::parse_from_str(text, "%m/%d/%Y %H:%M:%S%.f").ok();
                assert_eq!(quick, chrono, "{text}");
            }
            assert_eq!(
                parse_naive(text),
                parse_naive_formats(text.trim()),
                "{text}"
            );
        }
        assert!(
            quick_reads > 5_000,
            "the quick path read only {quick_reads}"
        );
        // The shape PDH writes is read by the quick path.
        assert_eq!(
            parse_pdh_quick(b"08/15/2011 16:00:15.250"),
            NaiveDate::from_ymd_opt(2011, 8, 15).and_then(|d| d.and_hms_milli_opt(16, 0, 15, 250))
        );
    }

    #[test]
    fn trim_cell_is_trim_unquote_trim() {
        for text in [
            "",
            " ",
            "a",
            " a ",
            "\"a\"",
            " \" a \" ",
            "a\u{a0}",
            "\u{2003}a",
            "\"\"",
            "a b",
        ] {
            assert_eq!(
                trim_cell(text),
                text.trim().trim_matches('"').trim(),
                "{text:?}"
            );
            assert_eq!(trim_plain(text), text.trim(), "{text:?}");
        }
    }

    #[test]
    fn garbage_is_rejected() {
        for s in ["", "yesterday", "2011-13-45 10:00", "12345", "1e9"] {
            assert_eq!(parse_timestamp(s, Zone::UTC), None, "{s}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5m").unwrap().num_seconds(), 300);
        assert_eq!(parse_duration("1h30m").unwrap().num_seconds(), 5400);
        assert_eq!(parse_duration("15").unwrap().num_seconds(), 15);
        assert_eq!(parse_duration("2d").unwrap().num_seconds(), 172_800);
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("-5m").is_err());
        assert_eq!(human_duration(5700), "1h 35m");
        assert_eq!(human_duration(1200), "20m");
        assert_eq!(human_duration(-90), "-1m 30s");
    }

    #[test]
    fn unknown_zone_is_an_error_naming_it() {
        let err = Zone::parse("Mars/Olympus").unwrap_err();
        assert!(err.contains("Mars/Olympus"));
    }
}
