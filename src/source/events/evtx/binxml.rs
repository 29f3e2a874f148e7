//! The fast EVTX record decoder: reads each record's template instance straight from the chunk
//! bytes, decides on event id and time first, and builds an `Event` only for records that pass.
//!
//! It handles the common shape (a record is one template instance whose definition lays out the
//! whole `<Event>`, with values of plain types). On anything else it gives up on the whole chunk
//! and `evtx.rs` reads that chunk through the `evtx` crate, so output never depends on which path
//! read a record.
use crate::filter::EventFilter;
use crate::model::{DataField, Event, EventData, Level};
use chrono::{DateTime, Utc};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

const CHUNK_HEADER_SIZE: usize = 512;
const RECORD_HEADER_SIZE: usize = 24;

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
    let mut earliest: Option<DateTime<Utc>> = None;
    for_each_record(data, |plan, _, subs, _, _| {
        let t = filetime(data, subs, &plan.time)?;
        if earliest.is_none_or(|e| t < e) {
            earliest = Some(t);
        }
        Some(())
    })?;
    // A chunk without records holds no time at all.
    Some(earliest.unwrap_or(DateTime::<Utc>::MAX_UTC))
}

/// Calls `on_record` with the plan and values of every live record of the chunk, in order;
/// the number of records, or `None` as soon as a record (or `on_record`) gives up.
pub(super) fn for_each_record(
    data: &[u8],
    mut on_record: impl FnMut(&Plan, u32, &[Sub], u64, &mut NestedCache) -> Option<()>,
) -> Option<u64> {
    let last_record_id = read_u64(data, 32)?;
    let free_space = (read_u32(data, 48)? as usize).min(data.len());
    let mut plans: HashMap<u32, Option<Rc<Plan>>> = HashMap::new();
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
            .or_insert_with(|| cached(&PLANS, data, def, Plan::of_template))
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
pub(super) struct Sub {
    pub(super) kind: u8,
    pub(super) start: usize,
    pub(super) len: usize,
}

/// Reads a record's BinXML: a fragment header, one template instance, then the end. Fills
/// `subs` with the substitution values and returns the template definition's offset.
pub(super) fn read_instance(
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

/// A piece of text in the template: literal, or substitution number `n`.
#[derive(Debug, Clone)]
pub(super) enum Piece {
    Text(String),
    Sub(u16),
}

/// An element of a template definition.
#[derive(Debug, Default)]
struct Element {
    name: String,
    attrs: Vec<(String, Vec<Piece>)>,
    /// Text directly inside the element.
    text: Vec<Piece>,
    children: Vec<Element>,
}

impl Element {
    fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    fn attr(&self, name: &str) -> Option<&[Piece]> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }
}

/// Where each field of an `Event` comes from, for one template.
#[derive(Debug)]
pub(super) struct Plan {
    pub(super) event_id: Vec<Piece>,
    pub(super) time: Vec<Piece>,
    pub(super) level: Option<Vec<Piece>>,
    pub(super) record_id: Option<Vec<Piece>>,
    pub(super) provider: Option<Vec<Piece>>,
    pub(super) channel: Option<Vec<Piece>>,
    pub(super) computer: Option<Vec<Piece>>,
    /// (name, value) of each data field; `None` name is an unnamed `<Data>`.
    pub(super) data: Vec<Field>,
    /// The substitution holding the event's data as nested BinXML (EventData or UserData).
    pub(super) nested: Option<u16>,
}

/// A data field's name (`None`: an unnamed `<Data>`) and value.
pub(super) type Field = (Option<Vec<Piece>>, Vec<Piece>);

/// The fields of an `<EventData>`: `<Data Name="n">` named, `<Data>` unnamed, any other
/// element named after itself.
fn event_data_fields(element: &Element, out: &mut Vec<Field>) -> Option<()> {
    if !element.text.is_empty() {
        return None;
    }
    for field in &element.children {
        if !field.children.is_empty() {
            return None;
        }
        let name = match (field.name.as_str(), field.attr("Name")) {
            ("Data", Some(name)) => Some(name.to_vec()),
            ("Data", None) => None,
            (other, _) => Some(vec![Piece::Text(other.to_string())]),
        };
        out.push((name, field.text.clone()));
    }
    Some(())
}

/// The fields of a `<UserData>` element's content: every leaf element, named after itself.
fn user_data_fields(element: &Element, out: &mut Vec<Field>) -> Option<()> {
    if element.children.is_empty() {
        // An empty element with attributes renders as an empty JSON object: no field.
        if element.text.is_empty() && !element.attrs.is_empty() {
            return Some(());
        }
        out.push((
            Some(vec![Piece::Text(element.name.clone())]),
            element.text.clone(),
        ));
        return Some(());
    }
    if !element.text.is_empty() {
        return None;
    }
    for (i, child) in element.children.iter().enumerate() {
        // Repeated names become JSON arrays in the crate's rendering: leave them to it.
        if element.children[..i].iter().any(|c| c.name == child.name) {
            return None;
        }
        user_data_fields(child, out)?;
    }
    Some(())
}

/// The fields of the element a nested BinXML value holds: `<EventData>`, `<UserData>`, or the
/// provider's own element that sits inside `<UserData>`.
fn nested_fields(root: &Element, out: &mut Vec<Field>) -> Option<()> {
    match root.name.as_str() {
        "EventData" => event_data_fields(root, out),
        "UserData" => {
            if !root.text.is_empty() {
                return None;
            }
            root.children
                .iter()
                .try_for_each(|c| user_data_fields(c, out))
        }
        _ => user_data_fields(root, out),
    }
}

impl Plan {
    /// The plan of the template defined at `def`; `None` for a shape this decoder leaves to
    /// the `evtx` crate.
    fn of_template(data: &[u8], def: u32) -> Option<Plan> {
        let root = TemplateParser::at(data, def)?.document()?;
        if root.name != "Event" {
            return None;
        }
        let system = root.child("System")?;
        let text = |name: &str| system.child(name).map(|e| e.text.clone());
        let provider = system.child("Provider").and_then(|p| {
            p.attr("Name")
                .or_else(|| p.attr("EventSourceName"))
                .map(<[Piece]>::to_vec)
        });
        let mut plan = Plan {
            event_id: text("EventID")?,
            time: system.child("TimeCreated")?.attr("SystemTime")?.to_vec(),
            level: text("Level"),
            record_id: text("EventRecordID"),
            provider,
            channel: text("Channel"),
            computer: text("Computer"),
            data: Vec::new(),
            nested: None,
        };
        // Windows puts the event's data in a substitution of nested BinXML, right under
        // <Event> or inside <UserData>.
        let nest = |pieces: &[Piece], plan: &mut Plan| match pieces {
            [] => Some(()),
            [Piece::Sub(n)] if plan.nested.is_none() => {
                plan.nested = Some(*n);
                Some(())
            }
            _ => None,
        };
        nest(&root.text, &mut plan)?;
        for part in &root.children {
            match part.name.as_str() {
                "System" | "RenderingInfo" => {}
                "EventData" => event_data_fields(part, &mut plan.data)?,
                "UserData" if part.children.is_empty() => nest(&part.text, &mut plan)?,
                "UserData" => nested_fields(part, &mut plan.data)?,
                _ => return None,
            }
        }
        Some(plan)
    }

    /// The record's time and event (`None` when the filter drops it); `None` when a value is of
    /// a type this decoder leaves to the `evtx` crate.
    fn event(
        &self,
        data: &[u8],
        subs: &[Sub],
        header_record_id: u64,
        source: &Arc<str>,
        filter: &EventFilter,
        nested: &mut NestedCache,
    ) -> Option<(DateTime<Utc>, Option<Event>)> {
        let event_id = (number(data, subs, &self.event_id)? & 0xFFFF) as u32;
        let time = filetime(data, subs, &self.time)?;
        if !filter.wants_id_and_time(event_id, &time) {
            return Some((time, None));
        }
        let text_or_empty = |pieces: &Option<Vec<Piece>>| match pieces {
            Some(p) => text(data, subs, p),
            None => Some(String::new()),
        };
        let level = match &self.level {
            Some(p) => number(data, subs, p).unwrap_or(0).min(255) as u8,
            None => 0,
        };
        let record_id = match &self.record_id {
            Some(p) => number(data, subs, p).unwrap_or(header_record_id),
            None => header_record_id,
        };
        let mut fields = Vec::with_capacity(self.data.len());
        for (name, value) in &self.data {
            let name = match name {
                Some(n) => Some(text(data, subs, n)?),
                None => None,
            };
            fields.push(DataField {
                name,
                value: text(data, subs, value)?,
            });
        }
        if let Some(n) = self.nested {
            let sub = subs.get(n as usize)?;
            match sub.kind {
                0x00 => {}
                0x21 if sub.len == 0 => {}
                0x21 => {
                    let NestedCache { plans, subs, .. } = nested;
                    let def = read_instance(data, sub.start, sub.start + sub.len, subs)?;
                    let plan = plans
                        .entry(def)
                        .or_insert_with(|| cached_nested_plan(data, def))
                        .as_ref()?;
                    for (name, value) in plan.iter() {
                        let name = match name {
                            Some(n) => Some(text(data, subs, n)?),
                            None => None,
                        };
                        fields.push(DataField {
                            name,
                            value: text(data, subs, value)?,
                        });
                    }
                }
                _ => return None,
            }
        }
        suffix_repeated_names(&mut fields);
        let event = Event {
            time,
            record_id: Some(record_id),
            channel: text_or_empty(&self.channel)?,
            provider: text_or_empty(&self.provider)?,
            event_id,
            level: Level(level),
            computer: text_or_empty(&self.computer)?,
            message: None,
            data: EventData(fields),
            source_file: Arc::clone(source),
        };
        Some((time, filter.matches(&event).then_some(event)))
    }
}

/// A name that repeats gets `_1`, `_2`, ... on its later uses, as the crate's JSON keys do.
pub(super) fn suffix_repeated_names(fields: &mut [DataField]) {
    for i in 1..fields.len() {
        let (before, rest) = fields.split_at_mut(i);
        let Some(name) = rest[0].name.as_mut() else {
            continue;
        };
        let seen = before
            .iter()
            .filter(|f| f.name.as_deref().is_some_and(|n| n == name.as_str()))
            .count();
        if seen > 0 {
            name.push_str(&format!("_{seen}"));
        }
    }
}

/// Each data field's JSON key, quoted, with its repeats numbered (`None`: an unnamed value).
pub(super) type FieldKeys = std::rc::Rc<[Option<Vec<u8>>]>;

/// Plans of the nested (data) templates of one chunk, and a buffer for their values.
#[derive(Default)]
pub(super) struct NestedCache {
    pub(super) plans: HashMap<u32, Option<Rc<Vec<Field>>>>,
    pub(super) subs: Vec<Sub>,
    /// The data fields' JSON keys for a template and nested template whose field names are
    /// all literal (`None`: some name comes from a value); see `evtx_lines`.
    pub(super) keys: HashMap<(u32, Option<u32>), Option<FieldKeys>>,
}

/// The data fields of the nested template defined at `def`.
/// `nested_plan`, remembered across chunks (see `cached`).
pub(super) fn cached_nested_plan(data: &[u8], def: u32) -> Option<Rc<Vec<Field>>> {
    cached(&NESTED_PLANS, data, def, nested_plan)
}

fn nested_plan(data: &[u8], def: u32) -> Option<Vec<Field>> {
    let root = TemplateParser::at(data, def)?.document()?;
    let mut fields = Vec::new();
    nested_fields(&root, &mut fields)?;
    Some(fields)
}

/// Text of pieces; `None` for a value type this decoder does not render.
fn text(data: &[u8], subs: &[Sub], pieces: &[Piece]) -> Option<String> {
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
pub(super) fn push_value(data: &[u8], sub: &Sub, out: &mut String) -> Option<()> {
    use std::fmt::Write;
    let bytes = data.get(sub.start..sub.start + sub.len)?;
    match sub.kind {
        0x00 => {}
        0x01 => push_utf16(bytes, out)?,
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
            for b in bytes {
                write!(out, "{b:02X}").ok()?;
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
        0x13 => push_sid(bytes, out)?,
        0x14 => write!(out, "0x{:x}", u32::from_le_bytes(fixed(bytes)?)).ok()?,
        0x15 => write!(out, "0x{:x}", u64::from_le_bytes(fixed(bytes)?)).ok()?,
        _ => return None,
    }
    Some(())
}

/// A UTF-16LE value up to its first NUL (as `evtx` reads them); ASCII is copied byte by byte.
fn push_utf16(bytes: &[u8], out: &mut String) -> Option<()> {
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

fn fixed<const N: usize>(bytes: &[u8]) -> Option<[u8; N]> {
    bytes.try_into().ok()
}

/// An unsigned number from one integer substitution or literal text.
pub(super) fn number(data: &[u8], subs: &[Sub], pieces: &[Piece]) -> Option<u64> {
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
pub(super) fn filetime(data: &[u8], subs: &[Sub], pieces: &[Piece]) -> Option<DateTime<Utc>> {
    let [Piece::Sub(n)] = pieces else { return None };
    let sub = subs.get(*n as usize)?;
    if sub.kind != 0x11 {
        return None;
    }
    let ticks = u64::from_le_bytes(fixed(data.get(sub.start..sub.start + sub.len)?)?);
    let secs = (ticks / 10_000_000) as i64 - 11_644_473_600;
    let nanos = (ticks % 10_000_000) as u32 * 100;
    DateTime::from_timestamp(secs, nanos)
}

/// Plans by `template_key` (`None`: a template this decoder leaves to the crate).
type PlanCache<T> = RefCell<HashMap<Vec<u8>, Option<Rc<T>>>>;

thread_local! {
    /// Plans of the templates met so far on this thread, across chunks and files.
    static PLANS: PlanCache<Plan> = RefCell::default();
    /// The same for nested (data) templates.
    static NESTED_PLANS: PlanCache<Vec<Field>> = RefCell::default();
}

/// Templates remembered per thread before the cache starts again.
const MAX_CACHED_PLANS: usize = 4096;

/// The plan of the template at `def`, from `cache` when the same template (same BinXML, same
/// names) has been met before in any chunk; made by `make` and remembered otherwise.
fn cached<T>(
    cache: &'static std::thread::LocalKey<PlanCache<T>>,
    data: &[u8],
    def: u32,
    make: fn(&[u8], u32) -> Option<T>,
) -> Option<Rc<T>> {
    let Some(key) = template_key(data, def) else {
        return make(data, def).map(Rc::new);
    };
    cache.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(plan) = cache.get(&key) {
            return plan.clone();
        }
        let plan = make(data, def).map(Rc::new);
        if cache.len() >= MAX_CACHED_PLANS {
            cache.clear();
        }
        cache.insert(key, plan.clone());
        plan
    })
}

/// What the template defined at `def` is, wherever it sits: its size and every token
/// `TemplateParser` reads up to the end of the fragment, with each name reference replaced by
/// the name itself and names stored inline left out (their offsets differ from chunk to chunk;
/// nothing else does). Two templates with the same key parse the same. `None` for a token the
/// parser does not take (the template is then parsed on its own, uncached).
fn template_key(data: &[u8], def: u32) -> Option<Vec<u8>> {
    let def = def as usize;
    let size = read_u32(data, def + 20)?;
    let start = def + 24;
    if start.checked_add(size as usize)? > data.len() {
        // Cut off by the end of the chunk: how far it reads depends on where it sits.
        return None;
    }
    let mut key = Vec::with_capacity(256);
    key.extend_from_slice(&size.to_le_bytes());
    let mut pos = start;
    // A name reference: the name's length and UTF-16; one stored here is stepped over.
    let name = |pos: usize, key: &mut Vec<u8>| -> Option<usize> {
        let offset = read_u32(data, pos)? as usize;
        let count = read_u16(data, offset + 6)? as usize;
        let text = data.get(offset + 8..offset + 8 + count * 2)?;
        key.extend_from_slice(&(count as u16).to_le_bytes());
        key.extend_from_slice(text);
        let after = pos + 4;
        // Whether it is stored here: it moves what follows.
        key.push(u8::from(offset == after));
        Some(if offset == after {
            after + 8 + count * 2 + 2
        } else {
            after
        })
    };
    if *data.get(pos)? != 0x0f {
        return None;
    }
    key.extend_from_slice(data.get(pos..pos + 4)?);
    pos += 4;
    loop {
        let token = *data.get(pos)?;
        match token {
            0x00 => {
                key.push(0);
                return Some(key);
            }
            0x01 | 0x41 => {
                key.extend_from_slice(data.get(pos..pos + 7)?);
                pos = name(pos + 7, &mut key)?;
                if token == 0x41 {
                    key.extend_from_slice(data.get(pos..pos + 4)?);
                    pos += 4;
                }
            }
            0x06 | 0x46 => {
                key.push(token);
                pos = name(pos + 1, &mut key)?;
            }
            0x02..=0x04 => {
                key.push(token);
                pos += 1;
            }
            0x05 | 0x45 => {
                let count = read_u16(data, pos + 2)? as usize;
                let end = pos + 4 + count * 2;
                key.extend_from_slice(data.get(pos..end)?);
                pos = end;
            }
            0x0d | 0x0e => {
                key.extend_from_slice(data.get(pos..pos + 4)?);
                pos += 4;
            }
            _ => return None,
        }
    }
}

/// Reads a template definition's BinXML into an element tree.
struct TemplateParser<'a> {
    data: &'a [u8],
    pos: usize,
    end: usize,
}

impl<'a> TemplateParser<'a> {
    /// A parser over the template definition at `def` (its 24-byte header, then BinXML).
    fn at(data: &'a [u8], def: u32) -> Option<Self> {
        let def = def as usize;
        let size = read_u32(data, def + 20)? as usize;
        let start = def + 24;
        Some(TemplateParser {
            data,
            pos: start,
            end: start.checked_add(size)?.min(data.len()),
        })
    }

    fn u8(&mut self) -> Option<u8> {
        let v = *self.data.get(self.pos)?;
        self.pos += 1;
        Some(v)
    }

    fn u16(&mut self) -> Option<u16> {
        let v = read_u16(self.data, self.pos)?;
        self.pos += 2;
        Some(v)
    }

    fn u32(&mut self) -> Option<u32> {
        let v = read_u32(self.data, self.pos)?;
        self.pos += 4;
        Some(v)
    }

    /// The root element: fragment header, one element, end of fragment.
    fn document(&mut self) -> Option<Element> {
        if self.u8()? != 0x0f {
            return None;
        }
        self.pos += 3;
        let token = self.u8()?;
        let root = self.element(token)?;
        (self.u8()? == 0x00 && self.pos <= self.end).then_some(root)
    }

    /// A name reference; a name stored right here (its first use) is skipped over.
    fn name(&mut self) -> Option<String> {
        let offset = self.u32()? as usize;
        let count = read_u16(self.data, offset + 6)? as usize;
        if offset == self.pos {
            self.pos += 8 + count * 2 + 2;
        }
        utf16(self.data.get(offset + 8..offset + 8 + count * 2)?)
    }

    fn element(&mut self, token: u8) -> Option<Element> {
        if token & 0xbf != 0x01 || self.pos >= self.end {
            return None;
        }
        self.pos += 2 + 4; // dependency id, data size
        let mut element = Element {
            name: self.name()?,
            ..Default::default()
        };
        if token & 0x40 != 0 {
            self.pos += 4; // attribute list size
        }
        loop {
            match self.u8()? {
                0x06 | 0x46 => {
                    let name = self.name()?;
                    let mut value = Vec::new();
                    // An attribute's value runs until the next attribute or the element's close.
                    while let Some(piece) = self.piece_if_any()? {
                        value.push(piece);
                    }
                    element.attrs.push((name, value));
                }
                0x02 => break,
                0x03 => return Some(element),
                _ => return None,
            }
        }
        loop {
            if let Some(piece) = self.piece_if_any()? {
                element.text.push(piece);
                continue;
            }
            match self.u8()? {
                0x04 => return Some(element),
                t @ (0x01 | 0x41) => element.children.push(self.element(t)?),
                _ => return None,
            }
        }
    }

    /// A literal value or substitution at the cursor, if that is what comes next.
    /// `Some(None)`: something else comes next; `None`: a token this decoder does not handle.
    fn piece_if_any(&mut self) -> Option<Option<Piece>> {
        match *self.data.get(self.pos)? {
            0x05 | 0x45 => {
                self.pos += 1;
                if self.u8()? != 0x01 {
                    return None;
                }
                let count = self.u16()? as usize;
                let text = utf16(self.data.get(self.pos..self.pos + count * 2)?)?;
                self.pos += count * 2;
                Some(Some(Piece::Text(text)))
            }
            0x0d | 0x0e => {
                self.pos += 1;
                let id = self.u16()?;
                self.pos += 1; // declared type
                Some(Some(Piece::Sub(id)))
            }
            0x07 | 0x47 | 0x08 | 0x48 | 0x09 | 0x49 | 0x0a | 0x0b => None,
            _ => Some(None),
        }
    }
}

fn utf16(bytes: &[u8]) -> Option<String> {
    let units = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .ok()
}

fn read_u16(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(data.get(at..at + 2)?.try_into().ok()?))
}

fn read_u32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

fn read_u64(data: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(data.get(at..at + 8)?.try_into().ok()?))
}
