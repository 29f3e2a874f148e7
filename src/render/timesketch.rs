//! The merged timeline in Timesketch's import formats: CSV and JSON Lines with the required
//! `message`, `datetime` and `timestamp_desc`, `timestamp` in microseconds, and the fields apart.
use crate::analysis::timeline::TimelineEntry;
use serde_json::{Map, Value};
use std::io::Write;

/// The columns, in order: Timesketch's required three, `timestamp`, then faultline's fields.
pub const COLUMNS: [&str; 15] = [
    "message",
    "datetime",
    "timestamp_desc",
    "timestamp",
    "data_type",
    "event_id",
    "record_id",
    "level",
    "provider",
    "channel",
    "computer",
    "probe",
    "metric",
    "window",
    "source_file",
];

/// What each kind of entry's time is, in Timesketch's words (its `timestamp_desc`).
const DESCRIPTIONS: &[(&str, &str, &str)] = &[
    ("event", "event", "Event Logged"),
    ("probe", "down", "Probe Down"),
    ("probe", "up", "Probe Up"),
    ("probe", "unknown", "Probe Silent"),
    ("metric", "threshold", "Threshold Crossed"),
    ("window", "start", "Window Start"),
    ("window", "recovered", "Window End"),
    ("window", "last_failure", "Window Last Failure"),
];

/// The `timestamp_desc` of an entry; a kind not in the table keeps its own words.
pub fn timestamp_desc(e: &TimelineEntry) -> String {
    DESCRIPTIONS
        .iter()
        .find(|(source, kind, _)| *source == e.source && *kind == e.kind)
        .map(|(_, _, desc)| desc.to_string())
        .unwrap_or_else(|| format!("{} {}", e.source, e.kind))
}

/// The entry's message: what happened, and the event's text after a colon.
fn message(e: &TimelineEntry) -> String {
    if e.detail.is_empty() {
        e.what.clone()
    } else {
        format!("{}: {}", e.what, e.detail)
    }
}

/// One entry as (column, value) pairs; absent fields are `None`.
fn fields(e: &TimelineEntry) -> [(&'static str, Option<Value>); 15] {
    let r = &e.refs;
    let text = |v: &Option<String>| v.clone().map(Value::String);
    [
        ("message", Some(Value::String(message(e)))),
        // Always UTC: an importer that reads a column of mixed offsets (a zone with summer
        // time) as one type can refuse it; Timesketch shows times in each user's zone anyway.
        (
            "datetime",
            Some(Value::String(
                e.time.to_rfc3339_opts(chrono::SecondsFormat::Micros, false),
            )),
        ),
        ("timestamp_desc", Some(Value::String(timestamp_desc(e)))),
        ("timestamp", Some(Value::from(e.time.timestamp_micros()))),
        (
            "data_type",
            Some(Value::String(format!("faultline:{}", e.source))),
        ),
        ("event_id", r.event_id.map(Value::from)),
        ("record_id", r.record_id.map(Value::from)),
        ("level", text(&r.level)),
        ("provider", text(&r.provider)),
        ("channel", text(&r.channel)),
        ("computer", text(&r.computer)),
        ("probe", text(&r.probe)),
        ("metric", text(&r.metric)),
        ("window", r.window.map(Value::from)),
        ("source_file", text(&r.source_file)),
    ]
}

/// CSV with a header line; absent fields are empty cells (Timesketch leaves them out).
/// Text is written as it is: this is an import file, not a spreadsheet.
pub fn write_csv(out: &mut dyn Write, entries: &[TimelineEntry]) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(COLUMNS)?;
    for e in entries {
        let row = fields(e).map(|(_, v)| match v {
            Some(Value::String(s)) => s,
            Some(other) => other.to_string(),
            None => String::new(),
        });
        w.write_record(&row)?;
    }
    w.flush()
}

/// One JSON object a line; absent fields are left out, numbers stay numbers.
pub fn write_jsonl(out: &mut dyn Write, entries: &[TimelineEntry]) -> std::io::Result<()> {
    for e in entries {
        let object: Map<String, Value> = fields(e)
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
            .collect();
        serde_json::to_writer(&mut *out, &object)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
