//! Substitution values rendered as text the way the `evtx` crate renders them, and the numbers
//! and times the decoder reads from them.
use super::template::Piece;
use super::{fixed, Sub};
use chrono::{DateTime, Utc};

/// Text of pieces; `None` for a value type this decoder does not render.
pub(crate) fn text(data: &[u8], subs: &[Sub], pieces: &[Piece]) -> Option<String> {
    let mut out = String::with_capacity(match pieces {
        [Piece::Sub(n)] => subs.get(*n as usize).map_or(0, |s| s.len / 2),
        _ => 16,
    });
    for piece in pieces {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Sub(n) => push_value(data, subs.get(*n as usize)?, &mut out)?,
        }
    }
    Some(out)
}

/// One value as text, the way `evtx` renders it.
pub(crate) fn push_value(data: &[u8], sub: &Sub, out: &mut String) -> Option<()> {
    use std::fmt::Write;
    let bytes = data.get(sub.start..sub.start + sub.len)?;
    match sub.kind {
        0x00 => {}
        0x01 => push_utf16(bytes, out)?,
        0x02 => push_ansi(bytes, out)?,
        0x03 => write!(out, "{}", i8::from_le_bytes(fixed(bytes)?)).ok()?,
        0x04 => write!(out, "{}", u8::from_le_bytes(fixed(bytes)?)).ok()?,
        0x05 => write!(out, "{}", i16::from_le_bytes(fixed(bytes)?)).ok()?,
        0x06 => write!(out, "{}", u16::from_le_bytes(fixed(bytes)?)).ok()?,
        0x07 => write!(out, "{}", i32::from_le_bytes(fixed(bytes)?)).ok()?,
        0x08 => write!(out, "{}", u32::from_le_bytes(fixed(bytes)?)).ok()?,
        0x09 => write!(out, "{}", i64::from_le_bytes(fixed(bytes)?)).ok()?,
        0x0a => write!(out, "{}", u64::from_le_bytes(fixed(bytes)?)).ok()?,
        // Booleans other than 0 and 1 show as the number they hold.
        0x0d => match i32::from_le_bytes(fixed(bytes)?) {
            0 => out.push_str("false"),
            1 => out.push_str("true"),
            other => write!(out, "{other}").ok()?,
        },
        0x0e => {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.reserve(bytes.len() * 2);
            for b in bytes {
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
        0x0f => {
            let b: [u8; 16] = fixed(bytes)?;
            write!(
                out,
                "{{{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-",
                b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9]
            )
            .ok()?;
            for x in &b[10..] {
                write!(out, "{x:02x}").ok()?;
            }
            out.push('}');
        }
        // SizeT reads as the hex number of its width.
        0x10 if bytes.len() == 4 => {
            write!(out, "0x{:x}", u32::from_le_bytes(fixed(bytes)?)).ok()?
        }
        0x10 if bytes.len() == 8 => {
            write!(out, "0x{:x}", u64::from_le_bytes(fixed(bytes)?)).ok()?
        }
        0x11 => push_filetime(u64::from_le_bytes(fixed(bytes)?), out)?,
        0x12 => push_systemtime(fixed(bytes)?, out)?,
        0x13 => push_sid(bytes, out)?,
        0x14 => write!(out, "0x{:x}", u32::from_le_bytes(fixed(bytes)?)).ok()?,
        0x15 => write!(out, "0x{:x}", u64::from_le_bytes(fixed(bytes)?)).ok()?,
        _ => return None,
    }
    Some(())
}

/// A UTF-16LE value up to its first NUL (as `evtx` reads them); ASCII is copied byte by byte.
pub(crate) fn push_utf16(bytes: &[u8], out: &mut String) -> Option<()> {
    let units = bytes.chunks_exact(2);
    let ascii_len = units
        .clone()
        .take_while(|c| c[1] == 0 && c[0] != 0 && c[0] < 0x80)
        .count();
    let rest = &bytes[ascii_len * 2..];
    let mut buf = std::mem::take(out).into_bytes();
    buf.extend(bytes.chunks_exact(2).take(ascii_len).map(|c| c[0]));
    *out = String::from_utf8(buf).ok()?;
    if rest.len() >= 2 && rest[..2] != [0, 0] {
        let units = rest
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]));
        for ch in char::decode_utf16(units.take_while(|&u| u != 0)) {
            out.push(ch.ok()?);
        }
    }
    Some(())
}

/// An ANSI string with its NULs left out, as `evtx` reads them; `None` for anything but ASCII
/// (the crate decodes the rest with a code page).
fn push_ansi(bytes: &[u8], out: &mut String) -> Option<()> {
    if !bytes.is_ascii() {
        return None;
    }
    out.extend(bytes.iter().filter(|&&b| b != 0).map(|&b| char::from(b)));
    Some(())
}

/// A FILETIME as `evtx` writes one: `YYYY-MM-DDThh:mm:ss.fffffffZ`, to the 100 ns; `None`
/// outside the years 1601-9999.
fn push_filetime(ticks: u64, out: &mut String) -> Option<()> {
    use chrono::{Datelike, Timelike};
    use std::fmt::Write;
    let secs = (ticks / 10_000_000) as i64 - 11_644_473_600;
    let t = DateTime::from_timestamp(secs, 0)?;
    if t.year() > 9999 {
        return None;
    }
    write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        ticks % 10_000_000
    )
    .ok()
}

/// A SYSTEMTIME (eight 16-bit fields: year, month, weekday, day, hour, minute, second,
/// milliseconds) as `evtx` writes one, like a FILETIME; `None` for one Windows would not take
/// as a time (the crate writes those as 1601-01-01) and for years past 9999.
fn push_systemtime(bytes: [u8; 16], out: &mut String) -> Option<()> {
    use std::fmt::Write;
    let field = |i: usize| u16::from_le_bytes([bytes[2 * i], bytes[2 * i + 1]]);
    let (year, month, day) = (field(0), field(1), field(3));
    let (hour, minute, second, millis) = (field(4), field(5), field(6), field(7));
    if !(1601..=9999).contains(&year)
        || hour >= 24
        || minute >= 60
        || second >= 60
        || millis >= 1000
    {
        return None;
    }
    // The day must exist in its month.
    chrono::NaiveDate::from_ymd_opt(i32::from(year), u32::from(month), u32::from(day))?;
    write!(
        out,
        "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{:07}Z",
        u32::from(millis) * 10_000
    )
    .ok()
}

/// The items of a string array value (`0x81`: UTF-16 strings, each ending in a NUL), when the
/// value is exactly an unnamed `<Data>`'s text: the crate then repeats the element once per
/// item. `None` for any other value, an empty array, or one whose last item has no NUL.
pub(crate) fn string_array<'d>(
    data: &'d [u8],
    subs: &[Sub],
    pieces: &[Piece],
) -> Option<Vec<&'d [u8]>> {
    let [Piece::Sub(n)] = pieces else { return None };
    let sub = subs.get(*n as usize)?;
    if sub.kind != 0x81 {
        return None;
    }
    let mut rest = data.get(sub.start..sub.start + sub.len)?;
    let mut items = Vec::new();
    while !rest.is_empty() {
        let units = rest.chunks_exact(2).take_while(|c| c != &[0, 0]).count();
        items.push(&rest[..units * 2]);
        rest = rest.get(units * 2 + 2..)?;
    }
    (!items.is_empty()).then_some(items)
}

/// A SID as `S-R-A-S1-..-Sn`: revision, sub-authority count, 48-bit big-endian authority, then
/// little-endian 32-bit sub-authorities; `None` when the bytes do not add up.
fn push_sid(bytes: &[u8], out: &mut String) -> Option<()> {
    use std::fmt::Write;
    let (&revision, rest) = bytes.split_first()?;
    let (&count, rest) = rest.split_first()?;
    let authority = rest
        .get(..6)?
        .iter()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    let subs = rest.get(6..)?;
    if subs.len() != usize::from(count) * 4 {
        return None;
    }
    write!(out, "S-{revision}-{authority}").ok()?;
    for sub in subs.chunks_exact(4) {
        write!(out, "-{}", u32::from_le_bytes(fixed(sub)?)).ok()?;
    }
    Some(())
}

/// An unsigned number from one integer substitution or literal text.
pub(crate) fn number(data: &[u8], subs: &[Sub], pieces: &[Piece]) -> Option<u64> {
    match pieces {
        [Piece::Sub(n)] => {
            let sub = subs.get(*n as usize)?;
            let bytes = data.get(sub.start..sub.start + sub.len)?;
            match sub.kind {
                0x04 => Some(u64::from(u8::from_le_bytes(fixed(bytes)?))),
                0x06 => Some(u64::from(u16::from_le_bytes(fixed(bytes)?))),
                0x08 => Some(u64::from(u32::from_le_bytes(fixed(bytes)?))),
                0x0a => Some(u64::from_le_bytes(fixed(bytes)?)),
                _ => None,
            }
        }
        [Piece::Text(t)] => t.trim().parse().ok(),
        _ => None,
    }
}

/// A FILETIME substitution as UTC, to the 100 ns.
pub(crate) fn filetime(data: &[u8], subs: &[Sub], pieces: &[Piece]) -> Option<DateTime<Utc>> {
    filetime_of(filetime_ticks(data, subs, pieces)?)
}

/// A FILETIME substitution's 100 ns ticks since 1601 (they order as the times do).
pub(crate) fn filetime_ticks(data: &[u8], subs: &[Sub], pieces: &[Piece]) -> Option<u64> {
    let [Piece::Sub(n)] = pieces else { return None };
    let sub = subs.get(*n as usize)?;
    if sub.kind != 0x11 {
        return None;
    }
    Some(u64::from_le_bytes(fixed(
        data.get(sub.start..sub.start + sub.len)?,
    )?))
}

/// FILETIME ticks as UTC (every u64 of ticks is within chrono's range).
pub(crate) fn filetime_of(ticks: u64) -> Option<DateTime<Utc>> {
    let (secs, nanos) = filetime_parts(ticks);
    DateTime::from_timestamp(secs, nanos)
}

/// FILETIME ticks as Unix seconds and nanoseconds.
fn filetime_parts(ticks: u64) -> (i64, u32) {
    let secs = (ticks / 10_000_000) as i64 - 11_644_473_600;
    let nanos = (ticks % 10_000_000) as u32 * 100;
    (secs, nanos)
}

/// `filetime_of` with the last day's date remembered: a chunk's records fall on a day or two,
/// and chrono's day-number-to-date was 4% of a listing's CPU.
#[derive(Default)]
pub(crate) struct FiletimeDays {
    last: Option<(i64, chrono::NaiveDate)>,
}

impl FiletimeDays {
    pub(crate) fn time_of(&mut self, ticks: u64) -> Option<DateTime<Utc>> {
        let (secs, nanos) = filetime_parts(ticks);
        let day = secs.div_euclid(86_400);
        let date = match self.last {
            Some((last, date)) if last == day => date,
            _ => {
                let time = filetime_of(ticks)?;
                self.last = Some((day, time.date_naive()));
                return Some(time);
            }
        };
        let second = secs.rem_euclid(86_400) as u32;
        let time = chrono::NaiveTime::from_num_seconds_from_midnight_opt(second, nanos)?;
        Some(date.and_time(time).and_utc())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_days_give_filetime_of() {
        let mut days = FiletimeDays::default();
        let day = 864_000_000_000u64;
        let mut ticks = vec![0, 1, day - 1, day, u64::MAX, u64::MAX - 1];
        // 2011-08-15 and around it, forwards, backwards and across midnights.
        let base = 129_578_976_000_000_000u64;
        for step in [1u64, 9_999_999, 10_000_000, 36_000_000_000, day / 3, day] {
            ticks.extend((0..12).map(|k| base + k * step));
            ticks.extend((0..12).rev().map(|k| base + k * step + 7));
        }
        for t in ticks {
            assert_eq!(days.time_of(t), filetime_of(t), "ticks {t}");
        }
    }
}
