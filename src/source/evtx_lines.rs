//! The `events` JSON Lines listing written by the fast decoder straight from a chunk's bytes,
//! without building an `Event` per record: byte for byte what `render::events::push_jsonl_line`
//! writes for the same event (tests compare the two on every sample).
use super::evtx_fast::{
    filetime, for_each_record, nested_plan, number, push_value, read_instance, NestedCache, Piece,
    Plan, Sub,
};
use crate::filter::EventFilter;
use crate::model::{rfc3339, Level};
use chrono::{DateTime, Utc};
use std::io::Write;

/// One chunk's lines, in record order, with their sort keys.
#[derive(Debug, Default)]
pub(crate) struct ChunkLines {
    /// (time, record id) of each line.
    pub keys: Vec<(DateTime<Utc>, u64)>,
    /// Where each line ends in `bytes`.
    pub ends: Vec<usize>,
    pub bytes: Vec<u8>,
    pub records_read: u64,
}

/// The chunk's records that pass `filter` as JSON lines; `None` where the fast decoder leaves
/// the chunk to the crate. `filter` must decide on event id and time alone.
/// `source_json` is the file's name as a JSON string, quotes included.
pub(crate) fn chunk_lines(
    data: &[u8],
    filter: &EventFilter,
    source_json: &[u8],
) -> Option<ChunkLines> {
    let mut out = ChunkLines {
        bytes: Vec::with_capacity(48 * 1024),
        ..Default::default()
    };
    let mut fields = Fields::default();
    out.records_read = for_each_record(data, |plan, subs, record_id, nested| {
        let Some(key) = write_line(
            plan,
            data,
            subs,
            record_id,
            filter,
            nested,
            &mut fields,
            source_json,
            &mut out.bytes,
        )?
        else {
            return Some(());
        };
        out.keys.push(key);
        out.ends.push(out.bytes.len());
        Some(())
    })?;
    Some(out)
}

/// Reused text of one record's data fields: `len` are in use.
#[derive(Default)]
struct Fields {
    items: Vec<(bool, String, String)>,
    len: usize,
}

impl Fields {
    fn clear(&mut self) {
        self.len = 0;
    }

    /// Adds a field; its name (when `named`) and value are written by `fill`.
    fn push(
        &mut self,
        named: bool,
        fill: impl FnOnce(&mut String, &mut String) -> Option<()>,
    ) -> Option<()> {
        if self.items.len() == self.len {
            self.items.push(Default::default());
        }
        let (has_name, name, value) = &mut self.items[self.len];
        *has_name = named;
        name.clear();
        value.clear();
        fill(name, value)?;
        self.len += 1;
        Some(())
    }

    fn used(&self) -> &[(bool, String, String)] {
        &self.items[..self.len]
    }

    /// A name that repeats gets `_1`, `_2`, ... on its later uses, as
    /// `evtx_fast::suffix_repeated_names` does it.
    fn suffix_repeated_names(&mut self) {
        for i in 1..self.len {
            let (before, rest) = self.items.split_at_mut(i);
            let (named, name, _) = &mut rest[0];
            if !*named {
                continue;
            }
            let seen = before[..i]
                .iter()
                .filter(|(n, other, _)| *n && other.as_str() == name.as_str())
                .count();
            if seen > 0 {
                name.push_str(&format!("_{seen}"));
            }
        }
    }
}

/// Text of pieces appended to `out`; `None` for a value type the decoder does not render.
fn push_text(data: &[u8], subs: &[Sub], pieces: &[Piece], out: &mut String) -> Option<()> {
    for piece in pieces {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Sub(n) => push_value(data, subs.get(*n as usize)?, out)?,
        }
    }
    Some(())
}

/// One record's line; `Some(None)` when the filter drops it.
#[allow(clippy::too_many_arguments)]
fn write_line(
    plan: &Plan,
    data: &[u8],
    subs: &[Sub],
    header_record_id: u64,
    filter: &EventFilter,
    nested: &mut NestedCache,
    fields: &mut Fields,
    source_json: &[u8],
    out: &mut Vec<u8>,
) -> Option<Option<(DateTime<Utc>, u64)>> {
    let event_id = (number(data, subs, &plan.event_id)? & 0xFFFF) as u32;
    let time = filetime(data, subs, &plan.time)?;
    if !filter.wants_id_and_time(event_id, &time) {
        return Some(None);
    }
    let level = match &plan.level {
        Some(p) => number(data, subs, p).unwrap_or(0).min(255) as u8,
        None => 0,
    };
    let record_id = match &plan.record_id {
        Some(p) => number(data, subs, p).unwrap_or(header_record_id),
        None => header_record_id,
    };
    fields.clear();
    for (name, value) in &plan.data {
        fields.push(name.is_some(), |n, v| {
            if let Some(name) = name {
                push_text(data, subs, name, n)?;
            }
            push_text(data, subs, value, v)
        })?;
    }
    if let Some(n) = plan.nested {
        let sub = subs.get(n as usize)?;
        match sub.kind {
            0x00 => {}
            0x21 if sub.len == 0 => {}
            0x21 => {
                let NestedCache { plans, subs } = nested;
                let def = read_instance(data, sub.start, sub.start + sub.len, subs)?;
                let nested_fields = plans
                    .entry(def)
                    .or_insert_with(|| nested_plan(data, def))
                    .as_ref()?;
                for (name, value) in nested_fields {
                    fields.push(name.is_some(), |n, v| {
                        if let Some(name) = name {
                            push_text(data, subs, name, n)?;
                        }
                        push_text(data, subs, value, v)
                    })?;
                }
            }
            _ => return None,
        }
    }
    fields.suffix_repeated_names();
    // Everything that can make the chunk go to the crate has been read: write the line.
    let start = out.len();
    let mut text = String::new();
    let mut string_field = |out: &mut Vec<u8>, key: &str, pieces: &Option<Vec<Piece>>| {
        text.clear();
        if let Some(p) = pieces {
            push_text(data, subs, p, &mut text)?;
        }
        out.extend_from_slice(key.as_bytes());
        json_str(out, &text);
        Some(())
    };
    out.extend_from_slice(b"{\"time\":");
    json_str(out, &rfc3339(&time));
    write!(out, ",\"record_id\":{record_id}").ok()?;
    let written = string_field(out, ",\"channel\":", &plan.channel)
        .and_then(|()| string_field(out, ",\"provider\":", &plan.provider));
    if written.is_none() {
        out.truncate(start);
        return None;
    }
    write!(
        out,
        ",\"event_id\":{event_id},\"level\":{level},\"level_name\":"
    )
    .ok()?;
    json_str(out, Level(level).name());
    if string_field(out, ",\"computer\":", &plan.computer).is_none() {
        out.truncate(start);
        return None;
    }
    out.extend_from_slice(b",\"data\":{");
    let mut first = true;
    for (named, name, value) in fields.used() {
        if *named {
            if !first {
                out.push(b',');
            }
            first = false;
            json_str(out, name);
            out.push(b':');
            json_str(out, value);
        }
    }
    let mut unnamed = fields.used().iter().filter(|(named, _, _)| !named);
    if let Some((_, _, value)) = unnamed.next() {
        if !first {
            out.push(b',');
        }
        out.extend_from_slice(b"\"Data\":[");
        json_str(out, value);
        for (_, _, value) in unnamed {
            out.push(b',');
            json_str(out, value);
        }
        out.push(b']');
    }
    out.extend_from_slice(b"},\"source_file\":");
    out.extend_from_slice(source_json);
    out.extend_from_slice(b"}\n");
    Some(Some((time, record_id)))
}

/// A JSON string as `serde_json` writes it: `"` and `\` escaped, control characters as
/// `\b \t \n \f \r` or `\u00XX`, everything else (non-ASCII included) as it is.
pub(crate) fn json_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut unicode = *b"\\u0000";
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x09 => b"\\t",
            0x0a => b"\\n",
            0x0c => b"\\f",
            0x0d => b"\\r",
            0x00..=0x1f => {
                unicode[4] = HEX[(b >> 4) as usize];
                unicode[5] = HEX[(b & 0xf) as usize];
                &unicode
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(escape);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_escaped_as_serde_json_does() {
        let mut all: String = (0u8..0x80).map(char::from).collect();
        all.push_str("é ü 中文 \u{2028} \u{7f} \\ \" / end");
        for s in [all.as_str(), "", "plain", "\"", "a\\b", "\u{1f}\u{0}"] {
            let mut ours = Vec::new();
            json_str(&mut ours, s);
            assert_eq!(
                String::from_utf8_lossy(&ours),
                serde_json::to_string(s).unwrap()
            );
        }
    }
}
