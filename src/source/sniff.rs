//! Tells which kind of input a file is from its first bytes and its CSV header.
use super::InputKind;
use crate::error::{Error, Result};
use std::io::Read;
use std::path::Path;

/// How much of a file is looked at to decide its kind.
const SNIFF_BYTES: usize = 64 * 1024;

pub fn sniff_file(path: &Path) -> Result<InputKind> {
    Ok(claim_file(path)?.unwrap_or(InputKind::MetricCsv))
}

/// What a file is by its content, `None` when no reader claims it.
pub fn claim_file(path: &Path) -> Result<Option<InputKind>> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    file.by_ref()
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(path, e))?;
    Ok(claim_bytes(path, &head))
}

/// Decides from the head of a file; anything no reader claims is read as a metric CSV (whose
/// reader then says what is missing).
pub fn sniff_bytes(path: &Path, head: &[u8]) -> InputKind {
    claim_bytes(path, head).unwrap_or(InputKind::MetricCsv)
}

/// The readers, in the order they are asked: binary signatures first (EVTX by magic, or by
/// extension when the magic is damaged, so the EVTX reader can say what is wrong; `.evt`;
/// SQLite), then structured text (event XML/JSON, Prometheus JSON), PDH-CSV by its first header
/// cell, event exports as CSV or text, and a CSV with a status, latency or probe column is a
/// probe export. `None`: a CSV of anything else (a metric CSV, or not evidence at all).
pub fn claim_bytes(path: &Path, head: &[u8]) -> Option<InputKind> {
    if head.starts_with(b"ElfFile\0") {
        return Some(InputKind::Evtx);
    }
    let is_evtx_name = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("evtx"));
    if is_evtx_name {
        return Some(InputKind::Evtx);
    }
    if let Some(kind) = super::probes::sniff(head) {
        return Some(InputKind::ProbeStore(kind));
    }
    if let Some(kind) = super::events::sniff(head) {
        return Some(InputKind::EventExport(kind));
    }
    let text = super::text::decode_head(head);
    let first_line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    if first_line.contains("(PDH-CSV") {
        return Some(InputKind::PdhCsv);
    }
    let header: Vec<String> = first_line
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_string())
        .collect();
    if super::probes::csv::header_looks_like_probes(&header) {
        return Some(InputKind::ProbeCsv);
    }
    // A CSV the readers do not claim may still be a metric CSV; other text is not evidence.
    let csv_like = first_line.contains(',') || has_csv_name(path);
    csv_like.then_some(InputKind::MetricCsv)
}

fn has_csv_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}
