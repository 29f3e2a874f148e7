//! A block without a quote character, cut into records and cells here rather than by polars.
//! Without quotes a CSV record is one line and a cell is the text between two commas, so the
//! cells can be borrowed from the block where it lies: no text columns are built, and only the
//! cells of the columns in use are looked at. The cells are the ones polars gives for the same
//! block with quoting off (its ragged mode: a short record is padded with nulls, a long one cut;
//! an empty cell is null); `tests::cells_are_polars_cells` holds the two side by side. The first
//! block (header, column detection) and every block with a quote are still read by polars.
use super::rows::{Cells, Plan, RowSource};

/// A quote-free block's records.
pub struct PlainBlock<'a> {
    text: &'a str,
    /// (start, end) of each record in `text`, without its line break.
    records: Vec<(usize, usize)>,
    /// Columns of the file: cells past these are cut.
    width: usize,
}

/// Where each record of `text` lies: one a line, an empty line too (polars reads it as a record
/// of nulls). Worked out on the block reader's thread, ahead of the rows being read.
pub fn record_spans(text: &[u8]) -> Vec<(usize, usize)> {
    let mut records = Vec::with_capacity(text.len() / 32);
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', text) {
        records.push((start, end));
        start = end + 1;
    }
    if start < text.len() {
        records.push((start, text.len()));
    }
    records
}

impl<'a> PlainBlock<'a> {
    /// `records` are `record_spans(text)`; `width` the file's column count.
    pub fn new(text: &'a str, records: Vec<(usize, usize)>, width: usize) -> Self {
        PlainBlock {
            text,
            records,
            width,
        }
    }

    fn record(&self, row: usize) -> &'a str {
        let (start, end) = self.records[row];
        &self.text[start..end]
    }
}

/// The cells of `line` up to column `width`, each `None` when empty.
fn cells_of(line: &str, width: usize) -> impl Iterator<Item = Option<&str>> {
    line.split(',')
        .take(width)
        .map(|c| (!c.is_empty()).then_some(c))
}

impl RowSource for PlainBlock<'_> {
    fn height(&self) -> usize {
        self.records.len()
    }

    fn for_each_row(
        &self,
        plan: &Plan,
        start: usize,
        len: usize,
        mut each: impl FnMut(usize, Cells),
    ) {
        // Which of the five cells (time, probe, status, latency, vantage) each column fills.
        let slots = [
            Some(plan.time),
            plan.probe,
            plan.status,
            plan.latency,
            plan.vantage,
        ];
        let last_used = slots.iter().flatten().copied().max().unwrap_or(0);
        let wanted = (last_used + 1).min(self.width);
        for offset in 0..len {
            let mut cells: Cells = [None; 5];
            let line = self.record(start + offset);
            // Up to the last column in use only.
            let (mut column, mut from) = (0, 0);
            let ends = memchr::memchr_iter(b',', line.as_bytes()).chain([line.len()]);
            for at in ends {
                let cell = (at > from).then(|| &line[from..at]);
                for (slot, used) in slots.iter().enumerate() {
                    if *used == Some(column) {
                        cells[slot] = cell;
                    }
                }
                column += 1;
                from = at + 1;
                if column == wanted {
                    break;
                }
            }
            each(offset, cells);
        }
    }

    fn other_values(&self, row: usize) -> bool {
        cells_of(self.record(row), self.width).any(|c| c.is_some_and(|c| !c.trim().is_empty()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::probes::csv::detect::MILLISECONDS;
    use crate::timefmt::Zone;
    use polars::prelude::*;

    fn plan(width: usize) -> Plan {
        let column = |i: usize| (i < width).then_some(i);
        Plan {
            time: 0,
            probe: column(1),
            status: column(2),
            latency: column(3),
            vantage: column(4),
            unit: MILLISECONDS,
            timeout_ms: 15_000.0,
            zone: Zone::UTC,
            default_name: "probe".into(),
            kuma_codes: false,
        }
    }

    /// Every record's five cells and whether it has values elsewhere, as `source` gives them.
    fn rows_of(source: &impl RowSource, plan: &Plan) -> Vec<(Cells<'static>, bool)> {
        let mut out = Vec::new();
        source.for_each_row(plan, 0, source.height(), |offset, cells| {
            let owned = cells.map(|c| c.map(|c| &*c.to_string().leak()));
            out.push((owned, source.other_values(offset)));
        });
        out
    }

    /// Polars' own read of `text` (no header, `width` columns, quoting off) against ours.
    fn assert_same(text: &str, width: usize) {
        let names: Vec<String> = (0..width).map(|i| format!("c{i}")).collect();
        let schema: Schema = names
            .iter()
            .map(|n| Field::new(n.as_str().into(), DataType::String))
            .collect();
        let frame = crate::source::probes::csv::read_frame(
            std::path::Path::new("t.csv"),
            text.as_bytes(),
            false,
            Some(std::sync::Arc::new(schema)),
            CsvEncoding::Utf8,
            false,
        )
        .unwrap();
        let columns =
            crate::source::probes::csv::text_columns(std::path::Path::new("t"), &frame).unwrap();
        let plan = plan(width);
        let theirs = rows_of(&super::super::rows::Frame(&columns), &plan);
        let block = PlainBlock::new(text, record_spans(text.as_bytes()), width);
        let ours = rows_of(&block, &plan);
        assert_eq!(ours, theirs, "{text:?}, {width} columns");
    }

    #[test]
    fn cells_are_polars_cells() {
        let texts = [
            "2024-01-01T00:00:00Z,web,up,12\n",
            "a,b,c,d\ne,f,g,h",
            "a,b\n\nc,d,e,f,g,h\n",
            "\n\na,,c,\n,,,\n",
            "  ,b, ,d\n \n\t\n",
            "a\nb,c\nd,e,f\n",
            ",\n,,\n,,,,,,\n",
            "é,ü,状態,12.5\nx,y,z\n",
            "a,b,c,d\n\n",
            "a;b;c\n1;2;3\n",
            "only\n",
        ];
        for text in texts {
            for width in 1..=6 {
                assert_same(text, width);
            }
        }
    }
}
