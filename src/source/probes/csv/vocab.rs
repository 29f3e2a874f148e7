//! The words probe exports use: status values (up/down, 1/0, HTTP codes ...), maintenance and
//! the words that say neither (pending, paused), and latency text.

/// Status words that mean the check answered.
const GOOD: &[&str] = &[
    "1",
    "true",
    "t",
    "yes",
    "y",
    "up",
    "ok",
    "okay",
    "pass",
    "passed",
    "success",
    "successful",
    "succeeded",
    "online",
    "healthy",
    "alive",
    "reachable",
    "answered",
    "green",
];

/// Status words that mean the check failed.
const BAD: &[&str] = &[
    "0",
    "false",
    "f",
    "no",
    "n",
    "down",
    "fail",
    "failed",
    "failure",
    "error",
    "err",
    "errored",
    "timeout",
    "timedout",
    "timed_out",
    "critical",
    "crit",
    "offline",
    "unreachable",
    "unhealthy",
    "ko",
    "nok",
    "not_ok",
    "dead",
    "refused",
    "red",
];

/// Status words of planned downtime: not a failure, the series' maintenance.
const MAINTENANCE: &[&str] = &[
    "maintenance",
    "maint",
    "in_maintenance",
    "under_maintenance",
    "planned_maintenance",
    "scheduled_maintenance",
];

/// Status words that say neither up nor down (the monitor did not check, or not yet).
const NEITHER: &[&str] = &["pending", "paused", "unknown", "unconfirmed", "started"];

/// What a status cell says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Said {
    /// A check: answered (`true`) or failed.
    Check(bool),
    /// Planned downtime: never a failure.
    Maintenance,
    /// Neither up nor down (pending, paused): no check, counted in the notes.
    Neither,
}

/// Reads a status cell: a check ([`parse_status`]), maintenance, or a word that says neither;
/// `None` for a word outside the vocabulary.
pub fn parse_said(text: &str) -> Option<Said> {
    if let Some(ok) = parse_status(text) {
        return Some(Said::Check(ok));
    }
    let s = text.trim().trim_matches('"').trim().to_ascii_lowercase();
    let joined = s.replace([' ', '-'], "_");
    if MAINTENANCE.contains(&joined.as_str()) {
        Some(Said::Maintenance)
    } else if NEITHER.contains(&joined.as_str()) {
        Some(Said::Neither)
    } else {
        None
    }
}

/// Latency texts that mean "no answer" (the check failed).
const NO_ANSWER: &[&str] = &[
    "",
    "none",
    "null",
    "nil",
    "nan",
    "na",
    "n/a",
    "-",
    "--",
    "timeout",
    "timed out",
    "error",
    "fail",
    "failed",
    "no answer",
    "noanswer",
];

/// Reads a status value: `Some(true)` answered, `Some(false)` failed, `None` not a status word.
///
/// Numbers: 1/0 (also `1.0`), HTTP codes 100..=599 (2xx/3xx good). Words are matched whole,
/// case-insensitively, then by their first word (`Down (timeout)`, `200 OK`).
pub fn parse_status(text: &str) -> Option<bool> {
    let s = text.trim().trim_matches('"').trim().to_ascii_lowercase();
    if s.is_empty() {
        return None;
    }
    if let Some(v) = status_word(&s) {
        return Some(v);
    }
    let first = s
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '.')
        .find(|w| !w.is_empty())?;
    if first.len() < s.len() {
        return status_word(first);
    }
    None
}

fn status_word(s: &str) -> Option<bool> {
    let joined = s.replace([' ', '-'], "_");
    if GOOD.contains(&joined.as_str()) {
        return Some(true);
    }
    if BAD.contains(&joined.as_str()) {
        return Some(false);
    }
    match s {
        "1.0" => return Some(true),
        "0.0" => return Some(false),
        _ => {}
    }
    if s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()) {
        let code: u16 = s.parse().ok()?;
        return match code {
            200..=399 => Some(true),
            100..=199 | 400..=599 => Some(false),
            _ => None,
        };
    }
    None
}

/// Whether a status value is a word (not a number): used to recognize a status column by content.
pub fn is_status_word(text: &str) -> bool {
    let s = text.trim();
    !s.is_empty()
        && !s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && parse_status(s).is_some()
}

/// A latency cell that is neither a number nor a "no answer" word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unreadable;

/// A latency cell: `Ok(Some(x))` a number, `Ok(None)` no answer, `Err` unreadable text.
pub fn parse_latency(text: Option<&str>) -> Result<Option<f64>, Unreadable> {
    let Some(raw) = text else {
        return Ok(None);
    };
    let s = crate::timefmt::trim_cell(raw);
    if let Some(v) = crate::source::numbers::plain_decimal(s) {
        return Ok(Some(v));
    }
    if let Ok(v) = s.parse::<f64>() {
        if v.is_finite() && v >= 0.0 {
            return Ok(Some(v));
        }
        return if v.is_nan() {
            Ok(None)
        } else {
            Err(Unreadable)
        };
    }
    let lower = s.to_ascii_lowercase();
    if NO_ANSWER.contains(&lower.as_str()) {
        return Ok(None);
    }
    // "123 ms", "0.5s", "1,234.5 ms", "12,5": separators as in `numbers.rs`; `1,234` is refused.
    let number: String = lower
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | ','))
        .collect();
    match crate::source::numbers::parse_localized(&number) {
        Ok(v) if v >= 0.0 => Ok(Some(v)),
        _ => Err(Unreadable),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_status_vocabulary() {
        let cases: &[(&[&str], bool)] = &[
            (&["1", "1.0", "0"], true),
            (&["true", "TRUE", "True", "false", "False"], true),
            (&["up", "Up", "DOWN", "down"], true),
            (&["ok", "OK", "fail", "Fail"], true),
            (&["pass", "passed", "fail", "failed"], true),
            (
                &[
                    "success",
                    "Successful",
                    "error",
                    "Error",
                    "timeout",
                    "Timed Out",
                ],
                true,
            ),
            (&["200", "204", "301", "404", "500", "503"], true),
        ];
        for (words, _) in cases {
            for w in *words {
                assert!(parse_status(w).is_some(), "{w} is a status");
            }
        }
        for good in [
            "1", "1.0", "true", "True", "up", "ok", "pass", "passed", "success", "200", "204",
            "302", "Up (200)", "200 OK",
        ] {
            assert_eq!(parse_status(good), Some(true), "{good}");
        }
        for bad in [
            "0",
            "0.0",
            "false",
            "FALSE",
            "down",
            "fail",
            "failed",
            "timeout",
            "timed out",
            "error",
            "Error",
            "404",
            "500",
            "503",
            "Down (timeout)",
            "not ok",
        ] {
            assert_eq!(parse_status(bad), Some(false), "{bad}");
        }
        for neither in [
            "",
            "pending",
            "maintenance",
            "2",
            "98",
            "42.5",
            "700",
            "banana",
        ] {
            assert_eq!(parse_status(neither), None, "{neither}");
        }
    }

    #[test]
    fn maintenance_and_words_of_neither() {
        for w in ["maintenance", "Maintenance", "under maintenance", "MAINT"] {
            assert_eq!(parse_said(w), Some(Said::Maintenance), "{w}");
        }
        for w in ["pending", "Paused", "unknown", "unconfirmed"] {
            assert_eq!(parse_said(w), Some(Said::Neither), "{w}");
        }
        assert_eq!(parse_said("down"), Some(Said::Check(false)));
        assert_eq!(parse_said("200 OK"), Some(Said::Check(true)));
        for w in ["banana", "2", "98"] {
            assert_eq!(parse_said(w), None, "{w}");
        }
    }

    #[test]
    fn status_words_are_not_numbers() {
        assert!(is_status_word("True"));
        assert!(is_status_word("down"));
        assert!(!is_status_word("1"));
        assert!(!is_status_word("200"));
        assert!(!is_status_word("us-west"));
    }

    #[test]
    fn latency_texts() {
        assert_eq!(parse_latency(Some("15000")), Ok(Some(15000.0)));
        assert_eq!(parse_latency(Some(" 0.004 ")), Ok(Some(0.004)));
        assert_eq!(parse_latency(Some("123 ms")), Ok(Some(123.0)));
        assert_eq!(parse_latency(None), Ok(None));
        for none in ["", "None", "null", "NaN", "-", "timeout"] {
            assert_eq!(parse_latency(Some(none)), Ok(None), "{none}");
        }
        assert_eq!(parse_latency(Some("fast")), Err(Unreadable));
        assert_eq!(parse_latency(Some("-5")), Err(Unreadable));
    }
}
