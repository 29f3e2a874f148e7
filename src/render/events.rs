//! The `events` listing and counts as table, CSV, JSON Lines and JSON.
use super::{cell_text, csv_safe, level_cell, new_table};
use crate::model::{rfc3339, Event};
use crate::timefmt::Zone;
use chrono::{DateTime, Utc};
use comfy_table::Cell;
use serde::Serialize;
use std::io::Write;

/// The formats of the `events` listing and counts (the command line's `--format` maps to it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFormat {
    Table,
    Csv,
    Jsonl,
    Json,
}

/// The listing of `events` (already in listing order) in `format`.
pub fn write_events(
    out: &mut dyn Write,
    events: &[Event],
    format: ListFormat,
    zone: Zone,
) -> std::io::Result<()> {
    match format {
        ListFormat::Table => write_table(out, events, zone),
        ListFormat::Csv => write_csv(out, events, zone),
        ListFormat::Jsonl => write_jsonl(out, events),
        ListFormat::Json => write_json(out, events),
    }
}

/// One event as JSON: the model's field names, times RFC 3339 UTC.
#[derive(Serialize)]
struct EventJson<'a> {
    time: String,
    record_id: Option<u64>,
    channel: &'a str,
    provider: &'a str,
    event_id: u32,
    level: u8,
    level_name: &'static str,
    computer: &'a str,
    /// Only where the export carries the rendered description (never EVTX).
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    data: &'a crate::model::EventData,
    source_file: &'a str,
}

fn to_json(e: &Event) -> EventJson<'_> {
    EventJson {
        time: rfc3339(&e.time),
        record_id: e.record_id,
        channel: &e.channel,
        provider: &e.provider,
        event_id: e.event_id,
        level: e.level.0,
        level_name: e.level.name(),
        computer: &e.computer,
        message: e.message.as_deref(),
        data: &e.data,
        source_file: &e.source_file,
    }
}

pub fn write_jsonl(out: &mut dyn Write, events: &[Event]) -> std::io::Result<()> {
    // Serialized into a local buffer and written in 64 KiB blocks: serde's many small writes
    // through `dyn Write` cost more than the serializing itself.
    const BLOCK: usize = 1 << 16;
    let mut buf = Vec::with_capacity(BLOCK + 4096);
    for e in events {
        push_jsonl_line(&mut buf, e)?;
        if buf.len() >= BLOCK {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    out.write_all(&buf)
}

/// One event's JSON Lines line, newline included.
pub fn push_jsonl_line(buf: &mut Vec<u8>, e: &Event) -> std::io::Result<()> {
    serde_json::to_writer(&mut *buf, &to_json(e))?;
    buf.push(b'\n');
    Ok(())
}

pub fn write_json(out: &mut dyn Write, events: &[Event]) -> std::io::Result<()> {
    let all: Vec<EventJson> = events.iter().map(to_json).collect();
    serde_json::to_writer_pretty(&mut *out, &all)?;
    out.write_all(b"\n")
}

/// Local time with offset, e.g. `2011-08-15T16:50:00-07:00`.
fn csv_time(zone: Zone, t: &DateTime<Utc>) -> String {
    t.with_timezone(&zone.0)
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// The CSV listing's header row.
pub const CSV_HEADER: [&str; 10] = [
    "time",
    "record_id",
    "channel",
    "provider",
    "event_id",
    "level",
    "level_name",
    "computer",
    "data",
    "source_file",
];

pub fn write_csv(out: &mut dyn Write, events: &[Event], zone: Zone) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(CSV_HEADER)?;
    for e in events {
        write_csv_record(&mut w, e, zone)?;
    }
    w.flush()
}

/// One event's row of the CSV listing.
pub fn write_csv_record<W: Write>(
    w: &mut csv::Writer<W>,
    e: &Event,
    zone: Zone,
) -> csv::Result<()> {
    w.write_record([
        csv_time(zone, &e.time).as_str(),
        &e.record_id.map(|id| id.to_string()).unwrap_or_default(),
        &csv_safe(&e.channel),
        &csv_safe(&e.provider),
        &e.event_id.to_string(),
        &e.level.0.to_string(),
        e.level.name(),
        &csv_safe(&e.computer),
        &csv_safe(&e.data.render()),
        &csv_safe(&e.source_file),
    ])
}

pub fn write_table(out: &mut dyn Write, events: &[Event], zone: Zone) -> std::io::Result<()> {
    let mut table = new_table(&[
        "time", "level", "channel", "provider", "id", "computer", "data",
    ]);
    for e in events {
        table.add_row(vec![
            Cell::new(zone.format(&e.time)),
            level_cell(e.level),
            Cell::new(cell_text(&e.channel, 30)),
            Cell::new(cell_text(&e.provider, 40)),
            Cell::new(e.event_id),
            Cell::new(cell_text(&e.computer, 24)),
            Cell::new(cell_text(&e.data.render(), 120)),
        ]);
    }
    writeln!(out, "{table}")
}

/// Events counted per (channel, provider, event id).
#[derive(Debug, Clone, Serialize)]
pub struct EventCount {
    pub channel: String,
    pub provider: String,
    pub event_id: u32,
    pub count: u64,
    #[serde(with = "crate::model::ser_time")]
    pub first: DateTime<Utc>,
    #[serde(with = "crate::model::ser_time")]
    pub last: DateTime<Utc>,
}

/// One chunk's events counted by (channel, provider, id), unsorted: made on the worker that read
/// the chunk, so counting a log never holds its events.
pub fn count_chunk(events: &[Event]) -> Vec<EventCount> {
    let mut groups: std::collections::HashMap<(&str, &str, u32), EventCount> = Default::default();
    for e in events {
        groups
            .entry((&e.channel, &e.provider, e.event_id))
            .and_modify(|g| {
                g.count += 1;
                g.first = g.first.min(e.time);
                g.last = g.last.max(e.time);
            })
            .or_insert_with(|| EventCount {
                channel: e.channel.clone(),
                provider: e.provider.clone(),
                event_id: e.event_id,
                count: 1,
                first: e.time,
                last: e.time,
            });
    }
    groups.into_values().collect()
}

/// One chunk's counts made record by record from borrowed names (the fast decoder's way,
/// `count_chunk`'s result): a chunk holds few (channel, provider, id), searched in turn.
#[derive(Debug, Default)]
pub struct ChunkCounts(Vec<EventCount>);

impl ChunkCounts {
    pub fn add(&mut self, event_id: u32, time: DateTime<Utc>, channel: &str, provider: &str) {
        let found = self
            .0
            .iter_mut()
            .find(|g| g.event_id == event_id && g.channel == channel && g.provider == provider);
        match found {
            Some(g) => {
                g.count += 1;
                g.first = g.first.min(time);
                g.last = g.last.max(time);
            }
            None => self.0.push(EventCount {
                channel: channel.to_string(),
                provider: provider.to_string(),
                event_id,
                count: 1,
                first: time,
                last: time,
            }),
        }
    }

    pub fn into_counts(self) -> Vec<EventCount> {
        self.0
    }
}

/// Partial counts added up, most frequent first (then channel, provider, id).
pub fn merge_counts(parts: impl IntoIterator<Item = Vec<EventCount>>) -> Vec<EventCount> {
    let mut groups: std::collections::HashMap<(String, String, u32), EventCount> =
        Default::default();
    for part in parts {
        for c in part {
            let key = (c.channel.clone(), c.provider.clone(), c.event_id);
            match groups.get_mut(&key) {
                Some(g) => {
                    g.count += c.count;
                    g.first = g.first.min(c.first);
                    g.last = g.last.max(c.last);
                }
                None => {
                    groups.insert(key, c);
                }
            }
        }
    }
    let mut counts: Vec<EventCount> = groups.into_values().collect();
    counts.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.channel.cmp(&b.channel))
            .then_with(|| a.provider.cmp(&b.provider))
            .then_with(|| a.event_id.cmp(&b.event_id))
    });
    counts
}

pub fn write_counts(
    out: &mut dyn Write,
    counts: &[EventCount],
    format: ListFormat,
    zone: Zone,
) -> std::io::Result<()> {
    match format {
        ListFormat::Jsonl => {
            for c in counts {
                serde_json::to_writer(&mut *out, c)?;
                out.write_all(b"\n")?;
            }
            Ok(())
        }
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, counts)?;
            out.write_all(b"\n")
        }
        ListFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(["channel", "provider", "event_id", "count", "first", "last"])?;
            for c in counts {
                w.write_record([
                    csv_safe(&c.channel).as_ref(),
                    &csv_safe(&c.provider),
                    &c.event_id.to_string(),
                    &c.count.to_string(),
                    &csv_time(zone, &c.first),
                    &csv_time(zone, &c.last),
                ])?;
            }
            w.flush()
        }
        ListFormat::Table => {
            let mut table = new_table(&["count", "channel", "provider", "id", "first", "last"]);
            for c in counts {
                table.add_row(vec![
                    c.count.to_string(),
                    cell_text(&c.channel, 30),
                    cell_text(&c.provider, 40),
                    c.event_id.to_string(),
                    zone.format(&c.first),
                    zone.format(&c.last),
                ]);
            }
            writeln!(out, "{table}")
        }
    }
}
