//! The `evtx` crate's way through a chunk, for chunks the fast decoder leaves to it: each record
//! rendered to JSON by the crate and read back into an `Event`.
use super::error_chain;
use super::walk::ChunkRead;
use crate::filter::EventFilter;
use crate::model::{DataField, Event, EventData, Level};
use chrono::{DateTime, Utc};
use evtx::{EvtxChunkData, ParserSettings};
use serde_json::Value;
use std::sync::Arc;

/// The `evtx` crate's way: render each record to JSON and read the event from that.
pub(super) fn read_chunk_with_crate(
    chunk: &mut EvtxChunkData,
    settings: &Arc<ParserSettings>,
    source: &Arc<str>,
    filter: &EventFilter,
) -> ChunkRead<Vec<Event>> {
    let mut out = ChunkRead::<Vec<Event>>::default();
    let number = chunk.number;
    let mut parsed = match chunk.parse(Arc::clone(settings)) {
        Ok(parsed) => parsed,
        Err(err) => {
            let at = number.map(|n| format!("chunk {n}: ")).unwrap_or_default();
            out.problems.push(format!("{at}{}", error_chain(&err)));
            return out;
        }
    };
    for record in parsed.iter() {
        let converted = record.and_then(|record| {
            let record_id = record.event_record_id;
            let header_time = super::file::header_time(&record.timestamp);
            // Kept to render XML if the JSON shows named data: the crate's JSON drops unnamed
            // `<Data>` that stands beside named `<Data>`.
            let for_xml = record.clone();
            let json = record.into_json_bytes()?;
            let notes = &mut out.notes;
            let mut converted =
                convert_record(record_id, &json.data, source, filter, header_time, notes);
            if let Ok((_, Some(event))) = &mut converted {
                if event.data.0.iter().any(|f| f.name.is_some()) {
                    let xml = for_xml.into_xml_bytes()?;
                    restore_mixed_data(&xml.data, &mut event.data);
                }
            }
            Ok(converted)
        });
        match converted {
            Ok(Ok((time, event))) => {
                out.records_read += 1;
                // The file's span counts every record, kept or not.
                note_chunk_time(&mut out, time);
                out.out.extend(event);
            }
            Ok(Err(problem)) => out.problems.push(problem),
            Err(err) => out.problems.push(error_chain(&err)),
        }
    }
    out
}

/// Where the record's XML has both named and unnamed `<Data>` in its EventData, takes the
/// EventData values from the XML, in order (UserData values, which come after, stay).
fn restore_mixed_data(xml: &[u8], data: &mut EventData) {
    let Some(from_xml) = event_data_from_xml(xml) else {
        return;
    };
    let mixed =
        from_xml.iter().any(|f| f.name.is_none()) && from_xml.iter().any(|f| f.name.is_some());
    if !mixed {
        return;
    }
    // The JSON's EventData values came first; the named ones among them are the XML's named ones.
    let from_json = data.0.iter().filter(|f| f.name.is_some()).count();
    let named_in_xml = from_xml.iter().filter(|f| f.name.is_some()).count();
    let user_data: Vec<DataField> = data.0.drain(..).skip(from_json.min(named_in_xml)).collect();
    data.0 = from_xml;
    data.0.extend(user_data);
}

/// The `<Data>` values of an event's `<EventData>` in the crate's XML, `None` if it does not parse.
fn event_data_from_xml(xml: &[u8]) -> Option<Vec<DataField>> {
    use quick_xml::events::Event as Xml;
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut fields = Vec::new();
    let mut in_event_data = false;
    let mut current: Option<DataField> = None;
    let name_of = |e: &quick_xml::events::BytesStart| {
        e.try_get_attribute("Name").ok().flatten().and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
    };
    loop {
        match reader.read_event().ok()? {
            Xml::Start(e) if e.local_name().as_ref() == "EventData" => in_event_data = true,
            Xml::End(e) if e.local_name().as_ref() == "EventData" => break,
            Xml::Empty(e) if in_event_data && e.local_name().as_ref() == "Data" => {
                fields.push(DataField {
                    name: name_of(&e),
                    value: String::new(),
                });
            }
            Xml::Start(e) if in_event_data && e.local_name().as_ref() == "Data" => {
                current = Some(DataField {
                    name: name_of(&e),
                    value: String::new(),
                });
            }
            Xml::Text(t) => {
                if let Some(field) = &mut current {
                    field.value.push_str(&t);
                }
            }
            Xml::GeneralRef(r) => {
                if let Some(field) = &mut current {
                    let text = match r.resolve_char_ref().ok()? {
                        Some(c) => c.to_string(),
                        None => {
                            let name = r.to_string();
                            quick_xml::escape::resolve_predefined_entity(&name)?.to_string()
                        }
                    };
                    field.value.push_str(&text);
                }
            }
            Xml::End(e) if e.local_name().as_ref() == "Data" => fields.extend(current.take()),
            Xml::Eof => break,
            _ => {}
        }
    }
    Some(fields)
}

fn note_chunk_time<R>(out: &mut ChunkRead<R>, t: DateTime<Utc>) {
    if out.first.is_none_or(|f| t < f) {
        out.first = Some(t);
    }
    if out.last.is_none_or(|l| t > l) {
        out.last = Some(t);
    }
}

/// Turns one record's JSON into its time and event (`None` when the filter drops it); `Err` with
/// a one-line reason when the record lacks what every event must have.
fn convert_record(
    record_id: u64,
    json: &[u8],
    source: &Arc<str>,
    filter: &EventFilter,
    header_time: Option<DateTime<Utc>>,
    notes: &mut Vec<String>,
) -> std::result::Result<(DateTime<Utc>, Option<Event>), String> {
    let value: Value = serde_json::from_slice(json)
        .map_err(|e| format!("record {record_id}: rendered JSON unreadable: {e}"))?;
    let event = value
        .get("Event")
        .ok_or_else(|| format!("record {record_id}: no Event element"))?;
    let system = event
        .get("System")
        .ok_or_else(|| format!("record {record_id}: no System element"))?;
    let event_id = system
        .get("EventID")
        .and_then(as_u64)
        .ok_or_else(|| format!("record {record_id}: no readable EventID"))?;
    // Qualifiers live in the upper 16 bits in some exports; the id proper is the low 16.
    let event_id = (event_id & 0xFFFF) as u32;
    let time = system
        .get("TimeCreated_attributes")
        .and_then(|a| a.get("SystemTime"))
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .or_else(|| super::file::time_fallback(record_id, header_time, notes))
        .ok_or_else(|| format!("record {record_id}: no readable TimeCreated"))?;
    if !filter.wants_id_and_time(event_id, &time) {
        return Ok((time, None));
    }
    let provider = system
        .get("Provider_attributes")
        .and_then(|a| a.get("Name").or_else(|| a.get("EventSourceName")))
        .map(text_of)
        .unwrap_or_default();
    let level = system.get("Level").and_then(as_u64).unwrap_or(0).min(255) as u8;
    let mut data = EventData::default();
    if let Some(event_data) = event.get("EventData") {
        collect_event_data(event_data, &mut data);
    }
    if let Some(user_data) = event.get("UserData") {
        collect_user_data(user_data, &mut data);
    }
    let converted = Event {
        time,
        record_id: Some(
            system
                .get("EventRecordID")
                .and_then(as_u64)
                .unwrap_or(record_id),
        ),
        channel: system.get("Channel").map(text_of).unwrap_or_default(),
        provider,
        event_id,
        level: Level(level),
        computer: system.get("Computer").map(text_of).unwrap_or_default(),
        message: None,
        data,
        source_file: Arc::clone(source),
    };
    Ok((time, filter.matches(&converted).then_some(converted)))
}

fn as_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Object(map) => map.get("#text").and_then(as_u64),
        _ => None,
    }
}

/// A JSON value as event-data text: strings as they are, numbers as written, null as empty.
fn text_of(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text_of).collect::<Vec<_>>().join(","),
        Value::Object(map) => match map.get("#text") {
            Some(text) => text_of(text),
            None => v.to_string(),
        },
        other => other.to_string(),
    }
}

/// EventData: named `<Data Name=..>` become keys; unnamed `<Data>` values arrive under `Data`.
fn collect_event_data(v: &Value, out: &mut EventData) {
    let Value::Object(map) = v else {
        if !v.is_null() {
            out.0.push(DataField {
                name: None,
                value: text_of(v),
            });
        }
        return;
    };
    for (key, value) in map {
        if key.ends_with("_attributes") || key == "#attributes" {
            continue;
        }
        if key == "Data" || key == "#text" {
            push_unnamed(value, out);
        } else {
            out.0.push(DataField {
                name: Some(key.clone()),
                value: text_of(value),
            });
        }
    }
}

fn push_unnamed(value: &Value, out: &mut EventData) {
    match value {
        Value::Array(items) => {
            for item in items {
                push_unnamed(item, out);
            }
        }
        Value::Object(map) if map.contains_key("#text") => push_unnamed(&map["#text"], out),
        Value::Object(_) => collect_event_data(value, out),
        other => out.0.push(DataField {
            name: None,
            value: text_of(other),
        }),
    }
}

/// UserData holds one provider-defined element; its leaf fields become named values.
fn collect_user_data(v: &Value, out: &mut EventData) {
    fn walk(prefix: &str, v: &Value, out: &mut EventData) {
        match v {
            Value::Object(map) => {
                for (key, value) in map {
                    if key.ends_with("_attributes") || key == "#attributes" {
                        continue;
                    }
                    let name = if key == "#text" {
                        prefix.to_string()
                    } else {
                        key.clone()
                    };
                    walk(&name, value, out);
                }
            }
            other => out.0.push(DataField {
                name: (!prefix.is_empty()).then(|| prefix.to_string()),
                value: text_of(other),
            }),
        }
    }
    if let Value::Object(map) = v {
        for (key, inner) in map {
            if key.ends_with("_attributes") || key == "#attributes" {
                continue;
            }
            walk(key, inner, out);
        }
    }
}
