//! The `events` JSON Lines listing written by the fast decoder straight from a chunk's bytes,
//! without building an `Event` per record: byte for byte what `render::events::push_jsonl_line`
//! writes for the same event (tests compare the two on every sample).
use super::binxml::{
    cached_nested_plan, filetime_of, filetime_ticks, for_each_record, number, present, push_value,
    read_instance, string_array, FieldKeys, FiletimeDays, NestedCache, Piece, Plan, Sub,
};
use super::ChunkRead;
use crate::filter::EventFilter;
use crate::model::Level;
use chrono::{DateTime, Utc};

mod json;
pub(crate) use self::json::json_str;
use self::json::{json_str_body, json_time, json_utf16, push_u64};

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
/// `reuse`: buffers of lines written before, emptied and filled again (their memory is kept).
pub(crate) fn chunk_lines(
    data: &[u8],
    filter: &EventFilter,
    source_json: &[u8],
    reuse: ChunkLines,
) -> Option<ChunkLines> {
    let mut out = reuse;
    out.keys.clear();
    out.ends.clear();
    out.bytes.clear();
    out.records_read = 0;
    // The lines of a chunk take about 1.4 times its bytes: room for that, so that they are not
    // copied as they grow.
    out.bytes.reserve(data.len() * 3 / 2);
    let mut fields = Fields::default();
    out.records_read = for_each_record(data, |plan, def, subs, record_id, nested| {
        let Some(key) = write_line(
            plan,
            def,
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

/// `chunk_lines` as a chunk's read: the lines, how many records the chunk held, and the first
/// and last time among the lines. This is the fast path of a `ChunkMap` that writes JSON Lines
/// (`ChunkMap::fast`), for a `filter` that decides on event id and time alone.
/// `reuse` as for `chunk_lines`.
pub(crate) fn chunk_read(
    data: &[u8],
    filter: &EventFilter,
    source_json: &[u8],
    reuse: ChunkLines,
) -> Option<ChunkRead<ChunkLines>> {
    let lines = chunk_lines(data, filter, source_json, reuse)?;
    Some(ChunkRead {
        records_read: lines.records_read,
        first: lines.keys.iter().map(|k| k.0).min(),
        last: lines.keys.iter().map(|k| k.0).max(),
        out: lines,
        ..Default::default()
    })
}

/// The chunk's records that pass `filter`, each given to `on_pass` as its event id, time,
/// channel and provider, without building an `Event` (for counting); the chunk's read with
/// no output: how many records it held and the first and last time among all of them (as
/// `binxml::decode_chunk` gives them). `None` where the fast decoder leaves the chunk to the
/// crate: each passing record's line is written into a scratch buffer, so exactly the chunks
/// the listing would leave to the crate are left. `filter` must decide on id and time alone.
pub(crate) fn chunk_heads(
    data: &[u8],
    filter: &EventFilter,
    mut on_pass: impl FnMut(u32, DateTime<Utc>, &str, &str),
) -> Option<ChunkRead<()>> {
    let mut read = ChunkRead::<()>::default();
    let mut fields = Fields::default();
    let mut line = Vec::with_capacity(4096);
    let (mut channel, mut provider) = (String::new(), String::new());
    // The span in FILETIME ticks (they order as the times do), made times at the end.
    let mut span: Option<(u64, u64)> = None;
    read.records_read = for_each_record(data, |plan, def, subs, record_id, nested| {
        line.clear();
        let written = write_line(
            plan,
            def,
            data,
            subs,
            record_id,
            filter,
            nested,
            &mut fields,
            b"\"\"",
            &mut line,
        )?;
        // Every record's time counts for the chunk's span, kept or not.
        let ticks = filetime_ticks(data, subs, &plan.time)?;
        span = Some(span.map_or((ticks, ticks), |(a, b)| (a.min(ticks), b.max(ticks))));
        if let Some((time, _)) = written {
            let event_id = (number(data, subs, &plan.event_id)? & 0xFFFF) as u32;
            channel.clear();
            provider.clear();
            if let Some(p) = &plan.channel {
                push_text(data, subs, p, &mut channel)?;
            }
            if let Some(p) = &plan.provider {
                push_text(data, subs, p, &mut provider)?;
            }
            on_pass(event_id, time, &channel, &provider);
        }
        Some(())
    })?;
    if let Some((first, last)) = span {
        read.first = Some(filetime_of(first)?);
        read.last = Some(filetime_of(last)?);
    }
    Some(read)
}

/// Reused names of one record's data fields (`None`: unnamed); `len` are in use.
#[derive(Default)]
struct Fields {
    names: Vec<(bool, String)>,
    len: usize,
    /// Text of a value on its way to JSON.
    scratch: String,
    days: FiletimeDays,
}

impl Fields {
    fn clear(&mut self) {
        self.len = 0;
    }

    /// Adds a field, its name (if any) written by `fill`.
    fn push(&mut self, named: bool, fill: impl FnOnce(&mut String) -> Option<()>) -> Option<()> {
        if self.names.len() == self.len {
            self.names.push(Default::default());
        }
        let (has_name, name) = &mut self.names[self.len];
        *has_name = named;
        name.clear();
        fill(name)?;
        self.len += 1;
        Some(())
    }

    /// A name that repeats gets `_1`, `_2`, ... on its later uses, as
    /// `binxml::plan::suffix_repeated_names` does it.
    fn suffix_repeated_names(&mut self) {
        for i in 1..self.len {
            let (before, rest) = self.names.split_at_mut(i);
            let (named, name) = &mut rest[0];
            if !*named {
                continue;
            }
            let seen = before
                .iter()
                .filter(|(n, other)| *n && other.as_str() == name.as_str())
                .count();
            if seen > 0 {
                name.push_str(&format!("_{seen}"));
            }
        }
    }
}

/// The fields' JSON keys (names decoded, repeats numbered, escaped and quoted).
fn field_keys<'p>(
    data: &[u8],
    all: impl Iterator<Item = (&'p super::binxml::Field, &'p [Sub])>,
    fields: &mut Fields,
) -> Option<FieldKeys> {
    fields.clear();
    for ((name, _, _, _), subs) in all {
        fields.push(name.is_some(), |n| match name {
            Some(name) => push_text(data, subs, name, n),
            None => Some(()),
        })?;
    }
    fields.suffix_repeated_names();
    Some(
        fields.names[..fields.len]
            .iter()
            .map(|(named, name)| {
                named.then(|| {
                    let mut key = Vec::with_capacity(name.len() + 2);
                    json_str(&mut key, name);
                    key
                })
            })
            .collect(),
    )
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

/// Text of pieces as a JSON string; strings are escaped straight from their UTF-16, other
/// values go through `push_value` and `scratch`.
fn json_text(
    data: &[u8],
    subs: &[Sub],
    pieces: &[Piece],
    scratch: &mut String,
    out: &mut Vec<u8>,
) -> Option<()> {
    out.push(b'"');
    for piece in pieces {
        match piece {
            Piece::Text(t) => json_str_body(out, t),
            Piece::Sub(n) => {
                let sub = subs.get(*n as usize)?;
                if sub.kind == 0x01 {
                    json_utf16(data.get(sub.start..sub.start + sub.len)?, out)?;
                } else {
                    scratch.clear();
                    push_value(data, sub, scratch)?;
                    json_str_body(out, scratch);
                }
            }
        }
    }
    out.push(b'"');
    Some(())
}

/// An unnamed `<Data>`'s value as JSON strings: one, or one per item of a string array (see
/// `binxml::string_array`), comma-separated.
fn unnamed_json(
    data: &[u8],
    subs: &[Sub],
    pieces: &[Piece],
    scratch: &mut String,
    out: &mut Vec<u8>,
) -> Option<()> {
    let Some(items) = string_array(data, subs, pieces) else {
        return json_text(data, subs, pieces, scratch, out);
    };
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'"');
        json_utf16(item, out)?;
        out.push(b'"');
    }
    Some(())
}

/// One record's line; `Some(None)` when the filter drops it.
#[allow(clippy::too_many_arguments)]
fn write_line(
    plan: &Plan,
    def: u32,
    data: &[u8],
    subs: &[Sub],
    header_record_id: u64,
    filter: &EventFilter,
    nested: &mut NestedCache,
    fields: &mut Fields,
    source_json: &[u8],
    out: &mut Vec<u8>,
) -> Option<Option<(DateTime<Utc>, u64)>> {
    plan.all_elements_present(subs)?;
    let event_id = (number(data, subs, &plan.event_id)? & 0xFFFF) as u32;
    let ticks = filetime_ticks(data, subs, &plan.time)?;
    // Most records of a filtered listing fail on the id: the time is not made for them.
    if filter.rejects_id(event_id) {
        return Some(None);
    }
    let time = fields.days.time_of(ticks)?;
    if !filter.wants_id_and_time(event_id, &time) {
        return Some(None);
    }
    let start = out.len();
    let written = write_passing(
        plan,
        def,
        data,
        subs,
        header_record_id,
        nested,
        fields,
        source_json,
        event_id,
        &time,
        out,
    );
    if written.is_none() {
        out.truncate(start);
    }
    Some(Some((time, written?)))
}

/// The line of a record that passed the filter; its record id. `None` (with part of a line
/// written) for a value the decoder leaves to the crate.
#[allow(clippy::too_many_arguments)]
fn write_passing(
    plan: &Plan,
    def: u32,
    data: &[u8],
    subs: &[Sub],
    header_record_id: u64,
    nested: &mut NestedCache,
    fields: &mut Fields,
    source_json: &[u8],
    event_id: u32,
    time: &DateTime<Utc>,
    out: &mut Vec<u8>,
) -> Option<u64> {
    let level = match &plan.level {
        Some(p) => number(data, subs, p).unwrap_or(0).min(255) as u8,
        None => 0,
    };
    let record_id = match &plan.record_id {
        Some(p) => number(data, subs, p).unwrap_or(header_record_id),
        None => header_record_id,
    };
    // The data fields: the template's own, then those of a nested template.
    let nested_def = match plan.nested {
        Some(n) => {
            let sub = subs.get(n as usize)?;
            match sub.kind {
                0x00 => None,
                0x21 if sub.len == 0 => None,
                0x21 => {
                    let def =
                        read_instance(data, sub.start, sub.start + sub.len, &mut nested.subs)?;
                    nested
                        .plans
                        .entry(def)
                        .or_insert_with(|| cached_nested_plan(data, def))
                        .as_ref()?;
                    Some(def)
                }
                _ => return None,
            }
        }
        None => None,
    };
    let NestedCache {
        plans,
        subs: nested_subs,
        keys: key_cache,
    } = nested;
    let inner: &[super::binxml::Field] = match nested_def {
        Some(def) => plans.get(&def)?.as_deref()?,
        None => &[],
    };
    let all = plan
        .data
        .iter()
        .map(|f| (f, subs))
        .chain(inner.iter().map(|f| (f, nested_subs.as_slice())))
        .filter(|(f, subs)| present(f, subs));
    // Keys are remembered per template only when no field is left out of this record.
    let whole =
        plan.data.iter().all(|f| present(f, subs)) && inner.iter().all(|f| present(f, nested_subs));
    // The fields' JSON keys: the same for every record of the template when all names are
    // literal, else made for this record.
    let literal = |name: &Option<Vec<Piece>>| match name.as_deref() {
        None => true,
        Some(pieces) => pieces.iter().all(|p| matches!(p, Piece::Text(_))),
    };
    let cached = match key_cache.get(&(def, nested_def)) {
        _ if !whole => None,
        Some(keys) => keys.clone(),
        None => {
            let keys = all
                .clone()
                .all(|((name, _, _, _), _)| literal(name))
                .then(|| field_keys(data, all.clone(), fields))
                .flatten();
            key_cache.insert((def, nested_def), keys.clone());
            keys
        }
    };
    let keys = match cached {
        Some(keys) => keys,
        None => field_keys(data, all.clone(), fields)?,
    };
    let scratch = &mut fields.scratch;
    let mut string_field =
        |out: &mut Vec<u8>, key: &[u8], pieces: &Option<Vec<Piece>>| -> Option<()> {
            out.extend_from_slice(key);
            match pieces {
                Some(p) => json_text(data, subs, p, &mut *scratch, out),
                None => {
                    out.extend_from_slice(b"\"\"");
                    Some(())
                }
            }
        };
    out.extend_from_slice(b"{\"time\":");
    json_time(out, time);
    out.extend_from_slice(b",\"record_id\":");
    push_u64(out, record_id);
    string_field(out, b",\"channel\":", &plan.channel)?;
    string_field(out, b",\"provider\":", &plan.provider)?;
    out.extend_from_slice(b",\"event_id\":");
    push_u64(out, u64::from(event_id));
    out.extend_from_slice(b",\"level\":");
    push_u64(out, u64::from(level));
    out.extend_from_slice(b",\"level_name\":");
    json_str(out, Level(level).name());
    string_field(out, b",\"computer\":", &plan.computer)?;
    out.extend_from_slice(b",\"data\":{");
    let mut first = true;
    for (i, (((name, value, _, attributed), subs), key)) in all.clone().zip(keys.iter()).enumerate()
    {
        if let Some(key) = key {
            let at = out.len();
            if !first {
                out.push(b',');
            }
            out.extend_from_slice(key);
            out.push(b':');
            let value_at = out.len();
            json_text(data, subs, value, &mut *scratch, out)?;
            // An element with attributes and no text is left out (see `binxml::Field`), when
            // no later field has its name.
            if *attributed && out.len() == value_at + 2 {
                if all
                    .clone()
                    .skip(i + 1)
                    .any(|((later, ..), _)| later == name)
                {
                    return None;
                }
                out.truncate(at);
                continue;
            }
            first = false;
        }
    }
    let mut unnamed = all.zip(keys.iter()).filter(|(_, key)| key.is_none());
    if let Some((((_, value, _, _), subs), _)) = unnamed.next() {
        if !first {
            out.push(b',');
        }
        out.extend_from_slice(b"\"Data\":[");
        unnamed_json(data, subs, value, &mut *scratch, out)?;
        for (((_, value, _, _), subs), _) in unnamed {
            out.push(b',');
            unnamed_json(data, subs, value, &mut *scratch, out)?;
        }
        out.push(b']');
    }
    out.extend_from_slice(b"},\"source_file\":");
    out.extend_from_slice(source_json);
    out.extend_from_slice(b"}\n");
    Some(record_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::rfc3339;

    #[test]
    fn times_and_numbers_are_written_as_the_listing_writes_them() {
        let base = DateTime::from_timestamp(1_313_452_200, 0).unwrap();
        let mut times = vec![
            DateTime::from_timestamp(-11_644_473_600, 0).unwrap(),
            DateTime::from_timestamp(0, 1).unwrap(),
            DateTime::<Utc>::MAX_UTC,
            DateTime::<Utc>::MIN_UTC,
        ];
        for nanos in [
            0,
            100,
            1_000,
            120_000,
            1_000_000,
            826_000_000,
            999_999_900,
            5_000_100,
        ] {
            times.push(base + chrono::Duration::nanoseconds(nanos));
        }
        for t in times {
            let mut ours = Vec::new();
            json_time(&mut ours, &t);
            assert_eq!(
                String::from_utf8_lossy(&ours),
                serde_json::to_string(&rfc3339(&t)).unwrap()
            );
        }
        for n in [0, 7, 10, 333, 65_535, u64::from(u32::MAX), u64::MAX] {
            let mut ours = Vec::new();
            push_u64(&mut ours, n);
            assert_eq!(ours, n.to_string().into_bytes());
        }
    }

    #[test]
    fn four_units_at_once_agree_with_one_at_a_time() {
        // Every unit value that matters (and some that do not) in each of the four lanes.
        let interesting: Vec<u16> = (0..=0x100u16)
            .chain([0x7FF, 0x8000, 0xFF22, 0xFFFF])
            .collect();
        for &u in &interesting {
            for lane in 0..4 {
                let mut units = [u16::from(b'a'); 4];
                units[lane] = u;
                let w = units
                    .iter()
                    .enumerate()
                    .fold(0u64, |w, (i, &x)| w | (u64::from(x) << (16 * i)));
                let plain = |x: u16| (0x20..0x80).contains(&x) && x != 0x22 && x != 0x5C;
                let expected = units
                    .iter()
                    .all(|&x| plain(x))
                    .then(|| units.map(|x| x as u8));
                assert_eq!(
                    super::json::plain_ascii4(w),
                    expected,
                    "unit {u:#x} in lane {lane}"
                );
            }
        }
    }

    /// Every length up to 40 characters, with one character that is not plain ASCII (or none)
    /// at every place: the blocks of eight and four and the one-by-one tail meet everywhere.
    #[test]
    fn utf16_values_are_escaped_as_serde_json_does_at_every_place() {
        for len in 0..40usize {
            for odd in [
                '\0',
                '"',
                '\\',
                '\n',
                '\u{1f}',
                '\u{7f}',
                'é',
                '中',
                '\u{1f600}',
                'x',
            ] {
                for at in 0..=len {
                    let mut s: String = (0..len)
                        .map(|k| char::from(b'a' + (k % 26) as u8))
                        .collect();
                    s.insert(at, odd);
                    assert_utf16_escaped_as_serde_json(&s);
                }
            }
        }
    }

    #[test]
    fn json_strings_are_escaped_as_serde_json_does() {
        let mut all: String = (0u8..0x80).map(char::from).collect();
        all.push_str("é ü 中文 \u{2028} \u{7f} \\ \" / end");
        for s in [
            all.as_str(),
            "",
            "plain",
            "\"",
            "a\\b",
            "\u{1f}\u{0}",
            "Windows Modules Installer entered the running state.",
            "sixteen chars ok\"then a quote, then\ta tab and é",
            "exactly 8 units",
            "eight ch",
            "eight chars then\u{0}hidden after a NUL",
        ] {
            let mut ours = Vec::new();
            json_str(&mut ours, s);
            let want = serde_json::to_string(s).unwrap();
            assert_eq!(String::from_utf8_lossy(&ours), want);
            assert_utf16_escaped_as_serde_json(s);
        }
    }

    /// `s` as UTF-16LE (as a record stores it) comes out as serde_json writes it, up to its
    /// first NUL (which ends a UTF-16 value).
    fn assert_utf16_escaped_as_serde_json(s: &str) {
        let utf16: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let mut ours = vec![b'"'];
        json_utf16(&utf16, &mut ours).unwrap();
        ours.push(b'"');
        let upto_nul = s.split('\0').next().unwrap_or_default();
        assert_eq!(
            String::from_utf8_lossy(&ours),
            serde_json::to_string(upto_nul).unwrap(),
            "{s:?}"
        );
    }
}
