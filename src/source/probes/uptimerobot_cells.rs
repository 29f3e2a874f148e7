//! The cells of one line of UptimeRobot's dashboard CSV: split directly when the line quotes
//! plainly, else by a CSV reader rewound for each line (each line read on its own).

/// One CSV reader for the lines of a file, each line read on its own as by a new reader: the
/// reader is rewound to a fresh state per line (making a reader builds its parser's tables, which
/// cost more than reading a row).
pub(super) struct LineCells {
    reader: csv::Reader<std::io::Cursor<Vec<u8>>>,
    record: csv::StringRecord,
}

impl LineCells {
    pub(super) fn new() -> Self {
        LineCells {
            reader: csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(std::io::Cursor::new(Vec::new())),
            record: csv::StringRecord::new(),
        }
    }

    pub(super) fn cells(&mut self, line: &str) -> Vec<String> {
        self.record(line)
            .map(|r| r.iter().map(str::to_string).collect())
            .unwrap_or_default()
    }

    /// The line's record, borrowed until the next line (no String per cell).
    pub(super) fn record(&mut self, line: &str) -> Option<&csv::StringRecord> {
        let bytes = self.reader.get_mut().get_mut();
        bytes.clear();
        bytes.extend_from_slice(line.as_bytes());
        self.reader
            .seek_raw(std::io::SeekFrom::Start(0), csv::Position::new())
            .ok()?;
        match self.reader.read_record(&mut self.record) {
            Ok(true) => Some(&self.record),
            _ => None,
        }
    }
}

/// Split directly when the line quotes plainly (shared with the Zabbix CSV reader).
pub(super) use super::super::line_blocks::plain_cells;
