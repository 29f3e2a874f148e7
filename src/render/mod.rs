//! Output formats. Shared helpers here; one module per report shape and format.
pub mod event_listing;
pub mod event_runs;
pub mod events;
pub mod metrics;
pub mod probes;

use comfy_table::{presets, Attribute, Cell, Color, ContentArrangement, Table};

/// A table in our house style: UTF-8 borders, wrapped to the terminal when there is one.
/// Coloured cells are coloured only on a terminal (comfy-table's own check) and not with
/// `NO_COLOR` set.
pub fn new_table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.iter().copied());
    if !colour_allowed() {
        // comfy-table has no colour switch of its own: tell it there is no terminal, and keep
        // the terminal's width for wrapping.
        let width = table.width();
        table.force_no_tty();
        if let Some(width) = width {
            table.set_width(width);
        }
    }
    table
}

/// False when `NO_COLOR` is set to anything but the empty string (no-color.org).
pub fn colour_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// An event level, red for critical and error, yellow for warning.
pub fn level_cell(level: crate::model::Level) -> Cell {
    let cell = Cell::new(level.name());
    match level.severity() {
        1 => cell.fg(Color::Red).add_attribute(Attribute::Bold),
        2 => cell.fg(Color::Red),
        3 => cell.fg(Color::Yellow),
        _ => cell,
    }
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
pub mod grafana;
pub mod html;
pub mod markdown;
pub mod timeline;
pub mod timesketch;
