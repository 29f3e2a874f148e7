//! One `LfLe` record of an `.evt` file: found at an offset of the ring, validated, and read into
//! its values.
use super::{le16, le32, Ring, FIXED, MAGIC, MIN_RECORD};

/// One record's values, before they become an `Event`.
pub(super) struct RawRecord {
    pub(super) number: u32,
    pub(super) generated: u32,
    pub(super) event_id: u32,
    pub(super) event_type: u16,
    pub(super) source: String,
    pub(super) computer: String,
    pub(super) strings: Vec<String>,
    pub(super) data: Vec<u8>,
    /// What could not be read of a record that is otherwise sound.
    pub(super) flaw: Option<String>,
}

type Parsed<T> = std::result::Result<T, String>;

/// The record at `pos`, no longer than `room` bytes: the record and its size, or why not.
pub(super) fn record_at(ring: &Ring, pos: usize, room: usize) -> Parsed<(RawRecord, usize)> {
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
    let bytes = ring.bytes(pos, size).ok_or("record larger than the file")?;
    parse_record(&bytes).map(|raw| (raw, size))
}

/// Validates and reads one whole record (size, signature, closing size, names, strings).
pub(super) fn parse_record(r: &[u8]) -> Parsed<RawRecord> {
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
    let (source, after_source) = utf16z(r, FIXED, body_end).ok_or("source name unterminated")?;
    let (computer, _) = utf16z(r, after_source, body_end).ok_or("computer name unterminated")?;
    let (count, strings_at) = (half(26) as usize, word(36));
    let (data_len, data_at) = (word(48), word(52));
    let data_fits =
        data_len > 0 && data_at >= FIXED && data_at.saturating_add(data_len) <= body_end;
    let mut flaw = (data_len > 0 && !data_fits)
        .then(|| format!("its {data_len} bytes of data lie outside it"));
    let mut strings = Vec::with_capacity(count.min(64));
    if count > 0 && !(FIXED..=body_end).contains(&strings_at) {
        return Err(format!("strings offset {strings_at} outside the record"));
    }
    let limit = if data_fits && data_at >= strings_at {
        data_at
    } else {
        body_end
    };
    let mut at = strings_at;
    while strings.len() < count {
        let Some((s, next)) = utf16z(r, at, limit) else {
            flaw = Some(format!(
                "only {} of its {count} strings are whole",
                strings.len()
            ));
            break;
        };
        strings.push(s);
        at = next;
    }
    let data = match data_fits {
        true => r
            .get(data_at..data_at + data_len)
            .unwrap_or_default()
            .to_vec(),
        false => Vec::new(),
    };
    Ok(RawRecord {
        number: word(8) as u32,
        generated: word(12) as u32,
        event_id: word(20) as u32,
        event_type: half(24),
        source,
        computer,
        strings,
        data,
        flaw,
    })
}

/// The NUL-terminated UTF-16LE string at `at`, ending before `limit`, and the offset after it.
fn utf16z(r: &[u8], at: usize, limit: usize) -> Option<(String, usize)> {
    let units: Vec<u16> = r
        .get(at..limit.min(r.len()))?
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]))
        .take_while(|&u| u != 0)
        .collect();
    let end = at + units.len() * 2;
    (end + 2 <= limit).then(|| (String::from_utf16_lossy(&units), end + 2))
}
