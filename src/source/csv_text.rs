//! Repairs made to CSV text before polars reads it, each said in a problem line: lone CR line
//! ends (old Mac exports), a quote that opens and never closes (which would swallow the rest of
//! the file), Windows-1252 text (Excel on a western Windows); and polars errors on one line.
use crate::error::{Error, Result};
use std::borrow::Cow;
use std::path::Path;

/// Quote repairs tried per file before giving up (each costs a pass over the text).
const MAX_QUOTE_REPAIRS: usize = 20;
/// Longest error text kept from a parser (its messages can quote whole rows).
const MAX_ERROR_CHARS: usize = 300;
/// Longest line read (bytes); longer ones are skipped, so one runaway line cannot take memory
/// and time (no real export row comes near it).
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// Text after repairs and one problem line per repair (1-based line numbers of the file).
#[derive(Debug, Default)]
pub struct Repaired<'a> {
    pub text: Cow<'a, str>,
    pub problems: Vec<String>,
    /// Lines dropped (over `MAX_LINE_BYTES`), each named in `problems`.
    pub skipped: u64,
}

/// Line ends to `\n` (CRLF and lone CR), then unclosed quotes. `first_line` is the file line
/// number of the first line of `text`.
pub fn repair(text: &str, first_line: u64) -> Repaired<'_> {
    let mut problems = Vec::new();
    let mut text: Cow<'_, str> = Cow::Borrowed(text);
    if text.contains('\r') {
        let unified = text.replace("\r\n", "\n");
        if unified.contains('\r') {
            problems.push("lines end in a lone CR (old Mac line ends); read as line breaks".into());
        }
        text = Cow::Owned(unified.replace('\r', "\n"));
    }
    let mut skipped = 0;
    if text.len() > MAX_LINE_BYTES && text.split('\n').any(|l| l.len() > MAX_LINE_BYTES) {
        let (kept, dropped) = drop_long_lines(&text, first_line);
        if !dropped.is_empty() {
            skipped = dropped.len() as u64;
            problems.extend(dropped);
            text = Cow::Owned(kept);
        }
    }
    for _ in 0..MAX_QUOTE_REPAIRS {
        let Some(start) = unclosed_quote_line(&text) else {
            break;
        };
        let line_no = first_line + text[..start].matches('\n').count() as u64;
        let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let fixed = text[start..end].replace('"', "");
        problems.push(format!(
            "line {line_no}: a quote opens and never closes; the line is read without its quotes"
        ));
        let mut owned = String::with_capacity(text.len());
        owned.push_str(&text[..start]);
        owned.push_str(&fixed);
        owned.push_str(&text[end..]);
        text = Cow::Owned(owned);
    }
    Repaired {
        text,
        problems,
        skipped,
    }
}

/// Empties every line over `MAX_LINE_BYTES` (the line stays, blank, so numbering holds).
fn drop_long_lines(text: &str, first_line: u64) -> (String, Vec<String>) {
    let mut kept = String::with_capacity(text.len().min(64 * MAX_LINE_BYTES));
    let mut dropped = Vec::new();
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if line.len() > MAX_LINE_BYTES {
            dropped.push(format!(
                "line {}: {} bytes, over the {} MiB line limit; skipped",
                first_line + i as u64,
                line.len(),
                MAX_LINE_BYTES / (1024 * 1024)
            ));
            if line.ends_with('\n') {
                kept.push('\n');
            }
        } else {
            kept.push_str(line);
        }
    }
    (kept, dropped)
}

/// Byte offset of the start of the line whose opening quote is still open at the end of the text.
fn unclosed_quote_line(text: &str) -> Option<usize> {
    let mut in_quotes = false;
    let mut line_start = 0;
    let mut open_line = 0;
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'"' => {
                if !in_quotes {
                    open_line = line_start;
                }
                in_quotes = !in_quotes;
            }
            b'\n' => line_start = i + 1,
            _ => {}
        }
    }
    in_quotes.then_some(open_line)
}

/// Decodes bytes that are not UTF-8 as Windows-1252 (a superset of Latin-1 for text).
pub fn decode_windows_1252(bytes: &[u8]) -> String {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9F => HIGH[usize::from(b - 0x80)],
            _ => char::from(b),
        })
        .collect()
}

/// For a probe export polars would read straight from disk: the repaired UTF-8 bytes when the
/// file needs a repair (or `decoded`, already in memory, repaired), and the problem lines.
pub fn repair_file(
    path: &Path,
    decoded: Option<Vec<u8>>,
) -> Result<(Option<Vec<u8>>, Vec<String>, u64)> {
    let in_memory = decoded.is_some();
    let bytes = match decoded {
        Some(b) => b,
        None => std::fs::read(path).map_err(|e| Error::io(path, e))?,
    };
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(&bytes);
    let (text, mut problems): (Cow<'_, str>, Vec<String>) = match std::str::from_utf8(body) {
        Ok(s) => (Cow::Borrowed(s), Vec::new()),
        Err(_) => (
            Cow::Owned(decode_windows_1252(body)),
            vec!["not valid UTF-8: read as Windows-1252".to_string()],
        ),
    };
    let repaired = repair(&text, 1);
    if !in_memory
        && problems.is_empty()
        && repaired.problems.is_empty()
        && !matches!(repaired.text, Cow::Owned(_))
    {
        return Ok((None, Vec::new(), 0));
    }
    problems.extend(repaired.problems);
    let skipped = repaired.skipped;
    Ok((
        Some(repaired.text.into_owned().into_bytes()),
        problems,
        skipped,
    ))
}

/// A parser's error as one line, cut to a readable length.
pub fn one_line(message: &str) -> String {
    let flat: String = message.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= MAX_ERROR_CHARS {
        flat
    } else {
        let mut cut: String = flat.chars().take(MAX_ERROR_CHARS).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_cr_and_unclosed_quotes() {
        let r = repair("a,b\r1,2\r3,4\r", 1);
        assert_eq!(r.text, "a,b\n1,2\n3,4\n");
        assert_eq!(r.problems.len(), 1);
        let r = repair("a,b\n1,\"x\n2,y\",3\n", 1);
        // Line 2 opens a quote that line 3 closes: a legal multi-line field.
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let r = repair("a,b\n1,\"x\n2,y\n", 10);
        assert_eq!(r.text, "a,b\n1,x\n2,y\n");
        assert_eq!(
            r.problems[0],
            "line 11: a quote opens and never closes; the line is read without its quotes"
        );
    }

    #[test]
    fn windows_1252() {
        assert_eq!(
            decode_windows_1252(b"montr\xe9al \x80 \x93x\x94"),
            "montréal € “x”"
        );
    }

    #[test]
    fn errors_on_one_line() {
        assert_eq!(one_line("a\n\nb  c\n"), "a b c");
        assert!(one_line(&"x ".repeat(1000)).chars().count() <= MAX_ERROR_CHARS + 1);
    }
}
