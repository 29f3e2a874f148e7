//! Where each field of an `Event` comes from in a template (the plan), and the event of one
//! record made by following it.
use super::template::{cached, Element, Piece, PlanCache, TemplateParser};
use super::values::{filetime, number, push_utf16, string_array, text};
use super::{read_instance, Sub};
use crate::filter::EventFilter;
use crate::model::{DataField, Event, EventData, Level};
use chrono::{DateTime, Utc};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

/// Where each field of an `Event` comes from, for one template.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) event_id: Vec<Piece>,
    pub(crate) time: Vec<Piece>,
    pub(crate) level: Option<Vec<Piece>>,
    pub(crate) record_id: Option<Vec<Piece>>,
    pub(crate) provider: Option<Vec<Piece>>,
    pub(crate) channel: Option<Vec<Piece>>,
    pub(crate) computer: Option<Vec<Piece>>,
    /// (name, value) of each data field; `None` name is an unnamed `<Data>`.
    pub(crate) data: Vec<Field>,
    /// The substitution holding the event's data as nested BinXML (EventData or UserData).
    pub(crate) nested: Option<u16>,
    /// Dependencies of elements other than data fields: a record where one of these values is
    /// null leaves an element out, which the crate is left to render.
    pub(crate) required: Vec<u16>,
}

/// A data field's name (`None`: an unnamed `<Data>`), value, the substitution whose null
/// value leaves the field out (see `Element::dependency`), and whether the field is an element
/// with attributes, which the crate's JSON leaves out when its text is empty (the decoder
/// drops it too when no later field has its name, else leaves the chunk to the crate).
pub(crate) type Field = (Option<Vec<Piece>>, Vec<Piece>, Option<u16>, bool);

/// Whether a field is there in a record with these values: its element is left out when the
/// value it depends on is null.
pub(crate) fn present(field: &Field, subs: &[Sub]) -> bool {
    field
        .2
        .is_none_or(|d| subs.get(d as usize).is_none_or(|s| s.kind != 0x00))
}

/// The fields of an `<EventData>`: `<Data Name="n">` named, `<Data>` unnamed, any other
/// element named after itself.
fn event_data_fields(element: &Element, out: &mut Vec<Field>) -> Option<()> {
    if !element.text.is_empty() {
        return None;
    }
    for field in &element.children {
        if !field.children.is_empty() {
            return None;
        }
        // The crate repeats an element once per item of an array value; it leaves one out
        // when the value it depends on is null (handled per record: `present`).
        let name = match (field.name.as_str(), field.attr("Name")) {
            ("Data", Some(name)) => Some(name.to_vec()),
            ("Data", None) => None,
            (other, _) => Some(vec![Piece::Text(other.to_string())]),
        };
        let attributed = field.name != "Data" && !field.attrs.is_empty();
        out.push((name, field.text.clone(), field.dependency, attributed));
    }
    Some(())
}

/// The fields of a `<UserData>` element's content: every leaf element, named after itself.
fn user_data_fields(element: &Element, out: &mut Vec<Field>) -> Option<()> {
    // An element that may be left out changes the shape: leave those to the crate.
    if element.dependency.is_some() {
        return None;
    }
    if element.children.is_empty() {
        // An empty element with attributes renders as an empty JSON object: no field.
        if element.text.is_empty() && !element.attrs.is_empty() {
            return Some(());
        }
        out.push((
            Some(vec![Piece::Text(element.name.clone())]),
            element.text.clone(),
            None,
            false,
        ));
        return Some(());
    }
    if !element.text.is_empty() {
        return None;
    }
    for (i, child) in element.children.iter().enumerate() {
        // Repeated names become JSON arrays in the crate's rendering: leave them to it.
        if element.children[..i].iter().any(|c| c.name == child.name) {
            return None;
        }
        user_data_fields(child, out)?;
    }
    Some(())
}

/// The fields of the element a nested BinXML value holds: `<EventData>`, `<UserData>`, or the
/// provider's own element that sits inside `<UserData>`.
fn nested_fields(root: &Element, out: &mut Vec<Field>) -> Option<()> {
    match root.name.as_str() {
        "EventData" if root.dependency.is_none() => event_data_fields(root, out),
        "EventData" => None,
        "UserData" => {
            if !root.text.is_empty() || root.dependency.is_some() {
                return None;
            }
            root.children
                .iter()
                .try_for_each(|c| user_data_fields(c, out))
        }
        _ => user_data_fields(root, out),
    }
}

impl Plan {
    /// The plan of the template defined at `def`; `None` for a shape this decoder leaves to
    /// the `evtx` crate.
    fn of_template(data: &[u8], def: u32) -> Option<Plan> {
        let root = TemplateParser::at(data, def)?.document()?;
        if root.name != "Event" {
            return None;
        }
        let system = root.child("System")?;
        let text = |name: &str| system.child(name).map(|e| e.text.clone());
        let provider = system.child("Provider").and_then(|p| {
            p.attr("Name")
                .or_else(|| p.attr("EventSourceName"))
                .map(<[Piece]>::to_vec)
        });
        let mut plan = Plan {
            event_id: text("EventID")?,
            time: system.child("TimeCreated")?.attr("SystemTime")?.to_vec(),
            level: text("Level"),
            record_id: text("EventRecordID"),
            provider,
            channel: text("Channel"),
            computer: text("Computer"),
            data: Vec::new(),
            nested: None,
            required: Vec::new(),
        };
        // Every element's dependency but the EventData fields' (the root is always rendered).
        for part in &root.children {
            if part.name == "EventData" {
                plan.required.extend(part.dependency);
            } else {
                part.dependencies(&mut plan.required);
            }
        }
        // Windows puts the event's data in a substitution of nested BinXML, right under
        // <Event> or inside <UserData>.
        let nest = |pieces: &[Piece], plan: &mut Plan| match pieces {
            [] => Some(()),
            [Piece::Sub(n)] if plan.nested.is_none() => {
                plan.nested = Some(*n);
                Some(())
            }
            _ => None,
        };
        nest(&root.text, &mut plan)?;
        for part in &root.children {
            match part.name.as_str() {
                "System" | "RenderingInfo" => {}
                "EventData" => event_data_fields(part, &mut plan.data)?,
                "UserData" if part.children.is_empty() => nest(&part.text, &mut plan)?,
                "UserData" => nested_fields(part, &mut plan.data)?,
                _ => return None,
            }
        }
        Some(plan)
    }

    /// `None` when a record's values leave out an element other than a data field.
    pub(crate) fn all_elements_present(&self, subs: &[Sub]) -> Option<()> {
        let left_out = |d: &u16| subs.get(*d as usize).is_some_and(|s| s.kind == 0x00);
        (!self.required.iter().any(left_out)).then_some(())
    }

    /// The record's time and event (`None` when the filter drops it); `None` when a value is of
    /// a type this decoder leaves to the `evtx` crate.
    pub(crate) fn event(
        &self,
        data: &[u8],
        subs: &[Sub],
        header_record_id: u64,
        source: &Arc<str>,
        filter: &EventFilter,
        nested: &mut NestedCache,
    ) -> Option<(DateTime<Utc>, Option<Event>)> {
        self.all_elements_present(subs)?;
        let event_id = (number(data, subs, &self.event_id)? & 0xFFFF) as u32;
        let time = filetime(data, subs, &self.time)?;
        if !filter.wants_id_and_time(event_id, &time) {
            return Some((time, None));
        }
        let text_or_empty = |pieces: &Option<Vec<Piece>>| match pieces {
            Some(p) => text(data, subs, p),
            None => Some(String::new()),
        };
        let level = match &self.level {
            Some(p) => number(data, subs, p).unwrap_or(0).min(255) as u8,
            None => 0,
        };
        let record_id = match &self.record_id {
            Some(p) => number(data, subs, p).unwrap_or(header_record_id),
            None => header_record_id,
        };
        let mut fields = Vec::with_capacity(self.data.len());
        let mut dropped = Vec::new();
        for field in &self.data {
            push_field(data, subs, field, &mut fields, &mut dropped)?;
        }
        if let Some(n) = self.nested {
            let sub = subs.get(n as usize)?;
            match sub.kind {
                0x00 => {}
                0x21 if sub.len == 0 => {}
                0x21 => {
                    let NestedCache { plans, subs, .. } = nested;
                    let def = read_instance(data, sub.start, sub.start + sub.len, subs)?;
                    let plan = plans
                        .entry(def)
                        .or_insert_with(|| cached_nested_plan(data, def))
                        .as_ref()?;
                    for field in plan.iter() {
                        push_field(data, subs, field, &mut fields, &mut dropped)?;
                    }
                }
                _ => return None,
            }
        }
        // A dropped element keeps its number among those of its name in the crate's keys: only
        // one after every other of its name leaves the others' names as they are.
        for (at, name) in &dropped {
            if fields[*at..].iter().any(|f| f.name.as_ref() == Some(name)) {
                return None;
            }
        }
        suffix_repeated_names(&mut fields);
        let event = Event {
            time,
            record_id: Some(record_id),
            channel: text_or_empty(&self.channel)?,
            provider: text_or_empty(&self.provider)?,
            event_id,
            level: Level(level),
            computer: text_or_empty(&self.computer)?,
            message: None,
            data: EventData(fields),
            source_file: Arc::clone(source),
        };
        Some((time, filter.matches(&event).then_some(event)))
    }
}

/// Adds a data field of the record; an unnamed `<Data>` holding a string array adds one field
/// per item, as the crate repeats the element. An element with attributes and no text is
/// not in the crate's JSON: it is noted in `dropped` (where it would have been, its name).
fn push_field(
    data: &[u8],
    subs: &[Sub],
    field: &Field,
    out: &mut Vec<DataField>,
    dropped: &mut Vec<(usize, String)>,
) -> Option<()> {
    if !present(field, subs) {
        return Some(());
    }
    let (name, value, _, attributed) = field;
    let Some(name) = name else {
        if let Some(items) = string_array(data, subs, value) {
            for item in items {
                let mut value = String::new();
                push_utf16(item, &mut value)?;
                out.push(DataField { name: None, value });
            }
            return Some(());
        }
        out.push(DataField {
            name: None,
            value: text(data, subs, value)?,
        });
        return Some(());
    };
    let value = text(data, subs, value)?;
    let name = text(data, subs, name)?;
    if *attributed && value.is_empty() {
        dropped.push((out.len(), name));
        return Some(());
    }
    out.push(DataField {
        name: Some(name),
        value,
    });
    Some(())
}

/// A name that repeats gets `_1`, `_2`, ... on its later uses, as the crate's JSON keys do.
pub(crate) fn suffix_repeated_names(fields: &mut [DataField]) {
    for i in 1..fields.len() {
        let (before, rest) = fields.split_at_mut(i);
        let Some(name) = rest[0].name.as_mut() else {
            continue;
        };
        let seen = before
            .iter()
            .filter(|f| f.name.as_deref().is_some_and(|n| n == name.as_str()))
            .count();
        if seen > 0 {
            name.push_str(&format!("_{seen}"));
        }
    }
}

/// Each data field's JSON key, quoted, with its repeats numbered (`None`: an unnamed value).
pub(crate) type FieldKeys = std::rc::Rc<[Option<Vec<u8>>]>;

/// Plans of the nested (data) templates of one chunk, and a buffer for their values.
#[derive(Default)]
pub(crate) struct NestedCache {
    pub(crate) plans: super::OffsetMap<u32, Option<Rc<Vec<Field>>>>,
    pub(crate) subs: Vec<Sub>,
    /// The data fields' JSON keys for a template and nested template whose field names are
    /// all literal (`None`: some name comes from a value); see `evtx/lines.rs`.
    pub(crate) keys: super::OffsetMap<(u32, Option<u32>), Option<FieldKeys>>,
}

/// The data fields of the nested template defined at `def`.
/// `nested_plan`, remembered across chunks (see `cached`).
pub(crate) fn cached_nested_plan(data: &[u8], def: u32) -> Option<Rc<Vec<Field>>> {
    cached(&NESTED_PLANS, data, def, nested_plan)
}

fn nested_plan(data: &[u8], def: u32) -> Option<Vec<Field>> {
    let root = TemplateParser::at(data, def)?.document()?;
    let mut fields = Vec::new();
    nested_fields(&root, &mut fields)?;
    Some(fields)
}

thread_local! {
    /// Plans of the templates met so far on this thread, across chunks and files.
    static PLANS: PlanCache<Plan> = RefCell::default();
    /// The same for nested (data) templates.
    static NESTED_PLANS: PlanCache<Vec<Field>> = RefCell::default();
}

/// The plan of the template defined at `def`, remembered across chunks (see `cached`).
pub(crate) fn cached_plan(data: &[u8], def: u32) -> Option<Rc<Plan>> {
    cached(&PLANS, data, def, Plan::of_template)
}
