//! The event a record's template lays out: its shape (what the template depends on), the XML
//! tree of elements and substitutions, and each substituted field's BinXML type and bytes.
use super::{utf16, SynthRecord, EVENT_NAMESPACE, KEYWORDS, PROCESS_ID, THREAD_ID};

/// What a record's template depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Shape {
    pub(super) qualifiers: bool,
    pub(super) data_names: Vec<Option<String>>,
}

impl Shape {
    pub(super) fn of(record: &SynthRecord) -> Self {
        Shape {
            qualifiers: record.qualifiers.is_some(),
            data_names: record.data.iter().map(|(name, _)| name.clone()).collect(),
        }
    }

    /// A GUID that depends only on the shape (two FNV-1a hashes of it).
    pub(super) fn guid(&self) -> [u8; 16] {
        let mut bytes = vec![u8::from(self.qualifiers)];
        for name in &self.data_names {
            match name {
                Some(name) => {
                    bytes.push(1);
                    bytes.extend_from_slice(&(name.len() as u64).to_le_bytes());
                    bytes.extend_from_slice(name.as_bytes());
                }
                None => bytes.push(0),
            }
        }
        let mut guid = [0u8; 16];
        guid[..8].copy_from_slice(&fnv1a(0xcbf2_9ce4_8422_2325, &bytes).to_le_bytes());
        guid[8..].copy_from_slice(&fnv1a(0x6c62_272e_07bb_0142, &bytes).to_le_bytes());
        guid
    }
}

fn fnv1a(seed: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(seed, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A record value that a template substitutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    Provider,
    EventId,
    Qualifiers,
    Version,
    Level,
    Task,
    Opcode,
    Keywords,
    TimeCreated,
    RecordId,
    ProcessId,
    ThreadId,
    Channel,
    Computer,
    Data(usize),
}

/// BinXML value types (MS-EVEN6 2.2.12).
pub(super) mod value_type {
    pub const STRING: u8 = 0x01;
    pub const UINT8: u8 = 0x04;
    pub const UINT16: u8 = 0x06;
    pub const UINT32: u8 = 0x08;
    pub const UINT64: u8 = 0x0a;
    pub const FILETIME: u8 = 0x11;
    pub const HEX_INT64: u8 = 0x15;
}

/// BinXML tokens (MS-EVEN6 2.2.12).
pub(super) mod token {
    pub const END_OF_STREAM: u8 = 0x00;
    pub const OPEN_START_ELEMENT: u8 = 0x01;
    pub const CLOSE_START_ELEMENT: u8 = 0x02;
    pub const CLOSE_EMPTY_ELEMENT: u8 = 0x03;
    pub const END_ELEMENT: u8 = 0x04;
    pub const VALUE_TEXT: u8 = 0x05;
    pub const ATTRIBUTE: u8 = 0x06;
    pub const TEMPLATE_INSTANCE: u8 = 0x0c;
    pub const NORMAL_SUBSTITUTION: u8 = 0x0d;
    pub const FRAGMENT_HEADER: u8 = 0x0f;
    /// On an element: it has attributes. On an attribute: more follow.
    pub const MORE: u8 = 0x40;
}

impl Field {
    pub(super) fn value_type(self) -> u8 {
        match self {
            Field::Provider | Field::Channel | Field::Computer | Field::Data(_) => {
                value_type::STRING
            }
            Field::EventId | Field::Qualifiers | Field::Task => value_type::UINT16,
            Field::Version | Field::Level | Field::Opcode => value_type::UINT8,
            Field::Keywords => value_type::HEX_INT64,
            Field::TimeCreated => value_type::FILETIME,
            Field::RecordId => value_type::UINT64,
            Field::ProcessId | Field::ThreadId => value_type::UINT32,
        }
    }
}

/// The type and bytes of `field` in record `id`.
pub(super) fn field_value(
    field: Field,
    record: &SynthRecord,
    id: u64,
    filetime: u64,
) -> (u8, Vec<u8>) {
    let bytes = match field {
        Field::Provider => utf16(&record.provider),
        Field::Channel => utf16(&record.channel),
        Field::Computer => utf16(&record.computer),
        Field::Data(i) => record.data.get(i).map_or_else(Vec::new, |(_, v)| utf16(v)),
        Field::EventId => record.event_id.to_le_bytes().to_vec(),
        Field::Qualifiers => record.qualifiers.unwrap_or(0).to_le_bytes().to_vec(),
        Field::Task => 0u16.to_le_bytes().to_vec(),
        Field::Version | Field::Opcode => vec![0],
        Field::Level => vec![record.level],
        Field::Keywords => KEYWORDS.to_le_bytes().to_vec(),
        Field::TimeCreated => filetime.to_le_bytes().to_vec(),
        Field::RecordId => id.to_le_bytes().to_vec(),
        Field::ProcessId => PROCESS_ID.to_le_bytes().to_vec(),
        Field::ThreadId => THREAD_ID.to_le_bytes().to_vec(),
    };
    (field.value_type(), bytes)
}

/// A template's XML: elements whose values are literal text or substitutions.
pub(super) enum Node<'a> {
    Element {
        name: &'a str,
        attributes: Vec<(&'a str, AttrValue<'a>)>,
        children: Vec<Node<'a>>,
    },
    Sub(Field),
}

pub(super) enum AttrValue<'a> {
    Text(&'a str),
    Sub(Field),
}

fn element<'a>(
    name: &'a str,
    attributes: Vec<(&'a str, AttrValue<'a>)>,
    children: Vec<Node<'a>>,
) -> Node<'a> {
    Node::Element {
        name,
        attributes,
        children,
    }
}

/// `<name>{field}</name>`
fn text_element(name: &str, field: Field) -> Node<'_> {
    element(name, vec![], vec![Node::Sub(field)])
}

/// The event XML for records of `shape`.
pub(super) fn event_tree(shape: &Shape) -> Node<'_> {
    let event_id_attributes = if shape.qualifiers {
        vec![("Qualifiers", AttrValue::Sub(Field::Qualifiers))]
    } else {
        vec![]
    };
    let system = element(
        "System",
        vec![],
        vec![
            element(
                "Provider",
                vec![("Name", AttrValue::Sub(Field::Provider))],
                vec![],
            ),
            element(
                "EventID",
                event_id_attributes,
                vec![Node::Sub(Field::EventId)],
            ),
            text_element("Version", Field::Version),
            text_element("Level", Field::Level),
            text_element("Task", Field::Task),
            text_element("Opcode", Field::Opcode),
            text_element("Keywords", Field::Keywords),
            element(
                "TimeCreated",
                vec![("SystemTime", AttrValue::Sub(Field::TimeCreated))],
                vec![],
            ),
            text_element("EventRecordID", Field::RecordId),
            element("Correlation", vec![], vec![]),
            element(
                "Execution",
                vec![
                    ("ProcessID", AttrValue::Sub(Field::ProcessId)),
                    ("ThreadID", AttrValue::Sub(Field::ThreadId)),
                ],
                vec![],
            ),
            text_element("Channel", Field::Channel),
            text_element("Computer", Field::Computer),
            element("Security", vec![], vec![]),
        ],
    );
    let data = shape
        .data_names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let attributes = match name {
                Some(name) => vec![("Name", AttrValue::Text(name))],
                None => vec![],
            };
            element("Data", attributes, vec![Node::Sub(Field::Data(i))])
        })
        .collect();
    element(
        "Event",
        vec![("xmlns", AttrValue::Text(EVENT_NAMESPACE))],
        vec![system, element("EventData", vec![], data)],
    )
}

/// The fields `node` substitutes, in substitution-index order.
pub(super) fn collect_fields(node: &Node<'_>, fields: &mut Vec<Field>) {
    match node {
        Node::Sub(field) => fields.push(*field),
        Node::Element {
            attributes,
            children,
            ..
        } => {
            for (_, value) in attributes {
                if let AttrValue::Sub(field) = value {
                    fields.push(*field);
                }
            }
            for child in children {
                collect_fields(child, fields);
            }
        }
    }
}
