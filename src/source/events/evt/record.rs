//! One `LfLe` record of an `.evt` file: found at an offset of the ring, validated, and read into
//! its values. Its text stays UTF-16 bytes until asked for: a count decodes only the source name.
use super::ring::Ring;
use super::{le16, le32, FIXED, MAGIC, MIN_RECORD};
use std::borrow::Cow;

/// One record's values, borrowed from its bytes, before they become an `Event`.
pub(super) struct RawRecord<'r> {
    pub(super) number: u32,
    pub(super) generated: u32,
    pub(super) event_id: u32,
    pub(super) event_type: u16,
    /// The names' UTF-16LE bytes, without their NUL.
    pub(super) source: &'r [u8],
    pub(super) computer: &'r [u8],
    /// The whole strings, each UTF-16LE and NUL-terminated, one after the other.
    strings: &'r [u8],
    pub(super) data: &'r [u8],
    /// What could not be read of a record that is otherwise sound.
    pub(super) flaw: Option<String>,
}

impl RawRecord<'_> {
    /// The whole strings, decoded.
    pub(super) fn strings(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut at = 0;
        while let Some(end) = nul_at(self.strings, at, self.strings.len()) {
            out.push(utf16_text(&self.strings[at..end]));
            at = end + 2;
        }
        out
    }
}

type Parsed<T> = std::result::Result<T, String>;

/// The bytes of the record at `pos`, no longer than `room` bytes (joined across the wrap), or why
/// no record starts there; `parse_record` reads them.
pub(super) fn record_bytes<'a>(ring: &Ring<'a>, pos: usize, room: usize) -> Parsed<Cow<'a, [u8]>> {
    let head = ring.bytes(pos, 8).unwrap_or_default();
    let size = le32(&head, 0).unwrap_or(0) as usize;
    if head.get(4..8) != Some(MAGIC.as_slice()) || size < MIN_RECORD {
        return Err("no record starts here".into());
    }
    if size > room {
        return Err(format!(
            "record of {size} bytes runs past the end of the log ({room} bytes left)"
        ));
    }
    Ok(ring.bytes(pos, size).ok_or("record larger than the file")?)
}

/// Whether a valid record of at most `room` bytes starts at `pos`.
pub(super) fn record_is_valid(ring: &Ring, pos: usize, room: usize) -> bool {
    record_bytes(ring, pos, room).is_ok_and(|bytes| parse_record(&bytes).is_ok())
}

/// Validates and reads one whole record (size, signature, closing size, names, strings).
pub(super) fn parse_record(r: &[u8]) -> Parsed<RawRecord<'_>> {
    let size = r.len();
    if size < MIN_RECORD || r.get(4..8) != Some(MAGIC.as_slice()) {
        return Err("no record signature".into());
    }
    // Every offset below is inside the fixed part, which `size` covers.
    let word = |o| le32(r, o).unwrap_or(0) as usize;
    let half = |o| le16(r, o).unwrap_or(0);
    let closing = word(size - 4);
    if closing != size {
        return Err(format!(
            "closing size {closing} does not match the record size {size}"
        ));
    }
    let body_end = size - 4;
    let source_end = nul_at(r, FIXED, body_end).ok_or("source name unterminated")?;
    let computer_end = nul_at(r, source_end + 2, body_end).ok_or("computer name unterminated")?;
    let (count, strings_at) = (half(26) as usize, word(36));
    let (data_len, data_at) = (word(48), word(52));
    let data_fits =
        data_len > 0 && data_at >= FIXED && data_at.saturating_add(data_len) <= body_end;
    let mut flaw = (data_len > 0 && !data_fits)
        .then(|| format!("its {data_len} bytes of data lie outside it"));
    if count > 0 && !(FIXED..=body_end).contains(&strings_at) {
        return Err(format!("strings offset {strings_at} outside the record"));
    }
    let limit = if data_fits && data_at >= strings_at {
        data_at
    } else {
        body_end
    };
    let (mut whole, mut at) = (0, strings_at);
    while whole < count {
        let Some(end) = nul_at(r, at, limit) else {
            flaw = Some(format!("only {whole} of its {count} strings are whole"));
            break;
        };
        whole += 1;
        at = end + 2;
    }
    let data = match data_fits {
        true => r.get(data_at..data_at + data_len).unwrap_or_default(),
        false => &[],
    };
    Ok(RawRecord {
        number: word(8) as u32,
        generated: word(12) as u32,
        event_id: word(20) as u32,
        event_type: half(24),
        source: r.get(FIXED..source_end).unwrap_or_default(),
        computer: r.get(source_end + 2..computer_end).unwrap_or_default(),
        strings: r.get(strings_at..at).unwrap_or_default(),
        data,
        flaw,
    })
}

/// Where the NUL-terminated UTF-16LE string at `at` ends (its NUL unit), the NUL ending before
/// `limit`.
fn nul_at(r: &[u8], at: usize, limit: usize) -> Option<usize> {
    let units = r.get(at..limit.min(r.len()))?;
    let end = at + first_nul_unit(units).unwrap_or(units.len() & !1);
    (end + 2 <= limit).then_some(end)
}

/// The offset of the first zero UTF-16 unit of `units`, looked for four units at a time (a
/// record's strings are most of its bytes, and every one is checked for its end).
fn first_nul_unit(units: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0001_0001_0001_0001;
    const HIGHS: u64 = 0x8000_8000_8000_8000;
    let words = units.chunks_exact(8);
    let tail = words.remainder();
    for (n, word) in words.enumerate() {
        let Ok(bytes) = <[u8; 8]>::try_from(word) else {
            break;
        };
        let v = u64::from_le_bytes(bytes);
        // The lowest flag marks the first zero unit (a borrow can only flag units above it).
        let zero = v.wrapping_sub(ONES) & !v & HIGHS;
        if zero != 0 {
            return Some(n * 8 + (zero.trailing_zeros() / 16) as usize * 2);
        }
    }
    let before_tail = units.len() - tail.len();
    tail.chunks_exact(2)
        .position(|p| p == [0, 0])
        .map(|n| before_tail + n * 2)
}

/// Source names as text, each decoded once: a log has a few dozen sources over a million records.
#[derive(Default)]
pub(super) struct SourceNames {
    known: Vec<(Box<[u8]>, String)>,
    /// A name past the first `MAX_KNOWN`, decoded each time.
    other: String,
}

impl SourceNames {
    const MAX_KNOWN: usize = 256;

    /// The name whose UTF-16LE bytes are `units`.
    pub(super) fn text(&mut self, units: &[u8]) -> &str {
        match self.known.iter().position(|(known, _)| **known == *units) {
            Some(i) => &self.known[i].1,
            None if self.known.len() < Self::MAX_KNOWN => {
                self.known.push((units.into(), utf16_text(units)));
                self.known.last().map_or("", |(_, name)| name)
            }
            None => {
                self.other = utf16_text(units);
                &self.other
            }
        }
    }
}

/// UTF-16LE bytes as text, an unpaired surrogate as U+FFFD (`String::from_utf16_lossy`).
pub(super) fn utf16_text(bytes: &[u8]) -> String {
    let units = bytes
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]));
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}
