//! Numbers as localized exports write them: `1,234.5` and `1 234,5` (thousands separators),
//! `12,5` (decimal comma). `1,234` alone could be either, so it is refused rather than guessed.

/// Why a cell is not a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberError {
    /// Not a number at all.
    NotANumber,
    /// `1,234` or `1.234`: a thousands separator or a decimal mark, nothing tells which.
    Ambiguous,
}

/// Parses a finite number, accepting thousands separators (`,` `.` space, no-break space, `'`)
/// in groups of three and a decimal comma. Plain Rust float syntax is tried first.
pub fn parse_localized(text: &str) -> Result<f64, NumberError> {
    let s = text.trim();
    if let Some(v) = plain_decimal(s) {
        return Ok(v);
    }
    if let Ok(v) = s.parse::<f64>() {
        return if v.is_finite() {
            Ok(v)
        } else {
            Err(NumberError::NotANumber)
        };
    }
    let (sign, body) = match s.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", s.strip_prefix('+').unwrap_or(s)),
    };
    if body.is_empty()
        || !body
            .chars()
            .all(|c| c.is_ascii_digit() || ",. '\u{a0}\u{202f}".contains(c))
    {
        return Err(NumberError::NotANumber);
    }
    let marks: Vec<(usize, char)> = body
        .char_indices()
        .filter(|(_, c)| !c.is_ascii_digit())
        .collect();
    let Some(&(last_at, last_mark)) = marks.last() else {
        return Err(NumberError::NotANumber);
    };
    let digits_after_last = body[last_at + last_mark.len_utf8()..].len();
    // The decimal mark is the last `,` or `.` when another kind of mark comes before it, or when
    // it is not followed by exactly three digits.
    let other_before = marks.iter().any(|(_, c)| *c != last_mark);
    let decimal = matches!(last_mark, ',' | '.')
        && (other_before || digits_after_last != 3)
        && marks.iter().filter(|(_, c)| *c == last_mark).count() == 1;
    if !decimal && !other_before && matches!(last_mark, ',' | '.') && marks.len() == 1 {
        return Err(NumberError::Ambiguous);
    }
    let (int_part, frac_part) = if decimal {
        (&body[..last_at], &body[last_at + 1..])
    } else {
        (body, "")
    };
    // Every thousands group after the first has exactly three digits, one kind of separator.
    let seps: Vec<char> = int_part.chars().filter(|c| !c.is_ascii_digit()).collect();
    if seps.windows(2).any(|w| w[0] != w[1]) || (decimal && seps.first() == Some(&last_mark)) {
        return Err(NumberError::NotANumber);
    }
    let groups: Vec<&str> = int_part.split(|c: char| !c.is_ascii_digit()).collect();
    let grouped_ok = groups
        .first()
        .is_some_and(|g| !g.is_empty() && g.len() <= 3 || groups.len() == 1 && !g.is_empty())
        && groups.iter().skip(1).all(|g| g.len() == 3);
    if !grouped_ok || !frac_part.chars().all(|c| c.is_ascii_digit()) {
        return Err(NumberError::NotANumber);
    }
    let plain = format!(
        "{sign}{}.{}",
        groups.concat(),
        if frac_part.is_empty() { "0" } else { frac_part }
    );
    plain
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or(NumberError::NotANumber)
}

/// `123` or `123.45` (at most 15 digits): the shape of nearly every latency and counter cell, read without
/// the general float parser. Digits as an integer and one division by a power of ten are both
/// exact or correctly rounded, so this is always the value `str::parse::<f64>` gives.
pub fn plain_decimal(s: &str) -> Option<f64> {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let bytes = s.as_bytes();
    if bytes.is_empty() || bytes.len() > 16 {
        return None;
    }
    let mut mantissa = 0u64;
    let mut digits = 0usize;
    let mut point: Option<usize> = None;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(b - b'0');
                digits += 1;
            }
            b'.' if point.is_none() && i > 0 && i + 1 < bytes.len() => point = Some(i),
            _ => return None,
        }
    }
    if digits > 15 {
        return None;
    }
    let decimals = point.map_or(0, |p| bytes.len() - p - 1);
    Some(mantissa as f64 / POW10[decimals])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_and_decimal_commas() {
        let ok = [
            ("12.5", 12.5),
            ("12,5", 12.5),
            ("1,234.5", 1234.5),
            ("1.234,5", 1234.5),
            ("1,234,567", 1234567.0),
            ("1.234.567", 1234567.0),
            ("1 234", 1234.0),
            ("1\u{a0}234,75", 1234.75),
            ("-1,234.5", -1234.5),
            ("0,25", 0.25),
            ("1'234.5", 1234.5),
        ];
        for (text, want) in ok {
            assert_eq!(parse_localized(text), Ok(want), "{text}");
        }
        for text in ["1,234", "-2,000", "1,000"] {
            assert_eq!(parse_localized(text), Err(NumberError::Ambiguous), "{text}");
        }
        for text in [
            "",
            "abc",
            "1,2,3",
            "12,34,567",
            "1,234.5.6",
            "1.234,567.8",
            "NaN",
            "inf",
            ",5,",
        ] {
            assert!(parse_localized(text).is_err(), "{text}");
        }
    }

    #[test]
    fn plain_decimals_read_as_the_float_parser_reads_them() {
        let mut cases: Vec<String> = [
            "0",
            "7",
            "38",
            "0.1",
            "0.3",
            "123.4",
            "15000",
            "14999.999",
            "9.00719925474099",
            "999999999999999",
            "99999999999999.9",
            "0.00000000000001",
            "1.5",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // A fixed-seed walk over digit strings with the point anywhere.
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = 1 + (seed % 15) as usize;
            let mut text: String = (0..len)
                .map(|i| char::from(b'0' + ((seed >> (i * 4)) % 10) as u8))
                .collect();
            let at = (seed >> 60) as usize % (len + 1);
            if at > 0 && at < len {
                text.insert(at, '.');
            }
            cases.push(text);
        }
        for text in &cases {
            let quick = plain_decimal(text).unwrap_or_else(|| panic!("{text} not read"));
            let general: f64 = text.parse().unwrap();
            assert_eq!(quick.to_bits(), general.to_bits(), "{text}");
        }
        for other in [
            "",
            ".5",
            "5.",
            "1.2.3",
            "1e3",
            "-4",
            "+4",
            "12 ms",
            "1,5",
            "1234567890123456",
            "9.007199254740993",
        ] {
            assert_eq!(plain_decimal(other), None, "{other}");
        }
    }
}
