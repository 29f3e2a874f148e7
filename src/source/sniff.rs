//! Tells which kind of input a file is from its first bytes and its CSV header.
use super::InputKind;
use crate::error::{Error, Result};
use std::io::Read;
use std::path::Path;

/// How much of a file is looked at to decide its kind.
const SNIFF_BYTES: usize = 64 * 1024;

pub fn sniff_file(path: &Path) -> Result<InputKind> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    file.by_ref()
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(path, e))?;
    Ok(sniff_bytes(path, &head))
}

/// Decides from the head of a file. EVTX by magic (or by extension when the magic is damaged, so
/// the EVTX reader can say what is wrong); PDH-CSV by its first header cell; a CSV with a status,
/// latency or probe column is a probe export; any other CSV is a metric CSV.
pub fn sniff_bytes(path: &Path, head: &[u8]) -> InputKind {
    if head.starts_with(b"ElfFile\0") {
        return InputKind::Evtx;
    }
    let is_evtx_name = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("evtx"));
    if is_evtx_name {
        return InputKind::Evtx;
    }
    let text = decode_head(head);
    let first_line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    if first_line.contains("(PDH-CSV") {
        return InputKind::PdhCsv;
    }
    let header: Vec<String> = first_line
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_string())
        .collect();
    if super::probe_csv::header_looks_like_probes(&header) {
        InputKind::ProbeCsv
    } else {
        InputKind::MetricCsv
    }
}

/// Head bytes as text: UTF-16LE (with BOM) and UTF-8 (BOM stripped); invalid bytes replaced.
pub fn decode_head(head: &[u8]) -> String {
    if let Some(rest) = head.strip_prefix(&[0xFF, 0xFE]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|p| u16::from_le_bytes([p[0], p[1]]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    let body = head.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(head);
    String::from_utf8_lossy(body).into_owned()
}
