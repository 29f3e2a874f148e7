//! Writers of CSV and text exports for fixtures (Event Viewer in its UI languages, Get-WinEvent,
//! Get-EventLog, EvtxECmd, wevtutil text): the same bytes for the same events.
use super::{locales, ExportFormat, Language, AUDIT_KEYWORDS, EVTXECMD_DATA};
use crate::model::{Event, Level};
use crate::source::events::export_text;
use chrono_tz::Tz;

/// The message a writer puts where an event has none: Event Viewer's own wording for a
/// description it cannot render, followed by the event's data values one per line.
pub(crate) fn message_or_placeholder(e: &Event) -> String {
    if let Some(m) = &e.message {
        return m.clone();
    }
    let mut text = format!(
        "The description for Event ID {} from source {} cannot be found.",
        e.event_id, e.provider
    );
    if !e.data.0.is_empty() {
        text.push_str(" The following information was included with the event:\n\n");
        let values: Vec<&str> = e.data.0.iter().map(|f| f.value.as_str()).collect();
        text.push_str(&values.join("\n"));
    }
    text
}

const WINEVENT_HEADER: &str = "Message,Id,Version,Qualifiers,Level,Task,Opcode,Keywords,RecordId,ProviderName,ProviderId,LogName,ProcessId,ThreadId,MachineName,UserId,TimeCreated,ActivityId,RelatedActivityId,ContainerLog,MatchedQueryIds,Bookmark,LevelDisplayName,OpcodeDisplayName,TaskDisplayName,KeywordsDisplayNames,Properties";

const EVENTLOG_HEADER: &str = "EventID,MachineName,Data,Index,Category,CategoryNumber,EntryType,Message,Source,ReplacementStrings,InstanceId,TimeGenerated,TimeWritten,UserName,Site,Container";

pub(super) const EVTXECMD_HEADER: &str = "RecordNumber,EventRecordId,TimeCreated,EventId,Level,Provider,Channel,ProcessId,ThreadId,Computer,ChunkNumber,UserId,MapDescription,UserName,RemoteHost,PayloadData1,PayloadData2,PayloadData3,PayloadData4,PayloadData5,PayloadData6,ExecutableInfo,HiddenRecord,SourceFile,Keywords,ExtraDataOffset,Payload";

/// Writes `events` as `format` would, in `culture` ("en-US", "en-GB", "de-DE"; another name
/// writes en-US) with local times in `zone`: byte for byte the same for the same input.
/// Event Viewer, Get-WinEvent and Get-EventLog write newest first; EvtxECmd and wevtutil in the
/// order given. An event without a message gets `message_or_placeholder`'s text.
pub fn write(events: &[Event], format: ExportFormat, culture: &str, zone: Tz) -> Vec<u8> {
    let Ok(table) = locales() else {
        return Vec::new();
    };
    let find_culture = |name: &str| table.culture.iter().find(|c| c.name == name);
    let Some(cult) = find_culture(culture).or_else(|| find_culture("en-US")) else {
        return Vec::new();
    };
    let Some(lang) = table.language.iter().find(|l| l.code == cult.language) else {
        return Vec::new();
    };
    let local = |e: &Event| {
        e.time
            .with_timezone(&zone)
            .format(&cult.date_time)
            .to_string()
    };
    let mut ordered: Vec<&Event> = events.iter().collect();
    let newest_first = !matches!(
        format,
        ExportFormat::EvtxEcmdCsv | ExportFormat::WevtutilText
    );
    if newest_first {
        ordered.sort_by_key(|e| std::cmp::Reverse(e.time));
    }
    let mut out = Vec::new();
    if format == ExportFormat::WevtutilText {
        export_text::write_wevtutil(&ordered, zone, &mut out);
        return out;
    }
    let viewer = matches!(
        format,
        ExportFormat::EventViewerCsv | ExportFormat::EventViewerTxt
    );
    if viewer {
        out.extend_from_slice(&[0xEF, 0xBB, 0xBF]);
    }
    let type_line = match format {
        ExportFormat::WinEventCsv => {
            Some("#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord".to_string())
        }
        ExportFormat::EventLogCsv => Some(ordered.first().map_or(
            "#TYPE System.Diagnostics.EventLogEntry".to_string(),
            |e| {
                format!(
                    "#TYPE System.Diagnostics.EventLogEntry#{}/{}/{}",
                    e.channel, e.provider, e.event_id
                )
            },
        )),
        _ => None,
    };
    if let Some(line) = type_line {
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    let quote = if viewer || format == ExportFormat::EvtxEcmdCsv {
        csv::QuoteStyle::Necessary
    } else {
        csv::QuoteStyle::Always
    };
    let delimiter = if format == ExportFormat::EventViewerTxt {
        b'\t'
    } else {
        b','
    };
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .delimiter(delimiter)
        .quote_style(quote)
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    let rows = ordered
        .iter()
        .map(|e| match format {
            ExportFormat::WinEventCsv => winevent_row(e, lang, &local(e)),
            ExportFormat::EventLogCsv => eventlog_row(e, &local(e)),
            ExportFormat::EvtxEcmdCsv => evtxecmd_row(e),
            _ => viewer_row_out(e, lang, &local(e)),
        })
        .collect::<Vec<_>>();
    let security = !ordered.is_empty()
        && ordered.iter().all(|e| {
            e.data
                .get("Keywords")
                .is_some_and(|k| AUDIT_KEYWORDS.contains(&k))
        });
    let header: Vec<&str> = match format {
        ExportFormat::WinEventCsv => WINEVENT_HEADER.split(',').collect(),
        ExportFormat::EventLogCsv => EVENTLOG_HEADER.split(',').collect(),
        ExportFormat::EvtxEcmdCsv => EVTXECMD_HEADER.split(',').collect(),
        _ => vec![
            if security {
                &lang.keywords
            } else {
                &lang.level
            },
            &lang.date_and_time,
            &lang.source,
            &lang.event_id,
            &lang.task_category,
        ],
    };
    // Writing to a Vec cannot fail.
    let _ = w.write_record(&header);
    for row in rows {
        let _ = w.write_record(&row);
    }
    w.into_inner().unwrap_or_default()
}

fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', "\r\n")
}

fn viewer_row_out(e: &Event, lang: &Language, time: &str) -> Vec<String> {
    let first = match e.data.get("Keywords") {
        Some(k) if k == AUDIT_KEYWORDS[0] => lang.audit_success.clone(),
        Some(k) if k == AUDIT_KEYWORDS[1] => lang.audit_failure.clone(),
        _ => lang.level_word(e.level).to_string(),
    };
    vec![
        first,
        time.to_string(),
        e.provider.clone(),
        e.event_id.to_string(),
        e.data
            .get("Task Category")
            .unwrap_or(&lang.none)
            .to_string(),
        crlf(&message_or_placeholder(e)),
    ]
}

fn winevent_row(e: &Event, lang: &Language, time: &str) -> Vec<String> {
    let level = if e.level == Level::UNKNOWN {
        String::new()
    } else {
        e.level.0.to_string()
    };
    let record = e.record_id.map(|r| r.to_string()).unwrap_or_default();
    let get = |n: &str| e.data.get(n).unwrap_or("").to_string();
    let cells: [String; 27] = [
        crlf(&message_or_placeholder(e)),
        e.event_id.to_string(),
        "0".into(),
        String::new(),
        level,
        "0".into(),
        "0".into(),
        String::new(),
        record,
        e.provider.clone(),
        String::new(),
        e.channel.clone(),
        String::new(),
        String::new(),
        e.computer.clone(),
        get("UserId"),
        time.to_string(),
        String::new(),
        String::new(),
        String::new(),
        "System.UInt32[]".into(),
        "System.Diagnostics.Eventing.Reader.EventBookmark".into(),
        lang.level_word(e.level).to_string(),
        String::new(),
        get("Task"),
        "System.Collections.ObjectModel.ReadOnlyCollection`1[System.String]".into(),
        "System.Collections.Generic.List`1[System.Diagnostics.Eventing.Reader.EventProperty]"
            .into(),
    ];
    cells.to_vec()
}

fn eventlog_row(e: &Event, time: &str) -> Vec<String> {
    let entry = match (e.data.get("Keywords"), e.level.0) {
        (Some(k), _) if k == AUDIT_KEYWORDS[0] => "SuccessAudit",
        (Some(k), _) if k == AUDIT_KEYWORDS[1] => "FailureAudit",
        (_, 1 | 2) => "Error",
        (_, 3) => "Warning",
        _ => "Information",
    };
    let cells: [String; 16] = [
        e.event_id.to_string(),
        e.computer.clone(),
        "System.Byte[]".into(),
        e.record_id.map(|r| r.to_string()).unwrap_or_default(),
        e.data.get("Category").unwrap_or("(0)").to_string(),
        "0".into(),
        entry.into(),
        crlf(&message_or_placeholder(e)),
        e.provider.clone(),
        "System.String[]".into(),
        e.event_id.to_string(),
        time.to_string(),
        time.to_string(),
        e.data.get("UserName").unwrap_or("").to_string(),
        String::new(),
        String::new(),
    ];
    cells.to_vec()
}

/// EvtxECmd's Payload: the named EventData values as JSON (empty when the event has none).
fn payload(e: &Event) -> String {
    if let Some(raw) = e.data.get("Payload") {
        return raw.to_string();
    }
    let items: Vec<serde_json::Value> = e
        .data
        .0
        .iter()
        .filter_map(|f| {
            let name = f
                .name
                .as_ref()
                .filter(|n| !EVTXECMD_DATA.contains(&n.as_str()))?;
            Some(serde_json::json!({ "@Name": name, "#text": f.value }))
        })
        .collect();
    if items.is_empty() {
        return String::new();
    }
    serde_json::json!({ "EventData": { "Data": items } }).to_string()
}

fn evtxecmd_row(e: &Event) -> Vec<String> {
    use chrono::Timelike;
    let t = e.time;
    let time = format!(
        "{}.{:07}",
        t.format("%Y-%m-%d %H:%M:%S"),
        t.nanosecond() % 1_000_000_000 / 100
    );
    let level = match e.level.0 {
        0 | 4 => "Info",
        _ => e.level.name(),
    };
    let record = e.record_id.map(|r| r.to_string()).unwrap_or_default();
    let get = |n: &str| e.data.get(n).unwrap_or("").to_string();
    EVTXECMD_HEADER
        .split(',')
        .map(|col| match col {
            "RecordNumber" | "EventRecordId" => record.clone(),
            "TimeCreated" => time.clone(),
            "EventId" => e.event_id.to_string(),
            "Level" => level.to_string(),
            "Provider" => e.provider.clone(),
            "Channel" => e.channel.clone(),
            "Computer" => e.computer.clone(),
            "ChunkNumber" | "ExtraDataOffset" => "0".to_string(),
            "HiddenRecord" => "False".to_string(),
            "Payload" => payload(e),
            name if EVTXECMD_DATA.contains(&name) => get(name),
            _ => String::new(),
        })
        .collect()
}
