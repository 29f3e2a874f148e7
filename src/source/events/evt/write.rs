//! The `.evt` writer for fixtures and tests: records, the end-of-file record and the header as
//! Windows lays them out, optionally wrapped, with records left in slack space.
use super::{EOF_SIZE, FIXED, FLAG_WRAPPED, HEADER_SIZE, MAGIC};
use crate::model::{Event, Level};

/// How `write_evt_with` lays out a file.
#[derive(Debug, Clone, Copy, Default)]
pub struct EvtLayout<'a> {
    /// How many bytes of the live log (records, then the end-of-file record) sit before the end
    /// of the file; the rest continues right after the header. `None` (or 0, or the whole log):
    /// no wrap. A value inside a record makes it straddle the wrap.
    pub wrap_at: Option<usize>,
    /// Records left in slack space, between the end-of-file record and the oldest record.
    pub slack: &'a [Event],
}

/// Writes events as an `.evt` file (for fixtures and tests); see `write_evt_with`.
pub fn write_evt(events: &[Event], wrap_at: Option<usize>) -> Vec<u8> {
    write_evt_with(
        events,
        &EvtLayout {
            wrap_at,
            slack: &[],
        },
    )
}

/// Writes events as an `.evt` file, the same bytes every time: records numbered by `record_id`
/// (else one more than the previous), every data value but `Binary` as strings in order, `Binary` (hex) as the data,
/// the level as the event type; no SID, category 0, time written = time generated.
pub fn write_evt_with(events: &[Event], layout: &EvtLayout) -> Vec<u8> {
    let (log, numbers) = encode_records(events);
    let (slack, _) = encode_records(layout.slack);
    let total = log.len() + EOF_SIZE;
    let wrap = layout.wrap_at.filter(|&w| w > 0 && w < total);
    // Without a wrap the log starts after the header; with one, its first `w` bytes end the file.
    let (start, file_len, end) = match wrap {
        Some(w) => {
            let start = HEADER_SIZE + (total - w) + slack.len();
            let end = if log.len() >= w {
                HEADER_SIZE + log.len() - w
            } else {
                start + log.len()
            };
            (start, start + w, end)
        }
        None => (
            HEADER_SIZE,
            HEADER_SIZE + total + slack.len(),
            HEADER_SIZE + log.len(),
        ),
    };
    let oldest = numbers.first().copied().unwrap_or(0);
    let next = numbers.last().map_or(1, |&n| n.wrapping_add(1));
    let flags = if wrap.is_some() { FLAG_WRAPPED } else { 0 };
    let (start32, end32, len32) = (as32(start), as32(end), as32(file_len));
    let mut file = words(&[
        0x30,
        u32::from_le_bytes(*MAGIC),
        1,
        1,
        start32,
        end32,
        next,
        oldest,
    ]);
    file.extend(words(&[len32, flags, 0, 0x30]));
    file.resize(file_len, 0);
    let mut stream = log;
    stream.extend(words(&[
        0x28,
        0x1111_1111,
        0x2222_2222,
        0x3333_3333,
        0x4444_4444,
    ]));
    stream.extend(words(&[start32, end32, next, oldest, 0x28]));
    let before_wrap = (file_len - start).min(stream.len());
    file[start..start + before_wrap].copy_from_slice(&stream[..before_wrap]);
    let after = &stream[before_wrap..];
    file[HEADER_SIZE..HEADER_SIZE + after.len()].copy_from_slice(after);
    let slack_at = if wrap.is_some() {
        HEADER_SIZE + after.len()
    } else {
        HEADER_SIZE + total
    };
    file[slack_at..slack_at + slack.len()].copy_from_slice(&slack);
    file
}

fn encode_records(events: &[Event]) -> (Vec<u8>, Vec<u32>) {
    let (mut out, mut numbers) = (Vec::new(), Vec::<u32>::with_capacity(events.len()));
    for event in events {
        let after_previous = numbers.last().map_or(1, |n| n.wrapping_add(1));
        let number = event
            .record_id
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(after_previous);
        numbers.push(number);
        out.extend(encode_record(event, number));
    }
    (out, numbers)
}

pub(super) fn encode_record(event: &Event, number: u32) -> Vec<u8> {
    let utf16z = |s: &str| -> Vec<u8> {
        s.encode_utf16()
            .chain([0])
            .flat_map(u16::to_le_bytes)
            .collect()
    };
    let mut names = utf16z(&event.provider);
    names.extend(utf16z(&event.computer));
    // EVT keeps insertion strings by position only: named values are written in their order.
    let values: Vec<&str> = event
        .data
        .0
        .iter()
        .filter(|f| f.name.as_deref() != Some("Binary"))
        .map(|f| f.value.as_str())
        .collect();
    let strings: Vec<u8> = values.iter().flat_map(|v| utf16z(v)).collect();
    let data = event.data.get("Binary").and_then(unhex).unwrap_or_default();
    let strings_at = FIXED + names.len();
    let data_at = strings_at + strings.len();
    let size = (data_at + data.len() + 4).div_ceil(4) * 4;
    let (severity, event_type) = match event.level {
        Level::ERROR | Level::CRITICAL => (0xC000_0000u32, 1u32),
        Level::WARNING => (0x8000_0000, 2),
        _ => (0x4000_0000, 4),
    };
    let time = u32::try_from(event.time.timestamp()).unwrap_or(0);
    let count = as32(values.len()).min(0xFFFF);
    let id = severity | (event.event_id & 0xFFFF);
    let mut out = words(&[
        as32(size),
        u32::from_le_bytes(*MAGIC),
        number,
        time,
        time,
        id,
    ]);
    // Type and string count (u16 each), category and flags, closing record number, strings
    // offset, SID size and offset, data size and offset.
    let (s, d) = (as32(strings_at), as32(data_at));
    out.extend(words(&[
        event_type | count << 16,
        0,
        0,
        s,
        0,
        s,
        as32(data.len()),
        d,
    ]));
    out.extend(names);
    out.extend(strings);
    out.extend(data);
    out.resize(size - 4, 0);
    out.extend(as32(size).to_le_bytes());
    out
}

fn words(values: &[u32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn as32(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let pairs = text.as_bytes().chunks_exact(2);
    pairs
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .collect()
}
