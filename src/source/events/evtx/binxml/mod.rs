//! The fast EVTX record decoder: reads each record's template instance straight from the chunk
//! bytes, decides on event id and time first, and builds an `Event` only for records that pass.
//!
//! It handles the common shape (a record is one template instance whose definition lays out the
//! whole `<Event>`, with values of plain types). On anything else it gives up on the whole chunk
//! and `evtx/mod.rs` reads that chunk through the `evtx` crate, so output never depends on which path
//! read a record. This file is the record walk; `template.rs` reads template definitions (and
//! remembers them), `plan.rs` says where each field of an `Event` comes from, `values.rs` renders
//! substitution values as the crate does.
mod plan;
mod template;
mod values;

pub(crate) use plan::{cached_nested_plan, present, Field, FieldKeys, NestedCache, Plan};
pub(crate) use template::Piece;
pub(crate) use values::{
    filetime_of, filetime_ticks, number, push_value, string_array, FiletimeDays,
};

use crate::filter::EventFilter;
use crate::model::Event;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;
use std::sync::Arc;

const CHUNK_HEADER_SIZE: usize = 512;
const RECORD_HEADER_SIZE: usize = 24;

/// A map keyed by chunk offsets (where template definitions sit): looked up for every record,
/// so hashed with one multiply per word rather than SipHash (which showed in profiles); the
/// keys come from one chunk's bytes, few and small.
pub(crate) type OffsetMap<K, V> = HashMap<K, V, BuildHasherDefault<OffsetHasher>>;

/// See `OffsetMap`.
#[derive(Default)]
pub(crate) struct OffsetHasher(u64);

impl OffsetHasher {
    fn mix(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(26) ^ word).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

impl Hasher for OffsetHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.mix(u64::from(b));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.mix(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.mix(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.mix(n as u64);
    }

    fn write_isize(&mut self, n: isize) {
        self.mix(n as u64);
    }
}

/// What one chunk gave, when the fast decoder could read every record in it.
#[derive(Debug, Default)]
pub(crate) struct FastChunk {
    pub events: Vec<Event>,
    pub records_read: u64,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
}

/// Decodes every live record of one 64 KiB chunk; `None` when any record is outside what this
/// decoder handles (the caller then reads the chunk with the `evtx` crate).
pub(crate) fn decode_chunk(
    data: &[u8],
    source: &Arc<str>,
    filter: &EventFilter,
) -> Option<FastChunk> {
    let mut out = FastChunk::default();
    out.records_read = for_each_record(data, |plan, _, subs, record_id, nested| {
        // The file's span counts every record, kept or not.
        let (time, event) = plan.event(data, subs, record_id, source, filter, nested)?;
        out.note_time(time);
        out.events.extend(event);
        Some(())
    })?;
    Some(out)
}

/// The earliest TimeCreated of the chunk's records; `None` when the fast decoder cannot read
/// every record's time (the chunk may then hold any time).
pub(crate) fn earliest_time(data: &[u8]) -> Option<DateTime<Utc>> {
    // In FILETIME ticks (they order as the times do): one time made, not one per record.
    let mut earliest: Option<u64> = None;
    for_each_record(data, |plan, _, subs, _, _| {
        plan.all_elements_present(subs)?;
        let t = filetime_ticks(data, subs, &plan.time)?;
        earliest = Some(earliest.map_or(t, |e| e.min(t)));
        Some(())
    })?;
    match earliest {
        Some(ticks) => filetime_of(ticks),
        // A chunk without records holds no time at all.
        None => Some(DateTime::<Utc>::MAX_UTC),
    }
}

/// Calls `on_record` with the plan and values of every live record of the chunk, in order;
/// the number of records, or `None` as soon as a record (or `on_record`) gives up.
pub(crate) fn for_each_record(
    data: &[u8],
    mut on_record: impl FnMut(&Plan, u32, &[Sub], u64, &mut NestedCache) -> Option<()>,
) -> Option<u64> {
    let last_record_id = read_u64(data, 32)?;
    let free_space = (read_u32(data, 48)? as usize).min(data.len());
    let mut plans: OffsetMap<u32, Option<Rc<Plan>>> = OffsetMap::default();
    let mut subs: Vec<Sub> = Vec::with_capacity(32);
    let mut nested = NestedCache::default();
    let mut records = 0u64;
    let mut offset = CHUNK_HEADER_SIZE;
    while offset < free_space {
        if data.get(offset..offset + 4)? != b"\x2a\x2a\x00\x00" {
            return None;
        }
        let size = read_u32(data, offset + 4)? as usize;
        let record_id = read_u64(data, offset + 8)?;
        if size < RECORD_HEADER_SIZE + 4 || offset + size > data.len() {
            return None;
        }
        let binxml_start = offset + RECORD_HEADER_SIZE;
        let binxml_end = offset + size - 4;
        let def = read_instance(data, binxml_start, binxml_end, &mut subs)?;
        let plan = plans
            .entry(def)
            .or_insert_with(|| plan::cached_plan(data, def))
            .as_ref()?;
        records += 1;
        on_record(plan, def, &subs, record_id, &mut nested)?;
        if record_id == last_record_id {
            break;
        }
        offset += size;
    }
    Some(records)
}

impl FastChunk {
    fn note_time(&mut self, t: DateTime<Utc>) {
        if self.first.is_none_or(|f| t < f) {
            self.first = Some(t);
        }
        if self.last.is_none_or(|l| t > l) {
            self.last = Some(t);
        }
    }
}

/// One substitution value: its type byte and where its bytes are in the chunk.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sub {
    pub(crate) kind: u8,
    pub(crate) start: usize,
    pub(crate) len: usize,
}

/// Reads a record's BinXML: a fragment header, one template instance, then the end. Fills
/// `subs` with the substitution values and returns the template definition's offset.
pub(crate) fn read_instance(
    data: &[u8],
    start: usize,
    end: usize,
    subs: &mut Vec<Sub>,
) -> Option<u32> {
    let mut pos = start;
    if *data.get(pos)? == 0x0f {
        pos += 4;
    }
    if *data.get(pos)? != 0x0c {
        return None;
    }
    pos += 2; // token, unknown byte
    pos += 4; // template id
    let def = read_u32(data, pos)?;
    pos += 4;
    if def as usize == pos {
        // The definition is stored here, on its first use in the chunk: skip it.
        let def_size = read_u32(data, pos + 20)? as usize;
        pos += 24 + def_size;
    }
    let count = read_u32(data, pos)? as usize;
    pos += 4;
    let mut value_pos = pos.checked_add(count.checked_mul(4)?)?;
    if value_pos > end {
        return None;
    }
    subs.clear();
    for i in 0..count {
        let d = pos + i * 4;
        let len = read_u16(data, d)? as usize;
        let kind = *data.get(d + 2)?;
        subs.push(Sub {
            kind,
            start: value_pos,
            len,
        });
        value_pos += len;
    }
    if value_pos > end {
        return None;
    }
    // Only the end-of-fragment token may follow.
    match data.get(value_pos..end)? {
        [] | [0x00, ..] => Some(def),
        _ => None,
    }
}

/// A slice as a fixed-size array (`None` when the length differs).
pub(crate) fn fixed<const N: usize>(bytes: &[u8]) -> Option<[u8; N]> {
    bytes.try_into().ok()
}

pub(crate) fn utf16(bytes: &[u8]) -> Option<String> {
    let units = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .ok()
}

pub(crate) fn read_u16(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(data.get(at..at + 2)?.try_into().ok()?))
}

pub(crate) fn read_u32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

pub(crate) fn read_u64(data: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(data.get(at..at + 8)?.try_into().ok()?))
}

/// Why the fast decoder leaves chunks to the crate, per real sample (run by hand:
/// `cargo test --lib why_chunks_are_refused -- --ignored --nocapture`); the first reason met
/// in each refused chunk, counted.
#[cfg(test)]
mod diagnose {
    use super::*;

    fn why(data: &[u8]) -> Option<String> {
        let last_record_id = read_u64(data, 32)?;
        let free_space = (read_u32(data, 48)? as usize).min(data.len());
        let mut subs = Vec::new();
        let mut offset = CHUNK_HEADER_SIZE;
        let mut nested = NestedCache::default();
        let filter = EventFilter::default();
        let source: Arc<str> = Arc::from("x");
        while offset < free_space {
            if data.get(offset..offset + 4)? != b"\x2a\x2a\x00\x00" {
                return Some("magic".into());
            }
            let size = read_u32(data, offset + 4)? as usize;
            let record_id = read_u64(data, offset + 8)?;
            if size < RECORD_HEADER_SIZE + 4 || offset + size > data.len() {
                return Some("record size".into());
            }
            let bs = offset + RECORD_HEADER_SIZE;
            let be = offset + size - 4;
            let Some(def) = read_instance(data, bs, be, &mut subs) else {
                return Some(format!("instance: {:02x?}", &data[bs..(bs + 16).min(be)]));
            };
            let Some(plan) = plan::cached_plan(data, def) else {
                let parsed = template::TemplateParser::at(data, def).and_then(|mut p| p.document());
                return Some(match parsed {
                    None => "template parse".into(),
                    Some(root) => format!(
                        "plan shape: root {} children {:?}",
                        root.name,
                        root.children
                            .iter()
                            .map(|c| c.name.clone())
                            .collect::<Vec<_>>()
                    ),
                });
            };
            if plan
                .event(data, &subs, record_id, &source, &filter, &mut nested)
                .is_none()
            {
                let kinds: Vec<String> = subs
                    .iter()
                    .map(|s| format!("{:02x}/{}", s.kind, s.len))
                    .collect();
                let Some(sub) = plan.nested.and_then(|n| subs.get(n as usize)).copied() else {
                    return Some(format!("event: no nested, subs {kinds:?}"));
                };
                if sub.kind != 0x21 {
                    return Some(format!("event: nested kind {:02x}", sub.kind));
                }
                let mut nsubs = Vec::new();
                let Some(ndef) = read_instance(data, sub.start, sub.start + sub.len, &mut nsubs)
                else {
                    return Some(format!(
                        "nested instance: {:02x?}",
                        data.get(sub.start..(sub.start + 24).min(sub.start + sub.len))
                    ));
                };
                let Some(nplan) = plan::cached_nested_plan(data, ndef) else {
                    let parsed =
                        template::TemplateParser::at(data, ndef).and_then(|mut p| p.document());
                    return Some(match parsed {
                        None => "nested template parse".into(),
                        Some(root) => format!(
                            "nested plan shape: root {} children {:?}",
                            root.name,
                            root.children
                                .iter()
                                .map(|c| (c.name.clone(), c.children.len()))
                                .collect::<Vec<_>>()
                        ),
                    });
                };
                let _ = nplan;
                let nkinds: Vec<String> = nsubs
                    .iter()
                    .map(|s| format!("{:02x}/{}", s.kind, s.len))
                    .collect();
                return Some(format!("nested values: {nkinds:?}"));
            }
            if record_id == last_record_id {
                break;
            }
            offset += size;
        }
        None
    }

    #[test]
    #[ignore]
    fn why_chunks_are_refused() {
        for path in crate::source::events::evtx::sample_files() {
            let Ok(mut parser) = evtx::EvtxParser::from_path(&path) else {
                continue;
            };
            let mut reasons: std::collections::BTreeMap<String, usize> = Default::default();
            let mut all = 0;
            for chunk in parser.chunks().flatten() {
                all += 1;
                if let Some(r) = why(&chunk.data) {
                    *reasons.entry(r).or_default() += 1;
                }
            }
            let refused: usize = reasons.values().sum();
            eprintln!("{} {refused}/{all}", path.display());
            for (r, n) in reasons {
                eprintln!("    {n} {}", &r[..r.len().min(300)]);
            }
        }
    }
}
