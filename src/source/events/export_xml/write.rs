//! Writers of XML exports for fixtures: wevtutil, Event Viewer and evtx_dump layouts, the same
//! bytes for the same events.
use super::{ExportFormat, EVENT_NS};
use crate::model::{Event, Level};
use chrono::{DateTime, Utc};

/// Writes `events` as `format` would hold them, byte for byte the same for the same events
/// (fixtures). XML formats only: a JSON format gives no bytes (`export_json::write` writes those).
pub fn write(events: &[Event], format: ExportFormat) -> Vec<u8> {
    let mut out = String::new();
    match format {
        ExportFormat::WevtutilXml | ExportFormat::WevtutilRenderedXml => {
            for e in events {
                let rendered = format == ExportFormat::WevtutilRenderedXml;
                event_xml(&mut out, e, Style::compact(rendered));
                out.push_str("\r\n");
            }
        }
        ExportFormat::EventviewerXml => {
            out.push_str(
                "<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?>\r\n<Events>",
            );
            for e in events {
                event_xml(&mut out, e, Style::compact(true));
                out.push_str("\r\n");
            }
            out.push_str("</Events>");
        }
        ExportFormat::EvtxDumpXml => {
            for (i, e) in events.iter().enumerate() {
                let number = e.record_id.unwrap_or(i as u64 + 1);
                out.push_str(&format!(
                    "Record {number}\n<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                ));
                event_xml(&mut out, e, Style::PRETTY);
                out.push_str("\n\n");
            }
        }
        ExportFormat::EvtxDumpJson | ExportFormat::EvtxDumpJsonl | ExportFormat::PowershellJson => {
            return Vec::new()
        }
    }
    out.into_bytes()
}

/// How one event is written.
#[derive(Clone, Copy)]
struct Style {
    quote: char,
    rendered: bool,
    /// evtx_dump's layout: an element a line, two spaces a level.
    pretty: bool,
}

impl Style {
    const PRETTY: Style = Style {
        quote: '"',
        rendered: true,
        pretty: true,
    };

    fn compact(rendered: bool) -> Style {
        Style {
            quote: '\'',
            rendered,
            pretty: false,
        }
    }
}

/// The SystemTime form of a time: seven fractional digits (100 ns ticks) and `Z`.
pub(in crate::source::events) fn system_time(t: &DateTime<Utc>) -> String {
    format!("{}{}Z", t.format("%Y-%m-%dT%H:%M:%S"), ticks(t))
}

/// `.fffffff`: the fraction of a second in 100 ns ticks, as Windows writes it.
pub(in crate::source::events) fn ticks<T: chrono::Timelike>(t: &T) -> String {
    format!(".{:07}", t.nanosecond() % 1_000_000_000 / 100)
}

fn event_xml(out: &mut String, e: &Event, style: Style) {
    let q = style.quote;
    let nl = |out: &mut String, depth: usize| {
        if style.pretty {
            out.push('\n');
            out.push_str(&"  ".repeat(depth));
        }
    };
    let leaf = |out: &mut String, depth: usize, name: &str, text: &str| {
        nl(out, depth);
        out.push_str(&format!("<{name}>"));
        escape_into(out, text, false);
        out.push_str(&format!("</{name}>"));
    };
    let attr = |out: &mut String, key: &str, value: &str| {
        out.push_str(&format!(" {key}={q}"));
        escape_into(out, value, true);
        out.push(q);
    };
    out.push_str(&format!("<Event xmlns={q}{EVENT_NS}{q}>"));
    nl(out, 1);
    out.push_str("<System>");
    nl(out, 2);
    out.push_str("<Provider");
    attr(out, "Name", &e.provider);
    out.push_str("/>");
    leaf(out, 2, "EventID", &e.event_id.to_string());
    if e.level != Level::UNKNOWN {
        leaf(out, 2, "Level", &e.level.0.to_string());
    }
    nl(out, 2);
    out.push_str("<TimeCreated");
    attr(out, "SystemTime", &system_time(&e.time));
    out.push_str("/>");
    if let Some(id) = e.record_id {
        leaf(out, 2, "EventRecordID", &id.to_string());
    }
    leaf(out, 2, "Channel", &e.channel);
    leaf(out, 2, "Computer", &e.computer);
    nl(out, 1);
    out.push_str("</System>");
    if !e.data.0.is_empty() {
        nl(out, 1);
        out.push_str("<EventData>");
        for field in &e.data.0 {
            match field.name.as_deref() {
                Some("Binary") => leaf(out, 2, "Binary", &field.value),
                Some(name) => {
                    nl(out, 2);
                    out.push_str("<Data");
                    attr(out, "Name", name);
                    out.push('>');
                    escape_into(out, &field.value, false);
                    out.push_str("</Data>");
                }
                None => leaf(out, 2, "Data", &field.value),
            }
        }
        nl(out, 1);
        out.push_str("</EventData>");
    }
    if let (true, Some(message)) = (style.rendered, &e.message) {
        nl(out, 1);
        out.push_str("<RenderingInfo");
        attr(out, "Culture", "en-US");
        out.push('>');
        leaf(out, 2, "Message", message);
        if e.level != Level::UNKNOWN {
            leaf(out, 2, "Level", e.level.name());
        }
        leaf(out, 2, "Channel", &e.channel);
        leaf(out, 2, "Provider", &e.provider);
        nl(out, 1);
        out.push_str("</RenderingInfo>");
    }
    nl(out, 0);
    out.push_str("</Event>");
}

/// Escapes text for XML 1.0; CR (and in attributes tab and LF) as character references so they
/// survive the parser's normalization. Control characters XML 1.0 cannot carry become U+FFFD.
fn escape_into(out: &mut String, text: &str, attr: bool) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' if attr => out.push_str("&apos;"),
            '"' if attr => out.push_str("&quot;"),
            '\r' => out.push_str("&#xD;"),
            '\t' if attr => out.push_str("&#x9;"),
            '\n' if attr => out.push_str("&#xA;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}
