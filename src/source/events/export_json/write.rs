//! Writers of JSON exports for fixtures (evtx_dump JSON and JSONL, PowerShell 5.1 and 7): the
//! same bytes for the same events.
use crate::model::{Event, Level};
use crate::source::events::export_xml::{self, system_time, ticks, ExportFormat, EVENT_NS};
use chrono_tz::Tz;
use serde_json::{Map, Value};

/// Writes `events` as `format` holds them, the same bytes for the same events (fixtures).
/// `PowershellJson` is the PowerShell 5.1 shape (see `write_powershell`); XML formats go to
/// `export_xml::write`.
pub fn write(events: &[Event], format: ExportFormat) -> Vec<u8> {
    match format {
        ExportFormat::PowershellJson => write_powershell(events, None),
        ExportFormat::EvtxDumpJsonl => {
            let mut out = String::new();
            for e in events {
                out.push_str(&dump_value(e).to_string());
                out.push('\n');
            }
            out.into_bytes()
        }
        ExportFormat::EvtxDumpJson => {
            let mut out = String::new();
            for (i, e) in events.iter().enumerate() {
                let number = e.record_id.unwrap_or(i as u64 + 1);
                out.push_str(&format!("Record {number}\n{}\n", dump_value(e)));
            }
            out.into_bytes()
        }
        _ => export_xml::write(events, format),
    }
}

/// `Get-WinEvent | ConvertTo-Json` as PowerShell 5.1 writes it to a file with `Out-File` (`zone`
/// `None`: UTF-16LE with BOM, `"\/Date(ms)\/"`, `'<>&` as `\u` escapes) or as PowerShell 7 does
/// (`Some(zone)`: UTF-8, ISO 8601 times with the offset of `zone`). One event is written as an
/// object, more as an array, as the pipeline does. Data fields become `Properties` values (the
/// names are lost: EventLogRecord's properties have none).
pub fn write_powershell(events: &[Event], zone: Option<Tz>) -> Vec<u8> {
    let (indent, colon) = if zone.is_none() {
        ("    ", ":  ")
    } else {
        ("  ", ": ")
    };
    let string = |s: &str| {
        let json = Value::String(s.to_string()).to_string();
        if zone.is_some() {
            return json;
        }
        json.replace('\'', "\\u0027")
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026")
    };
    let opt = |s: &str| {
        if s.is_empty() {
            "null".to_string()
        } else {
            string(s)
        }
    };
    let objects: Vec<String> = events
        .iter()
        .map(|e| {
            let pad = if events.len() == 1 {
                String::new()
            } else {
                indent.to_string()
            };
            let time = match zone {
                None => format!("\"\\/Date({})\\/\"", e.time.timestamp_millis()),
                Some(tz) => {
                    let local = e.time.with_timezone(&tz);
                    let (date, zone) = (local.format("%Y-%m-%dT%H:%M:%S"), local.format("%:z"));
                    format!("\"{date}{}{zone}\"", ticks(&local))
                }
            };
            let known = e.level != Level::UNKNOWN;
            let properties: Vec<String> = e
                .data
                .0
                .iter()
                .map(|f| {
                    format!(
                        "{pad}{indent}{indent}{{ \"Value\"{colon}{} }}",
                        string(&f.value)
                    )
                })
                .collect();
            let properties = if properties.is_empty() {
                "[]".to_string()
            } else {
                format!("[\n{}\n{pad}{indent}]", properties.join(",\n"))
            };
            let fields = [
                ("Id", e.event_id.to_string()),
                (
                    "Level",
                    if known {
                        e.level.0.to_string()
                    } else {
                        "null".into()
                    },
                ),
                (
                    "RecordId",
                    e.record_id.map_or("null".into(), |r| r.to_string()),
                ),
                ("ProviderName", string(&e.provider)),
                ("LogName", opt(&e.channel)),
                ("MachineName", opt(&e.computer)),
                ("TimeCreated", time),
                (
                    "LevelDisplayName",
                    if known {
                        string(e.level.name())
                    } else {
                        "null".into()
                    },
                ),
                ("Properties", properties),
                (
                    "Message",
                    e.message.as_deref().map_or("null".into(), string),
                ),
            ];
            let body: Vec<String> = fields
                .iter()
                .map(|(k, v)| format!("{pad}{indent}\"{k}\"{colon}{v}"))
                .collect();
            format!("{pad}{{\n{}\n{pad}}}", body.join(",\n"))
        })
        .collect();
    let text = if events.len() == 1 {
        objects.concat()
    } else {
        format!("[\n{}\n]", objects.join(",\n"))
    };
    match zone {
        Some(_) => text.into_bytes(),
        None => {
            let mut bytes = vec![0xFF, 0xFE];
            bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            bytes
        }
    }
}

/// One event in the evtx crate's JSON shape (`#attributes`, unnamed Data under `Data.#text`,
/// a repeated name suffixed `_1`, `_2` as the crate does). Named fields come first in order and
/// the unnamed ones where the first of them was: JSON cannot interleave them.
fn dump_value(e: &Event) -> Value {
    let attrs = |pairs: &[(&str, Value)]| {
        let inner: Map<String, Value> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let mut m = Map::new();
        m.insert("#attributes".into(), Value::Object(inner));
        Value::Object(m)
    };
    let mut system = Map::new();
    system.insert(
        "Provider".into(),
        attrs(&[("Name", e.provider.clone().into())]),
    );
    system.insert("EventID".into(), e.event_id.into());
    if e.level != Level::UNKNOWN {
        system.insert("Level".into(), e.level.0.into());
    }
    let time = system_time(&e.time);
    system.insert("TimeCreated".into(), attrs(&[("SystemTime", time.into())]));
    if let Some(id) = e.record_id {
        system.insert("EventRecordID".into(), id.into());
    }
    system.insert("Channel".into(), e.channel.clone().into());
    system.insert("Computer".into(), e.computer.clone().into());
    let mut data = Map::new();
    let unnamed: Vec<Value> = e.data.unnamed().map(|v| v.into()).collect();
    for field in &e.data.0 {
        match &field.name {
            Some(name) => {
                let mut key = name.clone();
                let mut n = 0;
                while data.contains_key(&key) {
                    n += 1;
                    key = format!("{name}_{n}");
                }
                data.insert(key, field.value.clone().into());
            }
            None if !data.contains_key("Data") => {
                let text = match unnamed.as_slice() {
                    [one] => one.clone(),
                    many => Value::Array(many.to_vec()),
                };
                let mut m = Map::new();
                m.insert("#text".into(), text);
                data.insert("Data".into(), Value::Object(m));
            }
            None => {}
        }
    }
    let mut event = Map::new();
    event.insert(
        "#attributes".into(),
        attrs(&[("xmlns", EVENT_NS.into())])["#attributes"].clone(),
    );
    event.insert("System".into(), Value::Object(system));
    let data = if data.is_empty() {
        Value::Null
    } else {
        Value::Object(data)
    };
    event.insert("EventData".into(), data);
    if let Some(message) = &e.message {
        let mut info = Map::new();
        info.insert("Message".into(), message.clone().into());
        event.insert("RenderingInfo".into(), Value::Object(info));
    }
    let mut root = Map::new();
    root.insert("Event".into(), Value::Object(event));
    Value::Object(root)
}
