//! The merged timeline as table, CSV, JSON Lines and Parquet (for DuckDB, Spark and friends).
use super::{cell_text, csv_safe, new_table};
use crate::analysis::timeline::TimelineEntry;
use crate::timefmt::Zone;
use polars::prelude::*;
use std::io::Write;

pub fn write_table(
    out: &mut dyn Write,
    entries: &[TimelineEntry],
    zone: Zone,
) -> std::io::Result<()> {
    let mut table = new_table(&["time", "source", "kind", "what", "detail"]);
    for e in entries {
        table.add_row(vec![
            zone.format(&e.time),
            e.source.clone(),
            e.kind.clone(),
            cell_text(&e.what, 80),
            cell_text(&e.detail, 80),
        ]);
    }
    writeln!(out, "{table}")
}

pub fn write_csv(
    out: &mut dyn Write,
    entries: &[TimelineEntry],
    zone: Zone,
) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["time", "time_utc", "source", "kind", "what", "detail"])?;
    for e in entries {
        w.write_record([
            e.time
                .with_timezone(&zone.0)
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
                .as_str(),
            &crate::model::rfc3339(&e.time),
            &e.source,
            &e.kind,
            &csv_safe(&e.what),
            &csv_safe(&e.detail),
        ])?;
    }
    w.flush()
}

pub fn write_jsonl(out: &mut dyn Write, entries: &[TimelineEntry]) -> std::io::Result<()> {
    for e in entries {
        serde_json::to_writer(&mut *out, e)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Parquet bytes: `time` as a UTC datetime (microseconds), the rest as strings.
pub fn parquet_bytes(entries: &[TimelineEntry]) -> PolarsResult<Vec<u8>> {
    let micros: Vec<i64> = entries.iter().map(|e| e.time.timestamp_micros()).collect();
    let time = Int64Chunked::from_vec("time".into(), micros)
        .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
        .into_series();
    let text = |name: &str, f: fn(&TimelineEntry) -> &str| {
        StringChunked::from_iter_values(name.into(), entries.iter().map(f)).into_series()
    };
    let mut df = DataFrame::new_infer_height(vec![
        time.into(),
        text("source", |e| &e.source).into(),
        text("kind", |e| &e.kind).into(),
        text("what", |e| &e.what).into(),
        text("detail", |e| &e.detail).into(),
    ])?;
    let mut buf = Vec::new();
    ParquetWriter::new(&mut buf).finish(&mut df)?;
    Ok(buf)
}
