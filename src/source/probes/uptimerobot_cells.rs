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

/// The cells of a line that quotes plainly, as the CSV reader reads them: each cell quoted
/// with no quote inside, or bare with none at all, and no CR or BOM. `false` (and the reader's
/// turn) for any other line. The dashboard's rows are all plain, and the reader's per-line
/// restart cost more than the rest of a row.
pub(super) fn plain_cells<'a>(line: &'a str, cells: &mut Vec<&'a str>) -> bool {
    cells.clear();
    let b = line.as_bytes();
    if b.starts_with(&[0xEF, 0xBB, 0xBF]) || memchr::memchr(b'\r', b).is_some() {
        return false;
    }
    let mut i = 0;
    loop {
        if b.get(i) == Some(&b'"') {
            let Some(close) = memchr::memchr(b'"', &b[i + 1..]).map(|k| i + 1 + k) else {
                return false;
            };
            cells.push(&line[i + 1..close]);
            i = close + 1;
            match b.get(i) {
                None => return true,
                Some(b',') => i += 1,
                Some(_) => return false,
            }
        } else {
            let end = memchr::memchr(b',', &b[i..]).map_or(b.len(), |k| i + k);
            if b[i..end].contains(&b'"') {
                return false;
            }
            cells.push(&line[i..end]);
            if end == b.len() {
                return true;
            }
            i = end + 1;
        }
    }
}
