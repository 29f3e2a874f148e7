//! Cuts a CSV file into blocks of whole records for streaming reads, so a probe export of any
//! size is read with bounded memory. A block ends at a line break outside quotes (a quoted field
//! holding a line break is never cut); CRLF line ends become LF. When the file needs one of the
//! whole-file repairs of `csv_text` (not UTF-8, lone CR line ends, a quote that never closes, an
//! over-long line), the reader says so and the caller reads the file the whole-file way instead.
//! The blocks are cut from the file's bytes as they are (mapped): a block is copied only when
//! its CRLF line ends are turned into LF.
use crate::source::csv_text::MAX_LINE_BYTES;
use std::borrow::Cow;

/// Bytes per block (the last record goes to the next block).
pub const BLOCK_BYTES: usize = 4 * 1024 * 1024;

/// Whole records, with where they start in the file.
#[derive(Debug)]
pub struct Block<'a> {
    /// UTF-8 CSV text, LF line ends, ending after a line break (or at the end of the file).
    pub bytes: Cow<'a, [u8]>,
    /// 1-based file line of the block's first byte.
    pub first_line: u64,
    /// Where the block's bytes sit in the file, before any CRLF became LF: (offset, length).
    pub span: (usize, usize),
    /// The block holds a quote character; without one, quoting rules cannot change its cells.
    pub quoted: bool,
}

/// What the reader gives next.
#[derive(Debug)]
pub enum Next<'a> {
    Block(Block<'a>),
    End,
    /// The file needs a whole-file repair; the reason is for the detection notes.
    NeedsRepair(&'static str),
}

/// Reads blocks of whole records from a file's bytes.
pub struct BlockReader<'a> {
    src: &'a [u8],
    /// Where the next block starts in `src`.
    pos: usize,
    /// File line at `pos`.
    line: u64,
    block_bytes: usize,
}

impl<'a> BlockReader<'a> {
    pub fn with_block_size(src: &'a [u8], block_bytes: usize) -> Self {
        let bom = if src.starts_with(&[0xEF, 0xBB, 0xBF]) {
            3
        } else {
            0
        };
        BlockReader {
            src,
            pos: bom,
            line: 1,
            block_bytes: block_bytes.max(1),
        }
    }

    pub fn next_block(&mut self) -> Next<'a> {
        let rest = &self.src[self.pos..];
        if rest.is_empty() {
            return Next::End;
        }
        let mut want = self.block_bytes;
        let cut = loop {
            if want >= rest.len() {
                if !quotes_balanced(rest) {
                    return Next::NeedsRepair("a quote opens and never closes");
                }
                break rest.len();
            }
            if let Some(cut) = last_record_end(&rest[..want]) {
                break cut;
            }
            // One record longer than the block: read on, up to the line limit.
            if want > MAX_LINE_BYTES + self.block_bytes {
                return Next::NeedsRepair("a record runs over the line limit");
            }
            want += self.block_bytes;
        };
        let buf = &rest[..cut];
        if !buf.is_ascii() && std::str::from_utf8(buf).is_err() {
            return Next::NeedsRepair("not valid UTF-8");
        }
        if buf.len() > MAX_LINE_BYTES && has_long_line(buf) {
            return Next::NeedsRepair("a line over the line limit");
        }
        let lines = memchr::memchr_iter(b'\n', buf).count() as u64;
        let bytes = if memchr::memchr(b'\r', buf).is_some() {
            match strip_crlf(buf) {
                Some(unified) => Cow::Owned(unified),
                None => return Next::NeedsRepair("lines end in a lone CR"),
            }
        } else {
            Cow::Borrowed(buf)
        };
        let block = Block {
            bytes,
            first_line: self.line,
            span: (self.pos, cut),
            quoted: memchr::memchr(b'"', buf).is_some(),
        };
        self.line += lines;
        self.pos += cut;
        Next::Block(block)
    }
}

/// The end (just past the line break) of the last record that ends in `buf`, counting quotes
/// from the start of `buf` (which starts outside quotes).
fn last_record_end(buf: &[u8]) -> Option<usize> {
    if memchr::memchr(b'"', buf).is_none() {
        return memchr::memrchr(b'\n', buf).map(|i| i + 1);
    }
    let mut quoted = false;
    let mut end = None;
    for i in memchr::memchr2_iter(b'"', b'\n', buf) {
        if buf[i] == b'"' {
            quoted = !quoted;
        } else if !quoted {
            end = Some(i + 1);
        }
    }
    end
}

fn quotes_balanced(buf: &[u8]) -> bool {
    memchr::memchr_iter(b'"', buf).count().is_multiple_of(2)
}

fn has_long_line(buf: &[u8]) -> bool {
    // A line over the limit has MAX_LINE_BYTES bytes in a row without a line break, so it covers
    // a whole aligned segment of half that: when every segment holds a line break (a few memchr
    // calls a block), no line is too long and the lines need not be walked one by one.
    let half = MAX_LINE_BYTES / 2;
    if buf
        .chunks_exact(half)
        .all(|segment| memchr::memchr(b'\n', segment).is_some())
    {
        return false;
    }
    let mut start = 0;
    for i in memchr::memchr_iter(b'\n', buf) {
        if i + 1 - start > MAX_LINE_BYTES {
            return true;
        }
        start = i + 1;
    }
    buf.len() - start > MAX_LINE_BYTES
}

/// `buf` with every CRLF turned into LF; `None` when a CR stands alone.
fn strip_crlf(buf: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(buf.len());
    let mut from = 0;
    for i in memchr::memchr_iter(b'\r', buf) {
        if buf.get(i + 1) != Some(&b'\n') {
            return None;
        }
        out.extend_from_slice(&buf[from..i]);
        from = i + 1;
    }
    out.extend_from_slice(&buf[from..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(text: &str, size: usize) -> Result<Vec<(String, u64)>, &'static str> {
        let mut reader = BlockReader::with_block_size(text.as_bytes(), size);
        let mut out = Vec::new();
        loop {
            match reader.next_block() {
                Next::Block(b) => out.push((
                    String::from_utf8(b.bytes.into_owned()).unwrap(),
                    b.first_line,
                )),
                Next::End => return Ok(out),
                Next::NeedsRepair(why) => return Err(why),
            }
        }
    }

    #[test]
    fn blocks_end_at_record_ends_and_keep_every_byte() {
        let text = "t,s\n1,up\n2,down\n3,up\n";
        for size in 1..=text.len() + 1 {
            let got = blocks(text, size).unwrap();
            let joined: String = got.iter().map(|(b, _)| b.as_str()).collect();
            assert_eq!(joined, text, "block size {size}");
            for (b, line) in &got {
                assert!(b.ends_with('\n'), "{b:?}");
                let before: String = text
                    .split_inclusive('\n')
                    .take(*line as usize - 1)
                    .collect();
                assert!(
                    text[before.len()..].starts_with(b.as_str()),
                    "line {line} of {b:?}"
                );
            }
        }
    }

    #[test]
    fn quoted_line_breaks_stay_in_one_block() {
        let text = "t,note\n1,\"a\nb\"\n2,c\n";
        for size in 1..=8 {
            let got = blocks(text, size).unwrap();
            assert!(
                got.iter().any(|(b, _)| b.contains("1,\"a\nb\"\n")),
                "{size}: {got:?}"
            );
        }
    }

    #[test]
    fn crlf_becomes_lf_and_a_bom_goes() {
        let got = blocks("\u{feff}t,s\r\n1,up\r\n", 64).unwrap();
        assert_eq!(got, vec![("t,s\n1,up\n".to_string(), 1)]);
    }

    #[test]
    fn files_needing_repairs_are_said() {
        assert_eq!(blocks("t,s\r1,up\r", 64), Err("lines end in a lone CR"));
        assert_eq!(
            blocks("t,s\n1,\"up\n2,down\n", 64),
            Err("a quote opens and never closes")
        );
        let latin1 = b"t,s\n1,caf\xe9\n";
        let mut reader = BlockReader::with_block_size(&latin1[..], BLOCK_BYTES);
        assert!(matches!(
            reader.next_block(),
            Next::NeedsRepair("not valid UTF-8")
        ));
    }

    #[test]
    fn a_file_without_a_final_line_break_keeps_its_last_record() {
        let got = blocks("t,s\n1,up\n2,down", 6).unwrap();
        assert_eq!(got.last().unwrap().0, "2,down");
    }

    #[test]
    fn long_lines_are_found_wherever_they_sit() {
        let walk = |buf: &[u8]| {
            let mut start = 0;
            for (i, &b) in buf.iter().enumerate() {
                if b == b'\n' {
                    if i + 1 - start > MAX_LINE_BYTES {
                        return true;
                    }
                    start = i + 1;
                }
            }
            buf.len() - start > MAX_LINE_BYTES
        };
        let half = MAX_LINE_BYTES / 2;
        for lead in [0, 1, 40, half - 1, half, half + 7, MAX_LINE_BYTES] {
            for long in [
                MAX_LINE_BYTES - 1,
                MAX_LINE_BYTES,
                MAX_LINE_BYTES + 1,
                3 * half,
            ] {
                for newline_after in [true, false] {
                    let mut buf = b"t,s\n".repeat(lead / 4);
                    buf.extend(std::iter::repeat_n(b'x', long));
                    if newline_after {
                        buf.extend(b"\n1,up\n".repeat(half / 3));
                    }
                    assert_eq!(
                        has_long_line(&buf),
                        walk(&buf),
                        "lead {lead}, line {long}, newline after {newline_after}"
                    );
                }
            }
        }
    }
}
