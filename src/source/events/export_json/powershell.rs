//! PowerShell's JSON exports (`Get-WinEvent`/`Get-EventLog | ConvertTo-Json`, 5.1 and 7): the
//! array taken apart one element at a time (a damaged one skipped), each element as fields.
use super::{number, record_in, text};
use crate::model::{DataField, Level};
use crate::source::events::export::LocalClock;
use crate::source::events::export_xml::{
    event_id_of, level_from_name, level_from_number, Collector, RawEvent,
};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;
use std::io::BufRead;

/// What `ConvertTo-Json` writes for `Properties` beyond its default depth of 2.
const PROPERTY_PLACEHOLDER: &str = "System.Diagnostics.Eventing.Reader.EventProperty";

/// Reads the array (or the objects back to back) of a PowerShell export; returns how many
/// events started.
pub(super) fn read_powershell(
    mut src: Box<dyn BufRead>,
    out: &mut Collector,
) -> std::io::Result<u64> {
    let mut bytes = Vec::new();
    src.read_to_end(&mut bytes)?;
    let text = String::from_utf8_lossy(&bytes);
    let text = text.trim_start_matches('\u{FEFF}');
    // Line numbers are counted on from the last one asked (positions only grow): counting from the
    // start each time made a long export quadratic.
    let counted = std::cell::Cell::new((0usize, 1usize));
    let line_of = |pos: usize| {
        let (from, line) = counted.get();
        let (from, line) = if pos >= from { (from, line) } else { (0, 1) };
        let line = line + memchr::memchr_iter(b'\n', &text.as_bytes()[from..pos]).count();
        counted.set((pos, line));
        line
    };
    let skip_ws = |mut pos: usize, also: &[u8]| {
        while text
            .as_bytes()
            .get(pos)
            .is_some_and(|b| b.is_ascii_whitespace() || also.contains(b))
        {
            pos += 1;
        }
        pos
    };
    let mut pos = skip_ws(0, b"");
    if text.as_bytes().get(pos) == Some(&b'[') {
        pos += 1;
    }
    let mut started = 0;
    let mut placeholders = 0u64;
    loop {
        pos = skip_ws(pos, b",");
        match text.as_bytes().get(pos) {
            None => break,
            Some(b']') => {
                let after = skip_ws(pos + 1, b"");
                if after < text.len() {
                    out.note(format!(
                        "text after the closing ] at line {} was not read",
                        line_of(after)
                    ));
                }
                break;
            }
            Some(_) => {}
        }
        started += 1;
        let place = format!("line {}", line_of(pos));
        let rest = &text[pos..];
        let mut values = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
        match values.next() {
            Some(Ok(v)) => {
                let end = pos + values.byte_offset();
                match ps_event(&v, &mut out.clock, &mut placeholders) {
                    Ok(raw) => out.accept(raw, &place),
                    Err(why) => out.skip(&place, record_in(&text[pos..end]), &why),
                }
                pos = end;
            }
            Some(Err(e)) => {
                let next = resync(text, pos);
                let damaged = &text[pos..next.unwrap_or(text.len())];
                if e.is_eof() {
                    let why = "the file ends inside this event (cut)";
                    out.skip(&place, record_in(damaged), why);
                    break;
                }
                out.skip(
                    &place,
                    record_in(damaged),
                    &format!("JSON does not parse: {e}"),
                );
                match next {
                    Some(next) => pos = next,
                    None => {
                        out.note(format!(
                            "after the damage at {place} no next event could be found: the rest of the file ({} bytes) was not read",
                            text.len() - pos
                        ));
                        break;
                    }
                }
            }
            None => break,
        }
    }
    if placeholders > 0 {
        out.note(format!(
            "{placeholders} events list their Properties only as {PROPERTY_PLACEHOLDER:?} (ConvertTo-Json's default depth): their data values are not in the file (export with -Depth 3)"
        ));
    }
    Ok(started)
}

/// The start of the element after a damaged one at `start`: the next `{` that opens a line with
/// the same indentation (PowerShell and serde indent every element alike). `None` for compressed
/// JSON, where no line tells elements apart.
fn resync(text: &str, start: usize) -> Option<usize> {
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let indent = &text[line_start..start];
    if !indent.chars().all(|c| c == ' ' || c == '\t') {
        return None;
    }
    let needle = format!("\n{indent}{{");
    text.get(start + 1..)?
        .find(&needle)
        .map(|i| start + 1 + i + needle.len() - 1)
}

/// One PowerShell event (`EventLogRecord` or `EventLogEntry` properties) as fields.
fn ps_event(
    v: &Value,
    clock: &mut LocalClock,
    placeholders: &mut u64,
) -> std::result::Result<RawEvent, String> {
    let m = v.as_object().ok_or("not a JSON object")?;
    let get = |k: &str| m.get(k).filter(|v| !v.is_null());
    let time = get("TimeCreated").or_else(|| get("TimeGenerated"));
    let mut raw = RawEvent {
        time: time.and_then(|t| ps_time(t, clock)),
        time_text: time.map(|t| t.to_string()),
        record_id: get("RecordId").or_else(|| get("Index")).and_then(number),
        channel: get("LogName").and_then(text),
        provider: get("ProviderName").or_else(|| get("Source")).and_then(text),
        computer: get("MachineName").and_then(text),
        message: get("Message").and_then(text),
        ..RawEvent::default()
    };
    // `Id` (Get-WinEvent) has no qualifiers; `EventID` (Get-EventLog) may carry high bits.
    let id = get("Id")
        .or_else(|| get("EventID"))
        .or_else(|| get("InstanceId"));
    if let Some(id) = id {
        let n = number(id).ok_or_else(|| format!("event id {id} is not a number"))?;
        raw.event_id = Some(event_id_of(n));
    }
    raw.level = get("Level").and_then(number).map(level_from_number);
    raw.level_name = get("LevelDisplayName").and_then(text);
    if let Some(entry) = get("EntryType") {
        raw.level = match entry {
            Value::Number(n) => n.as_u64().and_then(entry_type_level),
            other => text(other).as_deref().and_then(level_from_name),
        };
    }
    if let Some(Value::Array(items)) = get("Properties") {
        for item in items {
            match item {
                Value::String(s) if s == PROPERTY_PLACEHOLDER => {
                    *placeholders += 1;
                    break;
                }
                Value::Object(p) if p.contains_key("Value") => raw
                    .data
                    .push(unnamed_value(p.get("Value").unwrap_or(&Value::Null))),
                other => raw.data.push(unnamed_value(other)),
            }
        }
    }
    if let Some(Value::Array(items)) = get("ReplacementStrings") {
        raw.data.extend(items.iter().map(unnamed_value));
    }
    if let Some(Value::Array(bytes)) =
        get("Data").filter(|d| d.as_array().is_some_and(|a| !a.is_empty()))
    {
        if let Some(hex) = hex_of(bytes) {
            raw.data.push(DataField {
                name: Some("Binary".to_string()),
                value: hex,
            });
        }
    }
    Ok(raw)
}

/// Get-EventLog's `EntryType` enum (`EventLogEntryType`) as a level.
fn entry_type_level(n: u64) -> Option<Level> {
    match n {
        1 => Some(Level::ERROR),
        2 => Some(Level::WARNING),
        4 => Some(Level::INFORMATION),
        // Success (0) and the audits: logged at LogAlways, shown as Information.
        0 | 8 | 16 => Some(Level(0)),
        _ => None,
    }
}

fn unnamed_value(v: &Value) -> DataField {
    let value = match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        // A SecurityIdentifier and the like: its `Value` is the text.
        Value::Object(m) if m.contains_key("Value") => {
            return unnamed_value(m.get("Value").unwrap_or(&Value::Null))
        }
        Value::Array(items) => hex_of(items).unwrap_or_else(|| v.to_string()),
        other => text(other).unwrap_or_else(|| other.to_string()),
    };
    DataField { name: None, value }
}

/// A byte array (JSON numbers 0..=255) as upper-case hex, as `<Binary>` writes it.
fn hex_of(items: &[Value]) -> Option<String> {
    let mut hex = String::with_capacity(items.len() * 2);
    for item in items {
        let b = u8::try_from(item.as_u64()?).ok()?;
        hex.push_str(&format!("{b:02X}"));
    }
    Some(hex)
}

/// A PowerShell time: `\/Date(ms)\/` (5.1; UTC milliseconds, an offset suffix only says the
/// writer's zone), ISO 8601 with an offset (7), or ISO without one (read in `--input-tz`).
fn ps_time(v: &Value, clock: &mut LocalClock) -> Option<DateTime<Utc>> {
    let s = match v {
        Value::String(s) => s.trim(),
        // A DateTime with PowerShell's extra properties: `{"value": .., "DateTime": ..}`.
        Value::Object(m) => return m.get("value").and_then(|v| ps_time(v, clock)),
        _ => return None,
    };
    if let Some(inner) = s.strip_prefix("/Date(").and_then(|r| r.strip_suffix(")/")) {
        let digits_end = inner
            .char_indices()
            .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && c == '-')))
            .map_or(inner.len(), |(i, _)| i);
        let ms: i64 = inner[..digits_end].parse().ok()?;
        return DateTime::from_timestamp_millis(ms);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let naive = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())?;
    clock.to_utc(naive)
}
