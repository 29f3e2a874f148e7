//! Text of exported event logs: decoding (UTF-8, UTF-16 with BOM, Windows-1252 fallback), the
//! numeric local dates whose day-month order the file's own values decide, the row collector that
//! turns them into UTC, and wevtutil's `qe /f:text` blocks (reader and fixture writer).
use crate::error::{Error, Result};
use crate::model::DataField;
use crate::source::csv_text::decode_windows_1252;
use std::borrow::Cow;
use std::fs::File;
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::path::Path;

mod collector;
mod dates;
mod wevtutil;

pub(crate) use self::collector::Collector;
pub(crate) use self::dates::{parse_stamp, strip_marks};
pub(crate) use self::wevtutil::{read_wevtutil, write_wevtutil};

/// Problem lines kept per file (the skip count stays complete).
const MAX_PROBLEMS: usize = 20;

/// The bytes a reader parses: the file itself (UTF-8 or 1252) or its UTF-16 text as UTF-8.
pub(crate) enum Input {
    File(File),
    Memory(Cursor<Vec<u8>>),
}

impl Read for Input {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Input::File(f) => f.read(buf),
            Input::Memory(c) => c.read(buf),
        }
    }
}

/// Keeps what it reads until the records pass it, so a record's byte offset gives its line number
/// (the csv crate's own line numbers lag by one after CRLF line ends).
pub(crate) struct LineCounting<R> {
    inner: R,
    index: std::rc::Rc<std::cell::RefCell<LineIndex>>,
}

/// The bytes read but not yet passed by the records, and the line breaks before them. Breaks are
/// counted in bulk as records pass them, not noted one by one as they are read
/// (a queue entry for every line was ~9% of counting an Event Viewer CSV).
#[derive(Default)]
pub(crate) struct LineIndex {
    /// Bytes from offset `start` on.
    window: Vec<u8>,
    start: u64,
    /// The line breaks at offsets below `counted_to`.
    passed: u64,
    counted_to: u64,
}

impl LineIndex {
    /// The 1-based line of a record starting at byte `offset` (offsets must not go backwards).
    /// After a CRLF the csv crate starts the next record at the LF, which is counted here.
    pub fn line_at(&mut self, offset: u64) -> u64 {
        let at = |o: u64| usize::try_from(o.saturating_sub(self.start)).unwrap_or(usize::MAX);
        let from = at(self.counted_to).min(self.window.len());
        let to = at(offset.saturating_add(1)).min(self.window.len());
        if let Some(bytes) = self.window.get(from..to) {
            self.passed += count_breaks(bytes);
            self.counted_to = self.start + to as u64;
        }
        // Bytes the records have passed go once they are half the window (each byte moves at
        // most once on average).
        let done = to.min(self.window.len());
        if done >= 64 * 1024 && done * 2 >= self.window.len() {
            self.window.drain(..done);
            self.start += done as u64;
        }
        self.passed + 1
    }
}

/// The line breaks in `bytes`, 64 bytes at a time into a byte-wide sum (which the compiler
/// turns into vector compares): the slices are a record each, too short for memchr's count to
/// make up for its setup.
pub(crate) fn count_breaks(bytes: &[u8]) -> u64 {
    let blocks = bytes.chunks_exact(64);
    let tail = blocks.remainder();
    let mut n: u64 = tail.iter().map(|&b| u64::from(b == b'\n')).sum();
    for block in blocks {
        let in_block: u8 = block.iter().map(|&b| u8::from(b == b'\n')).sum();
        n += u64::from(in_block);
    }
    n
}

impl<R: Read> LineCounting<R> {
    pub fn new(inner: R) -> (Self, std::rc::Rc<std::cell::RefCell<LineIndex>>) {
        let index = std::rc::Rc::default();
        let reader = LineCounting {
            inner,
            index: std::rc::Rc::clone(&index),
        };
        (reader, index)
    }

    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Read for LineCounting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let read = buf.get(..n).unwrap_or_default();
        self.index.borrow_mut().window.extend_from_slice(read);
        Ok(n)
    }
}

/// An opened export: where its text starts and what the decoder had to do.
pub(crate) struct Opened {
    pub input: Input,
    /// Bytes of the file before the text (a UTF-8 BOM); 0 for in-memory text.
    pub text_start: u64,
    /// The text ends with a line break (a file cut short usually does not).
    pub ends_with_newline: bool,
    pub notes: Vec<String>,
}

impl Input {
    /// Up to 1 MiB of the text from `offset` (a position in the parsed bytes) to its end;
    /// `text_start` is where the text begins in the file (after a BOM).
    pub fn tail_from(&mut self, text_start: u64, offset: u64) -> Vec<u8> {
        let mut tail = Vec::new();
        let limit = 1024 * 1024;
        match self {
            Input::File(f) => {
                if f.seek(SeekFrom::Start(text_start.saturating_add(offset)))
                    .is_ok()
                {
                    let _ = f.by_ref().take(limit).read_to_end(&mut tail);
                }
            }
            Input::Memory(c) => {
                let bytes = c.get_ref();
                let start = usize::try_from(offset)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len());
                let end = start.saturating_add(limit as usize).min(bytes.len());
                tail.extend_from_slice(bytes.get(start..end).unwrap_or_default());
            }
        }
        tail
    }
}

/// Opens an export for streaming: a UTF-8 BOM is skipped; UTF-16 (with a BOM, or LE without
/// one) is decoded once into memory, since the CSV parser wants UTF-8 bytes.
pub(crate) fn open(path: &Path) -> Result<Opened> {
    let io = |e| Error::io(path, e);
    let mut file = File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let mut head = [0u8; 4];
    let got = read_up_to(&mut file, &mut head).map_err(io)?;
    let head = head.get(..got).unwrap_or_default();
    if head.is_empty() {
        return Err(Error::bad_input(path, "the file is empty"));
    }
    let utf16 = match head {
        [0xFF, 0xFE, ..] => Some((true, 2)),
        [0xFE, 0xFF, ..] => Some((false, 2)),
        [a, 0, b, 0] if *a != 0 && *b != 0 => Some((true, 0)),
        _ => None,
    };
    if let Some((little, bom)) = utf16 {
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        let mut raw = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        file.read_to_end(&mut raw).map_err(io)?;
        let body = raw.get(bom..).unwrap_or_default();
        let (text, bad) = decode_utf16(body, little);
        drop(raw);
        let mut notes = vec![format!(
            "decoded as UTF-16{}",
            if little { "LE" } else { "BE" }
        )];
        if bad > 0 {
            notes.push(format!("{bad} invalid UTF-16 units replaced by U+FFFD"));
        }
        let ends_with_newline = text.ends_with('\n');
        return Ok(Opened {
            input: Input::Memory(Cursor::new(text.into_bytes())),
            text_start: 0,
            ends_with_newline,
            notes,
        });
    }
    let text_start = if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    };
    let mut last = [0u8; 1];
    file.seek(SeekFrom::End(-1)).map_err(io)?;
    let ends_with_newline = read_up_to(&mut file, &mut last).map_err(io)? == 1 && last[0] == b'\n';
    file.seek(SeekFrom::Start(text_start)).map_err(io)?;
    Ok(Opened {
        input: Input::File(file),
        text_start,
        ends_with_newline,
        notes: Vec::new(),
    })
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read(buf.get_mut(got..).unwrap_or_default())? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

/// UTF-16 text and the count of unpaired surrogates replaced.
pub(crate) fn decode_utf16(body: &[u8], little: bool) -> (String, u64) {
    let units = body.chunks_exact(2).map(|p| match p {
        [a, b] if little => u16::from_le_bytes([*a, *b]),
        [a, b] => u16::from_be_bytes([*a, *b]),
        _ => 0,
    });
    let mut bad = 0;
    let text = char::decode_utf16(units)
        .map(|c| {
            c.unwrap_or_else(|_| {
                bad += 1;
                char::REPLACEMENT_CHARACTER
            })
        })
        .collect();
    (text, bad)
}

/// Turns field bytes into text: UTF-8, else Windows-1252 (noted once, with the first line).
#[derive(Default)]
pub(crate) struct Decoder {
    pub first_1252_line: Option<u64>,
}

impl Decoder {
    pub fn text<'a>(&mut self, bytes: &'a [u8], line: u64) -> Cow<'a, str> {
        match std::str::from_utf8(bytes) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => {
                self.first_1252_line.get_or_insert(line);
                Cow::Owned(decode_windows_1252(bytes))
            }
        }
    }

    pub fn note(&self) -> Option<String> {
        self.first_1252_line.map(|line| {
            format!("not valid UTF-8 (first at line {line}): such text read as Windows-1252")
        })
    }
}

pub(crate) fn named(name: &str, value: &str) -> DataField {
    DataField {
        name: Some(name.to_string()),
        value: value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out its text a few bytes at a time, as a reader of a file may.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(buf.len()).min(4093);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_records_line_is_one_more_than_the_breaks_up_to_its_offset() {
        // CR LF and LF ends, blank lines and long lines, over many windows' worth of text.
        let mut text = Vec::new();
        for i in 0..40_000u32 {
            let line = format!("{i},{}", "x".repeat((i % 97) as usize));
            text.extend_from_slice(line.as_bytes());
            text.extend_from_slice(if i % 3 == 0 { b"\r\n" } else { b"\n" });
            if i % 1000 == 0 {
                text.extend_from_slice(b"\n\n");
            }
        }
        let (mut reader, lines) = LineCounting::new(Trickle(&text));
        let mut read = 0;
        let mut buf = vec![0u8; 8192];
        // The oracle: breaks at offsets up to each offset, counted as the offsets go up.
        let (mut breaks, mut counted) = (0u64, 0usize);
        for offset in (0..text.len() as u64).step_by(331) {
            // Read ahead of the offset, as the csv crate's buffer does.
            while read <= offset as usize + 9000 {
                let n = reader.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                read += n;
            }
            let upto = offset as usize + 1;
            breaks += text[counted..upto].iter().filter(|&&b| b == b'\n').count() as u64;
            counted = upto;
            assert_eq!(
                lines.borrow_mut().line_at(offset),
                breaks + 1,
                "offset {offset}"
            );
        }
    }
}
