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

/// The columns of the partitioned dataset (`timeline --format parquet --partition`), in order;
/// `host` and `date` are the Hive partition keys, in the path, not in the files.
pub const PARTITION_COLUMNS: [&str; 10] = [
    "time",
    "source",
    "kind",
    "what",
    "detail",
    "event_id",
    "record_id",
    "provider",
    "window",
    "source_file",
];

/// One partition's rows as parquet: UTC microsecond timestamps, nullable integers for ids.
fn partition_bytes(entries: &[&TimelineEntry]) -> PolarsResult<Vec<u8>> {
    let micros: Vec<i64> = entries.iter().map(|e| e.time.timestamp_micros()).collect();
    let time = Int64Chunked::from_vec("time".into(), micros)
        .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
        .into_series();
    let text = |name: &str, f: &dyn Fn(&TimelineEntry) -> &str| {
        StringChunked::from_iter_values(name.into(), entries.iter().map(|e| f(e))).into_series()
    };
    let opt_text = |name: &str, f: &dyn Fn(&TimelineEntry) -> Option<&str>| {
        StringChunked::from_iter_options(name.into(), entries.iter().map(|e| f(e))).into_series()
    };
    let number = |name: &str, f: &dyn Fn(&TimelineEntry) -> Option<i64>| {
        Int64Chunked::from_iter_options(name.into(), entries.iter().map(|e| f(e))).into_series()
    };
    let mut df = DataFrame::new_infer_height(vec![
        time.into(),
        text("source", &|e| &e.source).into(),
        text("kind", &|e| &e.kind).into(),
        text("what", &|e| &e.what).into(),
        text("detail", &|e| &e.detail).into(),
        number("event_id", &|e| e.refs.event_id.map(i64::from)).into(),
        number("record_id", &|e| {
            e.refs.record_id.and_then(|r| i64::try_from(r).ok())
        })
        .into(),
        opt_text("provider", &|e| e.refs.provider.as_deref()).into(),
        number("window", &|e| {
            e.refs.window.and_then(|w| i64::try_from(w).ok())
        })
        .into(),
        opt_text("source_file", &|e| e.refs.source_file.as_deref()).into(),
    ])?;
    let mut buf = Vec::new();
    ParquetWriter::new(&mut buf).finish(&mut df)?;
    Ok(buf)
}

/// A host name as a Hive partition value: path separators and `=` would break the layout.
fn partition_value(host: &str) -> String {
    let clean: String = host
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\' | '=' | ':') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    if clean.is_empty() {
        "unknown".into()
    } else {
        clean
    }
}

/// Writes `entries` under `dir` as `host=H/date=YYYY-MM-DD/part-N.parquet` (N counts up past the
/// parts already there, so hosts can be written one at a time); `host_of` names each entry's host.
/// Returns the files written.
pub fn write_partitioned(
    dir: &std::path::Path,
    entries: &[TimelineEntry],
    host_of: &dyn Fn(&TimelineEntry) -> String,
) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut parts: std::collections::BTreeMap<(String, String), Vec<&TimelineEntry>> =
        Default::default();
    for e in entries {
        let key = (
            partition_value(&host_of(e)),
            e.time.format("%Y-%m-%d").to_string(),
        );
        parts.entry(key).or_default().push(e);
    }
    let mut written = Vec::new();
    for ((host, date), rows) in parts {
        let folder = dir
            .join(format!("host={host}"))
            .join(format!("date={date}"));
        std::fs::create_dir_all(&folder)
            .map_err(|e| anyhow::anyhow!("{}: {e}", folder.display()))?;
        let n = std::fs::read_dir(&folder).map(|d| d.count()).unwrap_or(0);
        let path = folder.join(format!("part-{n}.parquet"));
        let bytes = partition_bytes(&rows)?;
        std::fs::write(&path, bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}
