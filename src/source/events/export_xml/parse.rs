//! One `<Event>` element of an XML export, parsed with quick-xml into a `RawEvent`: whole, or
//! only what a count reads (every element and attribute is still checked).
use super::{event_id_of, level_from_name, level_from_number, parse_system_time, RawEvent};
use crate::model::{DataField, Level};
use quick_xml::events::{BytesStart, Event as Xml};
use std::borrow::Cow;

/// What a parse takes of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Need {
    /// Every field, for an `Event`.
    Everything,
    /// What a count is keyed on (time, id, channel, provider) and the record id that names a
    /// skipped event: no data, message, level or computer, and no text or attribute values
    /// kept for other elements.
    CountKeys,
}

/// An open element while one event is parsed.
struct Frame {
    name: Cow<'static, str>,
    attrs: Vec<(Cow<'static, str>, String)>,
    /// Any attribute, namespace declarations too.
    has_attrs: bool,
    text: String,
    /// Its text is gathered (a count gathers only the text it reads).
    keeps_text: bool,
    has_child: bool,
}

/// The names of the schema's elements and attributes, shared rather than copied per element (a
/// dozen an event).
const KNOWN: [&str; 17] = [
    "Event",
    "System",
    "Provider",
    "EventID",
    "Level",
    "TimeCreated",
    "EventRecordID",
    "Channel",
    "Computer",
    "EventData",
    "Data",
    "Name",
    "SystemTime",
    "RenderingInfo",
    "Message",
    "Keywords",
    "Task",
];

fn name_of(name: &str) -> Cow<'static, str> {
    match KNOWN.iter().find(|k| k.len() == name.len() && **k == name) {
        Some(k) => Cow::Borrowed(k),
        None => Cow::Owned(name.to_string()),
    }
}

/// The attributes a count reads: the provider's name and the time.
pub(super) fn counted_attr(element: &str, key: &str) -> bool {
    match element {
        "Provider" => key == "Name" || key == "EventSourceName",
        "TimeCreated" => key == "SystemTime",
        _ => false,
    }
}

/// The elements whose text a count reads, by their section (`System`, `RenderingInfo`).
pub(super) fn counted_text(section: &str, element: &str) -> bool {
    match section {
        "System" => matches!(element, "EventID" | "EventRecordID" | "Channel"),
        "RenderingInfo" => matches!(element, "Provider" | "Channel"),
        _ => false,
    }
}

fn frame(e: &BytesStart, need: Need, section: Option<&str>) -> std::result::Result<Frame, String> {
    let name = name_of(e.local_name().as_ref());
    let everything = need == Need::Everything;
    let keeps_text = everything || section.is_some_and(|s| counted_text(s, &name));
    let mut attrs = Vec::new();
    let mut has_attrs = false;
    for attr in e.attributes() {
        let attr = attr.map_err(|err| format!("bad attribute in <{name}>: {err}"))?;
        // Namespace declarations count as attributes (an empty leaf with only them carries no
        // value, as in the EVTX reader), but are not kept.
        has_attrs = true;
        if attr.key.as_namespace_binding().is_some() {
            continue;
        }
        // A value a count does not read is still checked where it could be wrong: only an
        // entity or character reference can fail.
        if !everything && !counted_attr(&name, attr.key.local_name().as_ref()) {
            if memchr::memchr(b'&', attr.value.as_bytes()).is_none() {
                continue;
            }
            let key = name_of(attr.key.local_name().as_ref());
            attr.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| format!("bad value of {key} in <{name}>: {err}"))?;
            continue;
        }
        let key = name_of(attr.key.local_name().as_ref());
        let value = attr
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|err| format!("bad value of {key} in <{name}>: {err}"))?;
        attrs.push((key, value.into_owned()));
    }
    Ok(Frame {
        name,
        attrs,
        has_attrs,
        text: String::new(),
        keeps_text,
        has_child: false,
    })
}

impl Frame {
    fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses one `<Event>…</Event>` fragment, taking what `need` says.
pub(super) fn parse_event(fragment: &str, need: Need) -> std::result::Result<RawEvent, String> {
    let mut reader = quick_xml::Reader::from_str(fragment);
    let mut stack: Vec<Frame> = Vec::new();
    let mut raw = RawEvent::default();
    let mut rendered_provider = None;
    let mut closed_root = false;
    loop {
        let event = reader.read_event().map_err(|e| {
            format!(
                "bad XML at byte {} of the event: {e}",
                reader.error_position()
            )
        })?;
        match event {
            Xml::Start(e) | Xml::Empty(e) if closed_root => {
                let name = e.local_name().as_ref().to_string();
                return Err(format!("<{name}> after the end of the event"));
            }
            Xml::Start(e) => {
                let f = open(&e, &mut stack, need)?;
                stack.push(f);
            }
            Xml::Empty(e) => {
                let f = open(&e, &mut stack, need)?;
                closed_root |= stack.is_empty();
                close(f, &mut stack, &mut raw, &mut rendered_provider, need)?;
            }
            Xml::End(_) => {
                let f = stack.pop().ok_or("an end tag without its start")?;
                closed_root |= stack.is_empty();
                close(f, &mut stack, &mut raw, &mut rendered_provider, need)?;
            }
            // Line ends are kept as written (no XML normalization of CR LF): the exporters
            // write the event's own text raw, and the EVTX reader keeps it so too.
            Xml::Text(t) => {
                if let Some(top) = stack.last_mut().filter(|top| top.keeps_text) {
                    top.text.push_str(&t);
                }
            }
            Xml::CData(t) => {
                if let Some(top) = stack.last_mut().filter(|top| top.keeps_text) {
                    top.text.push_str(&t);
                }
            }
            Xml::GeneralRef(r) => {
                let text = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => {
                        let name = r.to_string();
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .map(str::to_string)
                            .unwrap_or_else(|| format!("&{name};"))
                    }
                    Err(e) => return Err(format!("bad character reference: {e}")),
                };
                if let Some(top) = stack.last_mut().filter(|top| top.keeps_text) {
                    top.text.push_str(&text);
                }
            }
            Xml::Eof => break,
            _ => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(format!("the event ends inside <{}>", open.name));
    }
    if raw.provider.is_none() {
        raw.provider = rendered_provider;
    }
    Ok(raw)
}

fn open(e: &BytesStart, stack: &mut [Frame], need: Need) -> std::result::Result<Frame, String> {
    // The section (`System`, `EventData`...) of an element right inside one.
    let section = match stack {
        [_, section] => Some(section.name.as_ref()),
        _ => None,
    };
    let f = frame(e, need, section)?;
    match stack.last_mut() {
        Some(parent) => parent.has_child = true,
        None if f.name != "Event" => return Err(format!("<{}> where <Event> belongs", f.name)),
        None => {}
    }
    Ok(f)
}

/// Takes what a just-closed element says; `stack` holds its ancestors.
fn close(
    f: Frame,
    stack: &mut [Frame],
    raw: &mut RawEvent,
    rendered_provider: &mut Option<String>,
    need: Need,
) -> std::result::Result<(), String> {
    let section = stack.get(1).map(|s| s.name.as_ref());
    match (stack.len(), section) {
        (2, Some("System")) => system_field(&f.name, &f.text, |k| f.attr(k), raw, need)?,
        // A count reads nothing else but the rendered provider and channel.
        (2, Some("RenderingInfo")) if need == Need::CountKeys => match f.name.as_ref() {
            "Provider" => *rendered_provider = Some(f.text),
            "Channel" if raw.channel.is_none() => raw.channel = Some(f.text),
            _ => {}
        },
        _ if need == Need::CountKeys => {}
        (2, Some("EventData")) => {
            let name = if f.name == "Data" {
                f.attr("Name").filter(|n| !n.is_empty()).map(str::to_string)
            } else {
                Some(f.name.into_owned())
            };
            raw.data.push(DataField {
                name,
                value: f.text,
            });
        }
        (2, Some("RenderingInfo")) => match f.name.as_ref() {
            "Message" => raw.message = Some(f.text),
            "Level" => raw.level_name = Some(f.text),
            "Provider" => *rendered_provider = Some(f.text),
            "Channel" if raw.channel.is_none() => raw.channel = Some(f.text),
            _ => {}
        },
        // Inside one `<Data>`: its text is the field's.
        (n, Some("EventData")) if n > 2 => {
            if let Some(parent) = stack.last_mut() {
                parent.text.push_str(&f.text);
            }
        }
        // The provider's own element: every leaf is a field named after itself (as the EVTX
        // reader does); an empty leaf with only attributes carries no value.
        (n, Some("UserData" | "ProcessingErrorData"))
            if n >= 2 && !f.has_child && !(f.text.is_empty() && f.has_attrs) =>
        {
            raw.data.push(DataField {
                name: Some(f.name.into_owned()),
                value: f.text,
            });
        }
        _ => {}
    }
    Ok(())
}

/// What a just-closed element right inside `<System>` says: its name, its text (as gathered for
/// `need`) and its attributes by name. Shared with the count's quick path (`fast`).
pub(super) fn system_field<'a>(
    name: &str,
    text: &str,
    attr: impl Fn(&str) -> Option<&'a str>,
    raw: &mut RawEvent,
    need: Need,
) -> std::result::Result<(), String> {
    let text = text.trim();
    match name {
        "Level" | "Computer" if need == Need::CountKeys => {}
        "Provider" => {
            raw.provider = attr("Name")
                .or_else(|| attr("EventSourceName"))
                .map(str::to_string);
        }
        "EventID" => {
            let n: u64 = text
                .parse()
                .map_err(|_| format!("EventID {text:?} is not a number"))?;
            raw.event_id = Some(event_id_of(n));
        }
        "Level" => {
            raw.level = Some(match text.parse::<u64>() {
                Ok(n) => level_from_number(n),
                Err(_) => level_from_name(text).unwrap_or(Level::UNKNOWN),
            });
        }
        "TimeCreated" => {
            if let Some(t) = attr("SystemTime") {
                raw.time = parse_system_time(t);
                // Only a time that does not parse is named.
                raw.time_text = raw.time.is_none().then(|| t.to_string());
            }
        }
        "EventRecordID" => raw.record_id = text.parse().ok(),
        "Channel" => raw.channel = Some(text.to_string()),
        "Computer" => raw.computer = Some(text.to_string()),
        _ => {}
    }
    Ok(())
}
