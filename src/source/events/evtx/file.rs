//! EVTX damage accounting: reads the file header and every chunk straight from the file and says
//! which records the `evtx` crate could not have given (zeroed, cut-off or unreadable chunks, a
//! header that promises more records, records inside a chunk whose framing breaks), so a damaged
//! copy reports its losses instead of reading silently short. Checksum mismatches become notes.
use crate::model::InputReport;
use std::io::{Read, Seek, SeekFrom};

pub(crate) const FILE_HEADER_BLOCK: u64 = 4096;
pub(crate) const CHUNK_SIZE: usize = 0x1_0000;
const CHUNK_HEADER_SIZE: usize = 512;
const RECORD_HEADER_SIZE: usize = 24;
/// The most records a 64 KiB chunk can hold (each takes at least a header and a size copy).
const MAX_RECORDS_PER_CHUNK: u64 =
    ((CHUNK_SIZE - CHUNK_HEADER_SIZE) / (RECORD_HEADER_SIZE + 4)) as u64;
/// The file header's `flags` bit set while the log is open for writing (not closed cleanly).
const FLAG_DIRTY: u32 = 0x1;
/// The file header's `flags` bit set once the log has filled and wraps around.
const FLAG_FULL: u32 = 0x2;
/// Problem lines kept per file, as in `evtx/mod.rs`.
const MAX_PROBLEMS_KEPT: usize = 20;

/// What the file header says, when its checksum holds.
#[derive(Debug, Clone, Copy, Default)]
struct FileHeader {
    next_record_id: u64,
    chunk_count: u64,
    flags: u32,
    checksum_ok: bool,
}

/// One 64 KiB slot of the file after the header.
#[derive(Debug, Clone)]
pub(crate) enum Slot {
    /// A chunk whose header gives a sane record id range.
    Chunk {
        first: u64,
        last: u64,
        /// Where the record framing broke inside the chunk: the last good id and why.
        broken: Option<String>,
    },
    /// Not a chunk at all: the reason, e.g. "all zeros".
    Unreadable(String),
}

/// What the scan of one file found: the record ids that must be missing and why, and notes.
#[derive(Debug, Default)]
pub struct Scan {
    /// Record ids the file should hold (oldest readable to newest promised).
    pub expected: u64,
    /// Ranges of ids that no readable chunk holds, each with a one-line reason.
    pub gaps: Vec<(u64, u64, String)>,
    /// Readable chunks whose record framing breaks before the header's last record: why.
    pub broken: Vec<String>,
    /// Facts that lose nothing but are worth saying (checksums, dirty header).
    pub notes: Vec<String>,
}

/// Compares what the file should hold with what was read (`report.records_read`) and counts the
/// difference as skipped, with a line per missing range.
pub(crate) fn apply(scan: &Scan, report: &mut InputReport) {
    let lost = scan.expected.saturating_sub(report.records_read);
    let in_gaps = scan
        .gaps
        .iter()
        .fold(0u64, |sum, (a, b, _)| sum.saturating_add(id_span(*a, *b)));
    let mut lines: Vec<String> = scan.notes.clone();
    lines.extend(scan.gaps.iter().map(|(a, b, why)| range_line(*a, *b, why)));
    if lost > in_gaps && !scan.broken.is_empty() {
        lines.push(format!(
            "{} records inside readable chunks not read ({})",
            lost - in_gaps,
            scan.broken.join("; ")
        ));
    }
    // Our lines go first: they explain the reader's own per-chunk errors that follow.
    let mut problems = lines;
    problems.append(&mut report.problems);
    problems.truncate(MAX_PROBLEMS_KEPT.max(scan.notes.len() + scan.gaps.len()));
    report.problems = problems;
    if lost > report.records_skipped {
        report.records_skipped = lost;
    }
}

fn range_line(first: u64, last: u64, why: &str) -> String {
    if first == last {
        format!("record {first} missing ({why})")
    } else {
        format!(
            "records {first}-{last} missing, {} records ({why})",
            id_span(first, last)
        )
    }
}

/// How many ids `first..=last` holds; the ids come from file headers, so no arithmetic may wrap.
fn id_span(first: u64, last: u64) -> u64 {
    last.saturating_sub(first).saturating_add(1)
}

/// Scans a whole EVTX image: the header, then each chunk slot.
pub fn scan_file<R: Read + Seek>(file: &mut R) -> std::io::Result<Scan> {
    let len = file.seek(SeekFrom::End(0))?;
    file.seek(SeekFrom::Start(0))?;
    let mut head = [0u8; 128];
    file.read_exact(&mut head)?;
    let mut scan = Scanner::default();
    let mut chunk = vec![0u8; CHUNK_SIZE];
    let mut number = 0u64;
    loop {
        let offset = FILE_HEADER_BLOCK + number * CHUNK_SIZE as u64;
        if offset >= len {
            break;
        }
        let available = (len - offset).min(CHUNK_SIZE as u64) as usize;
        if available < CHUNK_SIZE {
            scan.truncated(number, available as u64);
            break;
        }
        file.seek(SeekFrom::Start(offset))?;
        file.read_exact(&mut chunk)?;
        let mut notes = Vec::new();
        let slot = scan_chunk(number, &chunk, &mut notes);
        scan.push(slot, notes);
        number += 1;
    }
    Ok(scan.finish(&head))
}

/// The damage scan fed one slot at a time, in file order, by a reader that already has the
/// bytes (`evtx/mod.rs` reads each chunk once, for both decoding and this).
#[derive(Debug, Default)]
pub(crate) struct Scanner {
    slots: Vec<Slot>,
    notes: Vec<String>,
    truncated: Option<(u64, u64)>,
}

impl Scanner {
    /// The next full slot, as `scan_chunk` classified it, with its notes.
    pub(crate) fn push(&mut self, slot: Slot, mut notes: Vec<String>) {
        self.slots.push(slot);
        self.notes.append(&mut notes);
    }

    /// The file ends inside slot `number`, after `bytes` of it.
    pub(crate) fn truncated(&mut self, number: u64, bytes: u64) {
        self.truncated = Some((number, bytes));
    }

    /// The findings, given the file header's first 128 bytes.
    pub(crate) fn finish(self, head: &[u8; 128]) -> Scan {
        let header = parse_file_header(head);
        let mut notes = self.notes;
        if !header.checksum_ok {
            notes.insert(0, "file header checksum does not match: its record and chunk counts are not trusted; chunks read anyway".into());
        } else if header.flags & FLAG_DIRTY != 0 {
            notes.insert(0, "file header marked dirty (the log was not closed cleanly): records are counted from the chunks".into());
        }
        find_gaps(&header, &self.slots, self.truncated, notes)
    }
}

fn parse_file_header(head: &[u8; 128]) -> FileHeader {
    let stored = u32_at(head, 124);
    FileHeader {
        next_record_id: u64_at(head, 24),
        chunk_count: u64::from(u16::from_le_bytes([head[42], head[43]])),
        flags: u32_at(head, 120),
        checksum_ok: crc32fast::hash(&head[..120]) == stored,
    }
}

/// Classifies one full 64 KiB slot and walks its records' framing.
pub(crate) fn scan_chunk(number: u64, data: &[u8], notes: &mut Vec<String>) -> Slot {
    if !data.starts_with(b"ElfChnk\0") {
        let why = if data.iter().all(|b| *b == 0) {
            "all zeros"
        } else if data[..CHUNK_HEADER_SIZE].iter().all(|b| *b == 0) {
            "header zeroed"
        } else {
            "no chunk signature"
        };
        return Slot::Unreadable(format!("chunk {number} unreadable: {why}"));
    }
    let first = u64_at(data, 24);
    let last = u64_at(data, 32);
    if first > last || last - first >= MAX_RECORDS_PER_CHUNK {
        return Slot::Unreadable(format!(
            "chunk {number} unreadable: its header gives an impossible record range {first}-{last}"
        ));
    }
    let header_crc = {
        let mut h = crc32fast::Hasher::new();
        h.update(&data[..120]);
        h.update(&data[128..CHUNK_HEADER_SIZE]);
        h.finalize()
    };
    if header_crc != u32_at(data, 124) {
        notes.push(format!(
            "chunk {number}: header checksum does not match (read anyway)"
        ));
    }
    let free = (u32_at(data, 48) as usize).clamp(CHUNK_HEADER_SIZE, CHUNK_SIZE);
    if crc32fast::hash(&data[CHUNK_HEADER_SIZE..free]) != u32_at(data, 52) {
        notes.push(format!(
            "chunk {number}: record data checksum does not match (records read anyway; some may be damaged)"
        ));
    }
    Slot::Chunk {
        first,
        last,
        broken: walk_records(number, data, free, last),
    }
}

/// Follows the record framing (signature and size, as the `evtx` crate does) from the chunk header
/// to the free-space offset; where it breaks before the header's last id, says where and why.
fn walk_records(number: u64, data: &[u8], free: usize, last: u64) -> Option<String> {
    let mut offset = CHUNK_HEADER_SIZE;
    let mut last_good: Option<u64> = None;
    while offset + RECORD_HEADER_SIZE <= free {
        let why = if &data[offset..offset + 4] != b"\x2a\x2a\x00\x00" {
            Some("no record signature".to_string())
        } else {
            let size = u32_at(data, offset + 4) as usize;
            if size < RECORD_HEADER_SIZE + 4 || size > CHUNK_SIZE - offset {
                Some(format!("impossible record size {size}"))
            } else {
                let id = u64_at(data, offset + 8);
                if id == last {
                    return None;
                }
                last_good = Some(id);
                offset += size;
                None
            }
        };
        if let Some(why) = why {
            let after = last_good.map_or(String::new(), |id| format!(" after record {id}"));
            return Some(format!(
                "chunk {number}: framing breaks at offset 0x{offset:x}{after}: {why}"
            ));
        }
    }
    last_good.filter(|id| *id < last).map(|id| {
        format!("chunk {number}: records end at {id}, before the header's last record {last}")
    })
}

/// Record ids no readable chunk holds, each named with the unreadable slots that should hold them.
fn find_gaps(
    header: &FileHeader,
    slots: &[Slot],
    truncated: Option<(u64, u64)>,
    notes: Vec<String>,
) -> Scan {
    let mut chunks: Vec<(u64, u64, usize)> = slots
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match s {
            Slot::Chunk { first, last, .. } => Some((*first, *last, i)),
            Slot::Unreadable(_) => None,
        })
        .collect();
    chunks.sort();
    let mut scan = Scan {
        notes,
        ..Default::default()
    };
    let mut bad: Vec<(usize, String)> = slots
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match s {
            Slot::Unreadable(why) => Some((i, why.clone())),
            Slot::Chunk { .. } => None,
        })
        .collect();
    if let Some((number, bytes)) = truncated {
        bad.push((
            number as usize,
            format!(
                "chunk {number} cut off after {bytes} of {CHUNK_SIZE} bytes: the file is truncated"
            ),
        ));
    }
    let total_slots = slots.len() + usize::from(truncated.is_some());
    let missing_slots = header
        .chunk_count
        .saturating_sub(total_slots as u64)
        .min(0xFFFF);
    let room = (bad.len() as u64 + missing_slots) * MAX_RECORDS_PER_CHUNK;
    let truncation = (missing_slots > 0 && truncated.is_none()).then(|| {
        format!(
            "the header counts {} chunks, the file holds {total_slots}: the file is truncated",
            header.chunk_count
        )
    });
    let Some(&(min_first, _, oldest_slot)) = chunks.first() else {
        // No readable chunk at all: a log that never wrapped held records 1 to the header's next.
        let promised = header.next_record_id.saturating_sub(1);
        if header.checksum_ok && header.flags & FLAG_FULL == 0 && promised > 0 && promised <= room {
            let mut reasons: Vec<String> = bad.iter().map(|(_, why)| why.clone()).collect();
            reasons.extend(truncation);
            scan.gaps.push((1, promised, reasons.join("; ")));
            scan.expected = promised;
        }
        return scan;
    };
    // Reasons for the ids between two readable chunks: the bad slots physically between them.
    let between = |from: Option<usize>, to: Option<usize>| -> Option<(String, u64)> {
        let start = from.map_or(0, |f| f + 1);
        let mut names = Vec::new();
        for step in 0..total_slots {
            let i = (start + step) % total_slots.max(1);
            if Some(i) == to || (to.is_none() && i == oldest_slot && step > 0) {
                break;
            }
            if let Some((_, why)) = bad.iter().find(|(b, _)| *b == i) {
                names.push(why.clone());
            }
        }
        (!names.is_empty()).then(|| (names.join("; "), names.len() as u64 * MAX_RECORDS_PER_CHUNK))
    };
    // A gap counts as lost only where unreadable slots lie between its neighbours and could have
    // held it: elsewhere (shadow copies, reused files) chunks of other epochs sit side by side.
    let fits = |first: u64, last: u64, found: Option<(String, u64)>| {
        found
            .filter(|(_, room)| last - first < *room)
            .map(|(why, _)| (first, last, why))
    };
    let mut next = min_first;
    let mut prev_slot: Option<usize> = None;
    if min_first > 1 && header.flags & FLAG_FULL == 0 && bad.iter().any(|(i, _)| *i < oldest_slot) {
        scan.gaps
            .extend(fits(1, min_first - 1, between(None, Some(oldest_slot))));
    }
    for &(first, last, slot) in &chunks {
        if first > next && prev_slot.is_some() {
            scan.gaps
                .extend(fits(next, first - 1, between(prev_slot, Some(slot))));
        }
        if let Some(Slot::Chunk {
            broken: Some(why), ..
        }) = slots.get(slot)
        {
            scan.broken.push(why.clone());
        }
        // Ids come from chunk headers: u64::MAX must not overflow.
        let start = next.max(first);
        if last >= start {
            scan.expected = scan.expected.saturating_add(id_span(start, last));
        }
        next = next.max(last.saturating_add(1));
        prev_slot = Some(slot);
    }
    // Records the header promises beyond the newest readable chunk, if unreadable slots (or
    // chunks missing from the end of the file) could have held them.
    if header.checksum_ok && header.next_record_id > next && header.next_record_id - next <= room {
        let why = match (between(prev_slot, None).map(|(why, _)| why), truncation) {
            (Some(w), Some(t)) => Some(format!("{w}; {t}")),
            (w, t) => w.or(t),
        };
        if let Some(why) = why {
            scan.gaps.push((next, header.next_record_id - 1, why));
        }
    }
    scan.expected = scan.gaps.iter().fold(scan.expected, |sum, (a, b, _)| {
        sum.saturating_add(id_span(*a, *b))
    });
    scan
}

fn u32_at(data: &[u8], at: usize) -> u32 {
    data.get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u32::from_le_bytes)
}

fn u64_at(data: &[u8], at: usize) -> u64 {
    data.get(at..at + 8)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u64::from_le_bytes)
}

/// A record header's timestamp (FILETIME, as the `evtx` crate reads it) in chrono.
pub(crate) fn header_time(t: &evtx::Timestamp) -> Option<chrono::DateTime<chrono::Utc>> {
    let nanos = u32::try_from(t.subsec_nanosecond()).ok()?;
    chrono::DateTime::from_timestamp(t.as_second(), nanos)
}

/// For a record without a readable TimeCreated: the record header's time, with a note saying so.
pub(crate) fn time_fallback(
    record_id: u64,
    header_time: Option<chrono::DateTime<chrono::Utc>>,
    notes: &mut Vec<String>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let t = header_time?;
    notes.push(format!(
        "record {record_id}: no readable TimeCreated; the record header's time {} is used",
        crate::model::rfc3339(&t)
    ));
    Some(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::evtx_writer::{write_evtx, SynthRecord};

    /// A chunk header is input: ids up to u64::MAX must not overflow the accounting.
    #[test]
    fn record_ids_at_the_top_of_the_range_do_not_overflow() {
        let record = SynthRecord {
            time: chrono::DateTime::from_timestamp(1_313_452_683, 0).expect("time"),
            provider: "P".into(),
            event_id: 1,
            qualifiers: None,
            level: 4,
            channel: "System".into(),
            computer: "HOST".into(),
            data: vec![],
        };
        let mut bytes = write_evtx(&[record]);
        let chunk = 0x1000;
        for (at, id) in [(24, u64::MAX - 3), (32, u64::MAX)] {
            bytes[chunk + at..chunk + at + 8].copy_from_slice(&id.to_le_bytes());
        }
        let scan = scan_file(&mut std::io::Cursor::new(bytes)).expect("scan");
        assert_eq!(scan.expected, 4, "{scan:?}");
        let mut report = InputReport::default();
        apply(&scan, &mut report);
        assert!(report.records_skipped >= 4);
    }
}
