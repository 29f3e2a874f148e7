//! One data row of a CSV export as an event: Event Viewer's five columns and the message, and
//! the named columns of Get-WinEvent, Get-EventLog and EvtxECmd.
use super::{
    audit_keyword, is_none_word, level_from_word, Columns, Layout, AUDIT_KEYWORDS, EVTXECMD_DATA,
};
use crate::model::{DataField, Event, EventData, Level};
use crate::source::events::export::ExportOptions;
use crate::source::events::export_text::{named, Collector};
use std::borrow::Cow;

/// The message as the model keeps it: line breaks as `\n`, `None` when empty.
fn message(text: Option<&str>) -> Option<String> {
    text.filter(|m| !m.trim().is_empty()).map(|m| {
        if m.contains('\r') {
            m.replace("\r\n", "\n")
        } else {
            m.to_string()
        }
    })
}

fn or_opt(value: Option<&str>, fallback: &Option<String>) -> String {
    value
        .map(str::to_string)
        .or_else(|| fallback.clone())
        .unwrap_or_default()
}

fn level_or_note(word: &str, c: &mut Collector) -> Level {
    level_from_word(word).unwrap_or_else(|| {
        c.note(format!("level word {word:?} not known: read as unknown"));
        Level::UNKNOWN
    })
}

pub(super) fn row_event(
    layout: &Layout,
    row: &[Cow<'_, str>],
    line: u64,
    opts: &ExportOptions,
    c: &mut Collector,
) {
    let cols = match layout {
        Layout::Viewer { security, .. } => return viewer_row(*security, row, line, opts, c),
        Layout::Named(cols) => cols,
    };
    let (time_col, utc) = if cols.has("TimeCreated") && cols.has("EventRecordId") {
        ("TimeCreated", true)
    } else if cols.has("TimeCreated") {
        ("TimeCreated", false)
    } else {
        ("TimeGenerated", false)
    };
    let Some(raw_time) = cols.get(row, time_col) else {
        return c.skip(format!("line {line}: no {time_col}"));
    };
    if c.counts_only() {
        return named_key(cols, row, line, (raw_time, time_col, utc), opts, c);
    }
    let mut e = c.event();
    let mut data: Vec<DataField> = Vec::new();
    let id = if utc {
        evtxecmd_fields(cols, row, &mut e, &mut data)
    } else if time_col == "TimeCreated" {
        winevent_fields(cols, row, &mut e, &mut data, c)
    } else {
        eventlog_fields(cols, row, &mut e, &mut data)
    };
    let Some(event_id) = id else {
        return c.skip(format!("line {line}: no event id that is a number"));
    };
    e.event_id = event_id;
    e.channel = or_opt(
        Some(e.channel.as_str()).filter(|s| !s.is_empty()),
        &opts.channel,
    );
    e.computer = or_opt(
        Some(e.computer.as_str()).filter(|s| !s.is_empty()),
        &opts.host,
    );
    e.data = EventData(data);
    if utc {
        c.push_utc(line, raw_time, e);
    } else {
        c.push(line, raw_time, e);
    }
}

/// Every column `row_event` and `named_key` read for a count: the others' cells a count of a
/// mapped file leaves unread (`counted`).
pub(super) const COUNT_COLUMNS: [&str; 13] = [
    "TimeCreated",
    "EventRecordId",
    "TimeGenerated",
    "EventId",
    "Channel",
    "Provider",
    "LevelDisplayName",
    "Id",
    "LogName",
    "ProviderName",
    "Source",
    "EventID",
    "InstanceId",
];

/// `row_event` for a count: only what the row is counted under, the same rows skipped and the
/// same notes made.
fn named_key(
    cols: &Columns,
    row: &[Cow<'_, str>],
    line: u64,
    (raw_time, time_col, utc): (&str, &str, bool),
    opts: &ExportOptions,
    c: &mut Collector,
) {
    let (channel, provider, id) = if utc {
        let id = cols.get(row, "EventId").and_then(|id| id.parse().ok());
        (cols.get(row, "Channel"), cols.get(row, "Provider"), id)
    } else if time_col == "TimeCreated" {
        // Read for its note alone, as in `viewer_row`: the few words known already skipped.
        if let Some(word) = cols.get(row, "LevelDisplayName") {
            if !c.quiet_words.iter().any(|w| w == word) {
                if level_from_word(word).is_none() {
                    level_or_note(word, c);
                } else if c.quiet_words.len() < 16 {
                    c.quiet_words.push(word.to_string());
                }
            }
        }
        let id = cols.get(row, "Id").and_then(|id| id.parse().ok());
        (cols.get(row, "LogName"), cols.get(row, "ProviderName"), id)
    } else {
        (None, cols.get(row, "Source"), eventlog_id(cols, row))
    };
    let Some(event_id) = id else {
        return c.skip(format!("line {line}: no event id that is a number"));
    };
    let channel = channel.or(opts.channel.as_deref()).unwrap_or_default();
    let key = (channel, provider.unwrap_or_default(), event_id);
    c.push_key(line, raw_time, key, utc);
}

fn viewer_row(
    security: bool,
    row: &[Cow<'_, str>],
    line: u64,
    opts: &ExportOptions,
    c: &mut Collector,
) {
    if row.len() != 5 && row.len() != 6 {
        return c.skip(format!("line {line}: {} fields, expected 6", row.len()));
    }
    let cell = |i: usize| row.get(i).map(|s| s.trim()).unwrap_or("");
    let Ok(event_id) = cell(3).parse::<u32>() else {
        return c.skip(format!(
            "line {line}: event id {:?} is not a number",
            cell(3)
        ));
    };
    let first = cell(0);
    if c.counts_only() {
        // The level word is read for its note alone (an audit word or none needs no level);
        // the few words of a file that need none are remembered.
        let known = |w: &String| w.len() == first.len() && w == first;
        if !first.is_empty() && !security && !c.quiet_words.iter().any(known) {
            if level_from_word(first).is_none() && audit_keyword(first).is_none() {
                level_or_note(first, c);
            } else if c.quiet_words.len() < 16 {
                c.quiet_words.push(first.to_string());
            }
        }
        let channel = opts.channel.as_deref().unwrap_or_default();
        return c.push_key(line, cell(1), (channel, cell(2), event_id), false);
    }
    let mut e = c.event();
    e.event_id = event_id;
    e.provider = cell(2).to_string();
    let mut data = Vec::new();
    match audit_keyword(first) {
        Some(kw) => {
            data.push(named("Keywords", kw));
            e.level = Level::INFORMATION;
        }
        None if first.is_empty() => {}
        None if security => data.push(named("Keywords", first)),
        None => e.level = level_or_note(first, c),
    }
    if !is_none_word(cell(4)) {
        data.push(named("Task Category", cell(4)));
    }
    e.data = EventData(data);
    e.message = message(row.get(5).map(|m| m.as_ref()));
    e.channel = opts.channel.clone().unwrap_or_default();
    e.computer = opts.host.clone().unwrap_or_default();
    c.push(line, cell(1), e);
}

fn winevent_fields(
    cols: &Columns,
    row: &[Cow<'_, str>],
    e: &mut Event,
    data: &mut Vec<DataField>,
    c: &mut Collector,
) -> Option<u32> {
    e.provider = cols
        .get(row, "ProviderName")
        .unwrap_or_default()
        .to_string();
    e.level = match (cols.get(row, "LevelDisplayName"), cols.get(row, "Level")) {
        (Some(word), _) => level_or_note(word, c),
        (None, Some(n)) => n
            .parse::<u8>()
            .ok()
            .filter(|n| *n <= 5)
            .map_or(Level::UNKNOWN, Level),
        (None, None) => Level::UNKNOWN,
    };
    e.record_id = cols.get(row, "RecordId").and_then(|r| r.parse().ok());
    e.channel = cols.get(row, "LogName").unwrap_or_default().to_string();
    e.computer = cols.get(row, "MachineName").unwrap_or_default().to_string();
    e.message = message(cols.get(row, "Message"));
    if let Some(task) = cols.get(row, "TaskDisplayName") {
        data.push(named("Task", task));
    }
    // A collection exports as its type name; the words are there only from a calculated column.
    if let Some(kw) = cols
        .get(row, "KeywordsDisplayNames")
        .and_then(|k| AUDIT_KEYWORDS.into_iter().find(|a| k.contains(a)))
    {
        data.push(named("Keywords", kw));
    }
    if let Some(user) = cols.get(row, "UserId") {
        data.push(named("UserId", user));
    }
    cols.get(row, "Id")?.parse().ok()
}

fn eventlog_fields(
    cols: &Columns,
    row: &[Cow<'_, str>],
    e: &mut Event,
    data: &mut Vec<DataField>,
) -> Option<u32> {
    e.provider = cols.get(row, "Source").unwrap_or_default().to_string();
    e.computer = cols.get(row, "MachineName").unwrap_or_default().to_string();
    e.record_id = cols.get(row, "Index").and_then(|r| r.parse().ok());
    e.message = message(cols.get(row, "Message"));
    let entry = cols.get(row, "EntryType").unwrap_or_default();
    let (level, audit) = match entry.to_ascii_lowercase().as_str() {
        "error" | "1" => (Level::ERROR, None),
        "warning" | "2" => (Level::WARNING, None),
        "information" | "4" | "0" => (Level::INFORMATION, None),
        "successaudit" | "8" => (Level::INFORMATION, Some(AUDIT_KEYWORDS[0])),
        "failureaudit" | "16" => (Level::INFORMATION, Some(AUDIT_KEYWORDS[1])),
        _ => (Level::UNKNOWN, None),
    };
    e.level = level;
    if let Some(kw) = audit {
        data.push(named("Keywords", kw));
    }
    if let Some(cat) = cols
        .get(row, "Category")
        .filter(|c| *c != "(0)" && !is_none_word(c))
    {
        data.push(named("Category", cat));
    }
    if let Some(user) = cols.get(row, "UserName") {
        data.push(named("UserName", user));
    }
    // Export-Csv writes a string array as its type name; only a real list is data.
    if let Some(list) = cols
        .get(row, "ReplacementStrings")
        .filter(|s| *s != "System.String[]")
    {
        let inner = list.strip_prefix('{').and_then(|l| l.strip_suffix('}'));
        let values: Vec<&str> = match inner {
            Some(inner) => inner.split(", ").collect(),
            None => vec![list],
        };
        data.extend(values.into_iter().map(|v| DataField {
            name: None,
            value: v.to_string(),
        }));
    }
    eventlog_id(cols, row)
}

fn eventlog_id(cols: &Columns, row: &[Cow<'_, str>]) -> Option<u32> {
    match cols.get(row, "EventID").and_then(|id| id.parse().ok()) {
        Some(id) => Some(id),
        // InstanceId carries the qualifiers in its high bits.
        None => cols
            .get(row, "InstanceId")
            .and_then(|id| id.parse::<u64>().ok())
            .map(|id| (id & 0xFFFF) as u32),
    }
}

fn evtxecmd_fields(
    cols: &Columns,
    row: &[Cow<'_, str>],
    e: &mut Event,
    data: &mut Vec<DataField>,
) -> Option<u32> {
    e.provider = cols.get(row, "Provider").unwrap_or_default().to_string();
    e.channel = cols.get(row, "Channel").unwrap_or_default().to_string();
    e.computer = cols.get(row, "Computer").unwrap_or_default().to_string();
    e.level = cols
        .get(row, "Level")
        .and_then(level_from_word)
        .unwrap_or(Level::UNKNOWN);
    e.record_id = cols
        .get(row, "EventRecordId")
        .or_else(|| cols.get(row, "RecordNumber"))
        .and_then(|r| r.parse().ok());
    for name in EVTXECMD_DATA {
        if let Some(value) = cols.get(row, name) {
            data.push(named(name, value));
        }
    }
    // The Payload column is the record's EventData as JSON: its named values are the event's
    // data, as in the EVTX (kept beside the raw Payload).
    if let Some(payload) = cols.get(row, "Payload") {
        data.extend(payload_fields(payload));
    }
    cols.get(row, "EventId")?.parse().ok()
}

/// `{"EventData":{"Data":[{"@Name":"param1","#text":"..."}]}}` (or one Data object) as fields.
fn payload_fields(payload: &str) -> Vec<DataField> {
    let Ok(json) = serde_json::from_str::<serde_json::Value>(payload) else {
        return Vec::new();
    };
    let items = match &json["EventData"]["Data"] {
        serde_json::Value::Array(items) => items.clone(),
        item @ serde_json::Value::Object(_) => vec![item.clone()],
        _ => Vec::new(),
    };
    items
        .iter()
        .filter_map(|item| {
            let name = item.get("@Name")?.as_str()?;
            let text = match item.get("#text") {
                Some(serde_json::Value::String(t)) => t.clone(),
                Some(v) if !v.is_null() => v.to_string(),
                _ => String::new(),
            };
            Some(named(name, &text))
        })
        .collect()
}
