//! Time parsing and display shared by every source and renderer: the many timestamp shapes found in
//! exports, IANA zones with correct DST, durations like `5m`, and display in a chosen zone.
use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
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
    pub fn to_utc(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        match self.0.from_local_datetime(&local) {
            LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
            LocalResult::Ambiguous(early, _) => Some(early.with_timezone(&Utc)),
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

/// Epoch values at or above this are milliseconds (year 2286 in seconds; 1973 in milliseconds).
const EPOCH_MS_THRESHOLD: f64 = 1.0e11;

/// Parses a timestamp as found in exports. Zone-less times are wall-clock times in `zone`.
///
/// Accepted: RFC 3339 / ISO 8601 with or without zone (`T` or space, fractions), `YYYY/MM/DD`,
/// US `MM/DD/YYYY HH:MM[:SS[.fff]][ AM/PM]`, a bare date, and epoch seconds or milliseconds
/// (told apart by magnitude).
pub fn parse_timestamp(text: &str, zone: Zone) -> Option<DateTime<Utc>> {
    let s = text.trim().trim_matches('"').trim();
    if s.is_empty() {
        return None;
    }
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
    if let Some(rest) = s.strip_suffix('Z').or_else(|| s.strip_suffix(" UTC")) {
        return parse_naive(rest).map(|n| Utc.from_utc_datetime(&n));
    }
    parse_naive(s).and_then(|n| zone.to_utc(n))
}

/// Parses a zone-less date/time in any of the accepted shapes.
pub fn parse_naive(s: &str) -> Option<NaiveDateTime> {
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
    let s = s.trim();
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

#[cfg(test)]
mod tests {
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
