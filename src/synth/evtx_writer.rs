//! Writes synthetic events as a real Windows EVTX file, the same bytes for the same input.
//!
//! The layout follows MS-EVEN6 and what `wevtsvc` writes:
//!
//! * a 4096-byte file header (`ElfFile\0`, chunk count, next record id, CRC32 of its first 120
//!   bytes);
//! * 64 KiB chunks (`ElfChnk\0`), each with first/last record numbers and ids, the offsets of the
//!   last record and of the free space, a 64-bucket string table and a 32-bucket template table,
//!   the CRC32 of its records and the CRC32 of its header;
//! * records (`**\0\0`, size, id, FILETIME, BinXML, size again).
//!
//! Each record's BinXML is a template instance, as Windows writes it: one template per shape of
//! event (whether EventID has Qualifiers, and the names of its `Data` elements) is defined inline
//! by the first record of a chunk that uses it, and later records in the chunk point back at it.
//! Every value, text included, is a substitution, so text needs no escaping and any character
//! round-trips. Element and attribute names are written inline the first time a chunk uses them
//! and referenced by offset after that, and every one is linked into the chunk's string table,
//! which is how both the `evtx` crate and python-evtx resolve names. This file lays out the file,
//! its chunks and their tables; `event.rs` is the event each template describes.
mod event;

use chrono::{DateTime, Utc};
use event::{
    collect_fields, event_tree, field_value, token, value_type, AttrValue, Field, Node, Shape,
};

/// One event to write.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthRecord {
    /// System/TimeCreated SystemTime and the record header's FILETIME.
    pub time: DateTime<Utc>,
    /// System/Provider Name.
    pub provider: String,
    /// System/EventID.
    pub event_id: u16,
    /// System/EventID's Qualifiers attribute, when `Some`.
    pub qualifiers: Option<u16>,
    /// System/Level (1 critical, 2 error, 3 warning, 4 info, 5 verbose; 0 also info).
    pub level: u8,
    /// System/Channel, e.g. "System" or "Application".
    pub channel: String,
    /// System/Computer.
    pub computer: String,
    /// EventData/Data elements in order: `Some(name)` is `<Data Name="name">value</Data>`, `None`
    /// is `<Data>value</Data>`.
    pub data: Vec<(Option<String>, String)>,
}

/// System/Execution ProcessID of every record.
pub const PROCESS_ID: u32 = 4;
/// System/Execution ThreadID of every record.
pub const THREAD_ID: u32 = 8;
/// System/Keywords of every record (`EventLogClassic`).
pub const KEYWORDS: u64 = 0x0080_0000_0000_0000;

const FILE_HEADER_SIZE: usize = 4096;
const CHUNK_SIZE: usize = 0x1_0000;
const CHUNK_HEADER_SIZE: usize = 512;
const STRING_BUCKETS: usize = 64;
const TEMPLATE_BUCKETS: usize = 32;
const EVENT_NAMESPACE: &str = "http://schemas.microsoft.com/win/2004/08/events/event";
/// 100 ns ticks from 1601-01-01 to 1970-01-01.
const FILETIME_UNIX_EPOCH: i128 = 116_444_736_000_000_000;

/// Writes a whole EVTX file; record ids are 1.. in the order given. Deterministic output.
///
/// # Panics
///
/// If one record is too large for an empty 64 KiB chunk (its text is more than about 32,000
/// UTF-16 units), which EVTX cannot hold.
pub fn write_evtx(records: &[SynthRecord]) -> Vec<u8> {
    let mut chunks = Vec::new();
    let mut chunk = Chunk::new();
    for (id, record) in (1u64..).zip(records) {
        if chunk.push(record, id).is_err() {
            chunks.push(std::mem::replace(&mut chunk, Chunk::new()).finish());
            if chunk.push(record, id).is_err() {
                panic!("EVTX record {id} does not fit in an empty 64 KiB chunk");
            }
        }
    }
    if chunk.last_id.is_some() {
        chunks.push(chunk.finish());
    }
    let next_record_id = records.len() as u64 + 1;
    let mut file = file_header(chunks.len(), next_record_id);
    for chunk in chunks {
        file.extend_from_slice(&chunk);
    }
    file
}

/// The 4096-byte file header for `chunk_count` chunks.
fn file_header(chunk_count: usize, next_record_id: u64) -> Vec<u8> {
    let chunk_count = u16::try_from(chunk_count).expect("an EVTX file holds at most 65535 chunks");
    let mut header = Vec::with_capacity(FILE_HEADER_SIZE);
    header.extend_from_slice(b"ElfFile\0");
    put_u64(&mut header, 0); // first chunk number
    put_u64(&mut header, u64::from(chunk_count.saturating_sub(1))); // last chunk number
    put_u64(&mut header, next_record_id);
    put_u32(&mut header, 128); // header size
    put_u16(&mut header, 1); // minor version
    put_u16(&mut header, 3); // major version
    put_u16(&mut header, FILE_HEADER_SIZE as u16);
    put_u16(&mut header, chunk_count);
    header.resize(120, 0);
    put_u32(&mut header, 0); // flags: clean, not full
    let checksum = crc32fast::hash(&header[..120]);
    put_u32(&mut header, checksum);
    header.resize(FILE_HEADER_SIZE, 0);
    header
}

/// The record did not fit in what is left of the chunk.
struct Full;

/// A template defined in this chunk.
struct TemplateDef {
    shape: Shape,
    /// Chunk offset of the definition (its next-template link).
    offset: u32,
    id: u32,
}

/// A name written in this chunk.
struct NameEntry {
    name: String,
    /// Chunk offset of the entry (its next-string link).
    offset: u32,
    hash: u32,
}

/// One chunk being filled; `data` starts with room for the header.
struct Chunk {
    data: Vec<u8>,
    first_id: Option<u64>,
    last_id: Option<u64>,
    last_record_offset: u32,
    /// In the order they were written (a chunk holds few).
    names: Vec<NameEntry>,
    /// In the order they were written (a chunk holds few).
    templates: Vec<TemplateDef>,
}

impl Chunk {
    fn new() -> Self {
        Chunk {
            data: vec![0; CHUNK_HEADER_SIZE],
            first_id: None,
            last_id: None,
            last_record_offset: 0,
            names: Vec::new(),
            templates: Vec::new(),
        }
    }

    /// Appends `record` as record `id`, or leaves the chunk as it was if it does not fit.
    fn push(&mut self, record: &SynthRecord, id: u64) -> Result<(), Full> {
        let start = self.data.len();
        match self.write_record(record, id) {
            Ok(()) if self.data.len() <= CHUNK_SIZE => {
                self.first_id.get_or_insert(id);
                self.last_id = Some(id);
                self.last_record_offset = start as u32;
                Ok(())
            }
            _ => {
                self.rollback(start);
                Err(Full)
            }
        }
    }

    /// Forgets everything written from `start` on.
    fn rollback(&mut self, start: usize) {
        self.data.truncate(start);
        let start = start as u32;
        self.names.retain(|entry| entry.offset < start);
        self.templates.retain(|def| def.offset < start);
    }

    fn write_record(&mut self, record: &SynthRecord, id: u64) -> Result<(), Full> {
        let start = self.data.len();
        let filetime = filetime(&record.time);
        self.data.extend_from_slice(b"**\0\0");
        put_u32(&mut self.data, 0); // size, set below
        put_u64(&mut self.data, id);
        put_u64(&mut self.data, filetime);

        put_fragment_header(&mut self.data);
        let shape = Shape::of(record);
        let tree = event_tree(&shape);
        self.data.push(token::TEMPLATE_INSTANCE);
        self.data.push(1);
        match self.templates.iter().find(|def| def.shape == shape) {
            Some(def) => {
                put_u32(&mut self.data, def.id);
                put_u32(&mut self.data, def.offset);
            }
            None => self.write_template(shape.clone(), &tree),
        }

        let mut fields = Vec::new();
        collect_fields(&tree, &mut fields);
        let values: Vec<(u8, Vec<u8>)> = fields
            .iter()
            .map(|field| field_value(*field, record, id, filetime))
            .collect();
        put_u32(&mut self.data, values.len() as u32);
        for (value_type, bytes) in &values {
            put_u16(
                &mut self.data,
                u16::try_from(bytes.len()).map_err(|_| Full)?,
            );
            self.data.push(*value_type);
            self.data.push(0);
        }
        for (_, bytes) in &values {
            self.data.extend_from_slice(bytes);
        }

        let size = u32::try_from(self.data.len() - start + 4).map_err(|_| Full)?;
        put_u32(&mut self.data, size);
        self.data[start + 4..start + 8].copy_from_slice(&size.to_le_bytes());
        Ok(())
    }

    /// Writes the template id and a definition of `tree` right after it, where the instance's
    /// definition offset points.
    fn write_template(&mut self, shape: Shape, tree: &Node<'_>) {
        let guid = shape.guid();
        let id = u32::from_le_bytes([guid[0], guid[1], guid[2], guid[3]]);
        put_u32(&mut self.data, id);
        let offset = self.data.len() as u32 + 4;
        put_u32(&mut self.data, offset);
        put_u32(&mut self.data, 0); // next template in the bucket, set by `finish`
        self.data.extend_from_slice(&guid);
        let size_at = self.data.len();
        put_u32(&mut self.data, 0);
        put_fragment_header(&mut self.data);
        let mut next_index = 0;
        self.write_node(tree, &mut next_index);
        self.data.push(token::END_OF_STREAM);
        let size = (self.data.len() - size_at - 4) as u32;
        self.data[size_at..size_at + 4].copy_from_slice(&size.to_le_bytes());
        self.templates.push(TemplateDef { shape, offset, id });
    }

    /// Writes a template node; substitutions are numbered in document order.
    fn write_node(&mut self, node: &Node<'_>, next_index: &mut u16) {
        match node {
            Node::Sub(field) => self.write_substitution(*field, next_index),
            Node::Element {
                name,
                attributes,
                children,
            } => {
                let has_attributes = !attributes.is_empty();
                self.data.push(if has_attributes {
                    token::OPEN_START_ELEMENT | token::MORE
                } else {
                    token::OPEN_START_ELEMENT
                });
                put_u16(&mut self.data, 0xffff); // no dependency
                let size_at = self.data.len();
                put_u32(&mut self.data, 0);
                self.write_name(name);
                if has_attributes {
                    let list_at = self.data.len();
                    put_u32(&mut self.data, 0);
                    for (i, (attribute, value)) in attributes.iter().enumerate() {
                        let more = if i + 1 < attributes.len() {
                            token::MORE
                        } else {
                            0
                        };
                        self.data.push(token::ATTRIBUTE | more);
                        self.write_name(attribute);
                        match value {
                            AttrValue::Text(text) => put_value_text(&mut self.data, text),
                            AttrValue::Sub(field) => self.write_substitution(*field, next_index),
                        }
                    }
                    patch_len(&mut self.data, list_at);
                }
                if children.is_empty() {
                    self.data.push(token::CLOSE_EMPTY_ELEMENT);
                } else {
                    self.data.push(token::CLOSE_START_ELEMENT);
                    for child in children {
                        self.write_node(child, next_index);
                    }
                    self.data.push(token::END_ELEMENT);
                }
                patch_len(&mut self.data, size_at);
            }
        }
    }

    fn write_substitution(&mut self, field: Field, next_index: &mut u16) {
        self.data.push(token::NORMAL_SUBSTITUTION);
        put_u16(&mut self.data, *next_index);
        self.data.push(field.value_type());
        // Wraps only past 65535 substitutions, far more than a chunk holds: `push` rejects it.
        *next_index = next_index.wrapping_add(1);
    }

    /// Writes a reference to `name`, and the name itself right after it if this chunk has not
    /// written it yet.
    fn write_name(&mut self, name: &str) {
        if let Some(entry) = self.names.iter().find(|entry| entry.name == name) {
            put_u32(&mut self.data, entry.offset);
            return;
        }
        let offset = self.data.len() as u32 + 4;
        put_u32(&mut self.data, offset);
        let units: Vec<u16> = name.encode_utf16().collect();
        let hash = units.iter().fold(0u32, |hash, &unit| {
            hash.wrapping_mul(65599).wrapping_add(u32::from(unit))
        });
        put_u32(&mut self.data, 0); // next string in the bucket, set by `finish`
        put_u16(&mut self.data, hash as u16);
        put_u16(&mut self.data, units.len() as u16);
        for unit in units {
            put_u16(&mut self.data, unit);
        }
        put_u16(&mut self.data, 0);
        let name = name.to_string();
        self.names.push(NameEntry { name, offset, hash });
    }

    /// Links the string and template tables, fills in the header and pads to 64 KiB.
    fn finish(mut self) -> Vec<u8> {
        let mut strings = [0u32; STRING_BUCKETS];
        let name_links: Vec<(usize, u32)> = (self.names.iter())
            .map(|entry| (entry.hash as usize % STRING_BUCKETS, entry.offset))
            .collect();
        link_buckets(&mut self.data, &mut strings, &name_links);
        let mut templates = [0u32; TEMPLATE_BUCKETS];
        let template_links: Vec<(usize, u32)> = (self.templates.iter())
            .map(|def| (def.id as usize % TEMPLATE_BUCKETS, def.offset))
            .collect();
        link_buckets(&mut self.data, &mut templates, &template_links);

        let first_id = self.first_id.unwrap_or(0);
        let last_id = self.last_id.unwrap_or(0);
        let free_space = self.data.len() as u32;
        let events_checksum = crc32fast::hash(&self.data[CHUNK_HEADER_SIZE..]);
        let mut header = Vec::with_capacity(CHUNK_HEADER_SIZE);
        header.extend_from_slice(b"ElfChnk\0");
        put_u64(&mut header, first_id); // first event record number
        put_u64(&mut header, last_id); // last event record number
        put_u64(&mut header, first_id); // first event record id
        put_u64(&mut header, last_id); // last event record id
        put_u32(&mut header, 128); // header size
        put_u32(&mut header, self.last_record_offset);
        put_u32(&mut header, free_space);
        put_u32(&mut header, events_checksum);
        header.resize(120, 0);
        put_u32(&mut header, 0); // flags: clean
        put_u32(&mut header, 0); // header checksum, set below
        for offset in strings.iter().chain(&templates) {
            put_u32(&mut header, *offset);
        }
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&header[..120]);
        hasher.update(&header[128..]);
        let header_checksum = hasher.finalize();
        header[124..128].copy_from_slice(&header_checksum.to_le_bytes());

        self.data[..CHUNK_HEADER_SIZE].copy_from_slice(&header);
        self.data.resize(CHUNK_SIZE, 0);
        self.data
    }
}

/// Fills `heads` and chains each bucket's entries, in the order given, through the u32 link
/// each entry starts with.
fn link_buckets(data: &mut [u8], heads: &mut [u32], entries: &[(usize, u32)]) {
    let mut tails: Vec<Option<u32>> = vec![None; heads.len()];
    for &(bucket, offset) in entries {
        match tails[bucket] {
            None => heads[bucket] = offset,
            Some(tail) => {
                let at = tail as usize;
                data[at..at + 4].copy_from_slice(&offset.to_le_bytes());
            }
        }
        tails[bucket] = Some(offset);
    }
}

/// 100 ns ticks since 1601-01-01 UTC; earlier times are written as 1601-01-01.
fn filetime(time: &DateTime<Utc>) -> u64 {
    let ticks = i128::from(time.timestamp()) * 10_000_000
        + i128::from(time.timestamp_subsec_nanos() / 100)
        + FILETIME_UNIX_EPOCH;
    u64::try_from(ticks.max(0)).unwrap_or(u64::MAX)
}

fn utf16(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn put_fragment_header(out: &mut Vec<u8>) {
    out.extend_from_slice(&[token::FRAGMENT_HEADER, 1, 1, 0]);
}

/// Literal text: a value token, string type, length in UTF-16 units, no terminator.
///
/// Like names, text longer than a u16 length can say is longer than a chunk, so `push` rejects
/// the record before the truncated length matters.
fn put_value_text(out: &mut Vec<u8>, text: &str) {
    out.push(token::VALUE_TEXT);
    out.push(value_type::STRING);
    let units: Vec<u16> = text.encode_utf16().collect();
    put_u16(out, units.len() as u16);
    for unit in units {
        put_u16(out, unit);
    }
}

/// Sets the u32 at `at` to the number of bytes written after it.
fn patch_len(out: &mut [u8], at: usize) {
    let len = (out.len() - at - 4) as u32;
    out[at..at + 4].copy_from_slice(&len.to_le_bytes());
}

fn put_u16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put_u64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_le_bytes());
}

#[cfg(test)]
#[path = "evtx_writer_tests.rs"]
mod tests;
