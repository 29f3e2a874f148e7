//! Output formats. Shared helpers here; one module per report shape and format.
pub mod events;
pub mod metrics;
pub mod probes;

use comfy_table::{presets, ContentArrangement, Table};

/// A table in our house style: UTF-8 borders, wrapped to the terminal when there is one.
pub fn new_table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.iter().copied());
    table
}

/// Neutralizes text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR).
pub fn csv_safe(text: &str) -> std::borrow::Cow<'_, str> {
    match text.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

/// Cuts text to at most `max` characters for a table cell, marking the cut; newlines become spaces.
pub fn cell_text(text: &str, max: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() <= max {
        flat
    } else {
        let mut cut: String = flat.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}
pub mod chart;
pub mod markdown;
pub mod timeline;
