//! JSON text as the line decoder writes it: strings (UTF-8 and UTF-16LE from the chunk),
//! numbers and times, byte for byte as `serde_json` and `render::events` write them.
use crate::model::rfc3339;
use chrono::{DateTime, Utc};

/// A UTF-16LE value up to its first NUL (as `binxml::values::push_utf16` reads it), JSON-escaped.
pub(super) fn json_utf16(bytes: &[u8], out: &mut Vec<u8>) -> Option<()> {
    // ASCII first, eight characters at a time while none needs escaping, then one by one:
    // most values are nothing else.
    out.reserve(bytes.len() / 2);
    let mut i = 0;
    for block in bytes.chunks_exact(8) {
        let Some(ascii) = plain_ascii4(u64::from_le_bytes([
            block[0], block[1], block[2], block[3], block[4], block[5], block[6], block[7],
        ])) else {
            break;
        };
        out.extend_from_slice(&ascii);
        i += 8;
    }
    for unit in bytes[i..].chunks_exact(2) {
        let (lo, hi) = (unit[0], unit[1]);
        if hi != 0 || lo == 0 || lo >= 0x80 {
            break;
        }
        if lo < 0x20 || lo == b'"' || lo == b'\\' {
            push_escaped(out, lo);
        } else {
            out.push(lo);
        }
        i += 2;
    }
    let rest = &bytes[i..];
    if rest.len() >= 2 && rest[..2] != [0, 0] {
        let units = rest
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]));
        let mut utf8 = [0u8; 4];
        for ch in char::decode_utf16(units.take_while(|&u| u != 0)) {
            let ch = ch.ok()?;
            if ch.is_ascii() {
                push_escaped(out, ch as u8);
            } else {
                out.extend_from_slice(ch.encode_utf8(&mut utf8).as_bytes());
            }
        }
    }
    Some(())
}

/// Four UTF-16LE units (one little-endian word) as their four ASCII bytes, when each is
/// printable ASCII that JSON leaves as it is (0x20-0x7F but `"` and `\\`); `None` otherwise.
/// Each test looks at all four 16-bit lanes at once: with the high byte and bit 7 clear, a lane
/// holds less than 0x80, so adding to it never carries into the next.
pub(super) fn plain_ascii4(w: u64) -> Option<[u8; 4]> {
    const LANES: u64 = 0x0001_0001_0001_0001;
    const BIT7: u64 = 0x80 * LANES;
    // High bytes zero, low bytes under 0x80.
    if w & (0xFF80 * LANES) != 0 {
        return None;
    }
    // At least 0x20: adding 0x60 reaches bit 7.
    let printable = (w + 0x60 * LANES) & BIT7 == BIT7;
    // Not a given byte: the lane XORed with it is not zero, so adding 0x7F reaches bit 7.
    let not = |b: u64| ((w ^ (b * LANES)) + 0x7F * LANES) & BIT7 == BIT7;
    if !(printable && not(u64::from(b'"')) && not(u64::from(b'\\'))) {
        return None;
    }
    let b = w.to_le_bytes();
    Some([b[0], b[2], b[4], b[6]])
}

/// Appends an unsigned number in decimal.
pub(super) fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// A time as `model::rfc3339` writes it, quoted; years outside 1-9999 go through it.
pub(super) fn json_time(out: &mut Vec<u8>, t: &DateTime<Utc>) {
    use chrono::{Datelike, Timelike};
    let t = t.naive_utc();
    let year = t.year();
    if !(1..=9999).contains(&year) {
        json_str(out, &rfc3339(&t.and_utc()));
        return;
    }
    let two = |out: &mut Vec<u8>, n: u32| {
        out.extend_from_slice(&[b'0' + (n / 10) as u8, b'0' + (n % 10) as u8])
    };
    out.push(b'"');
    let y = year as u32;
    out.extend_from_slice(&[
        b'0' + (y / 1000) as u8,
        b'0' + (y / 100 % 10) as u8,
        b'0' + (y / 10 % 10) as u8,
        b'0' + (y % 10) as u8,
        b'-',
    ]);
    two(out, t.month());
    out.push(b'-');
    two(out, t.day());
    out.push(b'T');
    two(out, t.hour());
    out.push(b':');
    two(out, t.minute());
    out.push(b':');
    two(out, t.second());
    let nanos = t.nanosecond();
    if nanos >= 1_000_000_000 {
        // A leap second: leave it to chrono.
        out.truncate(out.len() - 20);
        json_str(out, &rfc3339(&t.and_utc()));
        return;
    }
    let (value, width) = if nanos == 0 {
        (0, 0)
    } else if nanos.is_multiple_of(1_000_000) {
        (nanos / 1_000_000, 3)
    } else if nanos.is_multiple_of(1_000) {
        (nanos / 1_000, 6)
    } else {
        (nanos, 9)
    };
    if width > 0 {
        out.push(b'.');
        let mut digits = [b'0'; 9];
        let mut v = value;
        for d in digits[..width].iter_mut().rev() {
            *d = b'0' + (v % 10) as u8;
            v /= 10;
        }
        out.extend_from_slice(&digits[..width]);
    }
    out.extend_from_slice(b"Z\"");
}

/// A JSON string as `serde_json` writes it: `"` and `\\` escaped, control characters as
/// `\\b \\t \\n \\f \\r` or `\\u00XX`, everything else (non-ASCII included) as it is.
pub(crate) fn json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    json_str_body(out, s);
    out.push(b'"');
}

/// `json_str` without the quotes.
pub(super) fn json_str_body(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        push_escaped(out, b);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// One ASCII byte, escaped if JSON needs it.
fn push_escaped(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match b {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        0x08 => out.extend_from_slice(b"\\b"),
        0x09 => out.extend_from_slice(b"\\t"),
        0x0a => out.extend_from_slice(b"\\n"),
        0x0c => out.extend_from_slice(b"\\f"),
        0x0d => out.extend_from_slice(b"\\r"),
        0x00..=0x1f => out.extend_from_slice(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[(b >> 4) as usize],
            HEX[(b & 0xf) as usize],
        ]),
        _ => out.push(b),
    }
}
